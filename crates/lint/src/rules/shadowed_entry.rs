//! RL305: an entry shadowed by a wider pattern of the same list.

use rolegate::Severity;
use rolegate::matcher::Pattern;
use rolegate::model::Action;

use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::{FastMap, Plane};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL305",
    name: "shadowed-entry",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

/// At most this many operations are attached to the finding.
const MAX_OPERATIONS: usize = 100;

const DOC: &str = "\
What it flags: an entry whose every possible match another entry of the same list (same block) already
matches, such as `Microsoft.Compute/virtualMachines/read` next to `Microsoft.Compute/*`. Decided by pattern
containment with the matcher's exact semantics (`*` spans `/`, `/*/` may match `/`, ASCII case folding), so it
holds for operations the catalog does not list; the catalog then names the operations involved. Exact
duplicates up to case are RL306.

Why it matters: the narrow entry suggests the role is narrower than it is; removing the wide one later would
silently keep the narrow one, and reviewers read the narrow one.

Example:
    \"Actions\": [\"Microsoft.Compute/*\", \"Microsoft.Compute/virtualMachines/read\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for perm in &cx.role.permissions {
        for plane in Plane::BOTH {
            let (grants, exclusions) = plane.lists(perm);
            for (list, key) in [(grants, plane.grant_key()), (exclusions, plane.exclusion_key())] {
                check_list(cx, list.items(), key, plane, out);
            }
        }
    }
}

/// The list's wildcard entries, grouped by lower-cased text (entries that differ in case only match the same
/// operations, so one `covers` per group decides for all of them) and indexed by lower-cased literal prefix.
/// Only a wildcard can cover another entry, and a pattern covers another only if its literal prefix is a prefix of
/// the other's (the other's first star can swallow any character, so anything past its literal prefix differs
/// between its matches); looking up the prefixes of each entry's literal prefix replaces comparing all pairs.
struct Wildcards<'l> {
    /// Lower-cased literal prefix → (first index of the group, the group's first entry).
    by_prefix: FastMap<String, Vec<(usize, &'l Pattern)>>,
    /// The lengths of those prefixes, ascending.
    lengths: Vec<usize>,
}

impl<'l> Wildcards<'l> {
    fn new(list: &'l [Action]) -> Self {
        let mut seen: FastMap<String, ()> = FastMap::default();
        let mut by_prefix: FastMap<String, Vec<(usize, &Pattern)>> = FastMap::default();
        for (j, a) in list.iter().enumerate() {
            let Some(q) = a.pattern().filter(|q| !q.is_exact()) else { continue };
            if seen.insert(q.as_str().to_ascii_lowercase(), ()).is_none() {
                by_prefix.entry(q.literal_prefix().to_ascii_lowercase()).or_default().push((j, q));
            }
        }
        let mut lengths: Vec<usize> = by_prefix.keys().map(String::len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        Wildcards { by_prefix, lengths }
    }

    /// The groups that cover `p`: the first index of each, and whether `p` covers it back (the same operations
    /// written differently: then only an earlier entry shadows a later one).
    fn covering(&self, p: &Pattern) -> Vec<(usize, bool)> {
        let prefix = p.literal_prefix().to_ascii_lowercase();
        let mut out = Vec::new();
        for &len in self.lengths.iter().take_while(|&&len| len <= prefix.len()) {
            let Some(groups) = prefix.get(..len).and_then(|key| self.by_prefix.get(key)) else { continue };
            for &(j, q) in groups {
                // An exact entry is one operation name: covering it is matching it, and it covers no wildcard.
                if p.is_exact() {
                    if q.matches(p.as_str()) {
                        out.push((j, false));
                    }
                } else if !q.as_str().eq_ignore_ascii_case(p.as_str()) && q.covers(p) {
                    out.push((j, p.covers(q)));
                }
            }
        }
        out
    }
}

fn check_list(cx: &RoleCx<'_>, list: &[Action], key: &str, plane: Plane, out: &mut Vec<Hit>) {
    let wildcards = Wildcards::new(list);
    if wildcards.lengths.is_empty() {
        return;
    }
    // Per lower-cased entry text: a long list repeats entries, and the answer depends on the position only
    // through the order of entries that cover each other.
    let mut covering: FastMap<String, Vec<(usize, bool)>> = FastMap::default();
    for (i, a) in list.iter().enumerate() {
        let Some(p) = a.pattern() else { continue };
        let groups = covering.entry(p.as_str().to_ascii_lowercase()).or_insert_with(|| wildcards.covering(p));
        let wider = groups.iter().filter(|&&(j, mutual)| !mutual || j < i).map(|&(j, _)| j).min();
        let Some(b) = wider.and_then(|j| list.get(j)) else { continue };
        let q = b.pattern().map_or("", |q| q.as_str());
        let index = cx.analysis.index();
        let ops: Vec<String> =
            cx.analysis.expand(p, plane).iter().take(MAX_OPERATIONS).map(|&i| index.name(i).to_owned()).collect();
        let verb = if key.starts_with("Not") { "excluded" } else { "granted" };
        out.push(
            Hit::new(
                RULE.at(cx, a.span, format!("`{p}` in `{key}` is shadowed by `{q}`"))
                    .with_label(format!("already {verb} by `{q}`"))
                    .with_related(b.span, "the wider pattern")
                    .with_help(format!("remove `{p}`, or replace `{q}` with the narrower entries the role needs")),
            )
            .with_operations(ops),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl305() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/*/read", "Microsoft.Compute/virtualMachines/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[r#"{"Name": "r",
  "Actions": ["Microsoft.Compute/*", "Microsoft.Compute/virtualMachines/read", "Contoso.Widgets/*/read"],
  "NotActions": ["Microsoft.Compute/*/delete", "Microsoft.Compute/virtualMachines/*/delete"],
  "DataActions": ["Contoso.Widgets/*", "Contoso.Widgets/w/*/read"],
  "AssignableScopes": ["/subscriptions/s1"]}"#],
        ));
    }
}
