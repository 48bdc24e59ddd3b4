//! `role-lint`: checks Azure role-definition JSON before Azure sees it.
//!
//! Exit codes (semantics §5): 0 clean; 1 a finding at or above the failing severity (a file that is not valid JSON
//! is such a finding, `RL000`); 2 usage error, bad config or baseline, or a path that cannot be read.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use rolegate::{Diagnostic, Severity};
use rolegate_lint::config::{Config, FILE_NAME as CONFIG_FILE};
use rolegate_lint::rules::Registry;
use rolegate_lint::tenant::TenantContext;
use rolegate_lint::{Baseline, Category, KnownRules, LintOptions, Linter, OutputFormat, exit_code, parse_forbid_list};

/// Lint Azure role definitions: the validation Azure applies at create time, before Azure rejects the role.
#[derive(Parser, Debug)]
#[command(name = "role-lint", version, after_help = EXIT_CODES)]
struct Args {
    /// Role-definition files (JSON, Terraform `.tf`, `terraform show -json` plans, Bicep `.bicep`), or directories
    /// searched recursively for `*.json`, `*.tf` and `*.bicep`.
    #[arg(required_unless_present_any = ["tenant", "explain", "list_rules"], value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
    /// Lint a tenant directory (roles, assignments.json, hierarchy.json, ...): every rule over its role files, and
    /// assignments outside AssignableScopes, DataActions roles at management groups, unassigned custom roles,
    /// assignment limits (codes RL4xx).
    #[arg(long, value_name = "DIR")]
    tenant: Option<PathBuf>,
    /// Print what a code (`RL202`, or a load code such as `RL006`) flags and why, then exit.
    #[arg(long, value_name = "CODE", exclusive = true)]
    explain: Option<String>,
    /// Print every code (load codes, rules, tenant and config codes): code, name, default severity and family,
    /// one per line (`--format json`: an array of objects), then exit.
    #[arg(long, conflicts_with_all = ["paths", "tenant", "explain"])]
    list_rules: bool,
    /// Expand wildcards against this `az provider operation list --output json` file instead of the shipped
    /// catalog; reports name its modification date.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// An exact operation the catalog does not list is an error, not a warning.
    #[arg(long)]
    strict_catalog: bool,
    /// Fail (finding RL211, an error) when a role makes an operation listed in FILE reachable: one operation or
    /// pattern per line, `#` comments.
    #[arg(long, value_name = "FILE")]
    forbid: Option<PathBuf>,
    /// Output format: human (rustc-like), json, sarif (SARIF 2.1.0 for code scanning), github (workflow
    /// annotations).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Lowest severity that makes the run fail (exit code 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// `--deny warnings` is `--fail-on warning`.
    #[arg(long, value_enum, value_name = "LEVEL")]
    deny: Vec<Deny>,
    /// Config file (severity overrides, extra sensitive operations, suppressions, tenant limits); default:
    /// `role-lint.toml` in the current directory, if there is one.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore `role-lint.toml` in the current directory.
    #[arg(long)]
    no_config: bool,
    /// A `--format json` report of an earlier run: only findings that are not in it are reported.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// The largest input file read (`256MiB`, `10M`, `4096`); a larger one is refused (RL017, exit 2), as is
    /// any path that is not a regular file (a FIFO, a device, a dangling link).
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = rolegate::internals::file::parse_size)]
    max_file_size: u64,
}

const EXIT_CODES: &str = "Exit codes:
  0  no finding at or above --fail-on (default: error)
  1  findings at or above --fail-on (invalid JSON is finding RL000)
  2  usage error, invalid config or baseline, a path that cannot be read, a --catalog or --forbid
     file that cannot be used, or an unknown --explain code

