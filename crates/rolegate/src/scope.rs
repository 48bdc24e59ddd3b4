//! Scopes: parsing, normalisation and segment-wise ancestry (semantics §2.3).
//!
//! A scope is a `/`-separated path of segments. The forms ARM uses are:
//!
//! | form | kind |
//! | --- | --- |
//! | `/` | [`ScopeKind::Root`] |
//! | `/providers/Microsoft.Management/managementGroups/{id}` | [`ScopeKind::ManagementGroup`] |
//! | `/subscriptions/{id}` | [`ScopeKind::Subscription`] |
//! | `/subscriptions/{id}/resourceGroups/{name}` | [`ScopeKind::ResourceGroup`] |
//! | `{container}/providers/{Namespace}` | [`ScopeKind::Provider`] |
//! | `{container}/providers/{Namespace}/{type}/{name}[/{childType}/{childName}]…` | [`ScopeKind::Resource`] |
//! | `{resource}/providers/{Namespace}/{type}/{name}…` | [`ScopeKind::Extension`] |
//!
//! where a container is the root, a subscription or a resource group. Everything after `providers/{Namespace}`
//! is taken as written: request scopes may point below a resource (a blob path) or at a collection, so an odd
//! number of segments is fine there. Above the provider namespace the structure is checked.
//!
//! Comparison is ASCII case-insensitive and segment-wise, so `rg1` is not an ancestor of `rg10`. Keywords
//! (`subscriptions`, `resourceGroups`, `providers`, `managementGroups`, `Microsoft.Management`) are recognised in
//! any ASCII case and kept as written.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use nom::bytes::complete::{take_till1, take_while1};
use nom::{IResult, Parser};

use crate::action::{CharClass, classify_char};
use crate::span::Span;
use crate::swar::{LO, word, zero_bytes};

/// A parsed, normalised scope.
///
/// Equality and hashing ignore ASCII case (as Azure does); [`fmt::Display`] and [`Scope::as_str`] give the
/// normalised text in its original case.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Normalised text: `/` followed by the segments joined with `/`.
    text: String,
    layout: Layout,
}

/// What a scope designates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeKind {
    /// `/`, above everything including the tenant root management group.
    Root,
    /// `/providers/Microsoft.Management/managementGroups/{id}`.
    ManagementGroup,
    /// `/subscriptions/{id}`.
    Subscription,
    /// `/subscriptions/{id}/resourceGroups/{name}`.
    ResourceGroup,
    /// A provider namespace without a resource under a container: `/providers/Microsoft.Capacity` (tenant level),
    /// `/subscriptions/{id}/providers/Microsoft.Web`.
    Provider,
    /// Anything below `providers/{Namespace}`: a resource, a child resource, a resource-type collection, or a
    /// path below a resource such as a blob. Also children of a management group other than extensions
    /// (`…/managementGroups/{id}/subscriptions/{id}`).
    Resource,
    /// An extension resource on a resource or a management group: a further `providers` segment in a type
    /// position, such as `{resource}/providers/Microsoft.Authorization/roleAssignments/{id}`.
    Extension,
}

/// Where the structural parts of a scope are, as segment indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    kind: ScopeKind,
    /// Index of the management-group id segment.
    management_group: Option<usize>,
    /// Index of the subscription id segment.
    subscription: Option<usize>,
    /// Index of the resource-group name segment.
    resource_group: Option<usize>,
    /// Index of the first provider namespace segment (the one after the first `providers`).
    namespace: Option<usize>,
}

/// A scope together with the normalisations that were needed to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedScope {
    /// The scope.
    pub scope: Scope,
    /// Normalisations applied, each kind at most once, in order of first occurrence.
    pub normalized: Vec<Normalization>,
}

/// A normalisation applied while reading a scope; accepted, but worth a note from the linter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Normalization {
    /// The scope did not start with `/` (the REST examples write `subscriptions/…`).
    AddedLeadingSlash,
    /// The scope ended with `/` after a segment.
    RemovedTrailingSlash,
    /// Two or more consecutive `/` were read as one.
    CollapsedDoubleSlash,
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Normalization::AddedLeadingSlash => "added a missing leading `/`",
            Normalization::RemovedTrailingSlash => "removed a trailing `/`",
            Normalization::CollapsedDoubleSlash => "collapsed `//` into `/`",
        })
    }
}

