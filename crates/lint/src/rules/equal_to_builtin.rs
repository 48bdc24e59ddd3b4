//! RL310: a custom role that grants exactly what a built-in role grants.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use rolegate::Severity;
use rolegate::matcher::Pattern;
use rolegate::model::RoleDefinition;

use super::builtins::{Builtin, builtins};
use super::{Family, Hit, RoleCx, Rule};
use crate::analysis::{Analysis, Grant, Plane};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL310",
    name: "equal-to-builtin",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: a custom role whose effective permissions, expanded against the catalog per plane after each
block's exclusions, are exactly those of a built-in role (roles with conditions are not compared). An entry that
reaches no operation of the catalog (which lags Azure) is compared by its pattern and the exclusions that overlap
it, so two roles that expand to nothing are equal only if they list the same such entries.

Why it matters: a copy of a built-in role is one more thing to maintain, and it does not follow when Microsoft
updates the original (new operations of the provider, new exclusions). Assign the built-in role instead.

Example:
    {\"Name\": \"Our Reader\", \"Actions\": [\"*/read\"], \"AssignableScopes\": [\"/subscriptions/s1\"]}
    is Reader.";

/// What a role effectively grants: catalog operations per plane (sorted, no duplicates), and by pattern the
/// entries that reach no catalog operation but are not excluded outright.
#[derive(PartialEq, Eq)]
pub(crate) struct Effective {
    ops: Vec<(Plane, u32)>,
    unexpanded: BTreeSet<Unexpanded>,
}

/// An entry that reaches no catalog operation once its block's exclusions are subtracted, and that no exclusion
/// covers: an exact operation the catalog lacks (or lists on the other plane only), or a wildcard over operations
/// the catalog does not list yet (the catalog lags Azure; such grants are real). Catalog expansion cannot tell two
/// of them apart (both are empty), so they are compared by what they say: the pattern and the exclusions of its
/// block that overlap it, ASCII case-insensitively. Two roles are then equal only if they list the same such
/// entries; a role that differs from a built-in only in such an entry is not equal to it.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Unexpanded {
    plane: Plane,
    pattern: String,
    exclusions: Vec<String>,
}

impl Unexpanded {
    /// The entry `pattern` of a block with `exclusions` on `plane`, given that it reaches no catalog operation
    /// after them: `None` when an exclusion covers it (it grants nothing at all).
    fn new<'p>(
        plane: Plane,
        pattern: &Pattern,
        exclusions: impl IntoIterator<Item = &'p Pattern> + Clone,
    ) -> Option<Self> {
        if covered(pattern, exclusions.clone()) {
            return None;
        }
        let mut overlapping: Vec<String> =
            exclusions.into_iter().filter(|x| x.intersects(pattern)).map(|x| x.as_str().to_ascii_lowercase()).collect();
        overlapping.sort_unstable();
        overlapping.dedup();
        Some(Unexpanded { plane, pattern: pattern.as_str().to_ascii_lowercase(), exclusions: overlapping })
    }

    /// The namespace it is confined to, or `None` when its wildcard spans namespaces.
    fn namespace(&self) -> Option<String> {
        namespace(&self.pattern)
    }
}

/// Whether an exclusion covers `pattern` (it grants nothing, whatever the catalog lists). The signatures and both
/// sides of the comparison decide it with this one function, so that they agree.
fn covered<'p>(pattern: &Pattern, exclusions: impl IntoIterator<Item = &'p Pattern>) -> bool {
    exclusions.into_iter().any(|x| x.covers(pattern))
}

