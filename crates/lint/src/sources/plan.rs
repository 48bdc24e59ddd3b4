//! `terraform show -json` plan output: its `azurerm_role_definition` resources, with values Terraform has
//! resolved, become ARM-template roles whose spans point into the plan. A value the plan marks in
//! `after_unknown` is known only after apply: a template expression (noted by RL311), not a missing value. Its
//! `azurerm_role_assignment` resources whose scope and role are known (or whose role is a role resource the
//! plan's `configuration` names) are kept for the tenant rules that hold without a tenant.

use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::{SourceText, Span, codes};
use rolegate::internals::json::{Kind, Member, Value};
use rolegate::model::Spanned;

use super::{
    ASSIGNMENT_RESOURCE, AssignmentParts, Converted, ROLE_ID_ATTRIBUTES, ROLE_RESOURCE, RoleParts, RoleRef,
    arm_resource, arm_template, expression, member,
};
use crate::rules::TEMPLATE_EXPRESSION;

/// What a value unknown until apply is called.
const UNKNOWN: &str = "known after apply";

/// Whether a parsed JSON document is Terraform's JSON output of a plan.
pub(super) fn is_plan(root: &Value) -> bool {
    root.get("format_version").is_some()
        && (root.get("planned_values").is_some() || root.get("resource_changes").is_some())
}

/// Converts a plan; `root` is kept for the JSON pointers of findings.
pub(super) fn convert(source: &Arc<SourceText>, root: Value) -> Converted {
    let mut role_addresses = Vec::new();
    let mut resources = Vec::new();
    for r in planned(&root, ROLE_RESOURCE) {
        let value = role(r.after, r.unknown);
        role_addresses.push((r.address.to_owned(), value.span));
        resources.push(value);
    }
    let mut notes = Vec::new();
    let assignments =
        planned(&root, ASSIGNMENT_RESOURCE).iter().filter_map(|r| assignment(source, &root, r, &mut notes)).collect();
    let template = arm_template(resources, Span::new(0, source.text().len()));
    Converted { template, pointer_root: Some(root), notes, role_addresses, assignments }
}

/// One resource of the plan: its planned values and their `after_unknown` markers.
struct Planned<'v> {
    /// `module.NAME.TYPE.NAME`.
    address: &'v str,
    /// The module it is in (`module.NAME`), empty for the root module.
    module: &'v str,
    after: &'v Value,
    unknown: Option<&'v Value>,
    /// Read from `resource_changes`, which marks unknown values; `planned_values` leaves them out.
    marked: bool,
}

/// The resources of type `kind`. `resource_changes` is preferred: only it says which values are unknown
/// (`planned_values` leaves them out, which would read as absent). A resource the plan deletes has no `after` and
/// is not read.
fn planned<'v>(root: &'v Value, kind: &str) -> Vec<Planned<'v>> {
    let is_kind = |r: &&Value| {
        r.get("type").and_then(Value::as_str) == Some(kind)
            && r.get("mode").and_then(Value::as_str).is_none_or(|m| m == "managed")
    };
    let text = |r: &'v Value, key: &str| r.get(key).and_then(Value::as_str).unwrap_or_default();
    if let Some(changes) = root.get("resource_changes").and_then(Value::as_array) {
        return changes
            .iter()
            .filter(is_kind)
            .filter_map(|r| {
                let change = r.get("change")?;
                let after = change.get("after").filter(|a| a.as_object().is_some())?;
                let (address, module) = (text(r, "address"), text(r, "module_address"));
                Some(Planned { address, module, after, unknown: change.get("after_unknown"), marked: true })
            })
            .collect();
    }
    let mut out = Vec::new();
    // Modules nest as deep as the JSON does (at most rolegate's depth cap); a stack keeps the walk flat.
    let mut modules: Vec<&Value> = root.get("planned_values").and_then(|p| p.get("root_module")).into_iter().collect();
    while let Some(module) = modules.pop() {
        let resources = module.get("resources").and_then(Value::as_array).unwrap_or_default();
        out.extend(resources.iter().filter(is_kind).filter_map(|r| {
            let after = r.get("values")?;
            let (address, module) = (text(r, "address"), text(module, "address"));
            Some(Planned { address, module, after, unknown: None, marked: false })
        }));
        let children = module.get("child_modules").and_then(Value::as_array).unwrap_or_default();
        modules.extend(children.iter().rev());
    }
    out
}

