//! RL105: more than one management group in AssignableScopes.

use rolegate::Severity;
use rolegate::scope::ScopeKind;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL105",
    name: "multiple-management-groups",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a custom role whose AssignableScopes name more than one management group (each one after the
first is reported).

Why it matters: \"You can define only one management group in AssignableScopes of a custom role.\" Azure
rejects the role.

Example:
    \"AssignableScopes\": [\"/providers/Microsoft.Management/managementGroups/a\",
                         \"/providers/Microsoft.Management/managementGroups/b\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    let mgs: Vec<_> =
        scopes.iter().filter(|s| s.scope().is_some_and(|sc| sc.kind() == ScopeKind::ManagementGroup)).collect();
    let Some(first) = mgs.first() else { return };
    for s in mgs.iter().skip(1) {
        out.push(Hit::new(
            RULE.at(cx, s.span, format!("a second management group in `AssignableScopes`: `{}`", s.raw))
                .with_related(first.span, "the first one")
                .with_label("Azure allows one management group")
                .with_help("keep one management group and list subscriptions for the rest, or split the role"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl105() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/a", "/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/a", "/providers/Microsoft.Management/managementGroups/b"]}"#
            ],
        ));
    }
}
