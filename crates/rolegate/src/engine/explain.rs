//! The full story of a decision, computed on demand: the principal's group chain, every deny assignment and
//! role assignment in scope, and why each did or did not decide.

use std::collections::HashMap;

use serde::Serialize;

use super::check::{DenyTarget, deny_targets, plane as request_plane};
use super::compile::{Block, Compiled, Deny, Placed};
use super::ids::OptId;
use super::scan::{Ends, RequestScope, ScopeBuf};
use super::scratch::{NodeSet, Prefixes};
use super::{ConditionSite, Decision, Engine, Plane, Reason, Request, plane_index};
use crate::action::is_operation_name;
use crate::condition::{Analysis, Tri};
use crate::model::{Entries, Permission};

/// What one permission block or assignment did with the request. It serializes as `{"result": "matched", …}`:
/// the variant's name in snake case (`unreadable_block` for [`Outcome::Unreadable`]), then its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Granted (or, for a deny assignment, blocked) through `pattern` of block `block`.
    Matched {
        /// Permission block index.
        block: usize,
        /// The matching `Actions`/`DataActions` entry.
        pattern: String,
    },
    /// A `NotActions`/`NotDataActions` entry excluded it.
    Excluded {
        /// Permission block index.
        block: usize,
        /// The granting entry.
        pattern: String,
        /// The excluding entry.
        excluded_by: String,
    },
    /// Only the other plane's list would match (`*` in `Actions` never grants a data action).
    WrongPlane {
        /// The entry that would match on the other plane.
        pattern: String,
    },
    /// A block grants (or, for a deny assignment, blocks) the action and a condition decided whether it counts.
    Condition {
        /// Where the deciding condition sits: `block`, `assignment` or `deny_assignment`.
        on: &'static str,
        /// Permission block index.
        block: usize,
        /// The matching `Actions`/`DataActions` entry.
        pattern: String,
        /// `true` (the grant or deny stands), `false`, `unknown` (an attribute is absent) or `invalid` (the
        /// condition does not parse or type-check).
        value: &'static str,
        /// The expression that decided, as written.
        expression: String,
        /// For `unknown`: the attributes whose absence left it open.
        needs: Vec<String>,
    },
    /// A block's exclusions cannot be read, so it grants nothing (semantics §2.2).
    #[serde(rename = "unreadable_block")]
    Unreadable {
        /// Permission block index.
        block: usize,
    },
    /// Nothing in the role matches the action.
    NoMatch,
    /// The assignment's role is not in the tenant.
    UnknownRole,
    /// A deny assignment that does not apply: audit effect, child scope, or principal excluded/not targeted.
    NotApplicable {
        /// Why.
        why: &'static str,
    },
}

/// A role assignment in scope.
#[derive(Clone, Debug)]
pub struct AssignmentStep {
    /// Index into `Tenant::assignments`.
    pub assignment: usize,
    /// Which of the request's principals it is assigned to.
    pub via: String,
    /// What it did.
    pub outcome: Outcome,
}

/// A deny assignment at a scope in the request's ancestry.
#[derive(Clone, Debug)]
pub struct DenyStep {
    /// Index into `Tenant::deny_assignments`.
    pub deny: usize,
    /// What it did.
    pub outcome: Outcome,
}

/// A group that is not treated as one: the tenant's role assignments type it as a user or service principal
/// (`principalType`), so it grants nothing; deny assignments naming it or its groups still apply. Either the
/// request names it as a group, or `groups.json` lists one of the request's principals as its member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredGroup {
    /// The id as the request gives it.
    pub id: String,
    /// What the tenant knows it as: `User` or `ServicePrincipal`.
    pub known_as: String,
    /// Whether `groups.json` also lists it as a group: conflicting, and then not a group either (fail closed).
    pub listed_as_group: bool,
    /// The request's principal that `groups.json` makes its member, when the request does not name it.
    pub member: Option<String>,
}

