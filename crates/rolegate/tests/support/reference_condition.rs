//! A deliberately plain evaluator of conditions (semantics §3.1) for the agreement test: it walks the parsed AST
//! with vectors of strings and no compiled form, independently of `rolegate::condition::Condition::evaluate`.
//!
//! Validity (does the text parse and type-check) is the library's answer; the evaluation is this file's own.
//! Blob paths (`…/blobs:path`) are not derived from the scope here: the agreement test does not draw them.

#![allow(dead_code, clippy::indexing_slicing)]

use rolegate::condition::{
    Condition, DateTime, Expr, ExprKind, Family, LiteralValue, Operand, Quantifier, Source, Test, Tri, parse_guid,
};
use rolegate::matcher::matches as action_matches;

/// What the request offers a condition.
pub struct Facts<'a> {
    pub action: &'a str,
    pub sub_operation: Option<&'a str>,
    pub scope: &'a str,
    pub attributes: &'a [(&'a str, &'a str)],
    pub now: DateTime,
    /// Whether the request is every request with this action (at this scope, when it is not empty) at once: its
    /// attributes, sub-operation and time are unknown, and so is whether they are present.
    pub open: bool,
}

/// The value of a condition text for a request: `Unknown` when it does not parse or type-check.
pub fn reference_condition(text: &str, facts: &Facts<'_>) -> Tri {
    match Condition::parse(text) {
        Ok(c) => eval(c.expr(), facts),
        Err(_) => Tri::Unknown,
    }
}

/// The value of a condition text for every request with `action` (and, when given, at `scope`): `True` or
/// `False` only when every such request gives it; `None` when the text does not parse or type-check.
pub fn reference_condition_open(text: &str, action: &str, scope: Option<&str>) -> Option<Tri> {
    let facts = Facts {
        action,
        sub_operation: None,
        scope: scope.unwrap_or(""),
        attributes: &[],
        now: DateTime::parse("2000-01-01T00:00:00Z").expect("a datetime"),
        open: true,
    };
    Condition::parse(text).ok().map(|c| eval(c.expr(), &facts))
}

fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::False, _) | (_, Tri::False) => Tri::False,
        (Tri::True, Tri::True) => Tri::True,
        _ => Tri::Unknown,
    }
}

fn or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::True, _) | (_, Tri::True) => Tri::True,
        (Tri::False, Tri::False) => Tri::False,
        _ => Tri::Unknown,
    }
}

fn not(a: Tri) -> Tri {
    match a {
        Tri::True => Tri::False,
        Tri::False => Tri::True,
        Tri::Unknown => Tri::Unknown,
    }
}

fn eval(e: &Expr, f: &Facts<'_>) -> Tri {
    match &e.kind {
        ExprKind::And(items) => items.iter().map(|i| eval(i, f)).fold(Tri::True, and),
        ExprKind::Or(items) => items.iter().map(|i| eval(i, f)).fold(Tri::False, or),
        ExprKind::Not(inner) => not(eval(inner, f)),
        ExprKind::ActionMatches(s) => tri(action_matches(&s.value, f.action)),
        ExprKind::SubOperationMatches(_) if f.open => Tri::Unknown,
        ExprKind::SubOperationMatches(s) => {
            tri(f.sub_operation.is_some_and(|op| like(&op.to_lowercase(), &s.value.to_lowercase())))
        }
        ExprKind::Exists(a) if f.open => {
            if scope_value(a.source, &a.name, f.scope).is_some() {
                Tri::True
            } else {
                Tri::Unknown
            }
        }
        ExprKind::Exists(a) => tri(!values(a.source, &a.name, f).is_empty()),
        ExprKind::Compare(c) => {
            // Open, a side that is no literal and no value the scope encodes is unknown.
            let unknown = |o: &Operand| match o {
                Operand::Attribute(a) => scope_value(a.source, &a.name, f.scope).is_none(),
                _ => false,
            };
            if f.open && (unknown(&c.left) || unknown(&c.right)) {
                return Tri::Unknown;
            }
            let family = c.op.family;
            let (Some(left), Some(right)) = (side(&c.left, family, f), side(&c.right, family, f)) else {
                return Tri::Unknown;
            };
            if left.is_empty() || right.is_empty() {
                return Tri::Unknown;
            }
            let test = |l: &V, r: &V| apply(family, c.op.test, c.op.ignore_case, l, r);
            match c.op.quantifier {
                None if left.len() == 1 && right.len() == 1 => tri(test(&left[0], &right[0])),
                None => Tri::Unknown,
                Some(Quantifier::AnyOfAny) => tri(left.iter().any(|l| right.iter().any(|r| test(l, r)))),
                Some(Quantifier::AllOfAny) => tri(left.iter().all(|l| right.iter().any(|r| test(l, r)))),
                Some(Quantifier::AnyOfAll) => tri(left.iter().any(|l| right.iter().all(|r| test(l, r)))),
                Some(Quantifier::AllOfAll) => tri(left.iter().all(|l| right.iter().all(|r| test(l, r)))),
            }
        }
    }
}

