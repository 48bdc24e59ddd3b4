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
//!
//! # What an embedder needs
//!
//! * [`engine::Engine`]: the compiled, immutable snapshot that decides; [`Engine::from_dir`](engine::Engine::from_dir)
//!   loads and compiles a tenant directory in one call, [`Engine::try_new`](engine::Engine::try_new) compiles a
//!   loaded [`Tenant`].
//! * [`engine::Request`]: who, what, where, built with setters ([`engine::PlaneHint`], groups and attributes as
//!   [`engine::Names`] and [`engine::Pairs`]).
//! * [`engine::Decision`]: allowed, denied or not allowed, with the [`engine::Reason`] (its
//!   [`engine::ReasonKind`] and the indices of what decided).
//! * [`engine::ReasonView`], from [`Engine::describe`](engine::Engine::describe): the reason with the tenant's
//!   names, serializable.
//! * [`engine::Explanation`], from [`Engine::explain`](engine::Engine::explain): the whole story, for people
//!   ([`Engine::explanation_text`](engine::Engine::explanation_text)) or as an [`engine::ExplanationView`].
//! * [`engine::WhoCanQuery`] and [`engine::WhatCanQuery`], for [`Engine::who_can`](engine::Engine::who_can) and
//!   [`Engine::what_can`](engine::Engine::what_can): who may perform an operation at a scope (or below it), what
//!   a principal may do there, decided as `check` decides; [`Engine::vocabulary`](engine::Engine::vocabulary),
//!   the operations they range over.
//! * [`load::TenantLoader`]: a tenant from files or `(name, bytes)` pairs; [`load::LoadError`] when anything in
//!   it is fatal.
//! * [`Diagnostic`] and [`Severity`]: every problem found, with its [`diag::codes`] code and place
//!   ([`diag::Span`] in a [`diag::SourceText`]).
//! * [`Tenant`], [`RoleDefinition`] and the rest of [`model`]: what was loaded, spans kept.
//! * [`catalog::Catalog`]: the provider operations and their planes; the shipped one, or your own.
//! * [`matcher::Pattern`]: an `Actions` entry as Azure matches it.
//! * [`scope::Scope`]: a parsed scope and its ancestry ([`scope::parse_scope`]).
//!
//! The module `internals` is hidden and not API: it serves this workspace's linter, binaries and fuzz targets,
//! and may change in any release.

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
pub mod testing;
mod write;

pub use diag::{Diagnostic, Severity};
pub use model::{
    Action, DenyAssignment, Hierarchy, Id, Permission, Principal, RoleAssignment, RoleDefinition, RoleShape, Tenant,
};
