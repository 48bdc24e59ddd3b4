//! What a change to a whole tenant grants (semantics §4.2): access gained and lost as (principal, operation,
//! scope) rows, each at the highest scope where it holds, sensitive operations first, each naming the changed
//! assignments, roles, deny assignments, group memberships or hierarchy links that caused it.
//!
//! The work grows with the change, not with the tenant: the changed objects are found first (one pass over each
//! tenant), then only the principals they reach are evaluated, and only at the scopes at or below the changes
//! that reach them. [`tenant_diff_exhaustive`] evaluates every principal everywhere, for tests.
//!
//! ```
//! use rolegate::engine::Engine;
//! use rolegate::load::TenantLoader;
//! use rolegate_lint::tenant_diff::tenant_diff;
//!
//! let engine = |assignments: &str| {
//!     let mut l = TenantLoader::new();
//!     l.add_assignments("assignments.json", assignments.as_bytes());
//!     Engine::try_new(l.build().unwrap().0).unwrap()
//! };
//! let base = engine("[]");
//! // Key Vault Secrets User for alice on one vault.
//! let new = engine(r#"[{"name": "a1", "properties": {"principalId": "alice", "principalType": "User",
//!   "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
//!   "scope": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"}}]"#);
//! let d = tenant_diff(&base, &new, &Default::default()).unwrap();
//! assert!(d.gained.iter().all(|r| r.principal == "alice" && r.scope.ends_with("/vaults/kv")));
//! assert!(d.gained.iter().any(|r| r.operation.ends_with("secrets/getSecret/action")));
//! assert_eq!(d.changes[d.gained[0].causes[0]].id, "a1");
//! assert!(d.lost.is_empty());
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use rolegate::engine::{Engine, Permitted, Plane, QueryError, WhatCanKey, WhatCanLevels, WhatCanQuery};
use rolegate::model::{DenyAssignment, Entries, Permission, RoleAssignment, RoleDefinition, ScopeEntry, Tenant};
use serde::Serialize;

use crate::diff::Status;
use crate::options::{Category, LintOptions};
use crate::sensitive::SensitiveSets;

/// An id or key compared and hashed ASCII case-insensitively, borrowed where the tenant spells it: the indexes
/// over every assignment of two tenants need no lower-case copy of each id.
#[derive(Clone, Debug)]
struct Ci<'a>(Cow<'a, str>);

impl<'a> Ci<'a> {
    fn of(s: &'a str) -> Ci<'a> {
        Ci(Cow::Borrowed(s))
    }
}

impl PartialEq for Ci<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_text(&self.0, &other.0)
    }
}

/// ASCII case-insensitive equality, trying plain equality first: two exports of a tenant spell an id the same
/// way, and comparing bytes is several times faster than folding each.
fn same_text(a: &str, b: &str) -> bool {
    a == b || a.eq_ignore_ascii_case(b)
}

impl Eq for Ci<'_> {}

impl Hash for Ci<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buf = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(64) {
            for (d, s) in buf.iter_mut().zip(chunk) {
                *d = s.to_ascii_lowercase();
            }
            if let Some(lowered) = buf.get(..chunk.len()) {
                state.write(lowered);
            }
        }
        state.write_usize(self.0.len());
    }
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// The segment a synthetic scope below a named one ends in: a scope no tenant names, which stands for "any
/// scope below that the tenant does not name".
const BELOW: &str = "providers/Rolegate.Diff/below";

/// What the tenant says about an operation for a principal at a scope, with conditions unknown (semantics §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Not allowed for any request.
    None,
    /// Allowed for some requests only (a condition or a conditional deny assignment decides).
    Conditional,
    /// Allowed whatever the request's attributes.
    Allowed,
}

impl Access {
    /// `none`, `conditional` or `allowed`.
    pub fn name(self) -> &'static str {
        match self {
            Access::None => "none",
            Access::Conditional => "conditional",
            Access::Allowed => "allowed",
        }
    }
}

/// The kind of object a change is to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A role assignment (by id, else by principal, role and scope).
    Assignment,
    /// A role definition (by id).
    Role,
    /// A deny assignment (by id, else by name).
    DenyAssignment,
    /// A group's members (groups.json), or the principal type that makes a group id a user's (semantics §3).
    Group,
    /// A management group's parent, a subscription's management group, or the tenant root.
    Hierarchy,
}

/// One changed object of the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Change {
    /// What it is.
    pub kind: ChangeKind,
    /// Added, removed or changed.
    pub status: Status,
    /// Its id (an assignment's or role's id, a deny assignment's id or name, a group's, a management group's or
    /// subscription's id; `tenantId` for the root).
    pub id: String,
    /// For people: the role and scope of an assignment, a role's name, a deny assignment's scope.
    pub detail: String,
}

/// One access gained or lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccessChange {
    /// The principal, as the tenant first spells it.
    pub principal: String,
    /// The scope: the highest named scope where the change holds.
    pub scope: String,
    /// The change holds below `scope` (at scopes the tenant does not name) but not at it: a deny assignment
    /// that does not apply to child scopes sits there.
    pub below: bool,
    /// The operation.
    pub operation: String,
    /// `control` or `data`.
    pub plane: &'static str,
    /// What BASE says.
    pub before: Access,
    /// What NEW says.
    pub after: Access,
    /// Its sensitive categories, most severe first.
    pub categories: Vec<&'static str>,
    /// For a group: how many of its members, transitively, have exactly this change and are not listed on their
    /// own (who-can's convention: a group stands for the members its grant reaches; a member whose change
    /// differs is listed on its own).
    pub members: usize,
    /// The changes that reach the principal at this scope or above (indices into [`TenantDiff::changes`]).
    pub causes: Vec<usize>,
}

/// The access change from one tenant to another.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct TenantDiff {
    /// The changed objects.
    pub changes: Vec<Change>,
    /// How many principals were evaluated.
    pub principals_evaluated: usize,
    /// Access NEW allows and BASE does not (or only conditionally), grouped by principal and scope, sensitive
    /// groups first and sensitive operations first in each.
    pub gained: Vec<AccessChange>,
    /// Access BASE allows and NEW does not (or only conditionally), in the same order.
    pub lost: Vec<AccessChange>,
}

impl TenantDiff {
    /// Whether anything is gained; with `categories`, anything in one of them.
    pub fn gains(&self, categories: &[Category]) -> bool {
        self.gained.iter().any(|r| categories.is_empty() || categories.iter().any(|c| r.categories.contains(&c.name())))
    }
}

/// Why a tenant diff could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TenantDiffError {
    /// A reverse query was refused (a scope or operation the engine cannot ask about).
    #[error("cannot evaluate `{principal}` at `{scope}`: {message}")]
    Query {
        /// The principal.
        principal: String,
        /// The scope.
        scope: String,
        /// The engine's reason.
        message: String,
    },
    /// More of something than the diff's indexes hold (over 4 billion).
    #[error("too many {0} to compare")]
    TooLarge(&'static str),
}

// ---------------------------------------------------------------------------------------------------------------
// Content keys: two objects are the same when every field a decision reads is the same.

fn entries(e: &Entries<rolegate::model::Action>) -> String {
    match e {
        Entries::List(v) => v.iter().map(|a| a.raw.as_str()).collect::<Vec<_>>().join("\u{1}"),
        Entries::Template(t) => format!("template:{}", t.value),
    }
}

fn permissions(ps: &[Permission]) -> String {
    ps.iter()
        .map(|p| {
            format!(
                "{}\u{2}{}\u{2}{}\u{2}{}\u{2}{:?}\u{2}{:?}",
                entries(&p.actions),
                entries(&p.not_actions),
                entries(&p.data_actions),
                entries(&p.not_data_actions),
                p.condition.as_ref().map(|c| &c.value),
                p.condition_version.as_ref().map(|c| &c.value)
            )
        })
        .collect::<Vec<_>>()
        .join("\u{3}")
}

fn role_content(r: &RoleDefinition) -> String {
    let scopes = r
        .assignable_scopes
        .as_ref()
        .map(|s| match s {
            Entries::List(v) => v.iter().map(|e| e.raw.to_ascii_lowercase()).collect::<Vec<_>>().join(","),
            Entries::Template(t) => format!("template:{}", t.value),
        })
        .unwrap_or_default();
    format!("{}\u{4}{:?}\u{4}{}\u{4}{scopes}", r.display_name(), r.role_type, permissions(&r.permissions))
}

fn assignment_content(a: &RoleAssignment) -> String {
    format!(
        "{}\u{4}{:?}\u{4}{}\u{4}{}\u{4}{:?}\u{4}{:?}",
        a.principal_id.key(),
        a.principal_type.as_ref().map(|t| t.as_str().to_ascii_lowercase()),
        a.role_id.key(),
        a.scope.raw.to_ascii_lowercase(),
        a.condition.as_ref().map(|c| &c.value),
        a.condition_version.as_ref().map(|c| &c.value)
    )
}

/// `assignment_content(a) == assignment_content(b)`, without building either.
fn same_assignment(a: &RoleAssignment, b: &RoleAssignment) -> bool {
    let ci = |x: Option<&str>, y: Option<&str>| match (x, y) {
        (Some(x), Some(y)) => same_text(x, y),
        (x, y) => x.is_none() && y.is_none(),
    };
    same_text(a.principal_id.as_str(), b.principal_id.as_str())
        && ci(a.principal_type.as_ref().map(|t| t.as_str()), b.principal_type.as_ref().map(|t| t.as_str()))
        && same_text(a.role_id.as_str(), b.role_id.as_str())
        && same_text(&a.scope.raw, &b.scope.raw)
        && a.condition.as_ref().map(|c| &c.value) == b.condition.as_ref().map(|c| &c.value)
        && a.condition_version.as_ref().map(|c| &c.value) == b.condition_version.as_ref().map(|c| &c.value)
}

fn deny_content(d: &DenyAssignment) -> String {
    let ps = |v: &[rolegate::model::Principal]| {
        let mut v: Vec<String> = v
            .iter()
            .map(|p| format!("{}:{:?}", p.id.key(), p.principal_type.as_ref().map(|t| t.as_str().to_ascii_lowercase())))
            .collect();
        v.sort();
        v.join(",")
    };
    format!(
        "{}\u{4}{}\u{4}{}\u{4}{}\u{4}{}\u{4}{:?}\u{4}{:?}\u{4}{:?}",
        permissions(&d.permissions),
        d.scope.raw.to_ascii_lowercase(),
        d.do_not_apply_to_child_scopes,
        ps(&d.principals),
        ps(&d.exclude_principals),
        d.effect,
        d.condition.as_ref().map(|c| &c.value),
        d.condition_version.as_ref().map(|c| &c.value)
    )
}

fn role_key(r: &RoleDefinition) -> Ci<'_> {
    match &r.id {
        Some(id) => Ci::of(id.as_str()),
        None => Ci(Cow::Owned(format!("name:{}", r.display_name()))),
    }
}

