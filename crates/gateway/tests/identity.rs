//! Token validation: every way a bearer token can be wrong gives its own outcome, and none gives an identity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rolegate_gateway::identity::{FileKeySource, KeySet, KeySource, TokenConfig, TokenError, Validator};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use support::{AUD, OID, TENANT, b64, claims, jwk, jwks, keys, now, sign, validator, with};

#[test]
fn a_valid_token_names_the_principal_and_groups() {
    let v = validator();
    let id = v.validate(&sign(&keys()[0], "k1", &claims())).unwrap();
    assert_eq!(id.principal, OID);
    assert_eq!(id.groups, ["g-1", "g-2"]);
    assert_eq!(id.app_id.as_deref(), Some("app-1"));
    assert!(!id.groups_overage);
    // v2 issuer, `azp` for the client.
    let v2 = with(|c| {
        c.insert("iss".into(), json!(format!("https://login.microsoftonline.com/{TENANT}/v2.0")));
        c.remove("appid");
        c.insert("azp".into(), json!("app-2"));
    });
    assert_eq!(v.validate(&sign(&keys()[0], "k1", &v2)).unwrap().app_id.as_deref(), Some("app-2"));
    let header = format!("Bearer {}", sign(&keys()[0], "k1", &claims()));
    assert_eq!(v.validate_header(Some(&header)).unwrap().principal, OID);
    assert_eq!(v.validate_header(None), Err(TokenError::Missing));
    assert_eq!(v.validate_header(Some("Basic dXNlcjpwYXNz")), Err(TokenError::Missing));
    assert_eq!(v.validate_header(Some("Bearer ")), Err(TokenError::Missing));
}

#[test]
fn every_failed_check_has_its_own_outcome() {
    let v = validator();
    let k = &keys()[0];
    let cases: Vec<(&str, Value, TokenError)> = vec![
        (
            "expired",
            with(|c| {
                c.insert("exp".into(), json!(now() - 1000));
            }),
            TokenError::Expired,
        ),
        (
            "not yet valid",
            with(|c| {
                c.insert("nbf".into(), json!(now() + 1000));
            }),
            TokenError::NotYetValid,
        ),
        (
            "audience",
            with(|c| {
                c.insert("aud".into(), json!("https://graph.microsoft.com"));
            }),
            TokenError::Audience,
        ),
        (
            "issuer",
            with(|c| {
                c.insert("iss".into(), json!("https://sts.windows.net/other/"));
            }),
            TokenError::Issuer,
        ),
        (
            "tenant",
            with(|c| {
                c.insert("tid".into(), json!("11111111-1111-1111-1111-111111111111"));
            }),
            TokenError::Tenant,
        ),
        (
            "no oid",
            with(|c| {
                c.remove("oid");
            }),
            TokenError::MissingClaim("oid"),
        ),
        (
            "no tid",
            with(|c| {
                c.remove("tid");
            }),
            TokenError::MissingClaim("tid"),
        ),
        (
            "no exp",
            with(|c| {
                c.remove("exp");
            }),
            TokenError::MissingClaim("exp"),
        ),
        (
            "no aud",
            with(|c| {
                c.remove("aud");
            }),
            TokenError::MissingClaim("aud"),
        ),
    ];
    for (name, claims, expected) in cases {
        assert_eq!(v.validate(&sign(k, "k1", &claims)), Err(expected), "{name}");
    }
    // Within the default 300 s of skew.
    let skewed = with(|c| {
        c.insert("exp".into(), json!(now() - 100));
        c.insert("nbf".into(), json!(now() + 100));
    });
    assert!(v.validate(&sign(k, "k1", &skewed)).is_ok());
    let strict = Validator::new(
        TokenConfig::new(TENANT, [AUD]).skew(Duration::ZERO),
        KeySet::from_jwks(&jwks(&[(k, "k1")])).unwrap(),
    )
    .unwrap();
    assert_eq!(strict.validate(&sign(k, "k1", &skewed)), Err(TokenError::Expired));
}

