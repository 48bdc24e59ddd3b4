//! Deciding a request (semantics §3). [`Compiled::check_in`] reads as the rules do: look up what is in scope, then
//! rule 1 (an enforced deny assignment that targets the request and grants the action denies it), rule 2 (a role
//! assignment in scope whose role grants the action and whose conditions hold allows it), rule 3 (otherwise not
//! allowed). The lookups, with their prefetches and filters, are [`Compiled::look_up`], out of the rules' way.

use super::compile::{
    ChainRef, Compiled, Conditions, Deny, OpAux, PrincipalInfo, Principals, Roles, ScopeAux, Scopes, depth_bit, in_bit,
    out_bit,
};
use super::fixed::Fixed;
use super::held::Entry;
use super::ids::OptId;
use super::scan::{Ends, OwnerKey, RequestScope, Split};
use super::scratch::{FoundSets, IdKey, NodeSet, Prefix, Prefixes, Scratch, TextBufs};
use super::{ConditionSite, Decision, Plane, PlaneHint, Reason, ReasonKind, Request, cimap, plane_index};
use crate::action::is_operation_name;
use crate::condition::{Context, Tri};

/// What [`Compiled::look_up`] found that the rules read, besides the sets it filled.
struct Looked<'t> {
    /// The operation's vocabulary id, when it has one.
    op: Option<u32>,
    plane: Plane,
    /// The node of the request scope itself.
    exact: Option<u32>,
    /// Whether the nodes below the subscription were left out of the ancestors, to be tested as text.
    by_text: bool,
    /// The request scope, lower-cased.
    lowered: &'t [u8],
}

impl Compiled {
    /// Decides a request in the thread's `scratch`.
    pub(super) fn check_in(&self, req: &Request<'_>, scratch: &mut Scratch) -> Decision {
        let Scratch { text, found } = scratch;
        let q = match self.look_up(req, text, found) {
            Ok(q) => q,
            Err(kind) => return Decision::NotAllowed(Reason::of(kind)),
        };
        // 1. Deny assignments first: any enforced one that targets the request and grants the action blocks.
        if let Some(reason) = self.denied(req, &q, found) {
            return Decision::Denied(reason);
        }
        // 2. Then role assignments: any unconditional grant in scope allows; a conditional one is evaluated.
        // 3. Otherwise not allowed, with the first condition that was not met if there was one.
        self.granted(req, &q, found)
    }

    /// Rule 1: the first enforced deny assignment at a live ancestor of the scope (`found.denied`) that targets
    /// the request's principals and blocks the action.
    #[inline(always)]
    fn denied(&self, req: &Request<'_>, q: &Looked<'_>, found: &FoundSets) -> Option<Reason> {
        let member = |set: &[u32]| found.principals.iter().any(|p| set.binary_search(&p).is_ok());
        for node in found.denied.iter() {
            for &d in self.denies.at.get(node as usize).map_or(&[][..], |v| &v[..]) {
                // Total: `at` holds indices into `list` only, so no deny is skipped here.
                let Some(deny) = self.denies.list.get(d as usize) else { continue };
                if deny_targets(deny, node, q.exact, member) != DenyTarget::Targets {
                    continue;
                }
                if let Some(reason) = self.deny_applies(deny, req, q.plane) {
                    return Some(reason);
                }
            }
        }
        None
    }

