//! A deliberately plain reference for the action matcher (semantics §2.4), written differently from production so
//! that agreement tests mean something.
//!
//! Semantics: a `/*/` may stand for a single `/`. So first build every pattern reachable by rewriting `/*/` to
//! `/` any number of times, then try each of them as a plain glob (`*` = any run of characters) over `char`s,
//! comparing with `char::to_ascii_lowercase`. Exponential in the number of stars; fine for tests.

// Test support: a bad index is a test bug and should panic loudly. Lower-casing both sides is spelled out on
// purpose, so that the reference does not share `eq_ignore_ascii_case` with production.
#![allow(clippy::indexing_slicing, clippy::manual_ignore_case_cmp)]

use std::collections::BTreeSet;

/// Whether `pattern` matches `op` according to the reference semantics.
pub fn reference_matches(pattern: &str, op: &str) -> bool {
    let op: Vec<char> = op.chars().collect();
    collapsed_variants(pattern).iter().any(|variant| {
        let variant: Vec<char> = variant.chars().collect();
        glob(&variant, &op)
    })
}

/// Every pattern obtainable by rewriting any `/*/` to `/`, repeatedly, including the pattern itself.
fn collapsed_variants(pattern: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![pattern.to_owned()];
    while let Some(current) = todo.pop() {
        if !seen.insert(current.clone()) {
            continue;
        }
        // Every occurrence, overlapping ones included (`/*/*/` has two).
        let occurrences = (0..current.len()).filter(|&at| current.as_bytes()[at..].starts_with(b"/*/"));
        for at in occurrences {
            let mut rewritten = String::new();
            rewritten.push_str(&current[..at]);
            rewritten.push('/');
            rewritten.push_str(&current[at + 3..]);
            todo.push(rewritten);
        }
    }
    seen
}

/// Naive recursive glob: `*` matches any run of characters, everything else one character up to ASCII case.
fn glob(pattern: &[char], op: &[char]) -> bool {
    match pattern.split_first() {
        None => op.is_empty(),
        Some(('*', rest)) => (0..=op.len()).any(|skip| glob(rest, &op[skip..])),
        Some((p, rest)) => match op.split_first() {
            Some((o, op_rest)) => p.to_ascii_lowercase() == o.to_ascii_lowercase() && glob(rest, op_rest),
            None => false,
        },
    }
}
