//! The engine against the plain reference evaluator (`tests/support/reference_engine.rs`) on random tenants
//! drawn from small vocabularies, so that grants, exclusions, denies, groups and the hierarchy collide.
//!
//! Deterministic: a fixed ChaCha seed drives everything, so CI sees the same cases every run. Each tenant has its
//! own 64-bit seed, printed on failure. `ROLEGATE_PROPTEST_CASES` scales the run: a value below 100 multiplies
//! the default number of tenants, a larger one is the number of requests to check.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use rolegate::catalog::{Catalog, Operation};
use rolegate::condition::DateTime;
use rolegate::engine::{Decision, Engine, PlaneHint, ReasonKind, Request};
use rolegate::load::TenantLoader;
use rolegate::model::{EVERYONE, Tenant};
use serde_json::{Value, json};

use crate::reference_engine::{
    Effect, grantees_of, is_person, names_a_granting_pattern, principals_of, reference_check,
};

/// Requests per tenant.
const REQUESTS_PER_TENANT: usize = 10;
/// Tenants in a default run (10,000 requests).
const DEFAULT_TENANTS: usize = 1_000;

// ---------------------------------------------------------------------------------------------------------------
// Vocabularies

// Some ids are GUIDs, which the engine looks up in tables of their own (as it does `S2`); `svc-…` has a GUID's
// length and hyphens but is none, so it is looked up with the other ids.
pub(crate) const USERS: [&str; 4] =
    ["alice", "bob", "c0ffee00-0000-4a1e-9bcd-00000000ca01", "svc-0000-0000-0000-0000-000000000001"];