fn effective(grants: &[Grant<'_>]) -> Effective {
    let mut e = Effective { ops: Vec::new(), unexpanded: BTreeSet::new() };
    for g in grants {
        // A block with an unreadable exclusion list grants nothing (as in the engine).
        if g.blocked {
            continue;
        }
        if !g.ops.is_empty() {
            e.ops.extend(g.ops.iter().map(|&i| (g.plane, i)));
        } else if let Some(pattern) = g.action.pattern()
            && let Some(u) = Unexpanded::new(g.plane, pattern, g.exclusions.iter().copied())
        {
            e.unexpanded.insert(u);
        }
    }
    e.ops.sort_unstable();
    e.ops.dedup();
    e
}

/// The same for a built-in role's pattern lists (`Analysis::grants` semantics: exclusions per block and
/// plane). Computed once per built-in and run (see [`Analysis::builtin_effective`]), whatever the roles compared
/// with it.
pub(crate) fn builtin_effective(analysis: &Analysis<'_>, role: &Builtin) -> Effective {
    let mut e = Effective { ops: Vec::new(), unexpanded: BTreeSet::new() };
    for block in &role.blocks {
        for (plane, grants, exclusions) in [
            (Plane::Control, &block.actions, &block.not_actions),
            (Plane::Data, &block.data_actions, &block.not_data_actions),
        ] {
            // The catalog operations the block's exclusions remove: an expansion is exactly the operations of the
            // plane a pattern matches, so this is the per-operation test without matching every operation.
            let mut excluded: Vec<u32> = exclusions.iter().flat_map(|n| analysis.expand(n, plane).to_vec()).collect();
            excluded.sort_unstable();
            excluded.dedup();
            for g in grants {
                // Per entry, as for the custom role: an entry that reaches no catalog operation after its block's
                // exclusions is compared by pattern (an entry whose operations an earlier one granted is not).
                let mut reaches = false;
                for &i in analysis.expand(g, plane).iter() {
                    if excluded.binary_search(&i).is_err() {
                        reaches = true;
                        e.ops.push((plane, i));
                    }
                }
                if !reaches && let Some(u) = Unexpanded::new(plane, g, exclusions.iter()) {
                    e.unexpanded.insert(u);
                }
            }
        }
    }
    e.ops.sort_unstable();
    e.ops.dedup();
    e
}

/// The namespace an entry is confined to (`microsoft.compute`), or `None` when its wildcard spans namespaces.
fn namespace(pattern: &str) -> Option<String> {
    let prefix = pattern.split('*').next().unwrap_or_default();
    prefix.split_once('/').map(|(ns, _)| ns.to_ascii_lowercase())
}

/// A built-in role's cheap signature, independent of the catalog: the namespaces its entries are confined to and
/// whether one spans all, counting only entries no exclusion of their block covers. Each such entry contributes
/// to what the role grants, in its namespace: catalog operations under its literal prefix, or itself as an
/// [`Unexpanded`] entry. Entries that grant nothing must not count, or a faithful copy would miss the bucket.
struct Signature {
    index: usize,
    namespaces: BTreeSet<String>,
    global: bool,
    entries: usize,
}

/// The signatures of the comparable built-ins, indexed so that a role finds its candidates without looking at
/// all 900: those confined to exactly its namespaces, and those with an entry that spans namespaces (few).
struct Signatures {
    all: Vec<Signature>,
    /// Sorted namespaces → the signatures (positions in `all`) of built-ins confined to exactly those.
    confined: HashMap<Vec<String>, Vec<usize>>,
    /// Positions of the signatures with an entry that spans namespaces.
    global: Vec<usize>,
}

fn signatures() -> &'static Signatures {
    static SIGS: OnceLock<Signatures> = OnceLock::new();
    SIGS.get_or_init(|| {
        let all: Vec<Signature> = builtins()
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| r.blocks.iter().all(|b| !b.conditional))
            .map(|(index, r)| {
                let mut namespaces = BTreeSet::new();
                let mut global = false;
                let mut entries = 0;
                for b in &r.blocks {
                    for (grants, exclusions) in [(&b.actions, &b.not_actions), (&b.data_actions, &b.not_data_actions)] {
                        for p in grants {
                            entries += 1;
                            if covered(p, exclusions) {
                                continue;
                            }
                            match namespace(p.as_str()) {
                                Some(ns) => {
                                    namespaces.insert(ns);
                                }
                                None => global = true,
                            }
                        }
                    }
                }
                Signature { index, namespaces, global, entries }
            })
            .collect();
        let mut confined: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        let mut global = Vec::new();
        for (k, sig) in all.iter().enumerate() {
            if sig.global {
                global.push(k);
            } else {
                confined.entry(sig.namespaces.iter().cloned().collect()).or_default().push(k);
            }
        }
        Signatures { all, confined, global }
    })
}

/// Roles with conditions grant something else than their lists say; they are not compared.
fn comparable(r: &RoleDefinition) -> bool {
    r.permissions.iter().all(|p| p.condition.is_none())
}

