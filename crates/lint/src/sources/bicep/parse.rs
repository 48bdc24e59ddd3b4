//! The part of Bicep that a role definition needs, parsed into a small tree with byte spans: nom for the tokens,
//! recursive descent for the structure (bounded by [`MAX_DEPTH`]), and a failure that says what was expected where.
//!
//! Literal values (strings, integers, booleans, `null`, objects, arrays) are kept; anything Bicep evaluates at
//! deployment (a reference, a call, an interpolated string, an operator, a ternary) is kept as an
//! [`ExprKind::Expression`] with its span only. Declarations other than `resource` (`param`, `var`, `module`,
//! `output`, …) are skipped whole, but their text is still lexed, so a `}` inside a string cannot end an object.

use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::error::{ErrorKind as NomKind, ParseError};
use nom::{IResult, Parser};

use rolegate::diag::Span;

/// Objects, arrays, parentheses and interpolations nest at most this deep. Deeper input is no real template, and
/// the limit keeps the recursive descent far from the end of the stack and the converted tree within the JSON
/// tree's own depth limit (`json::MAX_DEPTH`, 128, less the template envelope).
pub(crate) const MAX_DEPTH: usize = 100;

/// A parsed file: every `resource` declaration, nested ones included, in source order.
#[derive(Debug, Default)]
pub(crate) struct File {
    /// The resources.
    pub resources: Vec<Resource>,
}

/// `resource name 'type@version' [existing] = value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resource {
    /// The resource type and API version as written (`Microsoft.Authorization/roleDefinitions@2022-04-01`).
    pub type_version: String,
    /// The type string, quotes included.
    pub type_span: Span,
    /// Whether it is an `existing` reference rather than a declaration.
    pub existing: bool,
    /// The value after `=`: an object, `if (…) {…}` or `[for … in …: …]`.
    pub value: Expr,
    /// From the `resource` keyword to the end of the value.
    pub span: Span,
}

/// A value and its span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its source bytes (for a string, quotes included).
    pub span: Span,
}

/// The kinds of [`Expr`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    /// A string without interpolation, escapes decoded.
    Str(String),
    /// An integer, as written.
    Int(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `[…]`.
    Array(Vec<Expr>),
    /// `{…}`.
    Object(Vec<Item>),
    /// `[for … in …: body]`; `head` spans `for … in …`.
    For { head: Span, body: Box<Expr> },
    /// `if (…) body`; `head` spans `if (…)`.
    If { head: Span, body: Box<Expr> },
    /// Anything evaluated at deployment.
    Expression,
}

/// One item of an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// `key: value`.
    Prop { key: String, key_span: Span, value: Expr },
    /// `...expr`: keys only known at deployment.
    Spread(Expr),
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Error {
    /// The offending bytes.
    pub span: Span,
    /// Lower-case message naming the offending text in backticks.
    pub message: String,
    /// A short label for the span.
    pub label: &'static str,
    /// Where the unclosed bracket or string opened, when that is the problem.
    pub opened: Option<Span>,
}

/// nom's error: where the input stopped matching, and the message when it is a real failure.
#[derive(Debug)]
struct Fail<'a> {
    at: &'a str,
    detail: Option<Box<Detail>>,
}

#[derive(Debug)]
struct Detail {
    len: usize,
    message: String,
    label: &'static str,
    opened: Option<Span>,
}

impl<'a> ParseError<&'a str> for Fail<'a> {
    fn from_error_kind(input: &'a str, _kind: NomKind) -> Self {
        Fail { at: input, detail: None }
    }

    fn append(_input: &'a str, _kind: NomKind, other: Self) -> Self {
        other
    }
}

type R<'a, T> = IResult<&'a str, T, Fail<'a>>;

fn fail<'a, T>(at: &'a str, len: usize, message: String, label: &'static str) -> R<'a, T> {
    Err(nom::Err::Failure(Fail { at, detail: Some(Box::new(Detail { len, message, label, opened: None })) }))
}

