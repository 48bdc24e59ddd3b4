//! All 928 built-in roles survive being written in each of the five shapes and loaded back.

use rolegate::RoleShape;
use rolegate::builtin;
use rolegate::internals::write::{logical, roles_to_json};
use rolegate::load::load_roles;

#[test]
fn builtin_roles_load_cleanly() {
    let loaded = builtin::parse_roles();
    assert_eq!(loaded.value.len(), 928);
    // The only diagnostics on the shipped file are the two known trailing-space actions (hygiene warnings).
    let codes: Vec<_> = loaded.diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, vec!["RL007", "RL007"], "{:#?}", loaded.diagnostics);
    assert!(loaded.value.iter().all(|r| r.shape == RoleShape::CliList && r.id.is_some()));
    let blocks: usize = loaded.value.iter().map(|r| r.permissions.len()).sum();
    assert_eq!(blocks, 946);
    let with_condition = loaded.value.iter().filter(|r| r.permissions.iter().any(|p| p.condition.is_some())).count();
    assert_eq!(with_condition, 29);
}

#[test]
fn builtin_roles_round_trip_through_every_shape() {
    let roles = &builtin::roles().value;
    for shape in RoleShape::ALL {
        let text = serde_json::to_string_pretty(&roles_to_json(roles, shape)).unwrap();
        let reloaded = load_roles(&format!("roundtrip.{}.json", shape.name()), text.as_bytes());
        let fatal: Vec<_> = reloaded.diagnostics.iter().filter(|d| d.is_fatal()).collect();
        assert!(fatal.is_empty(), "{}: {fatal:#?}", shape.name());
        assert_eq!(reloaded.value.len(), 928, "{}", shape.name());
        let with_identity = shape != RoleShape::CreateInput;
        for (a, b) in roles.iter().zip(&reloaded.value) {
            assert_eq!(b.shape, shape, "{}: {}", shape.name(), a.label());
            assert_eq!(logical(a, with_identity), logical(b, with_identity), "{}: {}", shape.name(), a.label());
        }
    }
}
