//! `Gateway::authorize` end to end: mapping, identity, decision, and reloads while requests are decided.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rolegate::engine::Engine;
use rolegate::load::TenantLoader;
use rolegate_gateway::identity::{KeySet, Overage, TokenConfig, Validator};
use rolegate_gateway::{Gateway, HttpRequest, Identify, Verdict};
use serde_json::json;
use support::{AUD, OID, TENANT, claims, jwks, keys, sign, with};

const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const VM: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

/// A tenant directory where `alice` (and group `ops`, holding `bob`) has `role` on subscription s1.
fn tenant(name: &str, role: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-gateway-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let assignments = json!([
        {"principalId": "alice", "principalType": "User", "roleDefinitionId": role, "scope": "/subscriptions/s1"},
        {"principalId": "ops", "principalType": "Group", "roleDefinitionId": role, "scope": "/subscriptions/s1"},
        {"principalId": OID, "principalType": "User", "roleDefinitionId": role, "scope": "/subscriptions/s1"},
    ]);
    std::fs::write(dir.join("assignments.json"), assignments.to_string()).unwrap();
    std::fs::write(dir.join("groups.json"), json!({"ops": ["bob"]}).to_string()).unwrap();
    dir
}

fn engine(dir: &Path) -> Engine {
    Engine::new(TenantLoader::from_dir(dir).unwrap().build().unwrap().0)
}

fn trusted(dir: &Path) -> Gateway {
    let identify = Identify::TrustedHeaders {
        principal: "x-principal".into(),
        groups: Some("x-groups".into()),
        peers: vec![PROXY],
    };
    Gateway::new(engine(dir), identify)
}

fn put_vm<'a>(headers: &'a [(&'a str, &'a str)]) -> HttpRequest<'a> {
    HttpRequest::new(
        "PUT",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-03-01",
    )
    .headers(headers)
    .peer(PROXY)
}

#[test]
fn trusted_headers_are_accepted_only_from_trusted_peers() {
    let g = trusted(&tenant("trusted", CONTRIBUTOR));
    let alice = [("X-Principal", "alice")];
    let out = g.authorize(&put_vm(&alice));
    assert_eq!((out.verdict, out.reason), (Verdict::Allowed, "granted"));
    assert_eq!(out.action.as_deref(), Some("Microsoft.Compute/virtualMachines/write"));
    assert_eq!(out.scope.as_deref(), Some(VM));
    assert_eq!((out.principal.as_deref(), out.generation), (Some("alice"), 1));
    let elsewhere = put_vm(&alice).peer(IpAddr::V4(Ipv4Addr::new(10, 9, 8, 7)));
    let out = g.authorize(&elsewhere);
    assert_eq!((out.verdict, out.reason, out.verdict.status()), (Verdict::Unauthenticated, "untrusted_peer", 401));
    let out = g.authorize(&put_vm(&[]));
    assert_eq!((out.verdict, out.reason), (Verdict::Unauthenticated, "missing_principal"));
    // Group membership from the header and from the tenant's groups.json.
    let carol = [("x-principal", "carol"), ("x-groups", "ops, other")];
    assert_eq!(g.authorize(&put_vm(&carol)).verdict, Verdict::Allowed);
    let bob = [("x-principal", "bob")];
    assert_eq!(g.authorize(&put_vm(&bob)).verdict, Verdict::Allowed);
    let mallory = [("x-principal", "mallory")];
    let out = g.authorize(&put_vm(&mallory));
    assert_eq!((out.verdict, out.reason, out.verdict.status()), (Verdict::Forbidden, "no_grant", 403));
}

#[test]
fn unmappable_requests_are_bad_requests_before_anyone_is_identified() {
    let g = trusted(&tenant("bad", CONTRIBUTOR));
    let alice = [("x-principal", "alice")];
    for (method, path, reason) in [
        ("DELETE", "/subscriptions/s1/resourceGroups/rg%2F..%2Fprod", "refused_path"),
        ("GET", "/subscriptions/s1/resourceGroups/rg/../prod", "refused_path"),
        ("OPTIONS", VM, "method"),
        ("GET", "/foo", "not_arm_path"),
    ] {
        let out = g.authorize(&HttpRequest::new(method, path).headers(&alice).peer(PROXY));
        assert_eq!((out.verdict, out.reason, out.verdict.status()), (Verdict::BadRequest, reason, 400), "{path}");
        assert_eq!(out.principal, None);
    }
    let typo = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachine/vm1";
    let out = g.authorize(&HttpRequest::new("GET", typo).headers(&alice).peer(PROXY));
    assert!(out.unknown_operation);
    assert_eq!(out.did_you_mean().as_deref(), Some("Microsoft.Compute/virtualMachines/read"));
}