/// The token at `at` for a message: `` `x` ``, or "the end of the file".
fn found(at: &str) -> String {
    match at.chars().next() {
        None => "the end of the file".to_owned(),
        Some('\n' | '\r') => "a line break".to_owned(),
        Some(_) => format!("`{}`", rolegate::internals::diag::excerpt(token(at))),
    }
}

/// The length of the token at `at`: a word, or one character.
fn token(at: &str) -> &str {
    let word = at.find(|c: char| !is_ident_char(c)).unwrap_or(at.len());
    let len = if word > 0 { word } else { at.chars().next().map_or(0, char::len_utf8) };
    at.get(..len).unwrap_or_default()
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Declarations that are skipped whole (all but `resource`).
const SKIPPED: &[&str] = &[
    "param",
    "var",
    "output",
    "module",
    "targetScope",
    "metadata",
    "type",
    "func",
    "import",
    "using",
    "extension",
    "provider",
    "assert",
    "extends",
];

/// Parses a whole file.
pub(crate) fn parse(text: &str) -> Result<File, Error> {
    let p = P { text };
    let mut file = File::default();
    let result = p.file(text, &mut file);
    match result {
        Ok(_) => Ok(file),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(p.error(f)),
        Err(nom::Err::Incomplete(_)) => Err(Error {
            span: Span::point(text.len()),
            message: "the file ends in the middle of a declaration".to_owned(),
            label: "file ends here",
            opened: None,
        }),
    }
}

struct P<'t> {
    text: &'t str,
}

/// What ends an expression scanned without parsing it (besides a closing bracket of the enclosing construct).
#[derive(Clone, Copy, PartialEq)]
enum Stop {
    /// A value inside an object or array: a line break or `,`.
    Item,
    /// A `for` loop's collection: also `:`.
    Colon,
    /// An interpolation `${…}`: only its `}` (line breaks are an error).
    Interpolation,
    /// A skipped declaration: only a line break.
    Line,
    /// One bracketed group (`(…)` of a decorator or an `if`): its closing bracket.
    Group,
}

