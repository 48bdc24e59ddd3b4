//! `.bicep` role definitions: each fixture in `tests/data/bicep` yields the findings of its hand-written JSON
//! equivalent beside it (codes, messages, operations; positions differ), findings point into the Bicep text, and
//! a file that cannot be parsed is one located finding.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use rolegate_lint::{Finding, LintOptions, Linter, OutputFormat, Report};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bicep").join(name)
}

/// Lints one file under its bare name (so that snapshots do not depend on the checkout's path).
fn lint_named(name: &str, bytes: &[u8], options: LintOptions) -> Report {
    let mut linter = Linter::with_options(options);
    linter.add_file(name, bytes);
    linter.finish()
}

fn lint(name: &str) -> Report {
    lint_named(name, &std::fs::read(data(name)).unwrap(), LintOptions::default())
}

fn lint_text(name: &str, text: &str) -> Report {
    lint_named(name, text.as_bytes(), LintOptions::default())
}

/// What must agree between a Bicep file and its JSON equivalent: code, message and operations (not positions,
/// nor the role's label, which for a name given by an expression is the expression as written).
type Essence = (String, String, Vec<String>);

fn essence(f: &Finding) -> Essence {
    (f.code.to_owned(), f.message.clone(), f.operations.clone())
}

fn essences(report: &Report) -> Vec<Essence> {
    let mut all: Vec<_> = report.findings().iter().map(essence).collect();
    all.sort();
    all
}

fn render(report: &Report) -> String {
    report.render(OutputFormat::Human { color: false })
}

/// The notes that only the Bicep front end makes: a loop or condition it does not evaluate.
fn is_front_end_note(f: &Essence) -> bool {
    f.0 == "RL311" && f.1.contains("which is not evaluated")
}

#[test]
fn every_fixture_with_a_json_equivalent_yields_the_same_findings() {
    let mut compared = 0;
    for entry in std::fs::read_dir(data("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "bicep") {
            continue;
        }
        let json = path.with_extension("json");
        if !json.exists() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        let bicep = essences(&lint(name));
        let json = essences(&lint(json.file_name().unwrap().to_str().unwrap()));
        let (notes, rest): (Vec<_>, Vec<_>) = bicep.into_iter().partition(is_front_end_note);
        // Compared whole, reported without the (long) operation lists.
        let brief =
            |all: &[Essence]| all.iter().map(|(c, m, o)| format!("{c} {m} ({} ops)", o.len())).collect::<Vec<_>>();
        assert!(rest == json, "{name}:\n{:#?}\n{:#?}", brief(&rest), brief(&json));
        // Only the loop and the condition carry a note of their own, one each.
        let expected_notes = usize::from(name.starts_with("loop") || name.starts_with("conditional"));
        assert_eq!(notes.len(), expected_notes, "{name}: {notes:?}");
        compared += 1;
    }
    assert_eq!(compared, 5);
}

#[test]
fn the_fixtures_show_expansions_and_azure_rejections() {
    let storage = lint("storage-operator.bicep");
    let codes: Vec<&str> = storage.findings().iter().map(|f| f.code).collect();
    for code in ["RL103", "RL107", "RL108", "RL202", "RL204", "RL307"] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
    let expansion = storage.findings().iter().find(|f| f.code == "RL202").unwrap();
    assert!(expansion.operations.iter().any(|o| o == "Microsoft.Storage/storageAccounts/listkeys/action"));
    assert_eq!(storage.summary().roles, 1);
    // A JSON pointer would lead into the converted tree, which is not the file.
    assert!(storage.findings().iter().all(|f| f.pointer.is_none()), "{:#?}", storage.findings());
    assert!(lint("storage-operator.json").findings().iter().any(|f| f.pointer.is_some()));
    let literal = lint("docs-literal.bicep");
    assert!(literal.findings().is_empty(), "{:#?}", literal.findings());
    assert_eq!(literal.summary().roles, 1);
}

