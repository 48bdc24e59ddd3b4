//! RL303: DataActions in a role assignable at a management group.

use rolegate::Severity;
use rolegate::scope::ScopeKind;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL303",
    name: "data-actions-management-group",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a role with `DataActions` whose AssignableScopes include a management group.

Why it matters: Azure accepts the role, but \"custom roles with DataActions can't be assigned at the management
group scope\": the assignment at the management group itself fails; only its subscriptions can be used.

Example:
    \"DataActions\": [\"Microsoft.KeyVault/vaults/secrets/getSecret/action\"],
    \"AssignableScopes\": [\"/providers/Microsoft.Management/managementGroups/contoso\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.role.permissions.iter().any(|p| !p.data_actions.items().is_empty()) {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes.iter().filter(|s| s.scope().is_some_and(|sc| sc.kind() == ScopeKind::ManagementGroup)) {
        out.push(Hit::new(
            RULE.at(cx, s.span, "a role with `DataActions` is assignable at a management group".into())
                .with_label("cannot be assigned here")
                .with_help("assign it at the subscriptions below the management group, or move the data actions into a role scoped to subscriptions"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl303() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.KeyVault/vaults/read"], "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/contoso"]}"#
            ],
            &[r#"{"Name": "r", "DataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action"],
  "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/contoso"]}"#],
        ));
    }
}
