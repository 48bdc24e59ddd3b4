//! What a change to role definitions grants (semantics §4.1): per role, the operations gained and lost once
//! wildcards are expanded against the catalog and exclusions subtracted, sensitive operations first.
//!
//! ```
//! use rolegate::load::load_roles;
//! use rolegate_lint::LintOptions;
//! use rolegate_lint::diff::diff_roles;
//!
//! let base = load_roles("base.json", br#"{"Name": "Scorer", "IsCustom": true, "AssignableScopes": ["/subscriptions/s"],
//!   "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action"]}"#).value;
//! let new = load_roles("new.json", br#"{"Name": "Scorer", "IsCustom": true, "AssignableScopes": ["/subscriptions/s"],
//!   "Actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action"]}"#).value;
//! let diff = diff_roles(&base, &new, &LintOptions::default());
//! let gained: Vec<&str> = diff.roles[0].gained.iter().map(|o| o.operation.as_str()).collect();
//! // The wildcard reaches the keys: a credential-exposure gain, listed first.
//! assert!(gained[0].to_ascii_lowercase().contains("listkeys") || gained[0].to_ascii_lowercase().contains("regeneratekeys"), "{gained:?}");
//! assert!(diff.roles[0].gained.iter().any(|o| o.categories.contains(&"credential-exposure")));
//! ```

use std::collections::BTreeMap;

use rolegate::model::RoleDefinition;
use serde::Serialize;

use crate::analysis::{Analysis, Plane};
use crate::options::{Category, LintOptions};

/// How a role changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Only in the new set.
    Added,
    /// Only in the base set.
    Removed,
    /// In both, granting something else.
    Changed,
}

/// One operation gained or lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpChange {
    /// The operation (the catalog's spelling, or the role's for one the catalog lacks).
    pub operation: String,
    /// `control` or `data`.
    pub plane: &'static str,
    /// Granted only under a condition (in the set it is gained in, or was lost from).
    pub conditional: bool,
    /// Its sensitive categories (`credential-exposure`, ...), most severe first.
    pub categories: Vec<&'static str>,
}

/// One role's change.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct RoleChange {
    /// The role's name.
    pub role: String,
    /// Its id, when it has one.
    pub id: Option<String>,
    /// Added, removed or changed.
    pub status: Status,
    /// Operations the new set grants and the base does not, sensitive first.
    pub gained: Vec<OpChange>,
    /// Operations the base grants and the new set does not, sensitive first.
    pub lost: Vec<OpChange>,
}

/// The change between two sets of roles: only roles whose effective operations differ.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct RoleDiff {
    /// The roles that changed, in the new set's order, then the removed ones.
    pub roles: Vec<RoleChange>,
}

impl RoleDiff {
    /// Whether anything is gained; with `categories`, anything in one of them.
    pub fn gains(&self, categories: &[Category]) -> bool {
        self.roles
            .iter()
            .flat_map(|r| &r.gained)
            .any(|o| categories.is_empty() || categories.iter().any(|c| o.categories.contains(&c.name())))
    }
}

/// What a role effectively grants: operation (lower case) → (spelling, plane, conditional only).
type Effective = BTreeMap<(Plane, String), (String, bool)>;

fn effective(analysis: &Analysis<'_>, role: &RoleDefinition) -> Effective {
    let index = analysis.index();
    let mut out = Effective::new();
    for g in analysis.grants(&role.permissions) {
        let names = g.ops.iter().map(|&i| index.name(i).to_owned()).chain(g.uncataloged.map(str::to_owned));
        for name in names {
            let entry = out.entry((g.plane, name.to_ascii_lowercase())).or_insert((name, true));
            // Conditional only while no unconditional grant reaches it.
            entry.1 &= g.conditional;
        }
    }
    out
}

/// The key roles are matched by: the id's last segment (a GUID), else the name, lower case.
fn key(role: &RoleDefinition) -> String {
    match &role.id {
        Some(id) => id.to_string().rsplit('/').next().unwrap_or_default().to_ascii_lowercase(),
        None => role.display_name().to_ascii_lowercase(),
    }
}

fn change(analysis: &Analysis<'_>, plane: Plane, name: &str, conditional: bool) -> OpChange {
    let bits = analysis.sensitive().categories(name);
    OpChange {
        operation: name.to_owned(),
        plane: match plane {
            Plane::Control => "control",
            Plane::Data => "data",
        },
        conditional,
        categories: Category::ALL.into_iter().filter(|c| bits & c.bit() != 0).map(Category::name).collect(),
    }
}

