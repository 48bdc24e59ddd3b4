//! Scopes: parsing, normalisation and segment-wise ancestry (semantics §2.3).
//!
//! A scope is a `/`-separated path of segments. The forms ARM uses are:
//!
//! | form | kind |
//! | --- | --- |
//! | `/` | [`ScopeKind::Root`] |
//! | `/providers/Microsoft.Management/managementGroups/{id}` | [`ScopeKind::ManagementGroup`] |
//! | `/subscriptions/{id}` | [`ScopeKind::Subscription`] |
//! | `/subscriptions/{id}/resourceGroups/{name}` | [`ScopeKind::ResourceGroup`] |
//! | `{container}/providers/{Namespace}` | [`ScopeKind::Provider`] |
//! | `{container}/providers/{Namespace}/{type}/{name}[/{childType}/{childName}]…` | [`ScopeKind::Resource`] |
//! | `{resource}/providers/{Namespace}/{type}/{name}…` | [`ScopeKind::Extension`] |
//!
//! where a container is the root, a subscription or a resource group. Everything after `providers/{Namespace}`
//! is taken as written: request scopes may point below a resource (a blob path) or at a collection, so an odd
//! number of segments is fine there. Above the provider namespace the structure is checked.
//!
//! Comparison is ASCII case-insensitive and segment-wise, so `rg1` is not an ancestor of `rg10`. Keywords
//! (`subscriptions`, `resourceGroups`, `providers`, `managementGroups`, `Microsoft.Management`) are recognised in
//! any ASCII case and kept as written.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use nom::bytes::complete::{take_till1, take_while1};
use nom::{IResult, Parser};

use crate::action::{CharClass, classify_char};
use crate::span::Span;

// The check path's allocation-free splitter; `crate::internals` re-exports it for the fuzz targets.
pub(crate) mod canonical;
pub(crate) use canonical::{Canonical, MAX_SEGMENTS, canonical_segments, is_canonical_scope};

/// A parsed, normalised scope.
///
/// Equality and hashing ignore ASCII case (as Azure does); [`fmt::Display`] and [`Scope::as_str`] give the
/// normalised text in its original case.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Normalised text: `/` followed by the segments joined with `/`.
    text: String,
    layout: Layout,
}

/// What a scope designates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeKind {
    /// `/`, above everything including the tenant root management group.
    Root,
    /// `/providers/Microsoft.Management/managementGroups/{id}`.
    ManagementGroup,
    /// `/subscriptions/{id}`.
    Subscription,
    /// `/subscriptions/{id}/resourceGroups/{name}`.
    ResourceGroup,
    /// A provider namespace without a resource under a container: `/providers/Microsoft.Capacity` (tenant level),
    /// `/subscriptions/{id}/providers/Microsoft.Web`.
    Provider,
    /// Anything below `providers/{Namespace}`: a resource, a child resource, a resource-type collection, or a
    /// path below a resource such as a blob. Also children of a management group other than extensions
    /// (`…/managementGroups/{id}/subscriptions/{id}`).
    Resource,
    /// An extension resource on a resource or a management group: a further `providers` segment in a type
    /// position, such as `{resource}/providers/Microsoft.Authorization/roleAssignments/{id}`.
    Extension,
}

/// Where the structural parts of a scope are, as segment indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    kind: ScopeKind,
    /// Index of the management-group id segment.
    management_group: Option<usize>,
    /// Index of the subscription id segment.
    subscription: Option<usize>,
    /// Index of the resource-group name segment.
    resource_group: Option<usize>,
    /// Index of the first provider namespace segment (the one after the first `providers`).
    namespace: Option<usize>,
}

/// A scope together with the normalisations that were needed to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedScope {
    /// The scope.
    pub scope: Scope,
    /// Normalisations applied, each kind at most once, in order of first occurrence.
    pub normalized: Vec<Normalization>,
}

/// A normalisation applied while reading a scope; accepted, but worth a note from the linter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Normalization {
    /// The scope did not start with `/` (the REST examples write `subscriptions/…`).
    AddedLeadingSlash,
    /// The scope ended with `/` after a segment.
    RemovedTrailingSlash,
    /// Two or more consecutive `/` were read as one.
    CollapsedDoubleSlash,
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Normalization::AddedLeadingSlash => "added a missing leading `/`",
            Normalization::RemovedTrailingSlash => "removed a trailing `/`",
            Normalization::CollapsedDoubleSlash => "collapsed `//` into `/`",
        })
    }
}

