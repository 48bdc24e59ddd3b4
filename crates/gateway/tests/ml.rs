//! Azure ML online endpoints end to end: the three auth modes, the credential routes and the RBAC the docs give
//! them, over a tenant holding the docs' two custom roles (`roles/examples/custom-role-for-*.json`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rolegate::engine::Engine;
use rolegate_gateway::identity::{KeySet, TokenConfig, Validator};
use rolegate_gateway::ml::aml_token::{self, AmlTokenConfig, SDK_REFRESH_MARGIN, SDK_RETRY_INTERVAL};
use rolegate_gateway::ml::secrets::{
    Secret, SecretStore, Secrets, SecretsError, SigningKey, create_secrets, read_secrets,
};
use rolegate_gateway::ml::{
    AuthMode, CredentialReply, CredentialResponse, EndpointConfig, EndpointError, EndpointTable, Endpoints,
    EndpointsConfig,
};
use rolegate_gateway::{Gateway, HttpRequest, Identify, Outcome, Verdict};
use serde_json::{Value, json};
use support::{TENANT, jwks, keys, sign, with};

const SCORING_ROLE: &str = "6b1f2a38-0c2d-4f5e-9a1b-1c2d3e4f5a60";
const CONTROL_ROLE: &str = "6b1f2a38-0c2d-4f5e-9a1b-1c2d3e4f5a61";
const WS: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
const ML_AUD: &str = "https://ml.azure.com";
const ARM_AUD: &str = "https://management.azure.com";

