//! Access tests (semantics §3.7): what `rolegate test` runs from TOML files, as a library API for Rust test
//! suites. Load the tenant plus the files a change proposes, then assert that a request is allowed or refused.
//!
//! ```
//! use rolegate::testing::{AccessTenant, Check, Expect};
//!
//! let mut loader = rolegate::load::TenantLoader::new();
//! loader.add_assignments("assignments.json", br#"[{"principalId": "alice", "principalType": "User",
//!     "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/subscriptions/s1"}]"#);
//! let tenant = AccessTenant::from_loader(&mut loader)?;
//!
//! // Reader reads, and does not write.
//! tenant.assert(&Check::new("alice", "Microsoft.Compute/virtualMachines/read", "/subscriptions/s1/resourceGroups/rg"));
//! let write = Check::new("alice", "Microsoft.Compute/virtualMachines/write", "/subscriptions/s1").expect(Expect::Allowed);
//! let failure = tenant.check(&write).unwrap_err();
//! assert!(failure.message.contains("expected allowed, got not_allowed (no_grant)"), "{}", failure.message);
//! # Ok::<(), rolegate::load::LoadError>(())
//! ```

use std::path::{Path, PathBuf};

use crate::condition::DateTime;
use crate::engine::{Decision, Engine, Plane, PlaneHint, Reach, ReasonKind, Request, WhoCanQuery};
use crate::load::{LoadError, TenantFile, TenantLoader};
use crate::matcher::Pattern;

/// What a check expects of the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expect {
    /// Allowed.
    Allowed,
    /// Blocked by a deny assignment.
    Denied,
    /// Not granted (or not decidable: fail closed).
    NotAllowed,
}

impl Expect {
    /// `allowed`, `denied` or `not_allowed`, as [`Decision::as_str`] spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allowed => "allowed",
            Expect::Denied => "denied",
            Expect::NotAllowed => "not_allowed",
        }
    }

    /// Parses [`Expect::as_str`]'s spellings.
    pub fn parse(text: &str) -> Option<Expect> {
        match text {
            "allowed" => Some(Expect::Allowed),
            "denied" => Some(Expect::Denied),
            "not_allowed" => Some(Expect::NotAllowed),
            _ => None,
        }
    }
}

/// One request and what must become of it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Check {
    /// The principal's object id.
    pub principal: String,
    /// The operation.
    pub action: String,
    /// The scope.
    pub scope: String,
    /// The plane (the catalog decides by default).
    pub plane: PlaneHint,
    /// Extra group ids, as a token's `groups` claim carries them.
    pub groups: Vec<String>,
    /// Request attributes for conditions, `(name, value)`.
    pub attributes: Vec<(String, String)>,
    /// The time conditions see.
    pub now: Option<DateTime>,
    /// The expected decision: allowed, unless set.
    pub expect: Expect,
    /// The expected reason, when it matters (`deny_assignment` rather than any refusal).
    pub reason: Option<ReasonKind>,
}

impl Check {
    /// A check that `principal` may perform `action` at `scope`.
    pub fn new(principal: impl Into<String>, action: impl Into<String>, scope: impl Into<String>) -> Check {
        Check {
            principal: principal.into(),
            action: action.into(),
            scope: scope.into(),
            plane: PlaneHint::Auto,
            groups: Vec::new(),
            attributes: Vec::new(),
            now: None,
            expect: Expect::Allowed,
            reason: None,
        }
    }

    /// Sets the expected decision.
    pub fn expect(mut self, expect: Expect) -> Check {
        self.expect = expect;
        self
    }

    /// Sets the expected reason.
    pub fn reason(mut self, reason: ReasonKind) -> Check {
        self.reason = Some(reason);
        self
    }

    /// Sets the plane.
    pub fn plane(mut self, plane: PlaneHint) -> Check {
        self.plane = plane;
        self
    }

