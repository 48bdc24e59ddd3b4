//! Role-assignment conditions, checked like permission-block conditions: `RL213` constant-condition and `RL312`
//! dead-condition-guard (against everything the assigned role grants). Syntax and type errors are the loader's
//! `RL019`.

use rolegate::diag::{Code, Diagnostic};
use rolegate::matcher::Pattern;

use super::{Index, assignment_finding};
use crate::conditions::{ConditionHit, constant_parts, dead_guards, file_span, parsed};
use crate::finding::Finding;
use crate::rules::{CONSTANT_CONDITION, DEAD_CONDITION_GUARD, Rule};

pub(super) fn check(index: &Index<'_>, out: &mut Vec<Finding>) {
    for (a, role) in index.assignments() {
        let Some(text) = &a.condition else { continue };
        let Some(c) = parsed(&text.value) else { continue };
        let grants: Vec<&Pattern> = role
            .permissions
            .iter()
            .flat_map(|p| p.actions.items().iter().chain(p.data_actions.items()))
            .filter_map(|e| e.pattern())
            .collect();
        let mut push = |rule: &Rule, hit: ConditionHit| {
            let code = Code { id: rule.code, name: rule.name, fatal: false };
            let d = Diagnostic::new(code, rule.severity, hit.message)
                .at(&a.origin.source, file_span(&a.origin.source, text.span, hit.span))
                .with_label(hit.label)
                .with_help(hit.help);
            out.push(assignment_finding(&d, role, a));
        };
        for hit in constant_parts(&c) {
            push(&CONSTANT_CONDITION, hit);
        }
        for hit in dead_guards(&c, &grants) {
            push(&DEAD_CONDITION_GUARD, hit);
        }
    }
}
