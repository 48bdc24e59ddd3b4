//! The type check: which operator families fit which attributes and literals (semantics §3.1), done while
//! compiling the tree into its typed, evaluable form.

use super::ast::{Attribute, Comparison, Expr, ExprKind, Family, Literal, LiteralValue, Operand, Source, Test};
use super::datetime::DateTime;
use super::eval::{AttrKind, AttrRef, Cmp, Node, Program, Side, Value};
use super::parse::parse_guid;
use super::{ConditionError, ErrorKind};
use crate::matcher::Pattern;

/// The type of an attribute, as the documentation's attribute tables give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttrType {
    /// One string.
    String,
    /// Several strings (tag keys): comparisons need a quantifier.
    StringList,
    /// An integer.
    Numeric,
    /// A datetime.
    DateTime,
    /// A GUID.
    Guid,
    /// A boolean.
    Bool,
}

impl AttrType {
    fn family(self) -> Family {
        match self {
            AttrType::String | AttrType::StringList => Family::String,
            AttrType::Numeric => Family::Numeric,
            AttrType::DateTime => Family::DateTime,
            AttrType::Guid => Family::Guid,
            AttrType::Bool => Family::Bool,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            AttrType::String => "a string",
            AttrType::StringList => "a list of strings",
            AttrType::Numeric => "an integer",
            AttrType::DateTime => "a datetime",
            AttrType::Guid => "a GUID",
            AttrType::Bool => "a boolean",
        }
    }
}

