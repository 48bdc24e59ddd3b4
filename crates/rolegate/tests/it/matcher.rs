//! The production matcher against the plain reference, the semantics §2.4 cases, and the real catalog.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use rolegate::action::{ActionPattern, parse_action};
use rolegate::matcher::{Pattern, matches};

use crate::reference_matcher::reference_matches;

/// Where the reference data lives, relative to the crate's manifest directory.
const DATA_DIR: &str = "../../roles";

fn data_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DATA_DIR).join(name)
}

fn catalog_operations() -> Vec<String> {
    let text = std::fs::read_to_string(data_file("operations.tsv")).expect("operation catalog");
    text.lines().skip(1).filter_map(|l| l.split('\t').next()).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Every action string of every built-in role, in file order, de-duplicated.
fn builtin_action_strings() -> Vec<String> {
    let text = std::fs::read_to_string(data_file("builtin-roles.json")).expect("built-in roles");
    let roles: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for role in roles.as_array().unwrap() {
        for perm in role["permissions"].as_array().unwrap() {
            for key in ["actions", "notActions", "dataActions", "notDataActions"] {
                for a in perm[key].as_array().unwrap() {
                    let a = a.as_str().unwrap();
                    if seen.insert(a.to_owned()) {
                        out.push(a.to_owned());
                    }
                }
            }
        }
    }
    out
}

#[track_caller]
fn yes(pattern: &str, op: &str) {
    assert!(Pattern::new(pattern).matches(op), "{pattern:?} should match {op:?}");
    assert!(reference_matches(pattern, op), "reference: {pattern:?} should match {op:?}");
}

#[track_caller]
fn no(pattern: &str, op: &str) {
    assert!(!Pattern::new(pattern).matches(op), "{pattern:?} should not match {op:?}");
    assert!(!reference_matches(pattern, op), "reference: {pattern:?} should not match {op:?}");
}

#[test]
fn spec_examples() {
    yes("*/read", "Microsoft.Compute/virtualMachines/read");
    yes("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/roleAssignments/delete");
    yes("workspaces/*/read", "workspaces/read");
    yes("Microsoft.Compute/*", "Microsoft.Compute/virtualMachines/start/action");
    yes("Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/subnets/read");
    yes("microsoft.web/sites/restart/Action", "Microsoft.Web/sites/restart/action");
    no("*/read", "Microsoft.Compute/virtualMachines/write");
}

#[test]
fn online_endpoints_star_action() {
    let p = Pattern::new("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action");
    for op in ["listkeys", "token", "regeneratekeys", "score"] {
        let op = format!("microsoft.machinelearningservices/workspaces/onlineendpoints/{op}/action");
        assert!(p.matches(&op), "{op}");
    }
    assert!(p.matches("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/action"));
    assert!(!p.matches("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read"));
}

#[test]
fn slash_is_literal_next_to_a_star() {
    no("Microsoft.Network/*", "Microsoft.NetworkFunction/x/read");
    yes("Microsoft.Network*", "Microsoft.NetworkFunction/x/read");
    yes("Microsoft.Network/*", "Microsoft.Network/x/read");
    no("a/*/b", "a/x");
    no("a/*/b", "ab");
    no("a/*/b", "a//");
    yes("a/*/b", "a//b");
}

#[test]
fn collapse_with_several_stars() {
    yes("a/*/*/b", "a/b");
    yes("a/*/*/b", "a/x/b");
    yes("a/*/x/*/b", "a/x/b");
    no("a/**/b", "a/b");
    yes("Microsoft.CostManagement/*/query/*", "Microsoft.CostManagement/query/x");
    yes("*a*b*", "xxaxxbxx");
    no("*a*b*", "xxbxxaxx");
}

#[test]
fn lone_star_matches_everything() {
    for op in ["", "a", "Microsoft.Storage/storageAccounts/read", "/", "ſ", "*"] {
        yes("*", op);
    }
}

#[test]
fn glob_metacharacters_are_literal() {
    yes("a?c", "a?c");
    no("a?c", "abc");
    yes("[a]", "[A]");
    no("[a]", "a");
    yes("Microsoft.ApiManagement/service/{x}/read", "microsoft.apimanagement/service/{X}/read");
    no("Microsoft.ApiManagement/service/{x}/read", "Microsoft.ApiManagement/service/x/read");
    no("a{b,c}", "ab");
    yes("routing/$testall/Action", "routing/$TESTALL/action");
    no("a\\*", "ab");
    yes("a\\*", "a\\b");
    yes("analyzers:analyze/action", "ANALYZERS:ANALYZE/ACTION");
    no("a.c", "abc");
    no("a+", "aa");
}

#[test]
fn case_folding_is_ascii_only() {
    no("Microſoft.Storage/*", "Microsoft.Storage/x");
    no("Microsoft.Storage/*", "Microſoft.Storage/x");
    no("MICROſOFT", "MICROSOFT");
    no("k", "\u{212a}");
    no("\u{212a}", "k");
    no("\u{212a}", "K");
    yes("\u{212a}", "\u{212a}");
    no("é", "É");
    yes("*ſ*", "aſb");
}

#[test]
fn anchored_at_both_ends() {
    no("storageAccounts/read", "Microsoft.Storage/storageAccounts/read");
    no("Microsoft.Storage/storageAccounts", "Microsoft.Storage/storageAccounts/read");
    no("rg1", "rg10");
    no("rg10", "rg1");
    no("Microsoft.Storage/storageAccounts/rea", "Microsoft.Storage/storageAccounts/read");
    no("*/rea", "Microsoft.Storage/storageAccounts/read");
    no("", "a");
    yes("", "");
}

#[test]
fn convenience_function_agrees() {
    assert!(matches("*/read", "a/read"));
    assert!(!matches("*/read", "a/write"));
}

#[test]
fn every_catalog_operation_matches_itself() {
    let ops = catalog_operations();
    assert!(ops.len() > 20_000, "catalog has {} operations", ops.len());
    let star = Pattern::new("*");
    for op in &ops {
        let p = Pattern::new(op);
        assert!(p.matches(op), "{op}");
        assert!(p.matches(&op.to_ascii_uppercase()), "{op}");
        assert!(p.matches(&op.to_ascii_lowercase()), "{op}");
        assert!(Pattern::new(&op.to_ascii_uppercase()).matches(op), "{op}");
        assert!(star.matches(op), "{op}");
    }
}

#[test]
fn every_builtin_action_parses() {
    let actions = builtin_action_strings();
    assert!(actions.len() > 5_000, "{} action strings", actions.len());
    let mut trimmed = Vec::new();
    for raw in &actions {
        match parse_action(raw) {
            ActionPattern::Valid { trimmed: true, pattern } => trimmed.push(pattern.as_str().to_owned()),
            ActionPattern::Valid { trimmed: false, pattern } => assert_eq!(pattern.as_str(), raw),
            ActionPattern::Malformed { problem, at, .. } => panic!("{raw:?}: {problem} at {at}"),
        }
    }
    assert_eq!(trimmed, ["Microsoft.Network/virtualNetworks/read"]);
}

/// Production and reference agree on every catalog operation for a deterministic sample of the built-in
/// roles' wildcard patterns, always including the ones semantics §2.4 discusses.
#[test]
fn builtin_patterns_agree_with_reference_on_the_catalog() {
    let ops = catalog_operations();
    let wildcards: Vec<String> = builtin_action_strings().into_iter().filter(|a| a.contains('*')).collect();
    let must = [
        "*",
        "*/read",
        "Microsoft.Authorization/*/Delete",
        "Microsoft.MachineLearningServices/workspaces/*/action",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action",
        "Microsoft.KeyVault/vaults/*/read",
        "Microsoft.Network/*",
        "Microsoft.CognitiveServices/accounts/Face/*/sessions/action",
    ];
    let mut sample: Vec<String> = must.iter().map(|s| (*s).to_owned()).collect();
    let step = (wildcards.len() / 24).max(1);
    sample.extend(wildcards.iter().step_by(step).cloned());
    let mut total_matches = 0usize;
    for pattern in &sample {
        let compiled = Pattern::new(pattern.trim());
        for op in &ops {
            let got = compiled.matches(op);
            assert_eq!(got, reference_matches(pattern.trim(), op), "{pattern:?} vs {op:?}");
            total_matches += usize::from(got);
        }
    }
    assert!(total_matches > ops.len() + 5_000, "only {total_matches} matches; the sample is too narrow");
}

/// Small vocabulary so that generated patterns and operations share material and match often.
const VOCAB: &[&str] = &[
    "Microsoft.Storage",
    "microsoft.storage",
    "MICROSOFT.STORAGE",
    "a",
    "A",
    "read",
    "READ",
    "write",
    "action",
    "listKeys",
    "listkeys",
    "/",
    "/",
    "/",
    "ſ",
    "K",
    "k",
    "\u{212a}",
    ":",
    "{x}",
    "$",
    "?",
    "[",
    "]",
    "\\",
    ".",
];

fn op_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCAB), 0..7).prop_map(|parts| parts.concat())
}

