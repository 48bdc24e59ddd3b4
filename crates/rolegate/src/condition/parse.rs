//! The condition parser: nom for the tokens, recursive descent for the structure, and a failure that says what
//! was expected where (semantics §3.1).

use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::error::{ErrorKind as NomKind, ParseError};
use nom::{IResult, Parser};

use super::ast::{
    Attribute, Comparison, Expr, ExprKind, Family, Literal, LiteralValue, Operand, Operator, Quantifier, Source, Str,
    Test,
};
use super::{ConditionError, ErrorKind};
use crate::span::Span;

/// Parentheses and negations nest at most this deep: deeper input is certainly not a real condition, and the
/// limit keeps the recursive descent far from the end of the stack.
pub const MAX_DEPTH: usize = 64;

/// Why parsing stopped: `at` is the rest of the input where it went wrong.
#[derive(Debug)]
pub(super) struct Fail<'a> {
    at: &'a str,
    /// `None` for a soft failure (nothing here starts what was tried; an alternative may still fit).
    detail: Option<Box<Detail>>,
}

#[derive(Debug)]
struct Detail {
    len: usize,
    message: String,
    label: String,
    help: Option<String>,
    related: Option<Box<(Span, String)>>,
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

/// Parses a condition into its AST. Spans are byte offsets into `text`.
pub fn parse(text: &str) -> Result<Expr, ConditionError> {
    let p = P { text };
    let start = ws(text);
    if start.is_empty() {
        return Err(ConditionError::new(ErrorKind::Syntax, "empty condition", Span::point(0), "nothing here")
            .with_help("a condition is an expression such as `@Resource[…:name] StringEquals 'logs'`"));
    }
    let result = p.expr(start, 0).and_then(|(rest, e)| {
        let rest = ws(rest);
        match rest.chars().next() {
            None => Ok(e),
            Some(')') => Err(nom::Err::Failure(fail(rest, 1, "unmatched `)`", "no `(` opens this").0)),
            Some(_) => Err(nom::Err::Failure(
                fail(rest, token_len(rest), format!("unexpected {}", found(rest)), "expected `AND`, `OR` or the end")
                    .help("join expressions with `AND`/`&&` or `OR`/`||`")
                    .0,
            )),
        }
    });
    result.map_err(|e| match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => p.error(f, start),
        nom::Err::Incomplete(_) => {
            ConditionError::new(ErrorKind::Syntax, "incomplete condition", Span::point(text.len()), "input ends here")
        }
    })
}

struct P<'t> {
    text: &'t str,
}

/// A failure with a message, at `at`, underlining `len` bytes.
struct Failure<'a>(Fail<'a>);

impl<'a> Failure<'a> {
    fn help(mut self, help: impl Into<String>) -> Self {
        if let Some(d) = self.0.detail.as_mut() {
            d.help = Some(help.into());
        }
        self
    }
    fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        if let Some(d) = self.0.detail.as_mut() {
            d.related = Some(Box::new((span, label.into())));
        }
        self
    }
    fn err<T>(self) -> R<'a, T> {
        Err(nom::Err::Failure(self.0))
    }
}

fn fail<'a>(at: &'a str, len: usize, message: impl Into<String>, label: impl Into<String>) -> Failure<'a> {
    let detail = Detail { len, message: message.into(), label: label.into(), help: None, related: None };
    Failure(Fail { at, detail: Some(Box::new(detail)) })
}

/// A failure at `at` for a missing piece: `"{what}, found …"`, underlining the token that is there instead.
fn expected<'a>(at: &'a str, what: impl std::fmt::Display, label: impl Into<String>) -> Failure<'a> {
    fail(at, token_len(at), format!("{what}, found {}", found(at)), label)
}

/// Commits to an alternative: a soft failure of `r` (nothing there starts what must come next) becomes a failure
/// at `at` that says what was expected (nom's `cut`, with a message).
fn cut<'a, T>(r: R<'a, T>, at: &'a str, message: impl FnOnce() -> String, label: &str) -> R<'a, T> {
    match r {
        Err(nom::Err::Error(_)) => fail(at, token_len(at), message(), label).err(),
        other => other,
    }
}