/// A scope that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct ScopeError {
    /// What is wrong.
    pub problem: ScopeProblem,
    /// Byte range of the offending part within the input.
    pub at: Span,
}

/// Why a scope cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeProblem {
    /// The input is empty.
    #[error("empty scope")]
    Empty,
    /// Whitespace anywhere (scopes are never trimmed).
    #[error("whitespace in a scope")]
    Whitespace,
    /// A control or invisible format character.
    #[error("control or invisible character in a scope")]
    ControlCharacter,
    /// A `%`, `?`, `#` or `\`: Azure would read the scope as another one (see [`is_reserved_byte`]).
    #[error("`{character}` in a scope (a URL escape, a query, a fragment or a backslash names another scope to Azure)")]
    ReservedCharacter {
        /// The character.
        character: char,
    },
    /// A `.` or `..` segment.
    #[error("`.` and `..` segments are not allowed in a scope")]
    DotSegment,
    /// A keyword segment without the name that must follow it.
    #[error("`{keyword}` must be followed by a name")]
    MissingName {
        /// The keyword, in its canonical spelling.
        keyword: &'static str,
    },
    /// A segment where the structure allows only certain keywords.
    #[error("unexpected segment, expected {expected}")]
    UnexpectedSegment {
        /// What was expected, for the message.
        expected: &'static str,
    },
}

/// A scope string as found in a file, classified before strict parsing so that placeholders and template
/// expressions are not reported as malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeValue {
    /// A real scope.
    Parsed(ParsedScope),
    /// A documentation placeholder such as `<subscriptionId>`, `{subscriptionId}`, `${SUB}`, `$(sub)`, `$SUB`,
    /// `YOUR-SUBSCRIPTION-ID` or `/subscriptions/SUBSCRIPTION_ID` stands for a segment; `at` is the first such
    /// segment ([`find_placeholder`] describes it).
    Placeholder {
        /// Byte range of the first placeholder segment within the input.
        at: Span,
    },
    /// The whole string is an ARM template expression (`[subscription().id]`), kept opaque.
    Template,
    /// Neither a scope nor a recognisable placeholder or template.
    Malformed(ScopeError),
}

const KW_SUBSCRIPTIONS: &str = "subscriptions";
const KW_RESOURCE_GROUPS: &str = "resourceGroups";
const KW_PROVIDERS: &str = "providers";
const KW_MANAGEMENT: &str = "Microsoft.Management";
const KW_MANAGEMENT_GROUPS: &str = "managementGroups";

/// Classifies a scope string from a file: template expression, placeholder, scope or malformed.
///
/// A template is a string that starts with `[` and ends with `]`, except that a leading `[[` is ARM's escape for
/// a literal `[` and is therefore not a template (such a string is parsed, and typically is malformed). Embedded
/// brackets are not expressions in ARM either, so only the whole string counts.
pub fn classify_scope(raw: &str) -> ScopeValue {
    if raw.len() >= 2 && raw.starts_with('[') && raw.ends_with(']') && !raw.starts_with("[[") {
        return ScopeValue::Template;
    }
    if let Some(p) = find_placeholder(raw) {
        return ScopeValue::Placeholder { at: p.at };
    }
    match parse_scope(raw) {
        Ok(parsed) => ScopeValue::Parsed(parsed),
        Err(e) => ScopeValue::Malformed(e),
    }
}

