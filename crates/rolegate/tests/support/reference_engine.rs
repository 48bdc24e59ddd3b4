//! A deliberately plain reference for the authorization engine (semantics §2.2–§3), written as a direct
//! transcription of the decision rules so that agreement tests against `rolegate::engine::Engine` mean
//! something: no indexes, no caches, linear scans, a breadth-first search with a visited list for groups, a
//! `Vec<Scope>` of ancestors.
//!
//! Rules, in order:
//! 1. The request scope must hold none of `%`, `?`, `#`, `\` (Azure would decode, cut or split it into another
//!    scope) and parse without normalisation, the action must be a valid, untrimmed action without `*`; else
//!    `NotAllowed(InvalidRequest)`.
//! 2. The plane is the caller's, or the catalog's unique answer; else `NotAllowed(PlaneUnknown)`.
//! 3. An enforced deny assignment that applies to the scope and a principal and has a matching block → `Denied`,
//!    unless the block's condition or the deny assignment's is definitely false.
//! 4. An assignment in scope to a principal whose role has a matching block → `Allowed` when the block's
//!    condition AND the assignment's condition (Kleene) are true; otherwise remembered as `ConditionNotMet`.
//! 5. Else `NotAllowed(ConditionNotMet)` or `NotAllowed(NoGrant)`.
//!
//! A principal that an assignment types as `User` or `ServicePrincipal` is no group, even when `groups.json` lists
//! it as one: named as a request group, it and what it reaches count for deny assignments (rule 3) but hold no
//! grants (rule 4); nor does membership in it reach anything for grants.

#![allow(dead_code, clippy::indexing_slicing)]

use std::collections::VecDeque;

use rolegate::action::{ActionPattern, parse_action};
use rolegate::catalog::{Catalog, PlaneAnswer};
use rolegate::engine::{Plane, PlaneHint, ReasonKind, Request};
use rolegate::model::{ActionKind, DenyEffect, Entries, Id, Permission, PrincipalType, Tenant};
use rolegate::scope::{Scope, parse_scope};

use crate::reference_condition::{Facts, reference_condition, reference_condition_open};
use crate::reference_matcher::reference_matches;
use rolegate::condition::{DateTime, Tri};

/// The effect of a decision, without its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    /// The action may proceed.
    Allowed,
    /// An enforced deny assignment blocks it.
    Denied,
    /// Nothing grants it, or the request could not be decided safely.
    NotAllowed,
}

impl Effect {
    /// The effect of an engine decision.
    pub fn of(d: &rolegate::engine::Decision) -> Effect {
        match d {
            rolegate::engine::Decision::Allowed(_) => Effect::Allowed,
            rolegate::engine::Decision::Denied(_) => Effect::Denied,
            rolegate::engine::Decision::NotAllowed(_) => Effect::NotAllowed,
        }
    }
}

