//! Test support for the rule files: pass/fail cases and the rendered diagnostics of the failures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::Rule;
use crate::{LintOptions, Linter, OutputFormat, Report};

/// Lints `text` as one file named `name`.
pub(crate) fn lint(options: LintOptions, name: &str, text: &str) -> Report {
    let mut linter = Linter::with_options(options);
    linter.add_file(name, text.as_bytes());
    linter.finish()
}

/// Asserts that no `pass` case and every `fail` case has a finding of `rule`, and returns the rendered findings
/// of the rule over the failing cases, for a snapshot.
pub(crate) fn check_rule(rule: &Rule, pass: &[&str], fail: &[&str]) -> String {
    check_rule_with(rule, &LintOptions::default(), pass, fail)
}

/// [`check_rule`] with options.
pub(crate) fn check_rule_with(rule: &Rule, options: &LintOptions, pass: &[&str], fail: &[&str]) -> String {
    for (i, text) in pass.iter().enumerate() {
        let report = lint(options.clone(), &format!("pass-{i}.json"), text);
        let hits: Vec<_> = report.findings().iter().filter(|f| f.code == rule.code).collect();
        assert!(hits.is_empty(), "pass case {i} has {} findings: {:#?}", rule.code, hits);
    }
    let mut out = String::new();
    for (i, text) in fail.iter().enumerate() {
        let report = lint(options.clone(), &format!("fail-{i}.json"), text);
        let hits: Vec<_> = report.findings().iter().filter(|f| f.code == rule.code).cloned().collect();
        assert!(!hits.is_empty(), "fail case {i} has no {} finding; found {:?}", rule.code, codes(&report));
        for f in &hits {
            if !f.operations.is_empty() {
                out.push_str(&format!("operations: {}\n", f.operations.join(", ")));
            }
        }
        let only = Report::new(1, report.summary().roles, hits);
        out.push_str(&only.render(OutputFormat::Human { color: false }));
        out.push('\n');
    }
    out
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.findings().iter().map(|f| f.code).collect()
}
