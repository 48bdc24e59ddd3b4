//! rolegate-gateway: what stands between an HTTP request and a rolegate decision, without a transport:
//! [`map`] (ARM requests to operations and scopes), [`identity`] (Entra ID tokens), [`Gateway`] (decisions over a
//! swappable tenant snapshot) and [`ml`] (Azure ML online endpoints: keys, `aml_token`s, credential routes).
//!
//! ```
//! use rolegate_gateway::map::{map, Operation};
//!
//! // The query string never becomes part of the scope.
//! let t = map("GET", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01")?;
//! assert_eq!(t.action, "Microsoft.Storage/storageAccounts/read");
//! assert_eq!(t.scope, "/subscriptions/s1/resourceGroups/rg");
//! // A POST is found in the catalog: checkNameAvailability is a read there.
//! let t = map("POST", "/subscriptions/s1/providers/Microsoft.Storage/checkNameAvailability")?;
//! assert_eq!((t.action.as_str(), t.operation), ("Microsoft.Storage/checknameavailability/read", Operation::Known));
//! // A `%` escape is refused, never decoded into another resource.
//! assert!(map("DELETE", "/subscriptions/s1/resourceGroups/rg%2F..%2Fprod").is_err());
//! # Ok::<(), rolegate_gateway::map::MapError>(())
//! ```

#![forbid(unsafe_code)]

mod gateway;
pub mod identity;
pub mod map;
pub mod ml;

pub use gateway::{DecidedBy, Gateway, HttpRequest, Identify, Outcome, Verdict};

/// The README's Rust examples run as doctests here, in the crate that sees both the engine and the gateway, so
/// the first screen a newcomer reads cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
