//! What the compiled snapshot can represent, in one place: [`limits`] lists every entry of a tenant past a
//! limit, [`crate::load::TenantLoader::finish`] reports them and [`super::Engine::try_new`] refuses them, so an
//! entry the tables cannot index never compiles into a snapshot without it.
//!
//! `NotActions`/`NotDataActions` have no limit: exclusions are only matched, never indexed. The limits are:
//! - an `Actions`/`DataActions` list of at most [`MAX_LIST`] entries: a decision names its pattern as a `u16`
//!   ([`super::Reason::pattern`]);
//! - at most [`MAX_BLOCKS`] permission blocks per role or deny assignment ([`super::Reason::block`]);
//! - fewer than [`MAX_IDS`] roles, assignments, deny assignments and condition sites, and principal, scope and
//!   operation texts whose count and total length stay under [`MAX_IDS`]: the tables use dense `u32` ids and
//!   `u32` arena offsets with the top two values reserved.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::diag::{Diagnostic, codes};
use crate::model::{Permission, Tenant};
use crate::span::{SourceText, Span};

/// Entries an `Actions` or `DataActions` list may have: indices 0 to 65,535.
pub const MAX_LIST: usize = 1 << 16;
/// Permission blocks a role or deny assignment may have: indices 0 to 65,535.
pub const MAX_BLOCKS: usize = 1 << 16;
/// The bound on dense `u32` ids and arena offsets: `u32::MAX` and `u32::MAX - 1` are reserved.
pub const MAX_IDS: u64 = u32::MAX as u64 - 1;

/// The problems with compiling `tenant` against `catalog`: one fatal [`codes::ENGINE_LIMIT`] diagnostic per
/// entry past a limit (the first such entry of each list, block list, count or text table). Empty when the
/// snapshot represents the tenant in full.
pub fn limits(tenant: &Tenant, catalog: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &tenant.roles {
        let owner = || format!("role `{}`", r.label());
        blocks(&r.permissions, owner, ["Actions", "DataActions"], &r.origin.source, &mut out);
    }
    for d in &tenant.deny_assignments {
        let name = d.name.as_deref().or(d.id.as_ref().map(|i| i.as_str()));
        let owner = || name.map_or_else(|| "a deny assignment".to_owned(), |n| format!("deny assignment `{n}`"));
        blocks(&d.permissions, owner, ["actions", "dataActions"], &d.origin.source, &mut out);
    }
    // Saturating upwards, so that a count too large for `u64` is refused too.
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let too_many = |what: &str| {
        Diagnostic::error(codes::ENGINE_LIMIT, format!("the tenant has more {what} than the compiled snapshot indexes"))
            .with_help(format!("split the tenant; at most {MAX_IDS} {what} fit one snapshot"))
    };
    if count(tenant.roles.len()) >= MAX_IDS {
        out.push(at_origin(
            too_many("roles"),
            tenant.roles.get(to_usize(MAX_IDS - 1)).map(|r| (&r.origin.source, r.origin.span)),
        ));
    }
    if count(tenant.assignments.len()) >= MAX_IDS {
        let a = tenant.assignments.get(to_usize(MAX_IDS - 1));
        out.push(at_origin(too_many("role assignments"), a.map(|a| (&a.origin.source, a.origin.span))));
    }
    if count(tenant.deny_assignments.len()) >= MAX_IDS {
        let d = tenant.deny_assignments.get(to_usize(MAX_IDS - 1));
        out.push(at_origin(too_many("deny assignments"), d.map(|d| (&d.origin.source, d.origin.span))));
    }
    texts(tenant, catalog, &mut out);
    out
}

/// An index as `usize`; on a 32-bit target no list can reach `MAX_IDS` anyway.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn at_origin(d: Diagnostic, at: Option<(&Arc<SourceText>, Span)>) -> Diagnostic {
    match at {
        Some((source, span)) => d.at(source, span),
        None => d,
    }
}

/// The block and list limits of one role's or deny assignment's permission blocks.
fn blocks(
    perms: &[Permission],
    owner: impl Fn() -> String,
    names: [&str; 2],
    source: &Arc<SourceText>,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(p) = perms.get(MAX_BLOCKS) {
        out.push(
            Diagnostic::error(
                codes::ENGINE_LIMIT,
                format!(
                    "permission block {} of {} is past the {MAX_BLOCKS} blocks the compiled snapshot indexes",
                    MAX_BLOCKS + 1,
                    owner()
                ),
            )
            .at(source, p.span)
            .with_label("past the limit")
            .with_help("move the blocks past the limit to another role or deny assignment"),
        );
    }
    for (bi, p) in perms.iter().enumerate().take(MAX_BLOCKS) {
        for (list, name) in [&p.actions, &p.data_actions].into_iter().zip(names) {
            let Some(a) = list.items().get(MAX_LIST) else { continue };
            out.push(
                Diagnostic::error(
                    codes::ENGINE_LIMIT,
                    format!(
                        "entry {} of `{name}` in permission block {bi} of {} is past the {MAX_LIST} entries the compiled snapshot indexes",
                        MAX_LIST + 1,
                        owner()
                    ),
                )
                .at(source, a.span)
                .with_label("past the limit")
                .with_help("split the list over several permission blocks, each with the same exclusions and condition"),
            );
        }
    }
}

