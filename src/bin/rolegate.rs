//! `rolegate`: load a tenant and query it.
//!
//! Exit codes: `validate` 0 the tenant loads, 1 it has fatal problems (nothing of it would be used);
//! `check` 0 allowed, 3 denied or not allowed; both 2 for a usage error or input that cannot be read.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use miette::{GraphicalReportHandler, GraphicalTheme};
use rolegate::Tenant;
use rolegate::engine::{Decision, Engine, PlaneHint, Request};
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
    /// Decide one request (exit 0 allowed, 3 denied or not allowed), or every line of a queries.jsonl file
    /// with `--batch` (one JSON object per line, in order).
    Check {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
        /// A queries.jsonl file to decide instead of one request.
        #[arg(long, conflicts_with_all = ["principal", "action", "scope"])]
        batch: Option<PathBuf>,
        /// The principal's object id.
        #[arg(required_unless_present = "batch")]
        principal: Option<String>,
        /// The operation, e.g. `Microsoft.Compute/virtualMachines/read`.
        #[arg(required_unless_present = "batch")]
        action: Option<String>,
        /// The target scope (a resource id).
        #[arg(required_unless_present = "batch")]
        scope: Option<String>,
        /// The plane; `auto` asks the operation catalog.
        #[arg(long, value_enum, default_value_t = PlaneArg::Auto)]
        plane: PlaneArg,
        /// Extra group ids, as a token's `groups` claim carries them.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Say why, with the names of the assignment, role and pattern (or deny assignment) that decided.
        #[arg(long)]
        explain: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlaneArg {
    Control,
    Data,
    Auto,
}

impl From<PlaneArg> for PlaneHint {
    fn from(p: PlaneArg) -> Self {
        match p {
            PlaneArg::Control => PlaneHint::Control,
            PlaneArg::Data => PlaneHint::Data,
            PlaneArg::Auto => PlaneHint::Auto,
        }
    }
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

/// Loads a tenant directory, printing every problem; `None` (after printing) when it cannot be used.
fn load_tenant(dir: &Path) -> Result<Tenant, ExitCode> {
    let loader = match TenantLoader::from_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            for d in &e.diagnostics {
                eprint!("{}", render(d));
            }
            return Err(ExitCode::from(2));
        }
    };
    match loader.build() {
        Ok((tenant, warnings)) => {
            for d in &warnings {
                eprint!("{}", render(d));
            }
            Ok(tenant)
        }
        Err(e) => {
            for d in &e.diagnostics {
                eprint!("{}", render(d));
            }
            eprintln!("rolegate: the tenant has fatal problems and is not used");
            Err(ExitCode::from(2))
        }
    }
}

fn decision_json(engine: &Engine, d: &Decision) -> serde_json::Value {
    serde_json::json!({ "decision": d.as_str(), "reason": engine.reason_json(d.reason()) })
}

fn check_batch(engine: &Engine, path: &Path) -> ExitCode {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rolegate: cannot read `{}`: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("rolegate: `{}` line {}: {e}", path.display(), n + 1);
                return ExitCode::from(2);
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<rolegate::schema::Query>(&line) {
            Ok(q) => {
                let groups: Vec<&str> = q.groups.iter().map(String::as_str).collect();
                let plane = match q.data_action {
                    Some(true) => PlaneHint::Data,
                    Some(false) => PlaneHint::Control,
                    None => PlaneHint::Auto,
                };
                let mut req = Request::new(&q.principal, &q.action, &q.scope).plane(plane).groups(&groups);
                req.sub_operation = q.sub_operation.as_deref();
                let d = engine.check(&req);
                let mut v = decision_json(engine, &d);
                if let (Some(expected), serde_json::Value::Object(m)) = (q.expected, &mut v) {
                    m.insert("expected".into(), expected.into());
                    m.insert("matches_expected".into(), (expected == d.is_allowed()).into());
                }
                v
            }
            Err(e) => {
                failed = true;
                serde_json::json!({ "error": format!("line {}: {e}", n + 1) })
            }
        };
        if writeln!(out, "{value}").is_err() {
            break;
        }
    }
    if failed { ExitCode::from(2) } else { ExitCode::SUCCESS }
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
        Command::Check { tenant, batch, principal, action, scope, plane, groups, explain } => {
            let tenant = match load_tenant(&tenant) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let engine = Engine::new(tenant);
            if let Some(batch) = batch {
                return check_batch(&engine, &batch);
            }
            let (Some(principal), Some(action), Some(scope)) = (principal, action, scope) else {
                return ExitCode::from(2);
            };
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            let req = Request::new(&principal, &action, &scope).plane(plane.into()).groups(&groups);
            let d = engine.check(&req);
            println!("{}", d.as_str());
            if explain {
                println!("  {}", engine.reason_text(d.reason()));
            }
            if d.is_allowed() { ExitCode::SUCCESS } else { ExitCode::from(3) }
        }
    }
}