#[test]
fn none_and_hmac_keyed_with_the_public_key_are_refused() {
    let v = validator();
    let payload = b64(claims().to_string().as_bytes());
    let none = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#));
    assert_eq!(v.validate(&none), Err(TokenError::Algorithm));
    let none = format!("{}.{payload}.", b64(br#"{"alg":"None","kid":"k1"}"#));
    assert_eq!(v.validate(&none), Err(TokenError::Algorithm));
    // The classic confusion attack: HS256 with the RSA public key as the HMAC secret, in every encoding.
    let public = keys()[0].private.to_public_key();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("pkcs8 pem", public.to_public_key_pem(LineEnding::LF).unwrap().into_bytes()),
        ("pkcs1 pem", public.to_pkcs1_pem(LineEnding::LF).unwrap().into_bytes()),
        ("pkcs1 der", public.to_pkcs1_der().unwrap().as_bytes().to_vec()),
        ("pkcs8 der", public.to_public_key_der().unwrap().as_bytes().to_vec()),
        ("jwk", serde_json::to_vec(&jwk(&keys()[0], "k1")).unwrap()),
    ];
    for (name, secret) in secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut header = Header::new(alg);
            header.kid = Some("k1".into());
            let token = encode(&header, &claims(), &EncodingKey::from_secret(&secret).unwrap()).unwrap();
            assert_eq!(v.validate(&token), Err(TokenError::Algorithm), "{name} {alg:?}");
        }
    }
    // HMAC cannot even be configured.
    let keys = KeySet::from_jwks(&jwks(&[(&keys()[0], "k1")])).unwrap();
    let hs = TokenConfig::new(TENANT, [AUD]).algorithms([Algorithm::RS256, Algorithm::HS256]);
    assert_eq!(Validator::new(hs, keys).err(), Some(TokenError::Config));
    // A symmetric key in the key set is never used.
    let oct = json!({"keys": [{"kty": "oct", "kid": "k1", "k": b64(b"secret")}]});
    assert!(KeySet::from_jwks(oct.to_string().as_bytes()).is_err());
}

