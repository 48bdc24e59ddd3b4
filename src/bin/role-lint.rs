//! `role-lint`: checks Azure role-definition JSON before Azure sees it.
//!
//! Exit codes (SPEC §5): 0 clean; 1 a finding at or above the failing severity (a file that is not valid JSON
//! is such a finding, `RL000`); 2 usage error or a path that cannot be read.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use rolegate::Severity;
use rolegate_lint::{Linter, OutputFormat, exit_code};

/// Lint Azure role definitions: the validation Azure applies at create time, before Azure rejects the role.
#[derive(Parser, Debug)]
#[command(name = "role-lint", version, after_help = EXIT_CODES)]
struct Args {
    /// Role-definition files, or directories searched recursively for `*.json`.
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lowest severity that makes the run fail (exit code 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

const EXIT_CODES: &str = "Exit codes:\n  0  no finding at or above --fail-on\n  1  findings at or above --fail-on \
                          (invalid JSON is finding RL000)\n  2  usage error, or a path that cannot be read";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Every `*.json` under `dir`, sorted, skipping hidden entries.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")) {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut linter = Linter::new();
    for path in &args.paths {
        let mut files = Vec::new();
        let listed = if path.is_dir() {
            json_files(path, &mut files)
        } else {
            files.push(path.clone());
            Ok(())
        };
        if let Err(e) = listed {
            linter.add_unreadable(&path.display().to_string(), &e);
            continue;
        }
        for file in files {
            let name = file.display().to_string();
            match std::fs::read(&file) {
                Ok(bytes) => linter.add_file(&name, &bytes),
                Err(e) => linter.add_unreadable(&name, &e),
            }
        }
    }
    let report = linter.finish();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match args.format {
        Format::Human => OutputFormat::Human { color },
        Format::Json => OutputFormat::Json,
    };
    let fail_on = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`role-lint ... | head`) is not an error worth a panic.
    let _ = stdout.write_all(report.render(format).as_bytes());
    ExitCode::from(u8::try_from(exit_code(&report, fail_on)).unwrap_or(2))
}
