//! Times linting at Azure's scale limits, as a library call (`Linter::add_file` + `Linter::finish`, the catalog
//! and the built-in index already loaded): 5,000 generated custom roles (Azure's limit per tenant) and one role
//! with 100,000 actions. Targets: each ≤ 1 s in a release build.
//!
//! `cargo run --release -p rolegate-lint --example lint_scale [-- RUNS [DIR]]`: RUNS timed runs of each input,
//! alternating (default 5), median reported; with DIR, the two inputs are also written there
//! (`roles-5000.json`, `actions-100000.json`) so that the whole `role-lint` process can be timed on them.
//!
//! The inputs are deterministic and look like real custom roles: exact operations of the shipped catalog
//! (`roles/operations.tsv`) on their own plane, provider and resource-type wildcards, a few NotActions, data
//! actions, several assignable scopes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Instant;

use rolegate::catalog::Catalog;
use rolegate_lint::Linter;

/// SplitMix64: a deterministic generator, so that every run lints the same input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &'a [String]) -> &'a str {
        &items[self.below(items.len())]
    }
}

fn guid(i: u64) -> String {
    let a = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x1234_5678;
    format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, i & 0xfff, i)
}

/// The catalog split into what generated roles draw from.
struct Pool {
    control: Vec<String>,
    data: Vec<String>,
    /// `Microsoft.Compute/virtualMachines` and the like: the resource type of a control-plane operation.
    types: Vec<String>,
    /// `Microsoft.Compute` and the like.
    providers: Vec<String>,
}

impl Pool {
    fn new() -> Pool {
        let mut pool = Pool { control: Vec::new(), data: Vec::new(), types: Vec::new(), providers: Vec::new() };
        for op in Catalog::builtin().operations() {
            if op.is_data_action {
                pool.data.push(op.name.clone());
            } else {
                pool.control.push(op.name.clone());
                if let Some((ty, _)) = op.name.rsplit_once('/') {
                    pool.types.push(ty.to_owned());
                }
                if let Some((provider, _)) = op.name.split_once('/') {
                    pool.providers.push(provider.to_owned());
                }
            }
        }
        pool.types.dedup();
        pool.providers.dedup();
        pool
    }

    fn role(&self, rng: &mut Rng, i: u64, actions: usize) -> serde_json::Value {
        let mut list = Vec::with_capacity(actions);
        for _ in 0..actions {
            list.push(match rng.below(20) {
                0 => format!("{}/*", rng.pick(&self.types)),
                1 => format!("{}/*/read", rng.pick(&self.providers)),
                _ => rng.pick(&self.control).to_owned(),
            });
        }
        let not_actions: Vec<String> = (0..rng.below(4)).map(|_| rng.pick(&self.control).to_owned()).collect();
        let data: Vec<String> = (0..rng.below(3)).map(|_| rng.pick(&self.data).to_owned()).collect();
        let scopes: Vec<String> = (0..1 + rng.below(4))
            .map(|k| match k {
                0 => format!("/subscriptions/{}", guid(i * 8 + 1)),
                1 => format!("/subscriptions/{}/resourceGroups/rg-app-{k}", guid(i * 8 + 2)),
                2 => format!("/providers/Microsoft.Management/managementGroups/mg-{}", i % 7),
                _ => format!("/subscriptions/{}/resourceGroups/rg-data", guid(i * 8 + 3)),
            })
            .collect();
        serde_json::json!({
            "Name": format!("Generated role {i}"),
            "Id": guid(i),
            "IsCustom": true,
            "Description": "generated for the scale benchmark",
            "Actions": list,
            "NotActions": not_actions,
            "DataActions": data,
            "NotDataActions": [],
            "AssignableScopes": scopes,
        })
    }
}

/// 5,000 roles of 5 to 40 actions each.
fn many_roles(pool: &Pool) -> String {
    let mut rng = Rng(18);
    let roles: Vec<serde_json::Value> = (0..5000)
        .map(|i| {
            let n = 5 + rng.below(36);
            pool.role(&mut rng, i, n)
        })
        .collect();
    serde_json::to_string_pretty(&roles).unwrap()
}

/// One role with 100,000 actions: every catalog operation appears several times over, as a role assembled from
/// many others would.
fn many_actions(pool: &Pool) -> String {
    let mut rng = Rng(4);
    serde_json::to_string_pretty(&pool.role(&mut rng, 1, 100_000)).unwrap()
}

/// CPU time of this thread in ms (Linux; `None` elsewhere), which other jobs on a busy machine do not inflate
/// as they do wall time. Clock ticks are 10 ms.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

/// Wall and CPU ms of one lint of `text`, and the number of findings.
fn lint(name: &str, text: &str) -> (f64, f64, usize) {
    let cpu = cpu_ms();
    let start = Instant::now();
    let mut linter = Linter::new();
    linter.add_file(name, text.as_bytes());
    let report = linter.finish();
    let wall = start.elapsed().as_secs_f64() * 1000.0;
    let cpu = cpu.zip(cpu_ms()).map_or(f64::NAN, |(a, b)| b - a);
    (wall, cpu, report.findings().len())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let pool = Pool::new();
    // `LINT_SCALE_ONLY=roles` (or `actions`) runs one input, for a profiler.
    let only = std::env::var("LINT_SCALE_ONLY").unwrap_or_default();
    let mut inputs = vec![("roles-5000.json", many_roles(&pool)), ("actions-100000.json", many_actions(&pool))];
    inputs.retain(|(name, _)| name.starts_with(only.as_str()));
    if let Some(dir) = args.next() {
        for (name, text) in &inputs {
            std::fs::write(std::path::Path::new(&dir).join(name), text).unwrap();
        }
    }
    // Warm-up: loads the catalog, its index and the built-in roles once per process, as any first run does.
    let _ = lint("warm-up.json", &pool.role(&mut Rng(1), 0, 50).to_string());
    let mut wall = vec![Vec::new(); inputs.len()];
    let mut cpu = vec![Vec::new(); inputs.len()];
    let mut findings = vec![0; inputs.len()];
    for _ in 0..runs {
        for (k, (name, text)) in inputs.iter().enumerate() {
            let (w, c, n) = lint(name, text);
            wall[k].push(w);
            cpu[k].push(c);
            findings[k] = n;
        }
    }
    for (k, (name, text)) in inputs.iter().enumerate() {
        let all: Vec<String> = wall[k].iter().map(|t| format!("{t:.0}")).collect();
        println!(
            "{name} ({} KiB): {} findings; median of {runs}: {:.1} ms wall, {:.0} ms CPU (wall: {} ms)",
            text.len() / 1024,
            findings[k],
            median(wall[k].clone()),
            median(cpu[k].clone()),
            all.join(", ")
        );
    }
}
