//! Evaluation: Kleene logic over a compiled tree whose literals are already typed, with attribute values read
//! from the request (or derived from its scope) on demand, without allocating.

use super::ast::{Family, Quantifier, Source, Test};
use super::datetime::DateTime;
use super::parse::parse_guid;
use crate::lists::Pairs;
use crate::matcher::Pattern;
use crate::swar::{Positions, eq_lowered};

/// Three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    /// Definitely false.
    False,
    /// Cannot be decided: an attribute it needs is absent.
    Unknown,
    /// Definitely true.
    True,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::True => Tri::False,
            Tri::Unknown => Tri::Unknown,
        }
    }

    fn of(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// The outcome of evaluating a condition: its value and the node that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// The value.
    pub value: Tri,
    /// Pre-order index of the deciding node (see [`super::Condition::node_text`]): for `AND` the first false (or
    /// unknown) operand, for `OR` the first true (or unknown) one, else the last operand; a leaf or `NOT` itself.
    pub decided_by: u16,
}

/// What a condition can see of a request.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The requested action.
    pub action: &'a str,
    /// The request's sub-operation (`Blob.List`), if any.
    pub sub_operation: Option<&'a str>,
    /// The request's scope; `@Resource[…:name]` attributes it encodes are read from it.
    pub scope: &'a str,
    /// Caller-supplied attributes as `(key, value)`; a key is the attribute name (`…/containers:name`) or
    /// `@Source[name]`. A multi-valued attribute is given as several pairs with the same key.
    pub attributes: Pairs<'a>,
    /// The evaluation time for `@Environment[UtcNow]`; the system clock when `None`.
    pub now: Option<DateTime>,
}

impl<'a> Context<'a> {
    /// A context with no sub-operation, no attributes and the system clock.
    pub fn new(action: &'a str, scope: &'a str) -> Self {
        Context { action, sub_operation: None, scope, attributes: Pairs::default(), now: None }
    }
}

/// A typed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    Str(Box<str>),
    Int(i64),
    Bool(bool),
    Guid(u128),
    Time(DateTime),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueRef<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    /// High and low halves, which order as the `u128` does; 8-byte alignment keeps the enum at 24 bytes and
    /// its moves cheap (a `u128` would align it to 16 and grow it to 32).
    Guid([u64; 2]),
    Time(DateTime),
}

impl Value {
    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Str(s) => ValueRef::Str(s),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Guid(g) => ValueRef::Guid(halves(*g)),
            Value::Time(t) => ValueRef::Time(*t),
        }
    }
}

#[expect(clippy::cast_possible_truncation, reason = "the halves are truncated on purpose")]
fn halves(g: u128) -> [u64; 2] {
    [(g >> 64) as u64, g as u64]
}

/// Reads a caller-supplied (or scope-derived) string as a value of the operator's family.
fn read(family: Family, s: &str) -> Option<ValueRef<'_>> {
    match family {
        Family::String => Some(ValueRef::Str(s)),
        Family::Numeric => s.trim().parse().ok().map(ValueRef::Int),
        Family::DateTime => DateTime::parse(s.trim()).map(ValueRef::Time),
        Family::Guid => parse_guid(s.trim()).map(|g| ValueRef::Guid(halves(g))),
        Family::Bool => match s.trim() {
            t if t.eq_ignore_ascii_case("true") => Some(ValueRef::Bool(true)),
            t if t.eq_ignore_ascii_case("false") => Some(ValueRef::Bool(false)),
            _ => None,
        },
    }
}

/// How an attribute's values are found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum AttrKind {
    /// Caller-supplied only.
    Plain,
    /// `@Resource[Namespace/type/…:name]`: the name the scope gives that resource type, else caller-supplied.
    /// Namespace and types are ASCII-lower-cased.
    ScopeName { namespace: Box<str>, types: Box<[Box<str>]> },
    /// `@Resource[…/containers/blobs:path]`: everything after the blob type in the scope, else caller-supplied.
    /// Namespace and types are ASCII-lower-cased.
    BlobPath { namespace: Box<str>, types: Box<[Box<str>]> },
    /// `…/tags:Key<$key_case_sensitive$>`: the prefix up to `tags:` folds case, the key does not.
    Tag { prefix: Box<str>, key: Box<str> },
    /// `@Environment[UtcNow]`.
    UtcNow,
    /// `@Request[subOperation]` (the 2021 preview syntax): the request's sub-operation.
    SubOperation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct AttrRef {
    pub source: Source,
    pub name: Box<str>,
    /// `name` ASCII-lower-cased, for comparing caller-supplied keys a word at a time.
    pub folded: Box<str>,
    pub kind: AttrKind,
}

