//! What a JSON document is, by its keys: role definitions, one of the other tenant files, or something else
//! (semantics §2.2). The tenant loader and role-lint share it, so a `package.json` beside the roles is skipped with a
//! warning instead of becoming a nameless role, and deny assignments saved under another name are refused
//! instead of being read as roles that grant nothing.

use super::{TenantFile, top_level_items};
use crate::json::{Member, Value};
use crate::model::is_guid;

/// The kind of a parsed document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Document {
    /// Role definitions (in any of the shapes of semantics §2.1), or an empty list, or a value no tenant file has
    /// (a scalar: the role loader says what is wrong with it).
    Roles,
    /// The content of another tenant file ([`TenantFile`] other than `Roles`).
    TenantFile(TenantFile),
    /// JSON that is none of them (a `package.json`, an ARM parameters file, a template without role
    /// definitions).
    Other,
}

/// Keys that only role definitions have (compared ignoring ASCII case), at the top or inside `properties`.
const ROLE_KEYS: &[&str] = &[
    "actions",
    "notactions",
    "dataactions",
    "notdataactions",
    "assignablescopes",
    "permissions",
    "rolename",
    "iscustom",
    "roletype",
];
/// Keys only deny assignments have.
const DENY_KEYS: &[&str] =
    &["denyassignmentname", "denyassignmentid", "principals", "excludeprincipals", "donotapplytochildscopes"];

/// What `root` is. Deny assignments and role assignments are recognised before roles: a deny block has
/// `permissions` too, and mistaking a deny for a role would drop it.
pub fn classify(root: &Value) -> Document {
    if let Some(members) = root.as_object() {
        let has = |k: &str| members.iter().any(|m| m.key.eq_ignore_ascii_case(k));
        if has("$schema") || has("contentVersion") {
            return template(members);
        }
        if has("managementGroups") || (has("subscriptions") && !has("value")) {
            return Document::TenantFile(TenantFile::Hierarchy);
        }
    }
    let items = top_level_items(root);
    if items.iter().any(|v| v.as_object().is_none()) {
        return Document::Roles;
    }
    let objects: Vec<&[Member]> = items.iter().filter_map(|v| v.as_object()).collect();
    let any = |f: &dyn Fn(&[Member]) -> bool| objects.iter().any(|m| f(m));
    if any(&|m| has_any(m, DENY_KEYS) || type_is(m, "Microsoft.Authorization/denyAssignments")) {
        return Document::TenantFile(TenantFile::DenyAssignments);
    }
    if any(&|m| has_any(m, &["principalid"]) && has_any(m, &["roledefinitionid"])) {
        return Document::TenantFile(TenantFile::Assignments);
    }
    if any(&|m| type_is(m, "Microsoft.Management/managementGroups")) {
        return Document::TenantFile(TenantFile::Hierarchy);
    }
    if objects.is_empty()
        || any(&|m| {
            has_any(m, ROLE_KEYS)
                || names_a_role(m)
                || only_role_keys(m)
                || type_is(m, "Microsoft.Authorization/roleDefinitions")
                || type_is(m, "CustomRole")
                || type_is(m, "BuiltInRole")
        })
    {
        return Document::Roles;
    }
    if let [members] = objects.as_slice()
        && !members.is_empty()
        && members.iter().all(|m| m.value.as_array().is_some_and(|a| a.iter().all(|v| v.as_str().is_some())))
    {
        return Document::TenantFile(TenantFile::Groups);
    }
    Document::Other
}

/// An ARM template holds roles when one of its resources is a role definition.
fn template(members: &[Member]) -> Document {
    let resources = members.iter().find(|m| m.key.eq_ignore_ascii_case("resources")).and_then(|m| m.value.as_array());
    let has_role = resources.is_some_and(|list| {
        list.iter().any(|r| r.as_object().is_some_and(|m| type_is(m, "Microsoft.Authorization/roleDefinitions")))
    });
    if has_role { Document::Roles } else { Document::Other }
}

/// Whether an object (or its `properties` object) has one of `keys` (lower-case), ignoring ASCII case.
fn has_any(members: &[Member], keys: &[&str]) -> bool {
    let here = |ms: &[Member]| ms.iter().any(|m| keys.iter().any(|k| m.key.eq_ignore_ascii_case(k)));
    here(members) || properties(members).is_some_and(here)
}

/// Whether an object's (or its `properties`') `type` is `ty`, ignoring ASCII case.
fn type_is(members: &[Member], ty: &str) -> bool {
    let here = |ms: &[Member]| {
        ms.iter()
            .any(|m| m.key.eq_ignore_ascii_case("type") && m.value.as_str().is_some_and(|t| t.eq_ignore_ascii_case(ty)))
    };
    here(members) || properties(members).is_some_and(here)
}

/// Keys a role definition has in some shape besides [`ROLE_KEYS`]; an object with nothing but these and role
/// keys is a (broken) role, so that what is wrong with it is reported as such.
const OTHER_ROLE_SHAPE_KEYS: &[&str] =
    &["name", "id", "type", "description", "condition", "conditionversion", "properties"];

