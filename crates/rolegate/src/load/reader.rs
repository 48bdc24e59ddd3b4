//! `Reader`: walks one JSON document against key tables, reading typed values and collecting diagnostics;
//! RFC 6901 pointers locate each diagnostic in the document.

use std::collections::HashMap;
use std::sync::Arc;

use super::Loaded;
use super::suggest::suggest;
use crate::action::{ActionPattern, parse_action};
use crate::diag::{Code, Diagnostic, Severity, codes};
use crate::json::{self, Kind, Member, Value};
use crate::model::{Action, ActionKind, Entries, Id, ScopeEntry, Spanned};
use crate::scope::{ScopeValue, classify_scope};
use crate::span::{SourceText, Span, excerpt};

/// RFC 6901 pointer to the innermost value (or key) whose span contains `target`.
pub fn pointer_to(root: &Value, target: Span) -> String {
    let mut pointer = String::new();
    let mut cur = root;
    loop {
        let next = match &cur.kind {
            Kind::Array(items) => {
                // Items are in file order and do not overlap, so a binary search finds the one that can hold the
                // target: a linear scan made a finding per entry of a 100,000-entry list quadratic.
                let i = items.partition_point(|v| v.span.end < target.end);
                items.get(i).filter(|v| contains(v.span, target)).inspect(|_| {
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                })
            }
            Kind::Object(members) => {
                let hit = members.iter().find(|m| contains(m.key_span.join(m.value.span), target));
                match hit {
                    Some(m) => {
                        pointer.push('/');
                        pointer.push_str(&json::pointer_escape(&m.key));
                        if contains(m.key_span, target) { None } else { Some(&m.value) }
                    }
                    None => None,
                }
            }
            _ => None,
        };
        match next {
            Some(v) if v.span != cur.span => cur = v,
            _ => return pointer,
        }
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Which keys an object may have.
pub(crate) struct KeySpec {
    /// What the object is, for messages (`role definition`, `permission block`).
    pub what: &'static str,
    /// Accepted keys in their canonical spelling; matched ASCII case-insensitively.
    pub keys: &'static [&'static str],
    /// Known keys that are accepted and ignored (metadata).
    pub ignored: &'static [&'static str],
}

/// Metadata keys that semantics §2.1 accepts and ignores everywhere.
pub(crate) const METADATA: &[&str] = &[
    "createdOn",
    "updatedOn",
    "createdBy",
    "updatedBy",
    "systemData",
    "type",
    "additionalProperties",
    "nextLink",
    "canDelegate",
    "principalName",
    "roleDefinitionName",
    "isSystemProtected",
    "resourceGroup",
];

/// Walks one JSON document, collecting diagnostics.
pub(crate) struct Reader {
    pub src: Arc<SourceText>,
    pub diags: Vec<Diagnostic>,
    /// Ids already made, by exact spelling: half a million assignments name a few thousand roles and
    /// principals, and sharing their ids keeps a large tenant's model in budget.
    ids: HashMap<Box<str>, Id>,
    /// Condition texts already checked: assignments often repeat one condition.
    conditions: HashMap<Box<str>, Vec<crate::condition::ConditionError>>,
}

impl Reader {
    pub fn new(src: &Arc<SourceText>) -> Self {
        Reader { src: Arc::clone(src), diags: Vec::new(), ids: HashMap::new(), conditions: HashMap::new() }
    }

    /// An id for `s`, shared with earlier ids of exactly the same spelling.
    pub fn shared_id(&mut self, s: &str) -> Id {
        if let Some(id) = self.ids.get(s) {
            return id.clone();
        }
        let id = Id::new(s);
        self.ids.insert(s.into(), id.clone());
        id
    }

    pub fn report(&mut self, code: Code, severity: Severity, span: Span, message: String, help: String) {
        self.diags.push(Diagnostic::new(code, severity, message).at(&self.src, span).with_help(help));
    }

    /// A condition string: read like any string, then parsed and type-checked. A bad condition is a warning
    /// (RL019) pointing into the condition inside the file; the value is kept, and the engine fails closed on it.
    pub fn condition(&mut self, m: Option<&Member>) -> Option<Spanned<String>> {
        let c = self.string(m)?;
        if c.value.trim().is_empty() {
            // Azure's way of deleting a condition is an empty string.
            return None;
        }
        let errors = match self.conditions.get(c.value.as_str()) {
            Some(e) => e.clone(),
            None => {
                let e = crate::condition::Condition::parse(&c.value).err().unwrap_or_default();
                self.conditions.insert(c.value.as_str().into(), e.clone());
                e
            }
        };
        for e in errors {
            let token = self.src.slice(c.span);
            let in_file = |s: Span| {
                let rel = crate::json::decoded_to_source(token, s);
                Span::new(c.span.start + rel.start, c.span.start + rel.end)
            };
            let mut d = Diagnostic::error(codes::INVALID_CONDITION, format!("invalid condition: {}", e.message))
                .at(&self.src, in_file(e.span))
                .with_label(e.label.clone());
            d.help = Some(e.help.clone().unwrap_or_else(|| {
                "Azure rejects this condition; until it is fixed the grant never allows and a deny always applies"
                    .to_owned()
            }));
            if let Some(r) = &e.related {
                d = d.with_related(in_file(r.0), r.1.clone());
            }
            self.diags.push(d);
        }
        Some(c)
    }

