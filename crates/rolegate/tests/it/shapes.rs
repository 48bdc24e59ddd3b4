//! Hand-written files of each of the five role shapes describe the same role and load to equal models.

use std::path::PathBuf;

use rolegate::RoleShape;
use rolegate::internals::write::logical;
use rolegate::load::load_roles;

fn load(name: &str) -> rolegate::RoleDefinition {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/shapes").join(name);
    let bytes = std::fs::read(&path).unwrap();
    let loaded = load_roles(name, &bytes);
    assert!(loaded.diagnostics.is_empty(), "{name}: {:#?}", loaded.diagnostics);
    assert_eq!(loaded.value.len(), 1, "{name}");
    loaded.value.into_iter().next().unwrap()
}

#[test]
fn five_shapes_load_to_the_same_role() {
    let files = [
        ("create-input.json", RoleShape::CreateInput),
        ("cli-list.json", RoleShape::CliList),
        ("rest-list.json", RoleShape::Rest),
        ("powershell.json", RoleShape::PowerShell),
        ("arm-template.json", RoleShape::ArmTemplate),
    ];
    let roles: Vec<_> = files.iter().map(|(f, shape)| (f, *shape, load(f))).collect();
    for (f, shape, role) in &roles {
        assert_eq!(role.shape, *shape, "{f}: detected shape");
        assert_eq!(role.permissions.len(), 2, "{f}");
        assert!(role.permissions[1].condition.as_ref().unwrap().value.contains("StringEquals 'logs'"));
        assert_eq!(role.permissions[1].data_actions.items().len(), 1);
    }
    // Create input carries no id or role type; every other shape carries both.
    let reference = logical(&roles[1].2, true);
    for (f, shape, role) in &roles {
        let with_identity = *shape != RoleShape::CreateInput;
        let expected = if with_identity { reference.clone() } else { logical(&roles[1].2, false) };
        assert_eq!(logical(role, with_identity), expected, "{f}");
    }
    // Ids compare case-insensitively: PowerShell wrote the GUID in upper case.
    assert_eq!(roles[3].2.id, roles[1].2.id);
}

#[test]
fn flat_create_input_reads_as_one_block() {
    let loaded = load_roles(
        "r.json",
        br#"{"Name": "n", "Actions": ["a/read"], "DataActions": ["d/read"], "AssignableScopes": ["/subscriptions/s"]}"#,
    );
    let role = &loaded.value[0];
    assert_eq!(role.shape, RoleShape::CreateInput);
    assert!(role.id.is_none());
    assert_eq!(role.permissions.len(), 1);
    assert!(role.permissions[0].flat);
    assert_eq!(role.permissions[0].data_actions.items()[0].raw, "d/read");
}

#[test]
fn arm_template_expressions_are_kept_not_evaluated() {
    let loaded = load_roles(
        "t.json",
        br#"{"$schema": "x", "resources": [{"type": "Microsoft.Authorization/roleDefinitions", "apiVersion": "2018-07-01",
            "name": "[variables('roleDefName')]",
            "properties": {"roleName": "[parameters('roleName')]", "type": "customRole", "isCustom": true,
              "permissions": [{"actions": "[parameters('actions')]", "notActions": ["[parameters('x')]"]}],
              "assignableScopes": ["[subscription().id]"]}}]}"#,
    );
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let role = &loaded.value[0];
    assert!(role.id.is_none(), "a template expression is not an id");
    assert!(role.permissions[0].actions.is_template());
    assert!(matches!(role.permissions[0].not_actions.items()[0].kind, rolegate::model::ActionKind::Template));
    let scopes = role.assignable_scopes.as_ref().unwrap().items();
    assert!(matches!(scopes[0].value, rolegate::scope::ScopeValue::Template));
}

#[test]
fn placeholders_and_empty_scopes_load_for_the_linter() {
    let loaded = load_roles(
        "r.json",
        br#"[{"Name": "a", "Actions": ["x/*/y/*"], "AssignableScopes": ["/subscriptions/<subscriptionId>/resourcegroups/<resourceGroupName>"]},
            {"Name": "b", "Actions": [], "AssignableScopes": []}]"#,
    );
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let a = &loaded.value[0];
    assert_eq!(a.permissions[0].actions.items()[0].pattern().unwrap().star_count(), 2);
    let scope = &a.assignable_scopes.as_ref().unwrap().items()[0];
    assert!(matches!(scope.value, rolegate::scope::ScopeValue::Placeholder { .. }));
    assert!(loaded.value[1].assignable_scopes.as_ref().unwrap().items().is_empty());
}

#[test]
fn unknown_keys_warn_with_a_suggestion_and_metadata_is_ignored() {
    let loaded = load_roles(
        "r.json",
        br#"{"roleName": "r", "name": "g", "createdOn": "x", "systemData": null, "descripton": "d", "permissions": [{"actions": []}]}"#,
    );
    let helps: Vec<_> = loaded.diagnostics.iter().map(|d| (d.code.id, d.help.clone().unwrap())).collect();
    assert_eq!(helps, vec![("RL003", "did you mean `Description`?".to_owned())]);
    assert!(!loaded.diagnostics.iter().any(rolegate::Diagnostic::is_fatal));
}

/// A near miss of a key that decides access would drop an exclusion or a scope: it refuses the file (RL026).
#[test]
fn misspelled_keys_that_decide_access_are_fatal() {
    let loaded = load_roles(
        "r.json",
        br#"{"roleName": "r", "name": "g", "assignablescope": ["/"], "permissions": [{"actions": ["*"], "NotAction": ["Microsoft.Compute/*/delete"]}]}"#,
    );
    let got: Vec<_> = loaded.diagnostics.iter().map(|d| (d.code.id, d.message.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("RL026", "unknown key `assignablescope` in role definition: did you mean `AssignableScopes`?".to_owned()),
            ("RL026", "unknown key `NotAction` in permission block: did you mean `notActions`?".to_owned())
        ]
    );
    assert!(loaded.is_fatal());
}

#[test]
fn odd_ids_survive_every_shape() {
    use rolegate::internals::write::roles_to_json;
    // Found by fuzzing: an id taken from a resource id, an id with `/`, and a template-expression id each used
    // to come back different after a trip through another shape.
    let inputs: [&[u8]; 3] = [
        br#"{"id": "/x/y", "name": "[n]", "properties": {"roleName": "a", "permissions": []}}"#,
        br#"[{"roleName": "b", "name": "a/b", "permissions": []}]"#,
        br#"[{"roleName": "c", "name": "[n]", "permissions": []}]"#,
    ];
    let expected_ids = [Some("y"), Some("b"), None];
    for (input, expected) in inputs.iter().zip(expected_ids) {
        let loaded = load_roles("odd.json", input);
        assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
        let role = &loaded.value[0];
        assert_eq!(role.id.as_ref().map(rolegate::Id::as_str), expected);
        for shape in RoleShape::ALL {
            let text = serde_json::to_string(&roles_to_json(&loaded.value, shape)).unwrap();
            let back = load_roles("back.json", text.as_bytes());
            let with_identity = shape != RoleShape::CreateInput;
            assert_eq!(
                logical(&back.value[0], with_identity),
                logical(role, with_identity),
                "{}: {text}",
                shape.name()
            );
        }
    }
}
