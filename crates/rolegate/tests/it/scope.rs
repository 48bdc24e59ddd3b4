//! Scope parsing, normalisation, classification and ancestry (semantics §2.3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use proptest::prelude::*;
use rolegate::diag::Span;
use rolegate::internals::scope::{Canonical, MAX_SEGMENTS, canonical_segments, is_canonical_scope};
use rolegate::scope::{
    Normalization, ParsedScope, Scope, ScopeError, ScopeKind, ScopeProblem, ScopeValue, classify_scope, parse_scope,
};

/// Where the reference data lives, relative to the crate's manifest directory.
const DATA_DIR: &str = "../../roles";

use Normalization::{AddedLeadingSlash as Lead, CollapsedDoubleSlash as Double, RemovedTrailingSlash as Trail};
use ScopeKind::{Extension, ManagementGroup, Provider, Resource, ResourceGroup, Root, Subscription};

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001";

fn scope(s: &str) -> Scope {
    parse_scope(s).unwrap_or_else(|e| panic!("{s:?}: {e} at {}", e.at)).scope
}

/// Parses `input` and checks the normalised text, the kind and the normalisations.
#[track_caller]
fn check(input: &str, text: &str, kind: ScopeKind, normalized: &[Normalization]) {
    let ParsedScope { scope, normalized: got } =
        parse_scope(input).unwrap_or_else(|e| panic!("{input:?}: {e} at {}", e.at));
    assert_eq!(scope.as_str(), text, "{input:?}");
    assert_eq!(scope.to_string(), text, "{input:?}");
    assert_eq!(scope.kind(), kind, "{input:?}");
    assert_eq!(got, normalized, "{input:?}");
}

/// Checks that `input` is rejected with `problem` at bytes `at`.
#[track_caller]
fn reject(input: &str, problem: ScopeProblem, at: std::ops::Range<usize>) {
    let err = parse_scope(input).map(|p| p.scope.to_string()).unwrap_err();
    assert_eq!(err, ScopeError { problem, at: Span::new(at.start, at.end) }, "{input:?}");
    assert!(input.get(at).is_some(), "range must fall on character boundaries");
    assert_eq!(classify_scope(input), ScopeValue::Malformed(err));
}

#[test]
fn the_forms() {
    check("/", "/", Root, &[]);
    check(
        "/providers/Microsoft.Management/managementGroups/mg1",
        "/providers/Microsoft.Management/managementGroups/mg1",
        ManagementGroup,
        &[],
    );
    check(SUB, SUB, Subscription, &[]);
    check(&format!("{SUB}/resourceGroups/rg1"), &format!("{SUB}/resourceGroups/rg1"), ResourceGroup, &[]);
    let vm = format!("{SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1");
    check(&vm, &vm, Resource, &[]);
    let child = format!("{SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s");
    check(&child, &child, Resource, &[]);
    check("/providers/Microsoft.Capacity", "/providers/Microsoft.Capacity", Provider, &[]);
    check(&format!("{SUB}/providers/Microsoft.Web"), &format!("{SUB}/providers/Microsoft.Web"), Provider, &[]);
    check(
        "/providers/Microsoft.Capacity/reservationOrders/o1",
        "/providers/Microsoft.Capacity/reservationOrders/o1",
        Resource,
        &[],
    );
    check("/providers/Microsoft.Management", "/providers/Microsoft.Management", Provider, &[]);
}

#[test]
fn extension_scopes() {
    let ra = format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/r1"
    );
    check(&ra, &ra, Extension, &[]);
    let mg_ra =
        "/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/roleAssignments/r1";
    check(mg_ra, mg_ra, Extension, &[]);
    assert_eq!(scope(mg_ra).management_group(), Some("mg"));
    // On a subscription or resource group an extension is just a resource of that container.
    let sub_ra = format!("{SUB}/providers/Microsoft.Authorization/roleAssignments/r1");
    check(&sub_ra, &sub_ra, Resource, &[]);
}

#[test]
fn below_a_resource_and_odd_segment_counts() {
    let blob = format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c/blobs/dir/file.txt"
    );
    check(&blob, &blob, Resource, &[]);
    let odd = format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c/x"
    );
    check(&odd, &odd, Resource, &[]);
    let collection = format!("{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts");
    check(&collection, &collection, Resource, &[]);
    check(
        "/providers/Microsoft.Management/managementGroups",
        "/providers/Microsoft.Management/managementGroups",
        Resource,
        &[],
    );
    let mg_sub = "/providers/Microsoft.Management/managementGroups/mg/subscriptions/s";
    check(mg_sub, mg_sub, Resource, &[]);
    assert_eq!(scope(mg_sub).management_group(), Some("mg"));
    assert_eq!(scope(mg_sub).subscription(), None);
}

