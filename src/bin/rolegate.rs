//! `rolegate`: load a tenant and query it.
//!
//! Exit codes: `validate` 0 the tenant loads, 1 it has fatal problems (nothing of it would be used);
//! `check` 0 allowed, 3 denied or not allowed; both 2 for a usage error or input that cannot be read.
//! `bench` 0, 1 when some query's `expected` differs from the engine's decision, 2 for unreadable input.
//! `who-can` and `what-can` 0 with their answer (whoever it names), 2 for bad input.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc rather than glibc's malloc: `rolegate serve` swaps whole tenant snapshots, and glibc keeps the freed
/// snapshot's pages in per-thread arenas (RSS settled at twice one snapshot after a dozen reloads), while
/// mimalloc returns them; its thread-local free lists also make the per-request allocations cheaper.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use miette::{GraphicalReportHandler, GraphicalTheme};
use rolegate::condition::DateTime;
use rolegate::engine::{Decision, Engine, Needs, PlaneHint, Reach, Request, Via, WhatCanQuery, WhoCan, WhoCanQuery};
use rolegate::load::TenantLoader;
use rolegate::{Diagnostic, Tenant};

/// Azure RBAC decisions, exactly.
#[derive(Parser, Debug)]
#[command(name = "rolegate", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// The largest input file read (`256MiB`, `10M`, `4096`); a larger one is refused, as is anything that
    /// is not a regular file (a directory, a FIFO, a device, a dangling link).
    #[arg(long, global = true, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    max_file_size: u64,
}

fn parse_size(s: &str) -> Result<u64, String> {
    rolegate::internals::file::parse_size(s)
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load a tenant directory (roles, assignments.json, denyAssignments.json, groups.json, hierarchy.json)
    /// and report every problem; exit 1 if the engine would refuse it.
    Validate {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
    },
    /// Decide one request (exit 0 allowed, 3 denied or not allowed), or every line of a queries.jsonl file
    /// with `--batch` (one JSON object per line, in order, echoing its query; exit 1 when a query's `expected`
    /// is not met, 2 on a bad line, else 0).
    Check {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
        /// A queries.jsonl file to decide instead of one request.
        #[arg(long, conflicts_with_all = ["principal", "action", "scope"])]
        batch: Option<PathBuf>,
        /// The principal's object id.
        #[arg(required_unless_present = "batch")]
        principal: Option<String>,
        /// The operation, e.g. `Microsoft.Compute/virtualMachines/read`.
        #[arg(required_unless_present = "batch")]
        action: Option<String>,
        /// The target scope (a resource id).
        #[arg(required_unless_present = "batch")]
        scope: Option<String>,
        /// The plane; `auto` asks the operation catalog.
        #[arg(long, value_enum, default_value_t = PlaneArg::Auto)]
        plane: PlaneArg,
        /// Extra group ids, as a token's `groups` claim carries them.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// A request attribute for conditions, `NAME=VALUE` (repeatable; repeat a name for several values). NAME
        /// is an attribute name (`Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project`)
        /// or `@Source[name]`. Resource names the scope encodes (a container's) are read from the scope instead.
        #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr)]
        attributes: Vec<(String, String)>,
        /// The request's sub-operation, e.g. `Blob.List`.
        #[arg(long)]
        sub_operation: Option<String>,
        /// The time conditions see as `@Environment[UtcNow]` (`2024-01-01T00:00:00Z`); default: the clock.
        #[arg(long, value_parser = parse_now)]
        now: Option<DateTime>,
        /// Say why, with the names of the assignment, role and pattern (or deny assignment) that decided.
        #[arg(long)]
        explain: bool,
    },
    /// Who may perform an operation at a scope (semantics §3.6): every principal the tenant names that a check
    /// would allow, with an assignment that grants it; `?` marks an answer that depends on the request's
    /// attributes. A group stands for the members its grant reaches, except those it lists as denied; members
    /// whose answer differs are listed on their own.
    WhoCan {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
        /// The operation, e.g. `Microsoft.Authorization/roleAssignments/write`.
        action: String,
        /// The scope (canonical, as a request's).
        scope: String,
        /// List every member a group's grant reaches on its own.
        #[arg(long)]
        expand: bool,
        /// Also whoever may at a scope below it.
        #[arg(long)]
        below: bool,
        /// The plane; `auto` asks the operation catalog.
        #[arg(long, value_enum, default_value_t = PlaneArg::Auto)]
        plane: PlaneArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = BenchFormat::Human)]
        format: BenchFormat,
    },
    /// What a principal may do at a scope (semantics §3.6): the operations of the catalog, and those roles name,
    /// per plane, each with an assignment that grants it; or, with `--effective`, the permission blocks of every
    /// role assigned in scope, in the shape of Azure's `Microsoft.Authorization/permissions` API.
    WhatCan {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
        /// The principal's object id.
        principal: String,
        /// The scope (canonical, as a request's).
        scope: String,
        /// Extra group ids, as a token's `groups` claim carries them.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Print the permission blocks in scope (deny assignments not subtracted, as Azure's API).
        #[arg(long)]
        effective: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = BenchFormat::Human)]
        format: BenchFormat,
    },
    /// Time loading, compiling and `check` over queries.jsonl files; count queries whose `expected` differs
    /// from the engine's decision (exit 1 if any).
    Bench {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
        /// A queries.jsonl file; repeat it to time several files, one after the other, over one compiled tenant
        /// (a short mix that repeats stays in the CPU's caches; a file of distinct queries does not).
        #[arg(long, required = true)]
        queries: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = BenchFormat::Human)]
        format: BenchFormat,
        /// Timed passes over all queries.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        passes: u32,
    },
    /// Run access tests (TOML `[[check]]` entries) against a tenant, plus the files a change proposes: exit 0 when
    /// all pass, 1 when any fails, 2 on bad input.
    Test {
        /// The tenant directory.
        #[arg(long)]
        tenant: PathBuf,
        /// Proposed role and assignment files, or directories of them, added to the tenant (repeatable).
        #[arg(long = "with")]
        with: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TestFormat::Human)]
        format: TestFormat,
        /// The test files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// What a change grants. Two tenant directories: the access gained and lost as (principal, operation, scope)
    /// rows at the highest scope where each holds, with the change that caused it (semantics §4.2). With
    /// `--roles`, per role, the operations gained and lost once wildcards are expanded (§4.1). Sensitive first.
    /// Exit 1 with `--fail-on-new-access` when anything (or anything in the given categories) is gained, 2 on bad
    /// input, else 0.
    Diff {
        /// Compare role definitions (files, or directories of `*.json` role files) instead of tenants.
        #[arg(long)]
        roles: bool,
        /// The base: a tenant directory (with `--roles`, a role file or directory).
        base: PathBuf,
        /// The new version: a tenant directory (with `--roles`, a role file or directory).
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
        /// Exit 1 when anything is gained; with categories (`credential-exposure`, `privilege-escalation`, ...),
        /// when anything in one of them is.
        #[arg(long, num_args = 0.., value_name = "CATEGORY")]
        fail_on_new_access: Option<Vec<String>>,
    },
    /// Turn the outputs of `az` (role definitions, role assignments, deny assignments from the REST API,
    /// management-group entities, group members) into a tenant directory, and check that it loads (exit 2 if
    /// not). `scripts/export-tenant.sh` runs the `az` commands.
    Import {
        /// The tenant directory to create (it must not exist, or be empty).
        #[arg(long)]
        out: PathBuf,
        /// `az role definition list --custom-role-only true` output (repeatable).
        #[arg(long = "roles")]
        roles: Vec<PathBuf>,
        /// `az role assignment list --all` output (repeatable).
        #[arg(long = "assignments")]
        assignments: Vec<PathBuf>,
        /// `GET …/providers/Microsoft.Authorization/denyAssignments` pages, every page (repeatable).
        #[arg(long = "deny-assignments")]
        deny_assignments: Vec<PathBuf>,
        /// `az account management-group entities list` output.
        #[arg(long)]
        entities: Option<PathBuf>,
        /// A directory of `az ad group member list --group <id>` outputs, each named `<group id>.json`
        /// (repeatable).
        #[arg(long)]
        group_members: Vec<PathBuf>,
    },
    /// Run the authorization server (forward-auth for nginx, Caddy, Traefik and Envoy; `/v1/check`; the Azure ML
    /// endpoint routes) with hot reload, a decision log and metrics. Exit 2 when the config or the tenant cannot
    /// be used.
    Serve {
        /// The configuration file (`gateway.toml`).
        #[arg(long)]
        config: PathBuf,
        /// Start even when the tenant cannot be loaded: `/readyz` answers 503 and every decision is refused until
        /// a tenant loads.
        #[arg(long)]
        wait_for_tenant: bool,
    },
    /// Create or extend the secrets file of Azure ML online endpoints: random 256-bit keys, owner-only. Keys are
    /// never printed; fetch them through the `listKeys` route.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Debug, Subcommand)]