fn pattern_strategy() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        6 => prop::sample::select(VOCAB).prop_map(str::to_owned),
        2 => Just("*".to_owned()),
        2 => Just("/*/".to_owned()),
    ];
    prop::collection::vec(token, 0..6).prop_map(|parts| parts.concat())
}

/// A pattern together with an operation that is often, but not always, matched by it: the operation is either
/// independent or built from the pattern by filling each star with vocabulary (or nothing, or collapsing `/*/`).
fn case_strategy() -> impl Strategy<Value = (String, String)> {
    let independent = (pattern_strategy(), op_strategy());
    let derived = (pattern_strategy(), prop::collection::vec(op_strategy(), 8), any::<bool>(), any::<bool>()).prop_map(
        |(p, fills, collapse, upper)| {
            let p_collapsed = if collapse { p.replacen("/*/", "/", 1) } else { p.clone() };
            let mut op = String::new();
            for (i, piece) in p_collapsed.split('*').enumerate() {
                if i > 0 {
                    op.push_str(&fills[i % fills.len()]);
                }
                op.push_str(piece);
            }
            let op = if upper { op.to_ascii_uppercase() } else { op };
            (p, op)
        },
    );
    prop_oneof![1 => independent, 2 => derived]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn production_agrees_with_reference((pattern, op) in case_strategy()) {
        let got = Pattern::new(&pattern).matches(&op);
        prop_assert_eq!(got, reference_matches(&pattern, &op), "pattern {:?} op {:?}", pattern, op);
    }
}

