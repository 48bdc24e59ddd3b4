//! RL115: an assignable scope with `%`, `?` or `#`.

use rolegate::Severity;
use rolegate::scope::ScopeValue;

use super::{Family, Hit, RoleCx, Rule, char_span};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL115",
    name: "invalid-scope-character",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an assignable scope of a custom role that contains `%`, `?` or `#`, such as a URL-encoded
`/subscriptions/s1/resourceGroups/rg%2Fprod` or a copied link `/subscriptions/s1?api-version=2022-04-01#view`.
The first such character of each scope is pointed at.

Why it matters: Azure rejects the role: a scope is a resource id, and resource ids cannot hold these characters
(resource-group names cannot either). A `%2F` is not a `/` to Azure or to rolegate, and a query or fragment is
not part of a scope.

Example:
    \"AssignableScopes\": [\"/subscriptions/s1/resourceGroups/rg%2Fprod\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes {
        // A template expression is evaluated at deployment; what it yields is not known here.
        if matches!(s.value, ScopeValue::Template) {
            continue;
        }
        let Some((at, c)) = s.raw.char_indices().find(|&(_, c)| matches!(c, '%' | '?' | '#')) else { continue };
        let what = match c {
            '%' => "URL encoding",
            '?' => "a query string",
            _ => "a fragment",
        };
        let scope = rolegate::internals::diag::excerpt(&s.raw);
        out.push(Hit::new(
            RULE.at(cx, char_span(cx, s.span, &s.raw, at, c), format!("assignable scope `{scope}` contains `{c}`"))
                .with_label(format!("`{c}` starts {what}"))
                .with_help(
                    "write the scope as a plain resource id (`/subscriptions/<id>/resourceGroups/<name>`): decode \
                     `%2F` and the like, and drop any `?...` or `#...`",
                ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl115() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1/resourceGroups/rg-prod_1.(x)"]}"#,
                // Unicode is legal in resource-group names.
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1/resourceGroups/prüfung"]}"#,
            ],
            &[
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1/resourceGroups/rg%2Fprod"]}"#,
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/s1", "/subscriptions/s2?x=1#f"]}"#,
                // Escaped in JSON: the character is still pointed at.
                r#"{"Name": "r", "Actions": [], "AssignableScopes": ["/subscriptions/\u00e9\u0023f"]}"#,
            ],
        ));
    }
}
