//! The shape of a code's metadata ([`RuleMeta`]) and where it comes from ([`RuleMetaSource`]). A leaf: the
//! tenant and config families and the rule registry write their tables in these types, and `meta::KnownRules`
//! gathers the tables from above them, so that `meta`, `config`, `report` and `tenant` import one way only.

use rolegate::Severity;

/// Metadata of one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code, e.g. `RL401`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `assignment-outside-assignable-scopes`.
    pub name: &'static str,
    /// Severity when no config overrides it.
    pub default_severity: Severity,
    /// Family tags (`load`, `tenant`, `config`; a rule registry adds e.g. `security`), shown as SARIF rule tags
    /// (GitHub code scanning filters and classifies alerts by them).
    pub tags: &'static [&'static str],
    /// One line: what the code flags.
    pub summary: &'static str,
    /// Longer text: why it matters and how to fix it.
    pub help: &'static str,
}

/// Answers "what is this code?" for reports and config validation.
pub trait RuleMetaSource {
    /// Metadata of `code` (matched ASCII case-insensitively), if the source defines it.
    fn rule_meta(&self, code: &str) -> Option<RuleMeta>;

    /// Every code the source defines, in code order (for `--explain` listings and config suggestions).
    fn all_rules(&self) -> Vec<RuleMeta>;

    /// Finds a code by its id or kebab-case name.
    fn find_rule(&self, key: &str) -> Option<RuleMeta> {
        self.rule_meta(key).or_else(|| self.all_rules().into_iter().find(|m| m.name.eq_ignore_ascii_case(key)))
    }
}

/// Chains two sources: the first one that knows a code answers.
impl<A: RuleMetaSource, B: RuleMetaSource> RuleMetaSource for (A, B) {
    fn rule_meta(&self, code: &str) -> Option<RuleMeta> {
        self.0.rule_meta(code).or_else(|| self.1.rule_meta(code))
    }

    fn all_rules(&self) -> Vec<RuleMeta> {
        let mut all = self.0.all_rules();
        for m in self.1.all_rules() {
            if !all.iter().any(|a| a.code == m.code) {
                all.push(m);
            }
        }
        all.sort_by_key(|m| m.code);
        all
    }
}
