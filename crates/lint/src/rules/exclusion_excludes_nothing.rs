//! RL304: a NotActions entry that excludes nothing its block's Actions grant.

use rolegate::Severity;
use rolegate::matcher::Pattern;

use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::Plane;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL304",
    name: "exclusion-excludes-nothing",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a `NotActions` (`NotDataActions`) entry that no `Actions` (`DataActions`) entry of the same
permission block can overlap. Decided between patterns (does any operation match both?), so it holds for
operations the catalog does not list yet.

Why it matters: NotActions only narrows its own block's grants; it is not a deny. An exclusion that overlaps
nothing is dead: often a typo, a copy from another role, or the belief that it blocks what another role grants.

Example:
    \"Actions\": [\"Microsoft.Compute/*\"], \"NotActions\": [\"Microsoft.Authorization/*/Write\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for perm in &cx.role.permissions {
        for plane in Plane::BOTH {
            let (grants, exclusions) = plane.lists(perm);
            if grants.is_template() {
                continue;
            }
            for n in exclusions.items() {
                let Some(np) = n.pattern() else { continue };
                if grants.items().iter().filter_map(|a| a.pattern()).any(|a| overlap(a, np)) {
                    continue;
                }
                let why = if grants.items().is_empty() {
                    format!("its block has no `{}`", plane.grant_key())
                } else {
                    format!("no `{}` entry of its block can match what it matches", plane.grant_key())
                };
                out.push(Hit::new(
                    RULE.at(cx, n.span, format!("`{np}` in `{}` excludes nothing: {why}", plane.exclusion_key()))
                        .with_label("excludes nothing")
                        .with_help(format!(
                            "remove it; `{}` only narrows the `{}` of its own block and is not a deny",
                            plane.exclusion_key(),
                            plane.grant_key()
                        )),
                ));
            }
        }
    }
}

/// Whether some operation matches both patterns. When one is exact that is the other matching it, which is much
/// cheaper than the automaton product, and most entries are exact.
fn overlap(a: &Pattern, b: &Pattern) -> bool {
    if a.is_exact() {
        b.matches(a.as_str())
    } else if b.is_exact() {
        a.matches(b.as_str())
    } else {
        a.intersects(b)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl304() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["*"], "NotActions": ["Microsoft.Authorization/*/Write"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                // Overlap without containment, and an operation no catalog lists.
                r#"{"Name": "r", "Actions": ["Contoso.Widgets/*"], "NotActions": ["*/delete"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
            &[r#"{"Name": "r", "Actions": ["Microsoft.Compute/*"],
  "NotActions": ["Microsoft.Authorization/*/Write"],
  "NotDataActions": ["Microsoft.Storage/*"],
  "AssignableScopes": ["/subscriptions/s1"]}"#],
        ));
    }
}
