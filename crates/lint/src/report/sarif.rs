//! SARIF 2.1.0: one run, rule metadata for every code that occurs, results in report order.
//!
//! What GitHub code scanning relies on: relative artifact URIs with forward slashes (so that it can find the
//! file in the repository), `partialFingerprints` (so that an alert keeps its identity across pushes),
//! `columnKind` (our columns count Unicode scalar values) and `ruleIndex` into `tool.driver.rules`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::Report;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, RuleMetaSource};
use rolegate::Severity;

const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Key of our fingerprint in `partialFingerprints`; the version changes if the recipe ever does.
const FINGERPRINT_KEY: &str = "roleLint/v1";
/// The base the relative URIs are relative to: the directory role-lint ran in, which in CI is the checkout.
const SRCROOT: &str = "%SRCROOT%";

pub(super) fn log(report: &Report, rules: &dyn RuleMetaSource) -> Value {
    // One rule entry per code that occurs, in code order; `ruleIndex` points into this list.
    let mut metas: BTreeMap<&str, RuleMeta> = BTreeMap::new();
    for f in report.findings() {
        metas.entry(f.code).or_insert_with(|| rules.rule_meta(f.code).unwrap_or_else(|| fallback_meta(f)));
    }
    let index: BTreeMap<&str, usize> = metas.keys().enumerate().map(|(i, code)| (*code, i)).collect();
    let rules_json: Vec<Value> = metas.values().map(rule_json).collect();
    let results: Vec<Value> =
        report.findings().iter().map(|f| result_json(f, index.get(f.code).copied().unwrap_or_default())).collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "role-lint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules_json,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A code no metadata source knows (a rule added without metadata): describe it from the finding.
fn fallback_meta(f: &Finding) -> RuleMeta {
    RuleMeta { code: f.code, name: f.name, default_severity: f.severity, tags: &[], summary: f.name, help: "" }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule_json(m: &RuleMeta) -> Value {
    let help = if m.help.is_empty() { m.summary } else { m.help };
    json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": help},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(m.default_severity)},
        "properties": {"tags": m.tags},
    })
}

fn result_json(f: &Finding, rule_index: usize) -> Value {
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut result = Map::new();
    result.insert("ruleId".into(), f.code.into());
    result.insert("ruleIndex".into(), rule_index.into());
    result.insert("level".into(), level(f.severity).into());
    result.insert("message".into(), json!({"text": text}));
    if let Some(file) = &f.file {
        let (uri, relative) = relative_uri(file, std::env::current_dir().ok().as_deref());
        let mut artifact = json!({"uri": uri});
        if relative && let Some(a) = artifact.as_object_mut() {
            a.insert("uriBaseId".into(), SRCROOT.into());
        }
        let mut physical = json!({"artifactLocation": artifact});
        if f.line > 0
            && let Some(p) = physical.as_object_mut()
        {
            p.insert(
                "region".into(),
                json!({
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column,
                }),
            );
        }
        result.insert("locations".into(), json!([{"physicalLocation": physical}]));
    }
    result.insert("partialFingerprints".into(), json!({FINGERPRINT_KEY: f.fingerprint}));
    let mut props = Map::new();
    props.insert("name".into(), f.name.into());
    if let Some(role) = &f.role {
        props.insert("role".into(), role.clone().into());
    }
    if let Some(pointer) = &f.pointer {
        props.insert("pointer".into(), pointer.clone().into());
    }
    if !f.operations.is_empty() {
        props.insert("operations".into(), f.operations.clone().into());
    }
    result.insert("properties".into(), Value::Object(props));
    Value::Object(result)
}

/// A file name as a URI reference: relative to `base` with forward slashes when the file is below it (or was
/// given relative), else an absolute `file://` URI. The flag says whether the result is relative. Characters
/// outside RFC 3986's unreserved set and `/` are percent-encoded, so spaces, `#` and `%` in names survive.
pub fn relative_uri(file: &str, base: Option<&Path>) -> (String, bool) {
    let (path, relative) = relative_path(file, base);
    if relative {
        (encode(&path, false), true)
    } else {
        let path = if path.starts_with('/') { path } else { format!("/{path}") };
        (format!("file://{}", encode(&path, true)), false)
    }
}

/// A file name relative to `base` with forward slashes, or absolute (forward slashes) when it is not below it.
pub(crate) fn relative_path(file: &str, base: Option<&Path>) -> (String, bool) {
    let path = Path::new(file);
    if path.is_absolute() || file.starts_with('/') {
        if let Some(rest) = base.and_then(|b| path.strip_prefix(b).ok()) {
            return (slashes(&rest.to_string_lossy()), true);
        }
        return (slashes(file), false);
    }
    let s = slashes(file);
    let mut rest = s.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    (rest.to_owned(), true)
}

fn slashes(s: &str) -> String {
    s.replace('\\', "/")
}

fn encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') || (keep_colon && b == b':');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_with_forward_slashes_and_encoded() {
        let base = Path::new("/work/repo");
        assert_eq!(relative_uri("roles/a.json", Some(base)), ("roles/a.json".to_owned(), true));
        assert_eq!(relative_uri("./roles/a b.json", Some(base)), ("roles/a%20b.json".to_owned(), true));
        assert_eq!(relative_uri("roles\\x#1.json", Some(base)), ("roles/x%231.json".to_owned(), true));
        assert_eq!(relative_uri("/work/repo/roles/a.json", Some(base)), ("roles/a.json".to_owned(), true));
        assert_eq!(relative_uri("/tmp/x:y.json", Some(base)), ("file:///tmp/x:y.json".to_owned(), false));
        assert_eq!(relative_uri("a:b.json", None), ("a%3Ab.json".to_owned(), true));
    }
}
