//! Loaders: JSON files of every shape people have on disk, mapped to the [model](crate::model) by hand so
//! that every problem keeps its exact span.
//!
//! Each loader collects diagnostics instead of stopping at the first problem. A diagnostic whose code is
//! fatal ([`Diagnostic::is_fatal`]) means the file could not be read as the shape it claims; the engine then
//! refuses the whole input, while the linter still reports everything found.

mod assignments;
mod catalog_json;
mod classify;
mod deny;
pub mod file;
mod groups;
mod hierarchy;
mod list;
mod reader;
mod roles;
mod suggest;
mod tenant;

use std::sync::Arc;

pub use assignments::load_assignments;
pub use catalog_json::load_operation_list;
pub use classify::{Document, classify, describe as describe_document};
pub use deny::load_deny_assignments;
pub use groups::load_groups;
pub use hierarchy::load_hierarchy;
pub use roles::{load_roles, load_roles_from_value};
pub use tenant::{LoadError, TenantFile, TenantLoader};

pub(crate) use list::{load_list, scope_of_extension_id, top_level_items};
pub(crate) use reader::{KeySpec, Reader};
pub use reader::{is_template_expression, pointer_to};

use crate::diag::{Diagnostic, codes};
use crate::json::{self, Value};
use crate::span::{SourceText, Span};

/// The result of loading one input: what could be read, and every problem found.
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// What was read. When [`Loaded::is_fatal`] is true it must not be used to decide anything.
    pub value: T,
    /// Every problem, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Loaded<T> {
    /// Whether any diagnostic makes the input unusable for the engine.
    pub fn is_fatal(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_fatal)
    }

    /// The value if nothing fatal was found, else the diagnostics.
    pub fn into_result(self) -> Result<(T, Vec<Diagnostic>), Vec<Diagnostic>> {
        if self.is_fatal() { Err(self.diagnostics) } else { Ok((self.value, self.diagnostics)) }
    }
}

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
fn json_diagnostic(src: &Arc<SourceText>, e: &json::JsonError) -> Diagnostic {
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