#[test]
fn keywords_in_any_case() {
    check("/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg", "/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg", ResourceGroup, &[]);
    check("/subscriptions/s/resourcegroups/rg", "/subscriptions/s/resourcegroups/rg", ResourceGroup, &[]);
    check(
        "/providers/microsoft.management/managementgroups/m",
        "/providers/microsoft.management/managementgroups/m",
        ManagementGroup,
        &[],
    );
    check(
        "/Providers/MICROSOFT.MANAGEMENT/ManagementGroups/m",
        "/Providers/MICROSOFT.MANAGEMENT/ManagementGroups/m",
        ManagementGroup,
        &[],
    );
    check(
        "/subscriptions/s/PROVIDERS/Microsoft.Web/sites/w",
        "/subscriptions/s/PROVIDERS/Microsoft.Web/sites/w",
        Resource,
        &[],
    );
    assert_eq!(scope("/subscriptions/S1/resourcegroups/RG").resource_group(), Some("RG"));
}

#[test]
fn normalisations() {
    check("subscriptions/s", "/subscriptions/s", Subscription, &[Lead]);
    check("/subscriptions/s/", "/subscriptions/s", Subscription, &[Trail]);
    check("/subscriptions//s", "/subscriptions/s", Subscription, &[Double]);
    check("//subscriptions/s", "/subscriptions/s", Subscription, &[Double]);
    check(
        "subscriptions/s//resourceGroups///rg//",
        "/subscriptions/s/resourceGroups/rg",
        ResourceGroup,
        &[Lead, Double, Trail],
    );
    check("subscriptions/s/", "/subscriptions/s", Subscription, &[Lead, Trail]);
    check("//", "/", Root, &[Double]);
    check("///", "/", Root, &[Double]);
}

#[test]
fn errors_with_ranges() {
    reject("", ScopeProblem::Empty, 0..0);
    reject("/subscriptions/./x", ScopeProblem::DotSegment, 15..16);
    reject("/subscriptions/s/..", ScopeProblem::DotSegment, 17..19);
    reject("..", ScopeProblem::DotSegment, 0..2);
    reject("/subscriptions/ s", ScopeProblem::Whitespace, 15..16);
    reject("/subscriptions/s ", ScopeProblem::Whitespace, 16..17);
    reject(" /", ScopeProblem::Whitespace, 0..1);
    reject("/subscriptions/s\t", ScopeProblem::Whitespace, 16..17);
    reject("/subscriptions/s\u{a0}", ScopeProblem::Whitespace, 16..18);
    reject("/subscriptions/s\n", ScopeProblem::ControlCharacter, 16..17);
    reject("/subscriptions/\u{0}", ScopeProblem::ControlCharacter, 15..16);
    reject("/subscriptions/é\u{7f}", ScopeProblem::ControlCharacter, 17..18);
    reject("/subscriptions/s\u{200b}", ScopeProblem::ControlCharacter, 16..19);
    let reserved = |c: char| ScopeProblem::ReservedCharacter { character: c };
    reject("/subscriptions/s/resourceGroups/r%67", reserved('%'), 33..34);
    reject("/subscriptions/s/resourceGroups/rg%20", reserved('%'), 34..35);
    reject("/subscriptions/s/resourceGroups/rg?x=1", reserved('?'), 34..35);
    reject("/subscriptions/s/resourceGroups/rg#f", reserved('#'), 34..35);
    reject("/subscriptions/s/resourceGroups/rg\\providers", reserved('\\'), 34..35);
    reject("%2Fsubscriptions/s", reserved('%'), 0..1);
    // The first offending character is named, whatever its kind.
    reject("/subscriptions/s%/ x", reserved('%'), 16..17);
    reject("/subscriptions/s /%", ScopeProblem::Whitespace, 16..17);
    // Placed before the structure and dot-segment checks, as the other character checks are.
    reject("/foo/../%", reserved('%'), 8..9);
    reject("/subscriptions", ScopeProblem::MissingName { keyword: "subscriptions" }, 1..14);
    reject("/subscriptions/s/resourceGroups/", ScopeProblem::MissingName { keyword: "resourceGroups" }, 17..31);
    reject("/providers", ScopeProblem::MissingName { keyword: "providers" }, 1..10);
    reject("/subscriptions/s/resourceGroups/rg/providers", ScopeProblem::MissingName { keyword: "providers" }, 35..44);
    reject("/foo", ScopeProblem::UnexpectedSegment { expected: "`subscriptions` or `providers`" }, 1..4);
    reject("/resourceGroups/rg", ScopeProblem::UnexpectedSegment { expected: "`subscriptions` or `providers`" }, 1..15);
    reject(
        "/subscriptions/s/foo/x",
        ScopeProblem::UnexpectedSegment { expected: "`resourceGroups` or `providers`" },
        17..20,
    );
    reject("/subscriptions/s/resourceGroups/rg/x", ScopeProblem::UnexpectedSegment { expected: "`providers`" }, 35..36);
    reject(
        "/subscriptions/s/subscriptions/t",
        ScopeProblem::UnexpectedSegment { expected: "`resourceGroups` or `providers`" },
        17..30,
    );
}

