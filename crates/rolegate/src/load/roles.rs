//! Role definitions in the five shapes of semantics §2.1.

use std::sync::Arc;

use super::{KeySpec, Loaded, Reader, is_template_expression, top_level_items};
use crate::diag::{Severity, codes};
use crate::json::{Kind, Member, Value};
use crate::model::{Entries, Id, Origin, Permission, RoleDefinition, RoleShape, RoleType, Spanned};
use crate::span::{SourceText, excerpt};

/// Keys of a role at the top level in the flat and CLI shapes. `name`'s meaning depends on the shape.
const ROLE: KeySpec = KeySpec {
    what: "role definition",
    keys: &[
        "Name",
        "Id",
        "RoleName",
        "IsCustom",
        "RoleType",
        "Description",
        "Actions",
        "NotActions",
        "DataActions",
        "NotDataActions",
        "AssignableScopes",
        "Permissions",
        "Condition",
        "ConditionVersion",
    ],
    ignored: &[],
};
const R_NAME: usize = 0;
const R_ID: usize = 1;
const R_ROLE_NAME: usize = 2;
const R_IS_CUSTOM: usize = 3;
const R_ROLE_TYPE: usize = 4;
const R_DESCRIPTION: usize = 5;
const R_ACTIONS: usize = 6;
const R_NOT_ACTIONS: usize = 7;
const R_DATA_ACTIONS: usize = 8;
const R_NOT_DATA_ACTIONS: usize = 9;
const R_SCOPES: usize = 10;
const R_PERMISSIONS: usize = 11;
const R_CONDITION: usize = 12;
const R_CONDITION_VERSION: usize = 13;

/// Keys of the REST and ARM-template envelope around `properties`.
const ENVELOPE: KeySpec = KeySpec {
    what: "role definition resource",
    keys: &["id", "name", "properties"],
    // `condition` here is an ARM template's deployment condition, not an ABAC condition; `copy` is a resource
    // loop (`az bicep build` writes one for a Bicep `for`): the role is read once, as written.
    ignored: &["apiVersion", "dependsOn", "condition", "scope", "comments", "metadata", "copy"],
};

/// Keys inside `properties`.
const PROPERTIES: KeySpec = KeySpec {
    what: "role definition properties",
    keys: &["roleName", "description", "type", "roleType", "isCustom", "permissions", "assignableScopes"],
    ignored: &[],
};

/// Keys of a permission block.
const PERMISSION: KeySpec = KeySpec {
    what: "permission block",
    keys: &["actions", "notActions", "dataActions", "notDataActions", "condition", "conditionVersion"],
    ignored: &[],
};

/// Loads a role file (single object, array, `{"value": [...]}`, or an ARM template).
pub fn load_roles(name: &str, bytes: &[u8]) -> Loaded<Vec<RoleDefinition>> {
    let (src, parsed) = super::parse_source(name, bytes);
    match parsed {
        Ok(root) => load_roles_from_value(&src, &root),
        Err(d) => Loaded { value: Vec::new(), diagnostics: vec![d] },
    }
}

/// Loads role definitions from an already parsed document.
pub fn load_roles_from_value(src: &Arc<SourceText>, root: &Value) -> Loaded<Vec<RoleDefinition>> {
    let mut r = Reader::new(src);
    let mut roles = Vec::new();
    let items: Vec<&Value> = match arm_template_resources(root) {
        Some(resources) => resources,
        None => top_level_items(root),
    };
    for item in items {
        if let Some(role) = read_role(&mut r, item) {
            roles.push(role);
        }
    }
    super::list::refuse_partial_page(&mut r, root);
    r.into_loaded(roles, Some(root))
}

/// The role-definition resources of an ARM template (`{"resources": [...]}` with `$schema` or `contentVersion`)
/// or of a Blueprint artifact (`{"kind": "template", "properties": {"template": {...}}}`), or `None` when the
/// document is neither. Roles are found anywhere in the resource tree: child `resources`, and the inline
/// `properties.template` of nested deployments (`Microsoft.Resources/deployments`) and Blueprint artifacts; each
/// keeps its own span, hence its own JSON pointer. The tree is at most [`crate::json::MAX_DEPTH`] deep, which
/// bounds the recursion.
pub(crate) fn arm_template_resources(root: &Value) -> Option<Vec<&Value>> {
    let template = if is_template(root) {
        root
    } else {
        let inner = properties_template(root)?;
        let kind = root.get_ignore_ascii_case("kind").and_then(|m| m.value.as_str());
        let ty = root.get_ignore_ascii_case("type").and_then(|m| m.value.as_str()).unwrap_or_default();
        let artifact = kind.is_some_and(|k| k.eq_ignore_ascii_case("template"))
            || ty.to_ascii_lowercase().starts_with("microsoft.blueprint/blueprints/");
        if !(artifact && is_template(inner)) {
            return None;
        }
        inner
    };
    let mut out = Vec::new();
    collect_roles(template, &mut out);
    Some(out)
}

