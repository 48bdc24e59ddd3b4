//! Reports: the findings of a run, rendered for people or machines.

mod github;
mod sarif;

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde_json::{Value, json};

use crate::config::{self, Config};
use crate::finding::Finding;
use crate::meta::KnownRules;
use crate::rule_meta::RuleMetaSource;
use rolegate::{Diagnostic, Severity};

pub use sarif::relative_uri;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// rustc-like diagnostics with the source underlined, in colour when `color` is set.
    Human {
        /// Use colours.
        color: bool,
    },
    /// One JSON object (`version` 1); the shape is stable.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`), shown as annotations on the PR.
    Github,
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Role definitions loaded.
    pub roles: usize,
    /// Findings with severity error.
    pub errors: usize,
    /// Findings with severity warning.
    pub warnings: usize,
    /// Findings left out because `--baseline` already had them; `None` without a baseline.
    pub baselined: Option<usize>,
    /// Findings left out by a `[[suppress]]` entry of the config; `None` without a config.
    pub suppressed: Option<usize>,
}

/// The findings of a run.
#[derive(Debug)]
pub struct Report {
    summary: Summary,
    findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn new(files: usize, roles: usize, findings: Vec<Finding>) -> Self {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let summary = Summary {
            files,
            roles,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            baselined: None,
            suppressed: None,
        };
        Report { summary, findings }
    }

    /// A report of `findings` (sorted again, counts recomputed) with the file, role, baseline and suppression
    /// counts of `summary`.
    pub(crate) fn rebuild(summary: Summary, mut findings: Vec<Finding>) -> Self {
        sort_findings(&mut findings);
        let mut report = Report::new(summary.files, summary.roles, findings);
        report.summary.baselined = summary.baselined;
        report.summary.suppressed = summary.suppressed;
        report
    }

    pub(crate) fn into_findings(self) -> (Summary, Vec<Finding>) {
        (self.summary, self.findings)
    }

    /// Counts.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Findings in deterministic order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Renders the report, with rule metadata for SARIF from the rule registry and [`KnownRules`].
    pub fn render(&self, format: OutputFormat) -> String {
        self.render_with(format, &(crate::rules::Registry, KnownRules))
    }

    /// Renders the report, taking rule metadata (SARIF `rules`, GitHub titles) from `rules`.
    pub fn render_with(&self, format: OutputFormat, rules: &dyn RuleMetaSource) -> String {
        let pretty = |v: &Value| {
            let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
            s.push('\n');
            s
        };
        match format {
            OutputFormat::Human { color } => self.render_human(color),
            OutputFormat::Json => pretty(&self.to_json()),
            OutputFormat::Sarif => pretty(&self.to_sarif(rules)),
            OutputFormat::Github => github::render(self),
        }
    }

    /// The SARIF 2.1.0 log of the report (one run), with metadata for every code that occurs.
    pub fn to_sarif(&self, rules: &dyn RuleMetaSource) -> Value {
        sarif::log(self, rules)
    }

    fn render_human(&self, color: bool) -> String {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for f in &self.findings {
            // Rendering into a String cannot fail for lack of space; fall back to the plain message anyway.
            if handler.render_report(&mut out, &f.diagnostic.report()).is_err() {
                out.push_str(&f.message);
            }
            out.push('\n');
        }
        let Summary { files, roles, errors, warnings, baselined, suppressed } = self.summary;
        out.push_str(&format!(
            "role-lint: {errors} error{}, {warnings} warning{} in {files} file{} ({roles} role{})",
            plural(errors),
            plural(warnings),
            plural(files),
            plural(roles)
        ));
        let mut hidden = Vec::new();
        if let Some(n) = baselined {
            hidden.push(format!("{n} baselined"));
        }
        if let Some(n) = suppressed.filter(|n| *n > 0) {
            hidden.push(format!("{n} suppressed"));
        }
        if !hidden.is_empty() {
            out.push_str(&format!("; {} not shown", hidden.join(", ")));
        }
        out.push('\n');
        out
    }

    /// The JSON report: `{"version": 1, "summary": {...}, "findings": [...]}`.
    pub fn to_json(&self) -> Value {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "code": f.code,
                    "name": f.name,
                    "severity": f.severity.as_str(),
                    "message": f.message,
                    "help": f.help,
                    "file": f.file,
                    "line": f.line,
                    "column": f.column,
                    "end_line": f.end_line,
                    "end_column": f.end_column,
                    "role": f.role,
                    "pointer": f.pointer,
                    "operations": f.operations,
                    "fingerprint": f.fingerprint,
                })
            })
            .collect();
        let Summary { files, roles, errors, warnings, baselined, suppressed } = self.summary;
        let mut summary = json!({"files": files, "roles": roles, "errors": errors, "warnings": warnings});
        // Present only when a baseline or a config was used, so that the plain shape stays as documented.
        if let Some(map) = summary.as_object_mut() {
            if let Some(n) = baselined {
                map.insert("baselined".to_owned(), n.into());
            }
            if let Some(n) = suppressed {
                map.insert("suppressed".to_owned(), n.into());
            }
        }
        json!({
            "version": 1,
            "summary": summary,
            "findings": findings,
        })
    }
}

/// The report order: file, position, code, message. Findings without a file come first.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.file.as_deref(), a.line, a.column, a.code, &a.message).cmp(&(
            b.file.as_deref(),
            b.line,
            b.column,
            b.code,
            &b.message,
        ))
    });
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl Report {
    /// Applies a config: severity overrides (`"allow"` drops the finding), then suppressions, then reports every
    /// suppression that matched nothing (`RL502`, at the entry in the config file).
    pub fn apply_config(self, config: &Config) -> Report {
        let (mut summary, findings) = self.into_findings();
        let mut used = vec![false; config.suppressions.len()];
        let mut kept = Vec::with_capacity(findings.len());
        let mut suppressed = 0;
        for mut f in findings {
            if !override_severity(&mut f, config) {
                continue;
            }
            let hit = config.suppressions.iter().position(|s| {
                s.code == f.code && f.role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(s.role.trim()))
            });
            if let Some(slot) = hit.and_then(|i| used.get_mut(i)) {
                *slot = true;
                suppressed += 1;
                continue;
            }
            kept.push(f);
        }
        if let Some(src) = &config.source {
            for (s, _) in config.suppressions.iter().zip(&used).filter(|(_, used)| !**used) {
                let d = Diagnostic::warning(
                    config::codes::UNUSED_SUPPRESSION,
                    format!("suppression of `{}` for role `{}` matched no finding", s.code, s.role),
                )
                .at(src, s.span)
                .with_label("unused")
                .with_help("remove the entry, or fix its `code` or `role`");
                let mut f = Finding::from_diagnostic(&d, None);
                if override_severity(&mut f, config) {
                    kept.push(f);
                }
            }
        }
        summary.suppressed = Some(summary.suppressed.unwrap_or_default() + suppressed);
        Report::rebuild(summary, kept)
    }
}

/// Applies the configured severity; false when the code is turned off. Unreadable inputs stay as they are:
/// they decide exit code 2.
fn override_severity(f: &mut Finding, config: &Config) -> bool {
    if f.code == rolegate::diag::codes::UNREADABLE.id {
        return true;
    }
    match config.severity.get(f.code) {
        None => true,
        Some(None) => false,
        Some(Some(s)) => {
            f.severity = *s;
            f.diagnostic.severity = *s;
            true
        }
    }
}
