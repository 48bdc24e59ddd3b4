//! Forward-auth's original-request headers as Caddy and Traefik send them: their own `X-Forwarded-*`, and every
//! header the client sent, `X-Original-*` included. With the default header lists (`X-Original-*` first) a
//! client's copy must not decide instead of the proxy's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/server.rs"]
mod server;

use serde_json::{Value, json};
use server::{Server, agent, scratch};

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const VM: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm";

fn auth(s: &Server, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = agent().get(&s.url("/auth"));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let mut r = req.call().unwrap();
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap();
    (status, if body.is_empty() { Value::Null } else { serde_json::from_str(&body).unwrap() })
}

#[test]
fn a_clients_original_headers_that_disagree_with_the_proxys_decide_nothing() {
    let dir = scratch("forward-headers");
    std::fs::create_dir_all(dir.join("tenant")).unwrap();
    let a = json!([{"principalId": "alice", "principalType": "User", "roleDefinitionId": READER, "scope": "/subscriptions/s1"}]);
    std::fs::write(dir.join("tenant/assignments.json"), a.to_string()).unwrap();
    let config = "listen = \"127.0.0.1:0\"\ntenant = \"tenant\"\nwatch = false\n[identity]\nmode = \"trusted_headers\"\n\
                  principal_header = \"x-principal\"\npeers = [\"127.0.0.1\"]\n";
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    let s = Server::start(&dir, &[]);
    // Caddy's own headers for a DELETE: Reader may not.
    let caddy = [("x-principal", "alice"), ("X-Forwarded-Method", "DELETE"), ("X-Forwarded-Uri", VM)];
    let (status, v) = auth(&s, &caddy);
    assert_eq!((status, v["reason"].as_str()), (403, Some("no_grant")), "{v}");
    // The client adds a harmless-looking read: refused, not allowed as a read.
    let mut spoofed = caddy.to_vec();
    spoofed.extend([("X-Original-Method", "GET"), ("X-Original-URI", VM)]);
    let (status, v) = auth(&s, &spoofed);
    assert_eq!((status, v["reason"].as_str()), (403, Some("conflicting_original_headers")), "{v}");
    assert_eq!(v["decision"], "bad_request");
    // The same for the host, which chooses an ML endpoint.
    let (status, v) = auth(
        &s,
        &[("x-principal", "alice"), ("X-Original-URI", VM), ("X-Original-Host", "a"), ("X-Forwarded-Host", "b")],
    );
    assert_eq!((status, v["reason"].as_str()), (403, Some("conflicting_original_headers")), "{v}");
    // Headers that agree decide as one does.
    let (status, _) = auth(
        &s,
        &[
            ("x-principal", "alice"),
            ("X-Original-Method", "GET"),
            ("X-Forwarded-Method", "GET"),
            ("X-Original-URI", VM),
        ],
    );
    assert_eq!(status, 200);
    let _ = std::fs::remove_dir_all(&dir);
}
