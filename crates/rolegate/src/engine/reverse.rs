//! Reverse queries (semantics §3.6): who may perform an action at a scope ([`Engine::who_can`]), what a principal
//! may do there ([`Engine::what_can`], and in Azure's shape [`Engine::effective_permissions`]), and the operations
//! these range over ([`Engine::vocabulary`]).
//!
//! They decide as [`Engine::check`] does, for every request the tenant can describe: the request's attributes, its
//! sub-operation and the time are unknown, so a condition is evaluated for all of them at once. A grant whose
//! condition holds whatever they are is unconditional; one whose condition fails whatever they are grants nothing;
//! any other is conditional, as is an answer that a conditional deny assignment may block. Nothing here runs on
//! the check path: the indexes they read are built on the first reverse query.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

use super::check::{DenyTarget, deny_targets, plane as request_plane};
use super::compile::{Compiled, Deny, OpPlanes, Scopes};
use super::ids::OptId;
use super::{Engine, Plane, PlaneHint};
use crate::action::is_operation_name;
use crate::condition::Analysis;
use crate::lists::Names;
use crate::model::{Entries, PrincipalType};
use crate::scope::is_canonical_scope;

// ---------------------------------------------------------------------------------------------------------------
// Queries and answers

/// How far a [`WhoCanQuery`] reaches below its scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// At the scope itself, as a request there is decided.
    #[default]
    At,
    /// At the scope or at any scope below it (where conditions that read the scope are undecided): what a rule
    /// "nobody may do this here or below" must look at.
    AtOrBelow,
}

/// "Who may perform `action` at `scope`?", for [`Engine::who_can`].
#[derive(Clone, Copy, Debug)]
pub struct WhoCanQuery<'a> {
    action: &'a str,
    scope: &'a str,
    plane: PlaneHint,
    reach: Reach,
    expand: bool,
}

impl<'a> WhoCanQuery<'a> {
    /// A query at exactly `scope` (canonical, as a request's), the plane left to the catalog, groups not expanded.
    pub fn new(action: &'a str, scope: &'a str) -> Self {
        WhoCanQuery { action, scope, plane: PlaneHint::Auto, reach: Reach::At, expand: false }
    }

    /// Sets the plane.
    pub fn plane(mut self, plane: PlaneHint) -> Self {
        self.plane = plane;
        self
    }

    /// Sets how far below the scope the query reaches.
    pub fn reach(mut self, reach: Reach) -> Self {
        self.reach = reach;
        self
    }

    /// Lists every member a group's grant reaches as a grantee of its own, instead of the group standing for them.
    pub fn expand(mut self, expand: bool) -> Self {
        self.expand = expand;
        self
    }
}

/// "What may `principal` do at `scope`?", for [`Engine::what_can`] and [`Engine::effective_permissions`].
#[derive(Clone, Copy, Debug)]
pub struct WhatCanQuery<'a> {
    principal: &'a str,
    scope: &'a str,
    groups: Names<'a>,
}

impl<'a> WhatCanQuery<'a> {
    /// A query for `principal` at `scope` (canonical, as a request's), with no token groups.
    pub fn new(principal: &'a str, scope: &'a str) -> Self {
        WhatCanQuery { principal, scope, groups: Names::default() }
    }

    /// Sets the token groups, as [`super::Request::groups`] does.
    pub fn groups(mut self, groups: impl Into<Names<'a>>) -> Self {
        self.groups = groups.into();
        self
    }
}

/// Why a reverse query was not answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The scope is not canonical (semantics §2.3); a request there would be refused.
    #[error(
        "`{0}` is not a canonical scope (a leading `/`, no trailing or doubled `/`, no `.` or `..` segment, no whitespace, `%`, `?`, `#` or `\\`)"
    )]
    Scope(String),
    /// The action is not an operation name (semantics §2.4): empty, padded, or holding `*` or whitespace.
    #[error("`{0}` is not an operation name; a reverse query takes one exact operation")]
    Action(String),
    /// No plane was given and the catalog has no unique one for the action.
    #[error("the catalog gives `{0}` no single plane; say which plane to ask about")]
    PlaneUnknown(String),
}

/// The answer of [`Engine::who_can`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WhoCan<'e> {
    /// The plane the action was decided on.
    pub plane: Plane,
    /// How far below the scope the query reached.
    pub reach: Reach,
    /// Whether every member a group's grant reaches is listed on its own.
    pub expanded: bool,
    /// Who may, sorted by principal id. Unexpanded, a group stands for the members its grant reaches but
    /// [`Grantee::denied_members`]; a member whose answer differs from the group's is listed on its own.
    pub grantees: Vec<Grantee<'e>>,
}

/// A principal that may perform the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Grantee<'e> {
    /// The principal's id, as the tenant first spells it.
    pub principal: &'e str,
    /// Its type as the tenant gives it (an assignment's or a deny assignment's `principalType`, else `Group` for
    /// a group of groups.json); none when the tenant does not say.
    pub principal_type: Option<&'e str>,
    /// An assignment that grants it.
    pub via: Via<'e>,
    /// Present when it may only under conditions: what they read.
    pub conditional: Option<Needs<'e>>,
    /// Unexpanded, for a group: the members its grant reaches that a deny assignment blocks, sorted.
    pub denied_members: Vec<&'e str>,
}

/// A role assignment that grants, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Via<'e> {
    /// Index into `Tenant::assignments`.
    pub assignment: usize,
    /// Its id, when the file gave one.
    pub assignment_id: Option<&'e str>,
    /// Its role's display name.
    pub role: &'e str,
    /// Its role's id.
    pub role_id: Option<&'e str>,
    /// Its scope, as written.
    pub scope: &'e str,
    /// The group the assignment is to, when the principal holds it through membership (or a token group).
    pub group: Option<&'e str>,
}

/// What a conditional answer depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Needs<'e> {
    /// The attributes the undecided conditions read, as `@Source[name]`, sorted.
    pub attributes: Vec<String>,
    /// Whether the grant's own condition (its block's or its assignment's) is undecided.
    pub grant_condition: bool,
    /// The deny assignments with an undecided condition that may block it.
    pub deny_assignments: Vec<DenyRef<'e>>,
}

/// A deny assignment, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DenyRef<'e> {
    /// Index into `Tenant::deny_assignments`.
    pub index: usize,
    /// Its id.
    pub id: Option<&'e str>,
    /// Its name.
    pub name: Option<&'e str>,
}

/// The answer of [`Engine::what_can`]: the operations of the vocabulary the principal may perform, per plane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WhatCan<'e> {
    /// Control-plane operations, in vocabulary order (ASCII case-insensitive).
    pub control: Vec<Permitted<'e>>,
    /// Data-plane operations, in vocabulary order.
    pub data: Vec<Permitted<'e>>,
}

/// An operation a principal may perform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Permitted<'e> {
    /// The operation.
    pub operation: &'e str,
    /// An assignment that grants it.
    pub via: Via<'e>,
    /// Present when it may only under conditions.
    pub conditional: Option<Needs<'e>>,
}

/// What decides a what-can answer's levels ([`Engine::what_can_key`]); only comparable between keys of one engine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WhatCanKey {
    /// The assignments held in scope, as indices into `Tenant::assignments`, sorted.
    assignments: Vec<u32>,
    /// The enforced deny assignments that target the principal there, as indices into `Tenant::deny_assignments`,
    /// sorted.
    denies: Vec<u32>,
    /// The scope, when a condition of one of them is present (it may read what the scope encodes).
    scope: Option<String>,
}

/// The answer of [`Engine::what_can_levels`]: per entry of [`Engine::vocabulary`], whether the principal may
/// perform it, and whether only under conditions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WhatCanLevels {
    /// Allowed whatever the request's attributes.
    allowed: Vec<u64>,
    /// Allowed for some requests only.
    conditional: Vec<u64>,
}