fn is_template(v: &Value) -> bool {
    v.as_object().is_some_and(|members| {
        members.iter().any(|m| m.key.eq_ignore_ascii_case("$schema") || m.key.eq_ignore_ascii_case("contentVersion"))
    })
}

/// The object at `properties.template`.
fn properties_template(v: &Value) -> Option<&Value> {
    let props = &v.get_ignore_ascii_case("properties")?.value;
    let template = &props.get_ignore_ascii_case("template")?.value;
    template.as_object().map(|_| template)
}

/// The role definitions among `holder`'s `resources`, depth first in source order.
fn collect_roles<'v>(holder: &'v Value, out: &mut Vec<&'v Value>) {
    let Some(list) = holder.get_ignore_ascii_case("resources").and_then(|m| m.value.as_array()) else { return };
    for res in list {
        let is_role = res
            .get_ignore_ascii_case("type")
            .and_then(|m| m.value.as_str())
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Authorization/roleDefinitions"));
        if is_role {
            out.push(res);
            continue;
        }
        collect_roles(res, out);
        if let Some(inner) = properties_template(res) {
            collect_roles(inner, out);
        }
    }
}

fn detect_shape(members: &[Member]) -> RoleShape {
    let has = |k: &str| members.iter().any(|m| m.key.eq_ignore_ascii_case(k));
    if has("properties") {
        if has("apiVersion") { RoleShape::ArmTemplate } else { RoleShape::Rest }
    } else if has("roleName") {
        RoleShape::CliList
    } else if members.iter().any(|m| m.key.eq_ignore_ascii_case("Id") || m.key.eq_ignore_ascii_case("IsCustom")) {
        RoleShape::PowerShell
    } else {
        RoleShape::CreateInput
    }
}

fn read_role(r: &mut Reader, v: &Value) -> Option<RoleDefinition> {
    let members = r.object(v, "a role definition")?;
    let shape = detect_shape(members);
    let origin = Origin { source: Arc::clone(&r.src), span: v.span };
    match shape {
        RoleShape::Rest | RoleShape::ArmTemplate => read_nested(r, members, shape, origin),
        _ => Some(read_flat(r, members, shape, origin)),
    }
}

/// The GUID at the end of a role-definition resource id (or the whole string when it has no `/`).
pub(crate) fn trailing_id(s: &str) -> &str {
    s.trim_end_matches('/').rsplit('/').next().unwrap_or(s)
}

/// A role id from a `name`/`Id`/resource id: the trailing segment, or none for an ARM template expression or
/// an empty string. Every shape's reader uses this, so an id survives being written in another shape.
fn role_id(raw: &str) -> Option<Id> {
    let id = trailing_id(raw);
    (!id.is_empty() && !is_template_expression(raw) && !is_template_expression(id)).then(|| Id::new(id))
}

fn read_flat(r: &mut Reader, members: &[Member], shape: RoleShape, origin: Origin) -> RoleDefinition {
    let f = r.fields(members, &ROLE);
    let get = |i: usize| f.get(i).copied().flatten();
    let name_raw = r.string(get(R_NAME));
    let id_raw = r.string(get(R_ID));
    let role_name = r.string(get(R_ROLE_NAME));
    // In the CLI list shape `name` is the GUID and `id` the resource id; in the flat shapes `Name` is the
    // display name and `Id` the GUID (semantics §2.1).
    let (name, id, resource_id) = if shape == RoleShape::CliList {
        let id = name_raw.as_ref().and_then(|n| role_id(&n.value));
        let id = id.or_else(|| id_raw.as_ref().and_then(|i| role_id(&i.value)));
        (role_name, id, id_raw.map(|s| s.value))
    } else {
        let resource_id = id_raw.as_ref().filter(|i| i.value.contains('/')).map(|i| i.value.clone());
        let id = id_raw.as_ref().and_then(|i| role_id(&i.value));
        (name_raw.or(role_name), id, resource_id)
    };
    let description = r.string(get(R_DESCRIPTION));
    let (role_type, role_type_raw) = read_role_type(r, get(R_ROLE_TYPE), get(R_IS_CUSTOM));
    let templates = false;
    let flat_keys = [R_ACTIONS, R_NOT_ACTIONS, R_DATA_ACTIONS, R_NOT_DATA_ACTIONS, R_CONDITION, R_CONDITION_VERSION];
    let has_flat = flat_keys.iter().any(|&i| get(i).is_some());
    let mut permissions = match get(R_PERMISSIONS) {
        Some(m) => read_permission_list(r, m, templates),
        None => Vec::new(),
    };
    if has_flat {
        if let Some(p) = get(R_PERMISSIONS) {
            let first = flat_keys.iter().filter_map(|&i| get(i)).next();
            r.error(
                codes::UNKNOWN_SHAPE,
                first.map_or(p.key_span, |m| m.key_span),
                "both flat permission keys and `Permissions` are given".to_owned(),
                "az uses `Permissions` and silently drops the flat keys; move them into a `Permissions` block"
                    .to_owned(),
            );
        } else {
            permissions.push(Permission {
                actions: r.actions(get(R_ACTIONS), templates, None),
                not_actions: r.actions(get(R_NOT_ACTIONS), templates, None),
                data_actions: r.actions(get(R_DATA_ACTIONS), templates, None),
                not_data_actions: r.actions(get(R_NOT_DATA_ACTIONS), templates, None),
                condition: r.condition(get(R_CONDITION)),
                condition_version: r.string(get(R_CONDITION_VERSION)),
                span: origin.span,
                flat: true,
            });
        }
    }
    let assignable_scopes = r.scopes(get(R_SCOPES));
    RoleDefinition {
        id,
        resource_id,
        name,
        description,
        role_type,
        role_type_raw,
        permissions,
        assignable_scopes,
        shape,
        origin,
    }
}

