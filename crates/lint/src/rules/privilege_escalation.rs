//! RL203: the role effectively grants operations of the `privilege-escalation` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL203",
    name: "privilege-escalation",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::PrivilegeEscalation, cx, out);
}

const DOC: &str = "\
What it flags: an `Actions` entry that, after its block's `NotActions` are subtracted, still grants an operation
of the privilege-escalation set in `roles/sensitive-operations.json`: `Microsoft.Authorization/roleAssignments/write`,
`roleDefinitions/write`, `elevateAccess/action`, deny-assignment writes, data-plane role assignments.

Why it matters: whoever holds it can assign themselves Owner (or create a role that grants everything). The
analysis is on the effective permission, not on strings: Contributor's `*` minus `Microsoft.Authorization/*/Write`
does not grant `roleAssignments/write`; `Microsoft.Authorization/*` does. Exact entries the catalog does not list
are still classified, so a stale catalog cannot hide them.

Example:
    \"Actions\": [\"*\", \"Microsoft.Authorization/*\"], \"NotActions\": [\"Microsoft.Blueprint/blueprintAssignments/write\"]";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl203() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                // Contributor's shape: the exclusion removes every Authorization write.
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/*"],
                    "NotActions": ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/elevateAccess/Action"],
                    "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/roleAssignments/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                // A malformed exclusion (on either plane) makes the block grant nothing, as in the engine.
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/*"], "NotDataActions": ["a b"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/*"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/roleAssignments/write"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
