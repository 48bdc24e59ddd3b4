//! `Engine::check` does not allocate (semantics §3: the compact reason is "always on and allocation-free").
//!
//! A counting global allocator wraps the system one; the counter is thread-local, so tests running in parallel
//! on other threads do not disturb a measurement.
//!
//! A global allocator needs `unsafe`: the workspace denies `unsafe_code` (the library crates forbid it), and
//! this test binary alone allows it.

#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rolegate::engine::{Engine, PlaneHint, Request};
use rolegate::load::TenantLoader;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a const-initialised
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    let after = ALLOCATIONS.with(Cell::get);
    (out, after - before)
}

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const BLOB_DATA_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

fn engine() -> Engine {
    let mut loader = TenantLoader::new();
    loader.add_hierarchy(
        "hierarchy.json",
        br#"{"tenantId": "root", "managementGroups": {"root": null, "platform": "root", "corp": "platform"},
             "subscriptions": {"s1": "corp"}}"#,
    );
    loader.add_groups("groups.json", br#"{"outer": ["inner", "token-group"], "inner": ["alice", "outer"]}"#);
    loader.add_assignments(
        "assignments.json",
        format!(
            r#"[{{"principalId": "outer", "roleDefinitionId": "{READER}",
                  "scope": "/providers/Microsoft.Management/managementGroups/platform"}},
                {{"principalId": "bob", "roleDefinitionId": "{OWNER}", "scope": "/subscriptions/s1/resourceGroups/rg1"}},
                {{"principalId": "carol", "roleDefinitionId": "{BLOB_DATA_READER}", "scope": "/subscriptions/s1",
                  "condition": "@Resource[x] StringEquals 'y'", "conditionVersion": "2.0"}},
                {{"principalId": "dave", "roleDefinitionId": "{BLOB_DATA_READER}", "scope": "/subscriptions/s1",
                  "condition": "(!(ActionMatches{{'*/blobs/read'}} AND NOT SubOperationMatches{{'Blob.List'}})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'c1' AND @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] ForAnyOfAnyValues:StringEqualsIgnoreCase {{'cascade', 'baker'}} AND @Environment[UtcNow] DateTimeGreaterThan '2020-01-01T00:00:00Z')"}},
                {{"principalId": "erin", "roleDefinitionId": "f58310d9-a9f6-439a-9e8d-f62e7b41a168", "scope": "/subscriptions/s1",
                  "condition": "(!(ActionMatches{{'Microsoft.Authorization/roleAssignments/write'}})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{acdd72a7338548efbd42f606fba81ae7, 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1}} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] StringEqualsIgnoreCase 'group')"}}]"#
        )
        .as_bytes(),
    );
    loader.add_deny_assignments(
        "denyAssignments.json",
        br#"[{"name": "d", "scope": "/subscriptions/s1", "permissions": [{"actions": ["*/delete"]}],
              "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
              "excludePrincipals": [{"id": "break-glass", "type": "User"}]},
             {"name": "d2", "scope": "/subscriptions/s1", "permissions": [{"dataActions": ["*/blobs/read"],
              "condition": "Exists @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] AND @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith 'secret/'"}],
              "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}]}]"#,
    );
    let (tenant, _) = loader.build().unwrap();
    Engine::new(tenant)
}

const VM: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1";
const BLOB: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1/blobs/a/b/c/d/e/f/g/h.txt";

