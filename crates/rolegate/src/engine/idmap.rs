//! Lookup tables keyed by GUIDs, which is what real principal and subscription ids are.
//!
//! [`super::cimap::CiMap`] keeps its keys in an arena: a lookup reads the slot, then the key, then compares
//! with `memcmp`, and the request's text must first be copied to be lower-cased and hashed. Here a request's id
//! converts, in registers, to the 128-bit number its digits spell ([`Probe::of`]); the number is both the hash's
//! input and the key, sixteen bytes, so a slot holds the key and the caller's value in one cache line and a hit
//! is one line read and one comparison. The principal table puts in that line what a check needs next (the
//! principal's groups), so that a check reads no second record before it looks up assignments.
//!
//! Only text in a GUID's canonical shape is a key: 36 bytes, hex digits of either case in groups of 8-4-4-4-12
//! with hyphens between. Two such texts spell the same number exactly when they are equal up to ASCII case, and
//! a text has the shape exactly when its every case variant has it, so the tables agree with the general map,
//! which holds every other id; which one a request's id is looked up in depends only on its text.

#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
use crate::swar::{HI, hex_digits};

use std::marker::PhantomData;

use super::pages::Pages;

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// The length of a GUID's text.
pub(crate) const LEN: usize = 36;

/// A key looked up: the GUID's digits, one per nibble, and their hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Probe {
    key: u128,
    hash: u64,
}

impl Probe {
    /// The probe of `text` when it is a GUID in canonical shape (see the module docs), in either case.
    #[inline(always)]
    pub fn of(text: &[u8]) -> Option<Probe> {
        let text: &[u8; LEN] = text.try_into().ok()?;
        // The digit groups start at 0, 9, 14, 19 and 24, and are multiples of four long.
        let four = |at: usize| text.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_le_bytes);
        let eight = |lo: usize, hi: usize| u64::from(four(lo)) | u64::from(four(hi)) << 32;
        let key = digits([eight(0, 4), eight(9, 14), eight(19, 24), eight(28, 32)]);
        let hyphens = [8, 13, 18, 23].map(|at| text.get(at) == Some(&b'-'));
        // One branch for the shape, not one per part.
        match key {
            Some(key) if hyphens == [true; 4] => Some(Probe { key, hash: hash(key) }),
            _ => None,
        }
    }
}

/// The key of a GUID's 32 digits, given as four words of eight digits each in text order, or `None` if one is no
/// hex digit. Each digit's value fills half a byte, so two words share eight bytes: sixteen bytes, a digit per
/// nibble (not in the text's order, which nothing needs).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn digits_scalar(words: [u64; 4]) -> Option<u128> {
    let [(a, a_ok), (b, b_ok), (c, c_ok), (d, d_ok)] = words.map(hex_digits);
    (a_ok & b_ok & c_ok & d_ok == HI).then(|| u128::from(a | b << 4) << 64 | u128::from(c | d << 4))
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use digits_scalar as digits;

/// [`digits_scalar`] sixteen digits at a time, with the SSE2 every x86-64 processor has: about half the
/// instructions, on the path of every check before its first table read can start.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn digits(words: [u64; 4]) -> Option<u128> {
    use safe_arch::{
        add_i8_m128i, bitand_m128i, bitor_m128i, cmp_gt_mask_i8_m128i, cmp_lt_mask_i8_m128i, m128i, move_mask_i8_m128i,
        set_splat_i8_m128i, shl_imm_u64_m128i, unpack_high_i64_m128i,
    };
    // Byte values as `i8`: the comparisons are signed, so bytes of 0x80 and above are negative and in no range.
    #[allow(clippy::cast_possible_wrap)]
    let splat = |c: u8| set_splat_i8_m128i(c as i8);
    let half = |lo: u64, hi: u64| {
        let b = m128i::from([lo, hi]);
        let within = |x: m128i, first: u8, last: u8| {
            bitand_m128i(cmp_gt_mask_i8_m128i(x, splat(first - 1)), cmp_lt_mask_i8_m128i(x, splat(last + 1)))
        };
        let digit = within(b, b'0', b'9');
        // Setting bit 5 maps exactly `A`..=`F` and `a`..=`f` onto `a`..=`f`.
        let letter = within(bitor_m128i(b, splat(0x20)), b'a', b'f');
        let ok = move_mask_i8_m128i(bitor_m128i(digit, letter));
        let values = add_i8_m128i(bitand_m128i(b, splat(0x0f)), bitand_m128i(letter, splat(9)));
        // The low word's digits in the low nibbles, the high word's above them, as `digits_scalar` packs them.
        let packed = bitor_m128i(values, shl_imm_u64_m128i::<4>(unpack_high_i64_m128i(values, values)));
        let [key, _]: [u64; 2] = packed.into();
        (key, ok)
    };
    let [a, b, c, d] = words;
    let ((hi, hi_ok), (lo, lo_ok)) = (half(a, b), half(c, d));
    (hi_ok & lo_ok == 0xffff).then(|| u128::from(hi) << 64 | u128::from(lo))
}

