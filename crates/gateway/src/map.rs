//! ARM request mapping: an HTTP method and the raw path of an Azure Resource Manager request turned into the
//! operation and the scope the engine checks (semantics §3.2).
//!
//! The raw path is never decoded or normalised: a `%` escape, a backslash, a `.` or `..` segment, an empty
//! segment, a control or non-ASCII character is refused with its byte range, so that no spelling of a path can
//! be turned into another resource. The query string is ignored. Operations are looked up in the catalog rather
//! than assumed, so a `POST …/checkNameAvailability`, which the catalog lists as a `read`, is checked as one.

use std::ops::Range;

use rolegate::catalog::Catalog;

/// The longest raw path (and query) that is mapped; ARM's own limit on URLs is far below a browser's.
pub const MAX_PATH_BYTES: usize = 4096;

/// What a request is checked as.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target {
    /// The operation, in the catalog's spelling when the catalog has it
    /// (`Microsoft.Compute/virtualMachines/read`).
    pub action: String,
    /// The scope the operation is checked at: a slice of the request's path, as written (`/subscriptions/s1/…`).
    pub scope: String,
    /// Whether the catalog lists the operation ([`did_you_mean`] finds the nearest one it does list).
    pub operation: Operation,
}

/// Whether the operation a request maps to is one the catalog lists.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// The catalog lists it.
    Known,
    /// The catalog does not list it; it is still checked (a role may grant it by wildcard).
    Unknown,
}

/// Why a request was not mapped. Ranges are byte offsets into the raw path and query as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// The path (with its query) is longer than [`MAX_PATH_BYTES`].
    #[error("the request path is {len} bytes long; at most {MAX_PATH_BYTES} are mapped")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// An HTTP method ARM does not use for resources.
    #[error("method `{method}` is not an ARM resource method (GET, HEAD, PUT, PATCH, DELETE, POST)")]
    Method {
        /// The method, cut to 16 characters.
        method: String,
    },
    /// A byte the mapping refuses rather than interpret.
    #[error("{refusal} at bytes {}..{} of the path", at.start, at.end)]
    Refused {
        /// What was found.
        refusal: Refusal,
        /// Where.
        at: Range<usize>,
    },
    /// The path is not the shape of an ARM resource request.
    #[error("{why} (bytes {}..{} of the path)", at.start, at.end)]
    Shape {
        /// What is wrong, lower-case.
        why: &'static str,
        /// Where.
        at: Range<usize>,
    },
}

/// What a refused path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A path that does not start with `/`.
    NotAbsolute,
    /// A `%` escape (`%2F` could smuggle a separator into a name).
    PercentEscape,
    /// A backslash, which some servers treat as a separator.
    Backslash,
    /// A control character.
    ControlCharacter,
    /// A non-ASCII character (legal in resource-group names, but not mapped: see the README).
    NonAscii,
    /// An empty segment (`//`, or a trailing `/`).
    EmptySegment,
    /// A `.` or `..` segment.
    DotSegment,
    /// A `#` (a fragment never reaches a server).
    Fragment,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::NotAbsolute => "a path that does not start with `/`",
            Refusal::PercentEscape => "a `%` escape",
            Refusal::Backslash => "a backslash",
            Refusal::ControlCharacter => "a control character",
            Refusal::NonAscii => "a non-ASCII character",
            Refusal::EmptySegment => "an empty segment",
            Refusal::DotSegment => "a `.` or `..` segment",
            Refusal::Fragment => "a `#`",
        })
    }
}

/// Maps a request against the shipped operation catalog ([`map_with`]).
///
/// ```
/// use rolegate_gateway::map::map;
///
/// let t = map("PUT", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-03-01")?;
/// assert_eq!(t.action, "Microsoft.Compute/virtualMachines/write");
/// assert_eq!(t.scope, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1");
/// # Ok::<(), rolegate_gateway::map::MapError>(())
/// ```
pub fn map(method: &str, raw_path_and_query: &str) -> Result<Target, MapError> {
    map_with(method, raw_path_and_query, Catalog::builtin())
}

