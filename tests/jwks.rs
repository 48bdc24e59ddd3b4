//! The gateway's keys over HTTP: a loopback server plays the tenant's key endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../crates/gateway/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rolegate_cli::jwks::{HttpKeySource, MAX_JWKS_BYTES, spawn_refresh_with, tenant_keys_url};
use rolegate_gateway::identity::{KeySource, TokenConfig, TokenError, Validator};
use support::{AUD, TENANT, claims, jwks, keys, sign};

/// A loopback HTTP server answering every request with the current `(status, body)`, counting requests.
struct Server {
    url: String,
    reply: Arc<Mutex<(u16, Vec<u8>)>>,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn start(status: u16, body: Vec<u8>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/discovery/v2.0/keys", listener.local_addr().unwrap());
        let reply = Arc::new(Mutex::new((status, body)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h) = (Arc::clone(&reply), Arc::clone(&hits));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                // The request line and headers, up to the blank line.
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                h.fetch_add(1, Ordering::SeqCst);
                let (status, body) = r.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
            }
        });
        Server { url, reply, hits }
    }

    fn set(&self, status: u16, body: Vec<u8>) {
        *self.reply.lock().unwrap() = (status, body);
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn validator(server: &Server) -> Validator {
    let config = TokenConfig::new(TENANT, [AUD]).min_refresh_interval(Duration::from_secs(3600));
    Validator::with_source(config, Box::new(HttpKeySource::new(&server.url).unwrap())).unwrap()
}

#[test]
fn the_key_set_is_fetched_at_start_and_verifies_tokens() {
    let server = Server::start(200, jwks(&[(&keys()[0], "k1")]));
    let v = validator(&server);
    assert_eq!(server.hits(), 1);
    assert_eq!(v.validate(&sign(&keys()[0], "k1", &claims())).unwrap().principal, support::OID);
    // A token signed by a key the set lacks, under a kid the set has, does not verify.
    assert_eq!(v.validate(&sign(&keys()[1], "k1", &claims())), Err(TokenError::Signature));
}

#[test]
fn an_unknown_kid_fetches_once_and_made_up_kids_wait_for_the_interval() {
    let server = Server::start(200, jwks(&[(&keys()[0], "k1")]));
    let v = validator(&server);
    // The keys rotate at the endpoint: k2 appears. The first token signed with it fetches once and verifies.
    server.set(200, jwks(&[(&keys()[0], "k1"), (&keys()[1], "k2")]));
    assert!(v.validate(&sign(&keys()[1], "k2", &claims())).is_ok());
    assert_eq!(server.hits(), 2);
    // A made-up kid is refused without another fetch: the interval has not passed.
    assert_eq!(v.validate(&sign(&keys()[1], "k9", &claims())), Err(TokenError::UnknownKey));
    assert_eq!(server.hits(), 2);
}

#[test]
fn many_threads_seeing_one_unknown_kid_fetch_once() {
    let server = Server::start(200, jwks(&[(&keys()[0], "k1")]));
    let v = Arc::new(validator(&server));
    server.set(200, jwks(&[(&keys()[0], "k1"), (&keys()[1], "k2")]));
    let token = sign(&keys()[1], "k2", &claims());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (v, token) = (Arc::clone(&v), token.clone());
            std::thread::spawn(move || v.validate(&token))
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(server.hits(), 2, "one fetch at start, one for the unknown kid");
    // The thread that fetched verifies; the others may have looked before the new set was in.
    assert!(results.iter().any(Result::is_ok));
    assert!(results.iter().all(|r| r.is_ok() || *r == Err(TokenError::UnknownKey)));
    assert!(v.validate(&token).is_ok());
}

#[test]
fn a_failed_refresh_keeps_the_last_good_set() {
    let server = Server::start(200, jwks(&[(&keys()[0], "k1")]));
    let v = validator(&server);
    let token = sign(&keys()[0], "k1", &claims());
    let oversize = {
        let mut b = b"{\"keys\": [], \"pad\": \"".to_vec();
        b.resize(usize::try_from(MAX_JWKS_BYTES).unwrap() + 10, b'x');
        b.extend_from_slice(b"\"}");
        b
    };
    let failures: [(u16, Vec<u8>, &str); 4] = [
        (500, b"oops".to_vec(), "HTTP status 500"),
        (200, b"<html>".to_vec(), "not a JSON Web Key Set"),
        (200, br#"{"keys": []}"#.to_vec(), "no usable signing key"),
        (200, oversize, "cap"),
    ];
    for (status, body, why) in failures {
        server.set(status, body);
        let err = v.refresh().unwrap_err();
        assert!(err.contains(why), "{err}");
        assert!(v.validate(&token).is_ok(), "after `{why}` the last good set still verifies");
    }
}

#[test]
fn an_unreachable_endpoint_fails_the_start() {
    // Nothing listens on a port just freed.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let source = HttpKeySource::new(&format!("http://127.0.0.1:{port}/keys")).unwrap();
    assert!(source.fetch().unwrap_err().contains("fetching"));
    assert!(Validator::with_source(TokenConfig::new(TENANT, [AUD]), Box::new(source)).is_err());
}

#[test]
fn the_refresher_picks_up_rotated_keys_and_stops_when_dropped() {
    let server = Server::start(200, jwks(&[(&keys()[0], "k1")]));
    let v = Arc::new(validator(&server));
    // Only k2 from now on: a periodic refresh must drop k1.
    server.set(200, jwks(&[(&keys()[1], "k2")]));
    let errors = Arc::new(AtomicUsize::new(0));
    let e = Arc::clone(&errors);
    let refresh = spawn_refresh_with(Arc::clone(&v), Duration::from_millis(20), move |_| {
        e.fetch_add(1, Ordering::SeqCst);
    });
    let k1 = sign(&keys()[0], "k1", &claims());
    let deadline = Instant::now() + Duration::from_secs(30);
    while v.validate(&k1).is_ok() {
        assert!(Instant::now() < deadline, "no refresh in 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(v.validate(&sign(&keys()[1], "k2", &claims())).is_ok());
    assert_eq!(errors.load(Ordering::SeqCst), 0);
    drop(refresh);
    let after = server.hits();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.hits(), after, "a dropped refresher fetches no more");
}

#[test]
fn key_sets_are_fetched_over_https_or_from_loopback_only() {
    for url in ["http://login.example.com/keys", "ftp://127.0.0.1/keys", "file:///etc/keys.json", "not a url", "/keys"]
    {
        assert!(HttpKeySource::new(url).is_err(), "{url}");
    }
    for url in
        ["https://login.microsoftonline.com/t/discovery/v2.0/keys", "http://127.0.0.1:8080/k", "http://[::1]:9/k"]
    {
        assert!(HttpKeySource::new(url).is_ok(), "{url}");
    }
    assert_eq!(
        tenant_keys_url(TENANT).unwrap(),
        format!("https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys")
    );
    assert!(tenant_keys_url("../../evil").is_err());
    assert!(tenant_keys_url("").is_err());
}
