//! The engine: an immutable snapshot compiled from a [`Tenant`] that answers "may principal X do action Y at
//! scope Z" (semantics §3) without allocating, with a compact reason for every decision.
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
//! bit set per plane says which roles grant it, with and without a condition. A check then looks up the request
//! scope's subscription (or, outside one, its prefixes), walks the principal's groups and their assignments there,
//! and tests one bit per assignment in scope.
//!
//! A check reads a dozen cache lines spread over the tables, which for a large tenant are over a hundred
//! megabytes. On a virtual machine the TLB misses that follow are a visible part of its cost, so the large tables
//! live in mappings of their own advised for transparent huge pages (Linux, THP in the `madvise` or `always`
//! mode; elsewhere they work the same in small pages). The README gives measured numbers.

mod cimap;
mod describe;
mod explain;
mod fixed;
mod grants;
mod held;
mod idmap;
mod limits;
mod pages;
mod request;

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

pub use explain::{AssignmentStep, DenyStep, Explanation, IgnoredGroup, Outcome};
pub use limits::{MAX_BLOCKS, MAX_IDS, MAX_LIST, limits};
pub use request::{ConditionSite, Decision, Plane, PlaneHint, Reason, ReasonKind, Request};

use crate::action::is_operation_name;
use crate::catalog::{Catalog, PlaneAnswer};
use crate::condition::{Condition, Context, Tri};
use crate::diag::{Diagnostic, codes};
use crate::load::LoadError;
use crate::matcher::Pattern;
use crate::model::{Action, ActionKind, DenyEffect, Entries, Permission, PrincipalType, Tenant};
use crate::scope::{
    Canonical, MAX_SEGMENTS, SCAN_BYTES, Scan, Scope, ScopeKind, SubScan, canonical_segments, is_canonical_scope,
    scan_lowered, scan_subscription,
};
use cimap::CiMap;
use grants::GrantBits;
use held::HeldMap;
use idmap::{IdMap, Probe};
use pages::Pages;

const NONE: u32 = u32::MAX;
/// Scope-node bits kept beside the node in its slot ([`CiMap::set_aux`]): an assignment or deny assignment sits at
/// the node, and an enforced deny assignment does.
const LIVE: u16 = 1;
const DENY: u16 = 2;
/// A subscription node's bit: an enforced deny assignment sits below it ([`Compiled::denies_below`]).
const DENY_BELOW: u16 = 4;
/// The rest of a subscription or management-group node's bits say which of `chains` is above it: 1 the default
/// chain, `k + 2` chain `k`; 0 sends the walk to `node_chain` (chains past what fits, and other nodes).
const CHAIN_SHIFT: u16 = 3;

/// A compiled permission block: per plane, the grant patterns (with their index in the original list) and the
/// exclusions, which are only matched and so have no index to fit. A block whose exclusions cannot be read grants
/// nothing (semantics §2.2), so it is `dead`.
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
        // Total: `limits` refuses a list of more than `MAX_LIST` (65,536) entries, so the zip sees every one; a
        // malformed entry is no pattern and matches nothing.
        let valid = |e: &Entries<Action>| -> Vec<(u16, Pattern)> {
            (0..=u16::MAX).zip(e.items()).filter_map(|(i, a)| Some((i, a.pattern()?.clone()))).collect()
        };
        let unreadable = |e: &Entries<Action>| {
            e.is_template() || e.items().iter().any(|a| matches!(a.kind, ActionKind::Template) || !a.is_valid())
        };
        // Every entry, at any index; one that is no pattern makes the block `dead` instead.
        let excl = |e: &Entries<Action>| e.items().iter().filter_map(|a| a.pattern().cloned()).collect();
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

/// An entry of [`Compiled::grant_list`].
#[derive(Clone, Copy, Debug)]
struct FirstGrant {
    block: u16,
    pattern: u16,
    /// The exact pattern's operation id, or [`MATCH_BLOCK`].
    op: u32,
}

/// [`FirstGrant::op`] of a block that has to be matched.
const MATCH_BLOCK: u32 = NONE;

/// [`CiMap`] aux bits of an operation whose catalog plane is control only, or data only; `0` (no unique answer)
/// otherwise.
const PLANE_CONTROL: u16 = 1;
const PLANE_DATA: u16 = 2;
/// Set on an operation of the vocabulary whose name [`is_operation_name`] accepts.
const VALID_NAME: u16 = 4;

