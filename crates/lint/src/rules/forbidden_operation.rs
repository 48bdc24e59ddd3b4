//! RL211: a role makes an operation of the `--forbid` list reachable.

use rolegate::Severity;
use rolegate::matcher::Pattern;

use super::{Family, Hit, RoleCx, Rule, short_list};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL211",
    name: "forbidden-operation",
    severity: Severity::Error,
    family: Family::Security,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: with `--forbid ops.txt` (one operation or pattern per line, `#` comments), every entry of a role
that effectively grants a listed operation: matched by the entry, not removed by its block's exclusions. The
catalog names the concrete operations; a listed operation the catalog does not know is still found by pattern.

Why it matters: a gate for CI (AWS Access Analyzer's CheckAccessNotGranted): whatever else changes, these
operations must not become reachable through the roles in the repository.

Example:
    ops.txt: Microsoft.Authorization/roleAssignments/write
    \"Actions\": [\"Microsoft.Authorization/*\"]   → error";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let forbid = &cx.analysis.options().forbid;
    if forbid.is_empty() {
        return;
    }
    let patterns: Vec<Pattern> = forbid.iter().map(|f| Pattern::new(&f.pattern)).collect();
    let index = cx.analysis.index();
    for grant in cx.grants() {
        if grant.blocked {
            continue;
        }
        let mut reached: Vec<String> = grant
            .ops
            .iter()
            .map(|&i| index.name(i))
            .filter(|name| patterns.iter().any(|f| f.matches(name)))
            .map(str::to_owned)
            .collect();
        if let Some(name) = grant.uncataloged
            && patterns.iter().any(|f| f.matches(name))
        {
            reached.push(name.to_owned());
        }
        // Operations the catalog does not list: decided between patterns.
        for f in &patterns {
            let known = cx.analysis.catalog().lookup(f.as_str()).next().is_some();
            let reaches = if f.is_exact() {
                !known && grant.grants_name(f.as_str())
            } else {
                reached.is_empty()
                    && grant.action.pattern().is_some_and(|p| p.covers(f))
                    && !grant.exclusions.iter().any(|n| n.intersects(f))
            };
            if reaches && !reached.iter().any(|r| r.eq_ignore_ascii_case(f.as_str())) {
                reached.push(f.as_str().to_owned());
            }
        }
        if reached.is_empty() {
            continue;
        }
        let origins: Vec<&str> = forbid.iter().filter_map(|f| f.origin.as_deref()).take(3).collect();
        out.push(
            Hit::new(
                RULE.at(
                    cx,
                    grant.action.span,
                    format!(
                        "`{}` makes forbidden operations reachable: {}",
                        grant.action.raw.trim(),
                        short_list(&reached, 3)
                    ),
                )
                .with_label(format!(
                    "{} forbidden operation{}",
                    reached.len(),
                    if reached.len() == 1 { "" } else { "s" }
                ))
                .with_help(format!(
                    "the forbid list ({}) says no role may grant them: narrow the entry or exclude them with `{}`",
                    if origins.is_empty() { "--forbid".to_owned() } else { origins.join(", ") },
                    grant.plane.exclusion_key()
                )),
            )
            .with_operations(reached),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule_with;
    use super::RULE;
    use crate::{LintOptions, parse_forbid_list};

    #[test]
    fn rl211() {
        let options = LintOptions {
            forbid: parse_forbid_list(
                "ops.txt",
                "# no escalation\nMicrosoft.Authorization/roleAssignments/write\nContoso.Widgets/*/unlock/action\n",
            ),
            ..LintOptions::default()
        };
        insta::assert_snapshot!(check_rule_with(
            &RULE,
            &options,
            &[
                r#"{"Name": "r", "Actions": ["*"], "NotActions": ["Microsoft.Authorization/*/Write", "Contoso.Widgets/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Authorization/*"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Contoso.Widgets/*"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
