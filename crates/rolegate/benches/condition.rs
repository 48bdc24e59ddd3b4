//! Condition benchmarks (issue targets: parse a typical 300-byte condition in ≤ 5 µs, evaluate a compiled one in
//! ≤ 200 ns).
//!
//! * `parse/<name>`: [`rolegate::condition::Condition::parse`] (parse, type-check, compile) of conditions from
//!   the docs' corpus (`tests/data/conditions`): T1 (262 bytes, a guard and a container name), T2 (328 bytes,
//!   single line, two names), T15 (757 bytes, the delegation condition with GUID lists).
//! * `evaluate/<case>`: [`rolegate::condition::Condition::evaluate`] of T1 for a read in the named container
//!   (the comparison decides, the container name is read from the scope), a write (the guard decides), and T15
//!   for a role-assignment write whose attributes are supplied by the caller.
//!
//! Run with `cargo bench -p rolegate --bench condition`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate::condition::{Condition, Context, DateTime, Tri};

fn corpus(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/conditions/{name}.txt", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("condition");
    for name in ["T1", "T2", "T15"] {
        let text = corpus(name);
        g.bench_function(format!("parse/{name}_{}_bytes", text.len()), |b| {
            b.iter(|| Condition::parse(black_box(&text)).unwrap())
        });
    }

    let t1 = Condition::parse(&corpus("T1").replace("blobs-example-container", "logs")).unwrap();
    let scope = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/logs/blobs/dir/a.txt";
    let read = Context::new("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", scope);
    let write = Context::new("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", scope);
    assert_eq!(t1.evaluate(&read).value, Tri::True);
    g.bench_function("evaluate/T1_read_in_container", |b| b.iter(|| t1.evaluate(black_box(&read))));
    g.bench_function("evaluate/T1_write_passes_guard", |b| b.iter(|| t1.evaluate(black_box(&write))));

    let t15 = Condition::parse(&corpus("T15")).unwrap();
    let attributes = [
        ("Microsoft.Authorization/roleAssignments:RoleDefinitionId", "a795c7a0-d4a2-40c1-ae25-d81f01202912"),
        ("Microsoft.Authorization/roleAssignments:PrincipalType", "Group"),
    ];
    let assign = Context {
        action: "Microsoft.Authorization/roleAssignments/write",
        sub_operation: None,
        scope: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg",
        attributes: (&attributes).into(),
        now: DateTime::parse("2024-01-01T00:00:00Z"),
    };
    assert_eq!(t15.evaluate(&assign).value, Tri::True);
    g.bench_function("evaluate/T15_role_assignment_write", |b| b.iter(|| t15.evaluate(black_box(&assign))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
