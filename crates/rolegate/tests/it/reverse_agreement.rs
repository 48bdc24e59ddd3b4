//! Reverse queries (`Engine::who_can`, `Engine::what_can`) against brute force with the reference evaluator as the
//! oracle (semantics §3.6), on the random tenants of `engine_agreement.rs`: for every principal the tenant names,
//! a sample of the vocabulary, and every scope the tenant names plus one child of each (and the agreement test's
//! scopes), the engine's answer must be the reference's, with 0 disagreements.
//!
//! The oracle is `reference_possible`: the reference's rules with every condition evaluated for all requests at
//! once. It is tied to the concrete reference in turn: an unconditional answer must be allowed, and an absent
//! one not allowed, for requests with random attributes, sub-operations and times.
//!
//! Deterministic (a fixed ChaCha seed); `ROLEGATE_PROPTEST_CASES` below 100 multiplies the number of tenants.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use rolegate::catalog::Catalog;
use rolegate::condition::DateTime;
use rolegate::engine::{
    Engine, Grantee, Plane, PlaneHint, QueryError, Reach, Request, WhatCanQuery, WhoCan, WhoCanQuery,
};
use rolegate::model::{DenyEffect, Id, Tenant};
use rolegate::scope::parse_scope;

use crate::engine_agreement::{
    ATTRIBUTES, CATALOG_OPS, Gen, NOWS, SCOPES, SUB_OPERATIONS, UNLISTED_OPS, catalog, random_tenant,
};
use crate::reference_engine::{
    Effect, Position, Possible, ancestors_of, block_matches, grantees_of, named_scopes, principals_of, reference_check,
    reference_possible,
};

/// Tenants in a default run.
const DEFAULT_TENANTS: usize = 120;
/// Vocabulary entries asked about per tenant.
const OPS_PER_TENANT: usize = 4;
/// Scopes a what-can query is asked at per tenant.
const WHAT_CAN_SCOPES: usize = 6;

fn tenants_budget() -> usize {
    match std::env::var("ROLEGATE_PROPTEST_CASES").ok().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n @ 1..100) => DEFAULT_TENANTS * n,
        _ => DEFAULT_TENANTS,
    }
}

/// Every principal id the tenant names (deny assignments' Everyone aside), once up to ASCII case, and one it
/// does not name.
fn principals(t: &Tenant) -> Vec<String> {
    let mut ids: Vec<&Id> = Vec::new();
    ids.extend(t.assignments.iter().map(|a| &a.principal_id));
    for (g, members) in &t.groups.groups {
        ids.push(g);
        ids.extend(members);
    }
    for d in &t.deny_assignments {
        ids.extend(d.principals.iter().chain(&d.exclude_principals).filter(|p| !p.is_everyone()).map(|p| &p.id));
    }
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(id.as_str())) {
            out.push(id.as_str().to_owned());
        }
    }
    out.push("nobody-the-tenant-names".to_owned());
    out
}

/// A scope below `s` that no tenant of the generator names.
fn child(s: &str) -> String {
    if s == "/" {
        "/providers/Microsoft.Zz/zz/child".to_owned()
    } else {
        format!("{s}/providers/Microsoft.Zz/zz/child")
    }
}

