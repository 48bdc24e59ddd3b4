//! Role definitions nested in ARM templates: child resources, nested deployments and Blueprint artifacts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use rolegate_lint::{Linter, Report};

fn lint(name: &str) -> Report {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/arm").join(name);
    let mut linter = Linter::new();
    assert!(linter.add_path(&path));
    linter.finish()
}

/// (code, role, JSON pointer) of every finding.
fn found(report: &Report) -> Vec<(&'static str, String, String)> {
    report
        .findings()
        .iter()
        .map(|f| (f.code, f.role.clone().unwrap_or_default(), f.pointer.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn roles_in_nested_deployments_are_found_with_their_own_pointers() {
    let report = lint("nested-deployment.json");
    assert_eq!(report.summary().roles, 2);
    let found = found(&report);
    let scorer = "/resources/1/properties/template/resources/0/properties/permissions/0/actions/0";
    assert!(
        found.iter().any(|(c, r, p)| *c == "RL202" && r == "ML endpoint scorer" && p == scorer),
        "the scoring wildcard pulls listKeys: {found:#?}"
    );
    let deep =
        "/resources/2/properties/template/resources/0/properties/template/resources/0/properties/assignableScopes/0";
    assert!(
        found.iter().any(|(c, r, p)| *c == "RL108" && r == "Deep reader" && p == deep),
        "a placeholder two deployments down: {found:#?}"
    );
    // The resource group beside them is no role, and nothing says the template is malformed.
    assert!(found.iter().all(|(c, ..)| *c >= "RL100"), "{found:#?}");
}

#[test]
fn a_blueprint_artifact_is_read_as_its_template() {
    let report = lint("blueprint-artifact.json");
    assert_eq!(report.summary().roles, 1);
    let found = found(&report);
    // Before, the artifact was read as create input: "missing name" and no permissions.
    assert!(found.iter().all(|(c, ..)| !["RL100", "RL101", "RL005"].contains(c)), "{found:#?}");
    let restart = found
        .iter()
        .find(|(c, ..)| *c == "RL205")
        .unwrap_or_else(|| panic!("runCommand is code execution: {found:#?}"));
    assert_eq!(restart.1, "Blueprint operator");
    assert_eq!(restart.2, "/properties/template/resources/0/properties/permissions/0/actions/0");
}

#[test]
fn a_template_without_roles_anywhere_is_not_a_role_file() {
    let mut linter = Linter::new();
    linter.add_file(
        "storage.json",
        br#"{"$schema": "x", "contentVersion": "1.0.0.0", "resources": [
            {"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"template": {"contentVersion": "1.0.0.0",
             "resources": [{"type": "Microsoft.Storage/storageAccounts", "name": "sa"}]}}}]}"#,
    );
    let report = linter.finish();
    assert_eq!(report.summary().roles, 0);
    let codes: Vec<_> = report.findings().iter().map(|f| f.code).collect();
    assert_eq!(codes, ["RL027"].map(|_| rolegate::diag::codes::NOT_A_ROLE_FILE.id));
}

/// A compiled Bicep loop (`copy` on the resource) is read as written, with no unknown-key warning.
#[test]
fn a_compiled_loop_reads_like_its_body() {
    let mut linter = Linter::new();
    linter.add_file(
        "compiled.json",
        br#"{"$schema": "x", "contentVersion": "1.0.0.0", "resources": [{
  "copy": {"name": "roles", "count": "[length(parameters('names'))]"},
  "type": "Microsoft.Authorization/roleDefinitions", "apiVersion": "2022-04-01",
  "name": "[guid(parameters('names')[copyIndex()])]",
  "properties": {"roleName": "[parameters('names')[copyIndex()]]", "permissions": [{"actions": ["Microsoft.Compute/*"]}],
    "assignableScopes": ["[subscription().id]"]}}]}"#,
    );
    let report = linter.finish();
    let codes: Vec<_> = report.findings().iter().map(|f| f.code).collect();
    assert!(!codes.contains(&"RL003"), "{codes:?}");
    assert!(codes.contains(&"RL201"), "the provider wildcard is still found: {codes:?}");
}
