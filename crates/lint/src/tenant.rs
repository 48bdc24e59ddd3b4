//! The tenant family (`role-lint --tenant DIR`, semantics §4): problems that only show when role definitions are seen
//! together with their assignments and the management-group hierarchy.
//!
//! One file per rule under `tenant/`; each exposes its [`RuleMeta`] and a `check` over the loaded [`Tenant`].
//! Findings point at the assignment in `assignments.json` (or at the role, for unassigned roles). `terraform`
//! runs the rules that hold without a tenant over the role assignments of Terraform files and plans.

mod assignable_scopes;
mod assignment_conditions;
mod assignment_scope;
mod data_actions_at_management_group;
mod limits;
pub(crate) mod terraform;
mod unassigned_role;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rolegate::diag::{SourceText, Span};
use rolegate::internals::json::{Kind, Value};
use rolegate::load::{TenantFile, TenantLoader};
use rolegate::model::{Id, RoleAssignment, RoleDefinition, RoleType, Tenant};
use rolegate::scope::{Scope, ScopeKind};
use rolegate::{Diagnostic, Severity};

use crate::config::TenantLimits;
use crate::finding::Finding;
use crate::rule_meta::RuleMeta;

/// The codes of the tenant family (`RL4xx`).
pub mod codes {
    pub use super::assignable_scopes::CODE as ASSIGNMENT_OUTSIDE_ASSIGNABLE_SCOPES;
    pub use super::assignment_scope::CODE as ASSIGNMENT_SCOPE;
    pub use super::data_actions_at_management_group::CODE as DATA_ACTIONS_AT_MANAGEMENT_GROUP;
    pub use super::limits::{MG_CODE as MANAGEMENT_GROUP_ASSIGNMENT_LIMIT, SUB_CODE as SUBSCRIPTION_ASSIGNMENT_LIMIT};
    pub use super::unassigned_role::CODE as UNASSIGNED_CUSTOM_ROLE;
}

/// Metadata of the tenant family, in code order.
pub static RULES: &[RuleMeta] = &[
    assignable_scopes::META,
    data_actions_at_management_group::META,
    unassigned_role::META,
    limits::SUB_META,
    limits::MG_META,
    assignment_scope::META,
];

/// What the tenant rules need besides the tenant.
#[derive(Clone, Copy, Debug, Default)]
pub struct TenantContext {
    /// Assignment limits.
    pub limits: TenantLimits,
}

/// Runs every tenant rule.
pub fn check(tenant: &Tenant, cx: &TenantContext) -> Vec<Finding> {
    let index = Index::new(tenant);
    let mut out = Vec::new();
    assignable_scopes::check(&index, &mut out);
    data_actions_at_management_group::check(&index, &mut out);
    unassigned_role::check(tenant, &mut out);
    limits::check(tenant, &cx.limits, &mut out);
    assignment_conditions::check(&index, &mut out);
    assignment_scope::check(&index, &mut out);
    add_pointers(tenant, &mut out);
    out
}

/// Fills in the JSON pointer of findings in assignment files (`/3/properties/scope`), parsing each file once.
/// The model keeps spans, not pointers; a pointer is what JSON and SARIF consumers can navigate by.
fn add_pointers(tenant: &Tenant, findings: &mut [Finding]) {
    let mut sources: Vec<&Arc<SourceText>> = Vec::new();
    for a in &tenant.assignments {
        if !sources.iter().any(|s| Arc::ptr_eq(s, &a.origin.source)) {
            sources.push(&a.origin.source);
        }
    }
    for src in sources {
        let wanted = |f: &Finding| f.pointer.is_none() && f.file.as_deref() == Some(src.name());
        if !findings.iter().any(wanted) {
            continue;
        }
        let Ok((root, _)) = rolegate::internals::json::parse_bytes(src.text().as_bytes()) else { continue };
        for f in findings.iter_mut().filter(|f| wanted(f)) {
            if let Some(span) = f.diagnostic.span {
                let p = pointer_to(&root, span);
                f.diagnostic.pointer = Some(p.clone());
                f.pointer = Some(p);
            }
        }
    }
}

