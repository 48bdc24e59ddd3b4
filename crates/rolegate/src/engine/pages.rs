//! The tables a check reads at random, in 2 MB pages where the operating system lends them.
//!
//! A check reads a dozen cache lines spread over the tables, tens of megabytes on a medium tenant and over a
//! hundred on a large one. With 4 KB pages nearly every one of those reads is also a TLB miss, and under a
//! hypervisor's nested paging a TLB miss walks two page tables. So a table of a megabyte or more lives in an
//! anonymous mapping of its own, aligned to 2 MB and advised for transparent huge pages (Linux, in the
//! `madvise` and `always` modes). Where that is not available the mapping keeps small pages, and where mapping
//! fails the table stays on the heap: the contents are the same either way.
//!
//! Tables are built where they will stay ([`Pages::build`], [`Pages::edit`], [`Pages::extend`]), never copied
//! from the heap once complete: the heap keeps what is freed, so a copy would stay resident beside its
//! original. And a table is a slice borrowed from the storage it owns ([`yoke`]), so reading it costs what
//! reading a `Vec` does: the mapping is cast to `T`s when it is attached, not on every read.

use std::fmt;
use std::ops::Deref;

use bytemuck::Pod;
use yoke::Yoke;

/// The huge page size of x86-64 and of AArch64 with 4 KB base pages.
const HUGE: usize = 2 << 20;

/// Tables smaller than this stay on the heap: rounded up to a whole huge page, a smaller one would waste more
/// resident memory than it holds.
const MIN_BYTES: usize = HUGE / 2;

/// A table of `T`s, in huge pages once it is large enough. It reads as a slice at the cost of reading a `Vec`.
pub(crate) struct Pages<T: 'static> {
    /// The slice, borrowed from the storage it lives in (`None` only for the empty placeholder that stands in
    /// while the storage is taken out to be changed).
    view: Yoke<&'static [T], Option<Box<Store<T>>>>,
}

/// Where a table lives.
enum Store<T> {
    Heap(Vec<T>),
    Mapped(Mapping),
}

impl<T: Pod> Store<T> {
    /// The table. A store is only made of a mapping that holds whole `T`s from an aligned start
    /// ([`Mapping::new`]), so the cast does not fail.
    fn slice(&self) -> &[T] {
        match self {
            Store::Heap(v) => v,
            Store::Mapped(m) => bytemuck::try_cast_slice(m.bytes()).unwrap_or_default(),
        }
    }

    fn slice_mut(&mut self) -> &mut [T] {
        match self {
            Store::Heap(v) => v,
            Store::Mapped(m) => bytemuck::try_cast_slice_mut(m.bytes_mut()).unwrap_or_default(),
        }
    }
}

impl<T: Pod> Default for Pages<T> {
    fn default() -> Self {
        Pages::from(Vec::new())
    }
}

impl<T: Pod> From<Vec<T>> for Pages<T> {
    /// The table where it is, on the heap: for tables whose size does not call for huge pages.
    fn from(heap: Vec<T>) -> Self {
        Pages::attach(Box::new(Store::Heap(heap)))
    }
}

impl<T: Pod> Pages<T> {
    fn attach(store: Box<Store<T>>) -> Self {
        Pages { view: Yoke::attach_to_cart(store, |s: &Store<T>| s.slice()).wrap_cart_in_option() }
    }

    /// Takes the storage out, leaving the table empty until it is attached again.
    fn take(&mut self) -> Box<Store<T>> {
        let view = std::mem::replace(&mut self.view, Yoke::new_owned(&[]));
        view.into_backing_cart().unwrap_or_else(|| Box::new(Store::Heap(Vec::new())))
    }

    /// `len` copies of `value`, then changed by `build`: a large table is built in its mapping.
    pub fn build(len: usize, value: T, build: impl FnOnce(&mut [T])) -> Pages<T> {
        let mut store = match Mapping::new::<T>(len, len) {
            Some(m) => {
                let mut store = Store::Mapped(m);
                store.slice_mut().fill(value);
                store
            }
            None => Store::Heap(vec![value; len]),
        };
        build(store.slice_mut());
        Pages::attach(Box::new(store))
    }

