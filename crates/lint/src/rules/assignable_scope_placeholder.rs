//! RL108: a documentation placeholder instead of an assignable scope.

use rolegate::Severity;
use rolegate::internals::diag::excerpt;
use rolegate::scope::{ScopeValue, find_placeholder, segment_meaning};

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
What it flags: an assignable scope that still holds a placeholder copied from documentation or a script:
`<subscriptionId>`, `{subscriptionId}`, `{{ subscription_id }}`, `${SUB}`, `$(sub)`, `$subscriptionID`,
`YOUR-SUBSCRIPTION-ID`, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, or an all-capitals name such as
`SUBSCRIPTION_ID` where the subscription id belongs.

Why it matters: Azure rejects it as an invalid scope (`LinkedInvalidPropertyId`: a subscription id must be a
GUID). Fill in the scope, or let the deployment tool substitute it before linting.

Example:
    \"AssignableScopes\": [\"/subscriptions/$SUBSCRIPTION_ID/resourcegroups/<resourceGroupName>\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes {
        if !matches!(s.value, ScopeValue::Placeholder { .. }) {
            continue;
        }
        let Some(p) = find_placeholder(&s.raw) else { continue };
        out.push(Hit::new(
            RULE.at(
                cx,
                s.span,
                format!(
                    "assignable scope `{}` holds {} `{}`, not a scope",
                    excerpt(&s.raw),
                    p.form.describe(),
                    excerpt(p.text)
                ),
            )
            .with_label("not a scope yet")
            .with_help(format!(
                "substitute {} for `{}` before creating the role (Azure refuses the placeholder)",
                segment_meaning(p.after),
                excerpt(p.text)
            )),
        ));
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
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/<subscriptionId>/resourcegroups/<resourceGroupName>"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/$subscriptionID"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/$SUBSCRIPTION_ID"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/SUBSCRIPTION_ID"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/YOUR-SUBSCRIPTION-ID"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/${SUB}/resourceGroups/rg"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/{{ subscription_id }}"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/{groupId}"]}"#,
            ],
        ));
    }
}
