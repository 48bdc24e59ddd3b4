//! The tenant family (`RL4xx`) over a small fixture tenant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use rolegate_lint::config::TenantLimits;
use rolegate_lint::tenant::TenantContext;
use rolegate_lint::{Linter, OutputFormat, Report};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tenant")
}

fn lint(limits: TenantLimits) -> Report {
    let mut linter = Linter::new();
    linter.add_tenant(&fixture(), &TenantContext { limits });
    linter.finish()
}

fn summary(report: &Report) -> Vec<(String, String, String)> {
    report
        .findings()
        .iter()
        .map(|f| {
            let file = Path::new(f.file.as_deref().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            (f.code.to_owned(), format!("{file}:{}:{}", f.line, f.column), f.role.clone().unwrap_or_default())
        })
        .collect()
}

#[test]
fn tenant_rules_point_at_the_assignment() {
    let report = lint(TenantLimits::default());
    let s = report.summary();
    assert_eq!((s.files, s.roles, s.errors, s.warnings), (3, 4, 3, 1));
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
    assert_eq!(summary(&report), expected);
    // The scope string is underlined, quotes included.
    let dave = &report.findings()[2];
    assert_eq!(dave.diagnostic.snippet(), Some("\"/subscriptions/sub-3\""));
    assert!(dave.message.contains("`dave`"), "{}", dave.message);
    assert_eq!(dave.pointer.as_deref(), Some("/4/scope"));
    assert_eq!(report.findings()[3].pointer, None, "roles carry no pointer from the tenant rules");
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
