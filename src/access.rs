//! `rolegate test`: access test files in TOML (semantics §3.7; schema `schemas/access-test.schema.json`), run
//! with [`rolegate::testing`], reported for people, as JSON, as JUnit XML or as GitHub annotations.
//!
//! ```toml
//! [[check]]
//! name = "ops can restart VMs in prod"
//! principal = "00000000-0000-0000-0000-0000000000aa"
//! action = "Microsoft.Compute/virtualMachines/restart/action"
//! scope = "/subscriptions/prod/resourceGroups/vms"
//! groups = ["ops"]
//! expect = "allowed"            # or "denied" (a deny assignment), "not_allowed"
//! # reason = "deny_assignment"  # optionally, the reason too
//!
//! [[only]]                      # these principals alone may (groups cover their members)
//! name = "only break-glass writes role assignments in prod"
//! action = "Microsoft.Authorization/roleAssignments/write"
//! scope = "/subscriptions/prod"
//! principals = ["break-glass"]
//!
//! [[never]]                     # nobody may, at the scope or anywhere below it
//! name = "no key listing in prod"
//! action = "*/listKeys/action"  # patterns expand against the catalog and every action a role names
//! scope = "/subscriptions/prod"
//! except = []
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rolegate::Diagnostic;
use rolegate::condition::DateTime;
use rolegate::diag::{Code, SourceText, Span};
use rolegate::engine::{PlaneHint, ReasonKind};
use rolegate::testing::{AccessTenant, Check, Expect, Never, Offender, Only};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A test file that cannot be used.
pub const INVALID_TEST_FILE: Code = Code { id: "RL610", name: "invalid-access-test", fatal: true };

/// An access test file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// Requests and what must become of them.
    #[serde(default)]
    #[schemars(with = "Vec<CheckEntry>")]
    pub check: Vec<Spanned<CheckEntry>>,
    /// Operations only the listed principals may perform at a scope.
    #[serde(default)]
    #[schemars(with = "Vec<OnlyEntry>")]
    pub only: Vec<Spanned<OnlyEntry>>,
    /// Operations nobody (but the exceptions) may perform at a scope or below it.
    #[serde(default)]
    #[schemars(with = "Vec<NeverEntry>")]
    pub never: Vec<Spanned<NeverEntry>>,
}

/// `[[only]]`: the principals that alone may perform an operation at a scope.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlyEntry {
    /// What the test is about, for reports.
    pub name: String,
    /// An operation, or a pattern (`*`) expanded against the catalog and every action a role names.
    pub action: String,
    /// The scope.
    pub scope: String,
    /// The principals (users, groups, service principals) that alone may; a group covers its members.
    pub principals: Vec<String>,
}

/// `[[never]]`: an operation nobody may perform at a scope or anywhere below it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeverEntry {
    /// What the test is about, for reports.
    pub name: String,
    /// An operation, or a pattern (`*`) expanded against the catalog and every action a role names.
    pub action: String,
    /// The scope; everything below it is included.
    pub scope: String,
    /// Principals that may (break-glass).
    #[serde(default)]
    pub except: Vec<String>,
}

/// One test of a file.
#[derive(Clone, Debug)]
pub enum Case {
    /// `[[check]]`.
    Check(Check),
    /// `[[only]]`.
    Only(Only),
    /// `[[never]]`.
    Never(Never),
}

impl Case {
    fn kind(&self) -> &'static str {
        match self {
            Case::Check(_) => "check",
            Case::Only(_) => "only",
            Case::Never(_) => "never",
        }
    }
}

