//! Canonical scopes without allocating: what the engine's check path takes as a request scope (semantics §2.3).

use super::{CharClass, classify, classify_char, is_reserved_char, parse_scope};

/// Whether `raw` is a scope in canonical form: [`parse_scope`] accepts it with no normalisation. Allocation-free
/// for scopes of up to [`MAX_SEGMENTS`] segments, for the engine's check path.
pub fn is_canonical_scope(raw: &str) -> bool {
    let mut segs = [""; MAX_SEGMENTS];
    match canonical_segments(raw, &mut segs) {
        Canonical::Segments(_) => true,
        Canonical::No => false,
        // Deeper than any real scope: take the allocating path rather than guess.
        Canonical::TooDeep => parse_scope(raw).is_ok_and(|p| p.normalized.is_empty()),
    }
}

/// How many segments [`canonical_segments`] splits a scope into at most.
pub const MAX_SEGMENTS: usize = 32;

/// What [`canonical_segments`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonical {
    /// Canonical, with this many segments written to the array (0 for `/`).
    Segments(usize),
    /// Not canonical: [`parse_scope`] rejects it or would normalise it.
    No,
    /// More than [`MAX_SEGMENTS`] segments: undecided, ask [`is_canonical_scope`].
    TooDeep,
}

/// Splits a canonical scope into its segments without allocating, eight bytes at a time: the check path's
/// validation and the engine's scope walk in one pass.
pub fn canonical_segments<'a>(raw: &'a str, segs: &mut [&'a str; MAX_SEGMENTS]) -> Canonical {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Canonical::No;
    }
    if bytes.len() == 1 {
        return Canonical::Segments(0);
    }
    let (mut n, mut start, mut printable) = (0, 1, true);
    let mut cut = |end: usize, n: &mut usize, start: &mut usize| -> Option<Canonical> {
        let seg = raw.get(*start..end).unwrap_or_default();
        if seg.is_empty() || seg == "." || seg == ".." {
            return Some(Canonical::No);
        }
        let Some(slot) = segs.get_mut(*n) else { return Some(Canonical::TooDeep) };
        *slot = seg;
        *n += 1;
        *start = end + 1;
        None
    };
    let mut at = 0;
    while at < bytes.len() {
        let chunk = bytes.get(at..bytes.len().min(at + 8)).unwrap_or_default();
        let w = match <[u8; 8]>::try_from(chunk) {
            Ok(w) => u64::from_le_bytes(w),
            // Pad a short last word with a printable byte that is not `/`.
            Err(_) => (0..8).fold(0, |w, i| w | u64::from(chunk.get(i).copied().unwrap_or(b'a')) << (8 * i)),
        };
        // Reserved bytes share the flag: confirming one costs the same character pass as any other odd byte.
        printable &= (crate::swar::unprintable_bytes(w) | crate::swar::reserved_bytes(w)) == 0;
        let mut slashes = crate::swar::zero_bytes(w ^ (crate::swar::LO * u64::from(b'/')));
        while slashes != 0 {
            let i = at + (slashes.trailing_zeros() / 8) as usize;
            slashes &= slashes - 1;
            if i == 0 {
                continue;
            }
            if let Some(stop) = cut(i, &mut n, &mut start) {
                return stop;
            }
        }
        at += 8;
    }
    if let Some(stop) = cut(bytes.len(), &mut n, &mut start) {
        return stop;
    }
    if !printable && raw.chars().any(|c| classify_char(c) != CharClass::Literal || is_reserved_char(c)) {
        return Canonical::No;
    }
    match classify(segs.get(..n).unwrap_or_default()) {
        Ok(_) => Canonical::Segments(n),
        Err(_) => Canonical::No,
    }
}
