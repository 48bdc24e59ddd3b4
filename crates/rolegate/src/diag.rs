//! Diagnostics: every load problem names its file, line and column, underlines the offending text, and says
//! how to fix it.
//!
//! A [`Diagnostic`] implements [`miette::Diagnostic`], so binaries render it like rustc does; the same value
//! carries everything the JSON and SARIF reports need (code, severity, span, JSON pointer).

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SpanContents};

// Diagnostics point into source texts; these are the public names of the span types.
pub use crate::span::{LineCol, SourceText, Span};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Informational; never fails anything.
    Note,
    /// Worth fixing; fails only under `--deny warnings`.
    Warning,
    /// Azure would reject it, or the input cannot be used as it is.
    Error,
}

impl Severity {
    /// Lower-case name as used in reports (`error`, `warning`, `note`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A diagnostic code: a stable identifier (`RL000`), a short name and what a load problem does to the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    /// Stable identifier, e.g. `RL000`.
    pub id: &'static str,
    /// Kebab-case name, e.g. `invalid-json`.
    pub name: &'static str,
    /// Whether a diagnostic with this code makes the engine refuse the whole input (semantics §2.2): the file could
    /// not be read as the shape it claims, so nothing of it may be used.
    pub fatal: bool,
}

/// The codes of load problems. Lint rules (a later layer) use codes from `RL100` on.
pub mod codes {
    use super::Code;

