//! Inputs that once loaded "ok" and then allowed what a deny forbids (issue 18): every one is refused, or loads
//! with the warning that says what it does, and never turns into an allow.

use std::path::{Path, PathBuf};

use rolegate::diag::{Code, codes};
use rolegate::engine::{Engine, Request};
use rolegate::load::{LoadError, TenantLoader};

/// The sample tenant's deny: everyone but break-glass is denied `*/delete` in sub-1.
const BOB: &str = "bob";
const DELETE: &str = "Microsoft.Compute/virtualMachines/delete";
const VM: &str = "/subscriptions/sub-1/resourceGroups/x/providers/Microsoft.Compute/virtualMachines/vm1";

/// A fresh copy of `tests/data/tenant` in a directory of its own, where bob is also Contributor in sub-1.
fn sample(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tenant");
    let dir = std::env::temp_dir().join(format!("rolegate-fail-closed-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let assignments = dir.join("assignments.json");
    let mut list: serde_json::Value = serde_json::from_slice(&std::fs::read(&assignments).unwrap()).unwrap();
    list.as_array_mut().unwrap().push(serde_json::json!({"principalId": BOB, "principalType": "User",
        "roleDefinitionId": "b24988ac-6180-42a0-ab88-20f7382dd24c", "scope": "/subscriptions/sub-1"}));
    std::fs::write(&assignments, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    dir
}

fn codes_of(e: &LoadError) -> Vec<Code> {
    e.diagnostics.iter().map(|d| d.code).collect()
}

/// Loads `dir` in one call ([`Engine::from_dir`]) and decides bob's delete; `Err` with the diagnostics when the
/// tenant is refused.
fn decide(dir: &Path) -> Result<(String, Vec<Code>), LoadError> {
    let (engine, warnings) = Engine::from_dir(dir)?;
    // The one call gives what the loader and the compiler give step by step.
    let (tenant, step_warnings) = TenantLoader::from_dir(dir)?.build()?;
    assert_eq!(warnings.len(), step_warnings.len());
    let d = engine.check(&Request::new(BOB, DELETE, VM));
    assert_eq!(Engine::try_new(tenant)?.check(&Request::new(BOB, DELETE, VM)), d);
    Ok((d.as_str().to_owned(), warnings.iter().map(|w| w.code).collect()))
}

/// The refusal of `dir`, failing the test if the tenant loads.
fn refused(dir: &Path) -> LoadError {
    match decide(dir) {
        Ok((decision, _)) => panic!("the tenant loaded and bob's delete is {decision}"),
        Err(e) => e,
    }
}

#[test]
fn the_sample_tenant_denies_the_delete() {
    let dir = sample("baseline");
    assert_eq!(decide(&dir).unwrap().0, "denied");
    // Without the deny file at all, the delete is allowed: what the broken files below must never give.
    std::fs::remove_file(dir.join("denyAssignments.json")).unwrap();
    assert_eq!(decide(&dir).unwrap().0, "allowed");
}

#[cfg(unix)]
#[test]
fn a_tenant_file_that_is_not_a_regular_file_refuses_the_tenant() {
    for file in ["denyAssignments.json", "groups.json", "hierarchy.json", "roles.json"] {
        let dir = sample(&format!("dangling-{file}"));
        std::fs::remove_file(dir.join(file)).unwrap();
        std::os::unix::fs::symlink(dir.join("gone.json.bak"), dir.join(file)).unwrap();
        let e = refused(&dir);
        assert_eq!(codes_of(&e), vec![codes::UNREADABLE], "{file}");
        assert!(e.diagnostics[0].message.contains("dangling link"), "{}", e.diagnostics[0].message);
        assert!(e.diagnostics[0].message.contains(file), "{}", e.diagnostics[0].message);

        let dir = sample(&format!("dir-{file}"));
        std::fs::remove_file(dir.join(file)).unwrap();
        std::fs::create_dir(dir.join(file)).unwrap();
        let e = refused(&dir);
        assert!(e.diagnostics[0].message.contains("not a regular file (it is a directory)"), "{e:?}");
    }
    let dir = sample("fifo");
    std::fs::remove_file(dir.join("denyAssignments.json")).unwrap();
    let fifo = dir.join("denyAssignments.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Reading the FIFO would block forever: it is refused by kind, at once.
    let e = refused(&dir);
    assert!(e.diagnostics[0].message.contains("a FIFO"), "{e:?}");

    let dir = sample("device");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.json")).unwrap();
    let e = refused(&dir);
    assert!(e.diagnostics[0].message.contains("a character device"), "{e:?}");

    let dir = sample("loop");
    std::os::unix::fs::symlink(dir.join("b.json"), dir.join("a.json")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.json"), dir.join("b.json")).unwrap();
    let e = refused(&dir);
    assert_eq!(codes_of(&e), vec![codes::UNREADABLE, codes::UNREADABLE], "both links are named");
}

#[test]
fn a_file_over_the_size_cap_refuses_the_tenant() {
    let dir = sample("cap");
    let deny_len = std::fs::metadata(dir.join("denyAssignments.json")).unwrap().len();
    let biggest =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).max().unwrap_or_default();
    assert!(TenantLoader::from_dir_with(&dir, biggest).is_ok());
    let e = TenantLoader::from_dir_with(&dir, deny_len - 1).unwrap_err();
    assert!(e.diagnostics.iter().all(|d| d.code == codes::UNREADABLE));
    assert!(e.diagnostics.iter().any(|d| d.message.contains("denyAssignments.json") && d.message.contains("cap")));
}

#[test]
fn a_misnamed_tenant_file_refuses_the_tenant() {
    for name in ["denyassignments.json", "denyAssignments.JSON", "DenyAssignments.json"] {
        let dir = sample(&format!("misnamed-{name}"));
        std::fs::rename(dir.join("denyAssignments.json"), dir.join(name)).unwrap();
        let e = refused(&dir);
        assert_eq!(codes_of(&e), vec![codes::MISNAMED_TENANT_FILE], "{name}");
        assert!(e.diagnostics[0].message.contains("`denyAssignments.json`"), "{}", e.diagnostics[0].message);
    }
    // Deny assignments under a role file's name are not roles that grant nothing: refused too.
    let dir = sample("deny-as-roles");
    std::fs::rename(dir.join("denyAssignments.json"), dir.join("deny.json")).unwrap();
    let e = refused(&dir);
    assert_eq!(codes_of(&e), vec![codes::MISNAMED_TENANT_FILE]);
    assert!(e.diagnostics[0].message.contains("holds deny assignments"), "{}", e.diagnostics[0].message);
    let dir = sample("assignments-as-roles");
    std::fs::copy(dir.join("assignments.json"), dir.join("more-assignments.json")).unwrap();
    assert_eq!(codes_of(&refused(&dir)), vec![codes::MISNAMED_TENANT_FILE]);
}

#[test]
fn json_that_is_no_role_is_skipped_with_a_warning() {
    let dir = sample("package");
    std::fs::write(dir.join("package.json"), br#"{"name": "infra", "version": "1.0.0", "dependencies": {}}"#).unwrap();
    let loader = TenantLoader::from_dir(&dir).unwrap();
    assert_eq!(loader.role_files().len(), 1, "only roles.json is a role file");
    let (decision, warnings) = decide(&dir).unwrap();
    assert_eq!(decision, "denied");
    assert_eq!(warnings, vec![codes::NOT_A_ROLE_FILE]);
    let (tenant, _) = TenantLoader::from_dir(&dir).unwrap().build().unwrap();
    assert!(tenant.roles.iter().all(|r| !r.origin.file().ends_with("package.json")));
}

#[test]
fn a_tenant_without_assignments_warns() {
    let dir = sample("no-assignments");
    std::fs::remove_file(dir.join("assignments.json")).unwrap();
    let (decision, warnings) = decide(&dir).unwrap();
    assert_eq!(decision, "denied");
    assert_eq!(warnings, vec![codes::MISSING_ASSIGNMENTS]);
}

/// The sample deny assignment with `edit` applied to its `properties` object.
fn deny_with(name: &str, edit: impl Fn(&mut serde_json::Map<String, serde_json::Value>)) -> PathBuf {
    let dir = sample(name);
    let path = dir.join("denyAssignments.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(v[0]["properties"].as_object_mut().unwrap());
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    dir
}

#[test]
fn a_deny_without_principals_or_permissions_is_malformed() {
    for key in ["principals", "permissions"] {
        let dir = deny_with(&format!("no-{key}"), |p| {
            p.remove(key);
        });
        let e = refused(&dir);
        assert_eq!(codes_of(&e), vec![codes::MALFORMED_DENY], "{key}");
        assert!(e.diagnostics[0].message.contains(&format!("without `{key}`")), "{}", e.diagnostics[0].message);
    }
    let dir = deny_with("null-principals", |p| {
        p.insert("principals".into(), serde_json::Value::Null);
    });
    assert_eq!(codes_of(&refused(&dir)), vec![codes::MALFORMED_DENY]);
    let dir = deny_with("no-scope", |p| {
        p.remove("scope");
    });
    // The resource id still names the scope; without it the deny is malformed.
    assert_eq!(decide(&dir).unwrap().0, "denied");
}

#[test]
fn an_empty_deny_loads_with_a_warning_that_it_denies_nothing() {
    let cases: [(&str, &str, serde_json::Value); 3] = [
        ("empty-principals", "principals", serde_json::json!([])),
        ("empty-permissions", "permissions", serde_json::json!([])),
        ("empty-actions", "permissions", serde_json::json!([{"actions": [], "notActions": []}])),
    ];
    for (name, key, value) in cases {
        let dir = deny_with(name, |p| {
            p.insert(key.into(), value.clone());
        });
        let (decision, warnings) = decide(&dir).unwrap();
        assert_eq!(decision, "allowed", "{name}: Azure's deny with an empty list denies nothing");
        assert_eq!(warnings, vec![codes::EMPTY_DENY], "{name}");
    }
}

#[test]
fn a_braced_principal_id_is_named() {
    let dir = deny_with("braced", |p| {
        p.insert(
            "principals".into(),
            serde_json::json!([{"id": "{00000000-0000-0000-0000-000000000000}", "type": "SystemDefined"}]),
        );
    });
    let (decision, warnings) = decide(&dir).unwrap();
    assert_eq!(decision, "allowed", "the braced id matches nobody, as in Azure");
    assert_eq!(warnings, vec![codes::BRACED_PRINCIPAL_ID]);
}

#[test]
fn a_cycle_through_the_tenant_root_is_a_cycle() {
    let dir = sample("root-cycle");
    std::fs::write(
        dir.join("hierarchy.json"),
        br#"{"tenantId": "tenant-root", "managementGroups": {"tenant-root": "platform", "platform": "tenant-root"},
            "subscriptions": {"sub-1": "platform"}}"#,
    )
    .unwrap();
    let e = refused(&dir);
    assert!(codes_of(&e).contains(&codes::HIERARCHY_CYCLE), "{e:?}");
}

#[test]
fn an_unlisted_parent_is_named() {
    let dir = sample("unlisted-parent");
    std::fs::write(
        dir.join("hierarchy.json"),
        br#"{"tenantId": "tenant-root", "managementGroups": {"tenant-root": null, "platform": "landing-zones"},
            "subscriptions": {"sub-1": "corp"}}"#,
    )
    .unwrap();
    let (decision, warnings) = decide(&dir).unwrap();
    assert_eq!(decision, "denied");
    assert_eq!(warnings, vec![codes::UNPLACED_SUBSCRIPTION, codes::UNPLACED_SUBSCRIPTION]);
    let loaded = TenantLoader::from_dir(&dir).unwrap().finish();
    let messages: Vec<&str> = loaded.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("`platform`'s parent `landing-zones` is not listed")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`sub-1`'s parent `corp` is not listed")), "{messages:?}");
}

#[test]
fn a_role_without_permission_keys_that_reuses_a_builtin_id_is_still_read() {
    // The sample tenant grants `ops` Reader at `platform`; the tenant's own "Reader" with that id grants nothing.
    let dir = sample("empty-override");
    let read = Request::new("alice", "Microsoft.Compute/virtualMachines/read", VM);
    let (tenant, _) = TenantLoader::from_dir(&dir).unwrap().build().unwrap();
    assert_eq!(Engine::new(tenant).check(&read).as_str(), "allowed");
    std::fs::write(dir.join("reader.json"), br#"{"Name": "Reader", "Id": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}"#)
        .unwrap();
    let (tenant, warnings) = TenantLoader::from_dir(&dir).unwrap().build().unwrap();
    assert_eq!(warnings.iter().map(|d| d.code).collect::<Vec<_>>(), vec![codes::BUILTIN_OVERRIDE]);
    assert_eq!(Engine::new(tenant).check(&read).as_str(), "not_allowed");
}

/// A request scope that Azure would decode (`r%67` is `rg`), cut (`rg?x=1`, `rg#f`) or split (`rg\x` is `rg/x`)
/// names another scope than its text. Read as written, it passed a deny at `rg` under a grant at the
/// subscription; it is an invalid request instead, in `check` and `explain` alike.
#[test]
fn a_request_scope_with_a_reserved_byte_is_invalid() {
    let dir = deny_with("deny-at-rg", |p| {
        p.insert("scope".into(), serde_json::json!("/subscriptions/sub-1/resourceGroups/rg"));
    });
    let (tenant, _) = TenantLoader::from_dir(&dir).unwrap().build().unwrap();
    let engine = Engine::new(tenant);
    let vm =
        |rg: &str| format!("/subscriptions/sub-1/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/vm1");
    let at = |scope: &str| engine.check(&Request::new(BOB, DELETE, scope));
    assert_eq!(at(&vm("rg")).as_str(), "denied");
    assert_eq!(at(&vm("x")).as_str(), "allowed");
    // Characters ARM bars from names but reads as written are part of the name: another group, as in Azure.
    assert_eq!(at(&vm("rg:x")).as_str(), "allowed");
    let mut scopes: Vec<String> =
        ["r%67", "rg%20", "%72g", "rg?x=1", "rg#f", "rg\\x", "rg%2Fx"].iter().map(|rg| vm(rg)).collect();
    scopes.extend(
        [
            "/subscriptions/sub-1/resourceGroups/rg\\providers\\Microsoft.Compute\\virtualMachines\\vm1",
            "/subscriptions/sub-1?x=1",
            "/subscriptions/sub-1#f",
            "/subscriptions/sub%2D1/resourceGroups/rg",
            "/subscriptions%2Fsub-1/resourceGroups/rg",
            "/providers/Microsoft.Management/managementGroups/m%67",
            "/%",
        ]
        .map(String::from),
    );
    // Far from the start, past the scanners' first blocks, and in a scope too long for them.
    scopes.push(format!("{}{}", vm("rg"), "/x/y".repeat(20) + "?x=1"));
    scopes.push(format!("{}{}", vm("rg"), "/x/y".repeat(80) + "#f"));
    for scope in &scopes {
        let d = at(scope);
        assert_eq!(d.as_str(), "not_allowed", "{scope}");
        assert_eq!(d.reason().kind(), rolegate::engine::ReasonKind::InvalidRequest, "{scope}");
        let e = engine.explain(&Request::new(BOB, DELETE, scope));
        assert_eq!(e.decision.reason().kind(), rolegate::engine::ReasonKind::InvalidRequest, "{scope}");
    }
}

/// A deny assignment at a scope with a reserved byte cannot be applied as Azure would apply it, so the tenant is
/// refused (RL018) rather than the deny silently never applying; a role assignment there never grants (RL008).
#[test]
fn an_assignment_or_deny_at_a_scope_with_a_reserved_byte() {
    for (i, scope) in [
        "/subscriptions/sub-1/resourceGroups/r%67",
        "/subscriptions/sub-1?x=1",
        "/subscriptions/sub-1#f",
        "/subscriptions/sub-1\\",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = deny_with(&format!("deny-reserved-{i}"), |p| {
            p.insert("scope".into(), serde_json::json!(scope));
        });
        let e = refused(&dir);
        assert_eq!(codes_of(&e), vec![codes::MALFORMED_DENY], "{scope}");
        assert!(e.diagnostics[0].message.contains("in a scope"), "{}", e.diagnostics[0].message);

        // Bob's only grant in sub-1 moved to the scope: nothing grants the delete any more.
        let dir = sample(&format!("assignment-reserved-{i}"));
        std::fs::remove_file(dir.join("denyAssignments.json")).unwrap();
        let path = dir.join("assignments.json");
        let mut list: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        list.as_array_mut().unwrap().last_mut().unwrap()["scope"] = serde_json::json!(scope);
        std::fs::write(&path, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
        let (decision, warnings) = decide(&dir).unwrap();
        assert_eq!(decision, "not_allowed", "{scope}");
        assert!(warnings.contains(&codes::MALFORMED_SCOPE), "{scope}: {warnings:?}");
    }
}

#[test]
fn a_load_error_prints_where_each_problem_is_and_never_the_files() {
    // A large file with one duplicate key: the error names the place, not the megabyte around it.
    let mut big = String::from("[");
    for i in 0..20_000 {
        big.push_str(&format!(
            r#"{{"principalId": "p{i}", "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/subscriptions/s1"}},"#
        ));
    }
    big.push_str(r#"{"principalId": "x", "principalId": "y", "roleDefinitionId": "r", "scope": "/"}]"#);
    let mut loader = TenantLoader::new();
    loader.add_assignments("assignments.json", big.as_bytes());
    let e = loader.build().unwrap_err();
    let d = &e.diagnostics[0];
    let (start, _) = d.line_cols().unwrap();
    // Display names file, line, column and code.
    assert_eq!(
        d.to_string(),
        format!("assignments.json:{}:{}: {} {}: {}", start.line, start.column, d.code.id, d.code.name, d.message)
    );
    assert!(d.to_string().starts_with("assignments.json:1:"), "{d}");
    // Debug (what `.expect()` prints) is one line a diagnostic.
    let debug = format!("{e:?}");
    assert!(debug.len() < 1_000, "{} bytes", debug.len());
    assert!(debug.contains(&d.to_string()), "{debug}");
    // The miette rendering's header is the message alone: the rendering shows the place itself.
    assert_eq!(d.report().to_string(), d.message);
}

#[test]
fn one_page_of_a_rest_list_refuses_the_tenant() {
    // The deny file saved as the first page of `GET .../denyAssignments`: the deny it holds is there, but the
    // pages after it are not, so the whole file is refused rather than read as complete.
    let dir = sample("partial-list");
    let path = dir.join("denyAssignments.json");
    let items: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let page = |next: serde_json::Value| serde_json::json!({"value": items, "nextLink": next}).to_string();
    std::fs::write(&path, page(serde_json::json!("https://management.azure.com/subscriptions/sub-1/providers/Microsoft.Authorization/denyAssignments?$skiptoken=x"))).unwrap();
    let e = refused(&dir);
    assert_eq!(codes_of(&e), vec![codes::PARTIAL_LIST], "{e:?}");
    // The last page (no `nextLink`, or null) is the whole list.
    std::fs::write(&path, page(serde_json::Value::Null)).unwrap();
    assert_eq!(decide(&dir).unwrap().0, "denied");
    // Role definitions and assignments too.
    let roles = serde_json::json!({"value": [], "nextLink": "https://management.azure.com/x?$skiptoken=y"}).to_string();
    std::fs::write(dir.join("roles.json"), roles).unwrap();
    assert!(codes_of(&refused(&dir)).contains(&codes::PARTIAL_LIST));
}
