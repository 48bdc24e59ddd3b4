//! `Gateway::authorize` on the generated medium tenant (`crates/rolegate/benches/support/gen.rs`, seed 42), split
//! into its parts:
//!
//! * `authorize/map`: [`rolegate_gateway::map::map`] over the HTTP requests derived from the generator's queries
//!   (`…/read` → GET, `…/write` → PUT, `…/delete` → DELETE, `…/{verb}/action` → POST `{scope}/{verb}`);
//! * `authorize/token_cached`: [`Validator::validate`] of a token it has verified before;
//! * `authorize/token_fresh_rs256`: a different RS256 token every time (the cache cannot help);
//! * `authorize/decision`: [`Gateway::authorize`] in trusted-header mode (mapping and decision, no token), beside
//!   `authorize/engine_check`, the engine's own `check` on the same queries;
//! * `authorize/cached_token`: [`Gateway::authorize`] of each request with its principal's bearer token, every
//!   token verified once before (mapping, cached token, decision).
//!
//! Every query of the mix is distinct; criterion reports the time per request. Run with
//! `cargo bench -p rolegate-gateway --bench authorize`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

#[path = "../../rolegate/tests/support/reference_condition.rs"]
mod reference_condition;
#[path = "../../rolegate/tests/support/reference_matcher.rs"]
mod reference_matcher;
#[path = "../../rolegate/benches/support/gen.rs"]
mod tenant_gen;

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rolegate::engine::{Engine, PlaneHint, Request};
use rolegate_gateway::identity::{KeySet, TokenConfig, Validator};
use rolegate_gateway::map::map;
use rolegate_gateway::{Gateway, HttpRequest, Identify};
use rsa::pkcs1::EncodeRsaPrivateKey;
use tenant_gen::{Size, generate};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const AUD: &str = "https://management.azure.com";
const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// `(method, path)` for a query's action at its scope.
fn http(action: &str, scope: &str) -> (&'static str, String) {
    let (rest, verb) = action.rsplit_once('/').unwrap_or((action, ""));
    match verb.to_ascii_lowercase().as_str() {
        "read" => ("GET", format!("{scope}?api-version=2024-03-01")),
        "write" => ("PUT", format!("{scope}?api-version=2024-03-01")),
        "delete" => ("DELETE", format!("{scope}?api-version=2024-03-01")),
        _ => ("POST", format!("{scope}/{}?api-version=2024-03-01", rest.rsplit('/').next().unwrap_or("x"))),
    }
}

/// A validator holding `cache_capacity` identities and one RS256 token per `(oid, groups)`.
fn tokens(subjects: &[(String, Vec<String>)], cache_capacity: usize) -> (Validator, Vec<String>) {
    use rsa::Generate;
    let private = rsa::PrivateKey::generate();
    let key = EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes());
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("k1".into());
    let set = serde_json::to_vec(&JwkSet { keys: vec![jwk] }).unwrap();
    let mut config = TokenConfig::new(TENANT, [AUD]);
    config.cache_capacity = cache_capacity;
    let validator = Validator::new(config, KeySet::from_jwks(&set).unwrap()).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let tokens = subjects
        .iter()
        .enumerate()
        .map(|(i, (oid, groups))| {
            let claims = serde_json::json!({"aud": AUD, "iss": format!("https://sts.windows.net/{TENANT}/"),
                "tid": TENANT, "oid": oid, "exp": now + 7200, "nbf": now - 60, "groups": groups, "jti": i});
            encode(&header, &claims, &key).unwrap()
        })
        .collect();
    (validator, tokens)
}

fn authorize(c: &mut Criterion) {
    let generated = generate(Size::Medium, 42);
    let engine = Engine::new(generated.tenant());
    let queries = &generated.queries;
    let requests: Vec<(&str, String, &str, Vec<&str>)> = queries
        .iter()
        .map(|q| {
            let (method, path) = http(&q.action, &q.scope);
            (method, path, q.principal.as_str(), q.groups.iter().map(String::as_str).collect())
        })
        .collect();

    let mut group = c.benchmark_group("authorize");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("map", |b| {
        b.iter(|| {
            for (method, path, ..) in &requests {
                let _ = black_box(map(black_box(method), black_box(path)));
            }
        })
    });

    let gateway = Gateway::new(
        engine.clone(),
        Identify::TrustedHeaders { principal: "x-principal".into(), groups: None, peers: vec![PROXY] },
    );
    let headers: Vec<[(&str, &str); 1]> = requests.iter().map(|(_, _, p, _)| [("x-principal", *p)]).collect();
    group.bench_function("decision", |b| {
        b.iter(|| {
            for ((method, path, ..), h) in requests.iter().zip(&headers) {
                black_box(gateway.authorize(&HttpRequest::new(method, path).headers(h).peer(PROXY)));
            }
        })
    });
    group.bench_function("engine_check", |b| {
        b.iter(|| {
            for (q, (.., groups)) in queries.iter().zip(&requests) {
                let r = Request::new(&q.principal, &q.action, &q.scope).plane(PlaneHint::Control).groups(groups);
                black_box(engine.check(black_box(&r)));
            }
        })
    });

    // Every request with its principal's bearer token, verified once before: the cache answers.
    let subjects: Vec<(String, Vec<String>)> =
        queries.iter().map(|q| (q.principal.clone(), q.groups.clone())).collect();
    let (validator, bearer) = tokens(&subjects, subjects.len());
    let headers: Vec<[(&str, String); 1]> = bearer.iter().map(|t| [("authorization", format!("Bearer {t}"))]).collect();
    let headers: Vec<[(&str, &str); 1]> = headers.iter().map(|[(n, v)]| [(*n, v.as_str())]).collect();
    let gateway = Gateway::new(Engine::new(generated.tenant()), Identify::Token(Arc::new(validator)));
    for ((method, path, ..), h) in requests.iter().zip(&headers) {
        gateway.authorize(&HttpRequest::new(method, path).headers(h));
    }
    group.bench_function("cached_token", |b| {
        b.iter(|| {
            for ((method, path, ..), h) in requests.iter().zip(&headers) {
                black_box(gateway.authorize(&HttpRequest::new(method, path).headers(h)));
            }
        })
    });

    let fresh: Vec<(String, Vec<String>)> = (0..256).map(|i| (format!("user-{i}"), vec!["g-1".into()])).collect();
    // One entry: every fresh token misses.
    let (validator, tokens) = tokens(&fresh, 1);
    group.throughput(Throughput::Elements(1));
    let warm = &tokens[0];
    validator.validate(warm).unwrap();
    group.bench_function("token_cached", |b| b.iter(|| black_box(validator.validate(black_box(warm)).unwrap())));
    let mut i = 0;
    group.bench_function("token_fresh_rs256", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            black_box(validator.validate(black_box(&tokens[i])).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, authorize);
criterion_main!(benches);