    macro_rules! codes {
        ($($(#[$doc:meta])* $konst:ident = $id:literal, $name:literal, $fatal:literal;)*) => {
            $( $(#[$doc])* pub const $konst: Code = Code { id: $id, name: $name, fatal: $fatal }; )*
            /// Every load code, in code order.
            pub const ALL: &[Code] = &[$($konst),*];
        };
    }

    codes! {
        /// The file is not valid JSON (syntax, encoding, nesting too deep, empty).
        INVALID_JSON = "RL000", "invalid-json", true;
        /// A value has the wrong JSON type for its key (`"Actions": 5`, `"IsCustom": "true"`).
        WRONG_TYPE = "RL001", "wrong-type", true;
        /// The same key appears twice in one object (exactly or up to letter case).
        DUPLICATE_KEY = "RL002", "duplicate-key", true;
        /// A key that none of the accepted formats define; it is ignored.
        UNKNOWN_KEY = "RL003", "unknown-key", false;
        /// The document is not any of the accepted shapes for this kind of file.
        UNKNOWN_SHAPE = "RL004", "unknown-shape", true;
        /// A required field is missing (an assignment without `principalId`, say).
        MISSING_FIELD = "RL005", "missing-field", true;
        /// An action string that cannot be a pattern: it matches nothing (in NotActions its block grants
        /// nothing; in a deny assignment it fails the load).
        MALFORMED_ACTION = "RL006", "malformed-action", false;
        /// Leading or trailing whitespace around an action, trimmed on load.
        ACTION_WHITESPACE = "RL007", "action-whitespace", false;
        /// A scope string that cannot be parsed: an assignment at it never grants.
        MALFORMED_SCOPE = "RL008", "malformed-scope", false;
        /// A scope written in a non-canonical way (no leading `/`, trailing `/`, `//`), normalised on load.
        NONCANONICAL_SCOPE = "RL009", "noncanonical-scope", false;
        /// An assignment names a role that is neither in the tenant nor among the built-in roles.
        UNKNOWN_ROLE = "RL010", "unknown-role", true;
        /// A value outside its allowed set (`"roleType": "Foo"`, an unknown `principalType`).
        INVALID_VALUE = "RL011", "invalid-value", false;
        /// A tenant role reuses a built-in role's id with different content; the tenant's copy wins.
        BUILTIN_OVERRIDE = "RL012", "builtin-override", false;
        /// Two roles in the tenant share an id; the later file wins.
        DUPLICATE_ROLE_ID = "RL013", "duplicate-role-id", true;
        /// The management-group hierarchy contains a cycle.
        HIERARCHY_CYCLE = "RL014", "hierarchy-cycle", true;
        /// The management-group hierarchy is deeper than Azure's six levels.
        HIERARCHY_DEPTH = "RL015", "hierarchy-depth", false;
        /// Subscriptions used by assignments are missing from `hierarchy.json` and hang under the tenant root.
        UNPLACED_SUBSCRIPTION = "RL016", "unplaced-subscription", false;
        /// A file or directory could not be read.
        UNREADABLE = "RL017", "unreadable", true;
        /// A malformed part of a deny assignment: a deny that cannot be read cannot be applied.
        MALFORMED_DENY = "RL018", "malformed-deny", true;
        /// A condition that does not parse or type-check: its grant never allows and its deny always applies.
        INVALID_CONDITION = "RL019", "invalid-condition", false;
        /// A file of a tenant directory whose name spells a fixed name in another case (`denyassignments.json`),
        /// or a file whose content is another tenant file's (deny assignments in `deny.json`): it would not be
        /// read as what it is, so the tenant is refused.
        MISNAMED_TENANT_FILE = "RL020", "misnamed-tenant-file", true;
        /// A JSON file that holds no role definition (nor any other RBAC document); it is skipped.
        NOT_A_ROLE_FILE = "RL021", "not-a-role-file", false;
        /// The compiled snapshot cannot represent this tenant: a list, a count or a text past what its packed
        /// tables index. Refused rather than compiled without the entry, which could drop a deny or exclusion.
        ENGINE_LIMIT = "RL022", "engine-limit", true;
        /// A deny assignment with an empty `principals`, `permissions` or `actions` list: it denies nothing.
        EMPTY_DENY = "RL023", "empty-deny", false;
        /// A principal id written in braces (`{guid}`): ids are compared as written, so it matches nobody.
        BRACED_PRINCIPAL_ID = "RL024", "braced-principal-id", false;
        /// A tenant directory without `assignments.json`: nobody is granted anything.
        MISSING_ASSIGNMENTS = "RL025", "missing-assignments", false;
        /// An unknown key that is a near miss of a key deciding access (`notAction`, `conditon`): ignoring it could
        /// drop an exclusion, a condition or a denied action, so the file is refused.
        MISSPELLED_KEY = "RL026", "misspelled-key", true;
        /// A REST list page whose `nextLink` is set: the rest of the list is missing, so the file is refused.
        PARTIAL_LIST = "RL027", "partial-list", true;
    }

    /// Looks a code up by its id (`RL000`) or name (`invalid-json`), ignoring ASCII case.
    pub fn find(key: &str) -> Option<Code> {
        ALL.iter().copied().find(|c| c.id.eq_ignore_ascii_case(key) || c.name.eq_ignore_ascii_case(key))
    }
}

/// One problem found in an input, with its location.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// One-line message: lower-case, user text in backticks.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The file the problem is in, if any.
    pub source: Option<Arc<SourceText>>,
    /// The offending text, if known.
    pub span: Option<Span>,
    /// Label shown under the underline.
    pub label: Option<String>,
    /// Further spans worth showing (the first occurrence of a duplicate key, say).
    pub related: Vec<(Span, String)>,
    /// RFC 6901 pointer to the offending value, when the file parsed as JSON.
    pub pointer: Option<String>,
    /// Display name of the role the problem belongs to, when there is one.
    pub role: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity (error for fatal codes, else as given).
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            help: None,
            source: None,
            span: None,
            label: None,
            related: Vec::new(),
            pointer: None,
            role: None,
        }
    }

    /// An error.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    /// A warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the file and the offending span.
    pub fn at(mut self, source: &Arc<SourceText>, span: Span) -> Self {
        self.source = Some(Arc::clone(source));
        self.span = Some(span);
        self
    }

    /// Sets the file without a span (the problem concerns the whole file).
    pub fn in_file(mut self, source: &Arc<SourceText>) -> Self {
        self.source = Some(Arc::clone(source));
        self
    }

    /// Sets the label under the underline.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a related span.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// Whether this diagnostic makes the engine refuse the input as a whole.
    pub fn is_fatal(&self) -> bool {
        self.code.fatal && self.severity == Severity::Error
    }

    /// The file name, if any.
    pub fn file(&self) -> Option<&str> {
        self.source.as_deref().map(SourceText::name)
    }

    /// Start and (exclusive) end positions of the span.
    pub fn line_cols(&self) -> Option<(LineCol, LineCol)> {
        let (src, span) = (self.source.as_deref()?, self.span?);
        Some((src.line_col(span.start), src.line_col(span.end)))
    }

    /// The text the span underlines.
    pub fn snippet(&self) -> Option<&str> {
        Some(self.source.as_deref()?.slice(self.span?))
    }
}

impl Diagnostic {
    /// `file:line:col: RL002 duplicate-key: message` (what is known of it), for logs and summaries.
    pub fn located(&self) -> Located<'_> {
        Located(self)
    }
}

