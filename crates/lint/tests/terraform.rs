//! Terraform input: `.tf` files and `terraform show -json` plans. Each `.tf` fixture whose values are literal has a
//! hand-written JSON equivalent beside it, and both must yield the same findings; the rendered findings of every
//! fixture are snapshots, so that a change of what is found or where it points shows in review.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use rolegate_lint::{Finding, Linter, OutputFormat, Report};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/terraform").join(name)
}

/// Lints one fixture, named by its file name so that snapshots do not depend on the checkout's path.
fn lint(name: &str) -> Report {
    let bytes = std::fs::read(data(name)).unwrap();
    let mut linter = Linter::new();
    linter.add_file(name, &bytes);
    linter.finish()
}

/// What must agree between a `.tf` file and its JSON equivalent: everything but positions and pointers.
fn essence(f: &Finding) -> String {
    format!("{} {:?} {:?} | {} | {}", f.code, f.severity, f.role, f.message, f.operations.join(", "))
}

fn essences(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report.findings().iter().map(essence).collect();
    out.sort();
    out
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.findings().iter().map(|f| f.code).collect()
}

/// The `.tf` fixtures with literal values, each with a hand-written JSON equivalent of the same name.
const EQUIVALENT: &[&str] =
    &["docs_example", "multiple_permissions", "scope_only", "module_with_other_resources", "heredoc_and_comments"];

#[test]
fn literal_fixtures_find_what_their_json_equivalents_find() {
    for stem in EQUIVALENT {
        let tf = lint(&format!("{stem}.tf"));
        let json = lint(&format!("{stem}.json"));
        assert_eq!(tf.summary().roles, 1, "{stem}");
        assert!(!tf.findings().is_empty(), "{stem}: a fixture that finds nothing compares nothing");
        // A heredoc is an expression, so only its note may differ (none: descriptions are not noted).
        assert_eq!(essences(&tf), essences(&json), "{stem}");
        for f in tf.findings() {
            assert_eq!(f.file.as_deref(), Some(format!("{stem}.tf").as_str()), "{stem}: {f:?}");
            assert!(f.line > 0 && f.column > 0, "{stem}: a finding without a position: {f:?}");
            assert_eq!(f.pointer, None, "{stem}: a `.tf` file has no JSON pointer");
        }
    }
}

#[test]
fn findings_point_at_the_tf_text() {
    let text = std::fs::read_to_string(data("module_with_other_resources.tf")).unwrap();
    let report = lint("module_with_other_resources.tf");
    let wildcard = report.findings().iter().find(|f| f.code == "RL102").expect("RL102");
    let line = text.lines().nth(wildcard.line - 1).unwrap();
    let at: String = line.chars().skip(wildcard.column - 1).collect();
    assert!(at.starts_with("\"Microsoft.CostManagement/*/query/*\""), "{line} @ {}", wildcard.column);
}

#[test]
fn a_role_without_assignable_scopes_is_assignable_at_its_scope() {
    let report = lint("scope_only.tf");
    assert!(!codes(&report).contains(&"RL101"), "{:?}", codes(&report));
    let json = lint("scope_only.json");
    assert!(!codes(&json).contains(&"RL101"));
    // Without `scope` either, the role has no assignable scope at all.
    let mut linter = Linter::new();
    linter.add_file(
        "no_scope.tf",
        b"resource \"azurerm_role_definition\" \"r\" {\n  name = \"r\"\n  permissions {\n    actions = [\"*/read\"]\n  }\n}\n",
    );
    assert!(codes(&linter.finish()).contains(&"RL101"));
}