fn assignment_key(a: &RoleAssignment) -> Ci<'_> {
    match &a.id {
        Some(id) => Ci::of(id.as_str()),
        None => Ci(Cow::Owned(format!("{}|{}|{}", a.principal_id.as_str(), a.role_id.as_str(), a.scope.raw))),
    }
}

fn deny_key(d: &DenyAssignment) -> Ci<'_> {
    match (&d.id, &d.name) {
        (Some(id), _) => Ci::of(id.as_str()),
        (None, Some(n)) => Ci(Cow::Owned(format!("name:{n}"))),
        (None, None) => Ci(Cow::Owned(format!("content:{}", deny_content(d)))),
    }
}

/// Objects by key (ASCII case-insensitively), in tenant order.
fn keyed<'t, T>(items: &'t [T], key: impl Fn(&'t T) -> Ci<'t>) -> Keyed<'t, T> {
    keyed_where(items, key, |_| true)
}

/// As [`keyed`], the objects whose key passes `keep` only.
fn keyed_where<'t, T>(items: &'t [T], key: impl Fn(&'t T) -> Ci<'t>, keep: impl Fn(&Ci<'t>) -> bool) -> Keyed<'t, T> {
    let mut out: Keyed<'t, T> = FastMap::default();
    for i in items {
        let k = key(i);
        if keep(&k) {
            out.entry(k).or_default().push(i);
        }
    }
    out
}

/// The assignment changes, as [`changed`] finds them over every assignment. Two exports of a tenant list most
/// assignments in the same order, so both lists are first walked in step ([`unsettled_keys`]) and only the keys
/// the walk could not settle are indexed and compared: an unchanged assignment costs one comparison with its
/// counterpart instead of a look-up in a map of hundreds of thousands, each a cache miss.
fn changed_assignments<'t>(
    base: &'t [RoleAssignment],
    new: &'t [RoleAssignment],
) -> Vec<(String, Status, Vec<&'t RoleAssignment>, Vec<&'t RoleAssignment>)> {
    let (b, n) = match unsettled_keys(base, new) {
        Some(keys) if keys.is_empty() => return Vec::new(),
        Some(keys) => (
            keyed_where(base, assignment_key, |k| keys.contains(k)),
            keyed_where(new, assignment_key, |k| keys.contains(k)),
        ),
        None => (keyed(base, assignment_key), keyed(new, assignment_key)),
    };
    changed(&b, &n, assignment_content, same_assignment)
}

/// The keys whose assignments may differ between `base` and `new`, walking both in step: `None` when the two are
/// too far out of order for the walk to pay (a quarter of the assignments unsettled).
///
/// Every assignment is either paired with an equal one (`same_assignment`) under the same key on the other side,
/// or has its key listed. A key not listed therefore has pairwise equal objects on both sides, so the same
/// contents: every key [`changed`] would report is listed. A listed key may still turn out the same.
fn unsettled_keys<'t>(base: &'t [RoleAssignment], new: &'t [RoleAssignment]) -> Option<FastSet<Ci<'t>>> {
    // How far ahead an insertion or removal is looked for before both sides' assignments are left unsettled.
    const LOOKAHEAD: usize = 8;
    let limit = (base.len() + new.len()) / 4;
    let mut out: FastSet<Ci<'t>> = FastSet::default();
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (base.get(i), new.get(j)) {
        if out.len() > limit {
            return None;
        }
        let (ka, kb) = (assignment_key(a), assignment_key(b));
        if ka == kb {
            if !same_assignment(a, b) {
                out.insert(ka);
            }
            (i, j) = (i + 1, j + 1);
            continue;
        }
        // Out of step: assignments added in NEW before `a`, or removed from BASE before `b`, else both unsettled.
        let added = (1..=LOOKAHEAD).find(|&d| new.get(j + d).is_some_and(|x| assignment_key(x) == ka));
        let removed = (1..=LOOKAHEAD).find(|&d| base.get(i + d).is_some_and(|x| assignment_key(x) == kb));
        match (added, removed) {
            (Some(d), r) if r.is_none_or(|r| d <= r) => {
                out.extend(new.iter().skip(j).take(d).map(assignment_key));
                j += d;
            }
            (_, Some(d)) => {
                out.extend(base.iter().skip(i).take(d).map(assignment_key));
                i += d;
            }
            _ => {
                out.insert(ka);
                out.insert(kb);
                (i, j) = (i + 1, j + 1);
            }
        }
    }
    out.extend(base.iter().skip(i).chain(new.iter().skip(j)).map(assignment_key));
    (out.len() <= limit).then_some(out)
}

type Keyed<'t, T> = FastMap<Ci<'t>, Vec<&'t T>>;

/// The keys whose contents differ, with the base and new objects under them, in key order. A key that repeats
/// compares as the sorted list of its contents; a key with one object on each side compares with `same`, which
/// for assignments builds no text (an unchanged tenant of fifty thousand assignments repeats them all).
fn changed<'t, T>(
    base: &Keyed<'t, T>,
    new: &Keyed<'t, T>,
    content: impl Fn(&T) -> String,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<(String, Status, Vec<&'t T>, Vec<&'t T>)> {
    let sorted = |v: &[&'t T]| {
        let mut c: Vec<String> = v.iter().map(|x| content(x)).collect();
        c.sort();
        c
    };
    let mut out = Vec::new();
    let keys = base.keys().chain(new.keys().filter(|k| !base.contains_key(k)));
    for k in keys {
        let (b, n) = (base.get(k), new.get(k));
        let same = match (b, n) {
            (Some(x), Some(y)) => match (x.as_slice(), y.as_slice()) {
                ([p], [q]) => same(p, q),
                _ => x.len() == y.len() && sorted(x) == sorted(y),
            },
            (None, None) => true,
            _ => false,
        };
        if same {
            continue;
        }
        let status = match (b, n) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ => Status::Changed,
        };
        out.push((lower(&k.0), status, b.cloned().unwrap_or_default(), n.cloned().unwrap_or_default()));
    }
    // In key order, as the keys compare.
    out.sort_by(|x, y| x.0.cmp(&y.0));
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Scopes and ancestry

/// A scope's canonical text, when it has one; `None` for a placeholder, a template expression or a malformed
/// one, which decides nothing at a place of its own (semantics §2.3).
fn canonical(s: &ScopeEntry) -> Option<String> {
    s.scope().map(|s| s.as_str().to_owned())
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

const MG_PREFIX: &str = "/providers/microsoft.management/managementgroups/";
const SUB_PREFIX: &str = "/subscriptions/";

fn mg_scope(id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{id}")
}

/// One tenant's management-group tree, lower case.
#[derive(Default)]
struct Tree {
    root: Option<String>,
    mg_parent: HashMap<String, Option<String>>,
    sub_mg: HashMap<String, String>,
    /// [`Tree::ancestors`] by scope: thousands of principals share the scopes of their groups' assignments.
    memo: RefCell<HashMap<String, Arc<[String]>>>,
}

impl Tree {
    fn new(t: &Tenant) -> Tree {
        let h = &t.hierarchy;
        Tree {
            root: h.tenant_id.as_ref().map(|i| i.key()),
            mg_parent: h.management_groups.iter().map(|(m, p)| (m.key(), p.as_ref().map(|p| p.key()))).collect(),
            sub_mg: h.subscriptions.iter().map(|(s, m)| (s.key(), m.key())).collect(),
            memo: RefCell::default(),
        }
    }

    /// The management groups above (and including) `mg`, up to the tenant root (§2.3: an unplaced one hangs
    /// under the root).
    fn mg_chain(&self, mg: Option<&str>, out: &mut Vec<String>) {
        let mut seen = HashSet::new();
        let mut at = mg.map(str::to_owned);
        while let Some(m) = at.take() {
            if !seen.insert(m.clone()) {
                break;
            }
            out.push(format!("{MG_PREFIX}{m}"));
            at = match self.mg_parent.get(&m) {
                Some(Some(p)) => Some(p.clone()),
                _ => self.root.clone(),
            };
        }
        if let Some(r) = &self.root
            && seen.is_empty()
        {
            out.push(format!("{MG_PREFIX}{r}"));
        }
    }

    /// The ancestors of lower-case canonical `scope`, itself excluded: its prefixes, `/`, and the management
    /// groups above its subscription or management group.
    fn ancestors(&self, scope: &str) -> Arc<[String]> {
        if let Some(a) = self.memo.borrow().get(scope) {
            return Arc::clone(a);
        }
        let a: Arc<[String]> = self.work_out_ancestors(scope).into();
        self.memo.borrow_mut().insert(scope.to_owned(), Arc::clone(&a));
        a
    }

    fn work_out_ancestors(&self, scope: &str) -> Vec<String> {
        let mut out = vec!["/".to_owned()];
        let ends: Vec<usize> = scope.match_indices('/').map(|(i, _)| i).filter(|&i| i > 0).collect();
        out.extend(ends.iter().filter_map(|&e| scope.get(..e)).map(str::to_owned));
        if let Some(rest) = scope.strip_prefix(SUB_PREFIX) {
            let sub = rest.split('/').next().unwrap_or_default();
            self.mg_chain(self.sub_mg.get(sub).map(String::as_str).or(self.root.as_deref()), &mut out);
        } else if let Some(rest) = scope.strip_prefix(MG_PREFIX) {
            let mut mg = rest.split('/');
            let own = mg.next().unwrap_or_default();
            let deeper = mg.next().is_some();
            let parent = if deeper {
                Some(own.to_owned())
            } else if self.root.as_deref() == Some(own) {
                None
            } else {
                match self.mg_parent.get(own) {
                    Some(Some(p)) => Some(p.clone()),
                    _ => self.root.clone(),
                }
            };
            if parent.is_some() || deeper {
                self.mg_chain(parent.as_deref(), &mut out);
            }
        }
        out.retain(|a| a != scope);
        out.sort();
        out.dedup();
        out
    }
}

/// A place a principal is evaluated at: a named scope, or the synthetic scope below one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Place {
    /// Lower case, for comparing.
    key: String,
    /// As written (the first spelling met).
    text: String,
    below: bool,
}

impl Place {
    fn query_scope(&self) -> String {
        if !self.below {
            self.text.clone()
        } else if self.text == "/" {
            format!("/{BELOW}")
        } else {
            format!("{}/{BELOW}", self.text)
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The two tenants, indexed

/// A principal's entry in [`Side::by_principal`].
#[derive(Default)]
struct Held<'t> {
    assignments: Vec<&'t RoleAssignment>,
    /// An assignment types the principal as a user or service principal.
    person: bool,
}

/// One tenant's indexes (a pass over it).
struct Side<'t> {
    tenant: &'t Tenant,
    tree: Tree,
    /// Principal → its assignments. The only index with an entry per assignment: with hundreds of thousands,
    /// each costs a cache miss, so the assignments of a changed role are found by a pass when one changes.
    by_principal: FastMap<Ci<'t>, Held<'t>>,
    /// Member → the groups it is directly in.
    member_of: HashMap<String, Vec<String>>,
    /// Group → its direct members.
    members: HashMap<String, Vec<String>>,
    /// Deny assignments naming a principal (as principal or exclusion).
    denies_naming: HashMap<String, Vec<&'t DenyAssignment>>,
}

impl<'t> Side<'t> {
    fn new(tenant: &'t Tenant) -> Side<'t> {
        let mut s = Side {
            tenant,
            tree: Tree::new(tenant),
            by_principal: FastMap::default(),
            member_of: HashMap::new(),
            members: HashMap::new(),
            denies_naming: HashMap::new(),
        };
        for a in &tenant.assignments {
            let held = s.by_principal.entry(Ci::of(a.principal_id.as_str())).or_default();
            held.assignments.push(a);
            held.person |= matches!(
                a.principal_type,
                Some(rolegate::model::PrincipalType::User | rolegate::model::PrincipalType::ServicePrincipal)
            );
        }
        for (g, ms) in &tenant.groups.groups {
            for m in ms {
                s.member_of.entry(m.key()).or_default().push(g.key());
                s.members.entry(g.key()).or_default().push(m.key());
            }
        }
        for d in &tenant.deny_assignments {
            for p in d.principals.iter().chain(&d.exclude_principals) {
                s.denies_naming.entry(p.id.key()).or_default().push(d);
            }
        }
        s
    }

    /// The assignments `p` holds directly.
    fn held<'a>(&'a self, p: &'a str) -> &'a [&'a RoleAssignment] {
        self.by_principal.get(&Ci::of(p)).map_or(&[], |h| h.assignments.as_slice())
    }

    /// Whether an assignment types `p` as a user or service principal: its members then hold none of its grants,
    /// as the engine's `persons`.
    fn is_person(&self, p: &str) -> bool {
        self.by_principal.get(&Ci::of(p)).is_some_and(|h| h.person)
    }

    /// The groups `p` is in, transitively (itself excluded); `grants`: only those reached without passing through
    /// a person, which hold grants for it (the engine's `grant_closure`).
    fn groups_of(&self, p: &str, grants: bool) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![p.to_owned()];
        while let Some(x) = stack.pop() {
            for g in self.member_of.get(&x).map_or(&[][..], Vec::as_slice) {
                if g == p || out.contains(g) || (grants && self.is_person(g)) {
                    continue;
                }
                out.insert(g.clone());
                stack.push(g.clone());
            }
        }
        out
    }

    /// The transitive members of `g` (itself excluded).
    fn members_of(&self, g: &str, out: &mut BTreeSet<String>) {
        let mut stack = vec![g.to_owned()];
        while let Some(x) = stack.pop() {
            for m in self.members.get(&x).map_or(&[][..], Vec::as_slice) {
                if m != g && out.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
    }
}

/// Every principal either tenant names, by id (ASCII case-insensitively) → its first spelling.
struct Principals<'t> {
    spelled: FastMap<Ci<'t>, &'t str>,
}

impl<'t> Principals<'t> {
    /// The principals `side` names, each with its first spelling there (a pass per tenant, on the tenant's thread).
    fn of(side: &Side<'t>) -> Principals<'t> {
        let mut spelled: FastMap<Ci<'t>, &'t str> = FastMap::default();
        let t = side.tenant;
        let mut add = |id: &'t rolegate::model::Id| {
            spelled.entry(Ci::of(id.as_str())).or_insert(id.as_str());
        };
        // Each principal once instead of once per assignment: its first assignment in the tenant has the tenant's
        // first spelling.
        for held in side.by_principal.values() {
            held.assignments.iter().take(1).for_each(|a| add(&a.principal_id));
        }
        for d in &t.deny_assignments {
            for p in d.principals.iter().chain(&d.exclude_principals).filter(|p| !p.is_everyone()) {
                add(&p.id);
            }
        }
        for (g, ms) in &t.groups.groups {
            add(g);
            ms.iter().for_each(&mut add);
        }
        Principals { spelled }
    }

    /// Both tenants' principals: BASE's spelling where both name one.
    fn merge(base: Principals<'t>, new: Principals<'t>) -> Principals<'t> {
        let mut spelled = base.spelled;
        for (k, v) in new.spelled {
            spelled.entry(k).or_insert(v);
        }
        Principals { spelled }
    }

    /// The first spelling of the principal with lower-case id `key`.
    fn get(&self, key: &str) -> Option<&'t str> {
        self.spelled.get(&Ci::of(key)).copied()
    }

    /// As [`Principals::get`], else the key itself.
    fn display(&self, key: &str) -> String {
        self.get(key).unwrap_or(key).to_owned()
    }

    /// Every principal's lower-case id.
    fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.spelled.keys().map(|k| lower(&k.0))
    }
}