    /// Rule 2: allowed by the first assignment of the request's principals (`found.keys`) in scope whose role
    /// grants the action and whose conditions hold; else (rule 3) not allowed, naming the first unmet condition.
    #[inline(always)]
    fn granted(&self, req: &Request<'_>, q: &Looked<'_>, found: &FoundSets) -> Decision {
        let mut not_met: Option<Reason> = None;
        for &(p, s) in found.keys.iter() {
            for e in self.assignments.held.get(p, s) {
                // Below the subscription, `anc` holds only what was looked up; the rest is tested as text.
                let in_scope = found.anc.contains(e.node)
                    || (q.by_text && !s.is_none() && self.scopes.entry_within(&e, q.lowered));
                if !in_scope {
                    continue;
                }
                let Some(role) = e.role.get() else { continue };
                let (plain, conditional) = self.roles.role_grants(q.op, req.action, q.plane, role);
                if plain && !e.conditional {
                    let (block, pattern) = match e.sole_grant(plane_index(q.plane)) {
                        Some((block, pattern)) => (Some(block), Some(pattern)),
                        None => self.roles.first_grant(role, q.op, req.action, q.plane),
                    };
                    return Decision::Allowed(Reason {
                        kind: ReasonKind::Granted,
                        assignment: Some(e.assignment),
                        role: Some(role),
                        block,
                        pattern,
                        plane: Some(q.plane),
                        ..Reason::of(ReasonKind::Granted)
                    });
                }
                if plain || conditional {
                    match self.conditional_grant(e.assignment, role, req, q.plane) {
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

    /// Looks up everything the rules read: the operation and plane, the live ancestors of the scope (and those
    /// with an enforced deny assignment) and the request's principals with the keys of their assignments that
    /// can be in scope; or why the request is not allowed before any rule.
    #[inline(always)]
    fn look_up<'t>(
        &self,
        req: &Request<'t>,
        text: &'t mut TextBufs,
        found: &mut FoundSets,
    ) -> Result<Looked<'t>, ReasonKind> {
        let TextBufs { scope: sb, action: abuf, principal: pbuf, prefixes } = text;
        let FoundSets { anc, denied, principals, keys } = found;
        let (anc, denied, principals, keys) = (anc.cleared(), denied.cleared(), principals.cleared(), keys.cleared());
        let prefixes = prefixes.cleared();
        // The first table slots are prefetched as soon as the text gives their keys, so that their misses are
        // under way while the scope is scanned, and overlap instead of queueing behind one another.
        let fixed = Fixed::of(req.action.as_bytes());
        let action = if fixed.is_some() { None } else { cimap::lower_hash_plain(req.action, abuf) };
        if let Some(h) = fixed.map(|f| f.hash()).or(action.map(|(_, h, _)| h)) {
            self.roles.vocab.warm(h);
        }
        let principal = IdKey::of(req.principal, pbuf);
        self.principals.warm(&principal);
        let (split, owner) = match RequestScope::scan(req.scope, sb, Ends::Owner) {
            Some(RequestScope { split, owner }) => (Some(split), owner),
            None => (None, None),
        };
        match (&split, owner) {
            (_, Some((_, OwnerKey::Id(p)))) => self.scopes.subscription_ids.warm(&p),
            (_, Some((_, OwnerKey::Hash(hash)))) => self.scopes.map.warm(hash),
            (Some(s), None) => self.scopes.prefixes(s, prefixes),
            (None, None) => {}
        }
        for p in prefixes.iter() {
            self.scopes.map.warm(p.hash);
        }

        let (found, valid) = self.roles.operation(req.action, fixed.as_ref(), action);
        let op = found.map(|(op, _)| op);
        let Some(split) = split.filter(|_| valid) else {
            return Err(ReasonKind::InvalidRequest);
        };
        let Some(plane) = plane(req.plane, found.map(|(_, aux)| aux)) else {
            return Err(ReasonKind::PlaneUnknown);
        };
        if let Some(op) = op {
            self.roles.grants.warm(op, plane);
        }

        let Found { exact, subscription, outside, by_text } = match owner {
            Some((end, key)) => self.scopes.subscription_ancestors(&split, end, key, anc, denied),
            None => self.scopes.ancestors(&split, prefixes, anc, denied),
        };
        let lowered = split.lowered.unwrap_or_default();

        // The principals, and the (principal, subscription) keys of [`super::compile::Assignments::held`] that can
        // hold an assignment in scope, in the order a check meets them: each principal then the groups it is in,
        // its assignments in the request's subscription before those outside any.
        let (want_in, in_sub) = (subscription.map_or(0, in_bit), OptId::from(subscription));
        let mut add = |id: &str, key: IdKey<'_>, group: bool| {
            let Some(info) = self.principals.get(id, key) else { return };
            // A group id the tenant knows as a user or service principal grants nothing (naming one must not
            // borrow its assignments), while deny assignments naming it or its groups still apply (fail closed).
            let grants = !(group && info.person != 0);
            let (want_in, outside) = if grants { (want_in, outside) } else { (0, 0) };
            // Whether a member has anything in scope is as good as random, so the keys are kept without a branch
            // on it (that branch was the check's most mispredicted).
            for m in info.members(&self.principals.members) {
                let (p, mask) = (m.id, m.mask());
                principals.push(p);
                keys.push_if(mask & want_in != 0, (p, in_sub));
                keys.push_if(mask & outside != 0, (p, OptId::NONE));
            }
        };
        add(req.principal, principal, false);
        for g in req.groups.iter() {
            add(g, IdKey::of(g, &mut [0u8; 96]), true);
        }
        for &(p, s) in keys.iter() {
            self.assignments.held.warm(p, s);
        }
        Ok(Looked { op, plane, exact, by_text, lowered })
    }

    /// Evaluates a grant that carries a condition on a block or on the assignment, off the fast path: `Ok` with
    /// the granting reason, or `Err` with the first block's unmet condition (semantics §3.1: block condition AND
    /// assignment condition, Kleene, Unknown does not allow).
    pub(super) fn conditional_grant(
        &self,
        a: u32,
        role: u32,
        req: &Request<'_>,
        plane: Plane,
    ) -> Result<Reason, Reason> {
        let cx = req.condition_context();
        let assignment = self.assignments.condition.get(a as usize).copied().unwrap_or(OptId::NONE);
        let mut on_assignment: Option<(Tri, Option<u16>)> = None;
        let mut not_met = None;
        for (bi, b) in self.roles.blocks.get(role as usize).map_or(&[][..], |v| &v[..]).iter().enumerate() {
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
            let block = self.conditions.evaluate(b.condition, &cx);
            let whole = *on_assignment.get_or_insert_with(|| self.conditions.evaluate(assignment, &cx));
            let (value, site, expr) = match (block, whole) {
                ((Tri::False, e), _) => (Tri::False, ConditionSite::Block, e),
                (_, (Tri::False, e)) => (Tri::False, ConditionSite::Assignment, e),
                ((Tri::Unknown, e), _) => (Tri::Unknown, ConditionSite::Block, e),
                (_, (Tri::Unknown, e)) => (Tri::Unknown, ConditionSite::Assignment, e),
                ((Tri::True, e), _) if !b.condition.is_none() => (Tri::True, ConditionSite::Block, e),
                (_, (Tri::True, e)) => (Tri::True, ConditionSite::Assignment, e),
            };
            if value == Tri::True {
                return Ok(Reason { condition: Some(site), expr, ..base });
            }
            not_met.get_or_insert(Reason { kind: ReasonKind::ConditionNotMet, condition: Some(site), expr, ..base });
        }
        Err(not_met.unwrap_or(Reason::of(ReasonKind::ConditionNotMet)))
    }

    /// Whether an enforced deny assignment that [`deny_targets`] the request blocks it: a block grants the action
    /// and neither its condition nor the deny assignment's is definitely false (semantics §3, rule 1).
    pub(super) fn deny_applies(&self, deny: &Deny, req: &Request<'_>, plane: Plane) -> Option<Reason> {
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
            if !blk.condition.is_none() || !deny.condition.is_none() {
                let cx = req.condition_context();
                let (block, block_expr) = self.conditions.evaluate(blk.condition, &cx);
                let (whole, whole_expr) = self.conditions.evaluate(deny.condition, &cx);
                if block == Tri::False || whole == Tri::False {
                    continue;
                }
                (reason.condition, reason.expr) = if blk.condition.is_none() {
                    (Some(ConditionSite::Deny), whole_expr)
                } else {
                    (Some(ConditionSite::Block), block_expr)
                };
            }
            return Some(reason);
        }
        None
    }

    /// The condition a reason names (none if it names none).
    pub(super) fn condition_id(&self, reason: &Reason) -> OptId {
        let block = reason.block.map_or(0, usize::from);
        let deny = reason.deny.and_then(|i| self.denies.list.iter().find(|d| d.index == i));
        match (reason.condition, deny) {
            (Some(ConditionSite::Block), Some(d)) => d.blocks.get(block).map_or(OptId::NONE, |b| b.condition),
            (Some(ConditionSite::Block), None) => reason
                .role
                .and_then(|r| self.roles.blocks.get(r as usize))
                .and_then(|b| b.get(block))
                .map_or(OptId::NONE, |b| b.condition),
            (Some(ConditionSite::Assignment), _) => {
                reason.assignment.and_then(|a| self.assignments.condition.get(a as usize).copied()).unwrap_or_default()
            }
            (Some(ConditionSite::Deny), Some(d)) => d.condition,
            _ => OptId::NONE,
        }
    }
}

/// Whether a deny assignment at ancestor `node` of the request scope (`exact`: the scope's own node) targets the
/// request, before its blocks are asked (semantics §3, rule 1); `member` says whether a sorted set of principals holds
/// one of the request's. `check` and `explain` both ask here, so that they cannot drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DenyTarget {
    /// It applies to the request's principals at this scope.
    Targets,
    /// It sits above the scope and does not apply to child scopes.
    NotBelow,
    /// Neither Everyone nor any of the request's principals is among its principals.
    NotTargeted,
    /// One of the request's principals is excluded.
    Excluded,
}

