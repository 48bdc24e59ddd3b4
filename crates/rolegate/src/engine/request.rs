//! Requests and decisions: what a gateway asks and what it gets back.

use std::fmt;

use crate::condition::{Context, DateTime};
use crate::lists::{Names, Pairs};

/// The plane a request is on; it serializes as `control` or `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Plane {
    /// Control plane: matched by `Actions` / `NotActions`.
    Control,
    /// Data plane: matched by `DataActions` / `NotDataActions`.
    Data,
}

/// What the caller says about the plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PlaneHint {
    /// A control-plane operation.
    Control,
    /// A data-plane operation.
    Data,
    /// Let the operation catalog decide; no unique answer means [`ReasonKind::PlaneUnknown`].
    #[default]
    Auto,
}

/// "May `principal` do `action` at `scope`?"
///
/// Built with [`Request::new`] and its setters, borrowed throughout so that building a request does not
/// allocate; [`Request::parts`] reads it back.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub(crate) principal: &'a str,
    pub(crate) groups: Names<'a>,
    pub(crate) action: &'a str,
    pub(crate) sub_operation: Option<&'a str>,
    pub(crate) plane: PlaneHint,
    pub(crate) scope: &'a str,
    pub(crate) attributes: Pairs<'a>,
    pub(crate) now: Option<DateTime>,
}

/// What a [`Request`] holds, for reading it back (a log line, a reference evaluator).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RequestParts<'a> {
    /// The principal's object id.
    pub principal: &'a str,
    /// Extra group ids, as a token's `groups` claim supplies them; their own transitive groups count too.
    pub groups: Names<'a>,
    /// The operation (`Microsoft.Storage/storageAccounts/read`).
    pub action: &'a str,
    /// Sub-operation (`Blob.List`), for conditions.
    pub sub_operation: Option<&'a str>,
    /// The plane.
    pub plane: PlaneHint,
    /// The target scope (a resource id, possibly below a resource).
    pub scope: &'a str,
    /// Request attributes as `(key, value)` (for conditions): the key is an attribute name
    /// (`Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project`) or `@Source[name]`; a
    /// multi-valued attribute is several pairs with one key. `@Resource` attributes the scope encodes (a
    /// container's name) are read from the scope instead, so these cannot override them.
    pub attributes: Pairs<'a>,
    /// The time conditions see as `@Environment[UtcNow]`; the system clock when `None`.
    pub now: Option<DateTime>,
}

impl<'a> Request<'a> {
    /// A request with no token groups, no sub-operation, the plane left to the catalog and no attributes.
    pub fn new(principal: &'a str, action: &'a str, scope: &'a str) -> Self {
        Request {
            principal,
            groups: Names::default(),
            action,
            sub_operation: None,
            plane: PlaneHint::Auto,
            scope,
            attributes: Pairs::default(),
            now: None,
        }
    }

    /// Sets (or, with `None`, clears) the sub-operation (`Blob.List`).
    pub fn sub_operation(mut self, sub_operation: impl Into<Option<&'a str>>) -> Self {
        self.sub_operation = sub_operation.into();
        self
    }

    /// Sets the request attributes: `&[(&str, &str)]` or `&[(String, String)]`.
    pub fn attributes(mut self, attributes: impl Into<Pairs<'a>>) -> Self {
        self.attributes = attributes.into();
        self
    }

    /// Sets the time conditions evaluate `@Environment[UtcNow]` at (`None`: the system clock).
    pub fn now(mut self, now: impl Into<Option<DateTime>>) -> Self {
        self.now = now.into();
        self
    }

    /// Sets the plane.
    pub fn plane(mut self, plane: PlaneHint) -> Self {
        self.plane = plane;
        self
    }

    /// Sets the token groups: `&[&str]`, or a token's `&[String]` as it is.
    pub fn groups(mut self, groups: impl Into<Names<'a>>) -> Self {
        self.groups = groups.into();
        self
    }

    /// What the request holds.
    pub fn parts(&self) -> RequestParts<'a> {
        let Request { principal, groups, action, sub_operation, plane, scope, attributes, now } = *self;
        RequestParts { principal, groups, action, sub_operation, plane, scope, attributes, now }
    }

    /// What a condition sees of this request.
    pub fn condition_context(&self) -> Context<'a> {
        Context {
            action: self.action,
            sub_operation: self.sub_operation,
            scope: self.scope,
            attributes: self.attributes,
            now: self.now,
        }
    }
}

/// Why a decision came out as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ReasonKind {
    /// A role assignment granted the action.
    Granted,
    /// An enforced deny assignment blocked the action.
    DenyAssignment,
    /// No assignment in scope grants the action (default deny).
    NoGrant,
    /// The caller gave no plane and the catalog has no unique answer for the action.
    PlaneUnknown,
    /// A grant exists but carries a condition that was not met or could not be evaluated (fail closed).
    ConditionNotMet,
    /// The request itself is malformed (a scope with `..`, whitespace, an empty action).
    InvalidRequest,
}