#[derive(Clone, Debug)]
pub(super) enum Side {
    Attr(AttrRef),
    Values(Box<[Value]>),
}

#[derive(Clone, Debug)]
pub(super) struct Cmp {
    pub left: Side,
    pub right: Side,
    pub family: Family,
    pub test: Test,
    pub ignore_case: bool,
    pub quantifier: Option<Quantifier>,
}

#[derive(Clone, Debug)]
pub(super) enum Node {
    And(Box<[Node]>, u16),
    Or(Box<[Node]>, u16),
    Not(Box<Node>, u16),
    Action(Pattern, u16),
    SubOperation(Box<str>, u16),
    Exists(AttrRef, u16),
    Cmp(Box<Cmp>, u16),
}

/// A compiled condition.
#[derive(Clone, Debug)]
pub(super) struct Program {
    pub root: Node,
}

/// Receives the attributes found absent during evaluation.
pub(super) trait Trace {
    fn absent(&mut self, attr: &AttrRef);
}

/// Ignores absences (the check path).
pub(super) struct NoTrace;

impl Trace for NoTrace {
    fn absent(&mut self, _: &AttrRef) {}
}

/// Collects absent attributes for [`super::Analysis::Conditional`].
#[derive(Default)]
pub(super) struct Needs(Vec<String>);

impl Trace for Needs {
    fn absent(&mut self, attr: &AttrRef) {
        let name = format!("@{}[{}]", attr.source.as_str(), attr.name);
        if !self.0.contains(&name) {
            self.0.push(name);
        }
    }
}

impl Needs {
    pub fn into_names(self) -> Vec<String> {
        self.0
    }

    fn push(&mut self, name: &str) {
        if !self.0.iter().any(|n| n == name) {
            self.0.push(name.to_owned());
        }
    }
}

impl Program {
    pub fn evaluate(&self, cx: &Context<'_>, trace: &mut dyn Trace) -> Evaluation {
        let (value, decided_by) = eval(&self.root, cx, trace);
        Evaluation { value, decided_by }
    }
}

impl Program {
    /// The value for every request with this action (and, when `cx.scope` is not empty, this scope): an attribute
    /// the scope does not encode, the sub-operation and the time are unknown, present or absent, whatever the
    /// context holds. Kleene logic is monotone, so `True` holds and `False` fails for every such request; `Exists`
    /// and `SubOperationMatches`, two-valued on a request, are unknown here unless the scope decides them.
    pub fn evaluate_open(&self, cx: &Context<'_>, needs: &mut Needs) -> Tri {
        open(&self.root, cx, needs)
    }
}

fn open(node: &Node, cx: &Context<'_>, needs: &mut Needs) -> Tri {
    match node {
        Node::And(items, _) => open_connective(items, Tri::False, cx, needs),
        Node::Or(items, _) => open_connective(items, Tri::True, cx, needs),
        Node::Not(inner, _) => open(inner, cx, needs).not(),
        Node::Action(p, _) => Tri::of(p.matches(cx.action)),
        Node::SubOperation(..) => {
            needs.push("@Request[subOperation]");
            Tri::Unknown
        }
        Node::Exists(a, _) => match scope_value(a, cx) {
            Some(_) => Tri::True,
            None => {
                needs.absent(a);
                Tri::Unknown
            }
        },
        Node::Cmp(c, _) => {
            // Decided only when both sides are literals or values the scope encodes, which no caller overrides.
            let mut decided = true;
            for side in [&c.left, &c.right] {
                if let Side::Attr(a) = side
                    && scope_value(a, cx).is_none()
                {
                    needs.absent(a);
                    decided = false;
                }
            }
            if decided { compare(c, cx, &mut NoTrace) } else { Tri::Unknown }
        }
    }
}

