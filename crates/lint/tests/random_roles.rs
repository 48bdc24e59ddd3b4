//! Random roles from odd fragments: the rules never panic, and a run is deterministic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use rolegate_lint::{LintOptions, Linter, OutputFormat, parse_forbid_list};

const ACTIONS: &[&str] = &[
    "*",
    "*/read",
    "Microsoft.Compute/*",
    "Microsoft.Compute/virtualMachines/*",
    "microsoft.compute/VIRTUALMACHINES/read",
    "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.CostManagement/*/query/*",
    "Microsoft.Compute/virtualMachines/start*",
    "a/*/*/b",
    "**",
    "/*/",
    "Contoso.Widgets/w/unlock/action",
    "Microsoft.Network/virtualNetworks/read ",
    "a b",
    "",
    "Micro\u{017f}oft.Storage/*",
    "[parameters('x')]",
];

const SCOPES: &[&str] = &[
    "/",
    "/subscriptions/s1",
    "/subscriptions/s1/resourceGroups/rg",
    "/providers/Microsoft.Management/managementGroups/mg",
    "/providers/Microsoft.Management/managementGroups/mg2",
    "/subscriptions/<subscriptionId>",
    "/subscriptions/*",
    "subscriptions/s1/",
    "/subscriptions/s1/resourceGroups/../x",
];

fn list(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(pool), 0..4).prop_map(|v| serde_json::to_string(&v).unwrap())
}

fn role() -> impl Strategy<Value = String> {
    (
        list(ACTIONS),
        list(ACTIONS),
        list(ACTIONS),
        list(ACTIONS),
        list(SCOPES),
        proptest::option::of(Just("\"((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})) OR true)\"")),
        proptest::bool::ANY,
    )
        .prop_map(|(a, na, da, nda, scopes, condition, flat)| {
            let condition = condition.map(|c| format!(r#", "condition": {c}"#)).unwrap_or_default();
            if flat {
                format!(
                    r#"{{"Name": "r", "Actions": {a}, "NotActions": {na}, "DataActions": {da}, "NotDataActions": {nda}, "AssignableScopes": {scopes}{}}}"#,
                    condition.replace("condition", "Condition")
                )
            } else {
                format!(
                    r#"{{"properties": {{"roleName": "r", "type": "CustomRole", "assignableScopes": {scopes}, "permissions": [{{"actions": {a}, "notActions": {na}, "dataActions": {da}, "notDataActions": {nda}{condition}}}]}}}}"#
                )
            }
        })
}

fn run(roles: &[String]) -> String {
    let options = LintOptions {
        forbid: parse_forbid_list("ops.txt", "Microsoft.Authorization/roleAssignments/write\nContoso.Widgets/*\n"),
        ..LintOptions::default()
    };
    let mut linter = Linter::with_options(options);
    linter.add_file("roles.json", format!("[{}]", roles.join(",")).as_bytes());
    let report = linter.finish();
    report.render(OutputFormat::Json) + &report.render(OutputFormat::Human { color: false })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rules_never_panic_and_runs_are_deterministic(roles in proptest::collection::vec(role(), 1..3)) {
        let first = run(&roles);
        prop_assert_eq!(&first, &run(&roles));
    }
}