/// What is being worked out: per affected principal, the scopes (lower case) changes reach it at, with the
/// change; `None` as the scope: everywhere.
#[derive(Default)]
struct Affected {
    roots: BTreeMap<String, BTreeSet<(Option<String>, usize)>>,
}

impl Affected {
    fn add(&mut self, p: &str, root: Option<String>, cause: usize) {
        self.roots.entry(p.to_owned()).or_default().insert((root, cause));
    }

    /// `p` and every transitive member of it in either tenant: they hold its grants and its deny assignments
    /// target them.
    fn add_with_members(&mut self, sides: &[Side<'_>; 2], p: &str, root: Option<String>, cause: usize) {
        let mut all = BTreeSet::new();
        for s in sides {
            s.members_of(p, &mut all);
        }
        self.add(p, root.clone(), cause);
        for m in all {
            self.add(&m, root.clone(), cause);
        }
    }
}

/// The root a changed object's scope gives: its canonical text, else everywhere (fail closed).
fn root_of(s: &ScopeEntry) -> Option<String> {
    canonical(s).map(|c| lower(&c))
}

// ---------------------------------------------------------------------------------------------------------------
// The diff

/// The access change from `base` to `new` (semantics §4.2), evaluating only what the changes reach.
pub fn tenant_diff(base: &Engine, new: &Engine, options: &LintOptions) -> Result<TenantDiff, TenantDiffError> {
    run(base, new, options, false)
}

/// [`tenant_diff`] by brute force: every principal either tenant names at every place it is considered at,
/// whatever changed. The same rows (its causes name every change); for tests and for checking the fast path.
#[doc(hidden)]
pub fn tenant_diff_exhaustive(
    base: &Engine,
    new: &Engine,
    options: &LintOptions,
) -> Result<TenantDiff, TenantDiffError> {
    run(base, new, options, true)
}

fn run(base: &Engine, new: &Engine, options: &LintOptions, exhaustive: bool) -> Result<TenantDiff, TenantDiffError> {
    let (bt, nt) = (base.tenant(), new.tenant());
    // One pass over each tenant, the two side by side, and a walk over both assignment lists in step: with
    // hundreds of thousands of assignments, reading them is much of what a small change costs.
    let indexed = |t| {
        let side = Side::new(t);
        let principals = Principals::of(&side);
        (side, principals)
    };
    let (sides, principals, assignment_changes) = std::thread::scope(|s| {
        let base_side = s.spawn(|| indexed(bt));
        let walk = s.spawn(|| changed_assignments(&bt.assignments, &nt.assignments));
        let (new_side, new_principals) = indexed(nt);
        let (base_side, base_principals) = joined(base_side);
        ([base_side, new_side], Principals::merge(base_principals, new_principals), joined(walk))
    });

    let mut changes: Vec<Change> = Vec::new();
    let mut affected = Affected::default();

    // Role assignments.
    for (key, status, b, n) in assignment_changes {
        let first = n.first().or(b.first());
        let detail = first.map_or_else(String::new, |a| {
            let role = nt
                .role(&a.role_id)
                .or(bt.role(&a.role_id))
                .map_or_else(|| a.role_id.to_string(), RoleDefinition::label);
            format!("{} for {} at {}", role, a.principal_id, a.scope.raw)
        });
        let id = first.and_then(|a| a.id.as_ref()).map_or(key, ToString::to_string);
        let c = push(&mut changes, ChangeKind::Assignment, status, id, detail);
        for a in b.iter().chain(&n) {
            affected.add_with_members(&sides, &a.principal_id.key(), root_of(&a.scope), c);
        }
    }

    // Role definitions: every principal assigned the role, in either tenant, at the assignment's scope.
    let (rb, rn) = (keyed(&bt.roles, role_key), keyed(&nt.roles, role_key));
    let mut changed_roles: FastMap<Ci<'_>, usize> = FastMap::default();
    for (key, status, b, n) in changed(&rb, &rn, role_content, |x, y| role_content(x) == role_content(y)) {
        let role = n.first().or(b.first());
        let id = role.and_then(|r| r.id.as_ref()).map_or(key.clone(), ToString::to_string);
        let c = push(&mut changes, ChangeKind::Role, status, id, role.map_or_else(String::new, |r| r.label()));
        changed_roles.insert(Ci(Cow::Owned(key)), c);
    }
    if !changed_roles.is_empty() {
        for s in &sides {
            for a in &s.tenant.assignments {
                if let Some(&c) = changed_roles.get(&Ci::of(a.role_id.as_str())) {
                    affected.add_with_members(&sides, &a.principal_id.key(), root_of(&a.scope), c);
                }
            }
        }
    }

    // Deny assignments: whom they name, or everyone.
    let (db, dn) = (keyed(&bt.deny_assignments, deny_key), keyed(&nt.deny_assignments, deny_key));
    for (key, status, b, n) in changed(&db, &dn, deny_content, |x, y| deny_content(x) == deny_content(y)) {
        let first = n.first().or(b.first());
        let id = first.and_then(|d| d.id.as_ref().map(ToString::to_string).or(d.name.clone())).unwrap_or(key);
        let c = push(
            &mut changes,
            ChangeKind::DenyAssignment,
            status,
            id,
            first.map_or_else(String::new, |d| format!("at {}", d.scope.raw)),
        );
        for d in b.iter().chain(&n) {
            let root = root_of(&d.scope);
            if d.principals.iter().any(rolegate::model::Principal::is_everyone) {
                for p in principals.keys() {
                    affected.add(&p, root.clone(), c);
                }
            }
            for p in d.principals.iter().chain(&d.exclude_principals).filter(|p| !p.is_everyone()) {
                affected.add_with_members(&sides, &p.id.key(), root.clone(), c);
            }
        }
    }

    // Group memberships, and the principal types that stop a group's grants at a user (the engine's persons):
    // a member whose groups differ is reached wherever a group it gained or lost holds an assignment or is named
    // by a deny assignment.
    let [sb, sn] = &sides;
    let mut touched: BTreeMap<String, usize> = BTreeMap::new();
    let group_keys: BTreeSet<String> = sb.members.keys().chain(sn.members.keys()).cloned().collect();
    for g in &group_keys {
        let members = |s: &Side<'_>| {
            let mut v = s.members.get(g).cloned().unwrap_or_default();
            v.sort();
            v.dedup();
            v
        };
        let (mb, mn) = (members(sb), members(sn));
        if mb != mn {
            let status = if mb.is_empty() {
                Status::Added
            } else if mn.is_empty() {
                Status::Removed
            } else {
                Status::Changed
            };
            let added = mn.iter().filter(|m| !mb.contains(m)).count();
            let removed = mb.iter().filter(|m| !mn.contains(m)).count();
            let c = push(
                &mut changes,
                ChangeKind::Group,
                status,
                principals.display(g),
                format!("+{added} -{removed} members"),
            );
            touched.insert(g.clone(), c);
        }
    }
    for p in &group_keys {
        if sb.is_person(p) != sn.is_person(p) {
            let c = push(
                &mut changes,
                ChangeKind::Group,
                Status::Changed,
                principals.display(p),
                "typed as a user or service principal in one tenant only: its members hold its grants in the other"
                    .into(),
            );
            touched.insert(p.clone(), c);
        }
    }
    if !touched.is_empty() {
        let mut reached = BTreeSet::new();
        for g in touched.keys() {
            for s in &sides {
                s.members_of(g, &mut reached);
            }
        }
        let causes: Vec<usize> = touched.values().copied().collect();
        for m in reached {
            let differ: BTreeSet<String> = [true, false]
                .into_iter()
                .flat_map(|grants| {
                    let (x, y) = (sb.groups_of(&m, grants), sn.groups_of(&m, grants));
                    x.symmetric_difference(&y).cloned().collect::<Vec<_>>()
                })
                .collect();
            for g in differ {
                for s in &sides {
                    let at = s.held(&g).iter().map(|a| root_of(&a.scope));
                    let denied =
                        s.denies_naming.get(&g).map_or(&[][..], Vec::as_slice).iter().map(|d| root_of(&d.scope));
                    for root in at.chain(denied).collect::<Vec<_>>() {
                        for &c in &causes {
                            affected.add(&m, root.clone(), c);
                        }
                    }
                }
            }
        }
    }

