//! Azure ML online endpoints (semantics §3.4): scoring requests authenticated by `key`, `aml_token` or
//! `aad_token`, and the credential routes (`listKeys`, `regenerateKeys`, `token`) in Azure's ARM shapes.
//!
//! rolegate is the credential authority for the endpoints it fronts: it issues and checks their keys and
//! `aml_token`s itself, for self-hosted model servers. In front of a real Azure ML endpoint it cannot check
//! Azure's own keys or tokens; there an endpoint is configured `aad_token`, and rolegate checks
//! `onlineEndpoints/score/action` with the engine before the request goes on.
//!
//! [`Endpoints::score`] decides a scoring request; [`Endpoints::credentials`] answers a credential route and is
//! the only place a secret leaves rolegate: an [`Outcome`] never holds one.

pub mod aml_token;
pub mod secrets;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::gateway::{Gateway, HttpRequest, Identify, Outcome, Verdict, identify};
use crate::identity::{Overage, bearer};
use crate::map::{check_path, map};
use aml_token::{AmlTokenConfig, IssuedToken};
use secrets::{KeySlot, Secret, SecretStore, SecretsError};

/// Scoring: checked at the endpoint's id. A control-plane operation in the catalog (semantics §2.4), so it is
/// decided there: AzureML Data Scientist grants it through `workspaces/*/action`.
pub const SCORE: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action";
/// Fetching an endpoint's keys.
pub const LIST_KEYS: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action";
/// Replacing one of an endpoint's keys.
pub const REGENERATE_KEYS: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/regenerateKeys/action";
/// Fetching an `aml_token`.
pub const TOKEN: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action";

/// The header naming the deployment a scoring request is for: context for the log, never a scope.
pub const DEPLOYMENT_HEADER: &str = "azureml-model-deployment";

/// How an endpoint's callers authenticate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[non_exhaustive]
pub enum AuthMode {
    /// A primary or secondary key (`Authorization: Bearer <key>`), issued by rolegate.
    #[serde(rename = "key", alias = "Key")]
    Key,
    /// An `aml_token` issued by rolegate for this endpoint.
    #[serde(rename = "aml_token", alias = "AMLToken")]
    AmlToken,
    /// An Entra ID token whose principal the engine allows `score/action` at the endpoint.
    #[serde(rename = "aad_token", alias = "AADToken")]
    AadToken,
}

impl AuthMode {
    /// The mode's name in Azure's YAML (`key`, `aml_token`, `aad_token`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Key => "key",
            AuthMode::AmlToken => "aml_token",
            AuthMode::AadToken => "aad_token",
        }
    }
}

/// One endpoint of the configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The endpoint's name: the last segment of its id, and its key in the secrets file.
    pub name: String,
    /// The endpoint's ARM resource id
    /// (`/subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/…/onlineEndpoints/{name}`).
    pub id: String,
    /// How callers authenticate.
    pub auth_mode: AuthMode,
    /// Requests with this host (port ignored, ASCII case-insensitive) are for this endpoint, as
    /// `{name}.{region}.inference.ml.azure.com` is at Azure.
    #[serde(default)]
    pub host: Option<String>,
    /// Or: requests whose path starts with this prefix (`/endpoints/{name}`) are.
    #[serde(default)]
    pub path_prefix: Option<String>,
}

impl EndpointConfig {
    /// An endpoint recognised by its host.
    pub fn with_host(name: &str, id: &str, auth_mode: AuthMode, host: &str) -> Self {
        EndpointConfig {
            name: name.to_owned(),
            id: id.to_owned(),
            auth_mode,
            host: Some(host.to_owned()),
            path_prefix: None,
        }
    }

    /// An endpoint recognised by a path prefix.
    pub fn with_path_prefix(name: &str, id: &str, auth_mode: AuthMode, prefix: &str) -> Self {
        EndpointConfig {
            name: name.to_owned(),
            id: id.to_owned(),
            auth_mode,
            host: None,
            path_prefix: Some(prefix.to_owned()),
        }
    }
}

/// Why the endpoint configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// An endpoint's entry is wrong.
    #[error("endpoint `{name}`: {message}")]
    Config {
        /// The endpoint's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The secrets file cannot be used.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// The `aml_token` settings are wrong.
    #[error("{0}")]
    Tokens(String),
}

fn config_error(name: &str, message: impl Into<String>) -> EndpointError {
    EndpointError::Config { name: name.to_owned(), message: message.into() }
}

