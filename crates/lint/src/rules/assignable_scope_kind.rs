//! RL117: a tenant-level provider path (`/providers/Microsoft.Insights`) in a custom role's AssignableScopes.

use rolegate::Severity;
use rolegate::internals::diag::excerpt;
use rolegate::scope::ScopeKind;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL117",
    name: "assignable-scope-kind",
    severity: Severity::Warning,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an assignable scope that is neither a management group, a subscription, a resource group nor a
resource below a subscription: a tenant-level provider path such as `/providers/Microsoft.Insights` or a
resource directly under `/providers/...`.

Why it matters: the Azure documentation lists management groups, subscriptions, resource groups and resources
as the scopes a custom role can be assignable at; a role that names a tenant-level provider path cannot be
assigned there, and Azure may refuse the role.

Example:
    \"AssignableScopes\": [\"/providers/Microsoft.Insights\"]";

/// A scope at tenant level below `/providers/` that is not a management group (or below one).
pub(crate) fn tenant_provider_path(scope: &rolegate::scope::Scope) -> bool {
    scope.management_group().is_none()
        && scope.subscription().is_none()
        && matches!(scope.kind(), ScopeKind::Provider | ScopeKind::Resource | ScopeKind::Extension)
}

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes.iter().filter(|s| s.scope().is_some_and(tenant_provider_path)) {
        out.push(Hit::new(
            RULE.at(cx, s.span, format!("assignable scope `{}` is a tenant-level provider path", excerpt(&s.raw)))
                .with_label("not an assignable scope kind")
                .with_help(
                    "a custom role is assignable at management groups \
                     (`/providers/Microsoft.Management/managementGroups/{id}`), subscriptions (`/subscriptions/{id}`), \
                     resource groups and resources below them",
                ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl117() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Management/managementGroups/mg"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s/providers/Microsoft.Insights"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s/resourceGroups/rg"]}"#,
            ],
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Insights"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/providers/Microsoft.Capacity/reservationOrders/o"]}"#,
            ],
        ));
    }
}
