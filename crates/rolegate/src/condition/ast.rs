//! The condition AST, and its printer: `Display` writes text that parses back to the same tree.

use std::fmt;

use crate::span::Span;

/// One node of a condition, with the span of its text in the condition string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Its text in the condition string (parentheses around it excluded).
    pub span: Span,
}

/// The node families of the condition language (semantics §3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// `a AND b AND …` (two or more operands; `&&` is the same).
    And(Vec<Expr>),
    /// `a OR b OR …` (two or more operands; `||` is the same).
    Or(Vec<Expr>),
    /// `NOT a` / `!a`.
    Not(Box<Expr>),
    /// `ActionMatches{'pattern'}`: whether the requested action matches the pattern (the role matcher).
    ActionMatches(Str),
    /// `SubOperationMatches{'pattern'}`: whether the request's sub-operation matches.
    SubOperationMatches(Str),
    /// `Exists @Source[name]`: whether the attribute is present (two-valued).
    Exists(Attribute),
    /// `operand operator operand`.
    Compare(Box<Comparison>),
}

/// A quoted string with the span of its text (quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    /// The text between the quotes.
    pub value: String,
    /// The span, quotes included.
    pub span: Span,
}

/// `left operator right`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// Left operand.
    pub left: Operand,
    /// The operator.
    pub op: Operator,
    /// Right operand.
    pub right: Operand,
}

/// An attribute reference, `@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Where the attribute comes from.
    pub source: Source,
    /// The name between the brackets, as written.
    pub name: String,
    /// The span of the whole reference.
    pub span: Span,
}

/// Attribute sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// A property of the resource (container name, blob tags).
    Resource,
    /// Part of the request (tags being set, the role being assigned).
    Request,
    /// A custom security attribute of the principal.
    Principal,
    /// The environment (UtcNow, private link, subnet).
    Environment,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [Source::Resource, Source::Request, Source::Principal, Source::Environment];

    /// The name as written after `@`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Resource => "Resource",
            Source::Request => "Request",
            Source::Principal => "Principal",
            Source::Environment => "Environment",
        }
    }
}

/// An operand: an attribute, a literal or a `{…}` list of literals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// `@Source[name]`.
    Attribute(Attribute),
    /// A single literal.
    Literal(Literal),
    /// `{a, b, …}`.
    List(Vec<Literal>, Span),
}

impl Operand {
    /// The operand's span.
    pub fn span(&self) -> Span {
        match self {
            Operand::Attribute(a) => a.span,
            Operand::Literal(l) => l.span,
            Operand::List(_, s) => *s,
        }
    }

    /// The attribute, if the operand is one.
    pub fn attribute(&self) -> Option<&Attribute> {
        match self {
            Operand::Attribute(a) => Some(a),
            _ => None,
        }
    }
}

/// A literal with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Literal {
    /// The value as written (types are decided by the operator, after parsing).
    pub value: LiteralValue,
    /// Its span.
    pub span: Span,
}

/// Literal values as the parser sees them. Datetimes are quoted strings until the type check reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiteralValue {
    /// `'text'`.
    Str(String),
    /// An integer.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// An unquoted GUID, with or without hyphens.
    Guid(u128),
}

/// `[quantifier:]family+test[IgnoreCase]`, e.g. `ForAnyOfAnyValues:StringEqualsIgnoreCase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The cross-product quantifier, if any.
    pub quantifier: Option<Quantifier>,
    /// Which type the operator compares.
    pub family: Family,
    /// The test.
    pub test: Test,
    /// `…IgnoreCase` (string operators only).
    pub ignore_case: bool,
    /// Its span.
    pub span: Span,
}

/// Cross-product quantifiers: which values of the left side must satisfy the test against which of the right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// Some left value against some right value.
    AnyOfAny,
    /// Every left value against some right value.
    AllOfAny,
    /// Some left value against every right value.
    AnyOfAll,
    /// Every left value against every right value.
    AllOfAll,
}

impl Quantifier {
    /// Every quantifier.
    pub const ALL: [Quantifier; 4] =
        [Quantifier::AnyOfAny, Quantifier::AllOfAny, Quantifier::AnyOfAll, Quantifier::AllOfAll];

    /// The keyword, without the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            Quantifier::AnyOfAny => "ForAnyOfAnyValues",
            Quantifier::AllOfAny => "ForAllOfAnyValues",
            Quantifier::AnyOfAll => "ForAnyOfAllValues",
            Quantifier::AllOfAll => "ForAllOfAllValues",
        }
    }
}

/// Operator families: the type an operator compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `String…`.
    String,
    /// `Numeric…` (integers).
    Numeric,
    /// `DateTime…`.
    DateTime,
    /// `Guid…`.
    Guid,
    /// `Bool…`.
    Bool,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 5] = [Family::String, Family::Numeric, Family::DateTime, Family::Guid, Family::Bool];

    /// The operator prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::String => "String",
            Family::Numeric => "Numeric",
            Family::DateTime => "DateTime",
            Family::Guid => "Guid",
            Family::Bool => "Bool",
        }
    }

    /// The tests this family has.
    pub fn tests(self) -> &'static [Test] {
        use Test::*;
        match self {
            Family::String => &[Equals, NotEquals, StartsWith, NotStartsWith, Like, NotLike],
            Family::Numeric | Family::DateTime => {
                &[Equals, NotEquals, LessThan, LessThanEquals, GreaterThan, GreaterThanEquals]
            }
            Family::Guid | Family::Bool => &[Equals, NotEquals],
        }
    }
}