/// `[[check]]`: one request and the decision it must get.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    /// What the test is about, for reports.
    pub name: String,
    /// The principal's object id.
    pub principal: String,
    /// The operation.
    pub action: String,
    /// The scope.
    pub scope: String,
    /// `control`, `data`, or `auto` (the catalog decides; the default).
    #[serde(default)]
    pub plane: Option<String>,
    /// Extra group ids, as a token's `groups` claim carries them.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Request attributes for conditions: `name = "value"` (or a list of values).
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, AttributeValue>,
    /// The time conditions see (`2024-01-01T00:00:00Z`).
    #[serde(default)]
    pub time: Option<String>,
    /// `allowed`, `denied` (a deny assignment blocks it) or `not_allowed`.
    pub expect: String,
    /// The expected reason (`granted`, `deny_assignment`, `no_grant`, `condition_not_met`, ...).
    #[serde(default)]
    pub reason: Option<String>,
}

/// One value or several.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AttributeValue {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

/// The outcome of one test.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    /// The file.
    pub file: String,
    /// The line of its `[[check]]` header (1-based).
    pub line: usize,
    /// The kind of test (`check`, `only`, `never`).
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// For a failure: what was expected and what happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For a failure: the engine's explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// For a failed `only` or `never`: who may, and how.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offenders: Vec<Offender>,
    /// How long it took.
    #[serde(skip)]
    pub time: Duration,
}

