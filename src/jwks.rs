//! A [`KeySource`] that fetches a JSON Web Key Set over HTTPS (the tenant's
//! `https://login.microsoftonline.com/{tid}/discovery/v2.0/keys` by default), and a thread that refreshes a
//! [`Validator`]'s keys periodically.
//!
//! A refresh that fails (unreachable, not 200, too large, not a key set) keeps the last good set: the
//! validator only ever replaces its keys with a set that parsed. Plain `http` is accepted only for a loopback
//! host, so that a key set, which decides who is authenticated, never crosses a network unprotected.

use std::io::Read;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rolegate_gateway::identity::{KeySource, Validator};

/// The largest key set read; Entra ID's is a few kilobytes.
pub const MAX_JWKS_BYTES: u64 = 1 << 20;

/// How long one fetch may take, connection and body included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The key set URL of an Entra ID tenant's OpenID metadata.
pub fn tenant_keys_url(tenant_id: &str) -> Result<String, String> {
    let valid = !tenant_id.is_empty() && tenant_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        return Err(format!("`{tenant_id}` is not a tenant id (a GUID or a domain name)"));
    }
    Ok(format!("https://login.microsoftonline.com/{tenant_id}/discovery/v2.0/keys"))
}

/// Fetches a JSON Web Key Set from a URL.
#[derive(Debug)]
pub struct HttpKeySource {
    url: String,
    agent: ureq::Agent,
}

impl HttpKeySource {
    /// A source for `url`: `https`, or `http` to a loopback host (`127.0.0.1`, `[::1]`, `localhost`).
    pub fn new(url: &str) -> Result<HttpKeySource, String> {
        let uri: ureq::http::Uri = url.parse().map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let host = uri.host().unwrap_or_default();
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if matches!(host, "127.0.0.1" | "[::1]" | "::1" | "localhost") => false,
            _ => {
                return Err(format!("`{url}`: a key set is fetched over https (plain http only from a loopback host)"));
            }
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no host"));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(FETCH_TIMEOUT))
            .https_only(https)
            .http_status_as_error(false)
            .max_redirects(3)
            .build()
            .into();
        Ok(HttpKeySource { url: url.to_owned(), agent })
    }

    /// The source of an Entra ID tenant's signing keys ([`tenant_keys_url`]).
    pub fn for_tenant(tenant_id: &str) -> Result<HttpKeySource, String> {
        HttpKeySource::new(&tenant_keys_url(tenant_id)?)
    }

    /// The URL fetched.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl KeySource for HttpKeySource {
    fn fetch(&self) -> Result<Vec<u8>, String> {
        let url = &self.url;
        let mut response = self.agent.get(url).call().map_err(|e| format!("fetching `{url}`: {e}"))?;
        let status = response.status();
        if status != 200 {
            return Err(format!("fetching `{url}`: HTTP status {}", status.as_u16()));
        }
        // One byte past the cap tells a set at the cap from one over it.
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_JWKS_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("reading `{url}`: {e}"))?;
        if body.len() as u64 > MAX_JWKS_BYTES {
            return Err(format!("`{url}`: the key set is over the {MAX_JWKS_BYTES}-byte cap"));
        }
        Ok(body)
    }
}

/// A background thread refreshing a validator's keys; dropping it stops the thread (a fetch in progress
/// finishes first).
#[derive(Debug)]
pub struct Refresh {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// Refreshes `validator`'s keys from its source every `every`, starting one interval from now (the validator
/// fetched them when it was made). Failures keep the last good set; `on_error` hears each one.
pub fn spawn_refresh_with(
    validator: Arc<Validator>,
    every: Duration,
    on_error: impl Fn(&str) + Send + 'static,
) -> Refresh {
    let (stop, stopped) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        // Nothing is ever sent: the sender's drop disconnects, which is the signal to stop.
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
            if let Err(e) = validator.refresh() {
                on_error(&e);
            }
        }
    });
    Refresh { stop: Some(stop), handle: Some(handle) }
}

/// [`spawn_refresh_with`], failures going to standard error.
pub fn spawn_refresh(validator: Arc<Validator>, every: Duration) -> Refresh {
    spawn_refresh_with(validator, every, |e| eprintln!("rolegate: key refresh failed, keeping the last good set: {e}"))
}

impl Drop for Refresh {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
