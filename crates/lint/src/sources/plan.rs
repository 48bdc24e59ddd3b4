//! `terraform show -json` plan output: its `azurerm_role_definition` resources, with values Terraform has
//! resolved, become ARM-template roles whose spans point into the plan. A value the plan marks in
//! `after_unknown` is known only after apply: a template expression (noted by RL311), not a missing value.

use std::sync::Arc;

use rolegate::diag::{SourceText, Span};
use rolegate::internals::json::{Kind, Member, Value};

use super::{Converted, RoleParts, arm_resource, arm_template, expression, member};

/// The resource type of a custom role in the azurerm provider.
const ROLE_RESOURCE: &str = "azurerm_role_definition";

/// What a value unknown until apply is called.
const UNKNOWN: &str = "known after apply";

/// Whether a parsed JSON document is Terraform's JSON output of a plan.
pub(super) fn is_plan(root: &Value) -> bool {
    root.get("format_version").is_some()
        && (root.get("planned_values").is_some() || root.get("resource_changes").is_some())
}

/// Converts a plan; `root` is kept for the JSON pointers of findings.
pub(super) fn convert(source: &Arc<SourceText>, root: Value) -> Converted {
    let resources: Vec<Value> = planned_roles(&root).into_iter().map(|(after, unknown)| role(after, unknown)).collect();
    let template = arm_template(resources, Span::new(0, source.text().len()));
    Converted {
        template,
        pointer_root: Some(root),
        notes: Vec::new(),
        role_addresses: Vec::new(),
        assignments: Vec::new(),
    }
}

/// Each role resource's planned values and their `after_unknown` markers. `resource_changes` is preferred: only
/// it says which values are unknown (`planned_values` leaves them out, which would read as absent). A role the
/// plan deletes has no `after` and is not linted.
fn planned_roles(root: &Value) -> Vec<(&Value, Option<&Value>)> {
    let is_role = |r: &&Value| {
        r.get("type").and_then(Value::as_str) == Some(ROLE_RESOURCE)
            && r.get("mode").and_then(Value::as_str).is_none_or(|m| m == "managed")
    };
    if let Some(changes) = root.get("resource_changes").and_then(Value::as_array) {
        return changes
            .iter()
            .filter(is_role)
            .filter_map(|r| {
                let change = r.get("change")?;
                let after = change.get("after").filter(|a| a.as_object().is_some())?;
                Some((after, change.get("after_unknown")))
            })
            .collect();
    }
    let mut out = Vec::new();
    // Modules nest as deep as the JSON does (at most rolegate's depth cap); a stack keeps the walk flat.
    let mut modules: Vec<&Value> = root.get("planned_values").and_then(|p| p.get("root_module")).into_iter().collect();
    while let Some(module) = modules.pop() {
        let resources = module.get("resources").and_then(Value::as_array).unwrap_or_default();
        out.extend(resources.iter().filter(is_role).filter_map(|r| r.get("values")).map(|v| (v, None)));
        let children = module.get("child_modules").and_then(Value::as_array).unwrap_or_default();
        modules.extend(children.iter().rev());
    }
    out
}

fn role(after: &Value, unknown: Option<&Value>) -> Value {
    let mut parts = RoleParts::default();
    let mut scope = None;
    let members = after.as_object().unwrap_or_default();
    let keys = members.iter().map(|m| (m.key.as_str(), Some(m.key_span)));
    // A key only `after_unknown` names is a value to come, so it counts as present.
    let unknown_keys =
        unknown.and_then(Value::as_object).unwrap_or_default().iter().filter(|u| u.value.as_bool() == Some(true));
    let unknown_only = unknown_keys.filter(|u| after.get(&u.key).is_none()).map(|u| (u.key.as_str(), None));
    for (key, key_span) in keys.chain(unknown_only) {
        let u = unknown.and_then(|u| u.get(key));
        let Some(value) = resolve(after.get(key), u) else { continue };
        let key_span = key_span.unwrap_or(value.span);
        match key {
            "name" => parts.role_name = Some(member("roleName", key_span, value)),
            "description" => parts.description = Some(member("description", key_span, value)),
            "role_definition_id" => parts.id = Some(member("name", key_span, value)),
            "scope" => scope = Some(value),
            "assignable_scopes" if !is_empty_list(&value) => {
                parts.assignable_scopes = Some(member("assignableScopes", key_span, value));
            }
            "permissions" => {
                if let Kind::Array(blocks) = value.kind {
                    parts.permissions_span = Some(value.span);
                    parts.permissions = blocks.into_iter().map(permission).collect();
                } else {
                    // Unknown as a whole (or not a list): the loader notes or refuses it as it stands.
                    parts.permissions_span = Some(value.span);
                    parts.permissions = vec![permission_of_all(value)];
                }
            }
            _ => {}
        }
    }
    // The provider makes a role assignable at its `scope` when `assignable_scopes` is left out or empty.
    if parts.assignable_scopes.is_none()
        && let Some(scope) = scope
    {
        let at = scope.span;
        parts.assignable_scopes =
            Some(member("assignableScopes", at, Value { kind: Kind::Array(vec![scope]), span: at }));
    }
    arm_resource(parts, after.span)
}

