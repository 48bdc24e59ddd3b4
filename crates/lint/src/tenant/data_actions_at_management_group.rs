//! `RL402` data-actions-at-management-group.

use rolegate::Severity;
use rolegate::diag::Code;
use rolegate::scope::ScopeKind;

use super::{Index, assignment_finding, is_custom, warning_or_error};
use crate::finding::Finding;
use crate::rule_meta::RuleMeta;

/// The code.
pub const CODE: Code = Code { id: "RL402", name: "data-actions-at-management-group", fatal: false };

pub(super) const META: RuleMeta = RuleMeta {
    code: CODE.id,
    name: CODE.name,
    default_severity: Severity::Error,
    tags: &["tenant"],
    summary: "A custom role with DataActions is assigned at a management group.",
    help: "Azure accepts a custom role with DataActions and a management group in AssignableScopes, but refuses \
           to assign it at the management group itself (\"Custom roles with DataActions can't be assigned at the \
           management group scope\"). Example: a blob-reader role assigned at \
           `/providers/Microsoft.Management/managementGroups/platform`. Fix: assign it at the subscriptions below \
           the management group.",
};

pub(super) fn check(index: &Index<'_>, out: &mut Vec<Finding>) {
    for (a, role) in index.assignments() {
        let Some(scope) = a.scope.scope() else { continue };
        if scope.kind() != ScopeKind::ManagementGroup || !is_custom(role) {
            continue;
        }
        let has_data_actions = role.permissions.iter().any(|p| !p.data_actions.items().is_empty());
        if !has_data_actions {
            continue;
        }
        let mg = scope.management_group().unwrap_or_default();
        let d = warning_or_error(
            &META,
            CODE,
            format!(
                "custom role `{}` has DataActions and is assigned to `{}` at management group `{mg}`",
                role.label(),
                a.principal_id
            ),
        )
        .at(&a.origin.source, a.scope.span)
        .with_label("management group")
        .with_help(format!(
            "Azure refuses custom roles with DataActions at a management group; assign it at the subscriptions \
             below `{mg}` instead"
        ));
        out.push(assignment_finding(&d, role, a));
    }
}
