//! `rolegate serve` (semantics §3.5): the authorization server that nginx `auth_request`, Caddy `forward_auth`,
//! Traefik ForwardAuth and Envoy's HTTP `ext_authz` ask for every request, on tokio and hyper.
//!
//! One [`Server`] holds the gateway (its tenant snapshot swapped atomically), the ML endpoints, the metrics and
//! the reload lock; [`http`] answers requests over it; [`tenant`] reads a consistent tenant for each reload.

pub mod config;
pub mod http;
pub mod metrics;
pub mod tenant;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rolegate::Diagnostic;
use rolegate::engine::Engine;
use rolegate_gateway::identity::{FileKeySource, KeySource, Overage, TokenConfig, Validator};
use rolegate_gateway::ml::aml_token::AmlTokenConfig;
use rolegate_gateway::ml::secrets::SecretStore;
use rolegate_gateway::ml::{EndpointTable, Endpoints, EndpointsConfig};
use rolegate_gateway::{Gateway, Identify};

use crate::jwks::{HttpKeySource, Refresh, spawn_refresh};
use config::{IdentityConfig, OverageConfig, ServeConfig};
use metrics::Metrics;

/// Why the server did not start.
#[derive(Debug)]
pub enum StartError {
    /// The configuration, the tenant or the secrets cannot be used: every diagnostic.
    Diagnostics(Vec<Diagnostic>),
    /// Anything else (a listener that cannot bind, a key source that cannot be reached).
    Other(String),
}

impl From<String> for StartError {
    fn from(e: String) -> Self {
        StartError::Other(e)
    }
}

/// The running server's shared state.
pub struct Server {
    config: ServeConfig,
    gateway: Arc<Gateway>,
    endpoints: Option<Endpoints>,
    ready: AtomicBool,
    loaded_at: Mutex<Option<Instant>>,
    reload_lock: tokio::sync::Mutex<()>,
    metrics: Metrics,
    log_decisions: bool,
    seq: AtomicU64,
    tag: String,
    _refreshers: Vec<Refresh>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("gateway", &self.gateway)
            .field("endpoints", &self.endpoints)
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

/// A key source for the configured identity: a file, a URL, or the tenant's published set.
fn key_source(jwks_file: Option<&Path>, jwks_url: Option<&str>, tenant_id: &str) -> Result<Box<dyn KeySource>, String> {
    Ok(match (jwks_file, jwks_url) {
        (Some(file), _) => Box::new(FileKeySource::new(file)),
        (None, Some(url)) => Box::new(HttpKeySource::new(url)?),
        (None, None) => Box::new(HttpKeySource::for_tenant(tenant_id)?),
    })
}

/// The identification of ARM requests, and of `aad_token` scoring (another audience), with their refreshers.
fn identities(config: &ServeConfig) -> Result<(Identify, Identify, Vec<Refresh>), String> {
    match &config.identity {
        IdentityConfig::Token { tenant_id, audiences, jwks_file, jwks_url, refresh_secs, skew_secs, overage } => {
            let overage = match overage {
                OverageConfig::FailClosed => Overage::FailClosed,
                OverageConfig::TenantGroups => Overage::TenantGroups,
            };
            let make = |audiences: &[String]| -> Result<Arc<Validator>, String> {
                let token = TokenConfig::new(tenant_id.as_str(), audiences.iter().cloned())
                    .skew(Duration::from_secs(*skew_secs))
                    .overage(overage);
                let source = key_source(jwks_file.as_deref(), jwks_url.as_deref(), tenant_id)?;
                Validator::with_source(token, source).map(Arc::new)
            };
            let arm = make(audiences)?;
            let scoring_audiences = config.ml.as_ref().map(|m| m.scoring_audiences.clone()).unwrap_or_default();
            let every = Duration::from_secs((*refresh_secs).max(60));
            let mut refreshers = vec![spawn_refresh(Arc::clone(&arm), every)];
            let scoring = if scoring_audiences.is_empty() {
                // No ML endpoints: scoring is never identified; a validator for the ARM audience stands in.
                Identify::Token(Arc::clone(&arm))
            } else {
                let v = make(&scoring_audiences)?;
                refreshers.push(spawn_refresh(Arc::clone(&v), every));
                Identify::Token(v)
            };
            Ok((Identify::Token(arm), scoring, refreshers))
        }
        IdentityConfig::TrustedHeaders { principal_header, groups_header, peers } => {
            let make = || Identify::TrustedHeaders {
                principal: principal_header.clone(),
                groups: groups_header.clone(),
                peers: peers.clone(),
            };
            Ok((make(), make(), Vec::new()))
        }
    }
}

impl Server {
    /// Builds the server: identity, the tenant (unless `wait_for_tenant`, an invalid tenant is an error), the
    /// ML endpoints and their secrets (always an error when they cannot be used).
    pub fn new(config: ServeConfig, wait_for_tenant: bool) -> Result<Server, StartError> {
        let (arm, scoring, refreshers) = identities(&config)?;
        let (engine, ready) = match tenant::load(&config.tenant, config.manifest) {
            Ok((engine, warnings)) => {
                for d in &warnings {
                    tracing::warn!(target: "rolegate::reload", "{d}");
                }
                (engine, true)
            }
            Err(e) if wait_for_tenant => {
                log_reload_error(&e);
                // Never decides: every route checks `ready` first.
                (Engine::new(Default::default()), false)
            }
            Err(tenant::ReloadError::Invalid(d)) => return Err(StartError::Diagnostics(d)),
            Err(e) => return Err(StartError::Other(e.to_string())),
        };
        let log_decisions = config.log.decisions != "off";
        let gateway = Arc::new(Gateway::new(engine, arm).with_decided_by(log_decisions));
        let endpoints = match &config.ml {
            None => None,
            Some(ml) => {
                let table = EndpointTable::new(ml.endpoints.iter().map(config::MlEndpoint::to_config).collect())
                    .map_err(|e| StartError::Other(e.to_string()))?;
                let secrets = SecretStore::open(&ml.secrets).map_err(|e| StartError::Other(e.to_string()))?;
                let tokens = AmlTokenConfig::default()
                    .lifetime(Duration::from_secs(ml.token_lifetime_secs))
                    .skew(Duration::from_secs(ml.token_skew_secs));
                let endpoints_config = EndpointsConfig::new(scoring).tokens(tokens);
                Some(
                    Endpoints::new(Arc::clone(&gateway), table, secrets, endpoints_config)
                        .map_err(|e| StartError::Other(e.to_string()))?,
                )
            }
        };
        let mut tag = [0u8; 4];
        getrandom::fill(&mut tag).map_err(|e| StartError::Other(format!("no random bytes: {e}")))?;
        let metrics = Metrics::new();
        if ready {
            metrics.generation.set(1);
        }
        Ok(Server {
            config,
            gateway,
            endpoints,
            ready: AtomicBool::new(ready),
            loaded_at: Mutex::new(ready.then(Instant::now)),
            reload_lock: tokio::sync::Mutex::new(()),
            metrics,
            log_decisions,
            seq: AtomicU64::new(0),
            tag: tag.iter().map(|b| format!("{b:02x}")).collect(),
            _refreshers: refreshers,
        })
    }

