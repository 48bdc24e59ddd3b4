//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, which the runner
//! turns into an annotation on the file and line of the pull request.

use super::Report;
use super::sarif::relative_path;
use crate::finding::Finding;
use rolegate::Severity;

pub(super) fn render(report: &Report) -> String {
    let base = std::env::current_dir().ok();
    let mut out = String::new();
    for f in report.findings() {
        out.push_str(&command(f, base.as_deref()));
        out.push('\n');
    }
    out
}

fn command(f: &Finding, base: Option<&std::path::Path>) -> String {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut props: Vec<(&str, String)> = Vec::new();
    if let Some(file) = &f.file {
        props.push(("file", relative_path(file, base).0));
        if f.line > 0 {
            props.push(("line", f.line.to_string()));
            props.push(("col", f.column.to_string()));
            props.push(("endLine", f.end_line.to_string()));
            // GitHub's `endColumn` is the last column of the annotation (inclusive); ours is exclusive.
            if f.end_line == f.line && f.end_column > f.column {
                props.push(("endColumn", (f.end_column - 1).to_string()));
            }
        }
    }
    props.push(("title", format!("{} {}", f.code, f.name)));
    let props: Vec<String> = props.iter().map(|(k, v)| format!("{k}={}", escape_property(v))).collect();
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{level} {}::{}", props.join(","), escape_data(&message))
}

/// Escapes the message part of a workflow command (the runner's `escapeData`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (the runner's `escapeProperty`): also `:` and `,`, which delimit properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    fn unescape(s: &str) -> String {
        s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
    }

    proptest::proptest! {
        /// Whatever a message or path holds, the command stays one line, properties keep their delimiters, and
        /// the runner's unescaping gives the text back.
        #[test]
        fn escaping_round_trips(s in "[a-z%:,\r\n ]{0,24}") {
            let data = escape_data(&s);
            let prop = escape_property(&s);
            proptest::prop_assert!(!data.contains(['\r', '\n']));
            proptest::prop_assert!(!prop.contains(['\r', '\n', ':', ',']));
            proptest::prop_assert_eq!(unescape(&prop), s);
        }
    }
}
