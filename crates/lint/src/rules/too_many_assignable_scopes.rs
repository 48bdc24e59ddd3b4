//! RL106: more than 2,000 assignable scopes.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL106",
    name: "too-many-assignable-scopes",
    severity: Severity::Error,
    family: Family::Reject,
    doc: DOC,
    check,
};

/// Azure's limit of assignable scopes per custom role.
const LIMIT: usize = 2000;

const DOC: &str = "\
What it flags: a custom role with more than 2,000 AssignableScopes.

Why it matters: that is Azure's limit per custom role; the create call fails.

Example:
    \"AssignableScopes\": [\"/subscriptions/s1\", \"/subscriptions/s2\", ... 2,001 entries]";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let n = cx.role.assignable_scopes.as_ref().map_or(0, |s| s.items().len());
    if !cx.is_custom() || n <= LIMIT {
        return;
    }
    out.push(Hit::new(
        RULE.at(cx, cx.role_span(), format!("{n} assignable scopes; Azure allows {LIMIT}"))
            .with_label("this role")
            .with_help("use a management group or subscriptions above the scopes instead of listing each one"),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl106() {
        let scopes: Vec<String> = (0..2001).map(|i| format!("\"/subscriptions/s{i}\"")).collect();
        let fail = format!(r#"{{"Name": "r", "Actions": [], "AssignableScopes": [{}]}}"#, scopes.join(","));
        let pass = format!(r#"{{"Name": "r", "Actions": [], "AssignableScopes": [{}]}}"#, scopes[..2000].join(","));
        insta::assert_snapshot!(check_rule(&RULE, &[&pass], &[&fail]));
    }
}