/// The test an operator applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Test {
    /// `…Equals`.
    Equals,
    /// `…NotEquals`.
    NotEquals,
    /// `StringStartsWith`.
    StartsWith,
    /// `StringNotStartsWith`.
    NotStartsWith,
    /// `StringLike` (`*` and `?` wildcards, `\*` and `\?` escapes).
    Like,
    /// `StringNotLike`.
    NotLike,
    /// `…LessThan`.
    LessThan,
    /// `…LessThanEquals`.
    LessThanEquals,
    /// `…GreaterThan`.
    GreaterThan,
    /// `…GreaterThanEquals`.
    GreaterThanEquals,
}

impl Test {
    /// The operator suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            Test::Equals => "Equals",
            Test::NotEquals => "NotEquals",
            Test::StartsWith => "StartsWith",
            Test::NotStartsWith => "NotStartsWith",
            Test::Like => "Like",
            Test::NotLike => "NotLike",
            Test::LessThan => "LessThan",
            Test::LessThanEquals => "LessThanEquals",
            Test::GreaterThan => "GreaterThan",
            Test::GreaterThanEquals => "GreaterThanEquals",
        }
    }

    /// Whether the test is a negation (`NotEquals`, `NotStartsWith`, `NotLike`).
    pub fn is_negative(self) -> bool {
        matches!(self, Test::NotEquals | Test::NotStartsWith | Test::NotLike)
    }
}

impl Operator {
    /// The operator's name without the quantifier (`StringEqualsIgnoreCase`).
    pub fn name(&self) -> String {
        format!("{}{}{}", self.family.as_str(), self.test.as_str(), if self.ignore_case { "IgnoreCase" } else { "" })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.quantifier {
            write!(f, "{}:", q.as_str())?;
        }
        f.write_str(&self.name())
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}[{}]", self.source.as_str(), self.name)
    }
}

/// Formats a GUID in its canonical hyphenated, lower-case form.
pub fn format_guid(g: u128) -> String {
    let h = format!("{g:032x}");
    let part = |a: usize, b: usize| h.get(a..b).unwrap_or_default();
    format!("{}-{}-{}-{}-{}", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            LiteralValue::Str(s) => write!(f, "'{s}'"),
            LiteralValue::Int(i) => write!(f, "{i}"),
            LiteralValue::Bool(b) => write!(f, "{b}"),
            LiteralValue::Guid(g) => f.write_str(&format_guid(*g)),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Attribute(a) => a.fmt(f),
            Operand::Literal(l) => l.fmt(f),
            Operand::List(items, _) => {
                f.write_str("{")?;
                for (i, l) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    l.fmt(f)?;
                }
                f.write_str("}")
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nested connectives are always parenthesised: the language forbids mixing AND and OR at one level, and
        // parentheses around a same-kind connective keep the printed tree the parsed tree.
        let operand = |f: &mut fmt::Formatter<'_>, e: &Expr| match e.kind {
            ExprKind::And(_) | ExprKind::Or(_) => write!(f, "({e})"),
            _ => write!(f, "{e}"),
        };
        let join = |f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str| {
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                operand(f, e)?;
            }
            Ok(())
        };
        match &self.kind {
            ExprKind::And(items) => join(f, items, " AND "),
            ExprKind::Or(items) => join(f, items, " OR "),
            // `!` takes a term, so only a connective needs parentheses; more would count twice against
            // `MAX_DEPTH` per negation and could print an accepted condition as one the parser rejects.
            ExprKind::Not(inner) => {
                f.write_str("!")?;
                operand(f, inner)
            }
            ExprKind::ActionMatches(s) => write!(f, "ActionMatches{{'{}'}}", s.value),
            ExprKind::SubOperationMatches(s) => write!(f, "SubOperationMatches{{'{}'}}", s.value),
            ExprKind::Exists(a) => write!(f, "Exists {a}"),
            ExprKind::Compare(c) => write!(f, "{} {} {}", c.left, c.op, c.right),
        }
    }
}

impl Expr {
    /// The nodes of the tree in pre-order; a node's index here is its id in reasons and explanations.
    pub fn nodes(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            out.push(e);
            match &e.kind {
                ExprKind::And(items) | ExprKind::Or(items) => stack.extend(items.iter().rev()),
                ExprKind::Not(inner) => stack.push(inner),
                _ => {}
            }
        }
        out
    }

    /// The attributes the expression reads, in order of appearance.
    pub fn attributes(&self) -> Vec<&Attribute> {
        let mut out = Vec::new();
        for e in self.nodes() {
            match &e.kind {
                ExprKind::Exists(a) => out.push(a),
                ExprKind::Compare(c) => out.extend(c.left.attribute().into_iter().chain(c.right.attribute())),
                _ => {}
            }
        }
        out
    }

    /// The `ActionMatches` patterns, in order of appearance.
    pub fn action_matches(&self) -> Vec<&Str> {
        self.nodes()
            .into_iter()
            .filter_map(|e| match &e.kind {
                ExprKind::ActionMatches(s) => Some(s),
                _ => None,
            })
            .collect()
    }
}