#[test]
fn expressions_are_noted_and_literals_linted() {
    let report = lint("variables.tf");
    let notes: Vec<&Finding> = report.findings().iter().filter(|f| f.code == "RL311").collect();
    let text = std::fs::read_to_string(data("variables.tf")).unwrap();
    let noted: Vec<String> = notes
        .iter()
        .map(|f| {
            let line = text.lines().nth(f.line - 1).unwrap();
            assert_eq!(f.line, f.end_line);
            line.chars().skip(f.column - 1).take(f.end_column - f.column).collect::<String>()
        })
        .collect();
    assert_eq!(
        noted,
        [
            "concat([\"Microsoft.Web/sites/*\"], var.extra_actions)",
            "var.extra_actions[0]",
            "\"/subscriptions/${var.subscription_id}\"",
        ],
        "{notes:#?}"
    );
    // The literal entries are linted: the wildcard is expanded, the literal scope is read.
    let excluded = report.findings().iter().filter(|f| f.message.contains("Microsoft.Web/sites/delete")).count();
    assert!(excluded <= 1, "{:#?}", report.findings());
    assert!(report.findings().iter().all(|f| f.code != "RL101" && f.code != "RL100"), "{:#?}", report.findings());
}

#[test]
fn loops_and_dynamic_blocks_are_noted_as_not_evaluated() {
    let report = lint("loops.tf");
    let messages: Vec<&str> =
        report.findings().iter().filter(|f| f.code == "RL311").map(|f| f.message.as_str()).collect();
    for expected in [
        "`for_each` is not evaluated: the role is linted once, as written",
        "`count` is not evaluated: the role is linted once, as written",
        "`dynamic \"permissions\"` is not evaluated: its `content` is linted as one permission block",
    ] {
        assert!(messages.contains(&expected), "{expected}: {messages:#?}");
    }
    // The literal permission of the counted role is still linted.
    assert!(report.findings().iter().any(|f| f.message.contains("Microsoft.Insights/*")), "{:#?}", report.findings());
    assert_eq!(report.summary().roles, 2);
}

#[test]
fn the_notes_go_when_rl311_is_disabled() {
    let options = rolegate_lint::LintOptions { disabled_rules: ["RL311"].into(), ..Default::default() };
    let mut linter = Linter::with_options(options);
    linter.add_file("loops.tf", &std::fs::read(data("loops.tf")).unwrap());
    let report = linter.finish();
    assert!(report.findings().iter().all(|f| f.code != "RL311"), "{:#?}", report.findings());
}

#[test]
fn a_parse_error_is_one_located_finding() {
    let report = lint("broken.tf");
    assert_eq!(report.summary().roles, 0);
    let [f] = report.findings() else { panic!("{:#?}", report.findings()) };
    assert_eq!((f.code, f.file.as_deref()), ("RL000", Some("broken.tf")));
    assert_eq!((f.line, f.column), (7, 3), "{f:?}");
    assert!(f.message.contains("`}`"), "{}", f.message);
}

#[test]
fn bad_bytes_never_panic() {
    let inputs: [&[u8]; 8] = [
        b"",
        b"\xff\xfe",
        b"\xef\xbb\xbfresource \"azurerm_role_definition\" \"r\" {\n  name = \"r\"\n}\n",
        b"resource \"azurerm_role_definition\" {}\n",
        b"resource \"azurerm_role_definition\" \"r\" { permissions = 5 }\n",
        b"resource \"azurerm_role_definition\" \"r\" {\n  permissions {\n    actions = { a = 1 }\n  }\n}\n",
        b"resource \"azurerm_role_definition\" \"r\" {\n  name = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n}\n",
        b"resource \"azurerm_role_definition\" \"r\" {\n  name = \"\\u00e9\"\n  role_definition_id = 7\n  scope = true\n}\n",
    ];
    for bytes in inputs {
        let mut linter = Linter::new();
        linter.add_file("x.tf", bytes);
        let report = linter.finish();
        for f in report.findings() {
            assert!(f.file.is_some(), "{f:?}");
        }
    }
    // A byte order mark shifts nothing: the role's name is still found where it is written.
    let mut linter = Linter::new();
    linter.add_file(
        "bom.tf",
        b"\xef\xbb\xbfresource \"azurerm_role_definition\" \"r\" {\n  permissions {\n    actions = [\"*\"]\n  }\n}\n",
    );
    let report = linter.finish();
    let missing_name = report.findings().iter().find(|f| f.code == "RL100").expect("RL100");
    assert_eq!((missing_name.line, missing_name.column), (1, 1));
}

