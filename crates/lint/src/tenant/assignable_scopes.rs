//! `RL401` assignment-outside-assignable-scopes.

use rolegate::Severity;
use rolegate::diag::Code;
use rolegate::model::Entries;

use super::{Index, assignment_finding, warning_or_error};
use crate::finding::Finding;
use crate::rule_meta::RuleMeta;

/// The code.
pub const CODE: Code = Code { id: "RL401", name: "assignment-outside-assignable-scopes", fatal: false };

pub(super) const META: RuleMeta = RuleMeta {
    code: CODE.id,
    name: CODE.name,
    default_severity: Severity::Error,
    tags: &["tenant"],
    summary: "An assignment's scope is outside its role's AssignableScopes.",
    help: "Azure creates an assignment only at or below one of the role's AssignableScopes (a management group \
           covers the subscriptions below it in the hierarchy). Such an assignment is refused on deployment, or, in \
           an exported tenant, is left over from a role whose AssignableScopes were narrowed later. Example: a role \
           assignable at `/subscriptions/a` assigned at `/subscriptions/b`. Fix: assign it inside the role's scopes, \
           or add the scope to AssignableScopes.",
};

pub(super) fn check(index: &Index<'_>, out: &mut Vec<Finding>) {
    for (a, role) in index.assignments() {
        let Some(scope) = a.scope.scope() else { continue };
        let Some(Entries::List(entries)) = &role.assignable_scopes else { continue };
        // A placeholder, template or malformed assignable scope could be anything: do not guess.
        let parsed: Option<Vec<_>> = entries.iter().map(|e| e.scope()).collect();
        let Some(assignable) = parsed else { continue };
        if assignable.is_empty() {
            continue;
        }
        let mut unknown = false;
        let mut inside = false;
        for container in &assignable {
            match index.placement.contains(container, scope) {
                Some(true) => inside = true,
                Some(false) => {}
                None => unknown = true,
            }
        }
        if inside || unknown {
            continue;
        }
        let listed: Vec<String> = assignable.iter().take(5).map(|s| format!("`{s}`")).collect();
        let more = if assignable.len() > 5 { format!(" and {} more", assignable.len() - 5) } else { String::new() };
        let d = warning_or_error(
            &META,
            CODE,
            format!(
                "`{}` is assigned to `{}` at `{scope}`, outside the role's assignable scopes",
                role.label(),
                a.principal_id
            ),
        )
        .at(&a.origin.source, a.scope.span)
        .with_label("not within AssignableScopes")
        .with_help(format!(
            "Azure refuses this assignment; assign the role at or below {}{more}, or add this scope to the role's \
             AssignableScopes",
            listed.join(", ")
        ));
        out.push(assignment_finding(&d, role, a));
    }
}
