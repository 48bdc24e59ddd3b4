//! Writes a generated tenant directory (roles.json, assignments.json, denyAssignments.json, groups.json,
//! hierarchy.json) and a `queries.jsonl` whose `expected` values come from the reference evaluator.
//!
//! ```text
//! cargo run --release -p rolegate --example gen_tenant -- --size medium --seed 42 --out /tmp/medium
//!     [--queries N] [--jobs N] [--compare]
//! ```
//!
//! `--compare` also compiles the engine and lists the queries where its effect or reason kind differs from the
//! reference's (a diagnostic aid; `expected` never comes from the engine).

// An example binary: the generator aborts loudly on its own bugs, and the reference modules it includes are
// test support with their own conventions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/support/reference_condition.rs"]
mod reference_condition;
#[path = "../tests/support/reference_matcher.rs"]
mod reference_matcher;
#[path = "../benches/support/gen.rs"]
mod tenant_gen;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use rolegate::engine::Engine;
use tenant_gen::reference_engine::Effect;
use tenant_gen::{Size, generate_with, request};

const USAGE: &str =
    "usage: gen_tenant --size small|medium|large [--seed N] --out DIR [--queries N] [--jobs N] [--compare]";

struct Args {
    size: Size,
    seed: u64,
    out: PathBuf,
    queries: Option<usize>,
    jobs: usize,
    compare: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut size = None;
    let mut seed = 42;
    let mut out = None;
    let mut queries = None;
    let mut jobs = 1;
    let mut compare = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--size" => {
                let v = value("--size")?;
                size = Some(Size::parse(&v).ok_or_else(|| format!("unknown size `{v}`"))?);
            }
            "--seed" => seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--queries" => queries = Some(value("--queries")?.parse().map_err(|e| format!("--queries: {e}"))?),
            "--jobs" => jobs = value("--jobs")?.parse().map_err(|e| format!("--jobs: {e}"))?,
            "--compare" => compare = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        size: size.ok_or("--size is required")?,
        seed,
        out: out.ok_or("--out is required")?,
        queries,
        jobs,
        compare,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen_tenant: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut params = args.size.params();
    if let Some(q) = args.queries {
        params.queries = q;
    }

    let t0 = Instant::now();
    let mut generated = generate_with(&params, args.seed);
    let gen_s = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let tenant = generated.tenant();
    let load_s = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let decisions = generated.reference_decisions(&tenant, args.jobs);
    let reference_s = t2.elapsed().as_secs_f64();
    generated.fill_expected(&decisions);

    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("gen_tenant: cannot create `{}`: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let jsonl = generated.queries_jsonl();
    let files = generated.files();
    for (name, text) in files.iter().copied().chain(std::iter::once(("queries.jsonl", jsonl.as_str()))) {
        let path = args.out.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("gen_tenant: cannot write `{}`: {e}", path.display());
            return ExitCode::from(2);
        }
    }

    let mut counts = [0usize; 3];
    let mut kinds = std::collections::BTreeMap::new();
    for (effect, kind) in &decisions {
        counts[*effect as usize] += 1;
        *kinds.entry(kind.as_str()).or_insert(0usize) += 1;
    }
    eprintln!(
        "gen_tenant: {} seed {}: {} custom roles, {} assignments, {} deny assignments, {} groups, {} queries \
         (reference: {} allowed, {} denied, {} not allowed; {kinds:?})",
        args.size.name(),
        args.seed,
        params.roles,
        params.assignments,
        params.deny_assignments,
        params.groups,
        decisions.len(),
        counts[0],
        counts[1],
        counts[2],
    );
    eprintln!(
        "gen_tenant: generate {gen_s:.2}s, load {load_s:.2}s, reference {reference_s:.2}s -> {}",
        args.out.display()
    );

    if args.compare {
        let engine = Engine::new(tenant);
        let mut differ = 0;
        for (q, (effect, kind)) in generated.queries.iter().zip(&decisions) {
            let groups: Vec<&str> = q.groups.iter().map(String::as_str).collect();
            let d = engine.check(&request(q, &groups));
            if Effect::of(&d) != *effect || d.reason().kind != *kind {
                differ += 1;
                if differ <= 20 {
                    eprintln!(
                        "differ: engine {} {:?}, reference {effect:?} {kind:?}: {}",
                        d.as_str(),
                        d.reason().kind,
                        serde_json::to_string(q).unwrap_or_default()
                    );
                }
            }
        }
        eprintln!("gen_tenant: engine and reference differ on {differ} of {} queries", decisions.len());
    }
    ExitCode::SUCCESS
}
