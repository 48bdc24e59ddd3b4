//! RL111: a role that claims to be built in but is not one of Azure's built-in roles.

use rolegate::Severity;
use rolegate::model::RoleType;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL111",
    name: "builtin-role-type",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: `\"roleType\": \"BuiltInRole\"` (or `\"IsCustom\": false`) on a role whose id and name are not
those of an Azure built-in role.

Why it matters: only Microsoft creates built-in roles; Azure rejects the type on create
(`InvalidRoleDefinitionType`). The linter would also exempt such a role from the checks that apply to custom
roles, so the claim is reported rather than believed.

Example:
    {\"Name\": \"My Reader\", \"IsCustom\": false, \"Actions\": [\"*/read\"], ...}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if cx.role.role_type != RoleType::BuiltIn || cx.is_builtin() {
        return;
    }
    let span = cx.role.role_type_raw.as_ref().map_or_else(|| cx.role_span(), |r| r.span);
    out.push(Hit::new(
        RULE.at(cx, span, "a custom role claims to be built in".into())
            .with_label("not one of Azure's built-in roles")
            .with_help("write `\"IsCustom\": true` (`\"roleType\": \"CustomRole\"`); it is linted as a custom role"),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl111() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"roleName": "Reader", "name": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "roleType": "BuiltInRole",
                    "permissions": [{"actions": ["*/read"]}], "assignableScopes": ["/"]}"#,
            ],
            &[
                r#"{"Name": "My Reader", "IsCustom": false, "Actions": ["*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
