//! An ASCII-case-insensitive string interner whose lookups do not allocate.
//!
//! Lookups are the check path's main cost, so the table is built for them: open addressing over one `u64` per
//! slot (32 bits of the hash beside the id, so a probe rarely touches a key that does not match), all keys in
//! one arena, and a hash that lower-cases and mixes eight bytes at a time. Keys of 32 to 96 bytes, nearly every
//! operation name, hash as a [`Fixed`] key instead, so that a check can look its action up without copying it.

use super::fixed::Fixed;
use super::pages::Pages;
use crate::swar::{eq_lowered, fold, lower8, word};

const NONE: u32 = u32::MAX;
const SEED: u64 = 0x243f_6a88_85a3_08d3;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;
const FINISH: u64 = 0x5851_f42d_4c95_7f2d;

/// Hashes `s` up to ASCII case: strings equal up to ASCII case hash equally. Keys of [`Fixed`] shape take its hash.
#[inline]
pub(crate) fn ci_hash(s: &str) -> u64 {
    match Fixed::of(s.as_bytes()) {
        Some(f) => f.hash(),
        None => hash_words::<true>(s.as_bytes()),
    }
}

/// [`ci_hash`] of bytes that are already ASCII-lower-cased (lower-casing is idempotent, so the two agree).
#[cfg(test)]
pub(crate) fn lowered_hash(bytes: &[u8]) -> u64 {
    match Fixed::of(bytes) {
        Some(f) => f.hash(),
        None => hash_words::<false>(bytes),
    }
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
    fold(h, MUL ^ FINISH)
}

/// Hashes the prefixes of one string up to ASCII case, word by word, so that hashing every prefix a check
/// looks up costs one pass over the string: scopes are keyed by [`path_hash`], and a check hashes the request
/// scope's prefixes at the depths where the tenant has scopes.
pub(crate) struct PrefixHasher<'a, const LOWER: bool> {
    bytes: &'a [u8],
    h: u64,
    done: usize,
}

impl<'a> PrefixHasher<'a, true> {
    /// A hasher over `s`, folding ASCII case.
    #[inline]
    pub fn new(s: &'a str) -> Self {
        PrefixHasher { bytes: s.as_bytes(), h: SEED, done: 0 }
    }
}

impl<'a> PrefixHasher<'a, false> {
    /// A hasher over bytes that are already ASCII-lower-cased: the same hashes as [`PrefixHasher::new`] of the
    /// original text, with less work.
    #[inline]
    pub fn lowered(bytes: &'a [u8]) -> Self {
        PrefixHasher { bytes, h: SEED, done: 0 }
    }
}

impl<const LOWER: bool> PrefixHasher<'_, LOWER> {
    /// The hash of the first `end` bytes; `end` must not decrease between calls. Bytes past `end` may be read
    /// (and ignored), so a hasher over a padded buffer reads the last partial word in one load.
    #[inline]
    pub fn hash_to(&mut self, end: usize) -> u64 {
        let lower = |w: u64| if LOWER { lower8(w) } else { w };
        let full = end.saturating_sub(self.done) & !7;
        for c in self.bytes.get(self.done..self.done + full).unwrap_or_default().chunks_exact(8) {
            self.h = fold(self.h ^ lower(word(c)), MUL);
        }
        self.done += full;
        let n = end.saturating_sub(self.done);
        let rest = match self.bytes.get(self.done..self.done + 8) {
            Some(w) => word(w) & u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0),
            None => self.bytes.get(self.done..end).map_or(0, word),
        };
        fold(self.h ^ lower(rest) ^ (end as u64).rotate_left(40), MUL ^ FINISH)
    }
}

/// The key hash of a scope (see [`PrefixHasher`]).
pub(crate) fn path_hash(scope: &str) -> u64 {
    PrefixHasher::new(scope).hash_to(scope.len())
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

/// [`lower_into`] and [`lowered_hash`] of the result; `None` when `s` does not fit in `buf` with 32 bytes to
/// spare (see [`lower_hash_plain`]).
#[inline(always)]
pub(crate) fn lower_hash_into<'b>(s: &str, buf: &'b mut [u8]) -> Option<(&'b [u8], u64)> {
    lower_hash_plain(s, buf).map(|(low, h, _)| (low, h))
}