    // The hierarchy: everything below a moved node, for everyone (a moved subscription carries every
    // assignment above it along).
    let (tb, tn) = (&sb.tree, &sn.tree);
    let mut moved: Vec<(String, Option<String>)> = Vec::new();
    if tb.root != tn.root {
        moved.push(("tenantId".into(), None));
    }
    let mgs: BTreeSet<&String> = tb.mg_parent.keys().chain(tn.mg_parent.keys()).collect();
    for m in mgs {
        if tb.mg_parent.get(m) != tn.mg_parent.get(m) {
            moved.push((m.clone(), Some(format!("{MG_PREFIX}{m}"))));
        }
    }
    let subs: BTreeSet<&String> = tb.sub_mg.keys().chain(tn.sub_mg.keys()).collect();
    for s in subs {
        if tb.sub_mg.get(s) != tn.sub_mg.get(s) {
            moved.push((s.clone(), Some(format!("{SUB_PREFIX}{s}"))));
        }
    }
    for (id, root) in moved {
        let c =
            push(&mut changes, ChangeKind::Hierarchy, Status::Changed, id, "moved in the management-group tree".into());
        for p in principals.keys() {
            affected.add(&p, root.clone(), c);
        }
    }

    if exhaustive {
        affected.roots.clear();
        for p in principals.keys() {
            for c in 0..changes.len() {
                affected.add(&p, None, c);
            }
            affected.add(&p, None, usize::MAX);
        }
    }

    let places = Places::new(&sides);
    let sensitive = SensitiveSets::new(&options.extra_sensitive);
    let rows = if exhaustive {
        plain_rows(&Diffing {
            base,
            new,
            sides: &sides,
            principals: &principals,
            affected: &affected,
            places: &places,
        })?
    } else {
        fast_rows(&Diffing { base, new, sides: &sides, principals: &principals, affected: &affected, places: &places })?
    };

    let mut out = TenantDiff { changes, principals_evaluated: affected.roots.len(), ..TenantDiff::default() };
    // Rows share their principal, place and operation text (`Row`), so these are worked out once per shared
    // value, keyed by where it lives.
    let mut categories_of: HashMap<*const u8, Vec<&'static str>> = HashMap::new();
    let mut causes_of: HashMap<(*const u8, *const Place), Vec<usize>> = HashMap::new();
    let mut display_of: HashMap<*const u8, String> = HashMap::new();
    for (gained, r, members) in &rows {
        let causes = causes_of
            .entry((r.principal.as_ptr(), Rc::as_ptr(&r.place)))
            .or_insert_with(|| {
                let mut above = ancestors_either(&sides, &r.place);
                above.insert(r.place.key.clone());
                let mut causes: Vec<usize> = affected
                    .roots
                    .get(&*r.principal)
                    .into_iter()
                    .flatten()
                    .filter(|(root, c)| *c != usize::MAX && root.as_ref().is_none_or(|x| above.contains(x)))
                    .map(|(_, c)| *c)
                    .collect();
                causes.sort_unstable();
                causes.dedup();
                causes
            })
            .clone();
        let categories = categories_of
            .entry(r.op.as_ptr())
            .or_insert_with(|| {
                let bits = sensitive.categories(&r.op);
                Category::ALL.into_iter().filter(|c| bits & c.bit() != 0).map(Category::name).collect()
            })
            .clone();
        let principal =
            display_of.entry(r.principal.as_ptr()).or_insert_with(|| principals.display(&r.principal)).clone();
        let change = AccessChange {
            principal,
            scope: r.place.text.clone(),
            below: r.place.below,
            operation: r.op.to_string(),
            plane: if r.plane == 0 { "control" } else { "data" },
            before: r.before,
            after: r.after,
            categories,
            members: *members,
            causes,
        };
        if *gained {
            out.gained.push(change);
        } else {
            out.lost.push(change);
        }
    }
    sort_rows(&mut out.gained);
    sort_rows(&mut out.lost);
    Ok(out)
}

/// What a scoped thread returned; a panic in it is not swallowed but continues in the caller.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// What both ways of finding the rows read.
#[derive(Clone, Copy)]
struct Diffing<'a, 't> {
    base: &'a Engine,
    new: &'a Engine,
    sides: &'a [Side<'t>; 2],
    principals: &'a Principals<'t>,
    affected: &'a Affected,
    places: &'a Places<'t>,
}

/// The error for a query the engine refused.
fn refused(principal: &str, scope: &str, e: QueryError) -> TenantDiffError {
    TenantDiffError::Query { principal: principal.to_owned(), scope: scope.to_owned(), message: e.to_string() }
}

/// The rows by brute force, for [`tenant_diff_exhaustive`]: `what_can` of both tenants at every place each
/// principal is evaluated at, merged list against list, collapsed and folded row by row. The plain twin of
/// [`fast_rows`]; each row with the number of members folded into it.
fn plain_rows(d: &Diffing<'_, '_>) -> Result<Vec<(bool, Row, usize)>, TenantDiffError> {
    let Diffing { base, new, sides, principals, affected, places } = *d;
    let [sb, sn] = sides;
    let (tb, tn) = (&sb.tree, &sn.tree);
    // The operations one vocabulary lacks are asked of that engine by name (semantics §4.2: the union).
    let plane_of = |p: Plane| u8::from(p == Plane::Data);
    let [in_base, in_new] = [base, new].map(|e| {
        let own: HashSet<(String, u8)> = e.vocabulary().iter().map(|v| (lower(v.name), plane_of(v.plane))).collect();
        own
    });
    let only = |e: &Engine, other: &HashSet<(String, u8)>| -> Vec<(String, Plane)> {
        e.vocabulary()
            .iter()
            .filter(|v| !other.contains(&(lower(v.name), plane_of(v.plane))))
            .map(|v| (v.name.to_owned(), v.plane))
            .collect()
    };
    // (only NEW names them, only BASE names them)
    let (only_new, only_base) = (only(new, &in_base), only(base, &in_new));
    let (ask_base, ask_new) = (borrowed(&only_new), borrowed(&only_base));
    let skip: HashSet<(String, u8)> =
        only_new.iter().chain(&only_base).map(|(n, p)| (lower(n), plane_of(*p))).collect();
    let mut rows: Vec<(bool, Row)> = Vec::new();
    for (p, roots) in &affected.roots {
        let Some(spelled) = principals.get(p) else { continue };
        let candidates = places.for_principal(sides, p, roots);
        let mut found: Vec<(bool, Row)> = Vec::new();
        let principal: Rc<str> = p.as_str().into();
        for place in &candidates {
            let shared = Rc::new(place.clone());
            let scope = place.query_scope();
            let query = WhatCanQuery::new(spelled, &scope);
            let refused = |e| refused(spelled, &scope, e);
            let (wb, wn) = (base.what_can(&query).map_err(refused)?, new.what_can(&query).map_err(refused)?);
            let mut push = |plane: u8, op: &str, before: Access, after: Access| {
                let row = Row {
                    principal: Rc::clone(&principal),
                    place: Rc::clone(&shared),
                    plane,
                    op: op.into(),
                    before,
                    after,
                };
                found.push((after > before, row));
            };
            for (plane, b, n) in [(0u8, &wb.control, &wn.control), (1u8, &wb.data, &wn.data)] {
                merge(b, n, |op, before, after| {
                    if !skip.contains(&(lower(op), plane)) {
                        push(plane, op, before, after);
                    }
                });
            }
            let listed = |w: &rolegate::engine::WhatCan<'_>, op: &str, plane: Plane| {
                let list = if plane == Plane::Data { &w.data } else { &w.control };
                list.iter().find(|x| x.operation.eq_ignore_ascii_case(op)).map_or(Access::None, access)
            };
            let named = |answers: Vec<Option<bool>>| -> Vec<Access> {
                answers
                    .into_iter()
                    .map(|a| match a {
                        None => Access::None,
                        Some(true) => Access::Conditional,
                        Some(false) => Access::Allowed,
                    })
                    .collect()
            };
            let asked_base = named(base.what_can_levels_of(&query, &ask_base).map_err(refused)?);
            for ((op, plane), before) in only_new.iter().zip(asked_base) {
                let after = listed(&wn, op, *plane);
                if before != after {
                    push(plane_of(*plane), op, before, after);
                }
            }
            let asked_new = named(new.what_can_levels_of(&query, &ask_new).map_err(refused)?);
            for ((op, plane), after) in only_base.iter().zip(asked_new) {
                let before = listed(&wb, op, *plane);
                if before != after {
                    push(plane_of(*plane), op, before, after);
                }
            }
        }
        // Collapse: a row is dropped when the same change holds at an ancestor the principal is evaluated at
        // (any ancestor where it could hold is one: see `Places::for_principal`). Ancestors are worked out per
        // place, once, and rows are probed by reference: a role such as Contributor changes thousands at once.
        let index_of: HashMap<&Place, usize> = candidates.iter().enumerate().map(|(i, c)| (c, i)).collect();
        let parents: [Vec<Vec<usize>>; 2] =
            [tb, tn].map(|tree| candidates.iter().map(|c| ancestor_places(tree, c, &index_of)).collect());
        let at: HashSet<(bool, &Place, u8, &str, Access, Access)> =
            found.iter().map(|(g, r)| (*g, &*r.place, r.plane, &*r.op, r.before, r.after)).collect();
        for (gained, r) in &found {
            let Some(&i) = index_of.get(&*r.place) else { continue };
            let side = usize::from(*gained);
            let above = parents.get(side).and_then(|v| v.get(i)).map_or(&[][..], Vec::as_slice);
            let held_above = above
                .iter()
                .filter_map(|&j| candidates.get(j))
                .any(|a| at.contains(&(*gained, a, r.plane, &*r.op, r.before, r.after)));
            if !held_above {
                rows.push((*gained, r.clone()));
            }
        }
    }

    // Group folding: a member's row goes into a group's identical row when the member is, in the tenant where
    // the access holds, a transitive member of the group.
    type Key<'r> = (bool, &'r str, &'r Place, u8, &'r str, Access, Access);
    let index: HashMap<Key<'_>, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (g, r))| ((*g, &*r.principal, &*r.place, r.plane, &*r.op, r.before, r.after), i))
        .collect();
    let mut groups_cache: HashMap<(bool, &str), BTreeSet<String>> = HashMap::new();
    let mut folded_into: Vec<Option<usize>> = vec![None; rows.len()];
    for (i, (gained, r)) in rows.iter().enumerate() {
        let side = if *gained { sn } else { sb };
        let groups =
            groups_cache.entry((*gained, &*r.principal)).or_insert_with(|| side.groups_of(&r.principal, false));
        let target = groups
            .iter()
            .find_map(|g| index.get(&(*gained, g.as_str(), &*r.place, r.plane, &*r.op, r.before, r.after)).copied());
        if let Some(slot) = folded_into.get_mut(i) {
            *slot = target;
        }
    }
    let mut members = vec![0usize; rows.len()];
    for (i, target) in folded_into.iter().enumerate() {
        // Up to the outermost listed group.
        let mut t = *target;
        let mut last = None;
        let mut hops = 0;
        while let Some(x) = t {
            last = Some(x);
            t = folded_into.get(x).copied().flatten();
            hops += 1;
            if hops > rows.len() {
                break;
            }
        }
        if let (Some(x), true) = (last, folded_into.get(i).is_some_and(Option::is_some))
            && let Some(m) = members.get_mut(x)
        {
            *m += 1;
        }
    }

    Ok(rows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| folded_into.get(*i).is_none_or(Option::is_none))
        .map(|(i, (gained, r))| (gained, r, members.get(i).copied().unwrap_or(0)))
        .collect())
}