/// The built-in roles (without conditions) that grant exactly what the role grants, plainest first: fewest
/// entries, shortest name (several can grant the same, `*/read`).
fn equal_builtins<'b>(cx: &RoleCx<'_>) -> Vec<&'b Builtin> {
    let mine = effective(cx.grants());
    if mine.ops.is_empty() && mine.unexpanded.is_empty() {
        return Vec::new();
    }
    let index = cx.analysis.index();
    let mut my_namespaces: BTreeSet<String> = BTreeSet::new();
    let mut last = "";
    for &(_, i) in &mine.ops {
        let ns = index.name(i).split('/').next().unwrap_or_default();
        // Operations of a namespace are mostly adjacent: lower-case and insert a namespace once per run of them.
        if !ns.eq_ignore_ascii_case(last) {
            my_namespaces.insert(ns.to_ascii_lowercase());
            last = ns;
        }
    }
    let mut my_global = false;
    for u in &mine.unexpanded {
        match u.namespace() {
            Some(ns) => {
                my_namespaces.insert(ns);
            }
            None => my_global = true,
        }
    }
    let roles = &builtins().roles;
    let sigs = signatures();
    // Necessary conditions: every namespace the built-in's entries are confined to is one of ours, and each of
    // ours (and any entry of ours that spans namespaces) is reachable by it: the built-in either has an entry
    // that spans namespaces, or is confined to exactly our namespaces and we have no such entry.
    let key: Vec<String> = my_namespaces.iter().cloned().collect();
    let confined = if my_global { None } else { sigs.confined.get(&key) };
    let spanning =
        sigs.global.iter().filter(|&&k| sigs.all.get(k).is_some_and(|s| s.namespaces.is_subset(&my_namespaces)));
    let mut equal: Vec<(&Signature, &'b Builtin)> = Vec::new();
    for &k in confined.into_iter().flatten().chain(spanning) {
        let Some(sig) = sigs.all.get(k) else { continue };
        let Some(b) = roles.get(sig.index) else { continue };
        if *cx.analysis.builtin_effective(sig.index, || builtin_effective(cx.analysis, b)) == mine {
            equal.push((sig, b));
        }
    }
    equal.sort_by_key(|(sig, b)| (sig.entries, b.name.len(), b.name.clone()));
    equal.into_iter().map(|(_, b)| b).collect()
}

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() || !comparable(cx.role) {
        return;
    }
    let equal = equal_builtins(cx);
    let Some(first) = equal.first() else { return };
    let names: Vec<String> = equal.iter().map(|b| b.name.clone()).collect();
    let message = if names.len() == 1 {
        format!("custom role grants exactly what built-in role `{}` grants", first.name)
    } else {
        format!("custom role grants exactly what built-in roles {} grant", super::short_list(&names, 3))
    };
    out.push(Hit::new(
        RULE.at(cx, cx.role_span(), message)
            .with_label(format!("same effective permissions as `{}`", first.name))
            .with_help(format!(
                "assign the built-in role `{}` instead (it follows Microsoft's updates); compared against the {}",
                first.name,
                cx.analysis.catalog_date()
            )),
    ));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::RoleCx;
    use super::super::builtins::builtins;
    use super::super::testing::{check_rule, lint};
    use super::{RULE, equal_builtins};
    use crate::LintOptions;
    use crate::analysis::{Analysis, Plane};

    /// The RL310 messages for one role.
    fn rl310_of(role: &str) -> Vec<String> {
        let report = lint(LintOptions::default(), "role.json", role);
        report.findings().iter().filter(|f| f.code == RULE.code).map(|f| f.message.clone()).collect()
    }

    fn equal_to(names: &[&str]) -> Vec<String> {
        let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        vec![match quoted.as_slice() {
            [one] => format!("custom role grants exactly what built-in role {one} grants"),
            _ => format!("custom role grants exactly what built-in roles {} grant", quoted.join(", ")),
        }]
    }

    /// Built-ins whose entries match nothing in the catalog (the catalog lags Azure) are still compared: such an
    /// entry is compared by its pattern (and the exclusions of its block that touch it).
    #[test]
    fn entries_the_catalog_does_not_know_are_compared_by_pattern() {
        // Every entry of `AgFood Platform Service Admin` matches nothing in the catalog.
        let admin = r#"{"Name": "Our AgFood Admin", "DataActions": ["microsoft.agfoodplatform/*"],
            "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(admin), equal_to(&["AgFood Platform Service Admin"]));
        let datasets = r#"{"Name": "Datasets", "DataActions": ["Microsoft.AgFoodPlatform/farmBeats/datasetRecords/*",
            "Microsoft.AgFoodPlatform/farmBeats/datasets/*"], "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(datasets), equal_to(&["AgFood Platform Dataset Admin"]));
        // The exclusion that touches the unknown wildcard is part of what it grants.
        let sensors = r#"{"Name": "Sensors", "DataActions": ["Microsoft.AgFoodPlatform/farmBeats/sensorPartnerScope/*"],
            "NotDataActions": ["Microsoft.AgFoodPlatform/farmBeats/sensorPartnerScope/sensors/delete"],
            "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(sensors), equal_to(&["AgFood Platform Sensor Partner Contributor"]));
        // Mixed: two of the five entries of `Autonomous Development Platform Data Owner (Preview)` expand to
        // nothing; its copy must not be bucketed by the namespaces of the other three alone. `... Data Reader
        // (Preview)` and `PlayFab Reader` expand to the same catalog operations but list other patterns.
        let owner = r#"{"Name": "ADP Owner", "Actions": ["Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Authorization/*/read", "Microsoft.AutonomousDevelopmentPlatform/*/read"],
            "DataActions": ["Microsoft.AutonomousDevelopmentPlatform/*"], "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(owner), equal_to(&["Autonomous Development Platform Data Owner (Preview)"]));
    }

    /// A custom copy (another name and id) of every built-in role with an entry that matches nothing in the
    /// catalog is equal to that built-in. (All 895 comparable built-ins pass too, but take half a minute in a
    /// debug build.)
    #[test]
    fn builtin_copies_with_unknown_entries_equal_their_original() {
        let mut roles: Vec<serde_json::Value> = serde_json::from_str(rolegate::builtin::ROLES_JSON).unwrap();
        for (i, r) in roles.iter_mut().enumerate() {
            r["roleType"] = "CustomRole".into();
            r["name"] = format!("00000000-0000-0000-0000-{i:012}").into();
            r["roleName"] = format!("Copy {i}").into();
        }
        let text = serde_json::to_string(&roles).unwrap();
        let loaded = rolegate::load::load_roles("copies.json", text.as_bytes());
        let options = LintOptions::default();
        let analysis = Analysis::new(&options);
        let mut compared = 0;
        for (i, original) in builtins().roles.iter().enumerate() {
            let unknown = original.blocks.iter().any(|b| {
                let control = b.actions.iter().map(|p| (p, Plane::Control));
                control
                    .chain(b.data_actions.iter().map(|p| (p, Plane::Data)))
                    .any(|(p, plane)| !p.is_exact() && analysis.expand(p, plane).is_empty())
            });
            if !unknown || original.blocks.iter().any(|b| b.conditional) {
                continue;
            }
            compared += 1;
            let cx = RoleCx::new(&loaded.value, i, &analysis).unwrap();
            let equal: Vec<&str> = equal_builtins(&cx).iter().map(|b| b.name.as_str()).collect();
            assert!(equal.contains(&original.name.as_str()), "copy of `{}` equals {equal:?}", original.name);
        }
        // The 43 built-ins behind the 95 RL301 findings of the corpus snapshot.
        assert_eq!(compared, 43);
    }

    /// Roles whose entries expand to nothing are not equal for that alone: their patterns must be the same.
    #[test]
    fn unknown_entries_with_other_patterns_are_not_equal() {
        let narrower = r#"{"Name": "Farm", "DataActions": ["Microsoft.AgFoodPlatform/farmBeats/*"],
            "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(narrower), Vec::<String>::new());
        let unexcluded = r#"{"Name": "Sensors", "DataActions": ["Microsoft.AgFoodPlatform/farmBeats/sensorPartnerScope/*"],
            "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(unexcluded), Vec::<String>::new());
        let writer = r#"{"Name": "ADP Writer", "Actions": ["Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Authorization/*/read", "Microsoft.AutonomousDevelopmentPlatform/*/read"],
            "DataActions": ["Microsoft.AutonomousDevelopmentPlatform/*/write"], "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(writer), Vec::<String>::new());
        // An entry the catalog does not know still grants something: the role is more than the built-ins that
        // grant `Microsoft.Authorization/*/read` alone.
        let plain = r#"{"Name": "Auth Reader", "Actions": ["Microsoft.Authorization/*/read"],
            "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(
            rl310_of(plain),
            equal_to(&[
                "Azure VM Managed identities restore Contributor",
                "Connected Cluster Managed Identity CheckAccess Reader"
            ])
        );
        let more = r#"{"Name": "Auth Reader", "Actions": ["Microsoft.Authorization/*/read", "Contoso.Widgets/*"],
            "AssignableScopes": ["/subscriptions/s1"]}"#;
        assert_eq!(rl310_of(more), Vec::<String>::new());
    }

    #[test]
    fn rl310() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["*/read", "Microsoft.Compute/virtualMachines/start/action"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/virtualMachines/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
            &[
                r#"{"Name": "Our Reader", "Actions": ["*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                // Contributor, written differently: `*/Write` in another case still excludes the same operations.
                r#"{"Name": "Almost Owner", "Actions": ["*"],
  "NotActions": ["Microsoft.Authorization/*/delete", "Microsoft.Authorization/*/write", "Microsoft.Authorization/elevateAccess/Action",
    "Microsoft.Blueprint/blueprintAssignments/write", "Microsoft.Blueprint/blueprintAssignments/delete",
    "Microsoft.Compute/galleries/share/action", "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
    "Microsoft.Resources/deploymentStacks/manageDenySetting/action", "Microsoft.Subscription/cancel/action",
    "Microsoft.Subscription/enable/action"],
  "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
