//! Assembling a tenant: built-in roles, the tenant's role files, assignments, deny assignments, groups and the
//! hierarchy, with the cross-file checks (unknown roles, overridden built-ins, unplaced subscriptions).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::classify::Document;
use super::{Loaded, load_assignments, load_deny_assignments, load_groups, load_hierarchy, load_roles};
use crate::diag::{Diagnostic, Severity, codes};
use crate::model::{Id, RoleDefinition, Tenant};
use crate::span::{SourceText, Span};

/// The fixed file names of a tenant directory (semantics §2.2); every other `*.json` directly in it is classified
/// by its content.
pub const ASSIGNMENTS_FILE: &str = "assignments.json";
/// Deny assignments.
pub const DENY_FILE: &str = "denyAssignments.json";
/// Group memberships.
pub const GROUPS_FILE: &str = "groups.json";
/// Management-group hierarchy.
pub const HIERARCHY_FILE: &str = "hierarchy.json";

/// What [`TenantLoader::from_dir`] reads a file of a tenant directory as, by its name (semantics §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TenantFile {
    /// `assignments.json`.
    Assignments,
    /// `denyAssignments.json`.
    DenyAssignments,
    /// `groups.json`.
    Groups,
    /// `hierarchy.json`.
    Hierarchy,
    /// Any other `*.json`: role definitions, when its keys say so (the loader skips or refuses other documents).
    Roles,
}

impl TenantFile {
    /// The kind of the file at `path`, by its file name (exact spelling).
    pub fn of(path: &Path) -> TenantFile {
        match path.file_name().and_then(|f| f.to_str()).unwrap_or_default() {
            ASSIGNMENTS_FILE => TenantFile::Assignments,
            DENY_FILE => TenantFile::DenyAssignments,
            GROUPS_FILE => TenantFile::Groups,
            HIERARCHY_FILE => TenantFile::Hierarchy,
            _ => TenantFile::Roles,
        }
    }

    /// The fixed file name of a kind (`None` for role files, which may have any name).
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            TenantFile::Assignments => Some(ASSIGNMENTS_FILE),
            TenantFile::DenyAssignments => Some(DENY_FILE),
            TenantFile::Groups => Some(GROUPS_FILE),
            TenantFile::Hierarchy => Some(HIERARCHY_FILE),
            TenantFile::Roles => None,
        }
    }

    /// The fixed name that `path`'s file name spells in another letter case (`denyassignments.json`,
    /// `denyAssignments.JSON`), if it does: such a file is refused, never read as a role file.
    pub fn misspelled(path: &Path) -> Option<&'static str> {
        let name = path.file_name().and_then(|f| f.to_str())?;
        [ASSIGNMENTS_FILE, DENY_FILE, GROUPS_FILE, HIERARCHY_FILE]
            .into_iter()
            .find(|fixed| fixed.eq_ignore_ascii_case(name) && *fixed != name)
    }

    /// The files [`TenantLoader::from_dir`] reads: every entry directly in `dir` whose name ends in `.json` (in
    /// any case), whatever it is (a directory, a dangling link or a FIFO so named is refused when read, never
    /// skipped), in name order, each named `dir` joined with its file name.
    pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")) {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

/// A tenant could not be loaded; nothing of it may be used.
#[derive(thiserror::Error, miette::Diagnostic)]
#[error("the tenant could not be loaded: {} fatal problem(s)", self.fatal_count())]
#[diagnostic(code(rolegate::load), help("fix the problems below; a half-loaded policy is never used"))]
pub struct LoadError {
    /// Every diagnostic, fatal or not.
    #[related]
    pub diagnostics: Vec<Diagnostic>,
}

/// A summary, one line a diagnostic (`file:line:col RL002 message`), never the input files: a `.expect()` on a
/// large tenant must not print megabytes of it.
impl std::fmt::Debug for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "LoadError: {} fatal problem(s), {} diagnostic(s)", self.fatal_count(), self.diagnostics.len())?;
        for d in &self.diagnostics {
            writeln!(f, "  {}", d.located())?;
        }
        Ok(())
    }
}

impl LoadError {
    /// How many diagnostics are fatal.
    pub fn fatal_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_fatal()).count()
    }
}