/// The kind of placeholder a scope segment is, for messages: `<name>`, `${NAME}`, `SUBSCRIPTION_ID`...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceholderForm {
    /// `<subscriptionId>`.
    Angle,
    /// `{subscriptionId}`.
    Brace,
    /// `{{subscriptionId}}` (Mustache, Jinja, Handlebars).
    DoubleBrace,
    /// `${SUB}`.
    DollarBrace,
    /// `$(sub)` (Azure Pipelines macro, shell command substitution).
    DollarParen,
    /// `$SUB` or `$subscriptionID` (a shell or PowerShell variable).
    Dollar,
    /// `SUBSCRIPTION_ID`: an all-capitals name where a GUID belongs.
    AllCaps,
    /// `YOUR-SUBSCRIPTION-ID`, `your_rg`, `yourResourceGroup`.
    Your,
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`: a GUID pattern with letters `x` for digits.
    GuidPattern,
}

impl PlaceholderForm {
    /// The form as a phrase: "a `${NAME}` variable".
    pub fn describe(self) -> &'static str {
        match self {
            PlaceholderForm::Angle => "an `<name>` placeholder",
            PlaceholderForm::Brace => "a `{name}` placeholder",
            PlaceholderForm::DoubleBrace => "a `{{name}}` template variable",
            PlaceholderForm::DollarBrace => "a `${NAME}` variable",
            PlaceholderForm::DollarParen => "a `$(name)` macro",
            PlaceholderForm::Dollar => "a `$NAME` shell variable",
            PlaceholderForm::AllCaps => "an all-capitals placeholder name",
            PlaceholderForm::Your => "a `YOUR-...` placeholder",
            PlaceholderForm::GuidPattern => "an `xxxxxxxx-...` GUID pattern",
        }
    }
}

/// What a scope segment that follows `keyword` must be replaced with: "a subscription id (a GUID)".
pub fn segment_meaning(keyword: &str) -> &'static str {
    if keyword.eq_ignore_ascii_case(KW_SUBSCRIPTIONS) {
        "the subscription id (a GUID)"
    } else if keyword.eq_ignore_ascii_case(KW_RESOURCE_GROUPS) {
        "the resource group name"
    } else if keyword.eq_ignore_ascii_case(KW_MANAGEMENT_GROUPS) {
        "the management group id"
    } else if keyword.eq_ignore_ascii_case(KW_PROVIDERS) {
        "the provider namespace"
    } else {
        "the name it stands for"
    }
}

/// A placeholder segment of a scope: its span in the scope, its form, and the keyword before it
/// (`subscriptions`), which says what to substitute ([`segment_meaning`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Byte range of the segment within the scope.
    pub at: Span,
    /// The segment's text.
    pub text: &'a str,
    /// Its form.
    pub form: PlaceholderForm,
    /// The segment before it (empty at the start).
    pub after: &'a str,
}

/// The first placeholder segment of `raw`, described; `None` when `raw` has none (what
/// [`ScopeValue::Placeholder`] reports as `at`).
pub fn find_placeholder(raw: &str) -> Option<Placeholder<'_>> {
    let mut start = 0;
    let mut previous = "";
    for part in raw.split('/') {
        let end = start + part.len();
        if let Some(form) = placeholder_form(part, previous) {
            return Some(Placeholder { at: Span::new(start, end), text: part, form, after: previous });
        }
        if !part.is_empty() {
            previous = part;
        }
        start = end + 1;
    }
    None
}

/// The placeholder form of one segment, given the segment before it. `$name` and `your...` count only as a
/// subscription, resource group or management group name, which cannot hold a `$` (a storage container can:
/// `$web`); all-capitals names only as a subscription id, which must be a GUID (`RG_PROD` is a fine group name).
fn placeholder_form(part: &str, previous: &str) -> Option<PlaceholderForm> {
    let structural =
        [KW_SUBSCRIPTIONS, KW_RESOURCE_GROUPS, KW_MANAGEMENT_GROUPS].iter().any(|k| previous.eq_ignore_ascii_case(k));
    let enclosed = |open: &str, close: &str| {
        part.len() > open.len() + close.len() && part.starts_with(open) && part.ends_with(close)
    };
    let identifier = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if enclosed("<", ">") {
        Some(PlaceholderForm::Angle)
    } else if enclosed("{{", "}}") {
        Some(PlaceholderForm::DoubleBrace)
    } else if enclosed("${", "}") {
        Some(PlaceholderForm::DollarBrace)
    } else if enclosed("{", "}") {
        Some(PlaceholderForm::Brace)
    } else if enclosed("$(", ")") {
        Some(PlaceholderForm::DollarParen)
    } else if structural && part.strip_prefix('$').is_some_and(identifier) {
        Some(PlaceholderForm::Dollar)
    } else if structural && is_your(part) {
        Some(PlaceholderForm::Your)
    } else if is_guid_pattern(part) {
        Some(PlaceholderForm::GuidPattern)
    } else if previous.eq_ignore_ascii_case(KW_SUBSCRIPTIONS) && is_all_caps_name(part) {
        Some(PlaceholderForm::AllCaps)
    } else {
        None
    }
}

/// `YOUR-SUBSCRIPTION-ID`, `your_rg`, `yourResourceGroup`: "your" and then a separator or a capital.
fn is_your(part: &str) -> bool {
    let Some(head) = part.get(..4) else { return false };
    let rest = part.get(4..).unwrap_or_default();
    head.eq_ignore_ascii_case("your")
        && rest.chars().next().is_some_and(|c| c == '-' || c == '_' || (c.is_ascii_uppercase() && head == "your"))
}

/// A GUID-shaped segment with `x` or `X` where hex digits belong, and at least one of them.
fn is_guid_pattern(part: &str) -> bool {
    part.len() == 36
        && part.bytes().any(|b| b.eq_ignore_ascii_case(&b'x'))
        && part.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit() || b.eq_ignore_ascii_case(&b'x')
            }
        })
}

/// `SUBSCRIPTION_ID`, `SUB_ID`, `SUBSCRIPTIONID`: capitals (and digits) with an underscore, or ending in `ID`.
fn is_all_caps_name(part: &str) -> bool {
    part.len() >= 4
        && part.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && part.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && (part.contains('_') || part.ends_with("ID"))
}

/// Whether `b` may not appear anywhere in a scope. Each of these makes Azure read a scope as another one than its
/// text, which is how a request could slip past a deny assignment: `%` starts a URL escape that Azure decodes
/// (`r%67` is `rg`), `?` a query and `#` a fragment that it cuts off (`rg?x=1` is `rg`), and `\` is a `/` to URL
/// parsers that follow the WHATWG URL standard (`rg\providers\…` is below `rg`). None of them can be part of a
/// real scope: ARM's resource-provider contract bars them from resource and resource-group names ("cannot
/// include: '<', '>', '%', '&', ':', '\\', '?', '/'"), and a path below a resource that holds one (a blob name)
/// is percent-encoded in a URL. The contract bars `<`, `>`, `&` and `:` as well, but every parser reads those as
/// written, so a scope holding one names only itself; they are not refused, to keep the rule to what can widen
/// access.
pub const fn is_reserved_byte(b: u8) -> bool {
    matches!(b, b'%' | b'?' | b'#' | b'\\')
}