/// Sensitive first (by the most severe category), then by name.
fn sorted(mut ops: Vec<OpChange>) -> Vec<OpChange> {
    let rank = |o: &OpChange| {
        Category::ALL.iter().position(|c| o.categories.contains(&c.name())).unwrap_or(Category::ALL.len())
    };
    ops.sort_by_cached_key(|o| (rank(o), o.operation.to_ascii_lowercase()));
    ops
}

/// The change from `base` to `new`, matching roles by id (else by name).
pub fn diff_roles(base: &[RoleDefinition], new: &[RoleDefinition], options: &LintOptions) -> RoleDiff {
    let analysis = Analysis::new(options);
    let compare = |b: Option<&RoleDefinition>, n: Option<&RoleDefinition>| -> Option<RoleChange> {
        let before = b.map_or_else(Effective::new, |r| effective(&analysis, r));
        let after = n.map_or_else(Effective::new, |r| effective(&analysis, r));
        let only = |a: &Effective, other: &Effective| -> Vec<OpChange> {
            let ops = a
                .iter()
                .filter(|(k, (_, cond))| match other.get(*k) {
                    None => true,
                    // From conditional to unconditional is a gain; the reverse a loss.
                    Some((_, other_cond)) => *other_cond && !*cond,
                })
                .map(|((plane, _), (name, cond))| change(&analysis, *plane, name, *cond))
                .collect();
            sorted(ops)
        };
        let (gained, lost) = (only(&after, &before), only(&before, &after));
        let role = n.or(b)?;
        let status = match (b, n) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ if gained.is_empty() && lost.is_empty() => return None,
            _ => Status::Changed,
        };
        Some(RoleChange {
            role: role.display_name().to_owned(),
            id: role.id.as_ref().map(ToString::to_string),
            status,
            gained,
            lost,
        })
    };
    let base_by_key: BTreeMap<String, &RoleDefinition> = base.iter().map(|r| (key(r), r)).collect();
    let new_keys: std::collections::BTreeSet<String> = new.iter().map(key).collect();
    let mut roles: Vec<RoleChange> =
        new.iter().filter_map(|n| compare(base_by_key.get(&key(n)).copied(), Some(n))).collect();
    roles.extend(base.iter().filter(|b| !new_keys.contains(&key(b))).filter_map(|b| compare(Some(b), None)));
    RoleDiff { roles }
}

/// For people.
pub fn human(diff: &RoleDiff) -> String {
    let mut out = String::new();
    for r in &diff.roles {
        let status = match r.status {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        };
        out.push_str(&format!("{} ({status}): +{} -{}\n", r.role, r.gained.len(), r.lost.len()));
        for (sign, ops) in [("+", &r.gained), ("-", &r.lost)] {
            for o in ops {
                let mut notes: Vec<String> = o.categories.iter().map(|c| (*c).to_owned()).collect();
                if o.plane == "data" {
                    notes.push("data plane".into());
                }
                if o.conditional {
                    notes.push("conditional".into());
                }
                let notes = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join(", ")) };
                out.push_str(&format!("  {sign} {}{notes}\n", o.operation));
            }
        }
    }
    if diff.roles.is_empty() {
        out.push_str("no role grants anything new or less\n");
    }
    out
}

/// Markdown, for a pull-request comment: a table per role, sensitive gains first and flagged.
pub fn markdown(diff: &RoleDiff) -> String {
    let mut out = String::from("## Access changes (roles)\n\n");
    if diff.roles.is_empty() {
        out.push_str("No role grants anything new or less.\n");
        return out;
    }
    let cell = |s: &str| s.replace('|', "\\|");
    for r in &diff.roles {
        let sensitive = r.gained.iter().filter(|o| !o.categories.is_empty()).count();
        out.push_str(&format!(
            "### `{}` ({})\n\n{} gained ({sensitive} sensitive), {} lost\n\n",
            cell(&r.role),
            match r.status {
                Status::Added => "added",
                Status::Removed => "removed",
                Status::Changed => "changed",
            },
            r.gained.len(),
            r.lost.len()
        ));
        if r.gained.is_empty() && r.lost.is_empty() {
            continue;
        }
        out.push_str("| | operation | plane | categories |\n| --- | --- | --- | --- |\n");
        for (sign, ops) in [("➕", &r.gained), ("➖", &r.lost)] {
            for o in ops {
                let flag = if !o.categories.is_empty() && sign == "➕" { " ⚠️" } else { "" };
                out.push_str(&format!(
                    "| {sign}{flag} | `{}`{} | {} | {} |\n",
                    cell(&o.operation),
                    if o.conditional { " (conditional)" } else { "" },
                    o.plane,
                    o.categories.join(", ")
                ));
            }
        }
        out.push('\n');
    }
    out
}