/// The reference decision for `req`.
pub fn reference_check(tenant: &Tenant, catalog: &Catalog, req: &Request<'_>) -> (Effect, ReasonKind) {
    let req = req.parts();
    // 1. The request itself. The reserved characters are checked here on their own, not left to `parse_scope`,
    // so that the agreement test would catch the parser and the engine's scanners dropping the rule together.
    if req.scope.contains(['%', '?', '#', '\\']) {
        return (Effect::NotAllowed, ReasonKind::InvalidRequest);
    }
    let target = match parse_scope(req.scope) {
        Ok(parsed) if parsed.normalized.is_empty() => parsed.scope,
        _ => return (Effect::NotAllowed, ReasonKind::InvalidRequest),
    };
    match parse_action(req.action) {
        ActionPattern::Valid { trimmed: false, .. } if !req.action.contains('*') => {}
        _ => return (Effect::NotAllowed, ReasonKind::InvalidRequest),
    }
    let op = req.action;

    // 2. The plane.
    let plane = match req.plane {
        PlaneHint::Control => Plane::Control,
        PlaneHint::Data => Plane::Data,
        PlaneHint::Auto => match catalog.plane(op) {
            PlaneAnswer::Control => Plane::Control,
            PlaneAnswer::Data => Plane::Data,
            PlaneAnswer::Both | PlaneAnswer::Unknown => return (Effect::NotAllowed, ReasonKind::PlaneUnknown),
        },
    };

    let attributes: Vec<(&str, &str)> = req.attributes.iter().collect();
    let token_groups: Vec<&str> = req.groups.iter().collect();
    let facts = Facts {
        action: req.action,
        sub_operation: req.sub_operation,
        scope: req.scope,
        attributes: &attributes,
        now: req.now.unwrap_or_else(DateTime::now),
        open: false,
    };
    let condition = |c: &Option<rolegate::model::Spanned<String>>| match c {
        Some(text) => reference_condition(&text.value, &facts),
        None => Tri::True,
    };

    // 3. Principals and ancestors.
    let principals = principals_of(tenant, req.principal, &token_groups);
    let groups: Vec<&str> = token_groups.iter().copied().filter(|g| !is_person(tenant, g)).collect();
    let grantees = grantees_of(tenant, req.principal, &groups);
    let ancestors = ancestors_of(tenant, &target);
    let is_principal = |id: &Id| principals.iter().any(|p| p == id);
    let is_grantee = |id: &Id| grantees.iter().any(|p| p == id);
    let in_ancestors = |s: &Scope| ancestors.iter().any(|a| a == s);

    // 4. Deny assignments.
    for d in &tenant.deny_assignments {
        if d.effect != DenyEffect::Enforced {
            continue;
        }
        let Some(ds) = d.scope.scope() else { continue };
        let in_scope = *ds == target || (in_ancestors(ds) && !d.do_not_apply_to_child_scopes);
        if !in_scope {
            continue;
        }
        let names = d.principals.iter().any(|p| p.is_everyone() || is_principal(&p.id));
        let excluded = d.exclude_principals.iter().any(|p| is_principal(&p.id));
        if !names || excluded {
            continue;
        }
        let applies = |b: &Permission| {
            block_matches(b, plane, op)
                && condition(&b.condition) != Tri::False
                && condition(&d.condition) != Tri::False
        };
        if d.permissions.iter().any(applies) {
            return (Effect::Denied, ReasonKind::DenyAssignment);
        }
    }

    // 5. Role assignments.
    let mut condition_blocked = false;
    for a in &tenant.assignments {
        let Some(s) = a.scope.scope() else { continue };
        if !in_ancestors(s) || !is_grantee(&a.principal_id) {
            continue;
        }
        let Some(role) = tenant.role(&a.role_id) else { continue };
        for b in &role.permissions {
            if !block_matches(b, plane, op) {
                continue;
            }
            if condition(&b.condition) == Tri::True && condition(&a.condition) == Tri::True {
                return (Effect::Allowed, ReasonKind::Granted);
            }
            condition_blocked = true;
        }
    }
    if condition_blocked {
        (Effect::NotAllowed, ReasonKind::ConditionNotMet)
    } else {
        (Effect::NotAllowed, ReasonKind::NoGrant)
    }
}

/// Whether some role assignment types `id` as a user or service principal.
pub fn is_person(tenant: &Tenant, id: &str) -> bool {
    let id = Id::new(id);
    tenant.assignments.iter().any(|a| {
        a.principal_id == id && matches!(a.principal_type, Some(PrincipalType::User | PrincipalType::ServicePrincipal))
    })
}

/// The principal, its groups, the token groups and theirs (ids compare ASCII case-insensitively via `Id`).
pub fn principals_of(tenant: &Tenant, principal: &str, token_groups: &[&str]) -> Vec<Id> {
    reach(tenant, principal, token_groups, |_| true)
}