/// A scope that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct ScopeError {
    /// What is wrong.
    pub problem: ScopeProblem,
    /// Byte range of the offending part within the input.
    pub at: Span,
}

/// Why a scope cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeProblem {
    /// The input is empty.
    #[error("empty scope")]
    Empty,
    /// Whitespace anywhere (scopes are never trimmed).
    #[error("whitespace in a scope")]
    Whitespace,
    /// A control or invisible format character.
    #[error("control or invisible character in a scope")]
    ControlCharacter,
    /// A `%`, `?`, `#` or `\`: Azure would read the scope as another one (see [`is_reserved_byte`]).
    #[error("`{character}` in a scope (a URL escape, a query, a fragment or a backslash names another scope to Azure)")]
    ReservedCharacter {
        /// The character.
        character: char,
    },
    /// A `.` or `..` segment.
    #[error("`.` and `..` segments are not allowed in a scope")]
    DotSegment,
    /// A keyword segment without the name that must follow it.
    #[error("`{keyword}` must be followed by a name")]
    MissingName {
        /// The keyword, in its canonical spelling.
        keyword: &'static str,
    },
    /// A segment where the structure allows only certain keywords.
    #[error("unexpected segment, expected {expected}")]
    UnexpectedSegment {
        /// What was expected, for the message.
        expected: &'static str,
    },
}

/// A scope string as found in a file, classified before strict parsing so that placeholders and template
/// expressions are not reported as malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeValue {
    /// A real scope.
    Parsed(ParsedScope),
    /// A documentation placeholder such as `<subscriptionId>`, `{subscriptionId}`, `${SUB}` or `$(sub)` stands
    /// for a segment; `at` is the first such segment.
    Placeholder {
        /// Byte range of the first placeholder segment within the input.
        at: Span,
    },
    /// The whole string is an ARM template expression (`[subscription().id]`), kept opaque.
    Template,
    /// Neither a scope nor a recognisable placeholder or template.
    Malformed(ScopeError),
}

const KW_SUBSCRIPTIONS: &str = "subscriptions";
const KW_RESOURCE_GROUPS: &str = "resourceGroups";
const KW_PROVIDERS: &str = "providers";
const KW_MANAGEMENT: &str = "Microsoft.Management";
const KW_MANAGEMENT_GROUPS: &str = "managementGroups";

/// Classifies a scope string from a file: template expression, placeholder, scope or malformed.
///
/// A template is a string that starts with `[` and ends with `]`, except that a leading `[[` is ARM's escape for
/// a literal `[` and is therefore not a template (such a string is parsed, and typically is malformed). Embedded
/// brackets are not expressions in ARM either, so only the whole string counts.
pub fn classify_scope(raw: &str) -> ScopeValue {
    if raw.len() >= 2 && raw.starts_with('[') && raw.ends_with(']') && !raw.starts_with("[[") {
        return ScopeValue::Template;
    }
    if let Some(at) = first_placeholder(raw) {
        return ScopeValue::Placeholder { at };
    }
    match parse_scope(raw) {
        Ok(parsed) => ScopeValue::Parsed(parsed),
        Err(e) => ScopeValue::Malformed(e),
    }
}

/// The first `/`-separated part of `raw` that looks like a documentation placeholder.
fn first_placeholder(raw: &str) -> Option<Span> {
    let mut start = 0;
    for part in raw.split('/') {
        let end = start + part.len();
        if is_placeholder(part) {
            return Some(Span::new(start, end));
        }
        start = end + 1;
    }
    None
}

fn is_placeholder(part: &str) -> bool {
    let enclosed = |open: &str, close: char| {
        part.len() > open.len() + close.len_utf8() && part.starts_with(open) && part.ends_with(close)
    };
    enclosed("<", '>') || enclosed("{", '}') || enclosed("${", '}') || enclosed("$(", ')')
}

