//! The limits of the compiled snapshot (issue 18, item 2): a list entry past what the snapshot indexes is never
//! dropped. Exclusions have no limit; a grant or a deny block's action past index 65,535, or a permission block
//! past 65,535, refuses the tenant with `RL022` naming the entry. Each limit is tried with the deciding entry last
//! in lists of 65,536 and 65,537 entries, that is at index 65,535 and 65,536.

use rolegate::diag::{Diagnostic, codes};
use rolegate::engine::{Engine, MAX_BLOCKS, MAX_LIST, ReasonKind, Request};
use rolegate::load::TenantLoader;
use rolegate::model::Tenant;

use crate::reference_engine::{Effect, reference_check};

const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const ROLE: &str = "5d4f2e8a-0000-4000-8000-00000000abcd";
const S1: &str = "/subscriptions/s1";
const RG: &str = "/subscriptions/s1/resourceGroups/rg1";
const DELETE: &str = "Microsoft.Compute/virtualMachines/delete";
const DATA: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete";

/// A JSON array of `len` entries, one per line: wildcards that match nothing the tests ask, then `last`.
fn list(len: usize, last: &str) -> String {
    let mut items: Vec<String> = (0..len - 1).map(|i| format!("\"Microsoft.Filler/things{i}/*\"")).collect();
    items.push(format!("\"{last}\""));
    format!("[\n{}\n]", items.join(",\n"))
}

/// The line and column (1-based) where `needle` first starts in `text`.
fn line_col(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, column)
}

/// Loads `roles.json`, `denyAssignments.json` (when given) and alice's assignment of `role` at `/subscriptions/s1`.
fn loader(roles: Option<&str>, denies: Option<&str>, role: &str) -> TenantLoader {
    let mut l = TenantLoader::new();
    if let Some(r) = roles {
        l.add_roles("roles.json", r.as_bytes());
    }
    if let Some(d) = denies {
        l.add_deny_assignments("denyAssignments.json", d.as_bytes());
    }
    let a = format!(r#"[{{"principalId": "alice", "roleDefinitionId": "{role}", "scope": "{S1}"}}]"#);
    l.add_assignments("assignments.json", a.as_bytes());
    l
}

fn role(permissions: &str) -> String {
    format!(
        r#"{{"Name": "Big", "Id": "{ROLE}", "IsCustom": true,
"Permissions": {permissions},
"AssignableScopes": ["/"]}}"#
    )
}

fn deny(actions: &str) -> String {
    format!(
        r#"[{{"name": "no-delete", "scope": "{S1}",
"permissions": [{{"actions": {actions}}}],
"principals": [{{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}}]}}]"#
    )
}

/// The decision for alice on `action`, checked against the reference evaluator.
#[track_caller]
fn decide(tenant: Tenant, action: &str, data: bool) -> (Effect, ReasonKind, Option<usize>) {
    let engine = Engine::try_new(tenant).unwrap();
    let plane = if data { rolegate::engine::PlaneHint::Data } else { rolegate::engine::PlaneHint::Control };
    let req = Request::new("alice", action, RG).plane(plane);
    let d = engine.check(&req);
    let got = (Effect::of(&d), d.reason().kind());
    assert_eq!(reference_check(engine.tenant(), rolegate::catalog::Catalog::builtin(), &req), got);
    (got.0, got.1, d.reason().pattern().map(|p| p.get()))
}

/// The load is refused with exactly one diagnostic, `RL022`, at `needle` in `text` (the first entry past the
/// limit); an engine built from what was loaded anyway refuses it too, and `Engine::new` allows nothing.
#[track_caller]
fn refused(mut l: TenantLoader, text: &str, needle: &str, action: &str) -> Diagnostic {
    let loaded = l.finish();
    let fatal: Vec<&Diagnostic> = loaded.diagnostics.iter().filter(|d| d.is_fatal()).collect();
    assert_eq!(fatal.len(), 1, "{fatal:#?}");
    let d = fatal[0].clone();
    assert_eq!(d.code, codes::ENGINE_LIMIT);
    let (start, _) = d.line_cols().unwrap();
    assert_eq!((start.line, start.column), line_col(text, needle), "{}", d.message);
    assert_eq!(d.snippet(), Some(needle));
    assert!(d.message.contains("65536 entries") || d.message.contains("65536 blocks"), "{}", d.message);
    assert!(d.help.is_some());
    let tenant = loaded.value;
    let err = Engine::try_new(tenant.clone()).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(err.diagnostics[0].code, codes::ENGINE_LIMIT);
    let engine = Engine::new(tenant);
    assert!(!engine.check(&Request::new("alice", action, RG)).is_allowed());
    d
}

#[test]
fn the_limits_are_the_u16_ranges() {
    assert_eq!((MAX_LIST, MAX_BLOCKS), (65_536, 65_536));
}

