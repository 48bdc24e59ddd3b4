//! role-lint's library: turns role-definition files into findings and renders reports (human, JSON).
//!
//! ```
//! use rolegate_lint::{Linter, OutputFormat};
//!
//! let mut linter = Linter::new();
//! linter.add_file("role.json", br#"{"Name": "r", "IsCustom": "true", "Actions": ["Microsoft.Compute/*/read"],
//!     "AssignableScopes": ["/subscriptions/s"]}"#);
//! let report = linter.finish();
//! assert_eq!(report.summary().errors, 1);
//! assert_eq!(report.findings()[0].code, "RL001");
//! assert_eq!((report.findings()[0].line, report.findings()[0].column), (1, 27));
//! let json = report.render(OutputFormat::Json);
//! assert!(json.contains(r#""code": "RL001""#));
//! ```
//!
//! Load problems come from [`rolegate::load`] (codes `RL000`–`RL099`); lint rules ([`rules`], one file per
//! rule) add `RL100`–`RL399`: `RL1xx` Azure would reject it, `RL2xx` it grants more than it looks, `RL3xx`
//! catalog and hygiene. Wildcards are expanded against the operation catalog with rolegate's one matcher;
//! the catalog is loaded only when a rule needs it. Every finding carries a stable fingerprint so that baselines survive unrelated edits.

#![forbid(unsafe_code)]

mod analysis;
pub mod baseline;
mod conditions;
pub mod config;
pub mod diff;
mod finding;
pub mod meta;
mod options;
mod report;
mod rule_meta;
pub mod rules;
mod sensitive;
mod sources;
pub mod tenant;
pub mod tenant_diff;

pub use analysis::{CatalogIndex, Plane};
pub use baseline::Baseline;
pub use config::Config;
pub use finding::{Finding, fingerprint};
pub use meta::{KnownRules, RuleMeta, RuleMetaSource};
pub use options::{Category, ForbiddenOperation, LintOptions, parse_forbid_list};
pub use report::{OutputFormat, Report, Summary, relative_uri};
pub use rules::{RULES, Rule, explain, find_rule};
pub use sensitive::{SENSITIVE_OPERATIONS_FILE, SENSITIVE_OPERATIONS_JSON, SensitiveSets};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rolegate::Severity;
use rolegate::diag::SourceText;
use rolegate::internals::json::Value;
use rolegate::internals::load::{Document, load_roles_from_value, pointer_to};
use rolegate::model::RoleDefinition;

/// One file of a run, kept until [`Linter::finish`] runs the rules over every role of the run.
#[derive(Debug)]
struct LoadedFile {
    root: Option<Value>,
    source: Arc<SourceText>,
    /// Index of the file's first role in the run's role list.
    first_role: usize,
    /// A role file of a `--tenant` directory: its built-in role definitions (an `az role definition list`
    /// export holds them all) are not linted, as nobody can change them, and its load problems are left to the
    /// tenant family, which reports them with those of the tenant's other files.
    tenant: bool,
    /// The file's load problems as findings, reported unless the file turns out to be a tenant's.
    load_findings: Vec<Finding>,
}

/// Collects the files of one run; [`Linter::finish`] runs the lint rules and returns the report.
#[derive(Debug, Default)]
pub struct Linter {
    options: LintOptions,
    files: Vec<LoadedFile>,
    unreadable: usize,
    roles: Vec<RoleDefinition>,
    /// Files of `--tenant` directories other than their role files (those are in `files`).
    tenant_files: usize,
    /// Every file read from a path so far, by canonical path (a file is linted once per run), with its index in
    /// `files` when it was loaded as a role file.
    seen: HashMap<PathBuf, Option<usize>>,
    findings: Vec<Finding>,
    /// The role assignments of Terraform files and plans, checked in [`Linter::finish`] against every role of
    /// the run.
    declared: Vec<tenant::terraform::Declared>,
    /// The role resources of Terraform files and plans, by address.
    role_addresses: Vec<tenant::terraform::DeclaredRole>,
}

