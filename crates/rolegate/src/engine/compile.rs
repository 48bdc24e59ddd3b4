//! Compiling a tenant into the snapshot a check reads: [`Compiled`], made of [`Principals`], [`Scopes`],
//! [`Roles`], [`Assignments`] and [`Denies`] (with the [`Conditions`] they share), each built complete by its
//! own pass. The passes intern principals and scopes in a fixed order, so that ids are the same on every
//! compile of a tenant.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::cimap::{self, CiMap};
use super::grants::{GrantBits, GrantBitsBuilder};
use super::held::{self, HeldMap, NarrowSole};
use super::idmap::{self, IdMap};
use super::ids::OptId;
use super::pages::Pages;
use super::{Plane, plane_index};
use crate::action::is_operation_name;
use crate::catalog::{Catalog, PlaneAnswer};
use crate::condition::Condition;
use crate::matcher::Pattern;
use crate::model::{Action, ActionKind, DenyEffect, Entries, Permission, PrincipalType, Tenant};
use crate::scope::{Scope, ScopeKind};

/// The compiled snapshot behind an [`super::Engine`].
#[derive(Debug)]
pub(super) struct Compiled {
    /// The tenant compiled; reasons index into it.
    pub tenant: Tenant,
    pub principals: Principals,
    pub scopes: Scopes,
    pub roles: Roles,
    pub assignments: Assignments,
    pub denies: Denies,
    pub conditions: Conditions,
    /// What the reverse queries read besides the tables above, built on the first one ([`super::reverse`]).
    pub reverse: super::reverse::Indexes,
}

impl Compiled {
    /// A snapshot of nothing: no principal, no role, only the root scope.
    pub fn empty() -> Compiled {
        Compiled {
            tenant: Tenant::default(),
            principals: Principals::default(),
            scopes: ScopeNames::new().finish(&Denies::default()),
            roles: Roles::default(),
            assignments: Assignments::default(),
            denies: Denies::default(),
            conditions: Conditions::default(),
            reverse: super::reverse::Indexes::default(),
        }
    }

