//! What the `rolegate` and `role-lint` binaries need beyond the library crates: the network I/O the libraries do
//! not do: [`jwks`], the gateway's signing keys fetched over HTTPS and refreshed in the background, and [`serve`],
//! the authorization server behind `rolegate serve`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use rolegate_cli::jwks::{HttpKeySource, spawn_refresh};
//! use rolegate_gateway::identity::{TokenConfig, Validator};
//!
//! let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
//! let source = HttpKeySource::for_tenant(tenant)?;
//! let validator = Arc::new(Validator::with_source(TokenConfig::new(tenant, ["https://management.azure.com"]), Box::new(source))?);
//! // Keys rotate: fetch them again every hour; the thread stops when `refresh` is dropped.
//! let refresh = spawn_refresh(Arc::clone(&validator), Duration::from_secs(3600));
//! # drop(refresh);
//! # Ok::<(), String>(())
//! ```

pub mod access;
pub mod import;
pub mod jwks;
pub mod serve;
