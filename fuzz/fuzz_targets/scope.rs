//! Arbitrary UTF-8 into the scope parser.
//!
//! Asserts: `parse_scope` never panics; a parsed scope's normalised text parses again to the same scope (same
//! text exactly, same kind, same segments) with no normalisation; and every scope on its `ancestors()` chain is
//! a segment-wise ancestor of it (`is_ancestor_or_self_of`), strictly shallower than the one before it, and is
//! itself a canonical scope (its text parses to itself with no normalisation).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegate::scope::{Scope, parse_scope};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let _ = rolegate::scope::classify_scope(raw);
    let Ok(parsed) = parse_scope(raw) else { return };
    let scope = &parsed.scope;
    assert_canonical(scope);

    let mut previous: Option<Scope> = None;
    for (n, ancestor) in scope.ancestors().enumerate() {
        assert!(n <= scope.depth(), "ancestor chain of {:?} is longer than its depth", scope.as_str());
        assert!(
            ancestor.is_ancestor_or_self_of(scope),
            "{:?} is on the chain of {:?} but not its ancestor",
            ancestor.as_str(),
            scope.as_str()
        );
        match &previous {
            None => assert_eq!(&ancestor, scope, "the chain starts with the scope itself"),
            Some(p) => assert!(ancestor.depth() < p.depth(), "{:?} is not above {:?}", ancestor.as_str(), p.as_str()),
        }
        assert_canonical(&ancestor);
        previous = Some(ancestor);
    }
});

/// The scope's text reads back as exactly this scope, with nothing to normalise.
fn assert_canonical(scope: &Scope) {
    let again = parse_scope(scope.as_str())
        .unwrap_or_else(|e| panic!("normalised scope {:?} does not parse: {e}", scope.as_str()));
    assert!(again.normalized.is_empty(), "{:?} is normalised again: {:?}", scope.as_str(), again.normalized);
    assert_eq!(again.scope.as_str(), scope.as_str());
    assert_eq!(&again.scope, scope);
    assert_eq!(again.scope.kind(), scope.kind());
    assert!(again.scope.segments().eq(scope.segments()), "segments of {:?} differ", scope.as_str());
}
