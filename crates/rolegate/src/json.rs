//! A strict, span-keeping JSON parser (RFC 8259).
//!
//! The loaders map JSON to the model by hand instead of through `serde` derive, because derive loses positions,
//! cannot see duplicate keys and cannot match keys case-insensitively. Every [`Value`] therefore carries the byte
//! [`Span`] of its source text, so diagnostics can underline exactly the offending text.
//!
//! The parser is iterative (an explicit stack, no recursion) and caps nesting at [`MAX_DEPTH`], so no input can
//! overflow the stack or make it panic. It accepts nothing beyond RFC 8259: no comments, trailing commas, single
//! quotes, `NaN`/`Infinity`, leading zeros, unescaped control characters, lone surrogates or non-JSON whitespace.
//! Duplicate keys in one object are an error. Numbers whose magnitude overflows `f64` are rejected as well
//! (RFC 8259 §6 allows the limit; the engine has no use for infinities).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use crate::span::Span;

/// The deepest nesting of arrays and objects that [`parse`] accepts; one more level is [`ErrorKind::TooDeep`].
///
/// Besides bounding the parser's own stack, the cap is what makes the derived (recursive) `Drop` of [`Value`]
/// safe: a tree at most this deep cannot overflow the thread stack when it is dropped or compared.
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value and the byte span of its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// What the value is.
    pub kind: Kind,
    /// The source bytes of the whole value; for a string, including both quotes.
    pub span: Span,
}

/// The kind and content of a [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as written.
    Number(Number),
    /// A string, with escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, with its members in source order (keys are unique).
    Object(Vec<Member>),
}

/// A JSON number: the literal as written plus its `f64` value (always finite).
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    text: String,
    value: f64,
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, with escapes decoded.
    pub key: String,
    /// The source bytes of the key, including both quotes.
    pub key_span: Span,
    /// The member's value.
    pub value: Value,
}

/// Why a document could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct JsonError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The offending source bytes (empty at the end of the input for [`ErrorKind::UnexpectedEnd`]).
    pub span: Span,
    /// A second place worth showing: the first key of a duplicate, or the bracket or quote left unclosed.
    pub related: Option<Span>,
}

/// The kinds of [`JsonError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input has no value at all (empty or only whitespace).
    #[error("the document is empty")]
    Empty,
    /// The input ended where more was needed.
    #[error("unexpected end of input, expected {expected}")]
    UnexpectedEnd {
        /// What the parser was looking for.
        expected: &'static str,
    },
    /// A character that cannot appear here.
    #[error("unexpected character `{}`, expected {expected}", Shown(*found))]
    UnexpectedChar {
        /// The character found.
        found: char,
        /// What the parser was looking for.
        expected: &'static str,
    },
    /// A bare word that is not `true`, `false` or `null` (for example `True`, `NaN` or an unquoted string).
    #[error("invalid literal `{0}`")]
    InvalidLiteral(String),
    /// A comma after the last element of an array or the last member of an object.
    #[error("trailing comma")]
    TrailingComma,
    /// A malformed or out-of-range number.
    #[error("invalid number `{text}`: {reason}")]
    InvalidNumber {
        /// The number-like text as written.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An unknown escape, or `\u` without four hex digits.
    #[error("invalid escape `{0}`")]
    InvalidEscape(String),
    /// A `\uXXXX` escape of a UTF-16 surrogate that is not part of a high/low pair.
    #[error("invalid unicode escape `{0}`: a lone UTF-16 surrogate is not a character")]
    InvalidUnicodeEscape(String),
    /// A raw control character (U+0000 to U+001F) inside a string.
    #[error("unescaped control character `{}` in string", Shown(*.0))]
    ControlCharacterInString(char),
    /// The bytes are not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// Arrays and objects nested deeper than the limit.
    #[error("nesting is deeper than {limit} levels")]
    TooDeep {
        /// The maximum nesting depth ([`MAX_DEPTH`]).
        limit: usize,
    },
    /// A key that occurs twice in one object.
    #[error("duplicate key `{0}`")]
    DuplicateKey(String),
    /// Something other than whitespace after the top-level value.
    #[error("unexpected characters after the JSON value")]
    TrailingCharacters,
    /// A `//` or `/* */` comment.
    #[error("comments are not allowed in JSON")]
    Comment,
}

/// Displays a character so that invisible ones stay visible (`\u{feff}` rather than nothing).
struct Shown(char);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{feff}' || c == '\u{200b}' {
            write!(f, "{}", c.escape_unicode())
        } else {
            write!(f, "{c}")
        }
    }
}

impl JsonError {
    fn new(kind: ErrorKind, span: Span) -> Self {
        JsonError { kind, span, related: None }
    }

    fn with_related(mut self, related: Option<Span>) -> Self {
        self.related = related;
        self
    }

    /// A one-line suggestion for fixing the error, if there is a useful one.
    pub fn help(&self) -> Option<String> {
        let text = match &self.kind {
            ErrorKind::Empty => "a JSON document needs a value, for example `[]` or `{}`",
            ErrorKind::UnexpectedEnd { .. } => {
                if self.related.is_some() {
                    "the file ends before the marked bracket or quote is closed; is it truncated?"
                } else {
                    "the file ends in the middle of a value; is it truncated?"
                }
            }
            ErrorKind::UnexpectedChar { found, expected } => match found {
                '\'' => "JSON strings and keys use double quotes (`\"`), not single quotes",
                '\u{feff}' => "a byte order mark is only allowed at the very start of a file",
                ',' if expected.starts_with("a value") => "remove the extra comma; JSON does not allow empty elements",
                ']' | '}' if expected.starts_with("a value") => "a value is missing before this bracket",
                '=' if expected.starts_with("`:`") => "JSON separates keys from values with `:`",
                _ if expected.contains("`,`") => {
                    return Some(format!("{expected} must come next; is a comma missing before this?"));
                }
                _ if expected.contains("key") => "object keys must be strings in double quotes",
                _ if expected.starts_with("a value") => {
                    "a value is a `\"`-quoted string, a number, `true`, `false`, `null`, an array or an object"
                }
                _ => return Some(format!("{expected} must come here")),
            },
            ErrorKind::InvalidLiteral(word) => {
                let lower = word.to_ascii_lowercase();
                if matches!(lower.as_str(), "true" | "false" | "null") {
                    return Some(format!("JSON literals are lower-case: write `{lower}`"));
                } else if matches!(lower.as_str(), "nan" | "infinity" | "inf") {
                    "JSON has no NaN or Infinity; use `null` or a finite number"
                } else if lower == "undefined" || lower == "none" || lower == "nil" {
                    "use `null` for a missing value"
                } else {
                    "if this is meant to be a string, put it in double quotes"
                }
            }
            ErrorKind::TrailingComma => "remove the comma after the last element; JSON does not allow trailing commas",
            ErrorKind::InvalidNumber { .. } => {
                "JSON numbers are finite decimals like `-12`, `0.5` or `1e-3`: no leading `+` or zeros, digits on both sides of `.`"
            }
            ErrorKind::InvalidEscape(_) => {
                "valid escapes are `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\u` with four hex digits"
            }
            ErrorKind::InvalidUnicodeEscape(_) => {
                "characters above U+FFFF are written as a surrogate pair, a `\\uD800`-`\\uDBFF` escape followed by a `\\uDC00`-`\\uDFFF` escape"
            }
            ErrorKind::ControlCharacterInString(c) => {
                if *c == '\n' || *c == '\r' {
                    "strings cannot span lines: write `\\n`, or add the missing closing quote of the string marked"
                } else {
                    "write control characters as escapes, for example `\\t` or `\\u0000`"
                }
            }
            ErrorKind::InvalidUtf8 => "save the file as UTF-8",
            ErrorKind::TooDeep { .. } => "flatten the document; role files never nest this deeply",
            ErrorKind::DuplicateKey(_) => "remove one of the two; JSON parsers disagree on which one wins",
            ErrorKind::TrailingCharacters => {
                "a JSON document holds exactly one value; wrap several values in an array, or remove the extra text"
            }
            ErrorKind::Comment => "remove the comment; JSON has no comments",
        };
        Some(text.to_owned())
    }
}

