//! The server's HTTP side (semantics §3.5): the accept loop with its limits, and the routes.
//!
//! Main listener: `/auth` and below (forward-auth), `POST /v1/check`, the ML credential routes
//! (`POST /subscriptions/…/onlineEndpoints/{name}/listKeys|regenerateKeys|token`), `/healthz`, `/readyz`,
//! `/metrics`. Admin listener (loopback): `POST /admin/reload`, `/metrics`. Every response names the snapshot
//! generation (`x-rolegate-generation`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rolegate_gateway::{HttpRequest, Outcome, Verdict};
use serde_json::json;

use super::Server;
use super::metrics::DecisionLabels;

/// Which listener a connection came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// Decisions, health, metrics.
    Main,
    /// Reloads and metrics (loopback only).
    Admin,
}

type Reply = Response<Full<Bytes>>;

/// Accepts connections until the listener fails: at most `max_connections` at once (more wait to be
/// accepted), each request's head within `header_timeout_ms` (a slow client is cut off, others are served),
/// each head at most `max_header_bytes`.
pub async fn accept(server: Arc<Server>, listener: tokio::net::TcpListener, which: Listener) {
    let limits = server.config.limits;
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { return };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(target: "rolegate::serve", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req| {
                let server = Arc::clone(&server);
                async move { Ok::<_, Infallible>(handle(&server, which, peer, req).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_millis(limits.header_timeout_ms))
                .max_buf_size(limits.max_header_bytes.max(8192))
                .keep_alive(true);
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Decrements the in-flight gauge when a request is answered (or abandoned).
struct InFlight<'a>(&'a Server);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight.dec();
    }
}

async fn handle(server: &Arc<Server>, which: Listener, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    server.metrics.in_flight.inc();
    let _in_flight = InFlight(server);
    let timeout = Duration::from_millis(server.config.limits.request_timeout_ms);
    let mut reply = match tokio::time::timeout(timeout, route(server, which, peer, req)).await {
        Ok(reply) => reply,
        Err(_) => json_reply(StatusCode::REQUEST_TIMEOUT, &json!({"error": "the request took too long"})),
    };
    if let Ok(v) = HeaderValue::from_str(&server.gateway.generation().to_string()) {
        reply.headers_mut().insert(HeaderName::from_static("x-rolegate-generation"), v);
    }
    reply
}

async fn route(server: &Arc<Server>, which: Listener, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (which, &method, path.as_str()) {
        (Listener::Admin, &Method::POST, "/admin/reload") => match server.reload("admin").await {
            Ok(generation) => json_reply(StatusCode::OK, &json!({"reloaded": true, "generation": generation})),
            Err(error) => json_reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({"reloaded": false, "error": error, "generation": server.gateway.generation()}),
            ),
        },
        (_, &Method::GET, "/metrics") => match server.metrics.encode(server.loaded_at()) {
            Ok(text) => {
                let mut r = Response::new(Full::new(Bytes::from(text)));
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                );
                r
            }
            Err(_) => json_reply(StatusCode::INTERNAL_SERVER_ERROR, &json!({"error": "metrics"})),
        },
        (Listener::Main, &Method::GET, "/healthz") => json_reply(StatusCode::OK, &json!({"status": "serving"})),
        (Listener::Main, &Method::GET, "/readyz") => {
            if server.is_ready() {
                json_reply(StatusCode::OK, &json!({"ready": true, "generation": server.gateway.generation()}))
            } else {
                json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({"ready": false}))
            }
        }
        (Listener::Main, _, p) if p == "/auth" || p.starts_with("/auth/") => forward_auth(server, peer, req),
        (Listener::Main, &Method::POST, "/v1/check") => check(server, peer, req).await,
        (Listener::Main, &Method::POST, p) if p.starts_with("/subscriptions/") && server.endpoints.is_some() => {
            credentials(server, peer, req).await
        }
        _ => json_reply(StatusCode::NOT_FOUND, &json!({"error": "no such route"})),
    }
}