fn id(name: &str) -> String {
    format!("{WS}/onlineEndpoints/{name}")
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-ml-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The docs' two custom roles, with ids and the resource group as assignable scope.
fn role(file: &str, role_id: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roles/examples").join(file);
    let mut role: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    role["Id"] = json!(role_id);
    role["AssignableScopes"] = json!(["/subscriptions/s1"]);
    role.to_string()
}

/// The tenant: `scorer` holds the scoring role at the workspace, `operator` the control-plane role at the resource
/// group, `subscorer` the scoring role at the subscription; `carol` holds the scoring role too but is in group
/// `blocked`, which a deny assignment stops from scoring; `nobody` holds nothing.
fn tenant(dir: &Path) -> Engine {
    std::fs::write(dir.join("scoring.json"), role("custom-role-for-scoring.json", SCORING_ROLE)).unwrap();
    std::fs::write(dir.join("control.json"), role("custom-role-for-control-plane.json", CONTROL_ROLE)).unwrap();
    let assign = |p: &str, r: &str, scope: &str| json!({"principalId": p, "principalType": "User", "roleDefinitionId": r, "scope": scope});
    let assignments = json!([
        assign("scorer", SCORING_ROLE, WS),
        assign("operator", CONTROL_ROLE, "/subscriptions/s1/resourceGroups/rg"),
        assign("subscorer", SCORING_ROLE, "/subscriptions/s1"),
        assign("carol", SCORING_ROLE, WS),
    ]);
    std::fs::write(dir.join("assignments.json"), assignments.to_string()).unwrap();
    std::fs::write(dir.join("groups.json"), json!({"blocked": ["carol"]}).to_string()).unwrap();
    let deny = json!([{
        "name": "no-scoring", "scope": WS,
        "principals": [{"id": "blocked", "type": "Group"}],
        "permissions": [{"actions": ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action"]}],
    }]);
    std::fs::write(dir.join("denyAssignments.json"), deny.to_string()).unwrap();
    let (engine, warnings) = Engine::from_dir(dir).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    engine
}

fn validator(audience: &str) -> Arc<Validator> {
    let set = KeySet::from_jwks(&jwks(&[(&keys()[0], "k1")])).unwrap();
    Arc::new(Validator::new(TokenConfig::new(TENANT, [audience]), set).unwrap())
}

/// An Entra token for `oid` with `audience`, as `Bearer …`.
fn entra(oid: &str, audience: &str) -> String {
    let claims = with(|c| {
        c.insert("oid".into(), json!(oid));
        c.insert("aud".into(), json!(audience));
        c.insert("groups".into(), json!([]));
    });
    format!("Bearer {}", sign(&keys()[0], "k1", &claims))
}

struct Fixture {
    dir: PathBuf,
    endpoints: Endpoints,
    clock: Arc<AtomicU64>,
}

const T0: u64 = 1_800_000_000;

fn fixture(name: &str) -> Fixture {
    let dir = scratch(name);
    let tenant_dir = dir.join("tenant");
    std::fs::create_dir_all(&tenant_dir).unwrap();
    let gateway = Arc::new(Gateway::new(tenant(&tenant_dir), Identify::Token(validator(ARM_AUD))));
    let table = EndpointTable::new(vec![
        EndpointConfig::with_host("e-key", &id("e-key"), AuthMode::Key, "e-key.westus.inference.ml.azure.com"),
        EndpointConfig::with_path_prefix("e-aml", &id("e-aml"), AuthMode::AmlToken, "/endpoints/e-aml"),
        EndpointConfig::with_path_prefix("e-aml2", &id("e-aml2"), AuthMode::AmlToken, "/endpoints/e-aml2"),
        EndpointConfig::with_host("e-aad", &id("e-aad"), AuthMode::AadToken, "e-aad.westus.inference.ml.azure.com"),
    ])
    .unwrap();
    let secrets_path = dir.join("secrets.json");
    create_secrets(&secrets_path, &Secrets::generate(["e-key", "e-aml"]).unwrap()).unwrap();
    let secrets = SecretStore::open(&secrets_path).unwrap();
    let config = EndpointsConfig::new(Identify::Token(validator(ML_AUD)));
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let endpoints =
        Endpoints::new(gateway, table, secrets, config).unwrap().with_clock(move || c.load(Ordering::SeqCst));
    Fixture { dir, endpoints, clock }
}

impl Fixture {
    fn score_host(&self, host: &str, authorization: Option<&str>) -> Outcome {
        let mut headers = vec![("Host", host)];
        headers.extend(authorization.map(|a| ("Authorization", a)));
        self.endpoints.score(&HttpRequest::new("POST", "/score").headers(&headers)).unwrap()
    }

    fn score_key(&self, authorization: Option<&str>) -> Outcome {
        self.score_host("e-key.westus.inference.ml.azure.com:443", authorization)
    }

    fn score_aad(&self, authorization: Option<&str>) -> Outcome {
        self.score_host("e-aad.westus.inference.ml.azure.com", authorization)
    }

    fn score_aml(&self, endpoint: &str, authorization: Option<&str>) -> Outcome {
        let headers: Vec<(&str, &str)> = authorization.map(|a| ("authorization", a)).into_iter().collect();
        let path = format!("/endpoints/{endpoint}/score");
        self.endpoints.score(&HttpRequest::new("POST", &path).headers(&headers)).unwrap()
    }

    fn credential(&self, caller: &str, endpoint: &str, verb: &str, body: &[u8]) -> CredentialResponse {
        let auth = entra(caller, ARM_AUD);
        let headers = [("Authorization", auth.as_str())];
        let path = format!("{}/{verb}?api-version=2023-10-01", id(endpoint));
        self.endpoints.credentials(&HttpRequest::new("POST", &path).headers(&headers), body).unwrap()
    }

    fn list_keys(&self, caller: &str, endpoint: &str) -> (String, String) {
        let r = self.credential(caller, endpoint, "listKeys", b"");
        assert_eq!(r.outcome.verdict, Verdict::Allowed, "{:?}", r.outcome);
        let body: Value = serde_json::from_slice(&r.reply.unwrap().body().unwrap()).unwrap();
        (body["primaryKey"].as_str().unwrap().to_owned(), body["secondaryKey"].as_str().unwrap().to_owned())
    }

    fn token(&self, caller: &str, endpoint: &str) -> Value {
        let r = self.credential(caller, endpoint, "token", b"");
        assert_eq!(r.outcome.verdict, Verdict::Allowed, "{:?}", r.outcome);
        serde_json::from_slice(&r.reply.unwrap().body().unwrap()).unwrap()
    }

    fn regenerate(&self, caller: &str, endpoint: &str, slot: &str) -> CredentialResponse {
        self.credential(caller, endpoint, "regenerateKeys", json!({"keyType": slot}).to_string().as_bytes())
    }
}

fn bearer(s: &str) -> String {
    format!("Bearer {s}")
}

#[test]
fn aad_token_scoring_is_decided_by_the_engine_at_the_endpoint() {
    let f = fixture("aad");
    let out = f.score_aad(Some(&entra("scorer", ML_AUD)));
    assert_eq!((out.verdict, out.reason, out.principal.as_deref()), (Verdict::Allowed, "granted", Some("scorer")));
    assert_eq!(
        out.action.as_deref(),
        Some("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action")
    );
    assert_eq!((out.scope, out.endpoint.as_deref(), out.generation), (Some(id("e-aad")), Some("e-aad"), 1));
    // Inherited from the subscription.
    assert_eq!(f.score_aad(Some(&entra("subscorer", ML_AUD))).verdict, Verdict::Allowed);
    // The control-plane role manages keys but does not score.
    let out = f.score_aad(Some(&entra("operator", ML_AUD)));
    assert_eq!((out.verdict, out.reason, out.verdict.status()), (Verdict::Forbidden, "no_grant", 403));
    assert_eq!(f.score_aad(Some(&entra("nobody", ML_AUD))).verdict, Verdict::Forbidden);
    // A deny assignment on carol's group stops her, though she holds the scoring role.
    let out = f.score_aad(Some(&entra("carol", ML_AUD)));
    assert_eq!((out.verdict, out.reason), (Verdict::Forbidden, "deny_assignment"));
    // The data plane's audience only: an ARM token is refused.
    let out = f.score_aad(Some(&entra("scorer", ARM_AUD)));
    assert_eq!((out.verdict, out.reason, out.verdict.status()), (Verdict::Unauthenticated, "audience", 401));
    assert_eq!(f.score_aad(None).reason, "missing");
}

#[test]
fn the_scoring_role_also_fetches_keys_and_tokens_and_regenerates_keys() {
    let f = fixture("overbreadth");
    // `onlineEndpoints/*/action` reaches all three secret operations: the over-breadth role-lint warns about.
    for caller in ["scorer", "operator", "subscorer"] {
        let (primary, _) = f.list_keys(caller, "e-key");
        assert_eq!(f.score_key(Some(&bearer(&primary))).verdict, Verdict::Allowed, "{caller}");
        let token = f.token(caller, "e-aml");
        let out = f.score_aml("e-aml", Some(&bearer(token["accessToken"].as_str().unwrap())));
        assert_eq!((out.verdict, out.reason, out.principal.as_deref()), (Verdict::Allowed, "aml_token", Some(caller)));
        let r = f.regenerate(caller, "e-key", "Secondary");
        assert_eq!((r.outcome.verdict, r.outcome.reason), (Verdict::Allowed, "granted"), "{caller}");
        assert!(matches!(r.reply, Some(CredentialReply::Regenerated)));
    }
    for verb in ["listKeys", "token", "regenerateKeys"] {
        let endpoint = if verb == "token" { "e-aml" } else { "e-key" };
        let body = json!({"keyType": "Primary"}).to_string();
        let r = f.credential("nobody", endpoint, verb, body.as_bytes());
        assert_eq!((r.outcome.verdict, r.outcome.reason, r.reply.is_none()), (Verdict::Forbidden, "no_grant", true));
        // carol's deny is on scoring only.
        assert_eq!(f.credential("carol", endpoint, verb, body.as_bytes()).outcome.verdict, Verdict::Allowed, "{verb}");
    }
}

#[test]
fn credential_routes_authorize_before_they_look_up_and_check_the_mode() {
    let f = fixture("routes");
    // Nobody learns which endpoints exist without the permission; with it, an unknown one is 404.
    let r = f.credential("nobody", "e-none", "listKeys", b"");
    assert_eq!(r.outcome.verdict, Verdict::Forbidden);
    let r = f.credential("operator", "e-none", "listKeys", b"");
    assert_eq!((r.outcome.verdict.status(), r.outcome.reason), (404, "unknown_endpoint"));
    // Keys of an aml_token endpoint, or a token of a key endpoint: 400.
    assert_eq!(f.credential("operator", "e-aml", "listKeys", b"").outcome.reason, "auth_mode");
    assert_eq!(f.credential("operator", "e-key", "token", b"").outcome.reason, "auth_mode");
    assert_eq!(f.credential("operator", "e-aad", "regenerateKeys", b"").outcome.verdict, Verdict::BadRequest);
    for body in [&b""[..], b"{}", br#"{"keyType": "Tertiary"}"#, br#"{"keyType": "Primary", "keyValue": "mine"}"#] {
        let r = f.regenerate_raw("operator", body);
        assert_eq!((r.outcome.verdict, r.outcome.reason), (Verdict::BadRequest, "body"));
    }
    // An ARM request that is not a credential route is not answered here; nor a GET of one.
    let auth = entra("operator", ARM_AUD);
    let headers = [("Authorization", auth.as_str())];
    assert!(f.endpoints.credentials(&HttpRequest::new("GET", &id("e-key")).headers(&headers), b"").is_none());
    let path = format!("{}/listKeys", id("e-key"));
    assert!(f.endpoints.credentials(&HttpRequest::new("GET", &path).headers(&headers), b"").is_none());
    // Credential routes take ARM tokens: a data-plane token or an aml_token is refused.
    let ml = entra("operator", ML_AUD);
    let r = f.endpoints.credentials(&HttpRequest::new("POST", &path).headers(&[("Authorization", &ml)]), b"").unwrap();
    assert_eq!((r.outcome.verdict, r.outcome.reason), (Verdict::Unauthenticated, "audience"));
    let aml = bearer(f.token("operator", "e-aml")["accessToken"].as_str().unwrap());
    let r = f.endpoints.credentials(&HttpRequest::new("POST", &path).headers(&[("Authorization", &aml)]), b"").unwrap();
    assert_eq!((r.outcome.verdict, r.outcome.reason), (Verdict::Unauthenticated, "algorithm"));
}

impl Fixture {
    fn regenerate_raw(&self, caller: &str, body: &[u8]) -> CredentialResponse {
        self.credential(caller, "e-key", "regenerateKeys", body)
    }
}

#[test]
fn scoring_requests_are_recognised_by_host_or_prefix_and_only_post_score_is_served() {
    let f = fixture("recognise");
    let (primary, _) = f.list_keys("operator", "e-key");
    let auth = bearer(&primary);
    let req = |method, path, host| {
        let headers = [("host", host), ("authorization", auth.as_str())];
        f.endpoints.score(&HttpRequest::new(method, path).headers(&headers))
    };
    let host = "E-KEY.westus.inference.ml.azure.com";
    assert_eq!(req("POST", "/score?verbose=1", host).unwrap().verdict, Verdict::Allowed);
    assert_eq!(req("POST", "/score/v2/predict", host).unwrap().verdict, Verdict::Allowed);
    for (method, path, reason) in [
        ("GET", "/score", "method"),
        ("POST", "/", "not_scoring_path"),
        ("POST", "/scores", "not_scoring_path"),
        ("POST", "/score/../admin", "not_scoring_path"),
        ("POST", "/score/%2e%2e/admin", "not_scoring_path"),
        ("POST", "/score//x", "not_scoring_path"),
    ] {
        let out = req(method, path, host).unwrap();
        assert_eq!((out.verdict, out.reason), (Verdict::BadRequest, reason), "{method} {path}");
    }
    // Another host or a path under no prefix is not an endpoint's: the caller routes it elsewhere.
    assert!(req("POST", "/score", "other.example").is_none());
    assert!(req("POST", "/endpoints/e-amlx/score", "other.example").is_none());
    // The deployment header is logged, never a scope; a malformed one is refused.
    let headers = [("host", host), ("authorization", auth.as_str()), ("azureml-model-deployment", "blue")];
    let out = f.endpoints.score(&HttpRequest::new("POST", "/score").headers(&headers)).unwrap();
    assert_eq!((out.deployment.as_deref(), out.scope), (Some("blue"), Some(id("e-key"))));
    let headers = [("host", host), ("authorization", auth.as_str()), ("azureml-model-deployment", "../x")];
    let out = f.endpoints.score(&HttpRequest::new("POST", "/score").headers(&headers)).unwrap();
    assert_eq!((out.verdict, out.reason), (Verdict::BadRequest, "deployment_header"));
}

#[test]
fn key_mode_accepts_either_key_and_nothing_else() {
    let f = fixture("key");
    let (primary, secondary) = f.list_keys("operator", "e-key");
    assert_ne!(primary, secondary);
    for key in [&primary, &secondary] {
        let out = f.score_key(Some(&bearer(key)));
        assert_eq!((out.verdict, out.reason, out.principal), (Verdict::Allowed, "key", None));
    }
    let wrong = format!("{}x", &primary[..primary.len() - 1]);
    assert_eq!(f.score_key(Some(&bearer(&wrong))).reason, "bad_key");
    assert_eq!(f.score_key(Some(&primary)).reason, "missing", "no `Bearer` scheme");
    let out = f.score_key(None);
    assert_eq!((out.verdict.status(), out.reason, out.verdict.challenge()), (401, "missing", Some("Bearer")));
    assert_eq!(f.score_key(Some(&bearer(&primary))).verdict.challenge(), None);
    // Keys are per endpoint: e-aml's key (it has keys in the file too) is not e-key's.
    let other = read_secrets(&f.dir.join("secrets.json")).unwrap().endpoints["e-aml"].primary_key.expose().to_owned();
    assert_eq!(f.score_key(Some(&bearer(&other))).reason, "bad_key");
}

#[test]
fn every_wrong_kind_of_credential_is_refused_in_every_direction() {
    let f = fixture("confusion");
    let (key, _) = f.list_keys("operator", "e-key");
    let aml = f.token("operator", "e-aml")["accessToken"].as_str().unwrap().to_owned();
    let entra_ml = entra("scorer", ML_AUD);
    // A token at a key endpoint.
    assert_eq!(f.score_key(Some(&bearer(&aml))).reason, "wrong_credential");
    assert_eq!(f.score_key(Some(&entra_ml)).reason, "wrong_credential");
    // A key or an Entra token at an aml_token endpoint.
    assert_eq!(f.score_aml("e-aml", Some(&bearer(&key))).reason, "wrong_credential");
    assert_eq!(f.score_aml("e-aml", Some(&entra_ml)).reason, "wrong_credential");
    // A key or an aml_token at an aad_token endpoint.
    assert_eq!(f.score_aad(Some(&bearer(&key))).reason, "wrong_credential");
    assert_eq!(f.score_aad(Some(&bearer(&aml))).reason, "wrong_credential");
    for out in
        [f.score_key(Some(&bearer(&aml))), f.score_aml("e-aml", Some(&bearer(&key))), f.score_aad(Some(&bearer(&aml)))]
    {
        assert_eq!(out.verdict.status(), 401);
    }
    // Even past the early check, the Entra validator never takes an HMAC token...
    let v = validator(ML_AUD);
    assert_eq!(v.validate(&aml).unwrap_err().reason(), "algorithm");
    // ... and an aml_token check never takes an RS256 one, whatever its claims.
    let loaded = read_secrets(&f.dir.join("secrets.json")).unwrap();
    let forged = with(|c| {
        c.insert("iss".into(), json!("rolegate-aml"));
        c.insert("aud".into(), json!(id("e-aml")));
        c.insert("sub".into(), json!("x"));
    });
    let rs = sign(&keys()[0], &loaded.token_signing_keys[0].kid, &forged);
    let err = aml_token::verify(&AmlTokenConfig::default(), &loaded.token_signing_keys, &id("e-aml"), &rs, T0);
    assert_eq!(err.unwrap_err().reason(), "wrong_credential");
}

#[test]
fn aml_tokens_are_bound_to_their_endpoint_key_issuer_and_time() {
    let f = fixture("aml");
    let issued = f.token("scorer", "e-aml");
    let token = issued["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(issued["tokenType"], "Bearer");
    let (exp, refresh) = (issued["expiryTimeUtc"].as_u64().unwrap(), issued["refreshAfterTimeUtc"].as_u64().unwrap());
    assert_eq!(exp, T0 + 3600, "integer Unix seconds, one hour by default");
    assert!(refresh <= exp - SDK_REFRESH_MARGIN.as_secs() && refresh > T0, "{refresh}");
    // Bound to e-aml: refused at e-aml2, an aml_token endpoint too.
    assert_eq!(f.score_aml("e-aml2", Some(&bearer(&token))).reason, "other_endpoint");
    // Valid until its `exp` (and the skew), so a late refresher keeps working; then expired.
    let skew = AmlTokenConfig::default().skew.as_secs();
    for (at, reason) in [(exp, "aml_token"), (exp + skew, "aml_token"), (exp + skew + 1, "expired")] {
        f.clock.store(at, Ordering::SeqCst);
        assert_eq!(f.score_aml("e-aml", Some(&bearer(&token))).reason, reason, "at exp + {}", at - exp);
    }
    f.clock.store(T0 - skew - 1, Ordering::SeqCst);
    assert_eq!(f.score_aml("e-aml", Some(&bearer(&token))).reason, "not_yet_valid");
    f.clock.store(T0, Ordering::SeqCst);
    // The same claims under another secret, another kid or another issuer are refused.
    let loaded = read_secrets(&f.dir.join("secrets.json")).unwrap();
    let real = &loaded.token_signing_keys[0];
    let config = AmlTokenConfig::default();
    let forge = |key: &SigningKey, config: &AmlTokenConfig| {
        let t = aml_token::issue(config, key, &id("e-aml"), "mallory", T0).unwrap();
        f.score_aml("e-aml", Some(&bearer(t.access_token.expose()))).reason
    };
    let other_secret = SigningKey { kid: real.kid.clone(), key: Secret::random().unwrap() };
    assert_eq!(forge(&other_secret, &config), "signature");
    let other_kid = SigningKey { kid: "aml-other".into(), key: real.key.clone() };
    assert_eq!(forge(&other_kid, &config), "unknown_key");
    assert_eq!(forge(real, &config.clone().issuer("someone-else")), "issuer");
    assert_eq!(forge(real, &config), "aml_token");
    let out = f.score_aml("e-aml", Some("Bearer a.b.c"));
    assert_eq!((out.verdict, out.reason), (Verdict::Unauthenticated, "malformed"));
    // Remembered once verified, and still bound to its endpoint and its time.
    assert_eq!(f.score_aml("e-aml2", Some(&bearer(&token))).reason, "other_endpoint");
    f.clock.store(exp + skew + 1, Ordering::SeqCst);
    assert_eq!(f.score_aml("e-aml", Some(&bearer(&token))).reason, "expired");
}

#[test]
fn token_lifetimes_below_the_sdk_margins_are_refused() {
    let config = AmlTokenConfig::default();
    assert_eq!(config.min_lifetime().as_secs(), 95 + 30 + config.skew.as_secs());
    assert!(config.clone().lifetime(config.min_lifetime()).check().is_ok());
    let short = config.clone().lifetime(config.min_lifetime() - std::time::Duration::from_secs(1));
    assert!(short.check().unwrap_err().contains("minimum"));
    assert!(config.clone().issuer(format!("https://login.microsoftonline.com/{TENANT}/v2.0")).check().is_err());
}

#[test]
fn a_client_refreshing_by_the_sdk_rule_never_presents_an_expired_token_over_a_day() {
    let f = fixture("sdk-day");
    let now = |f: &Fixture| f.clock.load(Ordering::SeqCst);
    let mut token = f.token("scorer", "e-aml");
    let (mut refreshes, mut failures, mut requests) = (0, 0, 0);
    let end = T0 + 86_400;
    // The client refreshes at `refreshAfterTimeUtc`, from a thread that wakes every 30 s as the SDK's does;
    // every third refresh fails twice first (the retries).
    let mut attempts = 0;
    while now(&f) < end {
        let t = now(&f);
        let (exp, refresh_after) =
            (token["expiryTimeUtc"].as_u64().unwrap(), token["refreshAfterTimeUtc"].as_u64().unwrap());
        assert!(refresh_after + SDK_REFRESH_MARGIN.as_secs() <= exp);
        if t % SDK_RETRY_INTERVAL.as_secs() == 0 && t >= refresh_after {
            attempts += 1;
            if refreshes % 3 == 2 && attempts <= 2 {
                failures += 1;
            } else {
                token = f.token("scorer", "e-aml");
                refreshes += 1;
                attempts = 0;
            }
        }
        // A request every 7 s.
        if t % 7 == 0 {
            let exp = token["expiryTimeUtc"].as_u64().unwrap();
            assert!(t <= exp, "presented a token expired at {exp} at {t}");
            let out = f.score_aml("e-aml", Some(&bearer(token["accessToken"].as_str().unwrap())));
            assert_eq!(out.verdict, Verdict::Allowed, "at {t}: {}", out.reason);
            requests += 1;
        }
        f.clock.store(t + 1, Ordering::SeqCst);
    }
    assert!(refreshes >= 24 && failures >= 10 && requests > 12_000, "{refreshes} {failures} {requests}");
}

#[test]
fn a_regenerated_key_stops_working_at_once_and_the_other_keeps_working() {
    let f = fixture("regen");
    let (primary, secondary) = f.list_keys("operator", "e-key");
    let r = f.regenerate("operator", "e-key", "Primary");
    assert_eq!(r.outcome.verdict.status(), 200);
    assert_eq!(f.score_key(Some(&bearer(&primary))).reason, "bad_key");
    assert_eq!(f.score_key(Some(&bearer(&secondary))).verdict, Verdict::Allowed);
    let (new_primary, same_secondary) = f.list_keys("operator", "e-key");
    assert_ne!(new_primary, primary);
    assert_eq!(same_secondary, secondary);
    assert_eq!(f.score_key(Some(&bearer(&new_primary))).verdict, Verdict::Allowed);
    // On disk, owner-only, with nothing left beside it.
    let path = f.dir.join("secrets.json");
    let on_disk = read_secrets(&path).unwrap();
    assert_eq!(on_disk.endpoints["e-key"].primary_key.expose(), new_primary);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(&f.dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn concurrent_regenerations_leave_one_valid_key_per_slot() {
    let f = fixture("regen-race");
    let (p0, s0) = f.list_keys("operator", "e-key");
    let seen = std::sync::Mutex::new(vec![p0.clone(), s0.clone()]);
    std::thread::scope(|s| {
        for i in 0..6 {
            let (f, seen) = (&f, &seen);
            s.spawn(move || {
                for j in 0..5 {
                    let slot = if (i + j) % 2 == 0 { "Primary" } else { "Secondary" };
                    assert_eq!(f.regenerate("operator", "e-key", slot).outcome.verdict, Verdict::Allowed);
                    let (p, s) = f.list_keys("operator", "e-key");
                    seen.lock().unwrap().extend([p, s]);
                }
            });
        }
    });
    let (p, s) = f.list_keys("operator", "e-key");
    let on_disk = read_secrets(&f.dir.join("secrets.json")).unwrap();
    assert_eq!(
        (on_disk.endpoints["e-key"].primary_key.expose(), on_disk.endpoints["e-key"].secondary_key.expose()),
        (p.as_str(), s.as_str())
    );
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    seen.dedup();
    // Interleaved listings miss some of the 30 keys made, but see many.
    assert!(seen.len() > 10, "{}", seen.len());
    let valid: Vec<_> = seen.iter().filter(|k| f.score_key(Some(&bearer(k))).verdict == Verdict::Allowed).collect();
    assert_eq!(valid.len(), 2, "exactly the file's two keys work");
    assert!(valid.contains(&&p) && valid.contains(&&s));
    assert!(!valid.contains(&&p0) && !valid.contains(&&s0));
}

#[test]
fn a_secrets_file_that_is_missing_open_to_others_or_a_link_is_a_startup_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("startup");
    let good = dir.join("secrets.json");
    create_secrets(&good, &Secrets::generate(["e-key"]).unwrap()).unwrap();
    assert!(matches!(create_secrets(&good, &Secrets::generate(["e-key"]).unwrap()), Err(SecretsError::Exists(_))));
    assert!(SecretStore::open(&good).is_ok());
    assert!(matches!(SecretStore::open(dir.join("none.json")), Err(SecretsError::Missing(_))));
    // Unreadable: a path through a file.
    assert!(matches!(SecretStore::open(good.join("x")), Err(SecretsError::Io { .. })));
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    assert!(matches!(SecretStore::open(&link), Err(SecretsError::Link(_))));
    assert!(matches!(SecretStore::open(&dir), Err(SecretsError::NotRegular(_))));
    for mode in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(mode)).unwrap();
        let err = SecretStore::open(&good).unwrap_err();
        assert!(matches!(err, SecretsError::Permissions { .. }), "{mode:o}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Another user's file: as root, one made so; otherwise a file root owns.
    let foreign = dir.join("foreign.json");
    create_secrets(&foreign, &Secrets::generate(["e-key"]).unwrap()).unwrap();
    let foreign = match std::os::unix::fs::chown(&foreign, Some(4242), None) {
        Ok(()) => foreign,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => PathBuf::from("/etc/passwd"),
        Err(e) => panic!("{e}"),
    };
    let err = SecretStore::open(&foreign).unwrap_err();
    assert!(matches!(err, SecretsError::Owner { .. }), "{err}");
    // Endpoints that the file cannot serve refuse to start, never serve open.
    let gateway = || Arc::new(Gateway::new(Engine::new(Default::default()), Identify::Token(validator(ARM_AUD))));
    let config = || EndpointsConfig::new(Identify::Token(validator(ML_AUD)));
    let table = |name: &str, mode| {
        EndpointTable::new(vec![EndpointConfig::with_path_prefix(name, &id(name), mode, "/e")]).unwrap()
    };
    let open = || SecretStore::open(&good).unwrap();
    let err = Endpoints::new(gateway(), table("e-other", AuthMode::Key), open(), config()).unwrap_err();
    assert!(err.to_string().contains("without keys"), "{err}");
    let no_signing = dir.join("no-signing.json");
    let mut s = Secrets::generate(["e-key"]).unwrap();
    s.token_signing_keys.clear();
    create_secrets(&no_signing, &s).unwrap();
    let err = Endpoints::new(
        gateway(),
        table("e-aml", AuthMode::AmlToken),
        SecretStore::open(&no_signing).unwrap(),
        config(),
    );
    assert!(err.unwrap_err().to_string().contains("no token signing key"));
    let short = config().tokens(AmlTokenConfig::default().lifetime(std::time::Duration::from_secs(60)));
    assert!(matches!(
        Endpoints::new(gateway(), table("e-key", AuthMode::Key), open(), short),
        Err(EndpointError::Tokens(_))
    ));
}

#[test]
fn the_endpoint_table_refuses_what_it_cannot_route_exactly() {
    let ok = |name: &str| EndpointConfig::with_path_prefix(name, &id(name), AuthMode::Key, &format!("/x/{name}"));
    assert!(EndpointTable::new(vec![ok("e-one"), ok("e-two")]).is_ok());
    let bad = [
        EndpointConfig::with_host("e-one", &id("e-two"), AuthMode::Key, "h"),
        EndpointConfig::with_host("e-one", &format!("{WS}/batchEndpoints/e-one"), AuthMode::Key, "h"),
        EndpointConfig::with_host("e-one", "/subscriptions/s1/resourceGroups/rg%2F../x/e-one", AuthMode::Key, "h"),
        EndpointConfig::with_host("e-one", &id("e-one"), AuthMode::Key, "https://h"),
        EndpointConfig::with_host("e-one", &id("e-one"), AuthMode::Key, "h:443"),
        EndpointConfig::with_path_prefix("e-one", &id("e-one"), AuthMode::Key, "/x/"),
        EndpointConfig::with_path_prefix("e-one", &id("e-one"), AuthMode::Key, "x"),
        EndpointConfig::with_path_prefix("e-one", &id("e-one"), AuthMode::Key, "/x/../y"),
        EndpointConfig::with_path_prefix("1e", &id("1e"), AuthMode::Key, "/y"),
    ];
    for config in bad {
        let shown = format!("{config:?}");
        assert!(EndpointTable::new(vec![config]).is_err(), "{shown}");
    }
    // Clashes: the same name, host, or a prefix inside another.
    let prefix = |name: &str, p: &str| EndpointConfig::with_path_prefix(name, &id(name), AuthMode::Key, p);
    assert!(EndpointTable::new(vec![prefix("e-one", "/a"), prefix("e-two", "/a/b")]).is_err());
    assert!(EndpointTable::new(vec![prefix("e-one", "/a"), prefix("e-two", "/ab")]).is_ok());
    let host = |name: &str, h: &str| EndpointConfig::with_host(name, &id(name), AuthMode::Key, h);
    assert!(EndpointTable::new(vec![host("e-one", "h.example"), host("e-two", "H.example")]).is_err());
    assert!(EndpointTable::new(vec![host("e-one", "h.example"), prefix("E-ONE", "/z")]).is_err());
    // Azure's YAML spellings and the REST ones.
    for (text, mode) in [("key", AuthMode::Key), ("aml_token", AuthMode::AmlToken), ("AADToken", AuthMode::AadToken)] {
        assert_eq!(serde_json::from_value::<AuthMode>(json!(text)).unwrap(), mode);
    }
}

#[test]
fn no_secret_reaches_debug_output_outcomes_or_errors() {
    let f = fixture("redaction");
    let (primary, secondary) = f.list_keys("operator", "e-key");
    let token = f.token("operator", "e-aml")["accessToken"].as_str().unwrap().to_owned();
    let secrets = read_secrets(&f.dir.join("secrets.json")).unwrap();
    let signing = secrets.token_signing_keys[0].key.expose().to_owned();
    let needles = [primary.as_str(), secondary.as_str(), token.as_str(), signing.as_str()];
    let mut shown = vec![
        format!("{:?}", f.endpoints),
        format!("{:?}", f.endpoints.secrets()),
        format!("{secrets:?}"),
        format!("{:?}", secrets.endpoints["e-key"]),
        format!("{:?}", secrets.token_signing_keys[0]),
        format!("{:?}", f.endpoints.secrets().keys("e-key").unwrap()),
        format!("{:?}", f.credential("operator", "e-key", "listKeys", b"")),
        format!("{:?}", f.credential("operator", "e-aml", "token", b"")),
        format!("{:?}", f.credential("operator", "e-key", "listKeys", b"").reply),
        format!("{:?}", f.score_key(Some(&bearer(&primary)))),
        format!("{:?}", f.score_aml("e-aml", Some(&bearer(&token)))),
        format!("{:?}", f.score_aml("e-aml2", Some(&bearer(&token)))),
        format!("{:?}", f.score_key(Some(&bearer(&token)))),
    ];
    let issued =
        aml_token::issue(&AmlTokenConfig::default(), &secrets.token_signing_keys[0], &id("e-aml"), "x", T0).unwrap();
    shown.push(format!("{issued:?}"));
    // A secrets file with keys in the wrong places: the errors name the place, never the value.
    for bad in [
        json!({"version": 1, "endpoints": {"e-key": {"primaryKey": primary, "secondaryKey": 5}}}),
        json!({"version": 1, "endpoints": {"e-key": {"primaryKey": primary, "secondaryKey": secondary, "x": primary}}}),
        json!({"version": 1, "endpoints": {"e-key": {"primaryKey": [primary], "secondaryKey": secondary}}}),
        json!({"version": 1, "tokenSigningKeys": [{"kid": "k", "key": format!("{signing}!")}]}),
        json!({"version": 1, "tokenSigningKeys": [{"kid": signing, "key": 1}]}),
        json!({"version": 2, "endpoints": {"e-key": {"primaryKey": primary, "secondaryKey": secondary}}}),
        json!({"version": 1, "endpoints": {"e-key": {"primaryKey": &primary[..20], "secondaryKey": secondary}}}),
    ] {
        let err = Secrets::parse(bad.to_string().as_bytes()).unwrap_err();
        shown.push(format!("{err} {err:?}"));
    }
    let truncated = serde_json::to_string(&secrets).unwrap();
    let err = Secrets::parse(&truncated.as_bytes()[..truncated.len() / 2]).unwrap_err();
    shown.push(format!("{err} {err:?}"));
    for text in &shown {
        for needle in needles {
            assert!(!text.contains(needle), "a secret in: {text}");
        }
    }
}