fn only_role_keys(members: &[Member]) -> bool {
    !members.is_empty()
        && members.iter().all(|m| ROLE_KEYS.iter().chain(OTHER_ROLE_SHAPE_KEYS).any(|k| m.key.eq_ignore_ascii_case(k)))
}

/// Whether an object's `Id` or `name` is a GUID or a role-definition resource id. A role with no permission keys
/// that reuses a built-in role's id replaces it with a role that grants nothing; skipping it instead would
/// leave the built-in role's grants in force.
fn names_a_role(members: &[Member]) -> bool {
    members.iter().any(|m| {
        (m.key.eq_ignore_ascii_case("id") || m.key.eq_ignore_ascii_case("name"))
            && m.value.as_str().is_some_and(|v| {
                let last = v.trim_end_matches('/').rsplit('/').next().unwrap_or(v);
                is_guid(last) || v.to_ascii_lowercase().contains("/roledefinitions/")
            })
    })
}

fn properties(members: &[Member]) -> Option<&[Member]> {
    members.iter().find(|m| m.key.eq_ignore_ascii_case("properties")).and_then(|m| m.value.as_object())
}

/// The phrase for a document kind in messages (`role assignments`).
pub fn describe(doc: Document) -> &'static str {
    match doc {
        Document::Roles => "role definitions",
        Document::TenantFile(TenantFile::Assignments) => "role assignments",
        Document::TenantFile(TenantFile::DenyAssignments) => "deny assignments",
        Document::TenantFile(TenantFile::Groups) => "group memberships",
        Document::TenantFile(TenantFile::Hierarchy) => "a management-group hierarchy",
        Document::TenantFile(TenantFile::Roles) => "role definitions",
        Document::Other => "no RBAC document",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn of(text: &str) -> Document {
        classify(&crate::json::parse_bytes(text.as_bytes()).unwrap().0)
    }

    #[test]
    fn every_tenant_shape_is_recognised() {
        assert_eq!(of(r#"{"Name": "r", "Actions": ["*/read"], "AssignableScopes": ["/"]}"#), Document::Roles);
        assert_eq!(of(r#"[{"roleName": "r", "permissions": []}]"#), Document::Roles);
        assert_eq!(of(r#"{"value": [{"name": "g", "properties": {"roleName": "r"}}]}"#), Document::Roles);
        assert_eq!(of("[]"), Document::Roles);
        assert_eq!(of("5"), Document::Roles);
        // Nothing but role keys, however broken: a role, so that its problems are reported as a role's.
        assert_eq!(of(r#"{"Name": "a", "NAME": "b"}"#), Document::Roles);
        assert_eq!(of(r#"{"name": "r", "properties": ["x"]}"#), Document::Roles);
        // A role without permission keys still replaces the built-in role whose id it reuses.
        assert_eq!(of(r#"{"Name": "Reader", "Id": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}"#), Document::Roles);
        assert!(is_guid("ACDD72A7-3385-48ef-bd42-f606fba81ae7"));
        assert!(!is_guid("acdd72a7-3385-48ef-bd42-f606fba81ae"));
        assert!(!is_guid("acdd72a7x3385-48ef-bd42-f606fba81ae7"));
        let tf = Document::TenantFile;
        assert_eq!(of(r#"[{"principalId": "a", "roleDefinitionId": "r", "scope": "/"}]"#), tf(TenantFile::Assignments));
        assert_eq!(
            of(r#"[{"properties": {"principalId": "a", "roleDefinitionId": "r"}}]"#),
            tf(TenantFile::Assignments)
        );
        assert_eq!(
            of(r#"[{"denyAssignmentName": "d", "permissions": [{"actions": ["*"]}], "principals": []}]"#),
            tf(TenantFile::DenyAssignments)
        );
        assert_eq!(of(r#"[{"properties": {"permissions": [], "principals": []}}]"#), tf(TenantFile::DenyAssignments));
        assert_eq!(of(r#"{"g1": ["u1", "u2"], "g2": []}"#), tf(TenantFile::Groups));
        assert_eq!(of(r#"{"tenantId": "t", "managementGroups": {"a": null}}"#), tf(TenantFile::Hierarchy));
        assert_eq!(
            of(
                r#"[{"id": "/providers/Microsoft.Management/managementGroups/a", "type": "Microsoft.Management/managementGroups"}]"#
            ),
            tf(TenantFile::Hierarchy)
        );
    }

    #[test]
    fn other_json_is_recognised_as_such() {
        assert_eq!(of(r#"{"name": "app", "version": "1.0.0", "dependencies": {}}"#), Document::Other);
        assert_eq!(of(r#"{"$schema": "x", "contentVersion": "1.0.0.0", "parameters": {}}"#), Document::Other);
        assert_eq!(of(r#"{"compilerOptions": {"strict": true}}"#), Document::Other);
        assert_eq!(
            of(r#"{"$schema": "x", "resources": [{"type": "Microsoft.Authorization/roleDefinitions"}]}"#),
            Document::Roles
        );
    }
}
