//! What the rules share: the catalog (loaded only when a rule needs it), wildcard expansion per plane, the
//! sensitive-operation sets, and each permission block's effective grants after its exclusions.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use rolegate::catalog::{Catalog, PlaneAnswer};
use rolegate::matcher::Pattern;
use rolegate::model::{Action, Entries, Permission, RoleDefinition, RoleType};

use crate::options::{Category, LintOptions};
use crate::sensitive::SensitiveSets;

/// Control plane (`Actions`/`NotActions`) or data plane (`DataActions`/`NotDataActions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Plane {
    /// `Actions` / `NotActions`.
    Control,
    /// `DataActions` / `NotDataActions`.
    Data,
}

impl Plane {
    /// Both planes, control first.
    pub const BOTH: [Plane; 2] = [Plane::Control, Plane::Data];

    /// The key of the grant list of this plane.
    pub fn grant_key(self) -> &'static str {
        match self {
            Plane::Control => "Actions",
            Plane::Data => "DataActions",
        }
    }

    /// The key of the exclusion list of this plane.
    pub fn exclusion_key(self) -> &'static str {
        match self {
            Plane::Control => "NotActions",
            Plane::Data => "NotDataActions",
        }
    }

    /// Whether a catalog entry with this `isDataAction` is on this plane.
    pub fn holds(self, is_data_action: bool) -> bool {
        is_data_action == (self == Plane::Data)
    }

    /// The other plane.
    pub fn other(self) -> Plane {
        match self {
            Plane::Control => Plane::Data,
            Plane::Data => Plane::Control,
        }
    }

    /// The grant and exclusion lists of a block on this plane.
    pub fn lists(self, p: &Permission) -> (&Entries<Action>, &Entries<Action>) {
        match self {
            Plane::Control => (&p.actions, &p.not_actions),
            Plane::Data => (&p.data_actions, &p.not_data_actions),
        }
    }
}

/// A catalog with a case-insensitive sorted index, so that a wildcard is matched only against the operations
/// that share its literal prefix.
#[derive(Debug)]
pub struct CatalogIndex<'c> {
    catalog: &'c Catalog,
    /// Every operation name, lower-cased, back to back (one allocation instead of one per operation).
    lower: String,
    /// `(start, end)` of each name in `lower` and its index in the catalog, sorted by name.
    sorted: Vec<(u32, u32, u32)>,
}

impl<'c> CatalogIndex<'c> {
    /// Indexes a catalog.
    pub fn new(catalog: &'c Catalog) -> Self {
        let ops = catalog.operations();
        let mut lower = String::with_capacity(ops.iter().map(|op| op.name.len()).sum());
        let mut sorted = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let start = lower.len();
            lower.extend(op.name.chars().map(|c| c.to_ascii_lowercase()));
            let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            sorted.push((as_u32(start), as_u32(lower.len()), as_u32(i)));
        }
        let key = |&(s, e, _): &(u32, u32, u32)| lower.get(s as usize..e as usize).unwrap_or_default();
        // The shipped catalog is already sorted this way, which the sort detects in linear time.
        sorted.sort_unstable_by(|a, b| key(a).cmp(key(b)).then(a.2.cmp(&b.2)));
        CatalogIndex { catalog, lower, sorted }
    }

    fn key(&self, &(s, e, _): &(u32, u32, u32)) -> &str {
        self.lower.get(s as usize..e as usize).unwrap_or_default()
    }

    /// The operations whose lower-cased name starts with `prefix` (lower case), by name.
    fn range(&self, prefix: String) -> impl Iterator<Item = (&str, u32)> + '_ {
        let start = self.sorted.partition_point(|e| self.key(e) < prefix.as_str());
        self.sorted
            .get(start..)
            .unwrap_or_default()
            .iter()
            .map(|e| (self.key(e), e.2))
            .take_while(move |(name, _)| name.starts_with(prefix.as_str()))
    }

    /// The indexed catalog.
    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The name of catalog operation `i`.
    pub fn name(&self, i: u32) -> &'c str {
        self.catalog.operations().get(i as usize).map_or("", |op| op.name.as_str())
    }

    /// The catalog operations on `plane` that `pattern` matches, by lower-cased name.
    pub fn expand(&self, pattern: &Pattern, plane: Plane) -> Vec<u32> {
        let ops = self.catalog.operations();
        self.range(pattern.literal_prefix().to_ascii_lowercase())
            .filter(|(_, i)| ops.get(*i as usize).is_some_and(|op| plane.holds(op.is_data_action)))
            // An exact pattern is its own literal prefix: of the names that start with it, those as long.
            .filter(
                |(name, _)| {
                    if pattern.is_exact() { name.len() == pattern.as_str().len() } else { pattern.matches(name) }
                },
            )
            .map(|(_, i)| i)
            .collect()
    }

    /// Every operation on `plane` whose name starts with `prefix` (ASCII case-insensitive), by name.
    pub fn with_prefix(&self, prefix: &str, plane: Plane) -> impl Iterator<Item = u32> + '_ {
        let ops = self.catalog.operations();
        self.range(prefix.to_ascii_lowercase())
            .filter(move |(_, i)| ops.get(*i as usize).is_some_and(|op| plane.holds(op.is_data_action)))
            .map(|(_, i)| i)
    }
}