/// [`principals_of`] for grants: a group typed as a user or service principal by an assignment is no group, so
/// nothing is reached through it.
pub fn grantees_of(tenant: &Tenant, principal: &str, token_groups: &[&str]) -> Vec<Id> {
    reach(tenant, principal, token_groups, |group| !is_person(tenant, group.as_str()))
}

/// The principal, the token groups, and every group that holds one of them (transitively) that `follow` accepts.
fn reach(tenant: &Tenant, principal: &str, token_groups: &[&str], follow: impl Fn(&Id) -> bool) -> Vec<Id> {
    let mut seen: Vec<Id> = Vec::new();
    let mut queue: VecDeque<Id> = VecDeque::new();
    queue.push_back(Id::new(principal));
    for g in token_groups {
        queue.push_back(Id::new(g));
    }
    while let Some(id) = queue.pop_front() {
        if seen.contains(&id) {
            continue;
        }
        for (group, members) in &tenant.groups.groups {
            if members.contains(&id) && !seen.contains(group) && follow(group) {
                queue.push_back(group.clone());
            }
        }
        seen.push(id);
    }
    seen
}

/// Every segment-wise prefix of `target` that is a scope (the root included), then the management-group chain.
pub fn ancestors_of(tenant: &Tenant, target: &Scope) -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    let segments: Vec<&str> = target.segments().collect();
    for len in 0..=segments.len() {
        let text = format!("/{}", segments[..len].join("/"));
        if let Ok(parsed) = parse_scope(&text) {
            out.push(parsed.scope);
        }
    }
    // The parent chain is a subset of the prefixes; adding it guards against a prefix rule we got wrong.
    for a in target.ancestors() {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    for mg in management_chain(tenant, target) {
        let text = format!("/providers/Microsoft.Management/managementGroups/{}", mg.as_str());
        if let Ok(parsed) = parse_scope(&text) {
            out.push(parsed.scope);
        }
    }
    out
}

/// The management groups above `target` (not counting a management group that `target` itself names).
pub fn management_chain(tenant: &Tenant, target: &Scope) -> Vec<Id> {
    let h = &tenant.hierarchy;
    let start: Option<Id> = if let Some(sub) = target.subscription() {
        let sub = Id::new(sub);
        match h.subscriptions.iter().find(|(s, _)| *s == sub) {
            Some((_, mg)) => Some(mg.clone()),
            None => h.tenant_id.clone(),
        }
    } else if let Some(mg) = target.management_group() {
        parent_of(tenant, &Id::new(mg))
    } else {
        None
    };
    let mut chain: Vec<Id> = Vec::new();
    let mut next = start;
    while let Some(m) = next {
        if chain.contains(&m) {
            break;
        }
        next = parent_of(tenant, &m);
        chain.push(m);
    }
    if let Some(root) = &h.tenant_id
        && !chain.is_empty()
        && !chain.contains(root)
    {
        chain.push(root.clone());
    }
    chain
}

/// A management group's parent: the listed one; else (no parent, or not listed) the tenant root when known,
/// unless it is the tenant root itself.
fn parent_of(tenant: &Tenant, mg: &Id) -> Option<Id> {
    let h = &tenant.hierarchy;
    if h.tenant_id.as_ref() == Some(mg) {
        return None;
    }
    match h.management_groups.iter().find(|(m, _)| m == mg) {
        Some((_, Some(parent))) => Some(parent.clone()),
        _ => h.tenant_id.clone(),
    }
}

/// Whether a permission block grants `op` on `plane`.
pub fn block_matches(b: &Permission, plane: Plane, op: &str) -> bool {
    if poisoned(&b.not_actions) || poisoned(&b.not_data_actions) {
        return false;
    }
    let (grants, exclusions) = match plane {
        Plane::Control => (&b.actions, &b.not_actions),
        Plane::Data => (&b.data_actions, &b.not_data_actions),
    };
    list_matches(grants, op) && !list_matches(exclusions, op)
}

