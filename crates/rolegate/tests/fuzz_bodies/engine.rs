//! The body of the `engine` fuzz target, shared with its replay test: a small tenant and a few requests, drawn
//! by `arbitrary` from vocabularies small enough that grants, exclusions, denies, groups and the hierarchy
//! collide, decided by `Engine::check` and by the plain reference evaluator (`tests/support/reference_engine.rs`).
//!
//! Asserts: the two give the same effect and reason kind for every request, and an unconditional grant names a
//! pattern that grants. A tenant that does not build is skipped (the `tenant_loader` target covers loading).
//! Returns the effects decided, so that the replay can show the corpus reaches every one.

use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use rolegate::catalog::{Catalog, Operation};
use rolegate::condition::DateTime;
use rolegate::engine::{Decision, Engine, PlaneHint, Request};
use rolegate::load::TenantLoader;
use rolegate::model::EVERYONE;
use serde_json::{Value, json};

use crate::reference_engine::{Effect, names_a_granting_pattern, reference_check};

// ---------------------------------------------------------------------------------------------------------------
// Vocabularies. Indices from the input are taken modulo a list's length, so every input is a tenant.

const USERS: [&str; 3] = ["alice", "bob", "c0ffee00-0000-4a1e-9bcd-00000000ca01"];
const GROUPS: [&str; 3] = ["g1", "g2", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"];
const UNKNOWN_PRINCIPAL: &str = "mallory";
const TENANT_ROOT: &str = "root";
const MGS: [&str; 3] = ["mgA", "mgB", "mgC"];
const ROLE_IDS: [&str; 4] = [
    "aaaa0001-bbbb-cccc-dddd-eeeeeeee0001",
    "aaaa0002-bbbb-cccc-dddd-eeeeeeee0002",
    "aaaa0003-bbbb-cccc-dddd-eeeeeeee0003",
    "aaaa0004-bbbb-cccc-dddd-eeeeeeee0004",
];
const S2: &str = "5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f";
/// Scopes for assignments, denies and requests; the first eight are containers, the broad ones.
const SCOPES: [&str; 16] = [
    "/",
    "/providers/Microsoft.Management/managementGroups/root",
    "/providers/Microsoft.Management/managementGroups/mgA",
    "/providers/Microsoft.Management/managementGroups/mgB",
    "/providers/Microsoft.Management/managementGroups/mgC",
    "/subscriptions/s1",
    "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f",
    "/subscriptions/s1/resourceGroups/rg1",
    "/subscriptions/s1/resourceGroups/rg10",
    "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f/resourceGroups/rg1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1/y/c1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1/blobs/c1/path/to/blob.txt",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1/providers/Microsoft.Ext/e/e1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1/blobs/dir/a.txt",
];
/// Scopes only assignments use (a placeholder, a malformed and a non-canonical one) or only requests use
/// (malformed, non-canonical, an unlisted management group).
const ODD_SCOPES: [&str; 6] = [
    "/subscriptions/<subscriptionId>/resourceGroups/rg1",
    "/subscriptions/s1/resourceGroups/rg 1",
    "subscriptions/s1/",
    "/subscriptions/s1/../x",
    "/subscriptions/s1//resourceGroups/rg1",
    "/providers/Microsoft.Management/managementGroups/mgZ",
];
/// Operations in the catalog: `(name, data plane)`; one name appears in both planes.
const CATALOG_OPS: [(&str, bool); 11] = [
    ("Microsoft.A/x/read", false),
    ("Microsoft.A/x/write", false),
    ("Microsoft.A/x/delete", false),
    ("Microsoft.A/x/y/read", false),
    ("Microsoft.A/x/go/action", false),
    ("Microsoft.B/z/read", false),
    ("Microsoft.A/x/blobs/read", true),
    ("Microsoft.A/x/blobs/write", true),
    ("Microsoft.B/z/data/read", true),
    ("Microsoft.A/x/both/action", false),
    ("Microsoft.A/x/both/action", true),
];
/// Request actions outside the catalog: unlisted, then not valid operation names.
const ODD_OPS: [&str; 5] =
    ["Microsoft.C/q/read", "Microsoft.A/x/secret/action", "", "Microsoft.A/x/*", " Microsoft.A/x/read"];
const PATTERNS: [&str; 16] = [
    "*",
    "Microsoft.A/*",
    "*/read",
    "Microsoft.A/x/*",
    "*/action",
    "Microsoft.A/x/blobs/*",
    "Microsoft.A/x/*/read",
    "Microsoft.A/x/read",
    "microsoft.a/X/WRITE",
    "Microsoft.B/*",
    "Microsoft.A/x/both/action",
    "Microsoft.A/x/blobs/read",
    "Microsoft.B/z/read ",
    "Microsoft.A/*/write",
    "Microsoft.B/z/data/read",
    "a /read",
];
/// Conditions reading the scope, request attributes, the sub-operation and the clock; the last two do not
/// type-check or parse.
const CONDITIONS: [&str; 10] = [
    "@Resource[x] StringEquals 'y'",
    "((!(ActionMatches{'Microsoft.A/x/read'})) OR (@Request[tag] StringEquals 'ok'))",
    "@Resource[Microsoft.A/x:name] StringEqualsIgnoreCase 'R1'",
    "!(ActionMatches{'Microsoft.A/x/blobs/*'}) OR @Resource[Microsoft.A/x/blobs:name] StringEquals 'c1'",
    "NOT Exists @Request[tag]",
    "(!(ActionMatches{'Microsoft.A/*'} AND NOT SubOperationMatches{'List'})) || @Request[level] NumericGreaterThan 3",
    "NOT @Request[tag] StringEquals 'no' AND @Environment[UtcNow] DateTimeGreaterThan '2024-01-01T00:00:00Z'",
    "@Request[level] ForAllOfAnyValues:NumericLessThanEquals {1, 5}",
    "@Request[level] NumericEquals 'five'",
    "@Request[tag] StringEquals",
];
const ATTRIBUTES: [(&str, &str); 6] = [
    ("tag", "ok"),
    ("tag", "no"),
    ("level", "5"),
    ("@Request[level]", "7"),
    ("Microsoft.A/x:name", "r1"),
    ("Microsoft.A/x/blobs:name", "c1"),
];
const SUB_OPERATIONS: [&str; 2] = ["List", "Read"];
const NOWS: [&str; 2] = ["2023-06-01T00:00:00Z", "2025-06-01T00:00:00Z"];

/// At most this many of each list the input draws, to keep a run fast.
const MAX_ROLES: usize = 4;
const MAX_BLOCKS: usize = 2;
const MAX_PATTERNS: usize = 3;
const MAX_ASSIGNMENTS: usize = 8;
const MAX_DENIES: usize = 3;
const MAX_REQUESTS: usize = 8;

// ---------------------------------------------------------------------------------------------------------------
// The input

/// A tenant and requests; every field is an index or a choice.
#[derive(Arbitrary, Debug)]
pub struct Input {
    roles: Vec<Vec<Block>>,
    assignments: Vec<Assignment>,
    denies: Option<Vec<Deny>>,
    groups: Option<Vec<(u8, Vec<Who>)>>,
    hierarchy: Option<Hierarchy>,
    requests: Vec<Req>,
}

#[derive(Arbitrary, Debug)]
struct Block {
    actions: Vec<Pick>,
    not_actions: Vec<Pick>,
    data_actions: Vec<Pick>,
    not_data_actions: Vec<Pick>,
    condition: Option<u8>,
}

/// An index and an ASCII case: as written, upper, lower or alternating.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Pick(u8, u8);

/// A principal: a user, a group or one the tenant does not know.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Who {
    User(Pick),
    Group(Pick),
    Unknown,
}

