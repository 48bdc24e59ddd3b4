//! Reverse-query scenarios (semantics §3.6): groups and nesting, deny assignments with exclusions, Everyone and
//! child scopes, management-group inheritance, conditions, planes, and the JSON shape scripts read.

use rolegate::engine::{Engine, Plane, PlaneHint, Reach, WhatCanQuery, WhoCan, WhoCanQuery};
use rolegate::load::TenantLoader;
use serde_json::json;

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const BLOB_DATA_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const AML_DATA_SCIENTIST: &str = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

const S1: &str = "/subscriptions/s1";
const RG1: &str = "/subscriptions/s1/resourceGroups/rg1";
const VM: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1";
const ACCOUNT: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1";
const VM_READ: &str = "Microsoft.Compute/virtualMachines/read";
const VM_DELETE: &str = "Microsoft.Compute/virtualMachines/delete";
const RA_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
const BLOB_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
const LOGS_ONLY: &str = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))";

fn engine(
    assignments: serde_json::Value,
    denies: serde_json::Value,
    groups: serde_json::Value,
    hierarchy: Option<serde_json::Value>,
) -> Engine {
    let mut l = TenantLoader::new();
    l.add_assignments("assignments.json", assignments.to_string().as_bytes());
    l.add_deny_assignments("denyAssignments.json", denies.to_string().as_bytes());
    l.add_groups("groups.json", groups.to_string().as_bytes());
    if let Some(h) = hierarchy {
        l.add_hierarchy("hierarchy.json", h.to_string().as_bytes());
    }
    Engine::new(l.build().unwrap_or_else(|e| panic!("{e:?}")).0)
}

fn a(principal: &str, role: &str, scope: &str) -> serde_json::Value {
    json!({"principalId": principal, "roleDefinitionId": role, "scope": scope})
}

fn deny(scope: &str, actions: &[&str], principals: &[&str], excludes: &[&str], children: bool) -> serde_json::Value {
    let ids = |v: &[&str]| v.iter().map(|p| json!({"id": p, "type": "User"})).collect::<Vec<_>>();
    json!({
        "denyAssignmentName": format!("deny at {scope}"),
        "permissions": [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}],
        "scope": scope,
        "principals": ids(principals),
        "excludePrincipals": ids(excludes),
        "doNotApplyToChildScopes": !children,
    })
}

/// `principal` or `principal?` (conditional), with ` via group` when held through a group, and ` -denied,…` for
/// denied members, sorted as listed.
fn summary(w: &WhoCan<'_>) -> Vec<String> {
    w.grantees
        .iter()
        .map(|g| {
            let mut s = g.principal.to_owned();
            if g.conditional.is_some() {
                s.push('?');
            }
            if let Some(group) = g.via.group {
                s.push_str(&format!(" via {group}"));
            }
            if !g.denied_members.is_empty() {
                s.push_str(&format!(" -{}", g.denied_members.join(",")));
            }
            s
        })
        .collect()
}

fn who(e: &Engine, action: &str, scope: &str, expand: bool) -> Vec<String> {
    summary(&e.who_can(&WhoCanQuery::new(action, scope).expand(expand)).unwrap())
}

fn who_below(e: &Engine, action: &str, scope: &str) -> Vec<String> {
    summary(&e.who_can(&WhoCanQuery::new(action, scope).reach(Reach::AtOrBelow).expand(true)).unwrap())
}

#[test]
fn a_group_grant_lists_the_group_and_expands_to_its_members_through_nesting_and_cycles() {
    let e = engine(
        json!([a("ops", READER, S1), a("carol", READER, VM)]),
        json!([]),
        json!({"ops": ["alice", "sre"], "sre": ["bob", "ops"], "other": ["dave"]}),
        None,
    );
    assert_eq!(who(&e, VM_READ, VM, false), ["carol", "ops"]);
    // `sre` is in `ops` and `ops` in `sre`: every member of the cycle holds the grant, each once.
    assert_eq!(who(&e, VM_READ, VM, true), ["alice via ops", "bob via ops", "carol", "ops", "sre via ops"]);
    // Below the assignments nothing changes; above them nobody may.
    assert_eq!(who(&e, VM_READ, "/subscriptions/s2", true), Vec::<String>::new());
    assert!(who(&e, VM_DELETE, VM, true).is_empty());
}

