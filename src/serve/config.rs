//! `gateway.toml`, the configuration of `rolegate serve` (semantics §3.5). Relative paths are relative to the
//! file's directory. Errors point into the file (file:line:col), as `role-lint.toml`'s do.
//!
//! ```toml
//! listen = "127.0.0.1:8181"
//! admin_listen = "127.0.0.1:8182"   # loopback only: POST /admin/reload
//! tenant = "tenant"                 # a directory, or a symlink swapped atomically
//!
//! [identity]
//! mode = "token"                    # or "trusted_headers"
//! tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"
//! audiences = ["https://management.azure.com"]
//! jwks_file = "keys.json"           # default: the tenant's published key set, over HTTPS
//!
//! [forward_auth]
//! trusted_peers = ["127.0.0.1"]
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::Code;
use rolegate::diag::{SourceText, Span};
use rolegate_gateway::ml::{AuthMode, EndpointConfig};
use schemars::JsonSchema;
use serde::Deserialize;

/// The file's code: the configuration cannot be used.
pub const INVALID_GATEWAY_CONFIG: Code = Code { id: "RL600", name: "invalid-gateway-config", fatal: true };

/// `gateway.toml`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The address of the main listener: forward-auth (`/auth`), `/v1/check`, the ML credential routes,
    /// `/healthz`, `/readyz`, `/metrics`.
    pub listen: SocketAddr,
    /// The admin listener (`POST /admin/reload`, `/metrics`); must be a loopback address.
    #[serde(default)]
    pub admin_listen: Option<SocketAddr>,
    /// The tenant directory (relative to this file). It may be a symbolic link swapped atomically, or hold a
    /// `..data` link as a Kubernetes ConfigMap mount does: each reload reads the one directory it points to.
    pub tenant: PathBuf,
    /// Whether the tenant directory holds a `manifest.json` (`{"files": {"<name>": "<sha256 hex>"}}`) that every
    /// reload checks: every file listed and matching, none unlisted.
    #[serde(default)]
    pub manifest: bool,
    /// Whether changes to the tenant directory trigger a reload (debounced).
    #[serde(default = "yes")]
    pub watch: bool,
    /// How long changes must settle before a watched reload, in milliseconds.
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u64,
    /// How callers are identified.
    pub identity: IdentityConfig,
    /// Forward-auth (nginx `auth_request`, Caddy `forward_auth`, Traefik ForwardAuth, Envoy HTTP `ext_authz`).
    #[serde(default)]
    pub forward_auth: ForwardAuthConfig,
    /// `/v1/check`.
    #[serde(default)]
    pub check: CheckConfig,
    /// Azure ML online endpoints.
    #[serde(default)]
    pub ml: Option<MlConfig>,
    /// The decision log.
    #[serde(default)]
    pub log: LogConfig,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

fn yes() -> bool {
    true
}

fn default_debounce_ms() -> u64 {
    300
}

/// How callers are identified.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum IdentityConfig {
    /// Entra ID bearer tokens.
    Token {
        /// The tenant's id (`tid`).
        tenant_id: String,
        /// Accepted audiences of ARM requests and credential routes.
        audiences: Vec<String>,
        /// A JWKS file (relative to this file); default: the tenant's published set over HTTPS.
        #[serde(default)]
        jwks_file: Option<PathBuf>,
        /// A JWKS URL instead of the tenant's (HTTPS; plain HTTP only to a loopback host).
        #[serde(default)]
        jwks_url: Option<String>,
        /// How often the key set is fetched again, in seconds.
        #[serde(default = "default_refresh_secs")]
        refresh_secs: u64,
        /// Clock skew on `exp` and `nbf`, in seconds.
        #[serde(default = "default_skew_secs")]
        skew_secs: u64,
        /// `fail_closed` (default) or `tenant_groups`: what a token whose group list is partial gets.
        #[serde(default)]
        overage: OverageConfig,
    },
    /// A proxy in front validated the token and passes the principal in headers.
    TrustedHeaders {
        /// The header holding the principal's object id.
        principal_header: String,
        /// The header holding group ids, comma-separated.
        #[serde(default)]
        groups_header: Option<String>,
        /// The peers allowed to set them.
        peers: Vec<IpAddr>,
    },
}

fn default_refresh_secs() -> u64 {
    3600
}

fn default_skew_secs() -> u64 {
    300
}