/// Whether `b` may not appear anywhere in a scope. Each of these makes Azure read a scope as another one than its
/// text, which is how a request could slip past a deny assignment: `%` starts a URL escape that Azure decodes
/// (`r%67` is `rg`), `?` a query and `#` a fragment that it cuts off (`rg?x=1` is `rg`), and `\` is a `/` to URL
/// parsers that follow the WHATWG URL standard (`rg\providers\…` is below `rg`). None of them can be part of a
/// real scope: ARM's resource-provider contract bars them from resource and resource-group names ("cannot
/// include: '<', '>', '%', '&', ':', '\\', '?', '/'"), and a path below a resource that holds one (a blob name)
/// is percent-encoded in a URL. The contract bars `<`, `>`, `&` and `:` as well, but every parser reads those as
/// written, so a scope holding one names only itself; they are not refused, to keep the rule to what can widen
/// access.
pub const fn is_reserved_byte(b: u8) -> bool {
    matches!(b, b'%' | b'?' | b'#' | b'\\')
}

fn is_reserved_char(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_reserved_byte)
}

/// Parses a scope, normalising a missing leading `/`, a trailing `/` and repeated `/`.
///
/// Checks run in this order, and the first failure is reported: characters (whitespace, control, reserved: the
/// first offending one), then `.` and `..` segments, then the structure above the provider namespace.
pub fn parse_scope(raw: &str) -> Result<ParsedScope, ScopeError> {
    if raw.is_empty() {
        return Err(ScopeError { problem: ScopeProblem::Empty, at: Span::point(0) });
    }
    if let Some((i, c, class)) = raw
        .char_indices()
        .map(|(i, c)| (i, c, classify_char(c)))
        .find(|t| t.2 != CharClass::Literal || is_reserved_char(t.1))
    {
        let problem = match class {
            CharClass::Control => ScopeProblem::ControlCharacter,
            CharClass::Literal => ScopeProblem::ReservedCharacter { character: c },
            _ => ScopeProblem::Whitespace,
        };
        return Err(ScopeError { problem, at: Span::new(i, i + c.len_utf8()) });
    }

    let (raw_segments, normalized) = tokenize(raw);
    if let Some(&(span, _)) = raw_segments.iter().find(|(_, s)| *s == "." || *s == "..") {
        return Err(ScopeError { problem: ScopeProblem::DotSegment, at: span });
    }
    let texts: Vec<&str> = raw_segments.iter().map(|&(_, s)| s).collect();
    let layout = classify(&texts).map_err(|(problem, index)| ScopeError {
        problem,
        at: raw_segments.get(index).map_or(Span::point(raw.len()), |&(span, _)| span),
    })?;
    Ok(ParsedScope { scope: Scope::from_parts(&texts, layout), normalized })
}

/// Whether `raw` is a scope in canonical form: [`parse_scope`] accepts it with no normalisation. Allocation-free
/// for scopes of up to [`MAX_SEGMENTS`] segments, for the engine's check path.
pub fn is_canonical_scope(raw: &str) -> bool {
    let mut segs = [""; MAX_SEGMENTS];
    match canonical_segments(raw, &mut segs) {
        Canonical::Segments(_) => true,
        Canonical::No => false,
        // Deeper than any real scope: take the allocating path rather than guess.
        Canonical::TooDeep => parse_scope(raw).is_ok_and(|p| p.normalized.is_empty()),
    }
}

/// How many segments [`canonical_segments`] splits a scope into at most.
pub const MAX_SEGMENTS: usize = 32;

/// What [`canonical_segments`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canonical {
    /// Canonical, with this many segments written to the array (0 for `/`).
    Segments(usize),
    /// Not canonical: [`parse_scope`] rejects it or would normalise it.
    No,
    /// More than [`MAX_SEGMENTS`] segments: undecided, ask [`is_canonical_scope`].
    TooDeep,
}

