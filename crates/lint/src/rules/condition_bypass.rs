//! RL212: a condition that guards one operation but not its equivalent, which the block also grants.

use rolegate::Severity;
use rolegate::condition::ExprKind;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL212",
    name: "condition-bypass",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a permission block whose condition names an operation with `ActionMatches{'...'}` but not an
equivalent operation (one that does the same thing to the data, per the `condition-equivalents` groups of
`roles/sensitive-operations.json`) that the same block also grants.

Why it matters: a condition only restricts the operations it names (the `!(ActionMatches{...}) OR (...)` idiom
lets every other action through). Guarding `blobs/write` but not `blobs/add/action` leaves a way to write the
same blobs without meeting the condition.

Example:
    \"dataActions\": [\"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*\"],
    \"condition\": \"((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})) OR (...))\"";

/// The operations a condition names with `ActionMatches{'...'}`, read from its syntax tree (so text inside a
/// string literal is not mistaken for a guard); none when it does not parse (RL019 reports that).
fn guarded(condition: &str) -> Vec<String> {
    let Some(c) = crate::conditions::parsed(condition) else { return Vec::new() };
    c.expr()
        .nodes()
        .into_iter()
        .filter_map(|e| match &e.kind {
            ExprKind::ActionMatches(s) => Some(s.value.clone()),
            _ => None,
        })
        .collect()
}

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let groups = cx.analysis.sensitive().condition_equivalents();
    for (block, perm) in cx.role.permissions.iter().enumerate() {
        let Some(condition) = &perm.condition else { continue };
        let names = guarded(&condition.value);
        if names.is_empty() {
            continue;
        }
        let is_guarded = |op: &str| names.iter().any(|n| rolegate::matcher::Pattern::new(n).matches(op));
        let grants: Vec<_> = cx.grants().iter().filter(|g| g.block == block).collect();
        for group in groups {
            let Some(guard) = group.iter().find(|op| is_guarded(op)) else { continue };
            let open: Vec<String> = group
                .iter()
                .filter(|op| !is_guarded(op) && grants.iter().any(|g| g.grants_name(op)))
                .cloned()
                .collect();
            if open.is_empty() {
                continue;
            }
            out.push(
                Hit::new(
                    RULE.at(
                        cx,
                        condition.span,
                        format!(
                            "the condition guards `{guard}` but not {}, which its block also grants",
                            super::short_list(&open, 3)
                        ),
                    )
                    .with_label("can be bypassed")
                    .with_help(format!(
                        "add `ActionMatches{{'{}'}}` next to `ActionMatches{{'{guard}'}}` in the condition",
                        open.first().map_or("", String::as_str)
                    )),
                )
                .with_operations(open),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::{RULE, guarded};

    #[test]
    fn extracts_action_matches() {
        assert_eq!(
            guarded("(!(ActionMatches{'a/write'}) AND !(actionmatches{ 'b/add/action' }))"),
            ["a/write", "b/add/action"]
        );
        assert!(guarded("@Resource[x] StringEquals 'y'").is_empty());
        // Text that only looks like a guard, inside a string literal, guards nothing.
        assert!(guarded("@Request[x] StringEquals 'ActionMatches{a/write}'").is_empty());
        assert!(guarded("ActionMatches{'a/write'} AND (").is_empty());
    }

    #[test]
    fn rl212() {
        let role = |condition: &str| {
            format!(
                r#"{{"properties": {{"roleName": "r", "type": "CustomRole", "assignableScopes": ["/subscriptions/s1"],
  "permissions": [{{"dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
    "condition": "{condition}", "conditionVersion": "2.0"}}]}}}}"#
            )
        };
        let write = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";
        let add = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action";
        let both = role(&format!(
            "((!(ActionMatches{{'{write}'}}) AND !(ActionMatches{{'{add}'}})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))"
        ));
        let one = role(&format!(
            "((!(ActionMatches{{'{write}'}})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))"
        ));
        insta::assert_snapshot!(check_rule(&RULE, &[&both], &[&one]));
    }
}
