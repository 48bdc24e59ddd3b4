//! RL102: more than one `*` in an action string.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule, entries};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL102",
    name: "multiple-wildcards",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an action string of a custom role with more than one `*`.

Why it matters: Azure rejects it: \"'Microsoft.CostManagement/*/query/*' contains multiple wildcards. Only one
is allowed.\" (`InvalidActionOrNotAction`). Built-in roles are exempt (one of them has two).

Example:
    \"Actions\": [\"Microsoft.CostManagement/*/query/*\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    for e in entries(cx.role) {
        let Some(p) = e.action.pattern() else { continue };
        if p.star_count() > 1 {
            out.push(Hit::new(
                RULE.at(cx, e.action.span, format!("`{p}` in `{}` has {} wildcards", e.key(), p.star_count()))
                    .with_label("Azure allows one `*` per action")
                    .with_help("split it into patterns with one `*` each, or list the operations"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl102() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.CostManagement/*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.CostManagement/*/query/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