fn open_connective(items: &[Node], dominant: Tri, cx: &Context<'_>, needs: &mut Needs) -> Tri {
    let mut unknown = false;
    for item in items {
        let v = open(item, cx, needs);
        if v == dominant {
            return v;
        }
        unknown |= v == Tri::Unknown;
    }
    if unknown { Tri::Unknown } else { dominant.not() }
}

fn eval(node: &Node, cx: &Context<'_>, trace: &mut dyn Trace) -> (Tri, u16) {
    match node {
        // Kleene AND: false wins (so evaluation may stop there), else unknown, else true.
        Node::And(items, id) => connective(items, *id, Tri::False, cx, trace),
        Node::Or(items, id) => connective(items, *id, Tri::True, cx, trace),
        Node::Not(inner, id) => (eval(inner, cx, trace).0.not(), *id),
        Node::Action(p, id) => (Tri::of(p.matches(cx.action)), *id),
        Node::SubOperation(p, id) => (Tri::of(cx.sub_operation.is_some_and(|s| like(s, p, true))), *id),
        Node::Exists(a, id) => {
            let mut any = false;
            values(a, cx, |_| {
                any = true;
                false
            });
            (Tri::of(any), *id)
        }
        Node::Cmp(c, id) => (compare(c, cx, trace), *id),
    }
}

fn connective(items: &[Node], id: u16, dominant: Tri, cx: &Context<'_>, trace: &mut dyn Trace) -> (Tri, u16) {
    let mut unknown = None;
    let mut last = id;
    for item in items {
        let (v, d) = eval(item, cx, trace);
        if v == dominant {
            return (v, d);
        }
        if v == Tri::Unknown && unknown.is_none() {
            unknown = Some(d);
        }
        last = d;
    }
    match unknown {
        Some(d) => (Tri::Unknown, d),
        None => (dominant.not(), last),
    }
}

/// Calls `f` with each raw value of the attribute until it returns `false`.
fn values<'c>(a: &AttrRef, cx: &Context<'c>, mut f: impl FnMut(&'c str) -> bool) {
    match scope_value(a, cx) {
        Some(v) => {
            f(v);
        }
        None => request_values(a, cx, f),
    }
}

/// The value a `@Resource` name or blob path takes from the scope, when the scope encodes it.
fn scope_value<'c>(a: &AttrRef, cx: &Context<'c>) -> Option<&'c str> {
    match &a.kind {
        AttrKind::ScopeName { namespace, types } if a.source == Source::Resource => {
            name_in_scope(cx.scope, namespace, types, false)
        }
        AttrKind::BlobPath { namespace, types } if a.source == Source::Resource => {
            name_in_scope(cx.scope, namespace, types, true)
        }
        _ => None,
    }
}

/// [`values`] apart from the scope: the request's sub-operation, or the caller's pairs.
fn request_values<'c>(a: &AttrRef, cx: &Context<'c>, mut f: impl FnMut(&'c str) -> bool) {
    if a.kind == AttrKind::SubOperation {
        if let Some(s) = cx.sub_operation {
            f(s);
        }
        return;
    }
    for (key, value) in cx.attributes.iter() {
        if key_matches(a, key) && !f(value) {
            return;
        }
    }
}

/// Whether a caller-supplied key names the attribute: `name` or `@Source[name]`, ASCII case-insensitive except
/// for a case-sensitive tag key.
fn key_matches(a: &AttrRef, key: &str) -> bool {
    let name = match key.strip_prefix('@') {
        Some(rest) => {
            let Some((source, name)) = rest.split_once('[') else { return false };
            if !source.eq_ignore_ascii_case(a.source.as_str()) {
                return false;
            }
            name.strip_suffix(']').unwrap_or(name)
        }
        None => key,
    };
    match &a.kind {
        AttrKind::Tag { prefix, key } => {
            let Some(head) = name.get(..prefix.len()) else { return false };
            let rest = name.get(prefix.len()..).unwrap_or_default();
            head.eq_ignore_ascii_case(prefix)
                && (rest == &**key || rest.strip_suffix("<$key_case_sensitive$>") == Some(&**key))
        }
        _ => eq_lowered(a.folded.as_bytes(), name.as_bytes()),
    }
}

