//! `rolegate`: load a tenant and query it. This version validates tenants; `check`, `explain` and the reverse
//! queries build on the same loader.
//!
//! Exit codes: 0 the tenant loads; 1 it has fatal problems (nothing of it would be used); 2 usage error or
//! unreadable directory.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use miette::{GraphicalReportHandler, GraphicalTheme};
use rolegate::load::TenantLoader;

/// Azure RBAC decisions, exactly.
#[derive(Parser, Debug)]
#[command(name = "rolegate", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load a tenant directory (roles, assignments.json, denyAssignments.json, groups.json, hierarchy.json)
    /// and report every problem; exit 1 if the engine would refuse it.
    Validate {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
    },
}

fn render(d: &dyn miette::Diagnostic) -> String {
    let theme =
        if std::io::stderr().is_terminal() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    if GraphicalReportHandler::new_themed(theme).with_width(100).render_report(&mut out, d).is_err() {
        out = d.to_string();
    }
    out
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Validate { tenant } => {
            let loader = match TenantLoader::from_dir(&tenant) {
                Ok(l) => l,
                Err(e) => {
                    for d in &e.diagnostics {
                        eprint!("{}", render(d));
                    }
                    return ExitCode::from(2);
                }
            };
            let loaded = loader.finish();
            for d in &loaded.diagnostics {
                eprint!("{}", render(d));
            }
            let t = &loaded.value;
            let fatal = loaded.is_fatal();
            let custom = t.roles.iter().filter(|r| r.role_type == rolegate::model::RoleType::Custom).count();
            println!(
                "{}: {} roles ({} custom), {} assignments, {} deny assignments, {} groups, {} management groups, {} problems",
                if fatal { "refused" } else { "ok" },
                t.roles.len(),
                custom,
                t.assignments.len(),
                t.deny_assignments.len(),
                t.groups.groups.len(),
                t.hierarchy.management_groups.len(),
                loaded.diagnostics.len(),
            );
            if fatal { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
    }
}
