//! The engine: an immutable snapshot compiled from a [`Tenant`] that answers "may principal X do action Y at
//! scope Z" (SPEC §3) without allocating, with a compact reason for every decision.
//!
//! ```
//! use rolegate::engine::{Engine, PlaneHint, ReasonKind, Request};
//! use rolegate::load::TenantLoader;
//!
//! let mut loader = TenantLoader::new();
//! loader.add_assignments("assignments.json", br#"[{"principalId": "alice",
//!     "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/subscriptions/s1"}]"#);
//! let engine = Engine::new(loader.build().unwrap().0);
//!
//! let vm = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
//! let d = engine.check(&Request::new("alice", "Microsoft.Compute/virtualMachines/read", vm));
//! assert!(d.is_allowed());
//! // Reader has `*/read` in Actions, which never reaches the data plane.
//! let blob = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
//! let d = engine.check(&Request::new("alice", blob, vm).plane(PlaneHint::Data));
//! assert_eq!(d.reason().kind, ReasonKind::NoGrant);
//! ```
//!
//! How it is fast: principals, scopes and operations are interned up front; group membership is closed
//! transitively once; for every operation of the vocabulary (the catalog plus every exact action in a role) a
//! bit set per plane says which roles grant it, with and without a condition. A check then walks the request
//! scope's prefixes, the principal's groups and their assignments, and tests one bit per assignment.

mod cimap;
mod describe;
mod explain;
mod request;

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

pub use explain::{AssignmentStep, DenyStep, Explanation, Outcome};
pub use request::{ConditionSite, Decision, Plane, PlaneHint, Reason, ReasonKind, Request};

use crate::action::is_operation_name;
use crate::catalog::{Catalog, PlaneAnswer};
use crate::condition::{Condition, Context, Tri};
use crate::matcher::Pattern;
use crate::model::{Action, ActionKind, DenyEffect, Entries, Permission, Tenant};
use crate::scope::{
    Canonical, MAX_SEGMENTS, SCAN_BYTES, Scan, Scope, ScopeKind, canonical_segments, is_canonical_scope, scan_lowered,
};
use cimap::CiMap;

const NONE: u32 = u32::MAX;

/// A compiled permission block: per plane, the grant patterns (with their index in the original list) and the
/// exclusions. A block whose exclusions cannot be read grants nothing (SPEC §2.2), so it is `dead`.
#[derive(Debug, Default)]
struct Block {
    grants: [Vec<(u16, Pattern)>; 2],
    excludes: [Vec<Pattern>; 2],
    dead: bool,
    conditional: bool,
    /// Index into `Compiled::conditions`, or `NONE`.
    condition: u32,
}

impl Block {
    fn compile(p: &Permission, condition: u32) -> Block {
        let valid = |e: &Entries<Action>| -> Vec<(u16, Pattern)> {
            e.items()
                .iter()
                .enumerate()
                .filter_map(|(i, a)| Some((u16::try_from(i).ok()?, a.pattern()?.clone())))
                .collect()
        };
        let unreadable = |e: &Entries<Action>| {
            e.is_template() || e.items().iter().any(|a| matches!(a.kind, ActionKind::Template) || !a.is_valid())
        };
        let excl = |e: &Entries<Action>| valid(e).into_iter().map(|(_, p)| p).collect();
        Block {
            grants: [valid(&p.actions), valid(&p.data_actions)],
            excludes: [excl(&p.not_actions), excl(&p.not_data_actions)],
            dead: unreadable(&p.not_actions) || unreadable(&p.not_data_actions),
            conditional: p.condition.is_some(),
            condition,
        }
    }

    /// The index of the first grant pattern that matches `op` on `plane`, if the block grants it.
    fn grant(&self, op: &str, plane: Plane) -> Option<u16> {
        if self.dead {
            return None;
        }
        let i = plane_index(plane);
        let (grants, excludes) = (self.grants.get(i)?, self.excludes.get(i)?);
        let hit = grants.iter().find(|(_, p)| p.matches(op))?.0;
        (!excludes.iter().any(|p| p.matches(op))).then_some(hit)
    }
}

fn plane_index(p: Plane) -> usize {
    match p {
        Plane::Control => 0,
        Plane::Data => 1,
    }
}

#[derive(Debug)]
struct Deny {
    /// Index into `Tenant::deny_assignments`.
    index: u32,
    node: u32,
    children: bool,
    everyone: bool,
    principals: Box<[u32]>,
    excludes: Box<[u32]>,
    blocks: Vec<Block>,
    /// The deny assignment's own condition: index into `Compiled::conditions`, or `NONE`.
    condition: u32,
}

