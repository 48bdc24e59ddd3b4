//! The action matcher shared by the engine and the linter (semantics §2.4).
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

    /// Whether every operation matched by `other` is also matched by `self` (language containment), with `*`
    /// and `/*/` exactly as [`Pattern::matches`] reads them and ASCII case folding.
    ///
    /// This decides "shadowed by a wider pattern" between patterns, so it holds for operations no catalog lists
    /// yet. Method: `other` is the union of its collapse variants (each `/*/` either kept or rewritten to `/`).
    /// In a variant, a star is replaced by a symbol that only a star of `self` may consume: if `self` matches
    /// that word, any text in place of the symbol is swallowed by the same star; conversely a long run of a
    /// character `self` never names must be swallowed by a star, so the symbolic word is necessary too.
    /// `other` with more than [`MAX_COLLAPSIBLE`] collapsible stars is answered `false` (conservative: such
    /// patterns are invalid in custom roles anyway).
    pub fn covers(&self, other: &Pattern) -> bool {
        if self.first_star.is_none() {
            // An exact pattern covers only an exact pattern equal to it.
            return other.first_star.is_none() && self.text.eq_ignore_ascii_case(&other.text);
        }
        // Every word of `other` starts with its literal prefix followed by a star's text (or nothing), so a
        // cover's literal prefix must be a prefix of it: a cheap rejection for the common case.
        if !starts_with_ci(other.literal_prefix().as_bytes(), self.literal_prefix().as_bytes()) {
            return false;
        }
        let a = self.text.as_bytes();
        let b = other.text.as_bytes();
        let collapsible: Vec<usize> = (0..b.len()).filter(|&k| is_collapsible(b, k)).collect();
        if collapsible.len() > MAX_COLLAPSIBLE {
            return false;
        }
        let mut word: Vec<Sym> = Vec::with_capacity(b.len());
        for mask in 0u32..(1u32 << collapsible.len()) {
            word.clear();
            let mut skip_next = false;
            for (k, &byte) in b.iter().enumerate() {
                if skip_next {
                    skip_next = false;
                    continue;
                }
                let chosen = collapsible.iter().position(|&c| c == k).is_some_and(|bit| mask & (1 << bit) != 0);
                if chosen {
                    skip_next = true;
                } else if byte == b'*' {
                    word.push(Sym::Any);
                } else {
                    word.push(Sym::Byte(byte));
                }
            }
            if !nfa_accepts(a, &word) {
                return false;
            }
        }
        true
    }

    /// Whether some operation is matched by both patterns (the languages intersect).
    ///
    /// "NotActions that exclude nothing Actions grants" is decided with it, so the answer does not depend on
    /// which operations a catalog happens to list. A product of the two patterns' automata, searched breadth
    /// first; each state is a pair of pattern positions, so the work is `O(len(self) * len(other))`.
    pub fn intersects(&self, other: &Pattern) -> bool {
        let a = self.text.as_bytes();
        let b = other.text.as_bytes();
        let width = state(b.len(), true).saturating_add(1);
        let mut seen = vec![false; state(a.len(), true).saturating_add(1).saturating_mul(width)];
        let mut stack: Vec<(State, State)> = Vec::new();
        let mut push = |i: State, j: State, stack: &mut Vec<(State, State)>| {
            if let Some(slot) = seen.get_mut(i.saturating_mul(width).saturating_add(j))
                && !*slot
            {
                *slot = true;
                stack.push((i, j));
            }
        };
        push(state(0, false), state(0, false), &mut stack);
        let accept = (state(a.len(), false), state(b.len(), false));
        while let Some((i, j)) = stack.pop() {
            if (i, j) == accept {
                return true;
            }
            for i2 in epsilon(a, i) {
                push(i2, j, &mut stack);
            }
            for j2 in epsilon(b, j) {
                push(i, j2, &mut stack);
            }
            // One shared character: a literal on one side fixes it; two stars may swallow anything together.
            let (x, y) = (a.get(i / 2).copied(), b.get(j / 2).copied());
            let shared = match (x, y) {
                (Some(b'*'), Some(b'*')) => Some(None),
                (Some(b'*'), Some(c)) | (Some(c), _) => Some(Some(c)),
                _ => None,
            };
            if let Some(lit) = shared
                && let (Some(i2), Some(j2)) = (step(a, i, lit), step(b, j, lit))
            {
                push(i2, j2, &mut stack);
            }
        }
        false
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

/// Patterns with more collapsible `/*/` stars than this are not analysed by [`Pattern::covers`] (2^n variants).
pub const MAX_COLLAPSIBLE: usize = 12;

/// A symbol of a word that stands for a pattern: a literal byte, or the text a star of the other pattern
/// swallowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sym {
    Byte(u8),
    Any,
}

