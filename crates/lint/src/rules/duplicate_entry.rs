//! RL306: the same entry twice in one list, up to case.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::Plane;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL306",
    name: "duplicate-entry",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an entry that an earlier entry of the same list repeats, compared ASCII case-insensitively (as
Azure compares them). The later one is reported.

Why it matters: it is noise at best; at worst one copy gets edited in review and the other silently keeps the
old grant.

Example:
    \"Actions\": [\"Microsoft.Compute/virtualMachines/read\", \"microsoft.compute/virtualmachines/read\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for perm in &cx.role.permissions {
        for plane in Plane::BOTH {
            let (grants, exclusions) = plane.lists(perm);
            for (list, key) in [(grants, plane.grant_key()), (exclusions, plane.exclusion_key())] {
                let items = list.items();
                for (i, a) in items.iter().enumerate() {
                    let Some(p) = a.pattern() else { continue };
                    let first = items
                        .iter()
                        .take(i)
                        .find(|b| b.pattern().is_some_and(|q| q.as_str().eq_ignore_ascii_case(p.as_str())));
                    let Some(first) = first else { continue };
                    out.push(Hit::new(
                        RULE.at(cx, a.span, format!("`{p}` is listed twice in `{key}`"))
                            .with_label("duplicate")
                            .with_related(first.span, "first listed here")
                            .with_help("remove the repeated entry"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl306() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/read"], "NotActions": ["Microsoft.Compute/virtualMachines/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[r#"{"Name": "r",
  "Actions": ["Microsoft.Compute/virtualMachines/read", "microsoft.compute/virtualmachines/READ"],
  "AssignableScopes": ["/subscriptions/s1"]}"#],
        ));
    }
}
