//! Request-scope scanning for the check path. A request scope is taken only in canonical form (semantics §2.3):
//! [`RequestScope::scan`] validates it and makes it ready for lookups (lower-cased, with the segment ends or
//! where its subscription ends) in one pass, without allocating for scopes of ordinary length and depth. The
//! parser and [`canonical_segments`] in [`crate::scope`] say what canonical means; the scanners here agree with
//! them whenever they decide (tested here, and by the `request_scope` fuzz target through
//! [`crate::internals`]).

use super::cimap;
use super::idmap::Probe;
use crate::scope::{Canonical, MAX_SEGMENTS, canonical_segments, is_canonical_scope, is_reserved_byte};
use crate::swar::{LO, word, zero_bytes};

/// A canonical request scope ready for lookups: its text split, and for a scope in a subscription scanned for
/// [`Ends::Owner`], where the `/subscriptions/{id}` prefix ends and how to look that subscription up.
pub(super) struct RequestScope<'a> {
    pub split: Split<'a>,
    pub owner: Option<(usize, OwnerKey)>,
}

/// Which segment ends [`RequestScope::scan`] finds.
#[derive(Clone, Copy)]
pub(super) enum Ends {
    /// For a check: of a scope in a subscription only where the subscription prefix ends (`ends` is empty, as a
    /// check looks up no other prefix of such a scope); of any other scope every segment end.
    Owner,
    /// Every segment end, whatever the scope.
    All,
}

impl<'a> RequestScope<'a> {
    /// Scans `text` in `buf`, or `None` when it is not canonical. Inlined so that `ends`, a constant at every
    /// call, costs no branch.
    #[inline(always)]
    pub fn scan(text: &'a str, buf: &'a mut ScopeBuf, ends: Ends) -> Option<RequestScope<'a>> {
        match ends {
            Ends::Owner => scan_owner(text, buf),
            Ends::All => split(text, buf).map(|split| RequestScope { split, owner: None }),
        }
    }
}

/// A request scope ready for lookups: where its segments end, and its ASCII-lower-cased text when it fits
/// [`SCAN_BYTES`].
pub(super) struct Split<'a> {
    pub text: &'a str,
    pub lowered: Option<&'a [u8]>,
    /// `lowered` and the rest of its buffer, for [`cimap::PrefixHasher`] to read whole words.
    pub padded: Option<&'a [u8]>,
    pub ends: &'a [u32],
}

/// How a check looks up the subscription that owns the request scope: a GUID in the table of GUID subscription
/// ids, any other id by the `/subscriptions/{id}` prefix's hash in the map of scopes.
#[derive(Clone, Copy)]
pub(super) enum OwnerKey {
    Id(Probe),
    Hash(u64),
}

/// The stack space [`RequestScope::scan`] works in. Only scopes deeper than [`MAX_SEGMENTS`] (none are real)
/// use `deep`, which allocates.
pub(super) struct ScopeBuf {
    lowered: [u8; SCAN_BYTES],
    /// The raw scope and padding, which [`scan_subscription`] reads while it writes `lowered`.
    copy: [u8; SCAN_BYTES],
    ends: [u32; MAX_SEGMENTS],
    deep: Vec<u32>,
}

impl ScopeBuf {
    pub fn new() -> Self {
        ScopeBuf { lowered: [0; SCAN_BYTES], copy: [0; SCAN_BYTES], ends: [0; MAX_SEGMENTS], deep: Vec::new() }
    }
}