enum SecretsCommand {
    /// Create a new secrets file (mode 600; an existing file is never overwritten) with a token signing key and
    /// two keys for each endpoint named.
    Init {
        /// The secrets file to create.
        file: PathBuf,
        /// An endpoint to create keys for (repeatable).
        #[arg(long = "endpoint")]
        endpoints: Vec<String>,
    },
    /// Add keys for endpoints the file lacks (endpoints that have keys keep them); the file is replaced
    /// atomically.
    Add {
        /// The secrets file.
        file: PathBuf,
        /// An endpoint to create keys for (repeatable).
        #[arg(long = "endpoint", required = true)]
        endpoints: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    Human,
    Json,
    Junit,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BenchFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlaneArg {
    Control,
    Data,
    Auto,
}

impl From<PlaneArg> for PlaneHint {
    fn from(p: PlaneArg) -> Self {
        match p {
            PlaneArg::Control => PlaneHint::Control,
            PlaneArg::Data => PlaneHint::Data,
            PlaneArg::Auto => PlaneHint::Auto,
        }
    }
}

fn parse_attr(s: &str) -> Result<(String, String), String> {
    // Split at the first `=` after any `@Source[...]` brackets: attribute names never contain `=`, values may.
    let from = s.find(']').map_or(0, |i| i + 1);
    let at = s.get(from..).and_then(|rest| rest.find('=')).map(|i| i + from);
    match at {
        Some(i) if i > 0 => Ok((s[..i].to_owned(), s[i + 1..].to_owned())),
        _ => Err(format!("expected `NAME=VALUE`, got `{s}`")),
    }
}

fn parse_now(s: &str) -> Result<DateTime, String> {
    DateTime::parse(s).ok_or_else(|| format!("expected a datetime such as `2024-01-01T00:00:00Z`, got `{s}`"))
}

fn render(d: &Diagnostic) -> String {
    let d = d.report();
    let theme =
        if std::io::stderr().is_terminal() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    if GraphicalReportHandler::new_themed(theme).with_width(100).render_report(&mut out, &d).is_err() {
        out = d.to_string();
    }
    out
}

/// Loads a tenant directory, printing every problem; `None` (after printing) when it cannot be used.
fn load_tenant(dir: &Path, max_file_bytes: u64) -> Result<Tenant, ExitCode> {
    let mut loader = match TenantLoader::from_dir_with(dir, max_file_bytes) {
        Ok(l) => l,
        Err(e) => {
            for d in &e.diagnostics {
                eprint!("{}", render(d));
            }
            return Err(ExitCode::from(2));
        }
    };
    match loader.build() {
        Ok((tenant, warnings)) => {
            for d in &warnings {
                eprint!("{}", render(d));
            }
            Ok(tenant)
        }
        Err(e) => {
            for d in &e.diagnostics {
                eprint!("{}", render(d));
            }
            eprintln!("rolegate: the tenant has fatal problems and is not used");
            Err(ExitCode::from(2))
        }
    }
}

/// Compiles a loaded tenant, printing every problem; refused (after printing) when the snapshot cannot represent
/// it ([`rolegate::engine::limits`]).
fn compile(tenant: Tenant) -> Result<Engine, ExitCode> {
    Engine::try_new(tenant).map_err(|e| {
        for d in &e.diagnostics {
            eprint!("{}", render(d));
        }
        eprintln!("rolegate: the tenant has fatal problems and is not used");
        ExitCode::from(2)
    })
}

fn decision_json(engine: &Engine, d: &Decision) -> serde_json::Value {
    serde_json::json!({ "decision": d.as_str(), "reason": engine.describe(d.reason()) })
}

/// Reads a queries file (a regular file under the cap), printing why not.
fn read_queries(path: &Path, max_file_bytes: u64) -> Result<String, ExitCode> {
    rolegate::internals::file::read_text(path, max_file_bytes).map_err(|e| {
        eprint!("{}", render(&e.diagnostic(path)));
        ExitCode::from(2)
    })
}

fn check_batch(engine: &Engine, path: &Path, max_file_bytes: u64) -> ExitCode {
    let text = match read_queries(path, max_file_bytes) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut out = std::io::stdout().lock();
    let (mut failed, mut mismatched) = (false, false);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<rolegate::schema::Query>(line) {
            Ok(q) => {
                let pairs = q.attribute_pairs();
                let req = match q.request() {
                    Ok(req) => req.attributes(&pairs),
                    Err(e) => {
                        failed = true;
                        let v = serde_json::json!({ "error": format!("line {}: {e}", n + 1) });
                        if writeln!(out, "{v}").is_err() {
                            break;
                        }
                        continue;
                    }
                };
                let d = engine.check(&req);
                let mut v = decision_json(engine, &d);
                if let serde_json::Value::Object(m) = &mut v {
                    if let Some(expected) = q.expected {
                        let matches = expected == d.is_allowed();
                        mismatched |= !matches;
                        m.insert("expected".into(), expected.into());
                        m.insert("matches_expected".into(), matches.into());
                    }
                    // Each line says what it answers, so that a reader needs not count lines.
                    m.insert("query".into(), serde_json::to_value(&q).unwrap_or_default());
                }
                v
            }
            Err(e) => {
                failed = true;
                serde_json::json!({ "error": format!("line {}: {e}", n + 1) })
            }
        };
        if writeln!(out, "{value}").is_err() {
            break;
        }
    }
    // Decisions set no exit status in batch mode; an unmet `expected` does, and bad input more so.
    if failed {
        ExitCode::from(2)
    } else if mismatched {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Peak resident set size (`VmHWM` in /proc/self/status), 0 where unavailable.
fn peak_rss_bytes() -> u64 {
    proc_kb_field("/proc/self/status", "VmHWM:").map_or(0, |kb| kb * 1024)
}

/// Anonymous memory backed by transparent huge pages, in bytes (Linux; `None` elsewhere). Reported because it
/// moves the per-check numbers on a VM more than most code changes do (see the README).
fn huge_pages_bytes() -> Option<u64> {
    proc_kb_field("/proc/self/smaps_rollup", "AnonHugePages:").map(|kb| kb * 1024)
}

/// A `NAME: <n> kB` line of a `/proc` file.
fn proc_kb_field(path: &str, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let value = text.lines().find_map(|l| l.strip_prefix(name))?;
    value.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
}

/// The median of `v` (sorted in place); `None` when empty.
fn median(v: &mut [u64]) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// The `p`-th percentile of a sorted slice.
fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(i).copied()
}

/// The timings of one queries file.
struct FileBench {
    /// The file's figures, as `rolegate bench --format json` reports them.
    report: serde_json::Map<String, serde_json::Value>,
    mismatches: usize,
}

/// Times every query of one file (see [`bench`]); a line that does not parse ends the run (exit 2).
fn bench_file(engine: &Engine, queries_path: &Path, passes: u32, max_file_bytes: u64) -> Result<FileBench, ExitCode> {
    use std::hint::black_box;

    let text = read_queries(queries_path, max_file_bytes)?;
    let mut queries: Vec<rolegate::schema::Query> = Vec::new();
    // Each query's plane and time, read once here where a bad one can be reported with its line.
    let mut plane_and_now = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<rolegate::schema::Query>(line) {
            Ok(q) => {
                let decided = q.request().map(|r| {
                    let parts = r.parts();
                    (parts.plane, parts.now)
                });
                match decided {
                    Ok(d) => plane_and_now.push(d),
                    Err(e) => {
                        eprintln!("rolegate: `{}` line {}: {e}", queries_path.display(), n + 1);
                        return Err(ExitCode::from(2));
                    }
                }
                queries.push(q);
            }
            Err(e) => {
                eprintln!("rolegate: `{}` line {}: {e}", queries_path.display(), n + 1);
                return Err(ExitCode::from(2));
            }
        }
    }
    // How much of the file repeats: a mix whose queries recur keeps its working set in cache.
    let distinct = queries.iter().map(rolegate::schema::Query::distinct_key).collect::<HashSet<_>>().len();
    // Owned request parts first, then requests borrowing them. Each query's principal, action, scope and groups
    // sit together in one buffer, request after request, as a gateway's request does in the buffer it was read
    // into: strings scattered over the heap by parsing would time cache and TLB misses that a gateway checking
    // the request it has just read does not have (about 15 ns of the median on the medium tenant).
    let mut text = String::new();
    let mut span = |s: &str| {
        let at = text.len();
        text.push_str(s);
        at..text.len()
    };
    let spans: Vec<_> = queries
        .iter()
        .map(|q| (span(&q.principal), span(&q.action), span(&q.scope), q.groups.iter().map(|g| span(g)).collect()))
        .collect();
    let at = |r: &std::ops::Range<usize>| text.get(r.clone()).unwrap_or_default();
    let groups: Vec<Vec<&str>> = spans.iter().map(|(.., g): &(_, _, _, Vec<_>)| g.iter().map(at).collect()).collect();
    let pairs: Vec<Vec<(String, String)>> = queries.iter().map(rolegate::schema::Query::attribute_pairs).collect();
    let requests: Vec<Request<'_>> = queries
        .iter()
        .zip(&spans)
        .zip(&groups)
        .zip(&pairs)
        .zip(&plane_and_now)
        .map(|((((q, (p, action, scope, _)), g), a), &(plane, now))| {
            Request::new(at(p), at(action), at(scope))
                .groups(g)
                .attributes(a)
                .plane(plane)
                .sub_operation(q.sub_operation.as_deref())
                .now(now)
        })
        .collect();

    // An untimed warm-up pass that also counts mismatches (decisions do not change between passes).
    let mut mismatches = 0usize;
    for (q, r) in queries.iter().zip(&requests) {
        let d = engine.check(r);
        if q.expected.is_some_and(|e| e != d.is_allowed()) {
            mismatches += 1;
        }
    }

    let mut all: Vec<u64> = Vec::with_capacity(requests.len() * passes as usize);
    let (mut allowed, mut denied, mut not_allowed) = (Vec::new(), Vec::new(), Vec::new());
    let mut untimed: Vec<u64> = Vec::new();
    for _ in 0..passes {
        for r in &requests {
            let t = Instant::now();
            let d = black_box(engine.check(black_box(r)));
            let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
            all.push(ns);
            match d {
                Decision::Allowed(_) => allowed.push(ns),
                Decision::Denied(_) => denied.push(ns),
                Decision::NotAllowed(_) => not_allowed.push(ns),
            }
        }
        let t = Instant::now();
        for r in &requests {
            black_box(engine.check(black_box(r)));
        }
        let per = t.elapsed().as_nanos() / requests.len().max(1) as u128;
        untimed.push(u64::try_from(per).unwrap_or(u64::MAX));
    }
    let check_ns_median = median(&mut all);
    let p99 = percentile(&all, 99);
    let report = [
        ("file", queries_path.display().to_string().into()),
        ("check_ns_median", check_ns_median.into()),
        ("check_ns_median_allowed", median(&mut allowed).into()),
        ("check_ns_median_denied", median(&mut denied).into()),
        ("check_ns_median_not_allowed", median(&mut not_allowed).into()),
        ("check_ns_p99", p99.into()),
        ("check_ns_mean_untimed", median(&mut untimed).into()),
        ("queries", requests.len().into()),
        ("distinct", distinct.into()),
        ("checks", all.len().into()),
        ("checks_allowed", allowed.len().into()),
        ("checks_denied", denied.len().into()),
        ("checks_not_allowed", not_allowed.len().into()),
        ("mismatches", mismatches.into()),
    ];
    let report = report.into_iter().map(|(k, v): (&str, serde_json::Value)| (k.to_owned(), v)).collect();
    Ok(FileBench { report, mismatches })
}

/// `rolegate bench`: every check is timed on its own with `Instant` (the timer's own cost, measured the same
/// way, is reported as `timer_overhead_ns` and not subtracted); `check_ns_mean_untimed` is the median over
/// passes of a pass's wall time divided by its checks, without per-check timers, as a cross-check. Each queries
/// file is timed on its own, in order; the report's top-level check figures are the first file's (as when
/// `bench` took one file), `mismatches` is the total that decides the exit code, and `files` has every file's.
fn bench(
    tenant_dir: &Path,
    queries_paths: &[PathBuf],
    format: BenchFormat,
    passes: u32,
    max_file_bytes: u64,
) -> ExitCode {
    use std::hint::black_box;

    let t = Instant::now();
    let tenant = match load_tenant(tenant_dir, max_file_bytes) {
        Ok(t) => t,
        Err(code) => return code,
    };
    // Milliseconds to the microsecond.
    let load_ms = (t.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let t = Instant::now();
    let engine = match compile(tenant) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let compile_ms = (t.elapsed().as_secs_f64() * 1e6).round() / 1e3;

    let mut timer: Vec<u64> = (0..1001)
        .map(|_| {
            let t = Instant::now();
            black_box(());
            u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
        })
        .collect();
    let timer_overhead_ns = median(&mut timer).unwrap_or(0);

    let mut files = Vec::with_capacity(queries_paths.len());
    for path in queries_paths {
        match bench_file(&engine, path, passes, max_file_bytes) {
            Ok(f) => files.push(f),
            Err(code) => return code,
        }
    }
    let mismatches: usize = files.iter().map(|f| f.mismatches).sum();
    let huge_pages = huge_pages_bytes();
    let first = files.first().map(|f| &f.report);
    let field = |k: &str| first.and_then(|r| r.get(k)).cloned().unwrap_or_default();
    let report = serde_json::json!({
        "load_ms": load_ms,
        "compile_ms": compile_ms,
        "peak_rss_bytes": peak_rss_bytes(),
        "check_ns_median": field("check_ns_median"),
        "check_ns_median_allowed": field("check_ns_median_allowed"),
        "check_ns_median_denied": field("check_ns_median_denied"),
        "check_ns_median_not_allowed": field("check_ns_median_not_allowed"),
        "check_ns_p99": field("check_ns_p99"),
        "check_ns_mean_untimed": field("check_ns_mean_untimed"),
        "timer_overhead_ns": timer_overhead_ns,
        "huge_pages_bytes": huge_pages,
        "queries": field("queries"),
        "passes": passes,
        "checks": field("checks"),
        "checks_allowed": field("checks_allowed"),
        "checks_denied": field("checks_denied"),
        "checks_not_allowed": field("checks_not_allowed"),
        "mismatches": mismatches,
        "distinct": field("distinct"),
        "files": files.iter().map(|f| &f.report).collect::<Vec<_>>(),
    });
    match format {
        BenchFormat::Json => println!("{report}"),
        BenchFormat::Human => {
            let mut rows = vec![
                ("load", format!("{load_ms} ms")),
                ("compile", format!("{compile_ms} ms")),
                ("peak RSS", format!("{:.1} MiB", peak_rss_bytes() as f64 / (1024.0 * 1024.0))),
                ("timer overhead", format!("{timer_overhead_ns} ns (included in per-check times)")),
                (
                    "huge pages",
                    huge_pages.map_or_else(
                        || "unknown".to_string(),
                        |b| format!("{:.1} MiB of anonymous memory", b as f64 / (1024.0 * 1024.0)),
                    ),
                ),
            ];
            for (path, f) in queries_paths.iter().zip(&files) {
                let get = |k: &str| f.report.get(k).map_or_else(String::new, ToString::to_string);
                rows.extend([
                    ("queries file", path.display().to_string()),
                    (
                        "checks",
                        format!(
                            "{} ({} queries, {} distinct, x {passes} passes)",
                            get("checks"),
                            get("queries"),
                            get("distinct")
                        ),
                    ),
                    ("check median", format!("{} ns (p99 {} ns)", get("check_ns_median"), get("check_ns_p99"))),
                    (
                        "  allowed",
                        format!("{} ns over {} checks", get("check_ns_median_allowed"), get("checks_allowed")),
                    ),
                    ("  denied", format!("{} ns over {} checks", get("check_ns_median_denied"), get("checks_denied"))),
                    (
                        "  not allowed",
                        format!("{} ns over {} checks", get("check_ns_median_not_allowed"), get("checks_not_allowed")),
                    ),
                    ("untimed mean", format!("{} ns per check", get("check_ns_mean_untimed"))),
                    ("mismatches", f.mismatches.to_string()),
                ]);
            }
            for (k, v) in rows {
                println!("{k:<16} {v}");
            }
        }
    }
    if mismatches > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The role definitions in a file, or in a directory's `*.json` files; `Err` after printing the problems.
fn load_role_set(path: &Path, max_file_bytes: u64) -> Result<Vec<rolegate::model::RoleDefinition>, ExitCode> {
    let files = if path.is_dir() {
        rolegate::load::TenantFile::list(path).map_err(|e| {
            eprintln!("rolegate: cannot read `{}`: {e}", path.display());
            ExitCode::from(2)
        })?
    } else {
        vec![path.to_path_buf()]
    };
    let mut roles = Vec::new();
    let mut fatal = false;
    for f in files {
        let bytes = rolegate::internals::file::read_file(&f, max_file_bytes).map_err(|e| {
            eprint!("{}", render(&e.diagnostic(&f)));
            ExitCode::from(2)
        })?;
        let loaded = rolegate::load::load_roles(&f.display().to_string(), &bytes);
        for d in &loaded.diagnostics {
            fatal |= d.is_fatal();
            eprint!("{}", render(d));
        }
        roles.extend(loaded.value);
    }
    if fatal { Err(ExitCode::from(2)) } else { Ok(roles) }
}

/// `rolegate diff [--roles] BASE NEW`: exit 1 with `--fail-on-new-access` when a gain matches, 2 on bad input.
fn diff(
    roles: bool,
    base: &Path,
    new: &Path,
    format: DiffFormat,
    fail_on: Option<&[String]>,
    max_file_bytes: u64,
) -> ExitCode {
    use rolegate_lint::Category;
    let mut categories = Vec::new();
    for name in fail_on.unwrap_or_default() {
        match Category::from_name(name) {
            Some(c) => categories.push(c),
            None => {
                let all: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
                eprintln!("rolegate: unknown category `{name}`; use one of {}", all.join(", "));
                return ExitCode::from(2);
            }
        }
    }
    let options = rolegate_lint::LintOptions::default();
    let (text, json, gains) = if roles {
        use rolegate_lint::diff::{diff_roles, human, markdown};
        let (base, new) = match (load_role_set(base, max_file_bytes), load_role_set(new, max_file_bytes)) {
            (Ok(b), Ok(n)) => (b, n),
            (Err(code), _) | (_, Err(code)) => return code,
        };
        let d = diff_roles(&base, &new, &options);
        let text = match format {
            DiffFormat::Human => human(&d),
            DiffFormat::Markdown => markdown(&d),
            DiffFormat::Json => String::new(),
        };
        (text, serde_json::to_string_pretty(&d), d.gains(&categories))
    } else {
        use rolegate_lint::tenant_diff::{human, markdown, tenant_diff};
        // Both are loaded, and every problem of both printed, before either is refused.
        let loaded = [base, new].map(|dir| load_tenant(dir, max_file_bytes).and_then(compile));
        let [b, n] = loaded;
        let (base, new) = match (b, n) {
            (Ok(b), Ok(n)) => (b, n),
            (Err(code), _) | (_, Err(code)) => return code,
        };
        let d = match tenant_diff(&base, &new, &options) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("rolegate: {e}");
                return ExitCode::from(2);
            }
        };
        let text = match format {
            DiffFormat::Human => human(&d),
            DiffFormat::Markdown => markdown(&d),
            DiffFormat::Json => String::new(),
        };
        (text, serde_json::to_string_pretty(&d), d.gains(&categories))
    };
    match format {
        DiffFormat::Human | DiffFormat::Markdown => print!("{text}"),
        DiffFormat::Json => match json {
            Ok(t) => println!("{t}"),
            Err(e) => {
                eprintln!("rolegate: {e}");
                return ExitCode::from(2);
            }
        },
    }
    if fail_on.is_some() && gains { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// `rolegate test`: exit 0 all pass, 1 any fails, 2 bad input (every file is parsed before any test runs).
fn access_tests(tenant: &Path, with: &[PathBuf], format: TestFormat, files: &[PathBuf]) -> ExitCode {
    use rolegate_cli::access;
    let mut parsed = Vec::new();
    let mut bad = false;
    for f in files {
        match access::load(f) {
            Ok(checks) => parsed.push((f.display().to_string(), checks)),
            Err(diagnostics) => {
                bad = true;
                for d in &diagnostics {
                    eprint!("{}", render(d));
                }
            }
        }
    }
    if bad {
        return ExitCode::from(2);
    }
    let tenant = match rolegate::testing::AccessTenant::load_with(tenant, with) {
        Ok(t) => t,
        Err(e) => {
            for d in &e.diagnostics {
                eprint!("{}", render(d));
            }
            eprintln!("rolegate: the tenant has fatal problems and is not used");
            return ExitCode::from(2);
        }
    };
    let results: Vec<access::TestResult> =
        parsed.iter().flat_map(|(name, checks)| access::run(&tenant, name, checks)).collect();
    let text = match format {
        TestFormat::Human => access::human(&results),
        TestFormat::Json => match serde_json::to_string_pretty(&results) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("rolegate: {e}");
                return ExitCode::from(2);
            }
        },
        TestFormat::Junit => match access::junit(&results) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("rolegate: {e}");
                return ExitCode::from(2);
            }
        },
        TestFormat::Github => access::github(&results),
    };
    print!("{text}");
    if results.iter().all(|r| r.passed) { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Loads and compiles a tenant directory, printing every problem.
fn engine_of(dir: &Path, max_file_bytes: u64) -> Result<Engine, ExitCode> {
    compile(load_tenant(dir, max_file_bytes)?)
}

/// How a grant is held, for people: `Reader at /subscriptions/s via group ops`.
fn via_text(v: &Via<'_>) -> String {
    let role = if v.role.is_empty() { v.role_id.unwrap_or("an unnamed role") } else { v.role };
    let group = v.group.map_or_else(String::new, |g| format!(" via group {g}"));
    format!("{role} at {}{group}", v.scope)
}

/// What a conditional answer waits on, for people.
fn needs_text(n: &Needs<'_>) -> String {
    let mut parts = Vec::new();
    if n.grant_condition {
        let on = if n.attributes.is_empty() { "the request".to_owned() } else { n.attributes.join(", ") };
        parts.push(format!("the grant's condition reads {on}"));
    } else if !n.attributes.is_empty() {
        parts.push(format!("reads {}", n.attributes.join(", ")));
    }
    for d in &n.deny_assignments {
        let name = d.name.or(d.id).map_or_else(|| format!("#{}", d.index), |n| format!("`{n}`"));
        parts.push(format!("deny assignment {name} may block"));
    }
    parts.join("; ")
}

/// Writes an answer to stdout at once: exit 0, or 2 when it cannot be written (a reader that stops early, as
/// `head` does, is no error).
fn emit(text: &str) -> ExitCode {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolegate: cannot write the answer: {e}");
            ExitCode::from(2)
        }
    }
}

