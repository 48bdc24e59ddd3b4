//! `rolegate import` and `scripts/export-tenant.sh` on recorded `az` outputs (`tests/data/az-export`, written by
//! hand from the commands' documented shapes: no test can reach Azure).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rolegate::engine::{Engine, Request};

const SUB: &str = "/subscriptions/11111111-1111-1111-1111-111111111111";
const RESTART: &str = "Microsoft.Compute/virtualMachines/restart/action";
const DANA: &str = "dddddddd-0000-4000-8000-00000000000d";
const EVE: &str = "eeeeeeee-0000-4000-8000-00000000000e";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/az-export").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn import(out: &Path, extra: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .arg("import")
        .arg("--out")
        .arg(out)
        .args(["--roles", data("roles.json").to_str().unwrap()])
        .args(["--assignments", data("assignments.json").to_str().unwrap()])
        .args(["--entities", data("entities.json").to_str().unwrap()])
        .args(["--group-members", data("members").to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    (o.status.code().unwrap(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

/// The decisions the recorded subscription gives: dana restarts through `vm-operators`; eve is in
/// `contractors`, nested in `vm-operators`, and the deny on `contractors` stops her; dana reads the subscription
/// through the Reader assignment on its management group.
fn assert_decisions(dir: &Path) {
    let (engine, warnings) = Engine::from_dir(dir).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let vm = format!("{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1");
    assert_eq!(engine.check(&Request::new(DANA, RESTART, &vm)).as_str(), "allowed");
    assert_eq!(engine.check(&Request::new(EVE, RESTART, &vm)).as_str(), "denied");
    assert_eq!(engine.check(&Request::new(DANA, "Microsoft.Storage/storageAccounts/read", SUB)).as_str(), "allowed");
    assert_eq!(engine.check(&Request::new(EVE, "Microsoft.Storage/storageAccounts/read", SUB)).as_str(), "not_allowed");
}

#[test]
fn recorded_az_outputs_become_a_tenant_that_decides_as_azure_would() {
    let out = scratch("ok");
    let (code, stdout, stderr) = import(&out, &["--deny-assignments", data("deny-page.json").to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1 custom roles, 2 role assignments, 1 deny assignments, 3 groups"), "{stdout}");
    assert_decisions(&out);
    // Never into a directory that holds something.
    let (code, _, stderr) = import(&out, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not empty"), "{stderr}");
}

/// Azure lists assignments in no documented order: whatever order they come in, the tenant lists them by id, so
/// `rolegate diff` of two imports compares them in step.
#[test]
fn assignments_are_written_in_id_order() {
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(data("assignments.json")).unwrap()).unwrap();
    let ids = |v: &[serde_json::Value]| v.iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    // The recorded listing is not in id order (the subscription's assignment before the management group's).
    let mut sorted = ids(&listed);
    sorted.sort_by_key(|id| id.to_ascii_lowercase());
    assert_ne!(ids(&listed), sorted);
    let written = |listing: &[serde_json::Value], name: &str| {
        let src = scratch(&format!("{name}-src.json"));
        std::fs::write(&src, serde_json::to_string(listing).unwrap()).unwrap();
        let out = scratch(name);
        let o = Command::new(env!("CARGO_BIN_EXE_rolegate"))
            .args(["import", "--out", out.to_str().unwrap(), "--assignments", src.to_str().unwrap()])
            .args(["--roles", data("roles.json").to_str().unwrap()])
            .args(["--entities", data("entities.json").to_str().unwrap()])
            .args(["--group-members", data("members").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(out.join("assignments.json")).unwrap()).unwrap();
        v
    };
    let reversed: Vec<serde_json::Value> = listed.iter().rev().cloned().collect();
    let (a, b) = (written(&listed, "order-a"), written(&reversed, "order-b"));
    assert_eq!(ids(&a), sorted);
    assert_eq!(a, b);
}

#[test]
fn a_partial_page_or_a_member_without_an_id_is_refused() {
    let (code, _, stderr) =
        import(&scratch("page"), &["--deny-assignments", data("deny-page-1.json").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`nextLink` is set"), "{stderr}");
    let members = scratch("members-src");
    std::fs::create_dir_all(&members).unwrap();
    std::fs::write(members.join("g.json"), r#"[{"displayName": "someone"}]"#).unwrap();
    let (code, _, stderr) = import(&scratch("members"), &["--group-members", members.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("member 0 has no `id`"), "{stderr}");
}

#[test]
fn the_export_script_follows_pages_and_nested_groups() {
    // `az` is the stub beside the recorded outputs; the script needs jq, which .ci/run installs.
    let jq = Command::new("jq").arg("--version").output();
    assert!(jq.is_ok_and(|o| o.status.success()), "jq is not installed: .ci/run installs it (apt-get install jq)");
    let bin = scratch("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(data("az-stub.sh"), bin.join("az")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = scratch("exported");
    let o = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/export-tenant.sh"))
        .arg(&out)
        .env("PATH", path)
        .env("ROLEGATE", env!("CARGO_BIN_EXE_rolegate"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 deny assignments, 3 groups"), "{stderr}");
    assert_decisions(&out);
}