/// The operations one grant entry (`Actions` or `DataActions` item) effectively grants.
#[derive(Debug)]
pub struct Grant<'r> {
    /// The entry.
    pub action: &'r Action,
    /// Index of its permission block.
    pub block: usize,
    /// Its plane.
    pub plane: Plane,
    /// Catalog operations it grants that no exclusion of its block removes, by lower-cased name.
    pub ops: Rc<[u32]>,
    /// The entry itself when it is an exact operation the catalog does not list at all and no exclusion
    /// removes it (the catalog lags Azure; the grant is still real).
    pub uncataloged: Option<&'r str>,
    /// Whether the block has a condition (the grant only applies when it holds).
    pub conditional: bool,
    /// The block's exclusions on this plane.
    pub exclusions: Vec<&'r Pattern>,
    /// The block grants nothing: an exclusion is malformed or a template expression.
    pub blocked: bool,
    /// The categories of `ops` together, once computed: most grants reach no sensitive operation, and nine
    /// rules ask per category.
    categories: std::cell::Cell<Option<u8>>,
}

impl Grant<'_> {
    /// Whether this entry effectively grants `op` (by pattern, whether or not the catalog lists it).
    pub fn grants_name(&self, op: &str) -> bool {
        !self.blocked && self.action.matches(op) && !self.exclusions.iter().any(|n| n.matches(op))
    }
}

/// Expansions per plane (control, data), by pattern as written and by lower-cased pattern: a hit on the text as
/// written, the common case, needs no allocation.
type ExpansionCache = [FastMap<String, Rc<[u32]>>; 4];

/// A `HashMap` with a fast hasher for the per-entry caches of a run (keys are the run's own operation names,
/// so hash flooding is not a concern; SipHash was a tenth of a large run).
pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// The multiply-rotate hash of rustc (`FxHasher`).
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Shared, lazily computed state of one run.
pub struct Analysis<'o> {
    options: &'o LintOptions,
    catalog: OnceCell<&'o Catalog>,
    index: OnceCell<CatalogIndex<'o>>,
    sensitive: SensitiveSets,
    /// Category bits per catalog operation, computed on first use (`u8::MAX`: not yet known).
    op_categories: OnceCell<RefCell<Vec<u8>>>,
    expansions: RefCell<ExpansionCache>,
    /// RL310's effective permissions per built-in role (by index), computed once per run for the built-ins a
    /// role is compared with, rather than once per comparison.
    builtin_effective: RefCell<HashMap<usize, Rc<crate::rules::BuiltinEffective>>>,
    uncataloged_sensitive: OnceCell<Vec<(Category, Pattern)>>,
    /// The catalog's plane per operation name as written (RL300 and RL107 ask for every exact entry).
    planes: RefCell<FastMap<String, PlaneAnswer>>,
    /// The first custom role of the run per lower-cased display name (RL110).
    first_custom_by_name: OnceCell<HashMap<String, usize>>,
}

impl std::fmt::Debug for Analysis<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis").field("options", self.options).finish_non_exhaustive()
    }
}

impl<'o> Analysis<'o> {
    /// State for a run with these options.
    pub fn new(options: &'o LintOptions) -> Self {
        Analysis {
            options,
            catalog: OnceCell::new(),
            index: OnceCell::new(),
            sensitive: SensitiveSets::new(&options.extra_sensitive),
            op_categories: OnceCell::new(),
            expansions: RefCell::new(Default::default()),
            builtin_effective: RefCell::new(HashMap::new()),
            uncataloged_sensitive: OnceCell::new(),
            first_custom_by_name: OnceCell::new(),
            planes: RefCell::new(FastMap::default()),
        }
    }

