//! The Bicep parser and its conversion to the template tree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;

use super::parse::{Error, Expr, ExprKind, Item, MAX_DEPTH, parse};
use super::read;
use crate::sources::{Converted, Parsed};

/// The converted tree and notes of a file that parsed.
fn converted(name: &str, text: &[u8]) -> Converted {
    match read(name, text).parsed {
        Parsed::Converted(c) => c,
        other => panic!("{other:?}"),
    }
}

fn one(text: &str) -> Expr {
    let file = parse(text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(file.resources.len(), 1, "{text}");
    file.resources[0].value.clone()
}

fn err(text: &str) -> Error {
    parse(text).expect_err(text)
}

fn props(e: &Expr) -> Vec<(&str, &Expr)> {
    let ExprKind::Object(items) = &e.kind else { panic!("not an object: {e:?}") };
    items
        .iter()
        .filter_map(|i| match i {
            Item::Prop { key, value, .. } => Some((key.as_str(), value)),
            Item::Spread(_) => None,
        })
        .collect()
}

fn get<'e>(e: &'e Expr, key: &str) -> &'e Expr {
    props(e).into_iter().find(|(k, _)| *k == key).unwrap_or_else(|| panic!("no `{key}` in {e:?}")).1
}

fn strings(e: &Expr) -> Vec<String> {
    let ExprKind::Array(items) = &e.kind else { panic!("not an array: {e:?}") };
    items
        .iter()
        .map(|i| match &i.kind {
            ExprKind::Str(s) => s.clone(),
            other => format!("<{other:?}>"),
        })
        .collect()
}

const HEAD: &str = "resource r 'Microsoft.Authorization/roleDefinitions@2022-04-01' = ";

#[test]
fn items_are_separated_by_line_breaks_or_commas() {
    let text =
        format!("{HEAD}{{\n  a: ['x', 'y'\n    'z']\n  b: 1, c: true\n  d: null\n  e: {{ f: -2, 'g h': false }}\n}}\n");
    let v = one(&text);
    assert_eq!(strings(get(&v, "a")), ["x", "y", "z"]);
    assert_eq!(get(&v, "b").kind, ExprKind::Int("1".into()));
    assert_eq!(get(&v, "c").kind, ExprKind::Bool(true));
    assert_eq!(get(&v, "d").kind, ExprKind::Null);
    let e = get(&v, "e");
    assert_eq!(get(e, "f").kind, ExprKind::Int("-2".into()));
    assert_eq!(get(e, "g h").kind, ExprKind::Bool(false));
    // Spans index the text: the string with its quotes.
    let a = get(&v, "a");
    let ExprKind::Array(items) = &a.kind else { panic!() };
    assert_eq!(&text[items[2].span.start..items[2].span.end], "'z'");
}

#[test]
fn strings_decode_escapes_and_multi_line_strings_are_verbatim() {
    let text = format!(
        "{HEAD}{{\n  a: 'it\\'s \\\\ \\n\\t\\$x \\u{{41}}\\u{{1F642}} $'\n  b: '''\nline \\n ${{x}}\n  two'''\n  c: '''one'''\n}}"
    );
    let v = one(&text);
    assert_eq!(get(&v, "a").kind, ExprKind::Str("it's \\ \n\t$x A\u{1F642} $".into()));
    assert_eq!(get(&v, "b").kind, ExprKind::Str("line \\n ${x}\n  two".into()));
    assert_eq!(get(&v, "c").kind, ExprKind::Str("one".into()));
}

#[test]
fn expressions_keep_their_span() {
    let text = format!(
        "param p array\nvar v = 'x'\n{HEAD}{{\n  a: p\n  b: 'Microsoft.${{v}}/read'\n  c: subscription().id\n  d: v == 'x' ? ['a'] : [ 'b' ]\n  e: [for x in p: x]\n  f: 'a'.length\n  g: union(p, ['c', 'd'])\n}}\n"
    );
    let v = one(&text);
    for (key, source) in [
        ("a", "p"),
        ("b", "'Microsoft.${v}/read'"),
        ("c", "subscription().id"),
        ("d", "v == 'x' ? ['a'] : [ 'b' ]"),
        ("f", "'a'.length"),
        ("g", "union(p, ['c', 'd'])"),
    ] {
        let e = get(&v, key);
        assert_eq!(e.kind, ExprKind::Expression, "{key}");
        assert_eq!(&text[e.span.start..e.span.end], source, "{key}");
    }
    assert!(matches!(get(&v, "e").kind, ExprKind::For { .. }));
}

