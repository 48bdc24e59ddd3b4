//! The engine: an immutable snapshot compiled from a [`Tenant`] that answers "may principal X do action Y at
//! scope Z" (semantics §3) without allocating, with a compact reason for every decision.
//!
//! ```
//! use rolegate::engine::{Engine, PlaneHint, ReasonKind, Request};
//! use rolegate::load::TenantLoader;
//!
//! let mut loader = TenantLoader::new();
//! loader.add_assignments("assignments.json", br#"[{"principalId": "alice",
//!     "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/subscriptions/s1"}]"#);
//! let engine = Engine::new(loader.build().unwrap().0);
//!
//! let vm = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
//! let d = engine.check(&Request::new("alice", "Microsoft.Compute/virtualMachines/read", vm));
//! assert!(d.is_allowed());
//! // Reader has `*/read` in Actions, which never reaches the data plane.
//! let blob = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
//! let d = engine.check(&Request::new("alice", blob, vm).plane(PlaneHint::Data));
//! assert_eq!(d.reason().kind(), ReasonKind::NoGrant);
//! ```
//!
//! How it is fast: principals, scopes and operations are interned up front; group membership is closed
//! transitively once; for every operation of the vocabulary (the catalog plus every exact action in a role) a
//! bit set per plane says which roles grant it, with and without a condition. A check then looks up the request
//! scope's subscription (or, outside one, its prefixes), walks the principal's groups and their assignments there,
//! and tests one bit per assignment in scope.
//!
//! A check reads a dozen cache lines spread over the tables, which for a large tenant are over a hundred
//! megabytes. On a virtual machine the TLB misses that follow are a visible part of its cost, so the large tables
//! live in mappings of their own advised for transparent huge pages (Linux, THP in the `madvise` or `always`
//! mode; elsewhere they work the same in small pages). The README gives measured numbers.

mod check;
mod cimap;
mod compile;
mod explain;
mod fixed;
mod grants;
mod held;
mod idmap;
mod ids;
mod limits;
mod pages;
mod render;
mod request;
mod reverse;
pub(crate) mod scan;
mod scratch;

use std::path::Path;
use std::sync::Arc;

pub use crate::lists::{Names, Pairs};
pub use explain::{AssignmentStep, DenyStep, Explanation, IgnoredGroup, Outcome};
pub use limits::{MAX_BLOCKS, MAX_IDS, MAX_LIST, limits};
pub use render::{
    AssignmentStepView, AssignmentView, ConditionView, DenyStepView, DenyView, ExplanationView, IgnoredGroupView,
    ReasonView, RoleView,
};
pub use request::{
    AssignmentIndex, BlockIndex, ConditionSite, Decision, DenyIndex, ExprIndex, PatternIndex, Plane, PlaneHint, Reason,
    ReasonKind, Request, RequestParts, RoleIndex,
};
pub use reverse::{
    DenyRef, EffectivePermission, Grantee, Needs, Permitted, QueryError, Reach, Via, VocabularyEntry, WhatCan,
    WhatCanKey, WhatCanLevels, WhatCanQuery, WhoCan, WhoCanQuery,
};

use crate::catalog::Catalog;
use crate::condition::Condition;
use crate::diag::{Diagnostic, codes};
use crate::load::{LoadError, TenantLoader};
use crate::model::Tenant;
use compile::Compiled;
use scratch::{SCRATCH, Scratch};

/// An immutable, compiled authorization snapshot. Cloning is cheap (one `Arc`); it is `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Engine {
    c: Arc<Compiled>,
}

impl Engine {
    /// Compiles a tenant against the shipped operation catalog, or refuses it with a fatal
    /// [`crate::diag::codes::ENGINE_LIMIT`] diagnostic per entry the snapshot cannot represent ([`limits`]).
    pub fn try_new(tenant: Tenant) -> Result<Engine, LoadError> {
        Self::compile(tenant, Catalog::builtin())
    }