    /// Compiles a tenant that [`super::limits()`] accepts.
    pub fn build(tenant: Tenant, catalog: &Catalog) -> Compiled {
        let mut conditions = Conditions::default();
        let mut names = CiMap::default();
        let groups = Groups::compile(&tenant, &mut names);
        let mut scopes = ScopeNames::new();
        scopes.hierarchy(&tenant);
        let listed = Listed::compile(&tenant, &mut names, &mut scopes, &mut conditions);
        let roles = Roles::compile(&tenant, catalog, &mut conditions);
        let denies = Denies::compile(&tenant, &mut names, &mut scopes, &mut conditions);
        // Every principal and scope is interned by now; what follows only reads their ids.
        let (assignments, masks) = Assignments::compile(listed, &roles, &scopes.map);
        let scopes = scopes.finish(&denies);
        let principals = Principals::compile(names, groups, &masks);
        let reverse = super::reverse::Indexes::default();
        Compiled { tenant, principals, scopes, roles, assignments, denies, conditions, reverse }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Principals

/// Who is who: principal ids, group closures, and what a check reads of a principal.
#[derive(Debug, Default)]
pub(super) struct Principals {
    /// Every principal id the tenant names, interned.
    pub names: CiMap,
    /// The principals whose ids are GUIDs ([`idmap`]), each with its [`PrincipalInfo`] in the slot that finds
    /// it, for the check path; a request's id that is a GUID is looked up only here.
    pub ids: IdMap<PrincipalInfo>,
    /// The per-principal data a check reads, for principals whose ids are not GUIDs (`ids` holds a copy for
    /// the others).
    pub info: Vec<PrincipalInfo>,
    /// The members of the principals whose [`PrincipalInfo`] they do not fit.
    pub members: Pages<Member>,
    /// Principal → the groups it is a direct member of (for explaining the chain).
    pub member_of: Vec<Box<[u32]>>,
    /// The principals the tenant's role assignments type as a user or service principal (`principalType`), with
    /// that type: a request that names one as a group gets none of its grants ([`PrincipalInfo::person`]).
    pub persons: HashMap<u32, PrincipalType>,
    /// Whether the members of the principals outgrew the `u32` offsets of [`PrincipalInfo::at`].
    pub pool_full: bool,
}

/// The group graph, closed: the first pass, which interns every principal the tenant names.
struct Groups {
    /// Principal → the groups it is in, transitively (itself excluded).
    closure: Vec<Box<[u32]>>,
    /// Principal → the part of its `closure` that holds grants for it: the groups reached without passing through
    /// one of `persons`. The others' members are kept with no filter bits, so that only deny assignments see them.
    grant_closure: Vec<Box<[u32]>>,
    member_of: Vec<Box<[u32]>>,
    persons: HashMap<u32, PrincipalType>,
}

impl Groups {
    fn compile(tenant: &Tenant, names: &mut CiMap) -> Groups {
        let mut graph: DiGraph<u32, ()> = DiGraph::new();
        let mut nodes: HashMap<u32, NodeIndex> = HashMap::new();
        let mut node = |names: &mut CiMap, graph: &mut DiGraph<u32, ()>, id: &str| {
            let p = names.intern(id);
            *nodes.entry(p).or_insert_with(|| graph.add_node(p))
        };
        for (group, members) in &tenant.groups.groups {
            let g = node(names, &mut graph, group.as_str());
            for m in members {
                let m = node(names, &mut graph, m.as_str());
                // Edges point from a member to the group it belongs to.
                graph.add_edge(m, g, ());
            }
        }
        // Every other principal that can decide anything.
        let mut persons = HashMap::new();
        for a in &tenant.assignments {
            let p = names.intern(a.principal_id.as_str());
            if let Some(t @ (PrincipalType::User | PrincipalType::ServicePrincipal)) = &a.principal_type {
                persons.entry(p).or_insert_with(|| t.clone());
            }
        }
        for d in &tenant.deny_assignments {
            for p in d.principals.iter().chain(&d.exclude_principals) {
                names.intern(p.id.as_str());
            }
        }
        let count = names.len();
        let member_of = graph
            .node_indices()
            .map(|n| {
                let mut v: Vec<u32> = graph.neighbors(n).filter_map(|g| graph.node_weight(g).copied()).collect();
                v.sort_unstable();
                v.dedup();
                // Total: every node of the graph was added with its principal.
                (graph.node_weight(n).copied().unwrap_or(u32::MAX), v.into_boxed_slice())
            })
            .fold(vec![Box::default(); count], |mut acc: Vec<Box<[u32]>>, (p, v)| {
                if let Some(slot) = acc.get_mut(p as usize) {
                    *slot = v;
                }
                acc
            });
        let mut closure = vec![Box::default(); count];
        let mut grant_closure = vec![Box::default(); count];
        // Breadth-first from each member; a stamp per search tolerates cycles without clearing a visited set.
        // Twice: every group reached, for deny assignments, and those reached without passing through a principal
        // the assignments type as a user or service principal, which is no group to hold members' grants (fail
        // closed).
        let mut stamp = vec![usize::MAX; graph.node_count()];
        let mut queue = Vec::new();
        for (pass, persons) in [(0, None), (1, Some(&persons))] {
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
                        let p = graph.node_weight(next).copied().unwrap_or(u32::MAX);
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
                let own = graph.node_weight(start).copied().unwrap_or(u32::MAX);
                reached.retain(|&p| p != own);
                reached.sort_unstable();
                let closure = if pass == 0 { &mut closure } else { &mut grant_closure };
                if let Some(slot) = closure.get_mut(own as usize) {
                    *slot = reached.into_boxed_slice();
                }
            }
        }
        Groups { closure, grant_closure, member_of, persons }
    }
}

impl Principals {
    /// The last pass: every principal with its closure and the [`held_bit`]s of its assignments (`masks`).
    fn compile(names: CiMap, groups: Groups, masks: &[u64]) -> Principals {
        let Groups { mut closure, mut grant_closure, mut member_of, persons } = groups;
        closure.resize_with(names.len(), Box::default);
        grant_closure.resize_with(names.len(), Box::default);
        member_of.resize_with(names.len(), Box::default);
        let member = |p: u32| Member::new(p, masks.get(p as usize).copied().unwrap_or(0));
        // Counted first, so that the pool is built where it stays ([`super::pages`]).
        let pooled: usize = closure.iter().map(|g| g.len() + 1).filter(|&n| n > PrincipalInfo::INLINE).sum();
        // Closures can grow with the square of the groups, which `limits` does not bound: refused by `compile`.
        let pool_full = u32::try_from(pooled).is_err();
        let mut info = Vec::with_capacity(closure.len());
        let members = Pages::build(pooled, Member::VACANT, |pool| {
            let (mut list, mut next) = (Vec::new(), 0);
            for (p, groups) in (0u32..).zip(closure.iter()) {
                list.clear();
                let grants = grant_closure.get(p as usize).map_or(&[][..], |g| &g[..]);
                let filtered = |g: u32| if grants.binary_search(&g).is_ok() { member(g) } else { Member::new(g, 0) };
                list.push(member(p));
                list.extend(groups.iter().copied().map(filtered));
                let person = u32::from(persons.contains_key(&p));
                info.push(PrincipalInfo { person, ..PrincipalInfo::new(&list, pool, &mut next) });
            }
        });
        let ids = IdMap::new(info.iter().zip(0u32..).map(|(info, p)| (names.name(p).as_bytes(), *info)));
        Principals { names, ids, info, members, member_of, persons, pool_full }
    }
}

/// What a check reads of a principal: the principal and the groups of its closure, each with the [`held_bit`]s
/// of its assignments, so that a check skips a principal with nothing in the request's subscription or above it
/// and reads no record of a group's own. It fits a slot of [`Principals::ids`] beside its key, so a principal in
/// at most two groups costs a check one cache line.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(super) struct PrincipalInfo {
    /// The number of members: the principal itself, then its groups; never 0 but in [`idmap::Value::EMPTY`].
    len: u32,
    /// Where the members start in [`Principals::members`] when they do not fit `inline`.
    at: u32,
    inline: [Member; 3],
    /// Nonzero when the tenant's assignments type the principal as a user or service principal
    /// ([`Principals::persons`]): named as a request's group, it grants nothing.
    pub person: u32,
}

// With its sixteen-byte key, a slot of `Principals::ids` is one cache line.
const _: () = assert!(std::mem::size_of::<PrincipalInfo>() <= idmap::VALUE_BYTES);

impl idmap::Value for PrincipalInfo {
    const EMPTY: PrincipalInfo = PrincipalInfo { len: 0, at: 0, inline: [Member::VACANT; 3], person: 0 };
    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PrincipalInfo {
    /// How many members fit in the record itself.
    const INLINE: usize = 3;

    /// The record of `list` (the principal, then its groups), which goes to `pool` from `next` when it does not
    /// fit, and moves `next` past it.
    fn new(list: &[Member], pool: &mut [Member], next: &mut usize) -> PrincipalInfo {
        let mut inline = [Member::VACANT; PrincipalInfo::INLINE];
        // Total: a closure holds at most every principal, which `limits` keeps under `MAX_IDS`.
        let len = u32::try_from(list.len()).unwrap_or(0);
        let mut at = 0;
        if list.len() <= inline.len() {
            for (slot, m) in inline.iter_mut().zip(list) {
                *slot = *m;
            }
        } else {
            // `compile` refuses a pool past `u32` offsets (`pool_full`).
            at = u32::try_from(*next).unwrap_or(u32::MAX);
            if let Some(room) = pool.get_mut(*next..*next + list.len()) {
                room.copy_from_slice(list);
            }
            *next += list.len();
        }
        PrincipalInfo { len, at, inline, person: 0 }
    }

    /// The principal and its groups, one slice so that a check's loop over them is inlined once.
    #[inline(always)]
    pub fn members<'a>(&'a self, pool: &'a [Member]) -> &'a [Member] {
        let len = self.len as usize;
        let list = if len <= self.inline.len() { self.inline.get(..len) } else { pool.get(self.at as usize..) };
        list.and_then(|l| l.get(..len)).unwrap_or_default()
    }
}

/// A group in a closure and its [`held_bit`] mask, in two halves so that the entry takes twelve bytes.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(super) struct Member {
    pub id: u32,
    mask: [u32; 2],
}