    pub fn error(&mut self, code: Code, span: Span, message: String, help: String) {
        self.report(code, Severity::Error, span, message, help);
    }

    /// Warns (`RL024`) about a principal id in braces: ids compare as written, so `{guid}` matches nobody.
    pub fn braced_principal(&mut self, id: &str, span: Span, what: &str) {
        if let Some(inner) = id.strip_prefix('{').and_then(|i| i.strip_suffix('}')) {
            self.report(
                codes::BRACED_PRINCIPAL_ID,
                Severity::Warning,
                span,
                format!("{what} `{}` is written in braces and matches nobody", excerpt(id)),
                format!("write `{}`", excerpt(inner)),
            );
        }
    }

    /// Reports a wrong JSON type.
    pub fn wrong_type(&mut self, v: &Value, key: &str, expected: &str, help: String) {
        let found = v.kind_name();
        self.diags.push(
            Diagnostic::error(codes::WRONG_TYPE, format!("expected {expected} for `{key}`, found {found}"))
                .at(&self.src, v.span)
                .with_label(format!("{found}, not {expected}"))
                .with_help(help),
        );
    }

    pub fn into_loaded<T>(self, value: T, root: Option<&Value>) -> Loaded<T> {
        let mut diagnostics = self.diags;
        if let Some(root) = root {
            for d in &mut diagnostics {
                if let (None, Some(span)) = (&d.pointer, d.span) {
                    d.pointer = Some(pointer_to(root, span));
                }
            }
        }
        diagnostics.sort_by_key(|d| d.span.map_or(0, |s| s.start));
        Loaded { value, diagnostics }
    }