/// [`RequestScope::scan`] for [`Ends::All`]: splits a canonical scope for lookups, or `None` when the scope is
/// not canonical. Printable-ASCII scopes of ordinary length take the one-pass [`scan_lowered`]; anything else
/// the general [`canonical_segments`].
fn split<'a>(scope: &'a str, b: &'a mut ScopeBuf) -> Option<Split<'a>> {
    let n = match scan_lowered(scope, &mut b.lowered, &mut b.ends) {
        Scan::Segments(n) => n,
        Scan::No => return None,
        Scan::Other => {
            let mut segs = [""; MAX_SEGMENTS];
            let (n, deep) = match canonical_segments(scope, &mut segs) {
                Canonical::Segments(n) => (n, false),
                Canonical::TooDeep if is_canonical_scope(scope) => (0, true),
                _ => return None,
            };
            let fits = cimap::lower_into(scope, &mut b.lowered).is_some();
            let lens = segs.get(..n).unwrap_or_default().iter().map(|s| s.len());
            let mut end = 0;
            // Saturates only past 4 GiB, where no tenant scope (bounded by `limits`) can end to match.
            let mut ends = |len: usize| {
                end += 1 + len;
                u32::try_from(end).unwrap_or(u32::MAX)
            };
            if deep {
                b.deep.clear();
                b.deep.extend(scope.split('/').filter(|s| !s.is_empty()).map(|s| ends(s.len())));
            } else {
                for (slot, len) in b.ends.iter_mut().zip(lens) {
                    *slot = ends(len);
                }
            }
            let b = &*b;
            let ends = if deep { &b.deep[..] } else { b.ends.get(..n).unwrap_or_default() };
            let (lowered, padded) =
                (b.lowered.get(..scope.len()).filter(|_| fits), Some(&b.lowered[..]).filter(|_| fits));
            return Some(Split { text: scope, lowered, padded, ends });
        }
    };
    let b = &*b;
    let ends = b.ends.get(..n).unwrap_or_default();
    Some(Split { text: scope, lowered: b.lowered.get(..scope.len()), padded: Some(&b.lowered[..]), ends })
}

/// [`RequestScope::scan`] for [`Ends::Owner`]: a scope in a subscription takes [`scan_subscription`], which finds
/// no segment ends but where the subscription prefix ends; any other scope is [`split`] in full. Inlinable
/// across codegen units, so that the check inlines it wherever the compiler places this module.
#[inline]
fn scan_owner<'a>(scope: &'a str, b: &'a mut ScopeBuf) -> Option<RequestScope<'a>> {
    match scan_subscription(scope, &mut b.copy, &mut b.lowered) {
        SubScan::Subscription { owner_end, .. } => {
            let padded = &b.lowered[..];
            let id = padded.get(b"/subscriptions/".len()..owner_end).and_then(Probe::of);
            let key = match id {
                Some(p) => OwnerKey::Id(p),
                None => OwnerKey::Hash(cimap::PrefixHasher::lowered(padded).hash_to(owner_end)),
            };
            let split = Split { text: scope, lowered: padded.get(..scope.len()), padded: Some(padded), ends: &[] };
            Some(RequestScope { split, owner: Some((owner_end, key)) })
        }
        SubScan::No => None,
        SubScan::Other => split(scope, b).map(|split| RequestScope { split, owner: None }),
    }
}

/// The longest scope [`scan_lowered`] takes; longer ones (none are real) go to [`canonical_segments`].
pub const SCAN_BYTES: usize = 256;

/// What [`scan_lowered`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// Canonical, with this many segment ends written (0 for `/`).
    Segments(usize),
    /// Not canonical.
    No,
    /// Not printable ASCII, longer than [`SCAN_BYTES`] or deeper than [`MAX_SEGMENTS`]: undecided, ask
    /// [`canonical_segments`].
    Other,
}

