//! RL116: an assignable scope whose subscription id is not a GUID (and no recognised placeholder).

use rolegate::Severity;
use rolegate::internals::diag::excerpt;
use rolegate::model::is_guid;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL116",
    name: "subscription-id-not-guid",
    severity: Severity::Warning,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an assignable scope `/subscriptions/{id}/...` whose `{id}` is not a GUID, when it is none of the
placeholder forms RL108 knows (`/subscriptions/sub-1`, `/subscriptions/prod`).

Why it matters: ARM refuses a subscription id that is not a GUID, so Azure would reject the role. A warning,
not an error: sample tenants and tests name subscriptions `sub-1` on purpose. When the name stands for a real
subscription, write its id.

Example:
    \"AssignableScopes\": [\"/subscriptions/production\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes {
        let Some(sub) = s.scope().and_then(|sc| sc.subscription()) else { continue };
        if is_guid(sub) {
            continue;
        }
        out.push(Hit::new(
            RULE.at(
                cx,
                s.span,
                format!("subscription id `{}` in assignable scope `{}` is not a GUID", excerpt(sub), excerpt(&s.raw)),
            )
            .with_label("not a subscription id")
            .with_help("Azure refuses a subscription id that is not a GUID; write the subscription's id (`az account show --query id`)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl116() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/$SUB", "/subscriptions/SUB_ID"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/mg"]}"#,
            ],
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/production/resourceGroups/rg"]}"#],
        ));
    }
}