#[test]
fn a_plan_finds_what_the_source_could_not() {
    let report = lint("plan.json");
    assert_eq!(report.summary().roles, 2, "{:#?}", report.findings());
    assert!(!codes(&report).contains(&"RL021"), "a plan is a role file");
    // `"/subscriptions/${var.subscription_id}"` of variables.tf is resolved in the plan, and the wildcard
    // action the source built with `concat` is expanded.
    let partial = report.findings().iter().find(|f| f.code == "RL102").expect("RL102");
    assert_eq!(
        partial.pointer.as_deref(),
        Some("/resource_changes/0/change/after/permissions/0/actions/1"),
        "{partial:?}"
    );
    // The second role's assignable scopes are known only after apply: a note, not a missing value.
    let unknown: Vec<&Finding> = report.findings().iter().filter(|f| f.code == "RL311").collect();
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert_eq!(unknown[0].role.as_deref(), Some("Ops Reader"));
    assert_eq!(unknown[0].pointer.as_deref(), Some("/resource_changes/1/change/after_unknown/assignable_scopes"));
    assert!(!codes(&report).contains(&"RL101"), "{:?}", codes(&report));
    // The deleted role is not linted.
    assert!(report.findings().iter().all(|f| f.role.as_deref() != Some("Retired")));
}

#[test]
fn a_plan_without_resource_changes_is_read_from_planned_values() {
    let text = std::fs::read_to_string(data("plan.json")).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    plan.as_object_mut().unwrap().remove("resource_changes");
    let mut linter = Linter::new();
    linter.add_file("planned.json", serde_json::to_string_pretty(&plan).unwrap().as_bytes());
    let report = linter.finish();
    assert_eq!(report.summary().roles, 1);
    let partial = report.findings().iter().find(|f| f.code == "RL102").expect("RL102");
    assert_eq!(
        partial.pointer.as_deref(),
        Some("/planned_values/root_module/child_modules/0/resources/0/values/permissions/0/actions/1")
    );
}

