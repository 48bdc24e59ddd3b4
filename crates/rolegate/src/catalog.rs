//! The provider-operation catalog: every operation Azure publishes, with its plane.
//!
//! The engine needs it to decide a request's plane when the caller does not say (semantics §2.4); the linter
//! expands wildcards against it. The shipped snapshot is embedded; a fresh `az provider operation list`
//! output can replace it ([`crate::load::load_operation_list`]).

use std::collections::HashMap;
use std::sync::OnceLock;

/// One published operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The operation name, as published (`Microsoft.Storage/storageAccounts/read`).
    pub name: String,
    /// Data plane (`isDataAction`).
    pub is_data_action: bool,
    /// Display name (may be empty).
    pub display_name: String,
    /// Description (may be empty).
    pub description: String,
}

/// Which plane an operation is on, as far as the catalog knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaneAnswer {
    /// Only listed as a control-plane action.
    Control,
    /// Only listed as a data action.
    Data,
    /// Listed in both planes (21 names; 23 up to case).
    Both,
    /// Not listed.
    Unknown,
}

/// An operation catalog with a case-insensitive index.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    operations: Vec<Operation>,
    /// Keyed by the lower-case name. A fast unkeyed-quality hash is enough: lookups come from requests, but
    /// entries only from the catalog, so no one can fill a bucket.
    by_name: HashMap<String, Vec<u32>, foldhash::fast::RandomState>,
    date: Option<String>,
}

/// A problem in a catalog TSV line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct TsvError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

impl Catalog {
    /// Builds a catalog from operations (kept in the given order) and the snapshot date, if known.
    pub fn new(operations: Vec<Operation>, date: Option<String>) -> Self {
        let mut by_name: HashMap<String, Vec<u32>, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(operations.len(), foldhash::fast::RandomState::default());
        for (i, op) in operations.iter().enumerate() {
            by_name.entry(op.name.to_ascii_lowercase()).or_default().push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Catalog { operations, by_name, date }
    }

    /// Parses the shipped TSV format: a header `operation<TAB>is_data_action<TAB>display_name<TAB>description`
    /// and one operation per line.
    pub fn from_tsv(text: &str, date: Option<String>) -> Result<Self, TsvError> {
        let mut ops = Vec::new();
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, header)) if header.starts_with("operation\tis_data_action") => {}
            _ => {
                return Err(TsvError {
                    line: 1,
                    problem: "expected the header `operation\tis_data_action\tdisplay_name\tdescription`".into(),
                });
            }
        }
        for (i, line) in lines {
            if line.is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(name), Some(flag)) = (cols.next(), cols.next()) else {
                return Err(TsvError { line: i + 1, problem: "expected at least two tab-separated columns".into() });
            };
            let is_data_action = match flag {
                "true" => true,
                "false" => false,
                other => {
                    return Err(TsvError {
                        line: i + 1,
                        problem: format!("`is_data_action` is `{other}`, not true/false"),
                    });
                }
            };
            ops.push(Operation {
                name: name.to_owned(),
                is_data_action,
                display_name: cols.next().unwrap_or_default().to_owned(),
                description: cols.next().unwrap_or_default().to_owned(),
            });
        }
        Ok(Catalog::new(ops, date))
    }

    /// The catalog shipped in `roles/operations.tsv`.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The shipped file is checked by a test, so a parse failure here cannot happen in a released build;
            // an empty catalog would still fail closed (every plane Unknown).
            Catalog::from_tsv(crate::builtin::OPERATIONS_TSV, Some(crate::builtin::snapshot().catalog_date.clone()))
                .unwrap_or_default()
        })
    }

    /// Every operation, in file order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.operations.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// The snapshot date, when known.
    pub fn date(&self) -> Option<&str> {
        self.date.as_deref()
    }

    /// Every catalog entry whose name equals `name` ignoring ASCII case (one per plane and spelling).
    pub fn lookup(&self, name: &str) -> impl Iterator<Item = &Operation> {
        // The index is lower-case: a name that already is (a gateway's lookups) is looked up without a copy.
        let lowered;
        let key = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lowered = name.to_ascii_lowercase();
            lowered.as_str()
        } else {
            name
        };
        let ids = self.by_name.get(key).map(Vec::as_slice).unwrap_or_default();
        ids.iter().filter_map(|&i| self.operations.get(i as usize))
    }

    /// The plane of an operation according to the catalog.
    pub fn plane(&self, name: &str) -> PlaneAnswer {
        let (mut control, mut data) = (false, false);
        for op in self.lookup(name) {
            if op.is_data_action {
                data = true;
            } else {
                control = true;
            }
        }
        match (control, data) {
            (true, true) => PlaneAnswer::Both,
            (true, false) => PlaneAnswer::Control,
            (false, true) => PlaneAnswer::Data,
            (false, false) => PlaneAnswer::Unknown,
        }
    }
}