impl miette::Diagnostic for JsonError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        JsonError::help(self).map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let related_label = match self.kind {
            ErrorKind::DuplicateKey(_) => "first defined here",
            _ => "opened here",
        };
        let primary = miette::LabeledSpan::new_primary_with_span(Some("here".to_owned()), self.span);
        let related = self.related.map(|r| miette::LabeledSpan::new_with_span(Some(related_label.to_owned()), r));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

impl Number {
    /// The literal as written in the source, for example `1.50E+3`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The nearest `f64` (always finite).
    pub fn as_f64(&self) -> f64 {
        self.value
    }

    /// The value as `u64`, if it is a non-negative integer that `u64` holds exactly (`1e3` and `2.0` count).
    pub fn as_u64(&self) -> Option<u64> {
        if let Ok(n) = self.text.parse::<u64>() {
            return Some(n);
        }
        let v = self.value;
        // Beyond 2^53 an f64 no longer pins down one integer, so the written value may differ from `v`.
        (v.fract() == 0.0 && (0.0..=EXACT_F64_INT).contains(&v)).then_some(v as u64)
    }

    /// The value as `i64`, if it is an integer that `i64` holds exactly (`-1e3` and `2.0` count).
    pub fn as_i64(&self) -> Option<i64> {
        if let Ok(n) = self.text.parse::<i64>() {
            return Some(n);
        }
        let v = self.value;
        (v.fract() == 0.0 && (-EXACT_F64_INT..=EXACT_F64_INT).contains(&v)).then_some(v as i64)
    }

    /// Whether the literal is written as an integer (no fraction and no exponent).
    pub fn is_integer_literal(&self) -> bool {
        !self.text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
    }
}

/// 2^53: every integer up to here is exactly representable as `f64`.
const EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

impl Value {
    /// The JSON type name, for messages like "expected a string, found `array`".
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }

    /// The string content, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members in source order, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<&Number> {
        match &self.kind {
            Kind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// The value of the member whose key is exactly `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.get_member(key).map(|m| &m.value)
    }

    /// The member whose key is exactly `key`, if this is an object that has one.
    pub fn get_member(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().find(|m| m.key == key)
    }

    /// The first member whose key equals `key` ignoring ASCII case (Azure treats `Actions` and `actions` alike).
    ///
    /// Keys are unique only exactly, so an object may hold several such members; see
    /// [`Value::members_ignore_ascii_case`] to find them all.
    pub fn get_ignore_ascii_case(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().find(|m| m.key.eq_ignore_ascii_case(key))
    }

    /// All members whose key equals `key` ignoring ASCII case, in source order (none if this is not an object).
    pub fn members_ignore_ascii_case<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Member> + 'a {
        self.as_object().unwrap_or(&[]).iter().filter(move |m| m.key.eq_ignore_ascii_case(key))
    }

    /// For a string, the source bytes between its quotes; `None` for other kinds.
    pub fn content_span(&self) -> Option<Span> {
        match self.kind {
            Kind::String(_) => Some(Span::new(self.span.start.saturating_add(1), self.span.end.saturating_sub(1))),
            _ => None,
        }
    }

    /// The source span of the bytes `range` of a string's decoded content, to underline part of a string.
    ///
    /// `range` is a byte range into [`Value::as_str`]. The exact sub-span is returned only when the source
    /// string had no escapes (then decoded and source bytes coincide); otherwise, or for a range that does not
    /// fall on character boundaries of the content, or for a value that is not a string, the whole
    /// [`Value::span`] is returned.
    pub fn content_sub_span(&self, range: Range<usize>) -> Span {
        let Kind::String(s) = &self.kind else { return self.span };
        // Every escape is longer in the source than decoded (`\n` is 2 bytes for 1, `\uXXXX` 6 for at most 3), so
        // equal lengths mean the source held no escapes; this avoids storing a flag in every string.
        let verbatim = self.span.len() == s.len().saturating_add(2);
        if !verbatim || range.start > range.end || s.get(range.clone()).is_none() {
            return self.span;
        }
        self.span.sub(range.start.saturating_add(1), range.end - range.start)
    }
}

impl Kind {
    /// The JSON type name: `null`, `boolean`, `number`, `string`, `array` or `object`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::Array(_) => "array",
            Kind::Object(_) => "object",
        }
    }
}

/// The source text that spells part of a string's decoded value: `token` is the string as written in the file
/// (both quotes included) and `decoded` a byte range of its value; the result is relative to the token's start.
/// Escapes (`\"`, `\u00e9`, surrogate pairs) take more source than value, so offsets must be walked, not added.
///
/// A token that is not a JSON string (a string another front end put in the tree, such as role-lint's Bicep
/// `'…'`) is mapped only when it spells its value verbatim between single quotes; otherwise the result is the
/// whole token, since its escapes are not JSON's.
pub fn decoded_to_source(token: &str, decoded: crate::span::Span) -> crate::span::Span {
    if !token.starts_with('"') {
        let inner = token.strip_prefix('\'').and_then(|t| t.strip_suffix('\''));
        return match inner.filter(|i| !i.contains(['\\', '\''])) {
            Some(inner) => {
                let at = |x: usize| x.min(inner.len()) + 1;
                crate::span::Span::new(at(decoded.start), at(decoded.end).max(at(decoded.start)))
            }
            None => crate::span::Span::new(0, token.len()),
        };
    }
    let bytes = token.as_bytes();
    let end_of_value = token.len().saturating_sub(1).max(1);
    let (mut at, mut value) = (1usize, 0usize);
    let (mut start, mut end) = (None, None);
    while at < end_of_value {
        if value >= decoded.start && start.is_none() {
            start = Some(at);
        }
        if value >= decoded.end {
            end = Some(at);
            break;
        }
        let (raw, len) = match bytes.get(at) {
            Some(b'\\') => match bytes.get(at + 1) {
                Some(b'u') => {
                    let unit = |i: usize| token.get(i..i + 4).and_then(|h| u32::from_str_radix(h, 16).ok());
                    match unit(at + 2) {
                        Some(hi @ 0xD800..=0xDBFF) if bytes.get(at + 6..at + 8) == Some(b"\\u") => {
                            let lo = unit(at + 8).unwrap_or(0);
                            let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF));
                            (12, c.map_or(3, char::len_utf8))
                        }
                        Some(u) => (6, char::from_u32(u).map_or(3, char::len_utf8)),
                        None => (2, 1),
                    }
                }
                _ => (2, 1),
            },
            _ => {
                let len = token.get(at..).and_then(|r| r.chars().next()).map_or(1, char::len_utf8);
                (len, len)
            }
        };
        at += raw;
        value += len;
    }
    let start = start.unwrap_or(at.min(end_of_value));
    let end = end.unwrap_or(at.min(end_of_value)).max(start);
    crate::span::Span::new(start, end)
}

/// Escapes one reference token of an RFC 6901 JSON pointer (`~` becomes `~0`, `/` becomes `~1`).
pub fn pointer_escape(key: &str) -> String {
    if !key.contains(['~', '/']) {
        return key.to_owned();
    }
    key.replace('~', "~0").replace('/', "~1")
}

/// Parses one JSON document from text; spans are byte offsets into `text`.
///
/// A leading byte order mark is rejected here like any other stray character: files should be read with
/// [`parse_bytes`], which validates UTF-8 and skips the mark.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    Parser::new(text, 0).document()
}

