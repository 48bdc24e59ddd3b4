//! [`OptId`]: a dense `u32` id that may be absent, in the four bytes of the id.

/// A dense id (principal, scope node, role, assignment, condition, chain…) or none. [`super::limits()`] keeps
/// every id below `u32::MAX`, which is the niche that stands for none, so the type packs into tables as a
/// plain `u32` does and orders none after every id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub(super) struct OptId(u32);

impl OptId {
    /// No id.
    pub const NONE: OptId = OptId(u32::MAX);

    /// The id `id`; `u32::MAX`, which `limits` never lets an id reach, reads as none.
    #[inline(always)]
    pub const fn some(id: u32) -> OptId {
        OptId(id)
    }

    /// The id of the `i`-th item; none when `i` does not fit (which `limits` rules out).
    pub fn from_index(i: usize) -> OptId {
        u32::try_from(i).map_or(OptId::NONE, OptId)
    }

    /// The id, if there is one.
    #[inline(always)]
    pub fn get(self) -> Option<u32> {
        (self != OptId::NONE).then_some(self.0)
    }

    /// Whether there is no id.
    #[inline(always)]
    pub fn is_none(self) -> bool {
        self == OptId::NONE
    }

    /// The four bytes as stored, for hashing a key that includes it.
    #[inline(always)]
    pub fn raw(self) -> u32 {
        self.0
    }
}

impl Default for OptId {
    fn default() -> Self {
        OptId::NONE
    }
}

impl From<Option<u32>> for OptId {
    fn from(id: Option<u32>) -> Self {
        id.map_or(OptId::NONE, OptId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_the_niche_and_sorts_last() {
        assert_eq!(OptId::some(7).get(), Some(7));
        assert_eq!(OptId::NONE.get(), None);
        assert_eq!(OptId::from(None).get(), None);
        assert_eq!(OptId::from_index(usize::MAX).get(), None);
        assert!(OptId::some(u32::MAX - 1) < OptId::NONE);
        assert_eq!(std::mem::size_of::<OptId>(), 4);
    }
}
