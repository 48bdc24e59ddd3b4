//! `RL403` unassigned-custom-role.

use std::collections::HashSet;

use rolegate::Severity;
use rolegate::diag::Code;
use rolegate::model::{Id, Tenant};

use super::{is_custom, warning_or_error};
use crate::finding::Finding;
use crate::rule_meta::RuleMeta;

/// The code.
pub const CODE: Code = Code { id: "RL403", name: "unassigned-custom-role", fatal: false };

pub(super) const META: RuleMeta = RuleMeta {
    code: CODE.id,
    name: CODE.name,
    default_severity: Severity::Warning,
    tags: &["tenant"],
    summary: "A custom role nobody is assigned.",
    help: "An unused custom role is attack surface without a purpose: anyone who may write role assignments can \
           hand it out, and each tenant has a limit of 5,000 custom roles. Built-in roles are not reported. Example: \
           a role from an old migration that no assignment names. Fix: delete the role, or suppress the finding \
           with a reason if it is kept for break-glass use.",
};

pub(super) fn check(tenant: &Tenant, out: &mut Vec<Finding>) {
    let assigned: HashSet<&Id> = tenant.assignments.iter().map(|a| &a.role_id).collect();
    for role in tenant.roles.iter().filter(|r| is_custom(r)) {
        // A role without an id (create input) cannot be named by an assignment, so "unassigned" says nothing.
        let Some(id) = &role.id else { continue };
        if assigned.contains(id) {
            continue;
        }
        let span = role.name.as_ref().map_or(role.origin.span, |n| n.span);
        let d = warning_or_error(&META, CODE, format!("custom role `{}` is not assigned to anyone", role.label()))
            .at(&role.origin.source, span)
            .with_label("no assignment names this role")
            .with_help(format!("delete the role if it is no longer needed (id `{id}`)"));
        out.push(Finding::from_diagnostic(&d, Some(role.label())));
    }
}