fn is_reserved_char(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_reserved_byte)
}

/// Parses a scope, normalising a missing leading `/`, a trailing `/` and repeated `/`.
///
/// Checks run in this order, and the first failure is reported: characters (whitespace, control, reserved: the
/// first offending one), then `.` and `..` segments, then the structure above the provider namespace.
pub fn parse_scope(raw: &str) -> Result<ParsedScope, ScopeError> {
    if raw.is_empty() {
        return Err(ScopeError { problem: ScopeProblem::Empty, at: Span::point(0) });
    }
    if let Some((i, c, class)) = raw
        .char_indices()
        .map(|(i, c)| (i, c, classify_char(c)))
        .find(|t| t.2 != CharClass::Literal || is_reserved_char(t.1))
    {
        let problem = match class {
            CharClass::Control => ScopeProblem::ControlCharacter,
            CharClass::Literal => ScopeProblem::ReservedCharacter { character: c },
            _ => ScopeProblem::Whitespace,
        };
        return Err(ScopeError { problem, at: Span::new(i, i + c.len_utf8()) });
    }

    let (raw_segments, normalized) = tokenize(raw);
    if let Some(&(span, _)) = raw_segments.iter().find(|(_, s)| *s == "." || *s == "..") {
        return Err(ScopeError { problem: ScopeProblem::DotSegment, at: span });
    }
    let texts: Vec<&str> = raw_segments.iter().map(|&(_, s)| s).collect();
    let layout = classify(&texts).map_err(|(problem, index)| ScopeError {
        problem,
        at: raw_segments.get(index).map_or(Span::point(raw.len()), |&(span, _)| span),
    })?;
    Ok(ParsedScope { scope: Scope::from_parts(&texts, layout), normalized })
}

enum Token<'a> {
    Slashes(&'a str),
    Segment(&'a str),
}

fn token(input: &str) -> IResult<&str, Token<'_>> {
    let slashes = take_while1(|c| c == '/').map(Token::Slashes);
    let segment = take_till1(|c| c == '/').map(Token::Segment);
    nom::branch::alt((slashes, segment)).parse(input)
}

/// Splits `raw` into segments with their byte ranges, noting every normalisation needed.
fn tokenize(raw: &str) -> (Vec<(Span, &str)>, Vec<Normalization>) {
    let mut segments = Vec::new();
    let mut normalized = Vec::new();
    let mut note = |n: Normalization| {
        if !normalized.contains(&n) {
            normalized.push(n);
        }
    };
    if !raw.starts_with('/') {
        note(Normalization::AddedLeadingSlash);
    }
    let mut rest = raw;
    // Every token consumes at least one character, so this ends; it stops when `rest` is empty.
    while let Ok((next, tok)) = token(rest) {
        let at = raw.len() - rest.len();
        match tok {
            Token::Slashes(s) => {
                if s.len() > 1 {
                    note(Normalization::CollapsedDoubleSlash);
                }
                if next.is_empty() && !segments.is_empty() {
                    note(Normalization::RemovedTrailingSlash);
                }
            }
            Token::Segment(s) => segments.push((Span::new(at, at + s.len()), s)),
        }
        rest = next;
    }
    (segments, normalized)
}

