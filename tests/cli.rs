//! End-to-end tests of the `role-lint` and `rolegate` binaries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn role_lint(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("role-lint").unwrap().args(args).current_dir(repo("")).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn examples_report_load_problems_and_exit_1() {
    let (code, out) = role_lint(&["roles/examples", "--color", "never"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("roles/examples/invalid-role.json:3:15"), "{out}");
    assert!(out.contains("did you mean `NotActions`?"), "{out}");
    assert!(out.contains("in 6 files (6 roles)"), "{out}");
}

#[test]
fn json_report_has_the_stable_shape() {
    let (code, out) = role_lint(&["roles/examples", "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"], serde_json::json!({"files": 6, "roles": 6, "errors": 6, "warnings": 29}));
    let keys = [
        "code",
        "severity",
        "message",
        "help",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "role",
        "pointer",
        "operations",
        "fingerprint",
    ];
    for f in v["findings"].as_array().unwrap() {
        for k in keys {
            assert!(f.get(k).is_some(), "finding lacks `{k}`: {f}");
        }
    }
    let is_custom = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RL001").unwrap();
    assert_eq!(is_custom["code"], "RL001");
    assert_eq!(is_custom["pointer"], "/IsCustom");
    assert_eq!(is_custom["role"], "Broken Network Reader");
    assert_eq!((is_custom["line"].as_u64(), is_custom["column"].as_u64()), (Some(3), Some(15)));
    // `"true"` is six characters; the end column is exclusive.
    assert_eq!((is_custom["end_line"].as_u64(), is_custom["end_column"].as_u64()), (Some(3), Some(21)));
    let (_, again) = role_lint(&["roles/examples", "--format", "json"]);
    assert_eq!(out, again, "deterministic output");
}