/// How requests reach an endpoint.
#[derive(Clone, Debug)]
enum Route {
    Host(String),
    Prefix(String),
}

/// A checked endpoint.
#[derive(Clone, Debug)]
struct Endpoint {
    config: EndpointConfig,
    route: Route,
}

/// The endpoint table: checked once, so that a request is matched against well-formed entries only.
#[derive(Clone, Debug, Default)]
pub struct EndpointTable {
    endpoints: Vec<Endpoint>,
}

impl EndpointTable {
    /// Checks the entries: each id an endpoint's resource id ending in its name, exactly one of `host` and
    /// `path_prefix`, and no name, id, host or prefix used twice (nor one prefix inside another).
    pub fn new(configs: Vec<EndpointConfig>) -> Result<EndpointTable, EndpointError> {
        let mut endpoints: Vec<Endpoint> = Vec::with_capacity(configs.len());
        for config in configs {
            let name = config.name.as_str();
            if !secrets::is_endpoint_name(name) {
                return Err(config_error(
                    name,
                    "not an endpoint name (a letter, then letters, digits and `-`, 3 to 32)",
                ));
            }
            let target = map("GET", &config.id)
                .map_err(|e| config_error(name, format!("id `{}` is not a resource id: {e}", config.id)))?;
            // `rsplit` yields at least one piece; an empty one fails the name check below.
            let last = config.id.rsplit('/').next().unwrap_or_default();
            if !target.action.eq_ignore_ascii_case("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read")
                || target.scope != config.id
                || config.id.contains('?')
            {
                return Err(config_error(name, format!("id `{}` is not an online endpoint's resource id", config.id)));
            }
            if !last.eq_ignore_ascii_case(name) {
                return Err(config_error(name, format!("id `{}` names endpoint `{last}`, not `{name}`", config.id)));
            }
            let route = match (&config.host, &config.path_prefix) {
                (Some(host), None) => {
                    let ok = !host.is_empty()
                        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                        && !host.starts_with(['.', '-']);
                    if !ok {
                        return Err(config_error(
                            name,
                            format!("host `{host}` is not a host name (no port or scheme)"),
                        ));
                    }
                    Route::Host(host.to_ascii_lowercase())
                }
                (None, Some(prefix)) => {
                    if !prefix.starts_with('/') || prefix == "/" || prefix.ends_with('/') || check_path(prefix).is_err()
                    {
                        return Err(config_error(
                            name,
                            format!(
                                "path prefix `{prefix}` must start with `/`, not end with one, and hold no escapes or dot segments"
                            ),
                        ));
                    }
                    Route::Prefix(prefix.clone())
                }
                _ => return Err(config_error(name, "give exactly one of `host` and `path_prefix`")),
            };
            for other in &endpoints {
                let clash = match (&route, &other.route) {
                    (Route::Host(a), Route::Host(b)) => a == b,
                    (Route::Prefix(a), Route::Prefix(b)) => under(a, b) || under(b, a),
                    _ => false,
                };
                if other.config.name.eq_ignore_ascii_case(name)
                    || other.config.id.eq_ignore_ascii_case(&config.id)
                    || clash
                {
                    return Err(config_error(
                        name,
                        format!("its name, id, host or path prefix is also endpoint `{}`'s", other.config.name),
                    ));
                }
            }
            endpoints.push(Endpoint { config, route });
        }
        Ok(EndpointTable { endpoints })
    }

    /// The endpoints, as configured.
    pub fn iter(&self) -> impl Iterator<Item = &EndpointConfig> {
        self.endpoints.iter().map(|e| &e.config)
    }

    /// The endpoint a request is for, and the rest of its path after the prefix: by host first, then by path
    /// prefix.
    fn route<'r>(&self, host: Option<&str>, path: &'r str) -> Option<(&Endpoint, &'r str)> {
        let host = host.map(strip_port);
        let by_host = host.and_then(|h| {
            self.endpoints.iter().find(|e| matches!(&e.route, Route::Host(x) if x.eq_ignore_ascii_case(h)))
        });
        if let Some(e) = by_host {
            return Some((e, path));
        }
        self.endpoints.iter().find_map(|e| match &e.route {
            Route::Prefix(p) => path
                .strip_prefix(p.as_str())
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                .map(|rest| (e, rest)),
            Route::Host(_) => None,
        })
    }

    fn by_id(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.config.id.eq_ignore_ascii_case(id))
    }
}

/// Whether path `a` is `b` or below it.
fn under(a: &str, b: &str) -> bool {
    a.strip_prefix(b).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// `host:port` → `host` (an IPv6 literal `[::1]:80` keeps its brackets).
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    }
}

