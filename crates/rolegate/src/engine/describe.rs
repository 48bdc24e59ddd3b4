//! Turning a compact [`Reason`] back into names, for people and for JSON.

use serde_json::{Value, json};

use super::{Engine, Plane, Reason, ReasonKind};
use crate::model::{Action, Entries, Permission};

/// The list a reason's pattern index points into.
fn pattern_list<'p>(p: &'p Permission, r: &Reason) -> &'p Entries<Action> {
    if r.plane == Some(Plane::Data) { &p.data_actions } else { &p.actions }
}

impl Engine {
    /// The reason with ids resolved to the tenant's names: assignment, role, permission block, pattern, deny.
    pub fn reason_json(&self, r: &Reason) -> Value {
        let t = self.tenant();
        let mut v = json!({ "kind": r.kind.as_str() });
        let Value::Object(m) = &mut v else { return v };
        if let Some(a) = r.assignment.and_then(|i| t.assignments.get(i as usize)) {
            m.insert(
                "assignment".into(),
                json!({
                    "id": a.id.as_ref().map(ToString::to_string),
                    "principal": a.principal_id.as_str(),
                    "scope": a.scope.raw,
                    "file": a.origin.file(),
                }),
            );
        }
        if let Some(role) = r.role.and_then(|i| t.roles.get(i as usize)) {
            m.insert(
                "role".into(),
                json!({ "id": role.id.as_ref().map(ToString::to_string), "name": role.display_name() }),
            );
            if let Some(p) = r.block.and_then(|b| role.permissions.get(b as usize)) {
                m.insert("block".into(), json!(r.block));
                if let Some(a) = r.pattern.and_then(|i| pattern_list(p, r).items().get(i as usize)) {
                    m.insert("pattern".into(), json!(a.raw));
                }
            }
        }
        if let Some(site) = r.condition {
            let (text, expression) = match self.reason_condition(r) {
                Some((c, e)) => (Value::from(c.text()), Value::from(e)),
                None => (Value::Null, Value::Null),
            };
            m.insert(
                "condition".into(),
                json!({ "on": site.as_str(), "text": text, "expression": expression, "valid": !text.is_null() }),
            );
        }
        if let Some(d) = r.deny.and_then(|i| t.deny_assignments.get(i as usize)) {
            m.insert(
                "deny".into(),
                json!({ "id": d.id.as_ref().map(ToString::to_string), "name": d.name, "scope": d.scope.raw }),
            );
            if let Some(p) = r.block.and_then(|b| d.permissions.get(b as usize)) {
                m.insert("block".into(), json!(r.block));
                if let Some(a) = r.pattern.and_then(|i| pattern_list(p, r).items().get(i as usize)) {
                    m.insert("pattern".into(), json!(a.raw));
                }
            }
        }
        v
    }

    /// One line for people: why the decision came out as it did.
    pub fn reason_text(&self, r: &Reason) -> String {
        let v = self.reason_json(r);
        let s = |k: &str, f: &str| v.get(k).and_then(|o| o.get(f)).and_then(Value::as_str).unwrap_or("?").to_owned();
        let pattern = v.get("pattern").and_then(Value::as_str).unwrap_or("?");
        let on = s("condition", "on").replace('_', " ");
        let expression = s("condition", "expression");
        let held = if r.condition.is_some() {
            format!("; the condition on the {on} holds: `{expression}`")
        } else {
            String::new()
        };
        match r.kind {
            ReasonKind::Granted => format!(
                "granted by role `{}` assigned to `{}` at `{}` (pattern `{pattern}`){held}",
                s("role", "name"),
                s("assignment", "principal"),
                s("assignment", "scope")
            ),
            ReasonKind::DenyAssignment => {
                let held = if r.condition.is_some() {
                    format!("; the condition on the {on} is not false: `{expression}`")
                } else {
                    String::new()
                };
                format!(
                    "denied by deny assignment `{}` at `{}` (pattern `{pattern}`){held}",
                    s("deny", "name"),
                    s("deny", "scope")
                )
            }
            ReasonKind::NoGrant => "no role assignment in scope grants this action".into(),
            ReasonKind::PlaneUnknown => {
                "the catalog does not say whether this is a control- or data-plane operation; pass the plane".into()
            }
            ReasonKind::ConditionNotMet => match v.get("condition") {
                Some(c) if c.get("valid") == Some(&Value::Bool(true)) => format!(
                    "role `{}` assigned to `{}` at `{}` would grant (pattern `{pattern}`), but the condition on the {on} is not met: `{expression}`",
                    s("role", "name"),
                    s("assignment", "principal"),
                    s("assignment", "scope")
                ),
                Some(_) => format!(
                    "role `{}` assigned to `{}` at `{}` would grant (pattern `{pattern}`), but the condition on the {on} does not parse or type-check (fail closed)",
                    s("role", "name"),
                    s("assignment", "principal"),
                    s("assignment", "scope")
                ),
                None => "a grant exists but its condition is not met (fail closed)".into(),
            },
            ReasonKind::InvalidRequest => "the request is malformed (scope or action)".into(),
        }
    }
}
