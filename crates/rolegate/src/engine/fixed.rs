//! Keys of fixed shape: texts from [`MIN`] to [`MAX`] bytes long, as nearly every operation name is (21,453 of
//! the catalog's 22,498), read as the six 16-byte chunks that cover them.
//!
//! The chunks are the first 32 bytes, the next 32 (or, in a shorter text, the 32 that end where it does) and the
//! last 32, so they overlap unless the text is 96 bytes long. A text is lower-cased, hashed and compared in
//! the same steps whatever its length: a check spends no branch on where its action ends (the loops of a copy,
//! a hash and a comparison that did mispredicted about twice a check), and copies nothing. The hash is NH
//! (Black et al., UMAC): per 64-bit word, the product of its 32-bit halves each plus a constant, summed; six
//! multiplications for the whole text, two at a time, then one fold.

use crate::swar::fold;

/// The shortest text that has a fixed shape.
pub(crate) const MIN: usize = 32;
/// The longest text that has a fixed shape.
pub(crate) const MAX: usize = 96;

/// NH's constants, a pair of words per chunk. Each 32-bit half is below `2^31`, so a half of printable ASCII
/// (every byte below `0x80`) plus it is never zero mod `2^32`, which would hide the other half from the hash.
const NH: [[u64; 2]; 6] = [
    [0x2fa5_5230_7d2f_5e69, 0x73a7_7c3c_2394_a3d9],
    [0x24bf_5e83_08b9_9e74, 0x3143_d9ec_0d25_3c7e],
    [0x0f36_fdfc_50b0_feef, 0x4163_03e1_6239_d212],
    [0x37b8_8201_712a_8df5, 0x274c_e84d_4b70_73f7],
    [0x23c5_dccf_347a_b613, 0x12bc_bf83_48c8_f0cd],
    [0x4f5c_3aa7_7e62_05ef, 0x45d4_77af_3078_7f8c],
];

const SEED: u64 = 0x9216_d5d9_8979_fb1b;
const MUL: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0xa409_3822_299f_31d1];

/// A text of fixed shape, lower-cased in its six chunks, with its hash.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixed {
    chunks: [lanes::Chunk; 6],
    len: usize,
    hash: u64,
}

impl Fixed {
    /// `text` as a fixed-shape key, when its length is in range.
    #[inline(always)]
    pub fn of(text: &[u8]) -> Option<Fixed> {
        let len = text.len();
        if !(MIN..=MAX).contains(&len) {
            return None;
        }
        let mut chunks = [lanes::zero(); 6];
        let mut acc = lanes::zero();
        for ((chunk, at), k) in chunks.iter_mut().zip(starts(len)).zip(NH) {
            *chunk = lanes::lower(text.get(at..at + 16)?.try_into().ok()?);
            acc = lanes::nh(acc, *chunk, k);
        }
        let [a, b] = lanes::words(acc);
        let hash = fold(a ^ SEED ^ len as u64, MUL[0]) ^ fold(b ^ SEED.rotate_left(32), MUL[1]);
        Some(Fixed { chunks, len, hash })
    }

    /// The text's hash: equal for texts equal up to ASCII case.
    #[inline(always)]
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The text's length.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether `key`, ASCII-lower-cased and of this text's length, is this text up to ASCII case.
    #[inline(always)]
    pub fn matches(&self, key: &[u8]) -> bool {
        let mut same = lanes::ones();
        for (chunk, at) in self.chunks.iter().zip(starts(self.len)) {
            let Some(theirs) = key.get(at..at + 16).and_then(|k| <&[u8; 16]>::try_from(k).ok()) else {
                return false;
            };
            same = lanes::and_eq(same, *chunk, theirs);
        }
        lanes::all(same)
    }
}

/// Where the six chunks of a text `len` bytes long start (see the module docs).
#[inline(always)]
fn starts(len: usize) -> [usize; 6] {
    let end = len.saturating_sub(32);
    let mid = end.min(32);
    [0, 16, mid, mid + 16, end, end + 16]
}

