//! The 928 built-in roles through every rule, the expansion of every wildcard they contain, and the scoring
//! role against another catalog. The snapshots make any change of behaviour visible in review.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use rolegate::catalog::Catalog;
use rolegate::matcher::Pattern;
use rolegate_lint::{CatalogIndex, Finding, LintOptions, Linter, Plane, Report};

fn lint_builtins() -> Report {
    let mut linter = Linter::new();
    linter.add_file(rolegate::builtin::ROLES_FILE, rolegate::builtin::ROLES_JSON.as_bytes());
    linter.finish()
}

fn find<'r>(report: &'r Report, code: &str, role: &str) -> Vec<&'r Finding> {
    report.findings().iter().filter(|f| f.code == code && f.role.as_deref() == Some(role)).collect()
}

#[test]
fn builtin_corpus() {
    let report = lint_builtins();
    assert_eq!(report.summary().roles, 928);

    // "Azure would reject it" applies to custom roles only.
    let rejected: Vec<_> = report.findings().iter().filter(|f| f.code.starts_with("RL1")).collect();
    assert!(rejected.is_empty(), "{rejected:#?}");

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.findings() {
        *counts.entry(f.code).or_default() += 1;
    }
    let mut text = String::new();
    for (code, n) in &counts {
        let name = rolegate_lint::find_rule(code).map_or("(load)", |r| r.name);
        writeln!(text, "{code} {name}: {n}").unwrap();
    }
    insta::assert_snapshot!("builtin_rule_counts", text);

    // The data README counts 255 exact entries without a same-plane catalog match; two of them are the
    // untrimmed `"Microsoft.Network/virtualNetworks/read "`, which the loader trims (RL007) and the catalog has.
    assert_eq!(counts.get("RL300"), Some(&253));
    assert_eq!(counts.get("RL302"), Some(&4), "four built-in roles are empty");

    // Every catalog and hygiene finding on a built-in, one per line.
    let mut listed = String::new();
    for f in report.findings().iter().filter(|f| f.code.starts_with("RL3")) {
        writeln!(listed, "{} {} {} | {}", f.code, f.role.as_deref().unwrap(), f.pointer.as_deref().unwrap(), f.message)
            .unwrap();
    }
    insta::assert_snapshot!("builtin_catalog_and_hygiene_findings", listed);
}

#[test]
fn escalation_is_decided_on_the_effective_permission() {
    let report = lint_builtins();
    let escalation_ops = |role: &str| -> BTreeSet<String> {
        find(&report, "RL203", role).iter().flat_map(|f| f.operations.iter().map(|o| o.to_ascii_lowercase())).collect()
    };
    let ra = "microsoft.authorization/roleassignments/write";
    // Contributor: `*` minus `Microsoft.Authorization/*/Write` does not reach roleAssignments/write.
    assert!(!escalation_ops("Contributor").contains(ra));
    assert!(escalation_ops("Owner").contains(ra));
    // User Access Administrator: `Microsoft.Authorization/*` keeps it.
    assert!(escalation_ops("User Access Administrator").contains(ra));
    assert!(escalation_ops("Reader").is_empty());
}

#[test]
fn builtin_wildcard_expansions() {
    let roles = &rolegate::builtin::roles().value;
    let mut patterns: BTreeMap<(String, Plane), String> = BTreeMap::new();
    for role in roles {
        for p in &role.permissions {
            for (plane, lists) in
                [(Plane::Control, [&p.actions, &p.not_actions]), (Plane::Data, [&p.data_actions, &p.not_data_actions])]
            {
                for a in lists.iter().flat_map(|l| l.items()) {
                    if let Some(pat) = a.pattern().filter(|p| !p.is_exact()) {
                        patterns
                            .entry((pat.as_str().to_ascii_lowercase(), plane))
                            .or_insert_with(|| pat.as_str().to_owned());
                    }
                }
            }
        }
    }
    let index = CatalogIndex::new(Catalog::builtin());
    let mut text = String::new();
    for ((_, plane), pattern) in &patterns {
        let ops = index.expand(&Pattern::new(pattern), *plane);
        let first: Vec<&str> = ops.iter().take(3).map(|&i| index.name(i)).collect();
        let plane = if *plane == Plane::Control { "control" } else { "data" };
        writeln!(text, "{pattern} [{plane}] {}: {}", ops.len(), first.join(" ")).unwrap();
    }
    assert!(patterns.len() > 500, "{}", patterns.len());
    insta::assert_snapshot!("builtin_wildcard_expansions", text);
}

