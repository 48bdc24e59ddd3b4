//! The data model of an Azure RBAC tenant.
//!
//! Everything here is what the loaders produce: strings from the input are already parsed into typed values
//! (action patterns, scopes), and each value keeps the span it came from so that the linter can point at it
//! later. Odd but well-formed input is kept rather than rejected (semantics §2.2): a placeholder scope, an ARM
//! template expression, a malformed action each load as such and fail closed in the engine.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::action::ActionPattern;
use crate::scope::ScopeValue;
use crate::span::{SourceText, Span};

/// An opaque identifier (principal, group, role, assignment, management group, subscription), compared ASCII
/// case-insensitively (semantics §2.1). GUID syntax is not required; the original spelling is kept for display.
#[derive(Clone, Debug)]
pub struct Id(Arc<str>);

impl Id {
    /// Wraps a string.
    pub fn new(s: impl AsRef<str>) -> Self {
        Id(Arc::from(s.as_ref()))
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased key used for hashing and comparison.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// Whether `s` is a GUID as Azure writes them: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal digits of
/// either case.
pub fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() })
}

impl PartialEq for Id {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Id {}

impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Id {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The well-known id of the "Everyone" principal of deny assignments.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// Where a model value came from: a file and a span in it.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The source file.
    pub source: Arc<SourceText>,
    /// The span of the value (for a role: its whole object).
    pub span: Span,
}

impl Origin {
    /// The file name.
    pub fn file(&self) -> &str {
        self.source.name()
    }
}

/// A string with the span it was read from.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Its span in the source file.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with a span.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// A list from the input that may instead be one unresolved ARM template expression
/// (`"actions": "[parameters('actions')]"`, semantics §2.1). An expression contributes nothing to decisions.
#[derive(Clone, Debug)]
pub enum Entries<T> {
    /// An ordinary array.
    List(Vec<T>),
    /// The whole array is a template expression, kept verbatim.
    Template(Spanned<String>),
}

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries::List(Vec::new())
    }
}

impl<T> Entries<T> {
    /// The entries of an ordinary array; none for a template expression.
    pub fn items(&self) -> &[T] {
        match self {
            Entries::List(v) => v,
            Entries::Template(_) => &[],
        }
    }

    /// Whether this is a template expression.
    pub fn is_template(&self) -> bool {
        matches!(self, Entries::Template(_))
    }
}

/// One entry of `Actions`, `NotActions`, `DataActions` or `NotDataActions`.
#[derive(Clone, Debug)]
pub struct Action {
    /// The string as written in the file.
    pub raw: String,
    /// The span of the JSON string (quotes included).
    pub span: Span,
    /// What it was read as.
    pub kind: ActionKind,
}

/// How an action entry was read.
#[derive(Clone, Debug)]
pub enum ActionKind {
    /// A pattern, or a malformed string that matches nothing.
    Pattern(ActionPattern),
    /// An ARM template expression (`[parameters('x')]`) in an ARM template; matches nothing until deployed.
    Template,
}

impl Action {
    /// The usable pattern, if the entry is one.
    pub fn pattern(&self) -> Option<&crate::matcher::Pattern> {
        match &self.kind {
            ActionKind::Pattern(p) => p.pattern(),
            ActionKind::Template => None,
        }
    }

    /// Whether the entry matches `op` (never, for malformed entries and template expressions).
    pub fn matches(&self, op: &str) -> bool {
        self.pattern().is_some_and(|p| p.matches(op))
    }

    /// Whether the entry is usable as a pattern.
    pub fn is_valid(&self) -> bool {
        self.pattern().is_some()
    }
}

/// A scope string from the input, with what it was read as (parsed, placeholder, template or malformed).
#[derive(Clone, Debug)]
pub struct ScopeEntry {
    /// The string as written.
    pub raw: String,
    /// The span of the JSON string (quotes included).
    pub span: Span,
    /// What it was read as.
    pub value: ScopeValue,
}

impl ScopeEntry {
    /// The parsed scope, if it is one.
    pub fn scope(&self) -> Option<&crate::scope::Scope> {
        match &self.value {
            ScopeValue::Parsed(p) => Some(&p.scope),
            _ => None,
        }
    }
}

/// Built-in or custom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoleType {
    /// `BuiltInRole` / `IsCustom: false`.
    BuiltIn,
    /// `CustomRole` / `IsCustom: true` (the default when the input does not say).
    Custom,
}