#[derive(Arbitrary, Debug)]
struct Assignment {
    principal: Who,
    role: Pick,
    full_role_id: bool,
    scope: Pick,
    odd_scope: Option<u8>,
    condition: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct Deny {
    principals: Option<Vec<Who>>,
    excludes: Vec<Who>,
    block: Block,
    scope: Pick,
    do_not_apply_to_child_scopes: bool,
    condition: Option<u8>,
    effect: u8,
}

#[derive(Arbitrary, Debug)]
struct Hierarchy {
    tenant_known: bool,
    root_listed: bool,
    /// Parents of mgA, mgB, mgC: 0 none, 1 the root, else another group.
    parents: [Pick; 3],
    s1: Pick,
    s2: Option<Pick>,
}

#[derive(Arbitrary, Debug)]
struct Req {
    principal: Who,
    groups: Vec<Who>,
    action: Pick,
    odd_action: Option<u8>,
    plane: u8,
    scope: Pick,
    odd_scope: Option<u8>,
    sub_operation: Option<u8>,
    attributes: Vec<u8>,
    late: bool,
}

impl Pick {
    fn of<'a>(self, xs: &[&'a str]) -> &'a str {
        xs[usize::from(self.0) % xs.len()]
    }

    fn cased(self, xs: &[&str]) -> String {
        let s = self.of(xs);
        match self.1 % 8 {
            0 => s.to_ascii_uppercase(),
            1 => s.to_ascii_lowercase(),
            2 => s.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect(),
            _ => s.to_owned(),
        }
    }
}

