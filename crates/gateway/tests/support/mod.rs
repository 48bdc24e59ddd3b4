//! Shared by the gateway's tests: generated RSA keys, key sets and signed tokens.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rolegate_gateway::identity::{KeySet, TokenConfig, Validator};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{Value, json};

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const AUD: &str = "https://management.azure.com";
pub const OID: &str = "5d4f2e8a-0000-4000-8000-00000000abcd";

/// A generated RSA key: its signing key and its public key in every encoding an attacker might try as an HMAC
/// secret.
pub struct Key {
    pub private: rsa::PrivateKey,
    pub encoding: EncodingKey,
}

pub fn keys() -> &'static [Key; 2] {
    static KEYS: OnceLock<[Key; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let make = || {
            use rsa::Generate;
            let private = rsa::PrivateKey::generate();
            let der = private.to_pkcs1_der().unwrap();
            Key { encoding: EncodingKey::from_rsa_der(der.as_bytes()), private }
        };
        [make(), make()]
    })
}

pub fn jwk(key: &Key, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&key.encoding, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

pub fn jwks(entries: &[(&Key, &str)]) -> Vec<u8> {
    serde_json::to_vec(&JwkSet { keys: entries.iter().map(|(k, kid)| jwk(k, kid)).collect() }).unwrap()
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

pub fn claims() -> Value {
    json!({
        "aud": AUD, "iss": format!("https://sts.windows.net/{TENANT}/"), "tid": TENANT, "oid": OID,
        "exp": now() + 3600, "nbf": now() - 60, "iat": now() - 60, "appid": "app-1",
        "groups": ["g-1", "g-2"],
    })
}

pub fn sign(key: &Key, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &key.encoding).unwrap()
}

pub fn validator() -> Validator {
    let keys = KeySet::from_jwks(&jwks(&[(&keys()[0], "k1")])).unwrap();
    Validator::new(TokenConfig::new(TENANT, [AUD]), keys).unwrap()
}

pub fn with(edit: impl Fn(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims();
    edit(c.as_object_mut().unwrap());
    c
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