/// Whether a reason names a pattern that grants `op` on `plane` by itself: the pattern (index `pattern` into the
/// plane's list of block `block` of role `role`) matches, its block has no condition and grants `op`.
pub fn names_a_granting_pattern(tenant: &Tenant, reason: &rolegate::engine::Reason, op: &str) -> bool {
    let (Some(role), Some(block), Some(pattern), Some(plane)) =
        (reason.role(), reason.block(), reason.pattern(), reason.plane())
    else {
        return false;
    };
    let Some(b) = tenant.roles.get(role.get()).and_then(|r| r.permissions.get(block.get())) else {
        return false;
    };
    let list = match plane {
        Plane::Control => &b.actions,
        Plane::Data => &b.data_actions,
    };
    let Entries::List(items) = list else { return false };
    let named = items.get(pattern.get()).and_then(entry_pattern);
    b.condition.is_none() && named.is_some_and(|p| reference_matches(p, op)) && block_matches(b, plane, op)
}

/// A template expression, or any entry that is not a usable pattern.
fn poisoned(list: &Entries<rolegate::Action>) -> bool {
    match list {
        Entries::Template(_) => true,
        Entries::List(items) => items.iter().any(|a| entry_pattern(a).is_none()),
    }
}

fn list_matches(list: &Entries<rolegate::Action>, op: &str) -> bool {
    match list {
        Entries::Template(_) => false,
        Entries::List(items) => items.iter().filter_map(entry_pattern).any(|p| reference_matches(p, op)),
    }
}

