//! Who is asking: an Entra ID bearer token validated into a principal (`oid`) and its groups (`groups`).
//!
//! Signature (by `kid` from a JSON Web Key Set), algorithm (an allow-list, RS256 by default: `none` and every
//! HMAC algorithm are refused, so a token "signed" with the public key as an HMAC secret never verifies),
//! issuer (the tenant's v1 and v2 issuers), audience (an allow-list), `exp` and `nbf` with a skew, and `tid`
//! are all checked with the `jsonwebtoken` crate; nothing here inspects a token before its signature is checked.
//! Errors name the check that failed and never carry the token.
//!
//! Keys come from a [`KeySource`] (a file, or the tenant's OpenID metadata fetched by the server: this crate
//! does no network I/O). An unknown `kid` triggers one refresh, rate-limited; a failed refresh keeps the last
//! good set. Verified identities are cached under the SHA-256 of the whole token, bounded, until the token
//! expires, and the cache is emptied whenever the key set changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// What to do when a token says the user is in more groups than it lists (`_claim_names.groups` or
/// `hasgroups`): a deny assignment on a group the gateway cannot see could be missed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overage {
    /// Refuse the request (`groups_overage`): the default.
    #[default]
    FailClosed,
    /// Decide with the memberships of the tenant's `groups.json` alone.
    TenantGroups,
}

/// How tokens are validated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenConfig {
    /// The tenant's id (`tid`); issuers are derived from it.
    pub tenant_id: String,
    /// Accepted audiences (`aud`), e.g. `https://management.azure.com` or `https://ml.azure.com`.
    pub audiences: Vec<String>,
    /// Accepted signature algorithms; RSA and ECDSA only (HMAC and `none` are refused when configured).
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub skew: Duration,
    /// Groups overage.
    pub overage: Overage,
    /// The least time between two key refreshes caused by an unknown `kid`.
    pub min_refresh_interval: Duration,
    /// How many verified identities the cache holds.
    pub cache_capacity: usize,
}

impl TokenConfig {
    /// Defaults for a tenant and its accepted audiences: RS256, 300 s of skew, overage fails closed, at most one
    /// unknown-`kid` refresh a minute, 10,000 cached identities.
    pub fn new(tenant_id: impl Into<String>, audiences: impl IntoIterator<Item = impl Into<String>>) -> Self {
        TokenConfig {
            tenant_id: tenant_id.into(),
            audiences: audiences.into_iter().map(Into::into).collect(),
            algorithms: vec![Algorithm::RS256],
            skew: Duration::from_secs(300),
            overage: Overage::FailClosed,
            min_refresh_interval: Duration::from_secs(60),
            cache_capacity: 10_000,
        }
    }

    /// Sets the accepted algorithms.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Sets the clock skew.
    pub fn skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Sets the overage policy.
    pub fn overage(mut self, overage: Overage) -> Self {
        self.overage = overage;
        self
    }

    /// Sets the least time between two unknown-`kid` refreshes.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }
}

/// The verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// The principal: the token's `oid`.
    pub principal: String,
    /// The `groups` claim (object ids).
    pub groups: Vec<String>,
    /// Whether the token said the groups it lists are not all of them (`_claim_names.groups`, `hasgroups`).
    pub groups_overage: bool,
    /// The client application (`appid` in v1 tokens, `azp` in v2), for the log.
    pub app_id: Option<String>,
    /// When the token expires (seconds since the epoch).
    pub expires_at: u64,
}

impl Identity {
    /// An identity a trusted proxy vouched for (no token, no overage, no expiry of its own).
    pub(crate) fn trusted(principal: &str, groups: Vec<String>) -> Self {
        Identity { principal: principal.to_owned(), groups, groups_overage: false, app_id: None, expires_at: u64::MAX }
    }
}

/// Why a token was not accepted: the check that failed. Never holds the token or its claims' values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No `Authorization: Bearer` token.
    #[error("no bearer token")]
    Missing,
    /// Not a JWT (three base64url parts with a JSON header), or claims of the wrong type.
    #[error("the token is malformed")]
    Malformed,
    /// The header's algorithm is not allowed (`none`, HMAC, or not configured).
    #[error("the token's algorithm is not allowed")]
    Algorithm,
    /// The `kid` is in no key set, even after a refresh.
    #[error("the token's signing key is unknown")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    Signature,
    /// `exp` is past (beyond the skew).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the skew).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `aud` is not an accepted audience.
    #[error("the token's audience is not accepted")]
    Audience,
    /// `iss` is not the tenant's issuer.
    #[error("the token's issuer is not the tenant's")]
    Issuer,
    /// `tid` is not the tenant's id.
    #[error("the token is for another tenant")]
    Tenant,
    /// A required claim is missing (`oid`, `exp`, `aud`, `iss`, `tid`).
    #[error("the token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// The configuration allows an algorithm that must never be: HMAC (whose secret a public key would be).
    #[error("the token configuration allows an HMAC or unsupported algorithm")]
    Config,
}