/// Every fixture's findings rendered as role-lint prints them, into the `.tf` (or plan) text.
#[test]
fn rendered_findings() {
    let mut names: Vec<String> = std::fs::read_dir(data(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tf") || n == "plan.json" || n == "plan_assignments.json")
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in names {
        let rendered = lint(&name).render(OutputFormat::Human { color: false });
        insta::assert_snapshot!(name.replace('.', "_"), rendered);
    }
}

#[test]
fn unknown_arguments_are_warned_about_and_not_read() {
    let text = "resource \"azurerm_role_definition\" \"r\" {\n  name = \"r\"\n  scope = \"/subscriptions/s\"\n  \
                assignable_scope = [\"/\"]\n  permissions {\n    actions = [\"*/read\"]\n    not_action = [\"*/read\"]\n  \
                }\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n";
    let mut linter = Linter::new();
    linter.add_file("typo.tf", text.as_bytes());
    let report = linter.finish();
    let unknown: Vec<(usize, usize, &str, Option<&str>)> = report
        .findings()
        .iter()
        .filter(|f| f.code == "RL003")
        .map(|f| (f.line, f.column, f.message.as_str(), f.role.as_deref()))
        .collect();
    assert_eq!(
        unknown,
        [
            (4, 3, "unknown argument `assignable_scope` in `azurerm_role_definition`", Some("r")),
            (7, 5, "unknown argument `not_action` in `permissions`", Some("r")),
        ]
    );
    // Neither is read: `/` is not an assignable scope of the role, and `*/read` is not excluded.
    assert!(!codes(&report).contains(&"RL103"), "{:?}", codes(&report));
    assert!(!codes(&report).contains(&"RL304"), "{:?}", codes(&report));
}

#[test]
fn an_argument_given_twice_is_refused() {
    let text = b"resource \"azurerm_role_definition\" \"r\" {\n  name = \"a\"\n  name = \"b\"\n}\n";
    let mut linter = Linter::new();
    linter.add_file("twice.tf", text);
    let report = linter.finish();
    let f = report.findings().iter().find(|f| f.severity == rolegate::Severity::Error).expect("an error");
    assert_eq!((f.line, f.column), (3, 3), "{f:?}");
}

#[test]
fn a_bad_role_id_points_at_role_definition_id() {
    let text = b"resource \"azurerm_role_definition\" \"r\" {\n  name  = \"r\"\n  scope = \"/subscriptions/s\"\n  role_definition_id = \"not-a-guid\"\n}\n";
    let mut linter = Linter::new();
    linter.add_file("id.tf", text);
    let report = linter.finish();
    let f = report.findings().iter().find(|f| f.code == "RL114").expect("RL114");
    assert_eq!((f.line, f.column, f.end_column), (4, 25, 35), "{f:?}");
}

/// The text a finding underlines, on its first line.
fn underlined(text: &str, f: &Finding) -> String {
    let line = text.lines().nth(f.line - 1).unwrap();
    let end = if f.end_line == f.line { f.end_column } else { line.chars().count() + 1 };
    line.chars().skip(f.column - 1).take(end - f.column).collect()
}

/// Lints `.tf` texts together, each under its name.
fn lint_texts(files: &[(&str, &str)]) -> Report {
    let mut linter = Linter::new();
    for (name, text) in files {
        linter.add_file(name, text.as_bytes());
    }
    linter.finish()
}

#[test]
fn terraform_assignments_are_checked_against_their_roles() {
    let text = std::fs::read_to_string(data("assignment_outside_scopes.tf")).unwrap();
    let report = lint("assignment_outside_scopes.tf");
    let tenant: Vec<(&str, Option<&str>, String)> = report
        .findings()
        .iter()
        .filter(|f| f.code.starts_with("RL4"))
        .map(|f| (f.code, f.role.as_deref(), underlined(&text, f)))
        .collect();
    assert_eq!(
        tenant,
        [
            (
                "RL401",
                Some("App Reader"),
                "\"/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-app\"".to_owned()
            ),
            ("RL402", Some("Blob Reader"), "\"/providers/Microsoft.Management/managementGroups/platform\"".to_owned()),
            ("RL406", Some("Reader"), "\"/subscriptions/sub-1\"".to_owned()),
        ],
        "{:#?}",
        report.findings()
    );
    for f in report.findings().iter().filter(|f| f.code.starts_with("RL4")) {
        assert_eq!((f.file.as_deref(), f.pointer.as_deref()), (Some("assignment_outside_scopes.tf"), None), "{f:?}");
    }
    assert!(!codes(&report).contains(&"RL311"), "every role here is resolved: {:#?}", report.findings());
}

#[test]
fn an_assignment_within_the_assignable_scopes_is_not_reported() {
    let text = std::fs::read_to_string(data("assignment_docs_example.tf")).unwrap();
    let report = lint("assignment_docs_example.tf");
    assert!(report.findings().is_empty(), "{:#?}", report.findings());
    // The same assignment one subscription over is reported, whichever way the role resource is named: so the
    // silence above is the assignment being inside, not being skipped.
    let reference = "azurerm_role_definition.example.role_definition_resource_id";
    for role in [
        reference,
        "\"${azurerm_role_definition.example.role_definition_resource_id}\"",
        "azurerm_role_definition.example.role_definition_id",
        "azurerm_role_definition.example.id",
        "\"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000000\"",
        "\"00000000-0000-0000-0000-000000000000\"",
    ] {
        let moved = text.replacen(
            "scope              = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n  role_definition_id",
            "scope              = \"/subscriptions/99999999-9999-9999-9999-999999999999\"\n  role_definition_id",
            1,
        );
        assert_ne!(moved, text);
        let moved = moved.replacen(reference, role, 1);
        let report = lint_texts(&[("main.tf", &moved)]);
        let outside: Vec<&Finding> = report.findings().iter().filter(|f| f.code == "RL401").collect();
        let [f] = outside.as_slice() else { panic!("{role}: {:#?}", report.findings()) };
        assert_eq!(f.role.as_deref(), Some("my-custom-role-definition"), "{role}");
        assert_eq!(underlined(&moved, f), "\"/subscriptions/99999999-9999-9999-9999-999999999999\"", "{role}");
    }
}

#[test]
fn assignments_terraform_must_evaluate_are_noted_and_not_checked() {
    let text = std::fs::read_to_string(data("assignment_variables.tf")).unwrap();
    let report = lint("assignment_variables.tf");
    assert!(report.findings().iter().all(|f| f.code == "RL311"), "{:#?}", report.findings());
    let noted: Vec<String> = report.findings().iter().map(|f| underlined(&text, f)).collect();
    assert_eq!(
        noted,
        [
            "var.scope",
            "data.azurerm_role_definition.contributor.id",
            "for_each             = toset([\"/subscriptions/00000000-0000-0000-0000-000000000000\"])",
            "each.value",
            "\"Somebody Else's Role\"",
        ],
        "{:#?}",
        report.findings()
    );
    assert!(report.findings()[4].message.contains("no built-in role and no role of the linted files"));
    // The notes follow RL311's switch.
    let options = rolegate_lint::LintOptions { disabled_rules: ["RL311"].into(), ..Default::default() };
    let mut linter = Linter::with_options(options);
    linter.add_file("assignment_variables.tf", text.as_bytes());
    assert!(linter.finish().findings().is_empty());
}

#[test]
fn a_role_resource_is_found_in_its_own_directory_only() {
    let role = "resource \"azurerm_role_definition\" \"app\" {\n  name  = \"App\"\n  scope = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n  permissions {\n    actions = [\"Microsoft.Web/sites/read\"]\n  }\n}\n";
    let assignment = "resource \"azurerm_role_assignment\" \"a\" {\n  scope              = \"/subscriptions/22222222-2222-2222-2222-222222222222\"\n  role_definition_id = azurerm_role_definition.app.role_definition_resource_id\n  principal_id       = \"p\"\n}\n";
    let by_name = assignment.replace(
        "role_definition_id = azurerm_role_definition.app.role_definition_resource_id",
        "role_definition_name = azurerm_role_definition.app.name",
    );
    assert_ne!(by_name, assignment);
    let report = lint_texts(&[
        ("infra/roles.tf", role),
        ("infra/main.tf", assignment),
        ("infra/by_name.tf", &by_name),
        ("other/main.tf", assignment),
    ]);
    let found: Vec<(&str, Option<&str>)> = report
        .findings()
        .iter()
        .filter(|f| f.code == "RL401" || f.code == "RL311")
        .map(|f| (f.code, f.file.as_deref()))
        .collect();
    assert_eq!(
        found,
        [("RL401", Some("infra/by_name.tf")), ("RL401", Some("infra/main.tf")), ("RL311", Some("other/main.tf"))],
        "{:#?}",
        report.findings()
    );
    let note = report.findings().iter().find(|f| f.code == "RL311").unwrap();
    assert!(
        note.message.contains("`azurerm_role_definition.app` is not a role definition of the linted files"),
        "{note:?}"
    );
}

/// A module is a directory however its files are spelled: `dir/main.tf` and `dir/./roles.tf` are one.
#[test]
fn a_module_is_its_directory_however_spelled() {
    let dir = std::env::temp_dir().join(format!("rolegate-tf-module-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let role = "resource \"azurerm_role_definition\" \"app\" {\n  name  = \"App\"\n  scope = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n}\n";
    let assignment = "resource \"azurerm_role_assignment\" \"a\" {\n  scope              = \"/subscriptions/22222222-2222-2222-2222-222222222222\"\n  role_definition_id = azurerm_role_definition.app.id\n  principal_id       = \"p\"\n}\n";
    std::fs::write(dir.join("roles.tf"), role).unwrap();
    std::fs::write(dir.join("main.tf"), assignment).unwrap();
    let mut linter = Linter::new();
    linter.add_path(&dir.join("main.tf"));
    linter.add_path(&dir.join(".").join("roles.tf"));
    let report = linter.finish();
    std::fs::remove_dir_all(&dir).unwrap();
    let codes: Vec<&str> =
        report.findings().iter().map(|f| f.code).filter(|c| c.starts_with("RL4") || *c == "RL311").collect();
    assert_eq!(codes, ["RL401"], "{:#?}", report.findings());
}

#[test]
fn assignments_terraform_would_refuse_are_errors() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "  scope = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n",
            "RL005",
            "has no `principal_id`, `role_definition_id` or `role_definition_name`",
        ),
        (
            "  scope = \"/subscriptions/s\"\n  principal_id = \"p\"\n  role_definition_name = \"Reader\"\n  role_definition_id = \"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\"\n",
            "RL011",
            "sets both `role_definition_name` and `role_definition_id`",
        ),
        (
            "  scope = \"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups\"\n  principal_id = \"p\"\n  role_definition_name = \"Reader\"\n",
            "RL008",
            "malformed scope",
        ),
        (
            "  scope = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n  principal_id = \"p\"\n  role_definition_name = \"Reader\"\n  condition = \"@Resource[\"\n",
            "RL019",
            "invalid condition",
        ),
    ];
    for (body, code, message) in cases {
        let text = format!("resource \"azurerm_role_assignment\" \"a\" {{\n{body}}}\n");
        let report = lint_texts(&[("a.tf", &text)]);
        let f = report
            .findings()
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("{code}: {:#?}", report.findings()));
        assert_eq!(f.severity, rolegate::Severity::Error, "{f:?}");
        assert!(f.message.contains(message), "{f:?}");
        assert!(f.line > 0 && f.file.as_deref() == Some("a.tf"), "{f:?}");
        assert!(
            !codes(&report).contains(&"RL406"),
            "an assignment Terraform refuses is not checked: {:#?}",
            report.findings()
        );
    }
}

