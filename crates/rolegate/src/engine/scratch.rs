//! The working space of a check: small inline lists, the prefixes of the request scope a check looks up, the
//! request's ids made ready for their tables, and the thread's reusable [`Scratch`].

use super::cimap;
use super::idmap::Probe;
use super::ids::OptId;
use super::scan::ScopeBuf;
use crate::scope::MAX_SEGMENTS;

/// A small list on the stack; spills to the heap only for pathological requests.
pub(super) struct Inline<T, const N: usize> {
    inline: [T; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy + Default, const N: usize> Inline<T, N> {
    pub fn new() -> Self {
        Inline { inline: [T::default(); N], len: 0, spill: Vec::new() }
    }

    /// Empties the list for another check, keeping its space.
    pub fn cleared(&mut self) -> &mut Self {
        self.len = 0;
        self.spill.clear();
        self
    }

    pub fn push(&mut self, v: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
            }
            None => self.spill.push(v),
        }
    }

    /// Pushes `v` if `keep`; while there is room inline, with no branch on `keep`.
    #[inline(always)]
    pub fn push_if(&mut self, keep: bool, v: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = v;
                self.len += usize::from(keep);
            }
            None if keep => self.spill.push(v),
            None => {}
        }
    }

    fn as_slices(&self) -> (&[T], &[T]) {
        (self.inline.get(..self.len).unwrap_or_default(), &self.spill)
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        let (a, b) = self.as_slices();
        a.iter().chain(b)
    }
}

/// A small set of scope or principal ids: an [`Inline`] list with the [`node_bit`] of every value pushed, so
/// that most membership tests (an assignment at an unrelated scope) end at the filter.
pub(super) struct NodeSet<const N: usize> {
    list: Inline<u32, N>,
    mask: u64,
}

impl<const N: usize> NodeSet<N> {
    pub fn new() -> Self {
        NodeSet { list: Inline::new(), mask: 0 }
    }

    pub fn push(&mut self, v: u32) {
        self.mask |= node_bit(v);
        self.list.push(v);
    }

    /// Empties the set for another check, keeping its space.
    pub fn cleared(&mut self) -> &mut Self {
        self.list.cleared();
        self.mask = 0;
        self
    }

    #[inline(always)]
    pub fn contains(&self, v: u32) -> bool {
        if self.mask & node_bit(v) == 0 {
            return false;
        }
        let (a, b) = self.list.as_slices();
        a.contains(&v) || b.contains(&v)
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.list.iter().copied()
    }
}

/// A scope node's bit in the 64-bit filter of [`NodeSet`].
#[inline(always)]
fn node_bit(node: u32) -> u64 {
    1 << (node % 64)
}

/// A request-scope prefix a check looks up: its segment count, where it ends, its key hash.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Prefix {
    pub depth: u32,
    pub end: u32,
    pub hash: u64,
}

/// The prefixes of a request scope a check looks up, shallowest first; only scopes deeper than
/// [`MAX_SEGMENTS`] (none are real) spill, which allocates.
pub(super) type Prefixes = Inline<Prefix, MAX_SEGMENTS>;

/// The working space of one check (see [`super::Engine::check`]): the request's text made ready for lookups,
/// and what the lookups found.
pub(super) struct Scratch {
    pub text: TextBufs,
    pub found: FoundSets,
}

/// Where a check puts the request's text made ready for lookups.
pub(super) struct TextBufs {
    pub scope: ScopeBuf,
    /// Room for an action or principal id and the 32 bytes [`cimap::lower_hash_into`] pads with.
    pub action: [u8; 160],
    pub principal: [u8; 96],
    pub prefixes: Prefixes,
}

/// What a check's lookups find: the live ancestors of the request scope, those with an enforced deny assignment,
/// the request's principals, and the (principal, subscription) keys that can hold an assignment in scope.
pub(super) struct FoundSets {
    pub anc: NodeSet<48>,
    pub denied: NodeSet<8>,
    pub principals: NodeSet<32>,
    pub keys: Inline<(u32, OptId), 32>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            text: TextBufs { scope: ScopeBuf::new(), action: [0; 160], principal: [0; 96], prefixes: Prefixes::new() },
            found: FoundSets {
                anc: NodeSet::new(),
                denied: NodeSet::new(),
                principals: NodeSet::new(),
                keys: Inline::new(),
            },
        }
    }
}

thread_local! {
    /// The buffers a check works in, reused rather than zeroed on every call.
    pub(super) static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::new());
}

/// A request's principal or group id ready to be looked up: a GUID in the table of GUID principal ids, any
/// other in the map of principal names, lower-cased with its hash when it fits the buffer.
pub(super) enum IdKey<'b> {
    Id(Probe),
    Lowered(&'b [u8], u64),
    Other,
}

impl<'b> IdKey<'b> {
    /// The key of `id`, lower-cased into `buf` when it is not a GUID.
    #[inline(always)]
    pub fn of(id: &str, buf: &'b mut [u8]) -> IdKey<'b> {
        if let Some(p) = Probe::of(id.as_bytes()) {
            return IdKey::Id(p);
        }
        match cimap::lower_hash_into(id, buf) {
            Some((low, h)) => IdKey::Lowered(low, h),
            None => IdKey::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `push_if` keeps exactly the values it is told to, in order, inline and spilled alike.
    #[test]
    fn inline_push_if_keeps_what_it_is_told() {
        let mut small: Inline<u32, 4> = Inline::new();
        for v in 0..40u32 {
            small.push_if(v % 3 != 0, v);
        }
        let want: Vec<u32> = (0..40).filter(|v| v % 3 != 0).collect();
        assert_eq!(small.iter().copied().collect::<Vec<_>>(), want);
        assert_eq!(small.cleared().iter().count(), 0);
    }
}
