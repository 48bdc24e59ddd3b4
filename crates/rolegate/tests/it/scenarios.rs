//! Decision scenarios: tiny tenants, many single-line checks. Each check also asks the reference evaluator, so a
//! scenario that the two disagree on points at the engine or at the reference.

use rolegate::catalog::Catalog;
use rolegate::engine::{Engine, PlaneHint, ReasonKind, Request};
use rolegate::load::TenantLoader;

use crate::reference_engine::{Effect, reference_check};

use Effect::{Allowed, Denied, NotAllowed};
use PlaneHint::{Auto, Control, Data};
use ReasonKind::{ConditionNotMet, DenyAssignment, Granted, InvalidRequest, NoGrant, PlaneUnknown};

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const USER_ACCESS_ADMIN: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
const BLOB_DATA_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const AML_DATA_SCIENTIST: &str = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

const S1: &str = "/subscriptions/s1";
const RG1: &str = "/subscriptions/s1/resourceGroups/rg1";
const RG10: &str = "/subscriptions/s1/resourceGroups/rg10";
const VM: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1";
const VM_IN_RG10: &str = "/subscriptions/s1/resourceGroups/rg10/providers/Microsoft.Compute/virtualMachines/vm1";
const BLOB: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1/blobs/dir/a.txt";
const WORKSPACE: &str =
    "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1";
const ENDPOINT: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/ep1";

const VM_READ: &str = "Microsoft.Compute/virtualMachines/read";
const VM_WRITE: &str = "Microsoft.Compute/virtualMachines/write";
const VM_DELETE: &str = "Microsoft.Compute/virtualMachines/delete";
const RA_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
const BLOB_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
const ML: &str = "Microsoft.MachineLearningServices/workspaces";

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/// A tenant from `(file name, JSON)` pairs, with the built-in roles.
fn tenant(files: &[(&str, &str)]) -> Engine {
    load(TenantLoader::new(), files)
}

fn load(mut loader: TenantLoader, files: &[(&str, &str)]) -> Engine {
    for (name, json) in files {
        match *name {
            "assignments.json" => loader.add_assignments(name, json.as_bytes()),
            "denyAssignments.json" => loader.add_deny_assignments(name, json.as_bytes()),
            "groups.json" => loader.add_groups(name, json.as_bytes()),
            "hierarchy.json" => loader.add_hierarchy(name, json.as_bytes()),
            _ => loader.add_roles(name, json.as_bytes()),
        };
    }
    let (tenant, _warnings) = loader.build().unwrap_or_else(|e| panic!("{e:?}"));
    Engine::new(tenant)
}

/// `assignments.json` from `(principal, role id, scope)`.
fn assignments(list: &[(&str, &str, &str)]) -> String {
    let items: Vec<serde_json::Value> = list
        .iter()
        .map(|(p, role, scope)| serde_json::json!({"principalId": p, "roleDefinitionId": role, "scope": scope}))
        .collect();
    serde_json::Value::Array(items).to_string()
}

#[track_caller]
fn check(
    engine: &Engine,
    principal: &str,
    action: &str,
    scope: &str,
    plane: PlaneHint,
    effect: Effect,
    kind: ReasonKind,
) {
    check_with_groups(engine, principal, &[], action, scope, plane, effect, kind);
}