#[test]
fn a_noncanonical_assignment_scope_is_warned_about_and_still_checked() {
    let text = "resource \"azurerm_role_assignment\" \"a\" {\n  scope = \"subscriptions/sub-1\"\n  principal_id = \"p\"\n  \
                role_definition_name = \"Reader\"\n}\n";
    let report = lint_texts(&[("a.tf", text)]);
    assert_eq!(codes(&report), ["RL009", "RL406"], "{:#?}", report.findings());
    assert!(report.findings().iter().all(|f| (f.line, f.column) == (2, 11)), "{:#?}", report.findings());
}

#[test]
fn a_plan_checks_its_assignments() {
    let report = lint("plan_assignments.json");
    let found: Vec<(&str, Option<&str>, Option<&str>)> =
        report.findings().iter().map(|f| (f.code, f.role.as_deref(), f.pointer.as_deref())).collect();
    assert_eq!(
        found,
        [
            // The role is created by the same plan: its id is unknown, the configuration names the resource.
            ("RL401", Some("App Reader"), Some("/resource_changes/1/change/after/scope")),
            // An existing assignment names the role by its id.
            ("RL401", Some("App Reader"), Some("/resource_changes/2/change/after/scope")),
            ("RL406", Some("Reader"), Some("/resource_changes/3/change/after/scope")),
            ("RL311", None, Some("/resource_changes/4/change/after_unknown/scope")),
        ],
        "{:#?}",
        report.findings()
    );
}