/// Which of the five role-definition shapes of semantics §2.1 a role was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoleShape {
    /// `az role definition create` input: PascalCase, flat, `Name` is the display name.
    CreateInput,
    /// `az role definition list` output: camelCase, `roleName`, `permissions[]`, `name` is the GUID.
    CliList,
    /// ARM REST: `{id, name, type, properties: {...}}`.
    Rest,
    /// Azure PowerShell `Get-AzRoleDefinition | ConvertTo-Json`: flat `Name`, `Id`, `IsCustom`, or
    /// `Permissions[]`.
    PowerShell,
    /// A `Microsoft.Authorization/roleDefinitions` resource of an ARM template or compiled Bicep.
    ArmTemplate,
}

impl RoleShape {
    /// Every shape.
    pub const ALL: [RoleShape; 5] =
        [RoleShape::CreateInput, RoleShape::CliList, RoleShape::Rest, RoleShape::PowerShell, RoleShape::ArmTemplate];

    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            RoleShape::CreateInput => "create-input",
            RoleShape::CliList => "cli-list",
            RoleShape::Rest => "rest",
            RoleShape::PowerShell => "powershell",
            RoleShape::ArmTemplate => "arm-template",
        }
    }
}

/// One permission block of a role (or of a deny assignment).
#[derive(Clone, Debug, Default)]
pub struct Permission {
    /// Control-plane grants.
    pub actions: Entries<Action>,
    /// Control-plane exclusions (not denies).
    pub not_actions: Entries<Action>,
    /// Data-plane grants.
    pub data_actions: Entries<Action>,
    /// Data-plane exclusions.
    pub not_data_actions: Entries<Action>,
    /// ABAC condition on this block.
    pub condition: Option<Spanned<String>>,
    /// Condition version (`"2.0"`).
    pub condition_version: Option<Spanned<String>>,
    /// The block's span (for a flat role, the role object's span).
    pub span: Span,
    /// The block's keys stood at the role's top level (flat create-input / PowerShell shape).
    pub flat: bool,
}

/// A role definition.
#[derive(Clone, Debug)]
pub struct RoleDefinition {
    /// The role's GUID (`name` in REST/CLI output, `Id` in PowerShell); absent in create input.
    pub id: Option<Id>,
    /// The full resource id, when the shape carries one.
    pub resource_id: Option<String>,
    /// Display name (`roleName` / `Name`).
    pub name: Option<Spanned<String>>,
    /// Description.
    pub description: Option<Spanned<String>>,
    /// Built-in or custom.
    pub role_type: RoleType,
    /// The role-type value as written (`"BuiltInRole"`, `"customRole"`, `true`), for the linter.
    pub role_type_raw: Option<Spanned<String>>,
    /// Permission blocks.
    pub permissions: Vec<Permission>,
    /// Where the role may be assigned; `None` when the input has no such key.
    pub assignable_scopes: Option<Entries<ScopeEntry>>,
    /// The shape it was read from.
    pub shape: RoleShape,
    /// Where it was read from.
    pub origin: Origin,
}

impl RoleDefinition {
    /// The display name, or `""`.
    pub fn display_name(&self) -> &str {
        self.name.as_ref().map_or("", |n| n.value.as_str())
    }

    /// A short label for messages: the display name, else the id, else `<unnamed role>`.
    pub fn label(&self) -> String {
        match (&self.name, &self.id) {
            (Some(n), _) if !n.value.is_empty() => n.value.clone(),
            (_, Some(id)) => id.to_string(),
            _ => "<unnamed role>".to_owned(),
        }
    }
}

/// Principal kinds (`principalType`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PrincipalType {
    /// A user.
    User,
    /// A security group.
    Group,
    /// A service principal or managed identity.
    ServicePrincipal,
    /// A group of another tenant (CSP).
    ForeignGroup,
    /// A device.
    Device,
    /// The Everyone principal of deny assignments.
    SystemDefined,
    /// Any other value, kept verbatim (`Unknown` for deleted principals, say).
    Other(String),
}

