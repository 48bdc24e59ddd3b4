//! Turning a compact [`Reason`] back into the tenant's names, for people ([`Engine::reason_text`]) and for JSON
//! ([`Engine::describe`], a [`ReasonView`] that serializes with serde).

use serde::Serialize;

use super::{Engine, Plane, Reason, ReasonKind};
use crate::model::{Action, Entries, Permission};

/// A reason with the tenant's names: what `rolegate check --format json` prints as `reason`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReasonView<'a> {
    /// Why (`granted`, `deny_assignment`, …).
    pub kind: &'static str,
    /// The deciding role assignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<AssignmentView<'a>>,
    /// Its role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleView<'a>>,
    /// The deciding permission block of the role or the deny assignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u16>,
    /// The matching pattern, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<&'a str>,
    /// The condition that decided, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionView<'a>>,
    /// The deciding deny assignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny: Option<DenyView<'a>>,
}

/// A role assignment, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AssignmentView<'a> {
    /// Its id, when the file gave one.
    pub id: Option<String>,
    /// The principal it is assigned to.
    pub principal: &'a str,
    /// Its scope, as written.
    pub scope: &'a str,
    /// The file it was read from.
    pub file: &'a str,
}

/// A role, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoleView<'a> {
    /// Its id.
    pub id: Option<String>,
    /// Its display name.
    pub name: &'a str,
}

/// A deny assignment, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DenyView<'a> {
    /// Its id.
    pub id: Option<String>,
    /// Its name.
    pub name: Option<&'a str>,
    /// Its scope, as written.
    pub scope: &'a str,
}

/// The condition that decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConditionView<'a> {
    /// Where it sits (`block`, `assignment`, `deny_assignment`).
    pub on: &'static str,
    /// Its text; `None` when it could not be read.
    pub text: Option<&'a str>,
    /// The expression in it that decided.
    pub expression: Option<&'a str>,
    /// Whether it parsed and type-checked.
    pub valid: bool,
}

/// The list a reason's pattern index points into.
fn pattern_list<'p>(p: &'p Permission, r: &Reason) -> &'p Entries<Action> {
    if r.plane == Some(Plane::Data) { &p.data_actions } else { &p.actions }
}

impl Engine {
    /// The reason with its indices resolved to the tenant's names: assignment, role, permission block, pattern,
    /// condition, deny assignment.
    pub fn describe<'a>(&'a self, r: &Reason) -> ReasonView<'a> {
        let t = self.tenant();
        let mut view = ReasonView {
            kind: r.kind.as_str(),
            assignment: None,
            role: None,
            block: None,
            pattern: None,
            condition: None,
            deny: None,
        };
        // The block and pattern of the role, or of the deny assignment, that decided.
        let block_of = |permissions: &'a [Permission], view: &mut ReasonView<'a>| {
            if let Some(p) = r.block.and_then(|b| permissions.get(usize::from(b))) {
                view.block = r.block;
                view.pattern = r.pattern.and_then(|i| pattern_list(p, r).items().get(usize::from(i))).map(|a| &*a.raw);
            }
        };
        if let Some(a) = r.assignment.and_then(|i| t.assignments.get(i as usize)) {
            view.assignment = Some(AssignmentView {
                id: a.id.as_ref().map(ToString::to_string),
                principal: a.principal_id.as_str(),
                scope: &a.scope.raw,
                file: a.origin.file(),
            });
        }
        if let Some(role) = r.role.and_then(|i| t.roles.get(i as usize)) {
            view.role = Some(RoleView { id: role.id.as_ref().map(ToString::to_string), name: role.display_name() });
            block_of(&role.permissions, &mut view);
        }
        if let Some(site) = r.condition {
            let read = self.reason_condition(r);
            view.condition = Some(ConditionView {
                on: site.as_str(),
                text: read.map(|(c, _)| c.text()),
                expression: read.map(|(_, e)| e),
                valid: read.is_some(),
            });
        }
        if let Some(d) = r.deny.and_then(|i| t.deny_assignments.get(i as usize)) {
            view.deny = Some(DenyView {
                id: d.id.as_ref().map(ToString::to_string),
                name: d.name.as_deref(),
                scope: &d.scope.raw,
            });
            block_of(&d.permissions, &mut view);
        }
        view
    }

    /// One line for people: why the decision came out as it did.
    pub fn reason_text(&self, r: &Reason) -> String {
        let v = self.describe(r);
        let pattern = v.pattern.unwrap_or("?");
        let (role, principal, scope) = (
            v.role.as_ref().map_or("?", |x| x.name),
            v.assignment.as_ref().map_or("?", |a| a.principal),
            v.assignment.as_ref().map_or("?", |a| a.scope),
        );
        let on = v.condition.as_ref().map_or("?".to_owned(), |c| c.on.replace('_', " "));
        let expression = v.condition.as_ref().and_then(|c| c.expression).unwrap_or("?");
        match r.kind {
            ReasonKind::Granted => {
                let held =
                    r.condition.map_or(String::new(), |_| format!("; the condition on the {on} holds: `{expression}`"));
                format!("granted by role `{role}` assigned to `{principal}` at `{scope}` (pattern `{pattern}`){held}")
            }
            ReasonKind::DenyAssignment => {
                let held = r
                    .condition
                    .map_or(String::new(), |_| format!("; the condition on the {on} is not false: `{expression}`"));
                let (name, at) =
                    (v.deny.as_ref().and_then(|d| d.name).unwrap_or("?"), v.deny.as_ref().map_or("?", |d| d.scope));
                format!("denied by deny assignment `{name}` at `{at}` (pattern `{pattern}`){held}")
            }
            ReasonKind::NoGrant => "no role assignment in scope grants this action".into(),
            ReasonKind::PlaneUnknown => {
                "the catalog does not say whether this is a control- or data-plane operation; pass the plane".into()
            }
            ReasonKind::ConditionNotMet => match &v.condition {
                Some(c) if c.valid => format!(
                    "role `{role}` assigned to `{principal}` at `{scope}` would grant (pattern `{pattern}`), but the condition on the {on} is not met: `{expression}`"
                ),
                Some(_) => format!(
                    "role `{role}` assigned to `{principal}` at `{scope}` would grant (pattern `{pattern}`), but the condition on the {on} does not parse or type-check (fail closed)"
                ),
                None => "a grant exists but its condition is not met (fail closed)".into(),
            },
            ReasonKind::InvalidRequest => "the request is malformed (scope or action)".into(),
        }
    }
}