/// Collects the files of a tenant, then checks and assembles them.
///
/// ```
/// use rolegate::load::TenantLoader;
///
/// let mut loader = TenantLoader::new();
/// loader.add_assignments("assignments.json", br#"[{
///     "principalId": "alice", "principalType": "User",
///     "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
///     "scope": "/subscriptions/s1"
/// }]"#);
/// let (tenant, warnings) = loader.build().unwrap();
/// assert_eq!(tenant.assignments.len(), 1);
/// assert_eq!(tenant.role(&tenant.assignments[0].role_id).unwrap().display_name(), "Reader");
/// assert!(warnings.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct TenantLoader {
    roles: Vec<Loaded<Vec<RoleDefinition>>>,
    tenant: Tenant,
    diagnostics: Vec<Diagnostic>,
    without_builtins: bool,
    role_files: Vec<PathBuf>,
}

impl TenantLoader {
    /// An empty tenant (plus the built-in roles).
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves the built-in roles out (for tests that want a closed world).
    pub fn without_builtins(mut self) -> Self {
        self.without_builtins = true;
        self
    }

    /// Adds a role file.
    pub fn add_roles(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        self.roles.push(load_roles(name, bytes));
        self
    }

    /// Adds an assignments file.
    pub fn add_assignments(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        let loaded = load_assignments(name, bytes);
        self.diagnostics.extend(loaded.diagnostics);
        self.tenant.assignments.extend(loaded.value);
        self
    }

    /// Adds a deny-assignments file.
    pub fn add_deny_assignments(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        let loaded = load_deny_assignments(name, bytes);
        self.diagnostics.extend(loaded.diagnostics);
        self.tenant.deny_assignments.extend(loaded.value);
        self
    }

    /// Adds a groups file.
    pub fn add_groups(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        let loaded = load_groups(name, bytes);
        self.diagnostics.extend(loaded.diagnostics);
        self.tenant.groups.groups.extend(loaded.value.groups);
        self
    }

    /// Sets the hierarchy file.
    pub fn add_hierarchy(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        let loaded = load_hierarchy(name, bytes);
        self.diagnostics.extend(loaded.diagnostics);
        self.tenant.hierarchy = loaded.value;
        self
    }

    /// Reads a tenant directory with the default cap on a file's size ([`TenantLoader::from_dir_with`]).
    pub fn from_dir(dir: &Path) -> Result<Self, LoadError> {
        Self::from_dir_with(dir, super::file::DEFAULT_MAX_FILE_BYTES)
    }

    /// Reads a tenant directory: the fixed file names of semantics §2.2, and every other `*.json` directly in it
    /// as a role file when it holds role definitions (in name order, so that results do not depend on the file
    /// system; see [`TenantFile`]). Every file is read whole or the load is refused: an entry that is not a
    /// regular file (or a link to one), or is larger than `max_file_bytes`, is `RL017`; a fixed name in another
    /// letter case, or another tenant file's content under a role file's name, is `RL020`. A JSON file that is
    /// no RBAC document is skipped with a warning (`RL021`).
    pub fn from_dir_with(dir: &Path, max_file_bytes: u64) -> Result<Self, LoadError> {
        let files = TenantFile::list(dir).map_err(|e| LoadError {
            diagnostics: vec![
                Diagnostic::error(codes::UNREADABLE, format!("cannot read the directory `{}`: {e}", dir.display()))
                    .with_help("give a tenant directory that exists and can be read"),
            ],
        })?;
        // Every entry is read before any is refused, so that one run names every unreadable file.
        let mut unreadable = Vec::new();
        let mut contents = Vec::with_capacity(files.len());
        for path in files {
            match super::file::read_file(&path, max_file_bytes) {
                Ok(bytes) => contents.push((path, bytes)),
                Err(e) => unreadable.push(e.diagnostic(&path)),
            }
        }
        if !unreadable.is_empty() {
            return Err(LoadError { diagnostics: unreadable });
        }
        Ok(Self::from_contents(dir, contents))
    }