/// The pattern text of a usable entry (trimmed, as the loader stores it); `None` for malformed entries and
/// template expressions.
fn entry_pattern(a: &rolegate::Action) -> Option<&str> {
    match &a.kind {
        ActionKind::Pattern(ActionPattern::Valid { pattern, .. }) => Some(pattern.as_str()),
        ActionKind::Pattern(ActionPattern::Malformed { .. }) | ActionKind::Template => None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Reverse queries (semantics §3.6), by brute force

/// What can be said of a request without its attributes, sub-operation and time: allowed for none of them, for
/// some, or for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Possible {
    Never,
    Sometimes,
    Always,
}

/// Where a reverse decision is made.
#[derive(Clone, Copy, Debug)]
pub enum Position<'a> {
    /// At this canonical scope: conditions read what it encodes.
    At(&'a str),
    /// At a scope strictly below this canonical one that the tenant does not name: what is at the scope or
    /// above grants, deny assignments there that apply to child scopes block, and nothing about the scope is
    /// known to conditions.
    Below(&'a str),
}

/// The reverse decision for a principal (with no token groups) and an action on a plane at a position: rules 1
/// and 2 of the reference with each condition open. A grant counts when its block's and its assignment's
/// conditions can both be true (always when both are); a deny assignment blocks always when neither of its
/// conditions can be false, sometimes when one can but need not be.
pub fn reference_possible(
    tenant: &Tenant,
    principal: &str,
    token_groups: &[&str],
    action: &str,
    plane: Plane,
    at: Position<'_>,
) -> Possible {
    let (text, below) = match at {
        Position::At(s) => (s, false),
        Position::Below(s) => (s, true),
    };
    let target = match parse_scope(text) {
        Ok(parsed) if parsed.normalized.is_empty() => parsed.scope,
        _ => return Possible::Never,
    };
    let scope = (!below).then_some(text);
    // A missing condition is true; one that does not compile is Unknown for every request.
    let open = |c: &Option<rolegate::model::Spanned<String>>| match c {
        Some(t) => reference_condition_open(&t.value, action, scope),
        None => Some(Tri::True),
    };
    let principals = principals_of(tenant, principal, token_groups);
    let groups: Vec<&str> = token_groups.iter().copied().filter(|g| !is_person(tenant, g)).collect();
    let grantees = grantees_of(tenant, principal, &groups);
    let ancestors = ancestors_of(tenant, &target);
    let in_ancestors = |s: &Scope| ancestors.iter().any(|a| a == s);

    let mut cap = Possible::Always;
    for d in &tenant.deny_assignments {
        if d.effect != DenyEffect::Enforced {
            continue;
        }
        let Some(ds) = d.scope.scope() else { continue };
        let in_scope = if below {
            in_ancestors(ds) && !d.do_not_apply_to_child_scopes
        } else {
            *ds == target || (in_ancestors(ds) && !d.do_not_apply_to_child_scopes)
        };
        let names = d.principals.iter().any(|p| p.is_everyone() || principals.contains(&p.id));
        let excluded = d.exclude_principals.iter().any(|p| principals.contains(&p.id));
        if !in_scope || !names || excluded {
            continue;
        }
        for b in d.permissions.iter().filter(|b| block_matches(b, plane, action)) {
            // Unknown on every request (not compiled) never stops a deny.
            let values = [open(&b.condition).unwrap_or(Tri::True), open(&d.condition).unwrap_or(Tri::True)];
            if values.contains(&Tri::False) {
                continue;
            }
            if values.iter().all(|v| *v == Tri::True) {
                return Possible::Never;
            }
            cap = Possible::Sometimes;
        }
    }

    let mut grant = Possible::Never;
    for a in &tenant.assignments {
        let Some(s) = a.scope.scope() else { continue };
        if !in_ancestors(s) || !grantees.contains(&a.principal_id) {
            continue;
        }
        let Some(role) = tenant.role(&a.role_id) else { continue };
        for b in role.permissions.iter().filter(|b| block_matches(b, plane, action)) {
            // Unknown on every request (not compiled) never lets a grant through.
            let values = [open(&b.condition).unwrap_or(Tri::False), open(&a.condition).unwrap_or(Tri::False)];
            let here = if values.contains(&Tri::False) {
                Possible::Never
            } else if values.iter().all(|v| *v == Tri::True) {
                Possible::Always
            } else {
                Possible::Sometimes
            };
            grant = grant.max(here);
        }
    }
    grant.min(cap)
}

/// Every scope the tenant names: assignments', deny assignments', and the hierarchy's management groups and
/// subscriptions.
pub fn named_scopes(tenant: &Tenant) -> Vec<Scope> {
    let mut texts: Vec<String> = Vec::new();
    for a in &tenant.assignments {
        texts.extend(a.scope.scope().map(|s| s.as_str().to_owned()));
    }
    for d in &tenant.deny_assignments {
        texts.extend(d.scope.scope().map(|s| s.as_str().to_owned()));
    }
    let h = &tenant.hierarchy;
    let mgs = h.management_groups.iter().flat_map(|(m, p)| std::iter::once(m).chain(p)).chain(&h.tenant_id);
    for m in mgs.chain(h.subscriptions.iter().map(|(_, m)| m)) {
        texts.push(format!("/providers/Microsoft.Management/managementGroups/{}", m.as_str()));
    }
    for (s, _) in &h.subscriptions {
        texts.push(format!("/subscriptions/{}", s.as_str()));
    }
    let mut out: Vec<Scope> = Vec::new();
    for t in texts {
        if let Ok(p) = parse_scope(&t)
            && !out.contains(&p.scope)
        {
            out.push(p.scope);
        }
    }
    out
}

/// The reverse decision at a scope or anywhere below it: the best of the decision at the scope and below it and
/// below every scope the tenant names under it.
pub fn reference_possible_at_or_below(
    tenant: &Tenant,
    principal: &str,
    action: &str,
    plane: Plane,
    scope: &str,
) -> Possible {
    let Ok(target) = parse_scope(scope).map(|p| p.scope) else { return Possible::Never };
    let at = |p: Position<'_>| reference_possible(tenant, principal, &[], action, plane, p);
    let mut best = at(Position::At(scope)).max(at(Position::Below(scope)));
    for n in named_scopes(tenant) {
        if n != target && ancestors_of(tenant, &n).contains(&target) {
            best = best.max(at(Position::Below(n.as_str())));
        }
    }
    best
}
