//! Arbitrary bytes into the span-keeping JSON parser.
//!
//! Asserts: `parse_bytes` never panics (nor overflows the stack), and when it accepts the input every value's
//! span lies within the input, on character boundaries, nested inside its parent's span, with an object's keys
//! and values and an array's items in source order and not overlapping.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegate::internals::json::{Kind, Value, parse_bytes};
use rolegate::diag::Span;

fuzz_target!(|data: &[u8]| {
    let Ok((root, bom)) = parse_bytes(data) else { return };
    // `parse_bytes` accepted the input, so it is UTF-8.
    let text = std::str::from_utf8(data).expect("accepted input is UTF-8");
    let first = if bom { '\u{feff}'.len_utf8() } else { 0 };
    assert!(root.span.start >= first, "root {:?} starts inside the byte order mark", root.span);
    check_span(text, root.span, Span::new(0, text.len()));
    // An explicit stack: values nest at most `MAX_DEPTH` deep, but the target should not rely on it.
    let mut stack: Vec<&Value> = vec![&root];
    while let Some(v) = stack.pop() {
        match &v.kind {
            Kind::Array(items) => {
                let mut cursor = v.span.start;
                for item in items {
                    check_span(text, item.span, v.span);
                    assert!(item.span.start >= cursor, "array items out of order in {:?}", v.span);
                    cursor = item.span.end;
                    stack.push(item);
                }
            }
            Kind::Object(members) => {
                let mut cursor = v.span.start;
                for m in members {
                    check_span(text, m.key_span, v.span);
                    check_span(text, m.value.span, v.span);
                    assert!(m.key_span.start >= cursor, "members out of order in {:?}", v.span);
                    assert!(m.value.span.start >= m.key_span.end, "value before its key in {:?}", v.span);
                    assert!(text[m.key_span.start..m.key_span.end].starts_with('"'), "key span is not a string");
                    cursor = m.value.span.end;
                    stack.push(&m.value);
                }
            }
            Kind::String(_) => {
                let src = &text[v.span.start..v.span.end];
                assert!(src.len() >= 2 && src.starts_with('"') && src.ends_with('"'), "string span {src:?}");
            }
            Kind::Null | Kind::Bool(_) | Kind::Number(_) => {
                assert!(!v.span.is_empty(), "empty span for a scalar");
            }
        }
    }
});

/// `span` is well formed, within `parent`, and starts and ends on character boundaries of `text`.
fn check_span(text: &str, span: Span, parent: Span) {
    assert!(span.start <= span.end, "inverted span {span:?}");
    assert!(parent.start <= span.start && span.end <= parent.end, "{span:?} is not within {parent:?}");
    assert!(text.get(span.start..span.end).is_some(), "{span:?} is not on character boundaries");
}