fn tri(b: bool) -> Tri {
    if b { Tri::True } else { Tri::False }
}

#[derive(Debug, PartialEq, PartialOrd)]
enum V {
    S(String),
    I(i64),
    B(bool),
    G(u128),
    T(DateTime),
}

/// The values of one side, typed by the operator's family; `None` if any cannot be read as that type.
fn side(o: &Operand, family: Family, f: &Facts<'_>) -> Option<Vec<V>> {
    let from_text = |s: &str| -> Option<V> {
        Some(match family {
            Family::String => V::S(s.to_owned()),
            Family::Numeric => V::I(s.trim().parse().ok()?),
            Family::DateTime => V::T(DateTime::parse(s.trim())?),
            Family::Guid => V::G(parse_guid(s.trim())?),
            Family::Bool => V::B(match s.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return None,
            }),
        })
    };
    let literal = |l: &LiteralValue| -> Option<V> {
        match l {
            LiteralValue::Str(s) => from_text(s),
            LiteralValue::Int(i) => Some(V::I(*i)),
            LiteralValue::Bool(b) => Some(V::B(*b)),
            LiteralValue::Guid(g) => Some(V::G(*g)),
        }
    };
    match o {
        Operand::Literal(l) => Some(vec![literal(&l.value)?]),
        Operand::List(items, _) => items.iter().map(|l| literal(&l.value)).collect(),
        Operand::Attribute(a) if a.source == Source::Environment && a.name.eq_ignore_ascii_case("UtcNow") => {
            Some(vec![V::T(f.now)])
        }
        Operand::Attribute(a) => values(a.source, &a.name, f).iter().map(|s| from_text(s)).collect(),
    }
}

/// An attribute's raw values: from the scope for `@Resource[Namespace/type…:name]` when the scope has that
/// resource type (the last provider section that has it wins), and for `@Resource[…/containers/blobs:path]` the
/// rest of the scope after the blob type; else the caller's pairs whose key is the name (or `@Source[name]`),
/// ASCII case-insensitive.
fn values(source: Source, name: &str, f: &Facts<'_>) -> Vec<String> {
    if let Some(v) = scope_value(source, name, f.scope) {
        return vec![v];
    }
    let prefix = format!("@{}[", source.as_str());
    f.attributes
        .iter()
        .filter(|(k, _)| {
            let k = match k.get(..prefix.len()) {
                Some(p) if p.eq_ignore_ascii_case(&prefix) => k[prefix.len()..].trim_end_matches(']'),
                _ if k.starts_with('@') => return false,
                _ => k,
            };
            same_name(k, name)
        })
        .map(|(_, v)| (*v).to_owned())
        .collect()
}