impl IgnoredGroup {
    /// The sentence explain prints.
    pub fn text(&self) -> String {
        let Self { id, known_as, listed_as_group, member } = self;
        let of = member.as_ref().map_or_else(String::new, |m| format!(" of `{m}`"));
        let conflict = if *listed_as_group {
            ", though groups.json lists it as a group: conflicting, so not a group (fail closed)"
        } else {
            ""
        };
        format!(
            "group `{id}`{of} is ignored: the tenant knows it as a {known_as}{conflict}; it grants nothing, and deny \
             assignments naming it still apply"
        )
    }
}

/// Everything that went into a decision.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The decision, as [`Engine::check`] gives it.
    pub decision: Decision,
    /// The plane it was decided on (none when unknown or the request is malformed).
    pub plane: Option<Plane>,
    /// Each principal the request acts as, with its membership chain (`alice → team → org`).
    pub principals: Vec<Vec<String>>,
    /// Request group ids that are not treated as groups, which [`Explanation::principals`] leaves out.
    pub ignored_groups: Vec<IgnoredGroup>,
    /// Deny assignments in scope.
    pub denies: Vec<DenyStep>,
    /// Role assignments in scope to any of the principals.
    pub assignments: Vec<AssignmentStep>,
}

fn entry_text(e: &Entries<crate::model::Action>, i: u16) -> String {
    e.items().get(i as usize).map_or_else(String::new, |a| a.raw.clone())
}

fn lists(p: &Permission, plane: Plane) -> (&Entries<crate::model::Action>, &Entries<crate::model::Action>) {
    match plane {
        Plane::Control => (&p.actions, &p.not_actions),
        Plane::Data => (&p.data_actions, &p.not_data_actions),
    }
}

fn other(plane: Plane) -> Plane {
    match plane {
        Plane::Control => Plane::Data,
        Plane::Data => Plane::Control,
    }
}

/// How a list of blocks treats the action: the first match, else the most telling miss.
fn judge(blocks: &[Block], perms: &[Permission], action: &str, plane: Plane) -> Outcome {
    let mut best = Outcome::NoMatch;
    for (i, (b, p)) in blocks.iter().zip(perms).enumerate() {
        if b.dead {
            best = Outcome::Unreadable { block: i };
            continue;
        }
        let pi = plane_index(plane);
        let (grant_list, excl_list) = lists(p, plane);
        let hit = b.grants.get(pi).and_then(|g| g.iter().find(|(_, pat)| pat.matches(action)));
        match hit {
            Some(&(gi, _)) => {
                let excluded = excl_list.items().iter().find(|a| a.matches(action));
                match excluded {
                    Some(x) => {
                        best = Outcome::Excluded {
                            block: i,
                            pattern: entry_text(grant_list, gi),
                            excluded_by: x.raw.clone(),
                        }
                    }
                    // Conditional blocks are judged by the caller, which can evaluate them.
                    None if b.conditional => {
                        if !matches!(best, Outcome::Condition { .. }) {
                            best = Outcome::Condition {
                                on: "block",
                                block: i,
                                pattern: entry_text(grant_list, gi),
                                value: "unknown",
                                expression: String::new(),
                                needs: Vec::new(),
                            };
                        }
                    }
                    None => return Outcome::Matched { block: i, pattern: entry_text(grant_list, gi) },
                }
            }
            None if best == Outcome::NoMatch => {
                let (other_list, _) = lists(p, other(plane));
                if let Some(a) = other_list.items().iter().find(|a| a.matches(action)) {
                    best = Outcome::WrongPlane { pattern: a.raw.clone() };
                }
            }
            None => {}
        }
    }
    best
}