#[track_caller]
#[allow(clippy::too_many_arguments)]
fn check_with_groups(
    engine: &Engine,
    principal: &str,
    groups: &[&str],
    action: &str,
    scope: &str,
    plane: PlaneHint,
    effect: Effect,
    kind: ReasonKind,
) {
    let req = Request::new(principal, action, scope).plane(plane).groups(groups);
    let got = engine.check(&req);
    let what = format!("{principal} {groups:?} {action} at {scope} ({plane:?})");
    assert_eq!((Effect::of(&got), got.reason().kind()), (effect, kind), "engine: {what}: {got:?}");
    let reference = reference_check(engine.tenant(), Catalog::builtin(), &req);
    assert_eq!(reference, (effect, kind), "reference: {what}");
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

#[test]
fn not_actions_is_an_exclusion_not_a_deny() {
    let contributor = tenant(&[("assignments.json", &assignments(&[("alice", CONTRIBUTOR, RG1)]))]);
    check(&contributor, "alice", RA_WRITE, RG1, Auto, NotAllowed, NoGrant);
    check(&contributor, "alice", VM_WRITE, VM, Auto, Allowed, Granted);
    check(&contributor, "alice", "Microsoft.Authorization/roleAssignments/read", RG1, Auto, Allowed, Granted);

    let both = tenant(&[(
        "assignments.json",
        &assignments(&[("alice", CONTRIBUTOR, RG1), ("alice", USER_ACCESS_ADMIN, RG1)]),
    )]);
    check(&both, "alice", RA_WRITE, RG1, Auto, Allowed, Granted);
    check(&both, "alice", RA_WRITE, VM, Auto, Allowed, Granted);
    check(&both, "alice", RA_WRITE, S1, Auto, NotAllowed, NoGrant);
}

#[test]
fn reader_cannot_read_blob_data() {
    let t = tenant(&[("assignments.json", &assignments(&[("alice", READER, S1), ("bob", BLOB_DATA_READER, RG1)]))]);
    check(&t, "alice", BLOB_READ, BLOB, Data, NotAllowed, NoGrant);
    check(&t, "alice", BLOB_READ, BLOB, Auto, NotAllowed, NoGrant);
    check(&t, "alice", "Microsoft.Storage/storageAccounts/read", RG1, Auto, Allowed, Granted);
    // `*/read` in Actions matches the name, but only on the control plane.
    check(&t, "alice", BLOB_READ, BLOB, Control, Allowed, Granted);
    check(&t, "bob", BLOB_READ, BLOB, Auto, Allowed, Granted);
    check(&t, "bob", BLOB_READ, BLOB, Control, NotAllowed, NoGrant);
}

#[test]
fn azureml_data_scientist_reads_but_cannot_write_its_workspace() {
    let t = tenant(&[("assignments.json", &assignments(&[("alice", AML_DATA_SCIENTIST, WORKSPACE)]))]);
    // `workspaces/*/read`: the `/*/` may match a single `/`.
    check(&t, "alice", &format!("{ML}/read"), WORKSPACE, Auto, Allowed, Granted);
    check(&t, "alice", &format!("{ML}/write"), WORKSPACE, Auto, NotAllowed, NoGrant);
    check(&t, "alice", &format!("{ML}/delete"), WORKSPACE, Auto, NotAllowed, NoGrant);
    check(&t, "alice", &format!("{ML}/experiments/runs/read"), WORKSPACE, Auto, Allowed, Granted);
    check(&t, "alice", &format!("{ML}/onlineEndpoints/score/action"), ENDPOINT, Auto, Allowed, Granted);
    check(&t, "alice", &format!("{ML}/listKeys/action"), WORKSPACE, Auto, NotAllowed, NoGrant);
    check(&t, "alice", &format!("{ML}/read"), RG1, Auto, NotAllowed, NoGrant);
}

#[test]
fn the_docs_scoring_role_also_grants_keys_and_tokens() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roles/examples/custom-role-for-scoring.json"),
    )
    .unwrap();
    let role = doc
        .replacen('{', r#"{"Id": "5c0e0000-0000-4000-8000-00000000000a","#, 1)
        .replace("/subscriptions/<subscriptionId>/resourcegroups/<resourceGroupName>", RG1);
    let t = tenant(&[
        ("scoring.json", &role),
        ("assignments.json", &assignments(&[("app", "5c0e0000-0000-4000-8000-00000000000a", ENDPOINT)])),
    ]);
    for verb in ["score", "listKeys", "listkeys", "regenerateKeys", "token", "TOKEN"] {
        check(&t, "app", &format!("{ML}/onlineEndpoints/{verb}/action"), ENDPOINT, Auto, Allowed, Granted);
    }
    check(&t, "app", &format!("{ML}/onlineEndpoints/read"), ENDPOINT, Auto, NotAllowed, NoGrant);
    check(&t, "app", &format!("{ML}/onlineEndpoints/score/action"), WORKSPACE, Auto, NotAllowed, NoGrant);
    check(&t, "app", &format!("{ML}/onlineEndpoints/score/action"), ENDPOINT, Data, NotAllowed, NoGrant);
}

const EVERYONE_DENY_VM_DELETE: &str = r#"[{
  "name": "protect-vms", "scope": "/subscriptions/s1", "denyAssignmentEffect": "enforced",
  "permissions": [{"actions": ["Microsoft.Compute/virtualMachines/delete"]}],
  "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
  "excludePrincipals": [{"id": "break-glass", "type": "User"}, {"id": "ops-admins", "type": "Group"}]
}]"#;

#[test]
fn everyone_deny_spares_excluded_principals_and_groups() {
    let t = tenant(&[
        ("denyAssignments.json", EVERYONE_DENY_VM_DELETE),
        ("groups.json", r#"{"ops-admins": ["carol", "inner"], "inner": ["dave"]}"#),
        (
            "assignments.json",
            &assignments(&[
                ("alice", OWNER, S1),
                ("break-glass", OWNER, S1),
                ("carol", OWNER, S1),
                ("dave", OWNER, S1),
            ]),
        ),
    ]);
    check(&t, "alice", VM_DELETE, VM, Auto, Denied, DenyAssignment);
    check(&t, "alice", VM_DELETE, S1, Auto, Denied, DenyAssignment);
    check(&t, "ALICE", "microsoft.compute/VIRTUALMACHINES/delete", &VM.to_uppercase(), Auto, Denied, DenyAssignment);
    check(&t, "alice", VM_WRITE, VM, Auto, Allowed, Granted);
    check(&t, "break-glass", VM_DELETE, VM, Auto, Allowed, Granted);
    check(&t, "Break-Glass", VM_DELETE, VM, Auto, Allowed, Granted);
    check(&t, "carol", VM_DELETE, VM, Auto, Allowed, Granted);
    check(&t, "dave", VM_DELETE, VM, Auto, Allowed, Granted);
    // The deny applies to principals nobody assigned, too; it is decided before the (missing) grant.
    check(&t, "mallory", VM_DELETE, VM, Auto, Denied, DenyAssignment);
    // A token group can exclude as well.
    check_with_groups(&t, "alice", &["OPS-ADMINS"], VM_DELETE, VM, Auto, Allowed, Granted);
    // Not below the deny's scope.
    let t2 = tenant(&[
        ("denyAssignments.json", EVERYONE_DENY_VM_DELETE),
        ("assignments.json", &assignments(&[("alice", OWNER, "/subscriptions/s2")])),
    ]);
    check(&t2, "alice", VM_DELETE, "/subscriptions/s2/resourceGroups/rg1", Auto, Allowed, Granted);
}

#[test]
fn deny_with_do_not_apply_to_child_scopes_applies_at_its_scope_only() {
    let t = tenant(&[
        (
            "denyAssignments.json",
            r#"[{"name": "d", "scope": "/subscriptions/s1/resourceGroups/rg1", "doNotApplyToChildScopes": true,
                "permissions": [{"actions": ["*"]}], "principals": [{"id": "alice", "type": "User"}]}]"#,
        ),
        ("assignments.json", &assignments(&[("alice", OWNER, S1)])),
    ]);
    check(&t, "alice", VM_WRITE, RG1, Auto, Denied, DenyAssignment);
    check(&t, "alice", VM_WRITE, &RG1.to_ascii_lowercase(), Auto, Denied, DenyAssignment);
    check(&t, "alice", VM_WRITE, VM, Auto, Allowed, Granted);
    check(&t, "alice", VM_WRITE, S1, Auto, Allowed, Granted);
    check(&t, "bob", VM_WRITE, RG1, Auto, NotAllowed, NoGrant);
}