impl Linter {
    /// An empty run with default options (the shipped catalog, warnings for unknown operations).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty run with `options`.
    pub fn with_options(options: LintOptions) -> Self {
        Linter { options, ..Self::default() }
    }

    /// The options of the run.
    pub fn options(&self) -> &LintOptions {
        &self.options
    }

    /// Loads one role-definition file; its load problems become findings now, the rules run in
    /// [`Linter::finish`] (some look across files, such as duplicate role names).
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) {
        self.add_source(name, bytes, false);
    }

    /// Reads the file at `path` and adds it as [`Linter::add_file`] does, named by the path as given; an
    /// unreadable file is recorded as [`Linter::add_unreadable`] does. A file this run has already read (the
    /// same file by canonical path: given twice, or one of a [`Linter::add_tenant`] directory's files) is
    /// skipped, so that its findings are not reported twice. Returns whether the file was added.
    pub fn add_path(&mut self, path: &Path) -> bool {
        let std::collections::hash_map::Entry::Vacant(slot) = self.seen.entry(canonical(path)) else {
            return false;
        };
        let name = path.display().to_string();
        match rolegate::internals::file::read_file(path, self.options.max_file_bytes()) {
            Ok(bytes) => {
                slot.insert(Some(self.files.len()));
                self.add_file(&name, &bytes);
            }
            Err(e) => {
                slot.insert(None);
                self.add_unreadable_file(path, &e);
            }
        }
        true
    }

    /// Loads one role-definition file. The load problems of a tenant's role file are not findings here: the
    /// tenant family reports them with those of the tenant's other files.
    fn add_source(&mut self, name: &str, bytes: &[u8], tenant: bool) {
        let sources::Input { source, parsed } = sources::read(name, bytes);
        let first_role = self.roles.len();
        let mut load_findings = Vec::new();
        let root = match parsed {
            sources::Parsed::Json(root) => {
                let doc = (!tenant).then(|| rolegate::internals::load::classify(&root));
                match doc {
                    Some(doc) if doc != Document::Roles => {
                        load_findings.push(not_a_role_file(name, doc, &source, &root));
                    }
                    _ => self.load_roles(&source, &root, None, tenant, &mut load_findings),
                }
                Some(root)
            }
            sources::Parsed::Converted(c) => {
                // The front end's RL311 notes follow the rule's switch, like the rule's own notes.
                let rl311 = !self.options.disabled_rules.contains(rules::TEMPLATE_EXPRESSION.code);
                let notes = c.notes.iter().filter(|d| rl311 || d.code.id != rules::TEMPLATE_EXPRESSION.code);
                self.load_roles(&source, &c.template, Some(c.pointer_root.as_ref()), tenant, &mut load_findings);
                if !tenant {
                    let roles = self.roles.get(first_role..).unwrap_or_default();
                    load_findings.extend(notes.map(|d| {
                        let mut d = d.clone();
                        // A plan's own notes (its assignments') point into it, as its roles' findings do.
                        d.pointer = c.pointer_root.as_ref().zip(d.span).map(|(r, span)| pointer_to(r, span));
                        let role = role_at(roles, d.span);
                        Finding::from_owned(d, role)
                    }));
                    self.declare(name, &source, first_role, c.role_addresses, c.assignments);
                }
                c.pointer_root
            }
            sources::Parsed::Failed(d) => {
                if !tenant {
                    load_findings.push(Finding::from_diagnostic(&d, None));
                }
                None
            }
        };
        self.files.push(LoadedFile { root, source, first_role, tenant, load_findings });
    }

    /// Keeps the role assignments and role resources a Terraform file or plan declares, for [`Linter::finish`].
    fn declare(
        &mut self,
        name: &str,
        source: &Arc<SourceText>,
        first_role: usize,
        addresses: Vec<(String, rolegate::diag::Span)>,
        assignments: Vec<sources::AssignmentParts>,
    ) {
        // Terraform resolves `azurerm_role_definition.NAME` within a module, which is a directory of `.tf` files;
        // a plan is one module tree of its own. The directory is resolved as the run's paths are, so that
        // `dir/a.tf` and `./dir/b.tf` are one module.
        let module = match sources::Format::of(name) {
            sources::Format::Terraform => {
                let dir = Path::new(name).parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                canonical(dir).display().to_string()
            }
            _ => name.to_owned(),
        };
        for (address, span) in addresses {
            let mut roles = self.roles.iter().enumerate().skip(first_role);
            // A role the loader could not read has no entry: an assignment naming it is then noted as not found.
            let found = roles.find(|(_, r)| Arc::ptr_eq(&r.origin.source, source) && r.origin.span == span);
            if let Some((role, _)) = found {
                self.role_addresses.push(tenant::terraform::DeclaredRole { module: module.clone(), address, role });
            }
        }
        self.declared.extend(assignments.into_iter().map(|parts| tenant::terraform::Declared {
            source: Arc::clone(source),
            module: module.clone(),
            parts,
        }));
    }

    /// Loads the roles of a parsed document; its load problems become findings unless the file is a tenant's.
    /// `pointer_root` is given for a converted file: the document its findings' JSON pointers lead into (none
    /// for a non-JSON file), instead of the converted tree.
    fn load_roles(
        &mut self,
        source: &Arc<SourceText>,
        root: &Value,
        pointer_root: Option<Option<&Value>>,
        tenant: bool,
        load_findings: &mut Vec<Finding>,
    ) {
        let loaded = load_roles_from_value(source, root);
        if !tenant {
            for d in &loaded.diagnostics {
                let role = role_at(&loaded.value, d.span);
                match pointer_root {
                    None => load_findings.push(Finding::from_diagnostic(d, role)),
                    Some(pointer_root) => {
                        let mut d = d.clone();
                        d.pointer = pointer_root.zip(d.span).map(|(r, span)| pointer_to(r, span));
                        load_findings.push(Finding::from_owned(d, role));
                    }
                }
            }
        }
        self.roles.extend(loaded.value);
    }

    /// Records a file that could not be read at all (a usage problem: exit code 2).
    pub fn add_unreadable(&mut self, name: &str, error: &std::io::Error) {
        let d =
            rolegate::Diagnostic::error(rolegate::diag::codes::UNREADABLE, format!("cannot read `{name}`: {error}"))
                .with_help("check the path and its permissions");
        self.add_unreadable_diagnostic(name, &d);
    }

    /// Records a path that is not a readable regular file of bounded size (a dangling link, a FIFO, a device, a
    /// file over the cap): exit code 2.
    pub fn add_unreadable_file(&mut self, path: &Path, error: &rolegate::internals::file::FileError) {
        self.add_unreadable_diagnostic(&path.display().to_string(), &error.diagnostic(path));
    }

    fn add_unreadable_diagnostic(&mut self, name: &str, d: &rolegate::Diagnostic) {
        self.unreadable += 1;
        let mut f = Finding::from_diagnostic(d, None);
        f.file = Some(name.to_owned());
        f.fingerprint = fingerprint(&f);
        self.findings.push(f);
    }

    /// Lints a tenant directory (`role-lint --tenant DIR`): the load problems of its files and the tenant rules
    /// (`RL4xx`) now; its role files join the run, so that [`Linter::finish`] runs the per-role rules over their
    /// roles too (named as the tenant loader names them, `DIR/roles.json`; built-in role definitions in them, as
    /// in an `az role definition list` export, are not linted: nobody can change them). The directory's files
    /// are linted once, however their paths are spelled and whether [`Linter::add_path`] named them before or
    /// after: a role file it already added becomes the tenant's (keeping the name it was given).
    pub fn add_tenant(&mut self, dir: &Path, cx: &tenant::TenantContext) {
        let run = tenant::lint_dir(dir, cx, self.options.max_file_bytes());
        self.findings.extend(run.findings);
        let mut role_files = 0;
        for path in &run.paths {
            let roles = run.role_paths.contains(path);
            let key = canonical(path);
            if let Some(known) = self.seen.get(&key).copied() {
                if let (true, Some(file)) = (roles, known.and_then(|i| self.files.get_mut(i))) {
                    file.tenant = true;
                    role_files += 1;
                }
                continue;
            }
            if !roles {
                self.seen.insert(key, None);
                continue;
            }
            match rolegate::internals::file::read_file(path, self.options.max_file_bytes()) {
                Ok(bytes) => {
                    self.seen.insert(key, Some(self.files.len()));
                    self.add_source(&path.display().to_string(), &bytes, true);
                }
                Err(e) => {
                    self.seen.insert(key, None);
                    self.add_unreadable_file(path, &e);
                }
            }
            role_files += 1;
        }
        self.tenant_files += run.files.saturating_sub(role_files);
    }

    /// Runs the rules over every role and finishes the run: findings in a deterministic order (file, position,
    /// code, message).
    pub fn finish(mut self) -> Report {
        for file in self.files.iter_mut().filter(|f| !f.tenant) {
            self.findings.append(&mut file.load_findings);
        }
        let analysis = analysis::Analysis::new(&self.options);
        let rules: Vec<&Rule> = RULES.iter().filter(|r| !self.options.disabled_rules.contains(r.code)).collect();
        for index in 0..self.roles.len() {
            let Some(cx) = rules::RoleCx::new(&self.roles, index, &analysis) else { continue };
            let file = self
                .files
                .iter()
                .rev()
                .find(|f| f.first_role <= index && Arc::ptr_eq(&f.source, &cx.role.origin.source));
            if file.is_some_and(|f| f.tenant) && cx.is_builtin() {
                continue;
            }
            let root = file.and_then(|f| f.root.as_ref());
            let mut hits = Vec::new();
            for rule in &rules {
                #[cfg(test)]
                tests::RULE_RUNS.with_borrow_mut(|runs| runs.push(rule.code));
                (rule.check)(&cx, &mut hits);
            }
            let label = cx.role.label();
            for hit in hits {
                let mut d = hit.diagnostic;
                d.role = Some(label.clone());
                if let (Some(root), Some(span)) = (root, d.span) {
                    d.pointer = Some(pointer_to(root, span));
                }
                let mut f = Finding::from_owned(d, Some(label.clone()));
                f.operations = hit.operations;
                self.findings.push(f);
            }
        }
        self.check_declared();
        report::sort_findings(&mut self.findings);
        let files = self.files.len() + self.unreadable + self.tenant_files;
        Report::new(files, self.roles.len(), self.findings)
    }

    /// Runs the tenant rules that hold without a tenant over the assignments of Terraform files and plans; their
    /// roles are found among the roles of the linted files, a `--tenant` directory's and the built-in roles.
    fn check_declared(&mut self) {
        if self.declared.is_empty() {
            return;
        }
        // A file's roles run from its `first_role` to the next file's.
        let (mut linted, mut tenant) = (Vec::new(), Vec::new());
        for (i, file) in self.files.iter().enumerate() {
            let end = self.files.get(i + 1).map_or(self.roles.len(), |next| next.first_role);
            if file.tenant { &mut tenant } else { &mut linted }.extend(file.first_role..end);
        }
        let run = tenant::terraform::Run {
            roles: &self.roles,
            linted: &linted,
            tenant: &tenant,
            addresses: &self.role_addresses,
            notes: !self.options.disabled_rules.contains(rules::TEMPLATE_EXPRESSION.code),
        };
        let mut found = tenant::terraform::check(&self.declared, &run);
        // A plan's findings get JSON pointers into it, as its roles' findings do.
        for f in &mut found {
            let file = self.files.iter().find(|l| Some(l.source.name()) == f.file.as_deref());
            if let (Some(root), Some(span)) = (file.and_then(|l| l.root.as_ref()), f.diagnostic.span) {
                let p = pointer_to(root, span);
                f.diagnostic.pointer = Some(p.clone());
                f.pointer = Some(p);
            }
        }
        self.findings.append(&mut found);
    }
}

