//! Arbitrary bytes as a `.bicep` role file through role-lint's Bicep front end and the role loader.
//!
//! Asserts: linting never panics (nor overflows the stack: nesting is bounded), a file that is not UTF-8 or not
//! Bicep is exactly one finding, and every finding lies within the file (its line at most the file's line count).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolegate_lint::{LintOptions, Linter, RULES};

fuzz_target!(|data: &[u8]| {
    // The front end and the loader are under test; the rules (and their catalog) would only slow each run.
    let options = LintOptions { disabled_rules: RULES.iter().map(|r| r.code).collect(), ..LintOptions::default() };
    let mut linter = Linter::with_options(options);
    linter.add_file("fuzz.bicep", data);
    let report = linter.finish();
    let lines = String::from_utf8_lossy(data).split('\n').count();
    for f in report.findings() {
        assert_eq!(f.file.as_deref(), Some("fuzz.bicep"), "{f:?}");
        assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}: {f:?}", f.line);
    }
    if report.findings().iter().any(|f| f.code == "RL000") {
        assert_eq!(report.findings().len(), 1, "a file that cannot be read is one finding: {:?}", report.findings());
    }
});