/// The chunk operations, sixteen bytes at a time with the SSE2 every x86-64 processor has.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod lanes {
    use safe_arch::{
        add_i8_m128i, add_i32_m128i, add_i64_m128i, bitand_m128i, bitor_m128i, cmp_eq_mask_i8_m128i,
        cmp_lt_mask_i8_m128i, m128i, move_mask_i8_m128i, mul_widen_u32_odd_m128i, set_splat_i8_m128i,
        shr_imm_u64_m128i,
    };

    pub(super) type Chunk = m128i;

    #[inline(always)]
    pub(super) fn zero() -> Chunk {
        m128i::default()
    }

    #[inline(always)]
    pub(super) fn ones() -> Chunk {
        set_splat_i8_m128i(-1)
    }

    /// Sixteen bytes, ASCII-lower-cased.
    #[inline(always)]
    pub(super) fn lower(bytes: &[u8; 16]) -> Chunk {
        let b = m128i::from(*bytes);
        // Shifted by 63, `A`..=`Z` are the 26 lowest signed bytes; nothing else lands there.
        let upper = cmp_lt_mask_i8_m128i(add_i8_m128i(b, set_splat_i8_m128i(63)), set_splat_i8_m128i(-128 + 26));
        bitor_m128i(b, bitand_m128i(upper, set_splat_i8_m128i(0x20)))
    }

    /// `acc` plus, per 64-bit word of `c`, the product of its 32-bit halves each plus their constant in `k`.
    #[inline(always)]
    pub(super) fn nh(acc: Chunk, c: Chunk, k: [u64; 2]) -> Chunk {
        let t = add_i32_m128i(c, m128i::from(k));
        add_i64_m128i(acc, mul_widen_u32_odd_m128i(t, shr_imm_u64_m128i::<32>(t)))
    }

    /// `same` with the bytes where `a` and `b` differ cleared.
    #[inline(always)]
    pub(super) fn and_eq(same: Chunk, a: Chunk, b: &[u8; 16]) -> Chunk {
        bitand_m128i(same, cmp_eq_mask_i8_m128i(a, m128i::from(*b)))
    }

    /// Whether every byte of `c` is set.
    #[inline(always)]
    pub(super) fn all(c: Chunk) -> bool {
        move_mask_i8_m128i(c) == 0xffff
    }

    /// The chunk as two little-endian words.
    #[inline(always)]
    pub(super) fn words(c: Chunk) -> [u64; 2] {
        c.into()
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use scalar as lanes;

/// The chunk operations a word at a time, for other targets, and the reference the SSE2 ones are tested against.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
mod scalar {
    use crate::swar::lower8;

    pub(super) type Chunk = [u64; 2];

    #[inline(always)]
    pub(super) fn zero() -> Chunk {
        [0; 2]
    }

    #[inline(always)]
    pub(super) fn ones() -> Chunk {
        [u64::MAX; 2]
    }

    #[inline(always)]
    pub(super) fn lower(bytes: &[u8; 16]) -> Chunk {
        let [a, b] = split(bytes);
        [lower8(a), lower8(b)]
    }

    #[inline(always)]
    fn split(bytes: &[u8; 16]) -> [u64; 2] {
        let v = u128::from_le_bytes(*bytes);
        // Truncations split the chunk into its words.
        #[allow(clippy::cast_possible_truncation)]
        [v as u64, (v >> 64) as u64]
    }

    #[inline(always)]
    pub(super) fn nh(acc: Chunk, c: Chunk, k: [u64; 2]) -> Chunk {
        // Truncations split each word into its halves.
        #[allow(clippy::cast_possible_truncation)]
        let product = |w: u64, k: u64| {
            let lo = (w as u32).wrapping_add(k as u32);
            let hi = ((w >> 32) as u32).wrapping_add((k >> 32) as u32);
            u64::from(lo) * u64::from(hi)
        };
        let [a0, a1] = acc;
        let [c0, c1] = c;
        let [k0, k1] = k;
        [a0.wrapping_add(product(c0, k0)), a1.wrapping_add(product(c1, k1))]
    }

    #[inline(always)]
    pub(super) fn and_eq(same: Chunk, a: Chunk, b: &[u8; 16]) -> Chunk {
        let eq = |x: u64, y: u64| {
            // Per byte, all ones where equal: a byte's bits are all zero in `x ^ y` exactly when it is equal.
            let d = x ^ y;
            let nonzero = (((d & 0x7f7f_7f7f_7f7f_7f7f) + 0x7f7f_7f7f_7f7f_7f7f) | d) & 0x8080_8080_8080_8080;
            !((nonzero >> 7) * 0xff)
        };
        let [s0, s1] = same;
        let [a0, a1] = a;
        let [b0, b1] = split(b);
        [s0 & eq(a0, b0), s1 & eq(a1, b1)]
    }

    #[inline(always)]
    pub(super) fn all(c: Chunk) -> bool {
        c == [u64::MAX; 2]
    }

    #[inline(always)]
    pub(super) fn words(c: Chunk) -> [u64; 2] {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_texts_in_range_have_a_fixed_shape() {
        for len in 0..=MAX + 8 {
            let text = "a".repeat(len);
            assert_eq!(Fixed::of(text.as_bytes()).is_some(), (MIN..=MAX).contains(&len), "{len}");
        }
    }

    /// Every byte of every length is in some chunk: changing any one byte changes the hash and breaks the match.
    #[test]
    fn every_byte_counts() {
        for len in MIN..=MAX {
            let text: Vec<u8> = (0..len).map(|i| b"Microsoft.Compute/VirtualMachines"[i % 33]).collect();
            let f = Fixed::of(&text).unwrap();
            let lowered = text.to_ascii_lowercase();
            assert!(f.matches(&lowered), "{len}");
            for at in 0..len {
                let mut other = lowered.clone();
                other[at] = b'#';
                assert!(!f.matches(&other), "{len} at {at}");
                assert_ne!(Fixed::of(&other).unwrap().hash(), f.hash(), "{len} at {at}");
            }
        }
    }

    #[test]
    fn sse2_chunks_agree_with_the_scalar_ones() {
        for b in 0..=255u8 {
            for at in 0..16 {
                let mut chunk = *b"AbCdEfGhIjKlMnOp";
                chunk[at] = b;
                assert_eq!(lanes::words(lanes::lower(&chunk)), scalar::words(scalar::lower(&chunk)), "{b:#x}");
            }
        }
    }

    proptest! {
        #[test]
        fn matches_exactly_the_same_text_up_to_ascii_case(
            text in "[a-zA-Z0-9./_ſK-]{24,100}",
            flip in any::<prop::sample::Index>(),
            upper in any::<bool>(),
        ) {
            let bytes = text.as_bytes();
            let Some(f) = Fixed::of(bytes) else {
                prop_assert!(!(MIN..=MAX).contains(&bytes.len()));
                return Ok(());
            };
            let lowered = bytes.to_ascii_lowercase();
            prop_assert!(f.matches(&lowered));
            let cased = if upper { bytes.to_ascii_uppercase() } else { lowered.clone() };
            prop_assert_eq!(Fixed::of(&cased).unwrap().hash(), f.hash());
            // Any other text of the same length, lower-cased, does not match.
            let mut other = lowered.clone();
            let at = flip.index(other.len());
            other[at] = other[at].wrapping_add(1).to_ascii_lowercase();
            prop_assert_eq!(f.matches(&other), other == lowered);
        }

        #[test]
        fn sse2_hashes_and_comparisons_agree_with_the_scalar_ones(
            a in any::<[u8; 16]>(), b in any::<[u8; 16]>(), k in any::<[u64; 2]>(), acc in any::<[u64; 2]>(),
        ) {
            let (x, y) = (lanes::lower(&a), scalar::lower(&a));
            let sse = lanes::nh(lanes::nh(lanes::zero(), x, acc), x, k);
            let plain = scalar::nh(scalar::nh(scalar::zero(), y, acc), y, k);
            prop_assert_eq!(lanes::words(sse), scalar::words(plain));
            let same = lanes::all(lanes::and_eq(lanes::ones(), x, &b));
            prop_assert_eq!(same, scalar::all(scalar::and_eq(scalar::ones(), y, &b)));
            prop_assert_eq!(same, scalar::words(y) == [u64::from_le_bytes(b[..8].try_into().unwrap()), u64::from_le_bytes(b[8..].try_into().unwrap())]);
        }
    }
}
