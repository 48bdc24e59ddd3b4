//! Helpers shared by the test modules.

use miette::{GraphicalReportHandler, GraphicalTheme};
use rolegate::Diagnostic;

/// Renders a diagnostic the way the binaries do, without colours, for snapshots.
pub fn render(d: &Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, &d.report())
        .unwrap();
    out
}
