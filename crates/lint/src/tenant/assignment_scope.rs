//! `RL406` assignment-scope: an assignment scope Azure would refuse, the checks RL116 and RL117 make on a role's
//! assignable scopes (placeholders in assignment scopes already fail the tenant's load).

use rolegate::Severity;
use rolegate::diag::Code;
use rolegate::internals::diag::excerpt;
use rolegate::model::is_guid;

use super::{Index, assignment_finding, warning_or_error};
use crate::finding::Finding;
use crate::rule_meta::RuleMeta;

/// The code.
pub const CODE: Code = Code { id: "RL406", name: "assignment-scope", fatal: false };

pub(super) const META: RuleMeta = RuleMeta {
    code: CODE.id,
    name: CODE.name,
    default_severity: Severity::Warning,
    tags: &["tenant"],
    summary: "A role assignment's scope has a subscription id that is not a GUID, or is a tenant-level provider path.",
    help: "ARM refuses a subscription id that is not a GUID, and roles are assigned at management groups, \
           subscriptions, resource groups and resources, not at a tenant-level provider path such as \
           `/providers/Microsoft.Insights`. A warning, so that sample tenants (`/subscriptions/sub-1`) stay usable. \
           Fix: write the subscription's id, or the scope the assignment is meant for.",
};

pub(super) fn check(index: &Index<'_>, out: &mut Vec<Finding>) {
    for (a, role) in index.assignments() {
        let Some(scope) = a.scope.scope() else { continue };
        let raw = excerpt(scope.as_str());
        let (message, label, help) = if let Some(sub) = scope.subscription().filter(|s| !is_guid(s)) {
            (
                format!(
                    "subscription id `{}` in the scope `{raw}` of `{}`'s assignment is not a GUID",
                    excerpt(sub),
                    a.principal_id
                ),
                "not a subscription id",
                "Azure refuses a subscription id that is not a GUID; write the subscription's id".to_owned(),
            )
        } else if crate::rules::is_tenant_provider_path(scope) {
            (
                format!("the scope `{raw}` of `{}`'s assignment is a tenant-level provider path", a.principal_id),
                "not an assignment scope kind",
                "assign at a management group, a subscription, a resource group or a resource".to_owned(),
            )
        } else {
            continue;
        };
        let d =
            warning_or_error(&META, CODE, message).at(&a.origin.source, a.scope.span).with_label(label).with_help(help);
        out.push(assignment_finding(&d, role, a));
    }
}
