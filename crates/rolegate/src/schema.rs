//! JSON Schemas of every input file in its canonical spelling (semantics §5), generated with schemars. The loaders
//! accept more (five role shapes, any key case); these schemas document what to write, and editors use them
//! for completion. `schemas/` holds the committed copies, and a test fails when one is stale.

#![allow(missing_docs)] // The fields are documented through the schema descriptions below.

use std::collections::BTreeMap;

use schemars::{JsonSchema, schema_for};
use serde::{Deserialize, Serialize};

/// A role definition as `az role definition create` takes it (PascalCase, flat).
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RoleDefinitionInput {
    /// Display name; unique in the tenant; at most 512 characters.
    pub name: String,
    /// The role's GUID (ignored on create; Azure generates one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `true` for custom roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_custom: Option<bool>,
    /// At most 2,048 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Control-plane operations granted; `*` wildcards allowed (one per string).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Control-plane operations excluded from `Actions` (an exclusion, not a deny).
    #[serde(default)]
    pub not_actions: Vec<String>,
    /// Data-plane operations granted.
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Data-plane operations excluded from `DataActions`.
    #[serde(default)]
    pub not_data_actions: Vec<String>,
    /// Scopes the role may be assigned at: management group (at most one), subscriptions, resource groups.
    #[schemars(length(min = 1, max = 2000))]
    pub assignable_scopes: Vec<String>,
}

/// A role-definition file: one role or an array of roles.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RoleDefinitionFile {
    One(RoleDefinitionInput),
    Many(Vec<RoleDefinitionInput>),
}

/// A permission block in the camelCase shapes.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionBlock {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
    /// ABAC condition (read-only in Azure for role definitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<String>,
}

/// One role assignment as `az role assignment list` prints it.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentEntry {
    /// The assignment's GUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The assignment's resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Object id of the user, group or service principal.
    pub principal_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<PrincipalKind>,
    /// Role resource id or bare GUID; the trailing GUID identifies the role.
    pub role_definition_id: String,
    /// Where the assignment applies.
    pub scope: String,
    /// ABAC condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Principal types.
#[derive(Serialize, Deserialize, JsonSchema)]
pub enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
    ForeignGroup,
    Device,
    SystemDefined,
}

/// `assignments.json`.
pub type AssignmentsFile = Vec<RoleAssignmentEntry>;

/// A principal reference in a deny assignment.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct PrincipalRef {
    /// Object id; `00000000-0000-0000-0000-000000000000` with type `SystemDefined` is Everyone.
    pub id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PrincipalKind>,
}

/// Deny-assignment properties (ARM REST).
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DenyAssignmentProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_assignment_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub permissions: Vec<PermissionBlock>,
    pub scope: String,
    #[serde(default)]
    pub do_not_apply_to_child_scopes: bool,
    pub principals: Vec<PrincipalRef>,
    #[serde(default)]
    pub exclude_principals: Vec<PrincipalRef>,
    /// `enforced` (default) or `audit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_assignment_effect: Option<DenyEffectName>,
}

/// Deny assignment effects.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DenyEffectName {
    Enforced,
    Audit,
}

/// One deny assignment (ARM REST shape).
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct DenyAssignmentEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub properties: DenyAssignmentProperties,
}

/// `denyAssignments.json`.
pub type DenyAssignmentsFile = Vec<DenyAssignmentEntry>;

/// `groups.json`: group id → member ids (users, service principals or groups).
pub type GroupsFile = BTreeMap<String, Vec<String>>;

/// `hierarchy.json`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyFile {
    /// The tenant root management group's id (the tenant id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Management group → parent management group (`null`: directly under the tenant root).
    #[serde(default)]
    pub management_groups: BTreeMap<String, Option<String>>,
    /// Subscription → management group.
    #[serde(default)]
    pub subscriptions: BTreeMap<String, String>,
}

/// One line of `queries.jsonl`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    pub principal: String,
    pub action: String,
    pub scope: String,
    /// Plane; absent = decided from the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_action: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_operation: Option<String>,
    /// Extra group ids (a token's `groups` claim).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `@Source[name]` (or a bare name for every source) → string, number, bool or array.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// The time conditions see as `@Environment[UtcNow]` (`2024-01-01T00:00:00Z`); absent = the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// true = allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<bool>,
}

impl Query {
    /// The query as an engine request, borrowing it (so that checking does not allocate); the attributes are
    /// set from [`Query::attribute_pairs`] by the caller. A `now` that is not a datetime is an error, never the
    /// system clock: a condition on the time would be decided at another time than the query says.
    pub fn request(&self) -> Result<crate::engine::Request<'_>, String> {
        use crate::engine::PlaneHint;
        let plane = match self.data_action {
            Some(true) => PlaneHint::Data,
            Some(false) => PlaneHint::Control,
            None => PlaneHint::Auto,
        };
        let now =
            match self.now.as_deref() {
                None => None,
                Some(text) => Some(crate::condition::DateTime::parse(text).ok_or_else(|| {
                    format!("`now`: expected a datetime such as `2024-01-01T00:00:00Z`, got `{text}`")
                })?),
            };
        Ok(crate::engine::Request::new(&self.principal, &self.action, &self.scope)
            .plane(plane)
            .groups(&self.groups)
            .sub_operation(self.sub_operation.as_deref())
            .now(now))
    }

    /// The attributes as `(key, value)` pairs, as [`crate::engine::Request::attributes`] takes them: an array
    /// gives one pair per element, numbers and booleans their JSON text. Null and objects are left out.
    pub fn attribute_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in &self.attributes {
            let items = match v {
                serde_json::Value::Array(items) => &items[..],
                one => std::slice::from_ref(one),
            };
            for item in items {
                let text = match item {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                out.push((k.clone(), text));
            }
        }
        out
    }

    /// The request the query makes, as a text two queries share exactly when they ask the same thing: ids,
    /// action and scope in lower case (they compare without case), groups as a set, `expected` left out.
    /// `rolegate bench` counts a query file's distinct queries with it.
    pub fn distinct_key(&self) -> String {
        let mut groups: Vec<String> = self.groups.iter().map(|g| g.to_ascii_lowercase()).collect();
        groups.sort_unstable();
        groups.dedup();
        serde_json::json!([
            self.principal.to_ascii_lowercase(),
            self.action.to_ascii_lowercase(),
            self.scope.to_ascii_lowercase(),
            self.data_action,
            self.sub_operation,
            groups,
            self.attributes,
            self.now,
        ])
        .to_string()
    }
}

/// Every schema: `(file name under schemas/, schema)`.
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    let v = |s: schemars::Schema| s.to_value();
    vec![
        ("role-definition.schema.json", v(schema_for!(RoleDefinitionFile))),
        ("assignments.schema.json", v(schema_for!(AssignmentsFile))),
        ("denyAssignments.schema.json", v(schema_for!(DenyAssignmentsFile))),
        ("groups.schema.json", v(schema_for!(GroupsFile))),
        ("hierarchy.schema.json", v(schema_for!(HierarchyFile))),
        ("query.schema.json", v(schema_for!(Query))),
    ]
}