fn json_reply(status: StatusCode, body: &serde_json::Value) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// The request's headers as the gateway reads them; values that are not visible ASCII are left out (an
/// `Authorization` so spelt is then missing: 401).
fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(&str, &str)> {
    headers.iter().filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v))).collect()
}

fn first_header<'a>(headers: &'a hyper::HeaderMap, names: &[String]) -> Option<&'a str> {
    names.iter().find_map(|n| headers.get(n.as_str()).and_then(|v| v.to_str().ok()))
}

/// Whether the headers named hold two different values. A proxy sets one of them and passes the client's others
/// on (Caddy and Traefik forward a client's `X-Original-*` beside their own `X-Forwarded-*`), so a disagreement
/// means the client wrote one: whichever came first, the decision could be about another request.
fn disagree(headers: &hyper::HeaderMap, names: &[String]) -> bool {
    let mut values = names.iter().flat_map(|n| headers.get_all(n.as_str()).iter());
    values.next().is_some_and(|first| values.any(|v| v != first))
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "allowed",
        Verdict::Unauthenticated => "unauthenticated",
        Verdict::Forbidden => "forbidden",
        Verdict::BadRequest => "bad_request",
        Verdict::NotFound => "not_found",
        Verdict::Unavailable => "unavailable",
        _ => "denied",
    }
}

/// Logs one decision and counts it.
fn record(
    server: &Server,
    route: &'static str,
    decision_id: &str,
    request_id: Option<&str>,
    out: &Outcome,
    started: Instant,
) {
    let latency = started.elapsed();
    let verdict = verdict_name(out.verdict);
    server.metrics.decisions.get_or_create(&DecisionLabels { outcome: verdict, reason: out.reason }).inc();
    server.metrics.latency.observe(latency.as_secs_f64());
    if !server.log_decisions {
        return;
    }
    let by = out.decided_by.as_ref();
    tracing::info!(
        target: "rolegate::decision",
        route,
        decision_id,
        request_id = request_id.unwrap_or(decision_id),
        principal = out.principal.as_deref().unwrap_or(""),
        action = out.action.as_deref().unwrap_or(""),
        scope = out.scope.as_deref().unwrap_or(""),
        decision = verdict,
        reason = out.reason,
        assignment = by.and_then(|b| b.assignment.as_deref()).unwrap_or(""),
        role = by.and_then(|b| b.role.as_deref()).unwrap_or(""),
        deny = by.and_then(|b| b.deny.as_deref()).unwrap_or(""),
        endpoint = out.endpoint.as_deref().unwrap_or(""),
        deployment = out.deployment.as_deref().unwrap_or(""),
        // The snapshot that decided, or for an outcome no snapshot decided (a key, a refused token), the one in use.
        generation = if out.generation != 0 { out.generation } else { server.gateway.generation() },
        latency_us = latency.as_micros() as u64,
    );
}

/// A proxy's request id, when it looks like one (hex, dashes, at most 64): anything else is not logged, since a
/// client could put anything there.
fn request_id(headers: &hyper::HeaderMap) -> Option<&str> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
}

