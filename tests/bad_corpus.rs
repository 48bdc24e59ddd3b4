//! The bad-input corpus (`tests/bad/`): every directory holding a `case.toml` is one case, run against both
//! binaries. Adding a case is writing its input files and a manifest; this file is the only code.
//!
//! A case directory is copied to a fresh work directory (without `case.toml`); `base = "tenant"` first copies
//! `tests/bad/_base/tenant/` to `tenant/` in it, and the case's own files overlay that copy. `[[setup]]` steps
//! then make what git cannot hold (FIFOs, dangling links, sparse files, directories named `*.json`). Each
//! `[[run]]` executes one command in the work directory, under a timeout and a memory limit, and states its
//! exit status, the diagnostics it must report (`"RL017 tenant/x.json:3:5 ~not a regular file"`: code, then
//! optionally file[:line[:col]], then optionally `~` and a case-insensitive part of the text), and for
//! `rolegate check` the decision. `role-lint` runs get `--format json` appended unless they name a format;
//! `rolegate` diagnostics are read from its rendered stderr.
//!
//! A case with `pending = "why"` is a fail-open bug being fixed: its expectation must *not* hold yet, so the
//! test fails both when the bug is still open in a case that claims it is fixed and when a fix lands without
//! un-pending its case. `BAD_CASE=substring` runs only the matching cases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

