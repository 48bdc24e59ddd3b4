//! RL301: a wildcard grant that matches no operation in the catalog.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL301",
    name: "wildcard-matches-nothing",
    severity: Severity::Warning,
    family: Family::Catalog,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a wildcard in `Actions` or `DataActions` that matches no operation of its plane in the catalog;
when it matches operations of the other plane, the help says so.

Why it matters: usually a typo in the provider or resource type, or a data-action pattern in `Actions` (a `*`
in `Actions` never grants a data action). It may also be a provider newer than the catalog: lint with a fresh
`--catalog` to tell.

Example:
    \"Actions\": [\"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*\"]   (data actions only)";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for grant in cx.grants() {
        let Some(p) = grant.action.pattern().filter(|p| !p.is_exact()) else { continue };
        if !cx.analysis.expand(p, grant.plane).is_empty() {
            continue;
        }
        let other = cx.analysis.expand(p, grant.plane.other());
        let date = cx.analysis.catalog_date();
        let help = if other.is_empty() {
            format!(
                "check the provider and resource type; if they are newer than the {date}, lint with a fresh `--catalog`"
            )
        } else {
            format!(
                "it matches {} operations of the other plane: move it to `{}`",
                other.len(),
                grant.plane.other().grant_key()
            )
        };
        let index = cx.analysis.index();
        let ops: Vec<String> = other.iter().map(|&i| index.name(i).to_owned()).collect();
        out.push(
            Hit::new(
                RULE.at(
                    cx,
                    grant.action.span,
                    format!("`{p}` in `{}` matches no operation in the {date}", grant.plane.grant_key()),
                )
                .with_label("matches nothing")
                .with_help(help),
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
    fn rl301() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Storage/storageAccounts/*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Computer/*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
