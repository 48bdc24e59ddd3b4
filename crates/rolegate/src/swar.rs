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

/// The 128-bit product of `a` and `b` with its high half folded into its low half: the mixing step of the
/// engine's hashes, a multiplication and an exclusive or.
#[inline(always)]
pub(crate) fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    // Truncations are the point: fold the high half into the low half.
    #[allow(clippy::cast_possible_truncation)]
    let (lo, hi) = (r as u64, (r >> 64) as u64);
    lo ^ hi
}

/// Little-endian word of the first eight bytes, zero-padded when there are fewer; at most two loads, no loop
/// (a short word is two overlapping half-size loads, so segment tails cost as little as full words).
#[inline(always)]
pub(crate) fn word(bytes: &[u8]) -> u64 {
    fn load<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
        bytes.get(at..at + N).and_then(|b| <[u8; N]>::try_from(b).ok()).unwrap_or([0; N])
    }
    let n = bytes.len();
    match n {
        8.. => u64::from_le_bytes(load(bytes, 0)),
        4..=7 => {
            let (lo, hi) = (u32::from_le_bytes(load(bytes, 0)), u32::from_le_bytes(load(bytes, n - 4)));
            u64::from(lo) | u64::from(hi) << (8 * (n - 4))
        }
        2..=3 => {
            let (lo, hi) = (u16::from_le_bytes(load(bytes, 0)), u16::from_le_bytes(load(bytes, n - 2)));
            u64::from(lo) | u64::from(hi) << (8 * (n - 2))
        }
        1 => bytes.first().map_or(0, |&b| u64::from(b)),
        0 => 0,
    }
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

/// The high bit of every byte of `w` that [`crate::scope::is_reserved_byte`] refuses (`%`, `?`, `#`, `\`), exactly.
#[inline]
pub(crate) fn reserved_bytes(w: u64) -> u64 {
    let is = |b: u8| zero_bytes(w ^ (LO * u64::from(b)));
    is(b'%') | is(b'?') | is(b'#') | is(b'\\')
}

/// The value of every byte of `w` read as an ASCII hex digit of either case (garbage where it is none), and the
/// high bit of every byte that is one: the parts a GUID's text is checked and packed from, four words of it, with
/// no branch per byte.
// On x86-64, GUIDs take the SSE2 path (`engine::idmap`), which is tested against this one.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
pub(crate) fn hex_digits(w: u64) -> (u64, u64) {
    // With the top bit of every byte cleared, these additions cannot carry into the next byte; bytes that had it
    // set are no digits.
    let b = w & !HI;
    let ge = |x: u64, lo: u8| x + LO * u64::from(0x80 - lo);
    let gt = |x: u64, hi: u8| x + LO * u64::from(0x7f - hi);
    let digit = ge(b, b'0') & !gt(b, b'9');
    // Setting bit 5 maps exactly `A`..=`F` and `a`..=`f` onto `a`..=`f`.
    let f = b | (LO * 0x20);
    let letter = ge(f, b'a') & !gt(f, b'f') & HI;
    let values = (b & (LO * 0x0f)) + (letter >> 7) * 9;
    (values, (digit | letter) & !w & HI)
}

/// Bit 5 of every byte: setting it folds exactly the two cases of an ASCII letter onto the lower one (cheaper than
/// [`lower8`]; for bytes other than letters it would conflate unrelated ones).
const FOLD: u64 = LO * 0x20;

/// The offsets of one ASCII letter, in either case, in a slice, in order, found eight bytes at a time: a branch
/// per word and per hit rather than per byte.
#[derive(Clone, Debug)]
pub(crate) struct Positions<'a> {
    bytes: &'a [u8],
    pattern: u64,
    /// Offset of the word after the one `hits` describes.
    at: usize,
    /// The high bit of every byte of the current word that is the letter.
    hits: u64,
}

impl<'a> Positions<'a> {
    /// The offsets of the ASCII letter `letter` in `bytes`, in either case.
    pub(crate) fn ignoring_case(bytes: &'a [u8], letter: u8) -> Self {
        debug_assert!(letter.is_ascii_alphabetic());
        Positions { bytes, pattern: LO * u64::from(letter | 0x20), at: 0, hits: 0 }
    }
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.hits == 0 {
            let w = match self.bytes.get(self.at..self.at + 8) {
                Some(full) => word(full),
                None => {
                    let tail = self.bytes.get(self.at..).filter(|t| !t.is_empty())?;
                    // Bytes past the end are zero padding; mask them out all the same.
                    let padding = u64::MAX << (8 * tail.len());
                    self.hits = zero_bytes((word(tail) | FOLD) ^ self.pattern) & !padding;
                    self.at += 8;
                    continue;
                }
            };
            self.hits = zero_bytes((w | FOLD) ^ self.pattern);
            self.at += 8;
        }
        let i = self.at - 8 + (self.hits.trailing_zeros() / 8) as usize;
        self.hits &= self.hits - 1;
        Some(i)
    }
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
            let reserved: u64 = w
                .to_le_bytes()
                .iter()
                .enumerate()
                .map(|(i, &x)| u64::from(crate::scope::is_reserved_byte(x)) << (8 * i + 7))
                .sum();
            assert_eq!(reserved_bytes(w), reserved, "{b:#x}");
        }
    }

    /// Every byte value in every position: the digit's value where it is one, the flag exactly where it is one.
    #[test]
    fn hex_digits_bytewise() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"0a9F5cE1";
                bytes[at] = b;
                let (values, ok) = hex_digits(u64::from_le_bytes(bytes));
                for (i, (&byte, (&v, &k))) in
                    bytes.iter().zip(values.to_le_bytes().iter().zip(&ok.to_le_bytes())).enumerate()
                {
                    let want = char::from(byte).to_digit(16).filter(|_| byte.is_ascii());
                    assert_eq!(k == 0x80, want.is_some(), "{bytes:?} {i}");
                    assert_eq!(k & 0x7f, 0);
                    if let Some(d) = want {
                        assert_eq!(u32::from(v), d, "{bytes:?} {i}");
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn eq_lowered_is_eq_ignore_ascii_case(a in "[a-cA-CſK/é]{0,20}", b in "[a-cA-CſK/é]{0,20}") {
            let lower = a.to_ascii_lowercase();
            prop_assert_eq!(eq_lowered(lower.as_bytes(), b.as_bytes()), a.eq_ignore_ascii_case(&b));
            prop_assert!(eq_lowered(lower.as_bytes(), a.to_ascii_uppercase().as_bytes()));
        }

        #[test]
        fn word_is_the_zero_padded_prefix(s in proptest::collection::vec(any::<u8>(), 0..12)) {
            let expected = s.iter().take(8).enumerate().fold(0u64, |w, (i, &b)| w | u64::from(b) << (8 * i));
            prop_assert_eq!(word(&s), expected);
        }

        #[test]
        fn positions_are_the_offsets_of_the_letter(
            s in proptest::collection::vec(prop_oneof![Just(b'v'), Just(b'V'), Just(b'V' | 0x80), any::<u8>()], 0..40),
            letter in prop_oneof![Just(b'v'), Just(b'V'), Just(b'a')],
        ) {
            let expected: Vec<usize> =
                s.iter().enumerate().filter(|(_, b)| b.eq_ignore_ascii_case(&letter)).map(|(i, _)| i).collect();
            prop_assert_eq!(Positions::ignoring_case(&s, letter).collect::<Vec<_>>(), expected);
        }
    }
}
