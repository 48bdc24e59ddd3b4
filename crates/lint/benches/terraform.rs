//! Terraform input: what one `.tf` file costs to lint, next to its hand-written JSON equivalent.
//!
//! * `tf_module_file`: a [`Linter`] given `tests/data/terraform/module_with_other_resources.tf` (a provider, a
//!   resource group, an output and one role with wildcards) and finished: HCL parsing, the conversion to the
//!   ARM-template shape, loading and every rule, the catalog included.
//! * `json_equivalent`: the same role as create-input JSON, to show what the Terraform front end adds.
//! * `tf_parse_only`: `hcl_edit::parser::parse_body` alone on that file.
//!
//! Run with `cargo bench -p rolegate-lint --bench terraform`. The budget for a whole `role-lint FILE.tf` process
//! is 50 ms of wall time.

// Benchmark harness code: a fixture that cannot be read must abort the run loudly, and criterion's macros
// generate undocumented public functions.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_lint::Linter;

const TF: &str = include_str!("../tests/data/terraform/module_with_other_resources.tf");
const JSON: &str = include_str!("../tests/data/terraform/module_with_other_resources.json");

fn lint(name: &str, text: &str) -> usize {
    let mut linter = Linter::new();
    linter.add_file(name, text.as_bytes());
    linter.finish().findings().len()
}

fn terraform(c: &mut Criterion) {
    let mut group = c.benchmark_group("terraform");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    assert!(lint("main.tf", TF) > 0, "the fixture has findings");
    group.bench_function("tf_module_file", |b| b.iter(|| black_box(lint("main.tf", black_box(TF)))));
    group.bench_function("json_equivalent", |b| b.iter(|| black_box(lint("role.json", black_box(JSON)))));
    group.bench_function("tf_parse_only", |b| {
        b.iter(|| black_box(hcl_edit::parser::parse_body(black_box(TF)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, terraform);
criterion_main!(benches);
