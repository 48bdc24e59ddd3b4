//! `aml_token`s (semantics §3.4): short-lived bearer tokens rolegate issues for one endpoint and checks itself.
//!
//! A token is a JWT signed with HMAC-SHA256 under a key of the secrets file, named by its `kid`, with rolegate's
//! own issuer and the endpoint's resource id as its audience. It can never pass as an Entra token (the Entra
//! validator refuses every HMAC algorithm) nor an Entra token as one (only HS256 under a secrets-file `kid` and
//! this issuer verifies). Times are checked here against an injectable clock rather than by `jsonwebtoken`, so
//! that a simulated day can be tested.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secrets::{Secret, SecretsError, SigningKey};

/// The azureml SDK starts refreshing a token this long before it expires.
pub const SDK_REFRESH_MARGIN: Duration = Duration::from_secs(95);
/// The azureml SDK retries a failed refresh this often.
pub const SDK_RETRY_INTERVAL: Duration = Duration::from_secs(30);

/// How `aml_token`s are issued and checked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AmlTokenConfig {
    /// The `iss` of every token (never an Entra issuer).
    pub issuer: String,
    /// How long a token is valid: 1 h by default, at least [`AmlTokenConfig::min_lifetime`].
    pub lifetime: Duration,
    /// Clock skew allowed between rolegate instances and clients, on `exp` and `nbf`.
    pub skew: Duration,
}

impl Default for AmlTokenConfig {
    fn default() -> Self {
        AmlTokenConfig {
            issuer: "rolegate-aml".to_owned(),
            lifetime: Duration::from_secs(3600),
            skew: Duration::from_secs(60),
        }
    }
}

impl AmlTokenConfig {
    /// Sets the lifetime.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sets the skew.
    pub fn skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Sets the issuer.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The shortest lifetime allowed: the SDK's refresh margin, one retry interval and the skew, so that a
    /// client refreshing by the SDK's rule has a retry left before the token expires.
    pub fn min_lifetime(&self) -> Duration {
        SDK_REFRESH_MARGIN + SDK_RETRY_INTERVAL + self.skew
    }

    /// How long before expiry `refreshAfterTimeUtc` lies: the SDK's margin plus the skew.
    fn refresh_margin(&self) -> u64 {
        (SDK_REFRESH_MARGIN + self.skew).as_secs()
    }

    /// Refuses a lifetime under [`AmlTokenConfig::min_lifetime`] or an issuer that is empty or an Entra one.
    pub fn check(&self) -> Result<(), String> {
        if self.lifetime < self.min_lifetime() {
            return Err(format!(
                "aml_token lifetime {} s is under the minimum {} s (95 s refresh margin + 30 s retry + {} s skew)",
                self.lifetime.as_secs(),
                self.min_lifetime().as_secs(),
                self.skew.as_secs()
            ));
        }
        let entra = ["https://sts.windows.net/", "https://login.microsoftonline.com/"];
        if self.issuer.is_empty() || entra.iter().any(|p| self.issuer.starts_with(p)) {
            return Err(format!("aml_token issuer `{}` is empty or an Entra ID issuer", self.issuer));
        }
        Ok(())
    }
}

/// A token handed to a client, in Azure's shape (`POST …/onlineEndpoints/{name}/token`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IssuedToken {
    /// The token.
    pub access_token: Secret,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// When it expires, in Unix seconds.
    pub expiry_time_utc: u64,
    /// When a client should fetch the next one, in Unix seconds: at least 95 s before expiry.
    pub refresh_after_time_utc: u64,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// What a verified `aml_token` says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AmlClaims {
    /// The principal who fetched the token (for the log: any holder may score with it).
    pub subject: String,
    /// When it expires, in Unix seconds.
    pub expires_at: u64,
}

/// Why an `aml_token` was refused: the check that failed. Never holds the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmlTokenError {
    /// Not a JWT.
    #[error("the token is malformed")]
    Malformed,
    /// Not HS256 (an Entra token, or worse).
    #[error("the token is not an aml_token")]
    NotAmlToken,
    /// No signing key of the secrets file has its `kid`.
    #[error("the token's signing key is unknown")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    Signature,
    /// Another issuer.
    #[error("the token's issuer is not rolegate's")]
    Issuer,
    /// Issued for another endpoint.
    #[error("the token is for another endpoint")]
    OtherEndpoint,
    /// Past `exp` (beyond the skew).
    #[error("the token has expired")]
    Expired,
    /// Before `nbf` (beyond the skew).
    #[error("the token is not valid yet")]
    NotYetValid,
}

impl AmlTokenError {
    /// A short machine-readable name of the failed check.
    pub fn reason(self) -> &'static str {
        match self {
            AmlTokenError::Malformed => "malformed",
            AmlTokenError::NotAmlToken => "wrong_credential",
            AmlTokenError::UnknownKey => "unknown_key",
            AmlTokenError::Signature => "signature",
            AmlTokenError::Issuer => "issuer",
            AmlTokenError::OtherEndpoint => "other_endpoint",
            AmlTokenError::Expired => "expired",
            AmlTokenError::NotYetValid => "not_yet_valid",
        }
    }
}

