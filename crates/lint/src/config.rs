//! `role-lint.toml`: severity overrides, extra sensitive operations, suppressions with a mandatory reason, and
//! tenant limits.
//!
//! ```toml
//! [severity]
//! RL007 = "error"            # or the rule's name: action-whitespace = "error"
//! RL403 = "allow"            # turns the rule off
//!
//! [sensitive]                # extra operations per category, on top of roles/sensitive data
//! credential-exposure = ["Contoso.Vault/vaults/secrets/export/action"]
//!
//! [[suppress]]
//! code = "RL007"
//! role = "Network Reader"
//! reason = "the trailing space is fixed upstream in INC-1234"
//!
//! [tenant]
//! max-assignments-per-subscription = 4000
//! ```
//!
//! Role JSON has no comments, so suppressions live here (as in cargo-deny and Parliament), keyed by code and
//! role; a suppression without a reason is a config error (exit code 2), and one that matched nothing is itself
//! reported (`RL502`), so stale entries do not pile up.

pub mod schema;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rolegate::diag::{SourceText, Span};
use rolegate::{Diagnostic, Severity};
use serde::Deserialize;
use toml::Spanned;

use crate::rule_meta::{RuleMeta, RuleMetaSource};

/// The file name looked for in the current directory.
pub const FILE_NAME: &str = "role-lint.toml";

/// The codes of the config family (`RL5xx`).
pub mod codes {
    use rolegate::diag::Code;

    /// The config file cannot be used: TOML syntax, an unknown key, a value of the wrong type, an unknown code.
    pub const INVALID_CONFIG: Code = Code { id: "RL500", name: "invalid-config", fatal: true };
    /// A `[[suppress]]` entry without a non-empty `reason`.
    pub const SUPPRESSION_WITHOUT_REASON: Code = Code { id: "RL501", name: "suppression-without-reason", fatal: true };
    /// A `[[suppress]]` entry that matched no finding.
    pub const UNUSED_SUPPRESSION: Code = Code { id: "RL502", name: "unused-suppression", fatal: false };
    /// The `--baseline` file is not a role-lint JSON report.
    pub const INVALID_BASELINE: Code = Code { id: "RL503", name: "invalid-baseline", fatal: true };
}

/// Metadata of the config family.
pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        code: codes::INVALID_CONFIG.id,
        name: codes::INVALID_CONFIG.name,
        default_severity: Severity::Error,
        tags: &["config"],
        summary: "The config file cannot be used.",
        help: "TOML syntax, an unknown key, a value of the wrong type, or an unknown or unconfigurable code in \
               role-lint.toml. role-lint stops with exit code 2 rather than run with a config it does not understand.",
    },
    RuleMeta {
        code: codes::SUPPRESSION_WITHOUT_REASON.id,
        name: codes::SUPPRESSION_WITHOUT_REASON.name,
        default_severity: Severity::Error,
        tags: &["config"],
        summary: "A suppression has no reason.",
        help: "Every [[suppress]] entry needs a non-empty `reason`, so that a reviewer can tell an accepted risk \
               from a silenced one. role-lint stops with exit code 2.",
    },
    RuleMeta {
        code: codes::UNUSED_SUPPRESSION.id,
        name: codes::UNUSED_SUPPRESSION.name,
        default_severity: Severity::Warning,
        tags: &["config"],
        summary: "A suppression matched no finding.",
        help: "The finding it was written for is gone (fixed, renamed role, changed code). Remove the entry so that \
               it cannot hide a future finding by accident.",
    },
    RuleMeta {
        code: codes::INVALID_BASELINE.id,
        name: codes::INVALID_BASELINE.name,
        default_severity: Severity::Error,
        tags: &["config"],
        summary: "The baseline is not a role-lint JSON report.",
        help: "--baseline takes the output of `role-lint --format json` from an earlier run (exit code 2 otherwise).",
    },
];

/// Azure's limit of role assignments per subscription (management-group assignments excluded).
pub const DEFAULT_MAX_ASSIGNMENTS_PER_SUBSCRIPTION: usize = 4000;
/// Azure's limit of role assignments per management group.
pub const DEFAULT_MAX_ASSIGNMENTS_PER_MANAGEMENT_GROUP: usize = 500;

