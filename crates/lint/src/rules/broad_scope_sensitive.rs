//! RL210: a role with sensitive grants that is assignable at a management group or subscription.

use rolegate::Severity;
use rolegate::scope::ScopeKind;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL210",
    name: "broad-scope-sensitive",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a custom role that grants operations of a sensitive category (RL203-RL209) and whose
AssignableScopes include a management group or a subscription; reported once, at the broadest such scope.

Why it matters: the assignable scopes decide how far one assignment of the role can reach; a role that can
escalate or read secrets should not be assignable across a whole subscription or management group (Checkov,
tfsec and KICS flag custom roles at subscription scope for the same reason).

Example:
    \"Actions\": [\"Microsoft.Authorization/roleAssignments/write\"],
    \"AssignableScopes\": [\"/providers/Microsoft.Management/managementGroups/contoso\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    let rank = |k: ScopeKind| match k {
        ScopeKind::Root => Some(0),
        ScopeKind::ManagementGroup => Some(1),
        ScopeKind::Subscription => Some(2),
        _ => None,
    };
    let broad = scopes.iter().filter_map(|s| Some((rank(s.scope()?.kind())?, s))).min_by_key(|(r, _)| *r);
    let Some((rank, scope)) = broad else { return };
    let mut categories = Vec::new();
    let mut ops = Vec::new();
    for c in Category::ALL {
        let mut found = false;
        for g in cx.grants() {
            let o = cx.analysis.sensitive_ops(g, c);
            found |= !o.is_empty();
            ops.extend(o);
        }
        if found {
            categories.push(c.words());
        }
    }
    if categories.is_empty() {
        return;
    }
    ops.sort_by_key(|s| s.to_ascii_lowercase());
    ops.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let kind = ["the root", "a management group", "a subscription"].get(rank).copied().unwrap_or("a broad scope");
    out.push(
        Hit::new(
            RULE.at(cx, scope.span, format!("assignable at {kind}, and the role grants {}", categories.join(", ")))
                .with_label(format!(
                    "{} sensitive operation{} reachable from here",
                    ops.len(),
                    if ops.len() == 1 { "" } else { "s" }
                ))
                .with_help("assign sensitive operations at resource-group scope, or move them into a separate, narrowly assignable role"),
        )
        .with_operations(ops),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl210() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/roleAssignments/write"], "AssignableScopes": ["/subscriptions/s1/resourceGroups/rg"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
            &[r#"{"Name": "r", "Actions": ["Microsoft.Authorization/roleAssignments/write"],
  "AssignableScopes": ["/subscriptions/s1/resourceGroups/rg", "/providers/Microsoft.Management/managementGroups/contoso"]}"#],
        ));
    }
}