#[test]
fn rg1_is_not_an_ancestor_of_rg10() {
    let t = tenant(&[
        ("assignments.json", &assignments(&[("alice", READER, RG1)])),
        (
            "denyAssignments.json",
            r#"[{"name": "d", "scope": "/subscriptions/s1/resourceGroups/rg1", "permissions": [{"actions": ["*"]}],
                "principals": [{"id": "bob", "type": "User"}]}]"#,
        ),
        ("assignments.json", &assignments(&[("bob", READER, S1)])),
    ]);
    check(&t, "alice", VM_READ, VM, Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, VM_IN_RG10, Auto, NotAllowed, NoGrant);
    check(&t, "alice", VM_READ, RG10, Auto, NotAllowed, NoGrant);
    check(&t, "bob", VM_READ, VM, Auto, Denied, DenyAssignment);
    check(&t, "bob", VM_READ, VM_IN_RG10, Auto, Allowed, Granted);
}

#[test]
fn scopes_actions_and_principals_compare_ignoring_ascii_case() {
    let t = tenant(&[("assignments.json", &assignments(&[("Alice", READER, "/SUBSCRIPTIONS/S1/resourcegroups/RG1")]))]);
    check(&t, "alice", VM_READ, VM, Auto, Allowed, Granted);
    check(&t, "ALICE", "MICROSOFT.COMPUTE/VIRTUALMACHINES/READ", &VM.to_ascii_uppercase(), Auto, Allowed, Granted);
    check(&t, "aLiCe", "microsoft.compute/virtualmachines/read", &VM.to_ascii_lowercase(), Control, Allowed, Granted);
    // ASCII only: a long s is not an s, a Kelvin sign is not a k.
    let exact = tenant(&[
        (
            "roles.json",
            r#"[{"roleName": "vm reader", "name": "vm-reader", "permissions": [{"actions": ["Microsoft.Compute/virtualMachines/read"]}],
                 "assignableScopes": ["/"]}]"#,
        ),
        ("assignments.json", &assignments(&[("alice", "VM-READER", S1)])),
    ]);
    check(&exact, "alice", "microsoft.compute/virtualmachines/READ", VM, Auto, Allowed, Granted);
    check(&exact, "alice", "Microſoft.Compute/virtualMachines/read", VM, Control, NotAllowed, NoGrant);
    check(&exact, "alice", "Microsoft.Compute/virtualMachines/read", VM, Control, Allowed, Granted);
}

const HIERARCHY: &str = r#"{"tenantId": "root", "managementGroups": {"root": null, "platform": "root", "corp": "platform"},
  "subscriptions": {"s1": "corp"}}"#;

