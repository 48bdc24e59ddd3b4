//! RL208: the role effectively grants operations of the `data-access` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule =
    Rule { code: "RL208", name: "data-access", severity: Severity::Warning, family: Family::Security, doc: DOC, check };

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::DataAccess, cx, out);
}

const DOC: &str = "\
What it flags: an entry that effectively grants access to the data itself: Key Vault secrets, keys and
certificates, Key Vault access-policy writes (`vaults/write`), blob and file reads, Data Lake superuser.

Why it matters: data access is what an attacker is after, and it is the part of a role that the control-plane
review usually skips.

Example:
    \"DataActions\": [\"Microsoft.KeyVault/vaults/secrets/*\"]";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl208() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "DataActions": ["Microsoft.KeyVault/vaults/secrets/readMetadata/action"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "DataActions": ["Microsoft.KeyVault/vaults/secrets/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