impl WhatCanLevels {
    /// Whether vocabulary entry `i` is allowed whatever the request's attributes.
    pub fn allowed(&self, i: usize) -> bool {
        bit(&self.allowed, i)
    }

    /// Whether vocabulary entry `i` is allowed for some requests only.
    pub fn conditional(&self, i: usize) -> bool {
        bit(&self.conditional, i)
    }

    /// How many entries are allowed, unconditionally or not.
    pub fn count(&self) -> usize {
        self.allowed.iter().chain(&self.conditional).map(|w| w.count_ones() as usize).sum()
    }
}

fn bit(words: &[u64], i: usize) -> bool {
    words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn set_bit(words: &mut [u64], i: usize) {
    if let Some(w) = words.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn clear_bit(words: &mut [u64], i: usize) {
    if let Some(w) = words.get_mut(i / 64) {
        *w &= !(1 << (i % 64));
    }
}

/// The set bits of `words`, in order.
fn ones(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    (0usize..).zip(words).flat_map(|(i, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let b = w.trailing_zeros() as usize;
            w &= w - 1;
            Some(i * 64 + b)
        })
    })
}

impl WhatCanKey {
    /// The role assignments held in scope (through the principal, its groups or its token groups), as indices into
    /// `Tenant::assignments`, sorted.
    pub fn assignments(&self) -> &[u32] {
        &self.assignments
    }

    /// The enforced deny assignments that target the principal in scope, as indices into
    /// `Tenant::deny_assignments`, sorted.
    pub fn deny_assignments(&self) -> &[u32] {
        &self.denies
    }

    /// The scope, when a condition of one of them is present: such a condition may read what the scope encodes.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
}

/// One permission block of a role assigned in scope, in the shape Azure's `Microsoft.Authorization/permissions`
/// API returns (its keys are Azure's), with the assignment that brings it. Like Azure's, it subtracts no deny
/// assignment; [`Engine::what_can`] does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EffectivePermission<'e> {
    /// `Actions`, as written (an unresolved template expression as its text).
    pub actions: Vec<&'e str>,
    /// `NotActions`.
    pub not_actions: Vec<&'e str>,
    /// `DataActions`.
    pub data_actions: Vec<&'e str>,
    /// `NotDataActions`.
    pub not_data_actions: Vec<&'e str>,
    /// The block's condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<&'e str>,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<&'e str>,
    /// The assignment's own condition, which filters the block too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_condition: Option<&'e str>,
    /// The assignment.
    pub assignment: Via<'e>,
}

/// An operation of the engine's vocabulary on one plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VocabularyEntry<'e> {
    /// The operation, as the catalog (else the first role naming it) spells it.
    pub name: &'e str,
    /// The plane.
    pub plane: Plane,
    /// Whether the catalog lists it on this plane (else only a role names it there).
    pub in_catalog: bool,
}