    /// Loads a tenant directory's files already read, `(path, bytes)`, as [`TenantLoader::from_dir_with`] does
    /// after reading them: for a caller that reads the files itself (a server that checks a manifest's hashes, or
    /// that a directory did not change while it was read).
    pub fn from_contents(dir: &Path, mut contents: Vec<(PathBuf, Vec<u8>)>) -> Self {
        contents.sort_by(|a, b| a.0.cmp(&b.0));
        let mut loader = TenantLoader::new();
        let mut has_assignments = false;
        for (path, bytes) in contents {
            let name = path.display().to_string();
            if let Some(fixed) = TenantFile::misspelled(&path) {
                let src = Arc::new(SourceText::new(&name, String::new()));
                loader.diagnostics.push(
                    Diagnostic::error(
                        codes::MISNAMED_TENANT_FILE,
                        format!("`{name}` is not read: tenant files are named exactly `{fixed}`"),
                    )
                    .in_file(&src)
                    .with_help(format!("rename it to `{fixed}`")),
                );
                continue;
            }
            match TenantFile::of(&path) {
                // The big files hand their buffers over, so that their text is held once, not twice.
                TenantFile::Assignments => {
                    has_assignments = true;
                    let loaded = super::assignments::load_assignments_owned(&name, bytes);
                    loader.diagnostics.extend(loaded.diagnostics);
                    loader.tenant.assignments.extend(loaded.value);
                }
                TenantFile::DenyAssignments => {
                    let loaded = super::deny::load_deny_assignments_owned(&name, bytes);
                    loader.diagnostics.extend(loaded.diagnostics);
                    loader.tenant.deny_assignments.extend(loaded.value);
                }
                TenantFile::Groups => {
                    loader.add_groups(&name, &bytes);
                }
                TenantFile::Hierarchy => {
                    loader.add_hierarchy(&name, &bytes);
                }
                TenantFile::Roles => loader.add_role_file(&path, &name, &bytes),
            }
        }
        if !has_assignments {
            loader.diagnostics.push(
                Diagnostic::warning(
                    codes::MISSING_ASSIGNMENTS,
                    format!("`{}` has no `{ASSIGNMENTS_FILE}`: nobody is granted anything", dir.display()),
                )
                .with_help(format!("add the tenant's role assignments as `{ASSIGNMENTS_FILE}`")),
            );
        }
        loader
    }

    /// A role file of a tenant directory: read as roles only when its content is role definitions.
    fn add_role_file(&mut self, path: &Path, name: &str, bytes: &[u8]) {
        let (src, parsed) = super::parse_source(name, bytes);
        let root = match parsed {
            Ok(root) => root,
            Err(d) => {
                self.roles.push(Loaded { value: Vec::new(), diagnostics: vec![d] });
                self.role_files.push(path.to_path_buf());
                return;
            }
        };
        match super::classify::classify(&root) {
            Document::Roles => {
                self.roles.push(super::load_roles_from_value(&src, &root));
                self.role_files.push(path.to_path_buf());
            }
            Document::TenantFile(kind) => {
                // `classify` names only the fixed-name kinds here; a role file would have been `Document::Roles`.
                let fixed = kind.file_name().unwrap_or(ASSIGNMENTS_FILE);
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::MISNAMED_TENANT_FILE,
                        format!(
                            "`{name}` holds {}, which a tenant directory reads only from `{fixed}`",
                            super::classify::describe(Document::TenantFile(kind))
                        ),
                    )
                    .at(&src, Span::new(root.span.start, root.span.start + 1))
                    .with_help(format!("rename it to `{fixed}` (or merge it into that file)")),
                );
            }
            Document::Other => self.diagnostics.push(
                Diagnostic::warning(
                    codes::NOT_A_ROLE_FILE,
                    format!(
                        "`{name}` is not an Azure RBAC role definition (it looks like {}) and is skipped",
                        super::classify::looks_like(&root)
                    ),
                )
                .at(&src, Span::new(root.span.start, root.span.start + 1))
                .with_help("move it out of the tenant directory; a role needs `Actions` or `Permissions`"),
            ),
        }
    }

    /// The role files [`TenantLoader::from_dir`] read as role definitions, in name order.
    pub fn role_files(&self) -> &[PathBuf] {
        &self.role_files
    }

    /// Checks and assembles the tenant; every diagnostic comes back, fatal or not.
    ///
    /// Takes the loader's contents, leaving it empty, so that a chain of `add_*` calls can end in it.
    pub fn finish(&mut self) -> Loaded<Tenant> {
        let TenantLoader { roles, mut tenant, mut diagnostics, without_builtins, .. } = std::mem::take(self);
        let builtins: &[RoleDefinition] = if without_builtins { &[] } else { &crate::builtin::roles().value };
        let mut by_id: HashMap<Id, usize> = HashMap::new();
        let mut all: Vec<RoleDefinition> = builtins.to_vec();
        for (i, r) in all.iter().enumerate() {
            if let Some(id) = &r.id {
                by_id.insert(id.clone(), i);
            }
        }
        let builtin_count = all.len();
        let mut tenant_ids: HashMap<Id, Arc<SourceText>> = HashMap::new();
        for loaded in roles {
            diagnostics.extend(loaded.diagnostics);
            for role in loaded.value {
                let Some(id) = role.id.clone() else {
                    all.push(role);
                    continue;
                };
                if let Some(first) = tenant_ids.get(&id) {
                    diagnostics.push(
                        Diagnostic::error(codes::DUPLICATE_ROLE_ID, format!("role id `{id}` is defined twice"))
                            .at(&role.origin.source, role.origin.span)
                            .with_help(format!("another definition is in `{}`; keep one", first.name())),
                    );
                    continue;
                }
                tenant_ids.insert(id.clone(), Arc::clone(&role.origin.source));
                match by_id.get(&id).copied() {
                    Some(i) if i < builtin_count => {
                        if let Some(slot) = all.get_mut(i) {
                            if !same_permissions(slot, &role) {
                                diagnostics.push(
                                    Diagnostic::warning(
                                        codes::BUILTIN_OVERRIDE,
                                        format!(
                                            "role `{}` reuses the id of built-in role `{}` with different content",
                                            role.label(),
                                            slot.label()
                                        ),
                                    )
                                    .at(&role.origin.source, role.origin.span)
                                    .with_help("the tenant's definition replaces the built-in one"),
                                );
                            }
                            *slot = role;
                        }
                    }
                    _ => {
                        by_id.insert(id, all.len());
                        all.push(role);
                    }
                }
            }
        }
        tenant.roles = all;
        for a in &tenant.assignments {
            if !by_id.contains_key(&a.role_id) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::UNKNOWN_ROLE,
                        format!("assignment names role `{}`, which is neither in the tenant nor built in", a.role_id),
                    )
                    .at(&a.origin.source, a.role_definition_raw.span)
                    .with_label("unknown role")
                    .with_help("add the role definition to the tenant directory, or fix the id"),
                );
            }
        }
        check_unplaced_subscriptions(&tenant, &mut diagnostics);
        // What the engine could not represent fails the load here, so that `validate` and the linter see it too.
        diagnostics.extend(crate::engine::limits(&tenant, crate::catalog::Catalog::builtin()));
        Loaded { value: tenant, diagnostics }
    }

    /// Checks and assembles the tenant; fails when anything fatal was found.
    ///
    /// ```
    /// use rolegate::load::TenantLoader;
    /// let (tenant, _) = TenantLoader::new()
    ///     .add_assignments("a.json", br#"[{"principalId": "p", "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7", "scope": "/"}]"#)
    ///     .build()?;
    /// assert_eq!(tenant.assignments.len(), 1);
    /// # Ok::<(), rolegate::load::LoadError>(())
    /// ```
    pub fn build(&mut self) -> Result<(Tenant, Vec<Diagnostic>), LoadError> {
        self.finish().into_result().map_err(|diagnostics| LoadError { diagnostics })
    }
}

