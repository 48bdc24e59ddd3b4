//! RL107: a data action in `Actions`, or a control-plane action in `DataActions`.

use rolegate::Severity;
use rolegate::catalog::PlaneAnswer;

use super::{Family, Hit, RoleCx, Rule, entries};
use crate::analysis::Plane;

/// The rule.
pub(crate) const RULE: Rule =
    Rule { code: "RL107", name: "wrong-plane", severity: Severity::Error, family: Family::Reject, doc: DOC, check };

const DOC: &str = "\
What it flags: an exact operation that the catalog lists only as a data action but that stands in `Actions` or
`NotActions`, or one listed only as a control-plane action that stands in `DataActions` or `NotDataActions`.

Why it matters: Azure rejects it (`InvalidActionOrNotAction` / `InvalidDataActionOrNotDataAction`: \"does not
match any of the actions supported by the providers\"). Even if it were accepted it would never grant
anything: the planes are separate (semantics §2.4).

Example:
    \"DataActions\": [\"Microsoft.Storage/storageAccounts/blobServices/containers/read\"]   (a control-plane read)";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    for e in entries(cx.role) {
        let Some(p) = e.action.pattern().filter(|p| p.is_exact()) else { continue };
        let answer = cx.analysis.plane(p.as_str());
        let (is, belongs) = match (e.plane, answer) {
            (Plane::Control, PlaneAnswer::Data) => ("a data action", Plane::Data),
            (Plane::Data, PlaneAnswer::Control) => ("a control-plane action", Plane::Control),
            _ => continue,
        };
        let key = if e.exclusion { belongs.exclusion_key() } else { belongs.grant_key() };
        out.push(
            Hit::new(
                RULE.at(cx, e.action.span, format!("`{p}` is {is}, not allowed in `{}`", e.key()))
                    .with_label(format!("{is} ({})", cx.analysis.catalog_date()))
                    .with_help(format!("move it to `{key}`; Azure rejects the role as it is")),
            )
            .with_operations(vec![p.as_str().to_owned()]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl107() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"{"Name": "r", "Actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
                 "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                 "AssignableScopes": ["/subscriptions/s1"]}"#],
            &[r#"{"Name": "r",
  "Actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
  "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
  "AssignableScopes": ["/subscriptions/s1"]}"#],
        ));
    }
}