/// Two products that do not wait for each other; each half of the key reaches the low bits the index uses.
#[inline(always)]
fn hash(key: u128) -> u64 {
    // Truncations split the key into its halves.
    #[allow(clippy::cast_possible_truncation)]
    let (hi, lo) = ((key >> 64) as u64, key as u64);
    use crate::swar::fold;
    fold(hi ^ 0x243f_6a88_85a3_08d3, MUL) ^ fold(lo ^ 0x1319_8a2e_0370_7344, 0xa409_3822_299f_31d1)
}

/// What an [`IdMap`] holds per key, at most [`VALUE_BYTES`] of plain old data; one value is reserved to mark an
/// empty slot.
pub(crate) trait Value: bytemuck::Pod {
    /// The value of an empty slot, which no entry has.
    const EMPTY: Self;
    /// Whether this is [`Value::EMPTY`].
    fn is_empty(&self) -> bool;
}

/// The room for a value beside its key in one cache line.
pub(crate) const VALUE_BYTES: usize = 48;

/// A slot: the key and the caller's value (its bytes, at the start of `value`) in one cache line.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Slot {
    key: u128,
    value: [u32; VALUE_BYTES / 4],
}

impl Slot {
    fn new<V: Value>(key: u128, v: V) -> Slot {
        const { assert!(std::mem::size_of::<V>() <= VALUE_BYTES && std::mem::align_of::<V>() <= 4) };
        let mut value = [0u32; VALUE_BYTES / 4];
        if let Some(room) = bytemuck::bytes_of_mut(&mut value).get_mut(..std::mem::size_of::<V>()) {
            room.copy_from_slice(bytemuck::bytes_of(&v));
        }
        Slot { key, value }
    }

    /// The value; `None` only if it could not be read, which [`Slot::new`] rules out.
    #[inline(always)]
    fn value<V: Value>(&self) -> Option<&V> {
        let bytes = bytemuck::bytes_of(&self.value).get(..std::mem::size_of::<V>())?;
        bytemuck::try_from_bytes(bytes).ok()
    }
}

/// A map from GUIDs, up to ASCII case, to values.
#[derive(Debug)]
pub(crate) struct IdMap<V> {
    slots: Pages<Slot>,
    v: PhantomData<V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap { slots: Pages::default(), v: PhantomData }
    }
}