/// The value `scope` encodes for an attribute, if any (see [`values`]).
fn scope_value(source: Source, name: &str, scope: &str) -> Option<String> {
    const BLOBS_PATH: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path";
    let derived = match name.strip_suffix(":name").filter(|p| p.contains('/')) {
        Some(path) => Some((path, false)),
        None if name.eq_ignore_ascii_case(BLOBS_PATH) => BLOBS_PATH.strip_suffix(":path").map(|p| (p, true)),
        None => None,
    };
    if source == Source::Resource
        && let Some((path, rest)) = derived
    {
        // The non-empty segments with the byte offsets where they start.
        let mut segs: Vec<(usize, &str)> = Vec::new();
        let mut pos = 0;
        for s in scope.split('/') {
            if !s.is_empty() {
                segs.push((pos, s));
            }
            pos += s.len() + 1;
        }
        let mut want = path.split('/');
        let namespace = want.next().unwrap_or_default();
        let types: Vec<&str> = want.collect();
        let mut found = None;
        for i in 0..segs.len() {
            if !(segs[i].1.eq_ignore_ascii_case("providers")
                && segs.get(i + 1).is_some_and(|n| n.1.eq_ignore_ascii_case(namespace)))
            {
                continue;
            }
            let fits = types
                .iter()
                .enumerate()
                .all(|(k, t)| segs.get(i + 2 + 2 * k).is_some_and(|s| s.1.eq_ignore_ascii_case(t)));
            if fits
                && !types.is_empty()
                && let Some((start, n)) = segs.get(i + 1 + 2 * types.len())
            {
                found = Some(if rest { scope[*start..].to_owned() } else { (*n).to_owned() });
            }
        }
        return found;
    }
    None
}

/// Attribute names compare ASCII case-insensitively, except the key of a tag (`…/tags:Key`), which is exact;
/// the `<$key_case_sensitive$>` marker may be left out.
fn same_name(given: &str, name: &str) -> bool {
    let Some(i) = name.find("/tags:") else { return given.eq_ignore_ascii_case(name) };
    let (prefix, key) = name.split_at(i + "/tags:".len());
    let key = key.strip_suffix("<$key_case_sensitive$>").unwrap_or(key);
    match (given.get(..prefix.len()), given.get(prefix.len()..)) {
        (Some(p), Some(rest)) => {
            p.eq_ignore_ascii_case(prefix) && (rest == key || rest == format!("{key}<$key_case_sensitive$>"))
        }
        _ => false,
    }
}

fn apply(family: Family, test: Test, ignore_case: bool, l: &V, r: &V) -> bool {
    if family == Family::String {
        let (V::S(a), V::S(b)) = (l, r) else { return false };
        let (a, b) = if ignore_case { (a.to_lowercase(), b.to_lowercase()) } else { (a.clone(), b.clone()) };
        return match test {
            Test::Equals => a == b,
            Test::NotEquals => a != b,
            Test::StartsWith => a.starts_with(&b),
            Test::NotStartsWith => !a.starts_with(&b),
            Test::Like => like(&a, &b),
            Test::NotLike => !like(&a, &b),
            _ => false,
        };
    }
    match test {
        Test::Equals => l == r,
        Test::NotEquals => l != r,
        Test::LessThan => l < r,
        Test::LessThanEquals => l <= r,
        Test::GreaterThan => l > r,
        Test::GreaterThanEquals => l >= r,
        _ => false,
    }
}

/// `*` any run, `?` one character, `\*` and `\?` literal: by recursion over characters.
fn like(s: &str, p: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = p.chars().collect();
    fn go(s: &[char], p: &[char]) -> bool {
        match p {
            [] => s.is_empty(),
            ['*', rest @ ..] => (0..=s.len()).any(|k| go(&s[k..], rest)),
            ['?', rest @ ..] => !s.is_empty() && go(&s[1..], rest),
            ['\\', e @ ('*' | '?'), rest @ ..] => s.first() == Some(e) && go(&s[1..], rest),
            [c, rest @ ..] => s.first() == Some(c) && go(&s[1..], rest),
        }
    }
    go(&s, &p)
}