/// Whether two roles grant the same (compared on the raw action strings, ignoring case).
fn same_permissions(a: &RoleDefinition, b: &RoleDefinition) -> bool {
    fn key(r: &RoleDefinition) -> Vec<Vec<String>> {
        r.permissions
            .iter()
            .map(|p| {
                let mut v: Vec<String> = [&p.actions, &p.not_actions, &p.data_actions, &p.not_data_actions]
                    .iter()
                    .enumerate()
                    .flat_map(|(i, e)| e.items().iter().map(move |a| format!("{i}:{}", a.raw.to_ascii_lowercase())))
                    .collect();
                v.sort();
                v
            })
            .collect()
    }
    key(a) == key(b)
}

/// semantics §2.3: a subscription that `hierarchy.json` does not list hangs under the tenant root management group
/// (or `/`); the load warns and lists such subscriptions.
fn check_unplaced_subscriptions(tenant: &Tenant, diagnostics: &mut Vec<Diagnostic>) {
    let h = &tenant.hierarchy;
    if h.management_groups.is_empty() && h.subscriptions.is_empty() {
        return;
    }
    let placed: HashSet<&Id> = h.subscriptions.iter().map(|(s, _)| s).collect();
    let mut missing: Vec<String> = Vec::new();
    let mut first = None;
    for a in &tenant.assignments {
        let Some(sub) = a.scope.scope().and_then(|s| s.subscription()) else { continue };
        let id = Id::new(sub);
        if !placed.contains(&id) && !missing.iter().any(|m| m.eq_ignore_ascii_case(sub)) {
            missing.push(sub.to_owned());
            first.get_or_insert((Arc::clone(&a.origin.source), a.scope.span));
        }
    }
    if let Some((src, span)) = first {
        let under = h.tenant_id.as_ref().map_or("the root scope `/`".to_owned(), |t| format!("tenant root `{t}`"));
        diagnostics.push(
            Diagnostic::new(
                codes::UNPLACED_SUBSCRIPTION,
                Severity::Warning,
                format!(
                    "{} subscription(s) missing from the hierarchy hang under {under}: {}",
                    missing.len(),
                    missing.join(", ")
                ),
            )
            .at(&src, span)
            .with_help("add them to `subscriptions` in hierarchy.json"),
        );
    }
}