impl<V: Value> IdMap<V> {
    /// The map of `entries` (`key, value`): the first entry of a key wins; texts that are not GUIDs in canonical
    /// shape, and values that are [`Value::EMPTY`], are left out.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a [u8], V)>) -> IdMap<V> {
        let probes: Vec<(Probe, V)> = entries
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(text, v)| Some((Probe::of(text)?, v)))
            .collect();
        if probes.is_empty() {
            return IdMap::default();
        }
        // At most half full, so that a miss ends after a slot or two.
        let cap = (probes.len() * 2).next_power_of_two();
        let mask = cap - 1;
        let slots = Pages::build(cap, Slot::new(0, V::EMPTY), |slots| {
            for (p, value) in probes {
                // `hash` is 64 bits; only the bits under the mask are kept.
                #[allow(clippy::cast_possible_truncation)]
                let mut i = p.hash as usize & mask;
                while let Some(slot) = slots.get_mut(i) {
                    if slot.value::<V>().is_none_or(V::is_empty) {
                        *slot = Slot::new(p.key, value);
                        break;
                    }
                    if slot.key == p.key {
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
        });
        IdMap { slots, v: PhantomData }
    }

    #[inline(always)]
    fn home(len: usize, p: &Probe) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let i = p.hash as usize & len.wrapping_sub(1);
        i
    }

    /// The value of the probe's key, if present.
    #[inline]
    pub fn get(&self, p: &Probe) -> Option<&V> {
        let slots: &[Slot] = &self.slots;
        let mask = slots.len().wrapping_sub(1);
        let mut i = Self::home(slots.len(), p);
        loop {
            let slot = slots.get(i)?;
            let value = slot.value::<V>()?;
            if value.is_empty() {
                return None;
            }
            if slot.key == p.key {
                return Some(value);
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether the table lives in a mapping of its own ([`super::pages`]).
    #[cfg(test)]
    pub fn is_mapped(&self) -> bool {
        self.slots.is_mapped()
    }

    /// Prefetches the probe's first slot, so that [`IdMap::get`] soon after finds it in cache.
    #[inline]
    pub fn warm(&self, p: &Probe) {
        let slots: &[Slot] = &self.slots;
        if let Some(slot) = slots.get(Self::home(slots.len(), p)) {
            super::prefetch(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::parse_guid;
    use proptest::prelude::*;

    impl Value for u32 {
        const EMPTY: u32 = u32::MAX;
        fn is_empty(&self) -> bool {
            *self == u32::MAX
        }
    }

    fn map(keys: &[&str]) -> IdMap<u32> {
        IdMap::new(keys.iter().zip(0u32..).map(|(k, i)| (k.as_bytes(), i)))
    }

    #[test]
    fn guids_up_to_ascii_case() {
        let m = map(&["0000000a-0000-0000-0000-00000000000B", "ffffffff-ffff-ffff-ffff-ffffffffffff", "short"]);
        let get = |s: &str| Probe::of(s.as_bytes()).and_then(|p| m.get(&p)).copied();
        assert_eq!(get("0000000A-0000-0000-0000-00000000000b"), Some(0));
        assert_eq!(get("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"), Some(1));
        assert_eq!(get("0000000a-0000-0000-0000-00000000000c"), None);
        // The all-zero GUID is a key like any other.
        let zero = "00000000-0000-0000-0000-000000000000";
        assert_eq!(get(zero), None);
        assert_eq!(map(&[zero]).get(&Probe::of(zero.as_bytes()).unwrap()), Some(&0));
        // Not GUIDs in canonical shape: the general map holds these.
        for text in [
            "short",
            "0000000a00000-0000-0000-00000000000b",
            "0000000a-0000-0000-0000-00000000000g",
            "0000000a-0000-0000-0000-00000000000b0",
            "{0000000a-0000-0000-0000-00000000000b}",
            "0000000a000000000000000000000000000b",
            "0000000a0000000000000000000000000000",
        ] {
            assert_eq!(Probe::of(text.as_bytes()), None, "{text}");
        }
        // The first entry of a key wins; the last digit counts.
        let twice = map(&["x", "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA"]);
        assert_eq!(twice.get(&Probe::of(b"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa").unwrap()), Some(&1));
        let near = Probe::of(b"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaab").unwrap();
        assert_eq!(twice.get(&near), None);
        assert_eq!(IdMap::<u32>::default().get(&near), None);
        IdMap::<u32>::default().warm(&near);
    }

    /// Every digit of a GUID counts, at every position, with every value: a change of one digit is a change of
    /// probe, a change of its case is not.
    #[test]
    fn every_digit_counts() {
        for base in ["0123abcd-ef45-6789-0abc-def012345678", "ffffffff-ffff-ffff-ffff-ffffffffffff"] {
            let original = Probe::of(base.as_bytes()).unwrap();
            let mut seen = std::collections::HashSet::new();
            for at in (0..LEN).filter(|at| ![8, 13, 18, 23].contains(at)) {
                for digit in "0123456789abcdefABCDEF".chars() {
                    let mut text = base.to_string();
                    text.replace_range(at..at + 1, &digit.to_string());
                    let probe = Probe::of(text.as_bytes()).unwrap();
                    assert_eq!(probe == original, text.eq_ignore_ascii_case(base), "{text}");
                    seen.insert(probe.key);
                }
            }
            // One original plus 32 positions times 15 other values, each its own key.
            assert_eq!(seen.len(), 1 + 32 * 15);
        }
    }

    /// The SSE2 digits agree with the word-at-a-time ones, byte values of every kind in every position.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[test]
    fn digits_agree_with_the_scalar_ones() {
        let base = u64::from_le_bytes(*b"0a9F5cE1");
        for b in 0..=255u8 {
            for at in 0..32 {
                let mut words = [base, base.rotate_left(8), base.rotate_left(16), base.rotate_left(24)];
                let w = &mut words[at / 8];
                *w = (*w & !(0xff << (8 * (at % 8)))) | u64::from(b) << (8 * (at % 8));
                assert_eq!(digits(words), digits_scalar(words), "{b:#x} at {at}");
            }
        }
    }

    /// Text shaped like a GUID, with now and then a byte that breaks the shape.
    fn guidish() -> impl Strategy<Value = String> {
        let part = |n: usize| proptest::collection::vec(prop_oneof![8 => "[0-9a-fA-F]", 1 => "[gG/-é\\u{10}]"], n);
        let sep = prop_oneof![9 => Just("-".to_string()), 1 => "[0a/]"];
        (part(8), sep.clone(), part(4), sep.clone(), part(4), sep.clone(), part(4), sep, part(12)).prop_map(
            |(a, s1, b, s2, c, s3, d, s4, e)| {
                [a.concat(), s1, b.concat(), s2, c.concat(), s3, d.concat(), s4, e.concat()].concat()
            },
        )
    }

    proptest! {
        /// Two texts have the same probe exactly when they are the same GUID in canonical shape.
        #[test]
        fn probes_are_guids_up_to_ascii_case(
            a in guidish(),
            other in guidish(),
            flips in proptest::collection::vec(any::<bool>(), LEN),
            change in proptest::option::of((0..LEN, "[0-9a-fA-Fg-]")),
        ) {
            let canonical = |t: &str| t.len() == LEN && [8, 13, 18, 23].iter().all(|&i| t.as_bytes()[i] == b'-');
            let guid = |t: &str| parse_guid(t).filter(|_| canonical(t));
            // Mostly `a` with its case flipped here and there, now and then with a character changed as well, so
            // that equal and nearly equal pairs are common; sometimes an unrelated text.
            let mut b: String = a
                .chars()
                .zip(flips.iter().chain(std::iter::repeat(&false)))
                .map(|(ch, &f)| if f { ch.to_ascii_uppercase() } else { ch })
                .collect();
            if let Some((at, ch)) = change.filter(|(at, _)| b.is_char_boundary(*at) && b.is_char_boundary(at + 1)) {
                b.replace_range(at..at + 1, &ch);
            }
            if flips.first() == Some(&true) && flips.get(1) == Some(&true) {
                b = other;
            }
            for t in [&a, &b] {
                prop_assert_eq!(Probe::of(t.as_bytes()).is_some(), guid(t).is_some(), "{}", t);
            }
            let (pa, pb) = (Probe::of(a.as_bytes()), Probe::of(b.as_bytes()));
            if let (Some(pa), Some(pb)) = (pa, pb) {
                prop_assert_eq!(pa == pb, guid(&a) == guid(&b));
                prop_assert_eq!(pa == pb, a.eq_ignore_ascii_case(&b));
            }
            // The same GUID in other case spells the same probe.
            let b_lower = b.to_ascii_lowercase();
            prop_assert_eq!(Probe::of(b_lower.as_bytes()), pb);
        }

        #[test]
        fn agrees_with_eq_ignore_ascii_case(keys in proptest::collection::vec(guidish(), 0..40), query in guidish()) {
            let m = IdMap::new(keys.iter().zip(0u32..).map(|(k, i)| (k.as_bytes(), i)));
            let want = keys.iter().position(|k| k.eq_ignore_ascii_case(&query) && Probe::of(k.as_bytes()).is_some());
            let got = Probe::of(query.as_bytes()).and_then(|p| m.get(&p)).map(|&i| i as usize);
            prop_assert_eq!(got, want);
            let upper = query.to_ascii_uppercase();
            prop_assert_eq!(Probe::of(upper.as_bytes()), Probe::of(query.as_bytes()));
        }
    }
}