/// Whether the star at `k` sits between two `/` and may therefore match a single `/`.
fn is_collapsible(p: &[u8], k: usize) -> bool {
    p.get(k) == Some(&b'*')
        && k > 0
        && p.get(k.wrapping_sub(1)) == Some(&b'/')
        && p.get(k.saturating_add(1)) == Some(&b'/')
}

/// A state of a pattern's automaton: a position, and for a star whether it has swallowed text yet (only a star
/// that has matched nothing may collapse `/*/` into `/`). Encoded as `2 * position + consumed`.
type State = usize;

fn state(k: usize, consumed: bool) -> State {
    k.saturating_mul(2).saturating_add(usize::from(consumed))
}

/// States reachable from `s` of pattern `p` without consuming input: past a star, and past a fresh
/// collapsible star together with the `/` after it.
fn epsilon(p: &[u8], s: State) -> impl Iterator<Item = State> {
    let (k, consumed) = (s / 2, s % 2 == 1);
    let skip_star = (p.get(k) == Some(&b'*')).then(|| state(k.saturating_add(1), false));
    let collapse = (!consumed && is_collapsible(p, k)).then(|| state(k.saturating_add(2), false));
    skip_star.into_iter().chain(collapse)
}

/// The state after `s` consumes one character that a literal `lit` stands for (`None`: text only a star may
/// swallow).
fn step(p: &[u8], s: State, lit: Option<u8>) -> Option<State> {
    let k = s / 2;
    match (p.get(k), lit) {
        (Some(&b'*'), _) => Some(state(k, true)),
        (Some(&x), Some(y)) if x.eq_ignore_ascii_case(&y) => Some(state(k.saturating_add(1), false)),
        _ => None,
    }
}

/// Whether pattern `p` (as an automaton over its positions) accepts `word`, where [`Sym::Any`] is consumed
/// only by a star.
fn nfa_accepts(p: &[u8], word: &[Sym]) -> bool {
    let states = state(p.len(), true).saturating_add(1);
    let mut current = vec![false; states];
    let mut next = vec![false; states];
    close(p, &mut current, state(0, false));
    for &sym in word {
        next.iter_mut().for_each(|s| *s = false);
        let lit = match sym {
            Sym::Byte(b) => Some(b),
            Sym::Any => None,
        };
        for s in 0..states {
            if current.get(s).copied().unwrap_or(false)
                && let Some(t) = step(p, s, lit)
            {
                close(p, &mut next, t);
            }
        }
        std::mem::swap(&mut current, &mut next);
        if !current.iter().any(|&s| s) {
            return false;
        }
    }
    current.get(state(p.len(), false)).copied().unwrap_or(false)
}

/// Marks `s` and everything reachable from it by epsilon moves.
fn close(p: &[u8], set: &mut [bool], s: State) {
    let mut stack = vec![s];
    while let Some(s) = stack.pop() {
        match set.get_mut(s) {
            Some(slot) if !*slot => *slot = true,
            _ => continue,
        }
        stack.extend(epsilon(p, s));
    }
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