/// Runs the agreement property in-process and checks the generated cases are not trivially all-false.
#[test]
fn agreement_cases_match_often() {
    let mut runner =
        proptest::test_runner::TestRunner::new(ProptestConfig { cases: 2_000, ..ProptestConfig::default() });
    let matched = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    runner
        .run(&case_strategy(), |(pattern, op)| {
            let got = Pattern::new(&pattern).matches(&op);
            prop_assert_eq!(got, reference_matches(&pattern, &op));
            total.fetch_add(1, Ordering::Relaxed);
            matched.fetch_add(usize::from(got), Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    let (matched, total) = (matched.into_inner(), total.into_inner());
    assert!(matched * 5 >= total, "only {matched} of {total} generated cases match");
    assert!(matched * 10 <= total * 9, "{matched} of {total} generated cases match; non-matches are too rare");
}

#[test]
fn adjacent_stars_and_literal_star_in_operation() {
    for (p, o) in
        [("**/*/", "/*/"), ("**/*/", "//"), ("**/*/", "/"), ("a/**/b", "a/b"), ("*/*/.", "/."), ("*/*/.", "x/.")]
    {
        assert_eq!(Pattern::new(p).matches(o), reference_matches(p, o), "{p} vs {o}");
    }
    assert!(Pattern::new("**/*/").matches("/*/"));
}

/// Every string over a small alphabet up to length 6: `z` is a character no generated pattern contains, `B`
/// tests case folding.
///
/// Six is enough for patterns of at most four characters to make the brute force exact: a shortest common
/// word of two patterns is at most as long as a star-free pattern, or the literals of both (at most 3 + 3) when
/// both have a star; a shortest word of `b` that `a` misses fills each star of `b` with nothing or one `z`, so it
/// is at most four long.
fn small_words() -> &'static [String] {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for w in &frontier {
                for c in ['a', 'B', '/', 'z'] {
                    next.push(format!("{w}{c}"));
                }
            }
            words.extend(next.iter().cloned());
            frontier = next;
        }
        words
    })
}

fn small_pattern() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just('a'), Just('b'), Just('/'), Just('*')], 0..5)
        .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn covers_agrees_with_brute_force(a in small_pattern(), b in small_pattern()) {
        let (pa, pb) = (Pattern::new(&a), Pattern::new(&b));
        let brute = small_words().iter().all(|w| !pb.matches(w) || pa.matches(w));
        prop_assert_eq!(pa.covers(&pb), brute, "{:?} covers {:?}", a, b);
    }

    #[test]
    fn intersects_agrees_with_brute_force(a in small_pattern(), b in small_pattern()) {
        let (pa, pb) = (Pattern::new(&a), Pattern::new(&b));
        let brute = small_words().iter().any(|w| pb.matches(w) && pa.matches(w));
        prop_assert_eq!(pa.intersects(&pb), brute, "{:?} intersects {:?}", a, b);
        prop_assert_eq!(pb.intersects(&pa), brute);
    }
}

#[test]
fn covers_and_intersects_on_real_patterns() {
    let p = |s: &str| Pattern::new(s);
    assert!(p("*").covers(&p("Microsoft.Compute/*")));
    assert!(p("Microsoft.Authorization/*").covers(&p("microsoft.authorization/roleAssignments/write")));
    assert!(p("Microsoft.Authorization/*/Write").covers(&p("Microsoft.Authorization/roleAssignments/write")));
    assert!(!p("Microsoft.Authorization/*/Write").covers(&p("Microsoft.Authorization/*")));
    // `/*/` may be one `/`: `workspaces/*/read` covers `workspaces/read`, and `*/read` covers both.
    assert!(p("Microsoft.X/workspaces/*/read").covers(&p("Microsoft.X/workspaces/read")));
    assert!(p("*/read").covers(&p("Microsoft.X/workspaces/*/read")));
    assert!(!p("Microsoft.X/workspaces/*/read").covers(&p("Microsoft.X/*/read")));
    assert!(p("Microsoft.X/*/read").intersects(&p("*/workspaces/*")));
    assert!(!p("Microsoft.X/*/read").intersects(&p("Microsoft.Y/*")));
    assert!(!p("Microsoft.Compute/*").intersects(&p("Microsoft.Blueprint/blueprintAssignments/write")));
}
