//! RL309: a top-level `Condition` in `az role definition create` input.

use rolegate::Severity;
use rolegate::model::RoleShape;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL309",
    name: "create-input-condition",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a top-level `Condition` (or `ConditionVersion`) key in the flat `az role definition create` input.

Why it matters: az drops the key silently: the role is created without the condition the author wrote, so it
grants more than the file says. Conditions belong on role assignments.

Example:
    {\"Name\": \"Log reader\", \"DataActions\": [\"...blobs/read\"], \"Condition\": \"...\", ...}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if cx.role.shape != RoleShape::CreateInput {
        return;
    }
    for p in cx.role.permissions.iter().filter(|p| p.flat) {
        let Some(span) = p.condition.as_ref().map(|c| c.span).or(p.condition_version.as_ref().map(|c| c.span)) else {
            continue;
        };
        out.push(Hit::new(
            RULE.at(cx, span, "`az role definition create` drops a top-level `Condition`".into())
                .with_label("ignored by az")
                .with_help("put the condition on the role assignment (`az role assignment create --condition`)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl309() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[r#"{"Name": "r",
  "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
  "Condition": "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
  "AssignableScopes": ["/subscriptions/s1"]}"#],
        ));
    }
}