/// Every scope the tenant names, one child of each, and the agreement test's scopes.
fn scopes(t: &Tenant) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in named_scopes(t) {
        out.push(s.as_str().to_owned());
        out.push(child(s.as_str()));
    }
    out.extend(SCOPES.iter().map(|s| (*s).to_owned()));
    let mut seen: Vec<String> = Vec::new();
    out.retain(|s| {
        let key = s.to_ascii_lowercase();
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    for s in &out {
        assert!(parse_scope(s).is_ok_and(|p| p.normalized.is_empty()), "{s} is not canonical");
    }
    out
}

fn hint(plane: Plane) -> PlaneHint {
    match plane {
        Plane::Control => PlaneHint::Control,
        Plane::Data => PlaneHint::Data,
    }
}

fn possible(g: &Grantee<'_>) -> Possible {
    if g.conditional.is_some() { Possible::Sometimes } else { Possible::Always }
}

/// Each listed principal (lower-cased) with its answer; a principal listed twice is a failure.
fn answers(w: &WhoCan<'_>) -> Result<HashMap<String, Possible>, String> {
    let mut out = HashMap::new();
    for g in &w.grantees {
        if out.insert(g.principal.to_ascii_lowercase(), possible(g)).is_some() {
            return Err(format!("{} listed twice", g.principal));
        }
    }
    Ok(out)
}

/// What an unexpanded answer says of every principal: its own entry's answer; else, when a listed group's grant
/// reaches it, that group's (every such group must agree, and a group's denied member is denied); else never.
fn unexpanded_answers(t: &Tenant, w: &WhoCan<'_>, principals: &[String]) -> Result<HashMap<String, Possible>, String> {
    let mut out: HashMap<String, Possible> = answers(w)?;
    let groups: Vec<&Grantee<'_>> = w.grantees.iter().filter(|g| g.via.group.is_none()).collect();
    for p in principals {
        let key = p.to_ascii_lowercase();
        if out.contains_key(&key) {
            continue;
        }
        let reached_by = grantees_of(t, p, &[]);
        let mut said: Option<Possible> = None;
        for g in &groups {
            if !reached_by.iter().any(|r| r.as_str().eq_ignore_ascii_case(g.principal)) {
                continue;
            }
            let here =
                if g.denied_members.iter().any(|m| m.eq_ignore_ascii_case(p)) { Possible::Never } else { possible(g) };
            if said.is_some_and(|s| s != here) {
                return Err(format!("groups whose grants reach {p} disagree about it"));
            }
            said = Some(here);
        }
        if let Some(s) = said.filter(|s| *s != Possible::Never) {
            out.insert(key, s);
        }
    }
    Ok(out)
}

/// Counts of what the run covered.
#[derive(Default, Debug)]
struct Coverage {
    answers: BTreeMap<&'static str, usize>,
    /// Listed principals a deny assignment names (or reaches through Everyone) but excludes.
    excluded: usize,
    /// Listed principals in a group cycle, reached through a group.
    cycles: usize,
    /// Listed through an assignment at a management group (or the root).
    above_subscriptions: usize,
    /// Listed through a `/*/` pattern matching a single `/`.
    slash_star: usize,
    /// Conditional answers, and unconditional ones that a condition decided.
    conditional: usize,
    condition_held: usize,
    /// Answers below a scope better than at it.
    better_below: usize,
    /// Unexpanded answers that listed a member on its own, or named denied members.
    members_apart: usize,
    denied_members: usize,
    /// what-can answers.
    what_can: usize,
    /// What-can queries whose key an earlier query of the tenant had.
    shared_keys: usize,
    /// Operations asked by name that were allowed.
    levels_of: usize,
}

/// Whether an enforced deny assignment in scope that blocks the action names the principal (or Everyone) and
/// excludes it.
fn excluded_from_a_deny(t: &Tenant, principal: &str, op: &str, plane: Plane, scope: &str) -> bool {
    let anc = ancestors_of(t, &parse_scope(scope).unwrap().scope);
    let mine = principals_of(t, principal, &[]);
    t.deny_assignments.iter().any(|d| {
        d.effect == DenyEffect::Enforced
            && d.scope.scope().is_some_and(|s| anc.contains(s))
            && d.permissions.iter().any(|b| block_matches(b, plane, op))
            && d.principals.iter().any(|x| x.is_everyone() || mine.contains(&x.id))
            && d.exclude_principals.iter().any(|x| mine.contains(&x.id))
    })
}

/// A decision of the concrete reference with random request attributes, sub-operation and time.
fn concrete(
    g: &mut Gen,
    t: &Tenant,
    catalog: &Catalog,
    principal: &str,
    action: &str,
    plane: Plane,
    scope: &str,
) -> Effect {
    let attributes: Vec<(&str, &str)> = (0..g.below(4)).map(|_| *g.pick(&ATTRIBUTES)).collect();
    let sub_operation = g.chance(40).then(|| *g.pick(&SUB_OPERATIONS));
    let now = NOWS[g.below(NOWS.len())];
    let now = DateTime::parse(now).unwrap();
    let req = Request::new(principal, action, scope)
        .plane(hint(plane))
        .attributes(&attributes)
        .sub_operation(sub_operation)
        .now(now);
    reference_check(t, catalog, &req).0
}

#[test]
fn reverse_queries_agree_with_brute_force() {
    let started = Instant::now();
    let catalog = catalog();
    let mut master = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut failures: Vec<String> = Vec::new();
    let mut cov = Coverage::default();
    let (mut built, mut queries, mut compared) = (0usize, 0usize, 0usize);
    let budget = tenants_budget();
    let mut tried = 0usize;
    while built < budget && failures.len() < 5 {
        tried += 1;
        let seed = master.next_u64() ^ 0x7265_7665_7273_6521;
        let mut g = Gen(seed);
        let files = random_tenant(&mut g);
        let Some(tenant) = files.load() else { continue };
        built += 1;
        let engine = Engine::with_catalog(tenant, Arc::clone(&catalog));
        let t = engine.tenant();
        let principals = principals(t);
        let scopes = scopes(t);
        let vocabulary = engine.vocabulary();
        let mut fail = |what: String| {
            if failures.len() < 5 {
                failures.push(format!("tenant seed {seed:#018x}\n{}{what}\n", files.dump()));
            }
        };
        // The oracle, remembered per (principal, operation, plane, position).
        let mut oracle: HashMap<(String, String, Plane, bool, String), Possible> = HashMap::new();
        let mut ask = |p: &str, op: &str, plane: Plane, pos: Position<'_>| {
            let (below, s) = match pos {
                Position::At(s) => (false, s),
                Position::Below(s) => (true, s),
            };
            *oracle
                .entry((p.to_ascii_lowercase(), op.to_ascii_lowercase(), plane, below, s.to_ascii_lowercase()))
                .or_insert_with(|| reference_possible(t, p, &[], op, plane, pos))
        };

        let mut ops: Vec<(String, Plane)> = (0..OPS_PER_TENANT)
            .map(|_| {
                let e = vocabulary[g.below(vocabulary.len())];
                (e.name.to_owned(), e.plane)
            })
            .collect();
        // An operation outside the vocabulary, asked on a plane it names.
        ops.push(((*g.pick(&UNLISTED_OPS)).to_owned(), if g.chance(50) { Plane::Control } else { Plane::Data }));

        for (op, plane) in &ops {
            let mut at_answers: HashMap<String, HashMap<String, Possible>> = HashMap::new();
            for scope in &scopes {
                let q = WhoCanQuery::new(op, scope).plane(hint(*plane)).expand(true);
                let w = engine.who_can(&q).unwrap();
                queries += 1;
                let got = match answers(&w) {
                    Ok(a) => a,
                    Err(e) => {
                        fail(format!("who_can({op}, {scope}): {e}"));
                        continue;
                    }
                };
                if let Some(extra) = got.keys().find(|k| !principals.iter().any(|p| p.eq_ignore_ascii_case(k))) {
                    fail(format!("who_can({op}, {scope}) lists {extra}, whom the tenant does not name"));
                }
                for p in &principals {
                    compared += 1;
                    let want = ask(p, op, *plane, Position::At(scope));
                    let have = got.get(&p.to_ascii_lowercase()).copied().unwrap_or(Possible::Never);
                    *cov.answers
                        .entry(match have {
                            Possible::Never => "never",
                            Possible::Sometimes => "sometimes",
                            Possible::Always => "always",
                        })
                        .or_default() += 1;
                    if have != want {
                        fail(format!(
                            "who_can({op} on {plane:?}, {scope}) for {p}: engine {have:?}, reference {want:?}"
                        ));
                    }
                    // The oracle against the concrete reference: always means allowed for any request, never
                    // means allowed for none.
                    for _ in 0..2 {
                        let effect = concrete(&mut g, t, &catalog, p, op, *plane, scope);
                        let ok = match want {
                            Possible::Always => effect == Effect::Allowed,
                            Possible::Never => effect != Effect::Allowed,
                            Possible::Sometimes => true,
                        };
                        if !ok {
                            fail(format!("oracle {want:?} but the reference check says {effect:?}: {p} {op} {scope}"));
                        }
                    }
                }
                for gr in &w.grantees {
                    cov.conditional += usize::from(gr.conditional.is_some());
                    let a = &t.assignments[gr.via.assignment];
                    let role = t.role(&a.role_id).unwrap();
                    let block_condition = role.permissions.iter().any(|b| b.condition.is_some());
                    cov.condition_held +=
                        usize::from(gr.conditional.is_none() && (a.condition.is_some() || block_condition));
                    let via_scope = a.scope.scope().unwrap();
                    cov.above_subscriptions += usize::from(via_scope.subscription().is_none());
                    let slash =
                        role.permissions.iter().flat_map(|b| b.actions.items().iter().chain(b.data_actions.items()));
                    cov.slash_star += usize::from(
                        slash
                            .filter(|x| x.raw.contains("/*/"))
                            .any(|x| x.raw.replace("/*/", "/").eq_ignore_ascii_case(op)),
                    );
                    cov.excluded += usize::from(excluded_from_a_deny(t, gr.principal, op, *plane, scope));
                    if let Some(group) = gr.via.group {
                        let theirs = principals_of(t, group, &[]);
                        let cycle = theirs.iter().any(|x| {
                            x.as_str() != group
                                && principals_of(t, x.as_str(), &[])
                                    .iter()
                                    .any(|y| y.as_str().eq_ignore_ascii_case(group))
                        });
                        cov.cycles += usize::from(cycle);
                    }
                }

                // Unexpanded: groups stand for their members, and say no more than is true of each.
                let w2 = engine.who_can(&q.expand(false)).unwrap();
                queries += 1;
                cov.members_apart += w2.grantees.iter().filter(|g| g.via.group.is_some()).count();
                cov.denied_members += w2.grantees.iter().map(|g| g.denied_members.len()).sum::<usize>();
                match unexpanded_answers(t, &w2, &principals) {
                    Ok(said) if said == got => {}
                    Ok(said) => fail(format!("who_can({op}, {scope}) unexpanded says {said:?}, expanded {got:?}")),
                    Err(e) => fail(format!("who_can({op}, {scope}) unexpanded: {e}")),
                }
                at_answers.insert(scope.to_ascii_lowercase(), got);
            }

            // At or below: the best of the scope and of below it and below every scope it names under it.
            for scope in &scopes {
                let q = WhoCanQuery::new(op, scope).plane(hint(*plane)).reach(Reach::AtOrBelow).expand(true);
                let w = engine.who_can(&q).unwrap();
                queries += 1;
                let got = match answers(&w) {
                    Ok(a) => a,
                    Err(e) => {
                        fail(format!("who_can below ({op}, {scope}): {e}"));
                        continue;
                    }
                };
                let target = parse_scope(scope).unwrap().scope;
                let under: Vec<String> = named_scopes(t)
                    .into_iter()
                    .filter(|n| *n != target && ancestors_of(t, n).contains(&target))
                    .map(|n| n.as_str().to_owned())
                    .collect();
                let tested_below: Vec<&String> = scopes
                    .iter()
                    .filter(|s| {
                        let s = parse_scope(s).unwrap().scope;
                        ancestors_of(t, &s).contains(&target)
                    })
                    .collect();
                for p in &principals {
                    compared += 1;
                    let mut want =
                        ask(p, op, *plane, Position::At(scope)).max(ask(p, op, *plane, Position::Below(scope)));
                    for n in &under {
                        want = want.max(ask(p, op, *plane, Position::Below(n)));
                    }
                    let have = got.get(&p.to_ascii_lowercase()).copied().unwrap_or(Possible::Never);
                    if have != want {
                        fail(format!(
                            "who_can below ({op} on {plane:?}, {scope}) for {p}: engine {have:?}, reference {want:?}"
                        ));
                    }
                    // Whoever may at a scope at or below may at or below; at the scope itself, as surely. (Below
                    // it, a condition that reads the scope is undecided: a scope below may name anything.)
                    let key = p.to_ascii_lowercase();
                    let at = |s: &str| {
                        at_answers
                            .get(&s.to_ascii_lowercase())
                            .and_then(|a| a.get(&key))
                            .copied()
                            .unwrap_or(Possible::Never)
                    };
                    for s in &tested_below {
                        if at(s) > Possible::Never && have == Possible::Never {
                            fail(format!("{p} is {:?} at {s} but never at or below {scope} ({op})", at(s)));
                        }
                    }
                    if at(scope) > have {
                        fail(format!("{p} is {:?} at {scope} but {have:?} at or below it ({op})", at(scope)));
                    }
                    cov.better_below += usize::from(have > at(scope));
                }
            }
        }

        // What can: every vocabulary entry, for every principal (sometimes with token groups) at a few scopes.
        let mut by_key: HashMap<rolegate::engine::WhatCanKey, (String, rolegate::engine::WhatCanLevels)> =
            HashMap::new();
        for _ in 0..WHAT_CAN_SCOPES {
            let scope = &scopes[g.below(scopes.len())];
            for p in &principals {
                let groups: Vec<&str> =
                    if g.chance(20) { vec![principals[g.below(principals.len())].as_str()] } else { Vec::new() };
                let query = WhatCanQuery::new(p, scope).groups(&groups);
                let w = engine.what_can(&query).unwrap();
                queries += 1;
                // The levels alone, as bits: the same answer entry by entry; and one answer per key.
                let levels = engine.what_can_levels(&query).unwrap();
                let listed: HashMap<(String, Plane), bool> = [(Plane::Control, &w.control), (Plane::Data, &w.data)]
                    .into_iter()
                    .flat_map(|(plane, list)| {
                        list.iter().map(move |x| ((x.operation.to_ascii_lowercase(), plane), x.conditional.is_some()))
                    })
                    .collect();
                for (i, e) in vocabulary.iter().enumerate() {
                    let bits = match (levels.allowed(i), levels.conditional(i)) {
                        (false, false) => None,
                        (true, false) => Some(false),
                        (false, true) => Some(true),
                        (true, true) => {
                            fail(format!("what_can_levels({p}, {scope}) {}: both allowed and conditional", e.name));
                            None
                        }
                    };
                    let want = listed.get(&(e.name.to_ascii_lowercase(), e.plane)).copied();
                    if bits != want {
                        fail(format!(
                            "what_can_levels({p}, {scope}) {} on {:?}: {bits:?}, what_can {want:?}",
                            e.name, e.plane
                        ));
                    }
                }
                // The same levels for operations asked by name, in the vocabulary or not (the latter against the
                // reference evaluator).
                let mut named: Vec<(&str, Plane)> =
                    (0..8).map(|_| vocabulary[g.below(vocabulary.len())]).map(|e| (e.name, e.plane)).collect();
                let unlisted = *g.pick(&UNLISTED_OPS);
                let unlisted_plane = if g.chance(50) { Plane::Control } else { Plane::Data };
                named.push((unlisted, unlisted_plane));
                let of = engine.what_can_levels_of(&query, &named).unwrap();
                for (&(op, plane), got) in named.iter().zip(&of) {
                    let want = if op == unlisted && plane == unlisted_plane {
                        match reference_possible(t, p, &groups, op, plane, Position::At(scope)) {
                            Possible::Never => None,
                            Possible::Sometimes => Some(true),
                            Possible::Always => Some(false),
                        }
                    } else {
                        listed.get(&(op.to_ascii_lowercase(), plane)).copied()
                    };
                    if *got != want {
                        fail(format!("what_can_levels_of({p}, {scope}) {op} on {plane:?}: {got:?}, expected {want:?}"));
                    }
                    cov.levels_of += usize::from(got.is_some());
                }
                let key = engine.what_can_key(&query).unwrap();
                match by_key.get(&key) {
                    Some((other, prior)) if *prior != levels => {
                        fail(format!("what_can_key: {p} at {scope} and {other} share a key but not their levels"));
                    }
                    Some(_) => cov.shared_keys += 1,
                    None => {
                        by_key.insert(key, (format!("{p} at {scope}"), levels));
                    }
                }
                let mut got: HashMap<(String, Plane), Possible> = HashMap::new();
                for (plane, list) in [(Plane::Control, &w.control), (Plane::Data, &w.data)] {
                    for x in list {
                        let answer = if x.conditional.is_some() { Possible::Sometimes } else { Possible::Always };
                        got.insert((x.operation.to_ascii_lowercase(), plane), answer);
                    }
                }
                cov.what_can += got.len();
                for e in &vocabulary {
                    compared += 1;
                    let want = reference_possible(t, p, &groups, e.name, e.plane, Position::At(scope));
                    let have = got.remove(&(e.name.to_ascii_lowercase(), e.plane)).unwrap_or(Possible::Never);
                    if have != want {
                        fail(format!(
                            "what_can({p} with {groups:?}, {scope}) {} on {:?}: engine {have:?}, reference {want:?}",
                            e.name, e.plane
                        ));
                    }
                }
                if !got.is_empty() {
                    fail(format!("what_can({p}, {scope}) lists operations outside the vocabulary: {got:?}"));
                }
            }
        }
    }
    let summary = format!(
        "{queries} reverse queries, {compared} answers compared over {built}/{tried} tenants in {:.1?}: {cov:?}",
        started.elapsed()
    );
    eprintln!("{summary}");
    assert!(failures.is_empty(), "reverse queries disagree with brute force:\n{}", failures.join("\n"));
    for kind in ["never", "sometimes", "always"] {
        assert!(cov.answers.get(kind).copied().unwrap_or(0) * 100 >= compared, "{kind} is rare: {summary}");
    }
    for (what, n) in [
        ("deny exclusions", cov.excluded),
        ("group cycles", cov.cycles),
        ("management-group inheritance", cov.above_subscriptions),
        ("`/*/` patterns", cov.slash_star),
        ("conditional answers", cov.conditional),
        ("conditions that held", cov.condition_held),
        ("answers better below", cov.better_below),
        ("members apart from their groups", cov.members_apart),
        ("denied members", cov.denied_members),
        ("what-can answers", cov.what_can),
        ("what-can keys shared", cov.shared_keys),
        ("levels of named operations", cov.levels_of),
    ] {
        assert!(n >= 20, "{what} covered {n} times only: {summary}");
    }
}

