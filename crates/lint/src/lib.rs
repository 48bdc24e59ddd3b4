//! role-lint's library: turns role-definition files into findings and renders reports (human, JSON).
//!
//! ```
//! use rolegate_lint::{Linter, OutputFormat};
//!
//! let mut linter = Linter::new();
//! linter.add_file("role.json", br#"{"Name": "r", "IsCustom": "true", "AssignableScopes": ["/subscriptions/s"]}"#);
//! let report = linter.finish();
//! assert_eq!(report.summary().errors, 1);
//! assert_eq!(report.findings()[0].code, "RL001");
//! assert_eq!((report.findings()[0].line, report.findings()[0].column), (1, 27));
//! let json = report.render(OutputFormat::Json);
//! assert!(json.contains(r#""code": "RL001""#));
//! ```
//!
//! Load problems come from [`rolegate::load`] (codes `RL000`–`RL099`); lint rules add their own codes from
//! `RL100` on. Every finding carries a stable fingerprint so that baselines survive unrelated edits.

#![forbid(unsafe_code)]

pub mod baseline;
pub mod config;
mod finding;
pub mod meta;
mod report;
pub mod tenant;

pub use baseline::Baseline;
pub use config::Config;
pub use finding::{Finding, fingerprint};
pub use meta::{KnownRules, RuleMeta, RuleMetaSource};
pub use report::{OutputFormat, Report, Summary, relative_uri};

use rolegate::Severity;
use rolegate::load::load_roles;

/// Collects the files of one run.
#[derive(Debug, Default)]
pub struct Linter {
    files: usize,
    roles: usize,
    findings: Vec<Finding>,
}

impl Linter {
    /// An empty run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lints one role-definition file.
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) {
        self.files += 1;
        let loaded = load_roles(name, bytes);
        self.roles += loaded.value.len();
        for d in loaded.diagnostics {
            // Name the role a problem belongs to: the innermost role object whose span holds it.
            let role = d.span.and_then(|span| {
                loaded
                    .value
                    .iter()
                    .filter(|r| r.origin.span.start <= span.start && span.end <= r.origin.span.end)
                    .min_by_key(|r| r.origin.span.len())
                    .map(rolegate::RoleDefinition::label)
            });
            self.findings.push(Finding::from_diagnostic(&d, role));
        }
    }

    /// Records a file that could not be read at all (a usage problem: exit code 2).
    pub fn add_unreadable(&mut self, name: &str, error: &std::io::Error) {
        self.files += 1;
        let d =
            rolegate::Diagnostic::error(rolegate::diag::codes::UNREADABLE, format!("cannot read `{name}`: {error}"))
                .with_help("check the path and its permissions");
        let mut f = Finding::from_diagnostic(&d, None);
        f.file = Some(name.to_owned());
        f.fingerprint = fingerprint(&f);
        self.findings.push(f);
    }

    /// Lints a tenant directory (`role-lint --tenant DIR`): the load problems of its files and the tenant rules
    /// (`RL4xx`).
    pub fn add_tenant(&mut self, dir: &std::path::Path, cx: &tenant::TenantContext) {
        let (files, roles, findings) = tenant::lint_dir(dir, cx);
        self.files += files;
        self.roles += roles;
        self.findings.extend(findings);
    }

    /// Finishes the run: findings in a deterministic order (file, position, code).
    pub fn finish(mut self) -> Report {
        report::sort_findings(&mut self.findings);
        Report::new(self.files, self.roles, self.findings)
    }
}

/// The exit code for a report (SPEC §5): 2 when an input could not be read, 1 when a finding is at or above
/// `fail_on`, else 0.
pub fn exit_code(report: &Report, fail_on: Severity) -> i32 {
    if report.findings().iter().any(|f| f.code == rolegate::diag::codes::UNREADABLE.id) {
        2
    } else if report.findings().iter().any(|f| f.severity >= fail_on) {
        1
    } else {
        0
    }
}
