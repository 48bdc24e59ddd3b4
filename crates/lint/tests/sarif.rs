//! SARIF and GitHub output: the SARIF log validates against the official OASIS SARIF 2.1.0 schema (vendored
//! unmodified in `tests/data/sarif-schema-2.1.0.json`), over inputs that produce every kind of location.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

use rolegate::Severity;
use rolegate_lint::config::TenantLimits;
use rolegate_lint::tenant::TenantContext;
use rolegate_lint::{Config, KnownRules, Linter, OutputFormat, Report, RuleMeta, RuleMetaSource};
use serde_json::Value;

/// Load errors, `RL000` (invalid and empty JSON), an unreadable file (a location without a region), a name
/// that needs percent-encoding, tenant findings, an unused suppression in the config.
fn fixture_report() -> Report {
    let mut linter = Linter::new();
    linter.add_file(
        "roles/team roles.json",
        br#"[
  {"Name": "a", "Actions": ["Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["subscriptions/s1/"]},
  {"Name": "b", "IsCustom": "false", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}
]"#,
    );
    linter.add_file("roles/broken.json", b"{\"Name\": \"x\",}");
    linter.add_file("roles/empty.json", b"");
    linter.add_unreadable("roles/gone.json", &std::io::Error::new(std::io::ErrorKind::NotFound, "not found"));
    // Relative, as users run it: fingerprints hash the file name, so an absolute path would tie the snapshot
    // to one checkout (cargo runs tests from the package root).
    let tenant = Path::new("tests/data/tenant");
    linter.add_tenant(tenant, &TenantContext { limits: TenantLimits::default() });
    let config = Config::parse(
        "role-lint.toml",
        "[severity]\nRL403 = \"note\"\n\n[[suppress]]\ncode = \"RL007\"\nrole = \"nobody\"\nreason = \"stale\"\n",
        &KnownRules,
    )
    .unwrap();
    linter.finish().apply_config(&config)
}

const SCHEMA: &str = include_str!("data/sarif-schema-2.1.0.json");

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

#[test]
fn the_vendored_schema_is_the_official_one() {
    // Unmodified: the errata-01 id and the published size (see tests/data/README.md for the SHA-256).
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    assert_eq!(SCHEMA.len(), 112_768);
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let report = fixture_report();
    let text = report.render(OutputFormat::Sarif);
    let log: Value = serde_json::from_str(&text).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous: a result without a message is refused.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_carries_rules_locations_and_fingerprints() {
    let report = fixture_report();
    let log = report.to_sarif(&KnownRules);
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["name"], "role-lint");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "one rule per code, in code order");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings().len());
    for (r, f) in results.iter().zip(report.findings()) {
        assert_eq!(r["ruleId"], f.code);
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], f.code);
        assert_eq!(r["partialFingerprints"]["roleLint/v1"], f.fingerprint.as_str());
    }
    let by_file = |name: &str| {
        results
            .iter()
            .find(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(name))
            })
            .unwrap()
    };
    let broken = by_file("roles/broken.json");
    assert_eq!(broken["ruleId"], "RL000");
    assert_eq!(broken["level"], "error");
    let region = &broken["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(1), Some(13)));
    // A file that could not be read has a location but no region.
    let gone = by_file("roles/gone.json");
    assert!(gone["locations"][0]["physicalLocation"].get("region").is_none());
    // Relative URIs, percent-encoded, against %SRCROOT%.
    let team = by_file("roles/team%20roles.json");
    assert_eq!(team["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    // The config lowered RL403 to a note; its rule keeps the default level.
    let unassigned = results.iter().find(|r| r["ruleId"] == "RL403").unwrap();
    assert_eq!(unassigned["level"], "note");
    let rl403 = rules.iter().find(|r| r["id"] == "RL403").unwrap();
    assert_eq!(rl403["defaultConfiguration"]["level"], "warning");
    assert!(results.iter().any(|r| r["ruleId"] == "RL502"), "the unused suppression is reported");
    assert_eq!(report.render(OutputFormat::Sarif), fixture_report().render(OutputFormat::Sarif), "deterministic");
}

#[test]
fn github_annotations() {
    let report = fixture_report();
    let out = report.render(OutputFormat::Github);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), report.findings().len());
    assert!(lines.contains(
        &"::error file=roles/broken.json,line=1,col=13,endLine=1,endColumn=13,title=RL000 invalid-json::invalid JSON: \
          trailing comma%0Ahelp: remove the comma after the last element; JSON does not allow trailing commas"
    ), "{out}");
    assert!(lines.iter().any(|l| l.starts_with("::error file=roles/gone.json,title=RL017 unreadable::")), "{out}");
    assert!(lines.iter().any(|l| l.starts_with("::notice file=") && l.contains("title=RL403 unassigned-custom-role")));
    for l in &lines {
        assert!(l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "), "{l}");
    }
}

#[test]
fn sarif_and_github_snapshots() {
    // Paths are relative to the crate directory, where cargo runs tests, so the snapshots hold on any machine.
    let report = fixture_report();
    insta::assert_snapshot!("sarif", report.render(OutputFormat::Sarif));
    insta::assert_snapshot!("github", report.render(OutputFormat::Github));
}

/// A rule registry plugs in by implementing `RuleMetaSource` and being chained in front of `KnownRules`.
struct Registry;

impl RuleMetaSource for Registry {
    fn rule_meta(&self, code: &str) -> Option<RuleMeta> {
        self.all_rules().into_iter().find(|m| m.code.eq_ignore_ascii_case(code))
    }

    fn all_rules(&self) -> Vec<RuleMeta> {
        vec![RuleMeta {
            code: "RL007",
            name: "action-whitespace",
            default_severity: Severity::Warning,
            tags: &["hygiene"],
            summary: "Whitespace around an action.",
            help: "From the registry.",
        }]
    }
}

#[test]
fn rule_metadata_comes_from_any_source() {
    let report = fixture_report();
    let log = report.to_sarif(&(Registry, KnownRules));
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rl007 = rules.iter().find(|r| r["id"] == "RL007").unwrap();
    assert_eq!(rl007["help"]["text"], "From the registry.");
    assert_eq!(rl007["properties"]["tags"][0], "hygiene");
    // Codes nobody describes still get a rule entry (from the finding), so the log stays valid.
    struct Nobody;
    impl RuleMetaSource for Nobody {
        fn rule_meta(&self, _: &str) -> Option<RuleMeta> {
            None
        }
        fn all_rules(&self) -> Vec<RuleMeta> {
            Vec::new()
        }
    }
    let bare = report.to_sarif(&Nobody);
    assert!(sarif_validator().is_valid(&bare));
    assert_eq!(bare["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"]["text"], "invalid-json");
    // Config validation asks the same source: a registry code becomes configurable.
    assert!(Config::parse("c.toml", "[severity]\nRL007 = \"error\"\n", &(Registry, KnownRules)).is_ok());
    assert!(Config::parse("c.toml", "[severity]\nRL007 = \"error\"\n", &Nobody).is_err());
}
