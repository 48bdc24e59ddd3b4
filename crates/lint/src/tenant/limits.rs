//! `RL404` subscription-assignment-limit and `RL405` management-group-assignment-limit.

use std::collections::BTreeMap;

use rolegate::Severity;
use rolegate::diag::Code;
use rolegate::model::{RoleAssignment, Tenant};
use rolegate::scope::ScopeKind;

use super::{rehash, warning_or_error};
use crate::config::TenantLimits;
use crate::finding::Finding;
use crate::rule_meta::RuleMeta;

/// The per-subscription code.
pub const SUB_CODE: Code = Code { id: "RL404", name: "subscription-assignment-limit", fatal: false };
/// The per-management-group code.
pub const MG_CODE: Code = Code { id: "RL405", name: "management-group-assignment-limit", fatal: false };

pub(super) const SUB_META: RuleMeta = RuleMeta {
    code: SUB_CODE.id,
    name: SUB_CODE.name,
    default_severity: Severity::Error,
    tags: &["tenant"],
    summary: "More role assignments in one subscription than Azure allows.",
    help: "Azure allows 4,000 role assignments per subscription, counting assignments at the subscription, its \
           resource groups and resources but not at management groups; the limit cannot be raised, and the next \
           assignment fails with RoleAssignmentLimitExceeded. The finding points at the first assignment over the \
           limit. Fix: assign groups instead of individual principals, or move assignments up the hierarchy. \
           `[tenant] max-assignments-per-subscription` in role-lint.toml changes the number.",
};

pub(super) const MG_META: RuleMeta = RuleMeta {
    code: MG_CODE.id,
    name: MG_CODE.name,
    default_severity: Severity::Error,
    tags: &["tenant"],
    summary: "More role assignments at one management group than Azure allows.",
    help: "Azure allows 500 role assignments per management group (at the management group itself); the limit \
           cannot be raised. Fix: assign groups instead of individual principals. \
           `[tenant] max-assignments-per-management-group` in role-lint.toml changes the number.",
};

pub(super) fn check(tenant: &Tenant, limits: &TenantLimits, out: &mut Vec<Finding>) {
    // Keyed by the lower-cased id, in first-seen order of the display spelling.
    let mut per_sub: BTreeMap<String, (String, Vec<&RoleAssignment>)> = BTreeMap::new();
    let mut per_mg: BTreeMap<String, (String, Vec<&RoleAssignment>)> = BTreeMap::new();
    for a in &tenant.assignments {
        let Some(scope) = a.scope.scope() else { continue };
        if scope.kind() == ScopeKind::ManagementGroup {
            if let Some(mg) = scope.management_group() {
                per_mg.entry(mg.to_ascii_lowercase()).or_insert_with(|| (mg.to_owned(), Vec::new())).1.push(a);
            }
        } else if let Some(sub) = scope.subscription() {
            per_sub.entry(sub.to_ascii_lowercase()).or_insert_with(|| (sub.to_owned(), Vec::new())).1.push(a);
        }
    }
    let groups = [
        (&per_sub, limits.max_assignments_per_subscription, &SUB_META, SUB_CODE, "subscription"),
        (&per_mg, limits.max_assignments_per_management_group, &MG_META, MG_CODE, "management group"),
    ];
    for (map, limit, meta, code, what) in groups {
        for (id, list) in map.values() {
            let Some(first_over) = list.get(limit) else { continue };
            let d = warning_or_error(
                meta,
                code,
                format!("{what} `{id}` has {} role assignments; Azure allows {limit}", list.len()),
            )
            .at(&first_over.origin.source, first_over.scope.span)
            .with_label(format!("assignment {} of {}", limit + 1, list.len()))
            .with_help(format!(
                "remove {} assignment(s), for example by assigning groups instead of individual principals",
                list.len() - limit
            ));
            let mut f = Finding::from_diagnostic(&d, None);
            // Which assignment is the first over the limit changes with every edit; the subscription does not.
            f.fingerprint = rehash(code.id, &format!("{}\u{0}{}", f.file.as_deref().unwrap_or_default(), id));
            out.push(f);
        }
    }
}
