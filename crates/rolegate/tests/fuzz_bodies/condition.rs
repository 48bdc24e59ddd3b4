//! The body of the `condition` fuzz target, shared with its replay test: arbitrary text through the condition
//! parser, type checker and evaluator.
//!
//! The input is the condition text up to the first 0 byte; after it, optional request fields separated by 0
//! bytes: action, scope, sub-operation, then `key=value` attributes. Inputs that are not UTF-8 are skipped.
//!
//! Asserts: nothing panics; every error's spans lie within the text on character boundaries; an accepted
//! condition prints to text that parses to the same tree (spans aside) and is accepted again, and both evaluate
//! to the same value in every context; `analyze` agrees with `evaluate`; the deciding node exists.

use rolegate::condition::{
    Analysis, Condition, Context, DateTime, Evaluation, Expr, ExprKind, Literal, Operand, Tri, parse,
};
use rolegate::diag::Span;

/// Fixed contexts, so that most inputs are evaluated against attributes a condition is likely to name.
const ACTIONS: [&str; 3] = [
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.A/x/read",
    "microsoft.a/X/go/action",
];
const SCOPE: &str = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1/blobs/dir/a.txt";
const ATTRIBUTES: [(&str, &str); 6] = [
    ("tag", "ok"),
    ("level", "5"),
    ("level", "7"),
    ("@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project]", "Cascade"),
    ("@Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Eng_Team]", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
    ("@Environment[UtcNow]", "2025-06-01T00:00:00Z"),
];

/// Runs one input; panics on a broken invariant.
pub fn run(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let mut fields = input.split('\0');
    let text = fields.next().unwrap_or_default();
    let action = fields.next();
    let scope = fields.next();
    let sub_operation = fields.next().filter(|s| !s.is_empty());
    let pairs: Vec<(&str, &str)> = fields.map(|kv| kv.split_once('=').unwrap_or((kv, ""))).collect();

    let condition = match Condition::parse(text) {
        Ok(c) => c,
        Err(errors) => {
            assert!(!errors.is_empty(), "{text:?} is rejected with no error");
            for e in errors {
                check_span(text, e.span, &e.message);
                if let Some(related) = &e.related {
                    check_span(text, related.0, &e.message);
                }
                let _ = e.with_source(text).to_string();
            }
            return;
        }
    };

    let printed = condition.to_string();
    let reparsed = parse(&printed).unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}, which fails: {e}"));
    assert!(same_tree(&reparsed, condition.expr()), "{text:?} prints as {printed:?}, which parses differently");
    let again = (printed.len() <= rolegate::condition::MAX_LEN).then(|| {
        Condition::parse(&printed).unwrap_or_else(|e| panic!("{text:?} prints as {printed:?}, rejected: {e:?}"))
    });

    let now = DateTime::parse("2025-06-01T00:00:00Z");
    let mut contexts: Vec<Context<'_>> = Vec::new();
    for (i, a) in ACTIONS.iter().enumerate() {
        let attributes = if i == 0 { &ATTRIBUTES[..0] } else { &ATTRIBUTES[..] };
        let sub_operation = (i == 2).then_some("Blob.List");
        contexts.push(Context { action: a, sub_operation, scope: SCOPE, attributes: attributes.into(), now });
    }
    if let Some(action) = action {
        let scope = scope.unwrap_or(SCOPE);
        contexts.push(Context { action, sub_operation, scope, attributes: (&pairs).into(), now });
    }
    let nodes = condition.expr().nodes().len();
    for cx in &contexts {
        let e = condition.evaluate(cx);
        assert!(usize::from(e.decided_by) < nodes, "{text:?}: decided by node {} of {nodes}", e.decided_by);
        let _ = condition.node_text(e.decided_by);
        let analysis = condition.analyze(cx);
        let agrees = matches!(
            (&analysis, e.value),
            (Analysis::True, Tri::True) | (Analysis::False, Tri::False) | (Analysis::Conditional { .. }, Tri::Unknown)
        );
        assert!(agrees, "{text:?} in {cx:?}: evaluate {e:?}, analyze {analysis:?}");
        if let Some(again) = &again {
            let Evaluation { value, .. } = again.evaluate(cx);
            assert_eq!(value, e.value, "{text:?} and its printed form {printed:?} differ in {cx:?}");
        }
    }
}

fn check_span(text: &str, span: Span, what: &str) {
    assert!(span.start <= span.end && span.end <= text.len(), "{what}: span {span:?} outside {text:?}");
    assert!(text.get(span.start..span.end).is_some(), "{what}: span {span:?} not on character boundaries");
}

/// Equal syntax trees, spans aside.
fn same_tree(a: &Expr, b: &Expr) -> bool {
    let literal = |a: &Literal, b: &Literal| a.value == b.value;
    let operand = |a: &Operand, b: &Operand| match (a, b) {
        (Operand::Attribute(a), Operand::Attribute(b)) => a.source == b.source && a.name == b.name,
        (Operand::Literal(a), Operand::Literal(b)) => literal(a, b),
        (Operand::List(a, _), Operand::List(b, _)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| literal(a, b)),
        _ => false,
    };
    match (&a.kind, &b.kind) {
        (ExprKind::And(a), ExprKind::And(b)) | (ExprKind::Or(a), ExprKind::Or(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_tree(a, b))
        }
        (ExprKind::Not(a), ExprKind::Not(b)) => same_tree(a, b),
        (ExprKind::ActionMatches(a), ExprKind::ActionMatches(b))
        | (ExprKind::SubOperationMatches(a), ExprKind::SubOperationMatches(b)) => a.value == b.value,
        (ExprKind::Exists(a), ExprKind::Exists(b)) => a.source == b.source && a.name == b.name,
        (ExprKind::Compare(a), ExprKind::Compare(b)) => {
            operand(&a.left, &b.left)
                && operand(&a.right, &b.right)
                && (a.op.quantifier, a.op.family, a.op.test, a.op.ignore_case)
                    == (b.op.quantifier, b.op.family, b.op.test, b.op.ignore_case)
        }
        _ => false,
    }
}