impl Engine {
    /// Explains a request. Allocates freely; meant for people and debugging, not the hot path.
    pub fn explain(&self, req: &Request<'_>) -> Explanation {
        let c: &Compiled = &self.c;
        let decision = self.check(req);
        let mut ex = Explanation {
            decision,
            plane: None,
            principals: Vec::new(),
            ignored_groups: Vec::new(),
            denies: Vec::new(),
            assignments: Vec::new(),
        };
        let mut sb = ScopeBuf::new();
        let scanned = RequestScope::scan(req.scope, &mut sb, Ends::All).filter(|_| is_operation_name(req.action));
        let Some(RequestScope { split, .. }) = scanned else {
            return ex;
        };
        ex.plane = request_plane(req.plane, c.roles.vocab.get_aux(req.action).map(|(_, aux)| aux));
        let Some(plane) = ex.plane else { return ex };

        // Principals with their chains, breadth-first so each chain is a shortest one: first those whose
        // assignments count, then what only the ignored group ids reach, which deny assignments still see.
        let mut chain: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut queue: Vec<u32> = Vec::new();
        let mut ignored: Vec<u32> = Vec::new();
        // (group, member) edges the first pass did not follow.
        let mut skipped: Vec<(u32, u32)> = Vec::new();
        // `grants`: only through groups that hold grants, not through a principal typed as a user (as the check).
        // The second pass walks the whole queue again, so that it also follows what the first one skipped.
        let mut closure = |roots: &[u32], queue: &mut Vec<u32>, grants: bool| {
            for &p in roots {
                chain.entry(p).or_insert_with(|| {
                    queue.push(p);
                    vec![p]
                });
            }
            let mut at = 0;
            while let Some(&p) = queue.get(at) {
                at += 1;
                let path = chain.get(&p).cloned().unwrap_or_default();
                for &g in c.principals.member_of.get(p as usize).map_or(&[][..], |v| &v[..]) {
                    if grants && c.principals.persons.contains_key(&g) {
                        skipped.push((g, p));
                        continue;
                    }
                    chain.entry(g).or_insert_with(|| {
                        queue.push(g);
                        path.iter().copied().chain(std::iter::once(g)).collect()
                    });
                }
            }
        };
        let mut roots = Vec::new();
        for (i, id) in std::iter::once(req.principal).chain(req.groups.iter()).enumerate() {
            match c.principals.names.get(id) {
                Some(p) if i > 0 && c.principals.persons.contains_key(&p) => {
                    let known_as = c.principals.persons.get(&p).map_or("", |t| t.as_str()).to_owned();
                    let listed_as_group =
                        c.tenant.groups.groups.iter().any(|(g, _)| g.as_str().eq_ignore_ascii_case(id));
                    ex.ignored_groups.push(IgnoredGroup { id: id.to_owned(), known_as, listed_as_group, member: None });
                    ignored.push(p);
                }
                Some(p) => roots.push(p),
                None => ex.principals.push(vec![id.to_owned()]),
            }
        }
        closure(&roots, &mut queue, true);
        let grantees = queue.len();
        closure(&ignored, &mut queue, false);
        let name = |p: u32| c.principals_name(p);
        let counted = queue.get(..grantees).unwrap_or_default();
        skipped.sort_unstable();
        skipped.dedup_by_key(|&mut (g, _)| g);
        for (g, p) in skipped.into_iter().filter(|(g, _)| !counted.contains(g) && !ignored.contains(g)) {
            let known_as = c.principals.persons.get(&g).map_or("", |t| t.as_str()).to_owned();
            let member = Some(name(p));
            ex.ignored_groups.push(IgnoredGroup { id: name(g), known_as, listed_as_group: true, member });
        }
        for p in queue.get(..grantees).unwrap_or_default() {
            let path = chain.get(p).map(|v| v.iter().map(|&q| name(q)).collect()).unwrap_or_default();
            ex.principals.push(path);
        }

        let mut anc: NodeSet<48> = NodeSet::new();
        let mut prefixes = Prefixes::new();
        c.scopes.prefixes(&split, &mut prefixes);
        let exact = c.scopes.ancestors(&split, &prefixes, &mut anc, &mut NodeSet::<8>::new()).exact;
        let tenant = &c.tenant;
        for (di, d) in tenant.deny_assignments.iter().enumerate() {
            let Some(node) = d.scope.scope().and_then(|s| c.scopes.node(s.as_str())) else {
                continue;
            };
            if !anc.contains(node) {
                continue;
            }
            let compiled = c.denies.list.iter().find(|x| x.index as usize == di);
            let member = |set: &[u32]| queue.iter().any(|p| set.binary_search(p).is_ok());
            let outcome = match compiled.map(|x| (x, deny_targets(x, node, exact, member))) {
                None => Outcome::NotApplicable { why: "audit only: reported, never blocks" },
                Some((_, DenyTarget::NotBelow)) => {
                    Outcome::NotApplicable { why: "applies only at its own scope, not below" }
                }
                Some((_, DenyTarget::NotTargeted)) => {
                    Outcome::NotApplicable { why: "none of the request's principals is targeted" }
                }
                Some((_, DenyTarget::Excluded)) => Outcome::NotApplicable { why: "a request principal is excluded" },
                Some((x, DenyTarget::Targets)) => match judge(&x.blocks, &d.permissions, req.action, plane) {
                    Outcome::Matched { .. } | Outcome::Condition { .. }
                        if !x.condition.is_none() || x.blocks.iter().any(|b| !b.condition.is_none()) =>
                    {
                        match c.deny_applies(x, req, plane) {
                            Some(r) if r.condition.is_some() => c.condition_outcome(&r, true, req, Some(x)),
                            Some(r) => c.matched(&r, &d.permissions),
                            None => Outcome::NotApplicable { why: "its condition is false for this request" },
                        }
                    }
                    o => o,
                },
            };
            ex.denies.push(DenyStep { deny: di, outcome });
        }
        for &p in queue.get(..grantees).unwrap_or_default() {
            for &Placed { node, assignment: a } in c.assignments.placed.get(p as usize).map_or(&[][..], |v| &v[..]) {
                if !anc.contains(node) {
                    continue;
                }
                let role = c.assignments.role.get(a as usize).copied().and_then(OptId::get);
                let found = role.and_then(|role| {
                    Some((role, c.roles.blocks.get(role as usize)?, tenant.roles.get(role as usize)?))
                });
                let outcome = match found {
                    Some((role, blocks, r)) => match judge(blocks, &r.permissions, req.action, plane) {
                        o @ Outcome::Matched { .. } if c.assignments.conditional.get(a as usize) != Some(&true) => o,
                        Outcome::Matched { .. } | Outcome::Condition { .. } => {
                            match c.conditional_grant(a, role, req, plane) {
                                Ok(reason) => c.condition_outcome(&reason, true, req, None),
                                Err(reason) => c.condition_outcome(&reason, false, req, None),
                            }
                        }
                        o => o,
                    },
                    None => Outcome::UnknownRole,
                };
                ex.assignments.push(AssignmentStep { assignment: a as usize, via: name(p), outcome });
            }
        }
        ex
    }
}

