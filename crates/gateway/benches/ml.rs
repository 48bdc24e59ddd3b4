//! Scoring requests at Azure ML online endpoints ([`Endpoints::score`]), per request:
//!
//! * `ml/score_key`: 1,000 requests spread over 50 `key` endpoints (recognised by host), each with one of its
//!   endpoint's two keys;
//! * `ml/score_aml_token`: 1,000 requests spread over 50 `aml_token` endpoints (recognised by path prefix), each
//!   with its own token (every one distinct, each verified once before, so the verifier's cache answers; times
//!   and the endpoint binding are still checked on every use).
//!
//! Run with `cargo bench -p rolegate-gateway --bench ml`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rolegate::engine::Engine;
use rolegate_gateway::ml::aml_token::{AmlTokenConfig, issue};
use rolegate_gateway::ml::secrets::{SecretStore, Secrets, create_secrets};
use rolegate_gateway::ml::{AuthMode, EndpointConfig, EndpointTable, Endpoints, EndpointsConfig};
use rolegate_gateway::{Gateway, HttpRequest, Identify, Verdict};

const WS: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
const N: usize = 50;

fn ml(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("rolegate-bench-ml-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key_names: Vec<String> = (0..N).map(|i| format!("key-{i}")).collect();
    let aml_names: Vec<String> = (0..N).map(|i| format!("aml-{i}")).collect();
    let path = dir.join("secrets.json");
    let secrets = Secrets::generate(key_names.iter().map(String::as_str)).unwrap();
    create_secrets(&path, &secrets).unwrap();
    let id = |name: &str| format!("{WS}/onlineEndpoints/{name}");
    let mut configs: Vec<EndpointConfig> = key_names
        .iter()
        .map(|n| EndpointConfig::with_host(n, &id(n), AuthMode::Key, &format!("{n}.westus.inference.ml.azure.com")))
        .collect();
    configs.extend(
        aml_names.iter().map(|n| EndpointConfig::with_path_prefix(n, &id(n), AuthMode::AmlToken, &format!("/e/{n}"))),
    );
    let none = || Identify::TrustedHeaders { principal: "x-principal".into(), groups: None, peers: vec![] };
    let gateway = Arc::new(Gateway::new(Engine::new(Default::default()), none()));
    let endpoints = Endpoints::new(
        gateway,
        EndpointTable::new(configs).unwrap(),
        SecretStore::open(&path).unwrap(),
        EndpointsConfig::new(none()),
    )
    .unwrap();

    let keyed: Vec<(String, String)> = (0..1000)
        .map(|i| {
            let name = &key_names[(i * 7) % N];
            let keys = &secrets.endpoints[name];
            let key = if i % 2 == 0 { &keys.primary_key } else { &keys.secondary_key };
            (format!("{name}.westus.inference.ml.azure.com"), format!("Bearer {}", key.expose()))
        })
        .collect();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let tokens: Vec<(String, String)> = (0..1000)
        .map(|i| {
            let name = &aml_names[(i * 7) % N];
            let t =
                issue(&AmlTokenConfig::default(), &secrets.token_signing_keys[0], &id(name), &format!("user-{i}"), now)
                    .unwrap();
            (format!("/e/{name}/score"), format!("Bearer {}", t.access_token.expose()))
        })
        .collect();
    for (host, auth) in &keyed {
        let out =
            endpoints.score(&HttpRequest::new("POST", "/score").headers(&[("host", host), ("authorization", auth)]));
        assert_eq!(out.unwrap().verdict, Verdict::Allowed);
    }
    for (path, auth) in &tokens {
        let out = endpoints.score(&HttpRequest::new("POST", path).headers(&[("authorization", auth)]));
        assert_eq!(out.unwrap().verdict, Verdict::Allowed);
    }

    let mut group = c.benchmark_group("ml");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1000));
    group.bench_function("score_key", |b| {
        b.iter(|| {
            for (host, auth) in &keyed {
                let headers = [("host", host.as_str()), ("authorization", auth.as_str())];
                black_box(endpoints.score(&HttpRequest::new("POST", "/score").headers(&headers)));
            }
        })
    });
    group.bench_function("score_aml_token", |b| {
        b.iter(|| {
            for (path, auth) in &tokens {
                let headers = [("authorization", auth.as_str())];
                black_box(endpoints.score(&HttpRequest::new("POST", path).headers(&headers)));
            }
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, ml);
criterion_main!(benches);