#[derive(Debug)]
struct Compiled {
    tenant: Tenant,
    principals: CiMap,
    /// Principal → the groups it is in, transitively (itself excluded). Built here, then moved into `info`.
    closure: Vec<Box<[u32]>>,
    /// Principal → the groups it is a direct member of (for explaining the chain).
    member_of: Vec<Box<[u32]>>,
    /// Scopes keyed by their segment-chained hash ([`cimap::path_hash`]); `root` is `/`.
    scopes: CiMap,
    root: u32,
    /// Scope node → whether an assignment or deny assignment sits at it.
    live: Vec<bool>,
    /// Bit `d` (bit 63 for 63 and deeper): some scope with `d` segments is live, or `d` is where a subscription
    /// (2) or management group (4) sits. A check looks up only these prefixes of the request scope.
    depths: u64,
    /// Scope node of a subscription or management group → index into `chains` of the management groups above
    /// it; `NONE` for other nodes. Unknown subscriptions and management groups use `default_chain`.
    node_chain: Vec<u32>,
    chains: Vec<Box<[u32]>>,
    default_chain: u32,
    /// Principal → its assignments, sorted by subscription with those outside any subscription last. Built
    /// here, then moved into `info`.
    by_principal: Vec<Box<[Held]>>,
    /// The per-principal data a check reads, side by side: one cache line per principal instead of four.
    info: Vec<PrincipalInfo>,
    assignment_role: Vec<u32>,
    assignment_conditional: Vec<bool>,
    /// Assignment → index into `conditions`, or `NONE`.
    assignment_condition: Vec<u32>,
    /// Every distinct condition text once; `None` where it failed to parse or type-check (its grant never
    /// allows, its deny always applies).
    conditions: Vec<Option<Condition>>,
    condition_ids: HashMap<String, u32>,
    blocks: Vec<Vec<Block>>,
    vocab: CiMap,
    vocab_plane: Vec<PlaneAnswer>,
    words: usize,
    /// `[(op * 2 + plane) * 2 + conditional] * words` → bits over roles.
    grants: Vec<u64>,
    /// Scope node → enforced deny assignments at it.
    denies_at: Vec<Vec<u32>>,
    denies: Vec<Deny>,
}

/// An immutable, compiled authorization snapshot. Cloning is cheap (one `Arc`); it is `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Engine {
    c: Arc<Compiled>,
}

/// A small set of ids on the stack; spills to the heap only for pathological requests.
struct Buf<const N: usize> {
    inline: [u32; N],
    len: usize,
    spill: Vec<u32>,
    /// The [`node_bit`] of every value pushed: most membership tests (an assignment at an unrelated scope) end
    /// here.
    mask: u64,
}

impl<const N: usize> Buf<N> {
    fn new() -> Self {
        Buf { inline: [0; N], len: 0, spill: Vec::new(), mask: 0 }
    }
    fn push(&mut self, v: u32) {
        self.mask |= node_bit(v);
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
            }
            None => self.spill.push(v),
        }
    }
    fn as_slices(&self) -> (&[u32], &[u32]) {
        (self.inline.get(..self.len).unwrap_or_default(), &self.spill)
    }
    #[inline(always)]
    fn contains(&self, v: u32) -> bool {
        if self.mask & node_bit(v) == 0 {
            return false;
        }
        let (a, b) = self.as_slices();
        a.contains(&v) || b.contains(&v)
    }
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let (a, b) = self.as_slices();
        a.iter().chain(b).copied()
    }
}

impl Engine {
    /// Compiles a tenant against the shipped operation catalog.
    pub fn new(tenant: Tenant) -> Engine {
        Self::compile(tenant, Catalog::builtin())
    }

    /// Compiles a tenant against another catalog (a fresh `az provider operation list`, say).
    pub fn with_catalog(tenant: Tenant, catalog: Arc<Catalog>) -> Engine {
        Self::compile(tenant, &catalog)
    }

    /// The tenant the engine was compiled from; reasons index into it.
    pub fn tenant(&self) -> &Tenant {
        &self.c.tenant
    }

    /// The condition a reason names and the text of the expression in it that decided, when there is one.
    pub fn reason_condition(&self, r: &Reason) -> Option<(&Condition, &str)> {
        let c = self.c.condition(self.c.condition_id(r))?;
        Some((c, r.expr.map_or("", |e| c.node_text(e))))
    }

    fn compile(tenant: Tenant, catalog: &Catalog) -> Engine {
        let mut c = Compiled {
            principals: CiMap::default(),
            closure: Vec::new(),
            member_of: Vec::new(),
            scopes: CiMap::default(),
            root: 0,
            live: Vec::new(),
            depths: 0b10100,
            node_chain: Vec::new(),
            chains: Vec::new(),
            default_chain: 0,
            by_principal: Vec::new(),
            info: Vec::new(),
            assignment_role: Vec::new(),
            assignment_conditional: Vec::new(),
            assignment_condition: Vec::new(),
            conditions: Vec::new(),
            condition_ids: HashMap::new(),
            blocks: Vec::new(),
            vocab: CiMap::default(),
            vocab_plane: Vec::new(),
            words: 0,
            grants: Vec::new(),
            denies_at: Vec::new(),
            denies: Vec::new(),
            tenant: Tenant::default(),
        };
        c.root = c.intern_scope("/");
        compile_groups(&mut c, &tenant);
        compile_hierarchy(&mut c, &tenant);
        compile_assignments(&mut c, &tenant);
        compile_roles(&mut c, &tenant, catalog);
        compile_denies(&mut c, &tenant);
        c.denies_at.resize_with(c.scopes.len(), Vec::new);
        c.live.resize(c.scopes.len(), false);
        c.node_chain.resize(c.scopes.len(), NONE);
        for (i, d) in c.denies.iter().enumerate() {
            if let Some(v) = c.denies_at.get_mut(d.node as usize) {
                v.push(u32::try_from(i).unwrap_or(NONE));
            }
            if let Some(l) = c.live.get_mut(d.node as usize) {
                *l = true;
            }
        }
        for held in c.by_principal.iter().flat_map(|v| v.iter()) {
            if let Some(l) = c.live.get_mut(held.node as usize) {
                *l = true;
            }
        }
        let (held, closure) = (std::mem::take(&mut c.by_principal), std::mem::take(&mut c.closure));
        let mut closure = closure.into_iter();
        c.info = held
            .into_iter()
            .map(|held| PrincipalInfo {
                mask: held
                    .iter()
                    .fold(0, |m, h| m | node_bit(if h.subscription == NONE { h.node } else { h.subscription })),
                split: u32::try_from(held.partition_point(|h| h.subscription != NONE)).unwrap_or(0),
                closure: closure.next().unwrap_or_default(),
                held,
            })
            .collect();
        for (node, _) in c.live.iter().enumerate().filter(|(_, l)| **l) {
            let name = u32::try_from(node).map_or("", |n| c.scopes.name(n));
            c.depths |= depth_bit(name.split('/').filter(|s| !s.is_empty()).count());
        }
        c.tenant = tenant;
        Engine { c: Arc::new(c) }
    }