/// How a request acts on what its path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Read,
    Write,
    Delete,
    Post,
}

/// A segment of the path: its text and where it ends.
#[derive(Clone, Copy, Debug)]
struct Seg<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

impl Seg<'_> {
    fn is(&self, keyword: &str) -> bool {
        self.text.eq_ignore_ascii_case(keyword)
    }
}

/// The resource chain being walked: a namespace and its type segments, the end of the last complete scope, and
/// for an extension resource what it extends.
#[derive(Clone, Debug, Default)]
struct Chain<'a> {
    namespace: &'a str,
    types: Vec<&'a str>,
    /// Byte offset (in the path) where the scope named so far ends; 0 is the root `/`.
    scope_end: usize,
    /// Set for an extension resource, which is authorized at the scope it extends (`scope_end` stops moving).
    /// For one below a provider's resource it holds that resource's namespace and types, which give the
    /// catalog's proxy spelling (`Microsoft.Compute/virtualMachines/providers/Microsoft.Insights/…`).
    extension: Option<Option<(&'a str, Vec<&'a str>)>>,
    /// Whether a `providers/{ns}` was read: the chain is a provider's resource, not a subscription or group.
    provider: bool,
}

/// Maps a request using `catalog` to find operations (semantics §3.2). See the [module docs](self).
pub fn map_with(method: &str, raw: &str, catalog: &Catalog) -> Result<Target, MapError> {
    if raw.len() > MAX_PATH_BYTES {
        return Err(MapError::TooLong { len: raw.len() });
    }
    let verb = match method {
        "GET" | "HEAD" => Verb::Read,
        "PUT" | "PATCH" => Verb::Write,
        "DELETE" => Verb::Delete,
        "POST" => Verb::Post,
        _ => return Err(MapError::Method { method: method.chars().take(16).collect() }),
    };
    let path = raw.split_once('?').map_or(raw, |(p, _)| p);
    let segs = segments(path)?;
    let (chain, pending) = walk(&segs)?;
    let last = segs.last().map_or(0..0, |s| s.start..s.end);
    // `scope_end` is always the end of a segment, so the slice exists; were it not, refuse rather than widen.
    let scope = match chain.scope_end {
        0 => "/",
        end => path.get(..end).ok_or(MapError::Shape { why: "no scope in the path", at: 0..path.len() })?,
    };
    // The operation's type segments are the chain's, plus a trailing collection for a GET on one; the verbs are
    // tried in order. Most POSTs are `{verb}/action`, but the catalog lists some (`checkNameAvailability`) as
    // reads: the catalog decides. The first verb is also the spelling an unlisted operation is checked in.
    type Spelling<'a> = (Option<&'a str>, &'static str);
    let (collection, first, second): (Option<&str>, Spelling<'_>, Option<Spelling<'_>>) = match (pending, verb) {
        (None, Verb::Read) => (None, (None, "read"), None),
        (None, Verb::Write) => (None, (None, "write"), None),
        (None, Verb::Delete) => (None, (None, "delete"), None),
        (None, Verb::Post) => {
            return Err(MapError::Shape { why: "a POST names an action after the resource", at: last });
        }
        (Some(collection), Verb::Read) => (Some(collection.text), (None, "read"), None),
        (Some(action), Verb::Post) => (None, (Some(action.text), "action"), Some((Some(action.text), "read"))),
        (Some(_), Verb::Write | Verb::Delete) => {
            return Err(MapError::Shape { why: "a PUT, PATCH or DELETE needs a resource name", at: last });
        }
    };
    let op_types = OpTypes { types: &chain.types, collection };
    // Every spelling the catalog may have, in order of preference: per verb, the proxy spelling of an extension
    // resource, then the plain one. Built lower-case in one buffer, so that the lookups allocate nothing.
    let proxy = match &chain.extension {
        Some(Some((base_ns, base_types))) => Some((*base_ns, base_types.as_slice())),
        _ => None,
    };
    let mut name = String::with_capacity(raw.len() + 32);
    for (prefix, suffix) in std::iter::once(first).chain(second) {
        for base in proxy.map(Some).into_iter().chain(std::iter::once(None)) {
            op_types.write(&mut name, base, chain.namespace, prefix, suffix);
            name.make_ascii_lowercase();
            if let Some(op) = catalog.lookup(&name).next() {
                return Ok(Target { action: op.name.clone(), scope: scope.to_owned(), operation: Operation::Known });
            }
        }
    }
    // An unlisted operation is still checked (a role may grant it by wildcard), in its plain spelling as written.
    let (prefix, suffix) = first;
    op_types.write(&mut name, None, chain.namespace, prefix, suffix);
    Ok(Target { action: name, scope: scope.to_owned(), operation: Operation::Unknown })
}