/// [`canonical_segments`] for the scopes a check meets, fused with the lower-casing the engine's lookups need:
/// validates, writes the ASCII-lower-cased text to `lowered` (padded to whole words) and finds the segment ends
/// (`ends[i]` is the byte offset where segment `i` ends), without the per-segment slices and the kind the
/// parser works out. Agrees with [`canonical_segments`] whenever it decides (tested).
pub fn scan_lowered(raw: &str, lowered: &mut [u8; SCAN_BYTES], ends: &mut [u32; MAX_SEGMENTS]) -> Scan {
    let bytes = raw.as_bytes();
    if bytes.len() > SCAN_BYTES {
        return Scan::Other;
    }
    if bytes.first() != Some(&b'/') {
        return Scan::No;
    }
    if bytes.len() == 1 {
        lowered[0] = b'/';
        return Scan::Segments(0);
    }
    // Copied first and padded to whole words with a printable byte that is not `/`, as `canonical_segments`
    // pads; the byte loop is simple enough for the compiler to vectorise.
    let words = bytes.len().div_ceil(8);
    let Some(padded) = lowered.get_mut(..words * 8) else { return Scan::Other };
    let Some((text, pad)) = padded.split_at_mut_checked(bytes.len()) else { return Scan::Other };
    text.copy_from_slice(bytes);
    pad.fill(b'a');
    let (mut bad, mut reserved) = (false, false);
    for b in padded.iter_mut() {
        bad |= !b.is_ascii_graphic();
        reserved |= is_reserved_byte(*b);
        *b = b.to_ascii_lowercase();
    }
    // Refused whatever else the text holds, as `canonical_segments` refuses it.
    if reserved {
        return Scan::No;
    }
    if bad {
        return Scan::Other;
    }
    // Segment ends, and whether any segment is short enough to be empty, `.` or `..`.
    let (mut n, mut prev, mut short) = (0usize, 0usize, false);
    for (i, c) in padded.chunks_exact(8).enumerate() {
        let mut slashes = zero_bytes(word(c) ^ (LO * u64::from(b'/')));
        while slashes != 0 {
            let at = i * 8 + (slashes.trailing_zeros() / 8) as usize;
            slashes &= slashes - 1;
            if at == 0 {
                continue;
            }
            short |= at - prev <= 3;
            prev = at;
            let Some(end) = ends.get_mut(n) else { return Scan::Other };
            *end = at as u32;
            n += 1;
        }
    }
    short |= bytes.len() - prev <= 3;
    let Some(end) = ends.get_mut(n) else { return Scan::Other };
    *end = bytes.len() as u32;
    n += 1;
    let low = lowered.get(..bytes.len()).unwrap_or_default();
    let seg = |k: usize| -> &[u8] {
        let start = if k == 0 { 1 } else { ends.get(k - 1).map_or(0, |&e| e as usize + 1) };
        let end = ends.get(k).map_or(0, |&e| e as usize);
        low.get(start..end).unwrap_or_default()
    };
    if short && (0..n).any(|k| matches!(seg(k), b"" | b"." | b"..")) {
        return Scan::No;
    }
    // `classify`, on lower-cased segments: only whether it accepts matters here.
    let mut at = 0;
    if seg(0) == b"subscriptions" {
        if n < 2 {
            return Scan::No;
        }
        at = 2;
        if n > 2 && seg(2) == b"resourcegroups" {
            if n < 4 {
                return Scan::No;
            }
            at = 4;
        }
    }
    if at == n || (seg(at) == b"providers" && n > at + 1) { Scan::Segments(n) } else { Scan::No }
}

/// What [`scan_subscription`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubScan {
    /// A canonical scope in a subscription.
    Subscription {
        /// How many segments it has.
        segments: usize,
        /// The byte offset where its `/subscriptions/{id}` prefix ends.
        owner_end: usize,
    },
    /// Not canonical.
    No,
    /// Not a scope in a subscription, holding a byte beyond ASCII, longer than [`SCAN_BYTES`] less 40 bytes, or
    /// deeper than [`MAX_SEGMENTS`]: undecided, ask [`scan_lowered`].
    Other,
}

