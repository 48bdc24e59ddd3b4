//! Not API, and hidden from the docs: pieces of rolegate's implementation that the project's own other crates
//! use. They may change or go away in any release, with no deprecation; an embedder uses the documented modules.
//!
//! Who uses what:
//!
//! * [`json`], the span-keeping JSON parser: role-lint (its rules read the document behind a role, its tenant
//!   rules walk the files), the `json_parse` fuzz target, the load bench and the bad-input tests.
//! * [`load`], the loaders' first steps (parse a file, tell what document it is, read roles from a parsed
//!   value, point at a span with a JSON pointer): role-lint, which reports on files the engine would refuse.
//! * [`file`], the bounded, regular-file-only reader and the `--max-file-size` parser: role-lint, the
//!   `role-lint` and `rolegate` binaries, and the gateway's JWKS file.
//! * [`write`], role definitions back to JSON in each shape: the round-trip tests and the `load_roles` fuzz
//!   target.
//! * [`scope`], the allocation-free canonical scope splitter, and [`scan`], the engine's request-scope
//!   scanners: the `request_scope` fuzz target and its replay test (`tests/it/fuzz_replay.rs`), which check them
//!   against the scope parser, and the scope tests.
//! * [`diag`], the excerpt that keeps user text in a message short: role-lint's messages.

/// The span-keeping JSON parser (semantics §2.2): every value knows its byte range, duplicate keys are errors.
pub mod json {
    pub use crate::json::{
        ErrorKind, JsonError, Kind, MAX_DEPTH, Member, Number, Value, decoded_to_source, parse, parse_bytes,
        pointer_escape,
    };
}

/// The loaders' first steps, for a linter that reports on what the engine would refuse.
pub mod load {
    pub use crate::load::classify::{Document, classify, describe as describe_document, looks_like};
    pub use crate::load::reader::pointer_to;
    pub use crate::load::roles::load_roles_from_value;
    pub use crate::load::source::parse_source;
}

/// Reading an input file: a regular file under a cap, never a FIFO or a device (semantics §2.2).
pub mod file {
    pub use crate::load::file::{DEFAULT_MAX_FILE_BYTES, FileError, parse_size, read_file, read_text};
}

/// Role definitions back to JSON, in each of the shapes the loader reads.
pub mod write {
    pub use crate::write::{logical, role_to_json, roles_to_json};
}

/// The check path's canonical scope splitter, which the request-scope scanners must agree with.
pub mod scope {
    pub use crate::scope::canonical::{Canonical, MAX_SEGMENTS, canonical_segments, is_canonical_scope};
}

/// The engine's request-scope scanners.
pub mod scan {
    pub use crate::engine::scan::{SCAN_BYTES, Scan, SubScan, scan_lowered, scan_subscription};
}

/// Message helpers shared with role-lint's rules.
pub mod diag {
    pub use crate::span::excerpt;
}