#[test]
fn error_messages_are_lower_case() {
    for input in ["", " ", "\u{1}", ".", "/subscriptions", "/foo", "/%"] {
        let msg = parse_scope(input).unwrap_err().to_string();
        assert!(msg.starts_with(|c: char| c.is_ascii_lowercase() || c == '`'), "{msg}");
    }
}

/// What ARM bars from names but no parser reads as anything else stays part of the name: only the bytes that
/// make Azure read another scope are refused.
#[test]
fn other_punctuation_is_part_of_a_name() {
    for s in [
        "/subscriptions/s/resourceGroups/a:b",
        "/subscriptions/s/resourceGroups/a&b",
        "/subscriptions/s/resourceGroups/a<b>",
    ] {
        check(s, s, ResourceGroup, &[]);
        assert!(is_canonical_scope(s), "{s}");
    }
}

#[test]
fn dots_inside_names_are_fine() {
    check("/subscriptions/s/resourceGroups/my.rg", "/subscriptions/s/resourceGroups/my.rg", ResourceGroup, &[]);
    check("/subscriptions/s/resourceGroups/...", "/subscriptions/s/resourceGroups/...", ResourceGroup, &[]);
}

#[test]
fn segment_wise_ancestry() {
    let rg1 = scope("/subscriptions/s/resourceGroups/rg1");
    let rg10 = scope("/subscriptions/s/resourceGroups/rg10");
    assert!(!rg1.is_ancestor_or_self_of(&rg10));
    assert!(!rg10.is_ancestor_or_self_of(&rg1));
    assert!(rg1.is_ancestor_or_self_of(&rg1));
    assert!(rg1.is_ancestor_or_self_of(&scope("/SUBSCRIPTIONS/S/resourcegroups/RG1/providers/Microsoft.Web/sites/w")));
    assert!(!scope("/subscriptions/s1").is_ancestor_or_self_of(&scope("/subscriptions/s10")));
    let root = Scope::root();
    for s in
        ["/", "/subscriptions/s", "/providers/Microsoft.Capacity", "/providers/Microsoft.Management/managementGroups/m"]
    {
        assert!(root.is_ancestor_or_self_of(&scope(s)), "{s}");
    }
    assert!(!rg1.is_ancestor_or_self_of(&root));
    assert!(!scope("/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Web/sites/w").is_ancestor_or_self_of(&rg1));
    let vm = scope("/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm");
    let ext = scope(
        "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.Authorization/roleAssignments/x",
    );
    assert!(vm.is_ancestor_or_self_of(&ext));
    assert!(
        !scope("/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1")
            .is_ancestor_or_self_of(&ext)
    );
}

#[test]
fn equality_and_hash_ignore_ascii_case() {
    use std::collections::HashSet;
    let a = scope("/subscriptions/S/resourceGroups/RG");
    let b = scope("subscriptions/s/RESOURCEGROUPS/rg/");
    assert_eq!(a, b);
    assert_eq!(HashSet::from([a.clone(), b.clone()]).len(), 1);
    assert_eq!(a.as_str(), "/subscriptions/S/resourceGroups/RG");
    assert_eq!(b.as_str(), "/subscriptions/s/RESOURCEGROUPS/rg");
    assert_ne!(scope("/subscriptions/K"), scope("/subscriptions/\u{212a}"));
    assert_eq!(Scope::root(), scope("/"));
}

