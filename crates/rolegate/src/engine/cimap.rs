//! An ASCII-case-insensitive string interner whose lookups do not allocate.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The FNV-1a offset basis: the hash of the empty string.
pub(crate) const HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Extends an FNV-1a hash by one byte, ASCII-lower-cased. FNV is sequential, so the hash of every prefix of a
/// string falls out of one pass (the engine looks up every prefix of a scope that way).
#[inline]
pub(crate) fn ci_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
}

/// FNV-1a over ASCII-lower-cased bytes: equal up to ASCII case means equal hash.
pub(crate) fn ci_hash(s: &str) -> u64 {
    s.bytes().fold(HASH_START, ci_step)
}

/// The keys are already hashes.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

const NONE: u32 = u32::MAX;

/// Interns strings up to ASCII case; ids are dense, in insertion order.
#[derive(Default, Debug)]
pub(crate) struct CiMap {
    head: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    keys: Vec<Box<str>>,
    next: Vec<u32>,
}

impl std::fmt::Debug for PassThrough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PassThrough")
    }
}

impl CiMap {
    /// The id of `s`, if interned. Does not allocate.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.get_hashed(ci_hash(s), s)
    }

    /// Like [`CiMap::get`] with the hash of `s` already computed by [`ci_hash`] or [`ci_step`].
    pub fn get_hashed(&self, hash: u64, s: &str) -> Option<u32> {
        let mut i = *self.head.get(&hash)?;
        while i != NONE {
            let idx = i as usize;
            if self.keys.get(idx).is_some_and(|k| k.eq_ignore_ascii_case(s)) {
                return Some(i);
            }
            i = self.next.get(idx).copied().unwrap_or(NONE);
        }
        None
    }

    /// The id of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.get(s) {
            return i;
        }
        let id = u32::try_from(self.keys.len()).unwrap_or(NONE - 1);
        let h = ci_hash(s);
        let prev = self.head.insert(h, id).unwrap_or(NONE);
        self.keys.push(s.into());
        self.next.push(prev);
        id
    }

    /// The string as first interned.
    pub fn name(&self, id: u32) -> &str {
        self.keys.get(id as usize).map_or("", |k| k)
    }

    /// Number of interned strings.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_and_collision_safe() {
        let mut m = CiMap::default();
        let a = m.intern("Alice");
        assert_eq!(m.intern("ALICE"), a);
        assert_eq!(m.get("alice"), Some(a));
        assert_eq!(m.get("bob"), None);
        // Force a chain: distinct keys under one hash bucket still resolve.
        let mut m = CiMap::default();
        let ids: Vec<u32> = (0..1000).map(|i| m.intern(&format!("k{i}"))).collect();
        assert!(ids.iter().enumerate().all(|(i, &id)| m.get(&format!("K{i}")) == Some(id)));
        assert_eq!(m.len(), 1000);
    }
}
