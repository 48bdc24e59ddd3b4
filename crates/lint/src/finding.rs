//! A finding: a diagnostic flattened into what reports print.

use rolegate::{Diagnostic, Severity};

/// One finding of a run, with everything the JSON and SARIF reports need.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Stable code (`RL000`).
    pub code: &'static str,
    /// Kebab-case name of the code.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// File, when the finding is in one.
    pub file: Option<String>,
    /// 1-based start line (0 when there is no position).
    pub line: usize,
    /// 1-based start column in Unicode scalar values.
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// Exclusive 1-based end column.
    pub end_column: usize,
    /// The role the finding belongs to.
    pub role: Option<String>,
    /// RFC 6901 pointer into the file.
    pub pointer: Option<String>,
    /// Concrete operations involved (wildcard expansions, from lint rules).
    pub operations: Vec<String>,
    /// Stable across runs and unrelated edits (see [`fingerprint`]).
    pub fingerprint: String,
    /// The diagnostic, for rich rendering.
    pub diagnostic: Diagnostic,
}

impl Finding {
    /// Flattens a diagnostic.
    pub fn from_diagnostic(d: &Diagnostic, role: Option<String>) -> Finding {
        Finding::from_owned(d.clone(), role)
    }

    /// [`Finding::from_diagnostic`] for a diagnostic the caller no longer needs (one clone less per finding).
    pub(crate) fn from_owned(d: Diagnostic, role: Option<String>) -> Finding {
        let ((line, column), (end_line, end_column)) =
            d.line_cols().map_or(((0, 0), (0, 0)), |(s, e)| ((s.line, s.column), (e.line, e.column)));
        let mut f = Finding {
            code: d.code.id,
            name: d.code.name,
            severity: d.severity,
            message: d.message.clone(),
            help: d.help.clone(),
            file: d.file().map(str::to_owned),
            line,
            column,
            end_line,
            end_column,
            role: role.or_else(|| d.role.clone()),
            pointer: d.pointer.clone(),
            operations: Vec::new(),
            fingerprint: String::new(),
            diagnostic: d,
        };
        f.fingerprint = fingerprint(&f);
        f
    }
}

/// A fingerprint that survives unrelated edits: it hashes the code, the file, the role, the pointer with array
/// indices removed (inserting an action above must not change it) and the underlined text — never line numbers.
/// FNV-1a 64, written out so that it is stable across Rust versions (std's hasher is not).
pub fn fingerprint(f: &Finding) -> String {
    let pointer: Vec<&str> = f
        .pointer
        .as_deref()
        .unwrap_or_default()
        .split('/')
        .filter(|seg| !seg.is_empty() && !seg.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let snippet = f.diagnostic.snippet().unwrap_or_default();
    let parts = [
        f.code,
        f.file.as_deref().unwrap_or_default(),
        f.role.as_deref().unwrap_or_default(),
        &pointer.join("/"),
        snippet,
    ];
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