    /// Runs `f` on the table, where it lives.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut [T]) -> R) -> R {
        let mut store = self.take();
        let r = f(store.slice_mut());
        *self = Pages::attach(store);
        r
    }

    /// Appends `items`. A table that grows past [`MIN_BYTES`] moves to a mapping, and one that outgrows its
    /// mapping to one twice as large: unlike the heap, a dropped mapping is given back whole.
    pub fn extend(&mut self, items: impl ExactSizeIterator<Item = T>) {
        let mut store = self.take();
        let len = store.slice().len();
        let want = len.saturating_add(items.len());
        let fits = match &*store {
            Store::Heap(_) => want.saturating_mul(std::mem::size_of::<T>()) < MIN_BYTES,
            Store::Mapped(m) => m.capacity::<T>() >= want,
        };
        if !fits {
            *store = match Mapping::new::<T>(len, want.saturating_mul(2)) {
                Some(mut m) => {
                    m.bytes_mut().copy_from_slice(bytemuck::cast_slice(store.slice()));
                    Store::Mapped(m)
                }
                // Where mapping fails, the heap: the table grows all the same.
                None => match std::mem::replace(&mut *store, Store::Heap(Vec::new())) {
                    Store::Heap(v) => Store::Heap(v),
                    mapped => Store::Heap(mapped.slice().to_vec()),
                },
            };
        }
        match &mut *store {
            Store::Heap(v) => v.extend(items),
            // The room was made above.
            Store::Mapped(m) => items.for_each(|item| m.push(item)),
        }
        *self = Pages::attach(store);
    }

    /// Whether the table lives in a mapping of its own (which is where huge pages can back it).
    pub fn is_mapped(&self) -> bool {
        matches!(self.view.backing_cart().as_deref(), Some(Store::Mapped(_)))
    }
}

/// An anonymous mapping holding a table of `bytes` bytes from `at`, its first 2 MB boundary, with room for
/// `capacity` bytes.
struct Mapping {
    map: memmap2::MmapMut,
    at: usize,
    bytes: usize,
    capacity: usize,
}

impl Mapping {
    /// A mapping with `len` zeroed `T`s and room for `capacity`; `None` for a table too small to map, or when
    /// mapping fails.
    fn new<T: Pod>(len: usize, capacity: usize) -> Option<Mapping> {
        let size = std::mem::size_of::<T>();
        let (bytes, capacity) = (len.checked_mul(size)?, capacity.max(len).checked_mul(size)?);
        if capacity < MIN_BYTES || size == 0 || !HUGE.is_multiple_of(std::mem::align_of::<T>()) {
            return None;
        }
        let span = capacity.checked_next_multiple_of(HUGE)?;
        let map = memmap2::MmapOptions::new().len(span.checked_add(HUGE)?).map_anon().ok()?;
        let at = (HUGE - map.as_ptr() as usize % HUGE) % HUGE;
        // Only the huge pages a table fills are advised: the kernel makes a faulting huge page resident whole,
        // so advising the last, partial one would cost the rest of it for nothing. A tail of half a huge page
        // or more is worth it. A table that grows cannot know its tail: all of its room is advised.
        let huge = if capacity > bytes { span } else { (bytes + HUGE / 2) / HUGE * HUGE };
        #[cfg(target_os = "linux")]
        if huge > 0 && at + huge <= map.len() {
            // Best effort: without transparent huge pages the table works the same in small ones.
            let _ = map.advise_range(memmap2::Advice::HugePage, at, huge);
        }
        Some(Mapping { map, at, bytes, capacity })
    }

    fn capacity<T>(&self) -> usize {
        self.capacity / std::mem::size_of::<T>().max(1)
    }

    /// Appends `item` if there is room for it.
    fn push<T: Pod>(&mut self, item: T) {
        let size = std::mem::size_of::<T>();
        if self.bytes + size > self.capacity {
            return;
        }
        let at = self.at + self.bytes;
        if let Some(to) = self.map.get_mut(at..at + size) {
            to.copy_from_slice(bytemuck::bytes_of(&item));
            self.bytes += size;
        }
    }

    fn bytes(&self) -> &[u8] {
        self.map.get(self.at..self.at.wrapping_add(self.bytes)).unwrap_or_default()
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        let range = self.at..self.at.wrapping_add(self.bytes);
        self.map.get_mut(range).unwrap_or_default()
    }
}