/// The type segments of an operation: the chain's, and a collection's for a GET on one.
struct OpTypes<'a> {
    types: &'a [&'a str],
    collection: Option<&'a str>,
}

impl OpTypes<'_> {
    /// Writes `{base_ns}/{base_types…}/providers/{ns}/{types…}/[{prefix}/]{suffix}` into `out` (replacing it), or
    /// without the base for a plain spelling.
    fn write(&self, out: &mut String, base: Option<(&str, &[&str])>, ns: &str, prefix: Option<&str>, suffix: &str) {
        out.clear();
        if let Some((base_ns, base_types)) = base {
            out.push_str(base_ns);
            for t in base_types {
                out.push('/');
                out.push_str(t);
            }
            out.push_str("/providers/");
        }
        out.push_str(ns);
        for t in self.types.iter().chain(&self.collection) {
            out.push('/');
            out.push_str(t);
        }
        for part in prefix.iter().chain(std::iter::once(&suffix)) {
            out.push('/');
            out.push_str(part);
        }
    }
}

/// Checks a path (without its query) by the mapping's rules, for paths that are not ARM resource ids (an ML
/// endpoint's scoring path): no escapes, empty or dot segments, control or non-ASCII bytes.
pub(crate) fn check_path(path: &str) -> Result<(), MapError> {
    if path.len() > MAX_PATH_BYTES {
        return Err(MapError::TooLong { len: path.len() });
    }
    segments(path).map(drop)
}

/// The path's segments after checking every byte; refused bytes are reported with their range.
fn segments(path: &str) -> Result<Vec<Seg<'_>>, MapError> {
    let refused = |refusal, at| Err(MapError::Refused { refusal, at });
    if !path.starts_with('/') {
        return refused(Refusal::NotAbsolute, 0..path.len().min(1));
    }
    // One pass over the bytes finds the separators and every refused byte (bytes, not chars: every byte at or
    // above 0x80 belongs to a non-ASCII character, reported whole). Refused bytes are reported before segment
    // shapes, wherever they are.
    let mut out = Vec::with_capacity(16);
    let mut start = 1;
    for (i, &b) in path.as_bytes().iter().enumerate() {
        let at = i..i + 1;
        match b {
            b'/' if i > 0 => {
                out.push(Seg { text: "", start, end: i });
                start = i + 1;
            }
            b'%' => return refused(Refusal::PercentEscape, i..(i + 3).min(path.len())),
            b'\\' => return refused(Refusal::Backslash, at),
            b'#' => return refused(Refusal::Fragment, at),
            b if b.is_ascii_control() => return refused(Refusal::ControlCharacter, at),
            b if !b.is_ascii() => {
                let len = path.get(i..).and_then(|rest| rest.chars().next()).map_or(1, char::len_utf8);
                return refused(Refusal::NonAscii, i..i + len);
            }
            _ => {}
        }
    }
    if path == "/" {
        return Ok(out);
    }
    out.push(Seg { text: "", start, end: path.len() });
    for seg in &mut out {
        seg.text = path.get(seg.start..seg.end).unwrap_or_default();
        if seg.text.is_empty() {
            return refused(Refusal::EmptySegment, seg.start.saturating_sub(1)..seg.start);
        }
        if seg.text == "." || seg.text == ".." {
            return refused(Refusal::DotSegment, seg.start..seg.end);
        }
    }
    Ok(out)
}