/// The typed values of one side of a comparison.
enum Vals<'c> {
    Literal(&'c [Value]),
    /// A single value: the clock, a name derived from the scope, or an attribute the caller gave once. Read
    /// once, where most comparisons meet them.
    One(ValueRef<'c>),
    /// A multi-valued attribute, read again for each use.
    Attr(&'c AttrRef),
}

/// A side's values and their number; `None` when the comparison is Unknown: an absent attribute, or one whose
/// value cannot be read as the operator's type.
fn resolve<'c>(s: &'c Side, family: Family, cx: &Context<'c>, trace: &mut dyn Trace) -> Option<(Vals<'c>, usize)> {
    let a = match s {
        Side::Values(v) => return Some((Vals::Literal(v), v.len())),
        Side::Attr(a) => a,
    };
    if a.kind == AttrKind::UtcNow {
        return Some((Vals::One(ValueRef::Time(cx.now.unwrap_or_else(DateTime::now))), 1));
    }
    if let Some(text) = scope_value(a, cx) {
        return read(family, text).map(|v| (Vals::One(v), 1));
    }
    let (mut n, mut first, mut readable) = (0usize, None, true);
    request_values(a, cx, |s| {
        n += 1;
        let v = read(family, s);
        readable = v.is_some();
        first = first.or(v);
        readable
    });
    if n == 0 {
        trace.absent(a);
    }
    match (n, first) {
        _ if n == 0 || !readable => None,
        (1, Some(v)) => Some((Vals::One(v), 1)),
        _ => Some((Vals::Attr(a), n)),
    }
}

fn compare(c: &Cmp, cx: &Context<'_>, trace: &mut dyn Trace) -> Tri {
    // Both sides are resolved, so that an analysis hears of every absent attribute.
    let (left, right) = (resolve(&c.left, c.family, cx, trace), resolve(&c.right, c.family, cx, trace));
    let (Some((left, nl)), Some((right, nr))) = (left, right) else { return Tri::Unknown };
    // Without a quantifier both sides are single values; several values for a scalar test cannot be decided.
    if c.quantifier.is_none() && (nl != 1 || nr != 1) {
        return Tri::Unknown;
    }
    let each = |v: &Vals<'_>, f: &mut dyn FnMut(ValueRef<'_>) -> bool| match v {
        Vals::Literal(items) => {
            for item in items.iter() {
                if !f(item.as_ref()) {
                    return;
                }
            }
        }
        Vals::One(v) => {
            f(*v);
        }
        Vals::Attr(a) => values(a, cx, |s| read(c.family, s).is_none_or(&mut *f)),
    };
    let test = |l: ValueRef<'_>, r: ValueRef<'_>| apply(c, l, r);
    // `exists` over the right side for one left value, or `forall` when `all_right`.
    let right_ok = |l: ValueRef<'_>, all_right: bool| {
        let mut result = all_right;
        each(&right, &mut |r| {
            if test(l, r) != all_right {
                result = !all_right;
                return false;
            }
            true
        });
        result
    };
    let (all_left, all_right) = match c.quantifier {
        None | Some(Quantifier::AnyOfAny) => (false, false),
        Some(Quantifier::AllOfAny) => (true, false),
        Some(Quantifier::AnyOfAll) => (false, true),
        Some(Quantifier::AllOfAll) => (true, true),
    };
    // One value on the left (the common case: a single attribute against a literal or a list): the left
    // quantifier ranges over a singleton, so only the right one matters.
    if let Vals::One(l) = left {
        return Tri::of(match right {
            Vals::One(r) => test(l, r),
            _ => right_ok(l, all_right),
        });
    }
    let mut result = all_left;
    each(&left, &mut |l| {
        if right_ok(l, all_right) != all_left {
            result = !all_left;
            return false;
        }
        true
    });
    Tri::of(result)
}