/// Limits the tenant family checks against; configurable because Azure's documentation has quoted different
/// numbers over time (4,000 and 5,000 per subscription).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantLimits {
    /// Role assignments per subscription, at the subscription and below.
    pub max_assignments_per_subscription: usize,
    /// Role assignments per management group, at the management group itself.
    pub max_assignments_per_management_group: usize,
}

impl Default for TenantLimits {
    fn default() -> Self {
        TenantLimits {
            max_assignments_per_subscription: DEFAULT_MAX_ASSIGNMENTS_PER_SUBSCRIPTION,
            max_assignments_per_management_group: DEFAULT_MAX_ASSIGNMENTS_PER_MANAGEMENT_GROUP,
        }
    }
}

/// One `[[suppress]]` entry.
#[derive(Clone, Debug)]
pub struct Suppression {
    /// The code it suppresses (canonical id, `RL007`).
    pub code: &'static str,
    /// The role it applies to (display name or id, ASCII case-insensitive).
    pub role: String,
    /// Why; never empty.
    pub reason: String,
    /// The entry in the config file.
    pub span: Span,
}

/// A parsed, validated config. [`Config::default`] is "no config file".
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from.
    pub source: Option<Arc<SourceText>>,
    /// Severity per code (canonical id); `None` means `"allow"`: the rule is off.
    pub severity: BTreeMap<&'static str, Option<Severity>>,
    /// Extra sensitive operations: category → action patterns, for the sensitive-operation rules.
    pub sensitive: HashMap<String, Vec<String>>,
    /// Suppressions, in file order.
    pub suppressions: Vec<Suppression>,
    /// Limits for `--tenant`.
    pub tenant: TenantLimits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    sensitive: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    suppress: Vec<Spanned<RawSuppression>>,
    #[serde(default)]
    tenant: Option<RawTenant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    code: Spanned<String>,
    role: Spanned<String>,
    reason: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTenant {
    max_assignments_per_subscription: Option<Spanned<i64>>,
    max_assignments_per_management_group: Option<Spanned<i64>>,
}

fn span(r: std::ops::Range<usize>) -> Span {
    Span::new(r.start, r.end)
}

impl Config {
    /// The codes the config turns off (`"allow"`), for [`crate::LintOptions::disabled_rules`].
    pub fn disabled_rules(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.severity.iter().filter(|(_, level)| level.is_none()).map(|(code, _)| *code)
    }