impl Engine {
    /// The operations reverse queries range over: every catalog operation on its plane(s), and every exact
    /// action a role names (`Actions`/`NotActions` on the control plane, `DataActions`/`NotDataActions` on the
    /// data plane), sorted by name ASCII case-insensitively, then plane. A name that is no valid operation is left
    /// out: no request for it is ever allowed.
    pub fn vocabulary(&self) -> Vec<VocabularyEntry<'_>> {
        let c = &*self.c;
        c.base()
            .vocabulary
            .iter()
            .map(|&(op, plane, in_catalog)| VocabularyEntry { name: c.roles.vocab.name(op), plane, in_catalog })
            .collect()
    }

    /// Every principal the tenant names that may perform an exact action at a scope, or with [`Reach::AtOrBelow`]
    /// at it or below (semantics §3.6). Each is listed as [`Engine::check`] decides its request with no token
    /// groups: unconditionally when allowed whatever the request's attributes, sub-operation and time, with
    /// [`Grantee::conditional`] when allowed for some of them only; a principal denied for all of them, or never
    /// granted, is not listed.
    ///
    /// ```
    /// use rolegate::engine::{Engine, Reach, WhoCanQuery};
    ///
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tenant");
    /// let (engine, _warnings) = Engine::from_dir(dir).unwrap_or_else(|e| panic!("{e:?}"));
    /// // The `ops` group reads through Reader at the `platform` management group; its members stand in its entry.
    /// let q = WhoCanQuery::new("Microsoft.Compute/virtualMachines/read", "/subscriptions/sub-1");
    /// let w = engine.who_can(&q).unwrap();
    /// assert_eq!(w.grantees.iter().map(|g| g.principal).collect::<Vec<_>>(), ["ops"]);
    /// let all = engine.who_can(&q.expand(true)).unwrap();
    /// assert_eq!(all.grantees.len(), 4);
    /// // Reader grants no delete, there or below (and a deny assignment bars deletes in sub-1 anyway).
    /// let delete = WhoCanQuery::new("Microsoft.Compute/virtualMachines/delete", "/subscriptions/sub-1");
    /// assert!(engine.who_can(&delete.reach(Reach::AtOrBelow)).unwrap().grantees.is_empty());
    /// ```
    pub fn who_can(&self, q: &WhoCanQuery<'_>) -> Result<WhoCan<'_>, QueryError> {
        self.c.who_can(q)
    }

    /// The operations of the vocabulary ([`Engine::vocabulary`]) a principal (with its token groups) may perform
    /// at a scope, each on its plane, as [`Engine::check`] decides each with that plane named (semantics §3.6).
    pub fn what_can(&self, q: &WhatCanQuery<'_>) -> Result<WhatCan<'_>, QueryError> {
        self.c.what_can(q)
    }

    /// What decides [`Engine::what_can`]'s operations and their levels for a query: the assignments in scope that
    /// the principal holds (itself, its groups, its token groups), the deny assignments that target it there, and
    /// the scope itself when one of their conditions could read it. Two queries to this engine with equal keys get
    /// the same operations, each allowed or conditional alike; only [`Permitted::via`] and the attributes a
    /// conditional answer names may differ. A caller asking about many principals and scopes (a tenant diff)
    /// answers each distinct key once.
    ///
    /// ```
    /// use rolegate::engine::{Engine, WhatCanQuery};
    ///
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tenant");
    /// let (engine, _warnings) = Engine::from_dir(dir).unwrap_or_else(|e| panic!("{e:?}"));
    /// // Nothing is assigned to the `ops` group between sub-1 and its resource group.
    /// let sub = engine.what_can_key(&WhatCanQuery::new("ops", "/subscriptions/sub-1")).unwrap();
    /// let rg = engine.what_can_key(&WhatCanQuery::new("ops", "/subscriptions/sub-1/resourceGroups/x")).unwrap();
    /// assert_eq!(sub, rg);
    /// ```
    pub fn what_can_key(&self, q: &WhatCanQuery<'_>) -> Result<WhatCanKey, QueryError> {
        self.c.what_can_key(q)
    }

    /// [`Engine::what_can`]'s levels alone, as bit sets over [`Engine::vocabulary`]: the same answer for every
    /// operation without naming the granting assignment, so that a caller comparing thousands of answers (a tenant
    /// diff) reads bits instead of lists. Grants of roles and deny assignments without conditions are read as
    /// whole bit sets; the rest are decided operation by operation, as `what_can` decides them.
    ///
    /// ```
    /// use rolegate::engine::{Engine, WhatCanQuery};
    ///
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tenant");
    /// let (engine, _warnings) = Engine::from_dir(dir).unwrap_or_else(|e| panic!("{e:?}"));
    /// let q = WhatCanQuery::new("ops", "/subscriptions/sub-1");
    /// let levels = engine.what_can_levels(&q).unwrap();
    /// let vocabulary = engine.vocabulary();
    /// let read = vocabulary.iter().position(|e| e.name == "Microsoft.Compute/virtualMachines/read").unwrap();
    /// assert!(levels.allowed(read));
    /// let listed = engine.what_can(&q).unwrap();
    /// assert_eq!(levels.count(), listed.control.len() + listed.data.len());
    /// ```
    pub fn what_can_levels(&self, q: &WhatCanQuery<'_>) -> Result<WhatCanLevels, QueryError> {
        self.c.what_can_levels(q)
    }

    /// The levels [`Engine::what_can`] would give `ops` if they were in the vocabulary: each decided on its plane
    /// as a check decides it (an operation no role names exactly is matched against the roles' patterns). For
    /// comparing two engines whose vocabularies differ (a tenant diff), over the union of both. Per operation:
    /// `None` not allowed, `Some(false)` allowed, `Some(true)` allowed for some requests only.
    pub fn what_can_levels_of(
        &self,
        q: &WhatCanQuery<'_>,
        ops: &[(&str, Plane)],
    ) -> Result<Vec<Option<bool>>, QueryError> {
        self.c.what_can_levels_of(q, ops)
    }

    /// The permission blocks of every role assigned at the scope or above to the principal, its groups or its
    /// token groups, one entry per block, in tenant order: Azure's `Microsoft.Authorization/permissions` shape.
    pub fn effective_permissions(&self, q: &WhatCanQuery<'_>) -> Result<Vec<EffectivePermission<'_>>, QueryError> {
        self.c.effective_permissions(q)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Indexes, built on the first reverse query

/// The indexes reverse queries read, each built once when first needed.
#[derive(Debug, Default)]
pub(super) struct Indexes {
    base: OnceLock<Base>,
    below: OnceLock<Below>,
    /// Role → its grants over the vocabulary ([`Engine::what_can_levels`]), each built when first needed.
    role_bits: OnceLock<Vec<OnceLock<RoleBits>>>,
    /// Enforced deny assignment (index into the engine's list) → the vocabulary it blocks whatever the request,
    /// when it has no condition; built when first needed.
    deny_bits: OnceLock<Vec<OnceLock<Blocked>>>,
}

/// What a deny assignment blocks over the vocabulary whatever the request; `None` for one with a condition.
type Blocked = Option<Box<[u64]>>;

/// A role's grants over the vocabulary, one bit per entry of [`Base::vocabulary`].
#[derive(Debug)]
struct RoleBits {
    /// Granted by a block without a condition.
    plain: Box<[u64]>,
    /// Granted by some block (with a condition or without).
    any: Box<[u64]>,
    /// Whether the role has a block with a condition.
    conditional: bool,
}

/// What every reverse query reads.
#[derive(Debug)]
struct Base {
    /// Scope node → the assignments at it, with their principals.
    at: Lists<(u32, u32)>,
    /// Principal → the principals that hold its grants through membership, transitively (itself left out).
    grantees: Lists<u32>,
    /// Principal → its type as the tenant gives it.
    kinds: Vec<Option<PrincipalType>>,
    /// The vocabulary: (operation, plane, whether the catalog lists it there), in id order.
    vocabulary: Vec<(u32, Plane, bool)>,
}

/// What a query below a scope reads.
#[derive(Debug)]
struct Below {
    /// Scope node with an assignment or enforced deny assignment → its ancestors, itself included ([`ancestry`]);
    /// empty for the others.
    anc: Lists<u32>,
    /// Scope node → the nodes of `anc` strictly below it, in node order.
    below: Lists<u32>,
}

/// A list per index, all in one vector: a query walks thousands of them in index order, which then reads memory
/// in order rather than a separate allocation each.
#[derive(Debug, Default)]
struct Lists<T> {
    /// Where each index's list starts in `items`; one more entry than there are indices.
    starts: Vec<usize>,
    items: Vec<T>,
}

impl<T> Lists<T> {
    fn new(lists: Vec<Vec<T>>) -> Lists<T> {
        let mut starts = Vec::with_capacity(lists.len() + 1);
        let mut items = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        starts.push(0);
        for l in lists {
            items.extend(l);
            starts.push(items.len());
        }
        Lists { starts, items }
    }

    /// The list of index `i`; empty past the end.
    fn get(&self, i: u32) -> &[T] {
        let i = i as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&from), Some(&to)) => self.items.get(from..to).unwrap_or_default(),
            _ => &[],
        }
    }
}

impl Compiled {
    fn base(&self) -> &Base {
        self.reverse.base.get_or_init(|| Base::build(self))
    }

    fn below(&self) -> &Below {
        self.reverse.below.get_or_init(|| Below::build(self, self.base()))
    }
}

impl Base {
    fn build(c: &Compiled) -> Base {
        let n = c.principals.names.len();
        let mut at: Vec<Vec<(u32, u32)>> = vec![Vec::new(); c.scopes.map.len()];
        for (p, placed) in (0u32..).zip(&c.assignments.placed) {
            for pl in placed.iter() {
                if let Some(v) = at.get_mut(pl.node as usize) {
                    v.push((pl.assignment, p));
                }
            }
        }
        for v in &mut at {
            v.sort_unstable();
        }
        let at = Lists::new(at);
        // A principal's closure lists a group with a nonzero mask exactly when the group holds an assignment and
        // passes its grants to the principal (`Principals::compile`): the inverse of that is who holds a group's.
        let mut grantees: Vec<Vec<u32>> = vec![Vec::new(); n];
        let pool = &c.principals.members;
        for (p, info) in (0u32..).zip(&c.principals.info) {
            for m in info.members(pool).iter().skip(1) {
                if m.mask() != 0
                    && m.id != p
                    && let Some(v) = grantees.get_mut(m.id as usize)
                {
                    v.push(p);
                }
            }
        }
        for v in &mut grantees {
            v.sort_unstable();
            v.dedup();
        }
        let grantees = Lists::new(grantees);
        let mut kinds: Vec<Option<PrincipalType>> = vec![None; n];
        let mut say = |id: &str, t: Option<&PrincipalType>| {
            let slot = c.principals.names.get(id).and_then(|p| kinds.get_mut(p as usize));
            if let (Some(slot @ None), Some(t)) = (slot, t) {
                *slot = Some(t.clone());
            }
        };
        for a in &c.tenant.assignments {
            say(a.principal_id.as_str(), a.principal_type.as_ref());
        }
        for d in &c.tenant.deny_assignments {
            for p in d.principals.iter().chain(&d.exclude_principals).filter(|p| !p.is_everyone()) {
                say(p.id.as_str(), p.principal_type.as_ref());
            }
        }
        for (g, _) in &c.tenant.groups.groups {
            say(g.as_str(), Some(&PrincipalType::Group));
        }
        let mut vocabulary = Vec::new();
        for (op, &named) in (0u32..).zip(&c.roles.named) {
            if !is_operation_name(c.roles.vocab.name(op)) {
                continue;
            }
            let planes = [
                (Plane::Control, OpPlanes::CATALOG_CONTROL, OpPlanes::ROLE_CONTROL),
                (Plane::Data, OpPlanes::CATALOG_DATA, OpPlanes::ROLE_DATA),
            ];
            for (plane, catalog, role) in planes {
                if named & (catalog | role) != 0 {
                    vocabulary.push((op, plane, named & catalog != 0));
                }
            }
        }
        Base { at, grantees, kinds, vocabulary }
    }
}

impl Below {
    fn build(c: &Compiled, base: &Base) -> Below {
        let nodes = c.scopes.map.len();
        let mut anc: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        let mut below: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        // Total: `limits` keeps the scope nodes under `MAX_IDS`.
        for (id, slot) in (0u32..).zip(anc.iter_mut()) {
            let live = !base.at.get(id).is_empty() || c.denies.at.get(id as usize).is_some_and(|d| !d.is_empty());
            if !live {
                continue;
            }
            ancestry(&c.scopes, c.scopes.map.name(id), slot);
            for &a in slot.iter().filter(|&&a| a != id) {
                if let Some(v) = below.get_mut(a as usize) {
                    v.push(id);
                }
            }
        }
        Below { anc: Lists::new(anc), below: Lists::new(below) }
    }
}

/// The nodes that are canonical `scope` or one of its ancestors (semantics §2.3), live or not: `/`, every prefix
/// that ends with a segment and that the tenant names, and the management groups above the subscription or
/// management group that owns it (the default chain when the hierarchy does not place it), in `out`, sorted; the
/// node of `scope` itself when it has one. What `Scopes::ancestors` walks for a check, without leaving out the
/// nodes nothing sits at, which say what lies below a management group.
fn ancestry(s: &Scopes, scope: &str, out: &mut Vec<u32>) -> Option<u32> {
    out.push(s.root);
    let mut exact = (scope == "/").then_some(s.root);
    let starts = |p: &str| scope.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let owner_depth = if starts("/subscriptions/") {
        2
    } else if starts("/providers/microsoft.management/managementgroups/") {
        4
    } else {
        0
    };
    let ends = scope.match_indices('/').map(|(i, _)| i).filter(|&i| i > 0).chain(std::iter::once(scope.len()));
    let mut owner = None;
    for (depth, end) in (1..).zip(ends.filter(|_| scope != "/")) {
        let Some(node) = scope.get(..end).and_then(|p| s.node(p)) else { continue };
        out.push(node);
        if depth == owner_depth {
            owner = Some(node);
        }
        if end == scope.len() {
            exact = Some(node);
        }
    }
    if owner_depth > 0 {
        // As `Scopes::chain_above`: an owner the hierarchy does not place hangs under the default chain.
        let chain = owner.and_then(|o| s.node_chain.get(o as usize)).and_then(|c| c.get()).unwrap_or(s.default_chain);
        out.extend(s.all_chains.get(chain as usize).map_or(&[][..], |c| &c[..]));
    }
    out.sort_unstable();
    out.dedup();
    exact
}

/// Whether lower-cased canonical scope text `key` is `scope` or an ancestor of it by its text.
fn text_within(key: &[u8], scope: &[u8]) -> bool {
    key == b"/" || (scope.starts_with(key) && scope.get(key.len()).is_none_or(|&b| b == b'/'))
}

// ---------------------------------------------------------------------------------------------------------------
// Deciding without a request's attributes

/// What the tenant can say about a grant, a deny assignment or an answer without the request's attributes:
/// never, for some requests only, or for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Level {
    No,
    Maybe,
    Yes,
}