/// The vocabulary is the catalog on its planes plus the exact actions roles name on theirs; an operation the
/// catalog gives no single plane needs one named.
#[test]
fn vocabulary_and_planes() {
    let catalog = catalog();
    let mut g = Gen(7);
    let tenant = loop {
        if let Some(t) = random_tenant(&mut g).load() {
            break t;
        }
    };
    let engine = Engine::with_catalog(tenant, Arc::clone(&catalog));
    let v = engine.vocabulary();
    for (name, data) in CATALOG_OPS {
        let plane = if data { Plane::Data } else { Plane::Control };
        assert!(v.iter().any(|e| e.name.eq_ignore_ascii_case(name) && e.plane == plane && e.in_catalog), "{name}");
    }
    let sorted = v.windows(2).all(|w| {
        let (a, b) = (w[0].name.to_ascii_lowercase(), w[1].name.to_ascii_lowercase());
        a < b || (a == b && w[0].plane == Plane::Control && w[1].plane == Plane::Data)
    });
    assert!(sorted, "{v:?}");
    let both = WhoCanQuery::new("Microsoft.A/x/both/action", "/subscriptions/s1");
    assert_eq!(engine.who_can(&both).unwrap_err(), QueryError::PlaneUnknown("Microsoft.A/x/both/action".into()));
    assert!(engine.who_can(&both.plane(PlaneHint::Data)).is_ok());
    let bad = WhoCanQuery::new("Microsoft.A/x/*", "/subscriptions/s1");
    assert!(matches!(engine.who_can(&bad), Err(QueryError::Action(_))));
    let bad = WhoCanQuery::new("Microsoft.A/x/read", "/subscriptions/s1/");
    assert!(matches!(engine.who_can(&bad), Err(QueryError::Scope(_))));
    assert!(matches!(engine.what_can(&WhatCanQuery::new("alice", "subscriptions/s1")), Err(QueryError::Scope(_))));
}
