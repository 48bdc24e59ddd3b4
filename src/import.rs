//! `rolegate import`: the outputs of `az` turned into a tenant directory (semantics §2.2), for tests against a
//! real subscription's access. Nothing is interpreted beyond what the loaders read: lists are concatenated in
//! order, and group member lists become `groups.json`. A REST page that says more pages follow (`nextLink`) is
//! refused, since the rest of the list would be missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The files to import.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// `az role definition list --custom-role-only true` outputs.
    pub roles: Vec<PathBuf>,
    /// `az role assignment list --all` outputs.
    pub assignments: Vec<PathBuf>,
    /// Deny assignment REST pages.
    pub deny_assignments: Vec<PathBuf>,
    /// `az account management-group entities list` output.
    pub entities: Option<PathBuf>,
    /// Directories of `az ad group member list --group <id>` outputs named `<id>.json`.
    pub group_members: Vec<PathBuf>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = rolegate::internals::file::read_file(path, rolegate::load::DEFAULT_MAX_FILE_BYTES)
        .map_err(|e| format!("`{}`: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))
}

/// The items of a list output: an array, a REST page `{"value": [...]}` (refused when `nextLink` is set), or
/// one object.
fn items(path: &Path) -> Result<Vec<Value>, String> {
    match read_json(path)? {
        Value::Array(items) => Ok(items),
        Value::Object(mut m) if m.get("value").is_some_and(Value::is_array) => {
            if m.get("nextLink").is_some_and(|n| !n.is_null() && n.as_str() != Some("")) {
                return Err(format!(
                    "`{}` is one page of a longer list (`nextLink` is set): fetch every page and give them all",
                    path.display()
                ));
            }
            match m.remove("value") {
                Some(Value::Array(items)) => Ok(items),
                _ => Err(format!("`{}`: `value` is not a list", path.display())),
            }
        }
        one @ Value::Object(_) => Ok(vec![one]),
        _ => Err(format!("`{}` is neither a list nor an object", path.display())),
    }
}

fn concat(paths: &[PathBuf]) -> Result<Vec<Value>, String> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(items(p)?);
    }
    Ok(all)
}

/// `groups.json` from member lists: each file `<group id>.json`, a list of directory objects with an `id`.
fn groups(dir: &Path, groups: &mut BTreeMap<String, Vec<String>>) -> Result<(), String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("`{}`: {e}", dir.display()))?
        .map(|e| e.map(|e| e.path()).map_err(|e| format!("`{}`: {e}", dir.display())))
        .collect::<Result<_, _>>()?;
    paths.sort();
    for path in paths {
        if !path.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")) {
            return Err(format!("`{}` is not a `<group id>.json` member list", path.display()));
        }
        let Some(group) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            return Err(format!("`{}` has no usable group id as its name", path.display()));
        };
        let mut members = Vec::new();
        for (i, m) in items(&path)?.iter().enumerate() {
            // A member without an id would silently drop someone a deny on the group must reach.
            let Some(id) = m.get("id").and_then(Value::as_str) else {
                return Err(format!("`{}`: member {i} has no `id`", path.display()));
            };
            members.push(id.to_owned());
        }
        if groups.insert(group.clone(), members).is_some() {
            return Err(format!("group `{group}` has two member lists (`{}` is the second)", path.display()));
        }
    }
    Ok(())
}

/// Writes the tenant directory `out` from `inputs`; returns a one-line summary. `out` must not exist, or be
/// empty: an import never mixes with older files.
pub fn import(inputs: &Inputs, out: &Path) -> Result<String, String> {
    if out.exists() && std::fs::read_dir(out).map_err(|e| format!("`{}`: {e}", out.display()))?.next().is_some() {
        return Err(format!("`{}` exists and is not empty; give a new directory", out.display()));
    }
    let roles = concat(&inputs.roles)?;
    let mut assignments = concat(&inputs.assignments)?;
    // In id order, whatever order `az` listed them in: two imports of one tenant then list its assignments alike,
    // and `rolegate diff` compares them in step instead of by key (semantics §4.2). A stable sort: those without
    // an id keep their order.
    assignments.sort_by_cached_key(|a| a.get("id").and_then(Value::as_str).map(str::to_ascii_lowercase));
    let denies = concat(&inputs.deny_assignments)?;
    let entities = inputs.entities.as_deref().map(read_json).transpose()?;
    let groups = if inputs.group_members.is_empty() {
        None
    } else {
        let mut all = BTreeMap::new();
        for dir in &inputs.group_members {
            groups(dir, &mut all)?;
        }
        Some(all)
    };
    std::fs::create_dir_all(out).map_err(|e| format!("`{}`: {e}", out.display()))?;
    let write = |name: &str, v: &Value| -> Result<(), String> {
        let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
        std::fs::write(out.join(name), text + "\n").map_err(|e| format!("`{}`: {e}", out.join(name).display()))
    };
    write("roles.json", &Value::Array(roles.clone()))?;
    write("assignments.json", &Value::Array(assignments.clone()))?;
    if !denies.is_empty() {
        write("denyAssignments.json", &Value::Array(denies.clone()))?;
    }
    if let Some(e) = &entities {
        write("hierarchy.json", e)?;
    }
    if let Some(g) = &groups {
        write("groups.json", &serde_json::to_value(g).map_err(|e| e.to_string())?)?;
    }
    Ok(format!(
        "wrote `{}`: {} custom roles, {} role assignments, {} deny assignments, {} groups{}",
        out.display(),
        roles.len(),
        assignments.len(),
        denies.len(),
        groups.as_ref().map_or(0, BTreeMap::len),
        if entities.is_some() { ", the management-group hierarchy" } else { "" }
    ))
}