fn soft<'a, T>(at: &'a str) -> R<'a, T> {
    Err(nom::Err::Error(Fail::from_error_kind(at, NomKind::Alt)))
}

/// Skips the whitespace the language allows: spaces, tabs and line breaks (other invisible characters are errors,
/// as they are in Azure).
fn ws(i: &str) -> &str {
    i.trim_start_matches([' ', '\t', '\r', '\n'])
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `kw` (ASCII case-insensitive) as a whole word.
fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    let (rest, _) = tag_no_case::<_, _, Fail<'a>>(kw).parse(i).ok()?;
    (!rest.starts_with(is_word)).then_some(rest)
}

fn token_len(i: &str) -> usize {
    match i.chars().next() {
        Some(c) if is_word(c) => i.find(|c: char| !is_word(c)).unwrap_or(i.len()),
        Some(c) => c.len_utf8(),
        None => 0,
    }
}

/// How to show the text at `i` in a message: the next word, or an invisible character by its code point.
fn found(i: &str) -> String {
    match i.chars().next() {
        None => "end of condition".to_owned(),
        Some(c) if c.is_whitespace() || c.is_control() || crate::action::is_invisible_format(c) => {
            format!("invisible character U+{:04X}", u32::from(c))
        }
        Some(_) => format!("`{}`", i.get(..token_len(i).min(40)).unwrap_or(i)),
    }
}

