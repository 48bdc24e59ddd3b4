//! `--baseline old.json`: report only what a change adds.
//!
//! A baseline is the `--format json` report of an earlier run. Findings are matched by fingerprint, which
//! survives unrelated edits (see [`crate::fingerprint`]); matching counts occurrences, so a second copy of an
//! already-known problem is still reported.

use std::collections::HashMap;
use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::SourceText;

use crate::config::codes::INVALID_BASELINE;
use crate::report::Report;

/// The fingerprints of an earlier report, with how often each occurred.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    counts: HashMap<String, usize>,
}

impl Baseline {
    /// Reads a `role-lint --format json` report; a file that is not one is a problem for exit code 2.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Baseline, Vec<Diagnostic>> {
        let src = Arc::new(SourceText::new(name, String::from_utf8_lossy(bytes)));
        let invalid = |why: String| {
            vec![
                Diagnostic::error(INVALID_BASELINE, format!("`{name}` is not a role-lint JSON report: {why}"))
                    .in_file(&src)
                    .with_help("create it with `role-lint --format json ... > baseline.json` on the base branch"),
            ]
        };
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if v.get("version").and_then(serde_json::Value::as_u64) != Some(1) {
            return Err(invalid("it has no `\"version\": 1`".to_owned()));
        }
        let findings = v
            .get("findings")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| invalid("it has no `findings` array".to_owned()))?;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            let fp = f
                .get("fingerprint")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| invalid(format!("finding {i} has no `fingerprint`")))?;
            *counts.entry(fp.to_owned()).or_default() += 1;
        }
        Ok(Baseline { counts })
    }

    /// How many findings the baseline holds.
    pub fn len(&self) -> usize {
        self.counts.values().sum()
    }

    /// Whether the baseline holds no finding.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

impl Report {
    /// Leaves out findings the baseline already has (each baseline entry absorbs one finding) and counts them in
    /// [`crate::Summary::baselined`]. Unreadable inputs are never baselined: they decide exit code 2.
    pub fn apply_baseline(self, baseline: &Baseline) -> Report {
        let (mut summary, findings) = self.into_findings();
        let mut left = baseline.counts.clone();
        let mut kept = Vec::with_capacity(findings.len());
        let mut baselined = 0;
        for f in findings {
            let known = f.code != rolegate::diag::codes::UNREADABLE.id
                && left.get_mut(&f.fingerprint).is_some_and(|n| {
                    let hit = *n > 0;
                    *n = n.saturating_sub(1);
                    hit
                });
            if known {
                baselined += 1;
            } else {
                kept.push(f);
            }
        }
        summary.baselined = Some(summary.baselined.unwrap_or_default() + baselined);
        Report::rebuild(summary, kept)
    }
}
