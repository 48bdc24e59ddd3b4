//! Every section the repository cites (a section sign and a number) names a section of `docs/semantics.md`, and nothing cites the outside
//! specification the project was first built from: a reader of the repository can look up every rule a comment
//! or a page refers to.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Written as an escape so that this file's own text cites nothing.
const SECTION: char = '\u{a7}';

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The section numbers of `docs/semantics.md`: `## 2. Inputs` is `2`, `### 2.1 Role definitions` is `2.1`.
fn headings() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("docs/semantics.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| l.trim_start_matches('#').trim_start())
        .map(section_number)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The leading `2.1`-style number of `s`, without a trailing `.`.
fn section_number(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    s[..end].trim_end_matches('.')
}

/// The files whose citations count: README, ARCHITECTURE and every Markdown and Rust file under docs/,
/// crates/, src/, tests/ and fuzz/ (build output aside).
fn files() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut dirs: Vec<PathBuf> = ["docs", "crates", "src", "tests", "fuzz"].iter().map(|d| root().join(d)).collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") || name.ends_with(".md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Whether the section sign after `before` is a section of a published standard (RFC 8259's section 6, say),
/// not one of ours.
fn cites_a_standard(before: &str) -> bool {
    let t = before.trim_end();
    let rest = t.trim_end_matches(|c: char| c.is_ascii_digit());
    rest.len() < t.len() && rest.trim_end().ends_with("RFC")
}

#[test]
fn every_cited_section_is_a_heading_of_the_semantics() {
    let headings = headings();
    assert!(headings.contains("2.2") && headings.contains("3.2"), "{headings:?}");
    let mut wrong = Vec::new();
    let mut cited = 0;
    for path in files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices(SECTION) {
            let before = &text[..i];
            if cites_a_standard(before) {
                continue;
            }
            let number = section_number(&text[i + SECTION.len_utf8()..]);
            cited += 1;
            if !headings.contains(number) {
                let line = before.matches('\n').count() + 1;
                wrong.push(format!("{}:{line}: {SECTION}{number}", path.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(cited > 50, "only {cited} citations found: is the walk reading the tree?");
    assert!(wrong.is_empty(), "sections cited but not headings of docs/semantics.md:\n{}", wrong.join("\n"));
}

#[test]
fn nothing_cites_the_outside_specification() {
    // Spelt in two halves so that this file does not cite it either.
    let name = concat!("SP", "EC");
    let mut found = Vec::new();
    for path in files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let hit = line.match_indices(name).any(|(i, _)| {
                let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
                let before = line[..i].chars().next_back().is_none_or(|c| !word(c));
                let after = line[i + name.len()..].chars().next().is_none_or(|c| !word(c));
                before && after
            });
            if hit {
                found.push(format!("{}:{}: {line}", path.strip_prefix(root()).unwrap().display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "cite docs/semantics.md (`semantics {SECTION}3.2`) instead:\n{}", found.join("\n"));
}