#[test]
fn accessors() {
    let s = scope("/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/sa");
    assert_eq!(s.subscription(), Some("S1"));
    assert_eq!(s.resource_group(), Some("RG"));
    assert_eq!(s.management_group(), None);
    assert_eq!(s.provider_namespace(), Some("Microsoft.Storage"));
    assert_eq!(
        s.segments().collect::<Vec<_>>(),
        ["subscriptions", "S1", "resourceGroups", "RG", "providers", "Microsoft.Storage", "storageAccounts", "sa"]
    );
    assert_eq!(Scope::root().segments().count(), 0);
    assert_eq!(scope("/providers/Microsoft.Management/managementGroups/Contoso").management_group(), Some("Contoso"));
    assert_eq!(scope("/subscriptions/s").resource_group(), None);
}

#[track_caller]
fn chain(input: &str, expected: &[&str]) {
    let got: Vec<String> = scope(input).ancestors().map(|s| s.to_string()).collect();
    assert_eq!(got, expected, "{input:?}");
    let s = scope(input);
    for a in s.ancestors() {
        assert!(a.is_ancestor_or_self_of(&s), "{a} should be an ancestor of {s}");
    }
}

#[test]
fn parents() {
    assert_eq!(Scope::root().parent(), None);
    chain(
        "/providers/Microsoft.Management/managementGroups/m",
        &["/providers/Microsoft.Management/managementGroups/m", "/"],
    );
    chain("/subscriptions/s/resourceGroups/rg", &["/subscriptions/s/resourceGroups/rg", "/subscriptions/s", "/"]);
    chain(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/n",
        &[
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/n",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network",
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s",
            "/",
        ],
    );
    chain(
        "/providers/Microsoft.Capacity/reservationOrders/o/reservations/r",
        &[
            "/providers/Microsoft.Capacity/reservationOrders/o/reservations/r",
            "/providers/Microsoft.Capacity/reservationOrders/o",
            "/providers/Microsoft.Capacity",
            "/",
        ],
    );
    chain(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c/blobs/a/b",
        &[
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c/blobs/a/b",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c/blobs/a",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage",
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s",
            "/",
        ],
    );
    chain(
        "/providers/Microsoft.Management/managementGroups/m/providers/Microsoft.Authorization/roleAssignments/x",
        &[
            "/providers/Microsoft.Management/managementGroups/m/providers/Microsoft.Authorization/roleAssignments/x",
            "/providers/Microsoft.Management/managementGroups/m/providers/Microsoft.Authorization",
            "/providers/Microsoft.Management/managementGroups/m",
            "/",
        ],
    );
    chain(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
        &[
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage",
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s",
            "/",
        ],
    );
}