/// [`lower_hash_into`], and whether every byte of `s` is printable ASCII other than `*` (the common case of an
/// operation name, which then needs no character-by-character check). The text is copied and followed by 32
/// bytes of `a`, so that one pass over whole 32-byte blocks lower-cases and classifies it (a loop the compiler
/// vectorises with no remainder; the padding changes neither answer); the hash reads whole words and masks the
/// padding out of the last.
#[inline(always)]
pub(crate) fn lower_hash_plain<'b>(s: &str, buf: &'b mut [u8]) -> Option<(&'b [u8], u64, bool)> {
    let len = s.len();
    let (text, rest) = buf.split_at_mut_checked(len)?;
    text.copy_from_slice(s.as_bytes());
    rest.get_mut(..32)?.copy_from_slice(&[b'a'; 32]);
    let mut plain = true;
    for b in buf.get_mut(..(len + 31) & !31)?.iter_mut() {
        plain &= b.is_ascii_graphic() & (*b != b'*');
        b.make_ascii_lowercase();
    }
    if let Some(f) = Fixed::of(buf.get(..len)?) {
        return Some((buf.get(..len)?, f.hash(), plain));
    }
    let mut h = SEED ^ (len as u64);
    let whole = len & !7;
    for w in buf.get(..whole)?.chunks_exact(8) {
        h = fold(h ^ word(w), MUL);
    }
    if len > whole {
        // The last word as `word` reads a short one: zeros in place of the padding.
        let keep = u64::MAX >> (64 - 8 * (len - whole));
        h = fold(h ^ (word(buf.get(whole..whole + 8)?) & keep), MUL);
    }
    Some((buf.get(..len)?, fold(h, MUL ^ FINISH), plain))
}

/// One slot: 16 bits of the key's hash, a caller's 16 bits about the key (see [`CiMap::set_aux`]), the id
/// (`NONE` when empty), and where the key sits in the arena, so that a probe reads one cache line before it
/// compares text, and a hit answers the caller's first question without another.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Slot {
    tag: u16,
    aux: u16,
    id: u32,
    at: u32,
    len: u32,
}

const EMPTY: Slot = Slot { tag: 0, aux: 0, id: NONE, at: 0, len: 0 };

/// Interns strings up to ASCII case under a caller-chosen hash ([`ci_hash`] for plain keys, [`path_hash`] for
/// scopes); ids are dense, in insertion order. Two keys equal up to ASCII case must be given equal hashes.
#[derive(Default, Debug)]
pub(crate) struct CiMap {
    slots: Pages<Slot>,
    /// Keys as interned, for names; empty when the map was made [`CiMap::without_names`].
    arena: String,
    names: Names,
    /// The same keys ASCII-lower-cased, at the same offsets, for comparisons.
    lowered: Pages<u8>,
    keys: Vec<(u32, u32, u64)>,
    /// Whether a key was refused for want of room (see [`CiMap::is_full`]).
    full: bool,
}

/// Whether a [`CiMap`] keeps its keys' original spelling.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    #[default]
    Kept,
    Lowered,
}

/// Puts `slot`, whose key's hash is `h`, in the first free slot of `h`'s probe sequence.
fn place(slots: &mut [Slot], mut slot: Slot, h: u64) {
    let mask = slots.len().wrapping_sub(1);
    #[allow(clippy::cast_possible_truncation)]
    let mut i = h as usize & mask;
    slot.tag = (h >> 48) as u16;
    while let Some(s) = slots.get_mut(i) {
        if s.id == NONE {
            *s = slot;
            return;
        }
        i = (i + 1) & mask;
    }
}

impl CiMap {
    /// A map that keeps only the lower-cased keys: [`CiMap::name`] answers them lower-cased. Scopes need no
    /// original spelling (reasons point into the tenant), and on a large tenant the copy is tens of megabytes.
    pub fn without_names() -> CiMap {
        CiMap { names: Names::Lowered, ..CiMap::default() }
    }

