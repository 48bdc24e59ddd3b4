//! The JSON Schema of `role-lint.toml` in its canonical spelling (semantics §5), for editors: TOML language servers
//! read JSON Schemas. `schemas/role-lint.schema.json` is the committed copy; a test fails when it is stale.

#![allow(missing_docs)] // The fields are documented through the schema descriptions below.

use std::collections::BTreeMap;

use schemars::{JsonSchema, schema_for};
use serde::Deserialize;

/// role-lint configuration (`role-lint.toml`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Severity per code (`RL007`) or rule name (`action-whitespace`); `allow` turns the rule off. Codes that
    /// mean the input cannot be used at all (fatal load codes) cannot be configured.
    #[serde(default)]
    pub severity: BTreeMap<String, Level>,
    /// Extra sensitive operations per category (`credential-exposure`, `privilege-escalation`, ...), on top of
    /// the shipped lists.
    #[serde(default)]
    pub sensitive: BTreeMap<String, Vec<String>>,
    /// Suppressions: one code for one role, each with a reason. One that matches nothing is reported (RL502).
    #[serde(default)]
    pub suppress: Vec<Suppress>,
    /// Limits for `role-lint --tenant`.
    #[serde(default)]
    pub tenant: Option<Tenant>,
}

/// A severity, or `allow` (off).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
    Allow,
}

/// One suppression.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppress {
    /// The code (`RL403`) or rule name.
    pub code: String,
    /// The role's display name or id (ASCII case-insensitive).
    #[schemars(length(min = 1))]
    pub role: String,
    /// Why the finding is acceptable; mandatory and not empty.
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// Assignment limits (Azure's documented numbers are the defaults).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tenant {
    /// Role assignments per subscription, at the subscription and below (default 4000).
    #[schemars(range(min = 1))]
    pub max_assignments_per_subscription: Option<u64>,
    /// Role assignments at one management group (default 500).
    #[schemars(range(min = 1))]
    pub max_assignments_per_management_group: Option<u64>,
}

/// The schema, as committed under `schemas/role-lint.schema.json`.
pub fn schema() -> serde_json::Value {
    schema_for!(ConfigFile).to_value()
}
