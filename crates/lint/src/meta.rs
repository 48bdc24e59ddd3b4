//! What reports know about a code beyond its findings: name, default severity, a one-line summary and the
//! longer help that SARIF's `rules` metadata and `--explain` show.
//!
//! Metadata comes from a [`RuleMetaSource`]. [`KnownRules`] answers for every code this crate defines (the load
//! codes of [`rolegate::diag::codes`], the tenant family `RL4xx` and the config family `RL5xx`); a rule registry
//! plugs in by implementing the trait and being chained in front of it (`(registry, KnownRules)`), so that
//! renderers never need to know where a code comes from.

use rolegate::Severity;
use rolegate::diag::{Code, codes};

pub use crate::rule_meta::{RuleMeta, RuleMetaSource};

/// Every code defined in this crate and in `rolegate`.
#[derive(Clone, Copy, Debug, Default)]
pub struct KnownRules;

impl RuleMetaSource for KnownRules {
    fn rule_meta(&self, code: &str) -> Option<RuleMeta> {
        tables().find(|m| m.code.eq_ignore_ascii_case(code))
    }

    fn all_rules(&self) -> Vec<RuleMeta> {
        let mut all: Vec<RuleMeta> = tables().collect();
        all.sort_by_key(|m| m.code);
        all
    }
}

fn tables() -> impl Iterator<Item = RuleMeta> {
    codes::ALL
        .iter()
        .filter_map(|c| load_meta(*c))
        .chain(crate::tenant::RULES.iter().copied())
        .chain(crate::config::RULES.iter().copied())
}

/// Metadata for a code a diagnostic carries; the load codes have no doc text at run time, so it lives here.
fn load_meta(code: Code) -> Option<RuleMeta> {
    let (summary, help) = LOAD_DOCS.iter().find(|(id, _, _)| *id == code.id).map(|(_, s, h)| (*s, *h))?;
    // An invalid condition does not stop the engine (it fails closed on it), but Azure rejects it: an error.
    let error = code.fatal || code == rolegate::diag::codes::INVALID_CONDITION;
    let default_severity = if error { Severity::Error } else { Severity::Warning };
    Some(RuleMeta { code: code.id, name: code.name, default_severity, tags: &["load"], summary, help })
}

