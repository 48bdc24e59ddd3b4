//! An ASCII-case-insensitive string interner whose lookups do not allocate.
//!
//! Lookups are the check path's main cost, so the table is built for them: open addressing over one `u64` per
//! slot (32 bits of the hash beside the id, so a probe rarely touches a key that does not match), all keys in
//! one arena, and a hash that lower-cases and mixes eight bytes at a time.

const NONE: u32 = u32::MAX;
const LO: u64 = 0x0101_0101_0101_0101;
const SEED: u64 = 0x243f_6a88_85a3_08d3;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// ASCII-lower-cases the eight bytes of `w` at once; bytes outside `A`..=`Z` (non-ASCII ones included) are
/// unchanged, exactly as [`u8::to_ascii_lowercase`] leaves them.
#[inline]
fn lower8(w: u64) -> u64 {
    // With the top bit of every byte cleared, these additions cannot carry into the next byte.
    let b = w & (LO * 0x7f);
    let ge_a = b + LO * u64::from(0x80 - b'A');
    let gt_z = b + LO * u64::from(0x7f - b'Z');
    let upper = ge_a & !gt_z & !w & (LO * 0x80);
    w | (upper >> 2)
}

/// Little-endian word of up to eight bytes, zero-padded; one load for a full word.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    if let Ok(w) = <[u8; 8]>::try_from(bytes) {
        return u64::from_le_bytes(w);
    }
    bytes.iter().take(8).enumerate().fold(0, |w, (i, &b)| w | u64::from(b) << (8 * i))
}

/// Whether `query` equals `lower`, which is already ASCII-lower-cased, up to ASCII case; eight bytes at a time.
#[inline]
fn eq_lowered(lower: &[u8], query: &[u8]) -> bool {
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

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    // Truncations are the point: fold the high half into the low half.
    #[allow(clippy::cast_possible_truncation)]
    let (lo, hi) = (r as u64, (r >> 64) as u64);
    lo ^ hi
}

/// Hashes `s` up to ASCII case: strings equal up to ASCII case hash equally.
#[inline]
pub(crate) fn ci_hash(s: &str) -> u64 {
    hash_words::<true>(s.as_bytes())
}

/// [`ci_hash`] of bytes that are already ASCII-lower-cased (lower-casing is idempotent, so the two agree).
#[inline]
pub(crate) fn lowered_hash(bytes: &[u8]) -> u64 {
    hash_words::<false>(bytes)
}

#[inline(always)]
fn hash_words<const LOWER: bool>(bytes: &[u8]) -> u64 {
    let lower = |w: u64| if LOWER { lower8(w) } else { w };
    let mut h = SEED ^ (bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = fold(h ^ lower(word(c)), MUL);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = fold(h ^ lower(word(rest)), MUL);
    }
    fold(h, MUL ^ 0x5851_f42d_4c95_7f2d)
}

/// The hash of a scope path one segment longer than the path hashed by `h`, given the segment's
/// [`ci_hash`]. Scopes are keyed by this segment-chained hash so that a check can hash a request scope's
/// prefixes in one pass, and look up only the depths at which the tenant has scopes.
#[inline]
pub(crate) fn path_step(h: u64, segment_hash: u64) -> u64 {
    fold(h ^ segment_hash, MUL)
}

/// The hash of the root scope `/`, which has no segments.
pub(crate) const PATH_ROOT: u64 = SEED;

/// The segment-chained hash of a whole scope (see [`path_step`]).
pub(crate) fn path_hash(scope: &str) -> u64 {
    scope.split('/').filter(|s| !s.is_empty()).fold(PATH_ROOT, |h, seg| path_step(h, ci_hash(seg)))
}

/// Copies `s` ASCII-lower-cased into `buf`, eight bytes at a time; `None` when it does not fit.
#[inline]
pub(crate) fn lower_into<'b>(s: &str, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..s.len())?;
    let mut src = s.as_bytes().chunks_exact(8);
    let mut dst = out.chunks_exact_mut(8);
    for (d, c) in (&mut dst).zip(&mut src) {
        d.copy_from_slice(&lower8(word(c)).to_le_bytes());
    }
    for (d, c) in dst.into_remainder().iter_mut().zip(src.remainder()) {
        *d = c.to_ascii_lowercase();
    }
    Some(out)
}