    /// Decides a request (SPEC §3). Never allocates for well-formed requests of ordinary depth, never panics.
    pub fn check(&self, req: &Request<'_>) -> Decision {
        let c = &*self.c;
        let mut sb = ScopeBuf::new();
        let (op, valid) = c.operation(req.action);
        let Some(split) = split(req.scope, &mut sb).filter(|_| valid) else {
            return Decision::NotAllowed(Reason::of(ReasonKind::InvalidRequest));
        };
        let Some(plane) = c.plane(req.plane, op) else {
            return Decision::NotAllowed(Reason::of(ReasonKind::PlaneUnknown));
        };

        let mut principals: Buf<32> = Buf::new();
        let mut add = |id: &str| {
            if let Some(p) = c.principals.get_fast(id, &mut [0u8; 64]).0 {
                principals.push(p);
                for &g in c.info.get(p as usize).map_or(&[][..], |i| &i.closure[..]) {
                    principals.push(g);
                }
            }
        };
        add(req.principal);
        for g in req.groups {
            add(g);
        }

        let mut anc: Buf<48> = Buf::new();
        let Found { exact, subscription } = c.ancestors(&split, &mut anc);

        // Deny assignments first: any enforced one that applies blocks.
        for node in anc.iter() {
            for &d in c.denies_at.get(node as usize).map_or(&[][..], |v| &v[..]) {
                let Some(deny) = c.denies.get(d as usize) else { continue };
                if !deny.children && Some(node) != exact {
                    continue;
                }
                let member = |set: &[u32]| principals.iter().any(|p| set.binary_search(&p).is_ok());
                if !(deny.everyone || member(&deny.principals)) || member(&deny.excludes) {
                    continue;
                }
                if let Some(reason) = c.deny_applies(deny, req, plane) {
                    return Decision::Denied(reason);
                }
            }
        }

        // Then role assignments: any unconditional grant in scope allows; a conditional one is evaluated.
        let mut not_met: Option<Reason> = None;
        let wanted = anc.mask | subscription.map_or(0, node_bit);
        for p in principals.iter() {
            if c.info.get(p as usize).is_none_or(|i| i.mask & wanted == 0) {
                continue;
            }
            for &Held { node, assignment: a, .. } in c.held_in(p, subscription) {
                if !anc.contains(node) {
                    continue;
                }
                let role = c.assignment_role.get(a as usize).copied().unwrap_or(NONE);
                if role == NONE {
                    continue;
                }
                let (plain, conditional) = c.role_grants(op, req.action, plane, role);
                let assignment_conditional = c.assignment_conditional.get(a as usize).copied().unwrap_or(true);
                if plain && !assignment_conditional {
                    let (block, pattern) = c.first_grant(role, req.action, plane);
                    return Decision::Allowed(Reason {
                        kind: ReasonKind::Granted,
                        assignment: Some(a),
                        role: Some(role),
                        block,
                        pattern,
                        plane: Some(plane),
                        ..Reason::of(ReasonKind::Granted)
                    });
                }
                if plain || conditional {
                    match c.conditional_grant(a, role, req, plane) {
                        Ok(reason) => return Decision::Allowed(reason),
                        Err(reason) => {
                            not_met.get_or_insert(reason);
                        }
                    }
                }
            }
        }
        Decision::NotAllowed(not_met.unwrap_or(Reason::of(ReasonKind::NoGrant)))
    }
}

impl Compiled {
    /// The request's plane: as the caller says, else the catalog's unique answer.
    fn plane(&self, hint: PlaneHint, op: Option<u32>) -> Option<Plane> {
        match hint {
            PlaneHint::Control => Some(Plane::Control),
            PlaneHint::Data => Some(Plane::Data),
            PlaneHint::Auto => match op.and_then(|o| self.vocab_plane.get(o as usize)) {
                Some(PlaneAnswer::Control) => Some(Plane::Control),
                Some(PlaneAnswer::Data) => Some(Plane::Data),
                _ => None,
            },
        }
    }

