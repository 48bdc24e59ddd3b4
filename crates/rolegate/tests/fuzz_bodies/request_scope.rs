//! The body of the `request_scope` fuzz target, shared with its replay test: the check path's request-scope
//! scanners against the parser, on arbitrary UTF-8.
//!
//! "Canonical" means what the engine requires of a request scope: `parse_scope` accepts it with no
//! normalisation. Asserts, for any string:
//!
//! * `canonical_segments` says `Segments(n)` exactly when the string is canonical and has at most
//!   `MAX_SEGMENTS` segments, and then its segments are the parser's; `No` only when it is not canonical;
//!   `TooDeep` only when it has more segments than that. `is_canonical_scope` is the parser's answer.
//! * `scan_lowered` and `scan_subscription` agree with `canonical_segments` whenever both decide (segment count,
//!   segment ends, where the subscription prefix ends, the lower-cased copy), reject only what the parser does
//!   not take as canonical, and leave undecided only what their documentation lets them (not printable ASCII,
//!   too long, too deep, not in a subscription).

use rolegate::internals::scan::{SCAN_BYTES, Scan, SubScan, scan_lowered, scan_subscription};
use rolegate::internals::scope::{Canonical, MAX_SEGMENTS, canonical_segments, is_canonical_scope};
use rolegate::scope::parse_scope;

/// Runs one input; panics on a disagreement.
pub fn run(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let parsed = parse_scope(raw);
    let canonical = parsed.as_ref().ok().filter(|p| p.normalized.is_empty()).map(|p| &p.scope);
    assert_eq!(is_canonical_scope(raw), canonical.is_some(), "is_canonical_scope({raw:?})");

    let mut segs = [""; MAX_SEGMENTS];
    let split = canonical_segments(raw, &mut segs);
    match split {
        Canonical::Segments(n) => {
            let scope = canonical.unwrap_or_else(|| panic!("canonical_segments accepts {raw:?}: {parsed:?}"));
            assert_eq!(scope.as_str(), raw, "a canonical scope is its own normal form");
            let theirs: Vec<&str> = scope.segments().collect();
            assert_eq!(&segs[..n], &theirs[..], "segments of {raw:?}");
        }
        Canonical::No => assert!(canonical.is_none(), "canonical_segments rejects canonical {raw:?}"),
        Canonical::TooDeep => {
            assert!(raw.split('/').count() - 1 > MAX_SEGMENTS, "TooDeep for {raw:?}");
        }
    }

    let plain = raw.bytes().all(|b| b.is_ascii_graphic());
    // The scanners give up on depth before they look for empty segments, where `canonical_segments` may
    // reject first.
    let deep = raw.split('/').count() - 1 > MAX_SEGMENTS;
    let (mut lowered, mut ends) = ([0u8; SCAN_BYTES], [0u32; MAX_SEGMENTS]);
    match scan_lowered(raw, &mut lowered, &mut ends) {
        Scan::Segments(n) => {
            assert_eq!(split, Canonical::Segments(n), "scan_lowered on {raw:?}");
            assert_eq!(&lowered[..raw.len()], raw.to_ascii_lowercase().as_bytes(), "lower-cased {raw:?}");
            let mut end = 0;
            for (seg, &e) in segs[..n].iter().zip(&ends[..n]) {
                end += 1 + seg.len();
                assert_eq!(e as usize, end, "segment ends of {raw:?}");
            }
        }
        // Past `MAX_SEGMENTS`, `canonical_segments` gives up on depth before it meets a reserved byte the scanner
        // rejects on: both refuse, for different reasons.
        Scan::No => assert!(
            canonical.is_none() && matches!(split, Canonical::No | Canonical::TooDeep),
            "scan_lowered rejects {raw:?}"
        ),
        Scan::Other => assert!(!plain || raw.len() > SCAN_BYTES || deep, "scan_lowered leaves {raw:?} undecided"),
    }

    let (mut copy, mut lowered) = ([0u8; SCAN_BYTES], [0u8; SCAN_BYTES]);
    let in_subscription = raw.len() > 15 && raw.as_bytes()[..15].eq_ignore_ascii_case(b"/subscriptions/");
    match scan_subscription(raw, &mut copy, &mut lowered) {
        SubScan::Subscription { segments, owner_end } => {
            assert_eq!(split, Canonical::Segments(segments), "scan_subscription on {raw:?}");
            assert_eq!(&lowered[..raw.len()], raw.to_ascii_lowercase().as_bytes(), "lower-cased {raw:?}");
            assert_eq!(owner_end, 15 + segs[1].len(), "subscription prefix of {raw:?}");
        }
        // It finds an empty segment past `MAX_SEGMENTS` that `canonical_segments` gives up before.
        SubScan::No => assert!(
            canonical.is_none() && matches!(split, Canonical::No | Canonical::TooDeep),
            "scan_subscription rejects {raw:?}"
        ),
        SubScan::Other => assert!(
            !plain || !in_subscription || raw.len() + 40 > SCAN_BYTES || deep,
            "scan_subscription leaves {raw:?} undecided"
        ),
    }
}
