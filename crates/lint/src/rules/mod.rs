//! The rule registry: one file per rule, each with its stable code, name, default severity, documentation,
//! logic and tests (pass/fail cases with a snapshot of the rendered diagnostic).
//!
//! Codes by family (semantics §4): `RL1xx` Azure would reject it (errors, custom roles only), `RL2xx` it grants
//! more than it looks (security), `RL3xx` catalog and hygiene. `RL000`–`RL099` are load codes
//! ([`rolegate::diag::codes`]); `RL4xx`/`RL5xx` are reserved for tenant rules and config meta-findings.

use std::cell::OnceCell;
use std::sync::Arc;

use rolegate::diag::{Code, Diagnostic, Severity};
use rolegate::diag::{SourceText, Span};
use rolegate::model::{RoleDefinition, RoleType};

use rolegate::model::Action;

use crate::analysis::{Analysis, Grant, Plane};

mod assignable_scope_placeholder;
mod broad_scope_sensitive;
mod builtin_id_reuse;
mod builtin_role_type;
mod builtins;
mod category;
mod code_execution;
mod condition_bypass;
mod condition_version;
mod constant_condition;
mod create_input_condition;
mod credential_exposure;
mod data_access;
mod data_actions_management_group;
mod dead_condition_guard;
mod duplicate_entry;
mod duplicate_role_name;
mod equal_to_builtin;
mod exclusion_excludes_nothing;
mod forbidden_operation;
mod full_wildcard;
mod governance_bypass;
mod identity_hijack;
mod invalid_role_id;
mod invalid_scope_character;
mod load_codes;
mod lookalike_character;
mod missing_assignable_scopes;
mod missing_name;
mod multiple_management_groups;
mod multiple_wildcards;
mod no_permissions;
mod partial_segment_wildcard;
mod permission_condition;
mod privilege_escalation;
mod provider_wildcard;
mod root_assignable_scope;
mod secret_read;
mod shadowed_entry;
mod template_expression;
mod too_long;
mod too_many_assignable_scopes;
mod unknown_operation;
mod wildcard_assignable_scope;
mod wildcard_matches_nothing;
mod wildcard_pulls_sensitive;
mod wrong_plane;

#[cfg(test)]
pub(crate) mod testing;

pub(crate) use equal_to_builtin::Effective as BuiltinEffective;
pub(crate) use template_expression::RULE as TEMPLATE_EXPRESSION;

/// A rule family (semantics §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Azure would reject the role at create time (errors; custom roles only).
    Reject,
    /// The operation catalog does not know an operation.
    Catalog,
    /// The role grants more than it looks.
    Security,
    /// Dead, redundant or fragile entries.
    Hygiene,
}

impl Family {
    /// Tags for SARIF rule metadata (`["security"]`), one per family.
    pub fn tags(self) -> &'static [&'static str] {
        match self {
            Family::Reject => &["azure-would-reject"],
            Family::Catalog => &["catalog"],
            Family::Security => &["security"],
            Family::Hygiene => &["hygiene"],
        }
    }

    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Reject => "azure-would-reject",
            Family::Catalog => "catalog",
            Family::Security => "security",
            Family::Hygiene => "hygiene",
        }
    }
}

/// One lint rule.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Stable code (`RL202`).
    pub code: &'static str,
    /// Kebab-case name (`wildcard-pulls-sensitive`).
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Family.
    pub family: Family,
    /// What it flags, why it matters, an example (Markdown-ish plain text, printed by `--explain`).
    pub doc: &'static str,
    pub(crate) check: fn(&RoleCx<'_>, &mut Vec<Hit>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("code", &self.code).field("name", &self.name).finish_non_exhaustive()
    }
}

impl Rule {
    /// The diagnostic code.
    pub fn diag_code(&self) -> Code {
        Code { id: self.code, name: self.name, fatal: false }
    }