    /// Loads a tenant directory ([`TenantLoader::from_dir`]) and compiles it in one call: the engine and the
    /// load's warnings, or every diagnostic, warnings included, when anything in it is fatal.
    ///
    /// ```
    /// use rolegate::engine::{Engine, Request};
    ///
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/tenant");
    /// let (engine, _warnings) = Engine::from_dir(dir).unwrap_or_else(|e| panic!("{e:?}"));
    /// let d = engine.check(&Request::new("bob", "Microsoft.Compute/virtualMachines/delete", "/subscriptions/sub-1"));
    /// println!("{}", d.as_str());
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<(Engine, Vec<Diagnostic>), LoadError> {
        let (tenant, warnings) = TenantLoader::from_dir(dir.as_ref())?.build()?;
        match Engine::try_new(tenant) {
            Ok(engine) => Ok((engine, warnings)),
            Err(mut e) => {
                e.diagnostics.splice(0..0, warnings);
                Err(e)
            }
        }
    }

    /// [`Engine::try_new`] against another catalog (a fresh `az provider operation list`, say).
    pub fn try_with_catalog(tenant: Tenant, catalog: Arc<Catalog>) -> Result<Engine, LoadError> {
        Self::compile(tenant, &catalog)
    }

    /// Compiles a tenant against the shipped operation catalog. A tenant the snapshot cannot represent, which
    /// [`crate::load::TenantLoader::build`] already refuses, gives an engine that allows nothing (fail closed);
    /// [`Engine::try_new`] says why.
    pub fn new(tenant: Tenant) -> Engine {
        Self::try_new(tenant).unwrap_or_else(|_| Engine::refusing())
    }

    /// [`Engine::new`] against another catalog.
    pub fn with_catalog(tenant: Tenant, catalog: Arc<Catalog>) -> Engine {
        Self::try_with_catalog(tenant, catalog).unwrap_or_else(|_| Engine::refusing())
    }

    /// The engine of a refused tenant: no roles, no assignments, so every check is not allowed.
    fn refusing() -> Engine {
        Engine { c: Arc::new(Compiled::empty()) }
    }

    /// The tenant the engine was compiled from; reasons index into it.
    pub fn tenant(&self) -> &Tenant {
        &self.c.tenant
    }

    /// The condition a reason names and the text of the expression in it that decided, when there is one.
    pub fn reason_condition(&self, r: &Reason) -> Option<(&Condition, &str)> {
        let c = self.c.conditions.get(self.c.condition_id(r))?;
        Some((c, r.expr.map_or("", |e| c.node_text(e))))
    }

    fn compile(tenant: Tenant, catalog: &Catalog) -> Result<Engine, LoadError> {
        let refused = limits(&tenant, catalog);
        if !refused.is_empty() {
            return Err(LoadError { diagnostics: refused });
        }
        let c = Compiled::build(tenant, catalog);
        // A backstop for what `limits` bounds from above: a table that filled up anyway is refused, not used.
        let tables =
            [(&c.principals.names, "principal ids"), (&c.scopes.map, "scopes"), (&c.roles.vocab, "operations")];
        let full = tables
            .into_iter()
            .filter(|(m, _)| m.is_full())
            .map(|(_, what)| format!("the compiled snapshot's table of {what} is full"))
            .chain(
                c.principals.pool_full.then(|| "the compiled snapshot's pool of group memberships is full".to_owned()),
            );
        let diagnostics: Vec<Diagnostic> = full
            .map(|m| Diagnostic::error(codes::ENGINE_LIMIT, m).with_help("split the tenant into several snapshots"))
            .collect();
        if !diagnostics.is_empty() {
            return Err(LoadError { diagnostics });
        }
        Ok(Engine { c: Arc::new(c) })
    }
}

impl Engine {
    /// Decides a request (semantics §3). Never allocates for well-formed requests of ordinary depth, never panics.
    pub fn check(&self, req: &Request<'_>) -> Decision {
        // The buffers a check works in are the thread's, reused rather than zeroed on every call; a nested call,
        // which nothing makes today, gets fresh ones.
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.c.check_in(req, &mut scratch),
            Err(_) => self.c.check_in(req, &mut Scratch::new()),
        })
    }
}

