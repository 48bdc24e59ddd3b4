//! Eight bytes at a time: ASCII case folding, comparison and byte classes for the check path (SWAR, "SIMD
//! within a register", in safe code).

/// One in every byte.
pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub(crate) const HI: u64 = LO * 0x80;

/// ASCII-lower-cases the eight bytes of `w` at once; bytes outside `A`..=`Z` (non-ASCII ones included) are
/// unchanged, exactly as [`u8::to_ascii_lowercase`] leaves them.
#[inline]
pub(crate) fn lower8(w: u64) -> u64 {
    // With the top bit of every byte cleared, these additions cannot carry into the next byte.
    let b = w & (LO * 0x7f);
    let ge_a = b + LO * u64::from(0x80 - b'A');
    let gt_z = b + LO * u64::from(0x7f - b'Z');
    let upper = ge_a & !gt_z & !w & (LO * 0x80);
    w | (upper >> 2)
}

/// Little-endian word of up to eight bytes, zero-padded; one load for a full word.
#[inline(always)]
pub(crate) fn word(bytes: &[u8]) -> u64 {
    if let Ok(w) = <[u8; 8]>::try_from(bytes) {
        return u64::from_le_bytes(w);
    }
    bytes.iter().take(8).enumerate().fold(0, |w, (i, &b)| w | u64::from(b) << (8 * i))
}

/// Whether `query` equals `lower`, which is already ASCII-lower-cased, up to ASCII case; eight bytes at a time.
#[inline]
pub(crate) fn eq_lowered(lower: &[u8], query: &[u8]) -> bool {
    if lower.len() != query.len() {
        return false;
    }
    let (mut x, mut y) = (lower.chunks_exact(8), query.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if word(p) != lower8(word(q)) {
            return false;
        }
    }
    word(x.remainder()) == lower8(word(y.remainder()))
}

/// The high bit of every byte of `w` that is zero, exactly (no false positives from borrows).
#[inline]
pub(crate) fn zero_bytes(w: u64) -> u64 {
    !((((w & !HI) + !HI) | w) | !HI)
}

/// The high bit of every byte of `w` outside printable ASCII (`!`..=`~`).
#[inline]
pub(crate) fn unprintable_bytes(w: u64) -> u64 {
    let b = w & !HI;
    let ge_bang = b + LO * u64::from(0x80 - b'!');
    let ge_del = b + LO;
    !(ge_bang & !ge_del & !w) & HI
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lower8_is_bytewise_to_ascii_lowercase() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b, b'Z', 0x80 | b'A', b'@', b'[', b, 0xff, b'a']);
            let expected = u64::from_le_bytes(w.to_le_bytes().map(|x| x.to_ascii_lowercase()));
            assert_eq!(lower8(w), expected, "byte {b:#x}");
        }
    }

    #[test]
    fn byte_classes() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b'a', b, b'/', 0, b, b'~', b' ', b]);
            let zero: u64 = w.to_le_bytes().iter().enumerate().map(|(i, &x)| u64::from(x == 0) << (8 * i + 7)).sum();
            assert_eq!(zero_bytes(w), zero, "{b:#x}");
            let bad: u64 =
                w.to_le_bytes().iter().enumerate().map(|(i, &x)| u64::from(!x.is_ascii_graphic()) << (8 * i + 7)).sum();
            assert_eq!(unprintable_bytes(w), bad, "{b:#x}");
        }
    }

    proptest! {
        #[test]
        fn eq_lowered_is_eq_ignore_ascii_case(a in "[a-cA-CſK/é]{0,20}", b in "[a-cA-CſK/é]{0,20}") {
            let lower = a.to_ascii_lowercase();
            prop_assert_eq!(eq_lowered(lower.as_bytes(), b.as_bytes()), a.eq_ignore_ascii_case(&b));
            prop_assert!(eq_lowered(lower.as_bytes(), a.to_ascii_uppercase().as_bytes()));
        }
    }
}