impl Member {
    /// A slot past a record's members (or the pool's), which a check never reads.
    const VACANT: Member = Member { id: u32::MAX, mask: [0; 2] };

    fn new(id: u32, mask: u64) -> Member {
        // Truncation splits the mask into its halves.
        #[allow(clippy::cast_possible_truncation)]
        let halves = [mask as u32, (mask >> 32) as u32];
        Member { id, mask: halves }
    }

    #[inline(always)]
    pub fn mask(&self) -> u64 {
        u64::from(self.mask[0]) | (u64::from(self.mask[1]) << 32)
    }
}

/// The filter bit of a principal's assignment in subscription `node` for [`Member::mask`]: the low 48 bits stand
/// for subscriptions, the high 16 ([`out_bit`]) for the scope nodes of assignments outside any subscription, so
/// that a check asks [`Assignments::held`] only for the keys a principal can have.
#[inline(always)]
pub(super) fn in_bit(node: u32) -> u64 {
    1 << (node % 48)
}

/// The filter bit of a principal's assignment at scope `node` outside any subscription (see [`in_bit`]).
#[inline(always)]
pub(super) fn out_bit(node: u32) -> u64 {
    1 << (48 + node % 16)
}

fn held_bit(h: &Held) -> u64 {
    match h.subscription.get() {
        Some(s) => in_bit(s),
        None => out_bit(h.node),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Scopes

/// Scope-node bits kept beside the node in its slot ([`CiMap::set_aux`]) and in [`SubscriptionNode`]: what a
/// check asks of an ancestor first, answered by the slot that finds it.
///
/// Bit 0 (`LIVE`): an assignment or deny assignment sits at the node; bit 1 (`DENY`): an enforced deny
/// assignment does; bit 2 (`DENY_BELOW`, subscriptions only): one sits below it ([`Scopes::denies_below`]); the bits
/// from 3 up say which of [`Scopes::chains`] is above a subscription or management group ([`ChainRef`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub(super) struct ScopeAux(u16);

/// Which chain of management groups is above a node, as [`ScopeAux`] says.
pub(super) enum ChainRef {
    /// Not in the bits (chains past what fits, and nodes that are no subscription or management group): ask
    /// [`Scopes::node_chain`].
    Lookup,
    /// The default chain.
    Default,
    /// Chain `k`.
    Chain(u32),
}

impl ScopeAux {
    const LIVE: u16 = 1;
    const DENY: u16 = 2;
    const DENY_BELOW: u16 = 4;
    const CHAIN_SHIFT: u16 = 3;

    /// The bits of a node at which an assignment or deny assignment sits (`live`), an enforced deny one among
    /// them (`deny`).
    fn new(live: bool, deny: bool) -> ScopeAux {
        ScopeAux(if live { ScopeAux::LIVE | if deny { ScopeAux::DENY } else { 0 } } else { 0 })
    }

    /// These bits and, for a subscription, whether an enforced deny assignment sits below it.
    fn with_deny_below(self, below: bool) -> ScopeAux {
        ScopeAux(self.0 | if below { ScopeAux::DENY_BELOW } else { 0 })
    }

    /// These bits and the chain of [`Scopes::node_chain`]: `None` for a node that has no entry there, the
    /// default chain for an entry of none.
    fn with_chain(self, chain: Option<OptId>) -> ScopeAux {
        // Deliberate: a chain index that does not fit the bits left is 0, which sends the walk to `node_chain`.
        let bits = match chain.map(OptId::get) {
            Some(None) => 1,
            Some(Some(k)) => k
                .checked_add(2)
                .and_then(|k| u16::try_from(k).ok())
                .filter(|&k| k <= u16::MAX >> ScopeAux::CHAIN_SHIFT)
                .unwrap_or(0),
            None => 0,
        };
        ScopeAux(self.0 | bits << ScopeAux::CHAIN_SHIFT)
    }

    /// The bits as a [`CiMap`] slot holds them.
    #[inline(always)]
    pub fn from_bits(bits: u16) -> ScopeAux {
        ScopeAux(bits)
    }

    fn bits(self) -> u16 {
        self.0
    }

    #[inline(always)]
    pub fn live(self) -> bool {
        self.0 & ScopeAux::LIVE != 0
    }

    #[inline(always)]
    pub fn deny(self) -> bool {
        self.0 & ScopeAux::DENY != 0
    }

    #[inline(always)]
    pub fn deny_below(self) -> bool {
        self.0 & ScopeAux::DENY_BELOW != 0
    }

    #[inline(always)]
    pub fn chain(self) -> ChainRef {
        match self.0 >> ScopeAux::CHAIN_SHIFT {
            0 => ChainRef::Lookup,
            1 => ChainRef::Default,
            k => ChainRef::Chain(u32::from(k - 2)),
        }
    }
}

/// The scopes of the tenant: the nodes assignments and deny assignments sit at, subscriptions and the
/// management-group hierarchy.
#[derive(Debug)]
pub(super) struct Scopes {
    /// Scopes keyed by their segment-chained hash ([`cimap::path_hash`]), each with its [`ScopeAux`].
    pub map: CiMap,
    /// The subscription nodes whose ids are GUIDs ([`idmap`]), by id, with their aux bits: a check of a scope in
    /// such a subscription looks it up only here.
    pub subscription_ids: IdMap<SubscriptionNode>,
    /// The node of `/`.
    pub root: u32,
    /// The aux bits of `root`; every other node's are kept in its slot of `map`.
    pub root_aux: ScopeAux,
    /// Bit `d` (bit 63 for 63 and deeper): some scope with `d` segments is live, or `d` is where a subscription
    /// (2) or management group (4) sits. A check looks up only these prefixes of the request scope.
    pub depths: u64,
    /// Scope node of a subscription or management group → index into `chains` of the management groups above
    /// it; none for other nodes. Unknown subscriptions and management groups use `default_chain`.
    pub node_chain: Vec<OptId>,
    /// The live management-group nodes above a subscription or management group, with their aux bits.
    pub chains: Vec<Box<[(u32, ScopeAux)]>>,
    /// `chains` with every management group, live or not: which scopes lie below a management group, for the
    /// reverse queries.
    pub all_chains: Vec<Box<[u32]>>,
    pub default_chain: u32,
    /// Subscription node → the nodes below it where enforced deny assignments sit, sorted by subscription: a
    /// check of a scope in a subscription looks up no other prefix, so it tests these as text.
    pub denies_below: Vec<(u32, Box<[u32]>)>,
}

/// A subscription's scope node and its aux bits, as [`Scopes::subscription_ids`] holds them.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(super) struct SubscriptionNode {
    pub node: u32,
    pub aux: ScopeAux,
    pad: u16,
}

impl idmap::Value for SubscriptionNode {
    const EMPTY: SubscriptionNode = SubscriptionNode { node: u32::MAX, aux: ScopeAux(0), pad: 0 };
    fn is_empty(&self) -> bool {
        self.node == u32::MAX
    }
}

impl Scopes {
    /// The node of a scope interned at compile time, if any.
    pub fn node(&self, scope: &str) -> Option<u32> {
        self.map.get_hashed(cimap::path_hash(scope), scope)
    }

    /// The nodes below subscription node `owner` where enforced deny assignments sit.
    #[inline]
    pub fn denies_below(&self, owner: u32) -> &[u32] {
        let at = self.denies_below.binary_search_by_key(&owner, |d| d.0).ok();
        at.and_then(|i| self.denies_below.get(i)).map_or(&[][..], |d| &d.1[..])
    }
}

/// [`Scopes`] while the passes intern scopes: the hierarchy first, then assignments' and deny assignments'.
struct ScopeNames {
    map: CiMap,
    root: u32,
    /// Scope node → whether an assignment or deny assignment sits at it.
    live: Vec<bool>,
    node_chain: Vec<OptId>,
    /// The management groups above a subscription or management group as the hierarchy gives them.
    chains: Vec<Box<[u32]>>,
    default_chain: u32,
}

/// The bit of [`Scopes::depths`] for scopes with `depth` segments.
pub(super) fn depth_bit(depth: usize) -> u64 {
    1 << depth.min(63)
}

fn mg_scope(id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{id}")
}

impl ScopeNames {
    fn new() -> ScopeNames {
        let mut map = CiMap::without_names();
        let root = map.intern_hashed(cimap::path_hash("/"), "/");
        ScopeNames { map, root, live: Vec::new(), node_chain: Vec::new(), chains: Vec::new(), default_chain: 0 }
    }

    /// Interns a canonical scope.
    fn intern(&mut self, scope: &str) -> u32 {
        self.map.intern_hashed(cimap::path_hash(scope), scope)
    }

    /// The node of `scope` and of its subscription (none outside any), both interned, and marked live.
    fn place(&mut self, scope: &Scope) -> (u32, OptId) {
        let node = if scope.kind() == ScopeKind::Root { self.root } else { self.intern(scope.as_str()) };
        let subscription = scope.subscription().map(|s| self.intern(&format!("/subscriptions/{s}")));
        if self.live.len() <= node as usize {
            self.live.resize(node as usize + 1, false);
        }
        if let Some(l) = self.live.get_mut(node as usize) {
            *l = true;
        }
        (node, subscription.into())
    }

    /// Interns the management-group hierarchy: every chain of management groups above a subscription or a
    /// management group, and the default chain.
    fn hierarchy(&mut self, tenant: &Tenant) {
        let h = &tenant.hierarchy;
        let parent: HashMap<String, Option<String>> =
            h.management_groups.iter().map(|(m, p)| (m.key(), p.as_ref().map(|p| p.key()))).collect();
        let root = h.tenant_id.as_ref().map(|t| t.key());
        // The chain of management-group scopes from `start` upwards, ending at the tenant root when it is known.
        let chain_from = |s: &mut ScopeNames, start: Option<String>| -> u32 {
            let mut nodes: Vec<u32> = Vec::new();
            let mut seen: Vec<String> = Vec::new();
            let mut cur = start;
            while let Some(m) = cur {
                if seen.contains(&m) {
                    break;
                }
                nodes.push(s.intern(&mg_scope(&m)));
                cur = parent.get(&m).cloned().flatten();
                seen.push(m);
            }
            if let Some(r) = root.as_ref().filter(|r| !seen.contains(r)) {
                nodes.push(s.intern(&mg_scope(r)));
            }
            s.chains.push(nodes.into_boxed_slice());
            // Total: one chain per hierarchy entry and the default, which the scope count of `limits` bounds.
            u32::try_from(s.chains.len() - 1).unwrap_or(u32::MAX)
        };
        self.default_chain = chain_from(self, None);
        let set_chain = |s: &mut ScopeNames, node: u32, chain: u32| {
            if s.node_chain.len() <= node as usize {
                s.node_chain.resize(node as usize + 1, OptId::NONE);
            }
            if let Some(slot) = s.node_chain.get_mut(node as usize) {
                *slot = OptId::some(chain);
            }
        };
        for (sub, mg) in &h.subscriptions {
            let chain = chain_from(self, Some(mg.key()));
            let node = self.intern(&format!("/subscriptions/{}", sub.as_str()));
            set_chain(self, node, chain);
        }
        for (mg, p) in &h.management_groups {
            let chain = chain_from(self, p.as_ref().map(|p| p.key()));
            let node = self.intern(&mg_scope(mg.as_str()));
            set_chain(self, node, chain);
        }
    }

    /// The last pass over scopes, once every one is interned: each node's [`ScopeAux`] and the lookups built on
    /// them.
    fn finish(self, denies: &Denies) -> Scopes {
        let ScopeNames { mut map, root, mut live, mut node_chain, chains, default_chain } = self;
        live.resize(map.len(), false);
        node_chain.resize(map.len(), OptId::NONE);
        let mut below: Vec<(u32, u32)> = denies
            .list
            .iter()
            .filter_map(|d| Some((d.subscription.get()?, d.node)))
            .filter(|&(s, node)| node != s)
            .collect();
        below.sort_unstable();
        below.dedup();
        let denies_below: Vec<(u32, Box<[u32]>)> = below
            .chunk_by(|a, b| a.0 == b.0)
            .filter_map(|chunk| Some((chunk.first()?.0, chunk.iter().map(|&(_, n)| n).collect())))
            .collect();
        let mut depths = 0b10100;
        // Total here and below: `limits` keeps the scope nodes under `MAX_IDS`.
        for (node, _) in live.iter().enumerate().filter(|(_, l)| **l) {
            let name = u32::try_from(node).map_or("", |n| map.name(n));
            depths |= depth_bit(name.split('/').filter(|s| !s.is_empty()).count());
        }
        let aux = |node: usize| {
            let deny = denies.at.get(node).is_some_and(|d| !d.is_empty());
            ScopeAux::new(live.get(node).copied().unwrap_or(false), deny)
        };
        let mut subscriptions = Vec::new();
        for node in 0..map.len() {
            let n = u32::try_from(node).unwrap_or(u32::MAX);
            let below = denies_below.binary_search_by_key(&n, |d| d.0).is_ok();
            let bits = aux(node).with_deny_below(below).with_chain(node_chain.get(node).copied());
            map.set_aux(n, bits.bits());
            let id = map.lowered_key(n).strip_prefix(b"/subscriptions/");
            if id.is_some_and(|id| id.len() == idmap::LEN && !id.contains(&b'/')) {
                subscriptions.push((n, bits));
            }
        }
        let ids = subscriptions.iter().map(|&(node, aux)| {
            let id = map.lowered_key(node).get(b"/subscriptions/".len()..).unwrap_or_default();
            (id, SubscriptionNode { node, aux, pad: 0 })
        });
        let subscription_ids = IdMap::new(ids);
        let all_chains = chains;
        let chains = all_chains
            .iter()
            .map(|chain| chain.iter().map(|&n| (n, aux(n as usize))).filter(|&(_, a)| a.live()).collect())
            .collect();
        let root_aux = aux(root as usize);
        Scopes {
            map,
            subscription_ids,
            root,
            root_aux,
            depths,
            node_chain,
            chains,
            all_chains,
            default_chain,
            denies_below,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Roles

/// A compiled permission block: per plane, the grant patterns (with their index in the original list) and the
/// exclusions, which are only matched and so have no index to fit. A block whose exclusions cannot be read grants
/// nothing (semantics §2.2), so it is `dead`.
#[derive(Debug, Default)]
pub(super) struct Block {
    pub grants: [Vec<(u16, Pattern)>; 2],
    pub excludes: [Vec<Pattern>; 2],
    pub dead: bool,
    pub conditional: bool,
    /// The block's condition ([`Conditions`]).
    pub condition: OptId,
}

impl Block {
    fn compile(p: &Permission, condition: OptId) -> Block {
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
    pub fn grant(&self, op: &str, plane: Plane) -> Option<u16> {
        if self.dead {
            return None;
        }
        let i = plane_index(plane);
        let (grants, excludes) = (self.grants.get(i)?, self.excludes.get(i)?);
        let hit = grants.iter().find(|(_, p)| p.matches(op))?.0;
        (!excludes.iter().any(|p| p.matches(op))).then_some(hit)
    }
}

/// An entry of [`Roles::grant_list`].
#[derive(Clone, Copy, Debug)]
pub(super) struct FirstGrant {
    pub block: u16,
    pub pattern: u16,
    /// The exact pattern's operation id, or none for a block that has to be matched.
    pub op: OptId,
}

/// A role's sole grant on a plane, `block << 16 | pattern`: exactly one block of the role has grant patterns on
/// the plane, that block is readable and unconditional, and it has exactly one; then whatever the role grants
/// there, that pattern grants. `u32::MAX` when the role has none (see [`Roles::first_grant`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SoleGrant(u32);

impl SoleGrant {
    const NONE: SoleGrant = SoleGrant(u32::MAX);

    fn new(block: u16, pattern: u16) -> SoleGrant {
        SoleGrant(u32::from(block) << 16 | u32::from(pattern))
    }

    /// The block and the pattern, when there is a sole grant.
    #[inline(always)]
    pub fn get(self) -> Option<(u16, u16)> {
        // Total: a `u16` block over a `u16` pattern.
        #[allow(clippy::cast_possible_truncation)]
        (self != SoleGrant::NONE).then_some(((self.0 >> 16) as u16, self.0 as u16))
    }
}

/// Operation aux bits in [`Roles::vocab`]: the catalog plane when it is unique, and whether the name is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OpAux(u16);

impl OpAux {
    const CONTROL: u16 = 1;
    const DATA: u16 = 2;
    /// Set on an operation whose name [`is_operation_name`] accepts.
    const VALID_NAME: u16 = 4;

    fn new(answer: PlaneAnswer, valid: bool) -> OpAux {
        let plane = match answer {
            PlaneAnswer::Control => OpAux::CONTROL,
            PlaneAnswer::Data => OpAux::DATA,
            PlaneAnswer::Both | PlaneAnswer::Unknown => 0,
        };
        OpAux(plane | if valid { OpAux::VALID_NAME } else { 0 })
    }

    /// The bits as a [`CiMap`] slot holds them.
    #[inline(always)]
    pub fn from_bits(bits: u16) -> OpAux {
        OpAux(bits)
    }

    /// The catalog's plane for the operation, when it gives a unique one.
    #[inline(always)]
    pub fn plane(self) -> Option<Plane> {
        match self.0 & (OpAux::CONTROL | OpAux::DATA) {
            OpAux::CONTROL => Some(Plane::Control),
            OpAux::DATA => Some(Plane::Data),
            _ => None,
        }
    }

    /// Whether the operation's name is valid.
    #[inline(always)]
    pub fn valid_name(self) -> bool {
        self.0 & OpAux::VALID_NAME != 0
    }
}

/// The roles: their blocks, the operations they name, and which roles grant which operation.
#[derive(Debug, Default)]
pub(super) struct Roles {
    pub blocks: Vec<Vec<Block>>,
    /// Role → per plane, its [`SoleGrant`].
    pub sole_grant: Vec<[SoleGrant; 2]>,
    /// Role → per plane, its range of `grant_list`: what [`Roles::first_grant`] walks for the other roles.
    pub grant_ranges: Vec<[(u32, u32); 2]>,
    /// Per role and plane, its unconditional readable blocks in order: a block of exact patterns and no
    /// exclusions as one entry per pattern with the operation's vocabulary id, so that finding the pattern
    /// compares ids in one cache line instead of matching text held elsewhere; any other block as one entry that
    /// says to match it.
    pub grant_list: Vec<FirstGrant>,
    /// The operations roles name exactly; each key's aux bits are its [`OpAux`], so that a check learns the plane
    /// from the slot it already read instead of a second, dependent load.
    pub vocab: CiMap,
    /// Which roles grant an operation on a plane, without and with a condition.
    pub grants: GrantBits,
    /// Operation → where it is named, as [`OpPlanes`] bits: the vocabulary that [`super::Engine::vocabulary`]
    /// lists, which `OpAux` cannot say (it has no plane for an operation listed in both).
    pub named: Vec<u8>,
}

/// Where an operation of the vocabulary is named: in the catalog on a plane, or in a role's list of a plane.
pub(super) struct OpPlanes;

impl OpPlanes {
    pub const CATALOG_CONTROL: u8 = 1;
    pub const CATALOG_DATA: u8 = 2;
    pub const ROLE_CONTROL: u8 = 4;
    pub const ROLE_DATA: u8 = 8;
}

impl Roles {
    fn compile(tenant: &Tenant, catalog: &Catalog, conditions: &mut Conditions) -> Roles {
        let mut blocks = Vec::with_capacity(tenant.roles.len());
        for r in &tenant.roles {
            let mut compiled = Vec::with_capacity(r.permissions.len());
            for p in &r.permissions {
                let condition = conditions.intern(p.condition.as_ref().map(|t| t.value.as_str()));
                compiled.push(Block::compile(p, condition));
            }
            blocks.push(compiled);
        }
        let sole_grant = blocks.iter().map(|b: &Vec<Block>| [0, 1].map(|pi| sole_grant(b, pi))).collect();
        // The vocabulary: catalog operations and every exact action a role names, sorted so that a pattern's
        // literal prefix selects a contiguous range; with where each is named.
        let mut names: Vec<(String, &str, u8)> = catalog
            .operations()
            .iter()
            .map(|o| {
                let plane = if o.is_data_action { OpPlanes::CATALOG_DATA } else { OpPlanes::CATALOG_CONTROL };
                (o.name.to_ascii_lowercase(), o.name.as_str(), plane)
            })
            .collect();
        for r in &tenant.roles {
            for p in &r.permissions {
                let lists = [
                    (&p.actions, OpPlanes::ROLE_CONTROL),
                    (&p.not_actions, OpPlanes::ROLE_CONTROL),
                    (&p.data_actions, OpPlanes::ROLE_DATA),
                    (&p.not_data_actions, OpPlanes::ROLE_DATA),
                ];
                for (e, plane) in lists {
                    for a in e.items() {
                        if let Some(pat) = a.pattern().filter(|p| p.is_exact()) {
                            names.push((pat.as_str().to_ascii_lowercase(), pat.as_str(), plane));
                        }
                    }
                }
            }
        }
        // Stable, so that the first spelling of a name (the catalog's before a role's) is the one kept.
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let mut named: Vec<u8> = Vec::with_capacity(names.len());
        names.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.2 |= later.2;
            }
            same
        });
        let mut vocab = CiMap::default();
        for (_, name, planes) in &names {
            let id = vocab.intern(name);
            vocab.set_aux(id, OpAux::new(catalog.plane(name), is_operation_name(name)).0);
            named.push(*planes);
        }
        let (grant_list, grant_ranges) = grant_lists(&blocks, &vocab);
        let lower: Vec<&str> = names.iter().map(|(l, ..)| l.as_str()).collect();
        let grants = grant_bits(&blocks, &lower, tenant.roles.len());
        Roles { blocks, sole_grant, grant_ranges, grant_list, vocab, grants, named }
    }
}

/// The [`SoleGrant`] of a role with `blocks` on the plane with index `pi`.
fn sole_grant(blocks: &[Block], pi: usize) -> SoleGrant {
    let mut with = blocks.iter().enumerate().filter(|(_, b)| b.grants.get(pi).is_some_and(|g| !g.is_empty()));
    match (with.next(), with.next()) {
        (Some((i, b)), None) if !b.dead && !b.conditional => match b.grants.get(pi).map(|g| &g[..]) {
            // Total: `limits` keeps blocks under `MAX_BLOCKS`; none would only mean a slower lookup.
            Some([(pattern, _)]) => u16::try_from(i).map_or(SoleGrant::NONE, |i| SoleGrant::new(i, *pattern)),
            _ => SoleGrant::NONE,
        },
        _ => SoleGrant::NONE,
    }
}

/// [`Roles::grant_list`] and [`Roles::grant_ranges`].
fn grant_lists(blocks: &[Vec<Block>], vocab: &CiMap) -> (Vec<FirstGrant>, Vec<[(u32, u32); 2]>) {
    let mut list = Vec::new();
    let mut ranges = Vec::with_capacity(blocks.len());
    for blocks in blocks {
        // Total: the grant list has at most an entry per role entry, which `limits` counts under `MAX_IDS`, and
        // blocks stay under `MAX_BLOCKS`.
        let range = [0, 1].map(|pi| {
            let from = u32::try_from(list.len()).unwrap_or(u32::MAX);
            for (bi, b) in blocks.iter().enumerate().filter(|(_, b)| !b.dead && !b.conditional) {
                let Ok(block) = u16::try_from(bi) else { continue };
                let grants = b.grants.get(pi).map_or(&[][..], |v| &v[..]);
                let excluded = b.excludes.get(pi).is_some_and(|x| !x.is_empty());
                let ids: Option<Vec<FirstGrant>> = grants
                    .iter()
                    .map(|(pattern, p)| {
                        let op = vocab.get(p.as_str()).filter(|_| p.is_exact() && !excluded)?;
                        Some(FirstGrant { block, pattern: *pattern, op: OptId::some(op) })
                    })
                    .collect();
                match ids {
                    Some(ids) => list.extend(ids),
                    None => list.push(FirstGrant { block, pattern: 0, op: OptId::NONE }),
                }
            }
            (from, u32::try_from(list.len()).unwrap_or(u32::MAX))
        });
        ranges.push(range);
    }
    (list, ranges)
}

/// [`Roles::grants`] over the vocabulary `lower` (lower-cased, sorted).
fn grant_bits(blocks: &[Vec<Block>], lower: &[&str], roles: usize) -> GrantBits {
    let mut bits = GrantBitsBuilder::new(lower.len(), roles);
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
    for (role, blocks) in blocks.iter().enumerate() {
        for b in blocks.iter().filter(|b| !b.dead) {
            for plane in [Plane::Control, Plane::Data] {
                let pi = plane_index(plane);
                let grants = b.grants.get(pi).map_or(&[][..], |v| &v[..]);
                let excludes = b.excludes.get(pi).map_or(&[][..], |v| &v[..]);
                // The operations the exclusions match, found as the grants' are: matching every granted operation
                // against every exclusion is quadratic (`*` less 65,536 `NotActions`).
                let excluded: std::collections::HashSet<u32> = excludes.iter().flat_map(&mut ops_of).collect();
                for (_, pat) in grants {
                    for op in ops_of(pat).into_iter().filter(|op| !excluded.contains(op)) {
                        bits.set(op, plane, role, b.conditional);
                    }
                }
            }
        }
    }
    bits.build()
}

// ---------------------------------------------------------------------------------------------------------
// Assignments

/// An assignment a principal holds, with its scope node and that scope's subscription node (none outside any
/// subscription); sorted by subscription, those outside any last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    subscription: OptId,
    node: u32,
    assignment: u32,
}

/// An assignment and the scope node it sits at.
#[derive(Clone, Copy, Debug)]
pub(super) struct Placed {
    pub node: u32,
    pub assignment: u32,
}

/// The role assignments.
#[derive(Debug, Default)]
pub(super) struct Assignments {
    /// The assignments by (principal, subscription), in the order of `placed`.
    pub held: HeldMap,
    /// Principal → its assignments in the order a check meets them: by subscription, those outside any last.
    pub placed: Vec<Box<[Placed]>>,
    /// Assignment → its role; none for a role the tenant does not define (RL010, fatal), which grants nothing.
    pub role: Vec<OptId>,
    pub conditional: Vec<bool>,
    /// Assignment → its condition ([`Conditions`]).
    pub condition: Vec<OptId>,
}

/// The assignments as the first pass over them reads them, before the roles and scopes are complete.
struct Listed {
    role: Vec<OptId>,
    conditional: Vec<bool>,
    condition: Vec<OptId>,
    by_principal: Vec<Box<[Held]>>,
}

impl Listed {
    fn compile(tenant: &Tenant, names: &mut CiMap, scopes: &mut ScopeNames, conditions: &mut Conditions) -> Listed {
        // A role without an id cannot be assigned; `limits` keeps the role indices under `MAX_IDS`.
        let role_index: HashMap<String, u32> = tenant
            .roles
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.id.as_ref()?.key(), u32::try_from(i).ok()?)))
            .collect();
        let n = tenant.assignments.len();
        let mut out = Listed {
            role: Vec::with_capacity(n),
            conditional: Vec::with_capacity(n),
            condition: Vec::with_capacity(n),
            by_principal: Vec::new(),
        };
        let mut lists: Vec<Vec<Held>> = vec![Vec::new(); names.len()];
        for (i, a) in tenant.assignments.iter().enumerate() {
            // Total: `limits` keeps the assignments under `MAX_IDS`. An unknown role (RL010, fatal) grants nothing.
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            out.role.push(role_index.get(&a.role_id.key()).copied().into());
            out.conditional.push(a.condition.is_some());
            out.condition.push(conditions.intern(a.condition.as_ref().map(|t| t.value.as_str())));
            // A placeholder, template or malformed scope never grants.
            let Some(scope) = a.scope.scope() else { continue };
            let (node, subscription) = scopes.place(scope);
            let p = names.intern(a.principal_id.as_str());
            lists.resize_with(names.len(), Vec::new);
            if let Some(l) = lists.get_mut(p as usize) {
                l.push(Held { subscription, node, assignment: i });
            }
        }
        out.by_principal = lists
            .into_iter()
            .map(|mut l| {
                l.sort_unstable();
                l.into_boxed_slice()
            })
            .collect();
        out
    }
}