/// `(code, summary, help)` for the load codes of `rolegate::diag::codes`; a test checks that every code has one.
const LOAD_DOCS: &[(&str, &str, &str)] = &[
    (
        "RL000",
        "The file is not valid JSON (syntax, encoding, nesting too deep, empty).",
        "Nothing of the file can be used. Fix the JSON syntax at the position shown; an empty file needs `[]` or `{}`.",
    ),
    (
        "RL001",
        "A value has the wrong JSON type for its key.",
        "`\"Actions\": 5` or `\"IsCustom\": \"true\"`: the file cannot be read as the shape it claims. Use the type the \
         key requires (an array of strings, a boolean).",
    ),
    (
        "RL002",
        "The same key appears twice in one object, exactly or up to letter case.",
        "Azure keeps one of the values and which one is not defined; keep a single key.",
    ),
    (
        "RL003",
        "A key that none of the accepted formats define; it is ignored.",
        "Usually a typo (`NotAction` for `NotActions`): the value has no effect. Fix the spelling or remove the key.",
    ),
    (
        "RL004",
        "The document is not any of the accepted shapes for this kind of file.",
        "Role files are `az role definition create` input, `az role definition list` output, ARM REST, PowerShell \
         or ARM templates; do not mix keys of two shapes.",
    ),
    (
        "RL005",
        "A required field is missing.",
        "An assignment needs `principalId`, `roleDefinitionId` and `scope`; add the missing field.",
    ),
    (
        "RL006",
        "An action string that cannot be a pattern; it matches nothing.",
        "A malformed action grants nothing (and in NotActions makes its block grant nothing). Write it as \
         `Provider.Namespace/resourceType/verb` with at most one `*`.",
    ),
    (
        "RL007",
        "Leading or trailing whitespace around an action, trimmed on load.",
        "Azure may reject or mis-match the padded string; remove the whitespace.",
    ),
    (
        "RL008",
        "A scope string that cannot be parsed; an assignment at it never grants.",
        "Scopes look like `/subscriptions/{id}/resourceGroups/{name}`; fix the segment shown.",
    ),
    (
        "RL009",
        "A scope written in a non-canonical way, normalised on load.",
        "Write scopes with a leading `/`, without a trailing `/` and without `//`.",
    ),
    (
        "RL010",
        "An assignment names a role that is neither in the tenant nor built in.",
        "Add the role definition to the tenant directory, or fix the role id.",
    ),
    (
        "RL011",
        "A value outside its allowed set.",
        "`\"roleType\": \"Foo\"` or an unknown `principalType`; use one of the values the message lists.",
    ),
    (
        "RL012",
        "A tenant role reuses a built-in role's id with different content.",
        "The tenant's definition replaces the built-in one; give the custom role its own id.",
    ),
    ("RL013", "Two roles in the tenant share an id.", "Role ids are unique in a tenant; keep one definition."),
    (
        "RL014",
        "The management-group hierarchy contains a cycle.",
        "A management group cannot be its own ancestor; fix the parent links in `hierarchy.json`.",
    ),
    (
        "RL015",
        "The management-group hierarchy is deeper than Azure's six levels.",
        "Azure supports six levels below the root; flatten the hierarchy.",
    ),
    (
        "RL016",
        "Subscriptions used by assignments are missing from the hierarchy.",
        "They hang under the tenant root; add them to `subscriptions` in `hierarchy.json`.",
    ),
    ("RL017", "A file or directory could not be read.", "Check the path and its permissions (exit code 2)."),
    (
        "RL018",
        "A malformed part of a deny assignment.",
        "A deny that cannot be read cannot be applied, so the tenant is refused; fix the deny assignment.",
    ),
    (
        "RL019",
        "A condition does not parse or type-check.",
        "Azure rejects it; rolegate fails closed (the grant never allows, the deny always applies). Fix the condition at the underlined place.",
    ),
    (
        "RL020",
        "A tenant file under a name it would not be read by.",
        "Name it exactly `assignments.json`, `denyAssignments.json`, `groups.json` or `hierarchy.json`, as the message says.",
    ),
    (
        "RL021",
        "A JSON file that holds no role definition; it is skipped.",
        "Move it out of the directory, or give it the keys of a role definition if it is meant as one.",
    ),
    (
        "RL022",
        "The compiled snapshot cannot represent this tenant.",
        "An entry past what the engine indexes (an `Actions` or deny `actions` list past 65,536 entries, a role past 65,536 permission blocks, or counts past its 32-bit tables) would be dropped, so the tenant is refused; split the list or the tenant.",
    ),
    (
        "RL023",
        "A deny assignment with an empty principals, permissions or actions list denies nothing.",
        "Name the principals and the actions it must deny (Everyone is `00000000-0000-0000-0000-000000000000`).",
    ),
    ("RL024", "A principal id in braces matches nobody.", "Write the GUID without braces."),
    (
        "RL025",
        "The tenant directory has no `assignments.json`: nobody is granted anything.",
        "Add the tenant's role assignments as `assignments.json`.",
    ),
    (
        "RL026",
        "An unknown key that is a near miss of a key deciding access (`notAction`, `conditon`).",
        "Ignoring it could drop an exclusion, a condition or a denied action, so the file is refused; fix the spelling.",
    ),
    (
        "RL027",
        "A REST list page whose `nextLink` is set: the rest of the list is missing.",
        "Fetch every page (follow `nextLink`) and load the whole list.",
    ),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn every_load_code_has_docs_and_codes_are_unique() {
        for c in codes::ALL {
            assert!(load_meta(*c).is_some(), "{} has no docs", c.id);
        }
        let all = KnownRules.all_rules();
        let mut ids: Vec<&str> = all.iter().map(|m| m.code).collect();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert_eq!(KnownRules.find_rule("invalid-json").unwrap().code, "RL000");
        assert_eq!(KnownRules.find_rule("rl000").unwrap().name, "invalid-json");
    }
}
