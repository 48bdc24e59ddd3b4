//! RL110: two custom roles of one run with the same name.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL110",
    name: "duplicate-role-name",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a custom role whose name (compared ASCII case-insensitively) an earlier custom role of the same
run already uses, in the same file or another one.

Why it matters: role names are unique per Entra tenant; Azure rejects the second one
(`RoleDefinitionWithSameNameExists`: \"A custom role with the same name already exists in this directory\").

Example:
    [{\"Name\": \"App Operator\", ...}, {\"Name\": \"app operator\", ...}]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let Some(name) = cx.role.name.as_ref().filter(|n| !n.value.trim().is_empty()) else { return };
    if !cx.is_custom() {
        return;
    }
    let first = cx.analysis.first_custom_named(cx.roles, &name.value).filter(|&i| i < cx.index);
    let Some(first) = first.and_then(|i| cx.roles.get(i)) else { return };
    let mut d = RULE
        .at(cx, name.span, format!("role name `{}` is already used", rolegate::internals::diag::excerpt(&name.value)))
        .with_help("give each custom role its own name; Azure refuses a second role with the same name");
    if std::sync::Arc::ptr_eq(&first.origin.source, cx.source()) {
        d = d.with_related(first.name.as_ref().map_or(first.origin.span, |n| n.span), "first used here");
    } else {
        d = d.with_label(format!("also the name of a role in `{}`", first.origin.file()));
    }
    out.push(Hit::new(d));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl110() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[r#"[{"Name": "a", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]},
                  {"Name": "b", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}]"#],
            &[r#"[{"Name": "App Operator", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]},
  {"Name": "app operator", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}]"#],
        ));
    }
}