impl Assignments {
    /// The assignments of `listed`, once `roles` and every scope of `scopes` are in; with each principal's
    /// [`held_bit`]s.
    fn compile(listed: Listed, roles: &Roles, scopes: &CiMap) -> (Assignments, Vec<u64>) {
        let Listed { role, conditional, condition, by_principal } = listed;
        let role_of = |a: u32| role.get(a as usize).copied().unwrap_or(OptId::NONE);
        let conditional_of = |a: u32| conditional.get(a as usize).copied().unwrap_or(true);
        let sole = |role: OptId| {
            let planes = role.get().and_then(|r| roles.sole_grant.get(r as usize)).copied();
            planes.unwrap_or([SoleGrant::NONE; 2]).map(|s| NarrowSole::new(s.get()))
        };
        // A text of `u16::MAX` bytes or more is marked so and then found by its node: slower, the same answer.
        let text = |node: u32| {
            let (at, len) = scopes.key_range(node);
            (at, u16::try_from(len).ok().filter(|&l| l != u16::MAX).unwrap_or(u16::MAX))
        };
        let entries = (0u32..).zip(&by_principal).flat_map(|(p, list)| {
            list.iter().map(move |h| {
                let a = h.assignment;
                let (text_at, text_len) = text(h.node);
                let entry = held::Entry {
                    node: h.node,
                    assignment: a,
                    role: role_of(a),
                    text_at,
                    text_len,
                    conditional: conditional_of(a),
                    last: true,
                    sole: sole(role_of(a)),
                };
                (p, h.subscription, entry)
            })
        });
        let held = HeldMap::new(by_principal.iter().map(|l| l.len()).sum(), entries);
        let masks = by_principal.iter().map(|list| list.iter().fold(0, |m, h| m | held_bit(h))).collect();
        let placed = by_principal
            .into_iter()
            .map(|list| list.iter().map(|h| Placed { node: h.node, assignment: h.assignment }).collect())
            .collect();
        (Assignments { held, placed, role, conditional, condition }, masks)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Deny assignments

/// An enforced deny assignment.
#[derive(Debug)]
pub(super) struct Deny {
    /// Index into `Tenant::deny_assignments`.
    pub index: u32,
    pub node: u32,
    /// The node of the scope's subscription, or none outside any.
    pub subscription: OptId,
    pub children: bool,
    pub everyone: bool,
    pub principals: Box<[u32]>,
    pub excludes: Box<[u32]>,
    pub blocks: Vec<Block>,
    /// The deny assignment's own condition ([`Conditions`]).
    pub condition: OptId,
}

/// The enforced deny assignments, by where they sit.
#[derive(Debug, Default)]
pub(super) struct Denies {
    pub list: Vec<Deny>,
    /// Scope node → indices into `list` of the deny assignments at it.
    pub at: Vec<Vec<u32>>,
}

impl Denies {
    fn compile(tenant: &Tenant, names: &mut CiMap, scopes: &mut ScopeNames, conditions: &mut Conditions) -> Denies {
        let mut list = Vec::new();
        for (i, d) in tenant.deny_assignments.iter().enumerate() {
            // A deny whose scope could not be read fails the load; nothing unreadable reaches here. Audit-only
            // denies never block, but they are live: explain reports them when they are in scope.
            let Some(scope) = d.scope.scope() else { continue };
            let (node, subscription) = scopes.place(scope);
            if d.effect == DenyEffect::Audit {
                continue;
            }
            let mut ids = |list: &[crate::model::Principal]| -> Box<[u32]> {
                let mut v: Vec<u32> =
                    list.iter().filter(|p| !p.is_everyone()).map(|p| names.intern(p.id.as_str())).collect();
                v.sort_unstable();
                v.dedup();
                v.into_boxed_slice()
            };
            let principals = ids(&d.principals);
            let excludes = ids(&d.exclude_principals);
            let blocks = d
                .permissions
                .iter()
                .map(|p| Block::compile(p, conditions.intern(p.condition.as_ref().map(|t| t.value.as_str()))))
                .collect();
            let condition = conditions.intern(d.condition.as_ref().map(|t| t.value.as_str()));
            list.push(Deny {
                // Total: `limits` keeps the deny assignments under `MAX_IDS`.
                index: u32::try_from(i).unwrap_or(u32::MAX),
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
        let mut at = vec![Vec::new(); scopes.map.len()];
        for (i, d) in (0u32..).zip(&list) {
            if let Some(v) = at.get_mut(d.node as usize) {
                v.push(i);
            }
        }
        Denies { list, at }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Conditions

/// Every distinct condition text once, parsed and type-checked once however many blocks and assignments carry it.
#[derive(Debug, Default)]
pub(super) struct Conditions {
    /// `None` where a condition failed to parse or type-check (its grant never allows, its deny always applies).
    pub list: Vec<Option<Condition>>,
    ids: HashMap<String, u32>,
}

impl Conditions {
    /// Interns a condition text; none for no text.
    fn intern(&mut self, text: Option<&str>) -> OptId {
        let Some(text) = text else { return OptId::NONE };
        if let Some(&id) = self.ids.get(text) {
            return OptId::some(id);
        }
        // Total: `limits` counts every condition site under `MAX_IDS`.
        let id = OptId::from_index(self.list.len());
        self.list.push(Condition::parse(text).ok());
        if let Some(i) = id.get() {
            self.ids.insert(text.to_owned(), i);
        }
        id
    }

    /// The compiled condition `id`, when there is one and it parsed.
    pub fn get(&self, id: OptId) -> Option<&Condition> {
        id.get().and_then(|id| self.list.get(id as usize)).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The aux bits read back as they were set, and a chain index past what fits sends the walk to `node_chain`.
    #[test]
    fn scope_aux_round_trips() {
        let a = ScopeAux::new(true, true).with_deny_below(true).with_chain(Some(OptId::some(5)));
        assert!(a.live() && a.deny() && a.deny_below());
        assert!(matches!(ScopeAux::from_bits(a.bits()).chain(), ChainRef::Chain(5)));
        let b = ScopeAux::new(false, true).with_chain(Some(OptId::NONE));
        assert!(!b.live() && !b.deny() && !b.deny_below());
        assert!(matches!(b.chain(), ChainRef::Default));
        assert!(matches!(ScopeAux::default().with_chain(None).chain(), ChainRef::Lookup));
        assert!(matches!(ScopeAux::default().with_chain(Some(OptId::some(1 << 13))).chain(), ChainRef::Lookup));
        assert!(matches!(ScopeAux::default().with_chain(Some(OptId::some((1 << 13) - 3))).chain(), ChainRef::Chain(_)));
    }

    #[test]
    fn sole_grant_round_trips() {
        assert_eq!(SoleGrant::new(u16::MAX, 3).get(), Some((u16::MAX, 3)));
        assert_eq!(SoleGrant::new(0, 0).get(), Some((0, 0)));
        assert_eq!(SoleGrant::NONE.get(), None);
    }
}
