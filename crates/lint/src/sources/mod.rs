//! Front ends for role-definition files that are not JSON. Each reads its format into rolegate's JSON tree, shaped
//! like one of the JSON role shapes (semantics §2.1) but with spans into the original text, so that the loader and
//! every rule work unchanged and findings point into the file as written.

use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::SourceText;
use rolegate::internals::json::Value;
use rolegate::internals::load::parse_source;

mod bicep;

/// How a role file is read, chosen by its extension (ASCII case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Any other name: role JSON in one of the shapes of semantics §2.1.
    Json,
    /// Bicep source (`*.bicep`).
    Bicep,
}

impl Format {
    /// The format of the file named `name`: by extension, JSON unless another front end claims it.
    pub(crate) fn of(name: &str) -> Format {
        let ext = std::path::Path::new(name).extension().and_then(|x| x.to_str()).unwrap_or_default();
        if ext.eq_ignore_ascii_case("bicep") { Format::Bicep } else { Format::Json }
    }
}

/// A file as its front end read it.
#[derive(Debug)]
pub(crate) struct Input {
    /// The file's text: every span below points into it.
    pub source: Arc<SourceText>,
    /// What the file holds.
    pub parsed: Parsed,
}

/// What a front end made of a file.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A JSON document, classified and loaded as ever.
    Json(Value),
    /// A file converted to an ARM-template tree for the loader.
    Converted(Converted),
    /// The file could not be parsed: one located diagnostic.
    Failed(Diagnostic),
}

/// A file converted to the ARM-template shape.
#[derive(Debug)]
pub(crate) struct Converted {
    /// `{"$schema": ..., "resources": [...]}` with spans into the original file.
    pub template: Value,
    /// The document that JSON pointers of findings lead into: none for a file that is not JSON (a pointer into
    /// the converted tree would name keys the file does not have).
    pub pointer_root: Option<Value>,
    /// The front end's own findings: what it does not evaluate (loops, conditions, spreads: `RL311` notes), a
    /// file without role definitions (`RL021`).
    pub notes: Vec<Diagnostic>,
}

/// Reads one file with the front end its extension calls for.
pub(crate) fn read(name: &str, bytes: &[u8]) -> Input {
    match Format::of(name) {
        Format::Bicep => bicep::read(name, bytes),
        Format::Json => {
            let (source, parsed) = parse_source(name, bytes);
            let parsed = match parsed {
                Ok(root) => Parsed::Json(root),
                Err(d) => Parsed::Failed(d),
            };
            Input { source, parsed }
        }
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