/// A diagnostic shown with its file, line, column and code ([`Diagnostic::located`]).
#[derive(Clone, Copy, Debug)]
pub struct Located<'a>(&'a Diagnostic);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if let Some(file) = d.file() {
            f.write_str(file)?;
            if let Some((start, _)) = d.line_cols() {
                write!(f, ":{}:{}", start.line, start.column)?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{} {}: {}", d.code.id, d.code.name, d.message)
    }
}

/// `file:line:col: RL002 duplicate-key: message`, as much of it as is known: a diagnostic printed with `{}`, in a
/// log line or an `.expect()`, says where it points. Renderers that show the place themselves use
/// [`Diagnostic::report`].
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.located().fmt(f)
    }
}

impl Diagnostic {
    /// The diagnostic for miette's renderers: its header is the message alone, since the rendering shows the
    /// code, the file, the line and the column itself.
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }
}

/// A [`Diagnostic`] whose `Display` is its message ([`Diagnostic::report`]).
#[derive(Clone, Copy, Debug)]
pub struct Report<'a>(&'a Diagnostic);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        miette::Diagnostic::code(self.0)
    }

    fn severity(&self) -> Option<miette::Severity> {
        miette::Diagnostic::severity(self.0)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        miette::Diagnostic::help(self.0)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        miette::Diagnostic::source_code(self.0)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        miette::Diagnostic::labels(self.0)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    /// The header names the code and its name (`RL108 assignable-scope-placeholder`): the name is what configs,
    /// suppressions and `--explain` also accept, and says more than the number.
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("{} {}", self.code.id, self.code.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        // Without a span there is nothing to underline, and miette would print the file's first line.
        self.span?;
        self.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), span);
        let related = self.related.iter().map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), *s));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// Lines longer than this are shown as a window around the span, so that a 10 MB one-line file does not
/// print 10 MB.
const MAX_SHOWN_LINE: usize = 240;

impl SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.text();
        let start = span.offset().min(text.len());
        let end = (start + span.len()).min(text.len());
        let line_start = text.get(..start).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        let line_end = text.get(end..).and_then(|t| t.find('\n')).map_or(text.len(), |i| end + i);
        if line_end - line_start <= MAX_SHOWN_LINE {
            // miette's `str` implementation scans from the start of the text; hand it only the lines it will
            // show, so that a thousand findings in a large file do not each rescan the file.
            // One line more than shown on each side: miette treats a span at the very start or end of its text
            // specially, so the window must not create such edges where the file has none.
            let mut win_start = line_start;
            for _ in 0..=before {
                match text.get(..win_start.saturating_sub(1)).and_then(|t| t.rfind('\n')) {
                    Some(i) => win_start = i + 1,
                    None => {
                        win_start = 0;
                        break;
                    }
                }
            }
            let mut win_end = line_end;
            for _ in 0..=after {
                match text.get(win_end.saturating_add(1)..).and_then(|t| t.find('\n')) {
                    Some(i) => win_end = win_end + 1 + i,
                    None => {
                        win_end = text.len();
                        break;
                    }
                }
            }
            let win_end = win_end.saturating_add(1).min(text.len());
            let window = text.get(win_start..win_end).unwrap_or_default();
            let local = miette::SourceSpan::new((start - win_start).into(), end - start);
            let contents = window.read_span(&local, before, after)?;
            let first_line = self.line_col(win_start).line - 1;
            let data_start = contents.span().offset() + win_start;
            return Ok(Box::new(MietteSpanContents::new_named(
                self.name().to_owned(),
                contents.data(),
                miette::SourceSpan::new(data_start.into(), contents.span().len()),
                contents.line() + first_line,
                // miette counts bytes; reports count Unicode scalar values (semantics §5), and the header must agree.
                scalar_column(text, data_start, contents.column()),
                // miette counts the line breaks from the start of its text up to where it stopped.
                contents.line_count() + first_line,
            )));
        }
        // Window of the long line around the span, cut at character boundaries. Without context (miette's read
        // for the `file:line:column` header) the window starts at the span, so that its column is the span's.
        let lead = if before == 0 { 0 } else { MAX_SHOWN_LINE / 2 };
        let mut from = start.saturating_sub(lead).max(line_start);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = end.max(start + 1).saturating_add(MAX_SHOWN_LINE / 2).min(line_end);
        while !text.is_char_boundary(to) {
            to += 1;
        }
        let lc = self.line_col(from);
        let data = text.as_bytes().get(from..to).unwrap_or_default();
        Ok(Box::new(MietteSpanContents::new_named(
            self.name().to_owned(),
            data,
            miette::SourceSpan::new(from.into(), to - from),
            lc.line - 1,
            lc.column - 1,
            1,
        )))
    }
}

