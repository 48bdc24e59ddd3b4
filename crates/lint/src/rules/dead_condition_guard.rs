//! RL312: a condition guards an action its permission block does not grant.

use rolegate::Severity;
use rolegate::matcher::Pattern;

use super::{Family, Hit, RoleCx, Rule};
use crate::conditions::{dead_guards, parsed};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL312",
    name: "dead-condition-guard",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: `ActionMatches{'…'}` in a condition naming an action that the permission block (or, under
`--tenant`, the assigned role) does not grant: no pattern of its Actions or DataActions overlaps it.

Why it matters: the guard never applies, so the restriction behind it never runs. It is usually a misspelt
action, or a condition copied from a role that grants something else; the action that was meant to be
restricted then passes unrestricted.

Example:
    \"dataActions\": [\"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read\"],
    \"condition\": \"(!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blob/read'})) OR (...)\"";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for p in &cx.role.permissions {
        let Some(text) = &p.condition else { continue };
        let Some(c) = parsed(&text.value) else { continue };
        let grants: Vec<&Pattern> =
            p.actions.items().iter().chain(p.data_actions.items()).filter_map(|a| a.pattern()).collect();
        for hit in dead_guards(&c, &grants) {
            out.push(RULE.condition_hit(cx, text.span, hit));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    fn role(data_actions: &str, guard: &str) -> String {
        format!(
            r#"{{"properties": {{"roleName": "r", "type": "BuiltInRole", "assignableScopes": ["/"],
  "permissions": [{{"actions": [], "dataActions": ["{data_actions}"],
    "condition": "((!(ActionMatches{{'{guard}'}})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))"}}]}}}}"#
        )
    }

    #[test]
    fn rl312() {
        let blobs = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                &role(&format!("{blobs}/read"), &format!("{blobs}/read")),
                &role(&format!("{blobs}/*"), &format!("{blobs}/read")),
                &role(&format!("{blobs}/read"), "Microsoft.Storage/*"),
            ],
            &[
                &role(&format!("{blobs}/read"), "Microsoft.Storage/storageAccounts/blobServices/containers/blob/read"),
                &role(&format!("{blobs}/read"), &format!("{blobs}/write")),
            ],
        ));
    }
}