/// The role a problem at `span` belongs to: the innermost of `roles` whose span holds it.
fn role_at(roles: &[RoleDefinition], span: Option<rolegate::diag::Span>) -> Option<String> {
    let span = span?;
    roles
        .iter()
        .filter(|r| r.origin.span.start <= span.start && span.end <= r.origin.span.end)
        .min_by_key(|r| r.origin.span.len())
        .map(RoleDefinition::label)
}

/// `RL021` for a JSON file that holds another document than role definitions: it is not linted.
fn not_a_role_file(name: &str, doc: Document, source: &Arc<SourceText>, root: &Value) -> Finding {
    // Linting a `package.json` or an assignments file as roles would only say that it is no role.
    let message = match doc {
        Document::Other => format!(
            "`{name}` is not an Azure RBAC role definition: it looks like {}; it is not linted",
            rolegate::internals::load::looks_like(root)
        ),
        _ => format!(
            "`{name}` holds {}, not role definitions; it is not linted",
            rolegate::internals::load::describe_document(doc)
        ),
    };
    let d = rolegate::Diagnostic::warning(rolegate::diag::codes::NOT_A_ROLE_FILE, message)
        .at(source, rolegate::diag::Span::new(root.span.start, root.span.start + 1))
        .with_help("lint role-definition files only (a role has `Actions` or `Permissions`)");
    Finding::from_diagnostic(&d, None)
}

