//! `hierarchy.json`: our own shape, or the output of `az account management-group entities list`.

use super::{KeySpec, Loaded, Reader};
use crate::diag::{Diagnostic, Severity, codes};
use crate::json::{Kind, Member, Value};
use crate::model::{Hierarchy, Id};
use crate::span::Span;

const OWN: KeySpec =
    KeySpec { what: "hierarchy", keys: &["tenantId", "managementGroups", "subscriptions"], ignored: &[] };
const ENTITY: KeySpec = KeySpec {
    what: "management-group entity",
    keys: &["id", "name", "type", "parent", "tenantId", "properties"],
    ignored: &[
        "displayName",
        "inheritedPermissions",
        "permissions",
        "numberOfChildren",
        "numberOfChildGroups",
        "numberOfDescendants",
        "parentDisplayNameChain",
        "parentNameChain",
    ],
};

/// Azure allows six levels of management groups below the root.
pub const MAX_DEPTH: usize = 6;

/// Loads `hierarchy.json`. A management-group cycle is fatal; more than six levels is a warning.
pub fn load_hierarchy(name: &str, bytes: &[u8]) -> Loaded<Hierarchy> {
    let (src, parsed) = super::parse_source(name, bytes);
    let root = match parsed {
        Ok(root) => root,
        Err(d) => return Loaded { value: Hierarchy::default(), diagnostics: vec![d] },
    };
    let mut r = Reader::new(&src);
    let mut spans: Vec<(Id, Span)> = Vec::new();
    let mut sub_spans: Vec<(Id, Span)> = Vec::new();
    let h = match &root.kind {
        Kind::Array(items) => read_entities(&mut r, items, &mut spans, &mut sub_spans),
        Kind::Object(members) if members.iter().any(|m| m.key.eq_ignore_ascii_case("value")) => {
            let items = members.iter().find(|m| m.key.eq_ignore_ascii_case("value")).and_then(|m| m.value.as_array());
            read_entities(&mut r, items.unwrap_or_default(), &mut spans, &mut sub_spans)
        }
        _ => read_own(&mut r, &root, &mut spans, &mut sub_spans),
    };
    check_tree(&mut r, &h, &spans, &sub_spans);
    r.into_loaded(h, Some(&root))
}

fn read_own(r: &mut Reader, root: &Value, spans: &mut Vec<(Id, Span)>, sub_spans: &mut Vec<(Id, Span)>) -> Hierarchy {
    let mut h = Hierarchy::default();
    let Some(members) = r.object(root, "a hierarchy") else { return h };
    let f = r.fields(members, &OWN);
    let get = |i: usize| f.get(i).copied().flatten();
    h.tenant_id = r.string(get(0)).map(|s| Id::new(s.value));
    if let Some(m) = get(1) {
        for (child, parent) in id_map(r, m, true) {
            spans.push((child.0.clone(), child.1));
            h.management_groups.push((child.0, parent));
        }
    }
    if let Some(m) = get(2) {
        for (sub, mg) in id_map(r, m, false) {
            match mg {
                Some(mg) => {
                    sub_spans.push((sub.0.clone(), sub.1));
                    h.subscriptions.push((sub.0, mg));
                }
                None => r.error(
                    codes::WRONG_TYPE,
                    sub.1,
                    format!("subscription `{}` has no management group", sub.0),
                    "give the id of the management group the subscription belongs to".into(),
                ),
            }
        }
    }
    h
}

/// `{ "<id>": "<parent>" | null }`, with duplicate detection up to case.
fn id_map(r: &mut Reader, m: &Member, null_ok: bool) -> Vec<((Id, Span), Option<Id>)> {
    let mut out = Vec::new();
    let Kind::Object(members) = &m.value.kind else {
        r.wrong_type(
            &m.value,
            &m.key,
            "an object mapping ids to parent ids",
            format!("write `\"{}\": {{\"<id>\": \"<parent>\"}}`", m.key),
        );
        return out;
    };
    let mut seen = std::collections::HashMap::new();
    for e in members {
        if let Some(first) = seen.insert(e.key.to_ascii_lowercase(), e.key_span) {
            r.diags.push(
                Diagnostic::error(codes::DUPLICATE_KEY, format!("`{}` is listed twice", e.key))
                    .at(&r.src, e.key_span)
                    .with_related(first, "first listed here")
                    .with_help("ids compare ignoring letter case; keep one entry"),
            );
            continue;
        }
        let parent = match &e.value.kind {
            Kind::String(s) => Some(Id::new(s)),
            Kind::Null if null_ok => None,
            _ => {
                let expected = if null_ok { "a parent id or null" } else { "a management-group id" };
                r.wrong_type(&e.value, &e.key, expected, "ids are JSON strings".into());
                continue;
            }
        };
        out.push(((Id::new(&e.key), e.key_span), parent));
    }
    out
}

fn last_segment(s: &str) -> &str {
    s.trim_end_matches('/').rsplit('/').next().unwrap_or(s)
}

