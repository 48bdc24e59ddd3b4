//! Role assignments: `az role assignment list` output and the ARM REST shape.

use std::sync::Arc;

use super::roles::trailing_id;
use super::{KeySpec, Loaded, Reader, load_list, scope_of_extension_id};
use crate::diag::{Severity, codes};
use crate::json::{Member, Value};
use crate::model::{Id, Origin, PrincipalType, RoleAssignment};
use crate::span::excerpt;

const ASSIGNMENT: KeySpec = KeySpec {
    what: "role assignment",
    keys: &[
        "id",
        "name",
        "properties",
        "principalId",
        "principalType",
        "roleDefinitionId",
        "scope",
        "condition",
        "conditionVersion",
        "description",
    ],
    ignored: &["delegatedManagedIdentityResourceId"],
};
const PROPERTIES: KeySpec = KeySpec {
    what: "role assignment properties",
    keys: &[
        "principalId",
        "principalType",
        "roleDefinitionId",
        "scope",
        "condition",
        "conditionVersion",
        "description",
    ],
    ignored: &["delegatedManagedIdentityResourceId"],
};

/// Loads `assignments.json`: an array, `{"value": [...]}` or one assignment, in the CLI or REST shape.
pub fn load_assignments(name: &str, bytes: &[u8]) -> Loaded<Vec<RoleAssignment>> {
    load_list(name, std::borrow::Cow::Borrowed(bytes), read_assignment)
}

/// Like [`load_assignments`], taking the buffer so that its text is not copied (large files from disk).
pub(crate) fn load_assignments_owned(name: &str, bytes: Vec<u8>) -> Loaded<Vec<RoleAssignment>> {
    load_list(name, std::borrow::Cow::Owned(bytes), read_assignment)
}

fn read_assignment(r: &mut Reader, v: &Value) -> Option<RoleAssignment> {
    let members = r.object(v, "a role assignment")?;
    let f = r.fields(members, &ASSIGNMENT);
    let get = |i: usize| f.get(i).copied().flatten();
    let resource_id = r.string(get(0));
    let name = r.string(get(1));
    // REST nests the body under `properties`; the CLI flattens it. Read whichever is there.
    let body: Vec<Option<&Member>> = match get(2) {
        Some(props) => {
            let members = r.object(&props.value, "role assignment `properties`")?;
            r.fields(members, &PROPERTIES)
        }
        None => (3..10).map(get).collect(),
    };
    let bget = |i: usize| body.get(i).copied().flatten();
    let principal = r.string(bget(0));
    let principal_type = r.string(bget(1));
    let role = r.string(bget(2));
    let scope = r.string(bget(3));
    let condition = r.condition(bget(4));
    let condition_version = r.string(bget(5));
    let description = r.string(bget(6)).map(|s| s.value);

    let mut missing = Vec::new();
    if principal.is_none() {
        missing.push("principalId");
    }
    if role.is_none() {
        missing.push("roleDefinitionId");
    }
    // The scope can be recovered from the resource id: `{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`.
    let scope = scope.or_else(|| scope_of_extension_id(resource_id.as_ref()?, "roleAssignments"));
    if scope.is_none() {
        missing.push("scope");
    }
    let (Some(principal), Some(role), Some(scope)) = (principal, role, scope) else {
        r.error(
            codes::MISSING_FIELD,
            v.span,
            format!(
                "role assignment without {}",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            "an assignment needs `principalId`, `roleDefinitionId` and `scope`".to_owned(),
        );
        return None;
    };
    let principal_type = principal_type.map(|t| {
        let parsed = PrincipalType::parse(&t.value);
        if let PrincipalType::Other(other) = &parsed {
            r.report(
                codes::INVALID_VALUE,
                Severity::Warning,
                t.span,
                format!("unknown principal type `{}`", excerpt(other)),
                "expected `User`, `Group`, `ServicePrincipal`, `ForeignGroup` or `Device`".to_owned(),
            );
        }
        parsed
    });
    r.braced_principal(&principal.value, principal.span, "principal id");
    let scope_value = bget(3).map(|m| &m.value).filter(|v| v.span == scope.span);
    let scope = r.scope(scope, scope_value, None);
    Some(RoleAssignment {
        id: name.map(|n| Id::new(n.value)),
        resource_id: resource_id.map(|s| s.value),
        principal_id: r.shared_id(&principal.value),
        principal_type,
        role_id: r.shared_id(trailing_id(&role.value)),
        role_definition_raw: role,
        scope,
        condition,
        condition_version,
        description,
        origin: Origin { source: Arc::clone(&r.src), span: v.span },
    })
}