/// A condition's value for every request at a position: `Invalid` for one that did not compile, which is Unknown
/// on every request (it never lets a grant through and never stops a deny, semantics §3.1).
enum Open {
    True,
    False,
    Unknown(Vec<String>),
    Invalid,
}

impl Compiled {
    /// Condition `id` (none: no condition, true) for every request with `action` at `scope` (`None`: below a
    /// scope, where what a scope encodes is unknown too).
    fn open(&self, id: OptId, action: &str, scope: Option<&str>) -> Open {
        if id.is_none() {
            return Open::True;
        }
        match self.conditions.get(id) {
            None => Open::Invalid,
            Some(c) => match c.analyze_open(action, scope) {
                Analysis::True => Open::True,
                Analysis::False => Open::False,
                Analysis::Conditional { needs } => Open::Unknown(needs),
            },
        }
    }

    /// How assignment `a` grants `action` on `plane` at a position: a block that grants it and the assignment's
    /// condition both true → `Yes`; either false, or not readable → that block grants nothing; else `Maybe`.
    fn grant_level(&self, a: u32, op: Option<u32>, action: &str, plane: Plane, scope: Option<&str>) -> Graded {
        let no = Graded { level: Level::No, needs: Vec::new() };
        // An assignment whose role the tenant lacks grants nothing, as in a check.
        let Some(role) = self.assignments.role.get(a as usize).copied().and_then(OptId::get) else { return no };
        let (plain, conditional) = self.roles.role_grants(op, action, plane, role);
        // Total: `condition` has an entry per assignment, as `conditional_grant` reads it.
        let on_assignment = self.assignments.condition.get(a as usize).copied().unwrap_or(OptId::NONE);
        if plain && on_assignment.is_none() {
            return Graded { level: Level::Yes, needs: Vec::new() };
        }
        if !(plain || conditional) {
            return no;
        }
        let whole = self.open(on_assignment, action, scope);
        let mut best = no;
        for b in self.roles.blocks.get(role as usize).map_or(&[][..], |v| &v[..]) {
            if b.grant(action, plane).is_none() {
                continue;
            }
            let g = conjunction(&self.open(b.condition, action, scope), &whole);
            if g.level > best.level {
                best = g;
            }
        }
        best
    }

    /// How enforced deny assignment `d` blocks `action` on `plane` at a position, once it targets the request: a
    /// block that matches it with neither its condition nor the deny assignment's definitely false blocks; `Yes`
    /// when neither can be false for any request, `Maybe` when one can.
    fn deny_level(&self, d: &Deny, action: &str, plane: Plane, scope: Option<&str>) -> Graded {
        let mut best = Graded { level: Level::No, needs: Vec::new() };
        let mut whole: Option<Open> = None;
        for b in &d.blocks {
            if b.grant(action, plane).is_none() {
                continue;
            }
            let whole = whole.get_or_insert_with(|| self.open(d.condition, action, scope));
            let g = blocks_unless_false(&self.open(b.condition, action, scope), whole);
            if g.level > best.level {
                best = g;
            }
            if best.level == Level::Yes {
                break;
            }
        }
        best
    }
}

/// A level with the attributes it waits on.
#[derive(Clone, Debug)]
struct Graded {
    level: Level,
    needs: Vec<String>,
}

/// A grant: block condition AND assignment condition must be true (Kleene; an unreadable one never is).
fn conjunction(block: &Open, whole: &Open) -> Graded {
    let mut needs = Vec::new();
    let mut level = Level::Yes;
    for o in [block, whole] {
        match o {
            Open::True => {}
            Open::False | Open::Invalid => return Graded { level: Level::No, needs: Vec::new() },
            Open::Unknown(n) => {
                level = Level::Maybe;
                needs.extend(n.iter().cloned());
            }
        }
    }
    Graded { level, needs }
}

/// A deny: it blocks unless its block's or its own condition is false (an unreadable one never is).
fn blocks_unless_false(block: &Open, whole: &Open) -> Graded {
    let mut needs = Vec::new();
    let mut level = Level::Yes;
    for o in [block, whole] {
        match o {
            Open::True | Open::Invalid => {}
            Open::False => return Graded { level: Level::No, needs: Vec::new() },
            Open::Unknown(n) => {
                level = Level::Maybe;
                needs.extend(n.iter().cloned());
            }
        }
    }
    Graded { level, needs }
}

/// A deny assignment that blocks the action at a position, for the principals it targets.
struct Applicable<'c> {
    deny: &'c Deny,
    /// Where it sits, and the node of the position itself, for [`deny_targets`].
    node: u32,
    exact: Option<u32>,
    graded: Graded,
}

/// What one who-can query has worked out so far.
struct WhoCanRun<'c> {
    c: &'c Compiled,
    base: &'c Base,
    action: &'c str,
    op: Option<u32>,
    plane: Plane,
    scope: &'c str,
    /// Per position, the deny assignments that block the action there; positions below the scope that share
    /// their deny assignments share a list.
    lists: Vec<Vec<Applicable<'c>>>,
    list_ids: HashMap<Vec<u32>, usize>,
    /// The list of a place below the scope that no deny assignment reaches, once made.
    nothing_below: Option<usize>,
    /// Per list, per principal, the cap the list puts on the principal's answer (0 not yet known, else the level
    /// plus one).
    caps: Vec<Vec<u8>>,
    /// The conditional grants' levels by (assignment, whether at the query scope itself).
    grants: HashMap<(u32, bool), Graded>,
    /// Deny levels by (deny, whether at the query scope itself).
    deny_levels: HashMap<(u32, bool), Graded>,
    /// (Holder, deny list) → the best assignment offered there, until [`WhoCanRun::settle`].
    pending: HashMap<(u32, usize), Offer, foldhash::fast::RandomState>,
    /// Principal → its best answer so far; only principals with a grant are in it.
    best: HashMap<u32, Best, foldhash::fast::RandomState>,
}

