//! Role assignments keyed by (principal, subscription), for the check path.
//!
//! Almost every (principal, subscription) pair of a real tenant holds a single assignment, so the assignments
//! themselves are the entries of one open-addressed table: a check asks for the pair it needs and reads the
//! assignment from the slot it lands on, one cache line, instead of searching the principal's sorted list.

use super::ids::OptId;
use super::pages::Pages;

/// The principal of a slot that holds no entry (principal ids stay below it, see [`super::limits()`]).
const VACANT: u32 = u32::MAX;

/// An entry and its key, in 32 bytes aligned to 32, so that a slot never straddles two cache lines. The flags
/// are bytes, so that the slot is plain old data and the table can live in huge pages ([`super::pages`]).
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(32))]
struct Slot {
    principal: u32,
    /// The subscription's scope node, or none for an assignment outside any subscription.
    subscription: OptId,
    node: u32,
    assignment: u32,
    role: OptId,
    text_at: u32,
    text_len: u16,
    conditional: u8,
    last: u8,
    sole: [NarrowSole; 2],
}

impl Slot {
    fn new(principal: u32, subscription: OptId, e: Entry) -> Slot {
        let Entry { node, assignment, role, text_at, text_len, conditional, last, sole } = e;
        let (conditional, last) = (u8::from(conditional), u8::from(last));
        Slot { principal, subscription, node, assignment, role, text_at, text_len, conditional, last, sole }
    }

    #[inline(always)]
    fn entry(&self) -> Entry {
        let Slot { node, assignment, role, text_at, text_len, conditional, last, sole, .. } = *self;
        Entry { node, assignment, role, text_at, text_len, conditional: conditional != 0, last: last != 0, sole }
    }
}

const EMPTY_ENTRY: Entry = Entry {
    node: VACANT,
    assignment: VACANT,
    role: OptId::NONE,
    text_at: 0,
    text_len: 0,
    conditional: true,
    last: true,
    sole: [NarrowSole::NONE; 2],
};

/// What [`HeldMap::get`] finds: what a check needs of an assignment, in the slot it already read rather than
/// in arrays it would read next: the scope node the assignment sits at and where that scope's lower-cased text
/// is (for comparing it with the request's), its role, whether it has a condition, and which pattern of the role
/// grants whatever it grants on each plane when a single one does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub node: u32,
    pub assignment: u32,
    /// None for an assignment of a role the tenant does not define, which grants nothing.
    pub role: OptId,
    /// The scope's text in the scope map's arena (`CiMap::lowered_range`); `text_len` is `u16::MAX` for a text
    /// that long or longer, which is then found by its node.
    pub text_at: u32,
    pub text_len: u16,
    pub conditional: bool,
    /// Whether no later slot holds an entry of the same key, so that [`HeldMap::get`] stops here rather than at
    /// the next empty slot (set by [`HeldMap::new`]; ignored in its input).
    pub last: bool,
    /// Per plane, the role's sole grant pattern ([`Entry::sole_grant`]), when its numbers fit.
    pub sole: [NarrowSole; 2],
}

/// A role's sole grant (the compiled `SoleGrant`) narrowed to sixteen bits, `block << 12 | pattern`, so that
/// it fits a slot; `u16::MAX` when there is none or its numbers do not fit (block 16 or more, pattern `0xfff`
/// or more), which only sends the check to the role's grant list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub(super) struct NarrowSole(u16);

impl NarrowSole {
    const NONE: NarrowSole = NarrowSole(u16::MAX);

    /// The narrow form of `(block, pattern)`.
    pub fn new(sole: Option<(u16, u16)>) -> NarrowSole {
        match sole {
            Some((block, pattern)) if block < 16 && pattern < 0xfff => NarrowSole(block << 12 | pattern),
            _ => NarrowSole::NONE,
        }
    }

    /// The block and pattern, if they fit.
    #[inline(always)]
    pub fn get(self) -> Option<(u16, u16)> {
        (self != NarrowSole::NONE).then_some((self.0 >> 12, self.0 & 0xfff))
    }
}

impl Entry {
    /// The block and pattern of the role that grant whatever it grants on the plane (by index), when a single
    /// pattern of the role grants on it; `None` says to look in the role's grant list.
    #[inline(always)]
    pub fn sole_grant(&self, plane: usize) -> Option<(u16, u16)> {
        self.sole.get(plane).and_then(|s| s.get())
    }
}

/// A multimap from (principal, subscription node or none) to [`Entry`].
#[derive(Debug, Default)]
pub(super) struct HeldMap {
    slots: Pages<Slot>,
    shift: u32,
}

/// Fibonacci hashing of the pair: ids are dense, and the high bits of the product mix both. `shift` leaves the
/// table's `log2(capacity)` bits.
#[inline(always)]
fn home(shift: u32, principal: u32, subscription: OptId) -> usize {
    let key = (u64::from(principal) << 32) | u64::from(subscription.raw());
    #[allow(clippy::cast_possible_truncation)]
    let home = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize;
    home
}

