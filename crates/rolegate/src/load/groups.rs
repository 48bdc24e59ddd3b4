//! `groups.json`: `{ "<groupId>": ["<memberId>", ...] }`.

use super::{Loaded, Reader};
use crate::diag::codes;
use crate::json::Kind;
use crate::model::{Groups, Id};

/// Loads `groups.json`. Members may be users, service principals or groups; cycles are allowed.
pub fn load_groups(name: &str, bytes: &[u8]) -> Loaded<Groups> {
    let (src, parsed) = super::parse_source(name, bytes);
    let root = match parsed {
        Ok(root) => root,
        Err(d) => return Loaded { value: Groups::default(), diagnostics: vec![d] },
    };
    let mut r = Reader::new(&src);
    let mut groups = Groups::default();
    if let Some(members) = r.object(&root, "a map from group id to member ids") {
        // Ids compare case-insensitively, so `G1` and `g1` are the same group given twice.
        let mut seen = std::collections::HashMap::with_capacity(members.len());
        for m in members {
            if let Some(first) = seen.insert(m.key.to_ascii_lowercase(), m.key_span) {
                r.diags.push(
                    crate::diag::Diagnostic::error(codes::DUPLICATE_KEY, format!("group `{}` is listed twice", m.key))
                        .at(&r.src, m.key_span)
                        .with_related(first, "first listed here")
                        .with_help("group ids compare ignoring letter case; merge the two member lists"),
                );
                continue;
            }
            let Kind::Array(items) = &m.value.kind else {
                r.wrong_type(
                    &m.value,
                    &m.key,
                    "an array of member ids",
                    format!("write `\"{}\": [\"<memberId>\"]`", m.key),
                );
                continue;
            };
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str() {
                    Some(s) => list.push(Id::new(s)),
                    None => r.wrong_type(item, &m.key, "a member id string", "member ids are JSON strings".into()),
                }
            }
            groups.groups.push((Id::new(&m.key), list));
        }
    }
    r.into_loaded(groups, Some(&root))
}
