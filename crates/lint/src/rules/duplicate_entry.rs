//! RL306: the same entry twice in one list, up to case.

use std::collections::hash_map::Entry;

use rolegate::Severity;
use rolegate::model::Action;

use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::{FastMap, Plane};

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
                // First entry per lower-cased text, so that a list of 100,000 entries takes one pass.
                let mut first_of: FastMap<String, &Action> = FastMap::default();
                for a in items {
                    let Some(p) = a.pattern() else { continue };
                    let first = match first_of.entry(p.as_str().to_ascii_lowercase()) {
                        Entry::Occupied(e) => *e.get(),
                        Entry::Vacant(e) => {
                            e.insert(a);
                            continue;
                        }
                    };
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