    /// Whether a tenant has been loaded.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// A new decision id: this process's random tag and a sequence number.
    fn decision_id(&self) -> String {
        format!("{}-{:x}", self.tag, self.seq.fetch_add(1, Ordering::Relaxed))
    }

    /// Reloads the tenant off the request path; one reload at a time. An invalid tenant keeps the snapshot in
    /// use, logs every diagnostic and counts a failure.
    pub async fn reload(self: &Arc<Self>, trigger: &'static str) -> Result<u64, String> {
        let _one = self.reload_lock.lock().await;
        let (dir, manifest) = (self.config.tenant.clone(), self.config.manifest);
        let started = Instant::now();
        let loaded = tokio::task::spawn_blocking(move || tenant::load(&dir, manifest))
            .await
            .map_err(|e| format!("the reload task failed: {e}"))?;
        match loaded {
            Ok((engine, warnings)) => {
                for d in &warnings {
                    tracing::warn!(target: "rolegate::reload", "{d}");
                }
                let generation = self.gateway.swap(engine);
                *self.loaded_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                self.ready.store(true, Ordering::Release);
                self.metrics.reloads.inc();
                self.metrics.generation.set(i64::try_from(generation).unwrap_or(i64::MAX));
                tracing::info!(
                    target: "rolegate::reload",
                    trigger,
                    generation,
                    millis = started.elapsed().as_millis() as u64,
                    "reloaded"
                );
                Ok(generation)
            }
            Err(e) => {
                log_reload_error(&e);
                self.metrics.reload_failures.inc();
                Err(e.to_string())
            }
        }
    }