pub(crate) const GROUPS: [&str; 3] = ["g1", "g2", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"];
const UNKNOWN_PRINCIPALS: [&str; 2] = ["mallory", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e"];
const TENANT_ROOT: &str = "root";
const MGS: [&str; 3] = ["mgA", "mgB", "mgC"];
const ROLE_IDS: [&str; 4] = [
    "aaaa0001-bbbb-cccc-dddd-eeeeeeee0001",
    "aaaa0002-bbbb-cccc-dddd-eeeeeeee0002",
    "aaaa0003-bbbb-cccc-dddd-eeeeeeee0003",
    "aaaa0004-bbbb-cccc-dddd-eeeeeeee0004",
];

const RG1: &str = "/subscriptions/s1/resourceGroups/rg1";
/// A subscription whose id is a GUID.
const S2: &str = "5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f";
const RES: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1";

/// Scopes used by assignments, deny assignments and requests alike.
pub(crate) const SCOPES: [&str; 19] = [
    "/",
    "/providers/Microsoft.Management/managementGroups/root",
    "/providers/Microsoft.Management/managementGroups/mgA",
    "/providers/Microsoft.Management/managementGroups/mgB",
    "/providers/Microsoft.Management/managementGroups/mgC",
    "/subscriptions/s1",
    "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f",
    RG1,
    "/subscriptions/s1/resourceGroups/rg10",
    "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f/resourceGroups/rg1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x",
    RES,
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1/y/c1",
    "/subscriptions/s1/resourceGroups/rg10/providers/Microsoft.A/x/r1",
    "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f/resourceGroups/rg1/providers/Microsoft.A/x/r1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1/blobs/c1/path/to/blob.txt",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.A/x/r1/providers/Microsoft.Ext/e/e1",
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1/blobs/dir/a.txt",
    "/subscriptions/s1/resourceGroups/rg1/PROVIDERS/microsoft.storage/STORAGEACCOUNTS/sa1/blobServices/default/containers/c1/blobs/other/dir/b.txt",
];
/// Scopes only assignments use: a placeholder, malformed ones (an assignment there never grants), a
/// non-canonical one (normalised on load).
const ASSIGNMENT_ONLY_SCOPES: [&str; 4] = [
    "/subscriptions/<subscriptionId>/resourceGroups/rg1",
    "/subscriptions/s1/resourceGroups/rg 1",
    "/subscriptions/s1/resourceGroups/r%67",
    "subscriptions/s1/",
];
/// Scopes only requests use: malformed or non-canonical (invalid in a request), or an unlisted management group.
const REQUEST_ONLY_SCOPES: [&str; 6] = [
    "/subscriptions/s1/../x",
    "/subscriptions/s1/",
    "subscriptions/s1",
    "/subscriptions/s1//resourceGroups/rg1",
    "/subscriptions/s1/resourceGroups",
    "/providers/Microsoft.Management/managementGroups/mgZ",
];
/// What is now and then inserted at a random offset of a request scope: bytes that Azure would decode, cut off or
/// read as `/` (an invalid request), and bytes that ARM bars from names but that stay part of one.
const SCOPE_INSERTS: [&str; 8] = ["%67", "%2F", "%", "?x=1", "#f", "\\", ":", "&"];

/// Operations in the catalog: `(name, data plane)`; one name appears in both planes.
pub(crate) const CATALOG_OPS: [(&str, bool); 13] = [
    ("Microsoft.A/x/read", false),
    ("Microsoft.A/x/write", false),
    ("Microsoft.A/x/delete", false),
    ("Microsoft.A/x/y/read", false),
    ("Microsoft.A/x/go/action", false),
    ("Microsoft.B/z/read", false),
    ("Microsoft.B/z/write", false),
    ("Microsoft.A/x/blobs/read", true),
    ("Microsoft.A/x/blobs/write", true),
    ("Microsoft.B/z/data/read", true),
    ("Microsoft.A/x/both/action", false),
    ("Microsoft.A/x/both/action", true),
    ("Microsoft.Authorization/roleAssignments/write", false),
];
/// Request actions not in the catalog (`PlaneUnknown` under `PlaneHint::Auto`).
pub(crate) const UNLISTED_OPS: [&str; 2] = ["Microsoft.C/q/read", "Microsoft.A/x/secret/action"];
/// Request actions that are not valid operation names.
const INVALID_OPS: [&str; 5] = ["", "Microsoft.A/x/*", " Microsoft.A/x/read", "Microsoft.A/x /read", "*"];

/// Patterns for `Actions`/`DataActions` and their exclusions.
const PATTERNS: [&str; 18] = [
    "*",
    "Microsoft.A/*",
    "Microsoft.A/x/*/read",
    "Microsoft.A/x/read",
    "*/read",
    "microsoft.a/X/WRITE",
    "Microsoft.A/x/blobs/*",
    "Microsoft.A/x/*",
    "Microsoft.B/*",
    "Microsoft.A/x/both/action",
    "Microsoft.A/x/go/action",
    "Microsoft.A/x/y/read",
    "*/action",
    "Microsoft.A/x/blobs/read",
    "Microsoft.B/z/read ",
    "Microsoft.A/*/write",
    "Microsoft.B/z/data/read",
    "Microsoft.C/*",
];
/// The wide ones among them, drawn more often so that grants and denies reach many requests.
const BROAD_PATTERNS: [&str; 7] =
    ["*", "Microsoft.A/*", "*/read", "Microsoft.A/x/*", "*/action", "Microsoft.A/x/blobs/*", "Microsoft.A/x/*/read"];
const MALFORMED_PATTERNS: [&str; 2] = ["a /read", "Microsoft.A/x/\u{200b}read"];
/// Conditions that read the scope (`x` and `blobs` names, a blob path), request attributes, the sub-operation and
/// the clock; two do not type-check or parse (their grants never allow, their denies always apply).
const CONDITIONS: [&str; 12] = [
    "@Resource[x] StringEquals 'y'",
    "((!(ActionMatches{'Microsoft.A/x/read'})) OR (@Request[tag] StringEquals 'ok'))",
    "@Resource[Microsoft.A/x:name] StringEqualsIgnoreCase 'R1'",
    "!(ActionMatches{'Microsoft.A/x/blobs/*'}) OR @Resource[Microsoft.A/x/blobs:name] StringEquals 'c1'",
    "NOT Exists @Request[tag]",
    "@Request[tag] ForAnyOfAnyValues:StringNotEquals {'ok', 'no'}",
    "(!(ActionMatches{'Microsoft.A/*'} AND NOT SubOperationMatches{'List'})) || @Request[level] NumericGreaterThan 3",
    "NOT @Request[tag] StringEquals 'no' AND @Environment[UtcNow] DateTimeGreaterThan '2024-01-01T00:00:00Z'",
    "@Request[level] ForAllOfAnyValues:NumericLessThanEquals {1, 5}",
    "@Request[level] NumericEquals 'five'",
    "@Request[tag] StringEquals",
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith 'dir/'",
];
/// Request attributes; `Microsoft.A/x:name` and the blob path try to override what the scope says.
pub(crate) const ATTRIBUTES: [(&str, &str); 8] = [
    ("tag", "ok"),
    ("tag", "no"),
    ("level", "5"),
    ("level", "1"),
    ("@Request[level]", "7"),
    ("Microsoft.A/x:name", "r1"),
    ("Microsoft.A/x/blobs:name", "c1"),
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path", "dir/spoofed.txt"),
];
pub(crate) const SUB_OPERATIONS: [&str; 3] = ["List", "list", "Read"];
/// Requests evaluate `UtcNow` at one of these.
pub(crate) const NOWS: [&str; 2] = ["2023-06-01T00:00:00Z", "2025-06-01T00:00:00Z"];

// ---------------------------------------------------------------------------------------------------------------
// A small deterministic generator

/// SplitMix64: one 64-bit seed per tenant, so a failing tenant can be regenerated from its seed alone.
pub(crate) struct Gen(pub(crate) u64);

impl Gen {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `true` with probability `pct` percent.
    pub(crate) fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// The string in a random ASCII case: as written half of the time, else upper, lower or mixed.
    pub(crate) fn case(&mut self, s: &str) -> String {
        match self.below(8) {
            0 => s.to_ascii_uppercase(),
            1 => s.to_ascii_lowercase(),
            2 | 3 => s
                .chars()
                .map(|c| if self.chance(50) { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect(),
            _ => s.to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Tenants

/// The JSON files of one random tenant.
pub(crate) struct TenantFiles {
    roles: String,
    assignments: String,
    denies: Option<String>,
    groups: Option<String>,
    hierarchy: Option<String>,
}

impl TenantFiles {
    pub(crate) fn load(&self) -> Option<Tenant> {
        let mut loader = TenantLoader::new().without_builtins();
        loader.add_roles("roles.json", self.roles.as_bytes());
        loader.add_assignments("assignments.json", self.assignments.as_bytes());
        if let Some(d) = &self.denies {
            loader.add_deny_assignments("denyAssignments.json", d.as_bytes());
        }
        if let Some(g) = &self.groups {
            loader.add_groups("groups.json", g.as_bytes());
        }
        if let Some(h) = &self.hierarchy {
            loader.add_hierarchy("hierarchy.json", h.as_bytes());
        }
        loader.build().ok().map(|(t, _)| t)
    }

    pub(crate) fn dump(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "roles.json: {}", self.roles);
        let _ = writeln!(out, "assignments.json: {}", self.assignments);
        for (name, f) in
            [("denyAssignments.json", &self.denies), ("groups.json", &self.groups), ("hierarchy.json", &self.hierarchy)]
        {
            if let Some(f) = f {
                let _ = writeln!(out, "{name}: {f}");
            }
        }
        out
    }
}

fn any_principal(g: &mut Gen) -> String {
    let id = if g.chance(60) { *g.pick(&USERS) } else { *g.pick(&GROUPS) };
    g.case(id)
}

/// Between `min` and `max` action strings: malformed with probability `malformed_pct`, else a broad pattern with
/// probability `broad_pct`, else any pattern, in random case.
fn patterns(g: &mut Gen, min: usize, max: usize, malformed_pct: u64, broad_pct: u64) -> Vec<String> {
    let n = min + g.below(max + 1 - min);
    (0..n)
        .map(|_| {
            if g.chance(malformed_pct) {
                (*g.pick(&MALFORMED_PATTERNS)).to_owned()
            } else if g.chance(broad_pct) {
                pick_cased(g, &BROAD_PATTERNS)
            } else {
                pick_cased(g, &PATTERNS)
            }
        })
        .collect()
}

/// A scope for an assignment or a deny assignment: often one of the broad ones (root, management groups,
/// subscriptions, `rg1`), so that grants and denies reach many requests.
fn assigned_scope(g: &mut Gen, broad_pct: u64) -> String {
    if g.chance(broad_pct) { pick_cased(g, &SCOPES[..8]) } else { pick_cased(g, &SCOPES) }
}

fn pick_cased(g: &mut Gen, xs: &[&str]) -> String {
    let s = *g.pick(xs);
    g.case(s)
}

fn permission_block(g: &mut Gen, for_deny: bool) -> Value {
    let (malformed, broad) = if for_deny { (0, 80) } else { (4, 60) };
    let mut block = serde_json::Map::new();
    block.insert("actions".into(), json!(patterns(g, 1, 3, malformed, broad)));
    let max = if g.chance(if for_deny { 20 } else { 40 }) { 2 } else { 0 };
    block.insert("notActions".into(), json!(patterns(g, 0, max, malformed * 2, 20)));
    let max = if g.chance(if for_deny { 85 } else { 60 }) { 2 } else { 0 };
    block.insert("dataActions".into(), json!(patterns(g, 0, max, malformed, broad)));
    let max = if g.chance(30) { 1 } else { 0 };
    block.insert("notDataActions".into(), json!(patterns(g, 0, max, malformed * 2, 20)));
    if g.chance(if for_deny { 10 } else { 18 }) {
        block.insert("condition".into(), json!(g.pick(&CONDITIONS)));
        block.insert("conditionVersion".into(), json!("2.0"));
    }
    Value::Object(block)
}

pub(crate) fn random_tenant(g: &mut Gen) -> TenantFiles {
    // Roles (CLI list shape), 1–2 blocks each.
    let roles: Vec<Value> = ROLE_IDS
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let blocks: Vec<Value> = (0..1 + g.below(2)).map(|_| permission_block(g, false)).collect();
            json!({
                "roleName": format!("Role {i}"),
                "name": id,
                "roleType": "CustomRole",
                "permissions": blocks,
                "assignableScopes": ["/"],
            })
        })
        .collect();

    // Assignments.
    let assignments: Vec<Value> = (0..10 + g.below(7))
        .map(|_| {
            let principal = if g.chance(8) { (*g.pick(&UNKNOWN_PRINCIPALS)).to_owned() } else { any_principal(g) };
            let role = pick_cased(g, &ROLE_IDS);
            let role = if g.chance(50) {
                format!("/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/{role}")
            } else {
                role
            };
            let scope = if g.chance(8) { (*g.pick(&ASSIGNMENT_ONLY_SCOPES)).to_owned() } else { assigned_scope(g, 65) };
            let mut a = json!({"principalId": principal, "roleDefinitionId": role, "scope": scope});
            // Mostly the true type, sometimes none, now and then a user or service principal type on a group id:
            // a request naming such an id as a group gets none of its grants.
            let is_group = GROUPS.iter().any(|x| x.eq_ignore_ascii_case(&principal));
            let true_type = if is_group { "Group" } else { "User" };
            match g.below(10) {
                0..=3 => {}
                4 => a["principalType"] = json!("User"),
                5 => a["principalType"] = json!("ServicePrincipal"),
                _ => a["principalType"] = json!(true_type),
            }
            if g.chance(18) {
                a["condition"] = json!(g.pick(&CONDITIONS));
                a["conditionVersion"] = json!("2.0");
            }
            a
        })
        .collect();

    // Deny assignments.
    let denies = g.chance(90).then(|| {
        let list: Vec<Value> = (0..2 + g.below(2))
            .map(|i| {
                let principals: Vec<Value> = if g.chance(80) {
                    vec![json!({"id": EVERYONE, "type": "SystemDefined"})]
                } else {
                    (0..1 + g.below(2)).map(|_| json!({"id": any_principal(g), "type": "User"})).collect()
                };
                let excludes: Vec<Value> = (0..g.below(3) / 2 + usize::from(g.chance(20)))
                    .map(|_| json!({"id": any_principal(g), "type": "User"}))
                    .collect();
                let mut d = json!({
                    "name": format!("deny-{i}"),
                    "denyAssignmentName": format!("Deny {i}"),
                    "permissions": [permission_block(g, true)],
                    "scope": assigned_scope(g, 85),
                    "principals": principals,
                    "excludePrincipals": excludes,
                });
                if g.chance(15) {
                    d["doNotApplyToChildScopes"] = json!(true);
                }
                if g.chance(8) {
                    d["condition"] = json!(g.pick(&CONDITIONS));
                    d["conditionVersion"] = json!("2.0");
                }
                match g.below(6) {
                    0 => d["denyAssignmentEffect"] = json!("audit"),
                    1 => d["denyAssignmentEffect"] = json!("Enforced"),
                    _ => {}
                }
                d
            })
            .collect();
        Value::Array(list).to_string()
    });

    // Groups: random members (users and groups, random case), so nesting and cycles occur.
    let groups = g.chance(85).then(|| {
        let mut map = serde_json::Map::new();
        for group in GROUPS {
            let members: Vec<String> = (0..1 + g.below(3))
                .map(|_| if g.chance(45) { pick_cased(g, &GROUPS) } else { pick_cased(g, &USERS) })
                .collect();
            map.insert(g.case(group), json!(members));
        }
        Value::Object(map).to_string()
    });

    // Hierarchy: mgA under the root (or nothing), mgB under mgA or nothing, mgC under either; s1 always placed,
    // `S2` sometimes missing.
    let hierarchy = g.chance(85).then(|| {
        let tenant_known = g.chance(65);
        let mut mgs = serde_json::Map::new();
        if tenant_known && g.chance(50) {
            mgs.insert(TENANT_ROOT.into(), Value::Null);
        }
        let root_or_null =
            |g: &mut Gen| if tenant_known && g.chance(50) { json!(g.case(TENANT_ROOT)) } else { Value::Null };
        let a = root_or_null(g);
        mgs.insert(MGS[0].into(), a);
        let b = if g.chance(70) { json!(g.case(MGS[0])) } else { root_or_null(g) };
        mgs.insert(MGS[1].into(), b);
        let c = if g.chance(70) { json!(pick_cased(g, &MGS[..2])) } else { root_or_null(g) };
        mgs.insert(MGS[2].into(), c);
        let mut subs = serde_json::Map::new();
        subs.insert("s1".into(), json!(pick_cased(g, &MGS)));
        if g.chance(50) {
            subs.insert(g.case(S2), json!(pick_cased(g, &MGS)));
        }
        let mut h = json!({"managementGroups": mgs, "subscriptions": subs});
        if tenant_known {
            h["tenantId"] = json!(TENANT_ROOT);
        }
        h.to_string()
    });

    TenantFiles {
        roles: Value::Array(roles).to_string(),
        assignments: Value::Array(assignments).to_string(),
        denies,
        groups,
        hierarchy,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

/// An owned request; `Request` borrows from it.
#[derive(Debug)]
struct OwnedRequest {
    principal: String,
    groups: Vec<String>,
    action: String,
    plane: PlaneHint,
    scope: String,
    sub_operation: Option<&'static str>,
    attributes: Vec<(&'static str, &'static str)>,
    now: DateTime,
}

fn random_request(g: &mut Gen) -> OwnedRequest {
    let principal = match g.below(20) {
        0 | 1 => (*g.pick(&UNKNOWN_PRINCIPALS)).to_owned(),
        2 => pick_cased(g, &GROUPS),
        _ => pick_cased(g, &USERS),
    };
    let groups = if g.chance(20) {
        (0..1 + g.below(2))
            .map(|_| match g.below(10) {
                0..=5 => pick_cased(g, &GROUPS),
                6..=7 => pick_cased(g, &USERS),
                _ => (*g.pick(&UNKNOWN_PRINCIPALS)).to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let action = match g.below(40) {
        0 => (*g.pick(&INVALID_OPS)).to_owned(),
        1..=2 => pick_cased(g, &UNLISTED_OPS),
        _ => {
            let op = g.pick(&CATALOG_OPS).0;
            g.case(op)
        }
    };
    let plane = match g.below(10) {
        0..=2 => PlaneHint::Control,
        3 => PlaneHint::Data,
        _ => PlaneHint::Auto,
    };
    let mut scope = match g.below(100) {
        0..=2 => (*g.pick(&REQUEST_ONLY_SCOPES)).to_owned(),
        3..=49 => pick_cased(g, &SCOPES[7..]),
        _ => pick_cased(g, &SCOPES),
    };
    if g.chance(4) {
        // The scopes are ASCII, so every offset is a character boundary; any offset moves the byte through every
        // position in the scanners' words and blocks.
        let at = g.below(scope.len() + 1);
        let insert = *g.pick(&SCOPE_INSERTS);
        scope.insert_str(at, insert);
    }
    let sub_operation = g.chance(30).then(|| *g.pick(&SUB_OPERATIONS));
    let attributes = (0..g.below(4)).map(|_| *g.pick(&ATTRIBUTES)).collect();
    let now = NOWS[g.below(NOWS.len())];
    let now = DateTime::parse(now).expect("valid");
    OwnedRequest { principal, groups, action, plane, scope, sub_operation, attributes, now }
}

pub(crate) fn catalog() -> Arc<Catalog> {
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
}

// ---------------------------------------------------------------------------------------------------------------
// The test

/// How many requests to check: 10,000 by default; `ROLEGATE_PROPTEST_CASES` below 100 multiplies that, else is
/// the count itself.
fn request_budget() -> usize {
    let default = DEFAULT_TENANTS * REQUESTS_PER_TENANT;
    match std::env::var("ROLEGATE_PROPTEST_CASES").ok().and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(0) | None => default,
        Some(n) if n < 100 => default * n,
        Some(n) => n,
    }
}

#[test]
fn engine_agrees_with_the_reference() {
    let started = Instant::now();
    let budget = request_budget();
    let catalog = catalog();
    let mut master = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut by_outcome: BTreeMap<(Effect, ReasonKind), usize> = BTreeMap::new();
    let (mut tenants, mut built, mut checked) = (0usize, 0usize, 0usize);
    let mut failures: Vec<String> = Vec::new();
    // Decisions in which a condition decided (held, was not met, or let a deny stand), by effect.
    let mut conditions_deciding: BTreeMap<Effect, usize> = BTreeMap::new();
    // Requests in which a principal typed as a user was named as a group or reached as one, and so held no grants.
    let mut withheld = 0usize;
    // Requests whose scope holds a byte that Azure would read as another scope.
    let mut reserved = 0usize;

    while checked < budget {
        let seed = master.next_u64();
        let mut g = Gen(seed);
        let files = random_tenant(&mut g);
        tenants += 1;
        let Some(tenant) = files.load() else { continue };
        built += 1;
        let engine = Engine::with_catalog(tenant, Arc::clone(&catalog));
        for _ in 0..REQUESTS_PER_TENANT {
            let r = random_request(&mut g);
            let groups: Vec<&str> = r.groups.iter().map(String::as_str).collect();
            let req = Request::new(&r.principal, &r.action, &r.scope)
                .plane(r.plane)
                .groups(&groups)
                .attributes(&r.attributes)
                .sub_operation(r.sub_operation)
                .now(r.now);
            let decision = engine.check(&req);
            let got = (Effect::of(&decision), decision.reason().kind());
            if decision.reason().condition().is_some() {
                *conditions_deciding.entry(got.0).or_default() += 1;
            }
            let want = reference_check(engine.tenant(), &catalog, &req);
            let t = engine.tenant();
            let grantees =
                grantees_of(t, &r.principal, &groups.iter().copied().filter(|g| !is_person(t, g)).collect::<Vec<_>>());
            withheld += usize::from(principals_of(t, &r.principal, &groups).len() != grantees.len());
            // An unconditional grant names the pattern that grants, in a block that grants.
            if let Decision::Allowed(reason) = &decision
                && reason.condition().is_none()
                && !names_a_granting_pattern(engine.tenant(), reason, &r.action)
                && failures.len() < 5
            {
                failures.push(format!("tenant seed {seed:#018x}\n{}request {r:?}\n  names {reason:?}\n", files.dump()));
            }
            reserved += usize::from(r.scope.contains(['%', '?', '#', '\\']));
            checked += 1;
            *by_outcome.entry(want).or_default() += 1;
            if got != want && failures.len() < 5 {
                failures.push(format!(
                    "tenant seed {seed:#018x}\n{}request {r:?}\n  engine    {got:?}\n  reference {want:?}\n",
                    files.dump()
                ));
            }
        }
    }
    // Coverage over the whole run.
    let share = |e: Effect| {
        by_outcome.iter().filter(|((eff, _), _)| *eff == e).map(|(_, n)| *n).sum::<usize>() as f64 / checked as f64
    };
    let summary = format!(
        "{checked} requests over {built}/{tenants} tenants in {:.1?}: {by_outcome:?}; a condition decided {conditions_deciding:?}; a user named or reached as a group withheld grants in {withheld}; a reserved byte in the scope in {reserved}",
        started.elapsed()
    );
    eprintln!("{summary}");
    assert!(failures.is_empty(), "the engine disagrees with the reference:\n{}", failures.join("\n"));
    assert!(built * 10 >= tenants * 9, "only {built} of {tenants} generated tenants load: {summary}");
    assert!(reserved * 200 >= checked, "a reserved byte was in {reserved} request scopes: {summary}");
    assert!(withheld * 100 >= checked, "a user named or reached as a group withheld grants in {withheld}: {summary}");
    for kind in ReasonKind::ALL {
        assert!(by_outcome.keys().any(|(_, k)| *k == kind), "{kind} never occurred: {summary}");
    }
    for effect in [Effect::Allowed, Effect::Denied, Effect::NotAllowed] {
        assert!(share(effect) >= 0.15, "{effect:?} is {:.1}% of cases: {summary}", share(effect) * 100.0);
        // Conditions must decide often enough in every direction that agreement says something about them.
        let decided = conditions_deciding.get(&effect).copied().unwrap_or(0);
        assert!(decided * 100 >= checked, "a condition decided {decided} {effect:?} cases: {summary}");
    }
}

/// Guards the generator: every tenant shape it can produce loads (or the 90% bound above would be the only
/// signal), and the fixed vocabularies stay valid.
#[test]
fn vocabulary_is_sound() {
    for s in SCOPES {
        let parsed = rolegate::scope::parse_scope(s).unwrap();
        assert!(parsed.normalized.is_empty(), "{s}");
    }
    for s in REQUEST_ONLY_SCOPES.iter().take(5) {
        assert!(rolegate::scope::parse_scope(s).map_or(true, |p| !p.normalized.is_empty()), "{s}");
    }
    let cat = catalog();
    assert_eq!(cat.plane("microsoft.a/x/BOTH/action"), rolegate::catalog::PlaneAnswer::Both);
    for op in UNLISTED_OPS {
        assert_eq!(cat.plane(op), rolegate::catalog::PlaneAnswer::Unknown);
    }
}
