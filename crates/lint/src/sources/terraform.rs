//! Terraform configuration (`*.tf`): each `azurerm_role_definition` resource becomes an ARM-template role whose
//! spans point into the `.tf` text. Literal values are read as written; anything Terraform would have to evaluate
//! (`var.x`, `"${...}"`, function calls, heredocs) becomes a template expression, which the loader keeps and
//! rule RL311 notes. Other blocks are skipped: a Terraform directory holds much besides roles.

use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body};
use rolegate::Diagnostic;
use rolegate::diag::{SourceText, Span, codes};
use rolegate::internals::diag::excerpt;
use rolegate::internals::json::{Kind, Member, Value};
use rolegate::model::Spanned;

use super::{
    ASSIGNMENT_RESOURCE, AssignmentParts, Converted, Input, Parsed, ROLE_ID_ATTRIBUTES, ROLE_RESOURCE, RoleParts,
    RoleRef, arm_resource, arm_template, expression, member,
};
use crate::rules::TEMPLATE_EXPRESSION;

/// `permissions` attributes and the ARM keys they become.
const PERMISSION_KEYS: [(&str, &str); 4] = [
    ("actions", "actions"),
    ("not_actions", "notActions"),
    ("data_actions", "dataActions"),
    ("not_data_actions", "notDataActions"),
];

/// The arguments of `azurerm_role_assignment` (besides meta-arguments).
const ASSIGNMENT_ARGUMENTS: &[&str] = &[
    "name",
    "scope",
    "role_definition_id",
    "role_definition_name",
    "principal_id",
    "principal_type",
    "condition",
    "condition_version",
    "delegated_managed_identity_resource_id",
    "description",
    "skip_service_principal_aad_check",
];

/// The arguments of `azurerm_role_definition` (besides meta-arguments).
const ROLE_ARGUMENTS: &[&str] =
    &["name", "scope", "description", "permissions", "assignable_scopes", "role_definition_id"];

/// Reads a `.tf` file.
pub(super) fn read(name: &str, bytes: &[u8]) -> Input {
    let (source, not_utf8) = super::decode(name, bytes, "Terraform");
    if let Some(d) = not_utf8 {
        return Input { source, parsed: Parsed::Failed(d) };
    }
    let parsed = convert(&source);
    Input { source, parsed }
}

fn convert(source: &Arc<SourceText>) -> Parsed {
    let full = source.text();
    // Terraform skips a byte order mark; hcl-edit does not, so parse after it and shift every span back.
    let base = if full.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let text = full.get(base..).unwrap_or_default();
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(e) => return Parsed::Failed(parse_error(source, base, &e)),
    };
    let mut cx = Cx { source, base, notes: Vec::new() };
    let mut resources = Vec::new();
    let mut role_addresses = Vec::new();
    for block in resources_of(&body, ROLE_RESOURCE) {
        let role = cx.role(block);
        if let Some(name) = block.labels.get(1) {
            role_addresses.push((format!("{ROLE_RESOURCE}.{}", name.as_str()), role.span));
        }
        resources.push(role);
    }
    let assignments = resources_of(&body, ASSIGNMENT_RESOURCE).filter_map(|block| cx.assignment(block)).collect();
    let template = arm_template(resources, Span::new(0, full.len()));
    Parsed::Converted(Converted { template, pointer_root: None, notes: cx.notes, role_addresses, assignments })
}

/// The `resource "TYPE" "NAME"` blocks of a body.
fn resources_of<'b>(body: &'b Body, kind: &'static str) -> impl Iterator<Item = &'b Block> {
    body.blocks()
        .filter(move |b| b.ident.as_str() == "resource" && b.labels.first().is_some_and(|l| l.as_str() == kind))
}