/// [`scan_lowered`] for a scope in a subscription, which is what a check almost always meets: validates and
/// writes the ASCII-lower-cased text to `lowered`, followed by `/` and padding, and finds only where the
/// subscription prefix ends, not every segment end. Every pass is a plain loop over the bytes that the compiler
/// vectorises, where finding each end is a branch per slash. Agrees with [`canonical_segments`] whenever it
/// decides (tested).
pub fn scan_subscription(raw: &str, copy: &mut [u8; SCAN_BYTES], lowered: &mut [u8; SCAN_BYTES]) -> SubScan {
    const PREFIX: &[u8] = b"/subscriptions/";
    // What follows the text: as if another segment did, so that a trailing `/`, `.` or `..` shows as it does
    // mid-scope, then padding to the end of the last block and the three bytes the windows below read past it.
    const TAIL: &[u8; 40] = b"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let len = raw.len();
    if len < PREFIX.len() || len + TAIL.len() > SCAN_BYTES {
        return SubScan::Other;
    }
    // Whole 32-byte blocks, the `/` after the text included: loops the compiler vectorises with no remainder.
    let blocks = (len + 32) & !31;
    let Some((text, rest)) = copy.split_at_mut_checked(len) else { return SubScan::Other };
    let Some(tail) = rest.get_mut(..TAIL.len()) else { return SubScan::Other };
    text.copy_from_slice(raw.as_bytes());
    tail.copy_from_slice(TAIL);
    let windows = |k: usize| copy.get(k..blocks + k);
    let (Some(out), Some(a), Some(b)) = (lowered.get_mut(..blocks), windows(0), windows(1)) else {
        return SubScan::Other;
    };
    // One pass: lower-case, look for a slash followed by `/` or `.` (an empty segment, or one that may be `.` or
    // `..`), and flag every byte that is not printable or is reserved. The flag is coarse so that it costs two
    // range checks rather than one per reserved byte (four compares per block cost 5 % of a check): it is set by
    // anything outside `&`..=`~` (what is not printable, and `!"#$%`) and by anything that is in `:`..=`^` once
    // lower-cased (`?`, `\`, `:;<=>@[]^`, and no letter). A flagged scope is sorted out byte by byte below.
    let (mut flag, mut suspect, mut slashes) = (0u8, false, 0u8);
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        let lower = a.to_ascii_lowercase();
        *o = lower;
        // Each range is a wrapping add and a saturating subtraction, non-zero exactly for the flagged bytes: two
        // vector instructions, and the flags of both are or-ed into one.
        let outside = a.wrapping_sub(b'&').saturating_sub(b'~' - b'&');
        let inside = lower.wrapping_add(0xff - b'^').saturating_sub(0xff - (b'^' - b':') - 1);
        flag |= outside | inside;
        let slash = a == b'/';
        slashes = slashes.wrapping_add(u8::from(slash));
        suspect |= slash & ((b == b'/') | (b == b'.'));
    }
    if flag != 0
        && let Some(undecided) = flagged(raw)
    {
        return undecided;
    }
    if !out.starts_with(PREFIX) {
        return SubScan::Other;
    }
    if suspect {
        let (Some(a), Some(b), Some(c), Some(d)) = (windows(0), windows(1), windows(2), windows(3)) else {
            return SubScan::Other;
        };
        let mut empty_or_dots = false;
        for (((&a, &b), &c), &d) in a.iter().zip(b).zip(c).zip(d) {
            empty_or_dots |= (a == b'/') & ((b == b'/') | ((b == b'.') & ((c == b'/') | ((c == b'.') & (d == b'/')))));
        }
        if empty_or_dots {
            return SubScan::No;
        }
    }
    // At most `SCAN_BYTES - 39` slashes, so the count did not wrap; one of them is the one after the text.
    let n = usize::from(slashes).saturating_sub(1);
    if n > MAX_SEGMENTS {
        return SubScan::Other;
    }
    // `classify`, on lower-cased segments, knowing the text is followed by `/` and padding: a slash is found eight
    // bytes at a time, and a subscription id of a GUID's length, the usual one, with no loop at all.
    let next_slash = |from: usize| {
        let mut at = from;
        while let Some(w) = lowered.get(at..at + 8) {
            let hits = zero_bytes(word(w) ^ (LO * u64::from(b'/')));
            if hits != 0 {
                return Some(at + (hits.trailing_zeros() / 8) as usize);
            }
            at += 8;
        }
        None
    };
    let guid_end = PREFIX.len() + 36;
    let no_slash = |w: &[u8]| zero_bytes(word(w) ^ (LO * u64::from(b'/'))) == 0;
    let guid = lowered.get(PREFIX.len()..guid_end + 1).is_some_and(|id| {
        let (words, last) = id.split_at(32);
        words.chunks_exact(8).fold(true, |ok, w| ok & no_slash(w))
            & no_slash(last.get(..4).unwrap_or_default())
            & (last.get(4) == Some(&b'/'))
    });
    // `word` with its slash, so that the segment is exactly `word`: a fixed-size comparison, a load or two.
    fn segment_is<const N: usize>(text: &[u8], start: usize, word: &[u8; N]) -> bool {
        text.get(start..start + N).is_some_and(|s| s == word)
    }
    let owner_end = if guid { Some(guid_end) } else { next_slash(PREFIX.len()) };
    let Some(owner_end) = owner_end else { return SubScan::Other };
    let mut at = (2, owner_end + 1);
    if n > 2 && segment_is(lowered, owner_end + 1, b"resourcegroups/") {
        if n < 4 {
            return SubScan::No;
        }
        let Some(rg_end) = next_slash(owner_end + 1 + b"resourcegroups/".len()) else { return SubScan::Other };
        at = (4, rg_end + 1);
    }
    if at.0 == n || (n > at.0 + 1 && segment_is(lowered, at.1, b"providers/")) {
        SubScan::Subscription { segments: n, owner_end }
    } else {
        SubScan::No
    }
}