    /// The doc's first paragraph (what the rule flags), without its `What it flags: ` lead-in: a one-paragraph
    /// summary for rule metadata (SARIF `shortDescription`).
    pub fn summary(&self) -> &'static str {
        let doc: &'static str = self.doc;
        let first = doc.split("\n\n").next().unwrap_or(doc);
        first.strip_prefix("What it flags: ").unwrap_or(first).trim()
    }

    /// The rest of the doc after the summary: why it matters and an example (SARIF `help`).
    pub fn details(&self) -> &'static str {
        let doc: &'static str = self.doc;
        doc.split_once("\n\n").map_or("", |(_, rest)| rest.trim())
    }

    /// A finding of this rule at `hit`, a span inside the condition whose JSON string token is at `token`.
    pub(crate) fn condition_hit(&self, cx: &RoleCx<'_>, token: Span, hit: crate::conditions::ConditionHit) -> Hit {
        let span = crate::conditions::file_span(cx.source(), token, hit.span);
        Hit::new(self.at(cx, span, hit.message).with_label(hit.label).with_help(hit.help))
    }

    /// A diagnostic of this rule at `span` of the role's file, with the default severity.
    pub(crate) fn at(&self, cx: &RoleCx<'_>, span: Span, message: String) -> Diagnostic {
        Diagnostic::new(self.diag_code(), self.severity, message).at(cx.source(), span)
    }
}

/// What a rule reports: a diagnostic and the concrete operations involved.
#[derive(Debug)]
pub(crate) struct Hit {
    pub diagnostic: Diagnostic,
    pub operations: Vec<String>,
}

impl Hit {
    pub fn new(diagnostic: Diagnostic) -> Hit {
        Hit { diagnostic, operations: Vec::new() }
    }

    pub fn with_operations(mut self, operations: Vec<String>) -> Hit {
        self.operations = operations;
        self
    }
}

/// RL213, also run on role-assignment conditions by the tenant family.
pub(crate) const CONSTANT_CONDITION: Rule = constant_condition::RULE;
/// RL312, also run on role-assignment conditions by the tenant family.
pub(crate) const DEAD_CONDITION_GUARD: Rule = dead_condition_guard::RULE;

/// Every lint rule, in code order.
pub static RULES: &[Rule] = &[
    missing_name::RULE,
    missing_assignable_scopes::RULE,
    multiple_wildcards::RULE,
    root_assignable_scope::RULE,
    wildcard_assignable_scope::RULE,
    multiple_management_groups::RULE,
    too_many_assignable_scopes::RULE,
    wrong_plane::RULE,
    assignable_scope_placeholder::RULE,
    too_long::RULE,
    duplicate_role_name::RULE,
    builtin_role_type::RULE,
    builtin_id_reuse::RULE,
    permission_condition::RULE,
    invalid_role_id::RULE,
    invalid_scope_character::RULE,
    full_wildcard::RULE,
    provider_wildcard::RULE,
    wildcard_pulls_sensitive::RULE,
    privilege_escalation::RULE,
    credential_exposure::RULE,
    code_execution::RULE,
    identity_hijack::RULE,
    governance_bypass::RULE,
    data_access::RULE,
    secret_read::RULE,
    broad_scope_sensitive::RULE,
    forbidden_operation::RULE,
    condition_bypass::RULE,
    constant_condition::RULE,
    unknown_operation::RULE,
    wildcard_matches_nothing::RULE,
    no_permissions::RULE,
    data_actions_management_group::RULE,
    exclusion_excludes_nothing::RULE,
    shadowed_entry::RULE,
    duplicate_entry::RULE,
    partial_segment_wildcard::RULE,
    condition_version::RULE,
    create_input_condition::RULE,
    equal_to_builtin::RULE,
    template_expression::RULE,
    dead_condition_guard::RULE,
    lookalike_character::RULE,
];