impl Who {
    fn id(self) -> String {
        match self {
            Who::User(p) => p.cased(&USERS),
            Who::Group(p) => p.cased(&GROUPS),
            Who::Unknown => UNKNOWN_PRINCIPAL.to_owned(),
        }
    }
}

fn pick<T: Copy>(xs: &[T], i: u8) -> T {
    xs[usize::from(i) % xs.len()]
}

fn patterns(picks: &[Pick]) -> Value {
    json!(picks.iter().take(MAX_PATTERNS).map(|p| p.cased(&PATTERNS)).collect::<Vec<_>>())
}

fn block(b: &Block) -> Value {
    let mut v = json!({
        "actions": patterns(&b.actions),
        "notActions": patterns(&b.not_actions),
        "dataActions": patterns(&b.data_actions),
        "notDataActions": patterns(&b.not_data_actions),
    });
    if let Some(c) = b.condition {
        v["condition"] = json!(pick(&CONDITIONS, c));
        v["conditionVersion"] = json!("2.0");
    }
    v
}

fn who_list(ws: &[Who]) -> Value {
    json!(ws.iter().take(3).map(|w| json!({"id": w.id(), "type": "User"})).collect::<Vec<_>>())
}

impl Input {
    fn roles_json(&self) -> String {
        let roles: Vec<Value> = ROLE_IDS
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let blocks = self.roles.get(i).map(|bs| bs.iter().take(MAX_BLOCKS).map(block).collect::<Vec<_>>());
                json!({
                    "roleName": format!("Role {i}"),
                    "name": id,
                    "roleType": "CustomRole",
                    "permissions": blocks.unwrap_or_default(),
                    "assignableScopes": ["/"],
                })
            })
            .take(MAX_ROLES)
            .collect();
        Value::Array(roles).to_string()
    }

    fn assignments_json(&self) -> String {
        let list: Vec<Value> = self
            .assignments
            .iter()
            .take(MAX_ASSIGNMENTS)
            .map(|a| {
                let role = a.role.cased(&ROLE_IDS);
                let role = if a.full_role_id {
                    format!("/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/{role}")
                } else {
                    role
                };
                let scope = match a.odd_scope {
                    Some(i) => pick(&ODD_SCOPES[..3], i).to_owned(),
                    None => a.scope.cased(&SCOPES),
                };
                let mut v = json!({"principalId": a.principal.id(), "roleDefinitionId": role, "scope": scope});
                if let Some(c) = a.condition {
                    v["condition"] = json!(pick(&CONDITIONS, c));
                    v["conditionVersion"] = json!("2.0");
                }
                v
            })
            .collect();
        Value::Array(list).to_string()
    }

    fn denies_json(&self) -> Option<String> {
        let denies = self.denies.as_ref()?;
        let list: Vec<Value> = denies
            .iter()
            .take(MAX_DENIES)
            .enumerate()
            .map(|(i, d)| {
                let principals = match &d.principals {
                    None => json!([{"id": EVERYONE, "type": "SystemDefined"}]),
                    Some(ws) => who_list(ws),
                };
                let mut v = json!({
                    "name": format!("deny-{i}"),
                    "denyAssignmentName": format!("Deny {i}"),
                    "permissions": [block(&d.block)],
                    "scope": d.scope.cased(&SCOPES),
                    "principals": principals,
                    "excludePrincipals": who_list(&d.excludes),
                });
                if d.do_not_apply_to_child_scopes {
                    v["doNotApplyToChildScopes"] = json!(true);
                }
                if let Some(c) = d.condition {
                    v["condition"] = json!(pick(&CONDITIONS, c));
                    v["conditionVersion"] = json!("2.0");
                }
                match d.effect % 4 {
                    0 => v["denyAssignmentEffect"] = json!("audit"),
                    1 => v["denyAssignmentEffect"] = json!("Enforced"),
                    _ => {}
                }
                v
            })
            .collect();
        Some(Value::Array(list).to_string())
    }

    fn groups_json(&self) -> Option<String> {
        let groups = self.groups.as_ref()?;
        let mut map = serde_json::Map::new();
        for (g, members) in groups.iter().take(GROUPS.len()) {
            let members: Vec<String> = members.iter().take(3).map(|w| w.id()).collect();
            map.insert(pick(&GROUPS, *g).to_owned(), json!(members));
        }
        Some(Value::Object(map).to_string())
    }

    fn hierarchy_json(&self) -> Option<String> {
        let h = self.hierarchy.as_ref()?;
        let mut mgs = serde_json::Map::new();
        if h.tenant_known && h.root_listed {
            mgs.insert(TENANT_ROOT.into(), Value::Null);
        }
        for (mg, parent) in MGS.iter().zip(h.parents) {
            let p = match parent.0 % 4 {
                0 => Value::Null,
                1 if h.tenant_known => json!(parent.cased(&[TENANT_ROOT])),
                1 => Value::Null,
                _ => json!(parent.cased(&MGS)),
            };
            mgs.insert((*mg).into(), p);
        }
        let mut subs = serde_json::Map::new();
        subs.insert("s1".into(), json!(h.s1.cased(&MGS)));
        if let Some(p) = h.s2 {
            subs.insert(S2.into(), json!(p.cased(&MGS)));
        }
        let mut v = json!({"managementGroups": mgs, "subscriptions": subs});
        if h.tenant_known {
            v["tenantId"] = json!(TENANT_ROOT);
        }
        Some(v.to_string())
    }
}

