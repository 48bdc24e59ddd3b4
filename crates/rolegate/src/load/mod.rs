//! Loaders: JSON files of every shape people have on disk, mapped to the [model](crate::model) by hand so
//! that every problem keeps its exact span.
//!
//! Each loader collects diagnostics instead of stopping at the first problem. A diagnostic whose code is
//! fatal ([`Diagnostic::is_fatal`]) means the file could not be read as the shape it claims; the engine then
//! refuses the whole input, while the linter still reports everything found.

mod assignments;
mod catalog_json;
// `pub(crate)` where `crate::internals` re-exports a piece for role-lint, the binaries and the fuzz targets.
pub(crate) mod classify;
mod deny;
pub(crate) mod file;
mod groups;
mod hierarchy;
mod list;
pub(crate) mod reader;
pub(crate) mod roles;
pub(crate) mod source;
mod suggest;
mod tenant;

pub use assignments::load_assignments;
pub use catalog_json::load_operation_list;
pub use deny::load_deny_assignments;
pub use file::DEFAULT_MAX_FILE_BYTES;
pub use groups::load_groups;
pub use hierarchy::load_hierarchy;
pub use roles::load_roles;
pub use tenant::{LoadError, TenantFile, TenantLoader};

pub(crate) use list::{load_list, scope_of_extension_id, top_level_items};
pub(crate) use reader::{KeySpec, Reader, is_template_expression};
pub(crate) use roles::load_roles_from_value;
pub(crate) use source::{json_diagnostic, parse_source};

use crate::diag::Diagnostic;

/// The result of loading one input: what could be read, and every problem found.
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// What was read. When [`Loaded::is_fatal`] is true it must not be used to decide anything.
    pub value: T,
    /// Every problem, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Loaded<T> {
    /// Whether any diagnostic makes the input unusable for the engine.
    pub fn is_fatal(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_fatal)
    }

    /// The value if nothing fatal was found, else the diagnostics.
    pub fn into_result(self) -> Result<(T, Vec<Diagnostic>), Vec<Diagnostic>> {
        if self.is_fatal() { Err(self.diagnostics) } else { Ok((self.value, self.diagnostics)) }
    }
}