/// What `index` holds for the places above `place` in `tree`: its ancestors, named and below, and for a place
/// below a scope that scope. What the collapse compares a row with.
fn ancestor_places<V: Copy>(tree: &Tree, place: &Place, index: &HashMap<&Place, V>) -> Vec<V> {
    let mut out = Vec::new();
    if place.below {
        out.extend(index.get(&Place { below: false, ..place.clone() }).copied());
    }
    for a in tree.ancestors(&place.key).iter() {
        let named = Place { key: a.clone(), text: a.clone(), below: false };
        out.extend(index.get(&named).copied());
        out.extend(index.get(&Place { below: true, ..named }).copied());
    }
    out
}

/// Operations with their names borrowed, as [`Engine::what_can_levels_of`] takes them.
fn borrowed(v: &[(String, Plane)]) -> Vec<(&str, Plane)> {
    v.iter().map(|(n, p)| (n.as_str(), *p)).collect()
}

/// An operation whose access differs for a principal at a place: its index in [`Union`], and both answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    op: u32,
    before: Access,
    after: Access,
}

impl Entry {
    fn gained(self) -> bool {
        self.after > self.before
    }
}

/// Where an answer of one engine for an operation of [`Union`] is: an entry of its vocabulary, or one of the
/// operations it is asked about by name because its vocabulary lacks them.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Vocabulary(usize),
    Missing(usize),
}

