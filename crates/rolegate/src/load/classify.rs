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
    if let Some(roles) = super::roles::arm_template_resources(root) {
        return if roles.is_empty() { Document::Other } else { Document::Roles };
    }
    if let Some(members) = root.as_object() {
        let has = |k: &str| members.iter().any(|m| m.key.eq_ignore_ascii_case(k));
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
    if !objects.is_empty() && objects.iter().all(|m| is_cosmos_sql_role(m)) {
        return Document::Other;
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

/// A Cosmos DB SQL role definition (`az cosmosdb sql role definition create --body`, or the
/// `Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions` resource): Cosmos DB's own RBAC, whose
/// `RoleName` / `Type` / `Permissions[].DataActions` look like an Azure role's. Only an unambiguous shape counts:
/// the resource type or id, or `Type: CustomRole` (Azure RBAC spells it `RoleType`) with no control-plane
/// `Actions` anywhere; anything less is read as an Azure role, whose problems the loader then reports.
fn is_cosmos_sql_role(members: &[Member]) -> bool {
    let ty = |ms: &[Member]| {
        ms.iter().find(|m| m.key.eq_ignore_ascii_case("type")).and_then(|m| m.value.as_str()).map(str::to_owned)
    };
    if type_is(members, "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions") {
        return true;
    }
    let id_is_sql_role = members.iter().any(|m| {
        m.key.eq_ignore_ascii_case("id")
            && m.value.as_str().is_some_and(|v| v.to_ascii_lowercase().contains("/sqlroledefinitions/"))
    });
    if id_is_sql_role {
        return true;
    }
    let role_type =
        ty(members).is_some_and(|t| t.eq_ignore_ascii_case("CustomRole") || t.eq_ignore_ascii_case("BuiltInRole"));
    let has = |k: &str| members.iter().any(|m| m.key.eq_ignore_ascii_case(k));
    role_type
        && has("RoleName")
        && !has("properties")
        && !has_any(members, &["actions", "notactions", "iscustom", "roletype"])
        && !permission_blocks_have_actions(members)
}

/// Whether a `Permissions` list has a block with `Actions` or `NotActions` (Cosmos DB roles have data actions only).
fn permission_blocks_have_actions(members: &[Member]) -> bool {
    members
        .iter()
        .filter(|m| m.key.eq_ignore_ascii_case("permissions"))
        .filter_map(|m| m.value.as_array())
        .flatten()
        .any(|block| block.as_object().is_none_or(|b| has_any(b, &["actions", "notactions"])))
}

/// What a document that [`classify`] calls [`Document::Other`] looks like, for the message that says it is not
/// linted: "a Cosmos DB SQL role definition", "an ARM template without role definitions", "JSON with keys `a`, `b`".
pub fn looks_like(root: &Value) -> String {
    let items = top_level_items(root);
    let objects: Vec<&[Member]> = items.iter().filter_map(|v| v.as_object()).collect();
    if !objects.is_empty() && objects.iter().all(|m| is_cosmos_sql_role(m)) {
        return "a Cosmos DB SQL role definition (Cosmos DB's own data-plane RBAC, created with `az cosmosdb sql role \
                definition create`)"
            .to_owned();
    }
    let Some(members) = root.as_object() else { return "a JSON list of something else".to_owned() };
    let get = |k: &str| members.iter().find(|m| m.key.eq_ignore_ascii_case(k)).map(|m| &m.value);
    let schema = get("$schema").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    if schema.contains("deploymentparameters") {
        return "an ARM deployment parameters file".to_owned();
    }
    if get("$schema").is_some() || get("contentVersion").is_some() {
        return "an ARM template without role definitions".to_owned();
    }
    if get("properties").and_then(|p| p.get_ignore_ascii_case("template")).is_some() {
        return "a template artifact without role definitions".to_owned();
    }
    if get("name").is_some() && get("version").is_some() {
        return "a package manifest".to_owned();
    }
    let keys: Vec<String> = members.iter().take(4).map(|m| format!("`{}`", crate::span::excerpt(&m.key))).collect();
    match keys.len() {
        0 => "an empty object".to_owned(),
        n if n < members.len() => format!("JSON with keys {}, ...", keys.join(", ")),
        _ => format!("JSON with keys {}", keys.join(", ")),
    }
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
    fn cosmos_db_sql_roles_are_not_azure_roles() {
        let cli = r#"{"RoleName": "MyReadOnlyRole", "Type": "CustomRole", "AssignableScopes": ["/"],
            "Permissions": [{"DataActions": ["Microsoft.DocumentDB/databaseAccounts/readMetadata"]}]}"#;
        assert_eq!(of(cli), Document::Other);
        assert_eq!(of(&format!("[{cli}, {cli}]")), Document::Other);
        let rest = r#"{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/a/sqlRoleDefinitions/1",
            "name": "1", "properties": {"roleName": "r", "type": "CustomRole", "permissions": [{"dataActions": ["x"]}]}}"#;
        assert_eq!(of(rest), Document::Other);
        let root = crate::json::parse_bytes(cli.as_bytes()).unwrap().0;
        assert!(looks_like(&root).starts_with("a Cosmos DB SQL role definition"));
        // Ambiguous shapes stay Azure roles, whose problems the loader reports: control-plane actions, `Name`,
        // `RoleType`, or one Azure role in the list.
        for azure in [
            r#"{"RoleName": "r", "Type": "CustomRole", "Actions": ["*/read"], "AssignableScopes": ["/"]}"#,
            r#"{"RoleName": "r", "Type": "CustomRole", "Permissions": [{"Actions": ["*/read"]}]}"#,
            r#"{"RoleName": "r", "RoleType": "CustomRole", "Permissions": [{"DataActions": ["x"]}]}"#,
            r#"{"RoleName": "r", "Permissions": [{"DataActions": ["x"]}]}"#,
        ] {
            assert_eq!(of(azure), Document::Roles, "{azure}");
        }
        assert_eq!(of(&format!(r#"[{cli}, {{"Name": "r", "Actions": []}}]"#)), Document::Roles);
    }

    #[test]
    fn other_documents_say_what_they_look_like() {
        let like = |t: &str| looks_like(&crate::json::parse_bytes(t.as_bytes()).unwrap().0);
        assert_eq!(like(r#"{"name": "app", "version": "1.0.0"}"#), "a package manifest");
        assert_eq!(
            like(r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"}"#),
            "an ARM deployment parameters file"
        );
        assert_eq!(like(r#"{"$schema": "x", "resources": []}"#), "an ARM template without role definitions");
        assert_eq!(like(r#"{"a": 1, "b": 2}"#), "JSON with keys `a`, `b`");
        assert_eq!(like(r#"{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}"#), "JSON with keys `a`, `b`, `c`, `d`, ...");
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