impl<T: Pod> Deref for Pages<T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        self.view.get()
    }
}

impl<T: Pod> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").field("len", &self.len()).field("mapped", &self.is_mapped()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C, align(64))]
    struct Wide {
        key: u128,
        words: [u32; 12],
    }

    fn wide(i: usize) -> Wide {
        Wide { key: i as u128 * 0x9e37_79b9, words: [i as u32; 12] }
    }

    #[test]
    fn small_tables_are_built_on_the_heap_and_large_ones_in_place() {
        let p = Pages::build(3, 1u32, |s| s.copy_from_slice(&[4, 5, 6]));
        assert_eq!((&p[..], p.is_mapped()), (&[4, 5, 6][..], false));
        assert_eq!(format!("{p:?}"), "Pages { len: 3, mapped: false }");

        let n = MIN_BYTES / 64 + 3;
        let mut seen = 0;
        let p = Pages::build(n, wide(0), |s| {
            seen = s.len();
            for (i, w) in s.iter_mut().enumerate().skip(1) {
                *w = wide(i);
            }
        });
        assert_eq!((seen, p.len(), p.is_mapped()), (n, n, true));
        assert_eq!(format!("{p:?}"), format!("Pages {{ len: {n}, mapped: true }}"));
        assert!(p.iter().enumerate().all(|(i, w)| *w == wide(i)));
        // Aligned to the type (and to the huge page).
        assert_eq!(p.as_ptr() as usize % HUGE, 0);
    }

    #[test]
    fn edits_stay_in_place() {
        for n in [10, MIN_BYTES / 8 + 5] {
            let mut p = Pages::build(n, 7u64, |_| {});
            let (at, mapped) = (p.as_ptr(), p.is_mapped());
            assert_eq!(mapped, n > 10);
            let len = p.edit(|s| {
                if let Some(w) = s.last_mut() {
                    *w = 9;
                }
                s.len()
            });
            assert_eq!((len, p.as_ptr(), p.is_mapped()), (n, at, mapped));
            assert_eq!((p.get(n - 2), p.get(n - 1), p.get(n)), (Some(&7), Some(&9), None));
        }
    }

    #[test]
    fn a_growing_table_moves_to_a_mapping_and_keeps_its_contents() {
        let mut p: Pages<u8> = Pages::default();
        assert!(p.is_empty() && !p.is_mapped());
        let mut want = Vec::new();
        let mut moves = 0;
        let mut at = p.as_ptr();
        // Past the threshold, then past the first mapping's room.
        while want.len() < 5 * MIN_BYTES {
            let chunk: Vec<u8> = (0..4099).map(|i| (want.len() + i) as u8).collect();
            p.extend(chunk.iter().copied());
            want.extend_from_slice(&chunk);
            assert_eq!(p.len(), want.len());
            if p.as_ptr() != at {
                moves += 1;
                at = p.as_ptr();
            }
            assert_eq!(p.is_mapped(), want.len() >= MIN_BYTES, "at {} bytes", want.len());
        }
        assert_eq!(&p[..], &want[..]);
        assert_eq!(p.as_ptr() as usize % HUGE, 0);
        // Doubling: at most one move a doubling (whether the allocator grows a small table in place is its own
        // business), plus the first allocation and the move into the mapping; never one per chunk.
        let chunks = want.len().div_ceil(4099);
        let doublings = (usize::BITS - chunks.leading_zeros()) as usize;
        assert!(moves <= doublings + 2, "{moves} moves for {chunks} chunks");
    }

    #[test]
    fn empty_and_exact_sizes() {
        let p = Pages::build(0, 1u8, |_| {});
        assert!(p.is_empty() && !p.is_mapped());
        // Exactly the threshold, and exactly one huge page: both mapped, both whole.
        for n in [MIN_BYTES, HUGE, HUGE + 1] {
            let p = Pages::build(n, 0u8, |s| s.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8));
            assert!(p.is_mapped());
            assert_eq!(p.len(), n);
            assert!(p.iter().enumerate().all(|(i, &b)| b == i as u8));
        }
        assert!(!Pages::build(MIN_BYTES - 1, 0u8, |_| {}).is_mapped());
    }
}