impl<'t> P<'t> {
    fn off(&self, rest: &str) -> usize {
        self.text.len() - rest.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.off(from), self.off(to))
    }

    fn error(&self, f: Fail<'_>) -> Error {
        let at = self.off(f.at);
        match f.detail {
            Some(d) => Error { span: Span::new(at, at + d.len), message: d.message, label: d.label, opened: d.opened },
            None => Error {
                span: Span::new(at, at + token(f.at).len()),
                message: format!("unexpected {}", found(f.at)),
                label: "unexpected here",
                opened: None,
            },
        }
    }

    /// A failure for a bracket or string opened at `open` and never closed.
    fn unclosed<'a, T>(&self, at: &'a str, open: &str, what: &str) -> R<'a, T> {
        let opened = Span::new(self.off(open), self.off(open) + what.len());
        let message = format!("`{what}` is never closed: expected its closing, found {}", found(at));
        let len = token(at).len();
        Err(nom::Err::Failure(Fail {
            at,
            detail: Some(Box::new(Detail { len, message, label: "expected the closing here", opened: Some(opened) })),
        }))
    }

    fn too_deep<'a, T>(&self, at: &'a str) -> R<'a, T> {
        fail(at, token(at).len(), format!("nesting deeper than {MAX_DEPTH} levels"), "nested too deep")
    }

    fn file<'a>(&self, i: &'a str, file: &mut File) -> R<'a, ()> {
        let mut i = i.strip_prefix('\u{feff}').unwrap_or(i);
        loop {
            i = ws_nl(self, i)?.0;
            if i.is_empty() {
                return Ok((i, ()));
            }
            if let Some(rest) = i.strip_prefix('@') {
                i = self.decorator(rest)?.0;
                continue;
            }
            let (rest, word) = match ident(i) {
                Ok(r) => r,
                Err(_) => {
                    return fail(
                        i,
                        token(i).len(),
                        format!("unexpected {}: expected a declaration (`resource`, `param`, `var`, …)", found(i)),
                        "not a declaration",
                    );
                }
            };
            if word == "resource" {
                let (rest, r) = self.resource(i, rest, 0, file)?;
                file.resources.push(r);
                i = self.end_of_line(rest)?.0;
            } else if SKIPPED.contains(&word) {
                i = self.scan(rest, Stop::Line, 0)?.0;
            } else {
                return fail(
                    i,
                    word.len(),
                    format!("unknown declaration `{}`", rolegate::internals::diag::excerpt(word)),
                    "not a declaration",
                );
            }
        }
    }

    /// After a declaration: nothing but a comment until the line break.
    fn end_of_line<'a>(&self, i: &'a str) -> R<'a, ()> {
        let i = sp(self, i)?.0;
        if i.is_empty() || i.starts_with(['\n', '\r']) {
            Ok((i, ()))
        } else {
            fail(i, token(i).len(), format!("expected a line break, found {}", found(i)), "expected a new line")
        }
    }

    /// `@name(args)` or `@ns.name(args)`, after the `@`.
    fn decorator<'a>(&self, i: &'a str) -> R<'a, ()> {
        let (mut i, _) = ident(i).or_else(|_: nom::Err<Fail<'a>>| {
            fail(i, token(i).len(), format!("expected a decorator name after `@`, found {}", found(i)), "no name")
        })?;
        while let Some(rest) = i.strip_prefix('.') {
            i = ident(rest)?.0;
        }
        let i = sp(self, i)?.0;
        if i.starts_with('(') { self.scan(i, Stop::Group, 0) } else { Ok((i, ())) }
    }

    /// `resource name 'type@version' [existing] = value`; `start` is at the keyword, `i` after it.
    fn resource<'a>(&self, start: &'a str, i: &'a str, depth: usize, file: &mut File) -> R<'a, Resource> {
        let i = sp(self, i)?.0;
        let (i, _) = ident(i).or_else(|_: nom::Err<Fail<'a>>| {
            fail(i, token(i).len(), format!("expected the resource's symbolic name, found {}", found(i)), "no name")
        })?;
        let i = sp(self, i)?.0;
        if !i.starts_with('\'') {
            return fail(
                i,
                token(i).len(),
                format!("expected the resource type string (`'Type@version'`), found {}", found(i)),
                "no type",
            );
        }
        let type_start = i;
        let (i, (type_version, interpolated)) = self.string(i, depth)?;
        let type_span = self.span(type_start, i);
        if interpolated {
            return fail(type_start, type_span.len(), "the resource type cannot be interpolated".to_owned(), "here");
        }
        let mut i = sp(self, i)?.0;
        let mut existing = false;
        if let Ok((rest, "existing")) = ident(i) {
            existing = true;
            i = sp(self, rest)?.0;
        }
        let Some(rest) = i.strip_prefix('=') else {
            return fail(i, token(i).len(), format!("expected `=`, found {}", found(i)), "expected `=`");
        };
        let i = sp(self, rest)?.0;
        let (i, value) = self.value(i, Stop::Line, depth + 1, file)?;
        let span = self.span(start, i);
        Ok((i, Resource { type_version, type_span, existing, value, span }))
    }

    /// A value: a literal is parsed, anything else is scanned and kept as an expression.
    fn value<'a>(&self, i: &'a str, stop: Stop, depth: usize, file: &mut File) -> R<'a, Expr> {
        if depth > MAX_DEPTH {
            return self.too_deep(i);
        }
        let start = i;
        let primary: Option<(&'a str, ExprKind)> = match i.chars().next() {
            Some('\'') => {
                let (rest, (s, interpolated)) = self.string(i, depth)?;
                Some((rest, if interpolated { ExprKind::Expression } else { ExprKind::Str(s) }))
            }
            Some('{') => Some(self.object(i, depth, file)?),
            Some('[') => Some(self.array(i, depth, file)?),
            Some(c) if c.is_ascii_digit() || (c == '-' && i.get(1..).is_some_and(|d| d.starts_with(is_digit))) => {
                let digits = i.get(usize::from(c == '-')..).unwrap_or_default();
                let (rest, _) = take_while1(is_digit).parse(digits)?;
                Some((rest, ExprKind::Int(i.get(..i.len() - rest.len()).unwrap_or_default().to_owned())))
            }
            Some(c) if is_ident_start(c) => {
                let (rest, word) = ident(i)?;
                match word {
                    "true" => Some((rest, ExprKind::Bool(true))),
                    "false" => Some((rest, ExprKind::Bool(false))),
                    "null" => Some((rest, ExprKind::Null)),
                    "if" if sp(self, rest)?.0.starts_with('(') => Some(self.if_expr(i, rest, stop, depth, file)?),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((rest, kind)) = primary {
            if ends(sp(self, rest)?.0, stop) {
                return Ok((rest, Expr { kind, span: self.span(start, rest) }));
            }
            // A literal followed by an operator (`'a'.length`, `{…}.x`, `[…][0]`, `1 + 2`) is an expression after
            // all; followed by anything else (`'a' 'b'`) it is a mistake Bicep rejects too.
            let next = sp(self, rest)?.0;
            if !next.starts_with(['.', '[', '?', '!', '=', '<', '>', '&', '|', '+', '-', '*', '/', '%']) {
                return fail(
                    next,
                    token(next).len(),
                    format!("expected an operator, `,` or a line break after the value, found {}", found(next)),
                    "unexpected here",
                );
            }
            let (end, _) = self.scan(rest, stop, depth)?;
            return Ok((end, Expr { kind: ExprKind::Expression, span: self.span(start, end) }));
        }
        let (end, _) = self.scan(i, stop, depth)?;
        if end.len() == i.len() {
            return fail(i, token(i).len(), format!("expected a value, found {}", found(i)), "expected a value");
        }
        Ok((end, Expr { kind: ExprKind::Expression, span: self.span(start, end) }))
    }

    /// `if (condition) value`; `start` is at `if`, `i` after it.
    fn if_expr<'a>(&self, start: &'a str, i: &'a str, stop: Stop, depth: usize, file: &mut File) -> R<'a, ExprKind> {
        let i = sp(self, i)?.0;
        let (i, _) = self.scan(i, Stop::Group, depth)?;
        let head = self.span(start, i);
        let i = sp(self, i)?.0;
        let (i, body) = self.value(i, stop, depth + 1, file)?;
        Ok((i, ExprKind::If { head, body: Box::new(body) }))
    }

    /// `{ key: value … }`, items separated by line breaks or commas.
    fn object<'a>(&self, open: &'a str, depth: usize, file: &mut File) -> R<'a, ExprKind> {
        let mut i = tag("{").parse(open)?.0;
        let mut items = Vec::new();
        loop {
            i = ws_nl(self, i)?.0;
            if let Some(rest) = i.strip_prefix('}') {
                return Ok((rest, ExprKind::Object(items)));
            }
            if i.is_empty() {
                return self.unclosed(i, open, "{");
            }
            if let Some(rest) = i.strip_prefix('@') {
                // Decorators on properties appear in type declarations; they change no value.
                i = self.decorator(rest)?.0;
                continue;
            }
            if let Some(rest) = i.strip_prefix("...") {
                let (rest, e) = self.value(rest, Stop::Item, depth + 1, file)?;
                items.push(Item::Spread(e));
                i = rest;
            } else {
                let key_start = i;
                let (rest, key) = if i.starts_with('\'') {
                    let (rest, (key, interpolated)) = self.string(i, depth)?;
                    if interpolated {
                        let len = self.off(rest) - self.off(i);
                        return fail(i, len, "an object key cannot be interpolated".to_owned(), "here");
                    }
                    (rest, key)
                } else if let Ok((rest, word)) = ident(i) {
                    if word == "resource" && sp(self, rest)?.0.starts_with(is_ident_start) {
                        let (rest, r) = self.resource(i, rest, depth + 1, file)?;
                        file.resources.push(r);
                        i = rest;
                        i = self.item_end(i, open, '}', "{")?.0;
                        continue;
                    }
                    (rest, word.to_owned())
                } else {
                    return fail(
                        i,
                        token(i).len(),
                        format!("expected a property name or `}}`, found {}", found(i)),
                        "expected a property",
                    );
                };
                let key_span = self.span(key_start, rest);
                let after = sp(self, rest)?.0;
                let Some(after) = after.strip_prefix(':') else {
                    return fail(
                        after,
                        token(after).len(),
                        format!("expected `:`, found {}", found(after)),
                        "expected `:`",
                    );
                };
                let after = sp(self, after)?.0;
                let (rest, value) = self.value(after, Stop::Item, depth + 1, file)?;
                items.push(Item::Prop { key, key_span, value });
                i = rest;
            }
            i = self.item_end(i, open, '}', "{")?.0;
        }
    }

    /// After an item of an object or array: a comma, a line break, or the closing bracket (not consumed).
    fn item_end<'a>(&self, i: &'a str, open: &str, close: char, what: &str) -> R<'a, ()> {
        let i = sp(self, i)?.0;
        if let Some(rest) = i.strip_prefix(',') {
            return Ok((rest, ()));
        }
        if i.starts_with(['\n', '\r', close]) {
            return Ok((i, ()));
        }
        if i.is_empty() {
            return self.unclosed(i, open, what);
        }
        fail(
            i,
            token(i).len(),
            format!("expected `,`, a line break or `{close}`, found {}", found(i)),
            "expected a separator",
        )
    }

    /// `[ value … ]` or `[for … in …: value]`.
    fn array<'a>(&self, open: &'a str, depth: usize, file: &mut File) -> R<'a, ExprKind> {
        let mut i = tag("[").parse(open)?.0;
        let head_start = ws_nl(self, i)?.0;
        if let Ok((rest, "for")) = ident(head_start) {
            return self.for_expr(open, head_start, rest, depth, file);
        }
        let mut items = Vec::new();
        loop {
            i = ws_nl(self, i)?.0;
            if let Some(rest) = i.strip_prefix(']') {
                return Ok((rest, ExprKind::Array(items)));
            }
            if i.is_empty() {
                return self.unclosed(i, open, "[");
            }
            let (rest, value) = self.value(i, Stop::Item, depth + 1, file)?;
            items.push(value);
            i = self.item_end(rest, open, ']', "[")?.0;
        }
    }

    /// `for item in collection: body]` (also `for (item, index) in …`); `start` is at `for`, `i` after it.
    fn for_expr<'a>(
        &self,
        open: &'a str,
        start: &'a str,
        i: &'a str,
        depth: usize,
        file: &mut File,
    ) -> R<'a, ExprKind> {
        let i = sp(self, i)?.0;
        let i = if i.starts_with('(') { self.scan(i, Stop::Group, depth)?.0 } else { ident(i)?.0 };
        let i = sp(self, i)?.0;
        let Ok((i, "in")) = ident(i) else {
            return fail(i, token(i).len(), format!("expected `in`, found {}", found(i)), "expected `in`");
        };
        let i = sp(self, i)?.0;
        let (after, _) = self.scan(i, Stop::Colon, depth)?;
        let head = self.span(start, after);
        let after = sp(self, after)?.0;
        let Some(after) = after.strip_prefix(':') else {
            return fail(after, token(after).len(), format!("expected `:`, found {}", found(after)), "expected `:`");
        };
        let after = ws_nl(self, after)?.0;
        let (rest, body) = self.value(after, Stop::Item, depth + 1, file)?;
        let rest = ws_nl(self, rest)?.0;
        match rest.strip_prefix(']') {
            Some(rest) => Ok((rest, ExprKind::For { head, body: Box::new(body) })),
            None if rest.is_empty() => self.unclosed(rest, open, "["),
            None => fail(rest, token(rest).len(), format!("expected `]`, found {}", found(rest)), "expected `]`"),
        }
    }

    /// A string at `'`: its decoded value and whether it interpolates (`${…}`).
    fn string<'a>(&self, open: &'a str, depth: usize) -> R<'a, (String, bool)> {
        if let Some(body) = open.strip_prefix("'''") {
            // Verbatim: no escapes, no interpolation; a line break right after the opening is not part of it.
            let Ok((rest, content)) = take_until::<_, _, Fail<'a>>("'''").parse(body) else {
                return self.unclosed("", open, "'''");
            };
            let content = content.strip_prefix("\r\n").or_else(|| content.strip_prefix('\n')).unwrap_or(content);
            return Ok((rest.get(3..).unwrap_or_default(), (content.to_owned(), false)));
        }
        let mut i = tag("'").parse(open)?.0;
        let mut out = String::new();
        let mut interpolated = false;
        loop {
            let (rest, plain) = take_while(|c: char| !matches!(c, '\'' | '\\' | '$' | '\n' | '\r')).parse(i)?;
            out.push_str(plain);
            i = rest;
            let mut chars = i.chars();
            match chars.next() {
                Some('\'') => return Ok((chars.as_str(), (out, interpolated))),
                None | Some('\n' | '\r') => return self.unclosed(i, open, "'"),
                Some('$') if chars.as_str().starts_with('{') => {
                    if depth >= MAX_DEPTH {
                        return self.too_deep(i);
                    }
                    interpolated = true;
                    let inner = i.get(2..).unwrap_or_default();
                    let (rest, _) = self.scan(inner, Stop::Interpolation, depth + 1)?;
                    let rest = sp(self, rest)?.0;
                    match rest.strip_prefix('}') {
                        Some(rest) => i = rest,
                        None => return self.unclosed(rest, i, "${"),
                    }
                }
                Some('$') => {
                    out.push('$');
                    i = chars.as_str();
                }
                Some(_) => {
                    let (rest, c) = self.escape(i)?;
                    out.push(c);
                    i = rest;
                }
            }
        }
    }

    /// One escape at `\`.
    fn escape<'a>(&self, i: &'a str) -> R<'a, char> {
        let mut chars = i.chars();
        chars.next();
        let c = match chars.next() {
            Some('\\') => '\\',
            Some('\'') => '\'',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('$') => '$',
            Some('u') if chars.as_str().starts_with('{') => {
                let hex = chars.as_str().get(1..).unwrap_or_default();
                let (rest, digits) =
                    take_while1::<_, _, Fail<'a>>(|c: char| c.is_ascii_hexdigit()).parse(hex).unwrap_or((hex, ""));
                let code = u32::from_str_radix(digits, 16).ok().and_then(char::from_u32);
                match (code, rest.strip_prefix('}')) {
                    (Some(c), Some(rest)) if digits.len() <= 6 => return Ok((rest, c)),
                    _ => {
                        let len = i.len() - rest.len() + usize::from(rest.starts_with('}'));
                        return fail(
                            i,
                            len,
                            format!(
                                "invalid unicode escape `{}`",
                                rolegate::internals::diag::excerpt(i.get(..len).unwrap_or_default())
                            ),
                            "invalid escape",
                        );
                    }
                }
            }
            Some(other) => {
                let len = 1 + other.len_utf8();
                return fail(i, len, format!("invalid escape `\\{other}` in a string"), "invalid escape");
            }
            None => return self.unclosed(chars.as_str(), i, "'"),
        };
        Ok((chars.as_str(), c))
    }

    /// Skips an expression without parsing it: strings are lexed and brackets balanced, and it ends at `stop`
    /// or at a closing bracket that it did not open. Returns the rest, with trailing blanks left unconsumed.
    fn scan<'a>(&self, start: &'a str, stop: Stop, depth: usize) -> R<'a, ()> {
        let mut open: Vec<&'a str> = Vec::new();
        let mut ternaries = 0usize;
        let mut i = start;
        let mut end = start;
        loop {
            let mut chars = i.chars();
            let Some(c) = chars.next() else {
                return match open.last() {
                    Some(o) => self.unclosed(i, o, o.get(..1).unwrap_or_default()),
                    None => Ok((end, ())),
                };
            };
            let after = chars.as_str();
            let top = open.is_empty();
            match c {
                '\'' => {
                    i = self.string(i, depth + open.len())?.0;
                    end = i;
                    continue;
                }
                '(' | '[' | '{' => {
                    if depth + open.len() >= MAX_DEPTH {
                        return self.too_deep(i);
                    }
                    open.push(i);
                }
                ')' | ']' | '}' => {
                    let Some(o) = open.pop() else { return Ok((end, ())) };
                    let want = match o.chars().next() {
                        Some('(') => ')',
                        Some('[') => ']',
                        _ => '}',
                    };
                    if c != want {
                        return fail(
                            i,
                            1,
                            format!("unexpected `{c}`: `{}` is still open", o.get(..1).unwrap_or_default()),
                            "unmatched",
                        );
                    }
                    if open.is_empty() && stop == Stop::Group {
                        return Ok((after, ()));
                    }
                }
                '\n' | '\r' if top => {
                    if stop == Stop::Interpolation {
                        return fail(i, 1, "an interpolation `${…}` cannot span lines".to_owned(), "line break");
                    }
                    return Ok((end, ()));
                }
                ',' if top && stop != Stop::Line && stop != Stop::Interpolation => return Ok((end, ())),
                // `??` and `?.` are no ternaries; `?[` is an indexer, whose `[` is counted next.
                '?' if after.starts_with(['?', '.']) => {
                    i = after.get(1..).unwrap_or_default();
                    end = i;
                    continue;
                }
                '?' if !after.starts_with('[') => ternaries += 1,
                ':' if top && ternaries == 0 && stop == Stop::Colon => return Ok((end, ())),
                ':' if top && ternaries > 0 => ternaries -= 1,
                '/' if after.starts_with('/') => {
                    // A line comment ends the expression at the line break.
                    i = take_while(|c: char| c != '\n' && c != '\r').parse(i)?.0;
                    continue;
                }
                '/' if after.starts_with('*') => {
                    i = block_comment(self, i)?.0;
                    continue;
                }
                _ => {}
            }
            i = after;
            if !c.is_whitespace() {
                end = i;
            }
        }
    }
}