#[test]
fn comments_decorators_and_other_declarations_are_skipped() {
    let text = format!(
        "// a comment\n/* a block\n   comment */\nmetadata info = {{ owner: 'x' }}\n@description('one')\n@minLength(1)\nparam a array = [\n  '}}'\n]\n@sys.description('''\nmulti }}\n''')\nparam b string\nresource st 'Microsoft.Storage/storageAccounts@2023-01-01' = {{\n  name: 'st'\n  properties: {{ x: [for i in range(0, 2): {{ y: i }}] }}\n}}\nmodule m './roles.bicep' = {{\n  name: 'm'\n  params: {{ a: a }}\n}}\n{HEAD}{{ // trailing\n  name: 'r' /* inline */\n  properties: {{\n    // inside\n    roleName: 'x' // after\n  }}\n}}\noutput id string = r.id\n"
    );
    let file = parse(&text).unwrap();
    let types: Vec<&str> = file.resources.iter().map(|r| r.type_version.as_str()).collect();
    assert_eq!(
        types,
        ["Microsoft.Storage/storageAccounts@2023-01-01", "Microsoft.Authorization/roleDefinitions@2022-04-01"]
    );
    let v = &file.resources[1].value;
    assert_eq!(get(get(v, "properties"), "roleName").kind, ExprKind::Str("x".into()));
}

#[test]
fn loops_conditions_existing_and_nested_resources() {
    let v = one(&format!("{HEAD}[for (role, i) in roles: if (deploy) {{\n  name: role.id\n}}]\n"));
    let ExprKind::For { body, .. } = &v.kind else { panic!("{v:?}") };
    let ExprKind::If { body, .. } = &body.kind else { panic!("{body:?}") };
    assert_eq!(get(body, "name").kind, ExprKind::Expression);
    let v = one(&format!("{HEAD}if (env == 'prod') {{\n  name: 'n'\n}}"));
    assert!(matches!(v.kind, ExprKind::If { .. }));
    let file = parse(&format!("{}existing = {{\n  name: 'n'\n}}\n", HEAD.trim_end_matches("= "))).unwrap();
    assert!(file.resources[0].existing);
    let file = parse(
        "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'sa'\n  resource blob 'blobServices' = {\n    name: 'default'\n  }\n}\n",
    )
    .unwrap();
    assert_eq!(file.resources.len(), 2);
}

#[test]
fn spreads_are_items() {
    let v = one(&format!("{HEAD}{{\n  ...base\n  name: 'n'\n}}"));
    let ExprKind::Object(items) = &v.kind else { panic!() };
    assert!(matches!(&items[0], Item::Spread(e) if e.kind == ExprKind::Expression));
}

