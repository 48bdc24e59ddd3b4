//! RL207: the role effectively grants operations of the `governance-bypass` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL207",
    name: "governance-bypass",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::GovernanceBypass, cx, out);
}

const DOC: &str = "\
What it flags: an entry that effectively grants removing guard rails: policy assignments (write, delete),
policy exemptions, `locks/delete`, `Microsoft.Insights/diagnosticSettings/delete`.

Why it matters: these switch off the controls and the audit trail that would catch misuse of every other
permission (defense evasion).

Example:
    \"Actions\": [\"Microsoft.Authorization/locks/*\"]";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl207() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/locks/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/locks/*", "Microsoft.Insights/diagnosticSettings/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
