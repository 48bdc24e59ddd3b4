//! Writes role definitions back out in each of the five shapes of semantics §2.1 (for `convert`-style tools and for
//! round-trip tests of the loaders).

use serde_json::{Map, Value, json};

use crate::model::{Action, Entries, Permission, RoleDefinition, RoleShape, RoleType, ScopeEntry};

fn actions(e: &Entries<Action>) -> Value {
    match e {
        Entries::List(v) => Value::Array(v.iter().map(|a| Value::String(a.raw.clone())).collect()),
        Entries::Template(t) => Value::String(t.value.clone()),
    }
}

fn scopes(e: Option<&Entries<ScopeEntry>>) -> Value {
    match e {
        None => Value::Array(Vec::new()),
        Some(Entries::List(v)) => Value::Array(v.iter().map(|s| Value::String(s.raw.clone())).collect()),
        Some(Entries::Template(t)) => Value::String(t.value.clone()),
    }
}

/// One permission block with keys spelled by `case` (camelCase or PascalCase).
fn permission(p: &Permission, pascal: bool) -> Value {
    let k = |camel: &'static str| if pascal { pascal_case(camel) } else { camel.to_owned() };
    let mut m = Map::new();
    m.insert(k("actions"), actions(&p.actions));
    m.insert(k("notActions"), actions(&p.not_actions));
    m.insert(k("dataActions"), actions(&p.data_actions));
    m.insert(k("notDataActions"), actions(&p.not_data_actions));
    m.insert(k("condition"), p.condition.as_ref().map_or(Value::Null, |c| Value::String(c.value.clone())));
    m.insert(
        k("conditionVersion"),
        p.condition_version.as_ref().map_or(Value::Null, |c| Value::String(c.value.clone())),
    );
    Value::Object(m)
}

fn pascal_case(camel: &str) -> String {
    let mut c = camel.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

fn role_type(r: &RoleDefinition) -> &'static str {
    match r.role_type {
        RoleType::BuiltIn => "BuiltInRole",
        RoleType::Custom => "CustomRole",
    }
}

fn text(o: Option<&crate::model::Spanned<String>>) -> Value {
    o.map_or(Value::Null, |s| Value::String(s.value.clone()))
}

/// The tenant-level resource id of a role.
fn resource_id(r: &RoleDefinition) -> Value {
    match (&r.resource_id, &r.id) {
        (Some(rid), _) => Value::String(rid.clone()),
        (None, Some(id)) => Value::String(format!("/providers/Microsoft.Authorization/roleDefinitions/{id}")),
        _ => Value::Null,
    }
}

/// Writes one role in `shape`. Shapes that cannot carry a field drop it: create input has no id and no role
/// type (Azure generates the id and forces `CustomRole`).
pub fn role_to_json(r: &RoleDefinition, shape: RoleShape) -> Value {
    let perms_camel = Value::Array(r.permissions.iter().map(|p| permission(p, false)).collect());
    let id = r.id.as_ref().map_or(Value::Null, |i| Value::String(i.to_string()));
    // A flat shape can hold one block without a condition; anything else goes into `Permissions[]`, which both
    // az and PowerShell accept.
    let flat_pascal = |m: &mut Map<String, Value>| match r.permissions.as_slice() {
        [p] if p.condition.is_none() && p.condition_version.is_none() => {
            if let Value::Object(block) = permission(p, true) {
                for (k, v) in block {
                    if !k.starts_with("Condition") {
                        m.insert(k, v);
                    }
                }
            }
        }
        [] => {}
        ps => {
            m.insert("Permissions".into(), Value::Array(ps.iter().map(|p| permission(p, true)).collect()));
        }
    };
    match shape {
        RoleShape::CreateInput => {
            let mut m = Map::new();
            m.insert("Name".into(), text(r.name.as_ref()));
            m.insert("Description".into(), text(r.description.as_ref()));
            flat_pascal(&mut m);
            m.insert("AssignableScopes".into(), scopes(r.assignable_scopes.as_ref()));
            Value::Object(m)
        }
        RoleShape::PowerShell => {
            let mut m = Map::new();
            m.insert("Name".into(), text(r.name.as_ref()));
            m.insert("Id".into(), id);
            m.insert("IsCustom".into(), Value::Bool(r.role_type == RoleType::Custom));
            m.insert("Description".into(), text(r.description.as_ref()));
            flat_pascal(&mut m);
            m.insert("AssignableScopes".into(), scopes(r.assignable_scopes.as_ref()));
            Value::Object(m)
        }
        RoleShape::CliList => json!({
            "assignableScopes": scopes(r.assignable_scopes.as_ref()),
            "description": text(r.description.as_ref()),
            "id": resource_id(r),
            "name": id,
            "permissions": perms_camel,
            "roleName": text(r.name.as_ref()),
            "roleType": role_type(r),
            "type": "Microsoft.Authorization/roleDefinitions",
        }),
        RoleShape::Rest => json!({
            "id": resource_id(r),
            "name": id,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": text(r.name.as_ref()),
                "description": text(r.description.as_ref()),
                "type": role_type(r),
                "permissions": perms_camel,
                "assignableScopes": scopes(r.assignable_scopes.as_ref()),
            },
        }),
        RoleShape::ArmTemplate => json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{
                "type": "Microsoft.Authorization/roleDefinitions",
                "apiVersion": "2022-04-01",
                "name": id,
                "properties": {
                    "roleName": text(r.name.as_ref()),
                    "description": text(r.description.as_ref()),
                    "type": role_type(r),
                    "permissions": perms_camel,
                    "assignableScopes": scopes(r.assignable_scopes.as_ref()),
                },
            }],
        }),
    }
}

/// Writes several roles in `shape`: an array, except for ARM templates (one template with many resources) and
/// REST (`{"value": [...]}`).
pub fn roles_to_json(roles: &[RoleDefinition], shape: RoleShape) -> Value {
    match shape {
        RoleShape::ArmTemplate => {
            let resources: Vec<Value> = roles
                .iter()
                .filter_map(|r| role_to_json(r, shape).get("resources").and_then(|v| v.get(0)).cloned())
                .collect();
            json!({
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "resources": resources,
            })
        }
        RoleShape::Rest => json!({ "value": roles.iter().map(|r| role_to_json(r, shape)).collect::<Vec<_>>() }),
        _ => Value::Array(roles.iter().map(|r| role_to_json(r, shape)).collect()),
    }
}

/// The logical content of a role, independent of shape and spans: what two loads of the same role in different
/// shapes must agree on. `with_identity` includes id and role type (which create input cannot carry).
pub fn logical(r: &RoleDefinition, with_identity: bool) -> Value {
    let mut v = json!({
        "roleName": text(r.name.as_ref()),
        "description": text(r.description.as_ref()),
        "permissions": r.permissions.iter().map(|p| permission(p, false)).collect::<Vec<_>>(),
        "assignableScopes": scopes(r.assignable_scopes.as_ref()),
    });
    if with_identity && let Value::Object(m) = &mut v {
        m.insert("id".into(), r.id.as_ref().map_or(Value::Null, |i| Value::String(i.key())));
        m.insert("roleType".into(), Value::String(role_type(r).into()));
    }
    v
}