    /// Sets the token groups.
    pub fn groups(mut self, groups: impl IntoIterator<Item = impl Into<String>>) -> Check {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the request attributes.
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = (String, String)>) -> Check {
        self.attributes = attributes.into_iter().collect();
        self
    }

    /// Sets the time conditions see.
    pub fn now(mut self, now: DateTime) -> Check {
        self.now = Some(now);
        self
    }
}

/// "Only these principals may perform `action` at `scope`": every other principal who may is a failure.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Only {
    /// An operation, or a pattern expanded against the engine's vocabulary.
    pub action: String,
    /// The scope.
    pub scope: String,
    /// The principals (users, groups, service principals) that alone may; a group covers the members its grant
    /// reaches.
    pub principals: Vec<String>,
}

impl Only {
    /// Only `principals` may perform `action` at `scope`.
    pub fn new(
        action: impl Into<String>,
        scope: impl Into<String>,
        principals: impl IntoIterator<Item = impl Into<String>>,
    ) -> Only {
        Only {
            action: action.into(),
            scope: scope.into(),
            principals: principals.into_iter().map(Into::into).collect(),
        }
    }
}

/// "Nobody may perform `action` at `scope` or anywhere below it", but the exceptions.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Never {
    /// An operation, or a pattern expanded against the engine's vocabulary.
    pub action: String,
    /// The scope; everything below it is included.
    pub scope: String,
    /// Principals that may (break-glass).
    pub except: Vec<String>,
}

impl Never {
    /// Nobody may perform `action` at `scope` or below.
    pub fn new(action: impl Into<String>, scope: impl Into<String>) -> Never {
        Never { action: action.into(), scope: scope.into(), except: Vec::new() }
    }

    /// Sets the exceptions.
    pub fn except(mut self, except: impl IntoIterator<Item = impl Into<String>>) -> Never {
        self.except = except.into_iter().map(Into::into).collect();
        self
    }
}

/// A principal who may do what an `only` or `never` rule forbids, and through which assignment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Offender {
    /// The principal (a group stands for the members its grant reaches).
    pub principal: String,
    /// The operation.
    pub operation: String,
    /// The granting assignment's id, when it has one.
    pub assignment: Option<String>,
    /// The granting role.
    pub role: String,
    /// The assignment's scope.
    pub scope: String,
    /// The group the principal holds it through.
    pub group: Option<String>,
    /// Whether it may only under conditions (counted as may: fail closed).
    pub conditional: bool,
}

/// A failed assertion: what was expected and what happened, with the engine's explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// One line: what was expected, what came out.
    pub message: String,
    /// The engine's explanation of the decision (which assignments and deny assignments it looked at), or for
    /// `only` and `never`, one line per principal who may.
    pub explanation: String,
    /// For `only` and `never`: who may, and how.
    pub offenders: Vec<Offender>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{}", self.message, self.explanation)
    }
}

impl std::error::Error for Failure {}

/// A compiled tenant to run access tests on.
#[derive(Debug)]
pub struct AccessTenant {
    engine: Engine,
}

