//! The body of the `tenant_loader` fuzz target, shared with its replay test: arbitrary multi-file tenants
//! through `TenantLoader`, then an engine and a few checks.
//!
//! The input is split at 0 bytes (which valid JSON text never holds): the first part holds flags (`b`: load the
//! built-in roles too and compile against the shipped operation catalog, else a small catalog), then `assignments.json`, `denyAssignments.json`, `groups.json` and `hierarchy.json`
//! (an empty part leaves that file out), then any number of role files.
//!
//! Asserts: nothing panics; every diagnostic's spans lie within its file's text on character boundaries and
//! render; `build` fails only with a fatal diagnostic and succeeds with none; a tenant that builds compiles into
//! an engine, which decides a request for each assignment (its principal, at its scope) and a malformed request
//! `NotAllowed`.

use std::sync::{Arc, OnceLock};

use rolegate::Diagnostic;
use rolegate::catalog::{Catalog, Operation};
use rolegate::engine::{Decision, Engine, Request};
use rolegate::load::TenantLoader;

/// Compiling against the shipped catalog walks all of its operations, which took most of the fuzzer's time in
/// a profile; this one keeps it fast and still has operations in both planes.
fn small_catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| {
        let ops = [
            ("Microsoft.Compute/virtualMachines/read", false),
            ("Microsoft.Compute/virtualMachines/write", false),
            ("Microsoft.Storage/storageAccounts/delete", false),
            ("Microsoft.Storage/storageAccounts/listKeys/action", false),
            ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", true),
            ("Microsoft.Authorization/roleAssignments/write", false),
        ];
        let ops = ops.map(|(name, is_data_action)| Operation {
            name: name.to_owned(),
            is_data_action,
            display_name: String::new(),
            description: String::new(),
        });
        Arc::new(Catalog::new(ops.to_vec(), None))
    });
    Arc::clone(catalog)
}

/// Runs one input; panics on a broken invariant.
pub fn run(data: &[u8]) {
    let mut parts = data.split(|&b| b == 0);
    let flags = parts.next().unwrap_or_default();
    let shipped = flags.contains(&b'b');
    let loader = TenantLoader::new();
    let mut loader = if shipped { loader } else { loader.without_builtins() };
    type Add = fn(&mut TenantLoader, &str, &[u8]) -> ();
    let fixed: [(&str, Add); 4] = [
        ("assignments.json", |l, n, b| {
            l.add_assignments(n, b);
        }),
        ("denyAssignments.json", |l, n, b| {
            l.add_deny_assignments(n, b);
        }),
        ("groups.json", |l, n, b| {
            l.add_groups(n, b);
        }),
        ("hierarchy.json", |l, n, b| {
            l.add_hierarchy(n, b);
        }),
    ];
    for (name, add) in fixed {
        match parts.next() {
            Some(bytes) if !bytes.is_empty() => add(&mut loader, name, bytes),
            _ => {}
        }
    }
    for (i, bytes) in parts.enumerate() {
        loader.add_roles(&format!("roles{i}.json"), bytes);
    }

    let (tenant, diagnostics) = match loader.build() {
        Ok(built) => built,
        Err(e) => {
            assert!(e.diagnostics.iter().any(Diagnostic::is_fatal), "build failed without a fatal diagnostic");
            check_diagnostics(&e.diagnostics);
            return;
        }
    };
    assert!(!diagnostics.iter().any(Diagnostic::is_fatal), "build succeeded with a fatal diagnostic");
    check_diagnostics(&diagnostics);

    let requests: Vec<(String, String)> = tenant
        .assignments
        .iter()
        .take(8)
        .map(|a| (a.principal_id.to_string(), a.scope.scope().map_or_else(|| a.scope.raw.clone(), |s| s.to_string())))
        .collect();
    let engine = if shipped { Engine::new(tenant) } else { Engine::with_catalog(tenant, small_catalog()) };
    for (principal, scope) in &requests {
        for action in ["Microsoft.Compute/virtualMachines/read", "Microsoft.Storage/storageAccounts/delete"] {
            let decision = engine.check(&Request::new(principal, action, scope));
            let (r, t) = (decision.reason(), engine.tenant());
            assert!(r.assignment().is_none_or(|i| i.get() < t.assignments.len()), "{decision:?}");
            assert!(r.deny().is_none_or(|i| i.get() < t.deny_assignments.len()), "{decision:?}");
            assert!(r.role().is_none_or(|i| i.get() < t.roles.len()), "{decision:?}");
            let _ = engine.reason_text(r);
        }
    }
    let bad = engine.check(&Request::new("alice", "Microsoft.Compute/virtualMachines/read", "/subscriptions//x"));
    assert!(matches!(bad, Decision::NotAllowed(_)), "a malformed scope gives {bad:?}");
}

fn check_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let _ = d.to_string();
        let Some(span) = d.span else { continue };
        let Some(src) = d.source.as_ref() else { continue };
        let text = src.text();
        for s in std::iter::once(span).chain(d.related.iter().map(|(s, _)| *s)) {
            assert!(s.start <= s.end && s.end <= text.len(), "{}: span {s:?} outside 0..{}", d.code.id, text.len());
            assert!(text.get(s.start..s.end).is_some(), "{}: span {s:?} not on character boundaries", d.code.id);
        }
        let _ = d.line_cols();
        let _ = d.snippet();
    }
}