/// What [`scan_subscription`] makes of a scope its coarse byte test flagged: refused if it holds a reserved byte or
/// ASCII whitespace or control, whatever else it holds (as [`canonical_segments`] refuses it); else undecided if it
/// holds a byte beyond ASCII (Unicode whitespace and format characters are for [`canonical_segments`] to find);
/// else (`None`) a scope to go on with. One pass with no early exit, so that it is vectorised; out of line, as real
/// scopes are seldom flagged.
#[cold]
#[inline(never)]
fn flagged(raw: &str) -> Option<SubScan> {
    let (mut refused, mut wide) = (false, false);
    for b in raw.bytes() {
        refused |= is_reserved_byte(b) | (b < b'!') | (b == 0x7f);
        wide |= !b.is_ascii();
    }
    if refused {
        Some(SubScan::No)
    } else if wide {
        Some(SubScan::Other)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::{ScopeProblem, parse_scope};
    use crate::span::Span;
    use proptest::prelude::*;

    #[test]
    fn scan_subscription_cases() {
        let check = |raw: &str, want: SubScan| {
            let (mut copy, mut lowered) = ([0u8; SCAN_BYTES], [0u8; SCAN_BYTES]);
            assert_eq!(scan_subscription(raw, &mut copy, &mut lowered), want, "{raw}");
        };
        let sub = |segments, owner_end| SubScan::Subscription { segments, owner_end };
        check("/subscriptions/S1", sub(2, 17));
        check("/Subscriptions/s1/resourceGroups/RG", sub(4, 17));
        check("/subscriptions/s12/resourceGroups/rg/providers/M.C/vm/x", sub(8, 18));
        check("/subscriptions/s1/providers/M.C", sub(4, 17));
        check("/subscriptions/s1/resourceGroups/rg/providers/M.C/vm/.../..a", sub(9, 17));
        check("/subscriptions/s1/resourceGroups", SubScan::No);
        check("/subscriptions/s1/", SubScan::No);
        check("/subscriptions/", SubScan::No);
        check("/subscriptions/s1//resourceGroups/rg", SubScan::No);
        check("/subscriptions/s1/resourceGroups/rg/.", SubScan::No);
        check("/subscriptions/s1/resourceGroups/rg/../x", SubScan::No);
        check("/subscriptions/s1/resourceGroups/rg/foo", SubScan::No);
        check("/subscriptions/s1/providers", SubScan::No);
        check("/subscriptions/s1/foo/bar", SubScan::No);
        // A subscription id of a GUID's length, and ids whose first 36 bytes hold a slash.
        check("/subscriptions/0B1E5C6A-7D2F-4E8A-9C3B-5F6A7E8D9C0B", sub(2, 51));
        check("/subscriptions/0b1e5c6a-7d2f-4e8a-9c3b-5f6a7e8d9c0b/resourceGroups/r/providers/M.C", sub(6, 51));
        check("/subscriptions/0123456789abcdef0123/providers/M.C", sub(4, 35));
        check("/subscriptions/0123456789abcdef01234/providers/M.C", sub(4, 36));
        check("/subscriptions/0123456789abcdef0123456789abcdef012/providers/M.C", sub(4, 50));
        check("/subscriptions/0123456789abcdef0123456789abcdef012345/x", SubScan::No);
        check("/subscriptions/0123456789abcdef0123456789abcdef0123", sub(2, 51));
        check("/subscriptions/0123456789abcdef0123456789abcdef01234", sub(2, 52));
        check("/providers/M.C/x", SubScan::Other);
        check("/subscriptions/é", SubScan::Other);
        check("/subscriptions/s1/resourceGroups/r g", SubScan::No);
        check("/subscriptions/s1/resourceGroups/r\u{7f}", SubScan::No);
        check("/subscriptions/s1/resourceGroups/é\t", SubScan::No);
        check("/subscriptions/s1/resourceGroups/r\u{a0}", SubScan::Other);
        check("/subscriptions/s1/resourceGroups/a!b$c:d;e<f=g>h@i[j]k^l\"m", sub(4, 17));
        check(&format!("/subscriptions/{}", "a".repeat(SCAN_BYTES)), SubScan::Other);
        // Reserved bytes are refused outright, even next to bytes that would otherwise leave the scope undecided.
        check("/subscriptions/s1/resourceGroups/r%67", SubScan::No);
        check("/subscriptions/s1/resourceGroups/rg?x=1", SubScan::No);
        check("/subscriptions/s1/resourceGroups/rg#f", SubScan::No);
        check("/subscriptions/s1/resourceGroups/rg\\providers\\M.C", SubScan::No);
        check("/subscriptions%2Fs1", SubScan::No);
        check("/subscriptions/é%", SubScan::No);
        check("/subscriptions/s1/resourceGroups/a:b&c<d>", sub(4, 17));
    }

    /// Every reserved byte at every offset of a scope long enough to span several words and blocks is refused
    /// by each scanner, as the parser refuses it; the bytes that ARM bars from names but that are not reserved
    /// change nothing.
    #[test]
    fn reserved_bytes_at_every_offset() {
        let base = "/subscriptions/0b1e5c6a-7d2f-4e8a-9c3b-5f6a7e8d9c0b/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1/extensions/e";
        let (mut copy, mut lowered, mut ends) = ([0u8; SCAN_BYTES], [0u8; SCAN_BYTES], [0u32; MAX_SEGMENTS]);
        for at in 1..=base.len() {
            for (b, reserved) in
                [(b'%', true), (b'?', true), (b'#', true), (b'\\', true), (b':', false), (b'&', false), (b'<', false)]
            {
                for replace in [false, true] {
                    let mut raw = base.as_bytes().to_vec();
                    if replace && at < raw.len() {
                        raw[at] = b;
                    } else {
                        raw.insert(at, b);
                    }
                    let raw = String::from_utf8(raw).unwrap();
                    let parsed = parse_scope(&raw);
                    if reserved {
                        let problem = ScopeProblem::ReservedCharacter { character: char::from(b) };
                        assert_eq!(
                            parsed.as_ref().err().map(|e| (e.problem, e.at)),
                            Some((problem, Span::new(at, at + 1)))
                        );
                    }
                    let want = parsed.is_ok_and(|p| p.normalized.is_empty());
                    assert_eq!(is_canonical_scope(&raw), want, "{raw}");
                    let mut segs = [""; MAX_SEGMENTS];
                    let canonical = canonical_segments(&raw, &mut segs);
                    assert_eq!(matches!(canonical, Canonical::Segments(_)), want, "{raw}");
                    match scan_subscription(&raw, &mut copy, &mut lowered) {
                        SubScan::Subscription { .. } => assert!(want, "{raw}"),
                        SubScan::No => assert!(!want, "{raw}"),
                        // A byte in the prefix makes it no scope in a subscription; a reserved one is refused.
                        SubScan::Other => assert!(!reserved && !raw.starts_with("/subscriptions/"), "{raw}"),
                    }
                    let scan = scan_lowered(&raw, &mut lowered, &mut ends);
                    let want_scan = match canonical {
                        Canonical::Segments(n) => Scan::Segments(n),
                        _ => Scan::No,
                    };
                    assert_eq!(scan, want_scan, "{raw}");
                }
            }
        }
    }

    proptest! {
        /// The check path's fused scanner agrees with `canonical_segments` whenever it decides, and decides every
        /// printable-ASCII scope of ordinary length and depth.
        /// The check path's scanner for scopes in a subscription agrees with `canonical_segments` whenever it
        /// decides, and decides every printable-ASCII scope in a subscription of ordinary length and depth.
        #[test]
        fn scan_subscription_agrees_with_canonical_segments(
            parts in prop::collection::vec(prop_oneof![
                Just("resourceGroups"), Just("RESOURCEGROUPS"), Just("resourcegroup"), Just("resourceGroupsx"),
                Just("providers"), Just("Providers"), Just("providersx"),
                Just("Microsoft.Compute"), Just("vm"), Just("rg1"),
                Just("s1"), Just("."), Just(".."), Just("..."), Just(".a"), Just("a."),
                Just(""), Just("a b"), Just("é"), Just("x\u{7f}"), Just("\t"), Just("é\u{a0}"), Just("ab~!"), Just("r%67"), Just("x?y=1"), Just("#f"), Just("a\\b"),
                Just("a:b&c"), Just("ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"), Just("0B1E5C6A-7D2F-4E8A-9C3B-5F6A7E8D9C0B"),
                Just("0123456789abcdef0123"), Just("0123456789abcde"), Just("0123456789abcdef0123456789abcdef012"),
            ], 0..40),
            head in prop_oneof![Just("/subscriptions"), Just("/SubScriptions"), Just("/subscription"), Just("subscriptions"), Just("/providers")],
            trail in prop::bool::ANY,
        ) {
            let mut raw = [&[head][..], &parts[..]].concat().join("/");
            if trail { raw.push('/'); }
            let (mut copy, mut lowered) = ([0u8; SCAN_BYTES], [0u8; SCAN_BYTES]);
            let mut segs = [""; MAX_SEGMENTS];
            let scan = scan_subscription(&raw, &mut copy, &mut lowered);
            let canonical = canonical_segments(&raw, &mut segs);
            let in_subscription = raw.len() > 15 && raw.as_bytes()[..15].eq_ignore_ascii_case(b"/subscriptions/");
            let plain = raw.len() + 40 <= SCAN_BYTES && raw.bytes().all(|b| b.is_ascii_graphic());
            match scan {
                SubScan::Subscription { segments, owner_end } => {
                    prop_assert_eq!(canonical, Canonical::Segments(segments), "{:?}", raw);
                    let want = raw.to_ascii_lowercase();
                    prop_assert_eq!(&lowered[..raw.len()], want.as_bytes());
                    prop_assert_eq!(owner_end, 15 + segs[1].len(), "{:?}", raw);
                }
                // Past `MAX_SEGMENTS`, `canonical_segments` gives up on depth before it meets a byte the scanner
                // refuses on: both refuse.
                SubScan::No => prop_assert!(matches!(canonical, Canonical::No | Canonical::TooDeep), "{:?}", raw),
                SubScan::Other => prop_assert!(
                    !plain || !in_subscription || canonical == Canonical::TooDeep, "{:?}", raw
                ),
            }
        }

        #[test]
        fn scan_lowered_agrees_with_canonical_segments(
            parts in prop::collection::vec(prop_oneof![
                Just("subscriptions"), Just("SubScriptions"),
                Just("resourceGroups"), Just("RESOURCEGROUPS"),
                Just("providers"), Just("Providers"),
                Just("Microsoft.Compute"), Just("vm"),
                Just("s1"), Just("."), Just(".."),
                Just("..."), Just(""), Just("a b"),
                Just("x\u{7f}"), Just("é"), Just("\t"),
                Just("ab~!"), Just("1234567"),
                Just("r%67"), Just("x?y=1"), Just("#f"), Just("a\\b"), Just("a:b&c"),
                Just("ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"),
            ], 0..40),
            lead in prop::bool::ANY,
            trail in prop::bool::ANY,
        ) {
            let mut raw = parts.join("/");
            if lead { raw.insert(0, '/'); }
            if trail { raw.push('/'); }
            let (mut lowered, mut ends) = ([0u8; SCAN_BYTES], [0u32; MAX_SEGMENTS]);
            let mut segs = [""; MAX_SEGMENTS];
            let scan = scan_lowered(&raw, &mut lowered, &mut ends);
            let canonical = canonical_segments(&raw, &mut segs);
            let plain = raw.len() <= SCAN_BYTES && raw.bytes().all(|b| b.is_ascii_graphic());
            match scan {
                Scan::Segments(n) => {
                    prop_assert_eq!(canonical, Canonical::Segments(n), "{:?}", raw);
                    let want = raw.to_ascii_lowercase();
                    prop_assert_eq!(&lowered[..raw.len()], want.as_bytes());
                    let mut end = 0;
                    for (seg, &e) in segs[..n].iter().zip(&ends[..n]) {
                        end += 1 + seg.len();
                        prop_assert_eq!(e as usize, end);
                    }
                }
                Scan::No => prop_assert!(matches!(canonical, Canonical::No | Canonical::TooDeep), "{:?}", raw),
                Scan::Other => prop_assert!(!plain || canonical == Canonical::TooDeep, "{:?}", raw),
            }
        }
    }
}