    /// The operation's id in the vocabulary, and whether `action` is a valid operation name
    /// ([`is_operation_name`], checked word by word while the lookup lower-cases it).
    fn operation(&self, action: &str) -> (Option<u32>, bool) {
        let mut buf = [0u8; 128];
        let (op, lowered) = self.vocab.get_fast(action, &mut buf);
        // Only text with a byte outside printable ASCII, or with `*`, needs the exact (Unicode) rule; the loop
        // is simple enough for the compiler to vectorise.
        let plain = lowered.is_some_and(|l| l.iter().fold(true, |ok, &b| ok & (b.is_ascii_graphic() & (b != b'*'))));
        (op, if plain { !action.is_empty() } else { is_operation_name(action) })
    }

    /// Pushes the live scope nodes that are ancestors of (or equal to) the canonical scope `split`, and the
    /// management groups above it; returns the node of the scope itself when it has one.
    fn ancestors<const N: usize>(&self, split: &Split<'_>, out: &mut Buf<N>) -> Found {
        let push = |out: &mut Buf<N>, node: u32| {
            if self.live.get(node as usize).copied().unwrap_or(false) {
                out.push(node);
            }
        };
        push(out, self.root);
        if split.ends.is_empty() {
            return Found { exact: Some(self.root), subscription: None };
        }
        let scope = split.text;
        // Where the subscription or management group that owns the scope sits, if any.
        let starts = |p: &str| match split.lowered {
            Some(l) => l.starts_with(p.as_bytes()),
            None => scope.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p)),
        };
        let owner_depth = if starts("/subscriptions/") {
            2
        } else if starts("/providers/microsoft.management/managementgroups/") {
            4
        } else {
            0
        };
        let (mut exact, mut owner) = (None, None);
        // Lower-cased, the scope hashes without case folding and its prefixes compare as plain bytes.
        let mut fast = split.padded.map(cimap::PrefixHasher::lowered);
        let mut slow = cimap::PrefixHasher::new(scope);
        for (i, &end) in split.ends.iter().enumerate() {
            let (depth, end) = (i + 1, end as usize);
            if self.depths & depth_bit(depth) == 0 {
                continue;
            }
            let node = match (split.lowered, fast.as_mut()) {
                (Some(l), Some(f)) => l.get(..end).and_then(|prefix| self.scopes.get_lowered(f.hash_to(end), prefix)),
                _ => scope.get(..end).and_then(|prefix| self.scopes.get_hashed(slow.hash_to(end), prefix)),
            };
            if let Some(node) = node {
                push(out, node);
                if depth == split.ends.len() {
                    exact = Some(node);
                }
                if depth == owner_depth {
                    owner = Some(node);
                }
            }
        }
        if owner_depth > 0 {
            let chain = owner
                .and_then(|o| self.node_chain.get(o as usize).copied())
                .filter(|&c| c != NONE)
                .unwrap_or(self.default_chain);
            for &node in self.chains.get(chain as usize).map_or(&[][..], |c| &c[..]) {
                push(out, node);
            }
        }
        Found { exact, subscription: owner.filter(|_| owner_depth == 2) }
    }

    /// The assignments of `p` that can be in scope of a request in `subscription`: those in it, and those
    /// outside any subscription.
    fn held_in(&self, p: u32, subscription: Option<u32>) -> impl Iterator<Item = &Held> {
        let (list, split) = self.info.get(p as usize).map_or((&[][..], 0), |i| (&i.held[..], i.split as usize));
        let (inside, outside) = list.split_at_checked(split).unwrap_or((&[], list));
        let inside = match subscription {
            Some(s) => {
                let from = inside.partition_point(|h| h.subscription < s);
                let rest = inside.get(from..).unwrap_or_default();
                rest.get(..rest.partition_point(|h| h.subscription == s)).unwrap_or_default()
            }
            None => &[],
        };
        inside.iter().chain(outside)
    }

    /// The node of a scope interned at compile time, if any.
    fn scope_node(&self, scope: &str) -> Option<u32> {
        self.scopes.get_hashed(cimap::path_hash(scope), scope)
    }

    /// Interns a canonical scope.
    fn intern_scope(&mut self, scope: &str) -> u32 {
        self.scopes.intern_hashed(cimap::path_hash(scope), scope)
    }

    /// Whether `role` grants the operation on `plane`: `(unconditionally, only with a condition)`.
    fn role_grants(&self, op: Option<u32>, action: &str, plane: Plane, role: u32) -> (bool, bool) {
        match op {
            Some(op) => {
                let (word, bit) = (role as usize / 64, 1u64 << (role % 64));
                let base = (op as usize * 2 + plane_index(plane)) * 2;
                let get = |k: usize| self.grants.get((base + k) * self.words + word).is_some_and(|w| w & bit != 0);
                (get(0), get(1))
            }
            // Outside the vocabulary: match the role's blocks directly.
            None => {
                let mut out = (false, false);
                for b in self.blocks.get(role as usize).map_or(&[][..], |v| &v[..]) {
                    if b.grant(action, plane).is_some() {
                        if b.conditional {
                            out.1 = true;
                        } else {
                            out.0 = true;
                        }
                    }
                }
                out
            }
        }
    }

    /// A condition's value for a request and the expression that decided it; `NONE` holds. A condition that could
    /// not be read is Unknown: it never lets a grant through and never stops a deny.
    fn evaluate(&self, condition: u32, cx: &Context<'_>) -> (Tri, Option<u16>) {
        if condition == NONE {
            return (Tri::True, None);
        }
        match self.conditions.get(condition as usize) {
            Some(Some(c)) => {
                let e = c.evaluate(cx);
                (e.value, Some(e.decided_by))
            }
            _ => (Tri::Unknown, None),
        }
    }

    /// Evaluates a grant that carries a condition on a block or on the assignment, off the fast path: `Ok` with
    /// the granting reason, or `Err` with the first block's unmet condition (SPEC §3.1: block condition AND
    /// assignment condition, Kleene, Unknown does not allow).
    fn conditional_grant(&self, a: u32, role: u32, req: &Request<'_>, plane: Plane) -> Result<Reason, Reason> {
        let cx = req.condition_context();
        let assignment = self.assignment_condition.get(a as usize).copied().unwrap_or(NONE);
        let mut on_assignment: Option<(Tri, Option<u16>)> = None;
        let mut not_met = None;
        for (bi, b) in self.blocks.get(role as usize).map_or(&[][..], |v| &v[..]).iter().enumerate() {
            let Some(pattern) = b.grant(req.action, plane) else { continue };
            let base = Reason {
                assignment: Some(a),
                role: Some(role),
                block: u16::try_from(bi).ok(),
                pattern: Some(pattern),
                plane: Some(plane),
                ..Reason::of(ReasonKind::Granted)
            };
            let block = self.evaluate(b.condition, &cx);
            let whole = *on_assignment.get_or_insert_with(|| self.evaluate(assignment, &cx));
            let (value, site, expr) = match (block, whole) {
                ((Tri::False, e), _) => (Tri::False, ConditionSite::Block, e),
                (_, (Tri::False, e)) => (Tri::False, ConditionSite::Assignment, e),
                ((Tri::Unknown, e), _) => (Tri::Unknown, ConditionSite::Block, e),
                (_, (Tri::Unknown, e)) => (Tri::Unknown, ConditionSite::Assignment, e),
                ((Tri::True, e), _) if b.condition != NONE => (Tri::True, ConditionSite::Block, e),
                (_, (Tri::True, e)) => (Tri::True, ConditionSite::Assignment, e),
            };
            if value == Tri::True {
                return Ok(Reason { condition: Some(site), expr, ..base });
            }
            not_met.get_or_insert(Reason { kind: ReasonKind::ConditionNotMet, condition: Some(site), expr, ..base });
        }
        Err(not_met.unwrap_or(Reason::of(ReasonKind::ConditionNotMet)))
    }

    /// Whether an enforced deny assignment (already known to target the request) blocks it: a block grants the
    /// action and neither its condition nor the deny assignment's is definitely false (SPEC §3, rule 1).
    fn deny_applies(&self, deny: &Deny, req: &Request<'_>, plane: Plane) -> Option<Reason> {
        for (b, blk) in deny.blocks.iter().enumerate() {
            let Some(pattern) = blk.grant(req.action, plane) else { continue };
            let mut reason = Reason {
                deny: Some(deny.index),
                block: u16::try_from(b).ok(),
                pattern: Some(pattern),
                plane: Some(plane),
                ..Reason::of(ReasonKind::DenyAssignment)
            };
            if blk.condition != NONE || deny.condition != NONE {
                let cx = req.condition_context();
                let (block, block_expr) = self.evaluate(blk.condition, &cx);
                let (whole, whole_expr) = self.evaluate(deny.condition, &cx);
                if block == Tri::False || whole == Tri::False {
                    continue;
                }
                (reason.condition, reason.expr) = if blk.condition != NONE {
                    (Some(ConditionSite::Block), block_expr)
                } else {
                    (Some(ConditionSite::Deny), whole_expr)
                };
            }
            return Some(reason);
        }
        None
    }

    /// Interns a condition text: parsed and type-checked once however many blocks and assignments carry it.
    fn intern_condition(&mut self, text: Option<&str>) -> u32 {
        let Some(text) = text else { return NONE };
        if let Some(&id) = self.condition_ids.get(text) {
            return id;
        }
        let id = u32::try_from(self.conditions.len()).unwrap_or(NONE);
        self.conditions.push(Condition::parse(text).ok());
        self.condition_ids.insert(text.to_owned(), id);
        id
    }

    /// The compiled condition at `id`, when it parsed.
    fn condition(&self, id: u32) -> Option<&Condition> {
        self.conditions.get(id as usize).and_then(Option::as_ref)
    }

    /// The condition a reason names (`NONE` if it names none).
    fn condition_id(&self, reason: &Reason) -> u32 {
        let block = reason.block.map_or(0, usize::from);
        let deny = reason.deny.and_then(|i| self.denies.iter().find(|d| d.index == i));
        match (reason.condition, deny) {
            (Some(ConditionSite::Block), Some(d)) => d.blocks.get(block).map_or(NONE, |b| b.condition),
            (Some(ConditionSite::Block), None) => reason
                .role
                .and_then(|r| self.blocks.get(r as usize))
                .and_then(|b| b.get(block))
                .map_or(NONE, |b| b.condition),
            (Some(ConditionSite::Assignment), _) => {
                reason.assignment.and_then(|a| self.assignment_condition.get(a as usize).copied()).unwrap_or(NONE)
            }
            (Some(ConditionSite::Deny), Some(d)) => d.condition,
            _ => NONE,
        }
    }

    /// The first unconditional block of `role` granting `action`, and the pattern that matched.
    fn first_grant(&self, role: u32, action: &str, plane: Plane) -> (Option<u16>, Option<u16>) {
        let blocks = self.blocks.get(role as usize).map_or(&[][..], |v| &v[..]);
        blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.conditional)
            .find_map(|(i, b)| Some((u16::try_from(i).ok(), Some(b.grant(action, plane)?))))
            .unwrap_or((None, None))
    }
}