/// Looks a rule up by code (`RL202`) or name, ASCII case-insensitively.
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// The documentation `role-lint --explain CODE` prints, for a rule or a load code (`RL000`–`RL099`).
pub fn explain(key: &str) -> Option<String> {
    if let Some(rule) = find_rule(key) {
        return Some(format!(
            "{} {} ({}, {})\n\n{}\n",
            rule.code,
            rule.name,
            rule.severity,
            rule.family.name(),
            rule.doc.trim()
        ));
    }
    let code = rolegate::diag::codes::find(key)?;
    let doc = load_codes::doc(code.id).unwrap_or("A load problem reported while reading the file.");
    let fatal = if code.fatal { "fatal for the engine" } else { "not fatal for the engine" };
    Some(format!("{} {} (load, {fatal})\n\n{}\n", code.id, code.name, doc.trim()))
}

/// What a rule sees: one role, the run's roles and the shared analysis.
pub(crate) struct RoleCx<'a> {
    pub role: &'a RoleDefinition,
    /// Index of the role in `roles`.
    pub index: usize,
    pub roles: &'a [RoleDefinition],
    pub analysis: &'a Analysis<'a>,
    builtin: OnceCell<bool>,
    grants: OnceCell<Vec<Grant<'a>>>,
}

impl<'a> RoleCx<'a> {
    pub fn new(roles: &'a [RoleDefinition], index: usize, analysis: &'a Analysis<'a>) -> Option<Self> {
        let role = roles.get(index)?;
        Some(RoleCx { role, index, roles, analysis, builtin: OnceCell::new(), grants: OnceCell::new() })
    }

    pub fn source(&self) -> &Arc<SourceText> {
        &self.role.origin.source
    }

    /// Whether the role is one of Azure's built-in roles: it says so, and its id and name are a built-in's.
    /// Only those are exempt from the "Azure would reject it" family.
    pub fn is_builtin(&self) -> bool {
        *self.builtin.get_or_init(|| {
            self.role.role_type == RoleType::BuiltIn
                && self.role.id.as_ref().is_some_and(|id| {
                    builtins::builtins()
                        .name_of(id.as_str())
                        .is_some_and(|n| n.eq_ignore_ascii_case(self.role.display_name()))
                })
        })
    }

    pub fn is_custom(&self) -> bool {
        !self.is_builtin()
    }

    /// The role's effective grants (computed once per role).
    pub fn grants(&self) -> &[Grant<'a>] {
        self.grants.get_or_init(|| self.analysis.grants(&self.role.permissions))
    }

    /// Where to point for a finding about the role as a whole: its name, else the start of its object.
    pub fn role_span(&self) -> Span {
        match &self.role.name {
            Some(n) => n.span,
            None => self.role.origin.span.sub(0, 1),
        }
    }
}

/// One entry of a role's action lists.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'r> {
    pub plane: Plane,
    /// Whether it is an exclusion (`NotActions`/`NotDataActions`).
    pub exclusion: bool,
    pub action: &'r Action,
}

impl Entry<'_> {
    /// The key of the list it is in (`NotDataActions`).
    pub fn key(&self) -> &'static str {
        if self.exclusion { self.plane.exclusion_key() } else { self.plane.grant_key() }
    }
}

/// Every entry of every list of every block, in file order per list.
pub(crate) fn entries(role: &RoleDefinition) -> impl Iterator<Item = Entry<'_>> {
    role.permissions.iter().flat_map(|p| {
        Plane::BOTH.into_iter().flat_map(move |plane| {
            let (grants, exclusions) = plane.lists(p);
            let g = grants.items().iter().map(move |action| Entry { plane, exclusion: false, action });
            let x = exclusions.items().iter().map(move |action| Entry { plane, exclusion: true, action });
            g.chain(x)
        })
    })
}