fn print_json(v: &serde_json::Value) -> ExitCode {
    emit(&format!("{v}\n"))
}

/// `rolegate who-can`: exit 0 with the answer, 2 for bad input.
fn who_can(dir: &Path, q: &WhoCanQuery<'_>, action: &str, scope: &str, format: BenchFormat, max: u64) -> ExitCode {
    let engine = match engine_of(dir, max) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let w: WhoCan<'_> = match engine.who_can(q) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("rolegate: {e}");
            return ExitCode::from(2);
        }
    };
    if format == BenchFormat::Json {
        let mut v = serde_json::json!({ "action": action, "scope": scope });
        if let (serde_json::Value::Object(m), Ok(serde_json::Value::Object(rest))) = (&mut v, serde_json::to_value(&w))
        {
            m.extend(rest);
        }
        return print_json(&v);
    }
    let below = if w.reach == Reach::AtOrBelow { " or below" } else { "" };
    let plane = serde_json::to_value(w.plane).ok().and_then(|p| p.as_str().map(str::to_owned)).unwrap_or_default();
    let count = match w.grantees.len() {
        0 => "nobody".to_owned(),
        1 => "1 principal".to_owned(),
        n => format!("{n} principals"),
    };
    let mut out = String::new();
    let _ = writeln!(out, "who may {action} at {scope}{below} ({plane} plane): {count}");
    for g in &w.grantees {
        let kind = g.principal_type.map_or_else(String::new, |t| format!(" ({t})"));
        let mark = if g.conditional.is_some() { "?" } else { "" };
        let _ = writeln!(out, "  {}{mark}{kind}  {}", g.principal, via_text(&g.via));
        if let Some(n) = &g.conditional {
            let _ = writeln!(out, "      only if: {}", needs_text(n));
        }
        if !g.denied_members.is_empty() {
            let _ = writeln!(out, "      except members a deny assignment blocks: {}", g.denied_members.join(", "));
        }
    }
    emit(&out)
}