fn catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    let c = CATALOG.get_or_init(|| {
        let ops = CATALOG_OPS
            .iter()
            .map(|&(name, is_data_action)| Operation {
                name: name.to_owned(),
                is_data_action,
                display_name: String::new(),
                description: String::new(),
            })
            .collect();
        Arc::new(Catalog::new(ops, None))
    });
    Arc::clone(c)
}

/// Runs one input; panics on a disagreement. Returns the effect of each request decided.
pub fn run(data: &[u8]) -> Vec<Effect> {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else { return Vec::new() };
    let roles = input.roles_json();
    let assignments = input.assignments_json();
    let (denies, groups, hierarchy) = (input.denies_json(), input.groups_json(), input.hierarchy_json());
    let mut loader = TenantLoader::new().without_builtins();
    loader.add_roles("roles.json", roles.as_bytes());
    loader.add_assignments("assignments.json", assignments.as_bytes());
    if let Some(d) = &denies {
        loader.add_deny_assignments("denyAssignments.json", d.as_bytes());
    }
    if let Some(g) = &groups {
        loader.add_groups("groups.json", g.as_bytes());
    }
    if let Some(h) = &hierarchy {
        loader.add_hierarchy("hierarchy.json", h.as_bytes());
    }
    let Ok((tenant, _)) = loader.build() else { return Vec::new() };
    let catalog = catalog();
    let engine = Engine::with_catalog(tenant, Arc::clone(&catalog));
    let files = || {
        format!(
            "roles {roles}\nassignments {assignments}\ndenies {denies:?}\ngroups {groups:?}\nhierarchy {hierarchy:?}"
        )
    };

    let mut effects = Vec::new();
    for r in input.requests.iter().take(MAX_REQUESTS) {
        let principal = r.principal.id();
        let groups: Vec<String> = r.groups.iter().take(2).map(|w| w.id()).collect();
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        let action = match r.odd_action {
            Some(i) => pick(&ODD_OPS, i).to_owned(),
            None => {
                let names: Vec<&str> = CATALOG_OPS.iter().map(|o| o.0).collect();
                r.action.cased(&names)
            }
        };
        let scope = match r.odd_scope {
            Some(i) => pick(&ODD_SCOPES, i).to_owned(),
            None => r.scope.cased(&SCOPES),
        };
        let attributes: Vec<(&str, &str)> = r.attributes.iter().take(3).map(|&i| pick(&ATTRIBUTES, i)).collect();
        let plane = match r.plane % 4 {
            0 => PlaneHint::Control,
            1 => PlaneHint::Data,
            _ => PlaneHint::Auto,
        };
        let now = DateTime::parse(NOWS[usize::from(r.late)]).unwrap_or(DateTime(0));
        let req = Request::new(&principal, &action, &scope)
            .plane(plane)
            .groups(&groups)
            .attributes(&attributes)
            .sub_operation(r.sub_operation.map(|i| pick(&SUB_OPERATIONS, i)))
            .now(now);

        let decision = engine.check(&req);
        let got = (Effect::of(&decision), decision.reason().kind());
        let want = reference_check(engine.tenant(), &catalog, &req);
        assert_eq!(got, want, "engine and reference differ on {req:?}\n{}", files());
        if let Decision::Allowed(reason) = &decision {
            assert!(
                reason.condition().is_some() || names_a_granting_pattern(engine.tenant(), reason, &action),
                "the grant of {req:?} names {reason:?}, which does not grant\n{}",
                files()
            );
        }
        effects.push(got.0);
    }
    effects
}
