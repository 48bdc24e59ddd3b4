//! RL209: the role effectively grants operations of the `secret-read` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule =
    Rule { code: "RL209", name: "secret-read", severity: Severity::Warning, family: Family::Security, doc: DOC, check };

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::SecretRead, cx, out);
}

const DOC: &str = "\
What it flags: an entry that effectively grants a read operation that returns secrets, such as
`Microsoft.MachineLearningServices/workspaces/metadata/secrets/read`.

Why it matters: `*/read` looks harmless (Reader), but a few providers return secrets from GET operations; the
Azure ML docs note that Reader can view datastore credentials.

Example:
    \"Actions\": [\"Microsoft.MachineLearningServices/workspaces/*/read\"]";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl209() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.MachineLearningServices/workspaces/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.MachineLearningServices/workspaces/*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
