//! Action strings from `Actions`, `NotActions`, `DataActions` and `NotDataActions`, validated into a typed value
//! (semantics §2.4).
//!
//! The grammar is "any characters except a few classes", with an error position per offending character, so a
//! plain character scan says it more directly than a combinator parser would.
//!
//! # What is accepted
//!
//! * Every printable character other than whitespace is a literal, `*` aside; `:`, `{`, `}`, `$`, `?`, `[`, `]`
//!   and `\` occur in (or are harmless in) real operation names and are not interpreted.
//! * Several `*` are accepted: the evaluator must not fail on odd input, and the linter reports them.
//! * Non-ASCII letters (such as `ſ`) are accepted. Real operation names are printable ASCII, but nothing in
//!   Azure's documented validation or the built-in roles shows a non-ASCII action being rejected at load time,
//!   and accepting one is safe: ASCII-only case folding means it can never match an ASCII operation name. The
//!   linter can warn about it.
//! * Leading and trailing spaces and tabs are trimmed and reported (`trimmed: true`): two built-in roles carry
//!   `"Microsoft.Network/virtualNetworks/read "`.
//!
//! # What is malformed (and then matches nothing)
//!
//! An empty string (after trimming), a space or tab between other characters, any other whitespace anywhere
//! (a no-break space is not trimmed, since we have no evidence Azure trims it), and control or invisible format
//! characters anywhere. Template expressions and placeholders are the caller's concern.

use std::fmt;

use crate::matcher::Pattern;
use crate::span::Span;

/// One action string, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionPattern {
    /// A usable pattern.
    Valid {
        /// The compiled pattern, built from the trimmed text.
        pattern: Pattern,
        /// Leading or trailing spaces/tabs were removed (a hygiene warning for the linter).
        trimmed: bool,
    },
    /// A malformed string: it matches nothing, so a grant fails closed.
    Malformed {
        /// The string exactly as given.
        raw: String,
        /// What is wrong with it.
        problem: ActionProblem,
        /// Byte range of the offending part within `raw`.
        at: Span,
    },
}

/// Why an action string is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActionProblem {
    /// Nothing but spaces and tabs, or nothing at all; `at` covers the whole string.
    Empty,
    /// A space or tab between other characters; `at` is that character.
    InnerWhitespace,
    /// Whitespace other than space and tab (such as a no-break space), anywhere; `at` is that character.
    NonAsciiWhitespace,
    /// A control character (U+0000–U+001F other than tab, U+007F–U+009F) or an invisible format character (such
    /// as a zero-width space or a bidirectional override); `at` is that character.
    ControlCharacter,
}

impl fmt::Display for ActionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionProblem::Empty => "empty action",
            ActionProblem::InnerWhitespace => "whitespace inside the action",
            ActionProblem::NonAsciiWhitespace => "non-ASCII whitespace in the action",
            ActionProblem::ControlCharacter => "control or invisible character in the action",
        })
    }
}

impl std::error::Error for ActionProblem {}

/// Parses one action string; never fails, malformed input becomes [`ActionPattern::Malformed`].
pub fn parse_action(raw: &str) -> ActionPattern {
    let body = raw.trim_matches(is_trimmable);
    let offset = raw.len().saturating_sub(raw.trim_start_matches(is_trimmable).len());
    let malformed = |problem, at| ActionPattern::Malformed { raw: raw.to_owned(), problem, at };
    if body.is_empty() {
        return malformed(ActionProblem::Empty, Span::new(0, raw.len()));
    }
    for (i, c) in body.char_indices() {
        let problem = match classify_char(c) {
            CharClass::Literal => continue,
            CharClass::AsciiWhitespace => ActionProblem::InnerWhitespace,
            CharClass::OtherWhitespace => ActionProblem::NonAsciiWhitespace,
            CharClass::Control => ActionProblem::ControlCharacter,
        };
        let start = offset.saturating_add(i);
        return malformed(problem, Span::new(start, start.saturating_add(c.len_utf8())));
    }
    ActionPattern::Valid { pattern: Pattern::new(body), trimmed: body.len() != raw.len() }
}

/// Whether `raw` names an operation exactly as a request must: what [`parse_action`] reads as a valid,
/// untrimmed pattern, without `*`. Allocation-free, for the engine's check path.
pub fn is_operation_name(raw: &str) -> bool {
    // Real operation names are printable ASCII; only other text needs the Unicode classification.
    if raw.bytes().all(|b| b.is_ascii_graphic() && b != b'*') {
        return !raw.is_empty();
    }
    !raw.is_empty() && raw.chars().all(|c| c != '*' && classify_char(c) == CharClass::Literal)
}

impl ActionPattern {
    /// Whether `op` is matched; a malformed action matches nothing.
    pub fn matches(&self, op: &str) -> bool {
        self.pattern().is_some_and(|p| p.matches(op))
    }

    /// The compiled pattern, if the action is valid.
    pub fn pattern(&self) -> Option<&Pattern> {
        match self {
            ActionPattern::Valid { pattern, .. } => Some(pattern),
            ActionPattern::Malformed { .. } => None,
        }
    }

    /// Whether the action is valid.
    pub fn is_valid(&self) -> bool {
        matches!(self, ActionPattern::Valid { .. })
    }
}

fn is_trimmable(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// How a character of an action or a scope is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// An ordinary literal character.
    Literal,
    /// Space or tab.
    AsciiWhitespace,
    /// Any other Unicode whitespace that is not also a control character.
    OtherWhitespace,
    /// A control character or an invisible format character.
    Control,
}

