//! A lookup table for keys of exactly 36 bytes, the length of a GUID's text, which is what real principal and
//! subscription ids are.
//!
//! [`super::cimap::CiMap`] keeps its keys in an arena: a lookup reads the slot, then the key, then compares
//! with `memcmp`, and the request's text must first be copied to be lower-cased and hashed. Here the key is read
//! straight from the request in five words, lower-cased in registers, hashed with three independent
//! multiplications, and sits lower-cased in its slot, so a hit is one slot read and five word comparisons.
//!
//! Any 36-byte text is a key, GUID or not. Ids of other lengths stay in the general map only, and which map a
//! request's id is looked up in depends only on its length, so the two never disagree.

use crate::swar::lower8;

const NONE: u32 = u32::MAX;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// The key length.
pub(crate) const LEN: usize = 36;

/// A key looked up: the text ASCII-lower-cased as five little-endian words (the last holds bytes 32..36 and
/// zeros), and its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Probe {
    key: [u64; 5],
    hash: u64,
}

impl Probe {
    /// The probe of `text` when it is [`LEN`] bytes long, ASCII-lower-cased on the way.
    #[inline(always)]
    pub fn of(text: &[u8]) -> Option<Probe> {
        Self::words(text).map(|w| Self::hashed(w.map(lower8)))
    }

    /// [`Probe::of`] for text already ASCII-lower-cased.
    #[inline(always)]
    pub fn of_lowered(text: &[u8]) -> Option<Probe> {
        Self::words(text).map(Self::hashed)
    }

    #[inline(always)]
    fn words(text: &[u8]) -> Option<[u64; 5]> {
        let text: &[u8; LEN] = text.try_into().ok()?;
        let (words, tail) = text.as_chunks::<8>();
        let mut key = [0u64; 5];
        for (k, w) in key.iter_mut().zip(words) {
            *k = u64::from_le_bytes(*w);
        }
        if let (Some(last), Ok(tail)) = (key.last_mut(), <[u8; 4]>::try_from(tail)) {
            *last = u64::from(u32::from_le_bytes(tail));
        }
        Some(key)
    }

    #[inline(always)]
    fn hashed(key: [u64; 5]) -> Probe {
        let fold = |a: u64, b: u64| {
            let r = u128::from(a) * u128::from(b);
            // Truncations are the point: fold the high half into the low half.
            #[allow(clippy::cast_possible_truncation)]
            let (lo, hi) = (r as u64, (r >> 64) as u64);
            lo ^ hi
        };
        let [a, b, c, d, e] = key;
        // Three products that do not wait for one another; each word reaches the low bits the index uses.
        let hash = fold(a ^ 0x243f_6a88_85a3_08d3, b ^ 0x1319_8a2e_0370_7344)
            ^ fold(c ^ 0xa409_3822_299f_31d0, d ^ 0x082e_fa98_ec4e_6c89)
            ^ fold(e ^ 0x4528_21e6_38d0_1377, MUL);
        Probe { key, hash }
    }
}

#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
struct Slot {
    key: [u64; 5],
    /// `NONE` when empty.
    id: u32,
    aux: u16,
}

const EMPTY: Slot = Slot { key: [0; 5], id: NONE, aux: 0 };

/// A map from 36-byte keys, up to ASCII case, to an id and 16 bits of the caller's.
#[derive(Debug, Default)]
pub(crate) struct IdMap {
    slots: Box<[Slot]>,
}

impl IdMap {
    /// The map of `entries` (`key, id, aux`): the first entry of a key wins, texts that are not [`LEN`] bytes
    /// long are left out.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a [u8], u32, u16)>) -> IdMap {
        let probes: Vec<(Probe, u32, u16)> =
            entries.into_iter().filter_map(|(text, id, aux)| Some((Probe::of(text)?, id, aux))).collect();
        if probes.is_empty() {
            return IdMap::default();
        }
        // At most half full, so that a miss ends after a slot or two.
        let cap = (probes.len() * 2).next_power_of_two();
        let mut slots = vec![EMPTY; cap].into_boxed_slice();
        let mask = cap - 1;
        for (p, id, aux) in probes {
            // `hash` is 64 bits; only the bits under the mask are kept.
            #[allow(clippy::cast_possible_truncation)]
            let mut i = p.hash as usize & mask;
            while let Some(slot) = slots.get_mut(i) {
                if slot.id == NONE {
                    *slot = Slot { key: p.key, id, aux };
                    break;
                }
                if slot.key == p.key {
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        IdMap { slots }
    }

    #[inline(always)]
    fn home(&self, p: &Probe) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let i = p.hash as usize & self.slots.len().wrapping_sub(1);
        i
    }

    /// The id and aux bits of the probe's key, if present.
    #[inline]
    pub fn get(&self, p: &Probe) -> Option<(u32, u16)> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = self.home(p);
        loop {
            let slot = self.slots.get(i)?;
            if slot.id == NONE {
                return None;
            }
            if slot.key == p.key {
                return Some((slot.id, slot.aux));
            }
            i = (i + 1) & mask;
        }
    }

    /// Prefetches the probe's first slot, so that [`IdMap::get`] soon after finds it in cache.
    #[inline]
    pub fn warm(&self, p: &Probe) {
        if let Some(slot) = self.slots.get(self.home(p)) {
            super::prefetch(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_36_byte_keys_up_to_ascii_case() {
        let ids = ["0000000a-0000-0000-0000-00000000000B", "ffffffff-ffff-ffff-ffff-ffffffffffff", "short"];
        let map = IdMap::new(ids.iter().zip(0u32..).map(|(s, i)| (s.as_bytes(), i, 7 - i as u16)));
        let get = |s: &str| Probe::of(s.as_bytes()).and_then(|p| map.get(&p));
        assert_eq!(get("0000000A-0000-0000-0000-00000000000b"), Some((0, 7)));
        assert_eq!(get("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"), Some((1, 6)));
        assert_eq!(get("0000000a-0000-0000-0000-00000000000c"), None);
        assert_eq!(Probe::of(b"short"), None);
        assert_eq!(Probe::of(&[b'a'; 37]), None);
        // The last four bytes count, and the first entry of a key wins.
        let twice =
            IdMap::new([(&b"x"[..], 0, 0)].into_iter().chain([(&[b'a'; 36][..], 1, 0), (&[b'A'; 36][..], 2, 0)]));
        assert_eq!(twice.get(&Probe::of(&[b'a'; 36]).unwrap()), Some((1, 0)));
        let mut near = [b'a'; 36];
        near[35] = b'b';
        assert_eq!(twice.get(&Probe::of(&near).unwrap()), None);
        assert_eq!(IdMap::default().get(&Probe::of(&near).unwrap()), None);
        IdMap::default().warm(&Probe::of(&near).unwrap());
    }

    proptest! {
        #[test]
        fn agrees_with_eq_ignore_ascii_case(
            keys in proptest::collection::vec("[a-fA-F0-9é-]{34,38}", 0..40),
            query in "[a-fA-F0-9é-]{34,38}",
        ) {
            let map = IdMap::new(keys.iter().zip(0u32..).map(|(k, i)| (k.as_bytes(), i, 0)));
            let want = keys.iter().position(|k| k.len() == LEN && k.eq_ignore_ascii_case(&query));
            let got = Probe::of(query.as_bytes()).and_then(|p| map.get(&p)).map(|(id, _)| id as usize);
            prop_assert_eq!(got, want);
            let lowered = query.to_ascii_lowercase();
            prop_assert_eq!(Probe::of_lowered(lowered.as_bytes()), Probe::of(query.as_bytes()));
        }
    }
}
