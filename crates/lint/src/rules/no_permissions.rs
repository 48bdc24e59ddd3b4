//! RL302: a role that grants nothing at all.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL302",
    name: "no-permissions",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a role with no `Actions` and no `DataActions` entry in any permission block.

Why it matters: an assignment of it grants nothing, which is rarely what the author meant (four built-in roles
are like this, placeholders for other authorization systems). Whether Azure accepts it for a custom role is
undocumented.

Example:
    {\"Name\": \"Placeholder\", \"Actions\": [], \"AssignableScopes\": [\"/subscriptions/s1\"]}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let any = cx.role.permissions.iter().any(|p| {
        p.actions.is_template()
            || p.data_actions.is_template()
            || !p.actions.items().is_empty()
            || !p.data_actions.items().is_empty()
    });
    if any {
        return;
    }
    out.push(Hit::new(
        RULE.at(cx, cx.role_span(), format!("role `{}` grants nothing", cx.role.label()))
            .with_label("no `Actions` and no `DataActions`")
            .with_help("add the operations the role is for, or delete the role"),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl302() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "Placeholder", "Actions": [], "NotActions": ["Microsoft.Compute/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
