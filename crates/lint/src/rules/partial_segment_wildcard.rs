//! RL307: a wildcard inside a path segment (`start*`).

use rolegate::Severity;
use rolegate::diag::Span;

use super::{Family, Hit, RoleCx, Rule, entries};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL307",
    name: "partial-segment-wildcard",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a `*` that is not a whole path segment: a character other than `/` right before or after it, as
in `Microsoft.Compute/virtualMachines/start*`.

Why it matters: Azure documents only whole-segment wildcards and no built-in role uses another kind; Azure may
reject it, and if it does not, it matches more than it reads (`start*` also matches `startup/...`).

Example:
    \"Actions\": [\"Microsoft.Compute/virtualMachines/start*\"]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for e in entries(cx.role) {
        let Some(p) = e.action.pattern() else { continue };
        let text = p.as_str().as_bytes();
        let partial = text.iter().enumerate().find(|&(i, &b)| {
            b == b'*' && {
                let before = i.checked_sub(1).and_then(|j| text.get(j));
                let after = text.get(i + 1);
                before.is_some_and(|&c| c != b'/') || after.is_some_and(|&c| c != b'/')
            }
        });
        let Some((at, _)) = partial else { continue };
        // Underline the star inside the JSON string when the entry was written without surrounding spaces.
        let lead = e.action.raw.len() - e.action.raw.trim_start().len();
        let span = Span::new(e.action.span.start + 1 + lead + at, e.action.span.start + 2 + lead + at);
        let span = if e.action.span.len() == e.action.raw.len() + 2 { span } else { e.action.span };
        out.push(Hit::new(
            RULE.at(cx, span, format!("`{p}` in `{}` has a wildcard inside a segment", e.key()))
                .with_label("not a whole segment")
                .with_help("use `*` as a whole segment (`.../virtualMachines/*`) or list the operations"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl307() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["*", "*/read", "Microsoft.Compute/*/read", "Microsoft.Compute/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/start*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