Config (role-lint.toml):
  [severity]    RL007 = \"error\"   (\"error\" | \"warning\" | \"note\" | \"allow\" to turn a rule off)
  [sensitive]   credential-exposure = [\"Contoso.Vault/vaults/secrets/export/action\"]
  [[suppress]]  code = \"RL403\"  role = \"Legacy Operator\"  reason = \"break-glass, reviewed 2026-05\"
                (reason is mandatory; a suppression that matches nothing is reported as RL502)
  [tenant]      max-assignments-per-subscription = 4000   max-assignments-per-management-group = 500";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Deny {
    Warnings,
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

/// The extensions of the files a directory walk lints (ASCII case-insensitive): role JSON (and Terraform plans),
/// Terraform, Bicep (semantics §4).
const ROLE_FILE_EXTENSIONS: &[&str] = &["json", "tf", "bicep"];

/// Every role file (by [`ROLE_FILE_EXTENSIONS`]) under `dir`, sorted, skipping hidden entries (such as
/// `.terraform`). Whatever such a name is (a FIFO, a dangling link) is listed, so that reading it refuses it; a
/// directory reached twice through links is walked once.
fn role_files(dir: &Path, out: &mut Vec<PathBuf>, walked: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let real = std::fs::canonicalize(dir)?;
    if walked.contains(&real) {
        return Ok(());
    }
    walked.push(real);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            role_files(&path, out, walked)?;
        } else if path.extension().is_some_and(|x| ROLE_FILE_EXTENSIONS.iter().any(|e| x.eq_ignore_ascii_case(e))) {
            out.push(path);
        }
    }
    Ok(())
}

