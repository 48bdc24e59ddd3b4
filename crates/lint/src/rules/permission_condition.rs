//! RL113: a condition on a custom role's permission block.

use rolegate::Severity;
use rolegate::model::RoleShape;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL113",
    name: "permission-condition",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a `condition` in a permission block of a custom role.

Why it matters: role-definition conditions are read-only in Azure: only built-in roles carry them. Put the
condition on the role assignment instead. (A top-level `Condition` in `az role definition create` input is
RL309: az drops it silently.)

Example:
    \"permissions\": [{\"actions\": [...], \"condition\": \"((!(ActionMatches{'...'})) OR (...))\"}]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    for p in &cx.role.permissions {
        let Some(c) = &p.condition else { continue };
        if p.flat && cx.role.shape == RoleShape::CreateInput {
            continue;
        }
        out.push(Hit::new(
            RULE.at(cx, c.span, "a condition on a custom role's permission block".into())
                .with_label("read-only in Azure")
                .with_help("move the condition to the role assignment (`az role assignment create --condition`)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl113() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"properties": {"roleName": "r", "type": "CustomRole", "assignableScopes": ["/subscriptions/s1"],
                 "permissions": [{"actions": ["Microsoft.Storage/storageAccounts/read"]}]}}"#],
            &[r#"{"properties": {"roleName": "r", "type": "CustomRole", "assignableScopes": ["/subscriptions/s1"],
  "permissions": [{"dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    "condition": "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
    "conditionVersion": "2.0"}]}}"#],
        ));
    }
}
