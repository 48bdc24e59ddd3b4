//! End-to-end tests of the `role-lint` and `rolegate` binaries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

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
    assert_eq!(v["summary"], serde_json::json!({"files": 6, "roles": 6, "errors": 7, "warnings": 28}));
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
fn rolegate_who_can_lists_groups_members_and_who_escapes_a_deny() {
    let t = "tests/data/tenant";
    let vm_read = "Microsoft.Compute/virtualMachines/read";
    let (code, out, err) = rolegate(&["who-can", "--tenant", t, vm_read, "/subscriptions/sub-1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "who may Microsoft.Compute/virtualMachines/read at /subscriptions/sub-1 (control plane): 1 principal\n  \
         ops (Group)  Reader at /providers/Microsoft.Management/managementGroups/platform\n"
    );
    // Expanded, through the ops ↔ sre cycle.
    let (code, out, _) =
        rolegate(&["who-can", "--tenant", t, vm_read, "/subscriptions/sub-1", "--expand", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["grantees"].as_array().unwrap().iter().map(|g| g["principal"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob", "ops", "sre"]);
    assert_eq!(
        (&v["action"], &v["scope"], &v["plane"], &v["reach"]),
        (&json!(vm_read), &json!("/subscriptions/sub-1"), &json!("control"), &json!("at"))
    );
    assert_eq!(v["grantees"][1]["via"]["group"], "ops");
    // The blob reader holds its grant below the subscription only.
    let (_, out, _) = rolegate(&["who-can", "--tenant", t, BLOB_READ, "/subscriptions/sub-1"]);
    assert!(out.ends_with(": nobody\n"), "{out}");
    let (code, out, _) = rolegate(&["who-can", "--tenant", t, BLOB_READ, "/subscriptions/sub-1", "--below"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("at /subscriptions/sub-1 or below (data plane): 1 principal")
            && out.contains("alice (User)  Blob Log Reader"),
        "{out}"
    );

    // Everyone is denied deletes in sub-1 but break-glass.
    let dir = temp_dir("who-can");
    for f in ["roles.json", "denyAssignments.json", "groups.json", "hierarchy.json"] {
        std::fs::copy(repo(t).join(f), dir.join(f)).unwrap();
    }
    let owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    let assignments = json!([
        {"principalId": "ops", "principalType": "Group", "roleDefinitionId": owner, "scope": "/subscriptions/sub-1"},
        {"principalId": "break-glass", "principalType": "User", "roleDefinitionId": owner, "scope": "/subscriptions/sub-1"},
    ]);
    std::fs::write(dir.join("assignments.json"), assignments.to_string()).unwrap();
    let d = dir.to_str().unwrap();
    let (code, out, _) = rolegate(&[
        "who-can",
        "--tenant",
        d,
        "Microsoft.Compute/virtualMachines/delete",
        "/subscriptions/sub-1/resourceGroups/x",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains(": 1 principal\n  break-glass (User)  Owner at /subscriptions/sub-1\n"), "{out}");
    let (_, out, _) =
        rolegate(&["who-can", "--tenant", d, "Microsoft.Compute/virtualMachines/read", "/subscriptions/sub-1"]);
    assert!(out.contains("break-glass (User)  Owner") && out.contains("ops (Group)  Owner"), "{out}");
}

#[test]
fn rolegate_who_can_and_what_can_refuse_bad_input_with_exit_2() {
    let t = "tests/data/tenant";
    for args in [
        &["who-can", "--tenant", t, "Microsoft.Compute/*", "/subscriptions/sub-1"][..],
        &["who-can", "--tenant", t, "Microsoft.Compute/virtualMachines/read", "/subscriptions/sub-1/"],
        &["who-can", "--tenant", t, "Microsoft.Compute/virtualMachines/read", "subscriptions/sub-1"],
        &["who-can", "--tenant", "no/such/dir", "Microsoft.Compute/virtualMachines/read", "/"],
        &["what-can", "--tenant", t, "alice", "/subscriptions/sub-1/../x"],
        &["what-can", "--tenant", t, "alice"],
        &["who-can", "--tenant", t, "Microsoft.Compute/virtualMachines/read", "/", "--format", "yaml"],
    ] {
        let (code, out, _) = rolegate(args);
        assert_eq!(code, 2, "{args:?}: {out}");
    }
    // An operation the catalog lists on both planes needs the plane said.
    let both = "Microsoft.ApiCenter/services/workspaces/apis/read";
    let (code, _, err) = rolegate(&["who-can", "--tenant", t, both, "/"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no single plane"), "{err}");
    assert_eq!(rolegate(&["who-can", "--tenant", t, both, "/", "--plane", "data"]).0, 0);
}

#[test]
fn rolegate_what_can_lists_operations_per_plane_and_azure_permissions() {
    let t = "tests/data/tenant";
    let logs = "/subscriptions/sub-1/resourceGroups/logs";
    let (code, out, _) = rolegate(&["what-can", "--tenant", t, "alice", logs, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((&v["principal"], &v["scope"], &v["groups"]), (&json!("alice"), &json!(logs), &json!([])));
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["operation"], BLOB_READ);
    assert_eq!(data[0]["via"]["role"], "Blob Log Reader");
    let control = v["control"].as_array().unwrap();
    let vm = control.iter().find(|o| o["operation"] == "Microsoft.Compute/virtualMachines/read").unwrap();
    assert_eq!((&vm["via"]["role"], &vm["via"]["group"]), (&json!("Reader"), &json!("ops")));
    assert!(control.iter().all(|o| o["operation"].as_str().unwrap().to_ascii_lowercase().ends_with("/read")));
    // Through a token's groups, as a check counts them.
    let (code, out, _) = rolegate(&["what-can", "--tenant", t, "mallory", logs, "--group", "sre"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("what mallory may do at /subscriptions/sub-1/resourceGroups/logs: "), "{out}");
    assert!(out.contains("Microsoft.Compute/virtualMachines/read  Reader at /providers/Microsoft.Management/managementGroups/platform via group ops"), "{out}");
    // Azure's permissions shape: a block per role assigned in scope.
    let (code, out, _) = rolegate(&["what-can", "--tenant", t, "alice", logs, "--effective", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let value = v["value"].as_array().unwrap();
    assert_eq!(value.len(), 2);
    assert_eq!(value[1]["actions"], json!(["*/read"]));
    for key in ["actions", "notActions", "dataActions", "notDataActions", "assignment"] {
        assert!(value.iter().all(|p| p.get(key).is_some()), "{key}");
    }
    let (_, out, _) = rolegate(&["what-can", "--tenant", t, "alice", logs, "--effective"]);
    assert!(
        out.contains(
            "  Reader at /providers/Microsoft.Management/managementGroups/platform via group ops\n    actions: */read\n"
        ),
        "{out}"
    );
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
    // Each line echoes its query.
    assert_eq!(
        (lines[1]["query"]["principal"].as_str(), lines[1]["query"]["groups"][0].as_str()),
        (Some("break-glass"), Some("ops"))
    );
    // An unmet expectation is exit 1; the decisions themselves set no status.
    let unmet = serde_json::json!({"principal": "nobody", "action": BLOB_READ, "scope": CONTAINER, "expected": true});
    let path = temp_file("queries-unmet.jsonl", format!("{}\n{unmet}\n", queries.lines().next().unwrap()).as_bytes());
    let (code, out, _) = rolegate(&["check", "--tenant", "tests/data/tenant", "--batch", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["matches_expected"].as_bool(), last["query"]["principal"].as_str()),
        (Some(false), Some("nobody"))
    );
}

#[test]
fn a_query_whose_time_is_not_a_datetime_is_an_error_not_the_system_clock() {
    let good = serde_json::json!({"principal": "alice", "action": BLOB_READ, "scope": CONTAINER, "now": "2024-01-01T00:00:00Z"});
    let bad = serde_json::json!({"principal": "alice", "action": BLOB_READ, "scope": CONTAINER, "now": "yesterday"});
    let path = temp_file("queries-bad-now.jsonl", format!("{good}\n{bad}\n").as_bytes());
    let (code, out, _) = rolegate(&["check", "--tenant", "tests/data/tenant", "--batch", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["decision"], "allowed");
    assert!(lines[1]["error"].as_str().unwrap().contains("line 2: `now`"), "{}", lines[1]);
    assert!(lines[1].get("decision").is_none());
    let (code, _, err) = rolegate(&["bench", "--tenant", "tests/data/tenant", "--queries", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2: `now`"), "{err}");
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
    // Where the kernel says how much memory huge pages back, the report says it too.
    let thp = &v["huge_pages_bytes"];
    assert!(thp.is_u64() || (thp.is_null() && !Path::new("/proc/self/smaps_rollup").exists()), "{v}");
    let (code, v) = bench_json("bench-wrong.jsonl", &good.replace("\"expected\":false", "\"expected\":true"), "1");
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["mismatches"], 1);
}

#[test]
fn rolegate_bench_reports_each_queries_file_and_how_many_distinct_queries_it_has() {
    let alice = serde_json::json!({"principal": "alice", "action": BLOB_READ, "scope": CONTAINER, "expected": true});
    let bob = serde_json::json!({"principal": "bob", "action": "Microsoft.Compute/virtualMachines/delete", "scope": "/subscriptions/sub-1", "expected": false});
    // The same request spelt in another case, and the same groups in another order, are not distinct.
    let alice_upper = serde_json::json!({"principal": "ALICE", "action": BLOB_READ.to_uppercase(), "scope": CONTAINER.to_uppercase(), "expected": true});
    let grouped = |groups: [&str; 2]| serde_json::json!({"principal": "carol", "action": BLOB_READ, "scope": CONTAINER, "groups": groups});
    let repeating =
        temp_file("bench-repeating.jsonl", format!("{alice}\n{bob}\n{alice}\n{alice_upper}\n{bob}\n").as_bytes());
    let distinct = temp_file(
        "bench-distinct.jsonl",
        format!("{alice}\n{bob}\n{}\n{}\n", grouped(["g1", "g2"]), grouped(["g2", "g3"])).as_bytes(),
    );
    let wrong = temp_file("bench-distinct-wrong.jsonl", bob.to_string().replace("false", "true").as_bytes());
    let (repeating, distinct, wrong) =
        (repeating.to_str().unwrap(), distinct.to_str().unwrap(), wrong.to_str().unwrap());
    let bench = |files: &[&str], format: &str| {
        let mut args = vec!["bench", "--tenant", "tests/data/tenant", "--passes", "2", "--format", format];
        for f in files {
            args.extend(["--queries", f]);
        }
        rolegate(&args)
    };

    let (code, out, err) = bench(&[repeating, distinct], "json");
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{v}");
    assert_eq!(
        (files[0]["file"].as_str(), &files[0]["queries"], &files[0]["distinct"]),
        (Some(repeating), &5.into(), &2.into())
    );
    assert_eq!(
        (files[1]["file"].as_str(), &files[1]["queries"], &files[1]["distinct"]),
        (Some(distinct), &4.into(), &4.into())
    );
    assert_eq!(files[1]["checks"], 8);
    for f in files {
        for k in ["check_ns_median", "check_ns_p99", "check_ns_mean_untimed", "checks_allowed", "mismatches"] {
            assert!(f[k].is_u64(), "missing `{k}` in {f}");
        }
    }
    // The top-level figures stay those of the first file, as when bench took one.
    for k in
        ["queries", "distinct", "checks", "checks_allowed", "checks_denied", "checks_not_allowed", "check_ns_median"]
    {
        assert_eq!(v[k], files[0][k], "`{k}` in {v}");
    }
    assert_eq!(v["passes"], 2);

    // A mismatch in any file fails the run, and the top-level count is the total.
    let (code, out, err) = bench(&[distinct, wrong], "json");
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&v["mismatches"], &v["files"][0]["mismatches"], &v["files"][1]["mismatches"]),
        (&1.into(), &0.into(), &1.into())
    );

    let (code, out, err) = bench(&[repeating, distinct], "human");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("queries file     {repeating}\n")), "{out}");
    assert!(out.contains("checks           10 (5 queries, 2 distinct, x 2 passes)"), "{out}");
    assert!(out.contains(&format!("queries file     {distinct}\n")), "{out}");
    assert!(out.contains("checks           8 (4 queries, 4 distinct, x 2 passes)"), "{out}");

    // `--queries` stays required.
    let (code, _, err) = rolegate(&["bench", "--tenant", "tests/data/tenant"]);
    assert_eq!(code, 2, "{err}");
}

// ---- role-lint outputs, config, baseline, tenant (semantics §4 tenant family, §5) ----

/// Runs role-lint in `dir`: exit code, stdout, stderr.
fn role_lint_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("role-lint").unwrap().args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const PADDED_ROLE: &[u8] = br#"{"Name": "Padded", "Actions": ["Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"]}"#;

#[test]
fn sarif_output_validates_against_the_oasis_schema() {
    let (code, out) = role_lint(&["roles/examples", "--format", "sarif"]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&out).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("crates/lint/tests/data/sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    // Rule findings on the earlier example files come first; the load error of `invalid-role.json` is pinned.
    let first = run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "RL001").unwrap();
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "roles/examples/invalid-role.json");
    assert_eq!(location["region"]["startLine"], 3);
    assert_eq!(location["region"]["startColumn"], 15);
    let (_, json) = role_lint(&["roles/examples", "--format", "json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    let same = json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "RL001").unwrap();
    assert_eq!(first["partialFingerprints"]["roleLint/v1"], same["fingerprint"]);
    assert_eq!(out, role_lint(&["roles/examples", "--format", "sarif"]).1, "deterministic");
}

#[test]
fn github_format_prints_workflow_annotations() {
    let (code, out) = role_lint(&["roles/examples", "--format", "github"]);
    assert_eq!(code, 1);
    let first = out.lines().find(|l| l.contains("title=RL001 ")).unwrap();
    assert_eq!(
        first,
        "::error file=roles/examples/invalid-role.json,line=3,col=15,endLine=3,endColumn=20,title=RL001 \
         wrong-type::expected a boolean for `IsCustom`, found string%0Ahelp: write `true` without quotes"
    );
    // `NotAction` for `NotActions` would drop the exclusion: an error (RL026), not a warning.
    assert!(out.lines().any(|l| l.starts_with("::error file=roles/examples/invalid-role.json,line=10,")), "{out}");
}

#[test]
fn deny_warnings_is_fail_on_warning() {
    let dir = temp_dir("deny");
    std::fs::write(dir.join("padded.json"), PADDED_ROLE).unwrap();
    assert_eq!(role_lint_in(&dir, &["padded.json"]).0, 0);
    assert_eq!(role_lint_in(&dir, &["padded.json", "--deny", "warnings"]).0, 1);
    assert_eq!(role_lint_in(&dir, &["padded.json", "--fail-on", "warning"]).0, 1);
    assert_eq!(role_lint_in(&dir, &["padded.json", "--deny", "everything"]).0, 2);
    let (code, help, _) = role_lint_in(&dir, &["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("Exit codes:") && help.contains("2  usage error, invalid config or baseline"), "{help}");
    assert!(help.contains("--deny <LEVEL>") && help.contains("--baseline <FILE>") && help.contains("--tenant <DIR>"));
}

#[test]
fn config_overrides_severity_and_suppresses_with_a_reason() {
    let dir = temp_dir("config");
    std::fs::write(dir.join("padded.json"), PADDED_ROLE).unwrap();
    // Found in the current directory: RL007 becomes an error.
    std::fs::write(dir.join("role-lint.toml"), "[severity]\naction-whitespace = \"error\"\n").unwrap();
    let (code, out, err) = role_lint_in(&dir, &["padded.json", "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["severity"], "error");
    assert_eq!(v["summary"]["suppressed"], 0);
    assert_eq!(role_lint_in(&dir, &["padded.json", "--no-config"]).0, 0);
    // "allow" turns the rule off.
    std::fs::write(dir.join("off.toml"), "[severity]\nRL007 = \"allow\"\n").unwrap();
    let (code, out, _) = role_lint_in(&dir, &["padded.json", "--config", "off.toml", "--deny", "warnings"]);
    assert_eq!(code, 0, "{out}");
    // A suppression hides the finding and is counted; one that matches nothing is reported at its entry.
    std::fs::write(
        dir.join("suppress.toml"),
        "[[suppress]]\ncode = \"RL007\"\nrole = \"padded\"\nreason = \"fixed upstream\"\n\n\
         [[suppress]]\ncode = \"RL007\"\nrole = \"Gone\"\nreason = \"old\"\n",
    )
    .unwrap();
    let (code, out, _) = role_lint_in(&dir, &["padded.json", "--config", "suppress.toml", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["suppressed"], 1);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["code"], "RL502");
    assert_eq!((findings[0]["file"].as_str(), findings[0]["line"].as_u64()), (Some("suppress.toml"), Some(6)));
    let (code, out, _) = role_lint_in(&dir, &["padded.json", "--config", "suppress.toml", "--deny", "warnings"]);
    assert_eq!(code, 1, "the unused suppression is a warning");
    assert!(out.contains("1 suppressed not shown"), "{out}");
}

#[test]
fn bad_config_exits_2_with_a_diagnostic_in_the_toml() {
    let dir = temp_dir("bad-config");
    std::fs::write(dir.join("padded.json"), PADDED_ROLE).unwrap();
    std::fs::write(dir.join("role-lint.toml"), "# team config\n[[suppress]]\ncode = \"RL007\"\nrole = \"Padded\"\n")
        .unwrap();
    let (code, out, err) = role_lint_in(&dir, &["padded.json", "--color", "never"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("RL501") && err.contains("has no reason"), "{err}");
    assert!(err.contains("role-lint.toml:2:1"), "{err}");
    assert!(err.contains("help: add `reason = "), "{err}");
    for (name, text, expected) in [
        ("syntax.toml", "[severity\n", "RL500"),
        ("unknown.toml", "[severity]\nRL999 = \"error\"\n", "unknown code `RL999`"),
        ("level.toml", "[severity]\nRL007 = \"loud\"\n", "unknown severity `loud`"),
        ("key.toml", "[suppres]\n", "unknown field `suppres`"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let (code, _, err) = role_lint_in(&dir, &["padded.json", "--config", name, "--color", "never"]);
        assert_eq!(code, 2, "{name}");
        assert!(err.contains(expected), "{name}: {err}");
    }
    assert_eq!(role_lint_in(&dir, &["padded.json", "--config", "missing.toml"]).0, 2);
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = temp_dir("baseline");
    std::fs::write(dir.join("padded.json"), PADDED_ROLE).unwrap();
    let (_, old, _) = role_lint_in(&dir, &["padded.json", "--format", "json"]);
    std::fs::write(dir.join("baseline.json"), &old).unwrap();
    let (code, out, _) = role_lint_in(&dir, &["padded.json", "--baseline", "baseline.json", "--deny", "warnings"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 baselined not shown"), "{out}");
    // A change adds a second problem: only that one is reported.
    let changed =
        String::from_utf8(PADDED_ROLE.to_vec()).unwrap().replace("\"/subscriptions/0b1f", "\"subscriptions/0b1f");
    std::fs::write(dir.join("padded.json"), changed).unwrap();
    let (code, out, _) = role_lint_in(&dir, &["padded.json", "--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["baselined"], 1);
    let codes: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["RL009"]);
    std::fs::write(dir.join("not-a-report.json"), b"[1, 2]").unwrap();
    let (code, _, err) = role_lint_in(&dir, &["padded.json", "--baseline", "not-a-report.json", "--color", "never"]);
    assert_eq!(code, 2);
    assert!(err.contains("RL503"), "{err}");
}

#[test]
fn tenant_mode_reports_the_tenant_family() {
    let tenant = "crates/lint/tests/data/tenant";
    let (code, out) = role_lint(&["--tenant", tenant, "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(&str, &str, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["file"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        // The fixture's subscriptions are `sub-1`..`sub-3`, not GUIDs: RL116 and RL406 on every one of them.
        .filter(|f| f.0 != "RL116" && f.0 != "RL406")
        .collect();
    let assignments = format!("{tenant}/assignments.json");
    let roles = format!("{tenant}/roles.json");
    assert_eq!(
        found,
        [
            ("RL402", assignments.as_str(), 12),
            ("RL401", assignments.as_str(), 18),
            ("RL401", assignments.as_str(), 30),
            // The per-role rules over the tenant's role file.
            ("RL208", roles.as_str(), 9),
            ("RL210", roles.as_str(), 12),
            ("RL303", roles.as_str(), 12),
            ("RL403", roles.as_str(), 22)
        ]
    );
    // The subscription limit comes from the config.
    let dir = temp_dir("tenant-config");
    std::fs::write(dir.join("limits.toml"), "[tenant]\nmax-assignments-per-subscription = 2\n").unwrap();
    let config = dir.join("limits.toml");
    let (code, out) = role_lint(&["--tenant", tenant, "--config", config.to_str().unwrap(), "--format", "github"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("title=RL404 subscription-assignment-limit::subscription `sub-1` has 3 role assignments"),
        "{out}"
    );
    assert_eq!(role_lint(&["--tenant", "no/such/dir"]).0, 2);
}

/// `--tenant DIR` runs every rule over the tenant's role files, with spans and pointers into them; naming the
/// same files again as paths (any spelling, or the directory itself) changes nothing, and the output is stable.
#[test]
fn tenant_mode_lints_the_tenant_role_files_once() {
    let work = temp_dir("tenant-roles");
    let tenant = work.join("tenant");
    std::fs::create_dir_all(&tenant).unwrap();
    for f in ["roles.json", "assignments.json", "hierarchy.json"] {
        std::fs::copy(repo("crates/lint/tests/data/tenant").join(f), tenant.join(f)).unwrap();
    }
    // A second role file: a role Azure would reject (root assignable scope) with a load warning (whitespace).
    std::fs::write(
        tenant.join("team-roles.json"),
        r#"[{"Name": "Team VM Reader", "IsCustom": true, "Description": "reads vms",
  "Actions": ["Microsoft.Compute/virtualMachines/read "], "AssignableScopes": ["/"]}]"#,
    )
    .unwrap();
    let json = |extra: &[&str]| {
        let mut args = vec!["--tenant", "tenant", "--format", "json", "--no-config"];
        args.extend_from_slice(extra);
        let (code, out, err) = role_lint_in(&work, &args);
        assert_eq!(code, 1, "{out}{err}");
        out
    };
    let base = json(&[]);
    let v: Value = serde_json::from_str(&base).unwrap();
    assert_eq!(v["summary"]["files"], 4);
    assert_eq!(v["summary"]["roles"], 5);
    let team: Vec<(&str, u64, u64, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "tenant/team-roles.json")
        .map(|f| {
            let pointer = f["pointer"].as_str().unwrap_or("");
            (f["code"].as_str().unwrap(), f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap(), pointer)
        })
        .collect();
    assert_eq!(team, [("RL007", 2, 54, "/0/Actions/0"), ("RL103", 2, 80, "/0/AssignableScopes/0")], "{base}");
    let roles_rules = v["findings"].as_array().unwrap().iter().filter(|f| f["file"] == "tenant/roles.json");
    assert_eq!(roles_rules.filter(|f| f["code"] == "RL208").count(), 1, "{base}");
    // The same files again as paths: skipped, whatever the spelling.
    let absolute = tenant.join("roles.json");
    for extra in [
        &["tenant/roles.json"][..],
        &["./tenant/roles.json", "tenant/team-roles.json", "tenant/../tenant/roles.json"],
        &[absolute.to_str().unwrap()],
        &["tenant"],
    ] {
        assert_eq!(json(extra), base, "{extra:?}");
    }
    // Deterministic human output, which names the tenant file and line.
    let human = |_: ()| role_lint_in(&work, &["--tenant", "tenant", "--no-config", "--color", "never"]).1;
    let first = human(());
    assert_eq!(first, human(()));
    assert!(first.contains("[tenant/team-roles.json:2:80]"), "{first}");
    // 8 of the warnings are RL116 and RL406: the fixture names its subscriptions `sub-1`..`sub-3`.
    assert!(first.contains("4 errors, 13 warnings in 4 files (5 roles)"), "{first}");
    // Outside a tenant, a file named twice is linted once.
    let once = role_lint_in(&work, &["tenant/team-roles.json", "--format", "json", "--no-config"]).1;
    let twice =
        role_lint_in(&work, &["tenant/team-roles.json", "./tenant/team-roles.json", "--format", "json", "--no-config"])
            .1;
    assert_eq!(once, twice);
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
fn list_rules_names_every_code_with_severity_and_family() {
    let out = Command::cargo_bin("role-lint").unwrap().arg("--list-rules").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["code", "name", "severity", "family"]);
    for expected in [
        ["RL000", "invalid-json", "error", "load"],
        ["RL108", "assignable-scope-placeholder", "error", "azure-would-reject"],
        ["RL116", "subscription-id-not-guid", "warning", "azure-would-reject"],
        ["RL202", "wildcard-pulls-sensitive", "warning", "security"],
        ["RL406", "assignment-scope", "warning", "tenant"],
        ["RL502", "unused-suppression", "warning", "config"],
    ] {
        assert!(rows.iter().any(|r| r.as_slice() == expected), "{expected:?} in\n{text}");
    }
    let codes: Vec<&str> = rows[1..].iter().map(|r| r[0]).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted, "one row per code, in code order");
    // Every rule of the registry is listed.
    for rule in rolegate_lint::RULES {
        assert!(codes.contains(&rule.code), "{}", rule.code);
    }
    let out = Command::cargo_bin("role-lint").unwrap().args(["--list-rules", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rl117 = json.as_array().unwrap().iter().find(|r| r["code"] == "RL117").unwrap();
    assert_eq!((rl117["name"].as_str(), rl117["severity"].as_str()), (Some("assignable-scope-kind"), Some("warning")));
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

/// `[sensitive]` in `role-lint.toml` reaches the rules: an operation the shipped lists do not call sensitive
/// becomes a credential-exposure finding, and an unknown category is a usage error.
#[test]
fn config_sensitive_entries_feed_the_rules() {
    let dir = temp_dir("sensitive");
    let role = r#"{"Name": "Vm Reader", "IsCustom": true, "Description": "reads vms",
        "Actions": ["Microsoft.Compute/virtualMachines/read"], "AssignableScopes": ["/subscriptions/s1"]}"#;
    std::fs::write(dir.join("role.json"), role).unwrap();
    let codes = |out: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(out).unwrap();
        v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
    };
    let (_, plain, _) = role_lint_in(&dir, &["role.json", "--format", "json"]);
    assert!(!codes(&plain).contains(&"RL204".to_owned()), "{plain}");
    std::fs::write(
        dir.join("role-lint.toml"),
        "[sensitive]\ncredential-exposure = [\"Microsoft.Compute/virtualMachines/read\"]\n",
    )
    .unwrap();
    let (_, flagged, _) = role_lint_in(&dir, &["role.json", "--format", "json"]);
    assert!(codes(&flagged).contains(&"RL204".to_owned()), "{flagged}");
    std::fs::write(dir.join("role-lint.toml"), "[sensitive]\nno-such-category = [\"a/b/read\"]\n").unwrap();
    let (code, _, err) = role_lint_in(&dir, &["role.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown sensitive category `no-such-category`"), "{err}");
}

// ---- conditions (semantics §3.1) ----

const LOGS: &str = "/subscriptions/sub-1/resourceGroups/logs/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers";

#[test]
fn rolegate_check_evaluates_conditions_from_the_scope_and_refuses_spoofed_attributes() {
    let tenant = "tests/data/conditional-tenant";
    let in_logs = format!("{LOGS}/logs/blobs/a.txt");
    let in_other = format!("{LOGS}/other/blobs/a.txt");
    // The container name comes from the scope: allowed with no attributes at all.
    let (code, out, err) = rolegate(&["check", "--tenant", tenant, "carol", BLOB_READ, &in_logs]);
    assert_eq!((code, out.as_str()), (0, "allowed\n"));
    // The tenant's one invalid condition (grace's) is reported, and the rest of the tenant is used.
    assert!(err.contains("RL019") && err.contains("mixed with"), "{err}");
    // Claiming the container is `logs` does not move a request in `other` there.
    let spoof = "Microsoft.Storage/storageAccounts/blobServices/containers:name=logs";
    let (code, out, _) = rolegate(&["check", "--tenant", tenant, "carol", BLOB_READ, &in_other, "--attr", spoof]);
    assert_eq!((code, out.as_str()), (3, "not_allowed\n"));
    // `--explain` names the expression that decided.
    let (code, out, _) =
        rolegate(&["check", "--tenant", tenant, "carol", BLOB_READ, &in_other, "--attr", spoof, "--explain"]);
    assert_eq!(code, 3);
    let decided = "the condition on the assignment is false: `@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'`";
    assert!(out.contains(decided), "{out}");
    let (code, out, _) = rolegate(&["check", "--tenant", tenant, "carol", BLOB_READ, &in_logs, "--explain"]);
    assert_eq!(code, 0);
    assert!(out.contains("; the condition on the assignment holds: `@Resource["), "{out}");
}

#[test]
fn rolegate_check_takes_attributes_and_sub_operations() {
    let tenant = "tests/data/conditional-tenant";
    let blob = format!("{LOGS}/logs/blobs/a.txt");
    let tag = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project=Cascade";
    let (code, out, _) = rolegate(&["check", "--tenant", tenant, "dave", BLOB_READ, &blob, "--explain"]);
    assert_eq!(code, 3);
    assert!(out.contains("cannot be decided without @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>]"), "{out}");
    assert_eq!(rolegate(&["check", "--tenant", tenant, "dave", BLOB_READ, &blob, "--attr", tag]).0, 0);
    assert_eq!(rolegate(&["check", "--tenant", tenant, "dave", BLOB_READ, &blob, "--sub-operation", "Blob.List"]).0, 0);
    assert_eq!(rolegate(&["check", "--tenant", tenant, "dave", BLOB_READ, &blob, "--attr", "no-equals-sign"]).0, 2);
    assert_eq!(rolegate(&["check", "--tenant", tenant, "dave", BLOB_READ, &blob, "--now", "yesterday"]).0, 2);
    // The same through `--batch`, with attributes as JSON.
    let queries = format!(
        "{}\n{}\n",
        serde_json::json!({"principal": "dave", "action": BLOB_READ, "scope": blob, "attributes": {"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project": ["Baker", "Cascade"]}}),
        serde_json::json!({"principal": "dave", "action": BLOB_READ, "scope": blob, "subOperation": "Blob.List"}),
    );
    let path = temp_file("conditional-queries.jsonl", queries.as_bytes());
    let (code, out, _) = rolegate(&["check", "--tenant", tenant, "--batch", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Two values for a single-valued test cannot be decided; the listing is not guarded.
    assert_eq!(lines[0]["decision"], "not_allowed", "{out}");
    assert_eq!(lines[0]["reason"]["condition"]["on"], "assignment", "{out}");
    assert_eq!(lines[1]["decision"], "allowed", "{out}");
}

#[test]
fn role_lint_tenant_checks_assignment_conditions() {
    let (code, out, _) = role_lint_in(&repo(""), &["--tenant", "tests/data/conditional-tenant", "--format", "json"]);
    assert_eq!(code, 1, "an invalid condition is an error: {out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let of = |c: &str| findings.iter().filter(|f| f["code"] == c).collect::<Vec<_>>();
    // The docs' any-of-any delegation (T17) is always true, for both of its actions.
    assert_eq!(of("RL213").len(), 2, "{out}");
    assert!(of("RL213").iter().all(|f| f["message"].as_str().unwrap().ends_with("always true")), "{out}");
    // A guard on `blobs/write` under a role that only reads blobs.
    assert_eq!(of("RL312").len(), 1, "{out}");
    // AND and OR mixed without parentheses; the underline is the second connective.
    let invalid = of("RL019");
    assert_eq!(invalid.len(), 1, "{out}");
    assert_eq!(invalid[0]["severity"], "error", "{out}");
    assert_eq!(invalid[0]["line"], 39, "{out}");
}

/// A FIFO at `path` (std has no mkfifo; coreutils' tool is on every Linux).
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    assert!(std::process::Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// Paths that are not regular files are refused at once (exit 2), never read: a FIFO would block forever and
/// `/dev/zero` would read until memory runs out.
#[cfg(unix)]
#[test]
fn odd_paths_exit_2_at_once_in_every_role() {
    let dir = temp_dir("odd-paths");
    let fifo = dir.join("pipe.json");
    mkfifo(&fifo);
    let zero = dir.join("zero.json");
    let _ = std::fs::remove_file(&zero);
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let role = temp_file(
        "plain-role.json",
        br#"{"Name": "r", "Actions": ["*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
    );
    let (f, z, r) = (fifo.to_str().unwrap(), zero.to_str().unwrap(), role.to_str().unwrap());
    let cases: [&[&str]; 6] =
        [&[f], &[z], &[dir.to_str().unwrap()], &[r, "--config", f], &[r, "--forbid", f], &[r, "--baseline", z]];
    for args in cases {
        let mut cmd = Command::cargo_bin("role-lint").unwrap();
        let out =
            cmd.args(args).args(["--format", "json"]).timeout(std::time::Duration::from_secs(20)).output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(
            (stdout.contains("not a regular file") && stdout.contains("RL017"))
                || stderr.contains("not a regular file"),
            "{args:?}: {stdout}{stderr}"
        );
    }
    let (code, _, err) = rolegate(&["check", "--tenant", "tests/data/tenant", "--batch", f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file (it is a FIFO)"), "{err}");
}

/// A tenant whose deny file is a dangling link: `validate`, `check` and `role-lint --tenant` all refuse it
/// (exit 2); before, the deny was skipped and the delete it forbids was allowed.
#[cfg(unix)]
#[test]
fn a_dangling_deny_file_refuses_the_tenant_everywhere() {
    let dir = temp_dir("dangling-deny");
    for f in ["assignments.json", "roles.json", "groups.json", "hierarchy.json"] {
        std::fs::copy(repo("tests/data/tenant").join(f), dir.join(f)).unwrap();
    }
    let deny = dir.join("denyAssignments.json");
    let _ = std::fs::remove_file(&deny);
    std::os::unix::fs::symlink(dir.join("moved-away.json.bak"), &deny).unwrap();
    let d = dir.to_str().unwrap();
    let (code, out, err) = rolegate(&["validate", "--tenant", d]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("RL017") && err.contains("dangling link"), "{err}");
    let vm = "/subscriptions/sub-1/resourceGroups/x/providers/Microsoft.Compute/virtualMachines/vm1";
    let (code, out, _) = rolegate(&["check", "--tenant", d, "bob", "Microsoft.Compute/virtualMachines/delete", vm]);
    assert_eq!(code, 2);
    assert!(!out.contains("allowed"), "{out}");
    let (code, out, _) = role_lint_in(&repo(""), &["--tenant", d, "--format", "json"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("dangling link"), "{out}");
}

/// A case variant of a fixed tenant file name is refused (exit 1 from validate: the tenant has a fatal problem).
#[test]
fn a_misnamed_deny_file_refuses_the_tenant() {
    let dir = temp_dir("misnamed-deny");
    for f in ["assignments.json", "roles.json", "groups.json", "hierarchy.json"] {
        std::fs::copy(repo("tests/data/tenant").join(f), dir.join(f)).unwrap();
    }
    std::fs::copy(repo("tests/data/tenant/denyAssignments.json"), dir.join("denyassignments.json")).unwrap();
    let (code, out, err) = rolegate(&["validate", "--tenant", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("refused"), "{out}");
    assert!(err.contains("RL020") && err.contains("named exactly `denyAssignments.json`"), "{err}");
}

#[test]
fn a_size_cap_refuses_larger_files() {
    let role = temp_file(
        "capped-role.json",
        br#"{"Name": "r", "Actions": ["*/read"], "AssignableScopes": ["/subscriptions/s1"]}"#,
    );
    let (code, out) = role_lint(&[role.to_str().unwrap(), "--max-file-size", "16", "--format", "json"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("too large: over the 16 bytes cap"), "{out}");
    let (code, out, err) = rolegate(&["validate", "--tenant", "tests/data/tenant", "--max-file-size", "64"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("too large: over the 64 bytes cap"), "{err}");
}

/// A deny assignment whose denied action is entry 65,537 of its `actions` (index 65,536, past what the compiled
/// snapshot indexes) is refused with RL022 at that entry by `rolegate validate`, `rolegate check` and
/// `role-lint --tenant`, where it used to load with the entry dropped and `check` allowed the delete.
#[test]
fn a_deny_action_past_the_engine_limit_refuses_the_tenant_everywhere() {
    let dir = temp_dir("engine-limit");
    let owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    let assignments =
        format!(r#"[{{"principalId": "alice", "roleDefinitionId": "{owner}", "scope": "/subscriptions/s1"}}]"#);
    std::fs::write(dir.join("assignments.json"), assignments).unwrap();
    let mut actions: Vec<String> = (0..65_536).map(|i| format!("\"Microsoft.Filler/things{i}/*\"")).collect();
    actions.push("\"Microsoft.Compute/virtualMachines/delete\"".to_owned());
    let deny = format!(
        "[{{\"name\": \"keep-vms\", \"scope\": \"/subscriptions/s1\",\n\"principals\": [{{\"id\": \"00000000-0000-0000-0000-000000000000\", \"type\": \"SystemDefined\"}}],\n\"permissions\": [{{\"actions\": [\n{}\n]}}]}}]",
        actions.join(",\n")
    );
    std::fs::write(dir.join("denyAssignments.json"), deny).unwrap();
    // The delete is on line 4 + 65,536, in column 1.
    let at = format!("denyAssignments.json:{}:1", 4 + 65_536);

    let out = Command::cargo_bin("rolegate").unwrap().args(["validate", "--tenant"]).arg(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("RL022") && stderr.contains(&at), "{stderr}");

    let vm = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
    let out = Command::cargo_bin("rolegate")
        .unwrap()
        .args(["check", "--tenant"])
        .arg(&dir)
        .args(["alice", "Microsoft.Compute/virtualMachines/delete", vm])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!stdout.contains("allowed") && stderr.contains("RL022"), "{stdout}{stderr}");

    let (code, out, _) = role_lint_in(&dir, &["--tenant", ".", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(&str, u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "RL022")
        .map(|f| (f["file"].as_str().unwrap(), f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(found.len(), 1, "{out}");
    assert!(found[0].0.ends_with("denyAssignments.json") && (found[0].1, found[0].2) == (4 + 65_536, 1), "{out}");
}

#[test]
fn rolegate_secrets_creates_owner_only_files_and_never_prints_a_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("rolegate-cli-{}-secrets", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secrets.json");
    let path = file.to_str().unwrap();
    let (code, out, err) = rolegate(&["secrets", "init", path, "--endpoint", "e-one"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created") && out.contains("1 endpoints"), "{out}");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let first: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let key = first["endpoints"]["e-one"]["primaryKey"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 43, "256 bits in base64url");
    assert!(!out.contains(&key) && !err.contains(&key));
    // Never overwritten; `add` keeps the keys an endpoint has.
    let (code, _, err) = rolegate(&["secrets", "init", path, "--endpoint", "e-one"]);
    assert_eq!(code, 2);
    assert!(err.contains("never overwritten"), "{err}");
    let (code, out, err) = rolegate(&["secrets", "add", path, "--endpoint", "e-one", "--endpoint", "e-two"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added keys for 1 endpoints (1 had them)"), "{out}");
    let second: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(second["endpoints"]["e-one"], first["endpoints"]["e-one"]);
    assert_eq!(second["tokenSigningKeys"], first["tokenSigningKeys"]);
    assert!(second["endpoints"]["e-two"]["secondaryKey"].is_string());
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    // A file others may read is refused before anything is written.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = rolegate(&["secrets", "add", path, "--endpoint", "e-three"]);
    assert_eq!(code, 2);
    assert!(err.contains("chmod 600"), "{err}");
    let (code, _, err) = rolegate(&["secrets", "init", dir.join("x.json").to_str().unwrap(), "--endpoint", "bad name"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an endpoint name"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rolegate_test_runs_checks_and_reports_in_every_format() {
    let tests = format!(
        r#"# access tests for the sample tenant
[[check]]
name = "alice reads the logs"
principal = "alice"
action = "{BLOB_READ}"
scope = "{CONTAINER}"
expect = "allowed"

[[check]]
name = "nobody deletes in prod"
principal = "bob"
action = "Microsoft.Compute/virtualMachines/delete"
scope = "/subscriptions/sub-1/resourceGroups/rg"
groups = ["ops"]
expect = "denied"
reason = "deny_assignment"

[[check]]
name = "alice writes VMs"
principal = "alice"
action = "Microsoft.Compute/virtualMachines/write"
scope = "/subscriptions/sub-1"
expect = "allowed"
"#
    );
    let file = temp_file("access.toml", tests.as_bytes());
    let f = file.to_str().unwrap();
    let (code, out, err) = rolegate(&["test", "--tenant", "tests/data/tenant", f]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("ok   {f}:2 alice reads the logs")), "{out}");
    assert!(out.contains(&format!("ok   {f}:9 nobody deletes in prod")), "{out}");
    assert!(out.contains(&format!("FAIL {f}:18 alice writes VMs")), "{out}");
    assert!(out.contains("expected allowed, got not_allowed (no_grant)"), "{out}");
    assert!(out.contains("3 tests, 2 passed, 1 failed"), "{out}");
    let (_, json, _) = rolegate(&["test", "--tenant", "tests/data/tenant", "--format", "json", f]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!((v[2]["passed"].as_bool(), v[2]["line"].as_u64()), (Some(false), Some(18)));
    assert!(v[2]["explanation"].as_str().unwrap().len() > 10, "{}", v[2]);
    let (_, xml, _) = rolegate(&["test", "--tenant", "tests/data/tenant", "--format", "junit", f]);
    assert!(xml.contains("<testsuites") && xml.contains("tests=\"3\"") && xml.contains("failures=\"1\""), "{xml}");
    assert!(xml.contains("<failure") && xml.contains("alice writes VMs"), "{xml}");
    let (_, gh, _) = rolegate(&["test", "--tenant", "tests/data/tenant", "--format", "github", f]);
    assert!(
        gh.starts_with(&format!("::error file={f},line=18,title=access test failed%3A alice writes VMs::")),
        "{gh}"
    );
    assert_eq!(gh.lines().count(), 1, "one annotation, newlines escaped: {gh}");

    // With the change a pull request proposes, the failing test passes.
    let proposed = serde_json::json!([{"principalId": "alice", "principalType": "User",
        "roleDefinitionId": "b24988ac-6180-42a0-ab88-20f7382dd24c", "scope": "/subscriptions/sub-1"}]);
    let dir = temp_file("assignments.json", proposed.to_string().as_bytes());
    let (code, out, err) = rolegate(&["test", "--tenant", "tests/data/tenant", "--with", dir.to_str().unwrap(), f]);
    assert_eq!(code, 0, "{out}{err}");

    // A bad file: exit 2, pointing into it, before any test runs.
    let bad = temp_file(
        "bad-access.toml",
        b"[[check]]\nname = \"x\"\nprincipal = \"a\"\naction = \"b/read\"\nscope = \"/\"\nexpect = \"maybe\"\n",
    );
    let (code, out, err) = rolegate(&["test", "--tenant", "tests/data/tenant", f, bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty() && err.contains("bad-access.toml:1:1") && err.contains("`expect = \"maybe\"`"), "{err}");
}

#[test]
fn the_committed_access_test_schema_is_current() {
    let path = repo("schemas/access-test.schema.json");
    let schema = rolegate_cli::access::schema().unwrap();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &schema).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == schema, "stale schemas/access-test.schema.json: run `UPDATE_SCHEMAS=1 cargo test --test cli`");
}

#[test]
fn rolegate_diff_roles_shows_what_a_wildcard_adds_and_fails_on_sensitive_gains() {
    let role = |actions: &[&str]| {
        serde_json::json!({"Name": "Scorer", "Id": "5e0b8c3a-0000-4000-8000-000000000001", "IsCustom": true,
            "AssignableScopes": ["/subscriptions/s"], "Actions": actions})
        .to_string()
    };
    let base = temp_file(
        "diff-base.json",
        role(&[
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read",
        ])
        .as_bytes(),
    );
    let new = temp_file(
        "diff-new.json",
        role(&["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*/action"]).as_bytes(),
    );
    let (b, n) = (base.to_str().unwrap(), new.to_str().unwrap());
    let (code, out, _) = rolegate(&["diff", "--roles", b, n]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Scorer (changed): +4 -1", "{out}");
    // Sensitive gains first, each with its category; the loss of `read` below.
    assert!(lines[1].contains("listkeys/action") && lines[1].ends_with("[credential-exposure]"), "{out}");
    assert!(out.contains("  - Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read"), "{out}");
    assert!(!out.contains("score/action"), "unchanged operations are not listed: {out}");
    let (_, md, _) = rolegate(&["diff", "--roles", b, n, "--format", "markdown"]);
    assert!(md.contains("### `Scorer` (changed)") && md.contains("4 gained (3 sensitive), 1 lost"), "{md}");
    assert!(
        md.contains("| ➕ ⚠️ | `Microsoft.MachineLearningServices/workspaces/onlineendpoints/listkeys/action`"),
        "{md}"
    );
    let (_, json, _) = rolegate(&["diff", "--roles", b, n, "--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (v["roles"][0]["status"].as_str(), v["roles"][0]["gained"].as_array().unwrap().len()),
        (Some("changed"), 4)
    );
    // Failing on gains: any, a category that is gained, one that is not.
    assert_eq!(rolegate(&["diff", "--roles", b, n, "--fail-on-new-access"]).0, 1);
    assert_eq!(rolegate(&["diff", "--roles", b, n, "--fail-on-new-access", "credential-exposure"]).0, 1);
    assert_eq!(rolegate(&["diff", "--roles", b, n, "--fail-on-new-access", "code-execution"]).0, 0);
    // The reverse gains only `read`: a gain, not a sensitive one.
    assert_eq!(rolegate(&["diff", "--roles", n, b, "--fail-on-new-access"]).0, 1);
    assert_eq!(rolegate(&["diff", "--roles", n, b, "--fail-on-new-access", "credential-exposure"]).0, 0);
    assert_eq!(rolegate(&["diff", "--roles", b, n, "--fail-on-new-access", "nonsense"]).0, 2);
    // Without `--roles` they must be tenant directories.
    let (code, _, err) = rolegate(&["diff", b, n]);
    assert_eq!(code, 2, "{err}");
}

/// A copy of `tests/data/tenant` with `edit` applied to its assignments.
fn tenant_copy(name: &str, edit: impl FnOnce(&mut Vec<Value>)) -> PathBuf {
    let dir = temp_dir(name);
    for f in std::fs::read_dir(repo("tests/data/tenant")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let path = dir.join("assignments.json");
    let mut v: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    dir
}

#[test]
fn rolegate_diff_of_two_tenants_lists_gains_with_their_cause_and_fails_on_new_access() {
    const VAULT: &str = "/subscriptions/sub-1/resourceGroups/kv/providers/Microsoft.KeyVault/vaults/v1";
    let base = tenant_copy("tdiff-base", |_| {});
    let new = tenant_copy("tdiff-new", |v| {
        v.push(json!({"name": "a-new", "properties": {"principalId": "bob", "principalType": "User",
            "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
            "scope": VAULT}}));
    });
    let (b, n) = (base.to_str().unwrap(), new.to_str().unwrap());
    let (code, out, err) = rolegate(&["diff", b, n]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("assignment a-new added"), "{out}");
    assert!(out.contains(&format!("bob at {VAULT}  (by assignment a-new added)")), "{out}");
    assert!(out.contains("+ Microsoft.KeyVault/vaults/secrets/getSecret/action  [data-access, data plane]"), "{out}");
    assert!(out.contains("access lost: 0"), "{out}");
    let (_, md, _) = rolegate(&["diff", b, n, "--format", "markdown"]);
    assert!(md.starts_with("## Access changes (tenant)"), "{md}");
    assert!(md.contains("| ➕ ⚠️ | `bob` | `Microsoft.KeyVault/vaults/secrets/getSecret/action` |"), "{md}");
    let (_, json, _) = rolegate(&["diff", b, n, "--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["changes"][0]["id"], "a-new");
    assert!(v["gained"].as_array().unwrap().iter().all(|r| r["principal"] == "bob" && r["scope"] == VAULT));
    assert_eq!(v["lost"].as_array().unwrap().len(), 0);
    // Failing on gains: any, a gained category, one that is not gained; the reverse gains nothing.
    assert_eq!(rolegate(&["diff", b, n, "--fail-on-new-access"]).0, 1);
    assert_eq!(rolegate(&["diff", b, n, "--fail-on-new-access", "data-access"]).0, 1);
    assert_eq!(rolegate(&["diff", b, n, "--fail-on-new-access", "privilege-escalation"]).0, 0);
    assert_eq!(rolegate(&["diff", n, b, "--fail-on-new-access"]).0, 0);
    assert_eq!(rolegate(&["diff", b, b, "--fail-on-new-access"]).0, 0);
    // Bad input: an unknown category, a missing directory, a broken tenant.
    assert_eq!(rolegate(&["diff", b, n, "--fail-on-new-access", "nonsense"]).0, 2);
    let (code, _, err) = rolegate(&["diff", b, "/nonexistent/tenant"]);
    assert_eq!(code, 2, "{err}");
    let broken = tenant_copy("tdiff-broken", |_| {});
    std::fs::write(broken.join("assignments.json"), "[{").unwrap();
    let (code, _, err) = rolegate(&["diff", b, broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fatal"), "{err}");
}

#[test]
fn rolegate_test_only_and_never_name_every_principal_who_may() {
    let tests = format!(
        r#"[[only]]
name = "alice alone reads the logs"
action = "{BLOB_READ}"
scope = "{CONTAINER}"
principals = ["alice"]

[[only]]
name = "bob alone reads the logs"
action = "{BLOB_READ}"
scope = "{CONTAINER}"
principals = ["bob"]

[[never]]
name = "no deletes in sub-1 but break-glass"
action = "*/delete"
scope = "/subscriptions/sub-1"
except = ["break-glass"]

[[never]]
name = "nobody reads blobs anywhere in sub-1"
action = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"
scope = "/subscriptions/sub-1"

[[never]]
name = "a typo"
action = "Microsoft.Nope/*/frobnicate"
scope = "/subscriptions/sub-1"
"#
    );
    let file = temp_file("rules.toml", tests.as_bytes());
    let f = file.to_str().unwrap();
    let (code, out, err) = rolegate(&["test", "--tenant", "tests/data/tenant", "--format", "json", f]);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let passed: Vec<bool> = v.as_array().unwrap().iter().map(|r| r["passed"].as_bool().unwrap()).collect();
    assert_eq!(passed, vec![true, false, true, false, false], "{out}");
    assert_eq!(
        (v[1]["kind"].as_str(), v[1]["offenders"][0]["principal"].as_str()),
        (Some("only"), Some("alice")),
        "{out}"
    );
    assert_eq!(v[3]["offenders"][0]["principal"], "alice", "{out}");
    assert!(v[3]["explanation"].as_str().unwrap().contains("`alice` may"), "{out}");
    assert!(v[4]["message"].as_str().unwrap().contains("matches no operation"), "{out}");
    // A proposed Contributor for mallory: the deny on everyone but break-glass still stops her deletes in sub-1.
    let proposed = serde_json::json!([{"principalId": "mallory", "principalType": "User",
        "roleDefinitionId": "b24988ac-6180-42a0-ab88-20f7382dd24c", "scope": "/subscriptions/sub-1"},
        {"principalId": "mallory", "principalType": "User",
        "roleDefinitionId": "b24988ac-6180-42a0-ab88-20f7382dd24c", "scope": "/subscriptions/sub-2"}]);
    let with = temp_file("assignments.json", proposed.to_string().as_bytes());
    let never = "[[never]]\nname = \"no deletes\"\naction = \"*/delete\"\nscope = \"/subscriptions/sub-1\"\nexcept = [\"break-glass\"]\n\n[[never]]\nname = \"no deletes in sub-2\"\naction = \"Microsoft.Compute/virtualMachines/delete\"\nscope = \"/subscriptions/sub-2\"\n";
    let nf = temp_file("never.toml", never.as_bytes());
    let (code, out, _) =
        rolegate(&["test", "--tenant", "tests/data/tenant", "--with", with.to_str().unwrap(), nf.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ok   ")
            && out.contains("FAIL")
            && out.contains("`mallory` may `Microsoft.Compute/virtualMachines/delete`"),
        "{out}"
    );
    assert!(out.contains("2 tests, 1 passed, 1 failed"), "{out}");
}

/// The `run:` block of the step with `id: <id>` in `action.yml`, unindented.
fn action_step_script(action: &str, id: &str) -> String {
    let lines: Vec<&str> = action.lines().collect();
    let step = lines.iter().position(|l| l.trim() == format!("id: {id}")).unwrap();
    let run = step + lines[step..].iter().position(|l| l.trim() == "run: |").unwrap();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let base = indent(lines[run]);
    let body: Vec<&str> =
        lines[run + 1..].iter().take_while(|l| l.trim().is_empty() || indent(l) > base).copied().collect();
    let strip = body.iter().filter(|l| !l.trim().is_empty()).map(|l| indent(l)).min().unwrap();
    body.iter().map(|l| l.get(strip..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The composite action's lint step, run as GitHub would run it (bash, inputs as environment variables): it
/// writes a SARIF report and the exit code to `$GITHUB_OUTPUT`, and prints workflow annotations.
#[test]
fn github_action_lint_step_runs_role_lint() {
    let action = std::fs::read_to_string(repo("action.yml")).unwrap();
    let script = action_step_script(&action, "lint");
    let dir = temp_dir("action");
    let run = |paths: &str, args: &str, fail_on: &str| {
        let output = dir.join("github-output");
        std::fs::write(&output, "").unwrap();
        let out = Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(repo(""))
            .env("ROLE_LINT", assert_cmd::cargo::cargo_bin("role-lint"))
            .env("SARIF", dir.join("report.sarif"))
            .env("GITHUB_OUTPUT", &output)
            .env("INPUT_PATHS", paths)
            .env("INPUT_TENANT", "")
            .env("INPUT_FAIL_ON", fail_on)
            .env("INPUT_ARGS", args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let outputs = std::fs::read_to_string(&output).unwrap();
        let sarif: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("report.sarif")).unwrap()).unwrap();
        (outputs, sarif, String::from_utf8(out.stdout).unwrap())
    };
    // The shipped examples have errors: exit code 1, results in the SARIF, annotations on stdout.
    let (outputs, sarif, annotations) = run("roles/examples", "--no-config", "error");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(outputs.contains(&format!("sarif-file={}", dir.join("report.sarif").display())), "{outputs}");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(annotations.lines().any(|l| l.starts_with("::error file=roles/examples/")), "{annotations}");
    // Several paths, separated by newlines, and a clean role: exit code 0.
    let clean = dir.join("clean.json");
    std::fs::write(&clean, PADDED_ROLE).unwrap();
    let (outputs, sarif, _) = run(&format!("{}\n{}", clean.display(), clean.display()), "--no-config", "error");
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1, "the padded action, a warning");
    // An input with shell syntax stays an argument (a path that does not exist: exit code 2).
    let (outputs, ..) = run("$(touch injected) ;echo", "--no-config", "error");
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
    assert!(!repo("injected").exists());
}

/// The pre-commit hook runs a binary this package builds, on the file types role-lint reads.
#[test]
fn pre_commit_hooks_name_the_binary_and_file_types() {
    let hooks = std::fs::read_to_string(repo(".pre-commit-hooks.yaml")).unwrap();
    let manifest = std::fs::read_to_string(repo("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"role-lint\""));
    let entries: Vec<&str> = hooks.lines().filter_map(|l| l.trim().strip_prefix("entry: ")).collect();
    assert_eq!(entries, ["role-lint", "role-lint"]);
    assert!(hooks.contains("language: rust"));
    assert!(hooks.contains(r"files: \.(json|tf|bicep)$"));
}

/// The essence of each finding of a `--format json` report whose `file` ends with `suffix` (and, when given, of
/// `role`): what must agree between one role in two formats, everything but positions and pointers.
fn essences_of(report: &Value, suffix: &str, role: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|file| file.ends_with(suffix)))
        .filter(|f| role.is_none_or(|r| f["role"] == r))
        .map(|f| format!("{} {} {} | {} | {}", f["code"], f["severity"], f["role"], f["message"], f["operations"]))
        .collect();
    out.sort();
    out
}

#[test]
fn a_directory_of_json_terraform_and_plans_finds_what_the_json_equivalents_find() {
    let data = repo("crates/lint/tests/data/terraform");
    let dir = temp_dir("terraform-mix");
    for name in ["module_with_other_resources.tf", "plan.json", "multiple_permissions.json", "scope_only.tf"] {
        std::fs::copy(data.join(name), dir.join(name)).unwrap();
    }
    // Terraform's own working directory is hidden and holds downloaded modules: it is not linted.
    std::fs::create_dir_all(dir.join(".terraform/modules/m")).unwrap();
    std::fs::write(dir.join(".terraform/modules/m/main.tf"), "resource {").unwrap();
    let (code, out, _) = role_lint_in(&dir, &[".", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let mixed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(mixed["summary"]["files"], 4, "{out}");
    assert_eq!(mixed["summary"]["roles"], 5, "{out}");

    let alone = |name: &str| -> Value {
        let (_, out) = role_lint(&[&format!("crates/lint/tests/data/terraform/{name}"), "--format", "json"]);
        serde_json::from_str(&out).unwrap()
    };
    for (file, role, equivalent) in [
        ("module_with_other_resources.tf", None, "module_with_other_resources.json"),
        ("scope_only.tf", None, "scope_only.json"),
        ("plan.json", Some("app-deployer"), "plan_app_deployer.json"),
        ("multiple_permissions.json", None, "multiple_permissions.json"),
    ] {
        let found = essences_of(&mixed, file, role);
        assert!(!found.is_empty(), "{file}");
        assert_eq!(found, essences_of(&alone(equivalent), equivalent, role), "{file}");
    }
    // The Azure-reject errors point into each format: `.tf` line and column, a JSON pointer into the plan.
    let errors: Vec<&Value> = mixed["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "RL102").collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let tf = errors.iter().find(|f| f["file"].as_str().unwrap().ends_with(".tf")).unwrap();
    assert_eq!((&tf["line"], &tf["column"], &tf["pointer"]), (&json!(27), &json!(80), &Value::Null));
    let plan = errors.iter().find(|f| f["file"].as_str().unwrap().ends_with("plan.json")).unwrap();
    assert_eq!(plan["pointer"], "/resource_changes/0/change/after/permissions/0/actions/1");
}

/// `role-lint DIR` over JSON and Bicep: the `.bicep` file is found by the walk, and reports the same wildcard
/// expansions and Azure-reject errors as its JSON equivalent, each pointing into its own file.
#[test]
fn a_directory_of_json_and_bicep_reports_the_same_findings_for_both() {
    let dir = temp_dir("bicep-mix");
    let fixtures = repo("crates/lint/tests/data/bicep");
    std::fs::create_dir_all(dir.join("json")).unwrap();
    std::fs::copy(fixtures.join("storage-operator.bicep"), dir.join("storage-operator.bicep")).unwrap();
    std::fs::copy(fixtures.join("storage-operator.json"), dir.join("json/storage-operator.json")).unwrap();
    // A Bicep file that is no role file is said so, not silently dropped.
    std::fs::write(
        dir.join("storage.bicep"),
        "resource st 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'st'\n}\n",
    )
    .unwrap();
    let (code, out, err) = role_lint_in(&dir, &[".", "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["files"], 3, "{out}");
    let findings = v["findings"].as_array().unwrap();
    let of = |file: &str| -> Vec<(String, String, Value)> {
        let mut all: Vec<_> = findings
            .iter()
            // Both files define "Storage Operator": the later one also gets RL110, checked below.
            .filter(|f| f["file"].as_str().is_some_and(|n| n.ends_with(file)) && f["code"] != "RL110")
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                    f["operations"].clone(),
                )
            })
            .collect();
        all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        all
    };
    let bicep = of("storage-operator.bicep");
    let json = of("storage-operator.json");
    let brief = |all: &[(String, String, Value)]| all.iter().map(|f| format!("{} {}", f.0, f.1)).collect::<Vec<_>>();
    assert!(bicep == json, "{:#?}\n{:#?}", brief(&bicep), brief(&json));
    assert_eq!(findings.iter().filter(|f| f["code"] == "RL110").count(), 1, "{out}");
    for code in ["RL103", "RL107", "RL108", "RL202", "RL204"] {
        assert!(bicep.iter().any(|f| f.0 == code), "{code}: {bicep:?}");
    }
    let expansion = bicep.iter().find(|f| f.0 == "RL202").unwrap();
    assert!(expansion.2.as_array().unwrap().iter().any(|o| o == "Microsoft.Storage/storageAccounts/listkeys/action"));
    // Positions are the Bicep file's: the root scope `'/'` is line 39, column 7 there.
    let root =
        findings.iter().find(|f| f["code"] == "RL103" && f["file"].as_str().unwrap().ends_with(".bicep")).unwrap();
    assert_eq!((root["line"].as_u64(), root["column"].as_u64()), (Some(39), Some(7)), "{root}");
    assert_eq!(of("storage.bicep").iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["RL021"]);
}