/// RFC 6901 pointer to the innermost value whose span holds `target`. Array elements are found by binary search
/// (they are in source order), so a finding in a 500,000-element assignments file costs a few dozen steps.
fn pointer_to(root: &Value, target: Span) -> String {
    let inside = |outer: Span| outer.start <= target.start && target.end <= outer.end;
    let mut pointer = String::new();
    let mut cur = root;
    loop {
        let next = match &cur.kind {
            Kind::Array(items) => {
                let i = items.partition_point(|v| v.span.end <= target.start);
                items.get(i).filter(|v| inside(v.span)).map(|v| (i.to_string(), v))
            }
            Kind::Object(members) => members
                .iter()
                .find(|m| inside(m.key_span.join(m.value.span)))
                .map(|m| (rolegate::internals::json::pointer_escape(&m.key), &m.value)),
            _ => None,
        };
        match next {
            Some((segment, v)) if v.span != cur.span => {
                pointer.push('/');
                pointer.push_str(&segment);
                cur = v;
            }
            _ => return pointer,
        }
    }
}

/// Each assignment with its role, looked up once: `Tenant::role` is a linear search, and a tenant has hundreds of
/// thousands of assignments.
pub(crate) struct Index<'t> {
    pairs: Vec<(&'t RoleAssignment, &'t RoleDefinition)>,
    placement: Placement,
}

impl<'t> Index<'t> {
    fn new(tenant: &'t Tenant) -> Self {
        let mut roles = HashMap::new();
        for r in &tenant.roles {
            if let Some(id) = &r.id {
                // The first definition wins, as in `Tenant::role`.
                roles.entry(id).or_insert(r);
            }
        }
        // An assignment whose role is unknown is left out: the loader reports it.
        let pairs = tenant.assignments.iter().filter_map(|a| roles.get(&a.role_id).map(|r| (a, *r))).collect();
        Index { pairs, placement: Placement::new(tenant) }
    }

    /// The assignments with their role.
    fn assignments(&self) -> impl Iterator<Item = (&'t RoleAssignment, &'t RoleDefinition)> + '_ {
        self.pairs.iter().copied()
    }
}

/// What [`lint_dir`] read and found.
#[derive(Debug, Default)]
pub struct DirLint {
    /// How many files were read (the directory itself, when it could not be read).
    pub files: usize,
    /// The files of the directory, by name, when it could be loaded ([`TenantFile::list`]); those of kind
    /// [`TenantFile::Roles`] are the tenant's role files.
    pub paths: Vec<PathBuf>,
    /// Those of [`DirLint::paths`] that were read as role files (by name and by content).
    pub role_paths: Vec<PathBuf>,
    /// The load problems of every file and the findings of the tenant rules.
    pub findings: Vec<Finding>,
}

/// Loads a tenant directory and lints it: the load problems of every file, then the tenant rules. The per-role
/// rules are not run here: [`crate::Linter::add_tenant`] runs them over the role files ([`DirLint::paths`]) with
/// the rest of the run.
pub fn lint_dir(dir: &Path, cx: &TenantContext, max_file_bytes: u64) -> DirLint {
    let mut loader = match TenantLoader::from_dir_with(dir, max_file_bytes) {
        Ok(loader) => loader,
        Err(e) => {
            let findings = e
                .diagnostics
                .iter()
                .map(|d| {
                    let mut f = Finding::from_diagnostic(d, None);
                    if f.file.is_none() {
                        f.file = Some(dir.display().to_string());
                        f.fingerprint = crate::fingerprint(&f);
                    }
                    f
                })
                .collect();
            return DirLint { files: 1, paths: Vec::new(), role_paths: Vec::new(), findings };
        }
    };
    // The loader has just listed the directory the same way: a failure now is a race, refused like any other.
    let paths = match TenantFile::list(dir) {
        Ok(paths) => paths,
        Err(e) => {
            let d = Diagnostic::error(
                rolegate::diag::codes::UNREADABLE,
                format!("cannot read the directory `{}`: {e}", dir.display()),
            );
            let mut f = Finding::from_diagnostic(&d, None);
            f.file = Some(dir.display().to_string());
            f.fingerprint = crate::fingerprint(&f);
            return DirLint { files: 1, paths: Vec::new(), role_paths: Vec::new(), findings: vec![f] };
        }
    };
    let role_paths = loader.role_files().to_vec();
    let loaded = loader.finish();
    let tenant = &loaded.value;
    let own_roles: Vec<&RoleDefinition> = tenant.roles.iter().filter(|r| is_tenant_role(r)).collect();
    let mut findings: Vec<Finding> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            // Name the role a problem belongs to: the innermost role object of the same file that holds it.
            let role = d.span.and_then(|span| {
                own_roles
                    .iter()
                    .filter(|r| {
                        Some(r.origin.file()) == d.file()
                            && r.origin.span.start <= span.start
                            && span.end <= r.origin.span.end
                    })
                    .min_by_key(|r| r.origin.span.len())
                    .map(|r| r.label())
            });
            Finding::from_diagnostic(d, role)
        })
        .collect();
    findings.extend(check(tenant, cx));
    DirLint { files: paths.len(), paths, role_paths, findings }
}

