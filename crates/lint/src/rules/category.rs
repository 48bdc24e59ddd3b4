//! The shared logic of the sensitive-category rules (RL203–RL209): each reports the entries that effectively
//! grant operations of its category, after the block's exclusions, with the operations named.

use super::{Hit, RoleCx, Rule, short_list};
use crate::options::Category;

/// Reports every grant entry of the role that reaches operations of `category`.
pub(crate) fn check(rule: &Rule, category: Category, cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    let sensitive = cx.analysis.sensitive();
    for grant in cx.grants() {
        let ops = cx.analysis.sensitive_ops(grant, category);
        if ops.is_empty() {
            continue;
        }
        let entry = grant.action.pattern().map_or(grant.action.raw.as_str(), |p| p.as_str());
        let what = if ops.len() == 1 { "operation" } else { "operations" };
        let condition = if grant.conditional { " (when its block's condition holds)" } else { "" };
        let message = if ops.len() == 1 && ops.iter().all(|o| o.eq_ignore_ascii_case(entry)) {
            format!("`{entry}` in `{}` is {}{condition}", grant.plane.grant_key(), category.words())
        } else {
            // Name the operations by what follows the entry's literal prefix: `listkeys/action`.
            let prefix = grant.action.pattern().map_or(0, |p| p.literal_prefix().len());
            let short: Vec<String> =
                ops.iter().map(|o| o.get(prefix..).filter(|t| !t.is_empty()).unwrap_or(o).to_owned()).collect();
            format!(
                "`{entry}` in `{}` grants {}{condition}: {}",
                grant.plane.grant_key(),
                category.words(),
                short_list(&short, 3)
            )
        };
        let help = format!(
            "{}; grant it only where it is needed (a narrower role, scope or condition) or exclude it with `{}`; \
             if it is intended, suppress {} for this role with a reason",
            sensitive.description(category),
            grant.plane.exclusion_key(),
            rule.code,
        );
        out.push(
            Hit::new(
                rule.at(cx, grant.action.span, message)
                    .with_label(format!("{} {what} of {}", ops.len(), category.words()))
                    .with_help(help),
            )
            .with_operations(ops),
        );
    }
}
