//! Reports: the findings of a run, rendered for people or machines.

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde_json::{Value, json};

use crate::finding::Finding;
use rolegate::Severity;

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
        let summary = Summary { files, roles, errors: count(Severity::Error), warnings: count(Severity::Warning) };
        Report { summary, findings }
    }

    /// Counts.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Findings in deterministic order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Renders the report.
    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Human { color } => self.render_human(color),
            OutputFormat::Json => {
                let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
                s.push('\n');
                s
            }
        }
    }

    fn render_human(&self, color: bool) -> String {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for f in &self.findings {
            // Rendering into a String cannot fail for lack of space; fall back to the plain message anyway.
            if handler.render_report(&mut out, &f.diagnostic).is_err() {
                out.push_str(&f.message);
            }
            out.push('\n');
        }
        let Summary { files, roles, errors, warnings } = self.summary;
        out.push_str(&format!(
            "role-lint: {errors} error{}, {warnings} warning{} in {files} file{} ({roles} role{})\n",
            plural(errors),
            plural(warnings),
            plural(files),
            plural(roles)
        ));
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
        let Summary { files, roles, errors, warnings } = self.summary;
        json!({
            "version": 1,
            "summary": {"files": files, "roles": roles, "errors": errors, "warnings": warnings},
            "findings": findings,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