/// One test between two values; values of the wrong type (never produced after the type check) fail the test.
fn apply(c: &Cmp, l: ValueRef<'_>, r: ValueRef<'_>) -> bool {
    use std::cmp::Ordering;
    let ord = |o: Option<Ordering>| -> bool {
        let Some(o) = o else { return false };
        match c.test {
            Test::Equals => o == Ordering::Equal,
            Test::NotEquals => o != Ordering::Equal,
            Test::LessThan => o == Ordering::Less,
            Test::LessThanEquals => o != Ordering::Greater,
            Test::GreaterThan => o == Ordering::Greater,
            Test::GreaterThanEquals => o != Ordering::Less,
            Test::StartsWith | Test::NotStartsWith | Test::Like | Test::NotLike => false,
        }
    };
    match (l, r) {
        (ValueRef::Str(a), ValueRef::Str(b)) => {
            let ic = c.ignore_case;
            match c.test {
                Test::Equals => str_eq(a, b, ic),
                Test::NotEquals => !str_eq(a, b, ic),
                Test::StartsWith => starts_with(a, b, ic),
                Test::NotStartsWith => !starts_with(a, b, ic),
                Test::Like => like(a, b, ic),
                Test::NotLike => !like(a, b, ic),
                _ => false,
            }
        }
        (ValueRef::Int(a), ValueRef::Int(b)) => ord(Some(a.cmp(&b))),
        (ValueRef::Time(a), ValueRef::Time(b)) => ord(Some(a.cmp(&b))),
        (ValueRef::Guid(a), ValueRef::Guid(b)) => ord(Some(a.cmp(&b))),
        (ValueRef::Bool(a), ValueRef::Bool(b)) => ord(Some(a.cmp(&b))),
        _ => false,
    }
}

fn char_eq(a: char, b: char, ignore_case: bool) -> bool {
    a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()))
}

fn str_eq(a: &str, b: &str, ignore_case: bool) -> bool {
    if ignore_case && a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else if ignore_case {
        a.chars().count() == b.chars().count() && a.chars().zip(b.chars()).all(|(x, y)| char_eq(x, y, true))
    } else {
        a == b
    }
}

fn starts_with(a: &str, prefix: &str, ignore_case: bool) -> bool {
    if !ignore_case {
        return a.starts_with(prefix);
    }
    if a.is_ascii() && prefix.is_ascii() {
        return a.get(..prefix.len()).is_some_and(|h| h.eq_ignore_ascii_case(prefix));
    }
    let mut it = a.chars();
    prefix.chars().all(|p| it.next().is_some_and(|c| char_eq(c, p, ignore_case)))
}

/// One element of a Like pattern.
enum Tok {
    Star,
    One,
    Lit(char),
}

/// The token at byte `i` of `pattern` and its length: `*` and `?` are wildcards, `\*` and `\?` literal.
fn tok_at(pattern: &str, i: usize) -> Option<(Tok, usize)> {
    let mut chars = pattern.get(i..)?.chars();
    let c = chars.next()?;
    Some(match c {
        '*' => (Tok::Star, 1),
        '?' => (Tok::One, 1),
        '\\' => match chars.next() {
            Some(e @ ('*' | '?')) => (Tok::Lit(e), 2),
            _ => (Tok::Lit('\\'), 1),
        },
        c => (Tok::Lit(c), c.len_utf8()),
    })
}

/// `StringLike`: `*` matches any run, `?` one character; iterative with one backtrack point, so linear-ish and
/// allocation-free.
pub(super) fn like(s: &str, pattern: &str, ignore_case: bool) -> bool {
    let (mut si, mut pi) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    loop {
        let c = s.get(si..).and_then(|r| r.chars().next());
        match (tok_at(pattern, pi), c) {
            (Some((Tok::Star, n)), _) => {
                pi += n;
                back = Some((pi, si));
                continue;
            }
            (Some((Tok::One, n)), Some(c)) => {
                pi += n;
                si += c.len_utf8();
                continue;
            }
            (Some((Tok::Lit(p), n)), Some(c)) if char_eq(c, p, ignore_case) => {
                pi += n;
                si += c.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last star swallow one more character, if there is one.
        match back {
            Some((bp, bs)) => {
                let Some(c) = s.get(bs..).and_then(|r| r.chars().next()) else { return false };
                let bs = bs + c.len_utf8();
                back = Some((bp, bs));
                pi = bp;
                si = bs;
            }
            None => return false,
        }
    }
}

/// The name the scope gives resource type `namespace/types…` (in the last provider section that has it), or with
/// `rest`, everything from that name on (a blob path may contain `/`). Walks the scope's segments without
/// allocating.
const PROVIDERS: &str = "/providers/";
/// The offset of the `v` in [`PROVIDERS`].
const PROVIDERS_V: usize = 4;

fn name_in_scope<'a>(scope: &'a str, namespace: &str, types: &[Box<str>], rest: bool) -> Option<&'a str> {
    // Sections are found through their `v`, which is far rarer in scopes than `/`: the scan branches per word and
    // per `v` rather than per segment. In a section, the namespace and types are known text, compared in place a
    // word at a time; only names are searched for their end.
    let bytes = scope.as_bytes();
    let mut found = None;
    for v in Positions::ignoring_case(bytes, b'v') {
        let Some(at) = v.checked_sub(PROVIDERS_V) else { continue };
        if !bytes.get(at..at + PROVIDERS.len()).is_some_and(|w| eq_lowered(PROVIDERS.as_bytes(), w)) {
            continue;
        }
        let mut walk = Walk { bytes, pos: at + PROVIDERS.len() };
        if !walk.expect(namespace) {
            continue;
        }
        let mut name = None;
        for t in types {
            if !walk.expect(t) {
                name = None;
                break;
            }
            name = walk.name();
            if name.is_none() {
                break;
            }
        }
        if let Some((start, end)) = name {
            found = scope.get(start..if rest { bytes.len() } else { end });
        }
    }
    found
}

