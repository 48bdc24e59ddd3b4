//! A deterministic, seeded tenant generator for benchmarks: it writes the files of a tenant directory
//! (semantics §2.2) as strings, and a `queries.jsonl` whose `expected` values come from the plain reference
//! evaluator (`tests/support/reference_engine.rs`), never from the engine.
//!
//! Used by `examples/gen_tenant.rs` and `benches/engine.rs`. The including crate must also declare
//! `mod reference_matcher` and `mod reference_condition` at its root (`#[path = ".../tests/support/…"]`), because the
//! reference evaluator refers to them as `crate::reference_matcher` and `crate::reference_condition`.
//!
//! Everything is derived from the seed by an inline splitmix64, so a seed gives the same tenant on every
//! platform and Rust version. Operation names come from the shipped catalog (`Catalog::builtin()`).

// Generator code for benches and an example: a bad index or a failed load of generated input is a generator bug
// and should abort loudly; not every item is used by every including crate.
#![allow(dead_code, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;

use rolegate::Tenant;
use rolegate::action::is_operation_name;
use rolegate::catalog::{Catalog, PlaneAnswer};
use rolegate::engine::{ReasonKind, Request};
use rolegate::load::TenantLoader;
use rolegate::schema::Query;

#[path = "../../tests/support/reference_engine.rs"]
pub mod reference_engine;

use reference_engine::{Effect, reference_check};

/// Built-in roles that generated assignments use.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// Owner.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Storage Blob Data Reader.
pub const BLOB_DATA_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
/// Key Vault Secrets User.
pub const KV_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
/// The `Everyone` principal of deny assignments.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

const BLOB_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
const BLOB_ALL: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*";
const BLOB_CONTAINERS_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/read";
const CONTAINER_CONDITION: &str = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))";

// ---------------------------------------------------------------------------------------------------------------
// Sizes

/// A preset tenant size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 1k principals, 100 roles, 5k assignments.
    Small,
    /// 10k principals, 500 groups, 1,000 roles, 50k assignments, 20k resources, 20 MGs, 100 subscriptions.
    Medium,
    /// 100k principals, 5k groups, 5,000 roles, 500k assignments, 200k resources, 100 MGs, 1,000 subscriptions.
    Large,
}

impl Size {
    /// `small`, `medium` or `large`.
    pub fn parse(s: &str) -> Option<Size> {
        match s.to_ascii_lowercase().as_str() {
            "small" => Some(Size::Small),
            "medium" => Some(Size::Medium),
            "large" => Some(Size::Large),
            _ => None,
        }
    }

    /// The preset's name.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Medium => "medium",
            Size::Large => "large",
        }
    }

    /// The preset's counts.
    pub fn params(self) -> Params {
        match self {
            Size::Small => Params {
                principals: 1_000,
                groups: 50,
                roles: 100,
                assignments: 5_000,
                resources: 2_000,
                management_groups: 5,
                subscriptions: 10,
                deny_assignments: 5,
                queries: 1_000,
            },
            Size::Medium => Params {
                principals: 10_000,
                groups: 500,
                roles: 1_000,
                assignments: 50_000,
                resources: 20_000,
                management_groups: 20,
                subscriptions: 100,
                deny_assignments: 20,
                queries: 1_000,
            },
            Size::Large => Params {
                principals: 100_000,
                groups: 5_000,
                roles: 5_000,
                assignments: 500_000,
                resources: 200_000,
                management_groups: 100,
                subscriptions: 1_000,
                deny_assignments: 50,
                queries: 1_000,
            },
        }
    }
}

/// The counts a tenant is generated with.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Users and service principals.
    pub principals: usize,
    /// Groups, nested up to three deep.
    pub groups: usize,
    /// Custom roles (the built-ins come on top).
    pub roles: usize,
    /// Role assignments.
    pub assignments: usize,
    /// Resources (20 per resource group, 10 resource groups per subscription).
    pub resources: usize,
    /// Management groups, the tenant root included.
    pub management_groups: usize,
    /// Subscriptions (about 5% deliberately missing from the hierarchy).
    pub subscriptions: usize,
    /// Deny assignments.
    pub deny_assignments: usize,
    /// Lines of `queries.jsonl`.
    pub queries: usize,
}

// ---------------------------------------------------------------------------------------------------------------
// PRNG

/// splitmix64: tiny, fast, and fixed forever (no crate version can change the sequence).
#[derive(Clone, Debug)]
pub struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// `s` in a random ASCII case (ids and scopes compare case-insensitively).
    fn recase(&mut self, s: &str) -> String {
        match self.below(3) {
            0 => s.to_ascii_uppercase(),
            1 => s.to_ascii_lowercase(),
            _ => s.chars().map(|c| if self.chance(50) { c.to_ascii_uppercase() } else { c }).collect(),
        }
    }
}

