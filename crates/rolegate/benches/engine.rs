//! Engine benchmarks on generated tenants (`benches/support/gen.rs`, seed 42), built in memory through
//! `TenantLoader::add_*`:
//!
//! * `check/{size}/{mix,allowed,denied,not_allowed}`: [`rolegate::engine::Engine::check`] over the generator's
//!   1,000-query mix (or the part of it the engine allows / denies / does not allow). Every iteration checks
//!   all queries; the throughput is set to their number, so criterion reports the time per check.
//! * `compile/{size}`: [`rolegate::engine::Engine::new`] on an already loaded tenant (the clone it consumes is
//!   made outside the timing).
//! * `who_can/{size}/{at,at_expanded,at_or_below}`: [`rolegate::engine::Engine::who_can`] for every distinct
//!   (operation, scope, plane) of the mix, groups standing for their members, expanded, and at or below the scope;
//!   `what_can/{size}/mix`: [`rolegate::engine::Engine::what_can`] for every distinct (principal, scope, token
//!   groups) of the mix. The throughput is the number of queries, so criterion reports the time per query. The
//!   indexes reverse queries build on their first use are built before the timing (their cost is printed).
//!
//! Sizes: small and medium by default; `ROLEGATE_BENCH_LARGE=1` adds large (slow to generate and load).
//! Run with `cargo bench -p rolegate --bench engine`.

// Benchmark harness code: a generated tenant that fails to load must abort the run loudly, the included
// generator and reference are support code, and criterion's macros generate undocumented public functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

#[path = "../tests/support/reference_condition.rs"]
mod reference_condition;
#[path = "../tests/support/reference_matcher.rs"]
mod reference_matcher;
#[path = "support/gen.rs"]
mod tenant_gen;

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rolegate::engine::{Decision, Engine, PlaneHint, Reach, Request, WhatCanQuery, WhoCanQuery};
use tenant_gen::{Generated, Size, generate, request};

struct Fixture {
    size: Size,
    generated: Generated,
}

fn sizes() -> Vec<Size> {
    let mut v = vec![Size::Small, Size::Medium];
    if std::env::var("ROLEGATE_BENCH_LARGE").is_ok_and(|v| v == "1") {
        v.push(Size::Large);
    }
    v
}

fn bench_size(c: &mut Criterion, f: &Fixture) {
    let tenant = f.generated.tenant();
    let engine = Engine::new(tenant.clone());
    let groups: Vec<Vec<&str>> =
        f.generated.queries.iter().map(|q| q.groups.iter().map(String::as_str).collect()).collect();
    let requests: Vec<Request<'_>> = f.generated.queries.iter().zip(&groups).map(|(q, g)| request(q, g)).collect();
    let by = |keep: fn(&Decision) -> bool| -> Vec<Request<'_>> {
        requests.iter().copied().filter(|r| keep(&engine.check(r))).collect()
    };
    let subsets: [(&str, Vec<Request<'_>>); 4] = [
        ("mix", requests.clone()),
        ("allowed", by(|d| matches!(d, Decision::Allowed(_)))),
        ("denied", by(|d| matches!(d, Decision::Denied(_)))),
        ("not_allowed", by(|d| matches!(d, Decision::NotAllowed(_)))),
    ];

    let mut group = c.benchmark_group(format!("check/{}", f.size.name()));
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for (name, reqs) in &subsets {
        if reqs.is_empty() {
            continue;
        }
        group.throughput(Throughput::Elements(reqs.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                for r in reqs {
                    black_box(engine.check(black_box(r)));
                }
            })
        });
    }
    group.finish();

    // Explain is for people and debugging; the target is per request, over the whole query mix.
    let mut group = c.benchmark_group(format!("explain/{}", f.size.name()));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("mix", |b| {
        b.iter(|| {
            for r in &requests {
                black_box(engine.explain(black_box(r)));
            }
        })
    });
    group.finish();

    bench_reverse(c, f, &engine);

    if f.size != Size::Large {
        let mut group = c.benchmark_group("compile");
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
        group.bench_function(f.size.name(), |b| {
            b.iter_batched(|| tenant.clone(), |t| black_box(Engine::new(t)), BatchSize::LargeInput)
        });
        group.finish();
    }
}