fn read_nested(r: &mut Reader, members: &[Member], shape: RoleShape, origin: Origin) -> Option<RoleDefinition> {
    let env = r.fields(members, &ENVELOPE);
    let get = |i: usize| env.get(i).copied().flatten();
    let resource_id = r.string(get(0));
    let guid = r.string(get(1));
    let props_member = get(2)?;
    let props = r.object(&props_member.value, "role definition `properties`")?;
    let p = r.fields(props, &PROPERTIES);
    let pget = |i: usize| p.get(i).copied().flatten();
    let templates = shape == RoleShape::ArmTemplate;
    let name = r.string(pget(0));
    let description = r.string(pget(1));
    let type_member = pget(2).or(pget(3));
    let (role_type, role_type_raw) = read_role_type(r, type_member, pget(4));
    let permissions = pget(5).map(|m| read_permission_list(r, m, templates)).unwrap_or_default();
    let assignable_scopes = r.scopes(pget(6));
    let id =
        guid.as_ref().and_then(|g| role_id(&g.value)).or_else(|| resource_id.as_ref().and_then(|r| role_id(&r.value)));
    Some(RoleDefinition {
        id,
        resource_id: resource_id.map(|s| s.value),
        name,
        description,
        role_type,
        role_type_raw,
        permissions,
        assignable_scopes,
        shape,
        origin,
    })
}

fn read_role_type(
    r: &mut Reader,
    role_type: Option<&Member>,
    is_custom: Option<&Member>,
) -> (RoleType, Option<Spanned<String>>) {
    let mut result = (RoleType::Custom, None);
    if let Some(m) = is_custom
        && let Some(b) = r.boolean(Some(m))
    {
        let t = if b { RoleType::Custom } else { RoleType::BuiltIn };
        result = (t, Some(Spanned::new(b.to_string(), m.value.span)));
    }
    if let Some(s) = r.string(role_type) {
        let t = if s.value.eq_ignore_ascii_case("BuiltInRole") {
            Some(RoleType::BuiltIn)
        } else if s.value.eq_ignore_ascii_case("CustomRole") {
            Some(RoleType::Custom)
        } else {
            None
        };
        match t {
            Some(t) => result = (t, Some(s)),
            // In the CLI list shape `type` is the resource type and is ignored before reaching here, so any
            // other value really is a bad role type.
            None => r.report(
                codes::INVALID_VALUE,
                Severity::Warning,
                s.span,
                format!("unknown role type `{}`", excerpt(&s.value)),
                "use `CustomRole` or `BuiltInRole`; the role is read as custom".to_owned(),
            ),
        }
    }
    result
}

fn read_permission_list(r: &mut Reader, m: &Member, templates: bool) -> Vec<Permission> {
    match &m.value.kind {
        Kind::Array(items) => items.iter().filter_map(|item| read_permission(r, item, templates, None)).collect(),
        Kind::Null => Vec::new(),
        _ => {
            r.wrong_type(
                &m.value,
                &m.key,
                "an array of permission blocks",
                format!("write `\"{}\": [{{\"actions\": [...]}}]`", m.key),
            );
            Vec::new()
        }
    }
}

/// Reads one permission block; `fatal_code` makes malformed actions fail the load (deny assignments).
pub(crate) fn read_permission(
    r: &mut Reader,
    v: &Value,
    templates: bool,
    fatal_code: Option<crate::diag::Code>,
) -> Option<Permission> {
    let members = r.object(v, "a permission block")?;
    let f = r.fields(members, &PERMISSION);
    let get = |i: usize| f.get(i).copied().flatten();
    Some(Permission {
        actions: r.actions(get(0), templates, fatal_code),
        not_actions: r.actions(get(1), templates, fatal_code),
        data_actions: r.actions(get(2), templates, fatal_code),
        not_data_actions: r.actions(get(3), templates, fatal_code),
        condition: r.condition(get(4)),
        condition_version: r.string(get(5)),
        span: v.span,
        flat: false,
    })
}

impl Permission {
    /// Whether any of the four lists is a template expression or has entries.
    pub fn is_empty(&self) -> bool {
        [&self.actions, &self.not_actions, &self.data_actions, &self.not_data_actions]
            .iter()
            .all(|e| matches!(e, Entries::List(v) if v.is_empty()))
    }
}
