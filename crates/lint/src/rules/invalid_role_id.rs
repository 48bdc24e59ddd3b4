//! RL114: a role id that is not a GUID.

use rolegate::Severity;
use rolegate::diag::Span;
use rolegate::internals::json::Value;
use rolegate::model::{RoleShape, is_guid};

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule =
    Rule { code: "RL114", name: "invalid-role-id", severity: Severity::Error, family: Family::Reject, doc: DOC, check };

const DOC: &str = "\
What it flags: a custom role whose id (`Id`, `name` in the CLI and REST shapes, or the last segment of the
resource id) is neither empty nor a GUID written as 8-4-4-4-12 hexadecimal digits. An absent, empty or `null` id
is fine (Azure assigns one), and so is an ARM template expression.

Why it matters: a role definition's id is the name of its resource, and Azure only accepts a GUID there, so it
rejects the role. Other spellings of a GUID (`{...}`, no hyphens) are flagged too: role assignments name their
role by the hyphenated GUID and ids are compared as written, so such a role would never be the one assigned.

Example:
    {\"Name\": \"App Operator\", \"Id\": \"app-operator\", \"IsCustom\": true, ...}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let Some(id) = &cx.role.id else { return };
    if !cx.is_custom() || is_guid(id.as_str()) {
        return;
    }
    let span = id_span(cx).unwrap_or_else(|| cx.role_span());
    out.push(Hit::new(
        RULE.at(cx, span, format!("role id `{}` is not a GUID", rolegate::internals::diag::excerpt(id.as_str())))
            .with_label("not a GUID")
            .with_help(
                "use a new GUID such as `a1b2c3d4-0000-4000-8000-000000000001` (`uuidgen`), or omit `Id` and let \
                 Azure assign one",
            ),
    ));
}

/// The id's string in the file. The model keeps the id without a span, so the role's object is read again (only
/// for a role with a bad id): the member the loader took the id from is the first of these keys whose last
/// segment is the id.
fn id_span(cx: &RoleCx<'_>) -> Option<Span> {
    let origin = cx.role.origin.span;
    let text = cx.source().slice(origin);
    let Ok(role) = rolegate::internals::json::parse(text) else {
        // A role converted from another format (a Terraform resource block): the id as written in its text.
        let id = cx.role.id.as_ref()?.as_str();
        let at = text.find(id)?;
        return Some(Span::new(origin.start + at, origin.start + at + id.len()));
    };
    let keys: &[&str] = match cx.role.shape {
        RoleShape::CliList | RoleShape::Rest | RoleShape::ArmTemplate => &["name", "id"],
        _ => &["Id"],
    };
    let id = cx.role.id.as_ref()?.as_str();
    let value: &Value = keys.iter().find_map(|k| {
        let m = role.get_ignore_ascii_case(k)?;
        let text = m.value.as_str()?;
        (text.trim_end_matches('/').rsplit('/').next() == Some(id)).then_some(&m.value)
    })?;
    Some(Span::new(origin.start + value.span.start, origin.start + value.span.end))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::{RULE, is_guid};

    #[test]
    fn guids() {
        assert!(is_guid("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"));
        assert!(is_guid("8E3AF657-A8FF-443C-A75C-2FE8C4BCB635"));
        for bad in [
            "",
            "r",
            "{8e3af657-a8ff-443c-a75c-2fe8c4bcb635}",
            "8e3af657a8ff443ca75c2fe8c4bcb635",
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb63g",
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb6350",
            "8e3af657_a8ff-443c-a75c-2fe8c4bcb635",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }

    #[test]
    fn rl114() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Id": "5d4f2e8a-0000-4000-8000-00000000ABCD", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Id": "", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Id": null, "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"roleName": "r", "name": "5d4f2e8a-0000-4000-8000-00000000abcd", "id": "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/5d4f2e8a-0000-4000-8000-00000000abcd", "roleType": "CustomRole", "permissions": [], "assignableScopes": ["/subscriptions/s1"]}"#,
            ],
            &[
                r#"{"Name": "App Operator", "Id": "app-operator", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Id": "{5d4f2e8a-0000-4000-8000-00000000abcd}", "IsCustom": true, "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"roleName": "r", "name": "op", "id": "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/op", "roleType": "CustomRole", "permissions": [], "assignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"id": "/providers/Microsoft.Authorization/roleDefinitions/not-a-guid", "properties": {"roleName": "r", "type": "CustomRole", "permissions": [], "assignableScopes": ["/subscriptions/s1"]}}"#,
            ],
        ));
    }
}