impl TokenError {
    /// A short machine-readable name of the failed check (`expired`, `audience`, `signature`, ...).
    pub fn reason(&self) -> &'static str {
        match self {
            TokenError::Missing => "missing",
            TokenError::Malformed => "malformed",
            TokenError::Algorithm => "algorithm",
            TokenError::UnknownKey => "unknown_key",
            TokenError::Signature => "signature",
            TokenError::Expired => "expired",
            TokenError::NotYetValid => "not_yet_valid",
            TokenError::Audience => "audience",
            TokenError::Issuer => "issuer",
            TokenError::Tenant => "tenant",
            TokenError::MissingClaim(_) => "missing_claim",
            TokenError::Config => "config",
        }
    }
}

/// Where signing keys come from: a JWKS document's bytes.
pub trait KeySource: Send + Sync {
    /// The current JSON Web Key Set, or why it could not be had.
    fn fetch(&self) -> Result<Vec<u8>, String>;
}

/// The largest key set file read; Entra ID's published set is a few kilobytes.
pub const MAX_JWKS_FILE_BYTES: u64 = 1 << 20;

/// A key set kept in a file, read again at every refresh (a key rotation is a new file). The file is read as
/// every rolegate input is (rolegate's file reader, as [`rolegate::load::TenantLoader::from_dir`] reads): a regular
/// file under the cap, never a FIFO or a device.
#[derive(Clone, Debug)]
pub struct FileKeySource {
    path: std::path::PathBuf,
}

impl FileKeySource {
    /// A source reading `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        FileKeySource { path: path.into() }
    }
}

impl KeySource for FileKeySource {
    fn fetch(&self) -> Result<Vec<u8>, String> {
        rolegate::internals::file::read_file(&self.path, MAX_JWKS_FILE_BYTES)
            .map_err(|e| format!("`{}`: {e}", self.path.display()))
    }
}

/// A parsed key set: decoding keys by `kid`.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, (DecodingKey, Option<Algorithm>)>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kids: Vec<&String> = self.keys.keys().collect();
        kids.sort();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

