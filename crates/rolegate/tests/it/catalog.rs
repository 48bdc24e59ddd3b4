//! The operation catalog: the shipped TSV, planes, and `az provider operation list` input.

use rolegate::catalog::{Catalog, PlaneAnswer};
use rolegate::load::load_operation_list;

#[test]
fn shipped_catalog_counts_and_planes() {
    let c = Catalog::builtin();
    assert_eq!(c.len(), 22_535);
    assert_eq!(c.operations().iter().filter(|o| o.is_data_action).count(), 4_257);
    assert_eq!(c.date(), Some("2026-08-22"));
    assert_eq!(c.plane("Microsoft.Authorization/roleAssignments/write"), PlaneAnswer::Control);
    assert_eq!(c.plane("microsoft.authorization/ROLEASSIGNMENTS/write"), PlaneAnswer::Control);
    assert_eq!(c.plane("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"), PlaneAnswer::Data);
    // Scoring is a control-plane action in the catalog, whatever the docs call it.
    assert_eq!(
        c.plane("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action"),
        PlaneAnswer::Control
    );
    assert_eq!(c.plane("Microsoft.ApiCenter/services/workspaces/apis/read"), PlaneAnswer::Both);
    assert_eq!(c.plane("Microsoft.Nope/things/read"), PlaneAnswer::Unknown);
    // semantics §2.4: 21 names in both planes, 23 when compared case-insensitively.
    let mut names: std::collections::HashSet<String> = Default::default();
    for op in c.operations() {
        if c.plane(&op.name) == PlaneAnswer::Both {
            names.insert(op.name.to_ascii_lowercase());
        }
    }
    assert_eq!(names.len(), 23);
}

#[test]
fn az_provider_operation_list_replaces_the_catalog() {
    let json = br#"[
      {"id": "/providers/Microsoft.Authorization/providerOperations/Microsoft.Foo", "name": "Microsoft.Foo",
       "displayName": "Foo", "type": "Microsoft.Authorization/providerOperations",
       "operations": [
         {"name": "Microsoft.Foo/register/action", "displayName": "Register", "description": "d", "isDataAction": false, "origin": "user"}
       ],
       "resourceTypes": [
         {"name": "bars", "displayName": "Bars", "operations": [
           {"name": "Microsoft.Foo/bars/read", "displayName": "Read bar", "isDataAction": false},
           {"name": "Microsoft.Foo/bars/read", "displayName": "Read bar again", "isDataAction": false},
           {"name": "Microsoft.Foo/bars/data/read", "display": {"operation": "Read data", "description": "x"}, "isDataAction": true}
         ]}
       ]}
    ]"#;
    let loaded = load_operation_list("ops.json", json, Some("2026-11-21".into()));
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let c = loaded.value;
    assert_eq!(c.len(), 3, "exact repeats are kept once");
    assert_eq!(c.plane("microsoft.foo/bars/data/read"), PlaneAnswer::Data);
    assert_eq!(c.lookup("Microsoft.Foo/bars/data/read").next().unwrap().display_name, "Read data");
    assert_eq!(c.date(), Some("2026-11-21"));
}

#[test]
fn operation_list_errors_are_diagnostics() {
    let loaded = load_operation_list("ops.json", br#"[{"operations": [{"name": 5}]}]"#, None);
    assert!(loaded.is_fatal());
    let loaded = load_operation_list("ops.json", b"[", None);
    assert_eq!(loaded.diagnostics[0].code.id, "RL000");
}

#[test]
fn tsv_errors_name_the_line() {
    let err = Catalog::from_tsv("operation\tis_data_action\tdisplay_name\tdescription\nA/read\tmaybe\t\t\n", None)
        .unwrap_err();
    assert_eq!(err.line, 2);
    assert!(Catalog::from_tsv("nope", None).is_err());
}