/// Parses one JSON document from raw bytes, validating UTF-8 and skipping a leading UTF-8 byte order mark.
///
/// Returns the value and whether a byte order mark was skipped. Spans are byte offsets into `bytes` as given,
/// byte order mark included: after a mark the first value starts at offset 3, so spans can be used on the
/// original buffer (or on the text decoded from all of it) without adjustment.
pub fn parse_bytes(bytes: &[u8]) -> Result<(Value, bool), JsonError> {
    let (text, bom, start) = decode(bytes)?;
    Parser::new(text, start).document().map(|v| (v, bom))
}

/// The text of `bytes`, whether it starts with a byte order mark, and where the JSON starts.
fn decode(bytes: &[u8]) -> Result<(&str, bool, usize), JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        JsonError::new(ErrorKind::InvalidUtf8, Span::new(at, at.saturating_add(1)))
    })?;
    let bom = text.starts_with('\u{feff}');
    Ok((text, bom, if bom { '\u{feff}'.len_utf8() } else { 0 }))
}

/// Like [`parse_bytes`], but hands every element of a top-level array to `each` (with its index) as soon as it
/// is complete instead of keeping it, so that memory stays proportional to one element however long the
/// array is. The returned document has that array's items removed (its span is kept). Nothing is handed over
/// for other top-level values. On an error, elements already handed over must be discarded by the caller: the
/// document as a whole is invalid.
pub fn parse_bytes_streaming(bytes: &[u8], each: &mut dyn FnMut(usize, Value)) -> Result<(Value, bool), JsonError> {
    let (text, bom, start) = decode(bytes)?;
    let mut parser = Parser::new(text, start);
    parser.sink = Some(each);
    parser.document().map(|v| (v, bom))
}

/// An array or object whose closing bracket has not been seen yet.
enum Frame<'a> {
    Array { open: usize, items: Vec<Value> },
    Object(ObjectFrame<'a>),
}

impl Frame<'_> {
    fn open(&self) -> usize {
        match self {
            Frame::Array { open, .. } => *open,
            Frame::Object(o) => o.open,
        }
    }
}

/// Objects up to this many members are checked for duplicate keys by a linear scan; larger ones get an index.
const LINEAR_KEY_SCAN: usize = 16;

struct ObjectFrame<'a> {
    open: usize,
    members: Vec<Member>,
    /// The key whose value is being parsed.
    pending: Option<(String, Span)>,
    /// Key to member index, built once the object outgrows [`LINEAR_KEY_SCAN`]. Keys without escapes borrow the
    /// source so that a 100k-key object does not copy every key a second time.
    index: Option<HashMap<Cow<'a, str>, usize>>,
}

impl<'a> ObjectFrame<'a> {
    fn new(open: usize) -> Self {
        ObjectFrame { open, members: Vec::new(), pending: None, index: None }
    }

    /// The span of an earlier key equal to `key`, recording `key` as the next member's key otherwise.
    fn check_and_set_key(&mut self, src: &'a str, key: String, key_span: Span) -> Result<(), JsonError> {
        let next = self.members.len();
        if self.index.is_none() && next >= LINEAR_KEY_SCAN {
            let mut index = HashMap::with_capacity(next.saturating_mul(2));
            for (i, m) in self.members.iter().enumerate() {
                index.insert(key_cow(src, &m.key, m.key_span), i);
            }
            self.index = Some(index);
        }
        let first = match &mut self.index {
            Some(index) => match index.entry(key_cow(src, &key, key_span)) {
                std::collections::hash_map::Entry::Occupied(e) => self.members.get(*e.get()).map(|m| m.key_span),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(next);
                    None
                }
            },
            None => self.members.iter().find(|m| m.key == key).map(|m| m.key_span),
        };
        if let Some(first) = first {
            return Err(JsonError::new(ErrorKind::DuplicateKey(key), key_span).with_related(Some(first)));
        }
        self.pending = Some((key, key_span));
        Ok(())
    }

    fn push_value(&mut self, value: Value) {
        // `pending` is always set here: the parser reads a key before every member value.
        let (key, key_span) = self.pending.take().unwrap_or_default();
        self.members.push(Member { key, key_span, value });
    }
}

