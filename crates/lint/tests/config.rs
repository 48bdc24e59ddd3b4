//! Config and baseline applied to a report (the library side of `--config` and `--baseline`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use rolegate::Severity;
use rolegate_lint::{Baseline, Config, KnownRules, Linter, OutputFormat, Report, exit_code};

/// Two roles, each with a padded action (`RL007`), one also with a non-canonical scope (`RL009`); real operations,
/// so that no lint rule adds findings.
fn report() -> Report {
    let mut linter = Linter::new();
    linter.add_file(
        "roles.json",
        br#"[
  {"Name": "A", "Actions": ["Microsoft.Compute/virtualMachines/read ", " Microsoft.Network/virtualNetworks/read"], "AssignableScopes": ["subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"]},
  {"Name": "B", "Actions": ["Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"]}
]"#,
    );
    linter.finish()
}

fn config(text: &str) -> Config {
    Config::parse("role-lint.toml", text, &KnownRules).unwrap()
}

fn codes(report: &Report) -> Vec<(&'static str, String, Severity)> {
    report.findings().iter().map(|f| (f.code, f.role.clone().unwrap_or_default(), f.severity)).collect()
}

#[test]
fn severity_overrides_change_findings_and_rendering() {
    let r = report().apply_config(&config("[severity]\nRL007 = \"error\"\nnoncanonical-scope = \"allow\"\n"));
    assert_eq!(
        codes(&r),
        [
            ("RL007", "A".to_owned(), Severity::Error),
            ("RL007", "A".to_owned(), Severity::Error),
            ("RL007", "B".to_owned(), Severity::Error)
        ]
    );
    assert_eq!((r.summary().errors, r.summary().warnings, r.summary().suppressed), (3, 0, Some(0)));
    assert_eq!(exit_code(&r, Severity::Error), 1);
    // The rendered diagnostic follows the override.
    assert!(r.render(OutputFormat::Human { color: false }).contains("× whitespace around action"));
}

#[test]
fn suppressions_match_code_and_role_and_unused_ones_are_reported() {
    let text = "[[suppress]]\ncode = \"RL007\"\nrole = \"a\"\nreason = \"known\"\n\n\
                [[suppress]]\ncode = \"RL009\"\nrole = \"B\"\nreason = \"B has no such finding\"\n";
    let r = report().apply_config(&config(text));
    assert_eq!(r.summary().suppressed, Some(2));
    let found: Vec<_> = r.findings().iter().map(|f| (f.code, f.file.clone().unwrap(), f.line)).collect();
    assert_eq!(
        found,
        [
            ("RL502", "role-lint.toml".to_owned(), 6),
            ("RL009", "roles.json".to_owned(), 2),
            ("RL007", "roles.json".to_owned(), 3)
        ]
    );
    // The unused-suppression warning can itself be configured.
    let quiet = report().apply_config(&config(&format!("{text}\n[severity]\nRL502 = \"allow\"\n")));
    assert!(quiet.findings().iter().all(|f| f.code != "RL502"));
}

#[test]
fn baseline_absorbs_one_finding_per_entry() {
    let before = report();
    let json = before.render(OutputFormat::Json);
    let baseline = Baseline::parse("old.json", json.as_bytes()).unwrap();
    assert_eq!(baseline.len(), 4);
    let same = report().apply_baseline(&baseline);
    assert!(same.findings().is_empty());
    assert_eq!(same.summary().baselined, Some(4));
    // B's padded action is fingerprinted like A's first one except for the role; a third copy in A is new.
    let mut linter = Linter::new();
    linter.add_file(
        "roles.json",
        br#"[
  {"Name": "A", "Actions": ["Microsoft.Compute/virtualMachines/read ", " Microsoft.Network/virtualNetworks/read", "Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"]},
  {"Name": "B", "Actions": ["Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"]}
]"#,
    );
    let after = linter.finish().apply_baseline(&baseline);
    let new: Vec<_> = after.findings().iter().map(|f| (f.code, f.role.clone().unwrap(), f.column)).collect();
    // The third copy is new twice: padded (`RL007`) and a duplicate entry (a lint rule).
    assert_eq!(new, [("RL306", "A".to_owned(), 115), ("RL007", "A".to_owned(), 154)]);
    assert!(after.render(OutputFormat::Human { color: false }).contains("; 4 baselined not shown"));
    let v: serde_json::Value = serde_json::from_str(&after.render(OutputFormat::Json)).unwrap();
    assert_eq!(v["summary"]["baselined"], 4);
    assert!(v["summary"].get("suppressed").is_none());
}