    /// The id of `s`, if interned. Does not allocate.
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        self.get_hashed(ci_hash(s), s)
    }

    /// [`CiMap::get`] with the key's [`CiMap::set_aux`] bits.
    #[inline]
    pub fn get_aux(&self, s: &str) -> Option<(u32, u16)> {
        self.get_hashed_aux(ci_hash(s), s)
    }

    /// The id of `s` whose hash is `h`, if interned. Does not allocate.
    #[inline]
    pub fn get_hashed(&self, h: u64, s: &str) -> Option<u32> {
        self.get_hashed_aux(h, s).map(|(id, _)| id)
    }

    /// [`CiMap::get_hashed`] with the key's [`CiMap::set_aux`] bits.
    #[inline]
    pub fn get_hashed_aux(&self, h: u64, s: &str) -> Option<(u32, u16)> {
        self.probe(h, s.len(), |key| eq_lowered(key, s.as_bytes()))
    }

    /// Walks the probe sequence of `h` to the slot whose key has length `len` and passes `same`.
    #[inline(always)]
    fn probe(&self, h: u64, len: usize, same: impl Fn(&[u8]) -> bool) -> Option<(u32, u16)> {
        let (slots, lowered): (&[Slot], &[u8]) = (&self.slots, &self.lowered);
        if slots.is_empty() {
            return None;
        }
        let mask = slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)]
        let (tag, mut i) = ((h >> 48) as u16, h as usize & mask);
        loop {
            // Total: `i` is masked to the table's power-of-two length, so the fallback is never read.
            let slot = slots.get(i).copied().unwrap_or(EMPTY);
            if slot.id == NONE {
                return None;
            }
            if slot.tag == tag
                && slot.len as usize == len
                && lowered.get(slot.at as usize..(slot.at + slot.len) as usize).is_some_and(&same)
            {
                return Some((slot.id, slot.aux));
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether the table lives in a mapping of its own ([`super::pages`]).
    #[cfg(test)]
    pub fn is_mapped(&self) -> bool {
        self.slots.is_mapped()
    }

    /// Prefetches the first slot of `h`'s probe sequence, so that a lookup of `h` soon after finds it in cache: a
    /// check issues these for all of its keys at once, and the misses overlap.
    #[inline]
    pub fn warm(&self, h: u64) {
        let slots: &[Slot] = &self.slots;
        if let Some(slot) = slots.get(h as usize & slots.len().wrapping_sub(1)) {
            super::prefetch(slot);
        }
    }

    /// Sets the caller's 16 bits about key `id`, which [`CiMap::get_lowered_aux`] returns with the id.
    pub fn set_aux(&mut self, id: u32, aux: u16) {
        let Some(&(_, _, h)) = self.keys.get(id as usize) else { return };
        self.slots.edit(|slots| {
            let mask = slots.len().wrapping_sub(1);
            #[allow(clippy::cast_possible_truncation)]
            let mut i = h as usize & mask;
            while let Some(s) = slots.get_mut(i) {
                if s.id == id || s.id == NONE {
                    if s.id == id {
                        s.aux = aux;
                    }
                    return;
                }
                i = (i + 1) & mask;
            }
        });
    }

    /// [`CiMap::get_aux`] of a fixed-shape key.
    #[inline]
    pub fn get_fixed_aux(&self, key: &Fixed) -> Option<(u32, u16)> {
        self.probe(key.hash(), key.len(), |k| key.matches(k))
    }

    /// The id of the key whose ASCII-lower-cased bytes are `lowered` and whose hash is `h`. Does not allocate;
    /// compares whole slices, which is cheaper than comparing up to case.
    #[inline]
    pub fn get_lowered(&self, h: u64, lowered: &[u8]) -> Option<u32> {
        self.get_lowered_aux(h, lowered).map(|(id, _)| id)
    }

    /// [`CiMap::get_lowered`] with the key's [`CiMap::set_aux`] bits.
    #[inline]
    pub fn get_lowered_aux(&self, h: u64, lowered: &[u8]) -> Option<(u32, u16)> {
        self.probe(h, lowered.len(), |key| key == lowered)
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
        // beyond any tenant; everything past it shares one id that matches nothing real, and the map says it is
        // full so that the engine refuses it.
        let fits = |n: usize| u32::try_from(n).ok().filter(|&n| n < NONE - 1);
        let (Some(id), Some(at), Some(len)) = (fits(self.keys.len()), fits(self.lowered.len()), fits(s.len())) else {
            self.full = true;
            return NONE - 1;
        };
        if at.checked_add(len).is_none_or(|end| end >= NONE - 1) {
            self.full = true;
            return NONE - 1;
        }
        if (self.keys.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        if self.names == Names::Kept {
            self.arena.push_str(s);
        }
        self.lowered.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
        self.keys.push((at, len, h));
        self.slots.edit(|slots| place(slots, Slot { id, at, len, ..EMPTY }, h));
        id
    }

    fn grow(&mut self) {
        let (old, keys) = (&self.slots, &self.keys);
        self.slots = Pages::build((old.len() * 2).max(16), EMPTY, |slots| {
            for &slot in old.iter().filter(|s| s.id != NONE) {
                place(slots, slot, keys.get(slot.id as usize).map_or(0, |k| k.2));
            }
        });
    }

    /// The text as first interned (lower-cased for a map made [`CiMap::without_names`]).
    #[inline]
    pub fn name(&self, id: u32) -> &str {
        let Some(&(at, len, _)) = self.keys.get(id as usize) else { return "" };
        let range = at as usize..(at + len) as usize;
        match self.names {
            Names::Kept => self.arena.get(range).unwrap_or(""),
            Names::Lowered => self.lowered.get(range).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or(""),
        }
    }

    /// The key `id` ASCII-lower-cased (empty for an unknown id).
    #[inline]
    pub fn lowered_key(&self, id: u32) -> &[u8] {
        let Some(&(at, len, _)) = self.keys.get(id as usize) else { return &[] };
        self.lowered.get(at as usize..(at + len) as usize).unwrap_or_default()
    }

    /// Where the lower-cased key `id` sits, for [`CiMap::lowered_range`]: `(offset, length)`.
    #[inline]
    pub fn key_range(&self, id: u32) -> (u32, u32) {
        self.keys.get(id as usize).map_or((0, 0), |&(at, len, _)| (at, len))
    }

    /// The lower-cased key text at `at` of `len` bytes (see [`CiMap::key_range`]).
    #[inline]
    pub fn lowered_range(&self, at: u32, len: usize) -> &[u8] {
        self.lowered.get(at as usize..at as usize + len).unwrap_or_default()
    }

    /// Whether a key went unstored for want of room, so that the engine that built the map refuses it: a deny
    /// naming such a key would match nothing.
    pub fn is_full(&self) -> bool {
        self.full
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
        let scope = "/Subscriptions/s1/resourceGroups/rg";
        let mut p = PrefixHasher::new(scope);
        let h = p.hash_to(17);
        assert_eq!(m.get_hashed(h, &scope[..17]), Some(s1));
        assert_eq!(p.hash_to(scope.len()), path_hash(&scope.to_ascii_uppercase()));
        assert_eq!(m.get_hashed(path_hash("/subscriptions/s2"), "/subscriptions/s2"), None);
        // Zero bytes pad a short last word; the length keeps such strings apart.
        assert_ne!(path_hash("/a"), path_hash("/a\0"));
    }

    proptest! {
        #[test]
        fn lowered_lookups_agree(s in "[a-zA-Z0-9ſK/é._-]{0,40}") {
            let mut m = CiMap::default();
            let id = m.intern(&s);
            // Dirty, as a reused buffer is: what follows the text must not reach the hash.
            let mut buf = [b'X'; 128];
            let low = lower_into(&s.to_ascii_uppercase(), &mut buf).unwrap().to_vec();
            let expected = s.to_ascii_lowercase();
            prop_assert_eq!(&low[..], expected.as_bytes());
            prop_assert_eq!(lowered_hash(&low), ci_hash(&s));
            prop_assert_eq!(m.get_lowered(lowered_hash(&low), &low), Some(id));
            prop_assert!(lower_into(&s, &mut [0u8; 3]).is_none() || s.len() <= 3);
            let upper = s.to_ascii_uppercase();
            let (fused, h) = lower_hash_into(&upper, &mut buf).unwrap();
            prop_assert_eq!(fused, expected.as_bytes());
            prop_assert_eq!(h, ci_hash(&s));
            prop_assert!(lower_hash_into(&upper, &mut [0u8; 8]).is_none() || s.len() + 32 <= 8);
            prop_assert_eq!(m.get(&upper), Some(id));
            prop_assert!(lower_hash_into(&upper, &mut vec![0u8; upper.len() + 31]).is_none());
            let plain = lower_hash_plain(&upper, &mut buf).unwrap().2;
            prop_assert_eq!(plain, s.bytes().all(|b| b.is_ascii_graphic() && b != b'*'));
        }

        #[test]
        fn hash_ignores_ascii_case_only(s in "[a-zA-Z0-9ſK/._-]{0,40}") {
            let upper = s.to_ascii_uppercase();
            prop_assert_eq!(ci_hash(&s), ci_hash(&upper));
            prop_assert_eq!(path_hash(&s), path_hash(&upper));
            let mut p = PrefixHasher::new(&s);
            let lower = s.to_ascii_lowercase();
            let mut q = PrefixHasher::lowered(lower.as_bytes());
            // Whatever follows in a padded buffer is ignored.
            let padded = [lower.as_bytes(), b"/Junk\xff/junk"].concat();
            let mut r = PrefixHasher::lowered(&padded);
            for end in (0..=s.len()).filter(|&e| s.is_char_boundary(e)) {
                prop_assert_eq!(p.hash_to(end), path_hash(&s[..end]));
                prop_assert_eq!(q.hash_to(end), path_hash(&s[..end]));
                prop_assert_eq!(r.hash_to(end), path_hash(&s[..end]));
            }
            let mut m = CiMap::default();
            let id = m.intern(&s);
            prop_assert_eq!(m.get(&upper), Some(id));
            // Unicode case folding is not ASCII folding (semantics §2.4).
            let folded = s.to_lowercase();
            prop_assert_eq!(m.get(&folded).is_some(), folded.eq_ignore_ascii_case(&s));
        }
    }
}