/// (a) The excluding `NotActions` entry last, at index 65,535 and 65,536: excluded either way (exclusions have
/// no limit); with the same list lacking it, the role allows, so the exclusion is what decides.
#[test]
fn not_actions_entry_past_u16_still_excludes() {
    for len in [MAX_LIST, MAX_LIST + 1] {
        for (last, want) in [(DELETE, Effect::NotAllowed), ("Microsoft.Filler/last/*", Effect::Allowed)] {
            let r = role(&format!(r#"[{{"Actions": ["*"], "NotActions": {}}}]"#, list(len, last)));
            let (tenant, _) = loader(Some(&r), None, ROLE).build().unwrap();
            assert_eq!(decide(tenant, DELETE, false).0, want, "{len} entries, last `{last}`");
        }
    }
}

/// (a) on the data plane: `NotDataActions` has no limit either.
#[test]
fn not_data_actions_entry_past_u16_still_excludes() {
    let r = role(&format!(r#"[{{"DataActions": ["{DATA}"], "NotDataActions": {}}}]"#, list(MAX_LIST + 1, DATA)));
    let (tenant, _) = loader(Some(&r), None, ROLE).build().unwrap();
    assert_eq!(decide(tenant, DATA, true).0, Effect::NotAllowed);
}

/// (b) The deny block's action last: at index 65,535 it denies (alice is Owner); at index 65,536 the tenant is
/// refused with RL022 at that entry, never loaded without it.
#[test]
fn deny_action_at_the_limit_denies_and_past_it_refuses() {
    let d = deny(&list(MAX_LIST, DELETE));
    let (tenant, _) = loader(None, Some(&d), OWNER).build().unwrap();
    assert_eq!(decide(tenant, DELETE, false).0, Effect::Denied);
    // The same deny without the action: Owner allows, so the entry at 65,535 is what decided.
    let d = deny(&list(MAX_LIST, "Microsoft.Filler/last/*"));
    let (tenant, _) = loader(None, Some(&d), OWNER).build().unwrap();
    assert_eq!(decide(tenant, DELETE, false).0, Effect::Allowed);

    let d = deny(&list(MAX_LIST + 1, DELETE));
    let diag = refused(loader(None, Some(&d), OWNER), &d, &format!("\"{DELETE}\""), DELETE);
    assert!(diag.message.contains("`actions`") && diag.message.contains("`no-delete`"), "{}", diag.message);
    assert_eq!(diag.file(), Some("denyAssignments.json"));
}

/// (c) A grant last: at index 65,535 it allows and the reason names it; at index 65,536 the tenant is refused
/// with RL022 at that entry (a grant dropped would fail closed, but a reason could not name it).
#[test]
fn grant_at_the_limit_allows_and_past_it_refuses() {
    let r = role(&format!(r#"[{{"Actions": {}}}]"#, list(MAX_LIST, DELETE)));
    let (tenant, _) = loader(Some(&r), None, ROLE).build().unwrap();
    assert_eq!(decide(tenant, DELETE, false), (Effect::Allowed, ReasonKind::Granted, Some(usize::from(u16::MAX))));

    let r = role(&format!(r#"[{{"Actions": {}}}]"#, list(MAX_LIST + 1, DELETE)));
    let diag = refused(loader(Some(&r), None, ROLE), &r, &format!("\"{DELETE}\""), DELETE);
    assert!(diag.message.contains("`Actions`") && diag.message.contains("`Big`"), "{}", diag.message);
    assert_eq!(diag.file(), Some("roles.json"));
}

/// A permission block past index 65,535 refuses the tenant at that block; at index 65,535 it grants, and the
/// reason names it.
#[test]
fn permission_block_past_u16_refuses() {
    let blocks = |n: usize| {
        let mut v: Vec<String> =
            (0..n - 1).map(|i| format!(r#"{{"Actions": ["Microsoft.Filler/things{i}/*"]}}"#)).collect();
        v.push(format!(r#"{{"Actions": ["{DELETE}"]}}"#));
        format!("[\n{}\n]", v.join(",\n"))
    };
    let r = role(&blocks(MAX_BLOCKS));
    let (tenant, _) = loader(Some(&r), None, ROLE).build().unwrap();
    let engine = Engine::try_new(tenant).unwrap();
    let d = engine.check(&Request::new("alice", DELETE, RG));
    assert!(d.is_allowed());
    assert_eq!(
        (d.reason().block().map(|b| b.get()), d.reason().pattern().map(|p| p.get())),
        (Some(usize::from(u16::MAX)), Some(0))
    );

    let r = role(&blocks(MAX_BLOCKS + 1));
    let last = format!(r#"{{"Actions": ["{DELETE}"]}}"#);
    let diag = refused(loader(Some(&r), None, ROLE), &r, &last, DELETE);
    assert!(diag.message.contains("permission block 65537"), "{}", diag.message);
}