#[test]
fn templates_and_placeholders() {
    assert_eq!(classify_scope("[subscription().id]"), ScopeValue::Template);
    assert_eq!(classify_scope("[concat('/subscriptions/', parameters('s'))]"), ScopeValue::Template);
    assert!(matches!(classify_scope("[[subscription().id]"), ScopeValue::Malformed(_)));
    assert!(matches!(classify_scope("["), ScopeValue::Malformed(_)));
    let ph = |s: &str| match classify_scope(s) {
        ScopeValue::Placeholder { at } => s[at.start..at.end].to_owned(),
        other => panic!("{s:?}: {other:?}"),
    };
    assert_eq!(ph("/subscriptions/<subscriptionId>"), "<subscriptionId>");
    assert_eq!(ph("/subscriptions/{subscriptionId}/resourceGroups/{rg}"), "{subscriptionId}");
    assert_eq!(ph("/providers/Microsoft.Management/managementGroups/{groupId1}"), "{groupId1}");
    assert_eq!(ph("/subscriptions/<your subscription id>"), "<your subscription id>");
    assert_eq!(ph("subscriptions/${SUBSCRIPTION_ID}"), "${SUBSCRIPTION_ID}");
    assert_eq!(ph("/subscriptions/$(subscriptionId)"), "$(subscriptionId)");
    assert_eq!(ph("/subscriptions/s/resourceGroups/<rg>"), "<rg>");
    let form = |s: &str| rolegate::scope::find_placeholder(s).map(|p| (p.text.to_owned(), p.form, p.after.to_owned()));
    use rolegate::scope::PlaceholderForm as F;
    for (scope, segment, f) in [
        ("/subscriptions/$subscriptionID", "$subscriptionID", F::Dollar),
        ("/subscriptions/$SUBSCRIPTION_ID", "$SUBSCRIPTION_ID", F::Dollar),
        ("/subscriptions/SUBSCRIPTION_ID", "SUBSCRIPTION_ID", F::AllCaps),
        ("/subscriptions/SUBSCRIPTIONID", "SUBSCRIPTIONID", F::AllCaps),
        ("/subscriptions/YOUR-SUBSCRIPTION-ID", "YOUR-SUBSCRIPTION-ID", F::Your),
        ("/subscriptions/s/resourceGroups/your_rg", "your_rg", F::Your),
        ("/subscriptions/s/resourceGroups/yourResourceGroup", "yourResourceGroup", F::Your),
        ("/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", F::GuidPattern),
        ("/subscriptions/{{ subscription_id }}", "{{ subscription_id }}", F::DoubleBrace),
        ("/subscriptions/${SUB}", "${SUB}", F::DollarBrace),
        ("/subscriptions/{sub}", "{sub}", F::Brace),
        ("/subscriptions/<sub>", "<sub>", F::Angle),
        ("/subscriptions/$(sub)", "$(sub)", F::DollarParen),
    ] {
        let after = if scope.contains("resourceGroups") { "resourceGroups" } else { "subscriptions" };
        assert_eq!(form(scope), Some((segment.to_owned(), f, after.to_owned())), "{scope}");
        assert_eq!(ph(scope), segment, "{scope}");
    }
    // Names that are fine where they stand: all capitals outside the subscription id, short or lower-case ids,
    // words that merely start with "your".
    for fine in [
        "/subscriptions/S1",
        "/subscriptions/READ",
        "/subscriptions/sub-1/resourceGroups/RG_PROD",
        "/subscriptions/s/resourceGroups/yourself",
        "/subscriptions/s/resourceGroups/Yours",
        "/subscriptions/00000000-0000-0000-0000-000000000000",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/$web",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/your-app",
    ] {
        assert!(matches!(classify_scope(fine), ScopeValue::Parsed(_)), "{fine}");
    }
    assert!(matches!(classify_scope("/subscriptions/{}"), ScopeValue::Parsed(_)));
    assert!(matches!(classify_scope("/subscriptions/s"), ScopeValue::Parsed(_)));
    assert!(matches!(classify_scope("/subscriptions/a{b}"), ScopeValue::Parsed(_)));
    assert!(matches!(classify_scope("/subscriptions/s/.."), ScopeValue::Malformed(_)));
}

#[test]
fn every_builtin_assignable_scope_parses() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DATA_DIR).join("builtin-roles.json");
    let roles: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut count = 0;
    for role in roles.as_array().unwrap() {
        for s in role["assignableScopes"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            let ScopeValue::Parsed(parsed) = classify_scope(s) else { panic!("{s:?}") };
            assert!(parsed.normalized.is_empty(), "{s:?}");
            count += 1;
        }
    }
    assert!(count >= 928);
}

/// Generated scopes share segments and casing so that ancestry holds often.
fn scope_segments() -> impl Strategy<Value = Vec<String>> {
    let pick = |xs: &'static [&'static str]| prop::sample::select(xs).prop_map(str::to_owned);
    let sub = (pick(&["subscriptions", "SUBSCRIPTIONS", "Subscriptions"]), pick(&["s1", "S1", "s10"]));
    let rg = prop::option::of((pick(&["resourceGroups", "resourcegroups"]), pick(&["rg1", "RG1", "rg10", "rg"])));
    let ns = prop::option::of((
        pick(&["providers", "Providers"]),
        pick(&["Microsoft.Web", "microsoft.web", "Microsoft.Webx"]),
    ));
    let path = prop::collection::vec(pick(&["sites", "SITES", "w", "w1", "providers", "x"]), 0..4);
    let container = prop_oneof![
        1 => Just(Vec::new()),
        1 => pick(&["m", "M", "m1"]).prop_map(|m| vec!["providers".into(), "Microsoft.Management".into(), "managementGroups".into(), m]),
        4 => (sub, rg).prop_map(|((a, b), rg)| {
            let mut v = vec![a, b];
            if let Some((c, d)) = rg {
                v.extend([c, d]);
            }
            v
        }),
    ];
    (container, ns, path).prop_map(|(mut v, ns, path)| {
        if let Some((p, n)) = ns {
            v.extend([p, n]);
            v.extend(path);
        }
        v
    })
}