/// The key as it appears between the quotes when it had no escapes (borrowed), else the decoded key (owned).
fn key_cow<'a>(src: &'a str, key: &str, key_span: Span) -> Cow<'a, str> {
    match src.get(key_span.start.saturating_add(1)..key_span.end.saturating_sub(1)) {
        Some(raw) if raw.len() == key.len() => Cow::Borrowed(raw),
        _ => Cow::Owned(key.to_owned()),
    }
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Receives the elements of a top-level array instead of the array (see [`parse_bytes_streaming`]).
    sink: Option<&'a mut dyn FnMut(usize, Value)>,
    streamed: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that continue a malformed number or bare word, so the error underlines the whole token.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-' | b'$')
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, start: usize) -> Self {
        Parser { src, bytes: src.as_bytes(), pos: start, sink: None, streamed: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn byte_at(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    /// The source text `range`; the parser only ever cuts at ASCII bytes, which are always char boundaries.
    fn slice(&self, range: Range<usize>) -> &'a str {
        self.src.get(range).unwrap_or("")
    }

    /// The span of the whole character starting at `at`.
    fn char_span(&self, at: usize) -> (char, Span) {
        let c = self.src.get(at..).and_then(|s| s.chars().next()).unwrap_or('\u{fffd}');
        (c, Span::new(at, at.saturating_add(c.len_utf8())))
    }

    /// The error for whatever is at `at` when `expected` was wanted: end of input, a comment or a stray character.
    fn unexpected(&self, at: usize, expected: &'static str, open: Option<usize>) -> JsonError {
        match self.byte_at(at) {
            None => JsonError::new(ErrorKind::UnexpectedEnd { expected }, Span::point(at))
                .with_related(open.map(|o| Span::new(o, o + 1))),
            Some(b'/') if matches!(self.byte_at(at + 1), Some(b'/' | b'*')) => self.comment(at),
            Some(_) => {
                let (found, span) = self.char_span(at);
                JsonError::new(ErrorKind::UnexpectedChar { found, expected }, span)
            }
        }
    }

    fn comment(&self, at: usize) -> JsonError {
        let rest = self.bytes.get(at..).unwrap_or(&[]);
        let len = if rest.get(1) == Some(&b'*') {
            // Through the closing `*/`, or to the end if it is unclosed.
            rest.windows(2).skip(2).position(|w| w == b"*/").map_or(rest.len(), |p| p + 4)
        } else {
            rest.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(rest.len())
        };
        JsonError::new(ErrorKind::Comment, Span::new(at, at + len))
    }

    fn document(mut self) -> Result<Value, JsonError> {
        self.skip_ws();
        if self.peek().is_none() {
            return Err(JsonError::new(ErrorKind::Empty, Span::point(self.bytes.len())));
        }
        let mut stack: Vec<Frame<'a>> = Vec::new();
        loop {
            // Here a value starts at `self.pos` (whitespace already skipped).
            let mut value = match self.peek() {
                Some(open @ (b'[' | b'{')) => {
                    if stack.len() >= MAX_DEPTH {
                        let span = Span::new(self.pos, self.pos + 1);
                        return Err(JsonError::new(ErrorKind::TooDeep { limit: MAX_DEPTH }, span));
                    }
                    let at = self.pos;
                    self.pos += 1;
                    self.skip_ws();
                    if open == b'[' {
                        if self.peek() == Some(b']') {
                            self.pos += 1;
                            Value { kind: Kind::Array(Vec::new()), span: Span::new(at, self.pos) }
                        } else {
                            stack.push(Frame::Array { open: at, items: Vec::new() });
                            continue;
                        }
                    } else if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Value { kind: Kind::Object(Vec::new()), span: Span::new(at, self.pos) }
                    } else {
                        let mut object = ObjectFrame::new(at);
                        self.key(&mut object, "a `\"`-quoted key or `}`")?;
                        stack.push(Frame::Object(object));
                        continue;
                    }
                }
                _ => self.scalar(stack.last().map(Frame::open))?,
            };
            // Hand the finished value to its container, closing as many containers as end here.
            loop {
                self.skip_ws();
                let depth = stack.len();
                let Some(frame) = stack.last_mut() else {
                    return match self.peek() {
                        None => Ok(value),
                        Some(b'/') if matches!(self.byte_at(self.pos + 1), Some(b'/' | b'*')) => {
                            Err(self.comment(self.pos))
                        }
                        Some(_) => Err(JsonError::new(ErrorKind::TrailingCharacters, self.char_span(self.pos).1)),
                    };
                };
                let open = frame.open();
                let top = depth == 1;
                let close = match frame {
                    Frame::Array { items, .. } => {
                        match self.sink.as_mut().filter(|_| top) {
                            Some(sink) => {
                                sink(self.streamed, value);
                                self.streamed += 1;
                            }
                            None => items.push(value),
                        }
                        match self.peek() {
                            Some(b',') => {
                                self.comma(b']')?;
                                break;
                            }
                            Some(b']') => Kind::Array(std::mem::take(items)),
                            _ => return Err(self.unexpected(self.pos, "`,` or `]`", Some(open))),
                        }
                    }
                    Frame::Object(object) => {
                        object.push_value(value);
                        match self.peek() {
                            Some(b',') => {
                                self.comma(b'}')?;
                                self.key(object, "a `\"`-quoted key")?;
                                break;
                            }
                            Some(b'}') => Kind::Object(std::mem::take(&mut object.members)),
                            _ => return Err(self.unexpected(self.pos, "`,` or `}`", Some(open))),
                        }
                    }
                };
                stack.pop();
                self.pos += 1;
                value = Value { kind: close, span: Span::new(open, self.pos) };
            }
        }
    }

    /// Consumes the `,` at `pos` and the whitespace after it, rejecting a trailing comma before `close`.
    fn comma(&mut self, close: u8) -> Result<(), JsonError> {
        let at = self.pos;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(close) {
            return Err(JsonError::new(ErrorKind::TrailingComma, Span::new(at, at + 1)));
        }
        Ok(())
    }

    /// Reads `"key" :` and the whitespace after it into `object`.
    fn key(&mut self, object: &mut ObjectFrame<'a>, expected: &'static str) -> Result<(), JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected(self.pos, expected, Some(object.open)));
        }
        let (key, key_span) = self.string()?;
        object.check_and_set_key(self.src, key, key_span)?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.unexpected(self.pos, "`:` after the key", Some(object.open)));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Parses a string, number or literal at `pos`; `open` is the innermost unclosed bracket, if any.
    fn scalar(&mut self, open: Option<usize>) -> Result<Value, JsonError> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'"') => {
                let (s, span) = self.string()?;
                return Ok(Value { kind: Kind::String(s), span });
            }
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => Kind::Number(self.number()?),
            Some(b) if b.is_ascii_alphabetic() => {
                let end = self.word_end(start);
                self.pos = end;
                match self.slice(start..end) {
                    "true" => Kind::Bool(true),
                    "false" => Kind::Bool(false),
                    "null" => Kind::Null,
                    word => {
                        return Err(JsonError::new(ErrorKind::InvalidLiteral(word.to_owned()), Span::new(start, end)));
                    }
                }
            }
            _ => return Err(self.unexpected(start, "a value", open)),
        };
        Ok(Value { kind, span: Span::new(start, self.pos) })
    }

    fn word_end(&self, from: usize) -> usize {
        let rest = self.bytes.get(from..).unwrap_or(&[]);
        from + rest.iter().position(|&b| !is_word_byte(b)).unwrap_or(rest.len())
    }

    fn digits_end(&self, from: usize) -> usize {
        let rest = self.bytes.get(from..).unwrap_or(&[]);
        from + rest.iter().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len())
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        let invalid = |this: &Self, reason: &'static str| {
            let end = this.word_end(start);
            let text = this.slice(start..end).to_owned();
            JsonError::new(ErrorKind::InvalidNumber { text, reason }, Span::new(start, end))
        };
        let mut i = start;
        match self.byte_at(i) {
            Some(b'+') => return Err(invalid(self, "a number cannot start with `+`")),
            Some(b'.') => return Err(invalid(self, "a digit must come before the `.`")),
            Some(b'-') => i += 1,
            _ => {}
        }
        match self.byte_at(i) {
            Some(b'0') => {
                i += 1;
                if self.byte_at(i).is_some_and(|b| b.is_ascii_digit()) {
                    return Err(invalid(self, "leading zeros are not allowed"));
                }
            }
            Some(b'1'..=b'9') => i = self.digits_end(i),
            Some(b) if b.is_ascii_alphabetic() => return Err(invalid(self, "JSON has no NaN or Infinity")),
            Some(b'.') => return Err(invalid(self, "a digit must come before the `.`")),
            _ => return Err(invalid(self, "a digit must follow the `-`")),
        }
        if self.byte_at(i) == Some(b'.') {
            let end = self.digits_end(i + 1);
            if end == i + 1 {
                return Err(invalid(self, "a digit must follow the `.`"));
            }
            i = end;
        }
        if matches!(self.byte_at(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(self.byte_at(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let end = self.digits_end(i);
            if end == i {
                return Err(invalid(self, "a digit must follow the exponent's `e`"));
            }
            i = end;
        }
        if self.byte_at(i).is_some_and(is_word_byte) {
            return Err(invalid(self, "unexpected text in the number"));
        }
        let text = self.slice(start..i);
        let value = match text.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => return Err(invalid(self, "the number is too large")),
        };
        self.pos = i;
        Ok(Number { text: text.to_owned(), value })
    }

    /// Parses the string starting at the `"` at `pos`; returns the decoded content and the span with quotes.
    fn string(&mut self) -> Result<(String, Span), JsonError> {
        let open = self.pos;
        let mut run_start = open + 1;
        let mut i = run_start;
        // Built only once an escape shows up: a string without escapes is copied from the source in one go.
        let mut decoded: Option<String> = None;
        loop {
            let rest = self.bytes.get(i..).unwrap_or(&[]);
            let Some(off) = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20) else {
                let end = self.bytes.len();
                return Err(JsonError::new(
                    ErrorKind::UnexpectedEnd { expected: "`\"` to close the string" },
                    Span::point(end),
                )
                .with_related(Some(Span::new(open, open + 1))));
            };
            i += off;
            let run = self.slice(run_start..i);
            match self.byte_at(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    let s = match decoded {
                        Some(mut d) => {
                            d.push_str(run);
                            d
                        }
                        None => run.to_owned(),
                    };
                    return Ok((s, Span::new(open, self.pos)));
                }
                Some(b'\\') => {
                    let d = decoded.get_or_insert_with(|| String::with_capacity(run.len() + 16));
                    d.push_str(run);
                    i = self.escape(i, d)?;
                    run_start = i;
                }
                _ => {
                    let (c, span) = self.char_span(i);
                    return Err(JsonError::new(ErrorKind::ControlCharacterInString(c), span)
                        .with_related(Some(Span::new(open, open + 1))));
                }
            }
        }
    }

    /// Decodes the escape whose `\` is at `at` into `out`; returns the offset after it.
    fn escape(&self, at: usize, out: &mut String) -> Result<usize, JsonError> {
        let c = match self.byte_at(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (unit, after) = self.hex4(at)?;
                let c = match unit {
                    0xD800..=0xDBFF => {
                        let low = if self.byte_at(after) == Some(b'\\') && self.byte_at(after + 1) == Some(b'u') {
                            self.hex4(after).ok().filter(|(u, _)| (0xDC00..=0xDFFF).contains(u))
                        } else {
                            None
                        };
                        let Some((low, end)) = low else { return Err(self.lone_surrogate(at)) };
                        out.push(
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).unwrap_or('\u{fffd}'),
                        );
                        return Ok(end);
                    }
                    0xDC00..=0xDFFF => return Err(self.lone_surrogate(at)),
                    _ => char::from_u32(unit).unwrap_or('\u{fffd}'),
                };
                out.push(c);
                return Ok(after);
            }
            Some(_) => {
                let (_, span) = self.char_span(at + 1);
                let span = Span::new(at, span.end);
                return Err(JsonError::new(ErrorKind::InvalidEscape(self.slice(at..span.end).to_owned()), span));
            }
            None => return Err(self.unexpected(at + 1, "an escape character after `\\`", None)),
        };
        out.push(c);
        Ok(at + 2)
    }

    fn lone_surrogate(&self, at: usize) -> JsonError {
        let span = Span::new(at, at + 6);
        JsonError::new(ErrorKind::InvalidUnicodeEscape(self.slice(at..at + 6).to_owned()), span)
    }

    /// Reads the four hex digits of the `\u` escape whose `\` is at `at`; returns the code unit and the end.
    fn hex4(&self, at: usize) -> Result<(u32, usize), JsonError> {
        let mut unit = 0u32;
        for i in at + 2..at + 6 {
            let digit = match self.byte_at(i) {
                Some(b) => (b as char).to_digit(16),
                None => return Err(self.unexpected(i, "four hex digits after `\\u`", None)),
            };
            let Some(digit) = digit else {
                let end = self.char_span(i).1.end;
                let text = self.slice(at..end).to_owned();
                return Err(JsonError::new(ErrorKind::InvalidEscape(text), Span::new(at, end)));
            };
            unit = unit * 16 + digit;
        }
        Ok((unit, at + 6))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn decoded_offsets_map_back_through_escapes() {
        use crate::span::Span;
        // Value `a"é😀b`: `\"` is 2 bytes for 1, `\u00e9` 6 for 2, the surrogate pair 12 for 4.
        let token = r#""a\"\u00e9\ud83d\ude00b""#;
        let value = "a\"é😀b";
        let find = |needle: &str| {
            let at = value.find(needle).unwrap();
            let s = decoded_to_source(token, Span::new(at, at + needle.len()));
            &token[s.start..s.end]
        };
        assert_eq!(find("a"), "a");
        assert_eq!(find("\""), r#"\""#);
        assert_eq!(find("é"), r"\u00e9");
        assert_eq!(find("😀"), r"\ud83d\ude00");
        assert_eq!(find("b"), "b");
        assert_eq!(find("é😀b"), r"\u00e9\ud83d\ude00b");
        // An empty range at the end sits before the closing quote.
        let end = decoded_to_source(token, Span::point(value.len()));
        assert_eq!((end.start, end.end), (token.len() - 1, token.len() - 1));
        // Another front end's single-quoted token: exact when verbatim, else the whole token.
        let s = decoded_to_source("'ab cd'", Span::new(3, 5));
        assert_eq!((s.start, s.end), (4, 6));
        for other in [r"'it\'s'", "'''a'''", "a", "''''"] {
            let s = decoded_to_source(other, Span::new(0, 1));
            assert_eq!((s.start, s.end), (0, other.len()), "{other}");
        }
    }
    use super::*;
    use proptest::prelude::*;

    fn err(text: &str) -> JsonError {
        match parse(text) {
            Ok(v) => panic!("expected an error for {text:?}, got {v:?}"),
            Err(e) => e,
        }
    }

    /// Asserts the error kind and that its span covers exactly `at` in `text`.
    fn assert_err(text: &str, kind: ErrorKind, at: Range<usize>) {
        let e = err(text);
        let shown: String = text.chars().take(60).collect();
        assert_eq!(e.kind, kind, "kind for {shown:?}");
        assert_eq!(e.span, Span::new(at.start, at.end), "span for {shown:?}: {e:?}");
        assert!(e.help().is_some(), "help for {shown:?}");
    }

    fn unexpected(found: char, expected: &'static str) -> ErrorKind {
        ErrorKind::UnexpectedChar { found, expected }
    }

    fn invalid_number(text: &str, reason: &'static str) -> ErrorKind {
        ErrorKind::InvalidNumber { text: text.to_owned(), reason }
    }

    /// Our tree as a `serde_json::Value`, numbers typed the way serde_json types them.
    fn to_serde(v: &Value) -> serde_json::Value {
        match &v.kind {
            Kind::Null => serde_json::Value::Null,
            Kind::Bool(b) => serde_json::Value::Bool(*b),
            Kind::Number(n) => {
                let int = n.is_integer_literal();
                if let (true, Ok(u)) = (int, n.text().parse::<u64>()) {
                    u.into()
                } else if let (true, Ok(i)) = (int, n.text().parse::<i64>()) {
                    i.into()
                } else {
                    serde_json::Number::from_f64(n.as_f64()).map_or(serde_json::Value::Null, serde_json::Value::Number)
                }
            }
            Kind::String(s) => serde_json::Value::String(s.clone()),
            Kind::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
            Kind::Object(members) => {
                serde_json::Value::Object(members.iter().map(|m| (m.key.clone(), to_serde(&m.value))).collect())
            }
        }
    }

    /// Equality that forgives serde_json's float parsing, which is not correctly rounded by default.
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (a, b) {
            (J::Number(x), J::Number(y)) if x.is_f64() || y.is_f64() => {
                let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
                x == y || ((x - y).abs() <= 1e-12 * x.abs().max(y.abs()))
            }
            (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
            (J::Object(x), J::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }

    #[test]
    fn parses_values_with_spans() {
        let text = r#" {"a": [1, true, null, "x\ny"], "b": {"c": -2.5e3}, "": false} "#;
        let v = parse(text).unwrap();
        assert_eq!(v.span, Span::new(1, text.len() - 1));
        assert_eq!(v.kind_name(), "object");
        let members = v.as_object().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].key, "a");
        assert_eq!(&text[members[0].key_span.start..members[0].key_span.end], r#""a""#);
        let a = v.get("a").unwrap().as_array().unwrap();
        assert_eq!(&text[a[0].span.start..a[0].span.end], "1");
        assert_eq!(a[1].as_bool(), Some(true));
        assert!(a[2].is_null());
        assert_eq!(a[3].as_str(), Some("x\ny"));
        assert_eq!(&text[a[3].span.start..a[3].span.end], r#""x\ny""#);
        let c = v.get("b").and_then(|b| b.get("c")).unwrap();
        assert_eq!(c.as_number().unwrap().as_f64(), -2500.0);
        assert_eq!(c.as_number().unwrap().text(), "-2.5e3");
        assert_eq!(c.kind_name(), "number");
        assert_eq!(v.get("").unwrap().as_bool(), Some(false));
        assert!(v.get("A").is_none());
        assert_eq!(parse("\"\"").unwrap().as_str(), Some(""));
        assert_eq!(parse(" 7 ").unwrap().span, Span::new(1, 2));
        assert_eq!(parse("[]").unwrap().as_array().unwrap().len(), 0);
        assert_eq!(parse("{ }").unwrap().span, Span::new(0, 3));
    }

    #[test]
    fn case_insensitive_lookup() {
        let v = parse(r#"{"Actions": [1], "actions": [2], "NotActions": []}"#).unwrap();
        assert_eq!(v.get_ignore_ascii_case("ACTIONS").unwrap().key, "Actions");
        assert_eq!(v.members_ignore_ascii_case("actions").count(), 2);
        assert!(v.get_ignore_ascii_case("dataActions").is_none());
        assert!(parse("[]").unwrap().get_ignore_ascii_case("a").is_none());
        assert_eq!(parse("1").unwrap().members_ignore_ascii_case("a").count(), 0);
    }

    #[test]
    fn empty_input() {
        assert_err("", ErrorKind::Empty, 0..0);
        assert_err(" \n\t\r ", ErrorKind::Empty, 5..5);
        assert_eq!(parse_bytes(b"\xEF\xBB\xBF ").unwrap_err().kind, ErrorKind::Empty);
    }

    #[test]
    fn unexpected_end_points_at_end_and_the_open_bracket() {
        let e = err(r#"{"a": [1, 2"#);
        assert_eq!(e.kind, ErrorKind::UnexpectedEnd { expected: "`,` or `]`" });
        assert_eq!(e.span, Span::point(11));
        assert_eq!(e.related, Some(Span::new(6, 7)));
        let e = err(r#"{"a": "#);
        assert_eq!(e.kind, ErrorKind::UnexpectedEnd { expected: "a value" });
        assert_eq!(e.related, Some(Span::new(0, 1)));
        let e = err(r#"["abc"#);
        assert_eq!(e.kind, ErrorKind::UnexpectedEnd { expected: "`\"` to close the string" });
        assert_eq!((e.span, e.related), (Span::point(5), Some(Span::new(1, 2))));
        assert_err(r#"{"a""#, ErrorKind::UnexpectedEnd { expected: "`:` after the key" }, 4..4);
        assert_err("[", ErrorKind::UnexpectedEnd { expected: "a value" }, 1..1);
        assert_err("{", ErrorKind::UnexpectedEnd { expected: "a `\"`-quoted key or `}`" }, 1..1);
        assert_err(r#"{"a":1,"#, ErrorKind::UnexpectedEnd { expected: "a `\"`-quoted key" }, 7..7);
        assert_err(r#""\"#, ErrorKind::UnexpectedEnd { expected: "an escape character after `\\`" }, 2..2);
        assert_err(r#""\u12"#, ErrorKind::UnexpectedEnd { expected: "four hex digits after `\\u`" }, 5..5);
    }

    #[test]
    fn unexpected_char_spans_the_whole_char() {
        assert_err("[1 2]", unexpected('2', "`,` or `]`"), 3..4);
        assert_err(r#"{"a" 1}"#, unexpected('1', "`:` after the key"), 5..6);
        assert_err(r#"{"a" = 1}"#, unexpected('=', "`:` after the key"), 5..6);
        assert_err(r#"{"a": 1 "b": 2}"#, unexpected('"', "`,` or `}`"), 8..9);
        assert_err("[é]", unexpected('é', "a value"), 1..3);
        assert_err("[\u{1F600}]", unexpected('\u{1F600}', "a value"), 1..5);
        assert_err("['a']", unexpected('\'', "a value"), 1..2);
        assert_err("{'a': 1}", unexpected('\'', "a `\"`-quoted key or `}`"), 1..2);
        assert_err("[,1]", unexpected(',', "a value"), 1..2);
        assert_err("[1,,2]", unexpected(',', "a value"), 3..4);
        assert_err(r#"{"a":}"#, unexpected('}', "a value"), 5..6);
        assert_err("]", unexpected(']', "a value"), 0..1);
        assert_err("[1}", unexpected('}', "`,` or `]`"), 2..3);
        assert_err("\u{feff}{}", unexpected('\u{feff}', "a value"), 0..3);
        // Only space, tab, CR and LF are JSON whitespace.
        assert_err("[1,\u{a0}2]", unexpected('\u{a0}', "a value"), 3..5);
        assert_err("[1,\u{c}2]", unexpected('\u{c}', "a value"), 3..4);
        let shown = err("\u{feff}{}").to_string();
        assert_eq!(shown, "unexpected character `\\u{feff}`, expected a value");
    }

    #[test]
    fn invalid_literals() {
        assert_err("[True]", ErrorKind::InvalidLiteral("True".into()), 1..5);
        assert_err("NaN", ErrorKind::InvalidLiteral("NaN".into()), 0..3);
        assert_err("[Infinity]", ErrorKind::InvalidLiteral("Infinity".into()), 1..9);
        assert_err(r#"{"a": hello}"#, ErrorKind::InvalidLiteral("hello".into()), 6..11);
        assert_err("tru", ErrorKind::InvalidLiteral("tru".into()), 0..3);
        assert_err("[nulls]", ErrorKind::InvalidLiteral("nulls".into()), 1..6);
        assert_eq!(err("True").help().unwrap(), "JSON literals are lower-case: write `true`");
        assert_eq!(parse("[true,false,null]").unwrap().as_array().unwrap()[1].span, Span::new(6, 11));
    }

    #[test]
    fn trailing_commas_point_at_the_comma() {
        assert_err("[1, 2,]", ErrorKind::TrailingComma, 5..6);
        assert_err("[1,\n ]", ErrorKind::TrailingComma, 2..3);
        assert_err(r#"{"a": 1, }"#, ErrorKind::TrailingComma, 7..8);
        assert_eq!(
            err("[1,]").help().unwrap(),
            "remove the comma after the last element; JSON does not allow trailing commas"
        );
    }

    #[test]
    fn numbers() {
        for (text, f) in
            [("0", 0.0), ("-0", -0.0), ("1e5", 1e5), ("1.5E-3", 1.5e-3), ("-12.25", -12.25), ("1E+2", 100.0)]
        {
            let v = parse(text).unwrap();
            let n = v.as_number().unwrap();
            assert_eq!(n.as_f64(), f, "{text}");
            assert_eq!(n.text(), text);
            assert_eq!(v.span, Span::new(0, text.len()));
        }
        let n = |t: &str| parse(t).unwrap().as_number().unwrap().clone();
        assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551615").as_i64(), None);
        assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(n("-1").as_u64(), None);
        assert_eq!(n("1e3").as_u64(), Some(1000));
        assert_eq!(n("2.0").as_i64(), Some(2));
        assert_eq!(n("2.5").as_i64(), None);
        assert_eq!(n("1e300").as_u64(), None);
        assert!(n("10").is_integer_literal() && !n("1.0").is_integer_literal());

        assert_err("01", invalid_number("01", "leading zeros are not allowed"), 0..2);
        assert_err("[-01]", invalid_number("-01", "leading zeros are not allowed"), 1..4);
        assert_err("1.", invalid_number("1.", "a digit must follow the `.`"), 0..2);
        assert_err("[1.]", invalid_number("1.", "a digit must follow the `.`"), 1..3);
        assert_err(".5", invalid_number(".5", "a digit must come before the `.`"), 0..2);
        assert_err("-", invalid_number("-", "a digit must follow the `-`"), 0..1);
        assert_err("[-]", invalid_number("-", "a digit must follow the `-`"), 1..2);
        assert_err("-.5", invalid_number("-.5", "a digit must come before the `.`"), 0..3);
        assert_err("+1", invalid_number("+1", "a number cannot start with `+`"), 0..2);
        assert_err("1e", invalid_number("1e", "a digit must follow the exponent's `e`"), 0..2);
        assert_err("1e+", invalid_number("1e+", "a digit must follow the exponent's `e`"), 0..3);
        assert_err("-Infinity", invalid_number("-Infinity", "JSON has no NaN or Infinity"), 0..9);
        assert_err("[1.5.3]", invalid_number("1.5.3", "unexpected text in the number"), 1..6);
        assert_err("12abc", invalid_number("12abc", "unexpected text in the number"), 0..5);
        assert_err("0x10", invalid_number("0x10", "unexpected text in the number"), 0..4);
        assert_err("1e400", invalid_number("1e400", "the number is too large"), 0..5);
        assert_eq!(parse("1e-400").unwrap().as_number().unwrap().as_f64(), 0.0);
    }

    #[test]
    fn escapes() {
        let v = parse(r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#).unwrap();
        assert_eq!(v.as_str(), Some("\"\\/\u{8}\u{c}\n\r\tAé€😀"));
        assert_eq!(parse(r#""a\u0000b""#).unwrap().as_str(), Some("a\0b"));
        assert_eq!(parse(r#""\uDBFF\uDFFF""#).unwrap().as_str(), Some("\u{10FFFF}"));
        assert_err(r#""\x""#, ErrorKind::InvalidEscape("\\x".into()), 1..3);
        assert_err(r#"["ab\'"]"#, ErrorKind::InvalidEscape("\\'".into()), 4..6);
        assert_err("\"\\é\"", ErrorKind::InvalidEscape("\\é".into()), 1..4);
        assert_err(r#""\u12G4""#, ErrorKind::InvalidEscape("\\u12G".into()), 1..6);
        assert_err(r#""\U0041""#, ErrorKind::InvalidEscape("\\U".into()), 1..3);
        // Lone surrogates: the span is the offending escape.
        assert_err(r#""a\ud800""#, ErrorKind::InvalidUnicodeEscape("\\ud800".into()), 2..8);
        assert_err(r#""\udc00\ud800""#, ErrorKind::InvalidUnicodeEscape("\\udc00".into()), 1..7);
        assert_err(r#""\ud800\u0041""#, ErrorKind::InvalidUnicodeEscape("\\ud800".into()), 1..7);
        assert_err(r#""\ud800\ud800""#, ErrorKind::InvalidUnicodeEscape("\\ud800".into()), 1..7);
        assert_err(r#""\ud800x""#, ErrorKind::InvalidUnicodeEscape("\\ud800".into()), 1..7);
        assert_err(r#""\uDE00""#, ErrorKind::InvalidUnicodeEscape("\\uDE00".into()), 1..7);
    }

    #[test]
    fn control_characters_in_strings() {
        let e = err("[\"ab\ncd\"]");
        assert_eq!(e.kind, ErrorKind::ControlCharacterInString('\n'));
        assert_eq!((e.span, e.related), (Span::new(4, 5), Some(Span::new(1, 2))));
        assert_err("\"a\tb\"", ErrorKind::ControlCharacterInString('\t'), 2..3);
        assert_err("\"\u{0}\"", ErrorKind::ControlCharacterInString('\0'), 1..2);
        assert_err("\"\u{1f}\"", ErrorKind::ControlCharacterInString('\u{1f}'), 1..2);
        // DEL and C1 controls are allowed raw by RFC 8259.
        assert_eq!(parse("\"\u{7f}\u{85}\"").unwrap().as_str(), Some("\u{7f}\u{85}"));
    }

    #[test]
    fn invalid_utf8_reports_the_byte() {
        let e = parse_bytes(b"[ \"\xff\" ]").unwrap_err();
        assert_eq!((e.kind, e.span), (ErrorKind::InvalidUtf8, Span::new(3, 4)));
        let e = parse_bytes(b"\xEF\xBB\xBF[\"\xC3\"]").unwrap_err();
        assert_eq!((e.kind, e.span), (ErrorKind::InvalidUtf8, Span::new(5, 6)));
        let e = parse_bytes(b"[1]\xC0").unwrap_err();
        assert_eq!(e.span, Span::new(3, 4));
    }

    #[test]
    fn bom_is_skipped_and_spans_index_the_original_bytes() {
        let bytes = b"\xEF\xBB\xBF{\"a\": \"b\"}";
        let (v, bom) = parse_bytes(bytes).unwrap();
        assert!(bom);
        assert_eq!(v.span, Span::new(3, bytes.len()));
        let a = v.get("a").unwrap();
        assert_eq!(&bytes[a.span.start..a.span.end], b"\"b\"");
        let (v, bom) = parse_bytes(b"[1]").unwrap();
        assert!(!bom);
        assert_eq!(v.span, Span::new(0, 3));
        // Only one mark, and only at the start.
        let e = parse_bytes(b"\xEF\xBB\xBF\xEF\xBB\xBF[]").unwrap_err();
        assert_eq!((e.kind, e.span), (unexpected('\u{feff}', "a value"), Span::new(3, 6)));
        let e = parse_bytes(b" \xEF\xBB\xBF[]").unwrap_err();
        assert_eq!(e.span, Span::new(1, 4));
    }

    #[test]
    fn nesting_limit() {
        let ok = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&ok(127)).is_ok());
        assert!(parse(&ok(MAX_DEPTH)).is_ok());
        let objects = format!("{}1{}", r#"{"a":"#.repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(parse(&objects).is_ok());
        assert_err(&ok(MAX_DEPTH + 1), ErrorKind::TooDeep { limit: MAX_DEPTH }, MAX_DEPTH..MAX_DEPTH + 1);
        let deep = "[".repeat(10_000);
        assert_err(&deep, ErrorKind::TooDeep { limit: MAX_DEPTH }, 128..129);
        assert_err(&format!("{deep}{}", "]".repeat(10_000)), ErrorKind::TooDeep { limit: 128 }, 128..129);
        let mixed = r#"{"a":["#.repeat(5_000);
        assert_err(&mixed, ErrorKind::TooDeep { limit: 128 }, 6 * 64..6 * 64 + 1);
    }

    #[test]
    fn duplicate_keys() {
        let text = r#"{"a": 1, "b": 2, "a": 3}"#;
        let e = err(text);
        assert_eq!(e.kind, ErrorKind::DuplicateKey("a".into()));
        assert_eq!((e.span, e.related), (Span::new(17, 20), Some(Span::new(1, 4))));
        // Keys compare after decoding escapes; different case is not a duplicate.
        let e = err(r#"{"ab": 1, "a\u0062": 2}"#);
        assert_eq!((e.span, e.related), (Span::new(10, 19), Some(Span::new(1, 5))));
        assert!(parse(r#"{"a": 1, "A": 2, "b": {"a": 3}}"#).is_ok());
        assert_eq!(e.to_string(), "duplicate key `ab`");
    }

    #[test]
    fn duplicate_keys_in_large_objects() {
        let n = 100_000;
        let mut text = String::from("{");
        for i in 0..n {
            text.push_str(&format!("\"k{i}\": {i},"));
        }
        let valid = format!("{}\"k\\u0031x\": 0}}", text);
        let v = parse(&valid).unwrap();
        assert_eq!(v.as_object().unwrap().len(), n + 1);
        assert_eq!(v.get("k99999").and_then(|v| v.as_number()).and_then(Number::as_u64), Some(99_999));
        for dup in ["\"k5\"", "\"k\\u0035\"", "\"k99999\""] {
            let text = format!("{text}{dup}: 0}}");
            let e = parse(&text).unwrap_err();
            let first = text.find(&format!("\"{}\"", e.kind.to_string().split('`').nth(1).unwrap())).unwrap();
            assert!(matches!(e.kind, ErrorKind::DuplicateKey(_)), "{e:?}");
            assert_eq!(e.span, Span::new(text.len() - dup.len() - 4, text.len() - 4));
            assert_eq!(e.related.map(|r| r.start), Some(first));
        }
        // An escaped key indexed before the object outgrows the linear scan is still found.
        let mut text = String::from(r#"{"\u0041": 0"#);
        for i in 0..40 {
            text.push_str(&format!(", \"k{i}\": 0"));
        }
        text.push_str(r#", "A": 1}"#);
        assert_eq!(err(&text).related, Some(Span::new(1, 9)));
    }

    #[test]
    fn trailing_characters() {
        assert_err("{} x", ErrorKind::TrailingCharacters, 3..4);
        assert_err("[1]]", ErrorKind::TrailingCharacters, 3..4);
        assert_err("1 2", ErrorKind::TrailingCharacters, 2..3);
        assert_err("\"a\"é", ErrorKind::TrailingCharacters, 3..5);
        assert_err("{}{}", ErrorKind::TrailingCharacters, 2..3);
        assert_err("[]\0", ErrorKind::TrailingCharacters, 2..3);
        assert!(parse("[] \r\n\t ").is_ok());
    }

    #[test]
    fn comments() {
        assert_err("// hi\n[]", ErrorKind::Comment, 0..5);
        assert_err("[1, /* two */ 2]", ErrorKind::Comment, 4..13);
        assert_err("[1 /**/]", ErrorKind::Comment, 3..7);
        assert_err("{} // end", ErrorKind::Comment, 3..9);
        assert_err(r#"{"a": 1, // x"#, ErrorKind::Comment, 9..13);
        assert_err("[/* open", ErrorKind::Comment, 1..8);
        assert_err("[1 / 2]", unexpected('/', "`,` or `]`"), 3..4);
    }

    #[test]
    fn content_sub_span_maps_into_the_source() {
        let text = r#"{"Actions": ["Microsoft.Storage/x /read", "a\tb c"]}"#;
        let v = parse(text).unwrap();
        let actions = v.get("Actions").unwrap().as_array().unwrap();
        let s = &actions[0];
        let ws = s.as_str().unwrap().find(' ').unwrap();
        let span = s.content_sub_span(ws..ws + 1);
        assert_eq!(&text[span.start..span.end], " ");
        assert_eq!(span, Span::new(s.span.start + 1 + ws, s.span.start + 2 + ws));
        assert_eq!(s.content_span().map(|c| &text[c.start..c.end]), Some("Microsoft.Storage/x /read"));
        // With escapes decoded and source offsets differ: fall back to the whole string.
        let t = &actions[1];
        assert_eq!(t.content_sub_span(3..4), t.span);
        // Out-of-range or non-boundary ranges and non-strings also fall back.
        assert_eq!(s.content_sub_span(10..100), s.span);
        assert_eq!(v.content_sub_span(0..1), v.span);
        let e = parse("\"é x\"").unwrap();
        assert_eq!(e.content_sub_span(1..2), e.span);
        assert_eq!(e.content_sub_span(2..3), Span::new(3, 4));
        assert_eq!(v.content_span(), None);
    }

    #[test]
    fn pointer_escaping() {
        assert_eq!(pointer_escape("Actions"), "Actions");
        assert_eq!(pointer_escape("a/b~c"), "a~1b~0c");
        assert_eq!(pointer_escape("~1"), "~01");
    }

    #[test]
    fn diagnostics_carry_help_and_labels() {
        use miette::Diagnostic;
        let e = err(r#"{"a": 1, "a": 2}"#);
        assert_eq!(Diagnostic::help(&e).map(|h| h.to_string()), e.help());
        let labels: Vec<_> = e.labels().unwrap().collect();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].offset(), 9);
        assert_eq!(labels[1].label(), Some("first defined here"));
    }

    #[test]
    fn ten_megabyte_string() {
        let big = "x".repeat(10 * 1024 * 1024);
        let text = format!("[\"{big}\", \"{}\\n\"]", "é".repeat(1024 * 1024));
        let v = parse(&text).unwrap();
        assert_eq!(v.as_array().unwrap()[0].as_str().map(str::len), Some(big.len()));
        assert_eq!(v.as_array().unwrap()[1].as_str().map(str::len), Some(2 * 1024 * 1024 + 1));
    }

    #[test]
    fn builtin_roles_match_serde_json() {
        let bytes = crate::builtin::ROLES_JSON.as_bytes();
        let (ours, _) = parse_bytes(bytes).unwrap();
        let theirs: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(to_serde(&ours), theirs);
        assert_eq!(ours.as_array().unwrap().len(), 928);
    }

    /// Streaming hands over exactly the top-level array's elements, in order, with their spans.
    #[test]
    fn streaming_yields_the_top_level_elements() {
        let check = |text: &str| {
            let whole = parse_bytes(text.as_bytes());
            let mut seen = Vec::new();
            let streamed = parse_bytes_streaming(text.as_bytes(), &mut |i, v| seen.push((i, v)));
            match (whole, streamed) {
                (Ok((whole, _)), Ok((rest, _))) => match whole.as_array() {
                    Some(items) => {
                        assert_eq!(seen.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(), items, "{text}");
                        assert!(seen.iter().enumerate().all(|(n, (i, _))| n == *i));
                        assert_eq!((rest.as_array().map(<[Value]>::len), rest.span), (Some(0), whole.span));
                    }
                    None => assert_eq!((seen.len(), rest), (0, whole)),
                },
                (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
                (a, b) => panic!("{text}: {a:?} vs {b:?}"),
            }
        };
        check(crate::builtin::ROLES_JSON);
        for text in [
            "[]",
            "[1, [2, [3]], {\"a\": [4]}]",
            "{\"value\": [1]}",
            "7",
            "[1, 2,]",
            "[1, {\"a\": 1, \"a\": 2}]",
            "\u{feff}[1]",
        ] {
            check(text);
        }
    }

    fn json_tree() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(Into::into),
            any::<u64>().prop_map(Into::into),
            any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(serde_json::Value::Number)),
            any::<String>().prop_map(serde_json::Value::String),
            "[a-z~/\"\\\\\u{0}-\u{1f}é😀]{0,8}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Our verdict must agree with serde_json's, modulo the duplicate keys that serde_json accepts.
    fn agrees_with_serde(bytes: &[u8]) -> Result<(), TestCaseError> {
        let ours = parse_bytes(bytes);
        let serde_input = match &ours {
            Ok((_, true)) => bytes.get(3..).unwrap_or_default(),
            _ => bytes,
        };
        let theirs = serde_json::from_slice::<serde_json::Value>(serde_input);
        match (&ours, &theirs) {
            (Ok((v, _)), Ok(t)) => prop_assert!(same(&to_serde(v), t), "{v:?} vs {t:?}"),
            (Err(e), Ok(_)) => prop_assert!(matches!(e.kind, ErrorKind::DuplicateKey(_)), "{e:?} for {bytes:?}"),
            (Ok(_), Err(t)) => prop_assert!(false, "we accepted what serde_json rejects ({t}): {bytes:?}"),
            (Err(e), Err(_)) => {
                prop_assert!(e.span.start <= bytes.len() && e.span.end <= bytes.len());
                prop_assert!(e.related.is_none_or(|r| r.end <= bytes.len()));
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trips_serde_json_trees(tree in json_tree(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&tree) } else { serde_json::to_string(&tree) };
            let text = text.unwrap();
            let v = parse(&text).unwrap();
            prop_assert_eq!(to_serde(&v), tree);
            prop_assert_eq!(v.span, Span::new(0, text.len()));
        }

        #[test]
        fn arbitrary_bytes_agree_with_serde_json(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            agrees_with_serde(&bytes)?;
        }

        #[test]
        fn json_like_text_agrees_with_serde_json(text in r#"[\[\]{}":,0-9eE.+\- \n\tatrufnlsx\\/\u{feff}]{0,48}"#) {
            agrees_with_serde(text.as_bytes())?;
        }

        #[test]
        fn mutated_json_agrees_with_serde_json(
            tree in json_tree(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
        ) {
            let mut bytes = serde_json::to_vec(&tree).unwrap();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 => bytes.insert(i, byte),
                    1 if i < bytes.len() => { bytes.remove(i); }
                    _ if i < bytes.len() => bytes[i] = byte,
                    _ => {}
                }
            }
            agrees_with_serde(&bytes)?;
        }
    }
}