/// Splits a canonical scope into its segments without allocating, eight bytes at a time: the check path's
/// validation and the engine's scope walk in one pass.
pub fn canonical_segments<'a>(raw: &'a str, segs: &mut [&'a str; MAX_SEGMENTS]) -> Canonical {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Canonical::No;
    }
    if bytes.len() == 1 {
        return Canonical::Segments(0);
    }
    let (mut n, mut start, mut printable) = (0, 1, true);
    let mut cut = |end: usize, n: &mut usize, start: &mut usize| -> Option<Canonical> {
        let seg = raw.get(*start..end).unwrap_or_default();
        if seg.is_empty() || seg == "." || seg == ".." {
            return Some(Canonical::No);
        }
        let Some(slot) = segs.get_mut(*n) else { return Some(Canonical::TooDeep) };
        *slot = seg;
        *n += 1;
        *start = end + 1;
        None
    };
    let mut at = 0;
    while at < bytes.len() {
        let chunk = bytes.get(at..bytes.len().min(at + 8)).unwrap_or_default();
        let w = match <[u8; 8]>::try_from(chunk) {
            Ok(w) => u64::from_le_bytes(w),
            // Pad a short last word with a printable byte that is not `/`.
            Err(_) => (0..8).fold(0, |w, i| w | u64::from(chunk.get(i).copied().unwrap_or(b'a')) << (8 * i)),
        };
        // Reserved bytes share the flag: confirming one costs the same character pass as any other odd byte.
        printable &= (crate::swar::unprintable_bytes(w) | crate::swar::reserved_bytes(w)) == 0;
        let mut slashes = crate::swar::zero_bytes(w ^ (crate::swar::LO * u64::from(b'/')));
        while slashes != 0 {
            let i = at + (slashes.trailing_zeros() / 8) as usize;
            slashes &= slashes - 1;
            if i == 0 {
                continue;
            }
            if let Some(stop) = cut(i, &mut n, &mut start) {
                return stop;
            }
        }
        at += 8;
    }
    if let Some(stop) = cut(bytes.len(), &mut n, &mut start) {
        return stop;
    }
    if !printable && raw.chars().any(|c| classify_char(c) != CharClass::Literal || is_reserved_char(c)) {
        return Canonical::No;
    }
    match classify(segs.get(..n).unwrap_or_default()) {
        Ok(_) => Canonical::Segments(n),
        Err(_) => Canonical::No,
    }
}

// The check path's scanners are public but hidden, and not API: the `request_scope` fuzz target and its replay
// test (`tests/it/fuzz_replay.rs`) run them against the parser from outside the crate.

/// The longest scope [`scan_lowered`] takes; longer ones (none are real) go to [`canonical_segments`].
#[doc(hidden)]
pub const SCAN_BYTES: usize = 256;