    /// The options of the run.
    pub fn options(&self) -> &'o LintOptions {
        self.options
    }

    /// The catalog: the one given in the options, else the shipped one (loaded on first use).
    pub fn catalog(&self) -> &'o Catalog {
        self.catalog.get_or_init(|| match &self.options.catalog {
            Some(c) => c.as_ref(),
            None => Catalog::builtin(),
        })
    }

    /// How reports name the catalog: `catalog of 2026-08-22`, or `catalog of unknown date`.
    pub fn catalog_date(&self) -> String {
        format!("catalog of {}", self.catalog().date().unwrap_or("unknown date"))
    }

    /// The catalog index (for the shipped catalog, built once per process).
    pub fn index(&self) -> &CatalogIndex<'o> {
        if self.options.catalog.is_none() {
            static BUILTIN: std::sync::OnceLock<CatalogIndex<'static>> = std::sync::OnceLock::new();
            return BUILTIN.get_or_init(|| CatalogIndex::new(Catalog::builtin()));
        }
        self.index.get_or_init(|| CatalogIndex::new(self.catalog()))
    }

    /// The sensitive-operation sets (shipped data plus the options' extra entries).
    pub fn sensitive(&self) -> &SensitiveSets {
        &self.sensitive
    }

    /// Catalog operations on `plane` matched by `pattern`, cached per lower-cased pattern.
    pub fn expand(&self, pattern: &Pattern, plane: Plane) -> Rc<[u32]> {
        let (written, lower) = match plane {
            Plane::Control => (0, 1),
            Plane::Data => (2, 3),
        };
        let cached = |slot: usize, key: &str| self.expansions.borrow().get(slot).and_then(|m| m.get(key).cloned());
        if let Some(hit) = cached(written, pattern.as_str()) {
            return hit;
        }
        let key = pattern.as_str().to_ascii_lowercase();
        let ops = match cached(lower, &key) {
            Some(hit) => hit,
            None => {
                let ops: Rc<[u32]> = self.index().expand(pattern, plane).into();
                if let Some(m) = self.expansions.borrow_mut().get_mut(lower) {
                    m.insert(key, Rc::clone(&ops));
                }
                ops
            }
        };
        if let Some(m) = self.expansions.borrow_mut().get_mut(written) {
            m.insert(pattern.as_str().to_owned(), Rc::clone(&ops));
        }
        ops
    }

    /// The effective permissions of built-in role `index` for RL310, computed by `compute` on first use.
    pub(crate) fn builtin_effective(
        &self,
        index: usize,
        compute: impl FnOnce() -> crate::rules::BuiltinEffective,
    ) -> Rc<crate::rules::BuiltinEffective> {
        if let Some(hit) = self.builtin_effective.borrow().get(&index) {
            return Rc::clone(hit);
        }
        let e = Rc::new(compute());
        self.builtin_effective.borrow_mut().insert(index, Rc::clone(&e));
        e
    }

    /// The categories (bit set over [`Category::ALL`]) catalog operation `i` belongs to.
    pub fn op_categories(&self, i: u32) -> u8 {
        use std::sync::atomic::{AtomicU8, Ordering};
        // With the shipped catalog and the shipped sets the answer is the same for every run of the process.
        if self.options.catalog.is_none() && self.options.extra_sensitive.is_empty() {
            static SHIPPED: std::sync::OnceLock<Vec<AtomicU8>> = std::sync::OnceLock::new();
            let cache = SHIPPED.get_or_init(|| (0..Catalog::builtin().len()).map(|_| AtomicU8::new(u8::MAX)).collect());
            let Some(slot) = cache.get(i as usize) else { return self.sensitive.categories(self.index().name(i)) };
            let bits = slot.load(Ordering::Relaxed);
            if bits != u8::MAX {
                return bits;
            }
            let bits = self.sensitive.categories(self.index().name(i));
            slot.store(bits, Ordering::Relaxed);
            return bits;
        }
        let cell = self.op_categories.get_or_init(|| RefCell::new(vec![u8::MAX; self.catalog().len()]));
        if let Some(&bits) = cell.borrow().get(i as usize)
            && bits != u8::MAX
        {
            return bits;
        }
        let bits = self.sensitive.categories(self.index().name(i));
        if let Some(slot) = cell.borrow_mut().get_mut(i as usize) {
            *slot = bits;
        }
        bits
    }

    /// The effective grants of a role's permission blocks: every `Actions`/`DataActions` entry with the
    /// catalog operations it grants once its block's exclusions are subtracted. A block with a malformed or
    /// templated exclusion (on either plane) grants nothing (semantics §2.2: fail closed, as the engine does), so its
    /// entries grant nothing here either.
    pub fn grants<'r>(&self, permissions: &'r [Permission]) -> Vec<Grant<'r>> {
        let mut out = Vec::new();
        // As in the engine: an exclusion list that cannot be read (either plane) makes the whole block dead.
        let unreadable = |e: &Entries<Action>| e.is_template() || e.items().iter().any(|a| !a.is_valid());
        for (block, perm) in permissions.iter().enumerate() {
            let blocked = unreadable(&perm.not_actions) || unreadable(&perm.not_data_actions);
            for plane in Plane::BOTH {
                let (grants, exclusions) = plane.lists(perm);
                let excl: Vec<&Pattern> = exclusions.items().iter().filter_map(Action::pattern).collect();
                // The catalog operations the exclusions remove, once per block: an expansion is exactly the
                // operations of the plane that a pattern matches, so membership is the per-operation match.
                let mut excluded: Vec<u32> = if blocked {
                    Vec::new()
                } else {
                    excl.iter().flat_map(|n| self.expand(n, plane).to_vec()).collect()
                };
                excluded.sort_unstable();
                excluded.dedup();
                for action in grants.items() {
                    let Some(pattern) = action.pattern() else { continue };
                    let (ops, uncataloged): (Rc<[u32]>, Option<&str>) = if blocked {
                        (Rc::from(Vec::new()), None)
                    } else {
                        let all = self.expand(pattern, plane);
                        let listed = !all.is_empty();
                        let ops = if excluded.is_empty() || !all.iter().any(|i| excluded.binary_search(i).is_ok()) {
                            all
                        } else {
                            all.iter().copied().filter(|i| excluded.binary_search(i).is_err()).collect()
                        };
                        // An exact entry the catalog lists on the other plane grants nothing on this one.
                        let exact = pattern.is_exact()
                            && !listed
                            && self.catalog().lookup(pattern.as_str()).next().is_none()
                            && !excl.iter().any(|n| n.matches(pattern.as_str()));
                        (ops, exact.then_some(pattern.as_str()))
                    };
                    out.push(Grant {
                        action,
                        block,
                        plane,
                        ops,
                        uncataloged,
                        conditional: perm.condition.is_some(),
                        exclusions: excl.clone(),
                        blocked,
                        categories: std::cell::Cell::new(None),
                    });
                }
            }
        }
        out
    }

    /// The operations of `grant` in `category`: catalog names, then the uncataloged exact entry if it belongs,
    /// then exact sensitive entries the catalog does not list but the grant's pattern reaches (so a stale or
    /// partial catalog cannot hide `roleAssignments/write` behind `Microsoft.Authorization/*`).
    pub fn sensitive_ops(&self, grant: &Grant<'_>, category: Category) -> Vec<String> {
        let bit = category.bit();
        let index = self.index();
        let union = grant.categories.get().unwrap_or_else(|| {
            let union = grant.ops.iter().fold(0, |bits, &i| bits | self.op_categories(i));
            grant.categories.set(Some(union));
            union
        });
        let mut out: Vec<String> = if union & bit == 0 {
            Vec::new()
        } else {
            grant.ops.iter().filter(|&&i| self.op_categories(i) & bit != 0).map(|&i| index.name(i).to_owned()).collect()
        };
        if let Some(name) = grant.uncataloged
            && self.sensitive.categories(name) & bit != 0
        {
            out.push(name.to_owned());
        }
        for (_, entry) in self.uncataloged_sensitive().iter().filter(|(c, _)| *c == category) {
            let name = entry.as_str();
            if grant.grants_name(name) && !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                out.push(name.to_owned());
            }
        }
        out.sort_by_cached_key(|op| (self.sensitive.rank(op, category), op.to_ascii_lowercase()));
        out
    }

    /// The exact sensitive entries the catalog does not list, with their category: computed once, as every grant
    /// of every role is checked against them.
    fn uncataloged_sensitive(&self) -> &[(Category, Pattern)] {
        self.uncataloged_sensitive.get_or_init(|| {
            Category::ALL
                .into_iter()
                .flat_map(|c| self.sensitive.entries(c).map(move |p| (c, p)))
                .filter(|(_, p)| p.is_exact() && self.catalog().lookup(p.as_str()).next().is_none())
                .map(|(c, p)| (c, p.clone()))
                .collect()
        })
    }

    /// The catalog's answer to which plane operation `name` is on ([`Catalog::plane`]), cached.
    pub fn plane(&self, name: &str) -> PlaneAnswer {
        if let Some(&hit) = self.planes.borrow().get(name) {
            return hit;
        }
        let answer = self.catalog().plane(name);
        self.planes.borrow_mut().insert(name.to_owned(), answer);
        answer
    }

    /// The index of the first custom role of the run named `name` (ASCII case-insensitive); `roles` are the run's
    /// roles, the same on every call. One map for the run, so that 5,000 roles are not compared pairwise.
    pub(crate) fn first_custom_named(&self, roles: &[RoleDefinition], name: &str) -> Option<usize> {
        let map = self.first_custom_by_name.get_or_init(|| {
            let mut map = HashMap::new();
            for (i, r) in roles.iter().enumerate().filter(|(_, r)| r.role_type == RoleType::Custom) {
                map.entry(r.display_name().to_ascii_lowercase()).or_insert(i);
            }
            map
        });
        map.get(&name.to_ascii_lowercase()).copied()
    }

    /// The closest catalog operation to `name` on `plane`, for "did you mean": same namespace, small edit
    /// distance.
    pub fn suggest(&self, name: &str, plane: Plane) -> Option<&'o str> {
        let index = self.index();
        let lower = name.to_ascii_lowercase();
        let namespace = lower.split('/').next().unwrap_or_default();
        // Typos are one or two edits; a looser bound suggests unrelated siblings (`sqlRoleAssignments` for
        // `gremlinRoleAssignments`).
        let limit = 1 + lower.len() / 25;
        let mut best: Option<(usize, u32)> = None;
        for i in index.with_prefix(&format!("{namespace}/"), plane) {
            let candidate = index.name(i);
            let Some(d) = edit_distance(&lower, &candidate.to_ascii_lowercase(), limit) else { continue };
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, i));
            }
        }
        best.map(|(_, i)| index.name(i))
    }
}

