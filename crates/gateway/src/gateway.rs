//! One entry point for a gateway: [`Gateway::authorize`] turns an HTTP request into an [`Outcome`] over a tenant
//! snapshot that [`Gateway::reload`] swaps atomically while checks run.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use rolegate::Diagnostic;
use rolegate::engine::{Engine, PlaneHint, Request};

use crate::identity::{Identity, Overage, TokenError, Validator};
use crate::map::{MapError, Operation, map};

/// The parts of an HTTP request the gateway reads. Nothing of it is kept or logged.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct HttpRequest<'a> {
    /// The method (`GET`).
    pub method: &'a str,
    /// The raw path and query, exactly as received (never decoded).
    pub path_and_query: &'a str,
    /// The headers, as `(name, value)` pairs; names compare ignoring ASCII case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The address of the peer that sent the request (for trusted-header mode).
    pub peer: Option<IpAddr>,
}

impl<'a> HttpRequest<'a> {
    /// A request without headers or peer.
    pub fn new(method: &'a str, path_and_query: &'a str) -> Self {
        HttpRequest { method, path_and_query, headers: &[], peer: None }
    }

    /// Sets the headers.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// Sets the peer address.
    pub fn peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The first header named `name` (ASCII case-insensitively).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

/// How callers are identified.
#[non_exhaustive]
pub enum Identify {
    /// `Authorization: Bearer` Entra ID tokens; the validator is shared so that a key refresher can hold it.
    Token(Arc<Validator>),
    /// A proxy in front has validated the token and passes the principal (and groups, comma-separated) in
    /// headers; accepted only from the listed peer addresses, since anyone else could set them.
    TrustedHeaders {
        /// The header holding the principal's object id.
        principal: String,
        /// The header holding the group ids, comma-separated (absent: none).
        groups: Option<String>,
        /// The peers allowed to set those headers.
        peers: Vec<IpAddr>,
    },
}

impl std::fmt::Debug for Identify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identify::Token(v) => f.debug_tuple("Token").field(v).finish(),
            Identify::TrustedHeaders { principal, groups, peers } => f
                .debug_struct("TrustedHeaders")
                .field("principal", principal)
                .field("groups", groups)
                .field("peers", peers)
                .finish(),
        }
    }
}

/// What became of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Allowed (HTTP 200 to the proxy).
    Allowed,
    /// The caller could not be identified (401).
    Unauthenticated,
    /// Identified, and denied or not granted (403).
    Forbidden,
    /// The request cannot be mapped to an operation and scope, or is malformed (400).
    BadRequest,
    /// The caller may act, but what it names does not exist (404): an endpoint's credential route for an
    /// endpoint that is not configured.
    NotFound,
    /// The request was allowed but could not be carried out (503): a secrets file that cannot be written.
    Unavailable,
}

impl Verdict {
    /// The `WWW-Authenticate` header a 401 carries (`Bearer`: every credential rolegate takes is a bearer one).
    pub fn challenge(self) -> Option<&'static str> {
        (self == Verdict::Unauthenticated).then_some("Bearer")
    }

    /// The HTTP status a proxy answers with.
    pub fn status(self) -> u16 {
        match self {
            Verdict::Allowed => 200,
            Verdict::Unauthenticated => 401,
            Verdict::Forbidden => 403,
            Verdict::BadRequest => 400,
            Verdict::NotFound => 404,
            Verdict::Unavailable => 503,
        }
    }
}

/// The outcome of [`Gateway::authorize`]: never holds a token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// What became of the request.
    pub verdict: Verdict,
    /// Why, as a short snake-case reason: the engine's (`granted`, `deny_assignment`, `no_grant`, ...), the
    /// failed token check (`expired`, `audience`, `signature`, ...), `groups_overage`, `untrusted_peer`, or the
    /// mapping's (`refused_path`, `not_arm_path`, `method`, `too_long`).
    pub reason: &'static str,
    /// The principal, once identified.
    pub principal: Option<String>,
    /// The operation checked, once mapped.
    pub action: Option<String>,
    /// The scope checked, once mapped.
    pub scope: Option<String>,
    /// Whether the catalog lacks the operation ([`Outcome::did_you_mean`] names the nearest one it lists).
    pub unknown_operation: bool,
    /// The generation of the tenant snapshot that decided (0 when no snapshot decided: before a decision could
    /// be made, or for an endpoint's key or `aml_token`, which the tenant does not govern).
    pub generation: u64,
    /// The Azure ML online endpoint the request was for ([`crate::ml`]).
    pub endpoint: Option<String>,
    /// The scoring request's `azureml-model-deployment` header: context for the log, never a scope.
    pub deployment: Option<String>,
    /// What in the tenant decided, when the gateway is asked for it ([`Gateway::with_decided_by`]).
    pub decided_by: Option<DecidedBy>,
}

