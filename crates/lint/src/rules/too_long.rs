//! RL109: a name over 512 or a description over 2,048 characters.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};

/// The rule.
pub(crate) const RULE: Rule =
    Rule { code: "RL109", name: "too-long", severity: Severity::Error, family: Family::Reject, doc: DOC, check };

const NAME_LIMIT: usize = 512;
const DESCRIPTION_LIMIT: usize = 2048;

const DOC: &str = "\
What it flags: a custom role whose name is longer than 512 characters or whose description is longer than
2,048 characters.

Why it matters: those are Azure's limits for custom roles; the create call fails.

Example:
    {\"Name\": \"Reader for ... (600 characters)\", ...}";

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() {
        return;
    }
    for (what, value, limit) in
        [("name", &cx.role.name, NAME_LIMIT), ("description", &cx.role.description, DESCRIPTION_LIMIT)]
    {
        let Some(v) = value else { continue };
        let n = v.value.chars().count();
        if n > limit {
            out.push(Hit::new(
                RULE.at(cx, v.span, format!("the role's {what} has {n} characters; Azure allows {limit}"))
                    .with_label(format!("{n} characters"))
                    .with_help(format!("shorten the {what}")),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl109() {
        let long = "x".repeat(513);
        let fail = format!(r#"{{"Name": "{long}", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}}"#);
        let pass = format!(r#"{{"Name": "{}", "Actions": [], "AssignableScopes": ["/subscriptions/s1"]}}"#, &long[1..]);
        insta::assert_snapshot!(check_rule(&RULE, &[&pass], &[&fail]));
    }
}
