//! `rolegate serve` end to end, as a process: forward-auth, `/v1/check`, reloads, the decision log, metrics,
//! limits, and the ML routes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/server.rs"]
mod server;

use std::path::Path;

use serde_json::{Value, json};
use server::{Server, agent, scratch};

const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// A tenant where alice holds `role` on subscription s1.
fn write_tenant(dir: &Path, role: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let a = json!([{"principalId": "alice", "principalType": "User", "roleDefinitionId": role, "scope": "/subscriptions/s1"}]);
    std::fs::write(dir.join("assignments.json"), a.to_string()).unwrap();
}

fn config(dir: &Path, extra: &str) {
    let text = format!(
        r#"listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
tenant = "tenant"
watch = false
{extra}
[identity]
mode = "trusted_headers"
principal_header = "x-principal"
groups_header = "x-groups"
peers = ["127.0.0.1"]
"#
    );
    std::fs::write(dir.join("gateway.toml"), text).unwrap();
}

fn get(url: &str, headers: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap, String) {
    let mut req = agent().get(url);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let mut r = req.call().unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.body_mut().read_to_string().unwrap())
}

fn post(url: &str, headers: &[(&str, &str)], body: &str) -> (u16, ureq::http::HeaderMap, String) {
    let mut req = agent().post(url);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let mut r = req.send(body).unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.body_mut().read_to_string().unwrap())
}

const RG: &str = "/subscriptions/s1/resourceGroups/rg?api-version=2024-01-01";

#[test]
fn forward_auth_allows_denies_and_names_the_decision() {
    let dir = scratch("forward");
    write_tenant(&dir.join("tenant"), READER);
    config(&dir, "");
    let s = Server::start(&dir, &[]);
    // nginx-style: the original request in headers.
    let (status, h, _) =
        get(&s.url("/auth"), &[("x-principal", "alice"), ("x-original-method", "GET"), ("x-original-uri", RG)]);
    assert_eq!(status, 200);
    assert_eq!(h["x-rolegate-principal"], "alice");
    assert_eq!(h["x-rolegate-action"], "Microsoft.Resources/subscriptions/resourceGroups/read");
    assert_eq!(h["x-rolegate-scope"], "/subscriptions/s1/resourceGroups/rg");
    assert_eq!(h["x-rolegate-generation"], "1");
    assert!(!h["x-rolegate-decision-id"].is_empty());
    // Envoy-style: the original method and path on the request itself, below `/auth`.
    let (status, h, body) = post(&s.url(&format!("/auth{RG}")), &[("x-principal", "alice")], "");
    assert_eq!(status, 403, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((v["decision"].as_str(), v["reason"].as_str()), (Some("bad_request"), Some("not_arm_path")), "{v}");
    let (status, _, body) = get(
        &s.url("/auth/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"),
        &[("x-principal", "alice"), ("x-original-method", "DELETE")],
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, v["reason"].as_str(), v["action"].as_str()),
        (403, Some("no_grant"), Some("Microsoft.Compute/virtualMachines/delete"))
    );
    assert!(h.get("x-rolegate-generation").is_some());
    // Unidentified: 401 with a challenge; a refused path: 403 with its reason (never a 400 nginx would turn into 500).
    let (status, h, _) = get(&s.url("/auth"), &[("x-original-uri", RG)]);
    assert_eq!((status, h["www-authenticate"].to_str().unwrap()), (401, "Bearer"));
    let (status, _, body) = get(
        &s.url("/auth"),
        &[("x-principal", "alice"), ("x-original-uri", "/subscriptions/s1/resourceGroups/a%2F..%2Fb")],
    );
    assert_eq!(status, 403);
    assert!(body.contains("refused_path"), "{body}");
    let (status, _, _) = get(&s.url("/healthz"), &[]);
    assert_eq!(status, 200);
    let (status, _, body) = get(&s.url("/readyz"), &[]);
    assert_eq!((status, body.contains("\"generation\":1")), (200, true));
}