/// Counts the texts a table will hold and their bytes, and reports the first text past [`MAX_IDS`] of either.
struct Budget<'a> {
    what: &'static str,
    /// Whether the texts go to an arena, so that their bytes count too.
    arena: bool,
    keys: u64,
    bytes: u64,
    out: &'a mut Vec<Diagnostic>,
    over: bool,
}

impl Budget<'_> {
    /// Counts `text` (`extra` bytes longer when it is interned with a prefix), located at `at` when known.
    fn add(&mut self, text: &str, extra: usize, at: Option<(&Arc<SourceText>, Span)>) {
        self.keys += 1;
        if self.arena {
            self.bytes = self.bytes.saturating_add(u64::try_from(text.len() + extra).unwrap_or(u64::MAX));
        }
        if self.over || (self.keys < MAX_IDS && self.bytes < MAX_IDS) {
            return;
        }
        self.over = true;
        let d = Diagnostic::error(
            codes::ENGINE_LIMIT,
            format!("`{text}` is past the {} texts or bytes of {} the compiled snapshot indexes", MAX_IDS, self.what),
        )
        .with_help("split the tenant into several snapshots");
        self.out.push(at_origin(d, at));
    }
}

/// Bounds the principal, scope and operation tables and the conditions from above: every text is counted
/// wherever it occurs, so a tenant under these counts cannot fill a table however many of them coincide.
fn texts(tenant: &Tenant, catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    // `/subscriptions/` and `/providers/Microsoft.Management/managementGroups/`.
    let (sub, mg) = (15, 49);
    let mut principals = Budget { what: "principal ids", arena: true, keys: 0, bytes: 0, out, over: false };
    for (g, members) in &tenant.groups.groups {
        principals.add(g.as_str(), 0, None);
        for m in members {
            principals.add(m.as_str(), 0, None);
        }
    }
    for a in &tenant.assignments {
        principals.add(a.principal_id.as_str(), 0, Some((&a.origin.source, a.origin.span)));
    }
    for d in &tenant.deny_assignments {
        for p in d.principals.iter().chain(&d.exclude_principals) {
            principals.add(p.id.as_str(), 0, Some((&d.origin.source, p.span)));
        }
    }
    let out = principals.out;
    let mut scopes = Budget { what: "scopes", arena: true, keys: 1, bytes: 1, out, over: false };
    for (a, at) in tenant
        .assignments
        .iter()
        .map(|a| (&a.scope, &a.origin.source))
        .chain(tenant.deny_assignments.iter().map(|d| (&d.scope, &d.origin.source)))
    {
        if let Some(s) = a.scope() {
            scopes.add(s.as_str(), 0, Some((at, a.span)));
            if let Some(id) = s.subscription() {
                scopes.add(id, sub, Some((at, a.span)));
            }
        }
    }
    let h = &tenant.hierarchy;
    for (m, parent) in &h.management_groups {
        scopes.add(m.as_str(), mg, None);
        if let Some(p) = parent {
            scopes.add(p.as_str(), mg, None);
        }
    }
    for (s, m) in &h.subscriptions {
        scopes.add(s.as_str(), sub, None);
        scopes.add(m.as_str(), mg, None);
    }
    if let Some(t) = &h.tenant_id {
        scopes.add(t.as_str(), mg, None);
    }
    let out = scopes.out;
    let mut ops = Budget { what: "operations", arena: true, keys: 0, bytes: 0, out, over: false };
    for o in catalog.operations() {
        ops.add(&o.name, 0, None);
    }
    // Every entry of a role also counts once as a grant list entry (`Roles::grant_list` in `compile.rs`).
    for r in &tenant.roles {
        for p in &r.permissions {
            for e in [&p.actions, &p.not_actions, &p.data_actions, &p.not_data_actions] {
                for a in e.items() {
                    ops.add(&a.raw, 0, Some((&r.origin.source, a.span)));
                }
            }
        }
    }
    let out = ops.out;
    let mut conditions = Budget { what: "conditions", arena: false, keys: 0, bytes: 0, out, over: false };
    for r in &tenant.roles {
        for c in r.permissions.iter().filter_map(|p| p.condition.as_ref()) {
            conditions.add(&c.value, 0, Some((&r.origin.source, c.span)));
        }
    }
    for a in &tenant.assignments {
        if let Some(c) = &a.condition {
            conditions.add(&c.value, 0, Some((&a.origin.source, c.span)));
        }
    }
    for d in &tenant.deny_assignments {
        let blocks = d.permissions.iter().filter_map(|p| p.condition.as_ref());
        for c in blocks.chain(&d.condition) {
            conditions.add(&c.value, 0, Some((&d.origin.source, c.span)));
        }
    }
}