#[test]
fn a_member_denied_on_its_own_is_named_by_its_group_and_left_out_expanded() {
    let e = engine(
        json!([a("ops", OWNER, S1)]),
        json!([deny(S1, &["*/delete"], &["alice"], &[], true)]),
        json!({"ops": ["alice", "bob"]}),
        None,
    );
    assert_eq!(who(&e, VM_DELETE, VM, false), ["ops -alice"]);
    assert_eq!(who(&e, VM_DELETE, VM, true), ["bob via ops", "ops"]);
    assert_eq!(who(&e, VM_READ, VM, false), ["ops"]);
}

#[test]
fn a_member_excluded_from_a_deny_on_its_group_is_listed_on_its_own() {
    let e = engine(
        json!([a("ops", OWNER, S1)]),
        json!([deny(S1, &["*/delete"], &["ops"], &["break-glass"], true)]),
        json!({"ops": ["alice", "break-glass"]}),
        None,
    );
    // The deny reaches the group and every member but the excluded one.
    assert_eq!(who(&e, VM_DELETE, VM, false), ["break-glass via ops"]);
    assert_eq!(who(&e, VM_DELETE, VM, true), ["break-glass via ops"]);
}

#[test]
fn everyone_is_denied_but_the_excluded_and_child_scopes_escape_a_deny_that_stays_at_its_scope() {
    let e = engine(
        json!([a("alice", OWNER, S1), a("break-glass", OWNER, S1), a("team", OWNER, S1)]),
        json!([
            deny(S1, &["*/delete"], &[EVERYONE], &["break-glass", "team"], true),
            deny(RG1, &[RA_WRITE], &[EVERYONE], &[], false),
        ]),
        json!({"team": ["bob"]}),
        None,
    );
    // Excluding a group excludes its members.
    assert_eq!(who(&e, VM_DELETE, VM, true), ["bob via team", "break-glass", "team"]);
    // At the scope of a deny that does not apply to child scopes nobody may; below it, everyone may again.
    assert!(who(&e, RA_WRITE, RG1, true).is_empty());
    assert_eq!(who(&e, RA_WRITE, VM, true), ["alice", "bob via team", "break-glass", "team"]);
    assert_eq!(who_below(&e, RA_WRITE, RG1), ["alice", "bob via team", "break-glass", "team"]);
}

#[test]
fn management_groups_and_the_root_grant_below_them() {
    let hierarchy = json!({
        "tenantId": "root",
        "managementGroups": {"root": null, "platform": "root", "corp": "platform"},
        "subscriptions": {"s1": "corp"},
    });
    let e = engine(
        json!([
            a("platform-admins", READER, "/providers/Microsoft.Management/managementGroups/platform"),
            a("tenant-readers", READER, "/providers/Microsoft.Management/managementGroups/root"),
            a("everything", READER, "/"),
            a("owner-below", OWNER, RG1)
        ]),
        json!([]),
        json!({}),
        Some(hierarchy),
    );
    assert_eq!(who(&e, VM_READ, VM, true), ["everything", "owner-below", "platform-admins", "tenant-readers"]);
    // A subscription the hierarchy does not place hangs under the tenant root.
    assert_eq!(who(&e, VM_READ, "/subscriptions/s9", true), ["everything", "tenant-readers"]);
    // Nobody may assign roles at the platform group; at or below it, the resource group's owner may.
    let platform = "/providers/Microsoft.Management/managementGroups/platform";
    assert!(who(&e, RA_WRITE, platform, true).is_empty());
    assert_eq!(who_below(&e, RA_WRITE, platform), ["owner-below"]);
    assert_eq!(who_below(&e, RA_WRITE, "/"), ["owner-below"]);
    assert!(who_below(&e, RA_WRITE, "/subscriptions/s9").is_empty());
}