impl DecidedBy {
    /// The ids of a described reason's assignment, role and deny assignment.
    pub fn from_view(v: &rolegate::engine::ReasonView<'_>) -> DecidedBy {
        DecidedBy {
            assignment: v.assignment.as_ref().and_then(|a| a.id.clone()),
            role: v.role.as_ref().map(|r| r.id.clone().unwrap_or_else(|| r.name.to_owned())),
            deny: v
                .deny
                .as_ref()
                .map(|d| d.id.clone().or_else(|| d.name.map(str::to_owned)).unwrap_or_else(|| d.scope.to_owned())),
        }
    }
}

/// The tenant entries behind an engine decision, for a decision log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecidedBy {
    /// The granting role assignment's id (its resource id or name, when the tenant gives one).
    pub assignment: Option<String>,
    /// The role's id, or its name when it has none.
    pub role: Option<String>,
    /// The deny assignment's id, or its name when it has none.
    pub deny: Option<String>,
}

impl Outcome {
    /// An outcome with a verdict and a reason and nothing else, for a server that decides a request the gateway
    /// does not map (a `/v1/check` query) and logs it as it logs the others.
    pub fn new(verdict: Verdict, reason: &'static str) -> Outcome {
        Outcome::bare(verdict, reason, 0)
    }

    /// An outcome with nothing but its verdict, reason and generation.
    pub(crate) fn bare(verdict: Verdict, reason: &'static str, generation: u64) -> Outcome {
        Outcome {
            verdict,
            reason,
            principal: None,
            action: None,
            scope: None,
            unknown_operation: false,
            generation,
            endpoint: None,
            deployment: None,
            decided_by: None,
        }
    }

    /// For an operation the catalog lacks, the nearest one it lists (a typo such as `virtualMachine/read`).
    /// Computed on demand: it scans the provider's operations.
    pub fn did_you_mean(&self) -> Option<String> {
        self.action.as_deref().filter(|_| self.unknown_operation).and_then(crate::map::did_you_mean)
    }
}

/// A compiled tenant and its generation.
struct Snapshot {
    engine: Engine,
    generation: u64,
}

/// Decides HTTP requests against a tenant snapshot that can be replaced while requests are decided.
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    next_generation: AtomicU64,
    identify: Identify,
    overage: Overage,
    decided_by: bool,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("generation", &self.generation())
            .field("identify", &self.identify)
            .field("overage", &self.overage)
            .finish()
    }
}

impl Gateway {
    /// A gateway deciding with `engine` (generation 1).
    pub fn new(engine: Engine, identify: Identify) -> Self {
        let overage = match &identify {
            Identify::Token(v) => v.config().overage,
            Identify::TrustedHeaders { .. } => Overage::TenantGroups,
        };
        Gateway {
            snapshot: ArcSwap::from_pointee(Snapshot { engine, generation: 1 }),
            next_generation: AtomicU64::new(2),
            identify,
            overage,
            decided_by: false,
        }
    }

    /// Whether outcomes name the assignment, role and deny assignment that decided ([`Outcome::decided_by`]):
    /// a few allocations per decision, for a decision log.
    pub fn with_decided_by(mut self, on: bool) -> Self {
        self.decided_by = on;
        self
    }

    /// Runs `f` with the engine in use and its generation (for queries the gateway does not map, such as a
    /// server's `/v1/check`); the snapshot stays alive while `f` runs, whatever reloads happen meanwhile.
    pub fn with_engine<R>(&self, f: impl FnOnce(&Engine, u64) -> R) -> R {
        let snapshot = self.snapshot.load();
        f(&snapshot.engine, snapshot.generation)
    }

    /// The generation of the snapshot in use.
    pub fn generation(&self) -> u64 {
        self.snapshot.load().generation
    }