/// Walks the segments: returns the chain named, and a trailing type (a collection, or a POST's action) that has
/// no name after it. The walk is always at a type position: segments come as type/name pairs.
fn walk<'a>(segs: &[Seg<'a>]) -> Result<(Chain<'a>, Option<Seg<'a>>), MapError> {
    let Some(first) = segs.first() else {
        return Err(MapError::Shape { why: "the root path names no resource", at: 0..1 });
    };
    if !(first.is("subscriptions") || first.is("tenants") || first.is("providers")) {
        return Err(MapError::Shape {
            why: "an ARM path starts with `/subscriptions`, `/providers` or `/tenants`",
            at: first.start..first.end,
        });
    }
    // `subscriptions`, `resourceGroups` and what hangs below them without a `providers` segment belong to
    // Microsoft.Resources.
    let mut chain = Chain { namespace: "Microsoft.Resources", ..Chain::default() };
    let mut i = 0;
    while let Some(seg) = segs.get(i) {
        let Some(next) = segs.get(i + 1) else { return Ok((chain, Some(*seg))) };
        if seg.is("providers") {
            if !is_namespace(next.text) {
                return Err(MapError::Shape { why: "not a resource provider namespace", at: next.start..next.end });
            }
            if segs.get(i + 2).is_none() {
                // `GET /subscriptions/s/providers/Microsoft.Compute`: the provider's registration, read at the
                // scope named so far.
                if chain.provider {
                    return Err(MapError::Shape {
                        why: "a provider namespace names no resource",
                        at: next.start..next.end,
                    });
                }
                chain.types.push("providers");
                return Ok((chain, None));
            }
            // A provider's resource below another provider's resource is an extension resource; so is anything
            // of Microsoft.Authorization (role and deny assignments, locks, policy): both are authorized at the
            // scope they extend.
            if chain.extension.is_none() && (chain.provider || next.is("Microsoft.Authorization")) {
                let base = chain.provider.then(|| (chain.namespace, chain.types.clone()));
                chain.extension = Some(base);
            }
            chain.namespace = next.text;
            chain.types.clear();
            chain.provider = true;
            i += 2;
            continue;
        }
        chain.types.push(seg.text);
        if chain.extension.is_none() {
            chain.scope_end = next.end;
        }
        i += 2;
    }
    Ok((chain, None))
}

/// RPC: a namespace "can only be ASCII alphanumeric characters and the `.` character".
fn is_namespace(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// The shipped catalog's operation nearest to `action` ([`did_you_mean_in`]).
pub fn did_you_mean(action: &str) -> Option<String> {
    did_you_mean_in(Catalog::builtin(), action)
}

/// The catalog operation of the same provider nearest to `action`, when it is close (a typo, a singular). It
/// scans the provider's operations, so it is for reports of unknown operations, never for every request.
pub fn did_you_mean_in(catalog: &Catalog, action: &str) -> Option<String> {
    let lower = action.to_ascii_lowercase();
    let ns = lower.split('/').next().unwrap_or_default();
    let mut best: Option<(usize, &str)> = None;
    for op in catalog.operations() {
        let name = op.name.as_str();
        let same_ns = name.len() > ns.len()
            && name.get(..ns.len()).is_some_and(|p| p.eq_ignore_ascii_case(ns))
            && name.as_bytes().get(ns.len()) == Some(&b'/');
        if !same_ns {
            continue;
        }
        let d = strsim::levenshtein(&lower, &name.to_ascii_lowercase());
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, name));
        }
    }
    best.filter(|(d, _)| *d <= 3.max(lower.len() / 12)).map(|(_, n)| n.to_owned())
}