/// The key under which a run remembers a file it has read: the canonical path, or the path as given when it
/// cannot be resolved (reading it will fail and say so).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The exit code for a report (semantics §5): 2 when an input could not be read, 1 when a finding is at or above
/// `fail_on`, else 0.
pub fn exit_code(report: &Report, fail_on: Severity) -> i32 {
    if report.findings().iter().any(|f| f.code == rolegate::diag::codes::UNREADABLE.id) {
        2
    } else if report.findings().iter().any(|f| f.severity >= fail_on) {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::cell::RefCell;

    use super::{LintOptions, Linter};

    thread_local! {
        /// The codes of the rules `Linter::finish` ran on this thread, one per role and rule.
        pub(crate) static RULE_RUNS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    }

    /// The rules that ran on one role equal to Reader, and the codes of its findings.
    fn run(options: LintOptions) -> (Vec<&'static str>, Vec<&'static str>) {
        RULE_RUNS.with_borrow_mut(Vec::clear);
        let mut linter = Linter::with_options(options);
        linter.add_file(
            "r.json",
            br#"{"Name": "Our Reader", "Actions": ["*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
        );
        let report = linter.finish();
        let codes = report.findings().iter().map(|f| f.code).collect();
        (RULE_RUNS.with_borrow_mut(std::mem::take), codes)
    }

    #[test]
    fn disabled_rules_do_not_run() {
        let (ran, found) = run(LintOptions::default());
        assert!(ran.contains(&"RL310") && ran.contains(&"RL305"), "{ran:?}");
        assert!(found.contains(&"RL310"), "{found:?}");
        let options = LintOptions { disabled_rules: ["RL310", "RL305"].into(), ..LintOptions::default() };
        let (ran, found) = run(options);
        assert!(!ran.contains(&"RL310") && !ran.contains(&"RL305"), "{ran:?}");
        assert!(ran.contains(&"RL202"), "{ran:?}");
        assert!(!found.contains(&"RL310"), "{found:?}");
    }
}