#[test]
fn nested_groups_reach_through_management_groups() {
    let t = tenant(&[
        ("hierarchy.json", HIERARCHY),
        ("groups.json", r#"{"outer": ["inner"], "inner": ["alice", "outer"]}"#),
        (
            "assignments.json",
            &assignments(&[("OUTER", READER, "/providers/Microsoft.Management/managementGroups/platform")]),
        ),
    ]);
    check(&t, "alice", VM_READ, VM, Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, S1, Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, "/providers/Microsoft.Management/managementGroups/corp", Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, "/providers/Microsoft.Management/managementGroups/platform", Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, "/providers/Microsoft.Management/managementGroups/root", Auto, NotAllowed, NoGrant);
    // s2 is not in the hierarchy: it hangs under the tenant root, not under `platform`.
    check(&t, "alice", VM_READ, "/subscriptions/s2", Auto, NotAllowed, NoGrant);
    check(&t, "bob", VM_READ, VM, Auto, NotAllowed, NoGrant);
}

#[test]
fn a_subscription_missing_from_the_hierarchy_hangs_under_the_tenant_root() {
    let at_root = assignments(&[("alice", READER, "/providers/Microsoft.Management/managementGroups/root")]);
    let t = tenant(&[("hierarchy.json", HIERARCHY), ("assignments.json", &at_root)]);
    check(&t, "alice", VM_READ, "/subscriptions/s2/resourceGroups/rg1", Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, VM, Auto, Allowed, Granted);
    // Without a known tenant root there is no management-group chain for s2.
    let unrooted = tenant(&[
        ("hierarchy.json", r#"{"managementGroups": {"platform": null}, "subscriptions": {"s1": "platform"}}"#),
        ("assignments.json", &at_root),
    ]);
    check(&unrooted, "alice", VM_READ, "/subscriptions/s2/resourceGroups/rg1", Auto, NotAllowed, NoGrant);
}

#[test]
fn an_audit_deny_does_not_block() {
    let t = tenant(&[
        (
            "denyAssignments.json",
            r#"[{"name": "d", "scope": "/", "denyAssignmentEffect": "audit", "permissions": [{"actions": ["*"]}],
                "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}]}]"#,
        ),
        ("assignments.json", &assignments(&[("alice", OWNER, S1)])),
    ]);
    check(&t, "alice", VM_DELETE, VM, Auto, Allowed, Granted);
    check(&t, "bob", VM_DELETE, VM, Auto, NotAllowed, NoGrant);
}

#[test]
fn a_condition_on_an_assignment_is_not_met_without_attributes() {
    let conditional = format!(
        r#"[{{"principalId": "alice", "roleDefinitionId": "{BLOB_DATA_READER}", "scope": "{RG1}",
              "condition": "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'c2'",
              "conditionVersion": "2.0"}}]"#
    );
    let t = tenant(&[("assignments.json", &conditional)]);
    check(&t, "alice", BLOB_READ, BLOB, Auto, NotAllowed, ConditionNotMet);
    // A grant that does not match is not "condition not met".
    check(
        &t,
        "alice",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
        BLOB,
        Auto,
        NotAllowed,
        NoGrant,
    );
    // An unconditional grant elsewhere still allows.
    let mut both: serde_json::Value = serde_json::from_str(&conditional).unwrap();
    both.as_array_mut()
        .unwrap()
        .push(serde_json::json!({"principalId": "g", "roleDefinitionId": BLOB_DATA_READER, "scope": S1}));
    let t = tenant(&[("assignments.json", &both.to_string()), ("groups.json", r#"{"g": ["alice"]}"#)]);
    check(&t, "alice", BLOB_READ, BLOB, Auto, Allowed, Granted);
}

#[test]
fn the_plane_must_be_known() {
    let t = tenant(&[("assignments.json", &assignments(&[("alice", OWNER, S1)]))]);
    let both_planes = "Microsoft.AppConfiguration/configurationStores/keyValues/delete";
    check(&t, "alice", both_planes, S1, Auto, NotAllowed, PlaneUnknown);
    check(&t, "alice", &both_planes.to_ascii_lowercase(), S1, Auto, NotAllowed, PlaneUnknown);
    check(&t, "alice", both_planes, S1, Control, Allowed, Granted);
    check(&t, "alice", both_planes, S1, Data, NotAllowed, NoGrant);
    check(&t, "alice", "Microsoft.Nope/things/read", S1, Auto, NotAllowed, PlaneUnknown);
    check(&t, "alice", "Microsoft.Nope/things/read", S1, Control, Allowed, Granted);
    // `*` in Actions grants no data action.
    check(&t, "alice", BLOB_READ, BLOB, Auto, NotAllowed, NoGrant);
}

#[test]
fn token_groups_grant_access() {
    let t = tenant(&[
        ("groups.json", r#"{"outer": ["token-group"]}"#),
        ("assignments.json", &assignments(&[("token-group", READER, RG1), ("outer", CONTRIBUTOR, VM)])),
    ]);
    check(&t, "alice", VM_READ, VM, Auto, NotAllowed, NoGrant);
    check_with_groups(&t, "alice", &["TOKEN-GROUP"], VM_READ, VM, Auto, Allowed, Granted);
    check_with_groups(&t, "alice", &["unknown", "token-group"], VM_READ, RG1, Auto, Allowed, Granted);
    // The token group's own groups count too.
    check_with_groups(&t, "alice", &["token-group"], VM_WRITE, VM, Auto, Allowed, Granted);
    check_with_groups(&t, "alice", &["token-group"], VM_WRITE, RG1, Auto, NotAllowed, NoGrant);
    // An unknown principal with a token group.
    check_with_groups(&t, "nobody", &["token-group"], VM_READ, VM, Auto, Allowed, Granted);
}

#[test]
fn malformed_requests_are_refused() {
    let t = tenant(&[("assignments.json", &assignments(&[("alice", OWNER, "/")]))]);
    check(&t, "alice", VM_READ, "/subscriptions/s1/../s2", Auto, NotAllowed, InvalidRequest);
    check(&t, "alice", VM_READ, "/subscriptions/s1/", Auto, NotAllowed, InvalidRequest);
    check(&t, "alice", VM_READ, "subscriptions/s1", Auto, NotAllowed, InvalidRequest);
    check(&t, "alice", VM_READ, "/subscriptions/s 1", Auto, NotAllowed, InvalidRequest);
    check(&t, "alice", VM_READ, "", Auto, NotAllowed, InvalidRequest);
    check(&t, "alice", "Microsoft.Compute/*", VM, Control, NotAllowed, InvalidRequest);
    check(&t, "alice", "", VM, Control, NotAllowed, InvalidRequest);
    check(&t, "alice", " Microsoft.Compute/virtualMachines/read", VM, Control, NotAllowed, InvalidRequest);
    check(&t, "alice", VM_READ, "/", Auto, Allowed, Granted);
    check(&t, "alice", VM_READ, BLOB, Auto, Allowed, Granted);
}

/// A GUID subscription under management groups six deep below the tenant root (Azure's limit), each holding an
/// assignment (as do the root `/` and the tenant root group) and one an Everyone deny, and the same tenant cut to
/// two levels: every live ancestor counts, case variants included, and an unknown subscription hangs under the
/// tenant root only.
#[test]
fn deep_and_shallow_hierarchies_over_a_guid_subscription() {
    const SUB: &str = "/subscriptions/0B1E5C6A-7D2F-4E8A-9C3B-5F6A7E8D9C0B";
    let mg = |i: usize| format!("/providers/Microsoft.Management/managementGroups/mg{i}");
    for depth in [2usize, 6] {
        let mut groups = serde_json::Map::new();
        for i in 1..=depth {
            let parent =
                if i == 1 { serde_json::json!("tenant-root") } else { serde_json::json!(format!("mg{}", i - 1)) };
            groups.insert(format!("mg{i}"), parent);
        }
        let hierarchy = serde_json::json!({
            "tenantId": "tenant-root",
            "managementGroups": groups,
            "subscriptions": {SUB.trim_start_matches("/subscriptions/").to_ascii_lowercase(): format!("mg{depth}")},
        });
        let scopes: Vec<String> = (1..=depth).map(mg).collect();
        let principals: Vec<String> = (1..=depth).map(|i| format!("user{i}")).collect();
        let list: Vec<(&str, &str, &str)> =
            principals.iter().zip(&scopes).map(|(p, s)| (p.as_str(), READER, s.as_str())).collect();
        let deny = serde_json::json!([{"name": "d", "scope": mg(1), "permissions": [{"actions": [VM_DELETE]}],
            "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}]}]);
        let t = tenant(&[
            ("hierarchy.json", &hierarchy.to_string()),
            (
                "assignments.json",
                &assignments(
                    &[
                        &list[..],
                        &[
                            ("owner", OWNER, SUB),
                            ("at-root", READER, "/"),
                            ("at-tenant", READER, "/providers/Microsoft.Management/managementGroups/tenant-root"),
                        ],
                    ]
                    .concat(),
                ),
            ),
            ("denyAssignments.json", &deny.to_string()),
        ]);
        let rg = format!("{SUB}/resourceGroups/rg1");
        for p in &principals {
            check(&t, p, VM_READ, &rg, Auto, Allowed, Granted);
            check(&t, p, VM_READ, &rg.to_ascii_lowercase(), Auto, Allowed, Granted);
            check(&t, p, VM_WRITE, &rg, Auto, NotAllowed, NoGrant);
        }
        check(&t, "owner", VM_WRITE, &rg, Auto, Allowed, Granted);
        check(&t, "owner", VM_DELETE, &rg, Auto, Denied, DenyAssignment);
        check(&t, "at-root", VM_READ, &rg, Auto, Allowed, Granted);
        check(&t, "at-tenant", VM_READ, &rg, Auto, Allowed, Granted);
        check(&t, "at-tenant", VM_READ, "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f", Auto, Allowed, Granted);
        check(&t, "owner", VM_DELETE, "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f", Auto, NotAllowed, NoGrant);
        check(&t, "user1", VM_READ, "/subscriptions/5b2e0c3d-1f4a-4e6b-9c8d-7a6b5c4d3e2f", Auto, NotAllowed, NoGrant);
    }
}

/// Operations named exactly, at the lengths where the engine changes how it reads an action (below 32 bytes, 32
/// to 96 bytes, above), in either case; one byte off, anywhere, matches nothing.
#[test]
fn exact_actions_of_every_length_class_match_up_to_case_only() {
    let actions = [
        "Anyscale.Platform/clouds/delete",
        "Astronomer.Astro/operations/read",
        "Anyscale.Platform/agreements/read",
        "Microsoft.ApiManagement/service/authorizationProviders/authorizations/confirmConsentCode/action",
        "Microsoft.AppConfiguration/configurationStores/networkSecurityPerimeterAssociationProxies/delete",
        "Microsoft.Approvals/approvalWorkflowDefinitions/approvalWorkflowInstances/syncPolicyStatus/action",
    ];
    assert_eq!(actions.map(str::len), [31, 32, 33, 95, 96, 97]);
    let role = serde_json::json!([{"roleName": "exact", "name": "exact-1",
        "permissions": [{"actions": actions}], "assignableScopes": ["/"]}]);
    let t =
        tenant(&[("roles.json", &role.to_string()), ("assignments.json", &assignments(&[("alice", "exact-1", S1)]))]);
    for a in actions {
        check(&t, "alice", a, RG1, Auto, Allowed, Granted);
        check(&t, "alice", &a.to_ascii_uppercase(), RG1, Control, Allowed, Granted);
        for at in 0..a.len() {
            let mut other = a.as_bytes().to_vec();
            other[at] = if other[at] == b'x' { b'y' } else { b'x' };
            let other = String::from_utf8(other).unwrap();
            check(&t, "alice", &other, RG1, Control, NotAllowed, NoGrant);
        }
    }
    // Text no operation can have, at lengths read both ways.
    check(&t, "alice", "Anyscale.Platform/clouds/*", RG1, Control, NotAllowed, InvalidRequest);
    check(&t, "alice", "Microsoft.ApiManagement/service/*", RG1, Control, NotAllowed, InvalidRequest);
    check(&t, "alice", "Microsoft.ApiManagement/service/\u{200b}read", RG1, Control, NotAllowed, InvalidRequest);
}

#[test]
fn a_malformed_not_actions_entry_makes_its_block_grant_nothing() {
    let t = tenant(&[
        (
            "roles.json",
            r#"[{"roleName": "r", "name": "r-1", "permissions": [
                 {"actions": ["*"], "notActions": ["Microsoft.Compute/virtualMachines /delete"], "dataActions": ["*"]},
                 {"actions": ["*/read"]}], "assignableScopes": ["/"]}]"#,
        ),
        ("assignments.json", &assignments(&[("alice", "r-1", S1)])),
    ]);
    check(&t, "alice", VM_WRITE, VM, Auto, NotAllowed, NoGrant);
    check(&t, "alice", BLOB_READ, BLOB, Auto, NotAllowed, NoGrant);
    check(&t, "alice", VM_READ, VM, Auto, Allowed, Granted);
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions (semantics §3.1)

const BLOB_DATA_CONTRIBUTOR: &str = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const RBAC_ADMIN: &str = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
const KEY_VAULT_DATA_ACCESS_ADMIN: &str = "8b54135c-b56d-4d72-a534-26097cfdc8d8";
const KEY_VAULT_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
const RA_DELETE: &str = "Microsoft.Authorization/roleAssignments/delete";
const BLOB_WRITE: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";
const CONTAINERS: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers";
const TAG_PROJECT: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project";
const ROLE_DEFINITION_ID: &str = "Microsoft.Authorization/roleAssignments:RoleDefinitionId";

/// `assignments.json` with one conditional assignment.
fn conditional(principal: &str, role: &str, scope: &str, condition: &str) -> String {
    serde_json::json!([{"principalId": principal, "roleDefinitionId": role, "scope": scope,
        "condition": condition, "conditionVersion": "2.0"}])
    .to_string()
}

/// Checks one request against the expected effect and reason kind, in the engine and in the reference.
#[track_caller]
fn check_req(engine: &Engine, req: &Request<'_>, effect: Effect, kind: ReasonKind) {
    let got = engine.check(req);
    assert_eq!((Effect::of(&got), got.reason().kind()), (effect, kind), "engine: {req:?}: {got:?}");
    assert_eq!(reference_check(engine.tenant(), Catalog::builtin(), req), (effect, kind), "reference: {req:?}");
}

fn blob(container: &str) -> String {
    format!("{CONTAINERS}/{container}/blobs/dir/a.txt")
}

#[test]
fn a_container_condition_allows_reads_only_in_that_container() {
    let t1 = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conditions/T1.txt"))
        .unwrap()
        .replace("blobs-example-container", "logs");
    let t = tenant(&[("assignments.json", &conditional("alice", BLOB_DATA_CONTRIBUTOR, RG1, &t1))]);
    let (logs, other) = (blob("logs"), blob("other"));
    check_req(&t, &Request::new("alice", BLOB_READ, &logs), Allowed, Granted);
    check_req(&t, &Request::new("alice", BLOB_READ, &other), NotAllowed, ConditionNotMet);
    // The container name comes from the scope: claiming another one changes nothing.
    let spoof = [("Microsoft.Storage/storageAccounts/blobServices/containers:name", "logs")];
    check_req(&t, &Request::new("alice", BLOB_READ, &other).attributes(&spoof), NotAllowed, ConditionNotMet);
    // The guard names only reads: writes anywhere pass through.
    check_req(&t, &Request::new("alice", BLOB_WRITE, &other), Allowed, Granted);
    // The reason names the condition and the expression that decided.
    let d = t.check(&Request::new("alice", BLOB_READ, &other));
    let (_, expression) = t.reason_condition(d.reason()).unwrap();
    assert!(expression.starts_with("@Resource[") && expression.ends_with("'logs'"), "{expression}");
}

#[test]
fn a_tag_condition_leaves_listing_alone() {
    let t3 = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conditions/T3.txt")).unwrap();
    let t = tenant(&[("assignments.json", &conditional("alice", BLOB_DATA_READER, RG1, &t3))]);
    let at = blob("c1");
    let cascade = [(TAG_PROJECT, "Cascade")];
    let baker = [(TAG_PROJECT, "Baker")];
    check_req(&t, &Request::new("alice", BLOB_READ, &at).attributes(&cascade), Allowed, Granted);
    check_req(&t, &Request::new("alice", BLOB_READ, &at).attributes(&baker), NotAllowed, ConditionNotMet);
    // Without the tag the read cannot be decided: not allowed (fail closed).
    check_req(&t, &Request::new("alice", BLOB_READ, &at), NotAllowed, ConditionNotMet);
    // Listing is excluded from the guard (`AND NOT SubOperationMatches{'Blob.List'}`).
    check_req(&t, &Request::new("alice", BLOB_READ, &at).sub_operation("Blob.List"), Allowed, Granted);
}

#[test]
fn a_delegation_condition_limits_which_roles_may_be_assigned() {
    let t15 = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conditions/T15.txt")).unwrap();
    let t = tenant(&[("assignments.json", &conditional("alice", RBAC_ADMIN, S1, &t15))]);
    let listed = "5e467623-bb1f-42f4-a55d-6e525e11384b";
    let user = [(ROLE_DEFINITION_ID, listed), ("Microsoft.Authorization/roleAssignments:PrincipalType", "user")];
    let owner = [(ROLE_DEFINITION_ID, OWNER), ("Microsoft.Authorization/roleAssignments:PrincipalType", "User")];
    let sp =
        [(ROLE_DEFINITION_ID, listed), ("Microsoft.Authorization/roleAssignments:PrincipalType", "ServicePrincipal")];
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&user), Allowed, Granted);
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&owner), NotAllowed, ConditionNotMet);
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&sp), NotAllowed, ConditionNotMet);
    // Deletion reads the same attributes from the existing assignment (`@Resource`).
    let resource = [
        ("@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]", listed),
        ("@Resource[Microsoft.Authorization/roleAssignments:PrincipalType]", "Group"),
    ];
    check_req(&t, &Request::new("alice", RA_DELETE, RG1).attributes(&resource), Allowed, Granted);
    check_req(&t, &Request::new("alice", RA_DELETE, RG1).attributes(&user), Allowed, Granted);
    check_req(&t, &Request::new("alice", RA_DELETE, RG1).attributes(&owner), NotAllowed, ConditionNotMet);
    // Reads are not guarded.
    check_req(&t, &Request::new("alice", VM_READ, VM), Allowed, Granted);
}