/// The 0-based column in Unicode scalar values of byte `at`, which is `bytes` bytes into its line as miette
/// counts them; a byte-order mark takes no column, as in [`SourceText::line_col`].
fn scalar_column(text: &str, at: usize, bytes: usize) -> usize {
    let from = at.saturating_sub(bytes);
    let prefix = text.as_bytes().get(from..at).unwrap_or_default();
    let continuation = prefix.iter().filter(|&&b| (b & 0xC0) == 0x80).count();
    let bom = usize::from(from == 0 && at > 0 && text.starts_with('\u{feff}'));
    (bytes - continuation).saturating_sub(bom)
}

#[cfg(test)]
mod read_span_tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The windowed `read_span` answers exactly as miette's own over the whole text.
    #[test]
    fn windowed_read_span_agrees_with_miette() {
        let text = "{\n  \"a\": [\r\n    \"x\",\n\n    \"y\"\n  ],\r\n  \"b\": 1\n}\nlast";
        let src = SourceText::new("f.json", text);
        for start in 0..text.len() {
            for len in 0..=(text.len() - start) {
                for ctx in 0..4 {
                    let span = miette::SourceSpan::new(start.into(), len);
                    let ours = src.read_span(&span, ctx, ctx).unwrap();
                    let theirs = text.read_span(&span, ctx, ctx).unwrap();
                    let key = (start, len, ctx);
                    assert_eq!(ours.data(), theirs.data(), "{key:?}");
                    assert_eq!(ours.span(), theirs.span(), "{key:?}");
                    assert_eq!(ours.line(), theirs.line(), "{key:?}");
                    assert_eq!(ours.column(), theirs.column(), "{key:?}");
                    assert_eq!(ours.line_count(), theirs.line_count(), "{key:?}");
                }
            }
        }
    }

    /// miette's header (`file:line:column`) reads the primary label without context; its column must be the
    /// span's own on a windowed long line too, and count characters, as JSON reports do.
    #[test]
    fn header_column_is_the_span_column_on_long_lines() {
        for prefix in ["", "\u{e9}\u{212a}"] {
            let text = format!("{prefix}{}", "x".repeat(600 - prefix.chars().count()));
            let src = SourceText::new("f.json", text.as_str());
            let at = text.char_indices().nth(541).unwrap().0;
            let header = src.read_span(&miette::SourceSpan::new(at.into(), 3), 0, 0).unwrap();
            assert_eq!((header.line(), header.column()), (0, 541), "{prefix:?}");
            assert_eq!(src.line_col(at).column, 542);
            // With context, the window still shows the text around the span.
            let shown = src.read_span(&miette::SourceSpan::new(at.into(), 3), 1, 1).unwrap();
            assert!(shown.span().offset() < at && at + 3 <= shown.span().offset() + shown.span().len());
            assert_eq!(shown.column(), src.line_col(shown.span().offset()).column - 1);
        }
        let short = SourceText::new("f.json", "\u{e9}\u{e9}abc");
        assert_eq!(short.read_span(&miette::SourceSpan::new(4.into(), 1), 0, 0).unwrap().column(), 2);
    }
}
