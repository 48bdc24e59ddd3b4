//! RL201: a provider-wide wildcard `Microsoft.X/*`.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL201",
    name: "provider-wildcard",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a grant of a whole resource provider, `Microsoft.X/*`, with the operations it expands to.

Why it matters: it grants every operation of the provider, including every one the provider adds later
(\"additional access ... through future Actions or DataActions might be unwanted\"). Cloudsplaining calls it a
service wildcard.

Example:
    \"Actions\": [\"Microsoft.Compute/*\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for grant in cx.grants() {
        let Some(p) = grant.action.pattern() else { continue };
        let Some(namespace) = p.as_str().strip_suffix("/*") else { continue };
        if namespace.is_empty() || namespace.contains(['/', '*']) {
            continue;
        }
        let index = cx.analysis.index();
        let ops: Vec<String> = grant.ops.iter().map(|&i| index.name(i).to_owned()).collect();
        out.push(
            Hit::new(
                RULE.at(cx, grant.action.span, format!("`{p}` grants every operation of `{namespace}`"))
                    .with_label(format!(
                        "{} operations in the {}, and every one the provider adds later",
                        ops.len(),
                        cx.analysis.catalog_date()
                    ))
                    .with_help("list the resource types and operations the role needs"),
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
    fn rl201() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Capacity/*/read", "*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[r#"{"Name": "r", "Actions": ["Microsoft.ResourceHealth/*"], "AssignableScopes": ["/subscriptions/s1"]}"#],
        ));
    }
}
