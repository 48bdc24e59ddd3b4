//! Engine benchmarks on generated tenants (`benches/support/gen.rs`, seed 42), built in memory through
//! `TenantLoader::add_*`:
//!
//! * `check/{size}/{mix,allowed,denied,not_allowed}`: [`rolegate::engine::Engine::check`] over the generator's
//!   1,000-query mix (or the part of it the engine allows / denies / does not allow). Every iteration checks
//!   all queries; the throughput is set to their number, so criterion reports the time per check.
//! * `compile/{size}`: [`rolegate::engine::Engine::new`] on an already loaded tenant (the clone it consumes is
//!   made outside the timing).
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

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rolegate::engine::{Decision, Engine, Request};
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

    if f.size != Size::Large {
        let mut group = c.benchmark_group("compile");
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
        group.bench_function(f.size.name(), |b| {
            b.iter_batched(|| tenant.clone(), |t| black_box(Engine::new(t)), BatchSize::LargeInput)
        });
        group.finish();
    }
}

fn engine(c: &mut Criterion) {
    for size in sizes() {
        let fixture = Fixture { size, generated: generate(size, 42) };
        bench_size(c, &fixture);
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
