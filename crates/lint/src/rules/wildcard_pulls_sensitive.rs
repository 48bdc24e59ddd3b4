//! RL202: a wildcard whose expansion pulls in sensitive operations, with the exact replacement.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule, json_list};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL202",
    name: "wildcard-pulls-sensitive",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

/// Above this many operations the replacement is not spelled out in the help (it would not be read).
const MAX_REPLACEMENT: usize = 40;

/// Above this many operations a finding carries only the sensitive ones (`*/read` expands to thousands).
const MAX_LISTED: usize = 200;

const DOC: &str = "\
What it flags: a wildcard entry (other than `*` itself, RL200) whose expansion against the operation catalog,
after its block's exclusions, contains sensitive operations (any category of
`roles/sensitive-operations.json`). The finding lists the whole expansion in `operations`, names the sensitive
part, and the help gives the exact replacement: the expansion without the sensitive operations. (Above 200
operations, `operations` holds only the sensitive ones.)

Why it matters: a wildcard in the verb position reads like one capability but is many. The Azure ML docs'
\"scoring\" role is the classic case: `onlineEndpoints/*/action` is meant for `score/action`, and also grants
`listkeys/action`, `regeneratekeys/action` and `token/action` (credential exposure) and
`deployments/getlogs/action`.

Example:
    \"Actions\": [\"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action\"]
    help: replace it with [\"Microsoft.MachineLearningServices/workspaces/onlineendpoints/deployments/getlogs/action\",
          \"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let index = cx.analysis.index();
    for grant in cx.grants() {
        let Some(p) = grant.action.pattern() else { continue };
        if p.is_exact() || p.as_str() == "*" {
            continue;
        }
        let mut flagged: Vec<String> = Vec::new();
        let mut categories: Vec<Category> = Vec::new();
        for c in Category::ALL {
            let ops = cx.analysis.sensitive_ops(grant, c);
            if !ops.is_empty() {
                categories.push(c);
            }
            for op in ops {
                if !flagged.iter().any(|f| f.eq_ignore_ascii_case(&op)) {
                    flagged.push(op);
                }
            }
        }
        if flagged.is_empty() {
            continue;
        }
        flagged.sort_by_key(|s| s.to_ascii_lowercase());
        let all: Vec<String> = grant.ops.iter().map(|&i| index.name(i).to_owned()).collect();
        let keep: Vec<String> =
            all.iter().filter(|op| !flagged.iter().any(|f| f.eq_ignore_ascii_case(op))).cloned().collect();
        let prefix_len = p.literal_prefix().len();
        let short: Vec<String> = flagged
            .iter()
            .map(|op| {
                let tail = op.get(prefix_len..).filter(|_| op.len() > prefix_len).unwrap_or(op);
                format!("`{tail}`")
            })
            .collect();
        let cats: Vec<&str> = categories.iter().map(|c| c.words()).collect();
        // The catalog's expansion, then sensitive operations the catalog does not list but the pattern reaches.
        let mut operations = all.clone();
        for f in &flagged {
            if !operations.iter().any(|o| o.eq_ignore_ascii_case(f)) {
                operations.push(f.clone());
            }
        }
        let message = format!(
            "`{p}` grants {} operations, {} of them sensitive ({})",
            operations.len(),
            flagged.len(),
            cats.join(", ")
        );
        let help = if keep.is_empty() {
            format!(
                "every operation it grants is sensitive; remove the entry or list only what the role needs \
                 (expanded against the {})",
                cx.analysis.catalog_date()
            )
        } else if keep.len() <= MAX_REPLACEMENT {
            format!(
                "replace the wildcard with the operations the role needs; without the sensitive ones it is {} \
                 (expanded against the {})",
                json_list(&keep),
                cx.analysis.catalog_date()
            )
        } else {
            format!(
                "narrow the wildcard: it expands to {} operations in the {}, or exclude the sensitive ones with \
                 `{}`",
                all.len(),
                cx.analysis.catalog_date(),
                grant.plane.exclusion_key()
            )
        };
        if operations.len() > MAX_LISTED {
            operations = flagged.clone();
        }
        out.push(
            Hit::new(
                RULE.at(cx, grant.action.span, message)
                    .with_label(format!("also grants {}", short_label(&short)))
                    .with_help(help),
            )
            .with_operations(operations),
        );
    }
}

/// At most six names in the label, then a count.
fn short_label(short: &[String]) -> String {
    let shown = short.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    match short.len().saturating_sub(6) {
        0 => shown,
        rest => format!("{shown} and {rest} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl202() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                // The exclusions take the sensitive operations out of the wildcard.
                r#"{"Name": "r", "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action"],
                    "NotActions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action",
                                   "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action",
                                   "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action"],
                    "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
            &[r#"{
"Name": "Custom role for scoring - online endpoint",
"IsCustom": true,
"Actions": [
"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action"
],
"AssignableScopes": ["/subscriptions/s1"]
}"#],
        ));
    }
}