/// What the front door needs besides the table and the secrets.
#[derive(Debug)]
#[non_exhaustive]
pub struct EndpointsConfig {
    /// How `aad_token` scoring callers are identified: Entra tokens for the data plane's audience
    /// (`https://ml.azure.com`), distinct from the ARM audience the credential routes accept.
    pub scoring: Identify,
    /// How `aml_token`s are issued and checked.
    pub tokens: AmlTokenConfig,
}

impl EndpointsConfig {
    /// Scoring callers identified by `scoring`; default token settings.
    pub fn new(scoring: Identify) -> Self {
        EndpointsConfig { scoring, tokens: AmlTokenConfig::default() }
    }

    /// Sets the token settings.
    pub fn tokens(mut self, tokens: AmlTokenConfig) -> Self {
        self.tokens = tokens;
        self
    }
}

type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The front door of the configured endpoints.
pub struct Endpoints {
    gateway: Arc<Gateway>,
    table: EndpointTable,
    secrets: SecretStore,
    scoring: Identify,
    scoring_overage: Overage,
    tokens: AmlTokenConfig,
    verifier: aml_token::Verifier,
    clock: Clock,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("table", &self.table)
            .field("secrets", &self.secrets)
            .field("scoring", &self.scoring)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl Endpoints {
    /// The front door for `table`, deciding with `gateway`'s tenant snapshot (and identifying callers of the
    /// credential routes as it does ARM requests). Every `key` endpoint must have keys in the secrets file and,
    /// when an endpoint is `aml_token`, the file must hold a signing key: an endpoint is never served open.
    pub fn new(
        gateway: Arc<Gateway>,
        table: EndpointTable,
        secrets: SecretStore,
        config: EndpointsConfig,
    ) -> Result<Endpoints, EndpointError> {
        config.tokens.check().map_err(EndpointError::Tokens)?;
        {
            let loaded = secrets.load();
            for e in &table.endpoints {
                let name = e.config.name.as_str();
                match e.config.auth_mode {
                    AuthMode::Key if !loaded.secrets.endpoints.contains_key(name) => {
                        return Err(config_error(
                            name,
                            format!(
                                "a `key` endpoint without keys in `{}`; add them with `rolegate secrets add`",
                                secrets.path().display()
                            ),
                        ));
                    }
                    AuthMode::AmlToken if loaded.secrets.token_signing_keys.is_empty() => {
                        return Err(config_error(
                            name,
                            format!(
                                "an `aml_token` endpoint, but `{}` has no token signing key",
                                secrets.path().display()
                            ),
                        ));
                    }
                    _ => {}
                }
            }
        }
        let scoring_overage = match &config.scoring {
            Identify::Token(v) => v.config().overage,
            _ => Overage::TenantGroups,
        };
        // Signing keys change only with the file, which a regeneration (of endpoint keys) leaves as they are.
        let verifier = aml_token::Verifier::new(config.tokens.clone(), &secrets.load().secrets.token_signing_keys)?;
        let clock: Clock = Arc::new(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()));
        Ok(Endpoints {
            gateway,
            table,
            secrets,
            scoring: config.scoring,
            scoring_overage,
            tokens: config.tokens,
            verifier,
            clock,
        })
    }

    /// Replaces the clock (Unix seconds) that issues and checks `aml_token`s, for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The endpoint table.
    pub fn table(&self) -> &EndpointTable {
        &self.table
    }

    /// The secrets in use.
    pub fn secrets(&self) -> &SecretStore {
        &self.secrets
    }