/// What [`scan_lowered`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
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
#[doc(hidden)]
pub fn scan_lowered(raw: &str, lowered: &mut [u8; SCAN_BYTES], ends: &mut [u32; MAX_SEGMENTS]) -> Scan {
    use crate::swar::{LO, word, zero_bytes};
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
#[doc(hidden)]
pub enum SubScan {
    /// A canonical scope in a subscription: its segment count and where the `/subscriptions/{id}` prefix ends.
    Subscription { segments: usize, owner_end: usize },
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
#[doc(hidden)]
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

enum Token<'a> {
    Slashes(&'a str),
    Segment(&'a str),
}

fn token(input: &str) -> IResult<&str, Token<'_>> {
    let slashes = take_while1(|c| c == '/').map(Token::Slashes);
    let segment = take_till1(|c| c == '/').map(Token::Segment);
    nom::branch::alt((slashes, segment)).parse(input)
}

/// Splits `raw` into segments with their byte ranges, noting every normalisation needed.
fn tokenize(raw: &str) -> (Vec<(Span, &str)>, Vec<Normalization>) {
    let mut segments = Vec::new();
    let mut normalized = Vec::new();
    let mut note = |n: Normalization| {
        if !normalized.contains(&n) {
            normalized.push(n);
        }
    };
    if !raw.starts_with('/') {
        note(Normalization::AddedLeadingSlash);
    }
    let mut rest = raw;
    // Every token consumes at least one character, so this ends; it stops when `rest` is empty.
    while let Ok((next, tok)) = token(rest) {
        let at = raw.len() - rest.len();
        match tok {
            Token::Slashes(s) => {
                if s.len() > 1 {
                    note(Normalization::CollapsedDoubleSlash);
                }
                if next.is_empty() && !segments.is_empty() {
                    note(Normalization::RemovedTrailingSlash);
                }
            }
            Token::Segment(s) => segments.push((Span::new(at, at + s.len()), s)),
        }
        rest = next;
    }
    (segments, normalized)
}

fn is_kw(segment: Option<&&str>, keyword: &str) -> bool {
    segment.is_some_and(|s| s.eq_ignore_ascii_case(keyword))
}

/// Works out the structure of a segment list, or the problem and the index of the segment to blame.
fn classify(segs: &[&str]) -> Result<Layout, (ScopeProblem, usize)> {
    let mut layout = Layout {
        kind: ScopeKind::Root,
        management_group: None,
        subscription: None,
        resource_group: None,
        namespace: None,
    };
    let missing = |keyword, index| Err((ScopeProblem::MissingName { keyword }, index));
    let unexpected = |expected, index| Err((ScopeProblem::UnexpectedSegment { expected }, index));

    // The container: root, subscription or resource group; `at` is the next segment to read.
    let mut at = 0;
    if is_kw(segs.first(), KW_SUBSCRIPTIONS) {
        if segs.len() < 2 {
            return missing(KW_SUBSCRIPTIONS, 0);
        }
        layout.kind = ScopeKind::Subscription;
        layout.subscription = Some(1);
        at = 2;
        if is_kw(segs.get(2), KW_RESOURCE_GROUPS) {
            if segs.len() < 4 {
                return missing(KW_RESOURCE_GROUPS, 2);
            }
            layout.kind = ScopeKind::ResourceGroup;
            layout.resource_group = Some(3);
            at = 4;
        }
    }
    if at == segs.len() {
        return Ok(layout);
    }
    if !is_kw(segs.get(at), KW_PROVIDERS) {
        let expected = match at {
            0 => "`subscriptions` or `providers`",
            2 => "`resourceGroups` or `providers`",
            _ => "`providers`",
        };
        return unexpected(expected, at);
    }
    let namespace = at + 1;
    if segs.len() <= namespace {
        return missing(KW_PROVIDERS, at);
    }
    layout.namespace = Some(namespace);
    layout.kind = ScopeKind::Provider;

    // Below the namespace: a path of type/name pairs, taken as written.
    let path = segs.get(namespace + 1..).unwrap_or_default();
    if path.is_empty() {
        return Ok(layout);
    }
    layout.kind = ScopeKind::Resource;
    let is_management_group = at == 0
        && is_kw(segs.get(namespace), KW_MANAGEMENT)
        && is_kw(path.first(), KW_MANAGEMENT_GROUPS)
        && path.len() >= 2;
    if is_management_group {
        layout.management_group = Some(namespace + 2);
        if path.len() == 2 {
            layout.kind = ScopeKind::ManagementGroup;
        }
    }
    if path.iter().step_by(2).skip(1).any(|s| s.eq_ignore_ascii_case(KW_PROVIDERS)) {
        layout.kind = ScopeKind::Extension;
    }
    Ok(layout)
}

impl Scope {
    fn from_parts(segs: &[&str], layout: Layout) -> Scope {
        let mut text = String::with_capacity(segs.iter().map(|s| s.len() + 1).sum::<usize>().max(1));
        for s in segs {
            text.push('/');
            text.push_str(s);
        }
        if text.is_empty() {
            text.push('/');
        }
        // Segments are found again by splitting when asked: a tenant holds hundreds of thousands of scopes,
        // and storing their offsets (and a lower-cased copy) cost more than the text itself.
        Scope { text, layout }
    }

    /// The root scope `/`.
    pub fn root() -> Scope {
        Scope::from_parts(
            &[],
            Layout {
                kind: ScopeKind::Root,
                management_group: None,
                subscription: None,
                resource_group: None,
                namespace: None,
            },
        )
    }

    /// The normalised text, in its original case.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the scope designates.
    pub fn kind(&self) -> ScopeKind {
        self.layout.kind
    }

    /// The segments, in order, without separators; none for the root.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        // Canonical text: `/` then segments joined by single `/`; the root has none.
        self.text.split('/').skip(1).filter(|s| !s.is_empty())
    }

    /// How many segments the scope has.
    pub fn depth(&self) -> usize {
        self.segments().count()
    }

    fn segment(&self, index: Option<usize>) -> Option<&str> {
        self.segments().nth(index?)
    }

    /// Whether `self` is `other` or one of its ancestors: the segments of `self` are a prefix of those of
    /// `other`, compared ASCII case-insensitively. The root is an ancestor of every scope. Management-group
    /// nesting is not encoded in scope strings and is not considered here.
    pub fn is_ancestor_or_self_of(&self, other: &Scope) -> bool {
        self.depth() <= other.depth() && self.segments().zip(other.segments()).all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// The next scope up by ARM's structure, or `None` for the root:
    ///
    /// * a management group and a subscription go to the root (the management-group tree comes from
    ///   `hierarchy.json`, not from the scope string);
    /// * a resource group goes to its subscription;
    /// * a provider scope (`…/providers/Ns`) goes to its container (root, subscription or resource group);
    /// * a path below `providers/Ns` drops one segment if it has an odd number of segments after the namespace
    ///   (a collection or a path below a resource), otherwise one type/name pair. A top-level resource thus goes
    ///   to its provider scope and then to its container, an extension resource to `{resource}/providers/Ns`
    ///   and then to the resource it extends, and a management group's child to the management group.
    ///
    /// Every scope on this chain is a segment-wise ancestor, so walking it never leaves
    /// [`Scope::is_ancestor_or_self_of`]; the converse does not hold for unusual scopes such as a
    /// resource-type collection, which is an ancestor of its resources but not on their parent chain.
    pub fn parent(&self) -> Option<Scope> {
        let len = self.depth();
        let parent_len = match self.layout.kind {
            ScopeKind::Root => return None,
            ScopeKind::ManagementGroup | ScopeKind::Subscription => 0,
            ScopeKind::ResourceGroup | ScopeKind::Provider => len.saturating_sub(2),
            ScopeKind::Resource | ScopeKind::Extension => {
                let base = self.layout.namespace.map_or(len, |ns| ns + 1);
                let below = len.saturating_sub(base);
                len.saturating_sub(if below % 2 == 1 { 1 } else { 2 })
            }
        };
        self.prefix(parent_len)
    }

    /// The scope made of the first `len` segments, if that is a well-formed scope.
    fn prefix(&self, len: usize) -> Option<Scope> {
        let segs: Vec<&str> = self.segments().take(len).collect();
        classify(&segs).ok().map(|layout| Scope::from_parts(&segs, layout))
    }

    /// The chain from this scope up to the root via [`Scope::parent`], starting with the scope itself.
    pub fn ancestors(&self) -> impl Iterator<Item = Scope> {
        std::iter::successors(Some(self.clone()), Scope::parent)
    }

    /// The management-group id, for a management group or anything below one.
    pub fn management_group(&self) -> Option<&str> {
        self.segment(self.layout.management_group)
    }

    /// The subscription id, for a subscription or anything below one.
    pub fn subscription(&self) -> Option<&str> {
        self.segment(self.layout.subscription)
    }

    /// The resource-group name, for a resource group or anything below one.
    pub fn resource_group(&self) -> Option<&str> {
        self.segment(self.layout.resource_group)
    }

    /// The first provider namespace (`Microsoft.Storage` in `…/providers/Microsoft.Storage/…`), if any.
    pub fn provider_namespace(&self) -> Option<&str> {
        self.segment(self.layout.namespace)
    }
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.text.eq_ignore_ascii_case(&other.text)
    }
}

impl Eq for Scope {}

impl Hash for Scope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Consistent with `eq`: equal up to ASCII case hashes equally.
        for b in self.text.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    /// Parses like [`parse_scope`] and drops the list of normalisations.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_scope(s).map(|p| p.scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scope(s: &str) -> Scope {
        s.parse().unwrap()
    }

    #[test]
    fn parent_chain_of_an_extension() {
        let s = scope(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/x",
        );
        assert_eq!(s.kind(), ScopeKind::Extension);
        let chain: Vec<String> = s.ancestors().map(|a| a.to_string()).collect();
        assert_eq!(
            chain,
            [
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/x",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage",
                "/subscriptions/s/resourceGroups/rg",
                "/subscriptions/s",
                "/",
            ]
        );
    }

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

    #[test]
    fn equality_ignores_ascii_case_only() {
        assert_eq!(scope("/subscriptions/S/resourcegroups/RG"), scope("/SUBSCRIPTIONS/s/resourceGroups/rg"));
        assert_ne!(scope("/subscriptions/s"), scope("/subscriptions/ſ"));
    }
}