impl ReasonKind {
    /// Every kind.
    pub const ALL: [ReasonKind; 6] = [
        ReasonKind::Granted,
        ReasonKind::DenyAssignment,
        ReasonKind::NoGrant,
        ReasonKind::PlaneUnknown,
        ReasonKind::ConditionNotMet,
        ReasonKind::InvalidRequest,
    ];

    /// Snake-case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::Granted => "granted",
            ReasonKind::DenyAssignment => "deny_assignment",
            ReasonKind::NoGrant => "no_grant",
            ReasonKind::PlaneUnknown => "plane_unknown",
            ReasonKind::ConditionNotMet => "condition_not_met",
            ReasonKind::InvalidRequest => "invalid_request",
        }
    }
}

impl fmt::Display for ReasonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The compact reason of a decision: its kind and what in the engine's tenant decided it, read through its
/// accessors (the indices are typed, so that a role index is never used as an assignment's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reason {
    pub(crate) kind: ReasonKind,
    pub(crate) assignment: Option<u32>,
    pub(crate) role: Option<u32>,
    pub(crate) block: Option<u16>,
    pub(crate) pattern: Option<u16>,
    pub(crate) deny: Option<u32>,
    pub(crate) plane: Option<Plane>,
    pub(crate) condition: Option<ConditionSite>,
    pub(crate) expr: Option<u16>,
}

macro_rules! index {
    ($(#[$doc:meta])* $name:ident($ty:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) $ty);

        impl $name {
            /// The index, for slicing.
            pub fn get(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index!(
    /// An index into [`crate::Tenant::assignments`].
    AssignmentIndex(u32)
);
index!(
    /// An index into [`crate::Tenant::roles`].
    RoleIndex(u32)
);
index!(
    /// An index into [`crate::Tenant::deny_assignments`].
    DenyIndex(u32)
);
index!(
    /// An index into a role's (or a deny assignment's) permission blocks.
    BlockIndex(u16)
);
index!(
    /// An index into a permission block's `Actions` or `DataActions` list (which one: [`Reason::plane`]).
    PatternIndex(u16)
);
index!(
    /// An expression of a condition: a node index as in [`crate::condition::Condition::node_text`].
    ExprIndex(u16)
);

impl Reason {
    /// Why.
    pub fn kind(&self) -> ReasonKind {
        self.kind
    }

    /// The deciding role assignment.
    pub fn assignment(&self) -> Option<AssignmentIndex> {
        self.assignment.map(AssignmentIndex)
    }

    /// Its role.
    pub fn role(&self) -> Option<RoleIndex> {
        self.role.map(RoleIndex)
    }

    /// The permission block in the role (or deny assignment) that decided.
    pub fn block(&self) -> Option<BlockIndex> {
        self.block.map(BlockIndex)
    }

    /// The matching pattern in the block's `Actions` or `DataActions` list.
    pub fn pattern(&self) -> Option<PatternIndex> {
        self.pattern.map(PatternIndex)
    }

    /// The deciding deny assignment.
    pub fn deny(&self) -> Option<DenyIndex> {
        self.deny.map(DenyIndex)
    }

    /// The plane the request was decided on (which list [`Reason::pattern`] indexes).
    pub fn plane(&self) -> Option<Plane> {
        self.plane
    }

    /// Which condition decided, when one did (held, not met, or let a deny block apply).
    pub fn condition(&self) -> Option<ConditionSite> {
        self.condition
    }

    /// The expression in that condition that decided it; `None` when the condition could not be read at all.
    pub fn expr(&self) -> Option<ExprIndex> {
        self.expr.map(ExprIndex)
    }
}

/// Where a condition sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConditionSite {
    /// On the role's (or deny assignment's) permission block `Reason::block`.
    Block,
    /// On the role assignment `Reason::assignment`.
    Assignment,
    /// On the deny assignment `Reason::deny` itself.
    Deny,
}

impl ConditionSite {
    /// Snake-case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionSite::Block => "block",
            ConditionSite::Assignment => "assignment",
            ConditionSite::Deny => "deny_assignment",
        }
    }
}

impl Reason {
    /// A reason with no ids.
    pub const fn of(kind: ReasonKind) -> Self {
        Reason {
            kind,
            assignment: None,
            role: None,
            block: None,
            pattern: None,
            deny: None,
            plane: None,
            condition: None,
            expr: None,
        }
    }
}

/// The answer to a [`Request`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A role assignment grants the action and no enforced deny assignment blocks it.
    Allowed(Reason),
    /// An enforced deny assignment blocks the action.
    Denied(Reason),
    /// Nothing grants it (default deny), or the request could not be decided safely.
    NotAllowed(Reason),
}

impl Decision {
    /// The reason.
    pub fn reason(&self) -> &Reason {
        match self {
            Decision::Allowed(r) | Decision::Denied(r) | Decision::NotAllowed(r) => r,
        }
    }

    /// Whether the action may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed(_))
    }

    /// `allowed`, `denied` or `not_allowed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allowed(_) => "allowed",
            Decision::Denied(_) => "denied",
            Decision::NotAllowed(_) => "not_allowed",
        }
    }
}
