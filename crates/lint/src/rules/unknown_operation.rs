//! RL300: an exact operation the catalog does not list.

use rolegate::Severity;
use rolegate::catalog::PlaneAnswer;

use super::{Family, Hit, RoleCx, Rule, entries};
use crate::analysis::Plane;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL300",
    name: "unknown-operation",
    severity: Severity::Warning,
    family: Family::Catalog,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an exact operation (no `*`) in any of the four lists that the operation catalog does not list on
that plane, with \"did you mean\" from the catalog. A warning by default, an error under `--strict-catalog`.
Reports name the catalog's date; `--catalog FILE` takes a fresh `az provider operation list --output json`.
(A custom role's operation that the catalog lists on the other plane is RL107 instead.)

Why it matters: Azure validates exact operations against the providers' registrations and rejects unknown
ones (`InvalidActionOrNotAction`); a typo in `NotActions` silently excludes nothing. It cannot be an error by
default because the catalog lags Azure: even built-in roles reference 255 operations the shipped catalog lacks.

Example:
    \"Actions\": [\"Microsoft.Compute/virtualMachines/restrt/action\"]   → did you mean `.../restart/action`?";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let strict = cx.analysis.options().strict_catalog;
    for e in entries(cx.role) {
        let Some(p) = e.action.pattern().filter(|p| p.is_exact()) else { continue };
        let name = p.as_str();
        let answer = cx.analysis.plane(name);
        let other = match (e.plane, answer) {
            (_, PlaneAnswer::Both) | (Plane::Control, PlaneAnswer::Control) | (Plane::Data, PlaneAnswer::Data) => {
                continue;
            }
            (Plane::Control, PlaneAnswer::Data) | (Plane::Data, PlaneAnswer::Control) => true,
            (_, PlaneAnswer::Unknown) => false,
        };
        if other && cx.is_custom() {
            continue;
        }
        let date = cx.analysis.catalog_date();
        let (label, help) = if other {
            let is = if e.plane == Plane::Control { "a data action" } else { "a control-plane action" };
            (
                format!("listed only as {is}"),
                format!("the {date} lists it only as {is}, so it cannot apply in `{}`", e.key()),
            )
        } else {
            match cx.analysis.suggest(name, e.plane) {
                Some(s) => (
                    "not in the catalog".to_owned(),
                    format!(
                        "did you mean `{s}`? (if the operation is newer than the {date}, lint with `--catalog` and a fresh `az provider operation list --output json`)"
                    ),
                ),
                None => (
                    "not in the catalog".to_owned(),
                    format!(
                        "check the provider and resource type; if the operation is newer than the {date}, lint with `--catalog` and a fresh `az provider operation list --output json`"
                    ),
                ),
            }
        };
        let mut d = RULE
            .at(cx, e.action.span, format!("unknown operation `{name}` in `{}` ({date})", e.key()))
            .with_label(label)
            .with_help(help);
        if strict {
            d.severity = Severity::Error;
        }
        out.push(Hit::new(d).with_operations(vec![name.to_owned()]));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_rule, check_rule_with};
    use super::RULE;
    use crate::LintOptions;

    #[test]
    fn rl300() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/restart/action", "Microsoft.Compute/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/restrt/action"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "NotActions": ["Contoso.Widgets/widgets/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }

    #[test]
    fn rl300_strict() {
        let options = LintOptions { strict_catalog: true, ..LintOptions::default() };
        insta::assert_snapshot!(check_rule_with(
            &RULE,
            &options,
            &[],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/restrt/action"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