fn compile_groups(c: &mut Compiled, tenant: &Tenant) {
    let mut graph: DiGraph<u32, ()> = DiGraph::new();
    let mut nodes: HashMap<u32, NodeIndex> = HashMap::new();
    let mut node = |c: &mut Compiled, graph: &mut DiGraph<u32, ()>, id: &str| {
        let p = c.principals.intern(id);
        *nodes.entry(p).or_insert_with(|| graph.add_node(p))
    };
    for (group, members) in &tenant.groups.groups {
        let g = node(c, &mut graph, group.as_str());
        for m in members {
            let m = node(c, &mut graph, m.as_str());
            // Edges point from a member to the group it belongs to.
            graph.add_edge(m, g, ());
        }
    }
    // Every other principal that can decide anything.
    for a in &tenant.assignments {
        c.principals.intern(a.principal_id.as_str());
    }
    for d in &tenant.deny_assignments {
        for p in d.principals.iter().chain(&d.exclude_principals) {
            c.principals.intern(p.id.as_str());
        }
    }
    c.closure = vec![Box::default(); c.principals.len()];
    c.member_of = graph
        .node_indices()
        .map(|n| {
            let mut v: Vec<u32> = graph.neighbors(n).filter_map(|g| graph.node_weight(g).copied()).collect();
            v.sort_unstable();
            v.dedup();
            (graph.node_weight(n).copied().unwrap_or(NONE), v.into_boxed_slice())
        })
        .fold(vec![Box::default(); c.principals.len()], |mut acc: Vec<Box<[u32]>>, (p, v)| {
            if let Some(slot) = acc.get_mut(p as usize) {
                *slot = v;
            }
            acc
        });
    // Breadth-first from each member; a stamp per search tolerates cycles without clearing a visited set.
    let mut stamp = vec![usize::MAX; graph.node_count()];
    let mut queue = Vec::new();
    for start in graph.node_indices() {
        let mut reached = Vec::new();
        queue.clear();
        queue.push(start);
        if let Some(s) = stamp.get_mut(start.index()) {
            *s = start.index();
        }
        while let Some(n) = queue.pop() {
            for next in graph.neighbors(n) {
                let seen = stamp.get(next.index()).is_some_and(|&s| s == start.index());
                if !seen {
                    if let Some(s) = stamp.get_mut(next.index()) {
                        *s = start.index();
                    }
                    queue.push(next);
                    if let Some(&p) = graph.node_weight(next) {
                        reached.push(p);
                    }
                }
            }
        }
        let own = graph.node_weight(start).copied().unwrap_or(NONE);
        reached.retain(|&p| p != own);
        reached.sort_unstable();
        if let Some(slot) = c.closure.get_mut(own as usize) {
            *slot = reached.into_boxed_slice();
        }
    }
}

