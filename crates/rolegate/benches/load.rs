//! Load-time benchmarks: what it costs to get from the embedded data (and a tenant's files) to a usable model.
//!
//! * `builtin_roles`: [`rolegate::builtin::parse_roles`], parsing the embedded `roles/builtin-roles.json` and
//!   loading all 928 built-in role definitions (actions compiled, scopes classified).
//! * `catalog_tsv`: [`rolegate::catalog::Catalog::from_tsv`] on the embedded operation catalog.
//! * `builtin_roles_plus_catalog`: both of the above, the start-up cost of a tool that needs the built-ins and
//!   the catalog.
//! * `json_parse_builtin_roles`: only the span-keeping JSON parser ([`rolegate::internals::json::parse`]) on the built-in
//!   roles file, to separate parsing from mapping to the model.
//! * `tenant_build_small`: a [`rolegate::load::TenantLoader`] given one assignments file of 1,000 generated
//!   assignments of built-in roles, then [`rolegate::load::TenantLoader::build`]. The JSON text is generated
//!   once outside the timed loop; the built-in roles are cached by [`rolegate::builtin::roles`] after the first
//!   iteration, so this measures assignment loading plus the cross-file checks and copying the built-ins.
//!
//! Run with `cargo bench -p rolegate --bench load`.

// Benchmark harness code: a failure to load the shipped data must abort the run loudly, and criterion's macros
// generate undocumented public functions.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rolegate::builtin;
use rolegate::catalog::Catalog;
use rolegate::load::TenantLoader;

/// Reader, Contributor, Owner and Storage Blob Data Reader.
const ROLE_IDS: [&str; 4] = [
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
];

/// An `assignments.json` with `n` assignments spread over 10 subscriptions, 5 resource groups each, and 200
/// principals.
fn assignments_json(n: usize) -> String {
    let mut out = String::from("[\n");
    for i in 0..n {
        let role = ROLE_IDS.get(i % ROLE_IDS.len()).copied().unwrap_or_default();
        let sub = i % 10;
        let scope = match i % 3 {
            0 => format!("/subscriptions/00000000-0000-0000-0000-{sub:012}"),
            _ => format!("/subscriptions/00000000-0000-0000-0000-{sub:012}/resourceGroups/rg-{}", i % 5),
        };
        let sep = if i + 1 == n { "" } else { "," };
        writeln!(
            out,
            r#"  {{"id": "/providers/Microsoft.Authorization/roleAssignments/a-{i:06}", "principalId": "p-{:04}", "principalType": "User", "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/{role}", "scope": "{scope}"}}{sep}"#,
            i % 200
        )
        .unwrap();
    }
    out.push(']');
    out
}

fn load(c: &mut Criterion) {
    // Sanity checks outside the timed loops, so a benchmark never measures a failing load.
    let roles = builtin::parse_roles();
    assert_eq!(roles.value.len(), 928);
    assert!(!roles.is_fatal());
    let catalog = Catalog::from_tsv(builtin::OPERATIONS_TSV, None).unwrap();
    assert!(!catalog.is_empty());
    let assignments = assignments_json(1_000);
    let check = {
        let mut loader = TenantLoader::new();
        loader.add_assignments("assignments.json", assignments.as_bytes());
        loader.build().expect("generated tenant loads")
    };
    assert_eq!(check.0.assignments.len(), 1_000);

    let mut group = c.benchmark_group("load");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));

    group.bench_function("builtin_roles", |b| b.iter(|| black_box(builtin::parse_roles())));
    group.bench_function("catalog_tsv", |b| {
        b.iter(|| black_box(Catalog::from_tsv(black_box(builtin::OPERATIONS_TSV), None).unwrap()))
    });
    group.bench_function("builtin_roles_plus_catalog", |b| {
        b.iter(|| {
            let roles = builtin::parse_roles();
            let catalog = Catalog::from_tsv(black_box(builtin::OPERATIONS_TSV), None).unwrap();
            black_box((roles, catalog))
        })
    });
    group.bench_function("json_parse_builtin_roles", |b| {
        b.iter(|| black_box(rolegate::internals::json::parse(black_box(builtin::ROLES_JSON)).unwrap()))
    });
    group.bench_function("tenant_build_small", |b| {
        b.iter_batched(
            TenantLoader::new,
            |mut loader| {
                loader.add_assignments("assignments.json", black_box(assignments.as_bytes()));
                black_box(loader.build().unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