/// Both engines' vocabularies as one list (semantics §4.2: rows range over the union): per operation, its name
/// (NEW's spelling when NEW has it), its plane (0 control, 1 data) and where each engine's answer is. An
/// operation one vocabulary lacks (a role in the other names it exactly) is still decided by that engine, as a
/// check would decide it: a wildcard it grants covers it.
struct Union<'e> {
    entries: Vec<(&'e str, u8, Slot, Slot)>,
    /// Per engine (BASE, NEW), the operations its vocabulary lacks, asked with [`Engine::what_can_levels_of`].
    missing: [Vec<(&'e str, Plane)>; 2],
}

/// One engine's answer at a place: its vocabulary's levels and those of the operations it lacks.
struct Answer {
    levels: WhatCanLevels,
    missing: Vec<Option<bool>>,
}

impl Answer {
    fn level(&self, slot: Slot) -> Access {
        match slot {
            Slot::Vocabulary(i) if self.levels.allowed(i) => Access::Allowed,
            Slot::Vocabulary(i) if self.levels.conditional(i) => Access::Conditional,
            Slot::Vocabulary(_) => Access::None,
            Slot::Missing(j) => match self.missing.get(j).copied().flatten() {
                Some(false) => Access::Allowed,
                Some(true) => Access::Conditional,
                None => Access::None,
            },
        }
    }
}

impl<'e> Union<'e> {
    fn new(base: &'e Engine, new: &'e Engine) -> Union<'e> {
        let plane = |p: Plane| u8::from(p == Plane::Data);
        let (vb, vn) = (base.vocabulary(), new.vocabulary());
        let mut at: HashMap<(String, u8), usize> = HashMap::with_capacity(vb.len());
        let mut entries = Vec::with_capacity(vb.len());
        let mut seen_in_new = vec![false; vb.len()];
        let mut missing: [Vec<(&'e str, Plane)>; 2] = [Vec::new(), Vec::new()];
        for (i, e) in vb.iter().enumerate() {
            at.insert((lower(e.name), plane(e.plane)), entries.len());
            entries.push((e.name, plane(e.plane), Slot::Vocabulary(i), Slot::Vocabulary(0)));
        }
        for (i, e) in vn.iter().enumerate() {
            let u = at.get(&(lower(e.name), plane(e.plane))).copied();
            match u.and_then(|u| Some((u, entries.get_mut(u)?))) {
                Some((u, x)) => {
                    x.0 = e.name;
                    x.3 = Slot::Vocabulary(i);
                    if let Some(s) = seen_in_new.get_mut(u) {
                        *s = true;
                    }
                }
                None => {
                    entries.push((e.name, plane(e.plane), Slot::Missing(missing[0].len()), Slot::Vocabulary(i)));
                    missing[0].push((e.name, e.plane));
                }
            }
        }
        for (x, seen) in entries.iter_mut().zip(seen_in_new) {
            if !seen {
                x.3 = Slot::Missing(missing[1].len());
                missing[1].push((x.0, if x.1 == 0 { Plane::Control } else { Plane::Data }));
            }
        }
        Union { entries, missing }
    }

    /// One engine's answer for a query.
    fn answer(&self, side: usize, engine: &Engine, query: &WhatCanQuery<'_>) -> Result<Answer, QueryError> {
        let missing = match self.missing.get(side) {
            Some(ops) if !ops.is_empty() => engine.what_can_levels_of(query, ops)?,
            _ => Vec::new(),
        };
        Ok(Answer { levels: engine.what_can_levels(query)?, missing })
    }

    /// The entries whose access differs between two answers, in union order.
    fn diff(&self, b: &Answer, n: &Answer) -> Result<Vec<Entry>, TenantDiffError> {
        let mut out = Vec::new();
        for (op, &(.., bs, ns)) in self.entries.iter().enumerate() {
            let (before, after) = (b.level(bs), n.level(ns));
            if before != after {
                let op = u32::try_from(op).map_err(|_| TenantDiffError::TooLarge("operations in the vocabularies"))?;
                out.push(Entry { op, before, after });
            }
        }
        Ok(out)
    }
}

/// One principal's rows at one place after the collapse, with what folding does to them.
struct Kept {
    principal: u32,
    place: u32,
    entries: Rc<[Entry]>,
}

/// The rows as [`plain_rows`] finds them, without a list per query or a string per row: each distinct pair of
/// [`Engine::what_can_key`]s is answered once with [`Engine::what_can_levels`] (members of a group with nothing
/// of their own at a place share the group's), the collapse and the folding compare entries of sorted lists, and
/// only the rows left are named.
fn fast_rows(d: &Diffing<'_, '_>) -> Result<Vec<(bool, Row, usize)>, TenantDiffError> {
    let Diffing { base, new, sides, principals, affected, places } = *d;
    let [sb, sn] = sides;
    let union = Union::new(base, new);
    let mut levels: [HashMap<WhatCanKey, Answer>; 2] = [HashMap::new(), HashMap::new()];
    let mut memo: HashMap<(WhatCanKey, WhatCanKey), usize> = HashMap::new();
    let mut diffs: Vec<Rc<[Entry]>> = Vec::new();
    let keys: Vec<&String> = affected.roots.keys().collect();
    let index: HashMap<&str, u32> = keys.iter().zip(0u32..).map(|(k, i)| (k.as_str(), i)).collect();
    let mut place_ids: HashMap<Place, u32> = HashMap::new();
    let mut place_list: Vec<Place> = Vec::new();
    let mut kept: Vec<Kept> = Vec::new();
    let too_large = |what| TenantDiffError::TooLarge(what);

    for ((p, roots), pi) in affected.roots.iter().zip(0u32..) {
        let Some(spelled) = principals.get(p) else { continue };
        let candidates = places.for_principal(sides, p, roots);
        // (candidate, its differing entries), for the candidates where anything differs.
        let mut at: Vec<(usize, usize)> = Vec::new();
        for (ci, place) in candidates.iter().enumerate() {
            let scope = place.query_scope();
            let query = WhatCanQuery::new(spelled, &scope);
            let refused = |e| refused(spelled, &scope, e);
            let pair = (base.what_can_key(&query).map_err(refused)?, new.what_can_key(&query).map_err(refused)?);
            let d = match memo.get(&pair) {
                Some(&d) => d,
                None => {
                    let [memo_base, memo_new] = &mut levels;
                    let lb = match memo_base.entry(pair.0.clone()) {
                        MapEntry::Occupied(o) => o.into_mut(),
                        MapEntry::Vacant(v) => v.insert(union.answer(0, base, &query).map_err(refused)?),
                    };
                    let ln = match memo_new.entry(pair.1.clone()) {
                        MapEntry::Occupied(o) => o.into_mut(),
                        MapEntry::Vacant(v) => v.insert(union.answer(1, new, &query).map_err(refused)?),
                    };
                    diffs.push(union.diff(lb, ln)?.into());
                    memo.insert(pair, diffs.len() - 1);
                    diffs.len() - 1
                }
            };
            if diffs.get(d).is_some_and(|x| !x.is_empty()) {
                at.push((ci, d));
            }
        }
        if at.is_empty() {
            continue;
        }
        // Collapse, as `plain_rows`: an entry is dropped when the same entry differs at an ancestor the principal
        // is evaluated at, in the tenant where the access holds (NEW for a gain, BASE for a loss).
        let diff_at: HashMap<&Place, usize> = at.iter().filter_map(|&(ci, d)| Some((candidates.get(ci)?, d))).collect();
        for &(ci, d) in &at {
            let (Some(place), Some(entries)) = (candidates.get(ci), diffs.get(d)) else { continue };
            let above: [Vec<usize>; 2] = [&sb.tree, &sn.tree].map(|tree| ancestor_places(tree, place, &diff_at));
            let entries: Rc<[Entry]> = if above.iter().all(Vec::is_empty) {
                Rc::clone(entries)
            } else {
                entries
                    .iter()
                    .filter(|e| {
                        let side = usize::from(e.gained());
                        !above.get(side).is_some_and(|v| {
                            v.iter().any(|&j| j == d || diffs.get(j).is_some_and(|x| contains(x, **e).is_some()))
                        })
                    })
                    .copied()
                    .collect()
            };
            if entries.is_empty() {
                continue;
            }
            let next = u32::try_from(place_list.len()).map_err(|_| too_large("places"))?;
            let place = *place_ids.entry(place.clone()).or_insert_with(|| {
                place_list.push(place.clone());
                next
            });
            kept.push(Kept { principal: pi, place, entries });
        }
    }

    // Folding, as `plain_rows`: a member's entry goes into the identical entry of the first of its groups (in the
    // tenant where the access holds) that has one at the same place; members are counted at the outermost.
    let at: HashMap<(u32, u32), usize> = kept.iter().enumerate().map(|(k, x)| ((x.principal, x.place), k)).collect();
    let mut groups_of: HashMap<(usize, u32), Vec<u32>> = HashMap::new();
    let mut folded: Vec<Vec<Option<(usize, usize)>>> = Vec::with_capacity(kept.len());
    // The members of a group mostly share their entry lists and their group's (the same answers, shared), so each
    // pair of shared lists is matched once.
    let mut matches: HashMap<ListPair, Rc<[Option<usize>]>> = HashMap::new();
    for x in &kept {
        let mut targets: Vec<Option<(usize, usize)>> = Vec::new();
        for side in [0usize, 1] {
            let groups = groups_of.entry((side, x.principal)).or_insert_with(|| {
                let s = if side == 1 { sn } else { sb };
                // A group no change reaches has no rows to fold into.
                keys.get(x.principal as usize)
                    .map(|k| s.groups_of(k, false).iter().filter_map(|g| index.get(g.as_str()).copied()).collect())
                    .unwrap_or_default()
            });
            let into: Vec<(usize, &Kept)> =
                groups.iter().filter_map(|&g| at.get(&(g, x.place)).and_then(|&k| Some((k, kept.get(k)?)))).collect();
            if into.is_empty() {
                continue;
            }
            if targets.is_empty() {
                targets = vec![None; x.entries.len()];
            }
            // Each entry into the first group that has it.
            for (k, g) in into {
                // Only a list other rows share can come again: the others are matched without being kept.
                let found = if Rc::strong_count(&x.entries) > 1 {
                    let pair = (Rc::as_ptr(&x.entries), Rc::as_ptr(&g.entries), side);
                    Rc::clone(matches.entry(pair).or_insert_with(|| same_entries(&x.entries, &g.entries, side)))
                } else {
                    same_entries(&x.entries, &g.entries, side)
                };
                for (slot, j) in targets.iter_mut().zip(found.iter()) {
                    if let (None, Some(j)) = (*slot, j) {
                        *slot = Some((k, *j));
                    }
                }
            }
        }
        folded.push(targets);
    }
    let mut members: Vec<Vec<usize>> = kept.iter().map(|_| Vec::new()).collect();
    for targets in &folded {
        for &t in targets.iter().flatten() {
            // Up to the outermost listed group.
            let (mut cur, mut hops) = (t, 0);
            while let Some(next) = folded.get(cur.0).and_then(|f| f.get(cur.1)).copied().flatten() {
                cur = next;
                hops += 1;
                if hops > kept.len() {
                    break;
                }
            }
            if let Some(m) = members.get_mut(cur.0) {
                if m.is_empty() {
                    m.resize(kept.get(cur.0).map_or(0, |k| k.entries.len()), 0);
                }
                if let Some(n) = m.get_mut(cur.1) {
                    *n += 1;
                }
            }
        }
    }

    let mut rows = Vec::new();
    let names: Vec<Rc<str>> = keys.iter().map(|k| Rc::from(k.as_str())).collect();
    let place_list: Vec<Rc<Place>> = place_list.into_iter().map(Rc::new).collect();
    let mut ops: HashMap<u32, Rc<str>> = HashMap::new();
    for ((x, targets), counts) in kept.iter().zip(&folded).zip(&members) {
        let (Some(principal), Some(place)) = (names.get(x.principal as usize), place_list.get(x.place as usize)) else {
            continue;
        };
        for (i, e) in x.entries.iter().enumerate() {
            if targets.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let Some(&(name, plane, ..)) = union.entries.get(e.op as usize) else { continue };
            let row = Row {
                principal: Rc::clone(principal),
                place: Rc::clone(place),
                plane,
                op: Rc::clone(ops.entry(e.op).or_insert_with(|| name.into())),
                before: e.before,
                after: e.after,
            };
            rows.push((e.gained(), row, counts.get(i).copied().unwrap_or(0)));
        }
    }
    Ok(rows)
}

/// Where `e` is in `entries` (sorted by operation, one entry per operation).
/// A member's entry list, a group's, and the side matched (by where the lists live).
type ListPair = (*const [Entry], *const [Entry], usize);

/// Per entry of `x`: where `g` has the same entry, for the entries gained (`side` 1) or lost (0); both lists are
/// sorted by operation.
fn same_entries(x: &[Entry], g: &[Entry], side: usize) -> Rc<[Option<usize>]> {
    let mut j = 0;
    x.iter()
        .map(|e| {
            if usize::from(e.gained()) != side {
                return None;
            }
            j += g.get(j..).map_or(0, |rest| rest.partition_point(|y| y.op < e.op));
            g.get(j).filter(|y| *y == e).map(|_| j)
        })
        .collect()
}

fn contains(entries: &[Entry], e: Entry) -> Option<usize> {
    entries.binary_search_by_key(&e.op, |x| x.op).ok().filter(|&j| entries.get(j) == Some(&e))
}

fn push(changes: &mut Vec<Change>, kind: ChangeKind, status: Status, id: String, detail: String) -> usize {
    changes.push(Change { kind, status, id, detail });
    changes.len() - 1
}

/// One row before it is named: plane 0 control, 1 data. Shared text: a group's change repeats a principal, a
/// place and an operation across thousands of rows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Row {
    principal: Rc<str>,
    place: Rc<Place>,
    plane: u8,
    op: Rc<str>,
    before: Access,
    after: Access,
}

fn access(p: &Permitted<'_>) -> Access {
    if p.conditional.is_some() { Access::Conditional } else { Access::Allowed }
}

fn cmp_names(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Walks two answers of one plane, both in vocabulary order (ASCII case-insensitive), calling `differs` with
/// every operation whose access differs: no allocation per operation, and an Owner's answer lists them all.
fn merge(base: &[Permitted<'_>], new: &[Permitted<'_>], mut differs: impl FnMut(&str, Access, Access)) {
    let (mut b, mut n) = (base.iter().peekable(), new.iter().peekable());
    loop {
        match (b.peek(), n.peek()) {
            (None, None) => break,
            (Some(x), None) => {
                differs(x.operation, access(x), Access::None);
                b.next();
            }
            (None, Some(y)) => {
                differs(y.operation, Access::None, access(y));
                n.next();
            }
            (Some(x), Some(y)) => match cmp_names(x.operation, y.operation) {
                Ordering::Less => {
                    differs(x.operation, access(x), Access::None);
                    b.next();
                }
                Ordering::Greater => {
                    differs(y.operation, Access::None, access(y));
                    n.next();
                }
                Ordering::Equal => {
                    let (ax, ay) = (access(x), access(y));
                    if ax != ay {
                        differs(y.operation, ax, ay);
                    }
                    b.next();
                    n.next();
                }
            },
        }
    }
}

fn rank(r: &AccessChange) -> usize {
    Category::ALL.iter().position(|c| r.categories.contains(&c.name())).unwrap_or(Category::ALL.len())
}

/// Grouped by (principal, scope); groups with the most severe operation first, then by principal and scope;
/// in a group, sensitive operations first, then by name.
fn sort_rows(rows: &mut Vec<AccessChange>) {
    // The key is (most severe rank of the group, lower-case (principal, scope, below), rank, lower-case operation,
    // plane); the text parts become their ranks among the distinct values first, so that hundreds of thousands
    // of rows sort on integers and lower-case each text once.
    let keys: Vec<(usize, usize, usize, usize, &'static str)> = {
        let mut groups: HashMap<(&str, &str, bool), usize> = HashMap::new();
        let mut ops: HashMap<&str, usize> = HashMap::new();
        let mut group_text: Vec<(String, String, bool)> = Vec::new();
        let mut op_text: Vec<String> = Vec::new();
        let mut raw = Vec::with_capacity(rows.len());
        for r in rows.iter() {
            let g = *groups.entry((&r.principal, &r.scope, r.below)).or_insert_with(|| {
                group_text.push((lower(&r.principal), lower(&r.scope), r.below));
                group_text.len() - 1
            });
            let o = *ops.entry(&r.operation).or_insert_with(|| {
                op_text.push(lower(&r.operation));
                op_text.len() - 1
            });
            raw.push((g, o, rank(r), r.plane));
        }
        let (group_rank, op_rank) = (ranks(&group_text), ranks(&op_text));
        let mut best = vec![usize::MAX; group_text.len()];
        for &(g, _, rank, _) in &raw {
            if let Some(b) = group_rank.get(g).and_then(|&x| best.get_mut(x)) {
                *b = (*b).min(rank);
            }
        }
        raw.into_iter()
            .map(|(g, o, rank, plane)| {
                let g = group_rank.get(g).copied().unwrap_or(usize::MAX);
                let b = best.get(g).copied().unwrap_or(usize::MAX);
                (b, g, rank, op_rank.get(o).copied().unwrap_or(usize::MAX), plane)
            })
            .collect()
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| keys.get(i).copied());
    let mut taken: Vec<Option<AccessChange>> = std::mem::take(rows).into_iter().map(Some).collect();
    rows.extend(order.into_iter().filter_map(|i| taken.get_mut(i).and_then(Option::take)));
}

/// Each value's rank among the distinct values of `v` (equal values share one).
fn ranks<T: Ord>(v: &[T]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v.get(a).cmp(&v.get(b)));
    let mut out = vec![0; v.len()];
    let mut rank = 0;
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && order.get(k - 1).map(|&j| v.get(j)) != Some(v.get(i)) {
            rank += 1;
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = rank;
        }
    }
    out
}

/// The places principals are considered at (semantics §4.2): `/`, every management group and subscription of
/// either hierarchy, every deny assignment's scope and the place below each that does not apply to child
/// scopes, and the scopes of the principal's own assignments and those of its groups.
struct Places<'t> {
    /// Hierarchy scopes and deny places, shared by every principal: (place, whether it is `/`, a management group
    /// or a subscription).
    shared: Vec<(Place, bool)>,
    /// The scopes of the assignments looked at so far, each once, by their text: worked out for the principals
    /// the changes reach only, not in a pass over every assignment.
    assigned: RefCell<(Vec<Place>, FastMap<&'t str, usize>)>,
    /// Per root, the shared places at or below it (indexes into `shared`), those of the hierarchy and the others
    /// apart: the changes' roots are few and shared by the principals they reach, the shared places thousands.
    under: RefCell<HashMap<String, [Rc<[usize]>; 2]>>,
    /// [`Places::held_under`] by (side, holder, root).
    held_under: RefCell<HashMap<HeldUnder, Rc<[usize]>>>,
}

/// A side, a holder and a root (`None`: everywhere).
type HeldUnder = (usize, String, Option<String>);

impl<'t> Places<'t> {
    fn new(sides: &[Side<'t>; 2]) -> Places<'t> {
        let mut shared: BTreeMap<Place, ()> = BTreeMap::new();
        let mut add = |text: String, below: bool| {
            shared.entry(Place { key: lower(&text), text, below }).or_insert(());
        };
        add("/".into(), false);
        for s in sides {
            let t = s.tenant;
            if let Some(r) = &t.hierarchy.tenant_id {
                add(mg_scope(r.as_str()), false);
            }
            for (m, p) in &t.hierarchy.management_groups {
                add(mg_scope(m.as_str()), false);
                if let Some(p) = p {
                    add(mg_scope(p.as_str()), false);
                }
            }
            for (sub, m) in &t.hierarchy.subscriptions {
                add(format!("/subscriptions/{sub}"), false);
                add(mg_scope(m.as_str()), false);
            }
            for d in &t.deny_assignments {
                if let Some(c) = canonical(&d.scope) {
                    add(c.clone(), false);
                    if d.do_not_apply_to_child_scopes {
                        add(c, true);
                    }
                }
            }
        }
        let shared = shared
            .into_keys()
            .map(|p| {
                let broad = !p.below && is_broad(&p.key);
                (p, broad)
            })
            .collect();
        Places { shared, assigned: RefCell::default(), under: RefCell::default(), held_under: RefCell::default() }
    }

    /// The shared places at or below `root`: those outside the hierarchy, then those in it.
    fn shared_under(&self, sides: &[Side<'t>; 2], root: &str) -> [Rc<[usize]>; 2] {
        if let Some(lists) = self.under.borrow().get(root) {
            return lists.clone();
        }
        let list = |hierarchy: bool| -> Rc<[usize]> {
            let places = self.shared.iter().enumerate();
            let within = |key: &str| within_root(sides, key, root);
            places.filter(|(_, (place, h))| *h == hierarchy && within(&place.key)).map(|(i, _)| i).collect()
        };
        let lists = [list(false), list(true)];
        self.under.borrow_mut().insert(root.to_owned(), lists.clone());
        lists
    }

    /// The places of `holder`'s assignments in `side` at or below `root` (`None`: everywhere), as indexes into
    /// `assigned`, each once. The members of a changed group share its groups and its root, so a group with a
    /// thousand assignments is read once per root, not once per member.
    fn held_under(&self, sides: &[Side<'t>; 2], side: usize, holder: &str, root: Option<&str>) -> Rc<[usize]> {
        let key = (side, holder.to_owned(), root.map(str::to_owned));
        if let Some(ids) = self.held_under.borrow().get(&key) {
            return Rc::clone(ids);
        }
        let mut assigned = self.assigned.borrow_mut();
        let (places, ids) = &mut *assigned;
        let mut out: Vec<usize> = Vec::new();
        let held = sides
            .get(side)
            .map_or(&[][..], |s| s.by_principal.get(&Ci::of(holder)).map_or(&[][..], |h| h.assignments.as_slice()));
        for a in held {
            // A scope that cannot be read is no place (semantics §4.2).
            let Some(text) = a.scope.scope().map(|s| s.as_str()) else { continue };
            let id = *ids.entry(text).or_insert_with(|| {
                places.push(Place { key: lower(text), text: text.to_owned(), below: false });
                places.len() - 1
            });
            if places.get(id).is_some_and(|p| root.is_none_or(|r| within_root(sides, &p.key, r))) {
                out.push(id);
            }
        }
        out.sort_unstable();
        out.dedup();
        let out: Rc<[usize]> = out.into();
        self.held_under.borrow_mut().insert(key, Rc::clone(&out));
        out
    }

    /// The places `p` is evaluated at: those at or below a root of its changes. Any other place holds no row:
    /// nothing that decides for `p` there changed.
    fn for_principal(&self, sides: &[Side<'t>; 2], p: &str, roots: &BTreeSet<(Option<String>, usize)>) -> Vec<Place> {
        let everywhere = roots.iter().any(|(r, _)| r.is_none());
        let roots: BTreeSet<&String> = roots.iter().filter_map(|(r, _)| r.as_ref()).collect();
        // Only a root at `/`, a management group or a subscription reaches those: most changes sit lower, and
        // the hierarchy's thousands of scopes are then not looked at.
        let broad = everywhere || roots.iter().any(|r| is_broad(r));
        let mut out: BTreeSet<Place> = BTreeSet::new();
        if everywhere {
            out.extend(self.shared.iter().map(|(place, _)| place.clone()));
        }
        for r in roots.iter().filter(|_| !everywhere) {
            let lists = self.shared_under(sides, r);
            for list in lists.iter().take(if broad { 2 } else { 1 }) {
                out.extend(list.iter().filter_map(|&i| self.shared.get(i)).map(|(place, _)| place.clone()));
            }
        }
        // The principal's own assignments and its groups', in either tenant.
        let mut holders: BTreeSet<String> = BTreeSet::new();
        holders.insert(p.to_owned());
        for s in sides {
            holders.extend(s.groups_of(p, false));
        }
        let roots: Vec<Option<&str>> =
            if everywhere { vec![None] } else { roots.iter().map(|r| Some(r.as_str())).collect() };
        let mut ids: BTreeSet<usize> = BTreeSet::new();
        for side in 0..sides.len() {
            for h in &holders {
                for &root in &roots {
                    ids.extend(self.held_under(sides, side, h, root).iter().copied());
                }
            }
        }
        let assigned = self.assigned.borrow();
        out.extend(ids.into_iter().filter_map(|id| assigned.0.get(id)).cloned());
        out.into_iter().collect()
    }
}

/// Whether lower-case canonical `key` is at or below the root `root`: `/`, a prefix of it ending before a `/` (as
/// `Tree::ancestors` lists them), or a management group above it in either tree (text first, the trees only for a
/// management-group root).
fn within_root(sides: &[Side<'_>; 2], key: &str, root: &str) -> bool {
    root == "/"
        || key.strip_prefix(root).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        || (root.starts_with(MG_PREFIX) && sides.iter().any(|s| s.tree.ancestors(key).iter().any(|a| a == root)))
}

fn is_broad(scope: &str) -> bool {
    scope == "/"
        || scope.strip_prefix(MG_PREFIX).is_some_and(|r| !r.contains('/'))
        || scope.strip_prefix(SUB_PREFIX).is_some_and(|r| !r.contains('/'))
}

/// A place's ancestors in either tenant's tree (for the place below a scope: the scope and its ancestors).
fn ancestors_either(sides: &[Side<'_>; 2], p: &Place) -> HashSet<String> {
    let mut out: HashSet<String> = sides.iter().flat_map(|s| s.tree.ancestors(&p.key).to_vec()).collect();
    if p.below {
        out.insert(p.key.clone());
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Added => "added",
        Status::Removed => "removed",
        Status::Changed => "changed",
    }
}

fn kind_word(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Assignment => "assignment",
        ChangeKind::Role => "role",
        ChangeKind::DenyAssignment => "deny assignment",
        ChangeKind::Group => "group",
        ChangeKind::Hierarchy => "hierarchy",
    }
}

fn cause_text(d: &TenantDiff, causes: &[usize]) -> String {
    causes
        .iter()
        .filter_map(|&c| d.changes.get(c))
        .map(|c| format!("{} {} {}", kind_word(c.kind), c.id, status_word(c.status)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn scope_text(r: &AccessChange) -> String {
    if r.below { format!("below {}", r.scope) } else { r.scope.clone() }
}

fn notes(r: &AccessChange) -> String {
    let mut notes: Vec<String> = r.categories.iter().map(|c| (*c).to_owned()).collect();
    if r.plane == "data" {
        notes.push("data plane".into());
    }
    if r.before != Access::None && r.after != Access::None {
        notes.push(format!("{} → {}", r.before.name(), r.after.name()));
    } else if r.before == Access::Conditional || r.after == Access::Conditional {
        notes.push("conditional".into());
    }
    if r.members > 0 {
        notes.push(format!("and {} member(s)", r.members));
    }
    if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join(", ")) }
}

/// How many operations without a sensitive category the human and Markdown outputs show per principal and
/// scope: a role such as Contributor changes thousands at once, and a pull-request comment has a size limit.
/// Sensitive ones are always shown; JSON has every row.
pub const PLAIN_SHOWN: usize = 10;

/// The rows of one direction in groups of one (principal, scope), each with the rows shown and how many are not.
fn groups(rows: &[AccessChange]) -> Vec<(&AccessChange, Vec<&AccessChange>, usize)> {
    let mut out: Vec<(&AccessChange, Vec<&AccessChange>, usize)> = Vec::new();
    for r in rows {
        let same = out.last().is_some_and(|(first, ..)| {
            first.principal == r.principal && first.scope == r.scope && first.below == r.below
        });
        if !same {
            out.push((r, Vec::new(), 0));
        }
        if let Some((_, shown, hidden)) = out.last_mut() {
            let plain = shown.iter().filter(|x| x.categories.is_empty()).count();
            if r.categories.is_empty() && plain >= PLAIN_SHOWN {
                *hidden += 1;
            } else {
                shown.push(r);
            }
        }
    }
    out
}

/// For people: the changed objects, then per (principal, scope) the operations gained and lost.
pub fn human(d: &TenantDiff) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} change(s):\n", d.changes.len()));
    for c in &d.changes {
        out.push_str(&format!("  {} {} {}: {}\n", kind_word(c.kind), c.id, status_word(c.status), c.detail));
    }
    for (title, sign, rows) in [("gained", "+", &d.gained), ("lost", "-", &d.lost)] {
        out.push_str(&format!("access {title}: {}\n", rows.len()));
        for (first, shown, hidden) in groups(rows) {
            out.push_str(&format!(
                "  {} at {}  (by {})\n",
                first.principal,
                scope_text(first),
                cause_text(d, &first.causes)
            ));
            for r in shown {
                out.push_str(&format!("    {sign} {}{}\n", r.operation, notes(r)));
            }
            if hidden > 0 {
                out.push_str(&format!("    {sign} … and {hidden} more operation(s) in no sensitive category\n"));
            }
        }
    }
    out
}

/// Markdown, for a pull-request comment: a table of gains (sensitive ones flagged) and one of losses.
pub fn markdown(d: &TenantDiff) -> String {
    let mut out = String::from("## Access changes (tenant)\n\n");
    let sensitive = d.gained.iter().filter(|r| !r.categories.is_empty()).count();
    out.push_str(&format!(
        "{} change(s); {} gained ({sensitive} sensitive), {} lost\n\n",
        d.changes.len(),
        d.gained.len(),
        d.lost.len()
    ));
    let cell = |s: &str| s.replace('|', "\\|");
    for (sign, rows) in [("➕", &d.gained), ("➖", &d.lost)] {
        if rows.is_empty() {
            continue;
        }
        out.push_str("| | principal | operation | scope | plane | categories | cause |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (first, shown, hidden) in groups(rows) {
            for r in shown {
                let flag = if !r.categories.is_empty() && sign == "➕" { " ⚠️" } else { "" };
                let mut principal = format!("`{}`", cell(&r.principal));
                if r.members > 0 {
                    principal.push_str(&format!(" (+{} members)", r.members));
                }
                out.push_str(&format!(
                    "| {sign}{flag} | {principal} | `{}`{} | `{}` | {} | {} | {} |\n",
                    cell(&r.operation),
                    if r.after == Access::Conditional || r.before == Access::Conditional {
                        " (conditional)"
                    } else {
                        ""
                    },
                    cell(&scope_text(r)),
                    r.plane,
                    r.categories.join(", "),
                    cell(&cause_text(d, &r.causes))
                ));
            }
            if hidden > 0 {
                out.push_str(&format!(
                    "| {sign} | `{}` | … and {hidden} more in no sensitive category | `{}` | | | |\n",
                    cell(&first.principal),
                    cell(&scope_text(first))
                ));
            }
        }
        out.push('\n');
    }
    if d.gained.is_empty() && d.lost.is_empty() {
        out.push_str("No principal gains or loses access.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use rolegate::load::TenantLoader;

    use super::*;

    /// The allocation-free comparison that finds changed assignments says what comparing their content text says,
    /// for every pair of variants that differ in one field, by case alone, or not at all.
    #[test]
    fn same_assignment_is_content_equality() {
        let field = |principal: &str, kind: &str, role: &str, scope: &str, condition: &str| {
            let condition = if condition.is_empty() {
                String::new()
            } else {
                format!(r#", "condition": "{condition}", "conditionVersion": "2.0""#)
            };
            format!(
                r#"{{"name": "a", "properties": {{"principalId": "{principal}", "principalType": "{kind}",
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/{role}",
                "scope": "{scope}"{condition}}}}}"#
            )
        };
        let reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
        let condition = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'";
        let variants = [
            field("alice", "User", reader, "/subscriptions/s1", ""),
            field("ALICE", "user", &reader.to_uppercase(), "/SUBSCRIPTIONS/S1", ""),
            field("bob", "User", reader, "/subscriptions/s1", ""),
            field("alice", "Group", reader, "/subscriptions/s1", ""),
            field("alice", "User", "b24988ac-6180-42a0-ab88-20f7382dd24c", "/subscriptions/s1", ""),
            field("alice", "User", reader, "/subscriptions/s2", ""),
            field("alice", "User", reader, "/subscriptions/s1", condition),
        ];
        let mut l = TenantLoader::new();
        l.add_assignments("assignments.json", format!("[{}]", variants.join(",")).as_bytes());
        let tenant = l.build().unwrap().0;
        let all = &tenant.assignments;
        assert_eq!(all.len(), variants.len());
        let mut equal = 0;
        for a in all {
            for b in all {
                let want = assignment_content(a) == assignment_content(b);
                assert_eq!(same_assignment(a, b), want, "{a:?} vs {b:?}");
                equal += usize::from(want);
            }
        }
        // Each variant equals itself, and the first two (case only) equal each other both ways.
        assert_eq!(equal, all.len() + 2);
    }

    const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

    /// A pool of assignments for the walk's twin test: ids that repeat (two objects under one key), ids in
    /// another case, assignments without id (keyed by principal, role and scope), and content that differs under
    /// one id.
    fn pool() -> Vec<RoleAssignment> {
        // An assignment's key is its name (a GUID in Azure).
        let one = |name: &str, principal: &str, scope: &str| {
            let name = if name.is_empty() { String::new() } else { format!(r#""name": "{name}", "#) };
            format!(
                r#"{{{name}"properties": {{"principalId": "{principal}", "principalType": "User",
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/{READER}",
                "scope": "{scope}"}}}}"#
            )
        };
        let mut items = Vec::new();
        for i in 0..12 {
            let id = format!("a{i}");
            items.push(one(&id, &format!("p{i}"), "/subscriptions/s"));
            // The same key in another case with the same content, then with another scope.
            items.push(one(&id.to_uppercase(), &format!("P{i}"), "/SUBSCRIPTIONS/S"));
            items.push(one(&id, &format!("p{i}"), "/subscriptions/t"));
            items.push(one("", &format!("p{i}"), "/subscriptions/u"));
        }
        let mut l = TenantLoader::new();
        l.add_assignments("assignments.json", format!("[{}]", items.join(",")).as_bytes());
        let (tenant, diagnostics) = l.build().unwrap();
        assert_eq!(tenant.assignments.len(), items.len(), "{diagnostics:?}");
        tenant.assignments
    }

    /// An edit turning a list of assignments (indexes into the pool) into another.
    #[derive(Clone, Debug)]
    enum Edit {
        Insert(usize, usize),
        Remove(usize),
        Replace(usize, usize),
        Swap(usize, usize),
        Shuffle(u64),
    }

    fn edit_strategy() -> impl proptest::strategy::Strategy<Value = Edit> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (any::<usize>(), 0..48usize).prop_map(|(at, x)| Edit::Insert(at, x)),
            4 => any::<usize>().prop_map(Edit::Remove),
            3 => (any::<usize>(), 0..48usize).prop_map(|(at, x)| Edit::Replace(at, x)),
            2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
            1 => any::<u64>().prop_map(Edit::Shuffle),
        ]
    }

    fn apply(list: &mut Vec<usize>, edit: &Edit) {
        let n = list.len();
        match *edit {
            Edit::Insert(at, x) => list.insert(at % (n + 1), x),
            Edit::Remove(at) if n > 0 => {
                list.remove(at % n);
            }
            Edit::Replace(at, x) if n > 0 => list[at % n] = x,
            Edit::Swap(a, b) if n > 0 => list.swap(a % n, b % n),
            Edit::Shuffle(seed) => {
                let mut s = seed | 1;
                for i in (1..n).rev() {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    list.swap(i, (s % (i as u64 + 1)) as usize);
                }
            }
            _ => {}
        }
    }

    type Found = Vec<(String, Status, Vec<String>, Vec<String>)>;

    fn found(v: Vec<(String, Status, Vec<&RoleAssignment>, Vec<&RoleAssignment>)>) -> Found {
        let texts = |x: Vec<&RoleAssignment>| x.into_iter().map(assignment_content).collect();
        v.into_iter().map(|(k, s, b, n)| (k, s, texts(b), texts(n))).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The walk in step finds exactly what comparing every key in maps of both lists finds, through
        /// insertions, removals, replacements, swaps, repeated keys, keys in another case and shuffles.
        #[test]
        fn changed_assignments_equals_comparing_every_key(
            base in proptest::collection::vec(0..48usize, 0..40),
            edits in proptest::collection::vec(edit_strategy(), 0..6),
        ) {
            let pool = pool();
            let mut new = base.clone();
            for e in &edits {
                apply(&mut new, e);
            }
            let pick = |v: &[usize]| v.iter().map(|&i| pool[i].clone()).collect::<Vec<_>>();
            let (b, n) = (pick(&base), pick(&new));
            let plain = changed(&keyed(&b, assignment_key), &keyed(&n, assignment_key), assignment_content, same_assignment);
            proptest::prop_assert_eq!(found(changed_assignments(&b, &n)), found(plain));
        }
    }

    /// The walk's paths are all taken: in step, an insertion, a removal, both sides unsettled, and lists too far
    /// out of order for it (every key then compared through maps).
    #[test]
    fn unsettled_keys_takes_every_path() {
        let pool = pool();
        let list = |v: &[usize]| v.iter().map(|&i| pool[i].clone()).collect::<Vec<_>>();
        let keys = |b: &[usize], n: &[usize]| {
            unsettled_keys(&list(b), &list(n)).map(|k| {
                let mut v: Vec<String> = k.into_iter().map(|k| lower(&k.0)).collect();
                v.sort();
                v
            })
        };
        let id = |i: usize| format!("a{i}");
        let base: Vec<usize> = (0..12).map(|i| 4 * i).collect();
        assert_eq!(keys(&base, &base), Some(vec![]));
        // The same key in another case and the same content: settled.
        let recased: Vec<usize> = base.iter().map(|i| i + 1).collect();
        assert_eq!(keys(&base, &recased), Some(vec![]));
        // Another scope under the same key.
        let mut moved = base.clone();
        moved[3] = 14;
        assert_eq!(keys(&base, &moved), Some(vec![id(3)]));
        // An insertion, then a removal, each found ahead and the rest back in step.
        let mut inserted = base.clone();
        inserted.insert(5, 3);
        assert_eq!(keys(&base, &inserted), Some(vec![format!("p0|{READER}|/subscriptions/u")]));
        let mut removed = base.clone();
        removed.remove(5);
        assert_eq!(keys(&base, &removed), Some(vec![id(5)]));
        // Both sides unsettled: two different keys where neither is found ahead.
        let mut replaced = base.clone();
        replaced[6] = 3;
        let want = vec![id(6), format!("p0|{READER}|/subscriptions/u")];
        let mut want = want;
        want.sort();
        assert_eq!(keys(&base, &replaced), Some(want));
        // Reversed: out of order beyond the walk.
        let reversed: Vec<usize> = base.iter().rev().copied().collect();
        assert_eq!(keys(&base, &reversed), None);
    }
}