#[test]
fn conditions_read_the_scope_and_leave_the_rest_to_the_request() {
    let mut conditional = a("reader", BLOB_DATA_READER, ACCOUNT);
    conditional["condition"] = json!(LOGS_ONLY);
    conditional["conditionVersion"] = json!("2.0");
    let mut tagged = a("tagged", BLOB_DATA_READER, ACCOUNT);
    tagged["condition"] = json!("@Request[tag] StringEquals 'ok'");
    tagged["conditionVersion"] = json!("2.0");
    let mut guarded = deny(ACCOUNT, &[], &[EVERYONE], &[], true);
    guarded["permissions"][0]["dataActions"] = json!([BLOB_READ]);
    guarded["permissions"][0]["condition"] =
        json!("@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'secret'");
    guarded["permissions"][0]["conditionVersion"] = json!("2.0");
    let e =
        engine(json!([conditional, tagged, a("plain", BLOB_DATA_READER, ACCOUNT)]), json!([guarded]), json!({}), None);
    let container = |c: &str| format!("{ACCOUNT}/blobServices/default/containers/{c}");
    let logs = format!("{}/blobs/a.txt", container("logs"));
    // In `logs` the scope decides both conditions: the container's reader may, whatever the request says.
    assert_eq!(who(&e, BLOB_READ, &logs, true), ["plain", "reader", "tagged?"]);
    // In `secret` the deny stands for everyone; in `raw` the container condition fails.
    assert!(who(&e, BLOB_READ, &container("secret"), true).is_empty());
    assert_eq!(who(&e, BLOB_READ, &container("raw"), true), ["plain", "tagged?"]);
    // At the account the container is not known: each grant may be blocked by the deny, and reader's condition
    // reads a container name the request would have to give.
    let w = e.who_can(&WhoCanQuery::new(BLOB_READ, ACCOUNT)).unwrap();
    assert_eq!(summary(&w), ["plain?", "reader?", "tagged?"]);
    let needs = w.grantees[1].conditional.as_ref().unwrap();
    assert!(needs.grant_condition);
    assert_eq!(needs.attributes, ["@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"]);
    assert_eq!(needs.deny_assignments.len(), 1);
    let plain = w.grantees[0].conditional.as_ref().unwrap();
    assert!(!plain.grant_condition);
    assert_eq!(plain.deny_assignments[0].name, Some(format!("deny at {ACCOUNT}").as_str()));
    // The plane is the catalog's; the data plane is asked, as a request would be.
    assert_eq!(w.plane, Plane::Data);
    // What can: the blob reader's data operations, conditionally at the account.
    let wc = e.what_can(&WhatCanQuery::new("reader", ACCOUNT)).unwrap();
    assert!(wc.data.iter().any(|p| p.operation.eq_ignore_ascii_case(BLOB_READ) && p.conditional.is_some()));
    let wc = e.what_can(&WhatCanQuery::new("plain", &logs)).unwrap();
    assert!(wc.data.iter().any(|p| p.operation.eq_ignore_ascii_case(BLOB_READ) && p.conditional.is_none()));
}

#[test]
fn a_slash_star_slash_pattern_reaches_the_operation_without_the_middle_segment() {
    let ws = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1";
    let e = engine(json!([a("scientist", AML_DATA_SCIENTIST, ws)]), json!([]), json!({}), None);
    // `workspaces/*/read` reaches `workspaces/read`; the role's `NotActions` keeps `workspaces/write` out.
    assert_eq!(who(&e, "Microsoft.MachineLearningServices/workspaces/read", ws, true), ["scientist"]);
    assert!(who(&e, "Microsoft.MachineLearningServices/workspaces/write", ws, true).is_empty());
}