/// A test file's checks, parsed and checked, each with its line.
pub fn parse(name: &str, text: &str) -> Result<Vec<(usize, String, Case)>, Vec<Diagnostic>> {
    let src = Arc::new(SourceText::new(name, text));
    let err = |span: Option<std::ops::Range<usize>>, message: String| {
        let d = Diagnostic::error(INVALID_TEST_FILE, message).with_help("see `schemas/access-test.schema.json`");
        match span {
            Some(r) => d.at(&src, Span::new(r.start, r.end)),
            None => d.in_file(&src),
        }
    };
    let file: TestFile = toml::from_str(text).map_err(|e| {
        let message = format!("invalid access test file: {}", e.message().trim().replace('\n', "; "));
        vec![err(e.span(), message)]
    })?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let line_of = |span: &std::ops::Range<usize>| text.get(..span.start).map_or(1, |t| t.matches('\n').count() + 1);
    for entry in &file.only {
        let e = entry.get_ref();
        let rule = Only::new(&e.action, &e.scope, e.principals.iter().cloned());
        out.push((line_of(&entry.span()), e.name.clone(), Case::Only(rule)));
    }
    for entry in &file.never {
        let e = entry.get_ref();
        let rule = Never::new(&e.action, &e.scope).except(e.except.iter().cloned());
        out.push((line_of(&entry.span()), e.name.clone(), Case::Never(rule)));
    }
    for entry in &file.check {
        let span = entry.span();
        let line = line_of(&span);
        let e = entry.get_ref();
        let at = Some(span.clone());
        let Some(expect) = Expect::parse(&e.expect) else {
            errors.push(err(at, format!("`expect = \"{}\"`: use allowed, denied or not_allowed", e.expect)));
            continue;
        };
        let mut check = Check::new(&e.principal, &e.action, &e.scope).expect(expect);
        if let Some(reason) = &e.reason {
            match ReasonKind::ALL.iter().find(|k| k.as_str() == reason) {
                Some(k) => check = check.reason(*k),
                None => {
                    let all: Vec<&str> = ReasonKind::ALL.iter().map(|k| k.as_str()).collect();
                    errors.push(err(at, format!("`reason = \"{reason}\"`: use one of {}", all.join(", "))));
                    continue;
                }
            }
        }
        check = match e.plane.as_deref() {
            None | Some("auto") => check,
            Some("control") => check.plane(PlaneHint::Control),
            Some("data") => check.plane(PlaneHint::Data),
            Some(other) => {
                errors.push(err(at, format!("`plane = \"{other}\"`: use control, data or auto")));
                continue;
            }
        };
        if let Some(time) = &e.time {
            match DateTime::parse(time) {
                Some(t) => check = check.now(t),
                None => {
                    errors.push(err(at, format!("`time = \"{time}\"` is not a datetime such as 2024-01-01T00:00:00Z")));
                    continue;
                }
            }
        }
        let attributes = e.attributes.iter().flat_map(|(k, v)| match v {
            AttributeValue::One(v) => vec![(k.clone(), v.clone())],
            AttributeValue::Many(vs) => vs.iter().map(|v| (k.clone(), v.clone())).collect(),
        });
        check = check.groups(e.groups.iter().cloned()).attributes(attributes);
        out.push((line, e.name.clone(), Case::Check(check)));
    }
    // In the file's order, whatever their kind.
    out.sort_by_key(|(line, ..)| *line);
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Runs a file's checks against the tenant.
pub fn run(tenant: &AccessTenant, file: &str, cases: &[(usize, String, Case)]) -> Vec<TestResult> {
    cases
        .iter()
        .map(|(line, name, case)| {
            let started = Instant::now();
            let outcome = match case {
                Case::Check(c) => tenant.check(c),
                Case::Only(o) => tenant.only(o),
                Case::Never(n) => tenant.never(n),
            };
            let (message, explanation, offenders) = match outcome {
                Ok(()) => (None, None, Vec::new()),
                Err(f) => (Some(f.message.clone()), Some(f.explanation.clone()), f.offenders.clone()),
            };
            TestResult {
                file: file.to_owned(),
                line: *line,
                kind: case.kind(),
                name: name.clone(),
                passed: message.is_none(),
                message,
                explanation,
                offenders,
                time: started.elapsed(),
            }
        })
        .collect()
}

/// For people: one line per test, failures with their explanation, and a summary.
pub fn human(results: &[TestResult]) -> String {
    let mut out = String::new();
    for r in results {
        let mark = if r.passed { "ok  " } else { "FAIL" };
        out.push_str(&format!("{mark} {}:{} {}\n", r.file, r.line, r.name));
        if let (Some(m), Some(e)) = (&r.message, &r.explanation) {
            out.push_str(&format!("     {m}\n"));
            for line in e.lines() {
                out.push_str(&format!("     | {line}\n"));
            }
        }
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    out.push_str(&format!("{} tests, {} passed, {failed} failed\n", results.len(), results.len() - failed));
    out
}

/// JUnit XML (`quick-junit`): one suite per file.
pub fn junit(results: &[TestResult]) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("rolegate test");
    let mut files: Vec<&str> = results.iter().map(|r| r.file.as_str()).collect();
    files.dedup();
    for file in files {
        let mut suite = TestSuite::new(file);
        for r in results.iter().filter(|r| r.file == file) {
            let status = match (&r.message, &r.explanation) {
                (Some(m), e) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(m.as_str());
                    if let Some(e) = e {
                        s.set_description(e.as_str());
                    }
                    s
                }
                (None, _) => TestCaseStatus::success(),
            };
            let mut case = TestCase::new(r.name.as_str(), status);
            case.set_classname(format!("{}:{}", r.file, r.line)).set_time(r.time);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| e.to_string())
}

/// GitHub workflow commands: an `::error` annotation at each failing test's line.
pub fn github(results: &[TestResult]) -> String {
    // Workflow commands end at a newline; `%`, `\r`, `\n` (and `:`/`,` in properties) are escaped.
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for r in results.iter().filter(|r| !r.passed) {
        let body = format!("{}\n{}", r.message.as_deref().unwrap_or(""), r.explanation.as_deref().unwrap_or(""));
        out.push_str(&format!(
            "::error file={},line={},title={}::{}\n",
            property(&r.file),
            r.line,
            property(&format!("access test failed: {}", r.name)),
            data(body.trim_end())
        ));
    }
    out
}

/// Reads and parses a test file.
pub fn load(path: &Path) -> Result<Vec<(usize, String, Case)>, Vec<Diagnostic>> {
    let text = rolegate::internals::file::read_text(path, 16 << 20).map_err(|e| vec![e.diagnostic(path)])?;
    parse(&path.display().to_string(), &text)
}

/// The JSON Schema of access test files (committed as `schemas/access-test.schema.json`).
pub fn schema() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&schemars::schema_for!(TestFile)).map(|s| s + "\n")
}
