//! RL200: `*` alone in `Actions` or `DataActions`.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL200",
    name: "full-wildcard",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: the entry `*` in `Actions` (every control-plane operation) or `DataActions` (every data action).

Why it matters: it grants every operation of every provider, including every one Azure adds later; a fixed
`NotActions` list does not keep up. Microsoft's guidance: specify Actions and DataActions explicitly. The rules
RL203-RL209 name the sensitive operations it reaches after the exclusions.

Example:
    \"Actions\": [\"*\"], \"NotActions\": [\"Microsoft.Authorization/*/Write\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for grant in cx.grants() {
        if grant.action.pattern().is_none_or(|p| p.as_str() != "*") {
            continue;
        }
        let total = cx
            .analysis
            .expand(grant.action.pattern().unwrap_or(&rolegate::matcher::Pattern::new("*")), grant.plane)
            .len();
        let plane = match grant.plane {
            crate::Plane::Control => "control-plane operation",
            crate::Plane::Data => "data action",
        };
        out.push(Hit::new(
            RULE.at(cx, grant.action.span, format!("`*` in `{}` grants every {plane}", grant.plane.grant_key()))
                .with_label(format!(
                    "{} of {total} in the {}, and every one Azure adds later",
                    grant.ops.len(),
                    cx.analysis.catalog_date()
                ))
                .with_help("list the operations the role needs, or start from the narrowest built-in role that fits"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl200() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": ["*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#],
            &[
                r#"{"Name": "r", "Actions": ["*"], "NotActions": ["Microsoft.Authorization/*/Write"], "DataActions": ["*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