#[test]
fn a_user_the_tenant_types_as_such_passes_no_grant_to_its_listed_members() {
    let mut typed = a("alice", READER, S1);
    typed["principalType"] = json!("User");
    let e = engine(json!([typed]), json!([]), json!({"alice": ["bob"]}), None);
    let w = e.who_can(&WhoCanQuery::new(VM_READ, VM).expand(true)).unwrap();
    assert_eq!(summary(&w), ["alice"]);
    assert_eq!(w.grantees[0].principal_type, Some("User"));
}

#[test]
fn what_can_lists_operations_per_plane_and_effective_permissions_in_azure_shape() {
    let e = engine(
        json!([a("alice", READER, S1), a("ops", BLOB_DATA_READER, RG1)]),
        json!([deny(S1, &["Microsoft.Compute/*/read"], &["alice"], &[], true)]),
        json!({"ops": ["alice"]}),
        None,
    );
    let wc = e.what_can(&WhatCanQuery::new("alice", VM)).unwrap();
    assert!(wc.control.iter().any(|p| p.operation == "Microsoft.Network/virtualNetworks/read"));
    assert!(!wc.control.iter().any(|p| p.operation.eq_ignore_ascii_case(VM_READ)), "the deny subtracts it");
    assert!(!wc.control.iter().any(|p| p.operation.ends_with("/write")));
    let blob = wc.data.iter().find(|p| p.operation.eq_ignore_ascii_case(BLOB_READ)).unwrap();
    assert_eq!((blob.via.role, blob.via.group), ("Storage Blob Data Reader", Some("ops")));
    // Token groups count as in a check.
    let wc = e.what_can(&WhatCanQuery::new("mallory", VM).groups(&["ops"])).unwrap();
    assert!(!wc.data.is_empty() && wc.control.iter().all(|p| p.operation.starts_with("Microsoft.Storage/")));
    assert!(wc.data.iter().chain(&wc.control).all(|p| p.via.group == Some("ops")));

    let eff = e.effective_permissions(&WhatCanQuery::new("alice", VM)).unwrap();
    let v = serde_json::to_value(&eff).unwrap();
    assert_eq!(v[0]["actions"], json!(["*/read"]));
    assert_eq!(v[0]["notActions"], json!([]));
    assert_eq!(v[0]["assignment"]["role"], "Reader");
    assert_eq!(v[1]["dataActions"], json!(["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]));
    assert_eq!(v[1]["assignment"]["group"], "ops");
}

#[test]
fn the_vocabulary_holds_operations_only_roles_name() {
    let e = engine(json!([a("alice", READER, S1)]), json!([]), json!({}), None);
    let v = e.vocabulary();
    let only_roles: Vec<_> = v.iter().filter(|o| !o.in_catalog).collect();
    // The built-in roles name operations the shipped catalog lacks; who-can answers for them on their plane.
    assert!(only_roles.len() > 100, "{}", only_roles.len());
    let op = only_roles.iter().find(|o| o.plane == Plane::Control).unwrap();
    let q = WhoCanQuery::new(op.name, S1).plane(PlaneHint::Control);
    assert!(e.who_can(&q).is_ok());
    assert!(v.iter().any(|o| o.name.eq_ignore_ascii_case(VM_READ) && o.plane == Plane::Control && o.in_catalog));
}

/// The JSON of a who-can answer is what scripts read: its fields and their order are part of the contract.
#[test]
fn who_can_serializes_with_stable_fields() {
    let e = engine(
        json!([a("ops", OWNER, S1)]),
        json!([deny(S1, &["*/delete"], &["alice"], &[], true)]),
        json!({"ops": ["alice", "bob"]}),
        None,
    );
    let w = e.who_can(&WhoCanQuery::new(VM_DELETE, VM)).unwrap();
    assert_eq!(
        serde_json::to_string(&w).unwrap(),
        r#"{"plane":"control","reach":"at","expanded":false,"grantees":[{"principal":"ops","principal_type":"Group","via":{"assignment":0,"assignment_id":null,"role":"Owner","role_id":"8e3af657-a8ff-443c-a75c-2fe8c4bcb635","scope":"/subscriptions/s1","group":null},"conditional":null,"denied_members":["alice"]}]}"#
    );
}
