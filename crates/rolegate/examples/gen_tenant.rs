//! Writes a generated tenant directory (roles.json, assignments.json, denyAssignments.json, groups.json,
//! hierarchy.json) and a `queries.jsonl` whose `expected` values come from the reference evaluator.
//!
//! ```text
//! cargo run --release -p rolegate --example gen_tenant -- --size medium --seed 42 --out /tmp/medium
//!     [--queries N] [--distinct N] [--jobs N] [--compare]
//! ```
//!
//! `--distinct N` also writes `distinct.jsonl`: N queries in the same mix of kinds as `queries.jsonl` (whose
//! 1,000 by default repeat when timed pass after pass), no two the same request, aimed all over the tenant.
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

use rolegate::engine::{Engine, ReasonKind};
use rolegate::schema::Query;
use tenant_gen::reference_engine::Effect;
use tenant_gen::{Size, fill_expected, generate_with, jsonl, reference_decisions, request};

const USAGE: &str = "usage: gen_tenant --size small|medium|large [--seed N] --out DIR [--queries N] [--distinct N] [--jobs N] [--compare]";

struct Args {
    size: Size,
    seed: u64,
    out: PathBuf,
    queries: Option<usize>,
    distinct: Option<usize>,
    jobs: usize,
    compare: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut size = None;
    let mut seed = 42;
    let mut out = None;
    let mut queries = None;
    let mut distinct = None;
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
            "--distinct" => {
                distinct = Some(value("--distinct")?.parse().map_err(|e| format!("--distinct: {e}"))?);
            }
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
        distinct,
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

    let t3 = Instant::now();
    let distinct = match args.distinct.map(|n| generated.distinct_queries(n)).transpose() {
        Ok(d) => d.map(|mut queries| {
            let decisions = reference_decisions(&tenant, &queries, args.jobs);
            fill_expected(&mut queries, &decisions);
            (queries, decisions)
        }),
        Err(e) => {
            eprintln!("gen_tenant: --distinct: {e}");
            return ExitCode::from(2);
        }
    };
    let distinct_s = t3.elapsed().as_secs_f64();

    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("gen_tenant: cannot create `{}`: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let mut outputs: Vec<(&str, String)> =
        generated.files().iter().map(|(name, text)| (*name, (*text).to_owned())).collect();
    outputs.push(("queries.jsonl", generated.queries_jsonl()));
    if let Some((queries, _)) = &distinct {
        outputs.push(("distinct.jsonl", jsonl(queries)));
    }
    for (name, text) in &outputs {
        let path = args.out.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("gen_tenant: cannot write `{}`: {e}", path.display());
            return ExitCode::from(2);
        }
    }

    eprintln!(
        "gen_tenant: {} seed {}: {} custom roles, {} assignments, {} deny assignments, {} groups, {} queries \
         (reference: {})",
        args.size.name(),
        args.seed,
        params.roles,
        params.assignments,
        params.deny_assignments,
        params.groups,
        decisions.len(),
        outcomes(&decisions),
    );
    if let Some((queries, decisions)) = &distinct {
        eprintln!(
            "gen_tenant: distinct.jsonl: {} distinct queries (reference: {}) in {distinct_s:.2}s",
            queries.len(),
            outcomes(decisions)
        );
    }
    eprintln!(
        "gen_tenant: generate {gen_s:.2}s, load {load_s:.2}s, reference {reference_s:.2}s -> {}",
        args.out.display()
    );

    if args.compare {
        let engine = Engine::new(tenant);
        compare(&engine, "queries.jsonl", &generated.queries, &decisions);
        if let Some((queries, decisions)) = &distinct {
            compare(&engine, "distinct.jsonl", queries, decisions);
        }
    }
    ExitCode::SUCCESS
}

/// How many queries each effect and reason kind has.
fn outcomes(decisions: &[(Effect, ReasonKind)]) -> String {
    let mut counts = [0usize; 3];
    let mut kinds = std::collections::BTreeMap::new();
    for (effect, kind) in decisions {
        counts[*effect as usize] += 1;
        *kinds.entry(kind.as_str()).or_insert(0usize) += 1;
    }
    format!("{} allowed, {} denied, {} not allowed; {kinds:?}", counts[0], counts[1], counts[2])
}

/// Lists the queries whose engine decision differs from the reference's (the first 20, and the count).
fn compare(engine: &Engine, file: &str, queries: &[Query], decisions: &[(Effect, ReasonKind)]) {
    let mut differ = 0;
    for (q, (effect, kind)) in queries.iter().zip(decisions) {
        let groups: Vec<&str> = q.groups.iter().map(String::as_str).collect();
        let d = engine.check(&request(q, &groups));
        if Effect::of(&d) != *effect || d.reason().kind() != *kind {
            differ += 1;
            if differ <= 20 {
                eprintln!(
                    "differ: engine {} {:?}, reference {effect:?} {kind:?}: {}",
                    d.as_str(),
                    d.reason().kind(),
                    serde_json::to_string(q).unwrap_or_default()
                );
            }
        }
    }
    eprintln!("gen_tenant: {file}: engine and reference differ on {differ} of {} queries", decisions.len());
}
