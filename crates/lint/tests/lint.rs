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

/// The human header names the finding's own line and column on a line longer than the shown window (240
/// characters), as the JSON report does, and a look-alike character before it counts as one column.
#[test]
fn human_header_column_on_a_600_character_line() {
    let description = "d".repeat(500);
    let text = format!(
        r#"{{"Name": "r", "Description": "{description}", "Actions": ["Microsoft.Compute/*/query/*"], "AssignableScopes": ["/subscriptions/s1"]}}"#
    );
    assert!(text.len() >= 600, "{}", text.len());
    for text in [text.clone(), text.replacen("ddd", "\u{e9}\u{e9}\u{e9}", 1)] {
        let mut linter = Linter::new();
        linter.add_file("long.json", text.as_bytes());
        let report = linter.finish();
        let f = report.findings().iter().find(|f| f.code == "RL102").expect("RL102");
        assert_eq!((f.line, f.column), (1, 546));
        let human = report.render(OutputFormat::Human { color: false });
        assert!(human.contains("[long.json:1:546]"), "{human}");
        assert!(human.contains("Microsoft.Compute/*/query/*"), "{human}");
    }
}

#[test]
fn a_cosmos_db_sql_role_is_one_finding_not_a_cascade() {
    let mut linter = Linter::new();
    linter.add_file(
        "roles/cosmos-reader.json",
        br#"{
  "RoleName": "MyReadOnlyRole",
  "Type": "CustomRole",
  "AssignableScopes": ["/"],
  "Permissions": [{
    "DataActions": [
      "Microsoft.DocumentDB/databaseAccounts/readMetadata",
      "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
      "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery"
    ]
  }]
}"#,
    );
    linter.add_file("package.json", br#"{"name": "app", "version": "1.0.0", "dependencies": {}}"#);
    let report = linter.finish();
    let found: Vec<_> =
        report.findings().iter().map(|f| (f.code, f.file.clone().unwrap(), f.message.clone())).collect();
    assert_eq!(
        found,
        [
            (
                "RL021",
                "package.json".to_owned(),
                "`package.json` is not an Azure RBAC role definition: it looks like a package manifest; it is not linted"
                    .to_owned()
            ),
            (
                "RL021",
                "roles/cosmos-reader.json".to_owned(),
                "`roles/cosmos-reader.json` is not an Azure RBAC role definition: it looks like a Cosmos DB SQL role \
                 definition (Cosmos DB's own data-plane RBAC, created with `az cosmosdb sql role definition create`); \
                 it is not linted"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(report.summary().roles, 0);
}

/// The placeholder and scope-kind rules fire on no built-in role's assignable scopes, even when each built-in is
/// copied as a custom role (renamed, without its id), which makes every custom-role rule look at it.
#[test]
fn placeholder_and_scope_kind_rules_spare_every_builtin_scope() {
    let mut roles: serde_json::Value = serde_json::from_str(rolegate::builtin::ROLES_JSON).unwrap();
    let list = roles.as_array_mut().unwrap();
    assert_eq!(list.len(), 928);
    for role in list.iter_mut() {
        let role = role.as_object_mut().unwrap();
        let name = format!("Copy of {}", role["roleName"].as_str().unwrap());
        role.insert("roleName".into(), name.into());
        role.insert("roleType".into(), "CustomRole".into());
        role.remove("name");
        role.remove("id");
    }
    let mut linter = Linter::new();
    linter.add_file("copies.json", serde_json::to_string(&roles).unwrap().as_bytes());
    let report = linter.finish();
    assert_eq!(report.summary().roles, 928);
    // Every copy is custom now: RL103 (`/` is for built-ins only) fires on each one that names the root.
    assert!(report.findings().iter().filter(|f| f.code == "RL103").count() > 900);
    let fired: Vec<_> = report
        .findings()
        .iter()
        .filter(|f| ["RL108", "RL116", "RL117"].contains(&f.code))
        .map(|f| &f.message)
        .collect();
    assert!(fired.is_empty(), "{fired:#?}");
}
