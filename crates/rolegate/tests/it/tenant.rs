//! Tenant assembly: every file kind, cross-file checks, hierarchy formats.

use rolegate::diag::codes;
use rolegate::load::{TenantLoader, load_hierarchy};
use rolegate::model::{DenyEffect, Id, PrincipalType};

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

#[test]
fn the_sample_tenant_loads_every_file_kind() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tenant");
    let (t, warnings) = TenantLoader::from_dir(&dir).unwrap().build().unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(t.roles.len(), 929);
    let a = &t.assignments[1];
    assert_eq!(a.principal_id, Id::new("OPS"));
    assert_eq!(a.principal_type, Some(PrincipalType::Group));
    assert_eq!(a.role_id, Id::new(READER.to_uppercase()));
    assert_eq!(a.scope.scope().unwrap().management_group(), Some("platform"));
    let d = &t.deny_assignments[0];
    assert_eq!(d.effect, DenyEffect::Enforced);
    assert!(d.principals[0].is_everyone());
    assert_eq!(d.exclude_principals[0].id, Id::new("break-glass"));
    assert!(d.permissions[0].actions.items()[0].matches("Microsoft.Compute/virtualMachines/delete"));
    assert_eq!(t.groups.groups.len(), 2);
    assert_eq!(t.hierarchy.tenant_id, Some(Id::new("tenant-root")));
    assert_eq!(t.hierarchy.subscriptions, vec![(Id::new("sub-1"), Id::new("platform"))]);
}

#[test]
fn assignment_scope_is_recovered_from_the_resource_id() {
    let mut loader = TenantLoader::new();
    loader.add_assignments(
        "a.json",
        format!(
            r#"{{"value": [{{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/x",
                "properties": {{"principalId": "p", "roleDefinitionId": "{READER}"}}}}]}}"#
        )
        .as_bytes(),
    );
    let (t, _) = loader.build().unwrap();
    assert_eq!(t.assignments[0].scope.scope().unwrap().resource_group(), Some("rg"));
}

#[test]
fn a_tenant_role_with_a_builtin_id_replaces_it_with_a_warning() {
    let mut loader = TenantLoader::new();
    loader.add_roles(
        "roles.json",
        format!(r#"[{{"roleName": "Reader", "name": "{READER}", "permissions": [{{"actions": ["*"]}}], "assignableScopes": ["/"]}}]"#)
            .as_bytes(),
    );
    let (t, warnings) = loader.build().unwrap();
    assert_eq!(t.roles.len(), 928);
    assert_eq!(warnings.iter().map(|d| d.code).collect::<Vec<_>>(), vec![codes::BUILTIN_OVERRIDE]);
    assert_eq!(t.role(&Id::new(READER)).unwrap().permissions[0].actions.items()[0].raw, "*");
}

#[test]
fn duplicate_tenant_role_ids_are_fatal() {
    let mut loader = TenantLoader::new().without_builtins();
    loader.add_roles("a.json", br#"{"Name": "a", "Id": "r1", "AssignableScopes": ["/subscriptions/s"]}"#);
    loader.add_roles("b.json", br#"{"Name": "b", "Id": "R1", "AssignableScopes": ["/subscriptions/s"]}"#);
    let err = loader.build().unwrap_err();
    assert_eq!(err.diagnostics[0].code, codes::DUPLICATE_ROLE_ID);
    assert_eq!(err.diagnostics[0].file(), Some("b.json"));
}

#[test]
fn subscriptions_missing_from_the_hierarchy_are_listed() {
    let mut loader = TenantLoader::new();
    loader.add_hierarchy(
        "h.json",
        br#"{"tenantId": "t", "managementGroups": {"m": null}, "subscriptions": {"s1": "m"}}"#,
    );
    loader.add_assignments(
        "a.json",
        format!(
            r#"[{{"principalId": "p", "roleDefinitionId": "{READER}", "scope": "/subscriptions/s2"}},
               {{"principalId": "p", "roleDefinitionId": "{READER}", "scope": "/subscriptions/S1/resourceGroups/x"}},
               {{"principalId": "p", "roleDefinitionId": "{READER}", "scope": "/subscriptions/s3"}}]"#
        )
        .as_bytes(),
    );
    let (_, warnings) = loader.build().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].code, codes::UNPLACED_SUBSCRIPTION);
    assert!(warnings[0].message.contains("2 subscription(s)") && warnings[0].message.contains("s2, s3"));
    assert!(warnings[0].message.contains("tenant root `t`"));
}

#[test]
fn hierarchy_deeper_than_six_levels_warns() {
    // m1 is under the root (level 1); m7 is at level 7.
    let ok = r#"{"tenantId": "t", "managementGroups": {"t": null, "m1": "t", "m2": "m1", "m3": "m2", "m4": "m3", "m5": "m4", "m6": "m5"}}"#;
    assert!(load_hierarchy("h.json", ok.as_bytes()).diagnostics.is_empty());
    let deep = ok.replace("}}", r#", "m7": "m6"}}"#);
    let loaded = load_hierarchy("h.json", deep.as_bytes());
    assert_eq!(loaded.diagnostics.len(), 1, "{:#?}", loaded.diagnostics);
    assert_eq!(loaded.diagnostics[0].code, codes::HIERARCHY_DEPTH);
    assert_eq!(loaded.diagnostics[0].snippet(), Some("\"m7\""));
    assert!(!loaded.is_fatal());
}

#[test]
fn az_management_group_entities_are_accepted() {
    let json = br#"[
      {"id": "/providers/Microsoft.Management/managementGroups/tenant-1", "name": "tenant-1", "type": "Microsoft.Management/managementGroups",
       "tenantId": "tenant-1", "displayName": "Tenant Root Group", "parent": null, "permissions": "edit", "numberOfChildren": 2},
      {"id": "/providers/Microsoft.Management/managementGroups/corp", "name": "corp", "type": "Microsoft.Management/managementGroups",
       "tenantId": "tenant-1", "parent": {"id": "/providers/Microsoft.Management/managementGroups/tenant-1"}},
      {"id": "/subscriptions/sub-9", "name": "sub-9", "type": "/subscriptions",
       "properties": {"parent": {"id": "/providers/Microsoft.Management/managementGroups/corp"}}}
    ]"#;
    let loaded = load_hierarchy("entities.json", json);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let h = loaded.value;
    assert_eq!(h.tenant_id, Some(Id::new("tenant-1")));
    assert_eq!(h.management_groups[1], (Id::new("corp"), Some(Id::new("tenant-1"))));
    assert_eq!(h.subscriptions, vec![(Id::new("sub-9"), Id::new("corp"))]);
}