/// A cursor over a scope's segments; empty segments (doubled slashes) are skipped, as everywhere else.
struct Walk<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Walk<'_> {
    fn skip_slashes(&mut self) {
        while self.bytes.get(self.pos) == Some(&b'/') {
            self.pos += 1;
        }
    }

    /// Consumes the next segment if it is `lower` (ASCII-lower-cased) up to case.
    fn expect(&mut self, lower: &str) -> bool {
        self.skip_slashes();
        let end = self.pos + lower.len();
        let fits = self.bytes.get(self.pos..end).is_some_and(|s| eq_lowered(lower.as_bytes(), s))
            && matches!(self.bytes.get(end), None | Some(b'/'));
        if fits {
            self.pos = end;
        }
        fits
    }

    /// Consumes the next segment, whatever it is, and gives its byte range.
    fn name(&mut self) -> Option<(usize, usize)> {
        self.skip_slashes();
        let start = self.pos;
        let rest = self.bytes.get(start..)?;
        self.pos = start + rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        (self.pos > start).then_some((start, self.pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_and_escapes() {
        // The reference's truth examples (CF).
        assert!(like("abcd", "a*c?", false));
        assert!(!like("abcd", "A*C?", false));
        assert!(like("abcd", "A*C?", true));
        assert!(!like("abcd", "a*c", false));
        assert!(like("a*b", "a\\*b", false));
        assert!(!like("axb", "a\\*b", false));
        assert!(like("a?b", "a\\?b", false));
        assert!(like("", "*", false));
        assert!(!like("", "?", false));
        assert!(like("uploads/contoso/x.txt", "uploads/contoso/*", false));
        assert!(like("aaab", "*a*b", false));
        assert!(like("héllo", "h?llo", false));
    }

    #[test]
    fn scope_names() {
        let scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/logs/blobs/dir/a.txt";
        let v = |ns: &str, types: &[Box<str>], rest: bool| name_in_scope(scope, ns, types, rest);
        // The compiler hands over lower-cased type names.
        let types = |t: &[&str]| t.iter().map(|s| Box::<str>::from(s.to_ascii_lowercase())).collect::<Vec<_>>();
        let containers = types(&["storageAccounts", "blobServices", "containers"]);
        assert_eq!(v("microsoft.storage", &containers, false), Some("logs"));
        let blobs = types(&["storageAccounts", "blobServices", "containers", "blobs"]);
        assert_eq!(v("microsoft.storage", &blobs, true), Some("dir/a.txt"));
        assert_eq!(v("microsoft.storage", &types(&["storageAccounts", "queueServices"]), false), None);
        assert_eq!(v("microsoft.compute", &types(&["storageAccounts"]), false), None);
        // An extension resource: the last provider section that has the type wins.
        let ext = "/subscriptions/s/providers/Microsoft.A/x/one/providers/Microsoft.A/x/two";
        assert_eq!(name_in_scope(ext, "microsoft.a", &types(&["x"]), false), Some("two"));
        let upper = "/SUBSCRIPTIONS/S/PROVIDERS/MICROSOFT.A/X/ONE//";
        assert_eq!(name_in_scope(upper, "microsoft.a", &types(&["x"]), false), Some("ONE"));
        assert_eq!(name_in_scope("/", "microsoft.a", &types(&["x"]), false), None);
    }
}