    /// Decides a scoring request: `None` when the request is for no configured endpoint (neither its host nor
    /// its path prefix is one). At an endpoint, only `POST /score` and paths below it are served.
    pub fn score(&self, req: &HttpRequest<'_>) -> Option<Outcome> {
        let host = req.header(":authority").or_else(|| req.header("host"));
        let path = req.path_and_query.split_once('?').map_or(req.path_and_query, |(p, _)| p);
        let (endpoint, rest) = self.table.route(host, path)?;
        let config = &endpoint.config;
        let mut out = Outcome::bare(Verdict::BadRequest, "not_scoring_path", 0);
        out.action = Some(SCORE.to_owned());
        out.scope = Some(config.id.clone());
        out.endpoint = Some(config.name.clone());
        if !(rest == "/score" || rest.starts_with("/score/")) || check_path(path).is_err() {
            return Some(out);
        }
        if req.method != "POST" {
            out.reason = "method";
            return Some(out);
        }
        match req.header(DEPLOYMENT_HEADER) {
            None => {}
            Some(d) if is_deployment_name(d) => out.deployment = Some(d.to_owned()),
            Some(_) => {
                out.reason = "deployment_header";
                return Some(out);
            }
        }
        let unauthenticated = |mut out: Outcome, reason| {
            out.verdict = Verdict::Unauthenticated;
            out.reason = reason;
            Some(out)
        };
        let bearer = bearer(req.header("authorization"));
        // Read from the credential's form only where a mode needs it (a JWT header is parsed for `aad_token`).
        let kind = bearer.map(|b| Credential::of(b, config.auth_mode == AuthMode::AadToken));
        match config.auth_mode {
            AuthMode::Key => match (bearer, kind) {
                (None, _) => unauthenticated(out, "missing"),
                (Some(_), Some(Credential::Jwt { .. })) => unauthenticated(out, "wrong_credential"),
                (Some(key), _) if self.secrets.load().key_matches(&config.name, key) => {
                    out.verdict = Verdict::Allowed;
                    out.reason = "key";
                    Some(out)
                }
                (Some(_), _) => unauthenticated(out, "bad_key"),
            },
            AuthMode::AmlToken => match (bearer, kind) {
                (None, _) => unauthenticated(out, "missing"),
                (Some(_), Some(Credential::Opaque)) => unauthenticated(out, "wrong_credential"),
                // The verifier refuses anything but HS256 under its keys (an Entra token: `wrong_credential`).
                (Some(token), _) => match self.verifier.verify(&config.id, token, (self.clock)()) {
                    Ok(claims) => {
                        out.verdict = Verdict::Allowed;
                        out.reason = "aml_token";
                        out.principal = Some(claims.subject);
                        Some(out)
                    }
                    Err(e) => unauthenticated(out, e.reason()),
                },
            },
            AuthMode::AadToken => {
                // An Entra token is a JWT signed with a public-key algorithm; a key or an aml_token is not one.
                if matches!(self.scoring, Identify::Token(_))
                    && !matches!(kind, None | Some(Credential::Jwt { hmac: false }))
                {
                    return unauthenticated(out, "wrong_credential");
                }
                match identify(&self.scoring, req) {
                    Err(reason) => unauthenticated(out, reason),
                    Ok(identity) => {
                        let (verdict, reason, generation, decided_by) =
                            self.gateway.decide(&identity, self.scoring_overage, SCORE, &config.id);
                        out.decided_by = decided_by;
                        out.verdict = verdict;
                        out.reason = reason;
                        out.generation = generation;
                        out.principal = Some(identity.principal.clone());
                        Some(out)
                    }
                }
            }
        }
    }

    /// Answers a credential route: `POST {endpoint id}/listKeys`, `/regenerateKeys` (body
    /// `{"keyType": "Primary" | "Secondary"}`) or `/token`, each authorized by the engine for the caller (identified
    /// as ARM requests are) at the endpoint's id. `None` when the request is none of them.
    ///
    /// The caller is authorized before the endpoint is looked up, so that a caller without the permission cannot
    /// learn which endpoints exist.
    pub fn credentials(&self, req: &HttpRequest<'_>, body: &[u8]) -> Option<CredentialResponse> {
        if req.method != "POST" {
            return None;
        }
        let target = map(req.method, req.path_and_query).ok()?;
        let action =
            [LIST_KEYS, REGENERATE_KEYS, TOKEN].into_iter().find(|a| a.eq_ignore_ascii_case(&target.action))?;
        let mut out = Outcome::bare(Verdict::Unauthenticated, "missing", 0);
        out.action = Some(action.to_owned());
        out.scope = Some(target.scope.clone());
        let refuse = |out| Some(CredentialResponse { outcome: out, reply: None });
        let identity = match identify(self.gateway.identify_config(), req) {
            Ok(identity) => identity,
            Err(reason) => {
                out.reason = reason;
                return refuse(out);
            }
        };
        out.principal = Some(identity.principal.clone());
        let (verdict, reason, generation, decided_by) =
            self.gateway.decide(&identity, self.gateway.overage(), action, &target.scope);
        out.decided_by = decided_by;
        out.verdict = verdict;
        out.reason = reason;
        out.generation = generation;
        if verdict != Verdict::Allowed {
            return refuse(out);
        }
        let Some(endpoint) = self.table.by_id(&target.scope) else {
            out.verdict = Verdict::NotFound;
            out.reason = "unknown_endpoint";
            return refuse(out);
        };
        let config = &endpoint.config;
        out.endpoint = Some(config.name.clone());
        let needs = if action == TOKEN { AuthMode::AmlToken } else { AuthMode::Key };
        if config.auth_mode != needs {
            out.verdict = Verdict::BadRequest;
            out.reason = "auth_mode";
            return refuse(out);
        }
        let unavailable = |mut out: Outcome| {
            out.verdict = Verdict::Unavailable;
            out.reason = "secrets";
            Some(CredentialResponse { outcome: out, reply: None })
        };
        let reply = if action == LIST_KEYS {
            match self.secrets.keys(&config.name) {
                Ok(keys) => CredentialReply::Keys { primary_key: keys.primary_key, secondary_key: keys.secondary_key },
                Err(_) => return unavailable(out),
            }
        } else if action == REGENERATE_KEYS {
            let Some(slot) = regenerate_body(body) else {
                out.verdict = Verdict::BadRequest;
                out.reason = "body";
                return refuse(out);
            };
            match self.secrets.regenerate(&config.name, slot) {
                Ok(()) => CredentialReply::Regenerated,
                Err(_) => return unavailable(out),
            }
        } else {
            let loaded = self.secrets.load();
            let Some(key) = loaded.secrets.token_signing_keys.first() else { return unavailable(out) };
            match aml_token::issue(&self.tokens, key, &config.id, &identity.principal, (self.clock)()) {
                Ok(token) => CredentialReply::Token(token),
                Err(_) => return unavailable(out),
            }
        };
        Some(CredentialResponse { outcome: out, reply: Some(reply) })
    }
}