/// A GUID-shaped id, unique per `(tag, i)` for a seed (the first half is a bijection of its input).
fn guid(seed: u64, tag: u64, i: u64) -> String {
    let a = mix(seed.rotate_left(17) ^ (tag << 56) ^ i);
    let b = mix(a ^ 0x5851_f42d_4c95_7f2d);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

const TAG_USER: u64 = 1;
const TAG_SP: u64 = 2;
const TAG_GROUP: u64 = 3;
const TAG_ROLE: u64 = 4;
const TAG_SUB: u64 = 5;
const TAG_ASSIGNMENT: u64 = 6;
const TAG_DENY: u64 = 7;
const TAG_UNKNOWN: u64 = 8;
const TAG_TENANT: u64 = 9;

// ---------------------------------------------------------------------------------------------------------------
// The operation vocabulary

/// Resource types the generated resources have: (namespace, type, name prefix, weight).
const RESOURCE_TYPES: [(&str, &str, &str, usize); 16] = [
    ("Microsoft.Compute", "virtualMachines", "vm", 4),
    ("Microsoft.Compute", "disks", "disk", 3),
    ("Microsoft.Network", "virtualNetworks", "vnet", 2),
    ("Microsoft.Network", "networkInterfaces", "nic", 3),
    ("Microsoft.Network", "publicIPAddresses", "pip", 2),
    ("Microsoft.Network", "networkSecurityGroups", "nsg", 2),
    ("Microsoft.Storage", "storageAccounts", "st", 4),
    ("Microsoft.KeyVault", "vaults", "kv", 3),
    ("Microsoft.Web", "sites", "app", 3),
    ("Microsoft.Sql", "servers", "sql", 2),
    ("Microsoft.ContainerService", "managedClusters", "aks", 1),
    ("Microsoft.DocumentDB", "databaseAccounts", "cosmos", 1),
    ("Microsoft.EventHub", "namespaces", "evh", 1),
    ("Microsoft.ServiceBus", "namespaces", "sb", 1),
    ("Microsoft.MachineLearningServices", "workspaces", "mlw", 1),
    ("Microsoft.Insights", "components", "appi", 1),
];

struct ResourceType {
    namespace: &'static str,
    name: &'static str,
    prefix: &'static str,
    control: Vec<String>,
    data: Vec<String>,
}

impl ResourceType {
    fn full(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
    fn reads(&self) -> impl Iterator<Item = &String> {
        self.control.iter().filter(|o| o.to_ascii_lowercase().ends_with("/read"))
    }
}

struct Vocab {
    types: Vec<ResourceType>,
    /// Type index per weight unit, for weighted picks.
    weighted: Vec<usize>,
    /// Every control-plane operation with a unique plane.
    control: Vec<String>,
    /// Every data-plane operation with a unique plane.
    data: Vec<String>,
    /// Operations listed in both planes.
    both: Vec<String>,
}

impl Vocab {
    fn new(catalog: &Catalog) -> Vocab {
        let mut control = Vec::new();
        let mut data = Vec::new();
        let mut both = Vec::new();
        for op in catalog.operations() {
            if !is_operation_name(&op.name) {
                continue;
            }
            match catalog.plane(&op.name) {
                PlaneAnswer::Control => control.push(op.name.clone()),
                PlaneAnswer::Data => data.push(op.name.clone()),
                PlaneAnswer::Both => both.push(op.name.clone()),
                PlaneAnswer::Unknown => {}
            }
        }
        for v in [&mut control, &mut data, &mut both] {
            v.sort();
            v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        }
        let mut types = Vec::new();
        let mut weighted = Vec::new();
        for (ns, name, prefix, weight) in RESOURCE_TYPES {
            let lead = format!("{ns}/{name}/").to_ascii_lowercase();
            let under = |v: &[String]| -> Vec<String> {
                v.iter().filter(|o| o.to_ascii_lowercase().starts_with(&lead)).cloned().collect()
            };
            let t = ResourceType { namespace: ns, name, prefix, control: under(&control), data: under(&data) };
            if t.control.is_empty() {
                continue;
            }
            for _ in 0..weight {
                weighted.push(types.len());
            }
            types.push(t);
        }
        Vocab { types, weighted, control, data, both }
    }

    fn type_index(&self, namespace: &str, name: &str) -> Option<usize> {
        self.types.iter().position(|t| t.namespace == namespace && t.name == name)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The generated tenant, kept as a model so that queries can be aimed at it

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScopeRef {
    Root,
    Mg(usize),
    Sub(usize),
    Rg(usize),
    Res(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PrincipalRef {
    User(usize),
    Group(usize),
    Unknown(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RoleRef {
    Custom(usize),
    Builtin(&'static str),
}

struct Resource {
    rg: usize,
    ty: usize,
    name: String,
}

#[derive(Default)]
struct Block {
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
    condition: bool,
}

struct Role {
    id: String,
    name: String,
    blocks: Vec<Block>,
    /// Operations that some grant of the role names or matches: `(name, is data)`.
    samples: Vec<(String, bool)>,
    /// The resource type the role is about, if any.
    focus: Option<usize>,
}

struct Assignment {
    principal: PrincipalRef,
    role: RoleRef,
    scope: ScopeRef,
    condition: bool,
}

struct Deny {
    scope: ScopeRef,
    everyone: bool,
    principals: Vec<PrincipalRef>,
    excludes: Vec<PrincipalRef>,
    children: bool,
    audit: bool,
    block: Block,
    samples: Vec<(String, bool)>,
}

struct Model {
    seed: u64,
    users: Vec<String>,
    /// Service principal or user, per principal.
    is_sp: Vec<bool>,
    groups: Vec<String>,
    members: Vec<Vec<PrincipalRef>>,
    tenant_root: String,
    mgs: Vec<String>,
    mg_parent: Vec<Option<usize>>,
    subs: Vec<String>,
    /// Management group of each subscription; `None` = deliberately missing from hierarchy.json.
    sub_mg: Vec<Option<usize>>,
    /// Subscriptions below each management group (transitively).
    subs_under: Vec<Vec<usize>>,
    rgs: Vec<(usize, String)>,
    /// Resources of resource group `i` are `rg_resources[i]`.
    rg_resources: Vec<std::ops::Range<usize>>,
    resources: Vec<Resource>,
    by_type: Vec<Vec<usize>>,
    roles: Vec<Role>,
    assignments: Vec<Assignment>,
    denies: Vec<Deny>,
}

const RG_NAMES: [&str; 10] =
    ["rg-app", "rg-data", "rg-network", "rg-shared", "rg-prod", "rg-dev", "rg-test", "rg-ml", "rg-web", "rg-app1"];
const CONTAINERS: [&str; 5] = ["logs", "images", "backups", "raw", "exports"];

impl Model {
    fn principal_id(&self, p: PrincipalRef) -> String {
        match p {
            PrincipalRef::User(i) => self.users[i].clone(),
            PrincipalRef::Group(i) => self.groups[i].clone(),
            PrincipalRef::Unknown(i) => guid(self.seed, TAG_UNKNOWN, i as u64),
        }
    }

    fn principal_type(&self, p: PrincipalRef) -> &'static str {
        match p {
            PrincipalRef::User(i) if self.is_sp[i] => "ServicePrincipal",
            PrincipalRef::User(_) | PrincipalRef::Unknown(_) => "User",
            PrincipalRef::Group(_) => "Group",
        }
    }

    fn role_id(&self, r: RoleRef) -> String {
        match r {
            RoleRef::Custom(i) => self.roles[i].id.clone(),
            RoleRef::Builtin(id) => id.to_owned(),
        }
    }

    fn mg_scope(&self, m: usize) -> String {
        format!("/providers/Microsoft.Management/managementGroups/{}", self.mgs[m])
    }

    fn rg_scope(&self, rg: usize) -> String {
        let (sub, name) = &self.rgs[rg];
        format!("/subscriptions/{}/resourceGroups/{name}", self.subs[*sub])
    }

    fn scope(&self, vocab: &Vocab, s: ScopeRef) -> String {
        match s {
            ScopeRef::Root => "/".to_owned(),
            ScopeRef::Mg(m) => self.mg_scope(m),
            ScopeRef::Sub(i) => format!("/subscriptions/{}", self.subs[i]),
            ScopeRef::Rg(rg) => self.rg_scope(rg),
            ScopeRef::Res(r) => {
                let res = &self.resources[r];
                let t = &vocab.types[res.ty];
                format!("{}/providers/{}/{}/{}", self.rg_scope(res.rg), t.namespace, t.name, res.name)
            }
        }
    }

    /// A scope below a resource: a blob path, a secret, a VM extension, a database; else the resource itself.
    fn deep_scope(&self, vocab: &Vocab, rng: &mut Rng, r: usize) -> String {
        let base = self.scope(vocab, ScopeRef::Res(r));
        let t = &vocab.types[self.resources[r].ty];
        match (t.namespace, t.name) {
            ("Microsoft.Storage", "storageAccounts") => {
                let c = rng.pick(&CONTAINERS);
                match rng.below(3) {
                    0 => format!("{base}/blobServices/default/containers/{c}"),
                    1 => format!("{base}/blobServices/default/containers/{c}/blobs/file-{}.json", rng.below(1000)),
                    _ => format!(
                        "{base}/blobServices/default/containers/{c}/blobs/{}/{:02}/part-{}.parquet",
                        2020 + rng.below(6),
                        1 + rng.below(12),
                        rng.below(100)
                    ),
                }
            }
            ("Microsoft.KeyVault", "vaults") => format!("{base}/secrets/secret-{}", rng.below(50)),
            ("Microsoft.Compute", "virtualMachines") => format!("{base}/extensions/ext-{}", rng.below(3)),
            ("Microsoft.Sql", "servers") => format!("{base}/databases/db-{}", rng.below(5)),
            _ => base,
        }
    }

    /// A scope at or below `s`; also the resource it is on, if any.
    fn below(&self, vocab: &Vocab, rng: &mut Rng, s: ScopeRef) -> (String, Option<usize>) {
        let res_in_rg = |rng: &mut Rng, rg: usize| {
            let range = self.rg_resources[rg].clone();
            (!range.is_empty()).then(|| range.start + rng.below(range.len()))
        };
        let resource = |rng: &mut Rng, r: usize| {
            if rng.chance(35) {
                (self.deep_scope(vocab, rng, r), Some(r))
            } else {
                (self.scope(vocab, ScopeRef::Res(r)), Some(r))
            }
        };
        let in_sub = |rng: &mut Rng, sub: usize| -> (String, Option<usize>) {
            let rg = sub * RG_NAMES.len() + rng.below(RG_NAMES.len());
            match rng.below(10) {
                0 | 1 => (self.scope(vocab, ScopeRef::Sub(sub)), None),
                2..=4 => (self.scope(vocab, ScopeRef::Rg(rg)), None),
                _ => match res_in_rg(rng, rg) {
                    Some(r) => resource(rng, r),
                    None => (self.scope(vocab, ScopeRef::Rg(rg)), None),
                },
            }
        };
        match s {
            ScopeRef::Root => {
                if rng.chance(10) {
                    ("/".to_owned(), None)
                } else {
                    let sub = rng.below(self.subs.len());
                    in_sub(rng, sub)
                }
            }
            ScopeRef::Mg(m) => {
                let subs = &self.subs_under[m];
                if subs.is_empty() || rng.chance(15) {
                    (self.scope(vocab, s), None)
                } else {
                    let sub = *rng.pick(subs);
                    in_sub(rng, sub)
                }
            }
            ScopeRef::Sub(sub) => in_sub(rng, sub),
            ScopeRef::Rg(rg) => {
                if rng.chance(30) {
                    (self.scope(vocab, s), None)
                } else {
                    match res_in_rg(rng, rg) {
                        Some(r) => resource(rng, r),
                        None => (self.scope(vocab, s), None),
                    }
                }
            }
            ScopeRef::Res(r) => resource(rng, r),
        }
    }

    /// A user or service principal that holds `p` (itself, or a member of the group, through nesting).
    fn holder(&self, rng: &mut Rng, p: PrincipalRef) -> PrincipalRef {
        let mut cur = p;
        for _ in 0..4 {
            match cur {
                PrincipalRef::Group(g) if !self.members[g].is_empty() => cur = *rng.pick(&self.members[g]),
                _ => return cur,
            }
        }
        cur
    }

    fn random_user(&self, rng: &mut Rng) -> PrincipalRef {
        PrincipalRef::User(rng.below(self.users.len()))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Building the model

fn build_model(params: &Params, seed: u64, vocab: &Vocab) -> Model {
    let mut rng = Rng::new(seed);
    let p = params;

    // Principals: 85% users, 15% service principals.
    let is_sp: Vec<bool> = (0..p.principals).map(|_| rng.chance(15)).collect();
    let users: Vec<String> =
        (0..p.principals).map(|i| guid(seed, if is_sp[i] { TAG_SP } else { TAG_USER }, i as u64)).collect();

    // Groups: 60% leaf groups of users, 30% one level up, 10% two levels up (nesting three deep).
    let groups: Vec<String> = (0..p.groups).map(|i| guid(seed, TAG_GROUP, i as u64)).collect();
    let l0 = (p.groups * 6 / 10).max(1).min(p.groups);
    let l1 = (p.groups * 9 / 10).max(l0).min(p.groups);
    let members: Vec<Vec<PrincipalRef>> = (0..p.groups)
        .map(|g| {
            let mut m = Vec::new();
            let (subgroups, users_n) = if g < l0 {
                (None, rng.range(5, 40))
            } else if g < l1 {
                (Some(0..l0), rng.range(0, 10))
            } else {
                (Some(l0..l1), rng.range(0, 5))
            };
            if let Some(range) = subgroups.filter(|r| !r.is_empty()) {
                for _ in 0..rng.range(2, 5) {
                    m.push(PrincipalRef::Group(range.start + rng.below(range.len())));
                }
            }
            for _ in 0..users_n {
                m.push(PrincipalRef::User(rng.below(p.principals)));
            }
            m.sort_by_key(|x| format!("{x:?}"));
            m.dedup();
            m
        })
        .collect();

    // Management groups: [0] is the tenant root; the others hang below an earlier one, at most six levels deep.
    let tenant_root = guid(seed, TAG_TENANT, 0);
    let nmg = p.management_groups.max(1);
    let mut mgs = vec![tenant_root.clone()];
    let mut mg_parent: Vec<Option<usize>> = vec![None];
    let mut depth = vec![0usize];
    for i in 1..nmg {
        let parent = loop {
            let cand = if i <= 4 || rng.chance(20) { 0 } else { rng.below(i) };
            if depth[cand] < 6 {
                break cand;
            }
        };
        mgs.push(format!("mg-{}-{i:03}", ["corp", "platform", "landing", "sandbox", "online"][i % 5]));
        mg_parent.push(Some(parent));
        depth.push(depth[parent] + 1);
    }

    // Subscriptions: about 5% deliberately missing from hierarchy.json.
    let subs: Vec<String> = (0..p.subscriptions).map(|i| guid(seed, TAG_SUB, i as u64)).collect();
    let missing = (p.subscriptions / 20).max(1);
    let step = (p.subscriptions / missing).max(1);
    let sub_mg: Vec<Option<usize>> = (0..p.subscriptions)
        .map(|i| {
            if i % step == step / 2 {
                None
            } else if nmg == 1 || rng.chance(10) {
                Some(0)
            } else {
                Some(1 + rng.below(nmg - 1))
            }
        })
        .collect();
    let mut subs_under: Vec<Vec<usize>> = vec![Vec::new(); nmg];
    for (s, mg) in sub_mg.iter().enumerate() {
        let mut cur = Some(mg.unwrap_or(0));
        while let Some(m) = cur {
            subs_under[m].push(s);
            cur = mg_parent[m];
        }
    }

    // Resource groups (10 per subscription) and resources.
    let rgs: Vec<(usize, String)> =
        (0..p.subscriptions).flat_map(|s| RG_NAMES.iter().map(move |n| (s, (*n).to_owned()))).collect();
    let per_rg = p.resources / rgs.len().max(1);
    let mut resources = Vec::with_capacity(p.resources);
    let mut rg_resources = Vec::with_capacity(rgs.len());
    let mut by_type = vec![Vec::new(); vocab.types.len()];
    for rg in 0..rgs.len() {
        let start = resources.len();
        let n = if rg + 1 == rgs.len() { p.resources.saturating_sub(start) } else { per_rg };
        for _ in 0..n {
            let ty = *rng.pick(&vocab.weighted);
            let i = resources.len();
            by_type[ty].push(i);
            resources.push(Resource { rg, ty, name: format!("{}{i:06}", vocab.types[ty].prefix) });
        }
        rg_resources.push(start..resources.len());
    }

    let mut m = Model {
        seed,
        users,
        is_sp,
        groups,
        members,
        tenant_root,
        mgs,
        mg_parent,
        subs,
        sub_mg,
        subs_under,
        rgs,
        rg_resources,
        resources,
        by_type,
        roles: Vec::new(),
        assignments: Vec::new(),
        denies: Vec::new(),
    };
    m.roles = (0..p.roles).map(|i| custom_role(&mut rng, vocab, seed, i)).collect();
    m.assignments = assignments(&mut rng, vocab, &m, p.assignments);
    m.denies = (0..p.deny_assignments).map(|i| deny(&mut rng, vocab, &m, i)).collect();
    m
}

fn pick_some(rng: &mut Rng, xs: &[String], lo: usize, hi: usize) -> Vec<String> {
    if xs.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = (0..rng.range(lo, hi)).map(|_| rng.pick(xs).clone()).collect();
    out.sort();
    out.dedup();
    out
}

fn custom_role(rng: &mut Rng, vocab: &Vocab, seed: u64, i: usize) -> Role {
    let mut blocks = Vec::new();
    let mut samples = Vec::new();
    let focus = *rng.pick(&vocab.weighted);
    let nblocks = if rng.chance(8) { 2 } else { 1 };
    let mut kind_name = "";
    for b in 0..nblocks {
        let t = &vocab.types[if b == 0 { focus } else { *rng.pick(&vocab.weighted) }];
        let mut block = Block::default();
        let kind = rng.below(100);
        if kind < 35 {
            // Exact operations of one resource type (sometimes in another ASCII case, as hand-written roles are).
            kind_name = "Operator";
            block.actions = pick_some(rng, &t.control, 2, 8);
            samples.extend(block.actions.iter().map(|a| (a.clone(), false)));
            for a in &mut block.actions {
                if rng.chance(5) {
                    *a = rng.recase(a);
                }
            }
        } else if kind < 55 {
            // `Provider/type/*`, sometimes minus a few operations.
            kind_name = "Admin";
            block.actions.push(format!("{}/*", t.full()));
            if rng.chance(50) {
                block.not_actions = t.control.iter().filter(|o| o.ends_with("/delete")).take(1).cloned().collect();
                block.not_actions.extend(pick_some(rng, &t.control, 0, 1));
            }
            samples.extend(pick_some(rng, &t.control, 6, 12).into_iter().map(|a| (a, false)));
        } else if kind < 65 {
            // `Provider/*` minus the deletes.
            kind_name = "Provider Admin";
            block.actions.push(format!("{}/*", t.namespace));
            if rng.chance(60) {
                block.not_actions.push(format!("{}/*/delete", t.namespace));
            }
            let ns = format!("{}/", t.namespace).to_ascii_lowercase();
            let under: Vec<String> =
                vocab.control.iter().filter(|o| o.to_ascii_lowercase().starts_with(&ns)).cloned().collect();
            samples.extend(pick_some(rng, &under, 6, 12).into_iter().map(|a| (a, false)));
        } else if kind < 80 {
            // `*/read` plus a few operations.
            kind_name = "Reader Plus";
            block.actions.push("*/read".to_owned());
            if rng.chance(30) {
                block.actions.push("Microsoft.Authorization/*/read".to_owned());
            }
            let extra = pick_some(rng, &t.control, 1, 3);
            samples.extend(extra.iter().map(|a| (a.clone(), false)));
            block.actions.extend(extra);
            samples.extend(t.reads().take(4).map(|a| (a.clone(), false)));
            if rng.chance(30) {
                block.not_actions.push("Microsoft.KeyVault/vaults/secrets/read".to_owned());
            }
        } else if kind < 95 {
            // A data role: blob data (the common case) or the focus type's data operations.
            kind_name = "Data";
            let blob = rng.chance(60) || t.data.is_empty();
            if blob {
                block.actions.push(BLOB_CONTAINERS_READ.to_owned());
                if rng.chance(50) {
                    block.data_actions.push(BLOB_ALL.to_owned());
                    if rng.chance(50) {
                        block
                            .not_data_actions
                            .push("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete".to_owned());
                    }
                } else {
                    block.data_actions.push(BLOB_READ.to_owned());
                }
                samples.push((BLOB_READ.to_owned(), true));
                samples
                    .push(("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write".to_owned(), true));
                samples
                    .push(("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete".to_owned(), true));
                block.condition = rng.chance(15);
            } else {
                block.actions.extend(t.reads().take(1).cloned());
                block.data_actions = pick_some(rng, &t.data, 1, 4);
                samples.extend(block.data_actions.iter().map(|a| (a.clone(), true)));
            }
        } else {
            // Exact operations from anywhere in the catalog.
            kind_name = "Misc";
            block.actions = pick_some(rng, &vocab.control, 3, 6);
            samples.extend(block.actions.iter().map(|a| (a.clone(), false)));
        }
        blocks.push(block);
    }
    Role {
        id: guid(seed, TAG_ROLE, i as u64),
        name: format!("Custom {} {} {i:05}", vocab.types[focus].name, kind_name),
        blocks,
        samples,
        focus: Some(focus),
    }
}

fn assignments(rng: &mut Rng, vocab: &Vocab, m: &Model, n: usize) -> Vec<Assignment> {
    let hot = (m.users.len() / 10).max(1);
    let storage = vocab.type_index("Microsoft.Storage", "storageAccounts");
    let vaults = vocab.type_index("Microsoft.KeyVault", "vaults");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Two assignments at the root scope; the rest spread over the hierarchy.
        let principal = match rng.below(100) {
            0..=4 => PrincipalRef::Unknown(rng.below(1_000_000)),
            5..=34 if !m.groups.is_empty() => PrincipalRef::Group(rng.below(m.groups.len())),
            // Half of the direct assignments go to the busiest tenth of the principals.
            x if x % 2 == 0 => PrincipalRef::User(rng.below(hot)),
            _ => m.random_user(rng),
        };
        let role = match rng.below(100) {
            0..=9 => RoleRef::Builtin(READER),
            10..=16 => RoleRef::Builtin(CONTRIBUTOR),
            17..=18 => RoleRef::Builtin(OWNER),
            19..=23 => RoleRef::Builtin(BLOB_DATA_READER),
            24..=25 => RoleRef::Builtin(KV_SECRETS_USER),
            _ if m.roles.is_empty() => RoleRef::Builtin(READER),
            _ => RoleRef::Custom(rng.below(m.roles.len())),
        };
        let focus = match role {
            RoleRef::Custom(r) => m.roles[r].focus,
            RoleRef::Builtin(BLOB_DATA_READER) => storage,
            RoleRef::Builtin(KV_SECRETS_USER) => vaults,
            RoleRef::Builtin(_) => None,
        };
        let rg = |rng: &mut Rng| rng.below(m.rgs.len());
        let scope = if i < 2 {
            ScopeRef::Root
        } else {
            match rng.below(100) {
                0 => ScopeRef::Mg(rng.below(m.mgs.len())),
                1..=14 => ScopeRef::Sub(rng.below(m.subs.len())),
                15..=49 => ScopeRef::Rg(rg(rng)),
                _ => {
                    let of_type = focus.map(|t| &m.by_type[t]).filter(|v| !v.is_empty() && rng.chance(80));
                    match of_type {
                        Some(v) => ScopeRef::Res(*rng.pick(v)),
                        None if !m.resources.is_empty() => ScopeRef::Res(rng.below(m.resources.len())),
                        None => ScopeRef::Rg(rg(rng)),
                    }
                }
            }
        };
        let condition = role == RoleRef::Builtin(BLOB_DATA_READER) && rng.chance(10);
        out.push(Assignment { principal, role, scope, condition });
    }
    out
}

fn deny(rng: &mut Rng, vocab: &Vocab, m: &Model, _i: usize) -> Deny {
    let scope = match rng.below(10) {
        0 => ScopeRef::Mg(rng.below(m.mgs.len())),
        1..=4 => ScopeRef::Sub(rng.below(m.subs.len())),
        5..=8 => ScopeRef::Rg(rng.below(m.rgs.len())),
        _ if !m.resources.is_empty() => ScopeRef::Res(rng.below(m.resources.len())),
        _ => ScopeRef::Rg(rng.below(m.rgs.len())),
    };
    let group = |rng: &mut Rng| {
        if m.groups.is_empty() { m.random_user(rng) } else { PrincipalRef::Group(rng.below(m.groups.len())) }
    };
    let everyone = rng.chance(60);
    let principals = if everyone { Vec::new() } else { vec![group(rng)] };
    let excludes: Vec<PrincipalRef> = (0..if everyone { rng.range(1, 3) } else { rng.range(0, 1) })
        .map(|k| if k == 0 { group(rng) } else { m.random_user(rng) })
        .collect();
    let t = &vocab.types[*rng.pick(&vocab.weighted)];
    let mut block = Block::default();
    let mut samples: Vec<(String, bool)> = Vec::new();
    match rng.below(5) {
        0 => {
            // A managed application's lock: everything but reads.
            block.actions.push("*".to_owned());
            block.not_actions.push("*/read".to_owned());
            samples.extend(pick_some(rng, &t.control, 4, 8).into_iter().map(|a| (a, false)));
        }
        1 => {
            block.actions.push("*/delete".to_owned());
            samples.extend(t.control.iter().filter(|o| o.ends_with("/delete")).take(2).map(|a| (a.clone(), false)));
            samples.extend(pick_some(rng, &t.control, 1, 2).into_iter().map(|a| (a, false)));
        }
        2 => {
            block.actions.push("Microsoft.Authorization/*/write".to_owned());
            block.actions.push("Microsoft.Authorization/*/delete".to_owned());
            samples.push(("Microsoft.Authorization/roleAssignments/write".to_owned(), false));
            samples.push(("Microsoft.Authorization/roleAssignments/delete".to_owned(), false));
        }
        3 => {
            block.actions.push(format!("{}/*", t.full()));
            block.not_actions.push(format!("{}/*/read", t.full()));
            samples.extend(pick_some(rng, &t.control, 3, 6).into_iter().map(|a| (a, false)));
        }
        _ => {
            block.actions.push("Microsoft.Storage/storageAccounts/delete".to_owned());
            block
                .data_actions
                .push("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete".to_owned());
            block.data_actions.push("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write".to_owned());
            samples.push(("Microsoft.Storage/storageAccounts/delete".to_owned(), false));
            samples.push(("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete".to_owned(), true));
            samples.push(("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write".to_owned(), true));
        }
    }
    if samples.is_empty() {
        samples.push((t.control[0].clone(), false));
    }
    Deny { scope, everyone, principals, excludes, children: !rng.chance(20), audit: rng.chance(8), block, samples }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing the files

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn js_list(xs: &[String]) -> String {
    let items: Vec<String> = xs.iter().map(|x| js(x)).collect();
    format!("[{}]", items.join(", "))
}

fn block_json(b: &Block) -> String {
    let mut s = format!(
        r#"{{"actions": {}, "notActions": {}, "dataActions": {}, "notDataActions": {}"#,
        js_list(&b.actions),
        js_list(&b.not_actions),
        js_list(&b.data_actions),
        js_list(&b.not_data_actions)
    );
    if b.condition {
        let _ = write!(s, r#", "condition": {}, "conditionVersion": "2.0""#, js(CONTAINER_CONDITION));
    } else {
        s.push_str(r#", "condition": null, "conditionVersion": null"#);
    }
    s.push('}');
    s
}

fn roles_json(m: &Model) -> String {
    let mut out = String::from("[\n");
    for (i, r) in m.roles.iter().enumerate() {
        let blocks: Vec<String> = r.blocks.iter().map(block_json).collect();
        let _ = write!(
            out,
            r#"  {{"assignableScopes": [{}], "description": "Generated role {i}", "id": "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}", "name": "{}", "permissions": [{}], "roleName": {}, "roleType": "CustomRole", "type": "Microsoft.Authorization/roleDefinitions"}}"#,
            js(&format!("/subscriptions/{}", m.subs[i % m.subs.len()])),
            m.subs[i % m.subs.len()],
            r.id,
            r.id,
            blocks.join(", "),
            js(&r.name)
        );
        out.push_str(if i + 1 == m.roles.len() { "\n" } else { ",\n" });
    }
    out.push_str("]\n");
    out
}

fn assignments_json(m: &Model, vocab: &Vocab) -> String {
    let mut out = String::with_capacity(m.assignments.len() * 420);
    out.push_str("[\n");
    for (i, a) in m.assignments.iter().enumerate() {
        let scope = m.scope(vocab, a.scope);
        let id = guid(m.seed, TAG_ASSIGNMENT, i as u64);
        let prefix = if scope == "/" { "" } else { scope.as_str() };
        let role_prefix = match a.scope {
            ScopeRef::Sub(s) => format!("/subscriptions/{}", m.subs[s]),
            _ => String::new(),
        };
        let _ = write!(
            out,
            r#"  {{"id": "{prefix}/providers/Microsoft.Authorization/roleAssignments/{id}", "name": "{id}", "principalId": "{}", "principalType": "{}", "roleDefinitionId": "{role_prefix}/providers/Microsoft.Authorization/roleDefinitions/{}", "scope": {}"#,
            m.principal_id(a.principal),
            m.principal_type(a.principal),
            m.role_id(a.role),
            js(&scope)
        );
        if a.condition {
            let _ = write!(out, r#", "condition": {}, "conditionVersion": "2.0""#, js(CONTAINER_CONDITION));
        }
        out.push('}');
        out.push_str(if i + 1 == m.assignments.len() { "\n" } else { ",\n" });
    }
    out.push_str("]\n");
    out
}

fn deny_json(m: &Model, vocab: &Vocab) -> String {
    let mut out = String::from("[\n");
    for (i, d) in m.denies.iter().enumerate() {
        let scope = m.scope(vocab, d.scope);
        let id = guid(m.seed, TAG_DENY, i as u64);
        let principal =
            |p: &PrincipalRef| format!(r#"{{"id": "{}", "type": "{}"}}"#, m.principal_id(*p), m.principal_type(*p));
        let principals: Vec<String> = if d.everyone {
            vec![format!(r#"{{"id": "{EVERYONE}", "type": "SystemDefined"}}"#)]
        } else {
            d.principals.iter().map(principal).collect()
        };
        let excludes: Vec<String> = d.excludes.iter().map(principal).collect();
        let effect = if d.audit { r#", "denyAssignmentEffect": "audit""# } else { "" };
        let _ = write!(
            out,
            r#"  {{"id": "{scope}/providers/Microsoft.Authorization/denyAssignments/{id}", "name": "{id}", "properties": {{"denyAssignmentName": "Generated deny {i}", "description": "Created by a managed application", "permissions": [{}], "scope": {}, "doNotApplyToChildScopes": {}, "principals": [{}], "excludePrincipals": [{}]{effect}}}}}"#,
            block_json(&d.block),
            js(&scope),
            !d.children,
            principals.join(", "),
            excludes.join(", ")
        );
        out.push_str(if i + 1 == m.denies.len() { "\n" } else { ",\n" });
    }
    out.push_str("]\n");
    out
}

fn groups_json(m: &Model) -> String {
    let mut out = String::from("{\n");
    for (g, members) in m.members.iter().enumerate() {
        let ids: Vec<String> = members.iter().map(|p| format!("\"{}\"", m.principal_id(*p))).collect();
        let _ = write!(out, "  \"{}\": [{}]", m.groups[g], ids.join(", "));
        out.push_str(if g + 1 == m.members.len() { "\n" } else { ",\n" });
    }
    out.push_str("}\n");
    out
}

fn hierarchy_json(m: &Model) -> String {
    let mut out = format!("{{\n  \"tenantId\": \"{}\",\n  \"managementGroups\": {{", m.tenant_root);
    let mut first = true;
    for (i, parent) in m.mg_parent.iter().enumerate().skip(1) {
        // Children of the root are written half with the root's id, half with null (both mean the root).
        let parent = match parent {
            Some(0) if i % 2 == 0 => "null".to_owned(),
            Some(p) => format!("\"{}\"", m.mgs[*p]),
            None => "null".to_owned(),
        };
        let _ = write!(out, "{}\n    \"{}\": {parent}", if first { "" } else { "," }, m.mgs[i]);
        first = false;
    }
    out.push_str("\n  },\n  \"subscriptions\": {");
    let mut first = true;
    for (s, mg) in m.sub_mg.iter().enumerate() {
        let Some(mg) = mg else { continue };
        let _ = write!(out, "{}\n    \"{}\": \"{}\"", if first { "" } else { "," }, m.subs[s], m.mgs[*mg]);
        first = false;
    }
    out.push_str("\n  }\n}\n");
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

/// The query categories, in the fixed mix (percent of all queries).
pub const MIX: [(&str, usize); 10] = [
    ("allowed", 30),
    ("token_groups", 7),
    ("denied", 10),
    ("not_allowed", 18),
    ("deep_scope", 12),
    ("unknown_principal", 5),
    ("data_plane", 8),
    ("plane_unknown", 3),
    ("invalid", 2),
    ("case_variant", 5),
];

fn plane_flag(rng: &mut Rng, data: bool) -> Option<bool> {
    if data { rng.chance(50).then_some(true) } else { rng.chance(20).then_some(false) }
}

fn query(principal: String, action: String, scope: String, data_action: Option<bool>) -> Query {
    Query {
        principal,
        action,
        scope,
        data_action,
        sub_operation: None,
        groups: Vec::new(),
        attributes: Default::default(),
        now: None,
        expected: None,
    }
}

/// An action that the assignment's role probably grants at `res` (a resource of some type), and its plane.
fn action_for(rng: &mut Rng, vocab: &Vocab, m: &Model, role: RoleRef, res: Option<usize>) -> (String, bool) {
    let ty = res.map(|r| &vocab.types[m.resources[r].ty]);
    let of_type = |rng: &mut Rng| ty.map(|t| (rng.pick(&t.control).clone(), false));
    let any = |rng: &mut Rng| (rng.pick(&vocab.control).clone(), false);
    match role {
        RoleRef::Custom(i) => {
            let r = &m.roles[i];
            if r.samples.is_empty() || rng.chance(20) {
                of_type(rng).unwrap_or_else(|| any(rng))
            } else {
                rng.pick(&r.samples).clone()
            }
        }
        RoleRef::Builtin(READER) => match ty.and_then(|t| t.reads().nth(rng.below(3))) {
            Some(op) => (op.clone(), false),
            None => ("Microsoft.Resources/subscriptions/resourceGroups/read".to_owned(), false),
        },
        RoleRef::Builtin(BLOB_DATA_READER) => {
            if rng.chance(80) {
                (BLOB_READ.to_owned(), true)
            } else {
                (BLOB_CONTAINERS_READ.to_owned(), false)
            }
        }
        RoleRef::Builtin(KV_SECRETS_USER) => ("Microsoft.KeyVault/vaults/secrets/getSecret/action".to_owned(), true),
        RoleRef::Builtin(_) => of_type(rng).unwrap_or_else(|| any(rng)),
    }
}

/// A query aimed at an assignment: a holder of it, a scope at or below it, an action its role grants.
fn aimed(rng: &mut Rng, vocab: &Vocab, m: &Model, a: &Assignment) -> Query {
    let (scope, res) = m.below(vocab, rng, a.scope);
    let (action, data) = action_for(rng, vocab, m, a.role, res);
    let holder = m.holder(rng, a.principal);
    query(m.principal_id(holder), action, scope, plane_flag(rng, data))
}

/// What queries are aimed at: the model, and the assignments and deny assignments some categories pick from.
struct Aims<'a> {
    vocab: &'a Vocab,
    m: &'a Model,
    group_assignments: Vec<usize>,
    data_assignments: Vec<usize>,
    enforced: Vec<usize>,
    /// Callers known only by their token, numbered as they are made.
    unknown: usize,
}

impl<'a> Aims<'a> {
    fn new(vocab: &'a Vocab, m: &'a Model) -> Aims<'a> {
        let group_assignments: Vec<usize> = (0..m.assignments.len())
            .filter(|&i| matches!(m.assignments[i].principal, PrincipalRef::Group(_)))
            .collect();
        let data_assignments: Vec<usize> = (0..m.assignments.len())
            .filter(|&i| {
                let a = &m.assignments[i];
                matches!(a.role, RoleRef::Builtin(BLOB_DATA_READER) | RoleRef::Builtin(KV_SECRETS_USER))
                    || matches!(a.role, RoleRef::Custom(r) if m.roles[r].samples.iter().any(|s| s.1))
            })
            .collect();
        let enforced: Vec<usize> = (0..m.denies.len()).filter(|&i| !m.denies[i].audit).collect();
        Aims { vocab, m, group_assignments, data_assignments, enforced, unknown: 0 }
    }

    /// One query of `category`, the `index`-th of its file.
    fn query(&mut self, rng: &mut Rng, category: &str, index: usize) -> Query {
        let (vocab, m) = (self.vocab, self.m);
        match category {
            "allowed" => {
                let a = rng.pick(&m.assignments);
                aimed(rng, vocab, m, a)
            }
            "token_groups" if !self.group_assignments.is_empty() => {
                let a = &m.assignments[*rng.pick(&self.group_assignments)];
                let mut q = aimed(rng, vocab, m, a);
                // The caller is not in groups.json; its token names the assigned group (or a subgroup of it).
                self.unknown += 1;
                q.principal = format!("token-user-{:05}", self.unknown);
                let mut groups = vec![m.principal_id(a.principal)];
                if let PrincipalRef::Group(g) = a.principal
                    && let Some(PrincipalRef::Group(sub)) =
                        m.members[g].iter().find(|x| matches!(x, PrincipalRef::Group(_)))
                    && rng.chance(50)
                {
                    groups = vec![m.groups[*sub].clone()];
                }
                if rng.chance(50) && !m.groups.is_empty() {
                    groups.push(rng.pick(&m.groups).clone());
                }
                q.groups = groups;
                q
            }
            "denied" if !self.enforced.is_empty() => {
                let d = &m.denies[*rng.pick(&self.enforced)];
                let (scope, _) =
                    if rng.chance(40) { (m.scope(vocab, d.scope), None) } else { m.below(vocab, rng, d.scope) };
                let (action, data) = rng.pick(&d.samples).clone();
                let who = if !d.excludes.is_empty() && rng.chance(15) {
                    let x = *rng.pick(&d.excludes);
                    m.holder(rng, x)
                } else if let Some(p) = d.principals.first().filter(|_| rng.chance(70)) {
                    m.holder(rng, *p)
                } else {
                    m.random_user(rng)
                };
                query(m.principal_id(who), action, scope, plane_flag(rng, data))
            }
            "deep_scope" if !self.data_assignments.is_empty() => {
                let a = &m.assignments[*rng.pick(&self.data_assignments)];
                let mut q = aimed(rng, vocab, m, a);
                if let Some(r) = res_of(m, a.scope, rng) {
                    q.scope = m.deep_scope(vocab, rng, r);
                    if matches!(a.role, RoleRef::Builtin(BLOB_DATA_READER)) && q.action == BLOB_READ {
                        q.sub_operation = rng.chance(30).then(|| "Blob.List".to_owned());
                    }
                }
                q
            }
            "unknown_principal" => {
                let a = rng.pick(&m.assignments);
                let mut q = aimed(rng, vocab, m, a);
                q.principal = guid(m.seed, TAG_UNKNOWN, 2_000_000 + index as u64);
                q
            }
            "data_plane" => {
                let r = rng.below(m.resources.len().max(1));
                let t = m.resources.get(r).map(|res| &vocab.types[res.ty]);
                let op = match t.filter(|t| !t.data.is_empty()) {
                    Some(t) => rng.pick(&t.data).clone(),
                    None => rng.pick(&vocab.data).clone(),
                };
                let scope = if m.resources.is_empty() { "/".to_owned() } else { m.deep_scope(vocab, rng, r) };
                let who = if !self.data_assignments.is_empty() && rng.chance(50) {
                    let a = &m.assignments[*rng.pick(&self.data_assignments)];
                    m.holder(rng, a.principal)
                } else {
                    m.random_user(rng)
                };
                query(m.principal_id(who), op, scope, Some(true).filter(|_| rng.chance(60)))
            }
            "plane_unknown" if !vocab.both.is_empty() => {
                let a = rng.pick(&m.assignments);
                let mut q = aimed(rng, vocab, m, a);
                if rng.chance(70) {
                    q.action = rng.pick(&vocab.both).clone();
                } else {
                    q.action = format!("Contoso.Unknown/widgets/{}/action", rng.below(100));
                }
                q.data_action = None;
                q
            }
            "invalid" => {
                let a = rng.pick(&m.assignments);
                let mut q = aimed(rng, vocab, m, a);
                match rng.below(4) {
                    0 => q.scope = format!("{}/../other", q.scope.trim_end_matches('/')),
                    1 => q.scope = format!("{} ", q.scope),
                    2 => q.action = format!("{}*", q.action),
                    _ => q.action = q.action.replace('/', "/ "),
                }
                q
            }
            "case_variant" => {
                let a = rng.pick(&m.assignments);
                let mut q = aimed(rng, vocab, m, a);
                match rng.below(3) {
                    0 => q.principal = rng.recase(&q.principal),
                    1 => q.scope = rng.recase(&q.scope),
                    _ => q.action = rng.recase(&q.action),
                }
                q
            }
            // "not_allowed", and fallbacks for tenants without groups, denies or data assignments.
            _ => {
                let who = m.random_user(rng);
                let (scope, res) = m.below(vocab, rng, ScopeRef::Root);
                let (op, data) = match res.filter(|_| rng.chance(60)) {
                    Some(r) => (rng.pick(&vocab.types[m.resources[r].ty].control).clone(), false),
                    None => (rng.pick(&vocab.control).clone(), false),
                };
                query(m.principal_id(who), op, scope, plane_flag(rng, data))
            }
        }
    }
}

/// Draws of one query that `keep` may refuse before its category counts as exhausted.
const MAX_DRAWS: usize = 1_000;

/// `n` queries in the fixed mix, shuffled. A query `keep` refuses is drawn again from its category, so that the
/// mix holds; `Err` names a category that gave nothing `keep` accepts in [`MAX_DRAWS`] draws.
fn queries(
    rng: &mut Rng,
    vocab: &Vocab,
    m: &Model,
    n: usize,
    mut keep: impl FnMut(&Query) -> bool,
) -> Result<Vec<Query>, String> {
    let mut out = Vec::with_capacity(n);
    let total: usize = MIX.iter().map(|(_, p)| p).sum();
    let mut aims = Aims::new(vocab, m);
    for (ci, (category, pct)) in MIX.iter().enumerate() {
        let count = if ci + 1 == MIX.len() { n - out.len() } else { n * pct / total };
        for _ in 0..count {
            let mut draws = 1;
            let mut q = aims.query(rng, category, out.len());
            while !keep(&q) {
                if draws == MAX_DRAWS {
                    return Err(format!(
                        "no new `{category}` query in {MAX_DRAWS} draws after {} queries: the tenant is too small",
                        out.len()
                    ));
                }
                draws += 1;
                q = aims.query(rng, category, out.len());
            }
            out.push(q);
        }
    }
    rng.shuffle(&mut out);
    Ok(out)
}

/// A resource at or below an assignment scope, for deep-scope queries.
fn res_of(m: &Model, s: ScopeRef, rng: &mut Rng) -> Option<usize> {
    match s {
        ScopeRef::Res(r) => Some(r),
        ScopeRef::Rg(rg) => {
            let range = m.rg_resources[rg].clone();
            (!range.is_empty()).then(|| range.start + rng.below(range.len()))
        }
        ScopeRef::Sub(sub) => {
            let rg = sub * RG_NAMES.len() + rng.below(RG_NAMES.len());
            res_of(m, ScopeRef::Rg(rg), rng)
        }
        ScopeRef::Mg(_) | ScopeRef::Root => None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/// The files of a generated tenant directory, and its queries.
pub struct Generated {
    /// `roles.json`: the custom roles (az role definition list shape).
    pub roles: String,
    /// `assignments.json` (az role assignment list shape).
    pub assignments: String,
    /// `denyAssignments.json` (ARM REST shape).
    pub deny_assignments: String,
    /// `groups.json`.
    pub groups: String,
    /// `hierarchy.json`.
    pub hierarchy: String,
    /// The queries; `expected` is set by [`Generated::fill_expected`].
    pub queries: Vec<Query>,
    /// Kept to aim more queries at the tenant ([`Generated::distinct_queries`]).
    vocab: Vocab,
    model: Model,
}

/// Generates a tenant of `size` from `seed` (without `expected` values).
pub fn generate(size: Size, seed: u64) -> Generated {
    generate_with(&size.params(), seed)
}

/// Generates a tenant with explicit counts.
pub fn generate_with(params: &Params, seed: u64) -> Generated {
    let vocab = Vocab::new(Catalog::builtin());
    let m = build_model(params, seed, &vocab);
    let mut rng = Rng::new(seed ^ 0x51ed_2701_a5a5_0f0f);
    let queries =
        queries(&mut rng, &vocab, &m, params.queries, |_| true).expect("a query kept always is never redrawn");
    Generated {
        roles: roles_json(&m),
        assignments: assignments_json(&m, &vocab),
        deny_assignments: deny_json(&m, &vocab),
        groups: groups_json(&m),
        hierarchy: hierarchy_json(&m),
        queries,
        vocab,
        model: m,
    }
}

/// A query as an engine request (borrowing the query and `groups`, which must hold `q.groups` as `&str`, laid
/// out as the caller wants them). Generated queries always carry a valid time.
pub fn request<'a>(q: &'a Query, groups: &'a [&'a str]) -> Request<'a> {
    q.request().expect("a generated query's `now` parses").groups(groups)
}

impl Generated {
    /// `(file name, contents)` of every tenant file (not `queries.jsonl`).
    pub fn files(&self) -> [(&'static str, &str); 5] {
        [
            ("roles.json", &self.roles),
            ("assignments.json", &self.assignments),
            ("denyAssignments.json", &self.deny_assignments),
            ("groups.json", &self.groups),
            ("hierarchy.json", &self.hierarchy),
        ]
    }

    /// A loader fed with the generated files (what `TenantLoader::from_dir` would do with the directory).
    pub fn loader(&self) -> TenantLoader {
        let mut l = TenantLoader::new();
        l.add_roles("roles.json", self.roles.as_bytes())
            .add_assignments("assignments.json", self.assignments.as_bytes())
            .add_deny_assignments("denyAssignments.json", self.deny_assignments.as_bytes())
            .add_groups("groups.json", self.groups.as_bytes())
            .add_hierarchy("hierarchy.json", self.hierarchy.as_bytes());
        l
    }

    /// Loads the generated tenant; generated input that does not load is a generator bug.
    pub fn tenant(&self) -> Tenant {
        match self.loader().build() {
            Ok((t, _warnings)) => t,
            Err(e) => {
                let first: Vec<String> =
                    e.diagnostics.iter().filter(|d| d.is_fatal()).take(5).map(|d| format!("{d:?}")).collect();
                panic!("generated tenant does not load: {}", first.join("\n"))
            }
        }
    }

    /// `n` queries in the same mix as [`Generated::queries`], from their own stream of the seed, no two the same
    /// request ([`Query::distinct_key`]): a working set as wide as the tenant, as a gateway's traffic has, where
    /// a short mix that repeats stays in the CPU's caches. `Err` when the tenant is too small for `n`.
    pub fn distinct_queries(&self, n: usize) -> Result<Vec<Query>, String> {
        let mut rng = Rng::new(self.model.seed ^ 0xd157_1c7d_0e55_a11e);
        let mut seen = std::collections::HashSet::with_capacity(n);
        queries(&mut rng, &self.vocab, &self.model, n, |q| seen.insert(q.distinct_key()))
    }

    /// The reference decision of every query, on `jobs` threads.
    pub fn reference_decisions(&self, tenant: &Tenant, jobs: usize) -> Vec<(Effect, ReasonKind)> {
        reference_decisions(tenant, &self.queries, jobs)
    }

    /// Sets every query's `expected` from the reference evaluator's decisions.
    pub fn fill_expected(&mut self, decisions: &[(Effect, ReasonKind)]) {
        fill_expected(&mut self.queries, decisions);
    }

    /// `queries.jsonl`.
    pub fn queries_jsonl(&self) -> String {
        jsonl(&self.queries)
    }
}

/// The reference decision of every query, on `jobs` threads.
pub fn reference_decisions(tenant: &Tenant, queries: &[Query], jobs: usize) -> Vec<(Effect, ReasonKind)> {
    let catalog = Catalog::builtin();
    let decide = |qs: &[Query]| -> Vec<(Effect, ReasonKind)> {
        qs.iter()
            .map(|q| {
                let groups: Vec<&str> = q.groups.iter().map(String::as_str).collect();
                reference_check(tenant, catalog, &request(q, &groups))
            })
            .collect()
    };
    let jobs = jobs.max(1);
    if jobs == 1 {
        return decide(queries);
    }
    let chunk = queries.len().div_ceil(jobs).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = queries.chunks(chunk).map(|c| s.spawn(move || decide(c))).collect();
        handles.into_iter().flat_map(|h| h.join().expect("reference thread")).collect()
    })
}

/// Sets every query's `expected` from the reference evaluator's decisions.
pub fn fill_expected(queries: &mut [Query], decisions: &[(Effect, ReasonKind)]) {
    for (q, (effect, _)) in queries.iter_mut().zip(decisions) {
        q.expected = Some(*effect == Effect::Allowed);
    }
}

/// Queries as a `queries.jsonl` file, one JSON object a line.
pub fn jsonl(queries: &[Query]) -> String {
    let mut out = String::with_capacity(queries.len() * 256);
    for q in queries {
        out.push_str(&serde_json::to_string(q).expect("a query serialises"));
        out.push('\n');
    }
    out
}

// Compiled only where a test crate includes the generator (`tests/distinct_queries.rs` in the workspace root).
#[cfg(test)]
mod tests {
    #[test]
    fn a_category_that_gives_nothing_new_is_an_error_not_a_loop() {
        let g = super::generate(super::Size::Small, 1);
        let err = super::queries(&mut super::Rng::new(1), &g.vocab, &g.model, 10, |_| false).err();
        let want =
            format!("no new `allowed` query in {} draws after 0 queries: the tenant is too small", super::MAX_DRAWS);
        assert_eq!(err, Some(want));
    }
}
