//! RL103: the root scope `/` in a custom role's AssignableScopes.

use rolegate::Severity;
use rolegate::scope::ScopeKind;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL103",
    name: "root-assignable-scope",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: `/` in the AssignableScopes of a custom role.

Why it matters: only built-in roles are assignable at the root; Azure rejects a custom role that asks for it
(\"You cannot set AssignableScopes to the root scope\").

Example:
    \"AssignableScopes\": [\"/\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes.iter().filter(|s| s.scope().is_some_and(|sc| sc.kind() == ScopeKind::Root)) {
        out.push(Hit::new(
            RULE.at(cx, s.span, "the root scope `/` in `AssignableScopes` of a custom role".into())
                .with_label("only built-in roles may use `/`")
                .with_help(
                    "use a management group (`/providers/Microsoft.Management/managementGroups/{id}`) or subscriptions",
                ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl103() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#],
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1", "/"]}"#],
        ));
    }
}
