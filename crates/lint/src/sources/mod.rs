//! Front ends for inputs that are not role JSON: each turns its file into rolegate's JSON tree shaped like an ARM
//! template, with spans into the original text, so that the loader and every rule work unchanged and findings
//! point into the file as written.

mod bicep;
mod plan;
mod terraform;

use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::{SourceText, Span};
use rolegate::internals::json::{Kind, Member, Value};
use rolegate::internals::load::parse_source;
use rolegate::model::Spanned;

/// The resource type of a custom role in the azurerm provider.
pub(crate) const ROLE_RESOURCE: &str = "azurerm_role_definition";

/// The resource type of a role assignment in the azurerm provider.
pub(crate) const ASSIGNMENT_RESOURCE: &str = "azurerm_role_assignment";

/// The attributes of an `azurerm_role_definition` that identify it where an assignment's `role_definition_id`
/// names it (`id` is the provider's `ID|SCOPE` pair, but it names the role as surely).
pub(crate) const ROLE_ID_ATTRIBUTES: &[&str] = &["role_definition_resource_id", "role_definition_id", "id"];

/// How a file is read, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Role JSON in any shape of semantics §2.1, or a `terraform show -json` plan.
    Json,
    /// Terraform configuration (`*.tf`).
    Terraform,
    /// Bicep source (`*.bicep`).
    Bicep,
}

impl Format {
    /// The format of the file named `name`: by extension, JSON unless another front end claims it.
    pub(crate) fn of(name: &str) -> Format {
        let ext = std::path::Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or_default();
        if ext.eq_ignore_ascii_case("tf") {
            Format::Terraform
        } else if ext.eq_ignore_ascii_case("bicep") {
            Format::Bicep
        } else {
            Format::Json
        }
    }
}

/// A file as its front end read it.
#[derive(Debug)]
pub(crate) struct Input {
    /// The file's text: every span below points into it.
    pub source: Arc<SourceText>,
    /// What the file holds.
    pub parsed: Parsed,
}

/// What a front end made of a file.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A JSON document, classified and loaded as ever.
    Json(Value),
    /// A file converted to an ARM-template tree for the loader.
    Converted(Converted),
    /// The file could not be parsed: one located diagnostic.
    Failed(Diagnostic),
}

/// A file converted to the ARM-template shape.
#[derive(Debug)]
pub(crate) struct Converted {
    /// `{"$schema": ..., "resources": [...]}` with spans into the original file.
    pub template: Value,
    /// The document that JSON pointers of findings lead into: the plan itself, or none for a non-JSON file.
    pub pointer_root: Option<Value>,
    /// The front end's own findings: what it did not evaluate (Terraform `for_each`, `count`, `dynamic` blocks,
    /// Bicep loops, conditions and spreads, role assignments left out: RL311 notes), arguments it does not know
    /// (RL003), a role assignment Terraform would refuse (RL005, RL011), a file without role definitions (RL021).
    pub notes: Vec<Diagnostic>,
    /// The role-definition resources by address (`azurerm_role_definition.NAME`), with the span of each: the span
    /// of the role the loader reads from it, so that an assignment naming the resource finds its role.
    pub role_addresses: Vec<(String, Span)>,
    /// The role assignments whose role and scope are literal (or name a role resource), for the tenant rules
    /// that hold without a tenant.
    pub assignments: Vec<AssignmentParts>,
}

/// A role assignment a front end read (`azurerm_role_assignment`), its role still to be found among the run's
/// roles. Strings are spanned in the original file.
#[derive(Clone, Debug)]
pub(crate) struct AssignmentParts {
    /// The resource's address, for messages: `azurerm_role_assignment.NAME`.
    pub address: String,
    /// How the role is named.
    pub role: RoleRef,
    /// `scope`, a literal.
    pub scope: Spanned<String>,
    /// `principal_id`: the literal, or the expression's text (it only names the assignment in messages).
    pub principal_id: Spanned<String>,
    /// `principal_type`.
    pub principal_type: Option<Spanned<String>>,
    /// `condition`, a literal string.
    pub condition: Option<Spanned<String>>,
    /// `condition_version`.
    pub condition_version: Option<Spanned<String>>,
    /// `name`, the assignment's GUID.
    pub name: Option<Spanned<String>>,
    /// The whole resource.
    pub span: Span,
}

/// How an assignment names its role.
#[derive(Clone, Debug)]
pub(crate) enum RoleRef {
    /// `role_definition_id` as written: a role-definition resource id (or a bare GUID).
    Id(Spanned<String>),
    /// `role_definition_name`: a role's display name.
    Name(Spanned<String>),
    /// A reference to a role-definition resource of the same configuration, by its address
    /// (`azurerm_role_definition.NAME`), spanning the reference.
    Resource(Spanned<String>),
}