impl<'t> P<'t> {
    fn off(&self, rest: &str) -> usize {
        self.text.len().saturating_sub(rest.len())
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.off(from), self.off(to))
    }

    fn error(&self, f: Fail<'_>, start: &str) -> ConditionError {
        let at = self.off(f.at);
        let Some(d) = f.detail else {
            // A soft failure that reached the top: nothing that starts an expression was where one must be.
            let at = self.off(start).max(at);
            let rest = self.text.get(at..).unwrap_or_default();
            return ConditionError::new(
                ErrorKind::Syntax,
                format!("expected an expression, found {}", found(rest)),
                Span::new(at, at + token_len(rest)),
                "expected an expression here",
            )
            .with_help("an expression is `(…)`, `!…`/`NOT …`, `ActionMatches{'…'}`, `SubOperationMatches{'…'}`, `Exists @…[…]` or a comparison such as `@Resource[…] StringEquals 'x'`");
        };
        let mut e = ConditionError::new(ErrorKind::Syntax, d.message, Span::new(at, at + d.len), d.label);
        e.help = d.help;
        e.related = d.related;
        e
    }

    /// `term ((AND|&&) term)* | term ((OR||) term)*`.
    fn expr<'a>(&self, i: &'a str, depth: usize) -> R<'a, Expr> {
        let start = i;
        let (mut i, first) = self.term(i, depth)?;
        let mut more = Vec::new();
        let mut connective: Option<(bool, Span, &str)> = None;
        loop {
            let j = ws(i);
            let (is_and, rest) = if let Some(r) = j.strip_prefix("&&") {
                (true, r)
            } else if let Some(r) = j.strip_prefix("||") {
                (false, r)
            } else if let Some(r) = keyword(j, "AND") {
                (true, r)
            } else if let Some(r) = keyword(j, "OR") {
                (false, r)
            } else {
                break;
            };
            let op_span = self.span(j, rest);
            let op_text = j.get(..j.len() - rest.len()).unwrap_or_default();
            match connective {
                None => connective = Some((is_and, op_span, op_text)),
                Some((was_and, first_span, first_text)) if was_and != is_and => {
                    return fail(
                        j,
                        op_span.len(),
                        format!("`{op_text}` mixed with `{first_text}` without parentheses"),
                        "ambiguous",
                    )
                    .related(first_span, "first connective at this level")
                    .help("Azure rejects `a AND b OR c`: write `(a AND b) OR c` or `a AND (b OR c)`")
                    .err();
                }
                Some(_) => {}
            }
            let next = ws(rest);
            let (r, t) = cut(
                self.term(next, depth),
                next,
                || format!("expected an expression after `{op_text}`, found {}", found(next)),
                "expected an expression",
            )?;
            more.push(t);
            i = r;
        }
        if more.is_empty() {
            return Ok((i, first));
        }
        let items: Vec<Expr> = std::iter::once(first).chain(more).collect();
        let span = self.span(start, i);
        let kind = match connective {
            Some((true, ..)) => ExprKind::And(items),
            _ => ExprKind::Or(items),
        };
        Ok((i, Expr { kind, span }))
    }

    /// `(NOT|!) term | primary`.
    fn term<'a>(&self, i: &'a str, depth: usize) -> R<'a, Expr> {
        let i = ws(i);
        let rest = i.strip_prefix('!').or_else(|| keyword(i, "NOT"));
        let Some(rest) = rest else { return self.primary(i, depth) };
        if depth >= MAX_DEPTH {
            return fail(i, 1, format!("condition nested more than {MAX_DEPTH} levels deep"), "too deep").err();
        }
        let next = ws(rest);
        let (r, inner) = cut(
            self.term(next, depth + 1),
            next,
            || {
                let neg = i.get(..i.len() - rest.len()).unwrap_or("!");
                format!("expected an expression after `{neg}`, found {}", found(next))
            },
            "expected an expression",
        )?;
        Ok((r, Expr { kind: ExprKind::Not(Box::new(inner)), span: self.span(i, r) }))
    }

    fn primary<'a>(&self, i: &'a str, depth: usize) -> R<'a, Expr> {
        if let Some(rest) = i.strip_prefix('(') {
            if depth >= MAX_DEPTH {
                return fail(i, 1, format!("condition nested more than {MAX_DEPTH} levels deep"), "too deep").err();
            }
            let inner_start = ws(rest);
            let (r, e) = cut(
                self.expr(inner_start, depth + 1),
                inner_start,
                || format!("expected an expression after `(`, found {}", found(inner_start)),
                "expected an expression",
            )?;
            let r = ws(r);
            return match r.strip_prefix(')') {
                Some(after) => Ok((after, e)),
                None => expected(r, "expected `)`", "expected `)` here")
                    .related(self.span(i, rest), "to close this `(`")
                    .help("every `(` needs a `)`; between expressions use `AND` or `OR`")
                    .err(),
            };
        }
        for (kw, action) in [("ActionMatches", true), ("SubOperationMatches", false)] {
            if let Some(rest) = keyword(i, kw) {
                let r = ws(rest);
                let Some(r) = r.strip_prefix('{') else {
                    return expected(r, format!("expected `{{` after `{kw}`"), "expected `{`")
                        .help(format!("write `{kw}{{'…'}}`"))
                        .err();
                };
                let r = ws(r);
                if !r.starts_with('\'') {
                    return expected(r, format!("expected a quoted pattern in `{kw}{{…}}`"), "expected `'…'`").err();
                }
                let (r, s) = self.string(r)?;
                let r = ws(r);
                let Some(after) = r.strip_prefix('}') else {
                    return expected(r, format!("expected `}}` to close `{kw}{{`"), "expected `}`").err();
                };
                let kind = if action { ExprKind::ActionMatches(s) } else { ExprKind::SubOperationMatches(s) };
                return Ok((after, Expr { kind, span: self.span(i, after) }));
            }
        }
        if let Some(rest) = keyword(i, "Exists") {
            let r = ws(rest);
            if !r.starts_with('@') {
                return expected(r, "expected an attribute after `Exists`", "expected `@Source[name]`").err();
            }
            let (r, a) = self.attribute(r)?;
            return Ok((r, Expr { kind: ExprKind::Exists(a), span: self.span(i, r) }));
        }
        self.comparison(i)
    }

    fn comparison<'a>(&self, i: &'a str) -> R<'a, Expr> {
        let (r, left) = self.operand(i)?;
        let r = ws(r);
        let (r, op) = cut(
            self.operator(r),
            r,
            || format!("expected an operator after `{left}`, found {}", found(r)),
            "expected an operator such as `StringEquals`",
        )?;
        let r = ws(r);
        let (r, right) = cut(
            self.operand(r),
            r,
            || format!("expected a value after `{op}`, found {}", found(r)),
            "expected an attribute, a literal or `{…}`",
        )?;
        let span = self.span(i, r);
        Ok((r, Expr { kind: ExprKind::Compare(Box::new(Comparison { left, op, right })), span }))
    }

    fn operand<'a>(&self, i: &'a str) -> R<'a, Operand> {
        match i.chars().next() {
            Some('@') => self.attribute(i).map(|(r, a)| (r, Operand::Attribute(a))),
            Some('{') => self.list(i),
            Some('"') => fail(i, 1, "strings in conditions are single-quoted", "`\"` here")
                .help("write `'text'` instead of `\"text\"`")
                .err(),
            _ => self.literal(i).map(|(r, l)| (r, Operand::Literal(l))),
        }
    }

    fn list<'a>(&self, i: &'a str) -> R<'a, Operand> {
        let mut r = ws(i.get(1..).unwrap_or_default());
        let mut items = Vec::new();
        if r.starts_with('}') {
            return fail(i, self.off(r) + 1 - self.off(i), "empty list", "no values")
                .help("a list holds at least one value")
                .err();
        }
        loop {
            let (after, lit) = match self.literal(r) {
                Ok(v) => v,
                Err(nom::Err::Error(_)) => {
                    return expected(r, "expected a value in the list", "expected a literal")
                        .related(Span::point(self.off(i)), "list starts here")
                        .err();
                }
                Err(e) => return Err(e),
            };
            items.push(lit);
            let a = ws(after);
            if let Some(a) = a.strip_prefix(',') {
                r = ws(a);
            } else if let Some(a) = a.strip_prefix('}') {
                return Ok((a, Operand::List(items, self.span(i, a))));
            } else {
                return expected(a, "expected `,` or `}` in the list", "expected `,` or `}`")
                    .related(Span::new(self.off(i), self.off(i) + 1), "list opened here")
                    .err();
            }
        }
    }

    fn literal<'a>(&self, i: &'a str) -> R<'a, Literal> {
        if i.starts_with('\'') {
            let (r, s) = self.string(i)?;
            return Ok((r, Literal { value: LiteralValue::Str(s.value), span: s.span }));
        }
        let (rest, tok) = take_while1::<_, _, Fail<'a>>(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            .parse(i)
            .or_else(|_| soft(i))?;
        let value = if let Some(g) = parse_guid(tok) {
            LiteralValue::Guid(g)
        } else if tok.eq_ignore_ascii_case("true") {
            LiteralValue::Bool(true)
        } else if tok.eq_ignore_ascii_case("false") {
            LiteralValue::Bool(false)
        } else if is_integer(tok) {
            match tok.parse::<i64>() {
                Ok(n) => LiteralValue::Int(n),
                Err(_) => return fail(i, tok.len(), format!("number `{tok}` is out of range"), "too large").err(),
            }
        } else if tok.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') && tok.bytes().any(|b| b.is_ascii_hexdigit())
        {
            return fail(i, tok.len(), format!("malformed GUID `{tok}`"), "not a GUID")
                .help("a GUID is 32 hex digits, optionally grouped 8-4-4-4-12 with hyphens")
                .err();
        } else {
            return soft(i);
        };
        Ok((rest, Literal { value, span: self.span(i, rest) }))
    }

    fn string<'a>(&self, i: &'a str) -> R<'a, Str> {
        let (r, _) = tag::<_, _, Fail<'a>>("'").parse(i).or_else(|_| soft(i))?;
        let (r, body) = take_while::<_, _, Fail<'a>>(|c: char| c != '\'').parse(r).or_else(|_| soft(r))?;
        let Some(after) = r.strip_prefix('\'') else {
            return fail(i, i.len(), "unterminated string", "this string has no closing `'`").err();
        };
        Ok((after, Str { value: body.to_owned(), span: self.span(i, after) }))
    }

    fn attribute<'a>(&self, i: &'a str) -> R<'a, Attribute> {
        let r = i.get(1..).unwrap_or_default();
        let (r, name) =
            take_while::<_, _, Fail<'a>>(|c: char| c.is_ascii_alphabetic()).parse(r).or_else(|_| soft(r))?;
        let Some(source) = Source::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(name)) else {
            return fail(i, 1 + name.len(), format!("unknown attribute source `@{name}`"), "not a source")
                .help("sources are `@Resource`, `@Request`, `@Principal` and `@Environment`")
                .err();
        };
        let Some(body) = r.strip_prefix('[') else {
            return expected(r, format!("expected `[` after `@{name}`"), "expected `[`").err();
        };
        let stop = body.find([']', '\'', '@', '[', '{', '}', '(', ')', '\n', '\r', '\t']).unwrap_or(body.len());
        let (attr, after) = body.split_at(stop);
        let Some(after) = after.strip_prefix(']') else {
            let at = body.get(stop..).unwrap_or_default();
            return fail(r, r.len() - at.len(), "expected `]` to close the attribute name", "no `]` closes this name")
                .help("an attribute is written `@Source[name]`")
                .err();
        };
        if attr.trim().is_empty() {
            // The blank name itself (whitespace may be wider than a byte), or the `]` when there is none.
            return fail(body, attr.len().max(1), "empty attribute name", "name expected here").err();
        }
        Ok((after, Attribute { source, name: attr.to_owned(), span: self.span(i, after) }))
    }

    fn operator<'a>(&self, i: &'a str) -> R<'a, Operator> {
        let (r, first) =
            take_while1::<_, _, Fail<'a>>(|c: char| c.is_ascii_alphabetic()).parse(i).or_else(|_| soft(i))?;
        let (r, quantifier, base, base_at) = match r.strip_prefix(':') {
            Some(after) => {
                let Some(q) = Quantifier::ALL.into_iter().find(|q| q.as_str().eq_ignore_ascii_case(first)) else {
                    return fail(i, first.len(), format!("unknown quantifier `{first}`"), "not a quantifier")
                        .help("quantifiers are `ForAnyOfAnyValues`, `ForAllOfAnyValues`, `ForAnyOfAllValues` and `ForAllOfAllValues`")
                        .err();
                };
                let (r2, base) =
                    take_while1::<_, _, Fail<'a>>(|c: char| c.is_ascii_alphabetic()).parse(after).or_else(|_| {
                        fail(
                            after,
                            token_len(after),
                            format!("expected an operator after `{first}:`"),
                            "expected an operator",
                        )
                        .err()
                    })?;
                (r2, Some(q), base, after)
            }
            None => (r, None, first, i),
        };
        let Some((family, test, ignore_case)) = operator_name(base) else {
            let known = Family::ALL.iter().any(|f| {
                base.len() >= f.as_str().len()
                    && base.get(..f.as_str().len()).is_some_and(|p| p.eq_ignore_ascii_case(f.as_str()))
            });
            let help = if known {
                "String operators: Equals, NotEquals, StartsWith, NotStartsWith, Like, NotLike (each also …IgnoreCase); Numeric and DateTime: Equals, NotEquals, LessThan(Equals), GreaterThan(Equals); Guid and Bool: Equals, NotEquals"
            } else {
                "operator names start with `String`, `Numeric`, `DateTime`, `Guid` or `Bool`"
            };
            return fail(base_at, base.len(), format!("unknown operator `{base}`"), "not an operator").help(help).err();
        };
        Ok((r, Operator { quantifier, family, test, ignore_case, span: self.span(i, r) }))
    }
}

