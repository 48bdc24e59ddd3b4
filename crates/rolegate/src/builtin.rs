//! The data shipped in `roles/`: the 928 built-in role definitions, the operation catalog and their dates.
//! Embedded in the binary so that the tools run anywhere without a data directory.

use std::sync::{Arc, OnceLock};

use crate::diag::Diagnostic;
use crate::json::{self, Kind};
use crate::load::{Loaded, load_roles};
use crate::model::RoleDefinition;
use crate::span::SourceText;

/// `roles/builtin-roles.json`: every Azure built-in role, as `az role definition list` prints them.
pub const ROLES_JSON: &str = include_str!("../../../roles/builtin-roles.json");
/// `roles/operations.tsv`: the provider-operation catalog.
pub const OPERATIONS_TSV: &str = include_str!("../../../roles/operations.tsv");
/// `roles/snapshot.json`: provenance and dates of the two files above.
pub const SNAPSHOT_JSON: &str = include_str!("../../../roles/snapshot.json");
/// The name the built-in roles file is shown under in diagnostics.
pub const ROLES_FILE: &str = "roles/builtin-roles.json";

/// Provenance of the shipped data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Where the data came from.
    pub source: String,
    /// Date of the role snapshot.
    pub roles_date: String,
    /// Date of the operation catalog.
    pub catalog_date: String,
}

/// The provenance record of the shipped data.
pub fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let mut s = Snapshot::default();
        if let Ok(v) = json::parse(SNAPSHOT_JSON)
            && let Kind::Object(members) = &v.kind
        {
            for m in members {
                let val = m.value.as_str().unwrap_or_default().to_owned();
                match m.key.as_str() {
                    "source" => s.source = val,
                    "roles_date" => s.roles_date = val,
                    "catalog_date" => s.catalog_date = val,
                    _ => {}
                }
            }
        }
        s
    })
}

/// The built-in roles, parsed once. The diagnostics are empty for the shipped file (a test asserts it).
pub fn roles() -> &'static Loaded<Vec<RoleDefinition>> {
    static ROLES: OnceLock<Loaded<Vec<RoleDefinition>>> = OnceLock::new();
    ROLES.get_or_init(|| load_roles(ROLES_FILE, ROLES_JSON.as_bytes()))
}

/// Parses the built-in roles afresh (for benchmarks and tests; use [`roles`] otherwise).
pub fn parse_roles() -> Loaded<Vec<RoleDefinition>> {
    load_roles(ROLES_FILE, ROLES_JSON.as_bytes())
}

/// The source text of the built-in roles file, for diagnostics that point into it.
pub fn roles_source() -> Option<Arc<SourceText>> {
    roles().value.first().map(|r| Arc::clone(&r.origin.source))
}

/// Whether any diagnostic of the built-in roles is fatal (never, for the shipped file).
pub fn roles_diagnostics() -> &'static [Diagnostic] {
    &roles().diagnostics
}
