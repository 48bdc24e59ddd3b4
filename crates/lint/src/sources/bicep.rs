//! Bicep role definitions: each `resource … 'Microsoft.Authorization/roleDefinitions@…' = {…}` becomes a resource
//! of an ARM-template-shaped tree (`{"$schema", "resources": [{"type", "apiVersion", "name", "properties"}]}`)
//! whose spans point into the `.bicep` text, so that the loader reads it as the ARM template shape (semantics
//! §2.1). Literal values are kept; a Bicep expression (a `param`/`var` reference, a call, an interpolated string)
//! becomes a template expression `[…]` spanning the expression, which `RL311` notes, as it notes the expressions
//! of compiled ARM JSON. Other resources, `existing` references and modules are skipped.

use std::sync::Arc;

use rolegate::diag::{SourceText, Span, codes};
use rolegate::internals::json::{Kind, Member, Value};
use rolegate::{Diagnostic, Severity};

use super::{Converted, Input, Parsed};

mod parse;

use parse::{Expr, ExprKind, Item, Resource};

/// The resource type of a role definition, compared ASCII case-insensitively as ARM does.
const ROLE_TYPE: &str = "Microsoft.Authorization/roleDefinitions";

/// Reads a `.bicep` file.
pub(super) fn read(name: &str, bytes: &[u8]) -> Input {
    let (source, not_utf8) = super::decode(name, bytes, "Bicep");
    if let Some(d) = not_utf8 {
        return Input { source, parsed: Parsed::Failed(d) };
    }
    let parsed = parse::parse(source.text());
    let file = match parsed {
        Ok(file) => file,
        Err(e) => {
            let mut d = Diagnostic::error(codes::INVALID_JSON, format!("invalid Bicep: {}", e.message))
                .at(&source, e.span)
                .with_label(e.label)
                .with_help(
                    "role-lint reads Bicep declarations, literals and expressions; `az bicep build` shows \
                     Bicep's own diagnostics for this file",
                );
            if let Some(opened) = e.opened {
                d = d.with_related(opened, "opened here");
            }
            return Input { source, parsed: Parsed::Failed(d) };
        }
    };
    let mut c = Converter { source: &source, notes: Vec::new() };
    let resources: Vec<Value> = file
        .resources
        .iter()
        .filter(|r| !r.existing && resource_type(r).eq_ignore_ascii_case(ROLE_TYPE))
        .filter_map(|r| c.resource(r))
        .collect();
    if resources.is_empty() && c.notes.is_empty() {
        c.notes.push(
            Diagnostic::warning(
                codes::NOT_A_ROLE_FILE,
                format!("`{name}` declares no role definition (`{ROLE_TYPE}`); it is not linted"),
            )
            .at(&source, Span::new(0, source.text().chars().next().map_or(0, char::len_utf8)))
            .with_help(
                "role-lint lints `resource … '{ROLE_TYPE}@…'` declarations; a module's role definitions are linted \
                 in the module's own file",
            ),
        );
    }
    let whole = Span::new(0, source.text().len());
    let root = super::arm_template(resources, whole);
    let notes = c.notes;
    Input {
        source,
        parsed: Parsed::Converted(Converted {
            template: root,
            pointer_root: None,
            notes,
            role_addresses: Vec::new(),
            assignments: Vec::new(),
        }),
    }
}

/// The type of `Type@version`.
fn resource_type(r: &Resource) -> &str {
    r.type_version.split('@').next().unwrap_or_default()
}

struct Converter<'s> {
    source: &'s Arc<SourceText>,
    notes: Vec<Diagnostic>,
}

impl Converter<'_> {
    fn note(&mut self, span: Span, message: String, help: &str) {
        let rule = crate::rules::TEMPLATE_EXPRESSION;
        self.notes.push(
            Diagnostic::new(rule.diag_code(), Severity::Note, message)
                .at(self.source, span)
                .with_label("not evaluated")
                .with_help(help),
        );
    }

    /// The template resource for one role-definition declaration, unwrapping its loop and condition.
    fn resource(&mut self, r: &Resource) -> Option<Value> {
        let mut body = &r.value;
        loop {
            match &body.kind {
                ExprKind::For { head, body: inner } => {
                    self.note(
                        *head,
                        format!(
                            "role definitions are declared in a loop `{}`, which is not evaluated",
                            self.excerpt(*head)
                        ),
                        "its body is linted once, as written; lint the deployed roles as well",
                    );
                    body = inner;
                }
                ExprKind::If { head, body: inner } => {
                    self.note(
                        *head,
                        format!(
                            "the role definition is deployed only `{}`, which is not evaluated",
                            self.excerpt(*head)
                        ),
                        "the role is linted as if the condition holds",
                    );
                    body = inner;
                }
                _ => break,
            }
        }
        let ExprKind::Object(items) = &body.kind else {
            self.notes.push(
                Diagnostic::error(
                    codes::WRONG_TYPE,
                    format!("the body of a role definition is `{}`, not an object", self.excerpt(body.span)),
                )
                .at(self.source, body.span)
                .with_label("not an object")
                .with_help("write the role definition as `{ name: …, properties: { … } }`"),
            );
            return None;
        };
        let (_, version) = r.type_version.split_once('@').unwrap_or((&r.type_version, ""));
        let type_value = |kind: Kind| Value { kind, span: r.type_span };
        let mut members = vec![
            Member { key: "type".into(), key_span: r.type_span, value: type_value(Kind::String(ROLE_TYPE.into())) },
            Member { key: "apiVersion".into(), key_span: r.type_span, value: type_value(Kind::String(version.into())) },
        ];
        members.extend(self.members(items));
        Some(Value { kind: Kind::Object(members), span: r.span })
    }

    fn members(&mut self, items: &[Item]) -> Vec<Member> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Prop { key, key_span, value } => {
                    out.push(Member { key: key.clone(), key_span: *key_span, value: self.value(value) });
                }
                Item::Spread(e) => self.note(
                    e.span,
                    format!("the spread `...{}` is not evaluated", self.excerpt(e.span)),
                    "the properties it adds are not linted; write them out, or lint the deployed role as well",
                ),
            }
        }
        out
    }

    fn value(&mut self, e: &Expr) -> Value {
        let kind = match &e.kind {
            ExprKind::Str(s) => Kind::String(s.clone()),
            ExprKind::Int(text) => match rolegate::internals::json::parse(text) {
                Ok(v) => v.kind,
                Err(_) => self.expression(e.span),
            },
            ExprKind::Bool(b) => Kind::Bool(*b),
            ExprKind::Null => Kind::Null,
            ExprKind::Array(items) => Kind::Array(items.iter().map(|i| self.value(i)).collect()),
            ExprKind::Object(items) => Kind::Object(self.members(items)),
            ExprKind::For { .. } | ExprKind::If { .. } | ExprKind::Expression => self.expression(e.span),
        };
        Value { kind, span: e.span }
    }

    /// A Bicep expression as the ARM template expression the loader keeps unevaluated: its text in brackets.
    fn expression(&self, span: Span) -> Kind {
        super::expression(self.source.slice(span), span).kind
    }

    fn excerpt(&self, span: Span) -> String {
        rolegate::internals::diag::excerpt(self.source.slice(span))
    }
}

#[cfg(test)]
mod tests;