#[test]
fn errors_say_what_and_where() {
    let cases: &[(&str, &str, &str)] = &[
        ("resource r 'T@1' = {\n  a: 'x'\n", "`{` is never closed", ""),
        ("resource r 'T@1' = {\n  a: 'x\n}", "`'` is never closed", "\n"),
        ("resource r 'T@1' = {\n  a: 'x\\q'\n}", "invalid escape `\\q` in a string", "\\q"),
        ("resource r 'T@1' = {\n  a: '\\u{110000}'\n}", "invalid unicode escape `\\u{110000}`", "\\u{110000}"),
        ("resource r 'T@1' = {\n  a 'x'\n}", "expected `:`, found `'`", "'"),
        ("resource r 'T@1' = {\n  a: 'x' 'y'\n}", "after the value, found `'`", "'"),
        ("resource r 'T@1' = {\n  a: (1]\n}", "unexpected `]`: `(` is still open", "]"),
        ("resource r 'T@1' = {\n  a: 1\n}}", "expected a line break, found `}`", "}"),
        ("resource r T = {}", "expected the resource type string", "T"),
        ("resource r 'T@1' {}", "expected `=`, found `{`", "{"),
        ("resource r 'T@${x}' = {}", "the resource type cannot be interpolated", "'T@${x}'"),
        ("resource r 'T@1' = {} x", "after the value, found `x`", "x"),
        ("{\"json\": true}", "unexpected `{`", "{"),
        ("frobnicate x = 1", "unknown declaration `frobnicate`", "frobnicate"),
        ("var x = '''never closed", "`'''` is never closed", ""),
        ("var x = 1 /* never closed", "`/*` is never closed", ""),
        ("var x = 'a${b\n}'", "cannot span lines", "\n"),
    ];
    for (text, message, at) in cases {
        let e = err(text);
        assert!(e.message.contains(message), "{text:?}: {e:?}");
        assert_eq!(&text[e.span.start..e.span.end], *at, "{text:?}: {e:?}");
    }
    // An unclosed bracket names where it opened.
    let e = err("var x = [\n  1\n");
    assert_eq!(e.opened.map(|s| s.start), Some(8));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["[", "{a:", "(", "'${"] {
        let text = format!("{HEAD}{}", open.repeat(100_000));
        let e = err(&text);
        assert!(e.message.contains("nesting deeper than"), "{open}: {e:?}");
    }
    // Within the limit, nesting parses (and converts within the JSON tree's own limit).
    let depth = MAX_DEPTH - 2;
    let text = format!("{HEAD}{{\n  a: {}{}\n}}", "[".repeat(depth), "]".repeat(depth));
    one(&text);
    converted("deep.bicep", text.as_bytes());
}

#[test]
fn conversion_builds_the_template_shape_with_spans_into_the_text() {
    let text = format!(
        "{HEAD}{{\n  name: guid('r')\n  properties: {{ roleName: 'x', permissions: [{{ actions: ['a/b/read'] }}] }}\n}}\n"
    );
    let front = converted("r.bicep", text.as_bytes());
    assert!(front.pointer_root.is_none());
    let root = front.template;
    assert!(front.notes.is_empty(), "{:?}", front.notes);
    let resources = root.get("resources").unwrap().as_array().unwrap();
    let r = &resources[0];
    assert_eq!(r.get("type").unwrap().as_str(), Some("Microsoft.Authorization/roleDefinitions"));
    assert_eq!(r.get("apiVersion").unwrap().as_str(), Some("2022-04-01"));
    assert_eq!(r.get("name").unwrap().as_str(), Some("[guid('r')]"));
    let action = &r.get("properties").unwrap().get("permissions").unwrap().as_array().unwrap()[0]
        .get("actions")
        .unwrap()
        .as_array()
        .unwrap()[0];
    assert_eq!(action.as_str(), Some("a/b/read"));
    assert_eq!(&text[action.span.start..action.span.end], "'a/b/read'");
}

#[test]
fn a_file_without_role_definitions_is_one_warning() {
    let front =
        converted("st.bicep", b"resource st 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'st'\n}\n");
    assert_eq!(front.notes.len(), 1);
    assert_eq!(front.notes[0].code.id, "RL021");
    assert!(front.notes[0].message.contains("declares no role definition"), "{:?}", front.notes[0]);
}

#[test]
fn invalid_utf8_points_at_the_byte() {
    let Parsed::Failed(d) = read("bad.bicep", b"var x = '\xff'\n").parsed else { panic!("not refused") };
    assert_eq!(d.code.id, "RL000");
    assert!(d.message.contains("`0xff`"), "{d:?}");
    assert_eq!(d.span.map(|s| s.start), Some(9));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let front = read("x.bicep", &bytes);
        if let Parsed::Failed(d) = &front.parsed {
            // A failure is located inside (or at the end of) the file.
            let span = d.span.expect("a located error");
            prop_assert!(span.end <= front.source.text().len() + 3);
        }
    }

    #[test]
    fn bicep_like_text_never_panics(text in r"(resource r 'Microsoft.Authorization/roleDefinitions@1' = |[{}\[\]()',:\n ?=.$@/*\\]|a|if|for|in|'''|\$\{|//|/\*|\*/){0,64}") {
        let front = read("x.bicep", text.as_bytes());
        if let Parsed::Failed(d) = &front.parsed {
            let span = d.span.expect("a located error");
            prop_assert!(span.end <= text.len() + 1, "{:?} {:?}", span, text);
        }
    }
}