/// Without `resource_changes`, a value known only after apply is absent from `planned_values`: the role then comes
/// from the configuration, and a missing scope is a note, not a missing argument.
#[test]
fn a_plan_without_resource_changes_reads_its_assignments_from_planned_values() {
    let text = std::fs::read_to_string(data("plan_assignments.json")).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    let changes = plan.as_object_mut().unwrap().remove("resource_changes").unwrap();
    let resources: Vec<serde_json::Value> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!({
                "address": r["address"], "mode": r["mode"], "type": r["type"], "name": r["name"],
                "values": r["change"]["after"],
            })
        })
        .collect();
    plan["planned_values"] = serde_json::json!({"root_module": {"resources": resources}});
    let mut linter = Linter::new();
    linter.add_file("planned.json", serde_json::to_string_pretty(&plan).unwrap().as_bytes());
    let report = linter.finish();
    let found: Vec<(&str, Option<&str>)> = report.findings().iter().map(|f| (f.code, f.pointer.as_deref())).collect();
    assert_eq!(
        found,
        [
            ("RL401", Some("/planned_values/root_module/resources/1/values/scope")),
            ("RL401", Some("/planned_values/root_module/resources/2/values/scope")),
            ("RL406", Some("/planned_values/root_module/resources/3/values/scope")),
            ("RL311", Some("/planned_values/root_module/resources/4/values")),
        ],
        "{:#?}",
        report.findings()
    );
}