fn parse_error(source: &Arc<SourceText>, base: usize, e: &hcl_edit::parser::Error) -> Diagnostic {
    let text = source.text();
    let at = (base + e.location().offset()).min(text.len());
    let found = text.get(at..).and_then(|rest| rest.chars().next());
    let end = at + found.map_or(0, char::len_utf8);
    let what = match found {
        Some(c) if !c.is_control() => format!(" at `{}`", excerpt(&c.to_string())),
        Some(c) => format!(" at {c:?}"),
        None => " at the end of the file".to_owned(),
    };
    // hcl-edit's message lists what it expected, sometimes over several lines.
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    Diagnostic::error(codes::INVALID_JSON, format!("invalid Terraform (HCL){what}: {message}"))
        .at(source, Span::new(at, end))
        .with_label("here")
        .with_help("fix the syntax (`terraform validate` reports the same); nothing in this file is linted until then")
}

/// One file's conversion: its text and the notes gathered so far.
struct Cx<'a> {
    source: &'a Arc<SourceText>,
    /// Where the parsed text starts in the file (after a byte order mark).
    base: usize,
    notes: Vec<Diagnostic>,
}

impl Cx<'_> {
    /// The file span of something hcl-edit parsed, or `fallback` for one without a span.
    fn span(&self, range: Option<std::ops::Range<usize>>, fallback: Span) -> Span {
        range.map_or(fallback, |r| Span::new(self.base + r.start, self.base + r.end))
    }

    fn note(&mut self, span: Span, message: String) {
        self.notes.push(
            Diagnostic::new(TEMPLATE_EXPRESSION.diag_code(), TEMPLATE_EXPRESSION.severity, message)
                .at(self.source, span)
                .with_label("not evaluated")
                .with_help(
                    "lint the plan (`terraform show -json PLANFILE`), where Terraform has evaluated it, as well",
                ),
        );
    }

    /// `RL003` for an argument this front end does not know: Terraform refuses it, and it is not read.
    fn unknown(&mut self, key: &str, span: Span, what: &str, accepted: &[&str]) {
        self.notes.push(
            Diagnostic::warning(codes::UNKNOWN_KEY, format!("unknown argument `{}` in `{what}`", excerpt(key)))
                .at(self.source, span)
                .with_label("ignored")
                .with_help(format!("Terraform rejects it; accepted here: {}", accepted.join(", "))),
        );
    }

    fn role(&mut self, block: &Block) -> Value {
        let span = self.span(block.span(), Span::point(0));
        let mut parts = RoleParts::default();
        let mut scope = None;
        for attr in block.body.attributes() {
            let key_span = self.span(attr.key.span(), span);
            let key = attr.key.as_str();
            match key {
                "name" => parts.role_name = Some(member("roleName", key_span, self.value(attr))),
                "description" => parts.description = Some(member("description", key_span, self.value(attr))),
                "role_definition_id" => parts.id = Some(member("name", key_span, self.value(attr))),
                "assignable_scopes" => {
                    parts.assignable_scopes = Some(member("assignableScopes", key_span, self.value(attr)));
                }
                "scope" => scope = Some(self.value(attr)),
                "count" | "for_each" => {
                    let at = self.span(attr.span(), key_span);
                    self.note(at, format!("`{key}` is not evaluated: the role is linted once, as written"));
                }
                "provider" | "depends_on" => {}
                _ => self.unknown(key, key_span, ROLE_RESOURCE, ROLE_ARGUMENTS),
            }
        }
        // The provider makes a role assignable at its `scope` when `assignable_scopes` is left out or empty.
        let empty = |m: &Member| m.value.as_array().is_some_and(<[Value]>::is_empty) || m.value.is_null();
        if parts.assignable_scopes.as_ref().is_none_or(empty)
            && let Some(scope) = scope
        {
            let at = scope.span;
            parts.assignable_scopes =
                Some(member("assignableScopes", at, Value { kind: Kind::Array(vec![scope]), span: at }));
        }
        for b in block.body.blocks() {
            let b_span = self.span(b.span(), span);
            match b.ident.as_str() {
                "permissions" => parts.permissions.push(self.permission(&b.body, b_span)),
                "dynamic" if b.labels.first().is_some_and(|l| l.as_str() == "permissions") => {
                    self.note(
                        b_span,
                        "`dynamic \"permissions\"` is not evaluated: its `content` is linted as one permission block"
                            .to_owned(),
                    );
                    for content in b.body.blocks().filter(|c| c.ident.as_str() == "content") {
                        let c_span = self.span(content.span(), b_span);
                        parts.permissions.push(self.permission(&content.body, c_span));
                    }
                }
                // Meta-argument blocks: they change how Terraform manages the role, not what it grants.
                "lifecycle" | "timeouts" | "provisioner" | "connection" => continue,
                other => {
                    let at = self.span(b.ident.span(), b_span);
                    self.unknown(other, at, ROLE_RESOURCE, ROLE_ARGUMENTS);
                    continue;
                }
            }
            parts.permissions_span = Some(parts.permissions_span.map_or(b_span, |s| s.join(b_span)));
        }
        arm_resource(parts, span)
    }

    /// An `azurerm_role_assignment` block, when its scope and role can be read without Terraform. One that names
    /// them with expressions, or that `count` or `for_each` repeats, is noted (`RL311`) and left out; one that
    /// Terraform would refuse (a required argument missing, two roles) is reported and left out.
    fn assignment(&mut self, block: &Block) -> Option<AssignmentParts> {
        let span = self.span(block.span(), Span::point(0));
        let address = format!("{ASSIGNMENT_RESOURCE}.{}", block.labels.get(1).map_or("", |l| l.as_str()));
        let mut scope = None;
        let mut roles: Vec<(&str, Span, Result<RoleRef, Span>)> = Vec::new();
        let mut principal_id = None;
        let (mut principal_type, mut condition, mut condition_version, mut name) = (None, None, None, None);
        // What is not evaluated: the span, the note, and whether the assignment is left out for it.
        let mut skipped: Vec<(Span, String, bool)> = Vec::new();
        let not_checked = |key: &str| format!("`{key}` is not evaluated: `{address}` is not checked against its role");
        for attr in block.body.attributes() {
            let key = attr.key.as_str();
            let key_span = self.span(attr.key.span(), span);
            let at = self.span(attr.value.span(), key_span);
            match key {
                "scope" => scope = Some(self.literal(&attr.value, at)),
                "role_definition_id" | "role_definition_name" => {
                    roles.push((key, key_span, self.role_ref(key, &attr.value, at)));
                }
                // Only messages and fingerprints name the principal, so an expression stands for itself.
                "principal_id" => {
                    principal_id = Some(
                        self.literal(&attr.value, at)
                            .unwrap_or_else(|at| Spanned::new(self.source.slice(at).into(), at)),
                    );
                }
                // The rules run here do not read these three: an expression leaves them out and changes nothing.
                "principal_type" => principal_type = self.literal(&attr.value, at).ok(),
                "condition_version" => condition_version = self.literal(&attr.value, at).ok(),
                "name" => name = self.literal(&attr.value, at).ok(),
                // An unevaluated condition is noted; the assignment is still checked, without it.
                "condition" => match self.literal(&attr.value, at) {
                    // An empty condition is none, as Azure reads it.
                    Ok(c) => condition = Some(c).filter(|c| !c.value.trim().is_empty()),
                    Err(at) => skipped.push((
                        at,
                        format!("`condition` is not evaluated: `{address}`'s condition is not checked"),
                        false,
                    )),
                },
                "count" | "for_each" => skipped.push((self.span(attr.span(), key_span), not_checked(key), true)),
                "description"
                | "delegated_managed_identity_resource_id"
                | "skip_service_principal_aad_check"
                | "provider"
                | "depends_on" => {}
                _ => self.unknown(key, key_span, ASSIGNMENT_RESOURCE, ASSIGNMENT_ARGUMENTS),
            }
        }
        for b in block.body.blocks() {
            if !matches!(b.ident.as_str(), "lifecycle" | "timeouts" | "provisioner" | "connection") {
                let at = self.span(b.ident.span(), span);
                self.unknown(b.ident.as_str(), at, ASSIGNMENT_RESOURCE, ASSIGNMENT_ARGUMENTS);
            }
        }
        let header = self.span(block.ident.span(), span);
        let mut missing = Vec::new();
        if scope.is_none() {
            missing.push("`scope`");
        }
        if principal_id.is_none() {
            missing.push("`principal_id`");
        }
        if roles.is_empty() {
            missing.push("`role_definition_id` or `role_definition_name`");
        }
        if !missing.is_empty() {
            self.notes.push(
                Diagnostic::error(codes::MISSING_FIELD, format!("`{address}` has no {}", missing.join(", ")))
                    .at(self.source, header)
                    .with_label("incomplete")
                    .with_help(
                        "Terraform requires `scope`, `principal_id`, and `role_definition_id` or `role_definition_name`",
                    ),
            );
            return None;
        }
        if let [(first, _, _), (second, at, _), ..] = roles.as_slice() {
            self.notes.push(
                Diagnostic::error(codes::INVALID_VALUE, format!("`{address}` sets both `{first}` and `{second}`"))
                    .at(self.source, *at)
                    .with_label("conflicts")
                    .with_help("Terraform accepts one of `role_definition_id` and `role_definition_name`"),
            );
            return None;
        }
        let scope = match scope {
            Some(Ok(s)) => Some(s),
            Some(Err(at)) => {
                skipped.push((at, not_checked("scope"), true));
                None
            }
            None => None,
        };
        let role = match roles.pop() {
            Some((_, _, Ok(role))) => Some(role),
            Some((key, _, Err(at))) => {
                skipped.push((at, not_checked(key), true));
                None
            }
            None => None,
        };
        let left_out = skipped.iter().any(|(_, _, leaves_out)| *leaves_out);
        for (at, message, _) in skipped {
            self.note(at, message);
        }
        // What is missing was reported above, and what is not evaluated noted.
        let (false, Some(scope), Some(role), Some(principal_id)) = (left_out, scope, role, principal_id) else {
            return None;
        };
        Some(AssignmentParts {
            address,
            role,
            scope,
            principal_id,
            principal_type,
            condition,
            condition_version,
            name,
            span,
        })
    }

    /// A literal string, spanning its quotes; the span of anything else.
    fn literal(&self, e: &Expression, at: Span) -> Result<Spanned<String>, Span> {
        match e {
            Expression::String(s) => Ok(Spanned::new(s.value().clone(), at)),
            _ => Err(at),
        }
    }

    /// The role an assignment's `key` names: a literal, or a reference to a role resource of the same
    /// configuration (`azurerm_role_definition.NAME.role_definition_resource_id`, also as the only part of a
    /// `"${...}"`); the span of anything else.
    fn role_ref(&self, key: &str, e: &Expression, at: Span) -> Result<RoleRef, Span> {
        let by_name = key == "role_definition_name";
        let reference = match e {
            Expression::String(s) => {
                let literal = Spanned::new(s.value().clone(), at);
                return Ok(if by_name { RoleRef::Name(literal) } else { RoleRef::Id(literal) });
            }
            Expression::Traversal(t) => t,
            Expression::StringTemplate(t) => match t.iter().collect::<Vec<_>>().as_slice() {
                [hcl_edit::template::Element::Interpolation(i)] => match &i.expr {
                    Expression::Traversal(t) => t,
                    _ => return Err(at),
                },
                _ => return Err(at),
            },
            _ => return Err(at),
        };
        let Expression::Variable(kind) = &reference.expr else { return Err(at) };
        let attrs: Vec<&str> = reference
            .operators
            .iter()
            .map(|op| match op.value() {
                hcl_edit::expr::TraversalOperator::GetAttr(name) => Some(name.as_str()),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or(at)?;
        let [label, attr] = attrs.as_slice() else { return Err(at) };
        let wanted = if by_name { ["name"].as_slice() } else { ROLE_ID_ATTRIBUTES };
        if kind.as_str() != ROLE_RESOURCE || !wanted.contains(attr) {
            return Err(at);
        }
        Ok(RoleRef::Resource(Spanned::new(format!("{ROLE_RESOURCE}.{label}"), at)))
    }

    fn permission(&mut self, body: &Body, span: Span) -> Value {
        let members: Vec<Member> = body
            .attributes()
            .filter_map(|attr| {
                let name = attr.key.as_str();
                let key_span = self.span(attr.key.span(), span);
                let key = PERMISSION_KEYS.iter().find(|(tf, _)| *tf == name).map(|(_, arm)| *arm);
                if key.is_none() {
                    self.unknown(name, key_span, "permissions", &PERMISSION_KEYS.map(|(tf, _)| tf));
                }
                Some(member(key?, key_span, self.value(attr)))
            })
            .collect();
        Value { kind: Kind::Object(members), span }
    }

    fn value(&self, attr: &Attribute) -> Value {
        let fallback = self.span(attr.span(), Span::point(0));
        self.expr(&attr.value, fallback)
    }

    /// An HCL expression as JSON: literals as they are (numbers and booleans as strings, as Terraform converts
    /// them where a string is expected), anything to evaluate as a template expression.
    fn expr(&self, e: &Expression, fallback: Span) -> Value {
        let span = self.span(e.span(), fallback);
        let kind = match e {
            Expression::String(s) => Kind::String(s.value().clone()),
            Expression::Null(_) => Kind::Null,
            Expression::Bool(b) => Kind::String(b.value().to_string()),
            Expression::Number(n) => Kind::String(n.value().to_string()),
            // hcl-edit caps nesting at 64 levels, so this recursion is bounded.
            Expression::Array(items) => Kind::Array(items.iter().map(|item| self.expr(item, span)).collect()),
            // An object where a string or list belongs: the loader reports the wrong type.
            Expression::Object(_) => Kind::Object(Vec::new()),
            _ => return expression(self.source.slice(span), span),
        };
        Value { kind, span }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn converted(text: &str) -> Converted {
        match read("main.tf", text.as_bytes()).parsed {
            Parsed::Converted(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn spans_point_into_the_tf_text() {
        let text = "resource \"azurerm_role_definition\" \"r\" {\n  name  = \"Reader\" # c\n  scope = var.s\n  permissions {\n    not_actions = [\"a/b\", local.x]\n  }\n}\n";
        let c = converted(text);
        let role = &c.template.get("resources").unwrap().as_array().unwrap()[0];
        let props = role.get("properties").unwrap();
        let name = props.get("roleName").unwrap();
        assert_eq!(&text[name.span.start..name.span.end], "\"Reader\"");
        let scopes = props.get("assignableScopes").unwrap().as_array().unwrap();
        assert_eq!(scopes[0].as_str(), Some("[var.s]"));
        assert_eq!(&text[scopes[0].span.start..scopes[0].span.end], "var.s");
        let perm = &props.get("permissions").unwrap().as_array().unwrap()[0];
        let not = perm.get_member("notActions").unwrap();
        assert_eq!(&text[not.key_span.start..not.key_span.end], "not_actions");
        let items = not.value.as_array().unwrap();
        assert_eq!(&text[items[0].span.start..items[0].span.end], "\"a/b\"");
        assert_eq!(items[1].as_str(), Some("[local.x]"));
        assert!(c.notes.is_empty());
    }

    #[test]
    fn a_parse_error_is_one_located_diagnostic() {
        let input = read("bad.tf", b"resource \"azurerm_role_definition\" \"r\" {\n  name = \n}\n");
        let Parsed::Failed(d) = input.parsed else { panic!("{:?}", input.parsed) };
        assert_eq!(d.code.id, "RL000");
        assert!(d.message.starts_with("invalid Terraform (HCL)"), "{}", d.message);
        assert!(d.span.is_some());
    }

    #[test]
    fn expressions_that_open_with_a_bracket_stay_expressions() {
        let c =
            converted("resource \"azurerm_role_definition\" \"r\" {\n  assignable_scopes = [for s in var.s : s]\n}\n");
        let role = &c.template.get("resources").unwrap().as_array().unwrap()[0];
        let scopes = role.get("properties").unwrap().get("assignableScopes").unwrap();
        assert_eq!(scopes.as_str(), Some("[ [for s in var.s : s]]"));
    }
}
