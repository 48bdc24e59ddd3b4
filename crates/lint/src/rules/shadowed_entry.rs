//! RL305: an entry shadowed by a wider pattern of the same list.

use rolegate::Severity;
use rolegate::model::Action;

use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::Plane;

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

fn check_list(cx: &RoleCx<'_>, list: &[Action], key: &str, plane: Plane, out: &mut Vec<Hit>) {
    for (i, a) in list.iter().enumerate() {
        let Some(p) = a.pattern() else { continue };
        let wider = list.iter().enumerate().find(|&(j, b)| {
            j != i
                && b.pattern().is_some_and(|q| {
                    !q.as_str().eq_ignore_ascii_case(p.as_str()) && q.covers(p) && (!p.covers(q) || j < i)
                })
        });
        let Some((_, b)) = wider else { continue };
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