/// `stop` or a closing bracket, a line break or the end is next: the value before it is complete.
fn ends(i: &str, stop: Stop) -> bool {
    match i.chars().next() {
        None | Some('\n' | '\r' | ')' | ']' | '}') => true,
        Some(',') => stop != Stop::Line,
        Some(':') => stop == Stop::Colon,
        _ => false,
    }
}

fn ident(i: &str) -> R<'_, &str> {
    let (rest, word) = take_while1(is_ident_char).parse(i)?;
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(nom::Err::Error(Fail { at: i, detail: None }));
    }
    Ok((rest, word))
}

/// `/* … */` at `/*`.
fn block_comment<'a>(p: &P<'_>, i: &'a str) -> R<'a, ()> {
    let body = i.get(2..).unwrap_or_default();
    match take_until::<_, _, Fail<'a>>("*/").parse(body) {
        Ok((rest, _)) => Ok((rest.get(2..).unwrap_or_default(), ())),
        Err(_) => p.unclosed("", i, "/*"),
    }
}

/// Blanks and comments on this line (a block comment may span lines).
fn sp<'a>(p: &P<'_>, mut i: &'a str) -> R<'a, ()> {
    loop {
        i = take_while(|c: char| c == ' ' || c == '\t').parse(i)?.0;
        if i.starts_with("//") {
            i = take_while(|c: char| c != '\n' && c != '\r').parse(i)?.0;
        } else if i.starts_with("/*") {
            i = block_comment(p, i)?.0;
        } else {
            return Ok((i, ()));
        }
    }
}

/// Blanks, line breaks and comments.
fn ws_nl<'a>(p: &P<'_>, mut i: &'a str) -> R<'a, ()> {
    loop {
        i = sp(p, i)?.0;
        match i.strip_prefix(['\n', '\r']) {
            Some(rest) => i = rest,
            None => return Ok((i, ())),
        }
    }
}
