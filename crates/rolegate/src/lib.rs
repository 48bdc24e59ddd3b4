//! rolegate: Azure RBAC, exactly — the tenant model, loaders with pinpoint diagnostics, the action matcher
//! and the operation catalog that the engine and the linter share.
//!
//! ```
//! use rolegate::load::load_roles;
//! use rolegate::matcher::Pattern;
//!
//! // Load a role in any of the five shapes people have on disk (here: `az role definition create` input).
//! let loaded = load_roles("scoring.json", br#"{
//!   "Name": "Custom role for scoring - online endpoint",
//!   "IsCustom": true,
//!   "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action"],
//!   "AssignableScopes": ["/subscriptions/<subscriptionId>/resourcegroups/<resourceGroupName>"]
//! }"#);
//! assert!(loaded.diagnostics.is_empty());
//! let role = &loaded.value[0];
//!
//! // The wildcard grants more than scoring: it also matches listKeys (ASCII case-insensitively).
//! let action = &role.permissions[0].actions.items()[0];
//! assert!(action.matches("Microsoft.MachineLearningServices/workspaces/onlineendpoints/listkeys/action"));
//!
//! // `/*/` may match a single `/` (semantics §2.4), and only ASCII letters fold.
//! assert!(Pattern::new("Microsoft.X/workspaces/*/read").matches("microsoft.x/workspaces/read"));
//! assert!(!Pattern::new("Microsoft.X/read").matches("Microſoft.X/read"));
//! ```
//!
//! Bad input never panics: it becomes a [`diag::Diagnostic`] with file, line, column and the offending text,
//! and a tenant with a fatal problem is not loaded at all ([`load::TenantLoader::build`]).

#![forbid(unsafe_code)]

pub mod action;
pub mod builtin;
pub mod catalog;
pub mod condition;
pub mod diag;
pub mod engine;
#[doc(hidden)]
pub mod internals;
mod json;
mod lists;
pub mod load;
pub mod matcher;
pub mod model;
pub mod schema;
pub mod scope;
mod span;
mod swar;
mod write;

pub use diag::{Diagnostic, Severity};
pub use model::{
    Action, DenyAssignment, Hierarchy, Id, Permission, Principal, RoleAssignment, RoleDefinition, RoleShape, Tenant,
};