#[test]
fn v1_check_answers_query_lines_and_echoes_them() {
    let dir = scratch("check");
    write_tenant(&dir.join("tenant"), READER);
    config(&dir, "");
    let s = Server::start(&dir, &[]);
    let body = [
        json!({"principal": "alice", "action": "Microsoft.Compute/virtualMachines/read", "scope": "/subscriptions/s1/resourceGroups/rg"}).to_string(),
        String::new(),
        json!({"principal": "alice", "action": "Microsoft.Compute/virtualMachines/write", "scope": "/subscriptions/s1"}).to_string(),
        "{not json".into(),
        json!({"principal": "bob", "action": "Microsoft.Compute/virtualMachines/read", "scope": "/subscriptions/s1", "now": "yesterday"}).to_string(),
    ]
    .join("\n");
    let (status, h, text) = post(&s.url("/v1/check"), &[], &body);
    assert_eq!((status, h["content-type"].to_str().unwrap()), (200, "application/x-ndjson"));
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        (lines[0]["decision"].as_str(), lines[0]["reason"]["kind"].as_str()),
        (Some("allowed"), Some("granted"))
    );
    assert_eq!(lines[0]["query"]["principal"], "alice");
    assert_eq!(lines[0]["generation"], 1);
    assert_eq!(lines[1]["decision"], "not_allowed");
    assert!(lines[2]["error"].as_str().unwrap().starts_with("line 4:"));
    assert!(lines[3]["error"].as_str().unwrap().contains("`now`"), "{}", lines[3]);
    // A GET is not a route; the admin listener does not answer decisions.
    assert_eq!(get(&s.url("/v1/check"), &[]).0, 404);
    assert_eq!(post(&s.admin_url("/v1/check"), &[], &body).0, 404);
}