/// Forward-auth: decides the original request described by the trusted proxy's headers. Only 200, 401 and 403
/// are answered (nginx's `auth_request` turns anything else into a 500): a bad request is 403 with its reason.
fn forward_auth(server: &Server, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    let started = Instant::now();
    let decision_id = server.decision_id();
    let fa = &server.config.forward_auth;
    let headers = req.headers();
    let mut out = Outcome::new(Verdict::Forbidden, "untrusted_peer");
    if !fa.trusted_peers.contains(&peer.ip()) {
        record(server, "forward_auth", &decision_id, None, &out, started);
        return forward_reply(&out, &decision_id, server.gateway.generation());
    }
    if !server.is_ready() {
        out.reason = "not_ready";
        record(server, "forward_auth", &decision_id, request_id(headers), &out, started);
        return forward_reply(&out, &decision_id, server.gateway.generation());
    }
    if [&fa.method_headers, &fa.uri_headers, &fa.host_headers].into_iter().any(|names| disagree(headers, names)) {
        out.verdict = Verdict::BadRequest;
        out.reason = "conflicting_original_headers";
        record(server, "forward_auth", &decision_id, request_id(headers), &out, started);
        return forward_reply(&out, &decision_id, server.gateway.generation());
    }
    let method = first_header(headers, &fa.method_headers).unwrap_or(req.method().as_str());
    let own = req.uri().path_and_query().map_or("/", |p| p.as_str());
    // Envoy sends the original path below its `path_prefix` (`/auth`); the others send it in a header.
    let uri = match first_header(headers, &fa.uri_headers) {
        Some(uri) => uri,
        None => match own.strip_prefix("/auth") {
            Some(rest) if rest.starts_with('/') => rest,
            _ => own,
        },
    };
    let host = first_header(headers, &fa.host_headers).or_else(|| headers.get("host").and_then(|v| v.to_str().ok()));
    let mut pairs: Vec<(&str, &str)> =
        header_pairs(headers).into_iter().filter(|(n, _)| *n != "host" && *n != ":authority").collect();
    pairs.extend(host.map(|h| ("host", h)));
    let request = HttpRequest::new(method, uri).headers(&pairs).peer(peer.ip());
    let scored = server.endpoints.as_ref().and_then(|e| e.score(&request));
    let out = scored.unwrap_or_else(|| server.gateway.authorize(&request));
    record(server, "forward_auth", &decision_id, request_id(headers), &out, started);
    forward_reply(&out, &decision_id, server.gateway.generation())
}

fn forward_reply(out: &Outcome, decision_id: &str, in_use: u64) -> Reply {
    if out.verdict == Verdict::Allowed {
        let values = [
            ("x-rolegate-principal", out.principal.as_deref()),
            ("x-rolegate-action", out.action.as_deref()),
            ("x-rolegate-scope", out.scope.as_deref()),
            ("x-rolegate-decision-id", Some(decision_id)),
            ("x-rolegate-endpoint", out.endpoint.as_deref()),
        ];
        let mut r = Response::new(Full::new(Bytes::new()));
        for (name, value) in values {
            // Every header is sent, empty when there is no value: a proxy that copies them then overwrites a
            // client's own copy instead of passing it on (a principal at a `key` endpoint has none).
            let value = value.unwrap_or("");
            // A value that cannot be a header (a principal with control characters) must not reach the upstream
            // as something else: refuse.
            match HeaderValue::from_str(value) {
                Ok(v) => {
                    r.headers_mut().insert(HeaderName::from_static(name), v);
                }
                Err(_) => {
                    let refused = json!({"decision": "forbidden", "reason": "unrepresentable_header", "decision_id": decision_id});
                    return json_reply(StatusCode::FORBIDDEN, &refused);
                }
            }
        }
        return r;
    }
    let status = if out.verdict == Verdict::Unauthenticated { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
    let body = json!({
        "decision": verdict_name(out.verdict),
        "reason": out.reason,
        "action": out.action,
        "scope": out.scope,
        "decision_id": decision_id,
        "generation": if out.generation != 0 { out.generation } else { in_use },
    });
    let mut r = json_reply(status, &body);
    if let Some(challenge) = out.verdict.challenge() {
        r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    r
}

/// Reads a body up to the configured cap; `Err` is the reply (413, or 400 for a broken body).
async fn body(server: &Server, req: Request<Incoming>) -> Result<(hyper::http::request::Parts, Bytes), Reply> {
    let (parts, body) = req.into_parts();
    match Limited::new(body, server.config.limits.max_body_bytes).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(json_reply(StatusCode::PAYLOAD_TOO_LARGE, &json!({"error": "the body is over the limit"})))
        }
        Err(_) => Err(json_reply(StatusCode::BAD_REQUEST, &json!({"error": "the body could not be read"}))),
    }
}