#[test]
fn baselines_must_be_json_reports() {
    for bad in [&b"not json"[..], b"[]", b"{\"version\": 2, \"findings\": []}", b"{\"version\": 1, \"findings\": [{}]}"]
    {
        let ds = Baseline::parse("old.json", bad).unwrap_err();
        assert_eq!(ds[0].code.id, "RL503", "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn sensitive_operations_are_exposed_for_the_rules() {
    let c = config("[sensitive]\ncredential-exposure = [\"A.B/c/listKeys/action\"]\ncode-execution = []\n");
    assert_eq!(c.sensitive["credential-exposure"], ["A.B/c/listKeys/action"]);
    assert!(c.sensitive["code-execution"].is_empty());
    let err = Config::parse("role-lint.toml", "[sensitive]\nx = [\"\"]\n", &KnownRules).unwrap_err();
    assert_eq!(err[0].code.id, "RL500");
}

proptest::proptest! {
    /// Any text is either a config or a list of diagnostics inside the file: never a panic, never a span past
    /// the end.
    #[test]
    fn config_parsing_never_panics(text in "(\\[\\[?[a-z]{0,9}\\]?\\]?|[A-Za-z0-9_-]{0,8} ?= ?|\"[^\"\\n]{0,8}\"?|\\n|[ ,\\[\\]{}#]){0,24}") {
        match Config::parse("role-lint.toml", &text, &KnownRules) {
            Ok(config) => {
                for s in &config.suppressions {
                    proptest::prop_assert!(!s.reason.trim().is_empty());
                    proptest::prop_assert!(s.span.end <= text.len());
                }
            }
            Err(ds) => {
                proptest::prop_assert!(!ds.is_empty());
                for d in &ds {
                    proptest::prop_assert!(d.help.is_some());
                    if let Some(span) = d.span {
                        proptest::prop_assert!(span.end <= text.len());
                    }
                }
            }
        }
    }
}

/// Every key of the README's example, accepted by the parser and by the schema's type alike.
const FULL_EXAMPLE: &str = r#"
[severity]
RL007 = "error"
unassigned-custom-role = "allow"

[sensitive]
credential-exposure = ["Contoso.Vault/vaults/secrets/export/action"]

[[suppress]]
code = "RL403"
role = "Legacy Operator"
reason = "break-glass role, reviewed 2026-05 (SEC-114)"

[tenant]
max-assignments-per-subscription = 4000
max-assignments-per-management-group = 500
"#;

#[test]
fn the_schema_and_the_parser_agree_on_the_example() {
    assert!(Config::parse("role-lint.toml", FULL_EXAMPLE, &KnownRules).is_ok());
    assert!(toml::from_str::<rolegate_lint::config::schema::ConfigFile>(FULL_EXAMPLE).is_ok());
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let example = FULL_EXAMPLE.trim().lines().filter(|l| !l.is_empty()).collect::<Vec<_>>();
    let in_readme = readme.lines().map(|l| l.split(" #").next().unwrap_or(l).trim_end()).collect::<Vec<_>>();
    for line in example {
        assert!(in_readme.contains(&line), "README's config example lacks `{line}`");
    }
}

#[test]
fn committed_config_schema_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/role-lint.schema.json");
    let text = serde_json::to_string_pretty(&rolegate_lint::config::schema::schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        Some(text.as_str()),
        "stale schemas/role-lint.schema.json: run `UPDATE_SCHEMAS=1 cargo test -p rolegate-lint --test config`"
    );
}

// Config::parse's own cases live here rather than in the module, so that `config` imports nothing above it.
fn errors(text: &str) -> Vec<(String, String)> {
    let Err(ds) = Config::parse("role-lint.toml", text, &KnownRules) else { panic!("accepted: {text}") };
    ds.iter().map(|d| (d.code.id.to_owned(), d.snippet().unwrap_or_default().to_owned())).collect()
}

#[test]
fn parses_every_section() {
    let text = r#"
[severity]
RL007 = "error"
unused-suppression = "allow"
RL403 = "note"

[sensitive]
credential-exposure = ["Contoso.Vault/vaults/secrets/export/action"]

[[suppress]]
code = "action-whitespace"
role = "Network Reader"
reason = "fixed upstream"

[tenant]
max-assignments-per-subscription = 5000
"#;
    let c = Config::parse("role-lint.toml", text, &KnownRules).unwrap();
    assert_eq!(c.severity.get("RL007"), Some(&Some(Severity::Error)));
    assert_eq!(c.severity.get("RL502"), Some(&None));
    assert_eq!(c.severity.get("RL403"), Some(&Some(Severity::Note)));
    assert_eq!(c.disabled_rules().collect::<Vec<_>>(), ["RL502"]);
    assert_eq!(c.sensitive["credential-exposure"], vec!["Contoso.Vault/vaults/secrets/export/action"]);
    assert_eq!(c.suppressions.len(), 1);
    assert_eq!((c.suppressions[0].code, c.suppressions[0].reason.as_str()), ("RL007", "fixed upstream"));
    let src = c.source.as_ref().unwrap();
    assert!(src.slice(c.suppressions[0].span).contains("role = \"Network Reader\""));
    assert_eq!(c.tenant.max_assignments_per_subscription, 5000);
    assert_eq!(c.tenant.max_assignments_per_management_group, 500);
}

#[test]
fn rejects_what_it_cannot_honour() {
    let missing = errors("[[suppress]]\ncode = \"RL007\"\nrole = \"r\"\n");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].0, "RL501");
    assert!(missing[0].1.contains("role = \"r\""), "{missing:?}");
    assert_eq!(
        errors("[[suppress]]\ncode = \"RL007\"\nrole = \"r\"\nreason = \"  \"\n"),
        vec![("RL501".to_owned(), "\"  \"".to_owned())]
    );
    assert_eq!(errors("[severity]\nRL999 = \"error\"\n"), vec![("RL500".to_owned(), "RL999".to_owned())]);
    assert_eq!(errors("[severity]\nRL000 = \"allow\"\n"), vec![("RL500".to_owned(), "RL000".to_owned())]);
    assert_eq!(errors("[severity]\nRL007 = \"fatal\"\n"), vec![("RL500".to_owned(), "\"fatal\"".to_owned())]);
    assert_eq!(errors("[tenant]\nmax-assignments-per-subscription = 0\n")[0].1, "0");
    let unknown = errors("[severty]\nRL007 = \"error\"\n");
    assert_eq!(unknown[0].0, "RL500");
    assert!(unknown[0].1.contains("severty"), "{unknown:?}");
    assert_eq!(errors("[severity\n")[0].0, "RL500");
}