/// A request scope ready for lookups: where its segments end, and its ASCII-lower-cased text when it fits
/// [`SCAN_BYTES`].
struct Split<'a> {
    text: &'a str,
    lowered: Option<&'a [u8]>,
    /// `lowered` and the rest of its buffer, for [`cimap::PrefixHasher`] to read whole words.
    padded: Option<&'a [u8]>,
    ends: &'a [u32],
}

/// The stack space [`split`] works in. Only scopes deeper than [`MAX_SEGMENTS`] (none are real) use `deep`,
/// which allocates.
struct ScopeBuf {
    lowered: [u8; SCAN_BYTES],
    ends: [u32; MAX_SEGMENTS],
    deep: Vec<u32>,
}

impl ScopeBuf {
    fn new() -> Self {
        ScopeBuf { lowered: [0; SCAN_BYTES], ends: [0; MAX_SEGMENTS], deep: Vec::new() }
    }
}

/// Splits a canonical scope for lookups, or `None` when the scope is not canonical. Printable-ASCII scopes of
/// ordinary length take the one-pass [`scan_lowered`]; anything else the general [`canonical_segments`].
fn split<'a>(scope: &'a str, b: &'a mut ScopeBuf) -> Option<Split<'a>> {
    let n = match scan_lowered(scope, &mut b.lowered, &mut b.ends) {
        Scan::Segments(n) => n,
        Scan::No => return None,
        Scan::Other => {
            let mut segs = [""; MAX_SEGMENTS];
            let (n, deep) = match canonical_segments(scope, &mut segs) {
                Canonical::Segments(n) => (n, false),
                Canonical::TooDeep if is_canonical_scope(scope) => (0, true),
                _ => return None,
            };
            let fits = cimap::lower_into(scope, &mut b.lowered).is_some();
            let lens = segs.get(..n).unwrap_or_default().iter().map(|s| s.len());
            let mut end = 0;
            let mut ends = |len: usize| {
                end += 1 + len;
                u32::try_from(end).unwrap_or(u32::MAX)
            };
            if deep {
                b.deep.extend(scope.split('/').filter(|s| !s.is_empty()).map(|s| ends(s.len())));
            } else {
                for (slot, len) in b.ends.iter_mut().zip(lens) {
                    *slot = ends(len);
                }
            }
            let b = &*b;
            let ends = if deep { &b.deep[..] } else { b.ends.get(..n).unwrap_or_default() };
            let (lowered, padded) =
                (b.lowered.get(..scope.len()).filter(|_| fits), Some(&b.lowered[..]).filter(|_| fits));
            return Some(Split { text: scope, lowered, padded, ends });
        }
    };
    let b = &*b;
    let ends = b.ends.get(..n).unwrap_or_default();
    Some(Split { text: scope, lowered: b.lowered.get(..scope.len()), padded: Some(&b.lowered[..]), ends })
}

