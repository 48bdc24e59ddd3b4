//! The action matcher shared by the engine and the linter (SPEC §2.4).
//!
//! A pattern is an action string in which every character except `*` is a literal. Matching is anchored at both
//! ends and ASCII case-insensitive only, so `Microſoft` (long s) and the Kelvin sign never fold onto `s` and `k`
//! as a Unicode-aware matcher would make them.
//!
//! Each `*` matches any run of characters, `/` included. A `*` that sits between two `/` (`/*/`) may also match
//! "no segment at all": `workspaces/*/read` matches `workspaces/read`. Put as an automaton over pattern positions,
//! such a star has an extra epsilon edge that skips the star and the `/` after it. Equivalently, the pattern
//! matches if any pattern obtained by rewriting some of its `/*/` to `/` matches as a plain glob.
//!
//! # Algorithm
//!
//! The pattern is a sequence of literal pieces separated by stars, `L0 * L1 * … * Lk`. `L0` must be a prefix
//! and `Lk` a suffix of the operation. Every middle piece is placed at its leftmost occurrence after the previous
//! one: a plain star puts no constraint on what it swallows, so the earliest end of piece `i` is never worse
//! for piece `i + 1`. A collapsible `/*/` star only relaxes that constraint by letting the next piece (which
//! starts with `/`) begin on the last byte of the previous piece (which ends with `/`); the greedy argument still
//! holds. Work is `O(len(pattern) * len(op))` in the worst case, with no allocation and no backtracking.
//!
//! Bytes are compared with ASCII folding. Non-ASCII characters in either string compare by their UTF-8 bytes,
//! which keeps them distinct from every ASCII letter; a literal piece can only match at a character boundary
//! because UTF-8 lead bytes never equal continuation bytes.

use std::fmt;

/// A compiled action pattern.
///
/// Equality and hashing are over the exact text: `Microsoft.Compute/*` and `microsoft.compute/*` match the same
/// operations but are different patterns, which keeps [`Pattern::as_str`] and equality consistent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pattern {
    text: String,
    /// Byte index of the first `*`, if any.
    first_star: Option<usize>,
    /// Byte index of the last `*` (equal to `first_star` when there is one star).
    last_star: usize,
    star_count: usize,
}

impl Pattern {
    /// Compiles `text` as written; validation of the action syntax is [`crate::action::parse_action`]'s job.
    pub fn new(text: &str) -> Pattern {
        let bytes = text.as_bytes();
        let first_star = bytes.iter().position(|&b| b == b'*');
        let last_star = bytes.iter().rposition(|&b| b == b'*').unwrap_or(0);
        let star_count = bytes.iter().filter(|&&b| b == b'*').count();
        Pattern { text: text.to_owned(), first_star, last_star, star_count }
    }

    /// Whether the operation `op` is matched by this pattern.
    pub fn matches(&self, op: &str) -> bool {
        let p = self.text.as_bytes();
        let o = op.as_bytes();
        let Some(first) = self.first_star else {
            return p.eq_ignore_ascii_case(o);
        };
        let head = p.get(..first).unwrap_or_default();
        let tail = p.get(self.last_star.saturating_add(1)..).unwrap_or_default();
        if !starts_with_ci(o, head) {
            return false;
        }
        let mut cursor = head.len();
        let mut prev_ends_slash = head.last() == Some(&b'/');
        if self.star_count > 1 {
            let middle = p.get(first.saturating_add(1)..self.last_star).unwrap_or_default();
            for piece in middle.split(|&b| b == b'*') {
                let from = cursor.saturating_sub(overlap(prev_ends_slash, piece));
                let Some(found) = o.get(from..).and_then(|rest| find_ci(rest, piece)) else {
                    return false;
                };
                cursor = from.saturating_add(found).saturating_add(piece.len());
                // An empty piece means two adjacent stars; the next star's left neighbour is then `*`, not `/`.
                prev_ends_slash = piece.last() == Some(&b'/');
            }
        }
        let earliest_tail = cursor.saturating_sub(overlap(prev_ends_slash, tail));
        o.len() >= earliest_tail.saturating_add(tail.len()) && ends_with_ci(o, tail)
    }

    /// The pattern text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many `*` the pattern contains.
    pub fn star_count(&self) -> usize {
        self.star_count
    }

    /// Whether the pattern has no `*` and therefore matches exactly one operation name (up to ASCII case).
    pub fn is_exact(&self) -> bool {
        self.first_star.is_none()
    }

    /// The text before the first `*` (the whole text for an exact pattern); every matched operation starts with
    /// it, up to ASCII case.
    pub fn literal_prefix(&self) -> &str {
        match self.first_star {
            Some(i) => self.text.get(..i).unwrap_or_default(),
            None => &self.text,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether `pattern` matches `op`; compiles the pattern on every call, so prefer [`Pattern`] in loops.
pub fn matches(pattern: &str, op: &str) -> bool {
    Pattern::new(pattern).matches(op)
}

/// How far the piece after a star may reach back: one byte when the star is a collapsible `/*/`.
fn overlap(prev_ends_slash: bool, next: &[u8]) -> usize {
    usize::from(prev_ends_slash && next.first() == Some(&b'/'))
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.get(..needle.len()).is_some_and(|h| h.eq_ignore_ascii_case(needle))
}

fn ends_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len()
        .checked_sub(needle.len())
        .and_then(|start| hay.get(start..))
        .is_some_and(|h| h.eq_ignore_ascii_case(needle))
}

/// Leftmost ASCII-case-insensitive occurrence of `needle` in `hay`. Operation names are short, so a naive scan
/// beats the setup cost of a smarter search.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_is_case_insensitive_and_anchored() {
        assert!(matches("Microsoft.Compute/virtualMachines/read", "microsoft.compute/VIRTUALMACHINES/read"));
        assert!(!matches("Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/readx"));
        assert!(!matches("Microsoft.Compute/virtualMachines/read", "xMicrosoft.Compute/virtualMachines/read"));
    }

    #[test]
    fn single_star() {
        assert!(matches("*", ""));
        assert!(matches("*", "anything/at/all"));
        assert!(matches("*/read", "Microsoft.Compute/virtualMachines/read"));
        assert!(matches("a/*/b", "a/b"));
        assert!(matches("a/*/b", "a/x/y/b"));
        assert!(!matches("a/*/b", "a//"));
        assert!(!matches("a/*/b", "ab"));
        assert!(!matches("a*a", "a"));
        assert!(matches("a*a", "aa"));
    }

    #[test]
    fn several_stars() {
        assert!(matches("a/*/*/b", "a/b"));
        assert!(matches("a/*/*/b", "a/x/b"));
        assert!(matches("a/*/x/*/b", "a/x/b"));
        assert!(!matches("a/**/b", "a/b"));
        assert!(matches("a/**/b", "a//b"));
        assert!(matches("*a*b*", "xxaxxbxx"));
        assert!(!matches("*a*b*", "xxbxxaxx"));
        assert!(matches("**", ""));
    }

    #[test]
    fn accessors() {
        let p = Pattern::new("Microsoft.Network/*/read");
        assert_eq!(p.star_count(), 1);
        assert!(!p.is_exact());
        assert_eq!(p.literal_prefix(), "Microsoft.Network/");
        assert_eq!(p.as_str(), "Microsoft.Network/*/read");
        let e = Pattern::new("a/read");
        assert!(e.is_exact());
        assert_eq!(e.literal_prefix(), "a/read");
    }
}
