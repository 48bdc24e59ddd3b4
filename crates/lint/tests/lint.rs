//! role-lint's library over the built-in corpus and small inputs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use rolegate::Severity;
use rolegate_lint::{Linter, OutputFormat, exit_code};

#[test]
fn every_builtin_role_is_linted() {
    let mut linter = Linter::new();
    linter.add_file(rolegate::builtin::ROLES_FILE, rolegate::builtin::ROLES_JSON.as_bytes());
    let report = linter.finish();
    let s = report.summary();
    assert_eq!((s.files, s.roles, s.errors), (1, 928, 0));
    // Two built-in roles carry `"Microsoft.Network/virtualNetworks/read "`; nothing else is a load problem (lint
    // rule findings on the built-ins are pinned in `corpus.rs`).
    let found: Vec<_> = report
        .findings()
        .iter()
        .filter(|f| f.code < "RL100")
        .map(|f| (f.code, f.role.clone().unwrap(), f.pointer.clone().unwrap()))
        .collect();
    let expected = [
        ("Azure Resilience Management Drills Target Resource Administrator", "/240/permissions/1/actions/11"),
        ("Azure Resilience Management Drills Target Resource Contributor", "/241/permissions/0/actions/11"),
    ];
    let expected: Vec<_> = expected.iter().map(|(r, p)| ("RL007", (*r).to_owned(), (*p).to_owned())).collect();
    assert_eq!(found, expected);
    assert_eq!(exit_code(&report, Severity::Error), 0);
    assert_eq!(exit_code(&report, Severity::Warning), 1);
}

#[test]
fn human_report_snapshot() {
    let mut linter = Linter::new();
    linter.add_file(
        "roles/team.json",
        br#"[
  {"Name": "a", "Actions": ["Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["subscriptions/s1/"]},
  {"Name": "b", "IsCustom": "false", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}
]"#,
    );
    linter.add_file("roles/empty.json", b"");
    let report = linter.finish();
    insta::assert_snapshot!(report.render(OutputFormat::Human { color: false }));
    insta::assert_snapshot!(report.render(OutputFormat::Json));
}