/// The span in the file of character `c` at byte `at` of `raw`, the decoded value of the JSON string at `token`
/// (escapes such as `\u212a` take more source than value).
pub(crate) fn char_span(cx: &RoleCx<'_>, token: Span, raw: &str, at: usize, c: char) -> Span {
    debug_assert!(raw.get(at..).is_some_and(|rest| rest.starts_with(c)));
    crate::conditions::file_span(cx.source(), token, Span::new(at, at + c.len_utf8()))
}

/// `a`, `b` and `c` / `a`, `b`, `c` and 4 more: a short list for messages.
pub(crate) fn short_list(items: &[String], max: usize) -> String {
    let shown: Vec<String> = items.iter().take(max).map(|s| format!("`{s}`")).collect();
    let rest = items.len().saturating_sub(max);
    if rest > 0 { format!("{} and {rest} more", shown.join(", ")) } else { shown.join(", ") }
}

/// The operations as a JSON array, ready to paste into `Actions`.
pub(crate) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default().replace("\",\"", "\", \"")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn codes_are_unique_ordered_and_in_the_lint_range() {
        let mut last = "RL099";
        for r in RULES {
            assert!(r.code > last, "{} after {last}", r.code);
            last = r.code;
            let n: u32 = r.code[2..].parse().unwrap();
            assert!((100..400).contains(&n), "{}", r.code);
            let family = match n / 100 {
                1 => Family::Reject,
                2 => Family::Security,
                _ => r.family,
            };
            assert_eq!(r.family, family, "{}", r.code);
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", r.name);
            assert!(r.doc.contains("Example"), "{} has no example", r.code);
            assert!(r.doc.contains("Why"), "{} does not say why", r.code);
        }
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }

    #[test]
    fn summaries_and_details_split_the_doc() {
        let r = find_rule("RL202").unwrap();
        assert!(r.summary().starts_with("a wildcard entry"), "{}", r.summary());
        assert!(r.details().starts_with("Why it matters"), "{}", r.details());
        for r in RULES {
            assert!(!r.summary().is_empty() && !r.summary().starts_with("What"), "{}", r.code);
            assert!(r.details().starts_with("Why it matters"), "{}: {}", r.code, r.details());
            assert_eq!(r.family.tags().len(), 1);
        }
    }

    #[test]
    fn the_readme_lists_every_rule() {
        let readme = include_str!("../../../../README.md");
        for r in RULES {
            let row = format!("| {} | {} | {} |", r.code, r.name, r.severity);
            assert!(
                readme.contains(&row) || (r.code == "RL300" && readme.contains("| RL300 | unknown-operation |")),
                "README lacks `{row}`"
            );
        }
    }

    #[test]
    fn explain_covers_rules_and_load_codes() {
        assert!(explain("RL202").unwrap().starts_with("RL202 wildcard-pulls-sensitive (warning, security)"));
        assert!(explain("shadowed-entry").unwrap().starts_with("RL305"));
        for code in rolegate::diag::codes::ALL {
            let text = explain(code.id).unwrap();
            assert!(text.starts_with(code.id), "{text}");
            assert!(load_codes::doc(code.id).is_some(), "{} has no doc", code.id);
        }
        assert!(explain("RL999").is_none());
    }
}

/// The rule registry as a [`crate::RuleMetaSource`], so that config (`[severity]`, `[[suppress]]`) and SARIF
/// know every rule; chain it in front of [`crate::KnownRules`] for the load, tenant and config codes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Registry;

impl Rule {
    /// The rule's metadata for reports and config.
    pub fn meta(&self) -> crate::RuleMeta {
        crate::RuleMeta {
            code: self.code,
            name: self.name,
            default_severity: self.severity,
            tags: self.family.tags(),
            summary: self.summary(),
            help: self.details(),
        }
    }
}

impl crate::RuleMetaSource for Registry {
    fn rule_meta(&self, code: &str) -> Option<crate::RuleMeta> {
        RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code)).map(Rule::meta)
    }

    fn all_rules(&self) -> Vec<crate::RuleMeta> {
        RULES.iter().map(Rule::meta).collect()
    }
}
