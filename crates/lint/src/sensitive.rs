//! The sensitive-operation sets: data in `roles/sensitive-operations.json`, extendable per category.

use rolegate::matcher::Pattern;
use serde_json::Value;

use crate::options::Category;

/// The shipped data file.
pub const SENSITIVE_OPERATIONS_JSON: &str = include_str!("../../../roles/sensitive-operations.json");

/// The path the data file is shown under.
pub const SENSITIVE_OPERATIONS_FILE: &str = "roles/sensitive-operations.json";

/// Patterns per category, compiled once per run.
#[derive(Clone, Debug, Default)]
pub struct SensitiveSets {
    entries: Vec<(Pattern, Category)>,
    descriptions: Vec<(Category, String)>,
    equivalents: Vec<Vec<String>>,
}

impl SensitiveSets {
    /// The shipped sets plus `extra` entries.
    pub fn new(extra: &[(Category, String)]) -> Self {
        let mut sets = SensitiveSets::default();
        // The shipped file is checked by a test; should it ever not parse, the extra entries still apply.
        if let Ok(Value::Object(root)) = serde_json::from_str::<Value>(SENSITIVE_OPERATIONS_JSON)
            && let Some(Value::Object(categories)) = root.get("categories")
        {
            for (name, body) in categories {
                let Some(category) = Category::from_name(name) else { continue };
                if let Some(d) = body.get("description").and_then(Value::as_str) {
                    sets.descriptions.push((category, d.to_owned()));
                }
                let ops = body.get("operations").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                sets.entries.extend(ops.iter().filter_map(Value::as_str).map(|op| (Pattern::new(op.trim()), category)));
            }
        }
        if let Ok(Value::Object(root)) = serde_json::from_str::<Value>(SENSITIVE_OPERATIONS_JSON)
            && let Some(groups) =
                root.get("condition-equivalents").and_then(|c| c.get("groups")).and_then(Value::as_array)
        {
            sets.equivalents = groups
                .iter()
                .filter_map(Value::as_array)
                .map(|g| g.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .collect();
        }
        sets.entries.extend(extra.iter().map(|(c, op)| (Pattern::new(op.trim()), *c)));
        sets
    }

    /// The categories `op` belongs to, as a bit set over [`Category::bit`].
    pub fn categories(&self, op: &str) -> u8 {
        self.entries.iter().filter(|(p, _)| p.matches(op)).fold(0, |bits, (_, c)| bits | c.bit())
    }

    /// The position of the first entry of `category` that matches `op` (the data file lists the most telling
    /// operations first, so messages name them first); `usize::MAX` when none does.
    pub fn rank(&self, op: &str, category: Category) -> usize {
        self.entries.iter().filter(|(_, c)| *c == category).position(|(p, _)| p.matches(op)).unwrap_or(usize::MAX)
    }

    /// Every entry of a category.
    pub fn entries(&self, category: Category) -> impl Iterator<Item = &Pattern> {
        self.entries.iter().filter(move |(_, c)| *c == category).map(|(p, _)| p)
    }

    /// Groups of operations that do the same thing to the data (`blobs/write` and `blobs/add/action`): a
    /// condition must guard all of a group or none.
    pub fn condition_equivalents(&self) -> &[Vec<String>] {
        &self.equivalents
    }

    /// The data file's description of a category.
    pub fn description(&self, category: Category) -> &str {
        self.descriptions.iter().find(|(c, _)| *c == category).map_or("", |(_, d)| d.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn the_data_file_names_every_category_and_only_those() {
        let v: Value = serde_json::from_str(SENSITIVE_OPERATIONS_JSON).unwrap();
        let names: Vec<&str> = v["categories"].as_object().unwrap().keys().map(String::as_str).collect();
        assert!(SensitiveSets::new(&[]).condition_equivalents().iter().all(|g| g.len() >= 2));
        let expected: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, expected);
        let sets = SensitiveSets::new(&[]);
        for c in Category::ALL {
            assert!(sets.entries(c).count() > 0, "{c:?}");
            assert!(!sets.description(c).is_empty(), "{c:?}");
        }
    }

    #[test]
    fn classification_uses_the_matcher_and_extra_entries() {
        let sets = SensitiveSets::new(&[(Category::CodeExecution, "Contoso.X/run/action".into())]);
        let bits = sets.categories("microsoft.storage/storageaccounts/LISTKEYS/action");
        assert_eq!(bits, Category::CredentialExposure.bit());
        assert_eq!(sets.categories("contoso.x/RUN/action"), Category::CodeExecution.bit());
        assert_eq!(sets.categories("Microsoft.Compute/virtualMachines/read"), 0);
    }
}
