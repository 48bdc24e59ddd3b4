//! Deny assignments (ARM REST shape, and PowerShell's flat one). Any malformed part fails the load: a deny
//! that cannot be read cannot be applied (semantics §2.2).

use std::sync::Arc;

use super::roles::read_permission;
use super::{KeySpec, Loaded, Reader, load_list, scope_of_extension_id};
use crate::diag::{Severity, codes};
use crate::json::{Kind, Member, Value};
use crate::model::{DenyAssignment, DenyEffect, Id, Origin, Permission, Principal, PrincipalType};
use crate::span::excerpt;

const BODY_KEYS: &[&str] = &[
    "denyAssignmentName",
    "description",
    "permissions",
    "scope",
    "doNotApplyToChildScopes",
    "principals",
    "excludePrincipals",
    "denyAssignmentEffect",
    "condition",
    "conditionVersion",
    "actions",
    "notActions",
    "dataActions",
    "notDataActions",
];
const ENVELOPE: KeySpec = KeySpec {
    what: "deny assignment",
    keys: &[
        "id",
        "name",
        "properties",
        "denyAssignmentId",
        "denyAssignmentName",
        "description",
        "permissions",
        "scope",
        "doNotApplyToChildScopes",
        "principals",
        "excludePrincipals",
        "denyAssignmentEffect",
        "condition",
        "conditionVersion",
        "actions",
        "notActions",
        "dataActions",
        "notDataActions",
    ],
    ignored: &[],
};
const PROPERTIES: KeySpec = KeySpec { what: "deny assignment properties", keys: BODY_KEYS, ignored: &[] };
const PRINCIPAL: KeySpec =
    KeySpec { what: "principal", keys: &["id", "type", "objectId", "objectType"], ignored: &["displayName", "email"] };

/// Loads `denyAssignments.json`.
pub fn load_deny_assignments(name: &str, bytes: &[u8]) -> Loaded<Vec<DenyAssignment>> {
    load_list(name, std::borrow::Cow::Borrowed(bytes), read_deny)
}

/// Like [`load_deny_assignments`], taking the buffer so that its text is not copied (large files from disk).
pub(crate) fn load_deny_assignments_owned(name: &str, bytes: Vec<u8>) -> Loaded<Vec<DenyAssignment>> {
    load_list(name, std::borrow::Cow::Owned(bytes), read_deny)
}

