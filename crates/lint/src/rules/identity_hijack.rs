//! RL206: the role effectively grants operations of the `identity-hijack` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL206",
    name: "identity-hijack",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::IdentityHijack, cx, out);
}

const DOC: &str = "\
What it flags: an entry that effectively grants `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action`
or `federatedIdentityCredentials/write`.

Why it matters: attaching a user-assigned identity to a resource you control, or federating it with an outside
issuer, lets you act as that identity with all of its role assignments.

Example:
    \"Actions\": [\"Microsoft.ManagedIdentity/userAssignedIdentities/*\"]";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl206() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
