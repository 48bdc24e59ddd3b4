//! Byte spans into a source text, their line/column rendering, and excerpts of user text for messages.

use std::fmt;

/// A half-open byte range `start..end` into one source text.
///
/// Spans are byte offsets so that slicing the source is cheap; [`SourceText::line_col`] converts them to the
/// 1-based line and column (counted in Unicode scalar values) that people and SARIF consumers expect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the span.
    pub start: usize,
    /// One past the last byte of the span.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given backwards, so a span is never inverted).
    pub fn new(start: usize, end: usize) -> Self {
        if end < start { Span { start: end, end: start } } else { Span { start, end } }
    }

    /// An empty span at `at`.
    pub fn point(at: usize) -> Self {
        Span { start: at, end: at }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The sub-span `offset..offset + len` relative to this span's start, clamped to this span.
    pub fn sub(&self, offset: usize, len: usize) -> Span {
        let start = self.start.saturating_add(offset).min(self.end);
        let end = start.saturating_add(len).min(self.end);
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(&self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        miette::SourceSpan::new(s.start.into(), s.len())
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and column; the column counts Unicode scalar values, as semantics §2.2 and SARIF's
/// `unicodeCodePoints` column kind require.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in Unicode scalar values.
    pub column: usize,
}

/// A named source text with a line index, for turning spans into line/column positions.
#[derive(Clone, Debug)]
pub struct SourceText {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    /// Wraps `text`, which is shown to people as `name` (usually a path).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        SourceText { name: name.into(), text, line_starts }
    }

    /// The display name (path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text a span covers, or `""` if the span does not fall on character boundaries of this text.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// Line and column of a byte offset (clamped to the text; an offset inside a multi-byte character counts as
    /// that character).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let prefix = self.text.get(line_start..offset).map_or_else(
            || self.text.as_bytes().get(line_start..offset).map_or(0, count_scalars),
            |s| s.chars().count(),
        );
        // Editors hide a byte-order mark, so it takes no column.
        let bom = usize::from(line_idx == 0 && offset > 0 && self.text.starts_with('\u{feff}'));
        LineCol { line: line_idx + 1, column: prefix + 1 - bom }
    }
}

fn count_scalars(bytes: &[u8]) -> usize {
    // UTF-8 continuation bytes are 0b10xx_xxxx; every other byte starts a scalar value.
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Shortens user text for a message so that a 10 MB string does not become a 10 MB message.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(MAX).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_scalar_values() {
        let src = SourceText::new("f", "ab\n\u{e9}x\n");
        assert_eq!(src.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_col(3), LineCol { line: 2, column: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(src.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(src.line_col(7), LineCol { line: 3, column: 1 });
        assert_eq!(src.line_col(99), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn span_sub_is_clamped() {
        let s = Span::new(10, 20);
        assert_eq!(s.sub(5, 100), Span::new(15, 20));
        assert_eq!(s.sub(50, 1), Span::new(20, 20));
        assert_eq!(Span::new(5, 2), Span::new(2, 5));
    }
}