/// Whether a role came from the tenant's files rather than the embedded built-in snapshot.
fn is_tenant_role(r: &RoleDefinition) -> bool {
    r.origin.file() != rolegate::builtin::ROLES_FILE
}

/// Whether a role is custom (built-ins are excluded from hygiene findings: nobody can change them).
fn is_custom(r: &RoleDefinition) -> bool {
    r.role_type == RoleType::Custom && is_tenant_role(r)
}

/// A finding about an assignment: its fingerprint also covers the principal, so that two principals' otherwise
/// identical assignments are told apart by `--baseline`.
fn assignment_finding(d: &Diagnostic, role: &RoleDefinition, a: &RoleAssignment) -> Finding {
    let mut f = Finding::from_diagnostic(d, Some(role.label()));
    f.fingerprint = rehash(&f.fingerprint, a.principal_id.as_str());
    f
}

/// FNV-1a 64 over a fingerprint and an extra key (same recipe as [`crate::fingerprint`]).
fn rehash(fingerprint: &str, extra: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in fingerprint.bytes().chain(std::iter::once(0xff)).chain(extra.to_ascii_lowercase().bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn warning_or_error(meta: &RuleMeta, code: rolegate::diag::Code, message: String) -> Diagnostic {
    if meta.default_severity == Severity::Error {
        Diagnostic::error(code, message)
    } else {
        Diagnostic::warning(code, message)
    }
}

/// Where subscriptions and management groups sit in the hierarchy (ids ASCII case-insensitive); empty when the
/// hierarchy is not known.
#[derive(Default)]
pub(crate) struct Placement {
    parent: HashMap<Id, Option<Id>>,
    subscription: HashMap<Id, Id>,
    root: Option<Id>,
}

impl Placement {
    fn new(tenant: &Tenant) -> Placement {
        let h = &tenant.hierarchy;
        Placement {
            parent: h.management_groups.iter().cloned().collect(),
            subscription: h.subscriptions.iter().cloned().collect(),
            root: h.tenant_id.clone(),
        }
    }

    /// The management groups above a scope, nearest first, ending with the tenant root group when it is known.
    /// A management group counts as above itself. Cycles (reported by the loader) end the walk.
    fn management_groups(&self, scope: &Scope) -> Vec<Id> {
        let start = match (scope.management_group(), scope.subscription()) {
            (Some(mg), _) => Some(Id::new(mg)),
            (None, Some(sub)) => self.subscription.get(&Id::new(sub)).cloned().or_else(|| self.root.clone()),
            (None, None) => None,
        };
        let mut chain: Vec<Id> = Vec::new();
        let mut next = start;
        while let Some(mg) = next {
            if chain.contains(&mg) {
                break;
            }
            next = self.parent.get(&mg).cloned().flatten();
            chain.push(mg);
        }
        if let Some(root) = &self.root
            && !chain.is_empty()
            && !chain.contains(root)
        {
            chain.push(root.clone());
        }
        chain
    }

    /// Whether `scope` is at or below `container`, following the management-group tree for management groups;
    /// `None` when that depends on a hierarchy the tenant does not have (no `hierarchy.json`).
    fn contains(&self, container: &Scope, scope: &Scope) -> Option<bool> {
        if container.kind() == ScopeKind::Root || container.is_ancestor_or_self_of(scope) {
            return Some(true);
        }
        match (container.kind(), container.management_group()) {
            (ScopeKind::ManagementGroup, Some(mg)) => {
                let known = self.root.is_some() || !self.parent.is_empty() || !self.subscription.is_empty();
                if !known {
                    return None;
                }
                Some(self.management_groups(scope).contains(&Id::new(mg)))
            }
            _ => Some(false),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn pointers_follow_arrays_and_objects() {
        let text = r#"{"value": [{"a": 1}, {"properties": {"scope": "/x", "a~b": [0, "/y"]}}]}"#;
        let root = rolegate::internals::json::parse(text).unwrap();
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            Span::new(start, start + needle.len())
        };
        assert_eq!(pointer_to(&root, at("\"/x\"")), "/value/1/properties/scope");
        assert_eq!(pointer_to(&root, at("\"/y\"")), "/value/1/properties/a~0b/1");
        let one = text.find("1}").unwrap();
        assert_eq!(pointer_to(&root, Span::new(one, one + 1)), "/value/0/a");
        assert_eq!(pointer_to(&root, at("1}")), "/value/0");
        assert_eq!(pointer_to(&root, Span::new(0, text.len())), "");
    }
}