#[test]
fn the_docs_any_of_any_not_equals_delegation_lets_owner_through() {
    // T17 as documented in 09/2023: `ForAnyOfAnyValues:GuidNotEquals` over three roles is always true.
    let t17 = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conditions/T17.txt")).unwrap();
    let t = tenant(&[("assignments.json", &conditional("alice", RBAC_ADMIN, S1, &t17))]);
    let owner = [(ROLE_DEFINITION_ID, OWNER)];
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&owner), Allowed, Granted);
    let fixed = t17.replace("ForAnyOfAnyValues:GuidNotEquals", "ForAnyOfAllValues:GuidNotEquals");
    let t = tenant(&[("assignments.json", &conditional("alice", RBAC_ADMIN, S1, &fixed))]);
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&owner), NotAllowed, ConditionNotMet);
    let reader = [(ROLE_DEFINITION_ID, READER)];
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&reader), Allowed, Granted);
}

#[test]
fn a_built_in_block_condition_filters_its_own_grants() {
    // Key Vault Data Access Administrator may assign only Key Vault data roles.
    let t = tenant(&[("assignments.json", &assignments(&[("alice", KEY_VAULT_DATA_ACCESS_ADMIN, S1)]))]);
    let secrets_user = [(ROLE_DEFINITION_ID, KEY_VAULT_SECRETS_USER)];
    let owner = [(ROLE_DEFINITION_ID, OWNER)];
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&secrets_user), Allowed, Granted);
    check_req(&t, &Request::new("alice", RA_WRITE, RG1).attributes(&owner), NotAllowed, ConditionNotMet);
    check_req(&t, &Request::new("alice", RA_WRITE, RG1), NotAllowed, ConditionNotMet);
    // The condition filters every action of its block; the block's other grants need no attribute.
    check_req(&t, &Request::new("alice", "Microsoft.Resources/subscriptions/read", S1), Allowed, Granted);
}