/// Classifies one character; shared with the scope parser so both reject the same characters.
pub(crate) fn classify_char(c: char) -> CharClass {
    if is_trimmable(c) {
        CharClass::AsciiWhitespace
    } else if c.is_control() || is_invisible_format(c) {
        CharClass::Control
    } else if c.is_whitespace() {
        CharClass::OtherWhitespace
    } else {
        CharClass::Literal
    }
}

/// Whether `c` is an invisible format character (Unicode general category Cf): zero-width spaces and joiners,
/// bidirectional marks and overrides, the byte-order mark and the like. They make two strings that look the same
/// differ, which is how an action could silently stop matching.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(raw: &str) -> (ActionProblem, Span) {
        match parse_action(raw) {
            ActionPattern::Malformed { problem, at, raw: r } => {
                assert_eq!(r, raw);
                (problem, at)
            }
            ActionPattern::Valid { .. } => panic!("{raw:?} should be malformed"),
        }
    }

    fn valid(raw: &str) -> (String, bool) {
        match parse_action(raw) {
            ActionPattern::Valid { pattern, trimmed } => (pattern.as_str().to_owned(), trimmed),
            ActionPattern::Malformed { problem, .. } => panic!("{raw:?} should be valid, got {problem}"),
        }
    }

    #[test]
    fn plain_and_wildcards_are_valid() {
        assert_eq!(
            valid("Microsoft.Compute/virtualMachines/read"),
            ("Microsoft.Compute/virtualMachines/read".into(), false)
        );
        assert_eq!(valid("*"), ("*".into(), false));
        assert_eq!(valid("Microsoft.CostManagement/*/query/*"), ("Microsoft.CostManagement/*/query/*".into(), false));
    }

    #[test]
    fn real_punctuation_is_literal() {
        for raw in [
            "Microsoft.CognitiveServices/accounts/TextAnalytics/analyzers:analyze/action",
            "Microsoft.Devices/IotHubs/routing/$testall/Action",
            "Microsoft.ApiManagement/service/{operationName}/read",
            "a?b[c]\\d",
        ] {
            assert_eq!(valid(raw), (raw.to_owned(), false));
        }
    }

    #[test]
    fn outer_whitespace_is_trimmed() {
        assert_eq!(
            valid("Microsoft.Network/virtualNetworks/read "),
            ("Microsoft.Network/virtualNetworks/read".into(), true)
        );
        assert_eq!(valid("\t a/read \t"), ("a/read".into(), true));
        assert!(parse_action(" a/read ").matches("A/READ"));
    }

    #[test]
    fn empty_covers_the_whole_string() {
        assert_eq!(problem(""), (ActionProblem::Empty, Span::new(0, 0)));
        assert_eq!(problem("  \t"), (ActionProblem::Empty, Span::new(0, 3)));
    }

    #[test]
    fn inner_whitespace_points_at_the_character() {
        assert_eq!(problem("a/ read"), (ActionProblem::InnerWhitespace, Span::new(2, 3)));
        assert_eq!(problem("  a/\tread"), (ActionProblem::InnerWhitespace, Span::new(4, 5)));
    }

    #[test]
    fn non_ascii_whitespace_is_not_trimmed() {
        assert_eq!(problem("a/read\u{a0}"), (ActionProblem::NonAsciiWhitespace, Span::new(6, 8)));
        assert_eq!(problem("\u{3000}a"), (ActionProblem::NonAsciiWhitespace, Span::new(0, 3)));
    }

    #[test]
    fn control_characters() {
        assert_eq!(problem("a/read\n"), (ActionProblem::ControlCharacter, Span::new(6, 7)));
        assert_eq!(problem("a\u{0}b"), (ActionProblem::ControlCharacter, Span::new(1, 2)));
        assert_eq!(problem("a\u{7f}b"), (ActionProblem::ControlCharacter, Span::new(1, 2)));
        assert_eq!(problem("é\u{85}"), (ActionProblem::ControlCharacter, Span::new(2, 4)));
        assert_eq!(problem("a\u{200b}b"), (ActionProblem::ControlCharacter, Span::new(1, 4)));
        assert_eq!(problem("\u{feff}a"), (ActionProblem::ControlCharacter, Span::new(0, 3)));
        assert_eq!(problem(" a\u{202e}"), (ActionProblem::ControlCharacter, Span::new(2, 5)));
    }

    #[test]
    fn first_offence_wins() {
        assert_eq!(problem("a\u{1}b c"), (ActionProblem::ControlCharacter, Span::new(1, 2)));
        assert_eq!(problem("a b\u{1}c"), (ActionProblem::InnerWhitespace, Span::new(1, 2)));
    }

    #[test]
    fn non_ascii_letters_load_but_match_only_themselves() {
        let a = parse_action("Microſoft.Storage/*");
        assert!(a.is_valid());
        assert!(!a.matches("Microsoft.Storage/storageAccounts/read"));
        assert!(a.matches("MICROſOFT.Storage/x"));
    }

    #[test]
    fn malformed_matches_nothing() {
        let a = parse_action("a b");
        assert!(a.pattern().is_none());
        assert!(!a.matches("a b"));
        assert!(!parse_action("").matches(""));
    }

    #[test]
    fn messages_are_lower_case() {
        for p in [
            ActionProblem::Empty,
            ActionProblem::InnerWhitespace,
            ActionProblem::NonAsciiWhitespace,
            ActionProblem::ControlCharacter,
        ] {
            let text = p.to_string();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
        }
    }
}