#[test]
fn reloads_swap_valid_tenants_and_keep_the_old_one_on_errors() {
    let dir = scratch("reload");
    let tenant = dir.join("tenant");
    write_tenant(&tenant, READER);
    config(&dir, "");
    let s = Server::start(&dir, &[]);
    let write_vm = [
        ("x-principal", "alice"),
        ("x-original-method", "PUT"),
        ("x-original-uri", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"),
    ];
    assert_eq!(get(&s.url("/auth"), &write_vm).0, 403);
    write_tenant(&tenant, CONTRIBUTOR);
    let (status, _, body) = post(&s.admin_url("/admin/reload"), &[], "");
    assert_eq!((status, body.as_str()), (200, r#"{"reloaded":true,"generation":2}"#));
    let (status, h, _) = get(&s.url("/auth"), &write_vm);
    assert_eq!((status, h["x-rolegate-generation"].to_str().unwrap()), (200, "2"));
    // A broken tenant: the old snapshot keeps deciding, the failure is counted and every diagnostic logged.
    std::fs::write(tenant.join("assignments.json"), "[{\"principalId\": \"alice\",, }]").unwrap();
    let (status, _, body) = post(&s.admin_url("/admin/reload"), &[], "");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("fatal"), "{body}");
    assert_eq!(get(&s.url("/auth"), &write_vm).0, 200);
    assert!(
        s.wait_for(10, || s.stderr.lock().unwrap().contains("assignments.json:1:")),
        "{}",
        s.stderr.lock().unwrap()
    );
    let metrics = get(&s.url("/metrics"), &[]).2;
    assert!(metrics.contains("rolegate_reload_failures_total 1"), "{metrics}");
    assert!(metrics.contains("rolegate_reloads_total 1"), "{metrics}");
    assert!(metrics.contains("rolegate_snapshot_generation 2"), "{metrics}");
    // SIGHUP reloads too.
    write_tenant(&tenant, READER);
    let pid = rustix::process::Pid::from_raw(s.child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).unwrap();
    assert!(s.wait_for(10, || get(&s.url("/auth"), &write_vm).0 == 403), "SIGHUP did not reload");
    // The log line follows the swap: wait for it too.
    assert!(s.wait_for(10, || s.stderr.lock().unwrap().contains("\"trigger\":\"sighup\"")));
}

#[test]
fn a_watched_symlinked_tenant_reloads_when_the_link_is_swapped() {
    let dir = scratch("watch");
    write_tenant(&dir.join("v1"), READER);
    write_tenant(&dir.join("v2"), CONTRIBUTOR);
    std::os::unix::fs::symlink("v1", dir.join("tenant")).unwrap();
    config(&dir, "");
    let text = std::fs::read_to_string(dir.join("gateway.toml"))
        .unwrap()
        .replace("watch = false", "watch = true\ndebounce_ms = 100");
    std::fs::write(dir.join("gateway.toml"), text).unwrap();
    let s = Server::start(&dir, &[]);
    let write_vm = [
        ("x-principal", "alice"),
        ("x-original-method", "PUT"),
        ("x-original-uri", "/subscriptions/s1/providers/Microsoft.Compute/virtualMachines/vm"),
    ];
    assert_eq!(get(&s.url("/auth"), &write_vm).0, 403);
    // An atomic swap, as `ln -sfn` + `mv -T` or a Kubernetes ConfigMap update does it.
    std::os::unix::fs::symlink("v2", dir.join("tenant.new")).unwrap();
    std::fs::rename(dir.join("tenant.new"), dir.join("tenant")).unwrap();
    assert!(s.wait_for(10, || get(&s.url("/auth"), &write_vm).0 == 200), "{}", s.stderr.lock().unwrap());
    assert!(s.wait_for(10, || s.stderr.lock().unwrap().contains("\"trigger\":\"watch\"")));
}

#[test]
fn a_broken_tenant_stops_the_start_unless_told_to_wait() {
    let dir = scratch("start");
    let tenant = dir.join("tenant");
    std::fs::create_dir_all(&tenant).unwrap();
    std::fs::write(tenant.join("assignments.json"), "[{\"principalId\": 1}]").unwrap();
    config(&dir, "");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(["serve", "--config"])
        .arg(dir.join("gateway.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("assignments.json:1:"), "{stderr}");
    // Waiting: not ready, every decision refused, until a tenant loads.
    let s = Server::start(&dir, &["--wait-for-tenant"]);
    assert_eq!(get(&s.url("/readyz"), &[]).0, 503);
    assert_eq!(get(&s.url("/healthz"), &[]).0, 200);
    let (status, _, body) = get(&s.url("/auth"), &[("x-principal", "alice"), ("x-original-uri", RG)]);
    assert!(status == 403 && body.contains("not_ready"), "{body}");
    write_tenant(&tenant, READER);
    assert!(s.wait_for(10, || get(&s.url("/readyz"), &[]).0 == 200));
    assert_eq!(get(&s.url("/auth"), &[("x-principal", "alice"), ("x-original-uri", RG)]).0, 200);
}

#[test]
fn bad_configs_point_into_the_file() {
    let dir = scratch("badconfig");
    write_tenant(&dir.join("tenant"), READER);
    for (text, needle) in [
        (
            "listen = \"127.0.0.1:0\"\ntenant = \"tenant\"\nlisten_typo = 1\n[identity]\nmode = \"trusted_headers\"\nprincipal_header = \"x\"\npeers = []\n",
            "gateway.toml:3:1",
        ),
        (
            "listen = \"127.0.0.1:0\"\nadmin_listen = \"0.0.0.0:9\"\ntenant = \"tenant\"\n[identity]\nmode = \"trusted_headers\"\nprincipal_header = \"x\"\npeers = []\n",
            "loopback",
        ),
        ("listen = \"127.0.0.1:0\"\ntenant = \"tenant\"\n[identity]\nmode = \"magic\"\n", "gateway.toml:"),
    ] {
        std::fs::write(dir.join("gateway.toml"), text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolegate"))
            .args(["serve", "--config"])
            .arg(dir.join("gateway.toml"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
}

#[test]
fn the_decision_log_has_one_line_per_decision() {
    let dir = scratch("log");
    write_tenant(&dir.join("tenant"), READER);
    config(&dir, "[log]\ndecisions = \"decisions.jsonl\"\n");
    let s = Server::start(&dir, &[]);
    let rid = "0123abcd-0000-4000-8000-00000000beef";
    assert_eq!(get(&s.url("/auth"), &[("x-principal", "alice"), ("x-original-uri", RG), ("x-request-id", rid)]).0, 200);
    assert_eq!(
        get(&s.url("/auth"), &[("x-principal", "bob"), ("x-original-uri", RG), ("x-request-id", "not an id: eyJ")]).0,
        403
    );
    let path = dir.join("decisions.jsonl");
    assert!(s.wait_for(5, || std::fs::read_to_string(&path).is_ok_and(|t| t.lines().count() == 2)));
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let first = &lines[0];
    for key in [
        "timestamp",
        "decision_id",
        "request_id",
        "principal",
        "action",
        "scope",
        "decision",
        "reason",
        "role",
        "generation",
        "latency_us",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!((first["request_id"].as_str(), first["decision"].as_str()), (Some(rid), Some("allowed")));
    assert_eq!(first["role"], READER);
    assert_eq!((lines[1]["principal"].as_str(), lines[1]["reason"].as_str()), (Some("bob"), Some("no_grant")));
    // A request id that does not look like one is not logged: the decision id stands in.
    assert_eq!(lines[1]["request_id"], lines[1]["decision_id"]);
    assert!(s.stdout.lock().unwrap().is_empty());
    let metrics = get(&s.url("/metrics"), &[]).2;
    assert!(metrics.contains(r#"rolegate_decisions_total{outcome="allowed",reason="granted"} 1"#), "{metrics}");
    assert!(metrics.contains("rolegate_decision_latency_seconds_count 2"), "{metrics}");
    assert!(metrics.contains("rolegate_in_flight_requests 1"), "{metrics}");
}

#[test]
fn a_slow_client_is_cut_off_while_others_are_served_and_sizes_are_capped() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let dir = scratch("limits");
    write_tenant(&dir.join("tenant"), READER);
    config(&dir, "[limits]\nheader_timeout_ms = 600\nmax_header_bytes = 8192\nmax_body_bytes = 1024\n");
    let s = Server::start(&dir, &[]);
    // Slowloris: a request head sent a byte every 100 ms never completes.
    let mut slow = std::net::TcpStream::connect(s.main).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let head =
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut = false;
    let mut served_meanwhile = 0;
    for b in head {
        if slow.write_all(&[*b]).is_err() {
            cut = true;
            break;
        }
        // Meanwhile, others are served.
        if get(&s.url("/healthz"), &[]).0 == 200 {
            served_meanwhile += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    if !cut {
        // The server closed its side: a read sees the end (or a 408) rather than waiting.
        let mut buf = Vec::new();
        let _ = slow.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
        cut = started.elapsed() < Duration::from_secs(5);
    }
    assert!(cut, "the slow client was not cut off");
    assert!(served_meanwhile >= 3, "{served_meanwhile}");
    // Bodies and heads over the limits.
    let big = "x".repeat(2000);
    assert_eq!(post(&s.url("/v1/check"), &[], &big).0, 413);
    let long = "y".repeat(9000);
    assert_eq!(get(&s.url("/healthz"), &[("x-long", &long)]).0, 431);
    assert_eq!(get(&s.url("/healthz"), &[]).0, 200);
}

#[test]
fn ml_endpoints_are_served_and_no_secret_reaches_a_log_or_a_metric() {
    let dir = scratch("ml");
    let tenant = dir.join("tenant");
    write_tenant(&tenant, READER);
    let ws = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
    let control = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("roles/examples/custom-role-for-control-plane.json"),
    )
    .unwrap();
    let mut control: Value = serde_json::from_str(&control).unwrap();
    control["Id"] = json!("6b1f2a38-0c2d-4f5e-9a1b-1c2d3e4f5a61");
    control["AssignableScopes"] = json!(["/subscriptions/s1"]);
    std::fs::write(tenant.join("control.json"), control.to_string()).unwrap();
    let a = json!([{"principalId": "operator", "principalType": "User", "roleDefinitionId": "6b1f2a38-0c2d-4f5e-9a1b-1c2d3e4f5a61", "scope": ws}]);
    std::fs::write(tenant.join("assignments.json"), a.to_string()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(["secrets", "init"])
        .arg(dir.join("secrets.json"))
        .args(["--endpoint", "e-key"])
        .output()
        .unwrap();
    assert!(out.status.success());
    config(
        &dir,
        &format!(
            "[ml]\nsecrets = \"secrets.json\"\n[[ml.endpoints]]\nname = \"e-key\"\nid = \"{ws}/onlineEndpoints/e-key\"\nauth_mode = \"key\"\npath_prefix = \"/endpoints/e-key\"\n"
        ),
    );
    let s = Server::start(&dir, &[]);
    let list = format!("{ws}/onlineEndpoints/e-key/listKeys?api-version=2023-10-01");
    assert_eq!(post(&s.url(&list), &[("x-principal", "nobody")], "").0, 403);
    let (status, h, body) = post(&s.url(&list), &[("x-principal", "operator")], "");
    assert_eq!((status, h["cache-control"].to_str().unwrap()), (200, "no-store"), "{body}");
    let keys: Value = serde_json::from_str(&body).unwrap();
    let (primary, secondary) = (keys["primaryKey"].as_str().unwrap(), keys["secondaryKey"].as_str().unwrap());
    let score = |auth: &str| {
        get(
            &s.url("/auth"),
            &[("x-original-method", "POST"), ("x-original-uri", "/endpoints/e-key/score"), ("authorization", auth)],
        )
    };
    let (status, h, _) = score(&format!("Bearer {primary}"));
    assert_eq!((status, h["x-rolegate-endpoint"].to_str().unwrap()), (200, "e-key"));
    let (status, h, body) = score(&format!("Bearer {primary}x"));
    assert_eq!((status, h["www-authenticate"].to_str().unwrap()), (401, "Bearer"));
    assert!(body.contains("bad_key") && !body.contains(primary), "{body}");
    // Regenerate the secondary key: it stops working at once.
    let regen = format!("{ws}/onlineEndpoints/e-key/regenerateKeys?api-version=2023-10-01");
    assert_eq!(post(&s.url(&regen), &[("x-principal", "operator")], r#"{"keyType": "Secondary"}"#).0, 200);
    assert_eq!(score(&format!("Bearer {secondary}")).0, 401);
    let metrics = get(&s.url("/metrics"), &[]).2;
    // The decision log is written by its own thread: wait for the last line.
    assert!(s.wait_for(10, || s.stdout.lock().unwrap().matches("\"route\":\"credentials\"").count() == 3));
    let logs = format!("{}{}{metrics}", s.stdout.lock().unwrap(), s.stderr.lock().unwrap());
    assert!(logs.contains("\"endpoint\":\"e-key\""), "{logs}");
    for secret in [primary, secondary] {
        assert!(!logs.contains(secret), "a key in the logs or metrics");
    }
}

#[test]
fn the_committed_config_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/gateway.schema.json");
    let schema = rolegate_cli::serve::config::schema().unwrap();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &schema).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == schema, "stale schemas/gateway.schema.json: run `UPDATE_SCHEMAS=1 cargo test --test serve`");
    // The module's own example parses.
    let example = "listen = \"127.0.0.1:8181\"\nadmin_listen = \"127.0.0.1:8182\"\ntenant = \"tenant\"\n[identity]\nmode = \"token\"\ntenant_id = \"t\"\naudiences = [\"https://management.azure.com\"]\njwks_file = \"keys.json\"\n[forward_auth]\ntrusted_peers = [\"127.0.0.1\"]\n";
    let config = rolegate_cli::serve::config::parse("gateway.toml", example, Path::new("/etc/rolegate")).unwrap();
    assert_eq!(config.tenant, Path::new("/etc/rolegate/tenant"));
}

#[test]
fn a_manifest_decides_which_files_make_the_tenant() {
    use sha2::{Digest, Sha256};
    let dir = scratch("manifest");
    let tenant = dir.join("tenant");
    write_tenant(&tenant, READER);
    let hash =
        |p: &Path| -> String { Sha256::digest(std::fs::read(p).unwrap()).iter().map(|b| format!("{b:02x}")).collect() };
    let manifest = |files: &[&str]| {
        let map: serde_json::Map<String, Value> =
            files.iter().map(|f| ((*f).to_owned(), json!(hash(&tenant.join(f))))).collect();
        std::fs::write(tenant.join("manifest.json"), json!({"files": map}).to_string()).unwrap();
    };
    manifest(&["assignments.json"]);
    config(&dir, "manifest = true\n");
    let s = Server::start(&dir, &[]);
    let reload = || post(&s.admin_url("/admin/reload"), &[], "");
    // Changed after the manifest was written: refused, the old snapshot stays.
    write_tenant(&tenant, CONTRIBUTOR);
    let (status, _, body) = reload();
    assert!(status == 422 && body.contains("does not match its hash"), "{body}");
    manifest(&["assignments.json"]);
    assert_eq!(reload().0, 200);
    // A file the manifest does not list, or one it lists that is gone.
    std::fs::write(tenant.join("groups.json"), "{}").unwrap();
    let (status, _, body) = reload();
    assert!(status == 422 && body.contains("not in `manifest.json`"), "{body}");
    manifest(&["assignments.json", "groups.json"]);
    assert_eq!(reload().0, 200);
    std::fs::remove_file(tenant.join("groups.json")).unwrap();
    let (status, _, body) = reload();
    assert!(status == 422 && body.contains("not in the directory"), "{body}");
    assert_eq!(get(&s.url("/readyz"), &[]).2, r#"{"ready":true,"generation":3}"#);
}
