//! The tenant family (`RL4xx`) over a small fixture tenant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use rolegate_lint::config::TenantLimits;
use rolegate_lint::tenant::TenantContext;
use rolegate_lint::{Finding, Linter, OutputFormat, Report};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tenant")
}

fn lint(limits: TenantLimits) -> Report {
    let mut linter = Linter::new();
    linter.add_tenant(&fixture(), &TenantContext { limits });
    linter.finish()
}

fn summary(report: &Report) -> Vec<(String, String, String)> {
    rows(report.findings().iter())
}

fn rows<'a>(findings: impl Iterator<Item = &'a Finding>) -> Vec<(String, String, String)> {
    findings
        .map(|f| {
            let file = Path::new(f.file.as_deref().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            (f.code.to_owned(), format!("{file}:{}:{}", f.line, f.column), f.role.clone().unwrap_or_default())
        })
        .collect()
}

/// The tenant family's findings (`RL4xx`) of a report, but for `RL406`, which the fixture's sample subscription
/// names draw on every assignment at a subscription.
fn tenant_family(report: &Report) -> Vec<&Finding> {
    report.findings().iter().filter(|f| f.code.starts_with("RL4") && f.code != "RL406").collect()
}

#[test]
fn assignment_scopes_azure_refuses() {
    let report = lint(TenantLimits::default());
    let rl406: Vec<_> = report.findings().iter().filter(|f| f.code == "RL406").map(|f| f.message.clone()).collect();
    assert_eq!(rl406.len(), 6, "{rl406:#?}");
    assert!(
        rl406
            .iter()
            .any(|m| m
                == "subscription id `sub-3` in the scope `/subscriptions/sub-3` of `dave`'s assignment is not a GUID"),
        "{rl406:#?}"
    );
    // GUID subscriptions and a tenant-level provider path.
    let sub = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
    let assignments = format!(
        r#"[{{"principalId": "alice", "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/subscriptions/{sub}"}},
{{"principalId": "bob", "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/providers/Microsoft.Insights"}}]"#
    );
    let dir = tenant_copy("assignment-scope", &[("assignments.json", &assignments)]);
    let mut linter = Linter::new();
    linter.add_tenant(&dir, &TenantContext::default());
    let report = linter.finish();
    let rl406: Vec<_> =
        report.findings().iter().filter(|f| f.code == "RL406").map(|f| (f.line, f.message.clone())).collect();
    assert_eq!(
        rl406,
        [(
            2,
            "the scope `/providers/Microsoft.Insights` of `bob`'s assignment is a tenant-level provider path"
                .to_owned()
        )]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tenant_rules_point_at_the_assignment() {
    let report = lint(TenantLimits::default());
    let s = report.summary();
    // Five of the warnings are the role rules' (see `the_tenant_role_files_get_every_rule`), six are RL406: the
    // fixture's subscriptions are `sub-1`, `sub-2` and `sub-3`, not GUIDs (`assignment_scopes_azure_refuses`).
    assert_eq!((s.files, s.roles, s.errors, s.warnings), (3, 4, 3, 12));
    let expected = [
        // ops at management group `platform`: a DataActions custom role cannot be assigned there.
        ("RL402", "assignments.json:12:14", "Blob Log Reader"),
        // bob at sub-2: the role is assignable at sub-1 only.
        ("RL401", "assignments.json:18:14", "App Deployer"),
        // dave at sub-3: sub-3 is under `sandbox`, not under `platform`.
        ("RL401", "assignments.json:30:14", "Team Reader"),
        ("RL403", "roles.json:22:17", "Legacy Operator"),
    ];
    let expected: Vec<_> =
        expected.iter().map(|(c, at, r)| ((*c).to_owned(), (*at).to_owned(), (*r).to_owned())).collect();
    let family = tenant_family(&report);
    assert_eq!(rows(family.iter().copied()), expected);
    // The scope string is underlined, quotes included.
    let dave = family[2];
    assert_eq!(dave.diagnostic.snippet(), Some("\"/subscriptions/sub-3\""));
    assert!(dave.message.contains("`dave`"), "{}", dave.message);
    assert_eq!(dave.pointer.as_deref(), Some("/4/scope"));
    assert_eq!(family[3].pointer, None, "roles carry no pointer from the tenant rules");
}

/// The role files of a tenant get every per-role rule, with the findings (spans, pointers, fingerprints) the
/// same file gets when it is linted on its own, under the name the tenant gives it.
#[test]
fn the_tenant_role_files_get_every_rule() {
    let report = lint(TenantLimits::default());
    let roles_file = fixture().join("roles.json");
    let mut alone = Linter::new();
    alone.add_file(&roles_file.display().to_string(), &std::fs::read(&roles_file).unwrap());
    let alone = alone.finish();
    let key = |f: &Finding| {
        (
            f.code,
            f.file.clone(),
            f.line,
            f.column,
            f.end_column,
            f.pointer.clone(),
            f.role.clone(),
            f.fingerprint.clone(),
        )
    };
    let role_rules: Vec<_> = report.findings().iter().filter(|f| !f.code.starts_with("RL4")).map(key).collect();
    let expected: Vec<_> = alone.findings().iter().map(key).collect();
    assert_eq!(role_rules, expected);
    let codes: Vec<&str> = role_rules.iter().map(|k| k.0).collect();
    // RL116 twice: the fixture names its subscriptions `sub-1` and `sub-2`, not GUIDs.
    assert_eq!(codes, ["RL208", "RL210", "RL303", "RL116", "RL116"]);
    assert_eq!(role_rules[0].5.as_deref(), Some("/0/permissions/0/dataActions/0"));
}

/// A fresh copy of the fixture tenant, plus `extra` files.
fn tenant_copy(name: &str, extra: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-lint-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["roles.json", "assignments.json", "hierarchy.json"] {
        std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
    }
    for (file, text) in extra {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

/// Every role file of the directory is linted (not `assignments.json` or `hierarchy.json`), once: load problems
/// come from the tenant load only, rules see the roles of all role files together (duplicate names across
/// them), and built-in role definitions in a tenant export are left alone.
#[test]
fn every_tenant_role_file_is_linted_once() {
    let owner = r#"{"roleName": "Owner", "name": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "roleType": "BuiltInRole",
        "permissions": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}],
        "assignableScopes": ["/"]}"#;
    let more = format!(
        r#"[{owner},
  {{"roleName": "legacy operator", "name": "55555555-5555-5555-5555-555555555555", "roleType": "CustomRole",
   "permissions": [{{"actions": ["Microsoft.Compute/virtualMachines/read "]}}], "assignableScopes": ["/subscriptions/sub-1"]}}
]"#
    );
    let dir = tenant_copy("more-roles", &[("team-roles.json", &more)]);
    let mut linter = Linter::new();
    linter.add_tenant(&dir, &TenantContext::default());
    let report = linter.finish();
    let s = report.summary();
    assert_eq!((s.files, s.roles), (4, 6));
    let in_team: Vec<(&str, usize)> = report
        .findings()
        .iter()
        .filter(|f| f.file.as_deref().is_some_and(|n| n.ends_with("team-roles.json")))
        .map(|f| (f.code, f.line))
        .collect();
    // RL007 (whitespace, a load warning) once; RL110 against `Legacy Operator` of roles.json; RL403 (the role is
    // not assigned); RL116 (`sub-1` is no GUID). Nothing about the built-in Owner (lines 1-3): not RL200 `*`, not
    // RL103 `/`.
    assert_eq!(in_team, [("RL110", 4), ("RL403", 4), ("RL007", 5), ("RL116", 5)], "{:#?}", report.findings());
    let rl110 = report.findings().iter().find(|f| f.code == "RL110").unwrap();
    assert!(rl110.diagnostic.label.as_deref().is_some_and(|l| l.ends_with("/roles.json`")), "{:?}", rl110.diagnostic);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `add_path` after `add_tenant` skips the tenant's files, however the path is spelled, and a file given twice;
/// `add_path` before `add_tenant` gives the same report.
#[test]
fn paths_already_read_are_skipped() {
    let dir = tenant_copy("dedup", &[]);
    let run = |paths: &[PathBuf]| {
        let mut linter = Linter::new();
        linter.add_tenant(&dir, &TenantContext::default());
        let added: Vec<bool> = paths.iter().map(|p| linter.add_path(p)).collect();
        (added, linter.finish().render(OutputFormat::Json))
    };
    let (_, plain) = run(&[]);
    let dotted = dir.join(".").join("roles.json");
    let (added, with_paths) = run(&[dir.join("roles.json"), dotted, dir.join("assignments.json")]);
    assert_eq!(added, [false, false, false]);
    assert_eq!(with_paths, plain);
    let mut linter = Linter::new();
    assert!(linter.add_path(&dir.join("roles.json")));
    linter.add_tenant(&dir, &TenantContext::default());
    assert_eq!(linter.finish().render(OutputFormat::Json), plain);
    // Outside a tenant: the second mention of one file is skipped.
    let mut linter = Linter::new();
    assert!(linter.add_path(&dir.join("roles.json")));
    assert!(!linter.add_path(&dir.join(".").join("roles.json")));
    let report = linter.finish();
    assert_eq!((report.summary().files, report.summary().roles), (1, 4));
    assert!(report.findings().iter().all(|f| f.code != "RL110"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn assignment_limits_are_configurable() {
    let report = lint(TenantLimits { max_assignments_per_subscription: 2, max_assignments_per_management_group: 1 });
    let limits: Vec<_> = summary(&report).into_iter().filter(|(c, _, _)| c == "RL404" || c == "RL405").collect();
    // sub-1 holds alice, carol and frank: frank's is the third, one over the limit of two.
    assert_eq!(limits, vec![("RL404".to_owned(), "assignments.json:42:14".to_owned(), String::new())]);
    let f = report.findings().iter().find(|f| f.code == "RL404").unwrap();
    assert_eq!(f.message, "subscription `sub-1` has 3 role assignments; Azure allows 2");
}

#[test]
fn fingerprints_tell_principals_apart() {
    let report = lint(TenantLimits::default());
    let fps: Vec<&str> = report.findings().iter().map(|f| f.fingerprint.as_str()).collect();
    let mut unique = fps.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), fps.len());
}

#[test]
fn a_missing_directory_is_unreadable() {
    let mut linter = Linter::new();
    linter.add_tenant(Path::new("does/not/exist"), &TenantContext::default());
    let report = linter.finish();
    assert_eq!(report.findings()[0].code, "RL017");
    assert_eq!(rolegate_lint::exit_code(&report, rolegate::Severity::Error), 2);
}

#[test]
fn tenant_report_snapshot() {
    let report = lint(TenantLimits::default());
    let human = report.render(OutputFormat::Human { color: false });
    // The fixture path is machine-specific; the snapshot shows it relative to the crate.
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    insta::assert_snapshot!(human.replace(&root, ""));
}

#[test]
fn limit_fingerprints_follow_the_subscription_not_the_assignment() {
    let dir = std::env::temp_dir().join(format!("rolegate-lint-{}-limits", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["roles.json", "assignments.json", "hierarchy.json"] {
        std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
    }
    let limits = TenantLimits { max_assignments_per_subscription: 2, ..TenantLimits::default() };
    let rl404 = |dir: &Path| {
        let mut linter = Linter::new();
        linter.add_tenant(dir, &TenantContext { limits });
        let report = linter.finish();
        let f = report.findings().iter().find(|f| f.code == "RL404").unwrap();
        (f.fingerprint.clone(), f.line)
    };
    let before = rl404(&dir);
    let text = std::fs::read_to_string(dir.join("assignments.json")).unwrap();
    let extra = r#"[
  {"principalId": "zoe", "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/subscriptions/sub-1/resourceGroups/x"},"#;
    std::fs::write(dir.join("assignments.json"), text.replacen('[', extra, 1)).unwrap();
    let after = rl404(&dir);
    assert_ne!(before.1, after.1, "another assignment is now the first over the limit");
    assert_eq!(before.0, after.0);
}

/// A Terraform assignment linted with `--tenant` may name a role the tenant already has; its findings point into
/// the `.tf` file, and the tenant's own findings are those of the tenant alone.
#[test]
fn a_terraform_assignment_may_name_a_tenant_role() {
    let tf = "resource \"azurerm_role_assignment\" \"deployer\" {\n  scope                = \"/subscriptions/99999999-9999-9999-9999-999999999999\"\n  role_definition_name = \"App Deployer\"\n  principal_id         = \"p\"\n}\n";
    let mut linter = Linter::new();
    linter.add_tenant(&fixture(), &TenantContext::default());
    linter.add_file("main.tf", tf.as_bytes());
    let report = linter.finish();
    let in_tf: Vec<(&str, usize, usize, Option<&str>)> = report
        .findings()
        .iter()
        .filter(|f| f.file.as_deref() == Some("main.tf"))
        .map(|f| (f.code, f.line, f.column, f.role.as_deref()))
        .collect();
    assert_eq!(in_tf, [("RL401", 2, 26, Some("App Deployer"))], "{:#?}", report.findings());
    let others: Vec<&Finding> = report.findings().iter().filter(|f| f.file.as_deref() != Some("main.tf")).collect();
    assert_eq!(rows(others.into_iter()), summary(&lint(TenantLimits::default())));
    // Without the tenant, the role is nowhere: a note, not a finding.
    let mut linter = Linter::new();
    linter.add_file("main.tf", tf.as_bytes());
    assert_eq!(linter.finish().findings().iter().map(|f| f.code).collect::<Vec<_>>(), ["RL311"]);
}