/// `{"keyType": "Primary" | "Secondary"}`; a `keyValue` (a caller-chosen key) is refused: keys are random.
fn regenerate_body(body: &[u8]) -> Option<KeySlot> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Body {
        key_type: KeySlot,
    }
    serde_json::from_slice::<Body>(body).ok().map(|b| b.key_type)
}

/// An Azure ML deployment name (letters, digits and `-`, at most 32 as Azure allows; a little slack for
/// self-hosted ones): anything else in the header is refused rather than logged.
fn is_deployment_name(d: &str) -> bool {
    (1..=64).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What kind of credential a bearer value is, read from its form alone (the header's `alg` of a JWT): only to
/// refuse the wrong kind early and name it; whatever it claims, it is then verified in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Credential {
    Jwt { hmac: bool },
    Opaque,
}

impl Credential {
    /// The kind of `value`; without `read_alg`, every three-part value counts as an HMAC JWT (the callers that
    /// pass it verify HS256 in full or refuse every JWT).
    fn of(value: &str, read_alg: bool) -> Credential {
        if value.split('.').count() != 3 {
            return Credential::Opaque;
        }
        if !read_alg {
            return Credential::Jwt { hmac: true };
        }
        match crate::identity::header_alg(value) {
            Some(alg) => Credential::Jwt { hmac: alg.starts_with("HS") },
            None => Credential::Opaque,
        }
    }
}

/// A credential route's answer: the outcome (for the status and the log, never holding a secret) and, when
/// allowed, the reply that does.
#[derive(Debug)]
#[non_exhaustive]
pub struct CredentialResponse {
    /// What became of the request.
    pub outcome: Outcome,
    /// The reply, when the request was allowed.
    pub reply: Option<CredentialReply>,
}

/// What a credential route hands out.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialReply {
    /// `listKeys`: `{"primaryKey", "secondaryKey"}`.
    Keys {
        /// The primary key.
        primary_key: Secret,
        /// The secondary key.
        secondary_key: Secret,
    },
    /// `regenerateKeys`: done; the old key no longer works.
    Regenerated,
    /// `token`: `{"accessToken", "tokenType", "expiryTimeUtc", "refreshAfterTimeUtc"}`.
    Token(IssuedToken),
}

impl CredentialReply {
    /// The JSON body, zeroed when dropped.
    pub fn body(&self) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Keys<'a> {
            primary_key: &'a Secret,
            secondary_key: &'a Secret,
        }
        let bytes = match self {
            CredentialReply::Keys { primary_key, secondary_key } => {
                serde_json::to_vec(&Keys { primary_key, secondary_key })
            }
            CredentialReply::Regenerated => Ok(b"{}".to_vec()),
            CredentialReply::Token(t) => serde_json::to_vec(t),
        };
        bytes.map(Zeroizing::new)
    }
}