    /// When the snapshot in use was loaded.
    fn loaded_at(&self) -> Option<Instant> {
        *self.loaded_at.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn log_reload_error(e: &tenant::ReloadError) {
    if let tenant::ReloadError::Invalid(diagnostics) = e {
        for d in diagnostics {
            tracing::error!(target: "rolegate::reload", "{d}");
        }
    }
    tracing::error!(target: "rolegate::reload", "reload failed, the snapshot in use stays: {e}");
}

/// Keeps the decision log's writer thread alive; dropping it flushes what is queued.
pub type LogGuard = Option<tracing_appender::non_blocking::WorkerGuard>;

/// Sets up logging: decisions (target `rolegate::decision`) as JSON lines to the configured sink, written by a
/// thread of their own so that a request never waits on the disk (a full queue blocks rather than drops a
/// line); everything else as JSON lines to stderr.
pub fn init_logging(config: &ServeConfig) -> Result<LogGuard, String> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::filter::{LevelFilter, filter_fn};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let is_decision = |m: &tracing::Metadata<'_>| m.target() == "rolegate::decision";
    let sink: Option<Box<dyn std::io::Write + Send>> = match config.log.decisions.as_str() {
        "off" => None,
        "stdout" => Some(Box::new(std::io::stdout())),
        path => Some(Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open the decision log `{path}`: {e}"))?,
        )),
    };
    let (decisions, guard) = match sink {
        None => (None, None),
        Some(sink) => {
            let (writer, guard) =
                tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(sink);
            let layer = tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_writer(writer)
                .with_filter(filter_fn(is_decision));
            (Some(layer), Some(guard))
        }
    };
    let rest = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_writer(std::io::stderr)
        .with_filter(filter_fn(move |m| !is_decision(m)))
        .with_filter(LevelFilter::INFO);
    tracing_subscriber::registry().with(decisions).with(rest).try_init().map_err(|e| e.to_string())?;
    Ok(guard)
}

/// Runs the server until it is killed: binds the listeners, serves, and reloads on SIGHUP, on
/// `POST /admin/reload` and (when watching) on changes to the tenant directory.
pub async fn serve(server: Arc<Server>) -> Result<(), String> {
    let main = tokio::net::TcpListener::bind(server.config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", server.config.listen))?;
    let admin = match server.config.admin_listen {
        Some(addr) => {
            Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?)
        }
        None => None,
    };
    let addrs: Vec<SocketAddr> =
        [Some(&main), admin.as_ref()].into_iter().flatten().filter_map(|l| l.local_addr().ok()).collect();
    tracing::info!(target: "rolegate::serve", ?addrs, ready = server.is_ready(), "listening");
    if let Some(admin) = admin {
        tokio::spawn(http::accept(Arc::clone(&server), admin, http::Listener::Admin));
    }
    spawn_sighup(Arc::clone(&server))?;
    let _watcher = if server.config.watch { Some(watch(Arc::clone(&server))?) } else { None };
    if !server.is_ready() {
        tokio::spawn(retry_until_ready(Arc::clone(&server)));
    }
    http::accept(server, main, http::Listener::Main).await;
    Ok(())
}

/// With `--wait-for-tenant`: try again every 2 s until a tenant loads (watching and SIGHUP also try).
async fn retry_until_ready(server: Arc<Server>) {
    while !server.is_ready() {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if !server.is_ready() {
            let _ = server.reload("waiting").await;
        }
    }
}

fn spawn_sighup(server: Arc<Server>) -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup()).map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let _ = server.reload("sighup").await;
        }
    });
    Ok(())
}

/// Watches the tenant directory (and its parent, where a symlink swap happens); changes settle for
/// `debounce_ms`, then one reload runs.
fn watch(server: Arc<Server>) -> Result<notify::RecommendedWatcher, String> {
    use notify::{RecursiveMode, Watcher};
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let tenant = server.config.tenant.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // The parent is watched for a swap of the tenant's link; its other entries (a log file) are not ours.
        if event.is_ok_and(|e| e.paths.iter().any(|p| p.starts_with(&tenant))) {
            // A full channel already holds a wake-up; the debounce below absorbs the rest.
            let _ = tx.try_send(());
        }
    })
    .map_err(|e| format!("cannot watch the tenant: {e}"))?;
    let dir = &server.config.tenant;
    watcher.watch(dir, RecursiveMode::NonRecursive).map_err(|e| format!("cannot watch `{}`: {e}", dir.display()))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        watcher
            .watch(parent, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch `{}`: {e}", parent.display()))?;
    }
    let debounce = Duration::from_millis(server.config.debounce_ms);
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Settle: every event within the window joins this reload.
            loop {
                match tokio::time::timeout(debounce, rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let _ = server.reload("watch").await;
        }
    });
    Ok(watcher)
}
