//! RL204: the role effectively grants operations of the `credential-exposure` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL204",
    name: "credential-exposure",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::CredentialExposure, cx, out);
}

const DOC: &str = "\
What it flags: an entry that effectively grants an operation that returns or resets keys, secrets, tokens or
credentials (`*/listKeys/action`, `*/listsecrets/action`, `ListAccountSas`, `listClusterAdminCredential`,
`onlineEndpoints/token/action`, ... in `roles/sensitive-operations.json`).

Why it matters: a key is the data: with a storage account key, Owner-like control-plane access becomes full data
access, and a leaked key outlives the role assignment. These operations hide behind `*/action` wildcards.

Example:
    \"Actions\": [\"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action\"]
    grants `onlineendpoints/listkeys/action`, `regeneratekeys/action` and `token/action` besides `score/action`.";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl204() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Storage/storageAccounts/listKeys/action"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
