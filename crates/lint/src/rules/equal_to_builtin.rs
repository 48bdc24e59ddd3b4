//! RL310: a custom role that grants exactly what a built-in role grants.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use rolegate::Severity;
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
block's exclusions, are exactly those of a built-in role (roles with conditions are not compared).

Why it matters: a copy of a built-in role is one more thing to maintain, and it does not follow when Microsoft
updates the original (new operations of the provider, new exclusions). Assign the built-in role instead.

Example:
    {\"Name\": \"Our Reader\", \"Actions\": [\"*/read\"], \"AssignableScopes\": [\"/subscriptions/s1\"]}
    is Reader.";

/// What a role effectively grants: catalog operations per plane, and exact operations the catalog lacks.
#[derive(PartialEq, Eq)]
struct Effective {
    ops: BTreeSet<(Plane, u32)>,
    uncataloged: BTreeSet<(Plane, String)>,
}

fn effective(grants: &[Grant<'_>]) -> Effective {
    let mut e = Effective { ops: BTreeSet::new(), uncataloged: BTreeSet::new() };
    for g in grants {
        e.ops.extend(g.ops.iter().map(|&i| (g.plane, i)));
        if let Some(name) = g.uncataloged {
            e.uncataloged.insert((g.plane, name.to_ascii_lowercase()));
        }
    }
    e
}

/// The same for a built-in role's pattern lists (`Analysis::grants` semantics: exclusions per block and
/// plane), or `None` as soon as one entry grants more operations than `limit`.
fn builtin_effective(analysis: &Analysis<'_>, role: &Builtin, limit: usize) -> Option<Effective> {
    let mut e = Effective { ops: BTreeSet::new(), uncataloged: BTreeSet::new() };
    let index = analysis.index();
    for block in &role.blocks {
        for (plane, grants, exclusions) in [
            (Plane::Control, &block.actions, &block.not_actions),
            (Plane::Data, &block.data_actions, &block.not_data_actions),
        ] {
            for g in grants {
                let all = analysis.expand(g, plane);
                if all.len() > limit && exclusions.is_empty() {
                    return None;
                }
                e.ops.extend(
                    all.iter().filter(|&&i| !exclusions.iter().any(|n| n.matches(index.name(i)))).map(|&i| (plane, i)),
                );
                if e.ops.len() > limit {
                    return None;
                }
                if g.is_exact()
                    && analysis.catalog().lookup(g.as_str()).next().is_none()
                    && !exclusions.iter().any(|n| n.matches(g.as_str()))
                {
                    e.uncataloged.insert((plane, g.as_str().to_ascii_lowercase()));
                }
            }
        }
    }
    Some(e)
}

/// The namespace an entry is confined to (`microsoft.compute`), or `None` when its wildcard spans namespaces.
fn namespace(pattern: &str) -> Option<String> {
    let prefix = pattern.split('*').next().unwrap_or_default();
    prefix.split_once('/').map(|(ns, _)| ns.to_ascii_lowercase())
}

/// A built-in role's cheap signature: the namespaces its entries are confined to, whether one spans all.
struct Signature {
    index: usize,
    namespaces: BTreeSet<String>,
    global: bool,
    entries: usize,
}

fn signatures() -> &'static [Signature] {
    static SIGS: OnceLock<Vec<Signature>> = OnceLock::new();
    SIGS.get_or_init(|| {
        builtins()
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| r.blocks.iter().all(|b| !b.conditional))
            .map(|(index, r)| {
                let mut namespaces = BTreeSet::new();
                let mut global = false;
                let mut entries = 0;
                for b in &r.blocks {
                    for p in b.actions.iter().chain(&b.data_actions) {
                        entries += 1;
                        match namespace(p.as_str()) {
                            Some(ns) => {
                                namespaces.insert(ns);
                            }
                            None => global = true,
                        }
                    }
                }
                Signature { index, namespaces, global, entries }
            })
            .collect()
    })
}

/// Roles with conditions grant something else than their lists say; they are not compared.
fn comparable(r: &RoleDefinition) -> bool {
    r.permissions.iter().all(|p| p.condition.is_none())
}

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    if !cx.is_custom() || !comparable(cx.role) {
        return;
    }
    let mine = effective(cx.grants());
    if mine.ops.is_empty() && mine.uncataloged.is_empty() {
        return;
    }
    let index = cx.analysis.index();
    let mut my_namespaces: BTreeSet<String> =
        mine.ops.iter().filter_map(|&(_, i)| index.name(i).split('/').next().map(str::to_ascii_lowercase)).collect();
    my_namespaces.extend(mine.uncataloged.iter().filter_map(|(_, n)| n.split('/').next().map(str::to_owned)));
    let roles = &builtins().roles;
    let mut equal: Vec<(&Signature, &Builtin)> = Vec::new();
    for sig in signatures() {
        // Cheap necessary conditions: every namespace the built-in is confined to is one of ours, and each of
        // ours is reachable by it.
        if !sig.namespaces.is_subset(&my_namespaces) || (!sig.global && sig.namespaces != my_namespaces) {
            continue;
        }
        let Some(b) = roles.get(sig.index) else { continue };
        if builtin_effective(cx.analysis, b, mine.ops.len()).is_some_and(|e| e == mine) {
            equal.push((sig, b));
        }
    }
    // Several built-ins can grant the same (`*/read`): name the plainest first (fewest entries, shortest name).
    equal.sort_by_key(|(sig, b)| (sig.entries, b.name.len(), b.name.clone()));
    let Some((_, first)) = equal.first() else { return };
    let names: Vec<String> = equal.iter().map(|(_, b)| b.name.clone()).collect();
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
    use super::super::testing::check_rule;
    use super::RULE;

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
