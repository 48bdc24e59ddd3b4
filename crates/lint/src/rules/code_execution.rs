//! RL205: the role effectively grants operations of the `code-execution` category.

use rolegate::Severity;

use super::{Family, Hit, RoleCx, Rule};
use crate::options::Category;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL205",
    name: "code-execution",
    severity: Severity::Warning,
    family: Family::Security,
    doc: DOC,
    check,
};

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    super::category::check(&RULE, Category::CodeExecution, cx, out);
}

const DOC: &str = "\
What it flags: an entry that effectively grants running code on compute: `virtualMachines/runCommand/action`,
`runCommands/write`, VM and scale-set `extensions/write`, AKS `runCommand/action`, Automation runbooks and jobs.

Why it matters: the code runs as SYSTEM or root on the machine and with the machine's managed identity, so the
holder gets everything that identity can do (BloodHound's AZExecuteCommand edge).

Example:
    \"Actions\": [\"Microsoft.Compute/virtualMachines/*\"]";

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::RULE;

    #[test]
    fn rl205() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/restart/action"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/*"], "NotActions": ["Microsoft.Compute/virtualMachines/extensions/*"], "AssignableScopes": ["/subscriptions/s1"]}"#
            ],
        ));
    }
}