/// The index of a plane in the per-plane pairs of the compiled tables.
#[inline(always)]
fn plane_index(p: Plane) -> usize {
    match p {
        Plane::Control => 0,
        Plane::Data => 1,
    }
}

/// Asks the CPU to start loading the cache line of `r` without waiting for it. A check issues these for every
/// table slot it can already address before it reads any of them, so that their misses overlap instead of
/// queueing one behind another; unlike a plain load, a prefetch does not hold up the instructions after it.
#[inline(always)]
fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(r);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::TenantLoader;

    /// A tenant large enough that its tables live in mappings ([`pages`]) decides as a small one does: each of
    /// 20,000 principals reads in its own resource group, and not in its neighbour's, nor writes in its own.
    #[test]
    fn tables_in_mappings_decide_the_same() {
        const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
        let guid = |kind: u32, i: u32| format!("{kind:08x}-0000-4000-8000-{i:012x}");
        let rg = |i: u32| format!("/subscriptions/{}/resourceGroups/rg{i}", guid(1, i % 4));
        let n = 20_000;
        let items: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"principalId": guid(2, i), "roleDefinitionId": READER, "scope": rg(i)}))
            .collect();
        let mut loader = TenantLoader::new();
        loader.add_assignments("assignments.json", serde_json::Value::Array(items).to_string().as_bytes());
        let engine = Engine::new(loader.build().unwrap().0);
        let c = &*engine.c;
        assert!(c.assignments.held.is_mapped() && c.principals.ids.is_mapped());
        assert!(c.scopes.map.is_mapped() && c.roles.vocab.is_mapped());
        let (read, write) = ("Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/write");
        for i in (0..n).step_by(37) {
            let (p, own, other) = (guid(2, i), rg(i), rg((i + 1) % n));
            let vm = format!("{own}/providers/Microsoft.Compute/virtualMachines/vm");
            assert!(engine.check(&Request::new(&p, read, &vm)).is_allowed(), "{p} reads in {own}");
            assert!(!engine.check(&Request::new(&p, read, &other)).is_allowed(), "{p} reads in {other}");
            assert!(!engine.check(&Request::new(&p, write, &own)).is_allowed(), "{p} writes in {own}");
        }
    }

    /// The shortcut for single-pattern roles and the grant lists of the others (vocabulary ids where a block
    /// allows) give what matching the blocks gives, wherever a built-in role grants.
    #[test]
    fn first_grant_agrees_with_matching() {
        let engine = Engine::new(TenantLoader::new().build().unwrap().0);
        let c = &*engine.c;
        let (mut shortcuts, mut kept) = (0, 0);
        let r = &c.roles;
        for role in 0..r.blocks.len() as u32 {
            for plane in [Plane::Control, Plane::Data] {
                for op in (0..r.vocab.len() as u32).step_by(7) {
                    let action = r.vocab.name(op);
                    if !r.role_grants(Some(op), action, plane, role).0 {
                        continue;
                    }
                    let blocks = &r.blocks[role as usize];
                    let slow = blocks
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| !b.conditional)
                        .find_map(|(i, b)| Some((u16::try_from(i).ok(), Some(b.grant(action, plane)?))))
                        .unwrap_or((None, None));
                    assert_eq!(r.first_grant(role, Some(op), action, plane), slow, "role {role} {action}");
                    assert_eq!(r.first_grant(role, None, action, plane), slow, "role {role} {action}");
                    let sole = r.sole_grant[role as usize][plane_index(plane)].get().is_some();
                    shortcuts += usize::from(sole);
                    let (from, to) = r.grant_ranges[role as usize][plane_index(plane)];
                    let by_id = r.grant_list[from as usize..to as usize].iter().any(|e| e.op.get() == Some(op));
                    kept += usize::from(!sole && by_id);
                }
            }
        }
        assert!(shortcuts > 1000, "{shortcuts}");
        assert!(kept > 300, "{kept}");
    }
}