    /// Loads and compiles the tenant directory off the request path, then swaps it in; returns its generation
    /// and the load's warnings. When the tenant has a fatal problem the snapshot in use stays, and every
    /// diagnostic is returned.
    pub fn reload(&self, tenant_dir: &Path) -> Result<(u64, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (engine, warnings) = Engine::from_dir(tenant_dir).map_err(|e| e.diagnostics)?;
        Ok((self.swap(engine), warnings))
    }

    /// Swaps in an engine compiled elsewhere; returns its generation.
    pub fn swap(&self, engine: Engine) -> u64 {
        let generation = self.next_generation.fetch_add(1, Ordering::SeqCst);
        self.snapshot.store(Arc::new(Snapshot { engine, generation }));
        generation
    }

    /// Decides a request: map it, identify the caller, check the engine (control plane).
    pub fn authorize(&self, req: &HttpRequest<'_>) -> Outcome {
        let outcome = Outcome::bare;
        let target = match map(req.method, req.path_and_query) {
            Ok(t) => t,
            Err(e) => {
                let reason = match e {
                    MapError::TooLong { .. } => "too_long",
                    MapError::Method { .. } => "method",
                    MapError::Refused { .. } => "refused_path",
                    _ => "not_arm_path",
                };
                return outcome(Verdict::BadRequest, reason, 0);
            }
        };
        let (out, principal) = match identify(&self.identify, req) {
            Err(reason) => (outcome(Verdict::Unauthenticated, reason, 0), None),
            Ok(identity) => {
                let (verdict, reason, generation, decided_by) =
                    self.decide(&identity, self.overage, &target.action, &target.scope);
                let mut out = outcome(verdict, reason, generation);
                out.decided_by = decided_by;
                (out, Some(identity.principal.clone()))
            }
        };
        Outcome {
            principal,
            unknown_operation: target.operation == Operation::Unknown,
            action: Some(target.action),
            scope: Some(target.scope),
            ..out
        }
    }

    /// Checks `action` at `scope` (control plane) for an identified caller against the current snapshot:
    /// the verdict, the reason, the generation that decided, and what decided (when asked for).
    pub(crate) fn decide(
        &self,
        identity: &Identity,
        overage: Overage,
        action: &str,
        scope: &str,
    ) -> (Verdict, &'static str, u64, Option<DecidedBy>) {
        let snapshot = self.snapshot.load();
        let groups: Option<&[String]> = match (identity.groups_overage, overage) {
            (true, Overage::FailClosed) => None,
            // The token's list is partial: the tenant's `groups.json` alone says who is in which group.
            (true, _) => Some(&[]),
            (false, _) => Some(&identity.groups),
        };
        let Some(groups) = groups else { return (Verdict::Forbidden, "groups_overage", snapshot.generation, None) };
        let request = Request::new(&identity.principal, action, scope).plane(PlaneHint::Control).groups(groups);
        let d = snapshot.engine.check(&request);
        let verdict = if d.is_allowed() { Verdict::Allowed } else { Verdict::Forbidden };
        let decided_by = self.decided_by.then(|| DecidedBy::from_view(&snapshot.engine.describe(d.reason())));
        (verdict, d.reason().kind().as_str(), snapshot.generation, decided_by)
    }

    /// How callers of ARM requests are identified.
    pub(crate) fn identify_config(&self) -> &Identify {
        &self.identify
    }

    /// The groups-overage policy of ARM requests.
    pub(crate) fn overage(&self) -> Overage {
        self.overage
    }
}

/// Identifies the caller of `req`; the error is the short reason of a 401.
pub(crate) fn identify(identify: &Identify, req: &HttpRequest<'_>) -> Result<Arc<Identity>, &'static str> {
    match identify {
        Identify::Token(v) => v.validate_header(req.header("authorization")).map_err(|e: TokenError| e.reason()),
        Identify::TrustedHeaders { principal, groups, peers } => {
            if !req.peer.is_some_and(|p| peers.contains(&p)) {
                return Err("untrusted_peer");
            }
            let id = req.header(principal).map(str::trim).filter(|p| !p.is_empty()).ok_or("missing_principal")?;
            let groups = groups
                .as_deref()
                .and_then(|h| req.header(h))
                .map(|v| v.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            Ok(Arc::new(Identity::trusted(id, groups)))
        }
    }
}