const TAGS: &[(&str, &str)] = &[
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project", "Skagit"),
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project", "Baker"),
];
const ASSIGN_READER: &[(&str, &str)] = &[
    ("Microsoft.Authorization/roleAssignments:RoleDefinitionId", "ACDD72A7-3385-48EF-BD42-F606FBA81AE7"),
    ("Microsoft.Authorization/roleAssignments:PrincipalType", "Group"),
];
const ASSIGN_OWNER: &[(&str, &str)] = &[
    ("Microsoft.Authorization/roleAssignments:RoleDefinitionId", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Microsoft.Authorization/roleAssignments:PrincipalType", "Group"),
];
const SECRET: &[(&str, &str)] = &[
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project", "Baker"),
    ("@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix]", "secret/x"),
];

#[test]
fn check_does_not_allocate() {
    let engine = engine();
    let token_groups: &[&str] = &["Token-Group", "unknown-group"];
    let requests = [
        // allowed, through nested groups and management groups
        Request::new("alice", "Microsoft.Compute/virtualMachines/read", VM),
        Request::new("ALICE", "microsoft.compute/VIRTUALMACHINES/read", "/SUBSCRIPTIONS/S1"),
        Request::new("bob", "Microsoft.Compute/virtualMachines/write", VM).plane(PlaneHint::Control),
        // denied
        Request::new("bob", "Microsoft.Compute/virtualMachines/delete", VM),
        Request::new("mallory", "Microsoft.Compute/virtualMachines/delete", VM).plane(PlaneHint::Control),
        // not allowed: no grant, condition not met, plane unknown
        Request::new("alice", "Microsoft.Compute/virtualMachines/write", VM),
        Request::new("carol", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", BLOB),
        Request::new("bob", "Microsoft.AppConfiguration/configurationStores/keyValues/delete", VM),
        Request::new("bob", "Microsoft.Nope/things/read", VM),
        Request::new("bob", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", BLOB)
            .plane(PlaneHint::Data),
        // conditions: met (from the scope, attributes and the clock), not met, unknown, a conditional deny
        Request::new("dave", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", BLOB)
            .attributes(TAGS),
        Request::new("dave", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", BLOB),
        Request::new("dave", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", BLOB)
            .attributes(TAGS)
            .sub_operation("Blob.List"),
        Request::new("dave", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", BLOB)
            .attributes(SECRET),
        Request::new("erin", "Microsoft.Authorization/roleAssignments/write", VM).attributes(ASSIGN_READER),
        Request::new("erin", "Microsoft.Authorization/roleAssignments/write", VM).attributes(ASSIGN_OWNER),
        // token groups
        Request::new("nobody", "Microsoft.Compute/virtualMachines/read", VM).groups(token_groups),
        // unknown principal
        Request::new("mallory", "Microsoft.Compute/virtualMachines/read", VM),
        // invalid requests
        Request::new("alice", "Microsoft.Compute/virtualMachines/read", "/subscriptions/s1/../s2"),
        Request::new("alice", "Microsoft.Compute/virtualMachines/read", "/subscriptions/s1/"),
        Request::new("alice", "Microsoft.Compute/*", VM),
        Request::new("alice", "", VM),
        // deep scope, root scope, management-group scope
        Request::new("alice", "Microsoft.Storage/storageAccounts/read", BLOB),
        Request::new("alice", "Microsoft.Storage/storageAccounts/read", "/"),
        Request::new(
            "alice",
            "Microsoft.Storage/storageAccounts/read",
            "/providers/Microsoft.Management/managementGroups/corp",
        ),
    ];
    // Warm up: lazily initialised state (the built-in catalog, thread-locals) may allocate once.
    let expected: Vec<_> = requests.iter().map(|r| engine.check(r)).collect();
    assert!(expected.iter().any(|d| d.is_allowed()), "{expected:#?}");
    // The conditional requests decide every way: allowed, not met (unknown tag), allowed (listing is not
    // guarded), denied by the conditional deny.
    let conditional: Vec<_> =
        requests.iter().zip(&expected).filter(|(r, _)| r.parts().principal == "dave").map(|(_, d)| d).collect();
    assert!(conditional.iter().all(|d| d.reason().condition().is_some()), "{conditional:#?}");
    assert!(conditional[0].is_allowed() && !conditional[1].is_allowed() && conditional[2].is_allowed());
    assert!(matches!(conditional[3], rolegate::engine::Decision::Denied(_)));
    let delegation: Vec<_> = requests
        .iter()
        .zip(&expected)
        .filter(|(r, _)| r.parts().principal == "erin")
        .map(|(_, d)| d.is_allowed())
        .collect();
    assert_eq!(delegation, [true, false]);
    for (req, want) in requests.iter().zip(&expected) {
        let (got, n) = allocations_in(|| engine.check(req));
        assert_eq!(n, 0, "{req:?} allocated {n} time(s)");
        assert_eq!(got, *want);
    }
    // The whole mix again, in one measurement.
    let (_, n) = allocations_in(|| requests.iter().map(|r| engine.check(r).is_allowed()).filter(|a| *a).count());
    assert_eq!(n, 0);
}

#[test]
fn the_counter_counts() {
    let (v, n) = allocations_in(|| vec![1u8; 10]);
    assert_eq!(v.len(), 10);
    assert!(n >= 1);
}
