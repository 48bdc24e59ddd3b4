//! RL311: an unresolved expression (ARM template, Bicep, Terraform) where the linter needs a value.

use rolegate::Severity;
use rolegate::diag::Span;
use rolegate::model::{ActionKind, Entries};
use rolegate::scope::ScopeValue;

use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::Plane;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL311",
    name: "template-expression",
    severity: Severity::Note,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an ARM template, compiled Bicep or `.bicep` role whose action list, action or assignable scope
is an expression (`[parameters('actions')]`, `[subscription().id]`; in Bicep a `param` or `var` reference, a
function call, an interpolated string `'${prefix}/read'`), kept verbatim and not evaluated; in a `.bicep` file
also a role definition declared in a `for` loop or under an `if` condition (its body is linted once, as written);
likewise a Terraform reference or interpolation (`var.actions`, `\"${data.azurerm_subscription.primary.id}\"`), a
`for_each`, `count` or `dynamic` block Terraform would expand, and a plan's value known only after apply. A
note: it never fails a run.

Why it matters: what the expression yields at deployment is not checked here, and the engine grants nothing
through it. Lint the deployed role (`az role definition list`), a Terraform plan (`terraform show -json`) or
the template's parameter values as well.

Example:
    \"permissions\": [{\"actions\": \"[parameters('actions')]\"}],
    \"assignableScopes\": [\"[subscription().id]\"]";

fn note(cx: &RoleCx<'_>, span: Span, what: &str, out: &mut Vec<Hit>) {
    out.push(Hit::new(
        RULE.at(cx, span, format!("{what} is an unresolved expression"))
            .with_label("not evaluated")
            .with_help("lint the deployed role, or the values the expression takes, as well"),
    ));
}

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for perm in &cx.role.permissions {
        for plane in Plane::BOTH {
            let (grants, exclusions) = plane.lists(perm);
            for (list, key) in [(grants, plane.grant_key()), (exclusions, plane.exclusion_key())] {
                match list {
                    Entries::Template(t) => note(cx, t.span, &format!("`{key}`"), out),
                    Entries::List(items) => {
                        for a in items.iter().filter(|a| matches!(a.kind, ActionKind::Template)) {
                            note(cx, a.span, &format!("an entry of `{key}`"), out);
                        }
                    }
                }
            }
        }
    }
    match &cx.role.assignable_scopes {
        Some(Entries::Template(t)) => note(cx, t.span, "`AssignableScopes`", out),
        Some(Entries::List(items)) => {
            for s in items.iter().filter(|s| matches!(s.value, ScopeValue::Template)) {
                note(cx, s.span, "an assignable scope", out);
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl311() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": ["[literally a bracket]"], "AssignableScopes": ["/subscriptions/s1"]}"#],
            &[r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [{"type": "Microsoft.Authorization/roleDefinitions", "apiVersion": "2022-04-01", "name": "[guid('r')]",
    "properties": {"roleName": "r", "type": "CustomRole",
      "permissions": [{"actions": "[parameters('actions')]", "notActions": ["[variables('deny')]"]}],
      "assignableScopes": ["[subscription().id]"]}}]}"#],
        ));
    }
}
