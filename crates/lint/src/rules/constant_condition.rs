//! RL213: a condition expression that is always true or never true.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::conditions::{constant_parts, parsed};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL213",
    name: "constant-condition",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a comparison in a condition whose value does not depend on the request: a cross-product
quantifier that makes it always true (`ForAnyOfAnyValues:GuidNotEquals` over two or more different values: one
value always differs from one of them) or never true (`ForAnyOfAllValues:StringEquals` over two different
values), or a comparison between two constants. Also reported for role-assignment conditions under `--tenant`.

Why it matters: an always-true restriction restricts nothing. Microsoft's own delegation example once used
`@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidNotEquals {Owner,
User Access Administrator, RBAC Administrator}` to forbid assigning privileged roles; it lets every role through,
Owner included. `ForAnyOfAllValues:GuidNotEquals` says \"none of these\". A never-true expression makes its grant
unusable.

Example:
    \"condition\": \"((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidNotEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9}))\"";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for p in &cx.role.permissions {
        let Some(text) = &p.condition else { continue };
        let Some(c) = parsed(&text.value) else { continue };
        for hit in constant_parts(&c) {
            out.push(RULE.condition_hit(cx, text.span, hit));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    fn role(condition: &str) -> String {
        format!(
            r#"{{"properties": {{"roleName": "r", "type": "BuiltInRole", "assignableScopes": ["/"],
  "permissions": [{{"actions": ["Microsoft.Authorization/roleAssignments/write"],
    "condition": "{condition}"}}]}}}}"#
        )
    }

    #[test]
    fn rl213() {
        let ra = "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]";
        let owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
        let uaa = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                &role(&format!("{ra} ForAnyOfAllValues:GuidNotEquals {{{owner}, {uaa}}}")),
                &role(&format!("{ra} ForAnyOfAnyValues:GuidEquals {{{owner}, {uaa}}}")),
                // One value, or the same value twice: "not this one", which is fine.
                &role(&format!("{ra} ForAnyOfAnyValues:GuidNotEquals {{{owner}, {}}}", owner.to_uppercase())),
                // A tag-key list attribute has several values: any-of-any is a real test there.
                &role(
                    "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags&$keys$&] ForAnyOfAnyValues:StringNotEquals {'a', 'b'}"
                ),
            ],
            &[
                &role(&format!("{ra} ForAnyOfAnyValues:GuidNotEquals {{{owner}, {uaa}}}")),
                &role(&format!("{ra} ForAllOfAllValues:GuidEquals {{{owner}, {uaa}}}")),
                &role("{'a', 'b'} ForAnyOfAnyValues:StringEquals {'b'}"),
            ],
        ));
    }
}
