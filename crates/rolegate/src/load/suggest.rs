//! "Did you mean": the accepted key nearest an unknown one, by edit distance.

/// The accepted key closest to `key` (case-insensitive edit distance at most 2, or a singular/plural slip).
pub(crate) fn suggest<'k>(key: &str, keys: &[&'k str]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase();
    keys.iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = &["Actions", "NotActions", "AssignableScopes", "DataActions"];
        assert_eq!(suggest("NotAction", keys), Some("NotActions"));
        assert_eq!(suggest("assignablescope", keys), Some("AssignableScopes"));
        assert_eq!(suggest("DataAction", keys), Some("DataActions"));
        assert_eq!(suggest("Colour", keys), None);
    }
}