    /// Parses and validates a config file. Every problem comes back (all are fatal: exit code 2); codes are
    /// checked against `rules`, so that a typo does not silently configure nothing.
    pub fn parse(name: &str, text: &str, rules: &dyn RuleMetaSource) -> Result<Config, Vec<Diagnostic>> {
        let src = Arc::new(SourceText::new(name, text));
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', "; ");
            let mut d = Diagnostic::error(codes::INVALID_CONFIG, format!("invalid config: {message}"))
                .with_help("see `role-lint --help` for the config keys: severity, sensitive, suppress, tenant");
            d = match e.span() {
                Some(r) => d.at(&src, span(r)),
                None => d.in_file(&src),
            };
            vec![d]
        })?;
        let mut errors = Vec::new();
        let mut config = Config { source: Some(Arc::clone(&src)), ..Config::default() };

        for (key, value) in &raw.severity {
            let Some(meta) = configurable(&src, rules, key, &mut errors) else { continue };
            let level = match value.get_ref().to_ascii_lowercase().as_str() {
                "allow" => None,
                "note" => Some(Severity::Note),
                "warning" | "warn" => Some(Severity::Warning),
                "error" | "deny" => Some(Severity::Error),
                _ => {
                    errors.push(
                        Diagnostic::error(
                            codes::INVALID_CONFIG,
                            format!("unknown severity `{}` for `{}`", value.get_ref(), meta.code),
                        )
                        .at(&src, span(value.span()))
                        .with_label("not a severity")
                        .with_help("use one of \"error\", \"warning\", \"note\", \"allow\" (off)"),
                    );
                    continue;
                }
            };
            config.severity.insert(meta.code, level);
        }

        for (category, patterns) in &raw.sensitive {
            let mut list = Vec::new();
            for p in patterns {
                if p.get_ref().trim().is_empty() {
                    errors.push(
                        Diagnostic::error(codes::INVALID_CONFIG, "empty sensitive operation")
                            .at(&src, span(p.span()))
                            .with_help(
                                "write an operation such as `Microsoft.Storage/storageAccounts/listKeys/action`",
                            ),
                    );
                    continue;
                }
                list.push(p.get_ref().clone());
            }
            config.sensitive.entry(category.get_ref().clone()).or_default().extend(list);
        }

        for entry in &raw.suppress {
            let s = entry.get_ref();
            // toml spans an array-of-tables entry by its `[[suppress]]` header; extend it over the entry's keys.
            let end = [Some(s.code.span().end), Some(s.role.span().end), s.reason.as_ref().map(|r| r.span().end)]
                .into_iter()
                .flatten()
                .fold(entry.span().end, usize::max);
            let entry_span = Span::new(entry.span().start, end);
            let reason = s.reason.as_ref().map(|r| r.get_ref().trim()).unwrap_or_default();
            if reason.is_empty() {
                let at = s.reason.as_ref().map_or(entry_span, |r| span(r.span()));
                errors.push(
                    Diagnostic::error(
                        codes::SUPPRESSION_WITHOUT_REASON,
                        format!("suppression of `{}` for role `{}` has no reason", s.code.get_ref(), s.role.get_ref()),
                    )
                    .at(&src, at)
                    .with_label(if s.reason.is_some() { "empty reason" } else { "this entry" })
                    .with_help("add `reason = \"...\"`: why the finding is acceptable, and until when"),
                );
            }
            let Some(meta) = configurable(&src, rules, &s.code, &mut errors) else { continue };
            if s.role.get_ref().trim().is_empty() {
                errors.push(
                    Diagnostic::error(codes::INVALID_CONFIG, "suppression with an empty `role`")
                        .at(&src, span(s.role.span()))
                        .with_help("name the role by its display name or id"),
                );
                continue;
            }
            config.suppressions.push(Suppression {
                code: meta.code,
                role: s.role.get_ref().clone(),
                reason: reason.to_owned(),
                span: entry_span,
            });
        }

        if let Some(t) = &raw.tenant {
            let mut limit = |v: &Option<Spanned<i64>>, slot: &mut usize| {
                let Some(v) = v else { return };
                match usize::try_from(*v.get_ref()) {
                    Ok(n) if n > 0 => *slot = n,
                    _ => errors.push(
                        Diagnostic::error(codes::INVALID_CONFIG, format!("invalid limit `{}`", v.get_ref()))
                            .at(&src, span(v.span()))
                            .with_help("a limit is a positive number of assignments"),
                    ),
                }
            };
            limit(&t.max_assignments_per_subscription, &mut config.tenant.max_assignments_per_subscription);
            limit(&t.max_assignments_per_management_group, &mut config.tenant.max_assignments_per_management_group);
        }

        if errors.is_empty() {
            Ok(config)
        } else {
            // In file order, whatever section found them.
            errors.sort_by_key(|d| d.span.map(|s| s.start));
            Err(errors)
        }
    }
}

/// The metadata of a code named in the config, or an error: unknown codes, and codes that decide whether the
/// input can be used at all (fatal load codes), cannot be configured.
fn configurable(
    src: &Arc<SourceText>,
    rules: &dyn RuleMetaSource,
    key: &Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<RuleMeta> {
    let at = span(key.span());
    let Some(meta) = rules.find_rule(key.get_ref().trim()) else {
        errors.push(
            Diagnostic::error(codes::INVALID_CONFIG, format!("unknown code `{}`", key.get_ref()))
                .at(src, at)
                .with_label("no such rule")
                .with_help(
                    "use a code such as `RL007` or its name; `role-lint --help` lists where codes are documented",
                ),
        );
        return None;
    };
    let fatal = rolegate::diag::codes::find(meta.code).is_some_and(|c| c.fatal)
        || RULES.iter().any(|r| r.code == meta.code && r.default_severity == Severity::Error);
    if fatal {
        errors.push(
            Diagnostic::error(codes::INVALID_CONFIG, format!("`{}` ({}) cannot be configured", meta.code, meta.name))
                .at(src, at)
                .with_label("not configurable")
                .with_help("this code means the input cannot be used at all; fix the input instead"),
        );
        return None;
    }
    Some(meta)
}
