//! RL313: a non-ASCII look-alike of an ASCII character in an action or an assignable scope.

use rolegate::Severity;
use rolegate::diag::Span;

use super::{Family, Hit, RoleCx, Rule, char_span, entries};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    code: "RL313",
    name: "lookalike-character",
    severity: Severity::Warning,
    family: Family::Hygiene,
    doc: DOC,
    check,
};

const DOC: &str = "\
What it flags: an action entry or an assignable scope holding a character that Unicode itself equates with an
ASCII one: the Kelvin sign `K` (U+212A), the long s `ſ` (U+017F), the dotless `ı` (U+0131) and dotted `İ`
(U+0130), whose case mappings are ASCII letters, and the fullwidth forms U+FF01-FF5E (`Ｍ`, `ｓ`, `／`, `＊`),
whose compatibility forms are ASCII. The first such character of each string is pointed at, with the ASCII
character it imitates. Other scripts (Cyrillic, Greek) are not flagged: Unicode is legal in resource-group names,
and their letters are letters of their own, not folded to ASCII.

Why it matters: Azure and rolegate compare operations and scopes ASCII-case-insensitively, so
`Microſoft.Authorization/*/write` does not match `Microsoft.Authorization/roleAssignments/write`. In `NotActions`
such an entry excludes nothing and the grant it seems to remove stays; in `Actions` it grants nothing; in a scope
it names another resource group. Yet tools that fold Unicode case or normalise (NFKC) see the ASCII text, and so
do reviewers.

Example:
    \"NotActions\": [\"Microſoft.Authorization/*/write\"]";

/// The ASCII character `c` imitates, if it is one of the flagged look-alikes.
pub(crate) fn imitates(c: char) -> Option<char> {
    match c {
        '\u{212a}' => Some('K'),
        '\u{017f}' => Some('s'),
        '\u{0131}' => Some('i'),
        '\u{0130}' => Some('I'),
        // Fullwidth forms sit at a fixed distance from the ASCII characters they stand for.
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0),
        _ => None,
    }
}

fn name(c: char) -> &'static str {
    match c {
        '\u{212a}' => "KELVIN SIGN",
        '\u{017f}' => "LATIN SMALL LETTER LONG S",
        '\u{0131}' => "LATIN SMALL LETTER DOTLESS I",
        '\u{0130}' => "LATIN CAPITAL LETTER I WITH DOT ABOVE",
        _ => "a fullwidth form",
    }
}

fn check(cx: &RoleCx<'_>, out: &mut Vec<Hit>) {
    for e in entries(cx.role) {
        report(cx, e.action.span, &e.action.raw, &format!("in `{}`", e.key()), out);
    }
    let scopes = cx.role.assignable_scopes.as_ref().map(|s| s.items()).unwrap_or_default();
    for s in scopes {
        report(cx, s.span, &s.raw, "in `AssignableScopes`", out);
    }
}

fn report(cx: &RoleCx<'_>, token: Span, raw: &str, place: &str, out: &mut Vec<Hit>) {
    let Some((at, c, ascii)) = raw.char_indices().find_map(|(at, c)| imitates(c).map(|a| (at, c, a))) else {
        return;
    };
    let kind = if ascii.is_ascii_alphabetic() { "letter" } else { "character" };
    out.push(Hit::new(
        RULE.at(
            cx,
            char_span(cx, token, raw, at, c),
            format!(
                "`{}` {place} contains `{c}` (U+{:04X}), a look-alike of `{ascii}`",
                rolegate::internals::diag::excerpt(raw),
                u32::from(c)
            ),
        )
        .with_label(format!("{}, not the ASCII {kind} `{ascii}`", name(c)))
        .with_help(format!(
            "write the ASCII {kind} `{ascii}`: Azure and rolegate compare ASCII only, so this spelling does not \
             match the ASCII one"
        )),
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::check_rule;
    use super::{RULE, imitates};

    #[test]
    fn lookalikes() {
        assert_eq!(imitates('\u{212a}'), Some('K'));
        assert_eq!(imitates('\u{ff2d}'), Some('M'));
        assert_eq!(imitates('\u{ff0f}'), Some('/'));
        assert_eq!(imitates('\u{ff5e}'), Some('~'));
        for c in ['K', 's', 'é', '\u{0430}', '\u{03bf}', '\u{ff00}', '\u{ff5f}', '\u{212b}'] {
            assert_eq!(imitates(c), None, "{c}");
        }
    }

    #[test]
    fn rl313() {
        insta::assert_snapshot!(check_rule(
            &RULE,
            &[
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/*/read"], "AssignableScopes": ["/subscriptions/s1/resourceGroups/prüfung-данные"]}"#
            ],
            &[
                r#"{"Name": "r", "Actions": ["*"], "NotActions": ["Microſoft.Authorization/*/write"], "AssignableScopes": ["/subscriptions/s1"]}"#,
                r#"{"Name": "r", "Actions": ["Microsoft.Compute/*/read"], "AssignableScopes": ["/subscriptions/s1/resourceGroups/\u212aeys"]}"#,
                r#"{"Name": "r", "DataActions": ["Ｍicrosoft.Storage/storageAccounts/blobServices/containers/blobs/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
            ],
        ));
    }
}
