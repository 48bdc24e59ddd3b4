//! Arbitrary bytes into the role loader, then a write/reload round trip through every shape.
//!
//! Asserts:
//!
//! * `load_roles` never panics, and every diagnostic's span and related spans lie within the file's text (the
//!   input itself, or its lossy UTF-8 decoding when the input is not UTF-8, where an invalid byte is shown as a
//!   3-byte U+FFFD) and on character boundaries; rendering positions and snippets does not panic.
//! * When no diagnostic is fatal, writing the roles with `write::roles_to_json` in each of the five shapes and
//!   loading the text back gives no fatal diagnostic, the same number of roles, each in the shape written, and
//!   the same `write::logical` content per role (with identity, except for create input which cannot carry it).
//!
//! The round trip keeps action and scope strings verbatim (`raw`, untrimmed), and names, descriptions and
//! conditions are plain strings, so those always survive; every reader derives a role id the same way (the
//! trailing segment, none for a template expression), so ids survive too. Earlier runs of this target found
//! three id cases that did not; they are pinned in `crates/rolegate/tests/it/shapes.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegate::load::load_roles;
use rolegate::internals::write::{logical, roles_to_json};
use rolegate::{Diagnostic, RoleShape};

fuzz_target!(|data: &[u8]| {
    let loaded = load_roles("fuzz.json", data);
    check_diagnostics(data, &loaded.diagnostics);
    if loaded.diagnostics.iter().any(Diagnostic::is_fatal) {
        return;
    }
    let roles = &loaded.value;
    for shape in RoleShape::ALL {
        let text = serde_json::to_string_pretty(&roles_to_json(roles, shape)).expect("a JSON value prints");
        let reloaded = load_roles("roundtrip.json", text.as_bytes());
        let fatal: Vec<&Diagnostic> = reloaded.diagnostics.iter().filter(|d| d.is_fatal()).collect();
        assert!(fatal.is_empty(), "{}: writer output does not load: {fatal:#?}\n{text}", shape.name());
        assert_eq!(reloaded.value.len(), roles.len(), "{}: role count\n{text}", shape.name());
        for (a, b) in roles.iter().zip(&reloaded.value) {
            assert_eq!(b.shape, shape, "{}: shape of the reloaded role", shape.name());
            let identity = shape != RoleShape::CreateInput;
            assert_eq!(logical(a, identity), logical(b, identity), "{}: {}", shape.name(), a.label());
        }
    }
});

fn check_diagnostics(data: &[u8], diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let Some(span) = d.span else { continue };
        let src = d.source.as_ref().expect("a diagnostic with a span has a source");
        let text = src.text();
        if std::str::from_utf8(data).is_ok() {
            assert_eq!(text.len(), data.len(), "the source text is the input");
        }
        let spans = std::iter::once(span).chain(d.related.iter().map(|(s, _)| *s));
        for s in spans {
            assert!(s.start <= s.end && s.end <= text.len(), "{}: span {s:?} outside 0..{}", d.code.id, text.len());
            assert!(text.get(s.start..s.end).is_some(), "{}: span {s:?} not on character boundaries", d.code.id);
        }
        let _ = d.line_cols();
        let _ = d.snippet();
        let _ = d.to_string();
    }
}