#[test]
fn findings_render_into_the_bicep_text() {
    for name in ["storage-operator.bicep", "docs-example.bicep", "loop.bicep", "conditional.bicep", "broken.bicep"] {
        insta::assert_snapshot!(name, render(&lint(name)));
    }
}

#[test]
fn a_broken_file_is_one_located_finding() {
    let report = lint("broken.bicep");
    assert_eq!(report.findings().len(), 1, "{:#?}", report.findings());
    let f = &report.findings()[0];
    assert_eq!((f.code, f.line, f.column), ("RL000", 12, 1));
    assert!(f.message.starts_with("invalid Bicep: `{` is never closed"), "{}", f.message);
    assert!(f.help.as_deref().is_some_and(|h| h.contains("az bicep build")));
    assert_eq!(report.summary().errors, 1);
}

#[test]
fn hostile_nesting_is_one_finding() {
    let text = format!("resource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {}", "[".repeat(100_000));
    let report = lint_text("deep.bicep", &text);
    assert_eq!(report.findings().len(), 1);
    assert_eq!(report.findings()[0].code, "RL000");
    assert!(report.findings()[0].message.contains("nesting deeper than"), "{}", report.findings()[0].message);
}

const HEAD: &str = "resource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {\n  properties: {\n    roleName: 'r'\n    assignableScopes: ['/subscriptions/s1']\n    permissions: [{\n";

/// Findings inside an action string land on the right column: exactly when the string spells its value verbatim,
/// and on the whole string when an escape makes source and value differ.
#[test]
fn positions_inside_strings_survive_escapes() {
    let verbatim = format!("{HEAD}      actions: ['Microsoft.Compute/virtualMachines/start*']\n    }}]\n  }}\n}}\n");
    let escaped =
        format!("{HEAD}      actions: ['Microsoft.Compute/virtual\\u{{4D}}achines/start*']\n    }}]\n  }}\n}}\n");
    let multi = format!("{HEAD}      actions: ['''Microsoft.Compute/virtualMachines/start*''']\n    }}]\n  }}\n}}\n");
    let at = |text: &str| {
        let report = lint_text("r.bicep", text);
        let f = report.findings().iter().find(|f| f.code == "RL307").unwrap_or_else(|| panic!("{text}"));
        assert_eq!(
            f.message,
            "`Microsoft.Compute/virtualMachines/start*` in `Actions` has a wildcard inside a segment"
        );
        (f.line, f.column, f.end_column)
    };
    // Line 6 is `      actions: ['…'`: the string opens at column 17.
    let star = 17 + "'Microsoft.Compute/virtualMachines/start".len();
    assert_eq!(at(&verbatim), (6, star, star + 1));
    let escaped_len = "'Microsoft.Compute/virtual\\u{4D}achines/start*'".len();
    assert_eq!(at(&escaped), (6, 17, 17 + escaped_len));
    let multi_len = "'''Microsoft.Compute/virtualMachines/start*'''".len();
    assert_eq!(at(&multi), (6, 17, 17 + multi_len));
}

/// A condition error (RL019) points into the Bicep string when it is verbatim, at the whole string otherwise.
#[test]
fn condition_errors_point_into_the_string() {
    let block = |condition: &str| {
        format!(
            "{HEAD}      actions: ['Microsoft.Storage/storageAccounts/read']\n      condition: {condition}\n      conditionVersion: '2.0'\n    }}]\n  }}\n}}\n"
        )
    };
    let find = |text: &str| {
        let report = lint_text("r.bicep", text);
        let f = report.findings().iter().find(|f| f.code == "RL019").cloned().unwrap_or_else(|| panic!("{text}"));
        (f.line, f.column, f.end_column)
    };
    // `((` never closes; line 7 is `      condition: '…'`, the string opening at column 18.
    assert_eq!(find(&block("'((true'")).0, 7);
    let (_, column, _) = find(&block("'((true'"));
    assert!(column > 18, "points inside the string: {column}");
    let escaped = "'((@Resource[x] StringEquals \\'a\\''";
    assert_eq!(find(&block(escaped)), (7, 18, 18 + escaped.len()));
}