#[test]
fn a_terraform_assignment_condition_is_checked_where_it_is_written() {
    let text = "resource \"azurerm_role_assignment\" \"c\" {\n  scope = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n  \
                role_definition_name = \"Storage Blob Data Reader\"\n  principal_id = \"p\"\n  condition = \
                \"((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR ('a' \
                StringEquals 'a'))\"\n  condition_version = \"2.0\"\n}\n";
    let empty = text
        .lines()
        .filter(|l| !l.contains("condition"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("}\n", "  condition = \"\"\n}\n");
    assert!(lint_texts(&[("c.tf", &empty)]).findings().is_empty(), "an empty condition is none");
    let report = lint_texts(&[("c.tf", text)]);
    let [f] = report.findings() else { panic!("{:#?}", report.findings()) };
    assert_eq!((f.code, f.role.as_deref()), ("RL213", Some("Storage Blob Data Reader")));
    assert_eq!(underlined(text, f), "'a' StringEquals 'a'");
}

/// Fragments of `.tf` text, glued at random: most results are not valid HCL, some are roles with odd values.
const FRAGMENTS: &[&str] = &[
    "resource \"azurerm_role_definition\" \"r\" {\n",
    "resource \"azurerm_role_assignment\" \"a\" {\n",
    "dynamic \"permissions\" {\n for_each = var.p\n content {\n",
    "permissions {\n",
    "}\n",
    "  name = \"r\"\n",
    "  scope = \"/subscriptions/s\"\n",
    "  scope = var.s\n",
    "  actions = [\"*\", \"Microsoft.CostManagement/*/query/*\", var.x]\n",
    "  not_actions = concat([\"a/b\"], local.c)\n",
    "  assignable_scopes = [\"/\", \"${var.s}\", [for s in var.l : s]]\n",
    "  assignable_scopes = []\n",
    "  description = <<EOT\n  text ${var.t}\n  EOT\n",
    "  role_definition_id = \"\u{017f}\"\n",
    "  count = 3\n",
    "  role_definition_id = azurerm_role_definition.r.id\n",
    "  role_definition_name = \"Reader\"\n",
    "  principal_id = \"p\"\n",
    "  scope = \"/providers/Microsoft.Management/managementGroups/mg\"\n",
    "  name = { a = [1, true, null] }\n",
    "# comment\n",
    "/* open comment",
    "\"${",
    "[[[[",
    "\u{feff}",
    "\r\n",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    #[test]
    fn random_tf_text_never_panics(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..24)) {
        let text: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        let mut linter = Linter::new();
        linter.add_file("random.tf", text.as_bytes());
        let report = linter.finish();
        for f in report.findings() {
            proptest::prop_assert_eq!(f.file.as_deref(), Some("random.tf"));
            proptest::prop_assert!(f.line > 0, "{:?}", f);
        }
        let _ = report.render(OutputFormat::Human { color: false });
    }
}
