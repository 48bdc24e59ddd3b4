//! What the linter finds in conditions beyond syntax and types (those are the loader's RL019): expressions
//! whose value never depends on the request, and `ActionMatches` guards that name nothing the grant covers.
//! Shared by the role rules (permission-block conditions) and the tenant rules (assignment conditions).

use rolegate::condition::{
    AttrType, Condition, Context, ExprKind, Family, LiteralValue, Operand, Quantifier, Test, Tri, attribute_type,
};
use rolegate::diag::{SourceText, Span};
use rolegate::matcher::Pattern;

/// A problem at `span` of the condition text.
pub(crate) struct ConditionHit {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// The span in the file of `span` inside the condition whose JSON string token is at `token`.
pub(crate) fn file_span(source: &SourceText, token: Span, span: Span) -> Span {
    let rel = rolegate::internals::json::decoded_to_source(source.slice(token), span);
    Span::new(token.start + rel.start, token.start + rel.end)
}

/// Sub-expressions that are always true (a restriction that restricts nothing) or never true (a grant that can
/// never be used), whatever the request.
pub(crate) fn constant_parts(c: &Condition) -> Vec<ConditionHit> {
    let mut out = Vec::new();
    for e in c.expr().nodes() {
        let ExprKind::Compare(cmp) = &e.kind else { continue };
        let text = c.text().get(e.span.start..e.span.end).unwrap_or_default();
        let (attr, list) = match (&cmp.left, &cmp.right) {
            (Operand::Attribute(a), Operand::List(items, _)) | (Operand::List(items, _), Operand::Attribute(a)) => {
                (a, items)
            }
            (Operand::Attribute(_), _) | (_, Operand::Attribute(_)) => continue,
            // No attribute on either side: the value is fixed. Evaluate it with an empty request.
            _ => {
                let value = Condition::parse(text).map(|only| only.evaluate(&Context::new("", "/")).value);
                if let Ok(v @ (Tri::True | Tri::False)) = value {
                    let always = v == Tri::True;
                    out.push(ConditionHit {
                        span: e.span,
                        message: format!(
                            "`{text}` compares constants: it is always {}",
                            if always { "true" } else { "false" }
                        ),
                        label: if always { "always true" } else { "always false" }.to_owned(),
                        help: "compare an attribute (`@Resource[…]`, `@Request[…]`) with the values".to_owned(),
                    });
                }
                continue;
            }
        };
        // Only attributes documented as single-valued: for those, the quantifier's left side is one value.
        let scalar = attribute_type(attr.source, attr.name.trim()).is_some_and(|t| t != AttrType::StringList);
        let family_eq = matches!(cmp.op.family, Family::String | Family::Numeric | Family::Guid);
        if !scalar || !family_eq || distinct(list, cmp.op.ignore_case) < 2 {
            continue;
        }
        let Some(q) = cmp.op.quantifier else { continue };
        let attribute_left = matches!(cmp.left, Operand::Attribute(_));
        // With one value on the attribute side, "any of" and "all of" over it coincide.
        let over_list_any = matches!(
            (q, attribute_left),
            (Quantifier::AnyOfAny | Quantifier::AllOfAny, true) | (Quantifier::AnyOfAny | Quantifier::AnyOfAll, false)
        );
        let name = cmp.op.name();
        let (always, why, fix) = match (cmp.op.test, over_list_any) {
            // One value differs from at least one of two different values.
            (Test::NotEquals, true) => (
                true,
                format!(
                    "`{}:{name}` with {} different values is true for every value of `{attr}`",
                    q.as_str(),
                    list.len()
                ),
                format!(
                    "to mean \"none of these\", write `{}:{name}`",
                    if attribute_left { Quantifier::AnyOfAll } else { Quantifier::AllOfAny }.as_str()
                ),
            ),
            // One value cannot equal every one of two different values.
            (Test::Equals, false) => (
                false,
                format!(
                    "`{}:{name}` with {} different values is false for every value of `{attr}`",
                    q.as_str(),
                    list.len()
                ),
                format!("to mean \"one of these\", write `{}:{name}`", Quantifier::AnyOfAny.as_str()),
            ),
            _ => continue,
        };
        out.push(ConditionHit {
            span: cmp.op.span,
            message: format!("{why}: the expression is always {}", if always { "true" } else { "false" }),
            label: if always { "always true" } else { "never true" }.to_owned(),
            help: fix,
        });
    }
    out
}

/// How many different literal values a list holds.
fn distinct(list: &[rolegate::condition::Literal], ignore_case: bool) -> usize {
    let mut seen: Vec<String> = Vec::new();
    for l in list {
        let key = match &l.value {
            LiteralValue::Str(s) if ignore_case => s.to_lowercase(),
            LiteralValue::Str(s) => s.clone(),
            LiteralValue::Int(i) => i.to_string(),
            LiteralValue::Bool(b) => b.to_string(),
            LiteralValue::Guid(g) => g.to_string(),
        };
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen.len()
}

/// `ActionMatches{'…'}` guards whose pattern overlaps none of `grants`: the guard never applies, so the
/// expression it protects never runs (often a typo in the action, or a guard copied from another role).
pub(crate) fn dead_guards(c: &Condition, grants: &[&Pattern]) -> Vec<ConditionHit> {
    let mut out = Vec::new();
    for e in c.expr().nodes() {
        let ExprKind::ActionMatches(s) = &e.kind else { continue };
        let guard = Pattern::new(&s.value);
        if grants.iter().any(|g| g.intersects(&guard)) {
            continue;
        }
        out.push(ConditionHit {
            span: s.span,
            message: format!("the condition guards `{}`, which this grant does not include", s.value),
            label: "matches nothing granted".to_owned(),
            help: "check the action's spelling; a guard on an action that is not granted never applies".to_owned(),
        });
    }
    out
}

/// Parses a condition for analysis; `None` when it does not parse (RL019 reports that).
pub(crate) fn parsed(text: &str) -> Option<Condition> {
    Condition::parse(text).ok()
}