/// A scope node's bit in the 64-bit filters of [`Buf`] and [`PrincipalInfo::mask`].
#[inline(always)]
fn node_bit(node: u32) -> u64 {
    1 << (node % 64)
}

/// An assignment a principal holds, with its scope node and that scope's subscription node (`NONE` outside
/// any subscription).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    subscription: u32,
    node: u32,
    assignment: u32,
}

/// What a check reads of a principal.
#[derive(Debug, Default)]
struct PrincipalInfo {
    /// The [`node_bit`]s of its assignments' subscriptions (of their scopes, outside any subscription): a
    /// check skips a principal with nothing in the request's subscription or above it.
    mask: u64,
    /// Where its assignments outside any subscription start in `held`.
    split: u32,
    /// See [`Compiled::by_principal`].
    held: Box<[Held]>,
    /// See [`Compiled::closure`].
    closure: Box<[u32]>,
}

/// What [`Compiled::ancestors`] found besides the ancestry itself.
struct Found {
    /// The node of the request scope itself.
    exact: Option<u32>,
    /// The node of the request scope's subscription.
    subscription: Option<u32>,
}

/// The bit of [`Compiled::depths`] for scopes with `depth` segments.
fn depth_bit(depth: usize) -> u64 {
    1 << depth.min(63)
}

fn mg_scope(id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{id}")
}

fn compile_hierarchy(c: &mut Compiled, tenant: &Tenant) {
    let h = &tenant.hierarchy;
    let parent: HashMap<String, Option<String>> =
        h.management_groups.iter().map(|(m, p)| (m.key(), p.as_ref().map(|p| p.key()))).collect();
    let root = h.tenant_id.as_ref().map(|t| t.key());
    // The chain of management-group scopes from `start` upwards, ending at the tenant root when it is known.
    let chain_from = |c: &mut Compiled, start: Option<String>| -> u32 {
        let mut nodes: Vec<u32> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let mut cur = start;
        while let Some(m) = cur {
            if seen.contains(&m) {
                break;
            }
            nodes.push(c.intern_scope(&mg_scope(&m)));
            cur = parent.get(&m).cloned().flatten();
            seen.push(m);
        }
        if let Some(r) = root.as_ref().filter(|r| !seen.contains(r)) {
            nodes.push(c.intern_scope(&mg_scope(r)));
        }
        c.chains.push(nodes.into_boxed_slice());
        u32::try_from(c.chains.len() - 1).unwrap_or(NONE)
    };
    c.default_chain = chain_from(c, None);
    let set_chain = |c: &mut Compiled, node: u32, chain: u32| {
        if c.node_chain.len() <= node as usize {
            c.node_chain.resize(node as usize + 1, NONE);
        }
        if let Some(slot) = c.node_chain.get_mut(node as usize) {
            *slot = chain;
        }
    };
    for (sub, mg) in &h.subscriptions {
        let chain = chain_from(c, Some(mg.key()));
        let node = c.intern_scope(&format!("/subscriptions/{}", sub.as_str()));
        set_chain(c, node, chain);
    }
    for (mg, p) in &h.management_groups {
        let chain = chain_from(c, p.as_ref().map(|p| p.key()));
        let node = c.intern_scope(&mg_scope(mg.as_str()));
        set_chain(c, node, chain);
    }
}

fn scope_node(c: &mut Compiled, scope: &Scope) -> u32 {
    if scope.kind() == ScopeKind::Root { c.root } else { c.intern_scope(scope.as_str()) }
}

fn compile_assignments(c: &mut Compiled, tenant: &Tenant) {
    let role_index: HashMap<String, u32> = tenant
        .roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r.id.as_ref()?.key(), u32::try_from(i).ok()?)))
        .collect();
    let mut lists: Vec<Vec<Held>> = vec![Vec::new(); c.principals.len()];
    for (i, a) in tenant.assignments.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(NONE);
        c.assignment_role.push(role_index.get(&a.role_id.key()).copied().unwrap_or(NONE));
        c.assignment_conditional.push(a.condition.is_some());
        let condition = c.intern_condition(a.condition.as_ref().map(|t| t.value.as_str()));
        c.assignment_condition.push(condition);
        // A placeholder, template or malformed scope never grants.
        let Some(scope) = a.scope.scope() else { continue };
        let node = scope_node(c, scope);
        let subscription = scope.subscription().map_or(NONE, |s| c.intern_scope(&format!("/subscriptions/{s}")));
        let p = c.principals.intern(a.principal_id.as_str());
        lists.resize_with(c.principals.len(), Vec::new);
        if let Some(l) = lists.get_mut(p as usize) {
            l.push(Held { subscription, node, assignment: i });
        }
    }
    c.by_principal = lists
        .into_iter()
        .map(|mut l| {
            l.sort_unstable();
            l.into_boxed_slice()
        })
        .collect();
}