/// Levenshtein distance over bytes (operation names are ASCII), or `None` when it exceeds `limit`. Only the
/// band of cells within `limit` of the diagonal can stay within the limit, so only those are computed.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let big = limit.saturating_add(1);
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(big)).collect();
    let mut cur = vec![big; b.len().saturating_add(1)];
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(limit);
        let hi = i.saturating_add(limit).saturating_add(1).min(b.len());
        cur.iter_mut().for_each(|c| *c = big);
        if lo == 0
            && let Some(first) = cur.first_mut()
        {
            *first = (i + 1).min(big);
        }
        let mut row_min = cur.first().copied().unwrap_or(big);
        for j in lo..hi {
            let cb = b.get(j).copied().unwrap_or(0);
            let sub = prev.get(j).copied().unwrap_or(big) + usize::from(*ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(big) + 1;
            let ins = cur.get(j).copied().unwrap_or(big) + 1;
            let v = sub.min(del).min(ins).min(big);
            if let Some(c) = cur.get_mut(j + 1) {
                *c = v;
            }
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().filter(|&d| d <= limit)
}

#[cfg(test)]
mod tests {
    use super::{CatalogIndex, Pattern, Plane, edit_distance};

    /// An exact entry expands to its own operation only, not to the longer names it is a prefix of.
    #[test]
    fn exact_patterns_expand_to_themselves() {
        let index = CatalogIndex::new(rolegate::catalog::Catalog::builtin());
        let names = |p: &str| -> Vec<&str> {
            index.expand(&Pattern::new(p), Plane::Control).into_iter().map(|i| index.name(i)).collect()
        };
        assert_eq!(names("microsoft.billingbenefits/maccs/WRITE"), ["Microsoft.BillingBenefits/maccs/write"]);
        assert_eq!(names("Microsoft.BillingBenefits/maccs/writ"), Vec::<&str>::new());
        assert!(names("Microsoft.BillingBenefits/maccs/write*").len() >= 2);
    }

    #[test]
    fn banded_edit_distance() {
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("a/read", "a/read", 0), Some(0));
        assert_eq!(edit_distance("a/reda", "a/read", 2), Some(2));
        assert_eq!(edit_distance("", "abc", 3), Some(3));
        assert_eq!(edit_distance("abcdef", "ab", 3), None);
    }
}
