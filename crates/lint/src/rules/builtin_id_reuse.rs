//! RL112: a custom role that reuses a built-in role's id.

use rolegate::Severity;
use rolegate::diag::Span;
use rolegate::model::RoleType;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL112",
    name: "builtin-id-reuse",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a custom role whose id (`Id`, `name` or the resource id's last segment) is the GUID of a
built-in role.

Why it matters: Azure refuses to create it (`RoleDefinitionExists`); in a tenant export it would replace the
built-in role for the engine.

Example:
    {\"Name\": \"My Owner\", \"Id\": \"8e3af657-a8ff-443c-a75c-2fe8c4bcb635\", \"IsCustom\": true, ...}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let Some(id) = &cx.role.id else { return };
    if cx.role.role_type != RoleType::Custom || super::builtins::builtins().name_of(id.as_str()).is_none() {
        return;
    }
    // The model keeps the id without a span: find its text inside the role's object.
    let text = cx.source().slice(cx.role.origin.span);
    let span = text.to_ascii_lowercase().find(&id.key()).map_or_else(
        || cx.role_span(),
        |at| Span::new(cx.role.origin.span.start + at, cx.role.origin.span.start + at + id.as_str().len()),
    );
    out.push(Hit::new(
        RULE.at(cx, span, format!("custom role reuses the id of a built-in role: `{id}`"))
            .with_label("a built-in role's GUID")
            .with_help("give the custom role a new GUID (or omit `Id` and let Azure assign one)"),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl112() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Id": "5d4f2e8a-0000-4000-8000-00000000abcd", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "My Owner", "Id": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