    /// Expects an object.
    pub fn object<'v>(&mut self, v: &'v Value, what: &str) -> Option<&'v [Member]> {
        match &v.kind {
            Kind::Object(m) => Some(m),
            _ => {
                let found = v.kind_name();
                self.error(
                    codes::WRONG_TYPE,
                    v.span,
                    format!("expected {what} (a JSON object), found {found}"),
                    format!("write {what} as `{{ ... }}`"),
                );
                None
            }
        }
    }

    /// Sorts an object's members into the keys of `spec`: index `i` of the result holds the member for
    /// `spec.keys[i]`. Unknown keys get a warning with a suggestion; a key given twice (up to case) is an
    /// error.
    pub fn fields<'v>(&mut self, members: &'v [Member], spec: &KeySpec) -> Vec<Option<&'v Member>> {
        let mut out: Vec<Option<&'v Member>> = vec![None; spec.keys.len()];
        let mut seen_ignored: Vec<&'v Member> = Vec::new();
        for m in members {
            if let Some(i) = spec.keys.iter().position(|k| k.eq_ignore_ascii_case(&m.key)) {
                match out.get_mut(i) {
                    Some(Some(first)) => {
                        let first_span = first.key_span;
                        self.duplicate_key(m, first_span);
                    }
                    Some(slot) => *slot = Some(m),
                    None => {}
                }
            } else if spec.ignored.iter().chain(METADATA).any(|k| k.eq_ignore_ascii_case(&m.key)) {
                if let Some(first) = seen_ignored.iter().find(|f| f.key.eq_ignore_ascii_case(&m.key)) {
                    let first_span = first.key_span;
                    self.duplicate_key(m, first_span);
                } else {
                    seen_ignored.push(m);
                }
            } else {
                self.unknown_key(m, spec);
            }
        }
        out
    }

    fn duplicate_key(&mut self, m: &Member, first: Span) {
        self.diags.push(
            Diagnostic::error(codes::DUPLICATE_KEY, format!("duplicate key `{}`", excerpt(&m.key)))
                .at(&self.src, m.key_span)
                .with_label("given again here")
                .with_related(first, "first given here")
                .with_help("keys are matched ignoring letter case; keep one of them"),
        );
    }

    fn unknown_key(&mut self, m: &Member, spec: &KeySpec) {
        let suggestion = suggest(&m.key, spec.keys);
        // A near miss of a key that decides access (`notAction`, `conditon`, a deny's `action`) would drop what
        // it says: an exclusion, a condition or a denied action gone is access granted. Refuse the file instead.
        if let Some(s) = suggestion.filter(|s| !DESCRIPTIVE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(s))) {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSPELLED_KEY,
                    format!("unknown key `{}` in {}: did you mean `{s}`?", excerpt(&m.key), spec.what),
                )
                .at(&self.src, m.key_span)
                .with_label("would be ignored")
                .with_help(format!("write `{s}`; ignoring what this key says could grant more than the file does")),
            );
            return;
        }
        let help = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("accepted keys here: {}", spec.keys.join(", ")),
        };
        self.diags.push(
            Diagnostic::warning(codes::UNKNOWN_KEY, format!("unknown key `{}` in {}", excerpt(&m.key), spec.what))
                .at(&self.src, m.key_span)
                .with_label("ignored")
                .with_help(help),
        );
    }

    /// A string (or null, which reads as absent).
    pub fn string(&mut self, m: Option<&Member>) -> Option<Spanned<String>> {
        let m = m?;
        match &m.value.kind {
            Kind::String(s) => Some(Spanned::new(s.clone(), m.value.span)),
            Kind::Null => None,
            _ => {
                self.wrong_type(&m.value, &m.key, "a string", format!("write `\"{}\": \"...\"`", m.key));
                None
            }
        }
    }

    /// A boolean (or null).
    pub fn boolean(&mut self, m: Option<&Member>) -> Option<bool> {
        let m = m?;
        match &m.value.kind {
            Kind::Bool(b) => Some(*b),
            Kind::Null => None,
            Kind::String(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                self.wrong_type(
                    &m.value,
                    &m.key,
                    "a boolean",
                    format!("write `{}` without quotes", s.to_ascii_lowercase()),
                );
                None
            }
            _ => {
                self.wrong_type(&m.value, &m.key, "a boolean", "write `true` or `false`".to_owned());
                None
            }
        }
    }

    /// An array of strings; a string that is an ARM template expression stands for the whole array. Null reads
    /// as absent.
    pub fn string_list(&mut self, m: Option<&Member>) -> Option<Entries<Spanned<String>>> {
        let m = m?;
        match &m.value.kind {
            Kind::Null => None,
            Kind::String(s) if is_template_expression(s) => {
                Some(Entries::Template(Spanned::new(s.clone(), m.value.span)))
            }
            Kind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match &item.kind {
                        Kind::String(s) => out.push(Spanned::new(s.clone(), item.span)),
                        _ => self.wrong_type(
                            item,
                            &m.key,
                            "a string in the array",
                            "every entry must be a JSON string".to_owned(),
                        ),
                    }
                }
                Some(Entries::List(out))
            }
            _ => {
                let key = &m.key;
                self.wrong_type(&m.value, key, "an array of strings", format!("write `\"{key}\": [\"...\"]`"));
                None
            }
        }
    }

    /// Reads action strings. `templates` says whether `[...]` entries are ARM template expressions (only in ARM
    /// templates; elsewhere `[` is a literal character of an action). `fatal_code` replaces the malformed-action
    /// code where a malformed entry must fail the load (deny assignments).
    pub fn actions(&mut self, m: Option<&Member>, templates: bool, fatal_code: Option<Code>) -> Entries<Action> {
        let Some(list) = self.string_list(m) else { return Entries::default() };
        let items = match list {
            Entries::Template(t) => return Entries::Template(t),
            Entries::List(items) => items,
        };
        let key = m.map_or("Actions", |m| m.key.as_str()).to_owned();
        let values: Option<&[Value]> = m.and_then(|m| m.value.as_array());
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let value = values.and_then(|v| v.get(i));
            let kind = if templates && is_template_expression(&item.value) {
                ActionKind::Template
            } else {
                let parsed = parse_action(&item.value);
                self.check_action(&parsed, &item, value, &key, fatal_code);
                ActionKind::Pattern(parsed)
            };
            out.push(Action { raw: item.value, span: item.span, kind });
        }
        Entries::List(out)
    }

    fn check_action(
        &mut self,
        parsed: &ActionPattern,
        item: &Spanned<String>,
        value: Option<&Value>,
        key: &str,
        fatal_code: Option<Code>,
    ) {
        // An empty range (an empty action) is best shown by underlining the whole string.
        let sub = |range: std::ops::Range<usize>| match value {
            Some(v) if !range.is_empty() => v.content_sub_span(range),
            _ => item.span,
        };
        match parsed {
            ActionPattern::Valid { trimmed: true, .. } => {
                let trimmed = item.value.trim_matches(|c: char| c == ' ' || c == '\t');
                let lead = item.value.len() - item.value.trim_start_matches([' ', '\t']).len();
                let span = if lead > 0 { sub(0..lead) } else { sub(lead + trimmed.len()..item.value.len()) };
                self.diags.push(
                    Diagnostic::warning(
                        codes::ACTION_WHITESPACE,
                        format!("whitespace around action `{}` in `{key}`", excerpt(trimmed)),
                    )
                    .at(&self.src, span)
                    .with_label("trimmed")
                    .with_help(format!("write `\"{}\"`", excerpt(trimmed))),
                );
            }
            ActionPattern::Valid { .. } => {}
            ActionPattern::Malformed { problem, at, .. } => {
                let code = fatal_code.unwrap_or(codes::MALFORMED_ACTION);
                let consequence = match (fatal_code.is_some(), key.to_ascii_lowercase().starts_with("not")) {
                    (true, _) => "a deny assignment that cannot be read cannot be applied, so the load fails",
                    (false, true) => "its permission block grants nothing",
                    (false, false) => "it matches nothing",
                };
                self.diags.push(
                    Diagnostic::error(
                        code,
                        format!("malformed action `{}` in `{key}`: {problem}", excerpt(&item.value)),
                    )
                    .at(&self.src, sub(at.start..at.end))
                    .with_label(problem.to_string())
                    .with_help(format!(
                        "an action is `Company.Provider/resourceType/.../verb` with no whitespace or control \
                             characters; {consequence}"
                    )),
                );
            }
        }
    }

    /// Reads one scope string.
    pub fn scope(&mut self, item: Spanned<String>, value: Option<&Value>, fatal_code: Option<Code>) -> ScopeEntry {
        let classified = classify_scope(&item.value);
        let sub = |range: std::ops::Range<usize>| value.map_or(item.span, |v| v.content_sub_span(range));
        match &classified {
            ScopeValue::Malformed(err) => {
                let code = fatal_code.unwrap_or(codes::MALFORMED_SCOPE);
                self.diags.push(
                    Diagnostic::error(code, format!("malformed scope `{}`: {err}", excerpt(&item.value)))
                        .at(&self.src, sub(err.at.start..err.at.end))
                        .with_label(err.problem.to_string())
                        .with_help(
                            "a scope is `/`, `/providers/Microsoft.Management/managementGroups/{id}`, \
                             `/subscriptions/{id}`, `.../resourceGroups/{name}` or a resource id below it",
                        ),
                );
            }
            ScopeValue::Parsed(p) if !p.normalized.is_empty() => {
                let what: Vec<String> = p.normalized.iter().map(ToString::to_string).collect();
                self.diags.push(
                    Diagnostic::warning(
                        codes::NONCANONICAL_SCOPE,
                        format!("scope `{}` is not in canonical form ({})", excerpt(&item.value), what.join(", ")),
                    )
                    .at(&self.src, item.span)
                    .with_help(format!("write `\"{}\"`", excerpt(p.scope.as_str()))),
                );
            }
            ScopeValue::Placeholder { .. } | ScopeValue::Template if fatal_code.is_some() => {
                self.diags.push(
                    Diagnostic::error(
                        fatal_code.unwrap_or(codes::MALFORMED_SCOPE),
                        format!("scope `{}` is a placeholder, not a scope", excerpt(&item.value)),
                    )
                    .at(&self.src, item.span)
                    .with_help("fill in the real scope"),
                );
            }
            _ => {}
        }
        ScopeEntry { raw: item.value, span: item.span, value: classified }
    }

    /// Reads a list of scopes.
    pub fn scopes(&mut self, m: Option<&Member>) -> Option<Entries<ScopeEntry>> {
        let values: Option<&[Value]> = m.and_then(|m| m.value.as_array());
        let list = self.string_list(m)?;
        Some(match list {
            Entries::Template(t) => Entries::Template(t),
            Entries::List(items) => Entries::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let v = values.and_then(|v| v.get(i));
                        self.scope(item, v, None)
                    })
                    .collect(),
            ),
        })
    }
}

/// Whether a string is an ARM template expression (`[...]`, but not the `[[` escape of a literal bracket).
pub fn is_template_expression(s: &str) -> bool {
    let t = s.trim();
    t.starts_with('[') && !t.starts_with("[[") && t.ends_with(']')
}

/// Keys that only describe (names, descriptions): a misspelling of one drops nothing that decides access.
const DESCRIPTIVE_KEYS: &[&str] =
    &["description", "Name", "RoleName", "roleName", "denyAssignmentName", "displayName", "comments"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_expressions() {
        assert!(is_template_expression("[parameters('actions')]"));
        assert!(is_template_expression("[subscription().id]"));
        assert!(!is_template_expression("[[literal]"));
        assert!(!is_template_expression("Microsoft.Foo/[x]/read"));
    }
}