#[test]
fn disabling_rl311_drops_the_front_end_notes_too() {
    let options = LintOptions { disabled_rules: ["RL311"].into(), ..LintOptions::default() };
    let report = lint_named("loop.bicep", &std::fs::read(data("loop.bicep")).unwrap(), options);
    assert!(report.findings().iter().all(|f| f.code != "RL311"), "{:#?}", report.findings());
    assert!(report.findings().iter().any(|f| f.code == "RL202"));
}

#[test]
fn a_bicep_file_without_role_definitions_is_a_warning() {
    let report =
        lint_text("st.bicep", "resource st 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'st'\n}\n");
    let codes: Vec<&str> = report.findings().iter().map(|f| f.code).collect();
    assert_eq!(codes, ["RL021"]);
    assert_eq!(report.summary().roles, 0);
}

#[test]
fn expressions_in_names_and_properties_are_kept_not_guessed() {
    // `properties` from a variable cannot be read: the loader says so, as for the compiled template.
    let text = "var props = {}\nresource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {\n  name: guid('x')\n  properties: props\n}\n";
    let report = lint_text("r.bicep", text);
    let f = report.findings().iter().find(|f| f.code == "RL001").unwrap_or_else(|| panic!("{:#?}", report.findings()));
    assert_eq!((f.line, f.column), (4, 15));
    // A spread in the properties is a note: what it adds is not linted.
    let text = "var extra = {}\nresource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {\n  name: guid('x')\n  properties: {\n    ...extra\n    roleName: 'r'\n    permissions: [{ actions: ['Microsoft.Compute/*/read'] }]\n    assignableScopes: ['/subscriptions/s1']\n  }\n}\n";
    let report = lint_text("r.bicep", text);
    let notes: Vec<&Finding> = report.findings().iter().filter(|f| f.code == "RL311").collect();
    assert_eq!(notes.len(), 1, "{:#?}", report.findings());
    assert_eq!(notes[0].message, "the spread `...extra` is not evaluated");
    assert_eq!((notes[0].line, notes[0].column), (5, 8));
}

#[test]
fn windows_line_endings_give_the_same_findings() {
    for name in ["storage-operator.bicep", "loop.bicep", "conditional.bicep"] {
        let text = std::fs::read_to_string(data(name)).unwrap();
        let crlf = text.replace('\n', "\r\n");
        let unix = lint(name);
        let windows = lint_text(name, &crlf);
        assert_eq!(essences(&windows), essences(&unix), "{name}");
        let lines = |r: &Report| r.findings().iter().map(|f| (f.line, f.column)).collect::<Vec<_>>();
        assert_eq!(lines(&windows), lines(&unix), "{name}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Mutated fixtures through the whole linter and the human renderer: never a panic, and a file that cannot
    /// be read is exactly one finding, located inside it.
    #[test]
    fn mutated_fixtures_lint_and_render(
        fixture in proptest::sample::select(vec!["storage-operator.bicep", "loop.bicep", "conditional.bicep"]),
        at in 0usize..2000,
        cut in 0usize..40,
        insert in r"[\[\]{}()',:\n ?$@/*\\é😀]{0,6}",
    ) {
        let text = std::fs::read_to_string(data(fixture)).unwrap();
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mutated = format!("{}{insert}{}", &text[..at], &text[end..]);
        let report = lint_text(fixture, &mutated);
        let _ = render(&report);
        if let Some(f) = report.findings().iter().find(|f| f.code == "RL000") {
            proptest::prop_assert_eq!(report.findings().len(), 1);
            proptest::prop_assert!(f.line >= 1 && f.line <= mutated.split('\n').count(), "{:?}", f);
        }
    }
}