/// `rolegate what-can`: exit 0 with the answer, 2 for bad input.
fn what_can(
    dir: &Path,
    principal: &str,
    scope: &str,
    groups: &[String],
    effective: bool,
    format: BenchFormat,
    max: u64,
) -> ExitCode {
    let engine = match engine_of(dir, max) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let q = &WhatCanQuery::new(principal, scope).groups(groups);
    if effective {
        let list = match engine.effective_permissions(q) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("rolegate: {e}");
                return ExitCode::from(2);
            }
        };
        if format == BenchFormat::Json {
            return print_json(
                &serde_json::json!({ "principal": principal, "scope": scope, "groups": groups, "value": list }),
            );
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "permissions of {principal} at {scope}: {} blocks (deny assignments not subtracted)",
            list.len()
        );
        for p in &list {
            let _ = writeln!(out, "  {}", via_text(&p.assignment));
            for (name, items) in [
                ("actions", &p.actions),
                ("notActions", &p.not_actions),
                ("dataActions", &p.data_actions),
                ("notDataActions", &p.not_data_actions),
            ] {
                if !items.is_empty() {
                    let _ = writeln!(out, "    {name}: {}", items.join(", "));
                }
            }
            for (name, c) in [("condition", p.condition), ("assignment condition", p.assignment_condition)] {
                if let Some(c) = c {
                    let _ = writeln!(out, "    {name}: {c}");
                }
            }
        }
        return emit(&out);
    }
    let w = match engine.what_can(q) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("rolegate: {e}");
            return ExitCode::from(2);
        }
    };
    if format == BenchFormat::Json {
        let mut v = serde_json::json!({ "principal": principal, "scope": scope, "groups": groups });
        if let (serde_json::Value::Object(m), Ok(serde_json::Value::Object(rest))) = (&mut v, serde_json::to_value(&w))
        {
            m.extend(rest);
        }
        return print_json(&v);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "what {principal} may do at {scope}: {} control-plane and {} data-plane operations",
        w.control.len(),
        w.data.len()
    );
    for (plane, list) in [("control plane", &w.control), ("data plane", &w.data)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{plane}:");
        for p in list {
            let mark = if p.conditional.is_some() { "?" } else { "" };
            let _ = writeln!(out, "  {}{mark}  {}", p.operation, via_text(&p.via));
            if let Some(n) = &p.conditional {
                let _ = writeln!(out, "      only if: {}", needs_text(n));
            }
        }
    }
    emit(&out)
}