impl Compiled {
    fn principals_name(&self, p: u32) -> String {
        self.principals.names.name(p).to_owned()
    }

    /// The outcome of a grant or deny whose condition decided: `reason` names the block, the condition's site and
    /// the deciding expression; `held` says whether it let the grant or deny stand.
    fn condition_outcome(&self, reason: &Reason, held: bool, req: &Request<'_>, deny: Option<&Deny>) -> Outcome {
        let block = reason.block.map_or(0, usize::from);
        let id = self.condition_id(reason);
        let pattern = self.pattern_text(reason, deny);
        let on = reason.condition.map_or("block", ConditionSite::as_str);
        let Some(condition) = self.conditions.get(id) else {
            return Outcome::Condition {
                on,
                block,
                pattern,
                value: "invalid",
                expression: String::new(),
                needs: Vec::new(),
            };
        };
        let expression = reason.expr.map(|e| condition.node_text(e).to_owned()).unwrap_or_default();
        let cx = req.condition_context();
        let (value, needs) = match (held, condition.evaluate(&cx).value) {
            (true, Tri::True) => ("true", Vec::new()),
            (_, Tri::False) => ("false", Vec::new()),
            _ => match condition.analyze(&cx) {
                Analysis::Conditional { needs } => ("unknown", needs),
                _ => ("unknown", Vec::new()),
            },
        };
        Outcome::Condition { on, block, pattern, value, expression, needs }
    }