#[test]
fn tampering_and_foreign_keys_fail_the_signature() {
    let v = validator();
    let token = sign(&keys()[0], "k1", &claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(with(|c| {
        c.insert("oid".into(), json!("someone-else"));
    })
    .to_string()
    .as_bytes());
    assert_eq!(v.validate(&parts.join(".")), Err(TokenError::Signature));
    // Signed by another key set's key under a known kid.
    assert_eq!(v.validate(&sign(&keys()[1], "k1", &claims())), Err(TokenError::Signature));
    assert_eq!(v.validate("not.a.token"), Err(TokenError::Malformed));
    assert_eq!(v.validate(""), Err(TokenError::Malformed));
}

/// A key source whose key set can be swapped, counting fetches.
struct Source {
    jwks: Mutex<Vec<u8>>,
    fetches: Arc<AtomicUsize>,
    fail: Mutex<bool>,
}

struct Shared(Arc<Source>);

impl KeySource for Shared {
    fn fetch(&self) -> Result<Vec<u8>, String> {
        let this = &self.0;
        this.fetches.fetch_add(1, Ordering::SeqCst);
        if *this.fail.lock().unwrap() {
            return Err("key endpoint unreachable".into());
        }
        Ok(this.jwks.lock().unwrap().clone())
    }
}

#[test]
fn an_unknown_kid_refreshes_once_and_a_failed_refresh_keeps_the_last_good_set() {
    let source = Arc::new(Source {
        jwks: Mutex::new(jwks(&[(&keys()[0], "k1")])),
        fetches: Arc::new(AtomicUsize::new(0)),
        fail: Mutex::new(false),
    });
    let config = TokenConfig::new(TENANT, [AUD]).min_refresh_interval(Duration::from_secs(3600));
    let v = Validator::with_source(config, Box::new(Shared(Arc::clone(&source)))).unwrap();
    assert_eq!(source.fetches.load(Ordering::SeqCst), 1);
    // The keys rotate: k2 appears at the source; a token signed with it triggers one refresh and verifies.
    *source.jwks.lock().unwrap() = jwks(&[(&keys()[0], "k1"), (&keys()[1], "k2")]);
    assert_eq!(v.validate(&sign(&keys()[1], "k2", &claims())).unwrap().principal, OID);
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
    // Made-up kids do not hammer the source: the next refresh waits for the interval.
    assert_eq!(v.validate(&sign(&keys()[1], "k3", &claims())), Err(TokenError::UnknownKey));
    assert_eq!(v.validate(&sign(&keys()[1], "k4", &claims())), Err(TokenError::UnknownKey));
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
    // A failed refresh keeps the last good set.
    *source.fail.lock().unwrap() = true;
    assert!(v.refresh().is_err());
    assert_eq!(v.validate(&sign(&keys()[0], "k1", &claims())).unwrap().principal, OID);
}

#[test]
fn a_key_set_change_empties_the_cache() {
    let v = validator();
    let token = sign(&keys()[0], "k1", &claims());
    assert!(v.validate(&token).is_ok());
    assert!(v.validate(&token).is_ok(), "cached");
    // k1 is revoked: the cached identity must not outlive its key.
    v.set_keys(KeySet::from_jwks(&jwks(&[(&keys()[1], "k2")])).unwrap());
    assert_eq!(v.validate(&token), Err(TokenError::UnknownKey));
}

#[test]
fn groups_overage_is_reported() {
    let v = validator();
    let overage = with(|c| {
        c.remove("groups");
        c.insert("_claim_names".into(), json!({"groups": "src1"}));
        c.insert(
            "_claim_sources".into(),
            json!({"src1": {"endpoint": "https://graph.windows.net/x/getMemberObjects"}}),
        );
    });
    let id = v.validate(&sign(&keys()[0], "k1", &overage)).unwrap();
    assert!(id.groups_overage);
    assert!(id.groups.is_empty());
    let implicit = with(|c| {
        c.insert("hasgroups".into(), json!(true));
    });
    assert!(v.validate(&sign(&keys()[0], "k1", &implicit)).unwrap().groups_overage);
}

#[test]
fn errors_never_carry_the_token() {
    let v = validator();
    let token = sign(&keys()[1], "k1", &claims());
    let e = v.validate(&token).unwrap_err();
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains(&token[..20]) && !shown.contains(OID), "{shown}");
    }
    assert_eq!(e.reason(), "signature");
}

#[test]
fn a_key_file_is_read_again_at_every_refresh_and_must_be_a_regular_file() {
    let dir = std::env::temp_dir().join(format!("rolegate-keyfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jwks.json");
    std::fs::write(&path, jwks(&[(&keys()[0], "k1")])).unwrap();
    let v = Validator::with_source(TokenConfig::new(TENANT, [AUD]), Box::new(FileKeySource::new(&path))).unwrap();
    assert!(v.validate(&sign(&keys()[0], "k1", &claims())).is_ok());
    // The file rotates to k2 only: a refresh drops k1.
    std::fs::write(&path, jwks(&[(&keys()[1], "k2")])).unwrap();
    v.refresh().unwrap();
    assert_eq!(v.validate(&sign(&keys()[0], "k1", &claims())), Err(TokenError::UnknownKey));
    assert!(v.validate(&sign(&keys()[1], "k2", &claims())).is_ok());
    // A directory where the file was: the refresh fails, the last good set stays.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = v.refresh().unwrap_err();
    assert!(err.contains("not a regular file"), "{err}");
    assert!(v.validate(&sign(&keys()[1], "k2", &claims())).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}