impl AccessTenant {
    /// The tenant at `dir` ([`Engine::from_dir`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<AccessTenant, LoadError> {
        Self::load_with(dir, &[])
    }

    /// The tenant at `dir` plus the files a change proposes (`proposed`: files, or directories whose `*.json`
    /// files are taken), read as a tenant directory's files are: role files, and files named
    /// `assignments.json`, `denyAssignments.json`, `groups.json`, `hierarchy.json` adding to the tenant's.
    pub fn load_with(dir: impl AsRef<Path>, proposed: &[PathBuf]) -> Result<AccessTenant, LoadError> {
        let dir = dir.as_ref();
        let mut paths = TenantFile::list(dir).map_err(|e| unreadable(dir, &e))?;
        for p in proposed {
            if p.is_dir() {
                paths.extend(TenantFile::list(p).map_err(|e| unreadable(p, &e))?);
            } else {
                paths.push(p.clone());
            }
        }
        let mut contents = Vec::with_capacity(paths.len());
        let mut problems = Vec::new();
        for path in paths {
            match crate::load::file::read_file(&path, crate::load::DEFAULT_MAX_FILE_BYTES) {
                Ok(bytes) => contents.push((path, bytes)),
                Err(e) => problems.push(e.diagnostic(&path)),
            }
        }
        if !problems.is_empty() {
            return Err(LoadError { diagnostics: problems });
        }
        Self::from_loader(&mut TenantLoader::from_contents(dir, contents))
    }

    /// The tenant a loader holds.
    pub fn from_loader(loader: &mut TenantLoader) -> Result<AccessTenant, LoadError> {
        let (tenant, _warnings) = loader.build()?;
        Ok(AccessTenant { engine: Engine::try_new(tenant)? })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs a check: `Err` says what was expected and what happened, with the engine's explanation.
    pub fn check(&self, c: &Check) -> Result<(), Failure> {
        let pairs: Vec<(&str, &str)> = c.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let request = Request::new(&c.principal, &c.action, &c.scope)
            .plane(c.plane)
            .groups(&c.groups)
            .attributes(&pairs)
            .now(c.now);
        let d = self.engine.check(&request);
        let kind = d.reason().kind();
        let decision_ok = d.as_str() == c.expect.as_str();
        let reason_ok = c.reason.is_none_or(|r| r == kind);
        if decision_ok && reason_ok {
            return Ok(());
        }
        let expected = match c.reason {
            Some(r) => format!("{} ({})", c.expect.as_str(), r.as_str()),
            None => c.expect.as_str().to_owned(),
        };
        Err(Failure {
            message: format!(
                "`{}` doing `{}` at `{}`: expected {expected}, got {} ({})",
                c.principal,
                c.action,
                c.scope,
                d.as_str(),
                kind.as_str()
            ),
            explanation: self.explain(&request, &d),
            offenders: Vec::new(),
        })
    }

    /// Runs an `only` rule: `Err` names every other principal who may, and through which assignment.
    pub fn only(&self, o: &Only) -> Result<(), Failure> {
        let allowed = |p: &str| o.principals.iter().any(|a| a.eq_ignore_ascii_case(p));
        let offenders = self.reach(&o.action, &o.scope, Reach::At, &allowed)?;
        if offenders.is_empty() {
            return Ok(());
        }
        Err(offence(format!("`{}` at `{}`: only {} may", o.action, o.scope, names(&o.principals)), offenders))
    }

    /// Runs a `never` rule: `Err` names every principal (but the exceptions) who may at the scope or below.
    pub fn never(&self, n: &Never) -> Result<(), Failure> {
        let allowed = |p: &str| n.except.iter().any(|a| a.eq_ignore_ascii_case(p));
        let offenders = self.reach(&n.action, &n.scope, Reach::AtOrBelow, &allowed)?;
        if offenders.is_empty() {
            return Ok(());
        }
        let but = if n.except.is_empty() { String::new() } else { format!(" but {}", names(&n.except)) };
        Err(offence(format!("`{}` at `{}` or below: nobody{but} may", n.action, n.scope), offenders))
    }

    /// Panics unless the `only` rule holds.
    #[allow(clippy::panic)]
    pub fn assert_only(&self, o: &Only) {
        if let Err(f) = self.only(o) {
            panic!("access rule failed: {f}");
        }
    }

    /// Panics unless the `never` rule holds.
    #[allow(clippy::panic)]
    pub fn assert_never(&self, n: &Never) {
        if let Err(f) = self.never(n) {
            panic!("access rule failed: {f}");
        }
    }

    /// The principals not `allowed` who may perform an operation `action` names (an exact operation, or a pattern
    /// over the vocabulary), at `scope` or below it. A conditional grant counts (fail closed); an operation of no
    /// known plane is asked on both.
    fn reach(
        &self,
        action: &str,
        scope: &str,
        reach: Reach,
        allowed: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Offender>, Failure> {
        let ops: Vec<(String, Option<Plane>)> = if action.contains('*') {
            let pattern = Pattern::new(action);
            let ops: Vec<(String, Option<Plane>)> = self
                .engine
                .vocabulary()
                .into_iter()
                .filter(|v| pattern.matches(v.name))
                .map(|v| (v.name.to_owned(), Some(v.plane)))
                .collect();
            if ops.is_empty() {
                // A typo must not pass as "nobody may".
                return Err(Failure {
                    message: format!("`{action}` matches no operation the catalog or a role names"),
                    explanation: String::new(),
                    offenders: Vec::new(),
                });
            }
            ops
        } else {
            let planes: Vec<Plane> = self
                .engine
                .vocabulary()
                .into_iter()
                .filter(|v| v.name.eq_ignore_ascii_case(action))
                .map(|v| v.plane)
                .collect();
            if planes.is_empty() {
                vec![(action.to_owned(), None)]
            } else {
                planes.into_iter().map(|p| (action.to_owned(), Some(p))).collect()
            }
        };
        let mut offenders = Vec::new();
        for (op, plane) in &ops {
            let hints = match plane {
                Some(Plane::Control) => vec![PlaneHint::Control],
                Some(Plane::Data) => vec![PlaneHint::Data],
                None => vec![PlaneHint::Control, PlaneHint::Data],
            };
            for hint in hints {
                let q = WhoCanQuery::new(op, scope).plane(hint).reach(reach);
                let who = self.engine.who_can(&q).map_err(|e| Failure {
                    message: format!("`{op}` at `{scope}`: {e}"),
                    explanation: String::new(),
                    offenders: Vec::new(),
                })?;
                for g in who.grantees.iter().filter(|g| !allowed(g.principal)) {
                    offenders.push(Offender {
                        principal: g.principal.to_owned(),
                        operation: op.clone(),
                        assignment: g.via.assignment_id.map(str::to_owned),
                        role: g.via.role.to_owned(),
                        scope: g.via.scope.to_owned(),
                        group: g.via.group.map(str::to_owned),
                        conditional: g.conditional.is_some(),
                    });
                }
            }
        }
        Ok(offenders)
    }

    /// Panics with the failure (and its explanation) unless the check holds: for `#[test]` functions.
    #[allow(clippy::panic)]
    pub fn assert(&self, c: &Check) {
        if let Err(f) = self.check(c) {
            panic!("access check failed: {f}");
        }
    }

    fn explain(&self, request: &Request<'_>, d: &Decision) -> String {
        let ex = self.engine.explain(request);
        let text = self.engine.explanation_text(&ex);
        if text.is_empty() { self.engine.reason_text(d.reason()) } else { text }
    }
}

fn names(list: &[String]) -> String {
    if list.is_empty() {
        "nobody".to_owned()
    } else {
        list.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
    }
}

/// The failure of an `only` or `never` rule: one explanation line per principal who may.
fn offence(rule: String, offenders: Vec<Offender>) -> Failure {
    let explanation = offenders
        .iter()
        .map(|o| {
            let through = o.group.as_deref().map(|g| format!(" through group `{g}`")).unwrap_or_default();
            let id = o.assignment.as_deref().map(|a| format!(" (`{a}`)")).unwrap_or_default();
            let cond = if o.conditional { ", under conditions" } else { "" };
            format!(
                "`{}` may `{}`{through}: role `{}` assigned at `{}`{id}{cond}",
                o.principal, o.operation, o.role, o.scope
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let count = offenders.len();
    Failure { message: format!("{rule}, but {count} other grant(s) allow it"), explanation, offenders }
}

fn unreadable(path: &Path, e: &std::io::Error) -> LoadError {
    LoadError {
        diagnostics: vec![
            crate::Diagnostic::error(
                crate::diag::codes::UNREADABLE,
                format!("cannot read the directory `{}`: {e}", path.display()),
            )
            .with_help("give a tenant directory that exists and can be read"),
        ],
    }
}