#[test]
fn invalid_json_is_rl000_and_exit_1() {
    let path = temp_file("broken.json", b"{\"Name\": \"x\",}");
    let (code, out) = role_lint(&[path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["code"], "RL000");
    assert_eq!(v["findings"][0]["column"], 13);
}

#[test]
fn clean_files_exit_0_and_warnings_fail_only_on_request() {
    let (code, out) = role_lint(&["roles/examples/least-privilege-vm-operator.json"]);
    assert_eq!(code, 0, "{out}");
    let path =
        temp_file("warn.json", br#"{"Name": "x", "Actions": ["a/read "], "AssignableScopes": ["/subscriptions/s"]}"#);
    assert_eq!(role_lint(&[path.to_str().unwrap()]).0, 0);
    assert_eq!(role_lint(&[path.to_str().unwrap(), "--fail-on", "warning"]).0, 1);
}

#[test]
fn unreadable_paths_and_bad_usage_exit_2() {
    assert_eq!(role_lint(&["does/not/exist.json"]).0, 2);
    assert_eq!(role_lint(&[]).0, 2);
    assert_eq!(role_lint(&["roles/examples", "--format", "yaml"]).0, 2);
}

#[test]
fn fingerprints_survive_unrelated_edits() {
    let fp = |p: &Path| {
        let (_, out) = role_lint(&[p.to_str().unwrap(), "--format", "json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        // The malformed action (lint rules add findings such as RL300 for `b/read`).
        let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RL006").unwrap().clone();
        (f["fingerprint"].as_str().unwrap().to_owned(), f["line"].as_u64().unwrap())
    };
    let path =
        temp_file("fp.json", br#"{"Name": "x", "Actions": ["a /read"], "AssignableScopes": ["/subscriptions/s"]}"#);
    let (before, line_before) = fp(&path);
    // Move the finding down and insert an action before it: line and pointer index change, the fingerprint not.
    let edited = "{\n\n  \"Name\": \"x\",\n  \"Description\": \"new\",\n  \"Actions\": [\"b/read\", \"a /read\"],\n  \"AssignableScopes\": [\"/subscriptions/s\"]\n}";
    std::fs::write(&path, edited).unwrap();
    let (after, line_after) = fp(&path);
    assert_ne!(line_before, line_after);
    assert_eq!(before, after);
    // A different problem in the same place has a different fingerprint.
    std::fs::write(&path, edited.replace("a /read", "a\\t/read")).unwrap();
    assert_ne!(fp(&path).0, before);
}

#[test]
fn rolegate_validate_loads_a_tenant() {
    let out = Command::cargo_bin("rolegate")
        .unwrap()
        .args(["validate", "--tenant"])
        .arg(repo("tests/data/tenant"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout
            .starts_with("ok: 929 roles (1 custom), 2 assignments, 1 deny assignments, 2 groups, 2 management groups"),
        "{stdout}"
    );
}

#[test]
fn rolegate_validate_refuses_a_broken_tenant() {
    let dir = std::env::temp_dir().join(format!("rolegate-cli-{}-broken-tenant", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("assignments.json"),
        br#"[{"principalId": "a", "roleDefinitionId": "nope", "scope": "/"}]"#,
    )
    .unwrap();
    let out = Command::cargo_bin("rolegate").unwrap().args(["validate", "--tenant"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RL010"));
    let missing =
        Command::cargo_bin("rolegate").unwrap().args(["validate", "--tenant", "/no/such/dir"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

fn rolegate(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rolegate").unwrap().args(args).current_dir(repo("")).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

const BLOB_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
const CONTAINER: &str = "/subscriptions/sub-1/resourceGroups/logs/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c";

#[test]
fn rolegate_check_exit_codes_and_explain() {
    let (code, out, _) =
        rolegate(&["check", "--tenant", "tests/data/tenant", "alice", BLOB_READ, CONTAINER, "--explain"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("allowed: granted by role `Blob Log Reader`"), "{out}");
    assert!(out.contains("  as alice → ops"), "{out}");
    // bob → sre → ops (cycle back to ops) → Reader at the management group above sub-1.
    let (code, out, _) = rolegate(&[
        "check",
        "--tenant",
        "tests/data/tenant",
        "BOB",
        "Microsoft.Compute/virtualMachines/read",
        "/subscriptions/SUB-1/resourceGroups/x",
        "--explain",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("role `Reader` assigned to `ops`") && out.contains("as bob → sre → ops"), "{out}");
    let (code, out, _) = rolegate(&[
        "check",
        "--tenant",
        "tests/data/tenant",
        "bob",
        "Microsoft.Compute/virtualMachines/delete",
        "/subscriptions/sub-1/resourceGroups/x",
        "--explain",
    ]);
    assert_eq!(code, 3);
    assert!(out.starts_with("denied: denied by deny assignment `No deletes in prod`"), "{out}");
    assert!(
        out.contains(
            "`Reader` to `ops` at `/providers/Microsoft.Management/managementGroups/platform`: no entry matches"
        ),
        "{out}"
    );
    // Reader's `*/read` is in Actions: it reaches blob data only if the caller wrongly says "control plane".
    for (plane, expected) in
        [("auto", (3, "not_allowed\n")), ("data", (3, "not_allowed\n")), ("control", (0, "allowed\n"))]
    {
        let (code, out, _) =
            rolegate(&["check", "--tenant", "tests/data/tenant", "bob", BLOB_READ, CONTAINER, "--plane", plane]);
        assert_eq!((code, out.as_str()), expected, "{plane}");
    }
    assert_eq!(rolegate(&["check", "--tenant", "tests/data/tenant", "bob"]).0, 2);
    assert_eq!(rolegate(&["check", "--tenant", "no/such/dir", "a", "b/read", "/"]).0, 2);
}

#[test]
fn rolegate_check_batch_prints_one_line_per_query() {
    let queries = format!(
        "{}\n\n{}\n{}\n{}\n",
        serde_json::json!({"principal": "alice", "action": BLOB_READ, "scope": CONTAINER, "expected": true}),
        serde_json::json!({"principal": "break-glass", "action": "Microsoft.Compute/virtualMachines/delete", "scope": "/subscriptions/sub-1", "groups": ["ops"], "dataAction": false, "expected": false}),
        serde_json::json!({"principal": "nobody", "action": "Microsoft.Nope/things/read", "scope": "/subscriptions/sub-1"}),
        serde_json::json!({"principal": "alice", "action": BLOB_READ, "scope": "/subscriptions/sub-1/../x"}),
    );
    let path = temp_file("queries.jsonl", queries.as_bytes());
    let (code, out, _) = rolegate(&["check", "--tenant", "tests/data/tenant", "--batch", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<(&str, &str)> =
        lines.iter().map(|v| (v["decision"].as_str().unwrap(), v["reason"]["kind"].as_str().unwrap())).collect();
    assert_eq!(
        got,
        vec![
            ("allowed", "granted"),
            ("not_allowed", "no_grant"),
            ("not_allowed", "plane_unknown"),
            ("not_allowed", "invalid_request")
        ]
    );
    assert_eq!(lines[0]["matches_expected"], true);
    assert_eq!(lines[1]["matches_expected"], true);
    assert_eq!(lines[0]["reason"]["role"]["name"], "Blob Log Reader");
}

/// Runs `rolegate bench --format json` over `queries` on the sample tenant: exit code and parsed report.
fn bench_json(name: &str, queries: &str, passes: &str) -> (i32, Value) {
    let path = temp_file(name, queries.as_bytes());
    let args = ["bench", "--tenant", "tests/data/tenant", "--queries", path.to_str().unwrap(), "--format", "json"];
    let (code, out, err) = rolegate(&[&args[..], &["--passes", passes]].concat());
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")))
}

#[test]
fn rolegate_bench_reports_timings_and_mismatches() {
    let good = format!(
        "{}\n{}\n",
        serde_json::json!({"principal": "alice", "action": BLOB_READ, "scope": CONTAINER, "expected": true}),
        serde_json::json!({"principal": "bob", "action": "Microsoft.Compute/virtualMachines/delete", "scope": "/subscriptions/sub-1", "expected": false}),
    );
    let (code, v) = bench_json("bench.jsonl", &good, "2");
    assert_eq!(code, 0, "{v}");
    for k in ["load_ms", "compile_ms", "peak_rss_bytes", "check_ns_median", "checks", "mismatches"] {
        assert!(v.get(k).is_some(), "missing `{k}` in {v}");
    }
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["checks"], 4);
    let (code, v) = bench_json("bench-wrong.jsonl", &good.replace("\"expected\":false", "\"expected\":true"), "1");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["mismatches"], 1);
}

#[test]
fn scoring_role_reports_the_expansion_and_the_replacement() {
    let (code, out) = role_lint(&["roles/examples/custom-role-for-scoring.json", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RL202").unwrap();
    let ops: Vec<String> =
        f["operations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_ascii_lowercase()).collect();
    let base = "microsoft.machinelearningservices/workspaces/onlineendpoints/";
    for op in ["listkeys/action", "regeneratekeys/action", "token/action", "deployments/getlogs/action", "score/action"]
    {
        assert!(ops.contains(&format!("{base}{op}")), "{op} missing from {ops:?}");
    }
    let help = f["help"].as_str().unwrap();
    assert!(help.contains(r#"["Microsoft.MachineLearningServices/workspaces/onlineendpoints/deployments/getlogs/action", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action"]"#), "{help}");
    assert!(f["message"].as_str().unwrap().contains("credential exposure"));
}

#[test]
fn explain_prints_rule_and_load_docs() {
    let out = Command::cargo_bin("role-lint").unwrap().args(["--explain", "RL104"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("RL104 wildcard-assignable-scope (error, azure-would-reject)"), "{text}");
    assert!(text.contains("Example"));
    let out = Command::cargo_bin("role-lint").unwrap().args(["--explain", "rl006"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("RL006 malformed-action"));
    let out = Command::cargo_bin("role-lint").unwrap().args(["--explain", "RL999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("unknown code `RL999`"));
}

#[test]
fn forbid_fails_when_an_operation_becomes_reachable() {
    let ops = temp_file("forbid.txt", b"# guard rails\nMicrosoft.Authorization/roleAssignments/write\n");
    let ops = ops.to_str().unwrap();
    // Contributor excludes Authorization writes: nothing forbidden is reachable.
    let contributor = temp_file(
        "contributor.json",
        br#"{"Name": "c", "Actions": ["*"], "NotActions": ["Microsoft.Authorization/*/Write"], "AssignableScopes": ["/subscriptions/s1/resourceGroups/rg"]}"#,
    );
    let (code, out) = role_lint(&[contributor.to_str().unwrap(), "--forbid", ops, "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("RL211"));
    let (code, out) =
        role_lint(&["roles/examples/over-broad-contributor-clone.json", "--forbid", ops, "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let hits: Vec<&Value> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "RL211").collect();
    assert_eq!(hits.len(), 2, "`*` and `Microsoft.Authorization/*` both reach it: {hits:?}");
    for h in hits {
        assert_eq!(h["severity"], "error");
        assert_eq!(h["operations"], serde_json::json!(["Microsoft.Authorization/roleAssignments/write"]));
    }
}

#[test]
fn catalog_flag_replaces_the_catalog_and_bad_catalogs_are_usage_errors() {
    let catalog = repo("crates/lint/tests/data/operations-small.json");
    let (code, out) = role_lint(&[
        "roles/examples/custom-role-for-scoring.json",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RL202").unwrap();
    // The file's modification date names the catalog.
    assert!(f["help"].as_str().unwrap().contains("expanded against the catalog of 2"), "{f}");
    let bad = temp_file("not-a-catalog.json", b"{\"value\": 1}");
    let out = Command::cargo_bin("role-lint")
        .unwrap()
        .args(["roles/examples", "--catalog", bad.to_str().unwrap()])
        .current_dir(repo(""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("is not usable as a catalog"));
}

#[test]
fn strict_catalog_turns_unknown_operations_into_errors() {
    let path = temp_file(
        "typo.json",
        br#"{"Name": "VM restarter", "Actions": ["Microsoft.Compute/virtualMachines/restrt/action"],
            "AssignableScopes": ["/subscriptions/s1/resourceGroups/rg"]}"#,
    );
    let path = path.to_str().unwrap();
    let (code, out) = role_lint(&[path, "--format", "json"]);
    assert_eq!(code, 0, "a warning by default: {out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RL300").unwrap();
    assert_eq!(f["severity"], "warning");
    assert!(f["help"].as_str().unwrap().contains("did you mean `Microsoft.Compute/virtualMachines/restart/action`?"));
    assert!(f["message"].as_str().unwrap().contains("catalog of 2026-08-22"), "{f}");
    let (code, out) = role_lint(&[path, "--format", "json", "--strict-catalog"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["errors"], 1);
}
