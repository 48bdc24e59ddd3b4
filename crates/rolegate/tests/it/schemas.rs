//! The committed JSON Schemas under `schemas/` match the generated ones. Set `UPDATE_SCHEMAS=1` to rewrite.

use std::path::PathBuf;

#[test]
fn committed_schemas_are_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in rolegate::schema::all() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(name);
        if update {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(stale.is_empty(), "stale schemas {stale:?}: run `UPDATE_SCHEMAS=1 cargo test -p rolegate schemas`");
}

#[test]
fn shipped_examples_match_the_role_schema() {
    // The schema's canonical shape is the create input; the examples use it.
    let schema = rolegate::schema::all().into_iter().find(|(n, _)| *n == "role-definition.schema.json").unwrap().1;
    let required = schema["$defs"]["RoleDefinitionInput"]["required"].as_array().unwrap();
    assert!(required.iter().any(|r| r == "Name") && required.iter().any(|r| r == "AssignableScopes"));
}