/// Reverse queries over the distinct operations, scopes and principals of the query mix.
fn bench_reverse(c: &mut Criterion, f: &Fixture, engine: &Engine) {
    let queries = &f.generated.queries;
    let plane = |q: &rolegate::schema::Query| match q.data_action {
        Some(true) => PlaneHint::Data,
        Some(false) => PlaneHint::Control,
        None => PlaneHint::Auto,
    };
    let mut seen = HashSet::new();
    let who: Vec<WhoCanQuery<'_>> = queries
        .iter()
        .filter(|q| seen.insert((q.action.to_ascii_lowercase(), q.scope.to_ascii_lowercase(), q.data_action)))
        .map(|q| WhoCanQuery::new(&q.action, &q.scope).plane(plane(q)))
        // The mix holds malformed requests and operations without a plane, which a reverse query refuses.
        .filter(|q| engine.who_can(q).is_ok())
        .collect();
    let mut seen = HashSet::new();
    let what: Vec<WhatCanQuery<'_>> = queries
        .iter()
        .filter(|q| seen.insert((q.principal.to_ascii_lowercase(), q.scope.to_ascii_lowercase(), q.groups.clone())))
        .map(|q| WhatCanQuery::new(&q.principal, &q.scope).groups(&q.groups))
        .filter(|q| engine.what_can(q).is_ok())
        .collect();
    // The indexes, timed on a fresh snapshot of the same tenant.
    let fresh = Engine::new(f.generated.tenant());
    let t = Instant::now();
    if let Some(q) = who.first() {
        black_box(fresh.who_can(&q.reach(Reach::AtOrBelow)).ok());
    }
    eprintln!("reverse indexes ({}): built in {:.1?} on the first query", f.size.name(), t.elapsed());
    // Answer sizes and the slowest queries, which the per-query means below hide.
    let timed = |f: &mut dyn FnMut() -> usize| {
        let t = Instant::now();
        let n = f();
        (n, t.elapsed())
    };
    let spread = |mut v: Vec<Duration>| {
        v.sort_unstable();
        let at = |p: usize| v.get((v.len() * p / 100).min(v.len().saturating_sub(1))).copied().unwrap_or_default();
        format!("median {:.1?}, p99 {:.1?}, max {:.1?}", at(50), at(99), v.last().copied().unwrap_or_default())
    };
    for (name, reach, expand) in [("at", Reach::At, false), ("at_or_below expanded", Reach::AtOrBelow, true)] {
        let (sizes, times): (Vec<usize>, Vec<Duration>) = who
            .iter()
            .map(|q| timed(&mut || engine.who_can(&q.reach(reach).expand(expand)).map_or(0, |w| w.grantees.len())))
            .unzip();
        let mean = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
        eprintln!(
            "who_can/{}/{name}: {} queries, {mean:.1} grantees each; {}",
            f.size.name(),
            who.len(),
            spread(times)
        );
    }
    let (sizes, times): (Vec<usize>, Vec<Duration>) =
        what.iter().map(|q| timed(&mut || engine.what_can(q).map_or(0, |w| w.control.len() + w.data.len()))).unzip();
    let mean = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
    eprintln!("what_can/{}: {} queries, {mean:.1} operations each; {}", f.size.name(), what.len(), spread(times));

    let mut group = c.benchmark_group(format!("who_can/{}", f.size.name()));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(who.len() as u64));
    let variants =
        [("at", Reach::At, false), ("at_expanded", Reach::At, true), ("at_or_below", Reach::AtOrBelow, false)];
    for (name, reach, expand) in variants {
        let qs: Vec<WhoCanQuery<'_>> = who.iter().map(|q| q.reach(reach).expand(expand)).collect();
        group.bench_function(name, |b| {
            b.iter(|| {
                for q in &qs {
                    black_box(engine.who_can(black_box(q)).ok());
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("what_can/{}", f.size.name()));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(what.len() as u64));
    group.bench_function("mix", |b| {
        b.iter(|| {
            for q in &what {
                black_box(engine.what_can(black_box(q)).ok());
            }
        })
    });
    group.finish();
}

fn engine(c: &mut Criterion) {
    for size in sizes() {
        let fixture = Fixture { size, generated: generate(size, 42) };
        bench_size(c, &fixture);
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