/// Reads an operator name without quantifier (ASCII case-insensitive; built-ins write `boolequals`).
pub fn operator_name(name: &str) -> Option<(Family, Test, bool)> {
    let lower = name.to_ascii_lowercase();
    for family in Family::ALL {
        let Some(rest) = lower.strip_prefix(&family.as_str().to_ascii_lowercase()) else { continue };
        let (rest, ignore_case) = match rest.strip_suffix("ignorecase") {
            Some(r) if family == Family::String => (r, true),
            _ => (rest, false),
        };
        if let Some(test) = family.tests().iter().find(|t| t.as_str().eq_ignore_ascii_case(rest)) {
            return Some((family, *test, ignore_case));
        }
    }
    None
}

fn is_integer(tok: &str) -> bool {
    let digits = tok.strip_prefix('-').unwrap_or(tok);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A GUID written as 32 hex digits, bare or grouped 8-4-4-4-12 (ASCII case-insensitive). Does not allocate:
/// request attributes are read with it on the check path.
pub fn parse_guid(tok: &str) -> Option<u128> {
    // Table-driven, one half of the GUID per u64 (16 digits each, hyphens or not): this runs on the check path
    // for every GUID attribute a caller supplies.
    let b = tok.as_bytes();
    let (hi, lo): ([&[u8]; 3], [&[u8]; 2]) = match b.len() {
        32 => ([b.get(..16)?, &[], &[]], [b.get(16..)?, &[]]),
        36 if [8, 13, 18, 23].iter().all(|&i| b.get(i) == Some(&b'-')) => {
            ([b.get(..8)?, b.get(9..13)?, b.get(14..18)?], [b.get(19..23)?, b.get(24..)?])
        }
        _ => return None,
    };
    let (mut invalid, mut high, mut low) = (0u8, 0u64, 0u64);
    for &c in hi.iter().flat_map(|p| p.iter()) {
        let d = HEX_DIGIT.get(usize::from(c)).copied().unwrap_or(INVALID);
        invalid |= d;
        high = high << 4 | u64::from(d & 0xf);
    }
    for &c in lo.iter().flat_map(|p| p.iter()) {
        let d = HEX_DIGIT.get(usize::from(c)).copied().unwrap_or(INVALID);
        invalid |= d;
        low = low << 4 | u64::from(d & 0xf);
    }
    (invalid & INVALID == 0).then_some(u128::from(high) << 64 | u128::from(low))
}

const INVALID: u8 = 0x80;

/// The value of each hex digit byte, [`INVALID`] for every other byte.
// `get_mut` is not usable in a const initialiser; the loop bound keeps the index in range.
#[allow(clippy::indexing_slicing)]
const HEX_DIGIT: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            d @ b'0'..=b'9' => d - b'0',
            d @ b'a'..=b'f' => d - b'a' + 10,
            d @ b'A'..=b'F' => d - b'A' + 10,
            _ => INVALID,
        };
        c += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_with_and_without_hyphens() {
        let a = parse_guid("5e467623-bb1f-42f4-a55d-6e525e11384b");
        assert!(a.is_some());
        assert_eq!(a, parse_guid("5E467623BB1F42F4A55D6E525E11384B"));
        assert_eq!(parse_guid("5e467623-bb1f42f4-a55d-6e525e11384b0"), None);
        assert_eq!(parse_guid("5e467623-bb1f-42f4-a55d-6e525e11384g"), None);
    }

    #[test]
    fn operator_names_fold_case() {
        assert_eq!(operator_name("boolequals"), Some((Family::Bool, Test::Equals, false)));
        assert_eq!(operator_name("StringNotLikeIgnoreCase"), Some((Family::String, Test::NotLike, true)));
        assert_eq!(operator_name("NumericEqualsIgnoreCase"), None);
        assert_eq!(operator_name("GuidLessThan"), None);
    }
}
