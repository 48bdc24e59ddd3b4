//! Options of a run: what a config file or the command line can change.

use std::collections::BTreeSet;
use std::sync::Arc;

use rolegate::catalog::Catalog;

/// The sensitive-operation categories of `roles/sensitive-operations.json` (semantics §4, "it grants more than it
/// looks"). Each has its own rule code, so that a config can set its severity or suppress it separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Grants or widens access (`roleAssignments/write`, `roleDefinitions/write`, `elevateAccess/action`).
    PrivilegeEscalation,
    /// Returns or resets keys, secrets, tokens (`listKeys/action`, `listsecrets/action`, `token/action`).
    CredentialExposure,
    /// Runs code on compute (`runCommand/action`, `extensions/write`).
    CodeExecution,
    /// Attaches or federates a managed identity (`assign/action`, `federatedIdentityCredentials/write`).
    IdentityHijack,
    /// Removes guard rails (policy assignments and exemptions, `locks/delete`, `diagnosticSettings/delete`).
    GovernanceBypass,
    /// Reads or changes the data itself (Key Vault secrets, blobs).
    DataAccess,
    /// Read operations that return secrets (`workspaces/metadata/secrets/read`).
    SecretRead,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 7] = [
        Category::PrivilegeEscalation,
        Category::CredentialExposure,
        Category::CodeExecution,
        Category::IdentityHijack,
        Category::GovernanceBypass,
        Category::DataAccess,
        Category::SecretRead,
    ];

    /// Kebab-case name, as in the data file and in config (`credential-exposure`).
    pub fn name(self) -> &'static str {
        match self {
            Category::PrivilegeEscalation => "privilege-escalation",
            Category::CredentialExposure => "credential-exposure",
            Category::CodeExecution => "code-execution",
            Category::IdentityHijack => "identity-hijack",
            Category::GovernanceBypass => "governance-bypass",
            Category::DataAccess => "data-access",
            Category::SecretRead => "secret-read",
        }
    }

    /// Human wording for messages (`privilege escalation`).
    pub fn words(self) -> &'static str {
        match self {
            Category::PrivilegeEscalation => "privilege escalation",
            Category::CredentialExposure => "credential exposure",
            Category::CodeExecution => "code execution",
            Category::IdentityHijack => "identity hijack",
            Category::GovernanceBypass => "governance bypass",
            Category::DataAccess => "data access",
            Category::SecretRead => "secret-returning reads",
        }
    }

    /// Looks a category up by its kebab-case name (ASCII case-insensitive).
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The category's bit in a category set.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// One line of a `--forbid` file: an operation or pattern that no role of the run may make reachable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForbiddenOperation {
    /// The operation or pattern as written (trimmed).
    pub pattern: String,
    /// Where it was written (`ops.txt:3`), for messages.
    pub origin: Option<String>,
}

/// Reads a `--forbid` file: one operation or pattern per line; blank lines and `#` comments are skipped.
///
/// ```
/// let ops = rolegate_lint::parse_forbid_list("ops.txt", "# keep these out\nMicrosoft.Authorization/*/write\n\n");
/// assert_eq!(ops.len(), 1);
/// assert_eq!(ops[0].origin.as_deref(), Some("ops.txt:2"));
/// ```
pub fn parse_forbid_list(name: &str, text: &str) -> Vec<ForbiddenOperation> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.split('#').next().unwrap_or_default().trim();
            (!line.is_empty())
                .then(|| ForbiddenOperation { pattern: line.to_owned(), origin: Some(format!("{name}:{}", i + 1)) })
        })
        .collect()
}

/// What a run can be told: set by the command line and by `role-lint.toml`.
///
/// ```
/// use rolegate_lint::{Category, LintOptions, Linter};
///
/// let options = LintOptions {
///     strict_catalog: true,
///     extra_sensitive: vec![(Category::CredentialExposure, "Contoso.Widgets/*/unlock/action".into())],
///     ..LintOptions::default()
/// };
/// let mut linter = Linter::with_options(options);
/// linter.add_file("r.json", br#"{"Name": "r", "Actions": ["Contoso.Widgets/w/unlock/action"],
///     "AssignableScopes": ["/subscriptions/s"]}"#);
/// let report = linter.finish();
/// let codes: Vec<_> = report.findings().iter().map(|f| f.code).collect();
/// assert!(codes.contains(&"RL204"), "{codes:?}"); // credential exposure, from the extra entry
/// assert!(codes.contains(&"RL300"), "{codes:?}"); // not in the catalog: an error under strict_catalog
/// ```
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// An operation the catalog does not list is an error (`--strict-catalog`), not a warning.
    pub strict_catalog: bool,
    /// The catalog to expand wildcards against (`--catalog FILE`); `None`: the shipped snapshot. Its
    /// [`Catalog::date`] is named in reports (`unknown date` when `None`).
    pub catalog: Option<Arc<Catalog>>,
    /// Extra sensitive entries per category (patterns, matched with the one matcher), on top of
    /// `roles/sensitive-operations.json`.
    pub extra_sensitive: Vec<(Category, String)>,
    /// Operations that must not become reachable (`--forbid ops.txt`): any role of the run that effectively
    /// grants one is an error, `RL211`.
    pub forbid: Vec<ForbiddenOperation>,
    /// Rules that do not run at all (codes, `RL310`): those a config sets to `"allow"`. Their findings would be
    /// dropped anyway; skipping them saves their work (RL310 compares every role with every built-in).
    pub disabled_rules: BTreeSet<&'static str>,
    /// The cap on one input file's size (`--max-file-size`); `None`:
    /// [`DEFAULT_MAX_FILE_BYTES`](rolegate::load::DEFAULT_MAX_FILE_BYTES).
    pub max_file_bytes: Option<u64>,
}

impl LintOptions {
    /// The cap on one input file's size in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes.unwrap_or(rolegate::load::DEFAULT_MAX_FILE_BYTES)
    }
}