/// A command that hangs (a FIFO opened for reading) must fail its case, not the suite.
const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// `/dev/zero` read to the end would take the machine's memory with it, not only the case's.
const MEMORY_LIMIT_KIB: u64 = 2 * 1024 * 1024;
const MIN_CASES: usize = 150;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case is about, for the reader and the failure message.
    about: String,
    /// A directory of `tests/bad/_base/` copied into the work directory under its own name.
    base: Option<String>,
    /// The issue item whose fix this case waits for.
    pending: Option<String>,
    #[serde(default)]
    setup: Vec<Setup>,
    run: Vec<Run>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Setup {
    /// Replaces `path` (if present) by a symbolic link to `target` (which may not exist).
    Symlink { path: String, target: String },
    /// Replaces `path` by a named pipe that nobody writes to.
    Fifo { path: String },
    /// Replaces `path` by an empty directory.
    Dir { path: String },
    /// Creates a file of `size` bytes that takes no disk space (all NUL).
    Sparse { path: String, size: u64 },
    /// Deletes `path` (a file of the base that the case must not have).
    Remove { path: String },
    /// Replaces each JSON string `"@pad:N:PREFIX@"` in `path` by N strings `"PREFIX0"`, `"PREFIX1"`, ...,
    /// so that a list with an entry at index 65,536 needs no megabytes in git.
    Expand { path: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Run {
    /// The binary (`role-lint` or `rolegate`) and its arguments.
    args: Vec<String>,
    status: Status,
    /// Diagnostics that must be reported.
    #[serde(default)]
    codes: Vec<String>,
    /// Codes that must not be reported.
    #[serde(default)]
    absent: Vec<String>,
    /// `rolegate check`: the decision printed.
    decision: Option<String>,
    /// `rolegate check`: a decision that must not be printed (`"allowed"` for a case that once failed open).
    decision_not: Option<String>,
    /// Seconds before the command is killed and the case fails.
    timeout: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Status {
    One(i32),
    Any(Vec<i32>),
}

impl Status {
    fn accepts(&self, code: i32) -> bool {
        match self {
            Status::One(c) => *c == code,
            Status::Any(cs) => cs.contains(&code),
        }
    }
}

/// One diagnostic as a binary reported it.
#[derive(Debug)]
struct Found {
    code: String,
    file: Option<String>,
    line_col: Option<(u64, u64)>,
    text: String,
}

/// An expected diagnostic: `CODE [FILE[:LINE[:COL]]] [~TEXT]`.
#[derive(Debug)]
struct Expected {
    code: String,
    file: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
    text: Option<String>,
}

fn is_code(s: &str) -> bool {
    s.len() == 5 && s.starts_with("RL") && s.bytes().skip(2).all(|b| b.is_ascii_digit())
}

/// `file:line:col`, `file:line` or `file`.
fn parse_location(loc: &str) -> (String, Option<u64>, Option<u64>) {
    let mut parts = loc.rsplitn(3, ':');
    let (c, l, f) = (parts.next(), parts.next(), parts.next());
    if let (Some(c), Some(l), Some(f)) = (c.and_then(|c| c.parse().ok()), l.and_then(|l| l.parse().ok()), f) {
        return (normal(f), Some(l), Some(c));
    }
    match loc.rsplit_once(':').and_then(|(f, l)| Some((f, l.parse().ok()?))) {
        Some((f, l)) => (normal(f), Some(l), None),
        None => (normal(loc), None, None),
    }
}

fn parse_expected(s: &str) -> Result<Expected, String> {
    let (head, text) = match s.split_once('~') {
        Some((h, t)) => (h, Some(t.trim().to_lowercase())),
        None => (s, None),
    };
    let mut words = head.split_whitespace();
    let code = words.next().ok_or_else(|| format!("empty expectation `{s}`"))?.to_owned();
    if !is_code(&code) {
        return Err(format!("`{code}` is not a code in `{s}`"));
    }
    let (file, line, column) = match words.next().map(parse_location) {
        Some((f, l, c)) => (Some(f), l, c),
        None => (None, None, None),
    };
    if let Some(extra) = words.next() {
        return Err(format!("unexpected `{extra}` in `{s}` (put text after `~`)"));
    }
    Ok(Expected { code, file, line, column, text })
}

fn normal(path: &str) -> String {
    path.trim_start_matches("./").to_owned()
}

impl Expected {
    fn matches(&self, f: &Found) -> bool {
        f.code == self.code
            && self.file.as_ref().is_none_or(|want| match &f.file {
                Some(got) => normal(got) == *want,
                // A diagnostic without a span names its file in its message.
                None => f.text.contains(&format!("`{want}`")) || f.text.contains(&format!("`./{want}`")),
            })
            && self.line.is_none_or(|l| f.line_col.is_some_and(|(fl, _)| fl == l))
            && self.column.is_none_or(|c| f.line_col.is_some_and(|(_, fc)| fc == c))
            && self.text.as_ref().is_none_or(|t| f.text.to_lowercase().contains(t))
    }
}

/// The findings of a `role-lint --format json` report.
fn json_findings(stdout: &str) -> Vec<Found> {
    let Ok(v) = serde_json::from_str::<Value>(stdout) else { return Vec::new() };
    let Some(findings) = v["findings"].as_array() else { return Vec::new() };
    findings
        .iter()
        .map(|f| Found {
            code: f["code"].as_str().unwrap_or_default().to_owned(),
            file: f["file"].as_str().map(str::to_owned),
            line_col: f["line"].as_u64().zip(f["column"].as_u64()),
            text: format!("{} {}", f["message"].as_str().unwrap_or_default(), f["help"].as_str().unwrap_or_default()),
        })
        .collect()
}

/// Diagnostics rendered by miette's graphical handler: a header line holding the code and its kebab-case name
/// (`RL006 malformed-action`), then the report, whose first `╭─[file:line:col]` is the primary label.
fn rendered_findings(stderr: &str) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for line in stderr.lines() {
        let t = line.trim();
        let header = t.split_once(' ').filter(|(code, name)| {
            is_code(code)
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if let Some((code, _)) = header {
            out.push(Found { code: code.to_owned(), file: None, line_col: None, text: String::new() });
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        if cur.file.is_none()
            && let Some(at) = t.find("╭─[")
            && let Some(loc) = t[at + "╭─[".len()..].strip_suffix(']')
        {
            let mut parts = loc.rsplitn(3, ':');
            let (c, l, f) = (parts.next(), parts.next(), parts.next());
            if let (Some(c), Some(l), Some(f)) = (c.and_then(|c| c.parse().ok()), l.and_then(|l| l.parse().ok()), f) {
                cur.file = Some(f.to_owned());
                cur.line_col = Some((l, c));
            }
        }
        cur.text.push_str(t);
        cur.text.push('\n');
    }
    out
}

struct Outcome {
    status: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
}

fn execute(work: &Path, args: &[String], timeout: Duration) -> Result<Outcome, String> {
    let (bin, rest) = args.split_first().ok_or("a run without args")?;
    let exe = match bin.as_str() {
        "role-lint" => env!("CARGO_BIN_EXE_role-lint"),
        "rolegate" => env!("CARGO_BIN_EXE_rolegate"),
        other => return Err(format!("unknown binary `{other}`")),
    };
    let mut argv: Vec<String> = rest.to_vec();
    if bin == "role-lint" && !argv.iter().any(|a| a == "--explain" || a == "--format") {
        argv.extend(["--format".into(), "json".into()]);
    }
    // `sh` (POSIX, always present) sets the limit and `exec`s, so the timeout kills the binary itself.
    let script = format!("ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\"");
    let started = Instant::now();
    let out = assert_cmd::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .args(&argv)
        .current_dir(work)
        .timeout(timeout)
        .output()
        .map_err(|e| format!("cannot run `sh`: {e}"))?;
    Ok(Outcome {
        status: out.status.code(),
        timed_out: out.status.code().is_none() && started.elapsed() >= timeout,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Why `run`'s expectation does not hold, or `None` when it does.
fn judge(run: &Run, o: &Outcome) -> Option<String> {
    let mut why = Vec::new();
    if o.timed_out {
        why.push(format!("killed after the {} s timeout", run.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS)));
    }
    match o.status {
        Some(code) if !run.status.accepts(code) => why.push(format!("exit status {code}, expected {:?}", run.status)),
        Some(_) => {}
        None if !o.timed_out => why.push("killed by a signal".to_owned()),
        None => {}
    }
    if o.stderr.contains("panicked at") {
        why.push("panicked".to_owned());
    }
    let mut found = json_findings(&o.stdout);
    found.extend(rendered_findings(&o.stdout));
    found.extend(rendered_findings(&o.stderr));
    for e in &run.codes {
        match parse_expected(e) {
            Ok(exp) if found.iter().any(|f| exp.matches(f)) => {}
            Ok(_) => why.push(format!("no diagnostic `{e}`")),
            Err(msg) => why.push(msg),
        }
    }
    for code in &run.absent {
        if found.iter().any(|f| f.code == *code) {
            why.push(format!("reported {code}, which it must not"));
        }
    }
    let printed = o.stdout.lines().next().and_then(|l| l.split([':', ' ']).next()).unwrap_or_default();
    if let Some(d) = &run.decision
        && printed != d
    {
        why.push(format!("decision `{printed}`, expected `{d}`"));
    }
    if let Some(d) = &run.decision_not
        && printed == d
    {
        why.push(format!("decision `{printed}`, which it must never be"));
    }
    if why.is_empty() {
        None
    } else {
        let found: Vec<String> = found
            .iter()
            .map(|f| {
                let at = f.line_col.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
                format!("{} {}{at}", f.code, f.file.as_deref().unwrap_or("-"))
            })
            .collect();
        Some(format!(
            "`{}`: {}\n      found: [{}]\n      stdout: {}\n      stderr: {}",
            run.args.join(" "),
            why.join("; "),
            found.join(", "),
            clip(&o.stdout),
            clip(&o.stderr)
        ))
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 1500;
    let s = s.trim();
    if s.len() <= MAX {
        return s.to_owned();
    }
    let end = (0..=MAX).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    format!("{}… ({} bytes)", &s[..end], s.len())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == "case.toml" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Removes whatever is at `path`, a directory or a link included, so that a setup step can put its own kind.
fn clear(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn expand(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\"@pad:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "\"@pad:".len()..];
        let end = after.find("@\"").ok_or("unterminated `\"@pad:`")?;
        let (n, prefix) = after[..end].split_once(':').ok_or("expected `\"@pad:N:PREFIX@\"`")?;
        let n: usize = n.parse().map_err(|_| format!("bad count `{n}`"))?;
        for i in 0..n {
            if i > 0 {
                out.push_str(", ");
            }
            write!(out, "\"{prefix}{i}\"").map_err(|e| e.to_string())?;
        }
        rest = &after[end + "@\"".len()..];
    }
    out.push_str(rest);
    Ok(out)
}

fn set_up(work: &Path, step: &Setup) -> Result<(), String> {
    let io = |what: &str, p: &str, e: std::io::Error| format!("setup {what} `{p}`: {e}");
    match step {
        Setup::Symlink { path, target } => {
            let p = work.join(path);
            clear(&p).map_err(|e| io("symlink", path, e))?;
            std::os::unix::fs::symlink(target, &p).map_err(|e| io("symlink", path, e))
        }
        Setup::Fifo { path } => {
            let p = work.join(path);
            clear(&p).map_err(|e| io("fifo", path, e))?;
            rustix::fs::mkfifoat(rustix::fs::CWD, &p, rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR)
                .map_err(|e| io("fifo", path, e.into()))
        }
        Setup::Dir { path } => {
            let p = work.join(path);
            clear(&p).map_err(|e| io("dir", path, e))?;
            std::fs::create_dir_all(&p).map_err(|e| io("dir", path, e))
        }
        Setup::Sparse { path, size } => {
            let f = std::fs::File::create(work.join(path)).map_err(|e| io("sparse", path, e))?;
            f.set_len(*size).map_err(|e| io("sparse", path, e))
        }
        Setup::Remove { path } => clear(&work.join(path)).map_err(|e| io("remove", path, e)),
        Setup::Expand { path } => {
            let p = work.join(path);
            let text = std::fs::read_to_string(&p).map_err(|e| io("expand", path, e))?;
            let text = expand(&text).map_err(|e| format!("setup expand `{path}`: {e}"))?;
            std::fs::write(&p, text).map_err(|e| io("expand", path, e))
        }
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

fn find_cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.file_name().is_some_and(|n| n == "_base") {
            continue;
        }
        if p.join("case.toml").is_file() {
            out.push(p);
        } else if p.is_dir() {
            find_cases(&p, out);
        }
    }
}

enum Verdict {
    Pass,
    /// Pending, and the expectation indeed does not hold yet: the first reason.
    StillPending(String),
    Fail(String),
}

fn run_case(name: &str, dir: &Path, work_root: &Path) -> Verdict {
    let text = match std::fs::read_to_string(dir.join("case.toml")) {
        Ok(t) => t,
        Err(e) => return Verdict::Fail(format!("{name}: cannot read case.toml: {e}")),
    };
    let case: Case = match toml::from_str(&text) {
        Ok(c) => c,
        Err(e) => return Verdict::Fail(format!("{name}: bad case.toml: {e}")),
    };
    if case.run.is_empty() {
        return Verdict::Fail(format!("{name}: no [[run]]"));
    }
    // A manifest mistake must fail even a pending case, which would otherwise count it as the bug still open.
    for run in &case.run {
        if !matches!(run.args.first().map(String::as_str), Some("role-lint" | "rolegate")) {
            return Verdict::Fail(format!("{name}: a run must start with `role-lint` or `rolegate`: {:?}", run.args));
        }
        if let Some(e) = run.codes.iter().find_map(|c| parse_expected(c).err()) {
            return Verdict::Fail(format!("{name}: {e}"));
        }
        if let Some(c) = run.absent.iter().find(|c| !is_code(c)) {
            return Verdict::Fail(format!("{name}: `{c}` in `absent` is not a code"));
        }
    }
    let work = work_root.join(name.replace('/', "__"));
    let prepared = (|| -> Result<(), String> {
        clear(&work).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        if let Some(base) = &case.base {
            copy_tree(&corpus_dir().join("_base").join(base), &work.join(base))
                .map_err(|e| format!("base `{base}`: {e}"))?;
        }
        copy_tree(dir, &work).map_err(|e| e.to_string())?;
        case.setup.iter().try_for_each(|s| set_up(&work, s))
    })();
    if let Err(e) = prepared {
        return Verdict::Fail(format!("{name}: {e}"));
    }
    let mut failures = Vec::new();
    for run in &case.run {
        let timeout = Duration::from_secs(run.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
        match execute(&work, &run.args, timeout) {
            Ok(o) => failures.extend(judge(run, &o)),
            Err(e) => return Verdict::Fail(format!("{name}: {e}")),
        }
    }
    // Kept on failure, to look at; the sparse files would otherwise pile up.
    let verdict = match (&case.pending, failures.is_empty()) {
        (None, true) => Verdict::Pass,
        (None, false) => Verdict::Fail(format!("{name} ({}):\n    {}", case.about, failures.join("\n    "))),
        (Some(why), true) => Verdict::Fail(format!(
            "{name} ({}): pending ({why}) but its expectation now holds: remove `pending`",
            case.about
        )),
        (Some(_), false) => Verdict::StillPending(failures.swap_remove(0)),
    };
    if !matches!(verdict, Verdict::Fail(_)) {
        let _ = std::fs::remove_dir_all(&work);
    }
    verdict
}

#[test]
fn bad_input_corpus() {
    let mut dirs = Vec::new();
    find_cases(&corpus_dir(), &mut dirs);
    let filter = std::env::var("BAD_CASE").ok();
    let root = corpus_dir();
    let names: Vec<(String, PathBuf)> = dirs
        .into_iter()
        .map(|d| (d.strip_prefix(&root).unwrap().to_string_lossy().into_owned(), d))
        .filter(|(n, _)| filter.as_ref().is_none_or(|f| n.contains(f.as_str())))
        .collect();
    match &filter {
        Some(f) => eprintln!("BAD_CASE={f}: running {} of the corpus's cases", names.len()),
        None => assert!(names.len() >= MIN_CASES, "the corpus has {} cases, fewer than {MIN_CASES}", names.len()),
    }
    let work_root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-corpus");
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, Verdict, Duration)>> = Mutex::new(Vec::new());
    // The binaries mostly wait (FIFOs, timeouts) or are short; a few workers keep two cores busy.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some((name, dir)) = names.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let started = Instant::now();
                    let v = run_case(name, dir, &work_root);
                    results.lock().unwrap().push((name.clone(), v, started.elapsed()));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, ..) in &results {
        *per_category.entry(name.split('/').next().unwrap_or_default()).or_default() += 1;
    }
    let pending: Vec<String> = results
        .iter()
        .filter_map(|(n, v, _)| match v {
            Verdict::StillPending(why) => Some(format!("  {n}: {}", why.lines().next().unwrap_or_default())),
            _ => None,
        })
        .collect();
    let failures: Vec<&str> = results
        .iter()
        .filter_map(|(_, v, _)| match v {
            Verdict::Fail(msg) => Some(msg.as_str()),
            _ => None,
        })
        .collect();
    eprintln!("bad-input corpus: {} cases {per_category:?}", results.len());
    let mut slowest: Vec<(&str, Duration)> = results.iter().map(|(n, _, t)| (n.as_str(), *t)).collect();
    slowest.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    slowest.truncate(5);
    eprintln!("slowest: {slowest:?}");
    eprintln!("{} pending (expected to fail until fixed):\n{}", pending.len(), pending.join("\n"));
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), results.len(), failures.join("\n"));
}

/// The harness's own parsing: an expectation it misreads would make cases pass that should not.
/// code, file, line, column, text of a parsed expectation.
type Parts<'a> = (&'a str, Option<&'a str>, Option<u64>, Option<u64>, Option<&'a str>);

#[test]
fn expectations_and_rendered_reports_parse() {
    let cases: [(&str, Option<Parts<'_>>); 7] = [
        ("RL000", Some(("RL000", None, None, None, None))),
        ("RL017 ./t/x.json", Some(("RL017", Some("t/x.json"), None, None, None))),
        ("RL001 role.json:3", Some(("RL001", Some("role.json"), Some(3), None, None))),
        ("RL001 role.json:3:15 ~Wrong Type", Some(("RL001", Some("role.json"), Some(3), Some(15), Some("wrong type")))),
        ("RL17", None),
        ("XL001 role.json", None),
        ("RL001 role.json 3", None),
    ];
    for (text, want) in cases {
        let got = parse_expected(text).ok().map(|e| (e.code, e.file, e.line, e.column, e.text));
        let want = want.map(|(c, f, l, col, t)| (c.to_owned(), f.map(str::to_owned), l, col, t.map(str::to_owned)));
        assert_eq!(got, want, "{text}");
    }
    let stderr = "RL003 unknown-key\n\n  ⚠ unknown key `NotAction` in role definition\n   ╭─[./t3/role.json:1:34]\n 1 │ {}\n   ╰────\n\
                  RL017 unreadable\n\n  × cannot read `nope`: No such file or directory\n  help: check the path\n";
    let found = rendered_findings(stderr);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(parse_expected("RL003 t3/role.json:1:34 ~unknown key").unwrap().matches(&found[0]));
    assert!(!parse_expected("RL003 t3/role.json:1:35").unwrap().matches(&found[0]));
    assert!(parse_expected("RL017 nope ~no such file").unwrap().matches(&found[1]));
    assert!(!parse_expected("RL017 other").unwrap().matches(&found[1]));
    assert_eq!(expand(r#"["@pad:3:a/@", "x"]"#).unwrap(), r#"["a/0", "a/1", "a/2", "x"]"#);
}
