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
