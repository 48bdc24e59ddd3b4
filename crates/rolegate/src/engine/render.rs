//! Turning a compact [`Reason`] or an [`Explanation`] back into the tenant's names, for people
//! ([`Engine::reason_text`], [`Engine::explanation_text`]) and for JSON ([`Engine::describe`],
//! [`Engine::explanation_view`]: views that serialize with serde).

use std::fmt::Write as _;

use serde::Serialize;

use super::{Engine, Explanation, Outcome, Plane, Reason, ReasonKind};
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

/// An explanation with the tenant's names ([`Engine::explanation_view`]); [`Engine::explanation_text`] prints the
/// same for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ExplanationView<'a> {
    /// The decision ([`super::Decision::as_str`]).
    pub decision: &'static str,
    /// Why, named ([`Engine::describe`]).
    pub reason: ReasonView<'a>,
    /// The plane it was decided on, `control` or `data`; `None` when unknown or the request is malformed.
    pub plane: Option<&'static str>,
    /// Each principal the request acts as, with its membership chain ([`Explanation::principals`]).
    pub principals: &'a [Vec<String>],
    /// Request group ids that are not treated as groups.
    pub ignored_groups: Vec<IgnoredGroupView<'a>>,
    /// Deny assignments in scope, and what each did.
    pub deny_assignments: Vec<DenyStepView<'a>>,
    /// Role assignments in scope to any of the principals, and what each did.
    pub assignments: Vec<AssignmentStepView<'a>>,
}

/// A group that is not treated as one ([`super::IgnoredGroup`]), with the sentence explain prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IgnoredGroupView<'a> {
    /// The id as the request gives it.
    pub id: &'a str,
    /// What the tenant knows it as: `User` or `ServicePrincipal`.
    pub known_as: &'a str,
    /// Whether `groups.json` also lists it as a group.
    pub listed_as_group: bool,
    /// The request's principal that `groups.json` makes its member, when the request does not name it.
    pub member: Option<&'a str>,
    /// [`super::IgnoredGroup::text`].
    pub text: String,
}

/// A deny assignment in scope, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DenyStepView<'a> {
    /// Its name, when it has one.
    pub name: Option<&'a str>,
    /// Its scope, as written; `None` only for an index the tenant does not hold.
    pub scope: Option<&'a str>,
    /// What it did.
    pub outcome: &'a Outcome,
}

/// A role assignment in scope, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AssignmentStepView<'a> {
    /// The principal of the request it is assigned to.
    pub principal: &'a str,
    /// Its role ([`crate::model::RoleDefinition::label`]); `None` when the tenant has no such role.
    pub role: Option<String>,
    /// Its scope, as written; `None` only for an index the tenant does not hold.
    pub scope: Option<&'a str>,
    /// What it did.
    pub outcome: &'a Outcome,
}

fn plane_name(p: Plane) -> &'static str {
    match p {
        Plane::Control => "control",
        Plane::Data => "data",
    }
}

/// What an outcome says, for [`Engine::explanation_text`].
fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Matched { pattern, .. } => format!("matches `{pattern}`"),
        Outcome::Excluded { pattern, excluded_by, .. } => format!("`{pattern}` is excluded by `{excluded_by}`"),
        Outcome::WrongPlane { pattern } => format!("only `{pattern}` on the other plane would match"),
        Outcome::Condition { on, pattern, value, expression, needs, .. } => {
            let on = on.replace('_', " ");
            match *value {
                "true" => format!("matches `{pattern}`; the condition on the {on} holds: `{expression}`"),
                "false" => format!("matches `{pattern}`, but the condition on the {on} is false: `{expression}`"),
                "invalid" => format!(
                    "matches `{pattern}`, but the condition on the {on} does not parse or type-check (fail closed)"
                ),
                _ => format!(
                    "matches `{pattern}`, but the condition on the {on} cannot be decided without {} (fail closed): `{expression}`",
                    if needs.is_empty() { "more attributes".to_owned() } else { needs.join(", ") }
                ),
            }
        }
        Outcome::Unreadable { .. } => "a permission block with unreadable exclusions grants nothing".to_owned(),
        Outcome::NoMatch => "no entry matches the action".to_owned(),
        Outcome::UnknownRole => "its role is unknown".to_owned(),
        Outcome::NotApplicable { why } => (*why).to_owned(),
    }
}

impl Engine {
    /// An explanation with its indices resolved to the tenant's names; it serializes (serde) as the JSON form of
    /// [`Engine::explanation_text`].
    pub fn explanation_view<'a>(&'a self, ex: &'a Explanation) -> ExplanationView<'a> {
        let t = self.tenant();
        ExplanationView {
            decision: ex.decision.as_str(),
            reason: self.describe(ex.decision.reason()),
            plane: ex.plane.map(plane_name),
            principals: &ex.principals,
            ignored_groups: ex
                .ignored_groups
                .iter()
                .map(|g| IgnoredGroupView {
                    id: &g.id,
                    known_as: &g.known_as,
                    listed_as_group: g.listed_as_group,
                    member: g.member.as_deref(),
                    text: g.text(),
                })
                .collect(),
            deny_assignments: ex
                .denies
                .iter()
                .map(|d| {
                    let da = t.deny_assignments.get(d.deny);
                    DenyStepView {
                        name: da.and_then(|x| x.name.as_deref()),
                        scope: da.map(|x| &*x.scope.raw),
                        outcome: &d.outcome,
                    }
                })
                .collect(),
            assignments: ex
                .assignments
                .iter()
                .map(|s| {
                    let a = t.assignments.get(s.assignment);
                    AssignmentStepView {
                        principal: &s.via,
                        role: a.and_then(|a| t.role(&a.role_id)).map(|r| r.label()),
                        scope: a.map(|a| &*a.scope.raw),
                        outcome: &s.outcome,
                    }
                })
                .collect(),
        }
    }

    /// An explanation for people: the decision and its reason, then one line per principal chain, ignored group,
    /// deny assignment and role assignment in scope.
    pub fn explanation_text(&self, ex: &Explanation) -> String {
        let v = self.explanation_view(ex);
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", v.decision, self.reason_text(ex.decision.reason()));
        for chain in v.principals {
            let _ = writeln!(out, "  as {}", chain.join(" → "));
        }
        for g in &v.ignored_groups {
            let _ = writeln!(out, "  {}", g.text);
        }
        for d in &v.deny_assignments {
            let (name, scope) = (d.name.unwrap_or("?"), d.scope.unwrap_or("?"));
            let _ = writeln!(out, "  deny `{name}` at `{scope}`: {}", outcome_text(d.outcome));
        }
        for a in &v.assignments {
            let (role, scope) = (a.role.as_deref().unwrap_or("?"), a.scope.unwrap_or("?"));
            let _ = writeln!(out, "  `{role}` to `{}` at `{scope}`: {}", a.principal, outcome_text(a.outcome));
        }
        out
    }
}
