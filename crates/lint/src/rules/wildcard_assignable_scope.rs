//! RL104: a `*` in a custom role's AssignableScopes.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL104",
    name: "wildcard-assignable-scope",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a `*` anywhere in an assignable scope of a custom role.

Why it matters: Azure does not accept wildcards in AssignableScopes (\"This wildcard restriction helps ensure a
user can't potentially obtain access to a scope by updating the role definition\").

Example:
    \"AssignableScopes\": [\"/subscriptions/*/resourceGroups/app-*\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes.iter().filter(|s| s.raw.contains('*')) {
        out.push(Hit::new(
            RULE.at(
                cx,
                s.span,
                format!("wildcard in assignable scope `{}`", rolegate::internals::diag::excerpt(&s.raw)),
            )
            .with_label("Azure accepts no `*` here")
            .with_help("list each scope explicitly, or use the management group or subscription above them"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl104() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1/resourceGroups/app"]}"#],
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/*/resourceGroups/app-*"]}"#],
        ));
    }
}
