//! The generator's file of distinct queries (`gen_tenant --distinct N`, through the same `distinct_queries` and
//! `jsonl`) and `rolegate bench` over it beside the repeating mix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

// The generator refers to the reference evaluator's modules as `crate::reference_…`.
#[path = "../crates/rolegate/tests/support/reference_condition.rs"]
mod reference_condition;
#[path = "../crates/rolegate/tests/support/reference_matcher.rs"]
mod reference_matcher;
#[path = "../crates/rolegate/benches/support/gen.rs"]
mod tenant_gen;

use std::collections::{BTreeMap, HashSet};

use assert_cmd::Command;
use serde_json::Value;
use tenant_gen::{Size, generate, jsonl};

/// What level of the hierarchy a generated scope names.
fn level(scope: &str) -> &'static str {
    let segments = scope.split('/').filter(|s| !s.is_empty()).count();
    if scope == "/" {
        "root"
    } else if scope.starts_with("/providers/Microsoft.Management/managementGroups/") {
        "management group"
    } else {
        match segments {
            2 => "subscription",
            4 => "resource group",
            8 => "resource",
            _ => "below a resource",
        }
    }
}

#[test]
fn the_distinct_file_repeats_no_request_spans_the_tenant_and_bench_counts_it() {
    const N: usize = 3_000;
    let generated = generate(Size::Small, 7);
    let queries = generated.distinct_queries(N).unwrap();
    let text = jsonl(&queries);
    assert_eq!(text.lines().count(), N);
    // Independently of `Query::distinct_key`: no line repeats, ignoring case.
    let folded: HashSet<String> = text.lines().map(str::to_ascii_lowercase).collect();
    assert_eq!(folded.len(), N);
    assert_eq!(jsonl(&generate(Size::Small, 7).distinct_queries(N).unwrap()), text, "the seed decides the file");
    assert_ne!(jsonl(&generate(Size::Small, 8).distinct_queries(N).unwrap()), text);

    // Spread over the tenant: many principals and actions, scopes at every level.
    let principals: HashSet<String> = queries.iter().map(|q| q.principal.to_ascii_lowercase()).collect();
    let actions: HashSet<String> = queries.iter().map(|q| q.action.to_ascii_lowercase()).collect();
    assert!(principals.len() > N / 3, "{} principals", principals.len());
    assert!(actions.len() > N / 4, "{} actions", actions.len());
    let mut levels = BTreeMap::new();
    for q in &queries {
        *levels.entry(level(&q.scope)).or_insert(0usize) += 1;
    }
    for l in ["root", "management group", "subscription", "resource group", "resource", "below a resource"] {
        assert!(levels.get(l).is_some_and(|&n| n > 0), "no scope at the {l} level: {levels:?}");
    }

    let dir = std::env::temp_dir().join(format!("rolegate-distinct-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in generated.files() {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let (mix, distinct) = (dir.join("queries.jsonl"), dir.join("distinct.jsonl"));
    std::fs::write(&mix, generated.queries_jsonl()).unwrap();
    std::fs::write(&distinct, &text).unwrap();
    let args = ["bench", "--tenant", dir.to_str().unwrap(), "--passes", "1", "--format", "json"];
    let queries_args = ["--queries", mix.to_str().unwrap(), "--queries", distinct.to_str().unwrap()];
    let out = Command::cargo_bin("rolegate").unwrap().args(args).args(queries_args).output().unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(&report).unwrap();
    let (m, d) = (&v["files"][0], &v["files"][1]);
    // The seeded mix asks one request twice; the distinct file none.
    assert_eq!((&m["queries"], &m["distinct"]), (&1000.into(), &999.into()), "{v}");
    assert_eq!((&d["queries"], &d["distinct"]), (&N.into(), &N.into()), "{v}");
    // The same mix of kinds: the engine's allowed, denied and not-allowed shares agree within a few points.
    for k in ["checks_allowed", "checks_denied", "checks_not_allowed"] {
        let share = |f: &Value| f[k].as_f64().unwrap() / f["checks"].as_f64().unwrap();
        assert!((share(m) - share(d)).abs() < 0.05, "`{k}`: mix {} against distinct {}", share(m), share(d));
        assert!(share(d) > 0.03, "`{k}` {}", share(d));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