/// See [`DenyTarget`].
#[inline(always)]
pub(super) fn deny_targets(deny: &Deny, node: u32, exact: Option<u32>, member: impl Fn(&[u32]) -> bool) -> DenyTarget {
    if !deny.children && Some(node) != exact {
        DenyTarget::NotBelow
    } else if !(deny.everyone || member(&deny.principals)) {
        DenyTarget::NotTargeted
    } else if member(&deny.excludes) {
        DenyTarget::Excluded
    } else {
        DenyTarget::Targets
    }
}

/// The request's plane: as the caller says, else the catalog's unique answer (`aux`, the operation's [`OpAux`]
/// bits, `None` outside the vocabulary).
pub(super) fn plane(hint: PlaneHint, aux: Option<u16>) -> Option<Plane> {
    match hint {
        PlaneHint::Control => Some(Plane::Control),
        PlaneHint::Data => Some(Plane::Data),
        PlaneHint::Auto => aux.and_then(|a| OpAux::from_bits(a).plane()),
    }
}

impl Roles {
    /// The operation's id in the vocabulary with its [`OpAux`] bits, and whether `action` is a valid operation
    /// name ([`is_operation_name`]), given its [`Fixed`] key or, when it has none, [`cimap::lower_hash_plain`] of
    /// it when it fit.
    fn operation(
        &self,
        action: &str,
        fixed: Option<&Fixed>,
        lowered: Option<(&[u8], u64, bool)>,
    ) -> (Option<(u32, u16)>, bool) {
        if let Some(f) = fixed {
            // Validity does not change with ASCII case, so a known operation's was settled when it was interned.
            return match self.vocab.get_fixed_aux(f) {
                Some(found) => (Some(found), OpAux::from_bits(found.1).valid_name()),
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

    /// Whether `role` grants the operation on `plane`: `(unconditionally, only with a condition)`.
    pub(super) fn role_grants(&self, op: Option<u32>, action: &str, plane: Plane, role: u32) -> (bool, bool) {
        match op {
            Some(op) => self.grants.get(op, plane, role),
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

    /// The first unconditional block of `role` granting `action`, and the pattern that matched. Asked only when
    /// some block of the role grants it, so a role with a single pattern on the plane answers without matching.
    pub(super) fn first_grant(
        &self,
        role: u32,
        op: Option<u32>,
        action: &str,
        plane: Plane,
    ) -> (Option<u16>, Option<u16>) {
        let sole = self.sole_grant.get(role as usize).and_then(|s| s.get(plane_index(plane)));
        if let Some((block, pattern)) = sole.and_then(|s| s.get()) {
            return (Some(block), Some(pattern));
        }
        // Read only when a block has to be matched: the id walk needs nothing else of the role.
        let blocks = || self.blocks.get(role as usize).map_or(&[][..], |v| &v[..]);
        if let Some(op) = op {
            let range = self.grant_ranges.get(role as usize).and_then(|r| r.get(plane_index(plane)));
            let list = range.and_then(|&(from, to)| self.grant_list.get(from as usize..to as usize));
            for e in list.unwrap_or_default() {
                match e.op.get() {
                    Some(id) if id == op => return (Some(e.block), Some(e.pattern)),
                    Some(_) => {}
                    None => {
                        if let Some(p) = blocks().get(usize::from(e.block)).and_then(|b| b.grant(action, plane)) {
                            return (Some(e.block), Some(p));
                        }
                    }
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

impl Conditions {
    /// A condition's value for a request and the expression that decided it; none holds. A condition that could
    /// not be read is Unknown: it never lets a grant through and never stops a deny.
    fn evaluate(&self, condition: OptId, cx: &Context<'_>) -> (Tri, Option<u16>) {
        let Some(id) = condition.get() else { return (Tri::True, None) };
        match self.list.get(id as usize) {
            Some(Some(c)) => {
                let e = c.evaluate(cx);
                (e.value, Some(e.decided_by))
            }
            _ => (Tri::Unknown, None),
        }
    }
}

impl Principals {
    /// Prefetches the first slot `key` will be looked up in (see [`cimap::CiMap::warm`]).
    #[inline(always)]
    fn warm(&self, key: &IdKey<'_>) {
        match key {
            IdKey::Id(p) => self.ids.warm(p),
            IdKey::Lowered(_, h) => self.names.warm(*h),
            IdKey::Other => {}
        }
    }

    /// What a check reads of the principal whose id is `id`, given [`IdKey::of`] it.
    #[inline(always)]
    fn get(&self, id: &str, key: IdKey<'_>) -> Option<&PrincipalInfo> {
        let p = match key {
            IdKey::Id(p) => return self.ids.get(&p),
            IdKey::Lowered(low, h) => self.names.get_lowered(h, low),
            IdKey::Other => self.names.get(id),
        };
        p.and_then(|p| self.info.get(p as usize))
    }
}

/// What [`Scopes::ancestors`] found besides the ancestry itself.
pub(super) struct Found {
    /// The node of the request scope itself.
    pub exact: Option<u32>,
    /// The node of the request scope's subscription.
    subscription: Option<u32>,
    /// The [`out_bit`]s of the ancestors: a principal's assignments outside any subscription can be in scope
    /// only if its mask shares one.
    outside: u64,
    /// Whether the nodes below the subscription were left out, for the caller to test as text.
    by_text: bool,
}

impl Scopes {
    /// Appends the prefixes of `split` at the depths where the tenant has scopes, with their key hashes.
    pub(super) fn prefixes(&self, split: &Split<'_>, out: &mut Prefixes) {
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
    pub(super) fn ancestors<const N: usize, const M: usize>(
        &self,
        split: &Split<'_>,
        prefixes: &Prefixes,
        out: &mut NodeSet<N>,
        denied: &mut NodeSet<M>,
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
        let (mut exact, mut owner, mut owner_aux, mut outside) = (None, None, ScopeAux::default(), out_bit(self.root));
        for &Prefix { depth, end, hash } in prefixes.iter() {
            let (depth, end) = (depth as usize, end as usize);
            let found = match split.lowered {
                Some(l) => l.get(..end).and_then(|prefix| self.map.get_lowered_aux(hash, prefix)),
                None => scope.get(..end).and_then(|prefix| self.map.get_hashed_aux(hash, prefix)),
            };
            if let Some((node, aux)) = found {
                let aux = ScopeAux::from_bits(aux);
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
            for &(node, aux) in self.chain_above(owner.into(), owner_aux) {
                push_live(out, denied, node, aux);
                outside |= out_bit(node);
            }
        }
        Found { exact, subscription: owner.filter(|_| owner_depth == 2), outside, by_text: false }
    }

    /// [`Scopes::ancestors`] of a scope in a subscription (see [`Ends::Owner`]), which looks up only the
    /// subscription: the root, the management groups above it and the subscription go to `out`; the nodes below
    /// it are not looked up, so the caller tests its assignments there with [`Scopes::within`], and the deny
    /// assignments below it are tested here the same way.
    fn subscription_ancestors<const N: usize, const M: usize>(
        &self,
        split: &Split<'_>,
        end: usize,
        key: OwnerKey,
        out: &mut NodeSet<N>,
        denied: &mut NodeSet<M>,
    ) -> Found {
        push_live(out, denied, self.root, self.root_aux);
        let lowered = split.lowered.unwrap_or_default();
        let mut outside = out_bit(self.root);
        // A subscription nothing is interned at still hangs under the default chain.
        let found = match key {
            OwnerKey::Id(p) => self.subscription_ids.get(&p).map(|s| (s.node, s.aux)),
            OwnerKey::Hash(hash) => lowered
                .get(..end)
                .and_then(|p| self.map.get_lowered_aux(hash, p))
                .map(|(node, aux)| (node, ScopeAux::from_bits(aux))),
        };
        let (owner, aux) = match found {
            Some((node, aux)) => (OptId::some(node), aux),
            None => (OptId::NONE, ScopeAux::default()),
        };
        // An owner that is none has no bits, so it is never pushed.
        push_live(out, denied, owner.raw(), aux);
        let mut exact = (end == lowered.len()).then_some(owner).and_then(OptId::get);
        for &(node, aux) in self.chain_above(owner, aux) {
            push_live(out, denied, node, aux);
            outside |= out_bit(node);
        }
        if aux.deny_below() {
            for &node in self.denies_below(owner.raw()) {
                if self.within(node, lowered) {
                    denied.push(node);
                    if self.map.lowered_key(node).len() == lowered.len() {
                        exact = Some(node);
                    }
                }
            }
        }
        Found { exact, subscription: found.map(|(o, _)| o), outside, by_text: true }
    }

    /// The live management groups above subscription or management-group node `owner` (none: one nothing is
    /// interned at), whose slot bits are `aux`.
    #[inline]
    fn chain_above(&self, owner: OptId, aux: ScopeAux) -> &[(u32, ScopeAux)] {
        // An owner with no chain of its own hangs under the default one (semantics §2.3); every chain id indexes `chains`.
        let chain = match aux.chain() {
            ChainRef::Lookup => owner
                .get()
                .and_then(|o| self.node_chain.get(o as usize))
                .and_then(|c| c.get())
                .unwrap_or(self.default_chain),
            ChainRef::Default => self.default_chain,
            ChainRef::Chain(k) => k,
        };
        self.chains.get(chain as usize).map_or(&[][..], |c| &c[..])
    }

    /// Whether scope node `node` is `scope` (lower-cased, canonical) or an ancestor of it: its text is a prefix
    /// of the scope's that ends where a segment does.
    #[inline]
    fn within(&self, node: u32, scope: &[u8]) -> bool {
        within(self.map.lowered_key(node), scope)
    }

    /// [`Scopes::within`] for the node of a [`Entry`], whose text the entry locates.
    #[inline(always)]
    fn entry_within(&self, e: &Entry, scope: &[u8]) -> bool {
        if e.text_len == u16::MAX {
            return self.within(e.node, scope);
        }
        within(self.map.lowered_range(e.text_at, usize::from(e.text_len)), scope)
    }
}

/// Whether scope text `key` is `scope` or an ancestor of it (both lower-cased and canonical): a prefix of it that
/// ends where a segment does.
#[inline(always)]
fn within(key: &[u8], scope: &[u8]) -> bool {
    // The request's byte first: it is at hand, while `key` is a read elsewhere that this often spares.
    key.len() <= scope.len() && scope.get(key.len()).is_none_or(|&b| b == b'/') && scope.starts_with(key)
}

/// Pushes an ancestor `node` whose slot bits are `aux` to `out` if anything sits at it, and to `denied` if an
/// enforced deny assignment does.
#[inline(always)]
fn push_live<const N: usize, const M: usize>(out: &mut NodeSet<N>, denied: &mut NodeSet<M>, node: u32, aux: ScopeAux) {
    if aux.live() {
        out.push(node);
        if aux.deny() {
            denied.push(node);
        }
    }
}