/// A planned `azurerm_role_assignment`, when its scope and role are known; one with a value known only after
/// apply is noted (`RL311`) and left out.
fn assignment(
    source: &Arc<SourceText>,
    root: &Value,
    r: &Planned<'_>,
    notes: &mut Vec<Diagnostic>,
) -> Option<AssignmentParts> {
    // `Err` holds the `after_unknown` marker of a value known only after apply.
    let get = |key: &str| -> Result<Option<Spanned<String>>, Span> {
        if let Some(u) = r.unknown.and_then(|u| u.get(key)).filter(|u| u.as_bool() == Some(true)) {
            return Err(u.span);
        }
        Ok(r.after.get(key).and_then(|v| Some(Spanned::new(v.as_str()?.to_owned(), v.span))))
    };
    // Without `after_unknown` a value to come is absent: for the arguments Terraform requires, that is what absent
    // means, noted at the start of the resource's values.
    let required = |key: &str| match get(key) {
        Ok(None) if !r.marked => Err(Span::new(r.after.span.start, r.after.span.start + 1)),
        other => other,
    };
    let mut note = |at: Span, message: String| {
        notes.push(
            Diagnostic::new(TEMPLATE_EXPRESSION.diag_code(), TEMPLATE_EXPRESSION.severity, message)
                .at(source, at)
                .with_label(UNKNOWN)
                .with_help("lint the plan of a later run, once what it depends on exists"),
        );
    };
    let address = r.address;
    let scope = match required("scope") {
        Ok(scope) => scope,
        Err(at) => {
            note(at, format!("`scope` is known only after apply: `{address}` is not checked against its role"));
            return None;
        }
    };
    let role = match (get("role_definition_name"), required("role_definition_id")) {
        // The id is precise; when the plan has only the name, the provider looks it up.
        (_, Ok(Some(id))) if !id.value.is_empty() => Some(RoleRef::Id(id)),
        (Ok(Some(name)), _) if !name.value.is_empty() => Some(RoleRef::Name(name)),
        (_, Err(at)) => match configured_role(root, r) {
            Some(role) => Some(RoleRef::Resource(Spanned::new(role, at))),
            None => {
                let message = format!(
                    "`role_definition_id` is known only after apply: `{address}` is not checked against its role"
                );
                note(at, message);
                return None;
            }
        },
        _ => None,
    };
    let principal_id = match required("principal_id") {
        Ok(p) => p,
        // Only messages and fingerprints name the principal.
        Err(at) => Some(Spanned::new(format!("({UNKNOWN})"), at)),
    };
    let (Some(scope), Some(role), Some(principal_id)) = (scope, role, principal_id) else {
        notes.push(
            Diagnostic::error(
                codes::MISSING_FIELD,
                format!("`{address}` has no `scope`, `principal_id`, or role in the plan"),
            )
            .at(source, Span::new(r.after.span.start, r.after.span.start + 1))
            .with_label("incomplete")
            .with_help(
                "Terraform requires `scope`, `principal_id`, and `role_definition_id` or `role_definition_name`",
            ),
        );
        return None;
    };
    let condition = match get("condition") {
        Ok(c) => c.filter(|c| !c.value.trim().is_empty()),
        Err(at) => {
            note(at, format!("`condition` is known only after apply: `{address}`'s condition is not checked"));
            None
        }
    };
    // The rules run on assignments do not read these: one known only after apply changes nothing.
    Some(AssignmentParts {
        address: address.to_owned(),
        role,
        scope,
        principal_id,
        principal_type: get("principal_type").ok().flatten(),
        condition,
        condition_version: get("condition_version").ok().flatten(),
        name: get("name").ok().flatten(),
        span: r.after.span,
    })
}

/// The role resource an assignment's `role_definition_id` refers to in the plan's `configuration`, by address
/// (`module.NAME.azurerm_role_definition.NAME`), when every reference of that expression names the same one.
fn configured_role(root: &Value, r: &Planned<'_>) -> Option<String> {
    let mut module = root.get("configuration")?.get("root_module")?;
    let prefix = if r.module.is_empty() { String::new() } else { format!("{}.", r.module) };
    // `module.a.module.b[0]` is `module_calls.a.module.module_calls.b.module`; instance keys are not configuration.
    for call in r.module.split("module.").map(|s| s.trim_end_matches('.')).filter(|s| !s.is_empty()) {
        let name = call.split('[').next()?;
        module = module.get("module_calls")?.get(name)?.get("module")?;
    }
    let local = r.address.strip_prefix(&prefix)?.split('[').next()?;
    let resource = module
        .get("resources")?
        .as_array()?
        .iter()
        .find(|c| c.get("address").and_then(Value::as_str) == Some(local))?;
    let references = resource.get("expressions")?.get("role_definition_id")?.get("references")?.as_array()?;
    let mut named = references.iter().map(|reference| {
        let mut parts = reference.as_str()?.split('.');
        let (kind, label, attr) = (parts.next()?, parts.next()?, parts.next());
        let identifies = attr.is_none_or(|a| ROLE_ID_ATTRIBUTES.contains(&a)) && parts.next().is_none();
        (kind == ROLE_RESOURCE && identifies).then(|| format!("{prefix}{ROLE_RESOURCE}.{label}"))
    });
    let first = named.next()??;
    named.all(|n| n.as_ref() == Some(&first)).then_some(first)
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
