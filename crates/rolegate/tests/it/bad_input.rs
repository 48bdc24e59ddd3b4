//! Bad inputs: each produces a diagnostic naming the right code, line, column and underlined text, and none
//! panics. The rendered output of each is snapshotted.

use rolegate::diag::Code;
use rolegate::diag::codes;
use rolegate::load::{Loaded, TenantLoader, load_deny_assignments, load_groups, load_hierarchy, load_roles};
use rolegate::{Diagnostic, Severity};

use crate::support::render;

#[derive(Clone, Copy)]
enum File {
    Roles,
    Assignments,
    Deny,
    Groups,
    Hierarchy,
}

fn diagnostics(kind: File, bytes: &[u8]) -> Vec<Diagnostic> {
    fn d<T>(l: Loaded<T>) -> Vec<Diagnostic> {
        l.diagnostics
    }
    match kind {
        File::Roles => d(load_roles("role.json", bytes)),
        File::Deny => d(load_deny_assignments("denyAssignments.json", bytes)),
        File::Groups => d(load_groups("groups.json", bytes)),
        File::Hierarchy => d(load_hierarchy("hierarchy.json", bytes)),
        // Assignments are checked against the roles of the tenant, so go through the tenant loader.
        File::Assignments => {
            let mut loader = TenantLoader::new();
            loader.add_assignments("assignments.json", bytes);
            d(loader.finish())
        }
    }
}

struct Case {
    name: &'static str,
    file: File,
    input: Vec<u8>,
    code: Code,
    line: usize,
    column: usize,
    underlined: String,
}

fn case(name: &'static str, file: File, input: &str, code: Code, line: usize, column: usize, underlined: &str) -> Case {
    Case { name, file, input: input.as_bytes().to_vec(), code, line, column, underlined: underlined.to_owned() }
}

const SCOPES: &str = r#""AssignableScopes": ["/subscriptions/s1"]"#;