fn build(segments: &[String]) -> String {
    format!("/{}", segments.join("/"))
}

fn reference_is_ancestor_or_self(a: &[String], b: &[String]) -> bool {
    let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>();
    lower(b).starts_with(&lower(a))
}

/// A pair of scopes, the second often an extension or case variant of the first.
fn scope_pair() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    let related = (scope_segments(), 0usize..12, any::<bool>()).prop_map(|(b, cut, upper)| {
        let mut a: Vec<String> = b.iter().take(cut).cloned().collect();
        if upper {
            a = a.iter().map(|s| s.to_ascii_uppercase()).collect();
        }
        (a, b)
    });
    prop_oneof![1 => (scope_segments(), scope_segments()), 2 => related]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn ancestry_agrees_with_reference((a, b) in scope_pair()) {
        let (sa, sb) = (build(&a), build(&b));
        // A prefix cut can land on a keyword without its name; such scopes are rejected, not compared.
        if let (Ok(pa), Ok(pb)) = (parse_scope(&sa), parse_scope(&sb)) {
            prop_assert_eq!(pa.scope.is_ancestor_or_self_of(&pb.scope), reference_is_ancestor_or_self(&a, &b), "{} vs {}", sa, sb);
            prop_assert_eq!(pa.scope == pb.scope, reference_is_ancestor_or_self(&a, &b) && reference_is_ancestor_or_self(&b, &a));
        }
    }

    #[test]
    fn parse_display_roundtrip(b in scope_segments()) {
        let s = scope(&build(&b));
        let again = scope(s.as_str());
        prop_assert_eq!(again.as_str(), s.as_str());
        prop_assert_eq!(again.kind(), s.kind());
        for p in s.ancestors() {
            prop_assert!(p.is_ancestor_or_self_of(&s));
        }
    }

    /// The check path's word-at-a-time validator agrees with the parser on near-scopes: keywords in any case,
    /// doubled and trailing slashes, dot segments, spaces, controls, non-ASCII and Unicode whitespace, at every
    /// offset within an eight-byte word.
    #[test]
    fn fast_canonical_check_agrees_with_the_parser(
        parts in prop::collection::vec(prop_oneof![
            Just("subscriptions"), Just("SUBSCRIPTIONS"), Just("resourceGroups"), Just("providers"),
            Just("Microsoft.Management"), Just("managementGroups"), Just("Microsoft.Compute"), Just("vm"),
            Just("s1"), Just("."), Just(".."), Just(""), Just("a b"), Just("x\u{7f}"), Just("é"), Just("\u{a0}"),
            Just("\t"), Just("ab~!"), Just("1234567"), Just("r%67"), Just("x?y=1"), Just("#f"), Just("a\\b"),
            Just("a:b&c")
        ], 0..12),
        lead in prop::bool::ANY,
        trail in prop::bool::ANY,
    ) {
        let mut raw = parts.join("/");
        if lead { raw.insert(0, '/'); }
        if trail { raw.push('/'); }
        let expected = parse_scope(&raw).is_ok_and(|p| p.normalized.is_empty());
        prop_assert_eq!(is_canonical_scope(&raw), expected, "{:?}", raw);
        let mut segs = [""; MAX_SEGMENTS];
        if let Canonical::Segments(n) = canonical_segments(&raw, &mut segs) {
            let want: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
            prop_assert_eq!(&segs[..n], &want[..]);
        }
    }
}

#[test]
fn canonical_segments_of_deep_and_edge_scopes() {
    let mut segs = [""; MAX_SEGMENTS];
    assert_eq!(canonical_segments("/", &mut segs), Canonical::Segments(0));
    assert_eq!(canonical_segments("", &mut segs), Canonical::No);
    assert_eq!(canonical_segments("subscriptions/s1", &mut segs), Canonical::No);
    let deep = format!("{SUB}/providers/Microsoft.X{}", "/t/n".repeat(40));
    assert_eq!(canonical_segments(&deep, &mut segs), Canonical::TooDeep);
    assert!(is_canonical_scope(&deep));
    assert!(!is_canonical_scope(&format!("{deep}/")));
}