#[test]
fn a_deny_condition_stops_the_deny_only_when_definitely_false() {
    let deny = serde_json::json!([{"name": "d", "scope": S1,
        "permissions": [{"dataActions": ["*/blobs/read"],
            "condition": "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringStartsWith 'secret' OR @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Class] StringEquals 'restricted'"}],
        "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}]}])
    .to_string();
    let t = tenant(&[
        ("assignments.json", &assignments(&[("alice", BLOB_DATA_READER, S1)])),
        ("denyAssignments.json", &deny),
    ]);
    let open = [("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Class", "open")];
    let restricted = [("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Class", "restricted")];
    check_req(&t, &Request::new("alice", BLOB_READ, &blob("secrets")), Denied, DenyAssignment);
    check_req(&t, &Request::new("alice", BLOB_READ, &blob("public")).attributes(&open), Allowed, Granted);
    check_req(&t, &Request::new("alice", BLOB_READ, &blob("public")).attributes(&restricted), Denied, DenyAssignment);
    // Without the tag the deny cannot be ruled out, so it applies.
    check_req(&t, &Request::new("alice", BLOB_READ, &blob("public")), Denied, DenyAssignment);
}

#[test]
fn a_condition_that_does_not_parse_never_grants_and_always_denies() {
    let broken = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'c1' OR";
    let deny =
        serde_json::json!([{"name": "d", "scope": S1, "permissions": [{"actions": ["*/delete"], "condition": broken}],
        "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}]}])
        .to_string();
    let mut list: serde_json::Value =
        serde_json::from_str(&conditional("alice", BLOB_DATA_READER, RG1, broken)).unwrap();
    list.as_array_mut()
        .unwrap()
        .push(serde_json::json!({"principalId": "alice", "roleDefinitionId": OWNER, "scope": S1}));
    let t = tenant(&[("assignments.json", &list.to_string()), ("denyAssignments.json", &deny)]);
    check_req(&t, &Request::new("alice", BLOB_READ, &blob("c1")), NotAllowed, ConditionNotMet);
    check_req(&t, &Request::new("alice", VM_DELETE, VM), Denied, DenyAssignment);
    check_req(&t, &Request::new("alice", VM_WRITE, VM), Allowed, Granted);
}

/// A request group id that an assignment types as a user or service principal is no group: naming it borrows none
/// of its grants, nor does membership in it through groups.json (which then conflicts), while deny assignments
/// naming it still apply; explain says why.
#[test]
fn a_group_the_tenant_knows_as_a_user_is_no_group() {
    let typed = |p: &str, t: &str, role: &str| serde_json::json!({"principalId": p, "principalType": t, "roleDefinitionId": role, "scope": S1});
    let list = serde_json::json!([
        typed("bob", "User", OWNER),
        typed("svc", "ServicePrincipal", CONTRIBUTOR),
        typed("team", "Group", READER),
        typed("dual", "User", CONTRIBUTOR),
        typed("crew", "Group", CONTRIBUTOR),
    ]);
    let deny = r#"[{"name": "bob-keeps-vms", "scope": "/subscriptions/s1",
        "permissions": [{"actions": ["Microsoft.Compute/virtualMachines/delete"]}],
        "principals": [{"id": "bob", "type": "User"}]}]"#;
    let t = tenant(&[
        ("assignments.json", &list.to_string()),
        ("denyAssignments.json", deny),
        ("groups.json", r#"{"team": ["alice"], "dual": ["carol"], "crew": ["dual"]}"#),
    ]);
    // A group typed as a group is one.
    check_with_groups(&t, "alice", &[], VM_READ, VM, Auto, Allowed, Granted);
    check_with_groups(&t, "dave", &["team"], VM_READ, VM, Auto, Allowed, Granted);
    // Named as groups, a user and a service principal lend nothing, in any case.
    check_with_groups(&t, "alice", &["bob"], VM_WRITE, VM, Auto, NotAllowed, NoGrant);
    check_with_groups(&t, "alice", &["BOB"], VM_WRITE, VM, Auto, NotAllowed, NoGrant);
    check_with_groups(&t, "alice", &["svc"], VM_WRITE, VM, Auto, NotAllowed, NoGrant);
    check_with_groups(&t, "bob", &[], VM_WRITE, VM, Auto, Allowed, Granted);
    // The deny naming bob still applies to a request that names him as a group.
    check_with_groups(&t, "alice", &["bob"], VM_DELETE, VM, Auto, Denied, DenyAssignment);
    // `dual` is a group in groups.json and a user in the assignments: no group, so carol gets neither its grants
    // nor those of `crew`, which she reaches only through it; `dual` itself, as a principal, is a member of crew.
    check_with_groups(&t, "carol", &[], VM_WRITE, VM, Auto, NotAllowed, NoGrant);
    check_with_groups(&t, "carol", &["dual"], VM_WRITE, VM, Auto, NotAllowed, NoGrant);
    check_with_groups(&t, "dual", &[], VM_WRITE, VM, Auto, Allowed, Granted);
    check_with_groups(&t, "carol", &["crew"], VM_WRITE, VM, Auto, Allowed, Granted);

    let ex = t.explain(&Request::new("alice", VM_WRITE, VM).groups(&["bob", "dual", "team"]));
    assert!(!ex.decision.is_allowed());
    let ignored = |ex: &rolegate::engine::Explanation| -> Vec<(String, String, bool, Option<String>)> {
        ex.ignored_groups
            .iter()
            .map(|g| (g.id.clone(), g.known_as.clone(), g.listed_as_group, g.member.clone()))
            .collect()
    };
    let owned = |id: &str, listed: bool, member: Option<&str>| {
        (id.to_owned(), "User".to_owned(), listed, member.map(str::to_owned))
    };
    assert_eq!(ignored(&ex), [owned("bob", false, None), owned("dual", true, None)]);
    // Only the principals whose assignments count are listed, and only their assignments are judged.
    assert_eq!(ex.principals, [vec!["alice".to_owned()], vec!["team".to_owned()]]);
    assert!(ex.assignments.iter().all(|s| s.via == "team"), "{:?}", ex.assignments);
    let text = t.explanation_text(&ex);
    assert!(text.contains("group `bob` is ignored: the tenant knows it as a User; it grants nothing"), "{text}");
    assert!(
        text.contains("group `dual` is ignored: the tenant knows it as a User, though groups.json lists it as a group"),
        "{text}"
    );
    let json = serde_json::to_value(t.explanation_view(&ex)).unwrap();
    assert_eq!(json["ignored_groups"][1]["listed_as_group"], true);

    // Reached through groups.json rather than named, the conflicting group is reported with its member.
    let ex = t.explain(&Request::new("carol", VM_WRITE, VM));
    assert!(!ex.decision.is_allowed());
    assert_eq!(
        serde_json::to_string(&t.explanation_view(&ex)).unwrap(),
        r#"{"decision":"not_allowed","reason":{"kind":"no_grant"},"plane":"control","principals":[["carol"]],"ignored_groups":[{"id":"dual","known_as":"User","listed_as_group":true,"member":"carol","text":"group `dual` of `carol` is ignored: the tenant knows it as a User, though groups.json lists it as a group: conflicting, so not a group (fail closed); it grants nothing, and deny assignments naming it still apply"}],"deny_assignments":[{"name":null,"scope":"/subscriptions/s1","outcome":{"result":"not_applicable","why":"none of the request's principals is targeted"}}],"assignments":[]}"#
    );
    assert_eq!(ignored(&ex), [owned("dual", true, Some("carol"))]);
    assert_eq!(ex.principals, [vec!["carol".to_owned()]]);
    let text = t.explanation_text(&ex);
    assert!(text.contains("group `dual` of `carol` is ignored: the tenant knows it as a User, though"), "{text}");
}
