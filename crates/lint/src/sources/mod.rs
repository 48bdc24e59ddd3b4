//! Front ends for role-definition files that are not JSON. Each reads its format into rolegate's JSON tree, shaped
//! like one of the JSON role shapes (semantics §2.1) but with spans into the original text, so that the loader and
//! every rule work unchanged and findings point into the file as written.

use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::SourceText;
use rolegate::internals::json::Value;

mod bicep;

/// How a role file is read, chosen by its extension (ASCII case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Any other name: JSON in one of the shapes of semantics §2.1.
    Json,
    /// `*.bicep`.
    Bicep,
}

impl Format {
    /// The format of a file named `name`.
    pub(crate) fn of(name: &str) -> Format {
        let ext = std::path::Path::new(name).extension().and_then(|x| x.to_str()).unwrap_or_default();
        if ext.eq_ignore_ascii_case("bicep") { Format::Bicep } else { Format::Json }
    }
}

/// A file read by a front end.
pub(crate) struct FrontEnd {
    /// The file's text, which every span indexes.
    pub source: Arc<SourceText>,
    /// The tree the loader reads, or the one diagnostic saying why the file could not be read.
    pub root: Result<Value, Diagnostic>,
    /// What the front end has to say beyond the loader: parts it does not evaluate (loops, conditions), a file
    /// without role definitions.
    pub notes: Vec<Diagnostic>,
}

/// Reads `bytes` with the front end of `format`; `None` for JSON, which the caller parses itself.
pub(crate) fn read(format: Format, name: &str, bytes: &[u8]) -> Option<FrontEnd> {
    match format {
        Format::Json => None,
        Format::Bicep => Some(bicep::read(name, bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::of("roles/x.bicep"), Format::Bicep);
        assert_eq!(Format::of("X.BICEP"), Format::Bicep);
        assert_eq!(Format::of("x.json"), Format::Json);
        assert_eq!(Format::of("bicep"), Format::Json);
        assert_eq!(Format::of("x.bicep.json"), Format::Json);
    }
}
