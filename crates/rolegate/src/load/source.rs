//! Reading a file's bytes as JSON, with the diagnostic every loader gives for text that is not JSON.

use std::sync::Arc;

use crate::diag::{Diagnostic, codes};
use crate::json::{self, Value};
use crate::span::{SourceText, Span};

/// Parses a file's bytes as JSON, accepting a UTF-8 byte-order mark. On failure the returned diagnostic is
/// `RL000` pointing at the offending bytes.
pub fn parse_source(name: &str, bytes: &[u8]) -> (Arc<SourceText>, Result<Value, Diagnostic>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        // Only the valid prefix matters for positions: an encoding error stops parsing right there.
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let src = Arc::new(SourceText::new(name, text));
    let parsed = json::parse_bytes(bytes).map(|(v, _bom)| v).map_err(|e| json_diagnostic(&src, &e));
    (src, parsed)
}

/// `RL000` (or `RL002` for a duplicate key) for a JSON error in `src`.
pub(crate) fn json_diagnostic(src: &Arc<SourceText>, e: &json::JsonError) -> Diagnostic {
    let mut span = e.span;
    if matches!(e.kind, json::ErrorKind::InvalidUtf8) {
        // In the lossy text the invalid byte became U+FFFD (3 bytes) at the same offset.
        span = Span::new(span.start, span.start + '\u{fffd}'.len_utf8());
    }
    let mut d = match &e.kind {
        // Valid JSON as far as RFC 8259 goes, but ambiguous: which value would Azure use?
        json::ErrorKind::DuplicateKey(_) => Diagnostic::error(codes::DUPLICATE_KEY, e.to_string()),
        _ => Diagnostic::error(codes::INVALID_JSON, format!("invalid JSON: {e}")),
    }
    .at(src, span);
    if let Some(related) = e.related {
        d = d.with_related(related, "first defined here");
    }
    if let Some(help) = e.help() {
        d = d.with_help(help);
    }
    d.with_label(json_label(&e.kind))
}

fn json_label(kind: &json::ErrorKind) -> &'static str {
    use json::ErrorKind as K;
    match kind {
        K::Empty => "empty file",
        K::UnexpectedEnd { .. } => "file ends here",
        K::TrailingComma => "trailing comma",
        K::InvalidUtf8 => "not UTF-8",
        K::TooDeep { .. } => "nested too deep",
        K::DuplicateKey(_) => "duplicate key",
        K::ControlCharacterInString(_) => "control character",
        K::Comment => "comment",
        K::TrailingCharacters => "unexpected text after the JSON value",
        K::InvalidNumber { .. } => "invalid number",
        K::InvalidEscape(_) | K::InvalidUnicodeEscape(_) => "invalid escape",
        K::UnexpectedChar { .. } | K::InvalidLiteral(_) => "unexpected here",
    }
}