/// The groups-overage policy.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OverageConfig {
    /// Refuse the request.
    #[default]
    FailClosed,
    /// Decide with the tenant's `groups.json` alone.
    TenantGroups,
}

/// Forward-auth: where the original request's method, URI and host are read from.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardAuthConfig {
    /// The proxies allowed to ask (anyone else gets 403 `untrusted_peer`): they set the headers below.
    #[serde(default = "loopback")]
    pub trusted_peers: Vec<IpAddr>,
    /// Headers holding the original method, first present wins; absent: the request's own (Envoy).
    #[serde(default = "method_headers")]
    pub method_headers: Vec<String>,
    /// Headers holding the original URI; absent: the request's path after `/auth` (Envoy's `path_prefix`).
    #[serde(default = "uri_headers")]
    pub uri_headers: Vec<String>,
    /// Headers holding the original host; absent: `Host`.
    #[serde(default = "host_headers")]
    pub host_headers: Vec<String>,
}

impl Default for ForwardAuthConfig {
    fn default() -> Self {
        ForwardAuthConfig {
            trusted_peers: loopback(),
            method_headers: method_headers(),
            uri_headers: uri_headers(),
            host_headers: host_headers(),
        }
    }
}

fn loopback() -> Vec<IpAddr> {
    vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])]
}

fn method_headers() -> Vec<String> {
    vec!["x-original-method".into(), "x-forwarded-method".into()]
}

fn uri_headers() -> Vec<String> {
    vec!["x-original-uri".into(), "x-forwarded-uri".into()]
}

fn host_headers() -> Vec<String> {
    vec!["x-original-host".into(), "x-forwarded-host".into()]
}

/// `/v1/check`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// The peers allowed to ask (it tells who may do what): loopback by default.
    #[serde(default = "loopback")]
    pub peers: Vec<IpAddr>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig { peers: loopback() }
    }
}

/// Azure ML online endpoints.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MlConfig {
    /// The secrets file (relative to this file), created by `rolegate secrets init`.
    pub secrets: PathBuf,
    /// Audiences of Entra tokens at `aad_token` endpoints.
    #[serde(default = "ml_audiences")]
    pub scoring_audiences: Vec<String>,
    /// `aml_token` lifetime, in seconds.
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_secs: u64,
    /// `aml_token` clock skew, in seconds.
    #[serde(default = "default_token_skew")]
    pub token_skew_secs: u64,
    /// The endpoints.
    #[serde(default)]
    pub endpoints: Vec<MlEndpoint>,
}

fn ml_audiences() -> Vec<String> {
    vec!["https://ml.azure.com".into()]
}

fn default_token_lifetime() -> u64 {
    3600
}

fn default_token_skew() -> u64 {
    60
}

/// One endpoint (semantics §3.4).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MlEndpoint {
    /// The endpoint's name.
    pub name: String,
    /// Its ARM resource id.
    pub id: String,
    /// `key`, `aml_token` or `aad_token`.
    #[schemars(with = "String")]
    pub auth_mode: AuthMode,
    /// The host its scoring requests carry.
    #[serde(default)]
    pub host: Option<String>,
    /// Or the path prefix they start with.
    #[serde(default)]
    pub path_prefix: Option<String>,
}

impl MlEndpoint {
    /// The gateway's endpoint entry.
    pub fn to_config(&self) -> EndpointConfig {
        match (&self.host, &self.path_prefix) {
            (Some(host), None) => EndpointConfig::with_host(&self.name, &self.id, self.auth_mode, host),
            (None, Some(prefix)) => EndpointConfig::with_path_prefix(&self.name, &self.id, self.auth_mode, prefix),
            // Both or neither: the table refuses it with its own message.
            _ => {
                let mut c = EndpointConfig::with_host(&self.name, &self.id, self.auth_mode, "");
                c.host = self.host.clone();
                c.path_prefix = self.path_prefix.clone();
                c
            }
        }
    }
}

/// Where decisions are logged.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `stdout`, `off`, or a file path (relative to this file), appended to.
    #[serde(default = "stdout")]
    pub decisions: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { decisions: stdout() }
    }
}

fn stdout() -> String {
    "stdout".into()
}