fn cases() -> Vec<Case> {
    let role = |body: &str| format!("{{\n  \"Name\": \"r\",\n  {body},\n  {SCOPES}\n}}\n");
    let assignment = |role: &str, scope: &str| {
        format!(
            "[\n  {{\n    \"principalId\": \"alice\",\n    \"roleDefinitionId\": \"{role}\",\n    \"scope\": \"{scope}\"\n  }}\n]\n"
        )
    };
    let mut cases = vec![
        case("trailing_comma", File::Roles, &role(r#""Actions": ["a/read",]"#), codes::INVALID_JSON, 3, 23, ","),
        case("wrong_type_actions", File::Roles, &role(r#""Actions": 5"#), codes::WRONG_TYPE, 3, 14, "5"),
        case("is_custom_string", File::Roles, &role(r#""IsCustom": "true""#), codes::WRONG_TYPE, 3, 15, "\"true\""),
        case("unknown_key", File::Roles, &role(r#""Descripton": "x""#), codes::UNKNOWN_KEY, 3, 3, "\"Descripton\""),
        case("misspelled_key", File::Roles, &role(r#""NotAction": []"#), codes::MISSPELLED_KEY, 3, 3, "\"NotAction\""),
        case(
            "whitespace_inside_action",
            File::Roles,
            &role(r#""Actions": ["Microsoft.Storage/x /read"]"#),
            codes::MALFORMED_ACTION,
            3,
            35,
            " ",
        ),
        case(
            "escaped_control_character_in_action",
            File::Roles,
            &role(r#""Actions": ["Microsoft.Storage/\u0007/read"]"#),
            codes::MALFORMED_ACTION,
            3,
            15,
            r#""Microsoft.Storage/\u0007/read""#,
        ),
        case(
            "raw_control_character_in_string",
            File::Roles,
            &role("\"Actions\": [\"Microsoft.Storage/\u{7}/read\"]"),
            codes::INVALID_JSON,
            3,
            34,
            "\u{7}",
        ),
        case("empty_action", File::Roles, &role(r#""Actions": [""]"#), codes::MALFORMED_ACTION, 3, 15, r#""""#),
        case(
            "scope_with_dotdot",
            File::Roles,
            "{\"Name\": \"r\", \"AssignableScopes\": [\"/subscriptions/s1/../s2\"]}",
            codes::MALFORMED_SCOPE,
            1,
            55,
            "..",
        ),
        case(
            "duplicate_key",
            File::Roles,
            "{\n  \"Name\": \"a\",\n  \"Name\": \"b\"\n}",
            codes::DUPLICATE_KEY,
            3,
            3,
            "\"Name\"",
        ),
        case(
            "duplicate_key_up_to_case",
            File::Roles,
            &role("\"Actions\": [],\n  \"actions\": []"),
            codes::DUPLICATE_KEY,
            4,
            3,
            "\"actions\"",
        ),
        case("empty_file", File::Roles, "", codes::INVALID_JSON, 1, 1, ""),
        case("whitespace_only_file", File::Roles, "  \n\n", codes::INVALID_JSON, 3, 1, ""),
        case("unterminated_string", File::Roles, "{\"Name\": \"r", codes::INVALID_JSON, 1, 12, ""),
        case("comment", File::Roles, "{\n  // a role\n  \"Name\": \"r\"\n}", codes::INVALID_JSON, 2, 3, "// a role"),
        case("single_quotes", File::Roles, "{'Name': 'r'}", codes::INVALID_JSON, 1, 2, "'"),
        case("nan", File::Roles, "{\"Name\": NaN}", codes::INVALID_JSON, 1, 10, "NaN"),
        case("wrong_type_in_array", File::Roles, &role(r#""Actions": ["a/read", 5]"#), codes::WRONG_TYPE, 3, 25, "5"),
        case(
            "unknown_role_type",
            File::Roles,
            r#"{"roleName": "r", "roleType": "PowerRole", "permissions": []}"#,
            codes::INVALID_VALUE,
            1,
            31,
            "\"PowerRole\"",
        ),
        case(
            "leading_whitespace_action",
            File::Roles,
            &role(r#""Actions": ["  Microsoft.Network/virtualNetworks/read"]"#),
            codes::ACTION_WHITESPACE,
            3,
            16,
            "  ",
        ),
        case("root_not_object", File::Roles, "42", codes::WRONG_TYPE, 1, 1, "42"),
        case(
            "unknown_role",
            File::Assignments,
            &assignment("/providers/Microsoft.Authorization/roleDefinitions/no-such-role", "/subscriptions/s1"),
            codes::UNKNOWN_ROLE,
            4,
            25,
            "\"/providers/Microsoft.Authorization/roleDefinitions/no-such-role\"",
        ),
        case(
            "assignment_without_principal",
            File::Assignments,
            "[{\"roleDefinitionId\": \"acdd72a7-3385-48ef-bd42-f606fba81ae7\", \"scope\": \"/\"}]",
            codes::MISSING_FIELD,
            1,
            2,
            "{\"roleDefinitionId\": \"acdd72a7-3385-48ef-bd42-f606fba81ae7\", \"scope\": \"/\"}",
        ),
        case(
            "assignment_scope_with_space",
            File::Assignments,
            &assignment("acdd72a7-3385-48ef-bd42-f606fba81ae7", "/subscriptions/s 1"),
            codes::MALFORMED_SCOPE,
            5,
            31,
            " ",
        ),
        case(
            "deny_malformed_action",
            File::Deny,
            r#"[{"properties": {"scope": "/subscriptions/s1", "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}], "permissions": [{"actions": ["Microsoft.Compute/*/de lete"]}]}}]"#,
            codes::MALFORMED_DENY,
            1,
            189,
            " ",
        ),
        case(
            "deny_excludes_everyone",
            File::Deny,
            r#"[{"properties": {"scope": "/", "principals": [], "excludePrincipals": [{"id": "00000000-0000-0000-0000-000000000000"}], "permissions": []}}]"#,
            codes::MALFORMED_DENY,
            1,
            72,
            r#"{"id": "00000000-0000-0000-0000-000000000000"}"#,
        ),
        case("groups_member_not_array", File::Groups, "{\"g1\": \"alice\"}", codes::WRONG_TYPE, 1, 8, "\"alice\""),
        case("groups_listed_twice", File::Groups, "{\"g1\": [], \"G1\": []}", codes::DUPLICATE_KEY, 1, 12, "\"G1\""),
        case(
            "hierarchy_cycle",
            File::Hierarchy,
            "{\"tenantId\": \"t\", \"managementGroups\": {\"a\": \"b\", \"b\": \"a\"}}",
            codes::HIERARCHY_CYCLE,
            1,
            40,
            "\"a\"",
        ),
    ];
    // Invalid UTF-8: the byte 0xFF inside a string.
    let mut bytes = b"{\"Name\": \"r".to_vec();
    bytes.push(0xff);
    bytes.extend_from_slice(b"\"}");
    cases.push(Case {
        name: "invalid_utf8",
        file: File::Roles,
        input: bytes,
        code: codes::INVALID_JSON,
        line: 1,
        column: 12,
        underlined: "\u{fffd}".into(),
    });
    // Conditions: the underline lands inside the condition string, past JSON escapes, on the problem.
    let conditional = |condition: &str| {
        format!(
            "[\n  {{\n    \"principalId\": \"alice\",\n    \"roleDefinitionId\": \"acdd72a7-3385-48ef-bd42-f606fba81ae7\",\n    \"scope\": \"/subscriptions/s1\",\n    \"condition\": \"{condition}\"\n  }}\n]\n"
        )
    };
    cases.push(case(
        "condition_mixes_and_or",
        File::Assignments,
        &conditional(
            r"@Request[a] StringEquals \u0027x\u0027 AND @Request[b] StringEquals '\u00e9' OR Exists @Request[c]",
        ),
        codes::INVALID_CONDITION,
        6,
        96,
        "OR",
    ));
    cases.push(case(
        "condition_wrong_type",
        File::Deny,
        r#"[{"name": "d", "scope": "/subscriptions/s1", "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
  "permissions": [{"actions": ["*/delete"], "condition": "@Resource[Microsoft.Storage/storageAccounts:isHnsEnabled] BoolEquals \"true\""}]}]"#,
        codes::INVALID_CONDITION,
        2,
        128,
        "\\\"",
    ));
    // A byte-order mark is accepted and takes no column.
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(br#"{"Name": "r", "Actions": 5}"#);
    cases.push(Case {
        name: "bom_then_wrong_type",
        file: File::Roles,
        input: bom,
        code: codes::WRONG_TYPE,
        line: 1,
        column: 26,
        underlined: "5".into(),
    });
    // 10,000 levels of nesting: no stack overflow, a diagnostic at the first bracket past the limit.
    cases.push(Case {
        name: "deep_nesting",
        file: File::Roles,
        input: "[".repeat(10_000).into_bytes(),
        code: codes::INVALID_JSON,
        line: 1,
        column: rolegate::internals::json::MAX_DEPTH + 1,
        underlined: "[".into(),
    });
    cases
}

#[test]
fn bad_inputs_point_at_the_offending_text() {
    let cases = cases();
    assert!(cases.len() >= 20, "the issue asks for at least 20 bad inputs");
    let mut failures = Vec::new();
    for c in &cases {
        let diags = diagnostics(c.file, &c.input);
        let Some(d) = diags.iter().find(|d| d.code == c.code) else {
            failures.push(format!("{}: no {} diagnostic among {diags:#?}", c.name, c.code.id));
            continue;
        };
        let Some((start, _)) = d.line_cols() else {
            failures.push(format!("{}: diagnostic without position", c.name));
            continue;
        };
        let got = (start.line, start.column, d.snippet().unwrap_or_default());
        if got != (c.line, c.column, c.underlined.as_str()) {
            failures.push(format!(
                "{}: expected {:?}, got {got:?} ({})",
                c.name,
                (c.line, c.column, &c.underlined),
                d.message
            ));
        }
        assert!(d.help.is_some(), "{}: every diagnostic has a help line", c.name);
        assert!(d.file().is_some(), "{}: every diagnostic names its file", c.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_input_snapshots() {
    for c in cases().iter().filter(|c| c.name != "deep_nesting") {
        let rendered: String = diagnostics(c.file, &c.input).iter().map(render).collect();
        insta::assert_snapshot!(c.name, rendered);
    }
}

#[test]
fn fatal_problems_refuse_the_tenant() {
    let mut loader = TenantLoader::new().without_builtins();
    loader.add_roles("roles.json", br#"{"Name": "r", "Actions": 5}"#);
    let err = loader.build().unwrap_err();
    assert_eq!(err.fatal_count(), 1);
    // A malformed action is not fatal: the role loads and the entry matches nothing.
    let mut loader = TenantLoader::new().without_builtins();
    loader.add_roles("roles.json", br#"{"Name": "r", "Id": "r1", "Actions": ["a /read", "b/read"]}"#);
    let (tenant, warnings) = loader.build().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity, Severity::Error);
    let actions = tenant.roles[0].permissions[0].actions.items();
    assert!(!actions[0].matches("a /read") && !actions[0].matches("a/read"));
    assert!(actions[1].matches("B/READ"));
}

#[test]
fn literal_characters_in_actions_are_fine() {
    let loaded = load_roles(
        "role.json",
        br#"{"Name": "r", "Actions": ["Microsoft.Search/x:analyze/action", "M.X/{operationName}/read", "M.D/routing/$testall/Action", "M.Q/a?b/read", "M.B/[x]/read"], "AssignableScopes": ["/subscriptions/s"]}"#,
    );
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let actions = loaded.value[0].permissions[0].actions.items();
    assert!(actions.iter().all(|a| a.is_valid()));
    assert!(actions[3].matches("m.q/A?B/read") && !actions[3].matches("m.q/axb/read"));
    assert!(actions[4].matches("M.B/[x]/read") && !actions[4].matches("M.B/x/read"));
}

#[test]
fn a_ten_megabyte_string_loads_and_long_lines_render_as_a_window() {
    let long = "a".repeat(10 * 1024 * 1024);
    let input = format!(r#"{{"Name": "{long}", "Actions": ["{long} x"], "AssignableScopes": ["/subscriptions/s"]}}"#);
    let loaded = load_roles("big.json", input.as_bytes());
    assert_eq!(loaded.value.len(), 1);
    assert_eq!(loaded.value[0].display_name().len(), long.len());
    let d = loaded.diagnostics.iter().find(|d| d.code == codes::MALFORMED_ACTION).unwrap();
    assert_eq!(d.snippet(), Some(" "));
    assert_eq!(d.line_cols().unwrap().0.column, 2 * long.len() + 27);
    let rendered = render(d);
    assert!(rendered.len() < 4_000, "rendered {} bytes", rendered.len());
    assert!(d.message.len() < 300);
}

#[test]
fn arbitrary_bytes_never_panic() {
    use proptest::prelude::*;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2_000));
    let fragments = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"Actions\"",
        "\"Name\"",
        "\"x/*/read\"",
        "5",
        "null",
        "\"properties\"",
        "\"permissions\"",
        "\"roleName\"",
        "\"/subscriptions/a/../b\"",
        "\"principals\"",
        " ",
        "\"\\u0000\"",
    ]);
    runner
        .run(&prop::collection::vec(fragments, 0..40), |parts| {
            let input = parts.concat();
            for kind in [File::Roles, File::Assignments, File::Deny, File::Groups, File::Hierarchy] {
                for d in diagnostics(kind, input.as_bytes()) {
                    let _ = render(&d);
                }
            }
            Ok(())
        })
        .unwrap();
}