    /// A plain match, named from a reason.
    fn matched(&self, reason: &Reason, perms: &[Permission]) -> Outcome {
        let block = reason.block.map_or(0, usize::from);
        let pattern = perms
            .get(block)
            .map(|p| entry_text(lists(p, reason.plane.unwrap_or(Plane::Control)).0, reason.pattern.unwrap_or(0)))
            .unwrap_or_default();
        Outcome::Matched { block, pattern }
    }

    /// The text of the pattern a reason names.
    fn pattern_text(&self, reason: &Reason, deny: Option<&Deny>) -> String {
        let t = &self.tenant;
        let perms = match deny {
            Some(d) => t.deny_assignments.get(d.index as usize).map(|d| &d.permissions[..]),
            None => reason.role.and_then(|r| t.roles.get(r as usize)).map(|r| &r.permissions[..]),
        };
        match self.matched(reason, perms.unwrap_or_default()) {
            Outcome::Matched { pattern, .. } => pattern,
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{PlaneHint, ReasonKind};
    use crate::load::TenantLoader;

    const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

    fn engine(assignments: &str, groups: &str) -> Engine {
        let mut l = TenantLoader::new();
        l.add_assignments("a.json", assignments.as_bytes());
        l.add_groups("g.json", groups.as_bytes());
        Engine::new(l.build().unwrap().0)
    }

    #[test]
    fn explains_exclusions_planes_and_chains() {
        let e = engine(
            &format!(
                r#"[{{"principalId": "team", "roleDefinitionId": "{CONTRIBUTOR}", "scope": "/subscriptions/s"}},
                    {{"principalId": "alice", "roleDefinitionId": "{READER}", "scope": "/subscriptions/s/resourceGroups/rg"}},
                    {{"principalId": "alice", "roleDefinitionId": "{READER}", "scope": "/subscriptions/s/resourceGroups/rg10"}}]"#
            ),
            r#"{"team": ["alice"]}"#,
        );
        let req = Request::new(
            "alice",
            "Microsoft.Authorization/roleAssignments/write",
            "/subscriptions/s/resourceGroups/rg",
        );
        let ex = e.explain(&req);
        assert_eq!(ex.decision.reason().kind, ReasonKind::NoGrant);
        assert_eq!(ex.principals, vec![vec!["alice".to_owned()], vec!["alice".to_owned(), "team".to_owned()]]);
        // rg10 is not an ancestor of rg: only two assignments are in scope.
        let outcomes: Vec<_> = ex.assignments.iter().map(|s| s.outcome.clone()).collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::NoMatch,
                Outcome::Excluded {
                    block: 0,
                    pattern: "*".into(),
                    excluded_by: "Microsoft.Authorization/*/Write".into()
                },
            ]
        );
        let text = e.explanation_text(&ex);
        assert!(text.contains("as alice → team"), "{text}");
        assert!(text.contains("`*` is excluded by `Microsoft.Authorization/*/Write`"), "{text}");