/// Prints diagnostics like rustc to stderr (config and baseline problems: exit code 2).
fn print_diagnostics(diagnostics: &[Diagnostic], color: bool) {
    let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        if handler.render_report(&mut out, &d.report()).is_err() {
            out.push_str(&d.message);
        }
        out.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

/// The config: `--config FILE`, else `role-lint.toml` in the current directory, else none.
fn load_config(args: &Args) -> Result<Config, Vec<Diagnostic>> {
    let path = match &args.config {
        Some(path) => path.clone(),
        None if args.no_config => return Ok(Config::default()),
        None => {
            let path = PathBuf::from(CONFIG_FILE);
            // Only absence means "no config": a config that is a dangling link or a FIFO is refused when read.
            if std::fs::symlink_metadata(&path).is_err() {
                return Ok(Config::default());
            }
            path
        }
    };
    let name = path.display().to_string();
    let text =
        rolegate::internals::file::read_text(&path, args.max_file_size).map_err(|e| vec![e.diagnostic(&path)])?;
    Config::parse(&name, &text, &(Registry, KnownRules))
}

fn load_baseline(path: &Path, max_file_bytes: u64) -> Result<Baseline, Vec<Diagnostic>> {
    let name = path.display().to_string();
    let bytes = rolegate::internals::file::read_file(path, max_file_bytes).map_err(|e| {
        if !matches!(e, rolegate::internals::file::FileError::Io(_)) {
            return vec![e.diagnostic(path)];
        }
        vec![
            Diagnostic::error(rolegate_lint::config::codes::INVALID_BASELINE, format!("cannot read `{name}`: {e}"))
                .with_help("check the path given to --baseline"),
        ]
    })?;
    Baseline::parse(&name, &bytes)
}

/// `YYYY-MM-DD` of a file's modification time (UTC), the date reports give a `--catalog` file.
fn modified_date(path: &Path) -> Option<String> {
    let secs = std::fs::metadata(path).ok()?.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let days = i64::try_from(secs / 86_400).ok()?;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// Builds the run's options from the flags; a flag's file that cannot be used is a usage error (exit 2).
/// Why the run's options could not be built: a flag's file that is not a readable regular file (RL017), or one
/// that cannot be used.
enum OptionsError {
    File(Box<Diagnostic>),
    Unusable(String),
}

impl From<String> for OptionsError {
    fn from(s: String) -> Self {
        OptionsError::Unusable(s)
    }
}

fn options(args: &Args) -> Result<LintOptions, OptionsError> {
    let mut options = LintOptions {
        strict_catalog: args.strict_catalog,
        max_file_bytes: Some(args.max_file_size),
        ..LintOptions::default()
    };
    let read = |path: &Path| {
        rolegate::internals::file::read_file(path, args.max_file_size)
            .map_err(|e| OptionsError::File(Box::new(e.diagnostic(path))))
    };
    if let Some(path) = &args.catalog {
        let name = path.display().to_string();
        let bytes = read(path)?;
        let loaded = rolegate::load::load_operation_list(&name, &bytes, modified_date(path));
        if let Some(d) = loaded.diagnostics.iter().find(|d| d.severity == Severity::Error) {
            let at = d.line_cols().map(|(s, _)| format!(":{}:{}", s.line, s.column)).unwrap_or_default();
            return Err(format!(
                "`{name}{at}` is not usable as a catalog: {}\nhelp: pass the JSON output of `az provider operation list`",
                d.message
            )
            .into());
        }
        options.catalog = Some(std::sync::Arc::new(loaded.value));
    }
    if let Some(path) = &args.forbid {
        let name = path.display().to_string();
        let text =
            String::from_utf8(read(path)?).map_err(|e| format!("`{name}` is not UTF-8 text: {}", e.utf8_error()))?;
        options.forbid = parse_forbid_list(&name, &text);
    }
    Ok(options)
}

/// `--list-rules`: every code the run can report, in code order.
fn list_rules(format: Format) -> ExitCode {
    use rolegate_lint::RuleMetaSource;
    let all = (Registry, KnownRules).all_rules();
    let family = |m: &rolegate_lint::RuleMeta| m.tags.first().copied().unwrap_or("other");
    let out = match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "code": m.code,
                        "name": m.name,
                        "severity": m.default_severity.as_str(),
                        "family": family(m),
                        "summary": m.summary,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
            text.push('\n');
            text
        }
        _ => {
            let width = all.iter().map(|m| m.name.len()).max().unwrap_or_default();
            let mut text = format!("{:<6} {:<width$} {:<8} {}\n", "code", "name", "severity", "family");
            for m in &all {
                text.push_str(&format!(
                    "{:<6} {:<width$} {:<8} {}\n",
                    m.code,
                    m.name,
                    m.default_severity.as_str(),
                    family(m)
                ));
            }
            text
        }
    };
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_rules {
        return list_rules(args.format);
    }
    if let Some(code) = &args.explain {
        return match rolegate_lint::explain(code) {
            Some(doc) => {
                let _ = std::io::stdout().lock().write_all(doc.as_bytes());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: unknown code `{code}`\nhelp: codes are RL000-RL099 (load) and the rules listed in the README"
                );
                ExitCode::from(2)
            }
        };
    }
    // Config and baseline problems go to stderr, which may be a terminal when stdout is not.
    let stderr_color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let config = match load_config(&args) {
        Ok(config) => config,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, stderr_color);
            return ExitCode::from(2);
        }
    };
    let baseline = match args.baseline.as_deref().map(|p| load_baseline(p, args.max_file_size)).transpose() {
        Ok(baseline) => baseline,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, stderr_color);
            return ExitCode::from(2);
        }
    };
    let mut options = match options(&args) {
        Ok(o) => o,
        Err(OptionsError::File(d)) => {
            print_diagnostics(&[*d], stderr_color);
            return ExitCode::from(2);
        }
        Err(OptionsError::Unusable(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for (category, patterns) in &config.sensitive {
        // Config parsing accepts any category name; an unknown one is a usage error here.
        let Some(c) = Category::from_name(category) else {
            let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
            eprintln!(
                "error: unknown sensitive category `{category}` in the config\nhelp: use one of {}",
                names.join(", ")
            );
            return ExitCode::from(2);
        };
        options.extra_sensitive.extend(patterns.iter().map(|p| (c, p.clone())));
    }
    // A rule turned off does no work; its findings would be dropped by `apply_config` anyway.
    options.disabled_rules.extend(config.disabled_rules());
    let mut linter = Linter::with_options(options);
    // The tenant first: its role files are linted under the tenant's names, and positional paths naming one of
    // its files are skipped.
    if let Some(dir) = &args.tenant {
        linter.add_tenant(dir, &TenantContext { limits: config.tenant });
    }
    for path in &args.paths {
        let mut files = Vec::new();
        let listed = if path.is_dir() {
            role_files(path, &mut files, &mut Vec::new())
        } else {
            files.push(path.clone());
            Ok(())
        };
        if let Err(e) = listed {
            linter.add_unreadable(&path.display().to_string(), &e);
            continue;
        }
        for file in files {
            // A file already read (given twice, or a file of the --tenant directory) is linted once.
            linter.add_path(&file);
        }
    }
    let mut report = linter.finish();
    if config.source.is_some() {
        report = report.apply_config(&config);
    }
    if let Some(baseline) = &baseline {
        report = report.apply_baseline(baseline);
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match args.format {
        Format::Human => OutputFormat::Human { color },
        Format::Json => OutputFormat::Json,
        Format::Sarif => OutputFormat::Sarif,
        Format::Github => OutputFormat::Github,
    };
    let mut fail_on = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    };
    if args.deny.contains(&Deny::Warnings) {
        fail_on = fail_on.min(Severity::Warning);
    }
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`role-lint ... | head`) is not an error worth a panic.
    let _ = stdout.write_all(report.render_with(format, &(Registry, KnownRules)).as_bytes());
    ExitCode::from(u8::try_from(exit_code(&report, fail_on)).unwrap_or(2))
}