const SCORING: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action";

/// The scoring role's expansion follows whatever catalog it is given: nothing about it is hard-coded.
#[test]
fn scoring_role_follows_the_catalog() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/operations-small.json");
    let bytes = std::fs::read(path).unwrap();
    let loaded = rolegate::load::load_operation_list("operations-small.json", &bytes, Some("2030-01-02".into()));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let catalog = loaded.value;
    let names: Vec<String> = catalog.operations().iter().map(|o| o.name.to_ascii_lowercase()).collect();
    let catalog_lacks = |op: &str| !names.contains(&op.to_ascii_lowercase());

    // What the wildcard must expand to, read from the fixture independently of the linter: control-plane
    // operations under `onlineEndpoints/` ending in `/action`.
    let prefix = "microsoft.machinelearningservices/workspaces/onlineendpoints/";
    let mut expected: Vec<String> = catalog
        .operations()
        .iter()
        .filter(|op| !op.is_data_action)
        .filter(|op| {
            op.name.to_ascii_lowercase().starts_with(prefix) && op.name.to_ascii_lowercase().ends_with("/action")
        })
        .map(|op| op.name.clone())
        .collect();
    expected.sort_by_key(|s| s.to_ascii_lowercase());
    assert_eq!(expected.len(), 3, "fixture: score, listKeys, deployments/trace");

    let options = LintOptions { catalog: Some(Arc::new(catalog)), ..LintOptions::default() };
    let mut linter = Linter::with_options(options);
    let text = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../roles/examples/custom-role-for-scoring.json"))
        .unwrap();
    linter.add_file("custom-role-for-scoring.json", &text);
    let report = linter.finish();
    let f = report.findings().iter().find(|f| f.code == "RL202").expect("RL202 against the small catalog");
    // The catalog's expansion first; then sensitive operations of `roles/sensitive-operations.json` that this
    // catalog lacks but the pattern reaches by name (a stale catalog must not hide them).
    assert_eq!(f.operations[..expected.len()], expected[..]);
    let sensitive = rolegate_lint::SensitiveSets::new(&[]);
    for extra in &f.operations[expected.len()..] {
        assert!(
            catalog_lacks(extra) && Pattern::new(SCORING).matches(extra) && sensitive.categories(extra) != 0,
            "{extra}"
        );
    }
    let flagged = f.operations.iter().filter(|o| sensitive.categories(o) != 0).count();
    assert!(
        f.message.contains(&format!("{} operations, {flagged} of them sensitive", f.operations.len())),
        "{}",
        f.message
    );
    let keep: Vec<&String> = expected.iter().filter(|o| !o.to_ascii_lowercase().contains("listkeys")).collect();
    let help = f.help.as_deref().unwrap();
    assert!(help.contains(&serde_json::to_string(&keep).unwrap().replace("\",\"", "\", \"")), "{help}");
    assert!(help.contains("catalog of 2030-01-02"), "{help}");
    // The shipped catalog's extra operations (regenerateKeys, token, getlogs) are not in this one.
    assert!(!f.operations.iter().any(|o| o.to_ascii_lowercase().contains("getlogs")));
    // The data action of the fixture is not granted by `Actions`.
    assert!(!f.operations.iter().any(|o| o.to_ascii_lowercase().contains("invoke")));
}
