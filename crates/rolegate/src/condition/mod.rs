//! Azure ABAC conditions (`conditionVersion` 2.0): parse, type-check, evaluate (semantics §3.1).
//!
//! ```
//! use rolegate::condition::{Condition, Context, Tri};
//!
//! let c = Condition::parse(
//!     "(!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR \
//!      (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs')",
//! )
//! .unwrap();
//! let read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
//! let account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct";
//! // The container name comes from the scope itself, so a caller cannot claim another one.
//! let logs = format!("{account}/blobServices/default/containers/logs/blobs/a.txt");
//! assert_eq!(c.evaluate(&Context::new(read, &logs)).value, Tri::True);
//! let other = format!("{account}/blobServices/default/containers/other/blobs/a.txt");
//! assert_eq!(c.evaluate(&Context::new(read, &other)).value, Tri::False);
//! // Actions the guard does not name pass through.
//! let write = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";
//! assert_eq!(c.evaluate(&Context::new(write, &other)).value, Tri::True);
//! ```
//!
//! A condition is a filter on what its permission block or role assignment grants; it never grants on its own.
//! Evaluation is three-valued: a comparison whose attribute is absent is [`Tri::Unknown`], `NOT` keeps
//! Unknown, `AND`/`OR` follow Kleene logic and `Exists` is two-valued. A check treats Unknown at the top as not
//! met (fail closed); [`Condition::analyze`] reports it as `Conditional` with the attributes it needs.

mod ast;
mod datetime;
mod eval;
mod parse;
mod types;

use std::fmt;

pub use ast::{
    Attribute, Comparison, Expr, ExprKind, Family, Literal, LiteralValue, Operand, Operator, Quantifier, Source, Str,
    Test, format_guid,
};
pub use datetime::DateTime;
pub use eval::{Context, Evaluation, Tri};
pub use parse::{MAX_DEPTH, operator_name, parse, parse_guid};
pub use types::{AttrType, attribute_type};

use crate::span::Span;

/// Azure's limit on a condition's length, in bytes.
pub const MAX_LEN: usize = 8 * 1024;

/// What kind of problem a [`ConditionError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not in the condition grammar.
    Syntax,
    /// It parses, but an operator does not fit its operands (or a value is malformed).
    Type,
    /// It is longer than Azure allows.
    Limit,
}

/// A problem in a condition, with a span into the condition string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConditionError {
    /// Syntax, type or limit.
    pub kind: ErrorKind,
    /// Lower-case, user text in backticks.
    pub message: String,
    /// The offending text in the condition string.
    pub span: Span,
    /// Label under the underline.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
    /// A second span worth showing (the `(` a missing `)` would close, say).
    pub related: Option<Box<(Span, String)>>,
}

impl ConditionError {
    /// An error at `span`.
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        ConditionError { kind, message: message.into(), span, label: label.into(), help: None, related: None }
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Pairs the error with its condition text, for rendering on its own (miette underlines the span).
    pub fn with_source(self, text: &str) -> WithSource {
        WithSource { error: self, text: text.to_owned() }
    }
}

/// A [`ConditionError`] with the condition text it points into; renders with miette.
#[derive(Debug)]
pub struct WithSource {
    error: ConditionError,
    text: String,
}

impl fmt::Display for WithSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for WithSource {}

impl miette::Diagnostic for WithSource {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self.error.kind {
            ErrorKind::Syntax => "condition::syntax",
            ErrorKind::Type => "condition::type",
            ErrorKind::Limit => "condition::limit",
        }))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.text)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let main = miette::LabeledSpan::new_primary_with_span(Some(self.error.label.clone()), self.error.span);
        let related = self.error.related.iter().map(|r| miette::LabeledSpan::new_with_span(Some(r.1.clone()), r.0));
        Some(Box::new(std::iter::once(main).chain(related)))
    }
}

/// A parsed, type-checked condition, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Condition {
    text: String,
    expr: Expr,
    program: eval::Program,
}

impl Condition {
    /// Parses and type-checks `text`. Every error found is returned (a syntax error stops at the first).
    pub fn parse(text: &str) -> Result<Condition, Vec<ConditionError>> {
        let mut errors = Vec::new();
        if text.len() > MAX_LEN {
            errors.push(
                ConditionError::new(
                    ErrorKind::Limit,
                    format!("condition is {} bytes long; Azure allows at most {MAX_LEN}", text.len()),
                    Span::new(MAX_LEN.min(text.len()), text.len()),
                    "beyond 8 KB",
                )
                .with_help("split it over several role assignments or simplify it"),
            );
        }
        let expr = parse::parse(text).map_err(|e| vec![e])?;
        let program = types::compile(&expr);
        match program {
            Ok(program) if errors.is_empty() => Ok(Condition { text: text.to_owned(), expr, program }),
            Ok(_) => Err(errors),
            Err(mut more) => {
                errors.append(&mut more);
                Err(errors)
            }
        }
    }

    /// The text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The text of node `id` (pre-order index, as in [`Evaluation::decided_by`]).
    pub fn node_text(&self, id: u16) -> &str {
        self.expr.nodes().get(usize::from(id)).and_then(|e| self.text.get(e.span.start..e.span.end)).unwrap_or("")
    }

    /// The span of node `id` in the condition text.
    pub fn node_span(&self, id: u16) -> Option<Span> {
        self.expr.nodes().get(usize::from(id)).map(|e| e.span)
    }

    /// Evaluates the condition for a request. Does not allocate.
    pub fn evaluate(&self, cx: &Context<'_>) -> Evaluation {
        self.program.evaluate(cx, &mut eval::NoTrace)
    }

    /// [`Condition::analyze`] for every request with `action` at `scope` (`None`: any scope, so nothing it
    /// encodes is known): attributes the scope does not encode, the sub-operation and the time are unknown, and
    /// `True` or `False` holds whatever a request gives them. The reverse queries ask this (semantics §3.6).
    pub(crate) fn analyze_open(&self, action: &str, scope: Option<&str>) -> Analysis {
        let mut needs = eval::Needs::default();
        let cx = Context::new(action, scope.unwrap_or(""));
        match self.program.evaluate_open(&cx, &mut needs) {
            Tri::True => Analysis::True,
            Tri::False => Analysis::False,
            Tri::Unknown => Analysis::Conditional { needs: needs.into_names() },
        }
    }

    /// Three-valued analysis: `Conditional` names the attributes whose absence left the answer open.
    pub fn analyze(&self, cx: &Context<'_>) -> Analysis {
        let mut needs = eval::Needs::default();
        let e = self.program.evaluate(cx, &mut needs);
        match e.value {
            Tri::True => Analysis::True,
            Tri::False => Analysis::False,
            Tri::Unknown => Analysis::Conditional { needs: needs.into_names() },
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// The result of three-valued analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Analysis {
    /// The condition holds with what is known.
    True,
    /// It cannot hold with what is known.
    False,
    /// It depends on attributes that are not known.
    Conditional {
        /// The attributes, as `@Source[name]`, in order of first use.
        needs: Vec<String>,
    },
}

/// Whether a `conditionVersion` is one Azure accepts: "2.0", or the legacy "1.0" one built-in still carries.
pub fn version_supported(version: &str) -> bool {
    matches!(version.trim(), "2.0" | "1.0")
}