        let blob = Request::new(
            "alice",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            "/subscriptions/s/resourceGroups/rg",
        )
        .plane(PlaneHint::Data);
        let ex = e.explain(&blob);
        assert!(
            ex.assignments.iter().all(
                |s| matches!(&s.outcome, Outcome::WrongPlane { pattern } if pattern == "*/read" || pattern == "*")
            )
        );
        let json = serde_json::to_value(e.explanation_view(&ex)).unwrap();
        assert_eq!(json["decision"], "not_allowed");
        assert_eq!(json["plane"], "data");
        assert_eq!(json["assignments"][0]["outcome"]["result"], "wrong_plane");
        // The JSON form is what scripts read: its fields, their order and its nulls are part of the contract.
        assert_eq!(
            serde_json::to_string(&e.explanation_view(&ex)).unwrap(),
            r#"{"decision":"not_allowed","reason":{"kind":"no_grant"},"plane":"data","principals":[["alice"],["alice","team"]],"ignored_groups":[],"deny_assignments":[],"assignments":[{"principal":"alice","role":"Reader","scope":"/subscriptions/s/resourceGroups/rg","outcome":{"result":"wrong_plane","pattern":"*/read"}},{"principal":"team","role":"Contributor","scope":"/subscriptions/s","outcome":{"result":"wrong_plane","pattern":"*"}}]}"#
        );
        let malformed = e.explain(&Request::new("alice", "a b", "/"));
        assert_eq!(
            serde_json::to_string(&e.explanation_view(&malformed)).unwrap(),
            r#"{"decision":"not_allowed","reason":{"kind":"invalid_request"},"plane":null,"principals":[],"ignored_groups":[],"deny_assignments":[],"assignments":[]}"#
        );
    }

    /// Each outcome's JSON: the result first, then the variant's fields in order.
    #[test]
    fn outcomes_serialize_tagged_by_result() {
        let condition = Outcome::Condition {
            on: "deny_assignment",
            block: 1,
            pattern: "*/read".into(),
            value: "unknown",
            expression: "@Request[x] StringEquals 'y'".into(),
            needs: vec!["@Request[x]".into()],
        };
        let cases = [
            (Outcome::Matched { block: 0, pattern: "*".into() }, r#"{"result":"matched","block":0,"pattern":"*"}"#),
            (
                Outcome::Excluded { block: 2, pattern: "*".into(), excluded_by: "a/*".into() },
                r#"{"result":"excluded","block":2,"pattern":"*","excluded_by":"a/*"}"#,
            ),
            (Outcome::WrongPlane { pattern: "*/read".into() }, r#"{"result":"wrong_plane","pattern":"*/read"}"#),
            (
                condition,
                r#"{"result":"condition","on":"deny_assignment","block":1,"pattern":"*/read","value":"unknown","expression":"@Request[x] StringEquals 'y'","needs":["@Request[x]"]}"#,
            ),
            (Outcome::Unreadable { block: 3 }, r#"{"result":"unreadable_block","block":3}"#),
            (Outcome::NoMatch, r#"{"result":"no_match"}"#),
            (Outcome::UnknownRole, r#"{"result":"unknown_role"}"#),
            (Outcome::NotApplicable { why: "audit only" }, r#"{"result":"not_applicable","why":"audit only"}"#),
        ];
        for (outcome, json) in cases {
            assert_eq!(serde_json::to_string(&outcome).unwrap(), json);
        }
    }

    #[test]
    fn explain_agrees_with_check() {
        let e = engine(&format!(r#"[{{"principalId": "bob", "roleDefinitionId": "{READER}", "scope": "/"}}]"#), "{}");
        let req = Request::new("bob", "Microsoft.Compute/virtualMachines/read", "/subscriptions/x");
        let ex = e.explain(&req);
        assert!(ex.decision.is_allowed());
        assert!(matches!(&ex.assignments[0].outcome, Outcome::Matched { pattern, .. } if pattern == "*/read"));
        let bad = Request::new("bob", "a b", "/");
        assert_eq!(e.explain(&bad).decision.reason().kind, ReasonKind::InvalidRequest);
    }
}