/// A principal's best answer so far.
#[derive(Clone, Copy, Debug)]
struct Best {
    level: Level,
    /// The level of the grant alone, before deny assignments.
    grant: Level,
    assignment: u32,
    /// The principal the assignment is to.
    holder: u32,
    /// The position's list of deny assignments, and whether it is the query scope itself.
    list: usize,
    at_scope: bool,
}

impl<'c> WhoCanRun<'c> {
    /// The deny assignments that block the action at the position whose ancestors are `anc` and whose node is
    /// `exact`; `at_scope`: the query scope itself, else a scope below the node of `exact`'s position that the
    /// tenant does not name, where only deny assignments that apply to child scopes reach.
    fn list(&mut self, anc: &[u32], exact: Option<u32>, at_scope: bool) -> usize {
        let c = self.c;
        let mut found: Vec<(u32, u32, &Deny)> = Vec::new();
        for &node in anc {
            for &d in c.denies.at.get(node as usize).map_or(&[][..], |v| &v[..]) {
                // Total: `at` holds indices into `list` only, so no deny is skipped here.
                let Some(deny) = c.denies.list.get(d as usize) else { continue };
                let applies = if at_scope { deny.children || Some(node) == exact } else { deny.children };
                if applies {
                    found.push((d, node, deny));
                }
            }
        }
        // Most places below a scope have no deny assignment above them: they share one empty list, found without
        // building a key.
        if found.is_empty()
            && !at_scope
            && let Some(id) = self.nothing_below
        {
            return id;
        }
        found.sort_unstable_by_key(|&(d, node, _)| (d, node));
        let mut key: Vec<u32> = found.iter().map(|&(d, ..)| d).collect();
        // The query scope's list never merges with another: conditions there see the scope.
        key.push(if at_scope { u32::MAX } else { u32::MAX - 1 });
        if let Some(&id) = self.list_ids.get(&key) {
            return id;
        }
        let exact = if at_scope { exact } else { None };
        let found_none = found.is_empty();
        let mut list = Vec::new();
        for (d, node, deny) in found {
            let (action, plane, scope) = (self.action, self.plane, self.scope);
            let graded = self
                .deny_levels
                .entry((d, at_scope))
                .or_insert_with(|| c.deny_level(deny, action, plane, at_scope.then_some(scope)))
                .clone();
            if graded.level > Level::No {
                list.push(Applicable { deny, node, exact, graded });
            }
        }
        let id = self.lists.len();
        if found_none && !at_scope {
            self.nothing_below = Some(id);
        }
        self.lists.push(list);
        self.caps.push(Vec::new());
        self.list_ids.insert(key, id);
        id
    }

    /// The cap list `list` puts on principal `p`: `No` when a deny assignment targeting it blocks for every
    /// request, `Maybe` when one may, else `Yes`.
    fn cap(&mut self, list: usize, p: u32) -> Level {
        // Total: list ids come from `list`, which pushes the list it names.
        let Some(l) = self.lists.get(list) else { return Level::Yes };
        if l.is_empty() {
            return Level::Yes;
        }
        let known = self.caps.get(list).and_then(|v| v.get(p as usize)).copied().unwrap_or(0);
        if known != 0 {
            return level_of(known - 1);
        }
        let level = cap_of(self.c, l, p).0;
        if let Some(v) = self.caps.get_mut(list) {
            if v.is_empty() {
                v.resize(self.c.principals.names.len(), 0);
            }
            if let Some(slot) = v.get_mut(p as usize) {
                *slot = level as u8 + 1;
            }
        }
        level
    }

    /// Offers assignment `a` at a position with deny list `list` to its holder `holder` and to everyone its
    /// grants reach.
    fn offer(&mut self, a: u32, holder: u32, list: usize, at_scope: bool) {
        // Each assignment is offered once per position, so its level is worked out here, and kept only when an
        // answer will need to say what it waits on.
        let graded = self.c.grant_level(a, self.op, self.action, self.plane, at_scope.then_some(self.scope));
        let grant = graded.level;
        match grant {
            Level::No => return,
            Level::Maybe => {
                self.grants.insert((a, at_scope), graded);
            }
            Level::Yes => {}
        }
        // A holder's members are reached once per deny list, by its best assignment there: whatever a deny
        // assignment caps a member's answer at, no other assignment of the holder there ranks higher.
        let offered = Offer { grant, assignment: a, at_scope };
        self.pending
            .entry((holder, list))
            .and_modify(|o| {
                if offered.rank() > o.rank() {
                    *o = offered;
                }
            })
            .or_insert(offered);
    }

    /// Passes the best offer of each (holder, deny list) to the holder and everyone its grants reach.
    fn settle(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for ((holder, list), o) in pending {
            let reached = self.base.grantees.get(holder);
            for p in std::iter::once(holder).chain(reached.iter().copied()) {
                let level = o.grant.min(self.cap(list, p));
                if level == Level::No {
                    continue;
                }
                let offered =
                    Best { level, grant: o.grant, assignment: o.assignment, holder, list, at_scope: o.at_scope };
                self.best
                    .entry(p)
                    .and_modify(|b| {
                        if rank(&offered, p) > rank(b, p) {
                            *b = offered;
                        }
                    })
                    .or_insert(offered);
            }
        }
    }
}

/// An assignment offered at a position, before its holder's members are reached.
#[derive(Clone, Copy, Debug)]
struct Offer {
    grant: Level,
    assignment: u32,
    at_scope: bool,
}

impl Offer {
    /// Within one holder and deny list: the higher grant level, then the earlier assignment.
    fn rank(&self) -> (Level, std::cmp::Reverse<u32>) {
        (self.grant, std::cmp::Reverse(self.assignment))
    }
}

/// Better answers first: a higher level, then an assignment of the principal's own, then the higher grant level,
/// the earlier assignment, the query scope itself and the earlier deny list; a total order, so that the answer
/// does not depend on the order offers come in.
fn rank(b: &Best, p: u32) -> (Level, bool, Level, std::cmp::Reverse<u32>, bool, std::cmp::Reverse<usize>) {
    (b.level, b.holder == p, b.grant, std::cmp::Reverse(b.assignment), b.at_scope, std::cmp::Reverse(b.list))
}

fn level_of(v: u8) -> Level {
    match v {
        0 => Level::No,
        1 => Level::Maybe,
        _ => Level::Yes,
    }
}

/// The cap deny assignments `list` put on principal `p` (see [`WhoCanRun::cap`]), with the undecided ones.
fn cap_of<'l, 'c>(c: &Compiled, list: &'l [Applicable<'c>], p: u32) -> (Level, Vec<&'l Applicable<'c>>) {
    let pool = &c.principals.members;
    // The principal and every group it is in, transitively: what deny assignments see (semantics §3). Total: every
    // principal id the tenant names has a record.
    let members = c.principals.info.get(p as usize).map_or(&[][..], |i| i.members(pool));
    let member = |set: &[u32]| members.iter().any(|m| set.binary_search(&m.id).is_ok());
    fold_cap(list.iter().filter(|a| deny_targets(a.deny, a.node, a.exact, member) == DenyTarget::Targets))
}

/// What a what-can query reads besides the operation ([`Compiled::in_scope`]).
struct InScope<'c> {
    /// The scope's own node, when the tenant names it.
    exact: Option<u32>,
    /// The assignments held in scope, with who holds each.
    held: Vec<(u32, u32)>,
    /// The enforced deny assignments that target the principal there.
    denies: Vec<Targeting<'c>>,
}