impl HeldMap {
    /// The map of `entries` (`principal, subscription, entry`; `count` of them, which sizes the table). Entries
    /// of one key come back in the order given: linear probing never places a later entry of a key before an
    /// earlier one.
    pub fn new(count: usize, entries: impl IntoIterator<Item = (u32, OptId, Entry)>) -> HeldMap {
        let cap = (count * 2).next_power_of_two().max(16);
        let empty = Slot::new(VACANT, OptId::NONE, EMPTY_ENTRY);
        let (shift, mask) = (64 - cap.trailing_zeros(), cap - 1);
        let slots = Pages::build(cap, empty, |slots| {
            for (principal, subscription, entry) in entries {
                let mut i = home(shift, principal, subscription);
                // The key's entries so far all sit on the way to the free slot; the one found last stops being
                // last.
                let mut before = None;
                while let Some(slot) = slots.get_mut(i) {
                    if slot.principal == VACANT {
                        *slot = Slot::new(principal, subscription, Entry { last: true, ..entry });
                        break;
                    }
                    if slot.principal == principal && slot.subscription == subscription {
                        before = Some(i);
                    }
                    i = (i + 1) & mask;
                }
                if let Some(slot) = before.and_then(|b| slots.get_mut(b)) {
                    slot.last = 0;
                }
            }
        });
        HeldMap { slots, shift }
    }

    #[inline(always)]
    fn home(&self, principal: u32, subscription: OptId) -> usize {
        home(self.shift, principal, subscription)
    }
    /// Whether the table lives in a mapping of its own ([`super::pages`]).
    #[cfg(test)]
    pub fn is_mapped(&self) -> bool {
        self.slots.is_mapped()
    }

    /// Prefetches the first slot of the key, so that [`HeldMap::get`] soon after finds it in cache (see
    /// [`super::cimap::CiMap::warm`]).
    #[inline]
    pub fn warm(&self, principal: u32, subscription: OptId) {
        let slots: &[Slot] = &self.slots;
        if let Some(slot) = slots.get(self.home(principal, subscription)) {
            super::prefetch(slot);
        }
    }

    /// The entries of `principal` in `subscription` (none: outside any subscription), in the order they were
    /// given.
    #[inline]
    pub fn get(&self, principal: u32, subscription: OptId) -> impl Iterator<Item = Entry> + '_ {
        let slots: &[Slot] = &self.slots;
        let mask = slots.len().wrapping_sub(1);
        let mut i = Some(self.home(principal, subscription));
        std::iter::from_fn(move || {
            loop {
                let slot = slots.get(i?)?;
                if slot.principal == VACANT {
                    return None;
                }
                if slot.principal == principal && slot.subscription == subscription {
                    i = (slot.last == 0).then_some((i? + 1) & mask);
                    return Some(slot.entry());
                }
                i = Some((i? + 1) & mask);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sole_grants_pack_when_they_fit() {
        let pack = |s: [Option<(u16, u16)>; 2]| s.map(NarrowSole::new);
        let e = Entry { sole: pack([Some((3, 4094)), Some((16, 0))]), ..EMPTY_ENTRY };
        assert_eq!((e.sole_grant(0), e.sole_grant(1), e.sole_grant(2)), (Some((3, 4094)), None, None));
        let e = Entry { sole: pack([Some((15, 4095)), Some((0, 0))]), ..EMPTY_ENTRY };
        assert_eq!((e.sole_grant(0), e.sole_grant(1)), (None, Some((0, 0))));
    }

    #[test]
    fn entries_of_a_key_in_order_and_nothing_else() {
        // A key's entries are given apart from one another, as nothing requires them to be together.
        let mut entries = Vec::new();
        for k in 0..3u32 {
            for p in (0..300u32).filter(|p| k < p % 4) {
                for s in [OptId::some(p % 7), OptId::NONE] {
                    let sole = [NarrowSole::new(Some((k as u16, p as u16))), NarrowSole::NONE];
                    let role = OptId::some(p ^ k);
                    let entry = Entry { node: k * 10 + p, assignment: k, role, sole, last: k % 2 == 0, ..EMPTY_ENTRY };
                    entries.push((p, s, entry));
                }
            }
        }
        let map = HeldMap::new(entries.len(), entries.iter().copied());
        for p in 0..300u32 {
            for s in [OptId::some(p % 7), OptId::NONE, OptId::some(99)] {
                let want: Vec<Entry> = entries.iter().filter(|e| e.0 == p && e.1 == s).map(|e| e.2).collect();
                let got: Vec<Entry> = map.get(p, s).collect();
                // Only the key's final entry says it is the last, whatever the input said.
                let lasts: Vec<bool> = got.iter().map(|e| e.last).collect();
                let mut want_lasts = vec![false; want.len()];
                if let Some(l) = want_lasts.last_mut() {
                    *l = true;
                }
                assert_eq!(lasts, want_lasts, "{p} {s:?}");
                let unflagged = |v: Vec<Entry>| v.into_iter().map(|e| Entry { last: true, ..e }).collect::<Vec<_>>();
                assert_eq!(unflagged(got), unflagged(want), "{p} {s:?}");
            }
        }
        assert_eq!(HeldMap::new(0, []).get(1, OptId::some(2)).count(), 0);
        assert_eq!(std::mem::size_of::<Slot>(), 32);
        assert_eq!(HeldMap::default().get(1, OptId::some(2)).count(), 0);
    }
}