impl PrincipalType {
    /// Reads a `principalType` value (ASCII case-insensitive).
    pub fn parse(s: &str) -> PrincipalType {
        const KNOWN: [(&str, PrincipalType); 6] = [
            ("User", PrincipalType::User),
            ("Group", PrincipalType::Group),
            ("ServicePrincipal", PrincipalType::ServicePrincipal),
            ("ForeignGroup", PrincipalType::ForeignGroup),
            ("Device", PrincipalType::Device),
            ("SystemDefined", PrincipalType::SystemDefined),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map_or_else(|| PrincipalType::Other(s.to_owned()), |(_, t)| t.clone())
    }

    /// The canonical spelling.
    pub fn as_str(&self) -> &str {
        match self {
            PrincipalType::User => "User",
            PrincipalType::Group => "Group",
            PrincipalType::ServicePrincipal => "ServicePrincipal",
            PrincipalType::ForeignGroup => "ForeignGroup",
            PrincipalType::Device => "Device",
            PrincipalType::SystemDefined => "SystemDefined",
            PrincipalType::Other(s) => s,
        }
    }
}

/// A principal reference (in deny assignments).
#[derive(Clone, Debug)]
pub struct Principal {
    /// Object id.
    pub id: Id,
    /// Declared type.
    pub principal_type: Option<PrincipalType>,
    /// Where it was written.
    pub span: Span,
}

impl Principal {
    /// Whether this is the Everyone principal (the zero GUID).
    pub fn is_everyone(&self) -> bool {
        self.id.as_str().eq_ignore_ascii_case(EVERYONE)
    }
}

/// A role assignment.
#[derive(Clone, Debug)]
pub struct RoleAssignment {
    /// Assignment GUID (`name`), when given.
    pub id: Option<Id>,
    /// Full resource id, when given.
    pub resource_id: Option<String>,
    /// The principal.
    pub principal_id: Id,
    /// Declared principal type.
    pub principal_type: Option<PrincipalType>,
    /// The role's GUID, from the trailing segment of `roleDefinitionId`.
    pub role_id: Id,
    /// `roleDefinitionId` as written.
    pub role_definition_raw: Spanned<String>,
    /// Where it applies.
    pub scope: ScopeEntry,
    /// ABAC condition.
    pub condition: Option<Spanned<String>>,
    /// Condition version.
    pub condition_version: Option<Spanned<String>>,
    /// Description.
    pub description: Option<String>,
    /// Where it was read from.
    pub origin: Origin,
}

/// Whether a deny assignment blocks or only reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DenyEffect {
    /// Blocks (the default).
    #[default]
    Enforced,
    /// Reported but never blocks.
    Audit,
}

/// A deny assignment.
#[derive(Clone, Debug)]
pub struct DenyAssignment {
    /// Deny assignment id (`name`, else the resource id).
    pub id: Option<Id>,
    /// Full resource id.
    pub resource_id: Option<String>,
    /// `denyAssignmentName`.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// What it denies.
    pub permissions: Vec<Permission>,
    /// Where it applies.
    pub scope: ScopeEntry,
    /// Applies only at `scope` itself.
    pub do_not_apply_to_child_scopes: bool,
    /// Whom it applies to.
    pub principals: Vec<Principal>,
    /// Whom it spares.
    pub exclude_principals: Vec<Principal>,
    /// Enforced or audit.
    pub effect: DenyEffect,
    /// Assignment-level condition.
    pub condition: Option<Spanned<String>>,
    /// Condition version.
    pub condition_version: Option<Spanned<String>>,
    /// Where it was read from.
    pub origin: Origin,
}

/// Group memberships: group → direct members (users, service principals or groups). Cycles are allowed here;
/// the engine tolerates them.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// `(group, members)` in file order.
    pub groups: Vec<(Id, Vec<Id>)>,
}

/// The management-group tree and where subscriptions hang in it.
#[derive(Clone, Debug, Default)]
pub struct Hierarchy {
    /// The tenant root management group's id (the tenant id).
    pub tenant_id: Option<Id>,
    /// Management group → parent (None: directly under the root).
    pub management_groups: Vec<(Id, Option<Id>)>,
    /// Subscription → management group.
    pub subscriptions: Vec<(Id, Id)>,
}

/// Everything a decision depends on.
#[derive(Clone, Debug, Default)]
pub struct Tenant {
    /// Role definitions: the built-in snapshot plus the tenant's own (a tenant role with a built-in's id
    /// replaces it).
    pub roles: Vec<RoleDefinition>,
    /// Role assignments.
    pub assignments: Vec<RoleAssignment>,
    /// Deny assignments.
    pub deny_assignments: Vec<DenyAssignment>,
    /// Group memberships.
    pub groups: Groups,
    /// Management-group hierarchy.
    pub hierarchy: Hierarchy,
}

impl Tenant {
    /// The role with this id.
    pub fn role(&self, id: &Id) -> Option<&RoleDefinition> {
        self.roles.iter().find(|r| r.id.as_ref() == Some(id))
    }
}