fn read_entities(
    r: &mut Reader,
    items: &[Value],
    spans: &mut Vec<(Id, Span)>,
    sub_spans: &mut Vec<(Id, Span)>,
) -> Hierarchy {
    let mut h = Hierarchy::default();
    for item in items {
        let Some(members) = r.object(item, "a management-group entity") else { continue };
        let f = r.fields(members, &ENTITY);
        let props = f.get(5).copied().flatten().and_then(|p| p.value.as_object());
        // The REST shape nests `parent` and `tenantId` under `properties`; az flattens them.
        let pf = props.map(|p| r.fields(p, &ENTITY)).unwrap_or_default();
        let get = |i: usize| f.get(i).copied().flatten().or_else(|| pf.get(i).copied().flatten());
        let id = r.string(get(0));
        let name = r.string(get(1));
        let tenant = r.string(get(4));
        let parent = get(3).and_then(|p| match &p.value.kind {
            Kind::Object(_) => p.value.get_ignore_ascii_case("id").and_then(|m| m.value.as_str()).map(last_segment),
            Kind::String(s) => Some(last_segment(s)),
            _ => None,
        });
        let Some(id) = id else {
            r.error(
                codes::MISSING_FIELD,
                item.span,
                "entity without `id`".into(),
                "give the entity's resource id".into(),
            );
            continue;
        };
        let is_subscription = id.value.to_ascii_lowercase().starts_with("/subscriptions/");
        let key = name.map_or_else(|| last_segment(&id.value).to_owned(), |n| n.value);
        if h.tenant_id.is_none() {
            h.tenant_id = tenant.map(|t| Id::new(t.value));
        }
        if is_subscription {
            if let Some(p) = parent {
                sub_spans.push((Id::new(&key), id.span));
                h.subscriptions.push((Id::new(&key), Id::new(p)));
            }
        } else {
            spans.push((Id::new(&key), id.span));
            h.management_groups.push((Id::new(&key), parent.map(Id::new)));
        }
    }
    h
}

/// Cycles are fatal (also one through the tenant root, which has no parent in Azure); depth beyond six levels
/// warns; so does a parent that is not listed (the group hangs under the tenant root, as the engine places it,
/// but the groups between are unknown, so assignments and denies on them cannot be seen).
fn check_tree(r: &mut Reader, h: &Hierarchy, spans: &[(Id, Span)], sub_spans: &[(Id, Span)]) {
    use std::collections::{HashMap, HashSet};
    let parent: HashMap<&Id, Option<&Id>> = h.management_groups.iter().map(|(c, p)| (c, p.as_ref())).collect();
    let span_of = |id: &Id| spans.iter().find(|(i, _)| i == id).map_or(Span::default(), |(_, s)| *s);
    let root = h.tenant_id.as_ref();
    let known = |id: &Id| parent.contains_key(id) || Some(id) == root;
    let mut reported_cycle = false;
    for (mg, _) in &h.management_groups {
        // Walk up until a group without a parent, or one that is not listed. A group directly under the tenant
        // root is at level 1; the walk does not stop at the root, so that a root with a parent is followed too.
        let mut seen: HashSet<&Id> = HashSet::from([mg]);
        let mut depth = 1usize;
        let mut cur = mg;
        while let Some(Some(p)) = parent.get(cur) {
            if !seen.insert(p) {
                if !reported_cycle {
                    reported_cycle = true;
                    r.error(
                        codes::HIERARCHY_CYCLE,
                        span_of(mg),
                        format!("management group `{mg}` is its own ancestor"),
                        "each management group has one parent, and the chain must end at the tenant root, which \
                         has none"
                            .into(),
                    );
                }
                break;
            }
            if Some(*p) != root {
                depth += 1;
            }
            cur = p;
        }
        if depth > MAX_DEPTH && !reported_cycle && Some(mg) != root {
            r.report(
                codes::HIERARCHY_DEPTH,
                Severity::Warning,
                span_of(mg),
                format!("management group `{mg}` is {depth} levels below the root; Azure allows {MAX_DEPTH}"),
                "flatten the hierarchy".into(),
            );
        }
    }
    let unlisted = |r: &mut Reader, what: String, parent: &Id, span: Span| {
        r.report(
            codes::UNPLACED_SUBSCRIPTION,
            Severity::Warning,
            span,
            format!("{what}'s parent `{parent}` is not listed; it is placed under the tenant root"),
            format!("add `{parent}` to `managementGroups` with its parent"),
        );
    };
    for (mg, p) in &h.management_groups {
        if let Some(p) = p.as_ref().filter(|p| !known(p)) {
            unlisted(r, format!("management group `{mg}`"), p, span_of(mg));
        }
    }
    for (sub, mg) in &h.subscriptions {
        if !known(mg) {
            let span = sub_spans.iter().find(|(i, _)| i == sub).map_or(Span::default(), |(_, s)| *s);
            unlisted(r, format!("subscription `{sub}`"), mg, span);
        }
    }
}
