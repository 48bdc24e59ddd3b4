//! Tenant-diff benchmarks (semantics §4.2) on the generated tenants of `crates/rolegate/benches/support/gen.rs`
//! (seed 42), built in memory:
//!
//! * `tenant_diff/{size}/100_assignments`: [`rolegate_lint::tenant_diff::tenant_diff`] between a tenant and the
//!   same tenant with 100 of its assignments changed: every `n/100`-th assignment of the file, alternately removed
//!   and, under the same id, given Contributor if it was Reader, else Reader. Engines are compiled outside the
//!   timing; the indexes reverse queries build on first use are built before it too (their cost, the first diff's,
//!   and the principals and places evaluated are printed).
//!
//! `ROLEGATE_DIFF_CHANGED=n` changes `n` assignments instead; `ROLEGATE_DIFF_ONESHOT=1` prints the first diff only;
//! `ROLEGATE_DIFF_SHUFFLE=1` also lists NEW's assignments in another order (the walk in step then gives way to
//! comparing every assignment by key).
//! Sizes: small and medium by default; `ROLEGATE_BENCH_LARGE=1` adds large (slow to generate and load).
//! Run with `cargo bench -p rolegate-lint --bench tenant_diff`.

// Benchmark harness code: a generated tenant that fails to load must abort the run loudly, the included
// generator and reference are support code, and criterion's macros generate undocumented public functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs, dead_code)]

#[path = "../../rolegate/tests/support/reference_condition.rs"]
mod reference_condition;
#[path = "../../rolegate/tests/support/reference_matcher.rs"]
mod reference_matcher;
#[path = "../../rolegate/benches/support/gen.rs"]
mod tenant_gen;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate::engine::Engine;
use rolegate::load::TenantLoader;
use rolegate_lint::LintOptions;
use rolegate_lint::tenant_diff::tenant_diff;
use serde_json::Value;
use tenant_gen::{CONTRIBUTOR, READER, Size, generate};

/// How many assignments change: 100, or `ROLEGATE_DIFF_CHANGED`.
fn changed_count() -> usize {
    std::env::var("ROLEGATE_DIFF_CHANGED").ok().and_then(|v| v.parse().ok()).unwrap_or(100)
}

fn sizes() -> Vec<Size> {
    let mut v = vec![Size::Small, Size::Medium];
    if std::env::var("ROLEGATE_BENCH_LARGE").is_ok_and(|v| v == "1") {
        v.push(Size::Large);
    }
    v
}

fn engine(g: &tenant_gen::Generated, assignments: &str) -> Engine {
    let mut l = TenantLoader::new();
    for (name, text) in g.files() {
        let text = if name == "assignments.json" { assignments } else { text };
        match name {
            "roles.json" => l.add_roles(name, text.as_bytes()),
            "assignments.json" => l.add_assignments(name, text.as_bytes()),
            "denyAssignments.json" => l.add_deny_assignments(name, text.as_bytes()),
            "groups.json" => l.add_groups(name, text.as_bytes()),
            _ => l.add_hierarchy(name, text.as_bytes()),
        };
    }
    Engine::try_new(l.build().unwrap().0).unwrap()
}

/// Every `n/100`-th assignment, alternately removed and given the other of Reader and Contributor.
fn changed(assignments: &str) -> String {
    let mut v: Vec<Value> = serde_json::from_str(assignments).unwrap();
    let count = changed_count();
    let step = v.len() / count;
    let mut remove = Vec::new();
    for k in 0..count {
        let i = k * step;
        if k % 2 == 0 {
            remove.push(i);
        } else {
            let role = v[i]["roleDefinitionId"].as_str().unwrap().to_owned();
            let other = if role.ends_with(READER) { CONTRIBUTOR } else { READER };
            let head = role.rsplit_once('/').unwrap().0;
            v[i]["roleDefinitionId"] = Value::String(format!("{head}/{other}"));
        }
    }
    for i in remove.into_iter().rev() {
        v.remove(i);
    }
    if std::env::var("ROLEGATE_DIFF_SHUFFLE").is_ok_and(|v| v == "1") {
        // A fixed xorshift permutation: the same order on every run.
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in (1..v.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.swap(i, (s % (i as u64 + 1)) as usize);
        }
    }
    serde_json::to_string(&v).unwrap()
}

fn bench(c: &mut Criterion) {
    let options = LintOptions::default();
    for size in sizes() {
        let g = generate(size, 42);
        let t = Instant::now();
        let base = engine(&g, &g.assignments);
        let new = engine(&g, &changed(&g.assignments));
        let load = t.elapsed();
        let t = Instant::now();
        let first = tenant_diff(&base, &new, &options).unwrap();
        let first_time = t.elapsed();
        println!(
            "tenant_diff/{}: load+compile both {load:.2?}; first diff (builds the reverse indexes) {first_time:.2?}; \
             {} changes, {} principals evaluated, {} rows gained, {} lost",
            size.name(),
            first.changes.len(),
            first.principals_evaluated,
            first.gained.len(),
            first.lost.len()
        );
        // `ROLEGATE_DIFF_ONESHOT=1`: the single timed diff above only (a sample of ten takes long on a busy host).
        if std::env::var("ROLEGATE_DIFF_ONESHOT").is_ok_and(|v| v == "1") {
            continue;
        }
        let mut group = c.benchmark_group(format!("tenant_diff/{}", size.name()));
        group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(2));
        group.bench_function("100_assignments", |b| {
            b.iter(|| black_box(tenant_diff(&base, &new, &options).unwrap()));
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