/// Issues a token for `endpoint_id` to `subject` at `now` (Unix seconds), signed with `key`.
pub fn issue(
    config: &AmlTokenConfig,
    key: &SigningKey,
    endpoint_id: &str,
    subject: &str,
    now: u64,
) -> Result<IssuedToken, SecretsError> {
    let exp = now.saturating_add(config.lifetime.as_secs());
    let claims = Claims {
        iss: config.issuer.clone(),
        aud: endpoint_id.to_owned(),
        sub: subject.to_owned(),
        iat: now,
        nbf: now,
        exp,
    };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    let sign_error =
        |e: jsonwebtoken::errors::Error| SecretsError::Invalid(format!("cannot sign with `{}`: {e}", key.kid));
    let encoding = EncodingKey::from_secret(&key.bytes()?).map_err(sign_error)?;
    let token = encode(&header, &claims, &encoding).map_err(sign_error)?;
    Ok(IssuedToken {
        access_token: Secret::new(token),
        token_type: "Bearer",
        expiry_time_utc: exp,
        refresh_after_time_utc: exp.saturating_sub(config.refresh_margin()).max(now),
    })
}

/// Verifies `token` for `endpoint_id` at `now` (Unix seconds) against `keys` ([`Verifier::verify`]).
pub fn verify(
    config: &AmlTokenConfig,
    keys: &[SigningKey],
    endpoint_id: &str,
    token: &str,
    now: u64,
) -> Result<AmlClaims, AmlTokenError> {
    let verifier = Verifier::new(config.clone(), keys).map_err(|_| AmlTokenError::UnknownKey)?;
    verifier.verify(endpoint_id, token, now)
}

/// Checks `aml_token`s with decoding keys and validation rules prepared once. Verified tokens are remembered by
/// the SHA-256 of the whole token (bounded; the keys never change under a verifier), so a client's repeated
/// token costs a digest; times, issuer-bound audience and all are still checked on every use.
pub struct Verifier {
    config: AmlTokenConfig,
    validation: Validation,
    keys: Vec<(String, DecodingKey)>,
    cache: Mutex<HashMap<[u8; 32], Arc<Verified>>>,
}

/// The claims of a verified token that every use checks again.
struct Verified {
    audience: String,
    subject: String,
    not_before: u64,
    expires_at: u64,
}

/// How many verified tokens a verifier remembers.
const CACHE_CAPACITY: usize = 10_000;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(kid, _)| kid.as_str()).collect();
        f.debug_struct("Verifier").field("config", &self.config).field("kids", &kids).finish()
    }
}

impl Verifier {
    /// A verifier for tokens signed by any of `keys`.
    pub fn new(config: AmlTokenConfig, keys: &[SigningKey]) -> Result<Verifier, SecretsError> {
        let keys = keys
            .iter()
            .map(|k| {
                let key = DecodingKey::from_secret(&k.bytes()?)
                    .map_err(|e| SecretsError::Invalid(format!("signing key `{}`: {e}", k.kid)))?;
                Ok((k.kid.clone(), key))
            })
            .collect::<Result<_, SecretsError>>()?;
        let mut validation = Validation::new(Algorithm::HS256);
        // Times are checked in `verify` against its `now`; issuer and audience exactly, there too.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
        Ok(Verifier { config, validation, keys, cache: Mutex::new(HashMap::new()) })
    }

    /// Verifies `token` for `endpoint_id` at `now` (Unix seconds).
    pub fn verify(&self, endpoint_id: &str, token: &str, now: u64) -> Result<AmlClaims, AmlTokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // A poisoned lock is used as it is: the map only ever holds tokens whose signature verified.
        let hit = self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(&digest).cloned();
        let verified = match hit {
            Some(v) => v,
            None => {
                let v = Arc::new(self.decode(token)?);
                let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= CACHE_CAPACITY {
                    let skew = self.config.skew.as_secs();
                    cache.retain(|_, v| v.expires_at.saturating_add(skew) >= now);
                    if cache.len() >= CACHE_CAPACITY {
                        cache.clear();
                    }
                }
                cache.insert(digest, Arc::clone(&v));
                v
            }
        };
        if verified.audience != endpoint_id {
            return Err(AmlTokenError::OtherEndpoint);
        }
        let skew = self.config.skew.as_secs();
        if now > verified.expires_at.saturating_add(skew) {
            return Err(AmlTokenError::Expired);
        }
        if verified.not_before > now.saturating_add(skew) {
            return Err(AmlTokenError::NotYetValid);
        }
        Ok(AmlClaims { subject: verified.subject.clone(), expires_at: verified.expires_at })
    }

    /// Checks the signature and the issuer.
    fn decode(&self, token: &str) -> Result<Verified, AmlTokenError> {
        let header = decode_header(token).map_err(|_| AmlTokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(AmlTokenError::NotAmlToken);
        }
        let kid = header.kid.ok_or(AmlTokenError::UnknownKey)?;
        let (_, key) = self.keys.iter().find(|(k, _)| *k == kid).ok_or(AmlTokenError::UnknownKey)?;
        let data = decode::<Claims>(token, key, &self.validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => AmlTokenError::Signature,
            _ => AmlTokenError::Malformed,
        })?;
        let c = data.claims;
        if c.iss != self.config.issuer {
            return Err(AmlTokenError::Issuer);
        }
        Ok(Verified { audience: c.aud, subject: c.sub, not_before: c.nbf, expires_at: c.exp })
    }
}