/// `rolegate serve`: exit 2 when the config, the tenant, the secrets or a listener cannot be used.
fn serve(path: &Path, wait_for_tenant: bool) -> ExitCode {
    use rolegate_cli::serve::{Server, StartError, config, init_logging, serve};
    let loaded = match config::load(path) {
        Ok(l) => l,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprint!("{}", render(d));
            }
            return ExitCode::from(2);
        }
    };
    // Held until the server returns, so that queued decision lines are written.
    let _log = match init_logging(&loaded.config) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("rolegate: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::new(loaded.config, wait_for_tenant) {
        Ok(s) => std::sync::Arc::new(s),
        Err(StartError::Diagnostics(diagnostics)) => {
            for d in &diagnostics {
                eprint!("{}", render(d));
            }
            eprintln!("rolegate: the tenant has fatal problems; not serving (use --wait-for-tenant to start anyway)");
            return ExitCode::from(2);
        }
        Err(StartError::Other(e)) => {
            eprintln!("rolegate: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rolegate: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(server)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolegate: {e}");
            ExitCode::from(2)
        }
    }
}

/// `rolegate secrets …`: exit 0 done, 2 refused (the reason on stderr, never a key).
fn secrets(command: SecretsCommand) -> ExitCode {
    use rolegate_gateway::ml::secrets::{Secrets, create_secrets, read_secrets, replace_secrets};
    let result = match command {
        SecretsCommand::Init { file, endpoints } => {
            Secrets::generate(endpoints.iter().map(String::as_str)).and_then(|s| create_secrets(&file, &s)).map(|()| {
                format!(
                    "created `{}` (mode 600): a token signing key and keys for {} endpoints",
                    file.display(),
                    endpoints.len()
                )
            })
        }
        SecretsCommand::Add { file, endpoints } => read_secrets(&file).and_then(|mut s| {
            let mut added = 0;
            for e in &endpoints {
                added += usize::from(s.add_endpoint(e)?);
            }
            replace_secrets(&file, &s)?;
            Ok(format!("`{}`: added keys for {added} endpoints ({} had them)", file.display(), endpoints.len() - added))
        }),
    };
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rolegate: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let max_file_bytes = args.max_file_size;
    match args.command {
        Command::Secrets(command) => secrets(command),
        Command::Diff { roles, base, new, format, fail_on_new_access } => {
            diff(roles, &base, &new, format, fail_on_new_access.as_deref(), max_file_bytes)
        }
        Command::Import { out, roles, assignments, deny_assignments, entities, group_members } => {
            let inputs = rolegate_cli::import::Inputs { roles, assignments, deny_assignments, entities, group_members };
            match rolegate_cli::import::import(&inputs, &out) {
                Err(e) => {
                    eprintln!("rolegate: {e}");
                    ExitCode::from(2)
                }
                Ok(summary) => match Engine::from_dir(&out) {
                    Ok((_, warnings)) => {
                        for d in &warnings {
                            eprint!("{}", render(d));
                        }
                        println!("{summary}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        for d in &e.diagnostics {
                            eprint!("{}", render(d));
                        }
                        eprintln!("rolegate: `{}` was written but does not load; fix the inputs above", out.display());
                        ExitCode::from(2)
                    }
                },
            }
        }
        Command::Test { tenant, with, format, files } => access_tests(&tenant, &with, format, &files),
        Command::Serve { config, wait_for_tenant } => serve(&config, wait_for_tenant),
        Command::Validate { tenant } => {
            let mut loader = match TenantLoader::from_dir_with(&tenant, max_file_bytes) {
                Ok(l) => l,
                Err(e) => {
                    for d in &e.diagnostics {
                        eprint!("{}", render(d));
                    }
                    return ExitCode::from(2);
                }
            };
            let loaded = loader.finish();
            for d in &loaded.diagnostics {
                eprint!("{}", render(d));
            }
            let t = &loaded.value;
            let fatal = loaded.is_fatal();
            let custom = t.roles.iter().filter(|r| r.role_type == rolegate::model::RoleType::Custom).count();
            println!(
                "{}: {} roles ({} custom), {} assignments, {} deny assignments, {} groups, {} management groups, {} problems",
                if fatal { "refused" } else { "ok" },
                t.roles.len(),
                custom,
                t.assignments.len(),
                t.deny_assignments.len(),
                t.groups.groups.len(),
                t.hierarchy.management_groups.len(),
                loaded.diagnostics.len(),
            );
            if fatal { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Command::Check {
            tenant,
            batch,
            principal,
            action,
            scope,
            plane,
            groups,
            attributes,
            sub_operation,
            now,
            explain,
        } => {
            let tenant = match load_tenant(&tenant, max_file_bytes) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let engine = match compile(tenant) {
                Ok(e) => e,
                Err(code) => return code,
            };
            if let Some(batch) = batch {
                return check_batch(&engine, &batch, max_file_bytes);
            }
            let (Some(principal), Some(action), Some(scope)) = (principal, action, scope) else {
                return ExitCode::from(2);
            };
            let req = Request::new(&principal, &action, &scope)
                .plane(plane.into())
                .groups(&groups)
                .attributes(&attributes)
                .sub_operation(sub_operation.as_deref())
                .now(now);
            let d = engine.check(&req);
            if explain {
                print!("{}", engine.explanation_text(&engine.explain(&req)));
            } else {
                println!("{}", d.as_str());
            }
            if d.is_allowed() { ExitCode::SUCCESS } else { ExitCode::from(3) }
        }
        Command::Bench { tenant, queries, format, passes } => bench(&tenant, &queries, format, passes, max_file_bytes),
        Command::WhoCan { tenant, action, scope, expand, below, plane, format } => {
            let reach = if below { Reach::AtOrBelow } else { Reach::At };
            let q = WhoCanQuery::new(&action, &scope).plane(plane.into()).reach(reach).expand(expand);
            who_can(&tenant, &q, &action, &scope, format, max_file_bytes)
        }
        Command::WhatCan { tenant, principal, scope, groups, effective, format } => {
            what_can(&tenant, &principal, &scope, &groups, effective, format, max_file_bytes)
        }
    }
}
