//! RL101: a custom role without assignable scopes.

use rolegate::Severity;
use rolegate::model::Entries;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL101",
    name: "missing-assignable-scopes",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a custom role without `AssignableScopes`, or with an empty list.

Why it matters: Azure rejects it (`MissingAssignableScopes`). `az` also drops a misspelt key such as
`assignablescopes` silently and then fails with \"please provide 'assignableScopes'\".

Example:
    {\"Name\": \"VM Reader\", \"Actions\": [\"Microsoft.Compute/virtualMachines/read\"]}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let what = match &cx.role.assignable_scopes {
        None => "no `AssignableScopes`",
        Some(Entries::List(v)) if v.is_empty() => "an empty `AssignableScopes`",
        Some(_) => return,
    };
    out.push(Hit::new(
        RULE.at(cx, cx.role_span(), format!("custom role with {what}"))
            .with_label("this role")
            .with_help("add `\"AssignableScopes\": [\"/subscriptions/{id}\"]` (a management group, subscription or resource group)"),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl101() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#],
            &[r#"{"Name": "r", "Actions": []}"#, r#"{"Name": "r", "Actions": [], "AssignableScopes": []}"#],
        ));
    }
}
