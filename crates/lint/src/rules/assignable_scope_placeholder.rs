//! RL108: a documentation placeholder instead of an assignable scope.

use rolegate::Severity;
use rolegate::scope::ScopeValue;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL108",
    name: "assignable-scope-placeholder",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an assignable scope that still holds a placeholder copied from documentation, such as
`<subscriptionId>`, `{subscriptionId}` or `${SUB}`.

Why it matters: Azure rejects it as an invalid scope (`LinkedInvalidPropertyId`). Fill in the scope, or let
the deployment tool substitute it before linting.

Example:
    \"AssignableScopes\": [\"/subscriptions/<subscriptionId>/resourcegroups/<resourceGroupName>\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes {
        if let ScopeValue::Placeholder { .. } = s.value {
            out.push(Hit::new(
                RULE.at(
                    cx,
                    s.span,
                    format!("assignable scope `{}` is a placeholder", rolegate::internals::diag::excerpt(&s.raw)),
                )
                .with_label("not a scope yet")
                .with_help(
                    "fill in the real subscription, resource group or management group before creating the role",
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl108() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1/resourcegroups/rg"]}"#],
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/<subscriptionId>/resourcegroups/<resourceGroupName>"]}"#
            ],
        ));
    }
}