fn is_kw(segment: Option<&&str>, keyword: &str) -> bool {
    segment.is_some_and(|s| s.eq_ignore_ascii_case(keyword))
}

/// Works out the structure of a segment list, or the problem and the index of the segment to blame.
fn classify(segs: &[&str]) -> Result<Layout, (ScopeProblem, usize)> {
    let mut layout = Layout {
        kind: ScopeKind::Root,
        management_group: None,
        subscription: None,
        resource_group: None,
        namespace: None,
    };
    let missing = |keyword, index| Err((ScopeProblem::MissingName { keyword }, index));
    let unexpected = |expected, index| Err((ScopeProblem::UnexpectedSegment { expected }, index));

    // The container: root, subscription or resource group; `at` is the next segment to read.
    let mut at = 0;
    if is_kw(segs.first(), KW_SUBSCRIPTIONS) {
        if segs.len() < 2 {
            return missing(KW_SUBSCRIPTIONS, 0);
        }
        layout.kind = ScopeKind::Subscription;
        layout.subscription = Some(1);
        at = 2;
        if is_kw(segs.get(2), KW_RESOURCE_GROUPS) {
            if segs.len() < 4 {
                return missing(KW_RESOURCE_GROUPS, 2);
            }
            layout.kind = ScopeKind::ResourceGroup;
            layout.resource_group = Some(3);
            at = 4;
        }
    }
    if at == segs.len() {
        return Ok(layout);
    }
    if !is_kw(segs.get(at), KW_PROVIDERS) {
        let expected = match at {
            0 => "`subscriptions` or `providers`",
            2 => "`resourceGroups` or `providers`",
            _ => "`providers`",
        };
        return unexpected(expected, at);
    }
    let namespace = at + 1;
    if segs.len() <= namespace {
        return missing(KW_PROVIDERS, at);
    }
    layout.namespace = Some(namespace);
    layout.kind = ScopeKind::Provider;

    // Below the namespace: a path of type/name pairs, taken as written.
    let path = segs.get(namespace + 1..).unwrap_or_default();
    if path.is_empty() {
        return Ok(layout);
    }
    layout.kind = ScopeKind::Resource;
    let is_management_group = at == 0
        && is_kw(segs.get(namespace), KW_MANAGEMENT)
        && is_kw(path.first(), KW_MANAGEMENT_GROUPS)
        && path.len() >= 2;
    if is_management_group {
        layout.management_group = Some(namespace + 2);
        if path.len() == 2 {
            layout.kind = ScopeKind::ManagementGroup;
        }
    }
    if path.iter().step_by(2).skip(1).any(|s| s.eq_ignore_ascii_case(KW_PROVIDERS)) {
        layout.kind = ScopeKind::Extension;
    }
    Ok(layout)
}

impl Scope {
    fn from_parts(segs: &[&str], layout: Layout) -> Scope {
        let mut text = String::with_capacity(segs.iter().map(|s| s.len() + 1).sum::<usize>().max(1));
        for s in segs {
            text.push('/');
            text.push_str(s);
        }
        if text.is_empty() {
            text.push('/');
        }
        // Segments are found again by splitting when asked: a tenant holds hundreds of thousands of scopes,
        // and storing their offsets (and a lower-cased copy) cost more than the text itself.
        Scope { text, layout }
    }

    /// The root scope `/`.
    pub fn root() -> Scope {
        Scope::from_parts(
            &[],
            Layout {
                kind: ScopeKind::Root,
                management_group: None,
                subscription: None,
                resource_group: None,
                namespace: None,
            },
        )
    }

    /// The normalised text, in its original case.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the scope designates.
    pub fn kind(&self) -> ScopeKind {
        self.layout.kind
    }