fn is_empty_list(v: &Value) -> bool {
    matches!(&v.kind, Kind::Null) || v.as_array().is_some_and(<[Value]>::is_empty)
}

/// A permission block of the plan with the provider's keys renamed to ARM's.
fn permission(block: Value) -> Value {
    let Kind::Object(members) = block.kind else { return block };
    let members = members
        .into_iter()
        .map(|m| {
            let key = match m.key.as_str() {
                "not_actions" => "notActions",
                "data_actions" => "dataActions",
                "not_data_actions" => "notDataActions",
                other => other,
            };
            Member { key: key.to_owned(), ..m }
        })
        .collect();
    Value { kind: Kind::Object(members), span: block.span }
}

/// A permission block whose four lists all stand for `value` (a whole `permissions` unknown until apply).
fn permission_of_all(value: Value) -> Value {
    let span = value.span;
    let members = ["actions", "notActions", "dataActions", "notDataActions"]
        .into_iter()
        .map(|k| member(k, span, value.clone()))
        .collect();
    Value { kind: Kind::Object(members), span }
}

/// A planned value with its unknown parts as template expressions, pointing at their `after_unknown` marker;
/// `None` for a value the plan neither has nor marks unknown.
fn resolve(after: Option<&Value>, unknown: Option<&Value>) -> Option<Value> {
    if let Some(u) = unknown.filter(|u| u.as_bool() == Some(true)) {
        return Some(expression(UNKNOWN, u.span));
    }
    let after = after?;
    let kind = match &after.kind {
        Kind::Array(items) => {
            let marks = unknown.and_then(Value::as_array).unwrap_or_default();
            Kind::Array(items.iter().enumerate().filter_map(|(i, item)| resolve(Some(item), marks.get(i))).collect())
        }
        Kind::Object(members) => Kind::Object(
            members
                .iter()
                .filter_map(|m| {
                    let value = resolve(Some(&m.value), unknown.and_then(|u| u.get(&m.key)))?;
                    Some(Member { key: m.key.clone(), key_span: m.key_span, value })
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Some(Value { kind, span: after.span })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn unknown_values_are_expressions_at_their_marker() {
        let text = r#"{"format_version": "1.2", "resource_changes": [{"type": "azurerm_role_definition", "mode": "managed",
  "change": {"actions": ["create"], "after": {"name": "r", "scope": "/subscriptions/s",
    "permissions": [{"actions": ["a/b", null]}], "assignable_scopes": []},
   "after_unknown": {"permissions": [{"actions": [false, true]}], "role_definition_id": true}}}]}"#;
        let root = rolegate::internals::json::parse(text).unwrap();
        assert!(is_plan(&root));
        let src = Arc::new(SourceText::new("plan.json", text));
        let c = convert(&src, root);
        let role = &c.template.get("resources").unwrap().as_array().unwrap()[0];
        assert_eq!(role.get("name").unwrap().as_str(), Some("[known after apply]"));
        let props = role.get("properties").unwrap();
        let actions = props.get("permissions").unwrap().as_array().unwrap()[0].get("actions").unwrap();
        let items = actions.as_array().unwrap();
        assert_eq!(items[1].as_str(), Some("[known after apply]"));
        assert_eq!(&text[items[1].span.start..items[1].span.end], "true");
        // An empty `assignable_scopes` is the provider's cue to use `scope`.
        let scopes = props.get("assignableScopes").unwrap().as_array().unwrap();
        assert_eq!(&text[scopes[0].span.start..scopes[0].span.end], "\"/subscriptions/s\"");
    }
}