const BLOBS: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/// Known attributes: `(source or None for any, name, type)`. From the storage and authorization attribute tables
/// (semantics §3.1), plus the attributes built-in roles use.
const KNOWN: &[(Option<Source>, &str, AttrType)] = &[
    (None, "Microsoft.Storage/storageAccounts/blobServices/containers:name", AttrType::String),
    (None, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path", AttrType::String),
    (None, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix", AttrType::String),
    (None, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:isCurrentVersion", AttrType::Bool),
    (None, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:versionId", AttrType::DateTime),
    (None, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs:snapshot", AttrType::DateTime),
    (None, "Microsoft.Storage/storageAccounts/encryptionScopes:name", AttrType::String),
    (None, "Microsoft.Storage/storageAccounts:isHnsEnabled", AttrType::Bool),
    (None, "Microsoft.Storage/storageAccounts/queueServices/queues:name", AttrType::String),
    (Some(Source::Environment), "isPrivateLink", AttrType::Bool),
    (Some(Source::Environment), "Microsoft.Network/privateEndpoints", AttrType::String),
    (Some(Source::Environment), "Microsoft.Network/virtualNetworks/subnets", AttrType::String),
    (Some(Source::Environment), "UtcNow", AttrType::DateTime),
    (None, "Microsoft.Authorization/roleAssignments:RoleDefinitionId", AttrType::Guid),
    (None, "Microsoft.Authorization/roleAssignments:PrincipalId", AttrType::Guid),
    (None, "Microsoft.Authorization/roleAssignments:PrincipalType", AttrType::String),
    (Some(Source::Request), "subOperation", AttrType::String),
    // Built-in roles (Privileged Monitoring Data Reader, the Azure Resilience Management roles).
    (None, "Microsoft.OperationalInsights/workspaces/tables:protectionLevel", AttrType::String),
    (None, "Microsoft.Insights/logs/tables:protectionLevel", AttrType::String),
    (None, "HasObotoken", AttrType::Bool),
];

/// The documented type of an attribute, if it is one the tables list (tag values and tag keys included).
pub fn attribute_type(source: Source, name: &str) -> Option<AttrType> {
    if let Some((_, _, t)) =
        KNOWN.iter().find(|(s, n, _)| s.is_none_or(|s| s == source) && n.eq_ignore_ascii_case(name))
    {
        return Some(*t);
    }
    if name.ends_with("/tags&$keys$&") {
        return Some(AttrType::StringList);
    }
    if name.contains("/tags:") {
        return Some(AttrType::String);
    }
    None
}

/// How the evaluator finds an attribute's values.
fn attr_ref(a: &Attribute) -> AttrRef {
    let name = a.name.trim();
    let kind = if a.source == Source::Environment && name.eq_ignore_ascii_case("UtcNow") {
        AttrKind::UtcNow
    } else if a.source == Source::Request && name.eq_ignore_ascii_case("subOperation") {
        AttrKind::SubOperation
    } else if let Some(i) = name.find("/tags:") {
        let (prefix, key) = name.split_at(i + "/tags:".len());
        let key = key.strip_suffix("<$key_case_sensitive$>").unwrap_or(key);
        AttrKind::Tag { prefix: prefix.into(), key: key.into() }
    } else if let Some(path) = name.strip_suffix(":name").filter(|p| p.contains('/')) {
        let (namespace, types) = split_type(path);
        AttrKind::ScopeName { namespace, types }
    } else if name.len() == BLOBS.len() + ":path".len()
        && name.get(..BLOBS.len()).is_some_and(|p| p.eq_ignore_ascii_case(BLOBS))
        && name.get(BLOBS.len()..).is_some_and(|s| s.eq_ignore_ascii_case(":path"))
    {
        let (namespace, types) = split_type(BLOBS);
        AttrKind::BlobPath { namespace, types }
    } else {
        AttrKind::Plain
    };
    AttrRef { source: a.source, name: name.into(), folded: name.to_ascii_lowercase().into(), kind }
}

/// The namespace and type names of a resource type path, ASCII-lower-cased so that the evaluator compares them
/// with a scope's segments a word at a time.
fn split_type(path: &str) -> (Box<str>, Box<[Box<str>]>) {
    let mut parts = path.split('/').map(|p| p.to_ascii_lowercase().into_boxed_str());
    let namespace = parts.next().unwrap_or_default();
    (namespace, parts.collect())
}

/// Type-checks `expr` and compiles it; every type error is reported.
pub(super) fn compile(expr: &Expr) -> Result<Program, Vec<ConditionError>> {
    let mut cx = Compiler { next: 0, errors: Vec::new() };
    let root = cx.node(expr);
    if cx.errors.is_empty() { Ok(Program { root }) } else { Err(cx.errors) }
}

struct Compiler {
    next: u16,
    errors: Vec<ConditionError>,
}

impl Compiler {
    fn id(&mut self) -> u16 {
        let id = self.next;
        self.next = self.next.saturating_add(1);
        id
    }

    fn error(&mut self, e: ConditionError) {
        self.errors.push(e);
    }

    fn node(&mut self, e: &Expr) -> Node {
        let id = self.id();
        match &e.kind {
            ExprKind::And(items) => Node::And(items.iter().map(|i| self.node(i)).collect(), id),
            ExprKind::Or(items) => Node::Or(items.iter().map(|i| self.node(i)).collect(), id),
            ExprKind::Not(inner) => Node::Not(Box::new(self.node(inner)), id),
            ExprKind::ActionMatches(s) => {
                if s.value.trim().is_empty() || s.value.trim() != s.value {
                    self.error(
                        ConditionError::new(
                            ErrorKind::Type,
                            "`ActionMatches` needs an action pattern",
                            s.span,
                            "empty or padded",
                        )
                        .with_help("write the action as in a role's Actions, without surrounding spaces"),
                    );
                }
                Node::Action(Pattern::new(&s.value), id)
            }
            ExprKind::SubOperationMatches(s) => Node::SubOperation(s.value.as_str().into(), id),
            ExprKind::Exists(a) => Node::Exists(attr_ref(a), id),
            ExprKind::Compare(c) => Node::Cmp(Box::new(self.comparison(c)), id),
        }
    }

    fn comparison(&mut self, c: &Comparison) -> Cmp {
        let op = c.op;
        let family = op.family;
        let name = op.name();
        if let Some(q) = op.quantifier {
            let allowed = match family {
                Family::String => !matches!(op.test, Test::StartsWith | Test::NotStartsWith),
                Family::Numeric | Family::Guid => true,
                Family::DateTime | Family::Bool => false,
            };
            if !allowed {
                self.error(
                    ConditionError::new(ErrorKind::Type, format!("`{}:` cannot be used with `{name}`", q.as_str()), op.span, "no cross product for this operator")
                        .with_help("quantifiers combine with the String operators except StartsWith, the Numeric operators and GuidEquals/GuidNotEquals"),
                );
            }
        }
        for side in [&c.left, &c.right] {
            let Some(a) = side.attribute() else { continue };
            let Some(t) = attribute_type(a.source, a.name.trim()) else { continue };
            if t.family() != family {
                self.error(
                    ConditionError::new(
                        ErrorKind::Type,
                        format!("`{name}` compares {}, but `{a}` is {}", family_values(family), t.describe()),
                        op.span,
                        "operator does not fit the attribute",
                    )
                    .with_help(format!("use a `{}…` operator", t.family().as_str())),
                );
            } else if t == AttrType::StringList && op.quantifier.is_none() {
                self.error(
                    ConditionError::new(
                        ErrorKind::Type,
                        format!("`{a}` has several values: `{name}` needs a quantifier"),
                        op.span,
                        "quantifier expected",
                    )
                    .with_help(format!("write `ForAnyOfAnyValues:{name}` (or another `For…Values:` quantifier)")),
                );
            }
            let utc_now = a.source == Source::Environment && a.name.trim().eq_ignore_ascii_case("UtcNow");
            if utc_now
                && (family != Family::DateTime
                    || !matches!(op.test, Test::GreaterThan | Test::LessThan)
                    || op.quantifier.is_some())
            {
                self.error(
                    ConditionError::new(
                        ErrorKind::Type,
                        format!("`{a}` supports only `DateTimeGreaterThan` and `DateTimeLessThan`, not `{op}`"),
                        op.span,
                        "not supported for UtcNow",
                    )
                    .with_help("compare the time with `DateTimeGreaterThan` or `DateTimeLessThan`"),
                );
            }
        }
        if op.quantifier.is_none() {
            for side in [&c.left, &c.right] {
                if let Operand::List(_, span) = side {
                    self.error(
                        ConditionError::new(
                            ErrorKind::Type,
                            format!("a `{{…}}` list needs a quantifier before `{name}`"),
                            *span,
                            "list without a quantifier",
                        )
                        .with_help(format!("write `ForAnyOfAnyValues:{name}` (or another `For…Values:` quantifier)")),
                    );
                }
            }
        }
        let left = self.side(&c.left, family);
        let right = self.side(&c.right, family);
        Cmp { left, right, family, test: op.test, ignore_case: op.ignore_case, quantifier: op.quantifier }
    }

    fn side(&mut self, o: &Operand, family: Family) -> Side {
        match o {
            Operand::Attribute(a) => Side::Attr(attr_ref(a)),
            Operand::Literal(l) => Side::Values(self.literal(l, family).into_iter().collect()),
            Operand::List(items, _) => Side::Values(items.iter().filter_map(|l| self.literal(l, family)).collect()),
        }
    }

    fn literal(&mut self, l: &Literal, family: Family) -> Option<Value> {
        let value = match (&l.value, family) {
            (LiteralValue::Str(s), Family::String) => Some(Value::Str(s.as_str().into())),
            (LiteralValue::Int(i), Family::Numeric) => Some(Value::Int(*i)),
            (LiteralValue::Bool(b), Family::Bool) => Some(Value::Bool(*b)),
            (LiteralValue::Guid(g), Family::Guid) => Some(Value::Guid(*g)),
            (LiteralValue::Str(s), Family::Guid) => match parse_guid(s) {
                Some(g) => Some(Value::Guid(g)),
                None => {
                    self.error(
                        ConditionError::new(ErrorKind::Type, format!("malformed GUID `{s}`"), l.span, "not a GUID")
                            .with_help("a GUID is 32 hex digits, optionally grouped 8-4-4-4-12 with hyphens"),
                    );
                    return None;
                }
            },
            (LiteralValue::Str(s), Family::DateTime) => match DateTime::parse(s) {
                Some(t) => Some(Value::Time(t)),
                None => {
                    self.error(
                        ConditionError::new(
                            ErrorKind::Type,
                            format!("malformed datetime `{s}`"),
                            l.span,
                            "not a datetime",
                        )
                        .with_help("write `'yyyy-mm-ddThh:mm:ss.fffffffZ'` (up to seven fractional digits)"),
                    );
                    return None;
                }
            },
            _ => None,
        };
        if value.is_none() {
            self.error(
                ConditionError::new(
                    ErrorKind::Type,
                    format!(
                        "`{l}` is {}, but a `{}…` operator compares {}",
                        literal_kind(&l.value),
                        family.as_str(),
                        family_values(family)
                    ),
                    l.span,
                    "wrong type of value",
                )
                .with_help(literal_help(family)),
            );
        }
        value
    }
}

fn family_values(f: Family) -> &'static str {
    match f {
        Family::String => "strings",
        Family::Numeric => "integers",
        Family::DateTime => "datetimes",
        Family::Guid => "GUIDs",
        Family::Bool => "booleans",
    }
}

fn literal_kind(v: &LiteralValue) -> &'static str {
    match v {
        LiteralValue::Str(_) => "a string",
        LiteralValue::Int(_) => "an integer",
        LiteralValue::Bool(_) => "a boolean",
        LiteralValue::Guid(_) => "a GUID",
    }
}

fn literal_help(f: Family) -> &'static str {
    match f {
        Family::String => "quote strings: `'text'`",
        Family::Numeric => "write integers without quotes: `42`",
        Family::DateTime => "quote datetimes: `'2024-01-01T00:00:00.0Z'`",
        Family::Guid => "write GUIDs without quotes: `5e467623-bb1f-42f4-a55d-6e525e11384b`",
        Family::Bool => "write `true` or `false` without quotes",
    }
}
