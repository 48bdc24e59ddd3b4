//! Which roles grant an operation: a sparse bit matrix over (operation, plane) rows and role columns.
//!
//! Most operations are granted by a few roles only (the built-in wildcards aside), so a dense matrix is mostly
//! zero words, and for thousands of roles large. Each row keeps a bit per 64-role word
//! saying whether that word has a bit, and only those words, paired with the word of conditional grants so that
//! a role test reads one of them.

use super::Plane;
use super::pages::Pages;

/// The row of an operation on a plane; only this file knows the layout.
#[inline(always)]
fn row(op: u32, plane: Plane) -> usize {
    op as usize * 2 + super::plane_index(plane)
}

/// The matrix while it is filled: dense, one `[unconditional, conditional]` word pair per (row, 64-role word).
pub(super) struct GrantBitsBuilder {
    dense: Vec<u64>,
    rows: usize,
    words: usize,
}

impl GrantBitsBuilder {
    /// An empty matrix for `ops` operations and `roles` roles.
    pub fn new(ops: usize, roles: usize) -> GrantBitsBuilder {
        let words = roles.div_ceil(64).max(1);
        GrantBitsBuilder { dense: vec![0; ops * 4 * words], rows: ops * 2, words }
    }

    /// Records that `role` grants operation `op` on `plane`, with a condition or without.
    pub fn set(&mut self, op: u32, plane: Plane, role: usize, conditional: bool) {
        let at = (row(op, plane) * self.words + role / 64) * 2 + usize::from(conditional);
        if let Some(w) = self.dense.get_mut(at) {
            *w |= 1 << (role % 64);
        }
    }

    /// The compressed matrix.
    pub fn build(self) -> GrantBits {
        GrantBits::from_dense(&self.dense, self.rows, self.words)
    }
}

/// The compressed matrix. Rows are (operation, plane) pairs.
#[derive(Debug, Default)]
pub(super) struct GrantBits {
    /// Per row, `stride` words: where the row's pairs start in `pairs`, then one bit per 64-role word that has a
    /// bit in the row, then padding.
    rows: Pages<u64>,
    stride: usize,
    /// `[unconditional, conditional]` words of the rows, row by row, nonzero pairs only.
    pairs: Pages<[u64; 2]>,
}

impl GrantBits {
    /// Compresses `dense`, laid out as `(row * words + word) * 2 + conditional`.
    fn from_dense(dense: &[u64], rows: usize, words: usize) -> GrantBits {
        let summary = words.div_ceil(64).max(1);
        // A power of two, so that a row never straddles a cache line.
        let stride = (summary + 1).next_power_of_two();
        // Counted first: the dense matrix is still alive here, and a doubling vector would add to the peak.
        let nonzero = dense.chunks_exact(2).filter(|pair| pair.iter().any(|&w| w != 0)).count();
        // Both built where they stay ([`Pages`]).
        let mut pairs = Pages::default();
        let heads = Pages::build(rows * stride, 0u64, |heads| {
            pairs = Pages::build(nonzero, [0u64; 2], |pairs| {
                let mut next = 0;
                for (row, head) in heads.chunks_exact_mut(stride).enumerate() {
                    let [start, present @ ..] = head else { continue };
                    *start = next as u64;
                    for word in 0..words {
                        let at = (row * words + word) * 2;
                        let pair = [dense.get(at).copied().unwrap_or(0), dense.get(at + 1).copied().unwrap_or(0)];
                        if pair != [0, 0] {
                            if let Some(p) = present.get_mut(word / 64) {
                                *p |= 1 << (word % 64);
                            }
                            if let Some(slot) = pairs.get_mut(next) {
                                *slot = pair;
                            }
                            next += 1;
                        }
                    }
                }
            });
        });
        GrantBits { rows: heads, stride, pairs }
    }

    /// Whether `role` grants operation `op` on `plane`: `(unconditionally, with a condition)`.
    #[inline]
    pub fn get(&self, op: u32, plane: Plane, role: u32) -> (bool, bool) {
        self.get_row(row(op, plane), role)
    }

    /// Whether `role` is set in `row`. A read out of range answers no grant, which can only lose an allow: this
    /// matrix holds grants alone, never a deny or an exclusion.
    #[inline]
    fn get_row(&self, row: usize, role: u32) -> (bool, bool) {
        let (word, bit) = (role as usize / 64, 1u64 << (role % 64));
        let (s, b) = (word / 64, word % 64);
        let at = row * self.stride;
        let rows: &[u64] = &self.rows;
        let Some(&present) = rows.get(at + 1 + s) else { return (false, false) };
        if present & (1 << b) == 0 {
            return (false, false);
        }
        let earlier: u32 = rows.get(at + 1..at + 1 + s).unwrap_or_default().iter().map(|w| w.count_ones()).sum();
        let base = rows.get(at).copied().unwrap_or(0) as usize;
        let index = base + (earlier + (present & ((1 << b) - 1)).count_ones()) as usize;
        match self.pairs.get(index) {
            Some(&[plain, conditional]) => (plain & bit != 0, conditional & bit != 0),
            None => (false, false),
        }
    }

    /// Prefetches the head of the row of `op` on `plane`, so that [`GrantBits::get`] soon after finds it in cache.
    #[inline]
    pub fn warm(&self, op: u32, plane: Plane) {
        if let Some(head) = self.rows.get(row(op, plane) * self.stride) {
            super::prefetch(head);
        }
    }

    /// Bytes held, for sizing.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.rows.len() * 8 + self.pairs.len() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_the_bit_it_is_told() {
        let mut b = GrantBitsBuilder::new(3, 130);
        b.set(2, Plane::Data, 129, true);
        b.set(0, Plane::Control, 0, false);
        let g = b.build();
        assert_eq!(g.get(2, Plane::Data, 129), (false, true));
        assert_eq!(g.get(2, Plane::Control, 129), (false, false));
        assert_eq!(g.get(0, Plane::Control, 0), (true, false));
        assert_eq!(g.get(1, Plane::Control, 0), (false, false));
    }

    #[test]
    fn agrees_with_the_dense_matrix() {
        for roles in [1usize, 63, 64, 65, 130, 4096, 4097, 9000] {
            let words = roles.div_ceil(64);
            let rows = 7;
            let mut dense = vec![0u64; rows * words * 2];
            let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ roles as u64;
            let mut next = || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            for _ in 0..(roles / 3 + 5) {
                let (row, role, cond) =
                    (next() as usize % rows, next() as usize % roles, (next() as usize).is_multiple_of(4));
                dense[(row * words + role / 64) * 2 + usize::from(cond)] |= 1 << (role % 64);
            }
            let sparse = GrantBits::from_dense(&dense, rows, words);
            for row in 0..rows {
                for role in 0..roles {
                    let at = (row * words + role / 64) * 2;
                    let want = (dense[at] >> (role % 64) & 1 == 1, dense[at + 1] >> (role % 64) & 1 == 1);
                    assert_eq!(sparse.get_row(row, role as u32), want, "{roles} {row} {role}");
                }
                assert_eq!(sparse.get_row(row, roles as u32 + 64 * 64), (false, false));
            }
            assert_eq!(sparse.get_row(rows + 1, 0), (false, false));
            assert!(sparse.bytes() <= dense.len() * 8 + rows * 8 * (1 + words.div_ceil(64)));
        }
    }
}