fn compile_roles(c: &mut Compiled, tenant: &Tenant, catalog: &Catalog) {
    let mut blocks = Vec::with_capacity(tenant.roles.len());
    for r in &tenant.roles {
        let mut compiled = Vec::with_capacity(r.permissions.len());
        for p in &r.permissions {
            let condition = c.intern_condition(p.condition.as_ref().map(|t| t.value.as_str()));
            compiled.push(Block::compile(p, condition));
        }
        blocks.push(compiled);
    }
    c.blocks = blocks;
    // The vocabulary: catalog operations and every exact action a role names, sorted so that a pattern's
    // literal prefix selects a contiguous range.
    let mut names: Vec<(String, &str)> =
        catalog.operations().iter().map(|o| (o.name.to_ascii_lowercase(), o.name.as_str())).collect();
    for r in &tenant.roles {
        for p in &r.permissions {
            for e in [&p.actions, &p.not_actions, &p.data_actions, &p.not_data_actions] {
                for a in e.items() {
                    if let Some(pat) = a.pattern().filter(|p| p.is_exact()) {
                        names.push((pat.as_str().to_ascii_lowercase(), pat.as_str()));
                    }
                }
            }
        }
    }
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    names.dedup_by(|a, b| a.0 == b.0);
    for (_, name) in &names {
        c.vocab.intern(name);
        c.vocab_plane.push(catalog.plane(name));
    }
    let lower: Vec<&str> = names.iter().map(|(l, _)| l.as_str()).collect();
    c.words = tenant.roles.len().div_ceil(64).max(1);
    c.grants = vec![0; names.len() * 4 * c.words];

    let mut cache: HashMap<String, Vec<u32>> = HashMap::new();
    let mut ops_of = |p: &Pattern| -> Vec<u32> {
        cache
            .entry(p.as_str().to_ascii_lowercase())
            .or_insert_with(|| {
                let prefix = p.literal_prefix().to_ascii_lowercase();
                let from = lower.partition_point(|n| *n < prefix.as_str());
                let to = from + lower.get(from..).unwrap_or_default().partition_point(|n| n.starts_with(&prefix));
                (from..to)
                    .filter(|&i| lower.get(i).is_some_and(|n| p.matches(n)))
                    .filter_map(|i| u32::try_from(i).ok())
                    .collect()
            })
            .clone()
    };
    for (role, blocks) in c.blocks.iter().enumerate() {
        let (word, bit) = (role / 64, 1u64 << (role % 64));
        for b in blocks.iter().filter(|b| !b.dead) {
            for plane in [Plane::Control, Plane::Data] {
                let pi = plane_index(plane);
                let grants = b.grants.get(pi).map_or(&[][..], |v| &v[..]);
                let excludes = b.excludes.get(pi).map_or(&[][..], |v| &v[..]);
                for (_, pat) in grants {
                    for op in ops_of(pat) {
                        let name = lower.get(op as usize).copied().unwrap_or_default();
                        if excludes.iter().any(|x| x.matches(name)) {
                            continue;
                        }
                        let at = ((op as usize * 2 + pi) * 2 + usize::from(b.conditional)) * c.words + word;
                        if let Some(w) = c.grants.get_mut(at) {
                            *w |= bit;
                        }
                    }
                }
            }
        }
    }
}

fn compile_denies(c: &mut Compiled, tenant: &Tenant) {
    for (i, d) in tenant.deny_assignments.iter().enumerate() {
        // A deny whose scope could not be read fails the load; nothing unreadable reaches here.
        let Some(scope) = d.scope.scope() else { continue };
        let node = scope_node(c, scope);
        if c.live.len() <= node as usize {
            c.live.resize(node as usize + 1, false);
        }
        if let Some(l) = c.live.get_mut(node as usize) {
            // Audit-only denies never block, but explain reports them when they are in scope.
            *l = true;
        }
        if d.effect == DenyEffect::Audit {
            continue;
        }
        let ids = |list: &[crate::model::Principal], c: &mut Compiled| -> Box<[u32]> {
            let mut v: Vec<u32> =
                list.iter().filter(|p| !p.is_everyone()).map(|p| c.principals.intern(p.id.as_str())).collect();
            v.sort_unstable();
            v.dedup();
            v.into_boxed_slice()
        };
        let principals = ids(&d.principals, c);
        let excludes = ids(&d.exclude_principals, c);
        let blocks = d
            .permissions
            .iter()
            .map(|p| {
                let condition = c.intern_condition(p.condition.as_ref().map(|t| t.value.as_str()));
                Block::compile(p, condition)
            })
            .collect();
        let condition = c.intern_condition(d.condition.as_ref().map(|t| t.value.as_str()));
        c.denies.push(Deny {
            index: u32::try_from(i).unwrap_or(NONE),
            node,
            children: !d.do_not_apply_to_child_scopes,
            everyone: d.principals.iter().any(crate::model::Principal::is_everyone),
            principals,
            excludes,
            blocks,
            condition,
        });
    }
    c.closure.resize_with(c.principals.len(), Box::default);
    c.member_of.resize_with(c.principals.len(), Box::default);
    c.by_principal.resize_with(c.principals.len(), Box::default);
}