/// Limits on what a client may send and hold.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most bytes of a request's head (request line and headers); at least 8192.
    #[serde(default = "default_header_bytes")]
    pub max_header_bytes: usize,
    /// The most bytes of a request body (`/v1/check`, `regenerateKeys`).
    #[serde(default = "default_body_bytes")]
    pub max_body_bytes: usize,
    /// The most connections open at once; more wait to be accepted.
    #[serde(default = "default_connections")]
    pub max_connections: usize,
    /// How long a client may take to send a request's head, in milliseconds (slow clients are cut off).
    #[serde(default = "default_header_timeout")]
    pub header_timeout_ms: u64,
    /// How long one request may take from its head to its answer, in milliseconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: default_header_bytes(),
            max_body_bytes: default_body_bytes(),
            max_connections: default_connections(),
            header_timeout_ms: default_header_timeout(),
            request_timeout_ms: default_request_timeout(),
        }
    }
}

fn default_header_bytes() -> usize {
    16 * 1024
}

fn default_body_bytes() -> usize {
    1 << 20
}

fn default_connections() -> usize {
    4096
}

fn default_header_timeout() -> u64 {
    5000
}

fn default_request_timeout() -> u64 {
    10_000
}

/// A parsed configuration and the directory its relative paths start from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The configuration, with its paths made absolute.
    pub config: ServeConfig,
    /// The file it came from.
    pub path: PathBuf,
}

/// Parses `text` (the file `name`, in directory `base`): every problem as a diagnostic pointing into the file.
pub fn parse(name: &str, text: &str, base: &Path) -> Result<ServeConfig, Vec<Diagnostic>> {
    let src = Arc::new(SourceText::new(name, text));
    let mut config: ServeConfig = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', "; ");
        let d = Diagnostic::error(INVALID_GATEWAY_CONFIG, format!("invalid gateway config: {message}"))
            .with_help("see `schemas/gateway.schema.json` for the keys");
        vec![match e.span() {
            Some(r) => d.at(&src, Span::new(r.start, r.end)),
            None => d.in_file(&src),
        }]
    })?;
    let mut errors = Vec::new();
    let mut error = |key: &str, message: String| {
        // The key's first occurrence locates the problem; the file is named in any case.
        let at = text.find(key).map(|i| Span::new(i, i + key.len()));
        let d = Diagnostic::error(INVALID_GATEWAY_CONFIG, message);
        errors.push(match at {
            Some(span) => d.at(&src, span),
            None => d.in_file(&src),
        });
    };
    if let Some(admin) = config.admin_listen
        && !admin.ip().is_loopback()
    {
        error("admin_listen", format!("`admin_listen` must be a loopback address, not `{admin}`"));
    }
    if config.limits.max_header_bytes < 8192 {
        error("max_header_bytes", "`max_header_bytes` must be at least 8192".into());
    }
    if config.limits.max_connections == 0
        || config.limits.header_timeout_ms == 0
        || config.limits.request_timeout_ms == 0
    {
        error("limits", "limits must be above 0".into());
    }
    if let IdentityConfig::Token { jwks_file: Some(_), jwks_url: Some(_), .. } = &config.identity {
        error("jwks_url", "give `jwks_file` or `jwks_url`, not both".into());
    }
    if let IdentityConfig::Token { audiences, .. } = &config.identity
        && audiences.is_empty()
    {
        error("audiences", "`audiences` must name at least one audience".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let absolute = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    absolute(&mut config.tenant);
    if let IdentityConfig::Token { jwks_file: Some(f), .. } = &mut config.identity {
        absolute(f);
    }
    if let Some(ml) = &mut config.ml {
        absolute(&mut ml.secrets);
    }
    if !matches!(config.log.decisions.as_str(), "stdout" | "off") {
        let mut p = PathBuf::from(&config.log.decisions);
        absolute(&mut p);
        config.log.decisions = p.display().to_string();
    }
    Ok(config)
}

/// Reads and parses the configuration file at `path`.
pub fn load(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let text = rolegate::internals::file::read_text(path, 1 << 20).map_err(|e| vec![e.diagnostic(path)])?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let config = parse(&path.display().to_string(), &text, &base)?;
    Ok(Loaded { config, path: path.to_owned() })
}

/// The JSON Schema of `gateway.toml` (committed as `schemas/gateway.schema.json`).
pub fn schema() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&schemars::schema_for!(ServeConfig)).map(|s| s + "\n")
}