fn token_gateway(dir: &Path, overage: Overage) -> Gateway {
    let keys = KeySet::from_jwks(&jwks(&[(&keys()[0], "k1")])).unwrap();
    let v = Validator::new(TokenConfig::new(TENANT, [AUD]).overage(overage), keys).unwrap();
    Gateway::new(engine(dir), Identify::Token(Arc::new(v)))
}

#[test]
fn bearer_tokens_identify_the_caller_and_name_failed_checks() {
    let g = token_gateway(&tenant("token", CONTRIBUTOR), Overage::FailClosed);
    let auth = format!("Bearer {}", sign(&keys()[0], "k1", &claims()));
    let headers = [("Authorization", auth.as_str())];
    let out = g.authorize(&put_vm(&headers));
    assert_eq!((out.verdict, out.principal.as_deref()), (Verdict::Allowed, Some(OID)));
    let expired = format!(
        "Bearer {}",
        sign(
            &keys()[0],
            "k1",
            &with(|c| {
                c.insert("exp".into(), json!(1));
            })
        )
    );
    let out = g.authorize(&put_vm(&[("authorization", expired.as_str())]));
    assert_eq!((out.verdict, out.reason), (Verdict::Unauthenticated, "expired"));
    assert!(!format!("{out:?}").contains(&expired[7..40]), "outcomes never carry the token");
    let out = g.authorize(&put_vm(&[]));
    assert_eq!((out.verdict, out.reason), (Verdict::Unauthenticated, "missing"));
}

#[test]
fn groups_overage_fails_closed_unless_tenant_groups_are_chosen() {
    // Only group `ops` is assigned here; bob is in it by groups.json, and his token overflows.
    let dir = tenant("overage", CONTRIBUTOR);
    let overage = with(|c| {
        c.insert("oid".into(), json!("bob"));
        c.remove("groups");
        c.insert("_claim_names".into(), json!({"groups": "src1"}));
    });
    let auth = format!("Bearer {}", sign(&keys()[0], "k1", &overage));
    let headers = [("Authorization", auth.as_str())];
    let out = token_gateway(&dir, Overage::FailClosed).authorize(&put_vm(&headers));
    assert_eq!((out.verdict, out.reason), (Verdict::Forbidden, "groups_overage"));
    let out = token_gateway(&dir, Overage::TenantGroups).authorize(&put_vm(&headers));
    assert_eq!((out.verdict, out.reason), (Verdict::Allowed, "granted"));
}

/// Two threads decide one request while the tenant alternates between one that allows it (odd generations)
/// and one that does not (even), with invalid tenants in between: every outcome matches the generation it
/// reports, and an invalid tenant never replaces a valid one.
#[test]
fn reloads_swap_atomically_and_never_install_an_invalid_tenant() {
    let allows = tenant("reload-allows", CONTRIBUTOR);
    let denies = tenant("reload-denies", READER);
    let invalid = tenant("reload-invalid", CONTRIBUTOR);
    std::fs::write(
        invalid.join("assignments.json"),
        json!([{"principalId": "alice", "roleDefinitionId": "00000000-dead-4000-8000-000000000000", "scope": "/"}])
            .to_string(),
    )
    .unwrap();
    let g = Arc::new(trusted(&allows));
    let stop = Arc::new(AtomicBool::new(false));
    let decided = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (g, stop, decided) = (Arc::clone(&g), Arc::clone(&stop), Arc::clone(&decided));
            std::thread::spawn(move || {
                let alice = [("x-principal", "alice")];
                while !stop.load(Ordering::Relaxed) {
                    let out = g.authorize(&put_vm(&alice));
                    let expect_allowed = out.generation % 2 == 1;
                    assert_eq!(
                        out.verdict == Verdict::Allowed,
                        expect_allowed,
                        "generation {}: {out:?}",
                        out.generation
                    );
                    decided.fetch_add(1, Ordering::Relaxed);
                    // Leave the reloading thread a core on a two-core machine.
                    std::thread::yield_now();
                }
            })
        })
        .collect();
    let mut generation = 1;
    for i in 0..100 {
        let next = if i % 2 == 0 { &denies } else { &allows };
        let (g_new, _) = g.reload(next).unwrap();
        generation += 1;
        assert_eq!(g_new, generation);
        let refused = g.reload(&invalid).unwrap_err();
        assert!(refused.iter().any(|d| d.code.id == "RL010"), "{refused:?}");
        assert_eq!(g.generation(), generation, "an invalid tenant never replaces a valid one");
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("no worker panicked");
    }
    assert!(decided.load(Ordering::Relaxed) > 0);
}
