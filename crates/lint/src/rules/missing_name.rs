//! RL100: a custom role without a name.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule =
    Rule { code: "RL100", name: "missing-name", severity: Severity::Error, family: Family::Reject, doc: DOC, check };

const DOC: &str = "\
What it flags: a custom role with no name (`Name` in create input, `roleName` elsewhere), or an empty one.

Why it matters: Azure rejects the role (`RoleDefinitionNameNullOrEmpty`); the name is also what people assign.

Example:
    {\"IsCustom\": true, \"Actions\": [\"Microsoft.Compute/virtualMachines/read\"],
     \"AssignableScopes\": [\"/subscriptions/s1\"]}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() || cx.role.name.as_ref().is_some_and(|n| !n.value.trim().is_empty()) {
        return;
    }
    let what = if cx.role.name.is_some() { "an empty name" } else { "no name" };
    out.push(Hit::new(
        RULE.at(cx, cx.role_span(), format!("custom role with {what}")).with_label("this role").with_help(
            "add `\"Name\": \"...\"` (`roleName` in the REST and CLI shapes); Azure rejects a nameless role",
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl100() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#],
            &[
                r#"{"IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": " ", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
