//! `az provider operation list` (or `show`) output, so a fresh catalog can replace the shipped one.

use std::collections::HashSet;

use super::{Loaded, Reader, top_level_items};
use crate::catalog::{Catalog, Operation};
use crate::diag::codes;
use crate::json::{Kind, Value};

/// Loads a provider-operation list: an array of providers (or one provider), each with `operations` and
/// `resourceTypes[].operations`. Exact repeats of the same (name, plane) pair are kept once, as in the shipped
/// catalog. Unknown keys are ignored here: the format carries much metadata we do not need.
pub fn load_operation_list(name: &str, bytes: &[u8], date: Option<String>) -> Loaded<Catalog> {
    let (src, parsed) = super::parse_source(name, bytes);
    let root = match parsed {
        Ok(root) => root,
        Err(d) => return Loaded { value: Catalog::default(), diagnostics: vec![d] },
    };
    let mut r = Reader::new(&src);
    let mut ops = Vec::new();
    let mut seen = HashSet::new();
    let providers = top_level_items(&root);
    for provider in &providers {
        let Some(_) = r.object(provider, "a provider") else { continue };
        let mut lists: Vec<&Value> = Vec::new();
        if let Some(m) = provider.get_ignore_ascii_case("operations") {
            lists.push(&m.value);
        }
        if let Some(types) = provider.get_ignore_ascii_case("resourceTypes") {
            match types.value.as_array() {
                Some(types) => {
                    lists.extend(types.iter().filter_map(|t| t.get_ignore_ascii_case("operations")).map(|m| &m.value))
                }
                None => {
                    r.wrong_type(&types.value, "resourceTypes", "an array", "write `\"resourceTypes\": [...]`".into())
                }
            }
        }
        for list in lists {
            let Some(items) = list.as_array() else {
                if !matches!(list.kind, Kind::Null) {
                    r.wrong_type(list, "operations", "an array of operations", "write `\"operations\": [...]`".into());
                }
                continue;
            };
            for op in items {
                if let Some(op) = read_operation(&mut r, op)
                    && seen.insert((op.name.clone(), op.is_data_action))
                {
                    ops.push(op);
                }
            }
        }
    }
    if ops.is_empty() {
        r.error(
            codes::UNKNOWN_SHAPE,
            root.span,
            "no operations found".into(),
            "expected the JSON output of `az provider operation list`".into(),
        );
    }
    r.into_loaded(Catalog::new(ops, date), Some(&root))
}

fn read_operation(r: &mut Reader, v: &Value) -> Option<Operation> {
    r.object(v, "an operation")?;
    let text = |k: &str| v.get_ignore_ascii_case(k).and_then(|m| m.value.as_str()).map(str::to_owned);
    let Some(name) = text("name") else {
        r.error(codes::MISSING_FIELD, v.span, "operation without `name`".into(), "every operation has a `name`".into());
        return None;
    };
    let is_data_action = match v.get_ignore_ascii_case("isDataAction") {
        None => false,
        Some(m) => match m.value.as_bool() {
            Some(b) => b,
            None if matches!(m.value.kind, Kind::Null) => false,
            None => {
                r.wrong_type(&m.value, &m.key, "a boolean", "write `true` or `false`".into());
                false
            }
        },
    };
    // `display` is an object in the REST shape; az flattens it to `displayName`/`description`.
    let display = v.get_ignore_ascii_case("display").map(|m| &m.value);
    let from_display =
        |k: &str| display.and_then(|d| d.get_ignore_ascii_case(k)).and_then(|m| m.value.as_str()).map(str::to_owned);
    Some(Operation {
        name,
        is_data_action,
        display_name: text("displayName").or_else(|| from_display("operation")).unwrap_or_default(),
        description: text("description").or_else(|| from_display("description")).unwrap_or_default(),
    })
}