/// One slot: the high half of the key's hash, the id (`NONE` when empty), and where the key sits in the arena,
/// so that a probe reads one cache line before it compares text.
#[derive(Clone, Copy, Debug)]
struct Slot {
    tag: u32,
    id: u32,
    at: u32,
    len: u32,
}

const EMPTY: Slot = Slot { tag: 0, id: NONE, at: 0, len: 0 };

/// Interns strings up to ASCII case under a caller-chosen hash ([`ci_hash`] for plain keys, [`path_hash`] for
/// scopes); ids are dense, in insertion order. Two keys equal up to ASCII case must be given equal hashes.
#[derive(Default, Debug)]
pub(crate) struct CiMap {
    slots: Vec<Slot>,
    /// Keys as interned, for names.
    arena: String,
    /// The same keys ASCII-lower-cased, at the same offsets, for comparisons.
    lowered: Vec<u8>,
    keys: Vec<(u32, u32, u64)>,
}

impl CiMap {
    /// The id of `s`, if interned. Does not allocate.
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        self.get_hashed(ci_hash(s), s)
    }

    /// The id of `s` whose hash is `h`, if interned. Does not allocate.
    #[inline]
    pub fn get_hashed(&self, h: u64, s: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)]
        let (tag, mut i) = ((h >> 32) as u32, h as usize & mask);
        loop {
            let slot = self.slots.get(i).copied().unwrap_or(EMPTY);
            if slot.id == NONE {
                return None;
            }
            if slot.tag == tag
                && slot.len as usize == s.len()
                && self
                    .lowered
                    .get(slot.at as usize..(slot.at + slot.len) as usize)
                    .is_some_and(|k| eq_lowered(k, s.as_bytes()))
            {
                return Some(slot.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Like [`CiMap::get`], lower-casing `s` into a stack buffer first so that the hash skips case folding and
    /// the comparison is a plain one; for the check path.
    #[inline]
    pub fn get_fast(&self, s: &str) -> Option<u32> {
        let mut buf = [0u8; 128];
        match lower_into(s, &mut buf) {
            Some(low) => self.get_lowered(lowered_hash(low), low),
            None => self.get(s),
        }
    }

    /// The id of the key whose ASCII-lower-cased bytes are `lowered` and whose hash is `h`. Does not allocate;
    /// compares whole slices, which is cheaper than comparing up to case.
    #[inline]
    pub fn get_lowered(&self, h: u64, lowered: &[u8]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)]
        let (tag, mut i) = ((h >> 32) as u32, h as usize & mask);
        loop {
            let slot = self.slots.get(i).copied().unwrap_or(EMPTY);
            if slot.id == NONE {
                return None;
            }
            if slot.tag == tag
                && slot.len as usize == lowered.len()
                && self.lowered.get(slot.at as usize..(slot.at + slot.len) as usize) == Some(lowered)
            {
                return Some(slot.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        self.intern_hashed(ci_hash(s), s)
    }

    /// The id of `s` whose hash is `h`, interning it if new.
    pub fn intern_hashed(&mut self, h: u64, s: &str) -> u32 {
        if let Some(i) = self.get_hashed(h, s) {
            return i;
        }
        // Ids are dense `u32`s with `NONE` reserved and the arena is addressed by `u32`: a table that full is far
        // beyond any tenant, and everything past it shares one id that matches nothing real.
        let fits = |n: usize| u32::try_from(n).ok().filter(|&n| n < NONE - 1);
        let (Some(id), Some(at), Some(len)) = (fits(self.keys.len()), fits(self.arena.len()), fits(s.len())) else {
            return NONE - 1;
        };
        if at.checked_add(len).is_none_or(|end| end >= NONE - 1) {
            return NONE - 1;
        }
        if (self.keys.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.arena.push_str(s);
        self.lowered.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
        self.keys.push((at, len, h));
        self.place(Slot { tag: 0, id, at, len }, h);
        id
    }

    fn place(&mut self, mut slot: Slot, h: u64) {
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)]
        let mut i = h as usize & mask;
        slot.tag = (h >> 32) as u32;
        while let Some(s) = self.slots.get_mut(i) {
            if s.id == NONE {
                *s = slot;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(16);
        self.slots = vec![EMPTY; cap];
        let keys = std::mem::take(&mut self.keys);
        for (id, &(at, len, h)) in keys.iter().enumerate() {
            let Ok(id) = u32::try_from(id) else { break };
            self.place(Slot { tag: 0, id, at, len }, h);
        }
        self.keys = keys;
    }

    /// The text as first interned.
    #[inline]
    pub fn name(&self, id: u32) -> &str {
        self.keys
            .get(id as usize)
            .and_then(|&(at, len, _)| self.arena.get(at as usize..(at + len) as usize))
            .unwrap_or("")
    }

    /// Number of interned keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn case_insensitive_and_collision_safe() {
        let mut m = CiMap::default();
        let a = m.intern("Alice");
        assert_eq!(m.intern("ALICE"), a);
        assert_eq!(m.get("alice"), Some(a));
        assert_eq!(m.get("bob"), None);
        assert_eq!(m.name(a), "Alice");
        let ids: Vec<u32> = (0..1000).map(|i| m.intern(&format!("k{i}"))).collect();
        assert!(ids.iter().enumerate().all(|(i, &id)| m.get(&format!("K{i}")) == Some(id)));
        assert_eq!(m.len(), 1001);
        // Ids survive growth with their names.
        assert_eq!(m.name(ids[999]), "k999");
    }

    #[test]
    fn scopes_by_path_hash() {
        let mut m = CiMap::default();
        let s1 = m.intern_hashed(path_hash("/subscriptions/S1"), "/subscriptions/S1");
        let h = path_step(path_step(PATH_ROOT, ci_hash("SUBSCRIPTIONS")), ci_hash("s1"));
        assert_eq!(m.get_hashed(h, "/Subscriptions/s1"), Some(s1));
        assert_eq!(m.get_hashed(h, "/subscriptions/s2"), None);
        assert_ne!(path_hash("/a/bc"), path_hash("/ab/c"));
    }

    #[test]
    fn lower8_is_bytewise_to_ascii_lowercase() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b, b'Z', 0x80 | b'A', b'@', b'[', b, 0xff, b'a']);
            let expected = u64::from_le_bytes(w.to_le_bytes().map(|x| x.to_ascii_lowercase()));
            assert_eq!(lower8(w), expected, "byte {b:#x}");
        }
    }

    proptest! {
        #[test]
        fn lowered_lookups_agree(s in "[a-zA-Z0-9ſK/é._-]{0,40}") {
            let mut m = CiMap::default();
            let id = m.intern(&s);
            let mut buf = [0u8; 64];
            let low = lower_into(&s.to_ascii_uppercase(), &mut buf).unwrap().to_vec();
            let expected = s.to_ascii_lowercase();
            prop_assert_eq!(&low[..], expected.as_bytes());
            prop_assert_eq!(lowered_hash(&low), ci_hash(&s));
            prop_assert_eq!(m.get_lowered(lowered_hash(&low), &low), Some(id));
            prop_assert!(lower_into(&s, &mut [0u8; 3]).is_none() || s.len() <= 3);
        }

        #[test]
        fn eq_lowered_is_eq_ignore_ascii_case(a in "[a-cA-CſK/é]{0,20}", b in "[a-cA-CſK/é]{0,20}") {
            let lower = a.to_ascii_lowercase();
            prop_assert_eq!(eq_lowered(lower.as_bytes(), b.as_bytes()), a.eq_ignore_ascii_case(&b));
            prop_assert!(eq_lowered(lower.as_bytes(), a.to_ascii_uppercase().as_bytes()));
        }

        #[test]
        fn hash_ignores_ascii_case_only(s in "[a-zA-Z0-9ſK/._-]{0,40}") {
            let upper = s.to_ascii_uppercase();
            prop_assert_eq!(ci_hash(&s), ci_hash(&upper));
            prop_assert_eq!(path_hash(&s), path_hash(&upper));
            let mut m = CiMap::default();
            let id = m.intern(&s);
            prop_assert_eq!(m.get(&upper), Some(id));
            // Unicode case folding is not ASCII folding (SPEC §2.4).
            let folded = s.to_lowercase();
            prop_assert_eq!(m.get(&folded).is_some(), folded.eq_ignore_ascii_case(&s));
        }
    }
}