/// `POST /v1/check`: one query, or JSON lines of them (`queries.jsonl`); one JSON line each, in order, echoing
/// the query.
async fn check(server: &Server, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    if !server.config.check.peers.contains(&peer.ip()) {
        return json_reply(StatusCode::FORBIDDEN, &json!({"error": "this peer may not ask /v1/check"}));
    }
    if !server.is_ready() {
        return json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": "no tenant loaded yet"}));
    }
    let (_, bytes) = match body(server, req).await {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return json_reply(StatusCode::BAD_REQUEST, &json!({"error": "the body is not UTF-8"}));
    };
    let mut out = String::new();
    server.gateway.with_engine(|engine, generation| {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let started = Instant::now();
            let value = match serde_json::from_str::<rolegate::schema::Query>(line) {
                Err(e) => json!({"error": format!("line {}: {e}", n + 1)}),
                Ok(q) => {
                    let pairs = q.attribute_pairs();
                    match q.request() {
                        Err(e) => json!({"error": format!("line {}: {e}", n + 1), "query": q}),
                        Ok(r) => {
                            let d = engine.check(&r.attributes(&pairs));
                            let decision_id = server.decision_id();
                            let view = engine.describe(d.reason());
                            let mut o = Outcome::new(
                                if d.is_allowed() { Verdict::Allowed } else { Verdict::Forbidden },
                                d.reason().kind().as_str(),
                            );
                            o.principal = Some(q.principal.clone());
                            o.action = Some(q.action.clone());
                            o.scope = Some(q.scope.clone());
                            o.generation = generation;
                            o.decided_by = Some(rolegate_gateway::DecidedBy::from_view(&view));
                            record(server, "check", &decision_id, None, &o, started);
                            json!({"decision": d.as_str(), "reason": view, "generation": generation, "decision_id": decision_id, "query": q})
                        }
                    }
                }
            };
            out.push_str(&value.to_string());
            out.push('\n');
        }
    });
    let mut r = Response::new(Full::new(Bytes::from(out)));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    r
}

/// An ML credential route: the one place a secret leaves rolegate (`Cache-Control: no-store`).
async fn credentials(server: &Server, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    let started = Instant::now();
    let decision_id = server.decision_id();
    let Some(endpoints) = server.endpoints.as_ref() else {
        return json_reply(StatusCode::NOT_FOUND, &json!({"error": "no such route"}));
    };
    if !server.is_ready() {
        return json_reply(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": "no tenant loaded yet"}));
    }
    let (parts, bytes) = match body(server, req).await {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let uri = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let pairs = header_pairs(&parts.headers);
    let request = HttpRequest::new(parts.method.as_str(), uri).headers(&pairs).peer(peer.ip());
    let Some(response) = endpoints.credentials(&request, &bytes) else {
        return json_reply(StatusCode::NOT_FOUND, &json!({"error": "no such route"}));
    };
    let out = &response.outcome;
    record(server, "credentials", &decision_id, request_id(&parts.headers), out, started);
    let mut r = match (&response.reply, out.verdict) {
        (Some(reply), Verdict::Allowed) => match reply.body() {
            Ok(body) => {
                let mut r = Response::new(Full::new(Bytes::copy_from_slice(&body)));
                r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                r
            }
            Err(_) => {
                json_reply(StatusCode::INTERNAL_SERVER_ERROR, &json!({"error": "the reply could not be written"}))
            }
        },
        _ => {
            let status = StatusCode::from_u16(out.verdict.status()).unwrap_or(StatusCode::FORBIDDEN);
            let body = json!({"error": {"code": out.reason, "message": format!("{}: {}", verdict_name(out.verdict), out.reason)}, "decision_id": decision_id});
            let mut r = json_reply(status, &body);
            if let Some(challenge) = out.verdict.challenge() {
                r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            r
        }
    };
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