/// An enforced deny assignment that targets a principal: where it sits, and its index into the engine's list.
struct Targeting<'c> {
    deny: &'c Deny,
    node: u32,
    list: u32,
}

/// The cap deny assignments that target a principal put on its answer, with the undecided ones.
fn fold_cap<'l, 'c: 'l>(targeting: impl Iterator<Item = &'l Applicable<'c>>) -> (Level, Vec<&'l Applicable<'c>>) {
    let mut cap = Level::Yes;
    let mut maybe = Vec::new();
    for a in targeting {
        match a.graded.level {
            Level::Yes => return (Level::No, Vec::new()),
            Level::Maybe => {
                cap = Level::Maybe;
                maybe.push(a);
            }
            Level::No => {}
        }
    }
    (cap, maybe)
}

impl Compiled {
    fn who_can(&self, q: &WhoCanQuery<'_>) -> Result<WhoCan<'_>, QueryError> {
        if !is_operation_name(q.action) {
            return Err(QueryError::Action(q.action.to_owned()));
        }
        if !is_canonical_scope(q.scope) {
            return Err(QueryError::Scope(q.scope.to_owned()));
        }
        let found = self.roles.vocab.get_aux(q.action);
        let plane = request_plane(q.plane, found.map(|(_, aux)| aux))
            .ok_or_else(|| QueryError::PlaneUnknown(q.action.to_owned()))?;
        let base = self.base();
        let mut run = WhoCanRun {
            c: self,
            base,
            action: q.action,
            op: found.map(|(op, _)| op),
            plane,
            scope: q.scope,
            lists: Vec::new(),
            list_ids: HashMap::new(),
            nothing_below: None,
            caps: Vec::new(),
            grants: HashMap::new(),
            deny_levels: HashMap::new(),
            pending: HashMap::default(),
            best: HashMap::default(),
        };
        let mut anc = Vec::new();
        let exact = ancestry(&self.scopes, q.scope, &mut anc);
        let at = |node: u32| base.at.get(node);
        let here = run.list(&anc, exact, true);
        for &node in &anc {
            for &(a, holder) in at(node) {
                run.offer(a, holder, here, true);
            }
        }
        if q.reach == Reach::AtOrBelow {
            // Below the scope, at a scope the tenant does not name: what is at or above it grants, deny assignments
            // there that apply to child scopes block, and conditions cannot read the scope.
            let generic = run.list(&anc, exact, false);
            for &node in &anc {
                for &(a, holder) in at(node) {
                    run.offer(a, holder, generic, false);
                }
            }
            // Below each scope under it that the tenant names: that node's ancestors grant and block as well. A
            // scope right at such a node is no better a place, since below it fewer deny assignments apply.
            let below = self.below();
            for &n in self.below_nodes(below, q.scope, exact).iter() {
                if at(n).is_empty() {
                    continue;
                }
                let node_anc = below.anc.get(n);
                let list = run.list(node_anc, None, false);
                for &(a, holder) in at(n) {
                    run.offer(a, holder, list, false);
                }
            }
        }
        run.settle();
        Ok(self.who_can_answer(&run, q))
    }

    /// The nodes with an assignment or an enforced deny assignment strictly below canonical `scope` (whose node
    /// is `exact`).
    fn below_nodes<'b>(&self, below: &'b Below, scope: &str, exact: Option<u32>) -> Cow<'b, [u32]> {
        if let Some(x) = exact {
            return Cow::Borrowed(below.below.get(x));
        }
        // A scope the tenant does not name has no management group below it: what is below it is below by text.
        let lowered = scope.to_ascii_lowercase();
        let all = below.below.get(self.scopes.root);
        Cow::Owned(
            all.iter()
                .copied()
                .filter(|&n| {
                    let key = self.scopes.map.lowered_key(n);
                    key.len() > lowered.len() && text_within(lowered.as_bytes(), key)
                })
                .collect(),
        )
    }

    fn who_can_answer<'e>(&'e self, run: &WhoCanRun<'_>, q: &WhoCanQuery<'_>) -> WhoCan<'e> {
        let name = |p: u32| self.principals.names.name(p);
        // What each conditional answer waits on; an answer is `None` (no grant), `Some(None)` (unconditional) or
        // `Some(Some(needs))`.
        let needs: HashMap<u32, Needs<'e>, foldhash::fast::RandomState> = run
            .best
            .iter()
            .filter(|(_, b)| b.level == Level::Maybe)
            .map(|(&p, b)| {
                let grant = run.grants.get(&(b.assignment, b.at_scope));
                let list = run.lists.get(b.list).map_or(&[][..], |v| &v[..]);
                let (_, maybe) = cap_of(self, list, p);
                (p, self.needs(grant, &maybe))
            })
            .collect();
        let answer = |p: u32| run.best.get(&p).map(|_| needs.get(&p));
        // Listed as holding the grant itself: every such principal is listed, whatever its members.
        let direct = |p: u32| run.best.get(&p).is_some_and(|b| b.holder == p);
        let pool = &self.principals.members;
        let mut listed: Vec<(&str, u32, &Best)> = Vec::new();
        for (&p, b) in &run.best {
            if !q.expand && b.holder != p {
                // A member stands in the entries of the listed groups whose grants reach it when its answer is each
                // one's; else it is listed on its own, so that no group entry says more than is true of it.
                let groups = self.principals.info.get(p as usize).map_or(&[][..], |i| i.members(pool));
                let mut by = groups.iter().filter(|m| m.id != p && m.mask() != 0 && direct(m.id)).peekable();
                if by.peek().is_some() && by.all(|g| answer(g.id) == answer(p)) {
                    continue;
                }
            }
            listed.push((name(p), p, b));
        }
        listed.sort_unstable_by(|a, b| cmp_ids(a.0, b.0));
        let grantees = listed
            .into_iter()
            .map(|(principal, p, b)| {
                let denied_members = if q.expand || b.holder != p {
                    Vec::new()
                } else {
                    let reached = run.base.grantees.get(p);
                    let mut v: Vec<&str> = reached.iter().filter(|&&m| answer(m).is_none()).map(|&m| name(m)).collect();
                    v.sort_unstable_by(|a, b| cmp_ids(a, b));
                    v
                };
                Grantee {
                    principal,
                    principal_type: self.kind(p),
                    via: self.via(b.assignment, (b.holder != p).then(|| name(b.holder))),
                    conditional: needs.get(&p).cloned(),
                    denied_members,
                }
            })
            .collect();
        WhoCan { plane: run.plane, reach: q.reach, expanded: q.expand, grantees }
    }

    /// A principal's type as the tenant gives it.
    fn kind(&self, p: u32) -> Option<&str> {
        self.base().kinds.get(p as usize).and_then(Option::as_ref).map(PrincipalType::as_str)
    }

    /// Assignment `a`, named; `group`: the group it is to, when that is not the principal asked about.
    fn via<'e>(&'e self, a: u32, group: Option<&'e str>) -> Via<'e> {
        let t = &self.tenant;
        let assignment = t.assignments.get(a as usize);
        let role =
            self.assignments.role.get(a as usize).copied().and_then(OptId::get).and_then(|r| t.roles.get(r as usize));
        Via {
            assignment: a as usize,
            assignment_id: assignment.and_then(|x| x.id.as_ref()).map(|i| i.as_str()),
            role: role.and_then(|r| r.name.as_ref()).map_or("", |n| n.value.as_str()),
            role_id: role.and_then(|r| r.id.as_ref()).map(|i| i.as_str()),
            scope: assignment.map_or("", |x| x.scope.raw.as_str()),
            group,
        }
    }

    /// What a conditional answer waits on: the grant's undecided condition, and the deny assignments that may block.
    fn needs<'e>(&'e self, grant: Option<&Graded>, maybe: &[&Applicable<'_>]) -> Needs<'e> {
        let mut attributes: Vec<String> = Vec::new();
        let grant_condition = grant.is_some_and(|g| g.level == Level::Maybe);
        if let Some(g) = grant.filter(|_| grant_condition) {
            attributes.extend(g.needs.iter().cloned());
        }
        let mut deny_assignments: Vec<DenyRef<'e>> = Vec::new();
        for a in maybe {
            attributes.extend(a.graded.needs.iter().cloned());
            let index = a.deny.index as usize;
            let d = self.tenant.deny_assignments.get(index);
            deny_assignments.push(DenyRef {
                index,
                id: d.and_then(|d| d.id.as_ref()).map(|i| i.as_str()),
                name: d.and_then(|d| d.name.as_deref()),
            });
        }
        attributes.sort_unstable();
        attributes.dedup();
        deny_assignments.sort_by_key(|d| d.index);
        deny_assignments.dedup_by_key(|d| d.index);
        Needs { attributes, grant_condition, deny_assignments }
    }

    /// The principals a what-can query acts as, as a check's look-up finds them: those whose assignments count
    /// (the principal and its groups, and each token group that is a group and its groups, where they hold
    /// assignments), and every one deny assignments see, sorted.
    fn acting_as(&self, q: &WhatCanQuery<'_>) -> (Vec<u32>, Vec<u32>) {
        let (mut grants, mut all) = (Vec::new(), Vec::new());
        let pool = &self.principals.members;
        let roots = std::iter::once((q.principal, false)).chain(q.groups.iter().map(|g| (g, true)));
        for (id, group) in roots {
            let Some(info) = self.principals.names.get(id).and_then(|p| self.principals.info.get(p as usize)) else {
                continue;
            };
            // A group id the tenant knows as a user or service principal grants nothing; deny assignments still
            // see it and its groups (semantics §3).
            let holds = !(group && info.person != 0);
            for m in info.members(pool) {
                all.push(m.id);
                if holds && m.mask() != 0 {
                    grants.push(m.id);
                }
            }
        }
        for v in [&mut grants, &mut all] {
            v.sort_unstable();
            v.dedup();
        }
        (grants, all)
    }

    /// The assignments in scope (at `anc`) to the principals of `grants`, with who holds each, in tenant order.
    fn held_in_scope(&self, grants: &[u32], anc: &[u32]) -> Vec<(u32, u32)> {
        let mut held = Vec::new();
        for &p in grants {
            for pl in self.assignments.placed.get(p as usize).map_or(&[][..], |v| &v[..]) {
                if anc.binary_search(&pl.node).is_ok() {
                    held.push((pl.assignment, p));
                }
            }
        }
        held.sort_unstable();
        held
    }

    /// What a what-can query reads besides the operation: the assignments held in scope and the deny assignments
    /// that target the principal there (which of them block is per operation).
    fn in_scope(&self, q: &WhatCanQuery<'_>) -> Result<InScope<'_>, QueryError> {
        if !is_canonical_scope(q.scope) {
            return Err(QueryError::Scope(q.scope.to_owned()));
        }
        let mut anc = Vec::new();
        let exact = ancestry(&self.scopes, q.scope, &mut anc);
        let (grants, all) = self.acting_as(q);
        let held = self.held_in_scope(&grants, &anc);
        let member = |set: &[u32]| all.iter().any(|p| set.binary_search(p).is_ok());
        let mut denies = Vec::new();
        for &node in &anc {
            for &d in self.denies.at.get(node as usize).map_or(&[][..], |v| &v[..]) {
                // Total: `at` holds indices into `list` only, so no deny is skipped here.
                let Some(deny) = self.denies.list.get(d as usize) else { continue };
                if deny_targets(deny, node, exact, member) == DenyTarget::Targets {
                    denies.push(Targeting { deny, node, list: d });
                }
            }
        }
        Ok(InScope { exact, held, denies })
    }

    fn what_can(&self, q: &WhatCanQuery<'_>) -> Result<WhatCan<'_>, QueryError> {
        let InScope { exact, held, denies } = self.in_scope(q)?;
        let base = self.base();
        let own = self.principals.names.get(q.principal);
        let (mut control, mut data) = (Vec::new(), Vec::new());
        for &(op, plane, _) in &base.vocabulary {
            let action = self.roles.vocab.name(op);
            // The best grant: a higher level, then an assignment of the principal's own, then the earlier one.
            let mut best: Option<(Level, bool, u32, u32, Graded)> = None;
            for &(a, holder) in &held {
                let Some(role) = self.assignments.role.get(a as usize).copied().and_then(OptId::get) else { continue };
                if self.roles.grants.get(op, plane, role) == (false, false) {
                    continue;
                }
                let better = |b: &(Level, bool, u32, u32, Graded), level: Level| {
                    (level, Some(holder) == own).cmp(&(b.0, b.1)) == Ordering::Greater
                };
                if best.as_ref().is_some_and(|b| b.0 == Level::Yes && b.1) {
                    break;
                }
                let g = self.grant_level(a, Some(op), action, plane, Some(q.scope));
                if g.level > Level::No && best.as_ref().is_none_or(|b| better(b, g.level)) {
                    best = Some((g.level, Some(holder) == own, a, holder, g));
                }
            }
            let Some((level, _, a, holder, grant)) = best else { continue };
            let list: Vec<Applicable<'_>> = denies
                .iter()
                .map(|t| {
                    let graded = self.deny_level(t.deny, action, plane, Some(q.scope));
                    Applicable { deny: t.deny, node: t.node, exact, graded }
                })
                .collect();
            // Every one of them targets the principal already.
            let (cap, maybe) = fold_cap(list.iter());
            let status = level.min(cap);
            if status == Level::No {
                continue;
            }
            let group = (Some(holder) != own).then(|| self.principals.names.name(holder));
            let conditional = (status == Level::Maybe).then(|| self.needs(Some(&grant), &maybe));
            let permitted = Permitted { operation: action, via: self.via(a, group), conditional };
            match plane {
                Plane::Control => control.push(permitted),
                Plane::Data => data.push(permitted),
            }
        }
        Ok(WhatCan { control, data })
    }

    fn role_bits(&self, role: u32) -> Option<&RoleBits> {
        let all =
            self.reverse.role_bits.get_or_init(|| (0..self.roles.blocks.len()).map(|_| OnceLock::new()).collect());
        let slot = all.get(role as usize)?;
        Some(slot.get_or_init(|| {
            let vocabulary = &self.base().vocabulary;
            let words = vocabulary.len().div_ceil(64);
            let (mut plain, mut any) = (vec![0u64; words], vec![0u64; words]);
            for (i, &(op, plane, _)) in vocabulary.iter().enumerate() {
                let (p, c) = self.roles.grants.get(op, plane, role);
                if p {
                    set_bit(&mut plain, i);
                }
                if p || c {
                    set_bit(&mut any, i);
                }
            }
            let conditional = self
                .roles
                .blocks
                .get(role as usize)
                .is_none_or(|bs| bs.iter().any(|b| b.conditional || b.condition.get().is_some()));
            RoleBits { plain: plain.into(), any: any.into(), conditional }
        }))
    }

    /// What enforced deny assignment `d` (index into the engine's list) blocks whatever the request; `None` when
    /// it has a condition, which is then decided per operation.
    fn deny_bits(&self, d: u32) -> Option<&[u64]> {
        let all = self.reverse.deny_bits.get_or_init(|| (0..self.denies.list.len()).map(|_| OnceLock::new()).collect());
        let slot = all.get(d as usize)?;
        slot.get_or_init(|| {
            let deny = self.denies.list.get(d as usize)?;
            if deny.condition.get().is_some()
                || deny.blocks.iter().any(|b| b.conditional || b.condition.get().is_some())
            {
                return None;
            }
            let vocabulary = &self.base().vocabulary;
            let mut bits = vec![0u64; vocabulary.len().div_ceil(64)];
            for (i, &(op, plane, _)) in vocabulary.iter().enumerate() {
                let action = self.roles.vocab.name(op);
                if deny.blocks.iter().any(|b| b.grant(action, plane).is_some()) {
                    set_bit(&mut bits, i);
                }
            }
            Some(bits.into())
        })
        .as_deref()
    }

    fn what_can_levels(&self, q: &WhatCanQuery<'_>) -> Result<WhatCanLevels, QueryError> {
        let InScope { held, denies, .. } = self.in_scope(q)?;
        let vocabulary = &self.base().vocabulary;
        let words = vocabulary.len().div_ceil(64);
        // Grants: the best level over the assignments held (`what_can`'s `best`, without naming it).
        let (mut yes, mut maybe) = (vec![0u64; words], vec![0u64; words]);
        for &(a, _) in &held {
            // An assignment whose role the tenant lacks grants nothing, as in a check. Total: `role_bits` has a
            // slot per role, and `condition` an entry per assignment (as `grant_level` reads it).
            let Some(role) = self.assignments.role.get(a as usize).copied().and_then(OptId::get) else { continue };
            let Some(bits) = self.role_bits(role) else { continue };
            let on_assignment = self.assignments.condition.get(a as usize).copied().unwrap_or(OptId::NONE);
            if on_assignment.is_none() {
                // `grant_level` answers Yes for a plain grant of an assignment without a condition.
                yes.iter_mut().zip(bits.plain.iter()).for_each(|(y, p)| *y |= p);
                if !bits.conditional {
                    continue;
                }
            }
            for i in ones(&bits.any) {
                if bit(&yes, i) {
                    continue;
                }
                let Some(&(op, plane, _)) = vocabulary.get(i) else { continue };
                let g = self.grant_level(a, Some(op), self.roles.vocab.name(op), plane, Some(q.scope));
                match g.level {
                    Level::Yes => set_bit(&mut yes, i),
                    Level::Maybe => set_bit(&mut maybe, i),
                    Level::No => {}
                }
            }
        }
        for (m, y) in maybe.iter_mut().zip(&yes) {
            *m &= !y;
        }
        // Deny assignments that target the principal cap each level (`fold_cap`): a block for every request
        // removes it, one for some requests only makes it conditional.
        for t in &denies {
            if let Some(blocked) = self.deny_bits(t.list) {
                for ((y, m), b) in yes.iter_mut().zip(maybe.iter_mut()).zip(blocked) {
                    *y &= !b;
                    *m &= !b;
                }
                continue;
            }
            let candidates: Vec<usize> = ones(&yes).chain(ones(&maybe)).collect();
            for i in candidates {
                let Some(&(op, plane, _)) = vocabulary.get(i) else { continue };
                match self.deny_level(t.deny, self.roles.vocab.name(op), plane, Some(q.scope)).level {
                    Level::Yes => {
                        clear_bit(&mut yes, i);
                        clear_bit(&mut maybe, i);
                    }
                    Level::Maybe => {
                        if bit(&yes, i) {
                            clear_bit(&mut yes, i);
                            set_bit(&mut maybe, i);
                        }
                    }
                    Level::No => {}
                }
            }
        }
        Ok(WhatCanLevels { allowed: yes, conditional: maybe })
    }

    fn what_can_levels_of(&self, q: &WhatCanQuery<'_>, ops: &[(&str, Plane)]) -> Result<Vec<Option<bool>>, QueryError> {
        let InScope { exact, held, denies } = self.in_scope(q)?;
        let mut out = Vec::with_capacity(ops.len());
        for &(action, plane) in ops {
            // As `what_can`'s loop, for an operation it may not list: the best grant, capped by the denies.
            let op = self.roles.vocab.get_aux(action).map(|(op, _)| op);
            let level = held
                .iter()
                .map(|&(a, _)| self.grant_level(a, op, action, plane, Some(q.scope)).level)
                .max()
                .unwrap_or(Level::No);
            let cap = if level == Level::No {
                Level::No
            } else {
                let list: Vec<Applicable<'_>> = denies
                    .iter()
                    .map(|t| Applicable {
                        deny: t.deny,
                        node: t.node,
                        exact,
                        graded: self.deny_level(t.deny, action, plane, Some(q.scope)),
                    })
                    .collect();
                fold_cap(list.iter()).0
            };
            out.push(match level.min(cap) {
                Level::No => None,
                Level::Maybe => Some(true),
                Level::Yes => Some(false),
            });
        }
        Ok(out)
    }

    fn what_can_key(&self, q: &WhatCanQuery<'_>) -> Result<WhatCanKey, QueryError> {
        // What `what_can` reads, which reads nothing else but the operation and the scope.
        let in_scope = self.in_scope(q)?;
        let mut assignments: Vec<u32> = in_scope.held.iter().map(|&(a, _)| a).collect();
        assignments.sort_unstable();
        assignments.dedup();
        let mut denies = Vec::new();
        let mut conditional = false;
        for t in &in_scope.denies {
            denies.push(t.deny.index);
            conditional |= t.deny.condition.get().is_some()
                || t.deny.blocks.iter().any(|b| b.conditional || b.condition.get().is_some());
        }
        denies.sort_unstable();
        denies.dedup();
        for &a in &assignments {
            conditional |= self.assignments.condition.get(a as usize).is_none_or(|c| c.get().is_some());
            let role = self.assignments.role.get(a as usize).copied().and_then(OptId::get);
            conditional |= role.is_some_and(|r| {
                self.roles
                    .blocks
                    .get(r as usize)
                    .is_none_or(|bs| bs.iter().any(|b| b.conditional || b.condition.get().is_some()))
            });
        }
        Ok(WhatCanKey { assignments, denies, scope: conditional.then(|| q.scope.to_owned()) })
    }

    fn effective_permissions(&self, q: &WhatCanQuery<'_>) -> Result<Vec<EffectivePermission<'_>>, QueryError> {
        if !is_canonical_scope(q.scope) {
            return Err(QueryError::Scope(q.scope.to_owned()));
        }
        let mut anc = Vec::new();
        ancestry(&self.scopes, q.scope, &mut anc);
        let (grants, _) = self.acting_as(q);
        let own = self.principals.names.get(q.principal);
        let t = &self.tenant;
        let mut out = Vec::new();
        for (a, holder) in self.held_in_scope(&grants, &anc) {
            let assignment = t.assignments.get(a as usize);
            let role = self.assignments.role.get(a as usize).copied().and_then(OptId::get);
            // A role the tenant lacks (RL010) refuses the tenant before an engine exists.
            let Some(role) = role.and_then(|r| t.roles.get(r as usize)) else { continue };
            let group = (Some(holder) != own).then(|| self.principals.names.name(holder));
            for p in &role.permissions {
                out.push(EffectivePermission {
                    actions: texts(&p.actions),
                    not_actions: texts(&p.not_actions),
                    data_actions: texts(&p.data_actions),
                    not_data_actions: texts(&p.not_data_actions),
                    condition: p.condition.as_ref().map(|c| c.value.as_str()),
                    condition_version: p.condition_version.as_ref().map(|c| c.value.as_str()),
                    assignment_condition: assignment.and_then(|x| x.condition.as_ref()).map(|c| c.value.as_str()),
                    assignment: self.via(a, group),
                });
            }
        }
        Ok(out)
    }
}

/// A list's entries as written; an unresolved template expression as its text, which Azure would have resolved.
fn texts(e: &Entries<crate::model::Action>) -> Vec<&str> {
    match e {
        Entries::List(items) => items.iter().map(|a| a.raw.as_str()).collect(),
        Entries::Template(t) => vec![t.value.as_str()],
    }
}

/// Principal ids in order: ASCII case-insensitively, then as written.
fn cmp_ids(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase())).then_with(|| a.cmp(b))
}