/// A non-JSON source's text and, when its bytes are not UTF-8, the `RL000` at the first bad byte, `format` naming
/// the file's kind ("Bicep"). The front ends refuse such a file whole rather than lint a lossy copy of it.
pub(crate) fn decode(name: &str, bytes: &[u8], format: &str) -> (Arc<SourceText>, Option<Diagnostic>) {
    let (text, invalid) = match std::str::from_utf8(bytes) {
        Ok(t) => (t.to_owned(), None),
        Err(e) => (String::from_utf8_lossy(bytes).into_owned(), Some(e.valid_up_to())),
    };
    let source = Arc::new(SourceText::new(name, text));
    let Some(at) = invalid else { return (source, None) };
    let byte = bytes.get(at).copied().unwrap_or_default();
    // In the lossy text the invalid byte became U+FFFD (3 bytes) at the same offset.
    let d = Diagnostic::error(
        rolegate::diag::codes::INVALID_JSON,
        format!("invalid {format} file: byte `0x{byte:02x}` is not UTF-8"),
    )
    .at(&source, Span::new(at, at + '\u{fffd}'.len_utf8()))
    .with_label("not UTF-8")
    .with_help(format!("save the file as UTF-8, as {format} requires"));
    (source, Some(d))
}

/// Reads one file with the front end its extension (and, for JSON, its content) calls for.
pub(crate) fn read(name: &str, bytes: &[u8]) -> Input {
    match Format::of(name) {
        Format::Terraform => terraform::read(name, bytes),
        Format::Bicep => bicep::read(name, bytes),
        Format::Json => {
            let (source, parsed) = parse_source(name, bytes);
            let parsed = match parsed {
                // A plan must be caught before the classifier, which would call it no role file.
                Ok(root) if plan::is_plan(&root) => Parsed::Converted(plan::convert(&source, root)),
                Ok(root) => Parsed::Json(root),
                Err(d) => Parsed::Failed(d),
            };
            Input { source, parsed }
        }
    }
}

/// The template expression standing for the unevaluated expression `text` at `span`: a string `[...]`, which
/// the loader keeps unevaluated in an ARM-template role and rule RL311 notes.
pub(crate) fn expression(text: &str, span: Span) -> Value {
    // `[[` is ARM's escape of a literal bracket, so an expression that itself opens with `[` gets a space.
    let sep = if text.starts_with('[') { " " } else { "" };
    string(format!("[{sep}{}]", text.trim()), span)
}

/// A JSON string value.
pub(crate) fn string(s: impl Into<String>, span: Span) -> Value {
    Value { kind: Kind::String(s.into()), span }
}

/// A member `key: value`, its key at `key_span`.
pub(crate) fn member(key: &str, key_span: Span, value: Value) -> Member {
    Member { key: key.to_owned(), key_span, value }
}

/// The parts of one role-definition resource, ready for [`arm_resource`].
#[derive(Debug, Default)]
pub(crate) struct RoleParts {
    /// The role's GUID (`name` of the resource).
    pub id: Option<Member>,
    /// The display name (`roleName`).
    pub role_name: Option<Member>,
    /// `description`.
    pub description: Option<Member>,
    /// Permission blocks: objects with `actions`, `notActions`, `dataActions`, `notDataActions`.
    pub permissions: Vec<Value>,
    /// Where the permission blocks are (for the `permissions` array); `None` when there are none.
    pub permissions_span: Option<Span>,
    /// `assignableScopes`.
    pub assignable_scopes: Option<Member>,
}

/// A `Microsoft.Authorization/roleDefinitions` resource of an ARM template, spanning `span` (the resource as
/// written in its own format).
pub(crate) fn arm_resource(parts: RoleParts, span: Span) -> Value {
    let at = Span::point(span.start);
    let mut members = vec![
        member("type", at, string("Microsoft.Authorization/roleDefinitions", at)),
        member("apiVersion", at, string("2022-04-01", at)),
    ];
    members.extend(parts.id);
    let mut props: Vec<Member> = parts.role_name.into_iter().chain(parts.description).collect();
    if let Some(list_span) = parts.permissions_span {
        let list = Value { kind: Kind::Array(parts.permissions), span: list_span };
        props.push(member("permissions", Span::point(list_span.start), list));
    }
    props.extend(parts.assignable_scopes);
    members.push(member("properties", at, Value { kind: Kind::Object(props), span }));
    Value { kind: Kind::Object(members), span }
}

/// An ARM template holding `resources`, spanning the whole file.
pub(crate) fn arm_template(resources: Vec<Value>, span: Span) -> Value {
    let at = Span::point(span.start);
    let schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
    Value {
        kind: Kind::Object(vec![
            member("$schema", at, string(schema, at)),
            member("resources", at, Value { kind: Kind::Array(resources), span }),
        ]),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::of("roles/x.bicep"), Format::Bicep);
        assert_eq!(Format::of("X.BICEP"), Format::Bicep);
        assert_eq!(Format::of("x.json"), Format::Json);
        assert_eq!(Format::of("bicep"), Format::Json);
        assert_eq!(Format::of("x.bicep.json"), Format::Json);
    }
}
