//! RL308: conditionVersion "1.0" on a custom role.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL308",
    name: "condition-version",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: `\"conditionVersion\": \"1.0\"` on a custom role.

Why it matters: the condition language in use is version 2.0; one built-in role still carries \"1.0\", which is
why it loads, but new input should not copy it.

Example:
    \"conditionVersion\": \"1.0\"";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    for p in &cx.role.permissions {
        let Some(v) = p.condition_version.as_ref().filter(|v| v.value.trim() == "1.0") else { continue };
        out.push(Hit::new(
            RULE.at(cx, v.span, "condition version `1.0` on a custom role".into())
                .with_label("write \"2.0\"")
                .with_help("write `\"conditionVersion\": \"2.0\"`"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl308() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"properties": {"roleName": "r", "type": "CustomRole", "assignableScopes": ["/subscriptions/s1"],
                 "permissions": [{"actions": [], "condition": "true", "conditionVersion": "2.0"}]}}"#],
            &[r#"{"properties": {"roleName": "r", "type": "CustomRole", "assignableScopes": ["/subscriptions/s1"],
  "permissions": [{"actions": [], "condition": "true", "conditionVersion": "1.0"}]}}"#],
        ));
    }
}