fn plane_aux(answer: PlaneAnswer) -> u16 {
    match answer {
        PlaneAnswer::Control => PLANE_CONTROL,
        PlaneAnswer::Data => PLANE_DATA,
        PlaneAnswer::Both | PlaneAnswer::Unknown => 0,
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
    /// The node of the scope's subscription, or `NONE` outside any.
    subscription: u32,
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
    /// The principals whose ids are GUIDs ([`idmap`]), each with its [`PrincipalInfo`] in the slot that finds
    /// it, for the check path; a request's id that is a GUID is looked up only here.
    principal_ids: IdMap<PrincipalInfo>,
    /// Principal → the groups it is in, transitively (itself excluded). Built here, then moved into `info`.
    closure: Vec<Box<[u32]>>,
    /// Principal → the part of its `closure` that holds grants for it: the groups reached without passing through
    /// one of `persons`. The others' members are kept with no filter bits, so that only deny assignments see them.
    grant_closure: Vec<Box<[u32]>>,
    /// Principal → the groups it is a direct member of (for explaining the chain).
    member_of: Vec<Box<[u32]>>,
    /// Scopes keyed by their segment-chained hash ([`cimap::path_hash`]); `root` is `/`.
    scopes: CiMap,
    /// The subscription nodes whose ids are GUIDs ([`idmap`]), by id, with their `scopes` aux bits: a check of a
    /// scope in such a subscription looks it up only here.
    subscription_ids: IdMap<SubscriptionNode>,
    root: u32,
    /// Scope node → whether an assignment or deny assignment sits at it.
    live: Vec<bool>,
    /// Bit `d` (bit 63 for 63 and deeper): some scope with `d` segments is live, or `d` is where a subscription
    /// (2) or management group (4) sits. A check looks up only these prefixes of the request scope.
    depths: u64,
    /// Scope node of a subscription or management group → index into `chains` of the management groups above
    /// it; `NONE` for other nodes. Unknown subscriptions and management groups use `default_chain`.
    node_chain: Vec<u32>,
    /// The live management-group nodes above a subscription or management group, with their [`LIVE`]/[`DENY`]
    /// bits (the chains as the hierarchy gives them while compiling).
    chains: Vec<Box<[(u32, u16)]>>,
    /// The [`LIVE`]/[`DENY`] bits of `root`; every other node's are kept in its slot of `scopes`.
    root_aux: u16,
    default_chain: u32,
    /// Principal → its assignments, sorted by subscription with those outside any subscription last. Built
    /// here, then moved into `held` and `info`.
    by_principal: Vec<Box<[Held]>>,
    /// The assignments by (principal, subscription), in the order of `by_principal`.
    held: HeldMap,
    /// The per-principal data a check reads, for principals whose ids are not GUIDs (`principal_ids` holds a
    /// copy for the others).
    info: Vec<PrincipalInfo>,
    /// The members of the principals whose [`PrincipalInfo`] they do not fit.
    members: Pages<Member>,
    /// Principal → its assignments in the order a check meets them (see `by_principal`), for explaining.
    placed: Vec<Box<[Placed]>>,
    assignment_role: Vec<u32>,
    assignment_conditional: Vec<bool>,
    /// Assignment → index into `conditions`, or `NONE`.
    assignment_condition: Vec<u32>,
    /// Every distinct condition text once; `None` where it failed to parse or type-check (its grant never
    /// allows, its deny always applies).
    conditions: Vec<Option<Condition>>,
    condition_ids: HashMap<String, u32>,
    blocks: Vec<Vec<Block>>,
    /// Role → per plane, `block << 16 | pattern` when exactly one block of the role has grant patterns on the
    /// plane, that block is readable and unconditional, and it has exactly one: then whatever the role grants
    /// there, that pattern grants (see [`Compiled::first_grant`]); `NONE` otherwise.
    sole_grant: Vec<[u32; 2]>,
    /// Role → per plane, its range of `grant_list`: what [`Compiled::first_grant`] walks for the other roles.
    grant_ranges: Vec<[(u32, u32); 2]>,
    /// Per role and plane, its unconditional readable blocks in order: a block of exact patterns and no
    /// exclusions as one entry per pattern with the operation's vocabulary id, so that finding the pattern
    /// compares ids in one cache line instead of matching text held elsewhere; any other block as one entry that
    /// says to match it ([`MATCH_BLOCK`]).
    grant_list: Vec<FirstGrant>,
    /// The operations roles name exactly; each key's aux bits hold its catalog plane ([`plane_aux`]), so that a
    /// check learns the plane from the slot it already read instead of a second, dependent load.
    vocab: CiMap,
    words: usize,
    /// Row `op * 2 + plane` → the roles that grant it, without and with a condition.
    grants: GrantBits,
    /// Scope node → enforced deny assignments at it.
    denies_at: Vec<Vec<u32>>,
    /// Subscription node → the nodes below it where enforced deny assignments sit, sorted by subscription: a
    /// check of a scope in a subscription looks up no other prefix, so it tests these as text.
    denies_below: Vec<(u32, Box<[u32]>)>,
    denies: Vec<Deny>,
    /// Whether the members of the principals outgrew the `u32` offsets of [`PrincipalInfo::at`].
    pool_full: bool,
    /// The principals the tenant's role assignments type as a user or service principal (`principalType`), with
    /// that type: a request that names one as a group gets none of its grants ([`PrincipalInfo::person`]).
    persons: HashMap<u32, PrincipalType>,
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
    /// Empties the set for another check, keeping its space.
    fn cleared(&mut self) -> &mut Self {
        self.len = 0;
        self.mask = 0;
        self.spill.clear();
        self
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

/// A small list on the stack; spills to the heap only for pathological requests.
struct Small<T, const N: usize> {
    inline: [T; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy + Default, const N: usize> Small<T, N> {
    fn new() -> Self {
        Small { inline: [T::default(); N], len: 0, spill: Vec::new() }
    }
    /// Empties the list for another check, keeping its space.
    fn cleared(&mut self) -> &mut Self {
        self.len = 0;
        self.spill.clear();
        self
    }
    /// Pushes `v` if `keep`; while there is room inline, with no branch on `keep`.
    #[inline(always)]
    fn push_if(&mut self, keep: bool, v: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = v;
                self.len += usize::from(keep);
            }
            None if keep => self.spill.push(v),
            None => {}
        }
    }
    fn iter(&self) -> impl Iterator<Item = &T> {
        self.inline.get(..self.len).unwrap_or_default().iter().chain(&self.spill)
    }
}

impl Engine {
    /// Compiles a tenant against the shipped operation catalog, or refuses it with a fatal
    /// [`crate::diag::codes::ENGINE_LIMIT`] diagnostic per entry the snapshot cannot represent ([`limits`]).
    pub fn try_new(tenant: Tenant) -> Result<Engine, LoadError> {
        Self::compile(tenant, Catalog::builtin())
    }

    /// [`Engine::try_new`] against another catalog (a fresh `az provider operation list`, say).
    pub fn try_with_catalog(tenant: Tenant, catalog: Arc<Catalog>) -> Result<Engine, LoadError> {
        Self::compile(tenant, &catalog)
    }

    /// Compiles a tenant against the shipped operation catalog. A tenant the snapshot cannot represent, which
    /// [`crate::load::TenantLoader::build`] already refuses, gives an engine that allows nothing (fail closed);
    /// [`Engine::try_new`] says why.
    pub fn new(tenant: Tenant) -> Engine {
        Self::try_new(tenant).unwrap_or_else(|_| Engine::refusing())
    }

    /// [`Engine::new`] against another catalog.
    pub fn with_catalog(tenant: Tenant, catalog: Arc<Catalog>) -> Engine {
        Self::try_with_catalog(tenant, catalog).unwrap_or_else(|_| Engine::refusing())
    }

    /// The engine of a refused tenant: no roles, no assignments, so every check is not allowed.
    fn refusing() -> Engine {
        Engine { c: Arc::new(Compiled::empty()) }
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

    fn compile(tenant: Tenant, catalog: &Catalog) -> Result<Engine, LoadError> {
        let refused = limits(&tenant, catalog);
        if !refused.is_empty() {
            return Err(LoadError { diagnostics: refused });
        }
        let c = Compiled::build(tenant, catalog);
        // A backstop for what `limits` bounds from above: a table that filled up anyway is refused, not used.
        let full = [(&c.principals, "principal ids"), (&c.scopes, "scopes"), (&c.vocab, "operations")]
            .into_iter()
            .filter(|(m, _)| m.is_full())
            .map(|(_, what)| format!("the compiled snapshot's table of {what} is full"))
            .chain(c.pool_full.then(|| "the compiled snapshot's pool of group memberships is full".to_owned()));
        let diagnostics: Vec<Diagnostic> = full
            .map(|m| Diagnostic::error(codes::ENGINE_LIMIT, m).with_help("split the tenant into several snapshots"))
            .collect();
        if !diagnostics.is_empty() {
            return Err(LoadError { diagnostics });
        }
        Ok(Engine { c: Arc::new(c) })
    }
}

impl Compiled {
    /// A snapshot of nothing: no principal, no role, only the root scope.
    fn empty() -> Compiled {
        let mut c = Compiled {
            principals: CiMap::default(),
            principal_ids: IdMap::default(),
            closure: Vec::new(),
            grant_closure: Vec::new(),
            member_of: Vec::new(),
            scopes: CiMap::without_names(),
            subscription_ids: IdMap::default(),
            root: 0,
            live: Vec::new(),
            root_aux: 0,
            depths: 0b10100,
            node_chain: Vec::new(),
            chains: Vec::new(),
            default_chain: 0,
            by_principal: Vec::new(),
            held: HeldMap::default(),
            info: Vec::new(),
            members: Pages::default(),
            placed: Vec::new(),
            assignment_role: Vec::new(),
            assignment_conditional: Vec::new(),
            assignment_condition: Vec::new(),
            conditions: Vec::new(),
            condition_ids: HashMap::new(),
            blocks: Vec::new(),
            sole_grant: Vec::new(),
            grant_ranges: Vec::new(),
            grant_list: Vec::new(),
            vocab: CiMap::default(),
            words: 0,
            grants: GrantBits::default(),
            denies_at: Vec::new(),
            denies_below: Vec::new(),
            denies: Vec::new(),
            tenant: Tenant::default(),
            pool_full: false,
            persons: HashMap::new(),
        };
        c.root = c.intern_scope("/");
        c
    }

    /// Compiles a tenant that [`limits`] accepts.
    fn build(tenant: Tenant, catalog: &Catalog) -> Compiled {
        let mut c = Compiled::empty();
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
                // Total: `limits` keeps the deny assignments under `MAX_IDS`.
                v.push(u32::try_from(i).unwrap_or(NONE));
            }
            if let Some(l) = c.live.get_mut(d.node as usize) {
                *l = true;
            }
        }
        let mut below: Vec<(u32, u32)> = c
            .denies
            .iter()
            .filter(|d| d.subscription != NONE && d.node != d.subscription)
            .map(|d| (d.subscription, d.node))
            .collect();
        below.sort_unstable();
        below.dedup();
        for chunk in below.chunk_by(|a, b| a.0 == b.0) {
            let owner = chunk.first().map_or(NONE, |&(s, _)| s);
            c.denies_below.push((owner, chunk.iter().map(|&(_, n)| n).collect()));
        }
        for held in c.by_principal.iter().flat_map(|v| v.iter()) {
            if let Some(l) = c.live.get_mut(held.node as usize) {
                *l = true;
            }
        }
        let (held, closure) = (std::mem::take(&mut c.by_principal), std::mem::take(&mut c.closure));
        let granting = std::mem::take(&mut c.grant_closure);
        let role = |a: u32| c.assignment_role.get(a as usize).copied().unwrap_or(NONE);
        let conditional = |a: u32| c.assignment_conditional.get(a as usize).copied().unwrap_or(true);
        // Total: a sole grant is a `u16` block over a `u16` pattern.
        let sole = |role: u32| {
            let planes = c.sole_grant.get(role as usize).copied().unwrap_or([NONE; 2]);
            held::Entry::pack_sole(planes.map(|s| {
                (s != NONE).then(|| {
                    (u16::try_from(s >> 16).unwrap_or(u16::MAX), u16::try_from(s & 0xffff).unwrap_or(u16::MAX))
                })
            }))
        };
        // A text of `u16::MAX` bytes or more is marked so and then found by its node: slower, the same answer.
        let text = |node: u32| {
            let (at, len) = c.scopes.key_range(node);
            (at, u16::try_from(len).ok().filter(|&l| l != u16::MAX).unwrap_or(u16::MAX))
        };
        let entries = (0u32..).zip(&held).flat_map(|(p, list)| {
            list.iter().map(move |h| {
                let a = h.assignment;
                let (text_at, text_len) = text(h.node);
                let entry = held::Entry {
                    node: h.node,
                    assignment: a,
                    role: role(a),
                    text_at,
                    text_len,
                    conditional: conditional(a),
                    last: true,
                    sole: sole(role(a)),
                };
                (p, h.subscription, entry)
            })
        });
        c.held = HeldMap::new(held.iter().map(|l| l.len()).sum(), entries);
        let masks: Vec<u64> = held.iter().map(|list| list.iter().fold(0, |m, h| m | held_bit(h))).collect();
        c.placed = held
            .into_iter()
            .map(|list| list.iter().map(|h| Placed { node: h.node, assignment: h.assignment }).collect())
            .collect();
        let member = |p: u32| Member::new(p, masks.get(p as usize).copied().unwrap_or(0));
        // Counted first, so that the pool is built where it stays ([`pages`]).
        let pooled: usize = closure.iter().map(|g| g.len() + 1).filter(|&n| n > PrincipalInfo::INLINE).sum();
        // Closures can grow with the square of the groups, which `limits` does not bound: refused by `compile`.
        c.pool_full = u32::try_from(pooled).is_err();
        let (info, persons) = (&mut c.info, &c.persons);
        c.members = Pages::build(pooled, Member::new(NONE, 0), |pool| {
            let (mut list, mut next) = (Vec::new(), 0);
            for (p, groups) in (0u32..).zip(closure.iter()) {
                list.clear();
                let grants = granting.get(p as usize).map_or(&[][..], |g| &g[..]);
                let filtered = |g: u32| if grants.binary_search(&g).is_ok() { member(g) } else { Member::new(g, 0) };
                list.push(member(p));
                list.extend(groups.iter().copied().map(filtered));
                let person = u32::from(persons.contains_key(&p));
                info.push(PrincipalInfo { person, ..PrincipalInfo::new(&list, pool, &mut next) });
            }
        });
        // Total here and below: `limits` keeps the scope nodes under `MAX_IDS`.
        for (node, _) in c.live.iter().enumerate().filter(|(_, l)| **l) {
            let name = u32::try_from(node).map_or("", |n| c.scopes.name(n));
            c.depths |= depth_bit(name.split('/').filter(|s| !s.is_empty()).count());
        }
        // What a check asks of an ancestor first, answered by the slot that finds it.
        let aux = |c: &Compiled, node: usize| -> u16 {
            let live = c.live.get(node).copied().unwrap_or(false);
            let deny = c.denies_at.get(node).is_some_and(|d| !d.is_empty());
            if live { LIVE | if deny { DENY } else { 0 } } else { 0 }
        };
        let mut subscriptions = Vec::new();
        for node in 0..c.scopes.len() {
            // Deliberate: a chain index that does not fit the bits left is 0, which sends the walk to `node_chain`.
            let chain = match c.node_chain.get(node).copied() {
                Some(NONE) => 1,
                Some(k) => u16::try_from(k + 2).ok().filter(|&k| k <= u16::MAX >> CHAIN_SHIFT).unwrap_or(0),
                None => 0,
            };
            let below = c.denies_below.binary_search_by_key(&u32::try_from(node).unwrap_or(NONE), |d| d.0).is_ok();
            let bits = aux(&c, node) | if below { DENY_BELOW } else { 0 } | chain << CHAIN_SHIFT;
            let node = u32::try_from(node).unwrap_or(NONE);
            c.scopes.set_aux(node, bits);
            let id = c.scopes.lowered_key(node).strip_prefix(b"/subscriptions/");
            if id.is_some_and(|id| id.len() == idmap::LEN && !id.contains(&b'/')) {
                subscriptions.push((node, bits));
            }
        }
        let ids = subscriptions.iter().map(|&(node, bits)| {
            let id = c.scopes.lowered_key(node).get(b"/subscriptions/".len()..).unwrap_or_default();
            (id, SubscriptionNode { node, aux: bits, pad: 0 })
        });
        c.subscription_ids = IdMap::new(ids);
        let ids = c.info.iter().zip(0u32..).map(|(info, p)| (c.principals.name(p).as_bytes(), *info));
        c.principal_ids = IdMap::new(ids);
        c.root_aux = aux(&c, c.root as usize);
        for chain in 0..c.chains.len() {
            let nodes = c.chains.get(chain).map(|ch| ch.iter().map(|&(n, _)| (n, aux(&c, n as usize))));
            let live: Box<[(u32, u16)]> = nodes.into_iter().flatten().filter(|&(_, a)| a & LIVE != 0).collect();
            if let Some(slot) = c.chains.get_mut(chain) {
                *slot = live;
            }
        }
        c.tenant = tenant;
        c
    }
}

impl Engine {
    /// Decides a request (semantics §3). Never allocates for well-formed requests of ordinary depth, never panics.
    pub fn check(&self, req: &Request<'_>) -> Decision {
        // The buffers a check works in are the thread's, reused rather than zeroed on every call (that was a
        // twentieth of a check); a nested call, which nothing makes today, gets fresh ones.
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.check_in(req, &mut scratch),
            Err(_) => self.check_in(req, &mut Scratch::new()),
        })
    }

    fn check_in(&self, req: &Request<'_>, scratch: &mut Scratch) -> Decision {
        let c = &*self.c;
        let Scratch { scope: sb, action: abuf, principal: pbuf, prefixes, anc, denied, principals, keys } = scratch;
        let (anc, denied, principals, keys) = (anc.cleared(), denied.cleared(), principals.cleared(), keys.cleared());
        prefixes.clear();
        // The first table slots are prefetched as soon as the text gives their keys, so that their misses are
        // under way while the scope is scanned, and overlap instead of queueing behind one another.
        let fixed = fixed::Fixed::of(req.action.as_bytes());
        let action = if fixed.is_some() { None } else { cimap::lower_hash_plain(req.action, abuf) };
        if let Some(h) = fixed.map(|f| f.hash()).or(action.map(|(_, h, _)| h)) {
            c.vocab.warm(h);
        }
        let principal = IdKey::of(req.principal, pbuf);
        c.warm_principal(&principal);
        let (split, owner) = match split_for_check(req.scope, sb) {
            Some((split, owner)) => (Some(split), owner),
            None => (None, None),
        };
        match (&split, owner) {
            (_, Some((_, OwnerKey::Id(p)))) => c.subscription_ids.warm(&p),
            (_, Some((_, OwnerKey::Hash(hash)))) => c.scopes.warm(hash),
            (Some(s), None) => c.prefixes(s, prefixes),
            (None, None) => {}
        }
        for p in prefixes.iter() {
            c.scopes.warm(p.hash);
        }

        let (found, valid) = c.operation(req.action, fixed.as_ref(), action);
        let op = found.map(|(op, _)| op);
        let Some(split) = split.filter(|_| valid) else {
            return Decision::NotAllowed(Reason::of(ReasonKind::InvalidRequest));
        };
        let Some(plane) = Compiled::plane(req.plane, found.map(|(_, aux)| aux)) else {
            return Decision::NotAllowed(Reason::of(ReasonKind::PlaneUnknown));
        };
        if let Some(op) = op {
            c.grants.warm(op as usize * 2 + plane_index(plane));
        }

        let Found { exact, subscription, outside, by_text } = match owner {
            Some((end, key)) => c.subscription_ancestors(&split, end, key, anc, denied),
            None => c.ancestors(&split, prefixes, anc, denied),
        };
        let lowered = split.lowered.unwrap_or_default();

        // The principals, and the (principal, subscription) keys of [`Compiled::held`] that can hold an
        // assignment in scope, in the order a check meets them: each principal then the groups it is in, its
        // assignments in the request's subscription before those outside any.
        let (want_in, in_sub) = (subscription.map_or(0, in_bit), subscription.unwrap_or(NONE));
        let mut add = |id: &str, key: IdKey<'_>, group: bool| {
            let Some(info) = c.principal(id, key) else { return };
            // A group id the tenant knows as a user or service principal grants nothing (naming one must not
            // borrow its assignments), while deny assignments naming it or its groups still apply (fail closed).
            let grants = !(group && info.person != 0);
            let (want_in, outside) = if grants { (want_in, outside) } else { (0, 0) };
            // Whether a member has anything in scope is as good as random, so the keys are kept without a branch
            // on it (that branch was the check's most mispredicted).
            for m in info.members(&c.members) {
                let (p, mask) = (m.id, m.mask());
                principals.push(p);
                keys.push_if(mask & want_in != 0, (p, in_sub));
                keys.push_if(mask & outside != 0, (p, NONE));
            }
        };
        add(req.principal, principal, false);
        for g in req.groups {
            add(g, IdKey::of(g, &mut [0u8; 96]), true);
        }
        for &(p, s) in keys.iter() {
            c.held.warm(p, s);
        }

        // Deny assignments first: any enforced one that applies blocks.
        for node in denied.iter() {
            for &d in c.denies_at.get(node as usize).map_or(&[][..], |v| &v[..]) {
                // Total: `denies_at` holds indices into `denies` only, so no deny is skipped here.
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
        for &(p, s) in keys.iter() {
            for e in c.held.get(p, s) {
                let (node, a, role) = (e.node, e.assignment, e.role);
                // Below the subscription, `anc` holds only what was looked up; the rest is tested as text.
                let in_scope = anc.contains(node) || (by_text && s != NONE && c.entry_within(&e, lowered));
                if !in_scope {
                    continue;
                }
                if role == NONE {
                    continue;
                }
                let (plain, conditional) = c.role_grants(op, req.action, plane, role);
                if plain && !e.conditional {
                    let (block, pattern) = match e.sole_grant(plane_index(plane)) {
                        Some((block, pattern)) => (Some(block), Some(pattern)),
                        None => c.first_grant(role, op, req.action, plane),
                    };
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
    /// The request's plane: as the caller says, else the catalog's unique answer (`answer`, the operation's
    /// [`plane_aux`] bits, `None` outside the vocabulary).
    fn plane(hint: PlaneHint, answer: Option<u16>) -> Option<Plane> {
        match hint {
            PlaneHint::Control => Some(Plane::Control),
            PlaneHint::Data => Some(Plane::Data),
            PlaneHint::Auto => match answer.map(|a| a & (PLANE_CONTROL | PLANE_DATA)) {
                Some(PLANE_CONTROL) => Some(Plane::Control),
                Some(PLANE_DATA) => Some(Plane::Data),
                _ => None,
            },
        }
    }

    /// The operation's id in the vocabulary with its [`plane_aux`] bits, and whether `action` is a valid
    /// operation name ([`is_operation_name`]), given its [`fixed::Fixed`] key or, when it has none,
    /// [`cimap::lower_hash_plain`] of it when it fit.
    fn operation(
        &self,
        action: &str,
        fixed: Option<&fixed::Fixed>,
        lowered: Option<(&[u8], u64, bool)>,
    ) -> (Option<(u32, u16)>, bool) {
        if let Some(f) = fixed {
            // Validity does not change with ASCII case, so a known operation's was settled when it was interned.
            return match self.vocab.get_fixed_aux(f) {
                Some(found) => (Some(found), found.1 & VALID_NAME != 0),
                None => (None, is_operation_name(action)),
            };
        }
        let op = match lowered {
            Some((low, h, _)) => self.vocab.get_lowered_aux(h, low),
            None => self.vocab.get_aux(action),
        };
        // Only text with a byte outside printable ASCII, or with `*`, needs the exact (Unicode) rule.
        let plain = lowered.is_some_and(|(_, _, plain)| plain);
        (op, if plain { !action.is_empty() } else { is_operation_name(action) })
    }

    /// Appends the prefixes of `split` at the depths where the tenant has scopes, with their key hashes.
    fn prefixes(&self, split: &Split<'_>, out: &mut Prefixes) {
        // Lower-cased, the scope hashes without case folding.
        let mut fast = split.padded.map(cimap::PrefixHasher::lowered);
        let mut slow = cimap::PrefixHasher::new(split.text);
        let mut at = |depth: u32, end: u32| {
            let hash = match fast.as_mut() {
                Some(f) => f.hash_to(end as usize),
                None => slow.hash_to(end as usize),
            };
            out.push(Prefix { depth, end, hash });
        };
        // The depths to look up, as bits: one iteration per prefix the tenant can hold rather than a branch per
        // segment. Depth 63 stands for all deeper ones, so scopes that deep take the plain loop.
        let n = split.ends.len();
        if n < 63 {
            let mut live = self.depths & ((1u64 << (n + 1)) - 2);
            while live != 0 {
                let depth = live.trailing_zeros();
                live &= live - 1;
                if let Some(&end) = split.ends.get(depth as usize - 1) {
                    at(depth, end);
                }
            }
        } else {
            for (depth, &end) in (1u32..).zip(split.ends) {
                if self.depths & depth_bit(depth as usize) != 0 {
                    at(depth, end);
                }
            }
        }
    }

    /// Pushes the live scope nodes that are ancestors of (or equal to) the canonical scope `split` (looked up at
    /// `prefixes`), and the management groups above it, to `out`, and those of them with an enforced deny
    /// assignment to `denied`; returns the node of the scope itself when it has one.
    fn ancestors<const N: usize, const M: usize>(
        &self,
        split: &Split<'_>,
        prefixes: &Prefixes,
        out: &mut Buf<N>,
        denied: &mut Buf<M>,
    ) -> Found {
        push_live(out, denied, self.root, self.root_aux);
        if split.ends.is_empty() {
            return Found { exact: Some(self.root), subscription: None, outside: out_bit(self.root), by_text: false };
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
        let (mut exact, mut owner, mut owner_aux, mut outside) = (None, None, 0, out_bit(self.root));
        for &Prefix { depth, end, hash } in prefixes.iter() {
            let (depth, end) = (depth as usize, end as usize);
            let found = match split.lowered {
                Some(l) => l.get(..end).and_then(|prefix| self.scopes.get_lowered_aux(hash, prefix)),
                None => scope.get(..end).and_then(|prefix| self.scopes.get_hashed_aux(hash, prefix)),
            };
            if let Some((node, aux)) = found {
                push_live(out, denied, node, aux);
                // Below a subscription every prefix that can hold an assignment is in it.
                if owner_depth != 2 {
                    outside |= out_bit(node);
                }
                if depth == split.ends.len() {
                    exact = Some(node);
                }
                if depth == owner_depth {
                    (owner, owner_aux) = (Some(node), aux);
                }
            }
        }
        if owner_depth > 0 {
            for &(node, aux) in self.chain_above(owner.unwrap_or(NONE), owner_aux) {
                push_live(out, denied, node, aux);
                outside |= out_bit(node);
            }
        }
        Found { exact, subscription: owner.filter(|_| owner_depth == 2), outside, by_text: false }
    }

    /// [`Compiled::ancestors`] of a scope in a subscription (see [`split_for_check`]), which looks
    /// up only the subscription: the root, the management groups above it and the subscription go to `out`; the
    /// nodes below it are not looked up, so the caller tests its assignments there with
    /// [`Compiled::scope_within`], and the deny assignments below it are tested here the same way.
    fn subscription_ancestors<const N: usize, const M: usize>(
        &self,
        split: &Split<'_>,
        end: usize,
        key: OwnerKey,
        out: &mut Buf<N>,
        denied: &mut Buf<M>,
    ) -> Found {
        push_live(out, denied, self.root, self.root_aux);
        let lowered = split.lowered.unwrap_or_default();
        let mut outside = out_bit(self.root);
        // A subscription nothing is interned at still hangs under the default chain.
        let found = match key {
            OwnerKey::Id(p) => self.subscription_ids.get(&p).map(|s| (s.node, s.aux)),
            OwnerKey::Hash(hash) => lowered.get(..end).and_then(|p| self.scopes.get_lowered_aux(hash, p)),
        };
        let (owner, aux) = found.unwrap_or((NONE, 0));
        push_live(out, denied, owner, aux);
        let mut exact = (end == lowered.len()).then_some(owner).filter(|&o| o != NONE);
        for &(node, aux) in self.chain_above(owner, aux) {
            push_live(out, denied, node, aux);
            outside |= out_bit(node);
        }
        if aux & DENY_BELOW != 0 {
            let at = self.denies_below.binary_search_by_key(&owner, |d| d.0).ok();
            for &node in at.and_then(|i| self.denies_below.get(i)).map_or(&[][..], |d| &d.1[..]) {
                if self.scope_within(node, lowered) {
                    denied.push(node);
                    if self.scopes.lowered_key(node).len() == lowered.len() {
                        exact = Some(node);
                    }
                }
            }
        }
        Found { exact, subscription: found.map(|(o, _)| o), outside, by_text: true }
    }

    /// The live management groups above subscription or management-group node `owner` (`NONE`: one nothing is
    /// interned at), whose slot bits are `aux`.
    #[inline]
    fn chain_above(&self, owner: u32, aux: u16) -> &[(u32, u16)] {
        // An owner with no chain of its own hangs under the default one (semantics §2.3); every chain id indexes `chains`.
        let chain = match aux >> CHAIN_SHIFT {
            0 => self.node_chain.get(owner as usize).copied().filter(|&c| c != NONE).unwrap_or(self.default_chain),
            1 => self.default_chain,
            k => u32::from(k - 2),
        };
        self.chains.get(chain as usize).map_or(&[][..], |c| &c[..])
    }

    /// Whether scope node `node` is `scope` (lower-cased, canonical) or an ancestor of it: its text is a prefix
    /// of the scope's that ends where a segment does.
    #[inline]
    fn scope_within(&self, node: u32, scope: &[u8]) -> bool {
        within(self.scopes.lowered_key(node), scope)
    }

    /// Prefetches the first slot `key` will be looked up in (see [`CiMap::warm`]).
    #[inline(always)]
    fn warm_principal(&self, key: &IdKey<'_>) {
        match key {
            IdKey::Id(p) => self.principal_ids.warm(p),
            IdKey::Lowered(_, h) => self.principals.warm(*h),
            IdKey::Other => {}
        }
    }

    /// What a check reads of the principal whose id is `id`, given [`IdKey::of`] it.
    #[inline(always)]
    fn principal(&self, id: &str, key: IdKey<'_>) -> Option<&PrincipalInfo> {
        let p = match key {
            IdKey::Id(p) => return self.principal_ids.get(&p),
            IdKey::Lowered(low, h) => self.principals.get_lowered(h, low),
            IdKey::Other => self.principals.get(id),
        };
        p.and_then(|p| self.info.get(p as usize))
    }

    /// [`Compiled::scope_within`] for the node of a [`held::Entry`], whose text the entry locates.
    #[inline(always)]
    fn entry_within(&self, e: &held::Entry, scope: &[u8]) -> bool {
        if e.text_len == u16::MAX {
            return self.scope_within(e.node, scope);
        }
        within(self.scopes.lowered_range(e.text_at, usize::from(e.text_len)), scope)
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
            Some(op) => self.grants.get(op as usize * 2 + plane_index(plane), role),
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
    /// the granting reason, or `Err` with the first block's unmet condition (semantics §3.1: block condition AND
    /// assignment condition, Kleene, Unknown does not allow).
    fn conditional_grant(&self, a: u32, role: u32, req: &Request<'_>, plane: Plane) -> Result<Reason, Reason> {
        let cx = req.condition_context();
        let assignment = self.assignment_condition.get(a as usize).copied().unwrap_or(NONE);
        let mut on_assignment: Option<(Tri, Option<u16>)> = None;
        let mut not_met = None;
        for (bi, b) in self.blocks.get(role as usize).map_or(&[][..], |v| &v[..]).iter().enumerate() {
            let Some(pattern) = b.grant(req.action, plane) else { continue };
            // Total: `limits` keeps blocks under `MAX_BLOCKS`.
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
    /// action and neither its condition nor the deny assignment's is definitely false (semantics §3, rule 1).
    fn deny_applies(&self, deny: &Deny, req: &Request<'_>, plane: Plane) -> Option<Reason> {
        for (b, blk) in deny.blocks.iter().enumerate() {
            let Some(pattern) = blk.grant(req.action, plane) else { continue };
            // Total: `limits` keeps blocks under `MAX_BLOCKS`.
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
        // Total: `limits` counts every condition site under `MAX_IDS`; `NONE` would read as no condition.
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

    /// The first unconditional block of `role` granting `action`, and the pattern that matched. Asked only when
    /// some block of the role grants it, so a role with a single pattern on the plane answers without matching.
    fn first_grant(&self, role: u32, op: Option<u32>, action: &str, plane: Plane) -> (Option<u16>, Option<u16>) {
        let sole = self.sole_grant.get(role as usize).and_then(|s| s.get(plane_index(plane)));
        if let Some(&sole) = sole.filter(|&&s| s != NONE) {
            // Total: a `u16` block over a `u16` pattern.
            return (u16::try_from(sole >> 16).ok(), u16::try_from(sole & 0xffff).ok());
        }
        // Read only when a block has to be matched: the id walk needs nothing else of the role.
        let blocks = || self.blocks.get(role as usize).map_or(&[][..], |v| &v[..]);
        if let Some(op) = op {
            let range = self.grant_ranges.get(role as usize).and_then(|r| r.get(plane_index(plane)));
            let list = range.and_then(|&(from, to)| self.grant_list.get(from as usize..to as usize));
            for e in list.unwrap_or_default() {
                if e.op == op {
                    return (Some(e.block), Some(e.pattern));
                }
                if e.op == MATCH_BLOCK
                    && let Some(p) = blocks().get(usize::from(e.block)).and_then(|b| b.grant(action, plane))
                {
                    return (Some(e.block), Some(p));
                }
            }
            return (None, None);
        }
        blocks()
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.conditional)
            // Total: `limits` keeps blocks under `MAX_BLOCKS`.
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
        let p = c.principals.intern(a.principal_id.as_str());
        if let Some(t @ (PrincipalType::User | PrincipalType::ServicePrincipal)) = &a.principal_type {
            c.persons.entry(p).or_insert_with(|| t.clone());
        }
    }
    for d in &tenant.deny_assignments {
        for p in d.principals.iter().chain(&d.exclude_principals) {
            c.principals.intern(p.id.as_str());
        }
    }
    c.closure = vec![Box::default(); c.principals.len()];
    c.grant_closure = vec![Box::default(); c.principals.len()];
    c.member_of = graph
        .node_indices()
        .map(|n| {
            let mut v: Vec<u32> = graph.neighbors(n).filter_map(|g| graph.node_weight(g).copied()).collect();
            v.sort_unstable();
            v.dedup();
            // Total: every node of the graph was added with its principal.
            (graph.node_weight(n).copied().unwrap_or(NONE), v.into_boxed_slice())
        })
        .fold(vec![Box::default(); c.principals.len()], |mut acc: Vec<Box<[u32]>>, (p, v)| {
            if let Some(slot) = acc.get_mut(p as usize) {
                *slot = v;
            }
            acc
        });
    // Breadth-first from each member; a stamp per search tolerates cycles without clearing a visited set. Twice:
    // every group reached, for deny assignments, and those reached without passing through a principal the
    // assignments type as a user or service principal, which is no group to hold members' grants (fail closed).
    let mut stamp = vec![usize::MAX; graph.node_count()];
    let mut queue = Vec::new();
    for (pass, persons) in [(0, None), (1, Some(&c.persons))] {
        for start in graph.node_indices() {
            let mark = start.index() * 2 + pass;
            let mut reached = Vec::new();
            queue.clear();
            queue.push(start);
            if let Some(s) = stamp.get_mut(start.index()) {
                *s = mark;
            }
            while let Some(n) = queue.pop() {
                for next in graph.neighbors(n) {
                    let seen = stamp.get(next.index()).is_some_and(|&s| s == mark);
                    let p = graph.node_weight(next).copied().unwrap_or(NONE);
                    if seen || persons.is_some_and(|x| x.contains_key(&p)) {
                        continue;
                    }
                    if let Some(s) = stamp.get_mut(next.index()) {
                        *s = mark;
                    }
                    queue.push(next);
                    reached.push(p);
                }
            }
            // Total: every node of the graph was added with its principal.
            let own = graph.node_weight(start).copied().unwrap_or(NONE);
            reached.retain(|&p| p != own);
            reached.sort_unstable();
            let closure = if pass == 0 { &mut c.closure } else { &mut c.grant_closure };
            if let Some(slot) = closure.get_mut(own as usize) {
                *slot = reached.into_boxed_slice();
            }
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

/// A request-scope prefix a check looks up: its segment count, where it ends, its key hash.
#[derive(Clone, Copy, Debug)]
struct Prefix {
    depth: u32,
    end: u32,
    hash: u64,
}

/// The prefixes of a request scope a check looks up, shallowest first; only scopes deeper than
/// [`MAX_SEGMENTS`] (none are real) use `spill`, which allocates.
struct Prefixes {
    items: [Prefix; MAX_SEGMENTS],
    len: usize,
    spill: Vec<Prefix>,
}

impl Prefixes {
    fn new() -> Self {
        Prefixes { items: [Prefix { depth: 0, end: 0, hash: 0 }; MAX_SEGMENTS], len: 0, spill: Vec::new() }
    }

    fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }

    fn push(&mut self, p: Prefix) {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = p;
                self.len += 1;
            }
            None => self.spill.push(p),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Prefix> {
        self.items.get(..self.len).unwrap_or_default().iter().chain(&self.spill)
    }
}

/// The stack space [`split`] works in. Only scopes deeper than [`MAX_SEGMENTS`] (none are real) use `deep`,
/// which allocates.
struct ScopeBuf {
    lowered: [u8; SCAN_BYTES],
    /// The raw scope and padding, which [`scan_subscription`] reads while it writes `lowered`.
    copy: [u8; SCAN_BYTES],
    ends: [u32; MAX_SEGMENTS],
    deep: Vec<u32>,
}

impl ScopeBuf {
    fn new() -> Self {
        ScopeBuf { lowered: [0; SCAN_BYTES], copy: [0; SCAN_BYTES], ends: [0; MAX_SEGMENTS], deep: Vec::new() }
    }
}

/// The working space of one check (see [`Engine::check`]).
struct Scratch {
    scope: ScopeBuf,
    /// Room for an action or principal id and the 32 bytes [`cimap::lower_hash_into`] pads with.
    action: [u8; 160],
    principal: [u8; 96],
    prefixes: Prefixes,
    anc: Buf<48>,
    denied: Buf<8>,
    principals: Buf<32>,
    keys: Small<(u32, u32), 32>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            scope: ScopeBuf::new(),
            action: [0; 160],
            principal: [0; 96],
            prefixes: Prefixes::new(),
            anc: Buf::new(),
            denied: Buf::new(),
            principals: Buf::new(),
            keys: Small::new(),
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::new());
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
            // Saturates only past 4 GiB, where no tenant scope (bounded by `limits`) can end to match.
            let mut ends = |len: usize| {
                end += 1 + len;
                u32::try_from(end).unwrap_or(u32::MAX)
            };
            if deep {
                b.deep.clear();
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

/// [`split`] for a check: a scope in a subscription takes [`scan_subscription`], which finds no segment ends
/// (`ends` is empty) but where the subscription prefix ends, returned with how to look the subscription up; a
/// check looks up no other prefix of such a scope. Any other scope is split in full.
fn split_for_check<'a>(scope: &'a str, b: &'a mut ScopeBuf) -> Option<(Split<'a>, Option<(usize, OwnerKey)>)> {
    match scan_subscription(scope, &mut b.copy, &mut b.lowered) {
        SubScan::Subscription { owner_end, .. } => {
            let padded = &b.lowered[..];
            let id = padded.get(b"/subscriptions/".len()..owner_end).and_then(Probe::of);
            let key = match id {
                Some(p) => OwnerKey::Id(p),
                None => OwnerKey::Hash(cimap::PrefixHasher::lowered(padded).hash_to(owner_end)),
            };
            let split = Split { text: scope, lowered: padded.get(..scope.len()), padded: Some(padded), ends: &[] };
            Some((split, Some((owner_end, key))))
        }
        SubScan::No => None,
        SubScan::Other => split(scope, b).map(|s| (s, None)),
    }
}

/// A request's principal or group id ready to be looked up: a GUID in [`Compiled::principal_ids`], any other in
/// [`Compiled::principals`], lower-cased with its hash when it fits the buffer.
enum IdKey<'b> {
    Id(Probe),
    Lowered(&'b [u8], u64),
    Other,
}

impl<'b> IdKey<'b> {
    /// The key of `id`, lower-cased into `buf` when it is not a GUID.
    #[inline(always)]
    fn of(id: &str, buf: &'b mut [u8]) -> IdKey<'b> {
        if let Some(p) = Probe::of(id.as_bytes()) {
            return IdKey::Id(p);
        }
        match cimap::lower_hash_into(id, buf) {
            Some((low, h)) => IdKey::Lowered(low, h),
            None => IdKey::Other,
        }
    }
}

/// How a check looks up the subscription that owns the request scope: a GUID in [`Compiled::subscription_ids`], any
/// other id by the `/subscriptions/{id}` prefix's hash in [`Compiled::scopes`].
#[derive(Clone, Copy)]
enum OwnerKey {
    Id(Probe),
    Hash(u64),
}

/// Whether scope text `key` is `scope` or an ancestor of it (both lower-cased and canonical): a prefix of it that
/// ends where a segment does.
#[inline(always)]
fn within(key: &[u8], scope: &[u8]) -> bool {
    // The request's byte first: it is at hand, while `key` is a read elsewhere that this often spares.
    key.len() <= scope.len() && scope.get(key.len()).is_none_or(|&b| b == b'/') && scope.starts_with(key)
}

/// Asks the CPU to start loading the cache line of `r` without waiting for it. A check issues these for every
/// table slot it can already address before it reads any of them, so that their misses overlap instead of
/// queueing one behind another; unlike a plain load, a prefetch does not hold up the instructions after it.
#[inline(always)]
fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(r);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// Pushes an ancestor `node` whose slot bits are `aux` to `out` if anything sits at it, and to `denied` if an
/// enforced deny assignment does.
#[inline(always)]
fn push_live<const N: usize, const M: usize>(out: &mut Buf<N>, denied: &mut Buf<M>, node: u32, aux: u16) {
    if aux & LIVE != 0 {
        out.push(node);
        if aux & DENY != 0 {
            denied.push(node);
        }
    }
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

/// The filter bit of a principal's assignment in subscription `node` for [`PrincipalInfo::mask`]: the low 48
/// bits stand for subscriptions, the high 16 ([`out_bit`]) for the scope nodes of assignments outside any
/// subscription, so that a check asks [`Compiled::held`] only for the keys a principal can have.
fn in_bit(node: u32) -> u64 {
    1 << (node % 48)
}

/// The filter bit of a principal's assignment at scope `node` outside any subscription (see [`in_bit`]).
fn out_bit(node: u32) -> u64 {
    1 << (48 + node % 16)
}

fn held_bit(h: &Held) -> u64 {
    if h.subscription == NONE { out_bit(h.node) } else { in_bit(h.subscription) }
}

/// What a check reads of a principal: the principal and the groups of its closure (see [`Compiled::closure`]), each
/// with the [`held_bit`]s of its assignments, so that a check skips a principal with nothing in the request's
/// subscription or above it and reads no record of a group's own. It fits a slot of [`Compiled::principal_ids`]
/// beside its key, so a principal in at most two groups costs a check one cache line.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct PrincipalInfo {
    /// The number of members: the principal itself, then its groups; never 0 but in [`idmap::Value::EMPTY`].
    len: u32,
    /// Where the members start in `Compiled::members` when they do not fit `inline`.
    at: u32,
    inline: [Member; 3],
    /// Nonzero when the tenant's assignments type the principal as a user or service principal
    /// ([`Compiled::persons`]): named as a request's group, it grants nothing.
    person: u32,
}

// With its sixteen-byte key, a slot of `principal_ids` is one cache line.
const _: () = assert!(std::mem::size_of::<PrincipalInfo>() <= idmap::VALUE_BYTES);

impl idmap::Value for PrincipalInfo {
    const EMPTY: PrincipalInfo =
        PrincipalInfo { len: 0, at: 0, inline: [Member { id: NONE, mask: [0; 2] }; 3], person: 0 };
    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A subscription's scope node and its [`Compiled::scopes`] aux bits, as [`Compiled::subscription_ids`] holds them.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct SubscriptionNode {
    node: u32,
    aux: u16,
    pad: u16,
}

impl idmap::Value for SubscriptionNode {
    const EMPTY: SubscriptionNode = SubscriptionNode { node: NONE, aux: 0, pad: 0 };
    fn is_empty(&self) -> bool {
        self.node == NONE
    }
}

impl PrincipalInfo {
    /// How many members fit in the record itself.
    const INLINE: usize = 3;

    /// The record of `list` (the principal, then its groups), which goes to `pool` from `next` when it does not
    /// fit, and moves `next` past it.
    fn new(list: &[Member], pool: &mut [Member], next: &mut usize) -> PrincipalInfo {
        let mut inline = [Member::new(NONE, 0); PrincipalInfo::INLINE];
        // Total: a closure holds at most every principal, which `limits` keeps under `MAX_IDS`.
        let len = u32::try_from(list.len()).unwrap_or(0);
        let mut at = 0;
        if list.len() <= inline.len() {
            for (slot, m) in inline.iter_mut().zip(list) {
                *slot = *m;
            }
        } else {
            // `compile` refuses a pool past `u32` offsets (`pool_full`).
            at = u32::try_from(*next).unwrap_or(NONE);
            if let Some(room) = pool.get_mut(*next..*next + list.len()) {
                room.copy_from_slice(list);
            }
            *next += list.len();
        }
        PrincipalInfo { len, at, inline, person: 0 }
    }

    /// The principal and its groups, one slice so that a check's loop over them is inlined once.
    #[inline(always)]
    fn members<'a>(&'a self, pool: &'a [Member]) -> &'a [Member] {
        let len = self.len as usize;
        let list = if len <= self.inline.len() { self.inline.get(..len) } else { pool.get(self.at as usize..) };
        list.and_then(|l| l.get(..len)).unwrap_or_default()
    }
}

/// An assignment and the scope node it sits at.
#[derive(Clone, Copy, Debug)]
struct Placed {
    node: u32,
    assignment: u32,
}

/// A group in a closure and its [`PrincipalInfo::mask`], in two halves so that the entry takes twelve bytes.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Member {
    id: u32,
    mask: [u32; 2],
}

impl Member {
    fn new(id: u32, mask: u64) -> Member {
        // Truncation splits the mask into its halves.
        #[allow(clippy::cast_possible_truncation)]
        let halves = [mask as u32, (mask >> 32) as u32];
        Member { id, mask: halves }
    }

    fn mask(&self) -> u64 {
        u64::from(self.mask[0]) | (u64::from(self.mask[1]) << 32)
    }
}

/// What [`Compiled::ancestors`] found besides the ancestry itself.
struct Found {
    /// The node of the request scope itself.
    exact: Option<u32>,
    /// The node of the request scope's subscription.
    subscription: Option<u32>,
    /// The [`out_bit`]s of the ancestors: a principal's assignments outside any subscription can be in scope
    /// only if its mask shares one.
    outside: u64,
    /// Whether the nodes below the subscription were left out, for the caller to test as text.
    by_text: bool,
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
        c.chains.push(nodes.into_iter().map(|n| (n, 0)).collect());
        // Total: one chain per hierarchy entry and the default, which the scope count of `limits` bounds.
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
    // A role without an id cannot be assigned; `limits` keeps the role indices under `MAX_IDS`.
    let role_index: HashMap<String, u32> = tenant
        .roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r.id.as_ref()?.key(), u32::try_from(i).ok()?)))
        .collect();
    let mut lists: Vec<Vec<Held>> = vec![Vec::new(); c.principals.len()];
    for (i, a) in tenant.assignments.iter().enumerate() {
        // Total: `limits` keeps the assignments under `MAX_IDS`. An unknown role (RL010, fatal) grants nothing.
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
    c.sole_grant = c
        .blocks
        .iter()
        .map(|blocks| {
            [0, 1].map(|pi| {
                let mut with =
                    blocks.iter().enumerate().filter(|(_, b)| b.grants.get(pi).is_some_and(|g| !g.is_empty()));
                match (with.next(), with.next()) {
                    (Some((i, b)), None) if !b.dead && !b.conditional => match b.grants.get(pi).map(|g| &g[..]) {
                        // Total: `limits` keeps blocks under `MAX_BLOCKS`; `NONE` would only mean a slower lookup.
                        Some([(pattern, _)]) => {
                            u16::try_from(i).map_or(NONE, |i| u32::from(i) << 16 | u32::from(*pattern))
                        }
                        _ => NONE,
                    },
                    _ => NONE,
                }
            })
        })
        .collect();
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
        let id = c.vocab.intern(name);
        c.vocab.set_aux(id, plane_aux(catalog.plane(name)) | if is_operation_name(name) { VALID_NAME } else { 0 });
    }
    for blocks in &c.blocks {
        // Total: the grant list has at most an entry per role entry, which `limits` counts under `MAX_IDS`, and
        // blocks stay under `MAX_BLOCKS`.
        let ranges = [0, 1].map(|pi| {
            let from = u32::try_from(c.grant_list.len()).unwrap_or(NONE);
            for (bi, b) in blocks.iter().enumerate().filter(|(_, b)| !b.dead && !b.conditional) {
                let Ok(block) = u16::try_from(bi) else { continue };
                let grants = b.grants.get(pi).map_or(&[][..], |v| &v[..]);
                let excluded = b.excludes.get(pi).is_some_and(|x| !x.is_empty());
                let ids: Option<Vec<FirstGrant>> = grants
                    .iter()
                    .map(|(pattern, p)| {
                        let op = c.vocab.get(p.as_str()).filter(|_| p.is_exact() && !excluded)?;
                        Some(FirstGrant { block, pattern: *pattern, op })
                    })
                    .collect();
                match ids {
                    Some(ids) => c.grant_list.extend(ids),
                    None => c.grant_list.push(FirstGrant { block, pattern: 0, op: MATCH_BLOCK }),
                }
            }
            (from, u32::try_from(c.grant_list.len()).unwrap_or(NONE))
        });
        c.grant_ranges.push(ranges);
    }
    let lower: Vec<&str> = names.iter().map(|(l, _)| l.as_str()).collect();
    c.words = tenant.roles.len().div_ceil(64).max(1);
    // Dense while it is filled, `((op * 2 + plane) * words + role / 64) * 2 + conditional`, then compressed.
    let mut dense = vec![0u64; names.len() * 4 * c.words];

    let mut cache: HashMap<String, Vec<u32>> = HashMap::new();
    let mut ops_of = |p: &Pattern| -> Vec<u32> {
        cache
            .entry(p.as_str().to_ascii_lowercase())
            .or_insert_with(|| {
                let prefix = p.literal_prefix().to_ascii_lowercase();
                let from = lower.partition_point(|n| *n < prefix.as_str());
                let to = from + lower.get(from..).unwrap_or_default().partition_point(|n| n.starts_with(&prefix));
                // Total: `limits` keeps the vocabulary under `MAX_IDS`.
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
                // The operations the exclusions match, found as the grants' are: matching every granted operation
                // against every exclusion took minutes for `*` less 65,536 `NotActions`.
                let excluded: std::collections::HashSet<u32> = excludes.iter().flat_map(&mut ops_of).collect();
                for (_, pat) in grants {
                    for op in ops_of(pat) {
                        if excluded.contains(&op) {
                            continue;
                        }
                        let at = ((op as usize * 2 + pi) * c.words + word) * 2 + usize::from(b.conditional);
                        if let Some(w) = dense.get_mut(at) {
                            *w |= bit;
                        }
                    }
                }
            }
        }
    }
    c.grants = GrantBits::from_dense(&dense, names.len() * 2, c.words);
}

fn compile_denies(c: &mut Compiled, tenant: &Tenant) {
    for (i, d) in tenant.deny_assignments.iter().enumerate() {
        // A deny whose scope could not be read fails the load; nothing unreadable reaches here.
        let Some(scope) = d.scope.scope() else { continue };
        let node = scope_node(c, scope);
        let subscription = scope.subscription().map_or(NONE, |s| c.intern_scope(&format!("/subscriptions/{s}")));
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
            // Total: `limits` keeps the deny assignments under `MAX_IDS`.
            index: u32::try_from(i).unwrap_or(NONE),
            node,
            subscription,
            children: !d.do_not_apply_to_child_scopes,
            everyone: d.principals.iter().any(crate::model::Principal::is_everyone),
            principals,
            excludes,
            blocks,
            condition,
        });
    }
    c.closure.resize_with(c.principals.len(), Box::default);
    c.grant_closure.resize_with(c.principals.len(), Box::default);
    c.member_of.resize_with(c.principals.len(), Box::default);
    c.by_principal.resize_with(c.principals.len(), Box::default);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::TenantLoader;

    /// `push_if` keeps exactly the values it is told to, in order, inline and spilled alike.
    #[test]
    fn small_push_if_keeps_what_it_is_told() {
        let mut small: Small<u32, 4> = Small::new();
        for v in 0..40u32 {
            small.push_if(v % 3 != 0, v);
        }
        let want: Vec<u32> = (0..40).filter(|v| v % 3 != 0).collect();
        assert_eq!(small.iter().copied().collect::<Vec<_>>(), want);
        assert_eq!(small.cleared().iter().count(), 0);
    }

    /// A principal's members come back as given whether they fit its record or went to the pool.
    #[test]
    fn principal_members_inline_or_pooled() {
        let lists: Vec<Vec<Member>> =
            (0..9u32).map(|n| (0..n).map(|i| Member::new(n * 10 + i, u64::from(i) << 40 | 7)).collect()).collect();
        // A slot of room past what the pooled lists take, which must stay untouched.
        let room = 1 + (PrincipalInfo::INLINE + 1..9).sum::<usize>();
        let mut pool = vec![Member::new(99, 1); room];
        let mut next = 0;
        let infos: Vec<PrincipalInfo> = lists.iter().map(|l| PrincipalInfo::new(l, &mut pool, &mut next)).collect();
        for (list, info) in lists.iter().zip(&infos) {
            let got: Vec<(u32, u64)> = info.members(&pool).iter().map(|m| (m.id, m.mask())).collect();
            let want: Vec<(u32, u64)> = list.iter().map(|m| (m.id, m.mask())).collect();
            assert_eq!(got, want);
        }
        assert_eq!(next, room - 1);
        assert_eq!(pool.last().map(|m| (m.id, m.mask())), Some((99, 1)));
    }

    /// A tenant large enough that its tables live in mappings ([`pages`]) decides as a small one does: each of
    /// 20,000 principals reads in its own resource group, and not in its neighbour's, nor writes in its own.
    #[test]
    fn tables_in_mappings_decide_the_same() {
        const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
        let guid = |kind: u32, i: u32| format!("{kind:08x}-0000-4000-8000-{i:012x}");
        let rg = |i: u32| format!("/subscriptions/{}/resourceGroups/rg{i}", guid(1, i % 4));
        let n = 20_000;
        let items: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"principalId": guid(2, i), "roleDefinitionId": READER, "scope": rg(i)}))
            .collect();
        let mut loader = TenantLoader::new();
        loader.add_assignments("assignments.json", serde_json::Value::Array(items).to_string().as_bytes());
        let engine = Engine::new(loader.build().unwrap().0);
        let c = &*engine.c;
        assert!(c.held.is_mapped() && c.principal_ids.is_mapped() && c.scopes.is_mapped() && c.vocab.is_mapped());
        let (read, write) = ("Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/write");
        for i in (0..n).step_by(37) {
            let (p, own, other) = (guid(2, i), rg(i), rg((i + 1) % n));
            let vm = format!("{own}/providers/Microsoft.Compute/virtualMachines/vm");
            assert!(engine.check(&Request::new(&p, read, &vm)).is_allowed(), "{p} reads in {own}");
            assert!(!engine.check(&Request::new(&p, read, &other)).is_allowed(), "{p} reads in {other}");
            assert!(!engine.check(&Request::new(&p, write, &own)).is_allowed(), "{p} writes in {own}");
        }
    }

    /// The shortcut for single-pattern roles and the grant lists of the others (vocabulary ids where a block
    /// allows) give what matching the blocks gives, wherever a built-in role grants.
    #[test]
    fn first_grant_agrees_with_matching() {
        let engine = Engine::new(TenantLoader::new().build().unwrap().0);
        let c = &*engine.c;
        let (mut shortcuts, mut kept) = (0, 0);
        for role in 0..c.blocks.len() as u32 {
            for plane in [Plane::Control, Plane::Data] {
                for op in (0..c.vocab.len() as u32).step_by(7) {
                    let action = c.vocab.name(op);
                    if !c.role_grants(Some(op), action, plane, role).0 {
                        continue;
                    }
                    let blocks = &c.blocks[role as usize];
                    let slow = blocks
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| !b.conditional)
                        .find_map(|(i, b)| Some((u16::try_from(i).ok(), Some(b.grant(action, plane)?))))
                        .unwrap_or((None, None));
                    assert_eq!(c.first_grant(role, Some(op), action, plane), slow, "role {role} {action}");
                    assert_eq!(c.first_grant(role, None, action, plane), slow, "role {role} {action}");
                    let sole = c.sole_grant[role as usize][plane_index(plane)] != NONE;
                    shortcuts += usize::from(sole);
                    let (from, to) = c.grant_ranges[role as usize][plane_index(plane)];
                    let by_id = c.grant_list[from as usize..to as usize].iter().any(|e| e.op == op);
                    kept += usize::from(!sole && by_id);
                }
            }
        }
        assert!(shortcuts > 1000, "{shortcuts}");
        assert!(kept > 300, "{kept}");
    }
}