fn read_deny(r: &mut Reader, v: &Value) -> Option<DenyAssignment> {
    let members = r.object(v, "a deny assignment")?;
    let env = r.fields(members, &ENVELOPE);
    let eget = |i: usize| env.get(i).copied().flatten();
    let resource_id = r.string(eget(0));
    let name = r.string(eget(1)).or_else(|| r.string(eget(3)));
    let body: Vec<Option<&Member>> = match eget(2) {
        Some(props) => {
            let members = r.object(&props.value, "deny assignment `properties`")?;
            r.fields(members, &PROPERTIES)
        }
        None => (4..ENVELOPE.keys.len()).map(eget).collect(),
    };
    let get = |i: usize| body.get(i).copied().flatten();
    let fatal = Some(codes::MALFORMED_DENY);
    let display_name = r.string(get(0)).map(|s| s.value);
    let description = r.string(get(1)).map(|s| s.value);
    let mut permissions: Vec<Permission> = match get(2) {
        Some(m) => match &m.value.kind {
            Kind::Array(items) => items.iter().filter_map(|p| read_permission(r, p, false, fatal)).collect(),
            _ => {
                r.wrong_type(
                    &m.value,
                    &m.key,
                    "an array of permission blocks",
                    "write `\"permissions\": [{...}]`".into(),
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    if [10, 11, 12, 13].iter().any(|&i| get(i).is_some()) {
        permissions.push(Permission {
            actions: r.actions(get(10), false, fatal),
            not_actions: r.actions(get(11), false, fatal),
            data_actions: r.actions(get(12), false, fatal),
            not_data_actions: r.actions(get(13), false, fatal),
            span: v.span,
            flat: true,
            ..Permission::default()
        });
    }
    let scope = r.string(get(3)).or_else(|| scope_of_extension_id(resource_id.as_ref()?, "denyAssignments"));
    let Some(scope) = scope else {
        r.error(
            codes::MALFORMED_DENY,
            v.span,
            "deny assignment without `scope`".to_owned(),
            "give `scope`, or an `id` of the form `{scope}/providers/Microsoft.Authorization/denyAssignments/{id}`"
                .to_owned(),
        );
        return None;
    };
    // A deny without principals or permissions cannot say what it denies: the file is malformed (the schema
    // requires both), and reading it as denying nothing would allow what it was written to forbid.
    let flat = [10, 11, 12, 13].iter().any(|&i| get(i).is_some());
    for (key, present) in [
        ("principals", get(5).is_some_and(|m| !matches!(m.value.kind, Kind::Null))),
        ("permissions", get(2).is_some() || flat),
    ] {
        if !present {
            r.error(
                codes::MALFORMED_DENY,
                v.span,
                format!("deny assignment without `{key}`"),
                format!("give `{key}`; a deny assignment names whom it denies and what"),
            );
        }
    }
    if let Some(m) = get(5).filter(|m| m.value.as_array().is_some_and(<[Value]>::is_empty)) {
        r.report(
            codes::EMPTY_DENY,
            Severity::Warning,
            m.value.span,
            "deny assignment with no principals denies nothing".to_owned(),
            "name the principals it denies; everyone is `00000000-0000-0000-0000-000000000000` (type \
             `SystemDefined`)"
                .to_owned(),
        );
    }
    if let Some(m) = get(2).filter(|m| m.value.as_array().is_some_and(<[Value]>::is_empty)) {
        r.report(
            codes::EMPTY_DENY,
            Severity::Warning,
            m.value.span,
            "deny assignment with no permission blocks denies nothing".to_owned(),
            "give a block with the `actions` or `dataActions` it denies".to_owned(),
        );
    }
    for p in permissions.iter().filter(|p| p.actions.items().is_empty() && p.data_actions.items().is_empty()) {
        r.report(
            codes::EMPTY_DENY,
            Severity::Warning,
            p.span,
            "deny permission block with no `actions` and no `dataActions` denies nothing".to_owned(),
            "list the actions the block denies".to_owned(),
        );
    }
    let scope_value = get(3).map(|m| &m.value).filter(|val| val.span == scope.span);
    let scope = r.scope(scope, scope_value, fatal);
    let do_not_apply_to_child_scopes = r.boolean(get(4)).unwrap_or(false);
    let principals = read_principals(r, get(5));
    let exclude_principals = read_principals(r, get(6));
    for p in exclude_principals.iter().filter(|p| p.is_everyone()) {
        r.error(
            codes::MALFORMED_DENY,
            p.span,
            "Everyone cannot be excluded from a deny assignment".to_owned(),
            "Azure allows the Everyone principal only in `principals`".to_owned(),
        );
    }
    let effect = match r.string(get(7)) {
        None => DenyEffect::Enforced,
        Some(s) if s.value.eq_ignore_ascii_case("enforced") => DenyEffect::Enforced,
        Some(s) if s.value.eq_ignore_ascii_case("audit") => DenyEffect::Audit,
        Some(s) => {
            r.error(
                codes::MALFORMED_DENY,
                s.span,
                format!("unknown deny assignment effect `{}`", excerpt(&s.value)),
                "use `enforced` or `audit`".to_owned(),
            );
            DenyEffect::Enforced
        }
    };
    let condition = r.condition(get(8));
    let condition_version = r.string(get(9));
    Some(DenyAssignment {
        id: name.map(|n| Id::new(n.value)).or_else(|| resource_id.as_ref().map(|r| Id::new(&r.value))),
        resource_id: resource_id.map(|s| s.value),
        name: display_name,
        description,
        permissions,
        scope,
        do_not_apply_to_child_scopes,
        principals,
        exclude_principals,
        effect,
        condition,
        condition_version,
        origin: Origin { source: Arc::clone(&r.src), span: v.span },
    })
}

fn read_principals(r: &mut Reader, m: Option<&Member>) -> Vec<Principal> {
    let Some(m) = m else { return Vec::new() };
    let items = match &m.value.kind {
        Kind::Array(items) => items,
        Kind::Null => return Vec::new(),
        _ => {
            r.wrong_type(
                &m.value,
                &m.key,
                "an array of principals",
                "write `[{\"id\": \"...\", \"type\": \"User\"}]`".into(),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        let Some(members) = r.object(item, "a principal") else { continue };
        let f = r.fields(members, &PRINCIPAL);
        let get = |i: usize| f.get(i).copied().flatten();
        let id = r.string(get(0)).or_else(|| r.string(get(2)));
        let ty = r.string(get(1)).or_else(|| r.string(get(3)));
        if let Some(id) = &id {
            r.braced_principal(&id.value, id.span, "principal id");
        }
        match id {
            Some(id) => out.push(Principal {
                id: Id::new(id.value),
                principal_type: ty.map(|t| PrincipalType::parse(&t.value)),
                span: item.span,
            }),
            None => r.error(
                codes::MALFORMED_DENY,
                item.span,
                format!("principal without `id` in `{}`", m.key),
                "give the principal's object id".to_owned(),
            ),
        }
    }
    out
}
