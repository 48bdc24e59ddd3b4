//! The action matcher against a slow reference.
//!
//! The input is split at its first 0 byte into a pattern and an operation, both UTF-8 and at most 64 characters
//! (other inputs are skipped). Asserts that `Pattern::new(pattern).matches(op)` agrees with [`reference`].

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegate::matcher::Pattern;

/// Longer inputs add nothing the matcher's loops would not see at this length, and keep the reference fast.
const MAX_CHARS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Some(zero) = data.iter().position(|&b| b == 0) else { return };
    let (Ok(pattern), Ok(op)) = (std::str::from_utf8(&data[..zero]), std::str::from_utf8(&data[zero + 1..])) else {
        return;
    };
    if pattern.chars().count() > MAX_CHARS || op.chars().count() > MAX_CHARS {
        return;
    }
    let expected = reference(pattern, op);
    let compiled = Pattern::new(pattern);
    assert_eq!(compiled.matches(op), expected, "pattern {pattern:?} on {op:?}");
    assert_eq!(rolegate::matcher::matches(pattern, op), expected, "matches() on {pattern:?}, {op:?}");
});

/// semantics §2.4 written as directly as possible: the pattern matches if some pattern obtained by rewriting any of
/// its `/*/` to `/` matches as a plain anchored glob (`*` = any run of characters, `/` included), comparing
/// characters with ASCII case folding only.
///
/// Enumerating the rewritten patterns is exponential in the number of `/*/`, so this glob explores them all at
/// once instead: at a `*` whose neighbours in the original pattern are both `/`, it may also skip the star and
/// the `/` after it, which is exactly one rewrite. Rewriting never changes whether another star sits between two
/// `/` (the `/` it removes is replaced as a neighbour by the `/` before the star), so looking at the original
/// pattern's neighbours is the same as looking at the rewritten one's. Memoised over (pattern position,
/// operation position), so at most cubic in the (bounded) length.
fn reference(pattern: &str, op: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let o: Vec<char> = op.chars().collect();
    let mut memo = vec![None; (p.len() + 1) * (o.len() + 1)];
    glob(&p, &o, 0, 0, &mut memo)
}

fn glob(p: &[char], o: &[char], i: usize, j: usize, memo: &mut [Option<bool>]) -> bool {
    let key = i * (o.len() + 1) + j;
    if let Some(known) = memo[key] {
        return known;
    }
    let result = match p.get(i) {
        None => j == o.len(),
        Some('*') => {
            let collapsible = i > 0 && p[i - 1] == '/' && p.get(i + 1) == Some(&'/');
            // Either (for `/*/` only) drop the star and the `/` after it, or let the star match `o[j..k]` for some
            // `k`. The drop must not follow characters the star already matched, hence no "stay on the star" step.
            (collapsible && glob(p, o, i + 2, j, memo)) || (j..=o.len()).any(|k| glob(p, o, i + 1, k, memo))
        }
        Some(&c) => o.get(j).is_some_and(|&d| c.eq_ignore_ascii_case(&d)) && glob(p, o, i + 1, j + 1, memo),
    };
    memo[key] = Some(result);
    result
}
