//! List-like files (an array, `{"value": [...]}` or one object) and the scope inside an extension resource id.

use std::borrow::Cow;
use std::sync::Arc;

use super::reader::{Reader, pointer_to};
use super::{Loaded, json_diagnostic, parse_source};
use crate::json::{self, Kind, Value};
use crate::model::Spanned;
use crate::span::SourceText;

/// Loads a list-like file (array, `{"value": [...]}` or one object), reading each item with `read`.
pub(crate) fn load_list<T>(
    name: &str,
    bytes: Cow<'_, [u8]>,
    read: impl Fn(&mut Reader, &Value) -> Option<T>,
) -> Loaded<Vec<T>> {
    // Valid UTF-8 (the usual case) becomes the source text without a copy when the caller gave up the buffer.
    let text = match String::from_utf8(bytes.into_owned()) {
        Ok(text) => text,
        Err(e) => {
            let (src, parsed) = parse_source(name, e.as_bytes());
            let root = match parsed {
                Ok(root) => root,
                Err(d) => return Loaded { value: Vec::new(), diagnostics: vec![d] },
            };
            let mut r = Reader::new(&src);
            let items: Vec<T> = top_level_items(&root).into_iter().filter_map(|item| read(&mut r, item)).collect();
            return r.into_loaded(items, Some(&root));
        }
    };
    let src = Arc::new(SourceText::new(name, text));
    let mut r = Reader::new(&src);
    // A top-level array is read element by element as the parser finishes each one, so that a 500,000-entry
    // file never exists as one JSON tree; each element's diagnostics get their pointers while it is at hand.
    let mut items = Vec::new();
    let parsed = {
        let mut each = |i: usize, item: Value| {
            let before = r.diags.len();
            if let Some(t) = read(&mut r, &item) {
                items.push(t);
            }
            for d in r.diags.iter_mut().skip(before) {
                if let (None, Some(span)) = (&d.pointer, d.span) {
                    d.pointer = Some(format!("/{i}{}", pointer_to(&item, span)));
                }
            }
        };
        json::parse_bytes_streaming(src.text().as_bytes(), &mut each)
    };
    let root = match parsed {
        Ok((root, _bom)) => root,
        // Whatever was read before the error is dropped: a file is loaded whole or not at all.
        Err(e) => return Loaded { value: Vec::new(), diagnostics: vec![json_diagnostic(&src, &e)] },
    };
    if root.as_array().is_none() {
        items.extend(top_level_items(&root).into_iter().filter_map(|item| read(&mut r, item)));
    }
    refuse_partial_page(&mut r, &root);
    r.into_loaded(items, Some(&root))
}

/// A REST list page whose `nextLink` is set holds only part of the list: the rest (a deny assignment, an
/// exclusion) would be missing without a trace, so the file is refused (`RL027`).
pub(crate) fn refuse_partial_page(r: &mut Reader, root: &Value) {
    let Some(members) = root.as_object() else { return };
    let next = members.iter().find(|m| m.key.eq_ignore_ascii_case("nextLink"));
    if let Some(m) = next
        && !matches!(m.value.kind, Kind::Null)
        && !matches!(&m.value.kind, Kind::String(s) if s.is_empty())
    {
        r.error(
            crate::diag::codes::PARTIAL_LIST,
            m.value.span,
            "this is one page of a longer list (`nextLink` is set): the rest of the list is missing".to_owned(),
            "fetch every page (`az rest` follows `nextLink`; or merge the pages' `value` arrays) and load the whole list"
                .to_owned(),
        );
    }
}

/// The scope of an extension resource id `{scope}/providers/Microsoft.Authorization/{kind}/{id}`, spanned
/// like the id it came from.
pub(crate) fn scope_of_extension_id(rid: &Spanned<String>, kind: &str) -> Option<Spanned<String>> {
    let marker = format!("/providers/microsoft.authorization/{}/", kind.to_ascii_lowercase());
    let cut = rid.value.to_ascii_lowercase().rfind(&marker)?;
    let scope = rid.value.get(..cut).filter(|s| !s.is_empty()).unwrap_or("/");
    Some(Spanned::new(scope.to_owned(), rid.span))
}

/// Reads the top level of a list-like file: an array, `{"value": [...]}`, or one object.
pub(crate) fn top_level_items(root: &Value) -> Vec<&Value> {
    match &root.kind {
        Kind::Array(items) => items.iter().collect(),
        Kind::Object(members) => {
            let value = members.iter().find(|m| m.key.eq_ignore_ascii_case("value"));
            let only_list_keys =
                members.iter().all(|m| m.key.eq_ignore_ascii_case("value") || m.key.eq_ignore_ascii_case("nextLink"));
            match value {
                Some(v) if only_list_keys && v.value.as_array().is_some() => {
                    v.value.as_array().map(|a| a.iter().collect()).unwrap_or_default()
                }
                _ => vec![root],
            }
        }
        _ => vec![root],
    }
}