    /// The segments, in order, without separators; none for the root.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        // Canonical text: `/` then segments joined by single `/`; the root has none.
        self.text.split('/').skip(1).filter(|s| !s.is_empty())
    }

    /// How many segments the scope has.
    pub fn depth(&self) -> usize {
        self.segments().count()
    }

    fn segment(&self, index: Option<usize>) -> Option<&str> {
        self.segments().nth(index?)
    }

    /// Whether `self` is `other` or one of its ancestors: the segments of `self` are a prefix of those of
    /// `other`, compared ASCII case-insensitively. The root is an ancestor of every scope. Management-group
    /// nesting is not encoded in scope strings and is not considered here.
    pub fn is_ancestor_or_self_of(&self, other: &Scope) -> bool {
        self.depth() <= other.depth() && self.segments().zip(other.segments()).all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// The next scope up by ARM's structure, or `None` for the root:
    ///
    /// * a management group and a subscription go to the root (the management-group tree comes from
    ///   `hierarchy.json`, not from the scope string);
    /// * a resource group goes to its subscription;
    /// * a provider scope (`…/providers/Ns`) goes to its container (root, subscription or resource group);
    /// * a path below `providers/Ns` drops one segment if it has an odd number of segments after the namespace
    ///   (a collection or a path below a resource), otherwise one type/name pair. A top-level resource thus goes
    ///   to its provider scope and then to its container, an extension resource to `{resource}/providers/Ns`
    ///   and then to the resource it extends, and a management group's child to the management group.
    ///
    /// Every scope on this chain is a segment-wise ancestor, so walking it never leaves
    /// [`Scope::is_ancestor_or_self_of`]; the converse does not hold for unusual scopes such as a
    /// resource-type collection, which is an ancestor of its resources but not on their parent chain.
    pub fn parent(&self) -> Option<Scope> {
        let len = self.depth();
        let parent_len = match self.layout.kind {
            ScopeKind::Root => return None,
            ScopeKind::ManagementGroup | ScopeKind::Subscription => 0,
            ScopeKind::ResourceGroup | ScopeKind::Provider => len.saturating_sub(2),
            ScopeKind::Resource | ScopeKind::Extension => {
                let base = self.layout.namespace.map_or(len, |ns| ns + 1);
                let below = len.saturating_sub(base);
                len.saturating_sub(if below % 2 == 1 { 1 } else { 2 })
            }
        };
        self.prefix(parent_len)
    }

    /// The scope made of the first `len` segments, if that is a well-formed scope.
    fn prefix(&self, len: usize) -> Option<Scope> {
        let segs: Vec<&str> = self.segments().take(len).collect();
        classify(&segs).ok().map(|layout| Scope::from_parts(&segs, layout))
    }

    /// The chain from this scope up to the root via [`Scope::parent`], starting with the scope itself.
    pub fn ancestors(&self) -> impl Iterator<Item = Scope> {
        std::iter::successors(Some(self.clone()), Scope::parent)
    }

    /// The management-group id, for a management group or anything below one.
    pub fn management_group(&self) -> Option<&str> {
        self.segment(self.layout.management_group)
    }

    /// The subscription id, for a subscription or anything below one.
    pub fn subscription(&self) -> Option<&str> {
        self.segment(self.layout.subscription)
    }

    /// The resource-group name, for a resource group or anything below one.
    pub fn resource_group(&self) -> Option<&str> {
        self.segment(self.layout.resource_group)
    }

    /// The first provider namespace (`Microsoft.Storage` in `…/providers/Microsoft.Storage/…`), if any.
    pub fn provider_namespace(&self) -> Option<&str> {
        self.segment(self.layout.namespace)
    }
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.text.eq_ignore_ascii_case(&other.text)
    }
}

impl Eq for Scope {}

impl Hash for Scope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Consistent with `eq`: equal up to ASCII case hashes equally.
        for b in self.text.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    /// Parses like [`parse_scope`] and drops the list of normalisations.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_scope(s).map(|p| p.scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> Scope {
        s.parse().unwrap()
    }

    #[test]
    fn parent_chain_of_an_extension() {
        let s = scope(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/x",
        );
        assert_eq!(s.kind(), ScopeKind::Extension);
        let chain: Vec<String> = s.ancestors().map(|a| a.to_string()).collect();
        assert_eq!(
            chain,
            [
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/x",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage",
                "/subscriptions/s/resourceGroups/rg",
                "/subscriptions/s",
                "/",
            ]
        );
    }

    #[test]
    fn equality_ignores_ascii_case_only() {
        assert_eq!(scope("/subscriptions/S/resourcegroups/RG"), scope("/SUBSCRIPTIONS/s/resourceGroups/rg"));
        assert_ne!(scope("/subscriptions/s"), scope("/subscriptions/ſ"));
    }
}