impl KeySet {
    /// Parses a JWKS document. Keys without a `kid`, and symmetric (`oct`) keys, are left out: an HMAC key in a
    /// public key set is a configuration error an attacker could exploit, never a key to verify with.
    pub fn from_jwks(bytes: &[u8]) -> Result<KeySet, String> {
        let set: JwkSet = serde_json::from_slice(bytes).map_err(|e| format!("not a JSON Web Key Set: {e}"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                continue;
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key `{kid}`: {e}"))?;
            let alg = jwk.common.key_algorithm.and_then(|a| a.to_string().parse::<Algorithm>().ok());
            keys.insert(kid, (key, alg));
        }
        if keys.is_empty() {
            return Err("the key set has no usable signing key".to_owned());
        }
        Ok(KeySet { keys })
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The claims read from a verified token.
#[derive(Deserialize)]
struct Claims {
    oid: Option<String>,
    tid: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(rename = "_claim_names")]
    claim_names: Option<serde_json::Map<String, serde_json::Value>>,
    hasgroups: Option<bool>,
    appid: Option<String>,
    azp: Option<String>,
    exp: Option<u64>,
}

/// Validates bearer tokens against a tenant's configuration and key set.
pub struct Validator {
    config: TokenConfig,
    validation: Validation,
    keys: RwLock<Arc<KeySet>>,
    source: Option<Box<dyn KeySource>>,
    last_refresh: Mutex<Option<Instant>>,
    cache: Mutex<HashMap<[u8; 32], Arc<Identity>>>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Validator {
    /// A validator with a fixed key set.
    pub fn new(config: TokenConfig, keys: KeySet) -> Result<Validator, TokenError> {
        Self::build(config, keys, None)
    }

    /// A validator that loads its keys from `source` now, and again when a token names an unknown `kid`.
    pub fn with_source(config: TokenConfig, source: Box<dyn KeySource>) -> Result<Validator, String> {
        let keys = KeySet::from_jwks(&source.fetch()?)?;
        Self::build(config, keys, Some(source)).map_err(|e| e.to_string())
    }

    fn build(config: TokenConfig, keys: KeySet, source: Option<Box<dyn KeySource>>) -> Result<Validator, TokenError> {
        let asymmetric = |a: &Algorithm| !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
        if config.algorithms.is_empty() || !config.algorithms.iter().all(asymmetric) {
            return Err(TokenError::Config);
        }
        // The constructor's algorithm is only a default list, replaced by the configured one at once.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = config.algorithms.clone();
        validation.leeway = config.skew.as_secs();
        validation.validate_nbf = true;
        validation.set_audience(&config.audiences);
        let t = &config.tenant_id;
        validation.set_issuer(&[
            format!("https://sts.windows.net/{t}/"),
            format!("https://login.microsoftonline.com/{t}/v2.0"),
        ]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        Ok(Validator {
            config,
            validation,
            keys: RwLock::new(Arc::new(keys)),
            source,
            last_refresh: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// Replaces the key set (a periodic refresh); the cache is emptied.
    ///
    /// Locks poisoned by a panic elsewhere are used as they are: the key set is replaced whole, and the cache
    /// only ever holds identities that were verified, so neither can be left half-written into access.
    pub fn set_keys(&self, keys: KeySet) {
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Fetches the key set from the source now; a failure keeps the current set and is returned.
    pub fn refresh(&self) -> Result<(), String> {
        let Some(source) = &self.source else { return Err("no key source".to_owned()) };
        *self.last_refresh.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        let keys = KeySet::from_jwks(&source.fetch()?)?;
        self.set_keys(keys);
        Ok(())
    }

    /// Validates the value of an `Authorization` header (`Bearer <token>`).
    pub fn validate_header(&self, authorization: Option<&str>) -> Result<Arc<Identity>, TokenError> {
        self.validate(bearer(authorization).ok_or(TokenError::Missing)?)
    }

    /// Validates a token. The identity is shared with the cache, so that a cached token costs no copy.
    pub fn validate(&self, token: &str) -> Result<Arc<Identity>, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if let Some(hit) = self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(&digest)
            && hit.expires_at.saturating_add(self.config.skew.as_secs()) > now
        {
            return Ok(Arc::clone(hit));
        }
        let identity = Arc::new(self.verify(token)?);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= self.config.cache_capacity {
            cache.retain(|_, i| i.expires_at.saturating_add(self.config.skew.as_secs()) > now);
            if cache.len() >= self.config.cache_capacity {
                cache.clear();
            }
        }
        cache.insert(digest, Arc::clone(&identity));
        Ok(identity)
    }

    fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let header = decode_header(token).map_err(|_| {
            // `none` and other algorithms the crate does not know fail to parse: say so, not "malformed".
            if header_alg(token).is_some() { TokenError::Algorithm } else { TokenError::Malformed }
        })?;
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = match self.key(&kid) {
            Some(key) => key,
            None => {
                self.refresh_for_unknown_kid();
                self.key(&kid).ok_or(TokenError::UnknownKey)?
            }
        };
        if key.1.is_some_and(|alg| alg != header.alg) {
            return Err(TokenError::Algorithm);
        }
        let data = decode::<Claims>(token, &key.0, &self.validation).map_err(|e| map_error(e.kind()))?;
        let c = data.claims;
        if c.tid.as_deref() != Some(self.config.tenant_id.as_str()) {
            return Err(if c.tid.is_none() { TokenError::MissingClaim("tid") } else { TokenError::Tenant });
        }
        let expires_at = c.exp.ok_or(TokenError::MissingClaim("exp"))?;
        let principal = c.oid.filter(|o| !o.is_empty()).ok_or(TokenError::MissingClaim("oid"))?;
        let groups_overage =
            c.claim_names.as_ref().is_some_and(|m| m.contains_key("groups")) || c.hasgroups == Some(true);
        Ok(Identity { principal, groups: c.groups, groups_overage, app_id: c.appid.or(c.azp), expires_at })
    }

    fn key(&self, kid: &str) -> Option<(DecodingKey, Option<Algorithm>)> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).keys.get(kid).cloned()
    }

    /// One refresh when a token names a key the set lacks (keys rotate), at most once per
    /// `min_refresh_interval`, so that tokens with made-up `kid`s cannot hammer the key endpoint.
    fn refresh_for_unknown_kid(&self) {
        if self.source.is_none() {
            return;
        }
        // Checked and claimed under one lock: of many threads that see the same unknown `kid`, one fetches.
        let due = {
            let mut last = self.last_refresh.lock().unwrap_or_else(PoisonError::into_inner);
            let due = last.is_none_or(|t| t.elapsed() >= self.config.min_refresh_interval);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            // A failed refresh keeps the last good set; the token is then refused as signed by an unknown key.
            let _ = self.refresh();
        }
    }
}

/// The credential of an `Authorization: Bearer <credential>` header (the scheme ASCII case-insensitive).
pub(crate) fn bearer(authorization: Option<&str>) -> Option<&str> {
    authorization
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
}

/// The `alg` of a token's header when the header is JSON with a string `alg` (read only to name the failure).
pub(crate) fn header_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let part = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_owned)
}

fn map_error(kind: &jsonwebtoken::errors::ErrorKind) -> TokenError {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::InvalidSignature => TokenError::Signature,
        K::ExpiredSignature => TokenError::Expired,
        K::ImmatureSignature => TokenError::NotYetValid,
        K::InvalidAudience => TokenError::Audience,
        K::InvalidIssuer => TokenError::Issuer,
        K::InvalidAlgorithm | K::MissingAlgorithm | K::UnsupportedAlgorithm => TokenError::Algorithm,
        K::MissingRequiredClaim(c) => TokenError::MissingClaim(match c.as_str() {
            "exp" => "exp",
            "aud" => "aud",
            "iss" => "iss",
            _ => "a required claim",
        }),
        _ => TokenError::Malformed,
    }
}
