//! `rolegate serve` behind a real nginx (`auth_request`), as the README configures it: ARM requests and Azure ML
//! scoring in each auth mode go through nginx to an upstream that echoes what it received.
//!
//! nginx must be installed (`.ci/run` installs it); without it this test fails rather than skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/server.rs"]
mod server;
#[path = "../crates/gateway/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::{Server, agent, scratch};
use support::{AUD, OID, TENANT, jwks, keys, sign, with};

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const SCORING_ROLE: &str = "6b1f2a38-0c2d-4f5e-9a1b-1c2d3e4f5a60";
/// Holds Reader only: may read, may not score or fetch credentials.
const BOB: &str = "0b0b0b0b-0000-4000-8000-0000000000b0";
const ML_AUD: &str = "https://ml.azure.com";
const WS: &str = "/subscriptions/s1/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/ws";
const KEY_HOST: &str = "keyed.westus.inference.ml.azure.com";
const AML_HOST: &str = "tokened.westus.inference.ml.azure.com";

/// Headers a client might send to impersonate rolegate's verdict; the upstream must never see them.
const SPOOFED: [(&str, &str); 6] = [
    ("X-Rolegate-Principal", "mallory"),
    ("x-rolegate-action", "forged-action"),
    ("x-rolegate-scope", "/forged-scope"),
    ("x-rolegate-decision-id", "forged-id"),
    ("x-rolegate-endpoint", "forged-endpoint"),
    ("x-rolegate-generation", "999"),
];

fn endpoint_id(name: &str) -> String {
    format!("{WS}/onlineEndpoints/{name}")
}

/// `nginx` on PATH (or Debian's /usr/sbin, off non-root users' PATH), built with `auth_request`.
fn nginx_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("nginx")).find(|f| f.is_file()))
        .unwrap_or_default();
    let Some(bin) = on_path.or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|f| f.is_file())) else {
        panic!(
            "nginx is not installed (not on PATH, nor /usr/sbin/nginx): this test puts rolegate behind a real nginx; \
             `.ci/run` installs it (`apt-get install -y nginx`)"
        );
    };
    let out = Command::new(&bin).arg("-V").output().unwrap();
    let build = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        build.contains("http_auth_request_module"),
        "{} was built without http_auth_request_module, which this test needs: {build}",
        bin.display()
    );
    bin
}

/// A port nothing listens on now (nginx binds it next; the window is small).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The upstream behind nginx: answers every request 200 with a JSON echo of its method, URI and headers (in
/// order, repeats kept), and counts requests, so a test sees what got through and whether anything did.
struct Upstream {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let h = Arc::clone(&h);
                std::thread::spawn(move || echo(stream, &h));
            }
        });
        Upstream { addr, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn echo(mut stream: TcpStream, hits: &AtomicUsize) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let (method, uri) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let (name, value) = line.trim_end().split_once(':').unwrap();
        let (name, value) = (name.to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().unwrap();
        }
        headers.push(json!([name, value]));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    hits.fetch_add(1, Ordering::SeqCst);
    let reply = json!({"method": method, "uri": uri, "headers": headers}).to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(reply.as_bytes()));
}

/// The nginx configuration under test: the README's, on loopback ports, everything in `dir`.
fn nginx_conf(dir: &Path, port: u16, rolegate: SocketAddr, upstream: SocketAddr, as_root: bool) -> String {
    let d = dir.display();
    // Workers of a root master run as `nobody`, who cannot write the temporary directories here.
    let user = if as_root { "user root;" } else { "" };
    format!(
        r#"{user}
daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;

    upstream rolegate {{ server {rolegate}; keepalive 8; }}
    upstream app {{ server {upstream}; }}

    server {{
        listen 127.0.0.1:{port};

        location = /_rolegate {{
            internal;
            proxy_pass http://rolegate/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-Host $host;
        }}

        # The ML credential routes are answered by rolegate itself, which authorizes each one.
        location ~ ^/subscriptions/.+/onlineEndpoints/[^/]+/(listKeys|regenerateKeys|token)$ {{
            proxy_pass http://rolegate;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}

        location / {{
            auth_request /_rolegate;
            auth_request_set $rolegate_principal $upstream_http_x_rolegate_principal;
            auth_request_set $rolegate_action $upstream_http_x_rolegate_action;
            auth_request_set $rolegate_scope $upstream_http_x_rolegate_scope;
            auth_request_set $rolegate_decision_id $upstream_http_x_rolegate_decision_id;
            auth_request_set $rolegate_endpoint $upstream_http_x_rolegate_endpoint;
            auth_request_set $rolegate_generation $upstream_http_x_rolegate_generation;
            # Set even when empty: an empty value drops the header, so a client's own never passes.
            proxy_set_header X-Rolegate-Principal $rolegate_principal;
            proxy_set_header X-Rolegate-Action $rolegate_action;
            proxy_set_header X-Rolegate-Scope $rolegate_scope;
            proxy_set_header X-Rolegate-Decision-Id $rolegate_decision_id;
            proxy_set_header X-Rolegate-Endpoint $rolegate_endpoint;
            proxy_set_header X-Rolegate-Generation $rolegate_generation;
            proxy_set_header Host $host;
            proxy_pass http://app;
        }}
    }}
}}
"#
    )
}

/// A running nginx, stopped when dropped (also when the test panics).
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(dir: &Path, rolegate: SocketAddr, upstream: SocketAddr) -> Nginx {
        let bin = nginx_binary();
        let port = free_port();
        let as_root = rustix::process::geteuid().is_root();
        std::fs::write(dir.join("nginx.conf"), nginx_conf(dir, port, rolegate, upstream, as_root)).unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("nginx.stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut nginx = Nginx { child, port, dir: dir.to_owned() };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                panic!("nginx exited with {status}: {}", nginx.logs());
            }
            assert!(Instant::now() < deadline, "nginx does not listen on {port} after 20 s: {}", nginx.logs());
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn logs(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!("stderr: {}\nerror.log: {}", read("nginx.stderr"), read("error.log"))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: the master then stops its workers, which a killed master would leave behind.
        if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP exchange, as received.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// What the upstream received, from its echo: every value of each header, in order.
    fn upstream_saw(&self, name: &str) -> Vec<String> {
        let v: Value =
            serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not the upstream's echo ({e}): {self:?}"));
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0] == name)
            .map(|h| h[1].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Sends one request over a fresh connection, with exactly these headers (plus `Host` unless given,
/// `Content-Length` and `Connection: close`): ureq would not let a test set `Host` or repeat a header.
fn send(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no response head: {raw:?}"));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| l.split_once(':').unwrap())
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_owned() };
    Reply { status, headers, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// An Entra token (`Bearer …` is added by the caller) for `oid` and `audience`.
fn entra(oid: &str, audience: &str) -> String {
    sign(
        &keys()[0],
        "k1",
        &with(|c| {
            c.insert("oid".into(), json!(oid));
            c.insert("aud".into(), json!(audience));
        }),
    )
}

/// The docs' scoring role (`onlineEndpoints/*/action`: scoring and every credential route), with an id.
fn scoring_role() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("roles/examples/custom-role-for-scoring.json");
    let mut role: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    role["Id"] = json!(SCORING_ROLE);
    role["AssignableScopes"] = json!(["/subscriptions/s1"]);
    role.to_string()
}

/// rolegate, nginx in front of it, and the upstream behind nginx. Fields drop in order: nginx stops first.
struct Stack {
    nginx: Nginx,
    rolegate: Server,
    upstream: Upstream,
    dir: PathBuf,
}

/// Identity mode `token` with a `jwks_file`, not `trusted_headers`: the bearer tokens then travel as they do in
/// production, through nginx's auth subrequest (which forwards the client's `Authorization`), the ARM and the
/// ML audiences are told apart, and `aad_token` scoring checks a real Entra-shaped token. With
/// `trusted_headers` the test would mostly exercise nginx's handling of a header it must set itself.
fn stack(name: &str) -> Stack {
    let dir = scratch(&format!("nginx-{name}"));
    let tenant = dir.join("tenant");
    std::fs::create_dir_all(&tenant).unwrap();
    std::fs::write(tenant.join("scoring.json"), scoring_role()).unwrap();
    let assign = |p: &str, r: &str, scope: &str| json!({"principalId": p, "principalType": "User", "roleDefinitionId": r, "scope": scope});
    let assignments = json!([
        assign(OID, READER, "/subscriptions/s1"),
        assign(OID, SCORING_ROLE, WS),
        assign(BOB, READER, "/subscriptions/s1"),
    ]);
    std::fs::write(tenant.join("assignments.json"), assignments.to_string()).unwrap();
    std::fs::write(dir.join("keys.json"), jwks(&[(&keys()[0], "k1")])).unwrap();
    let init = Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(["secrets", "init"])
        .arg(dir.join("secrets.json"))
        .args(["--endpoint", "keyed"])
        .output()
        .unwrap();
    assert!(init.status.success(), "rolegate secrets init: {}", String::from_utf8_lossy(&init.stderr));
    let config = format!(
        r#"listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
tenant = "tenant"
watch = false

[identity]
mode = "token"
tenant_id = "{TENANT}"
audiences = ["{AUD}"]
jwks_file = "keys.json"

[ml]
secrets = "secrets.json"
endpoints = [
  {{ name = "keyed", id = "{keyed}", auth_mode = "key", host = "{KEY_HOST}" }},
  {{ name = "tokened", id = "{tokened}", auth_mode = "aml_token", host = "{AML_HOST}" }},
  {{ name = "entra", id = "{entra}", auth_mode = "aad_token", path_prefix = "/endpoints/entra" }},
]
"#,
        keyed = endpoint_id("keyed"),
        tokened = endpoint_id("tokened"),
        entra = endpoint_id("entra"),
    );
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    let upstream = Upstream::start();
    let rolegate = Server::start(&dir, &[]);
    let nginx = Nginx::start(&dir, rolegate.main, upstream.addr);
    Stack { nginx, rolegate, upstream, dir }
}

impl Stack {
    /// Stops nginx and rolegate, then removes the directory (left in place when a test fails, to look at).
    fn finish(self) {
        let dir = self.dir.clone();
        drop(self);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn send(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        send(self.nginx.addr(), method, target, headers, body)
    }

    /// Waits for the decision log to name `decision_id`; returns its line.
    fn logged(&self, decision_id: &str) -> Value {
        let mut found = None;
        let logged = self.rolegate.wait_for(10, || {
            let out = self.rolegate.stdout.lock().unwrap();
            found = out.lines().find(|l| l.contains(decision_id)).map(str::to_owned);
            found.is_some()
        });
        assert!(logged, "decision {decision_id} is not in the decision log: {}", self.rolegate.stdout.lock().unwrap());
        serde_json::from_str(&found.unwrap()).unwrap()
    }

    /// No secret, whole or any of its `.`-separated segments (a JWT's header, claims, signature), appears in
    /// rolegate's decision log, its stderr, `/metrics` on either listener, or any body in `bodies`.
    fn assert_no_secret_leaks(&self, secrets: &[String], bodies: &[&Reply]) {
        let metrics = |url: String| agent().get(&url).call().unwrap().body_mut().read_to_string().unwrap();
        let main = metrics(self.rolegate.url("/metrics"));
        assert!(main.contains("rolegate_decisions_total"), "{main}");
        let places = [
            ("the decision log (stdout)", self.rolegate.stdout.lock().unwrap().clone()),
            ("stderr", self.rolegate.stderr.lock().unwrap().clone()),
            ("/metrics", main),
            ("/metrics on the admin listener", metrics(self.rolegate.admin_url("/metrics"))),
        ];
        let bodies = bodies.iter().map(|r| (format!("the body of a {} reply", r.status), r.body.clone()));
        let needles: Vec<&str> = secrets.iter().flat_map(|s| std::iter::once(s.as_str()).chain(s.split('.'))).collect();
        for (place, text) in places.into_iter().map(|(p, t)| (p.to_owned(), t)).chain(bodies) {
            for (i, needle) in needles.iter().enumerate() {
                assert!(needle.len() >= 16, "secret part #{i} is too short to search for");
                assert!(!text.contains(needle), "secret part #{i} appears in {place}");
            }
        }
    }
}

fn bearer(credential: &str) -> String {
    format!("Bearer {credential}")
}

/// The spoofed headers, then `extra`.
fn spoofed_and<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    SPOOFED.iter().chain(extra).copied().collect()
}

const RG: &str = "/subscriptions/s1/resourceGroups/rg?api-version=2024-01-01";
const VM: &str =
    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm?api-version=2024-03-01";

#[test]
fn arm_requests_through_nginx_reach_the_upstream_with_rolegates_verdict_only() {
    let s = stack("arm");
    let alice = entra(OID, AUD);
    let bob = entra(BOB, AUD);
    let forged = sign(&keys()[1], "k1", &support::claims());
    let ml_audience = entra(OID, ML_AUD);
    let (alice_auth, bob_auth) = (bearer(&alice), bearer(&bob));
    let (forged_auth, ml_auth) = (bearer(&forged), bearer(&ml_audience));

    // Allowed: the upstream gets the request with rolegate's headers, each exactly once, and none of the client's.
    let r = s.send("GET", RG, &spoofed_and(&[("Authorization", &alice_auth)]), "");
    assert_eq!(r.status, 200, "{r:?}\n{}", s.nginx.logs());
    let echo: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((echo["method"].as_str(), echo["uri"].as_str()), (Some("GET"), Some(RG)));
    assert_eq!(r.upstream_saw("x-rolegate-principal"), [OID]);
    assert_eq!(r.upstream_saw("x-rolegate-action"), ["Microsoft.Resources/subscriptions/resourceGroups/read"]);
    assert_eq!(r.upstream_saw("x-rolegate-scope"), ["/subscriptions/s1/resourceGroups/rg"]);
    assert_eq!(r.upstream_saw("x-rolegate-generation"), ["1"]);
    assert_eq!(r.upstream_saw("x-rolegate-endpoint"), Vec::<String>::new(), "not an ML request");
    let decision_ids = r.upstream_saw("x-rolegate-decision-id");
    assert_eq!(decision_ids.len(), 1, "{r:?}");
    for (_, spoofed) in SPOOFED {
        assert!(!r.body.contains(spoofed), "the client's `{spoofed}` reached the upstream: {}", r.body);
    }
    // The decision the upstream was told of is the one rolegate logged.
    let line = s.logged(&decision_ids[0]);
    assert_eq!((line["decision"].as_str(), line["principal"].as_str()), (Some("allowed"), Some(OID)), "{line}");
    assert_eq!(line["route"], "forward_auth");
    // Bob (Reader) reads too, as himself, whatever he claims to be.
    let r = s.send("GET", RG, &[("Authorization", &bob_auth), ("x-rolegate-principal", OID)], "");
    assert_eq!((r.status, r.upstream_saw("x-rolegate-principal")), (200, vec![BOB.to_owned()]), "{r:?}");

    let hits = s.upstream.hits();
    let mut bodies = Vec::new();
    // Denied: Reader may not delete. The client's own original method and URI change nothing: nginx overwrites
    // them with the request's, and the first header rolegate reads is always nginx's.
    let lies =
        [("X-Original-Method", "GET"), ("X-Original-URI", RG), ("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", RG)];
    let mut headers = spoofed_and(&lies);
    headers.push(("Authorization", &alice_auth));
    let r = s.send("DELETE", VM, &headers, "");
    assert_eq!(r.status, 403, "{r:?}");
    bodies.push(r);
    // A path rolegate refuses rather than decode (an escaped `/`), and one nginx would normalise (`..`): the
    // upstream would get the raw path, so rolegate decides on the raw path too.
    for path in ["/subscriptions/s1/resourceGroups/a%2F..%2Frg", "/subscriptions/s2/../s1/resourceGroups/rg"] {
        let r = s.send("GET", path, &[("Authorization", &alice_auth)], "");
        assert_eq!(r.status, 403, "{path}: {r:?}");
        bodies.push(r);
    }
    // Unauthenticated: no token, a token signed by another key, a token for another audience (ML's), junk.
    for auth in [None, Some(forged_auth.as_str()), Some(ml_auth.as_str()), Some("Bearer not-a-token-at-all-0123")] {
        let mut headers = spoofed_and(&[]);
        headers.extend(auth.map(|a| ("Authorization", a)));
        let r = s.send("GET", RG, &headers, "");
        assert_eq!((r.status, r.header("www-authenticate")), (401, Some("Bearer")), "{auth:?}: {r:?}");
        bodies.push(r);
    }
    assert_eq!(s.upstream.hits(), hits, "a refused request reached the upstream");

    // nginx answers refusals with its own page; rolegate's JSON reasons come back when it is asked directly.
    // Those bodies must not hold a credential either.
    let direct = |auth: &str| {
        let headers = [("X-Original-Method", "DELETE"), ("X-Original-URI", VM), ("Authorization", auth)];
        send(s.rolegate.main, "GET", "/auth", &headers, "")
    };
    let r = direct(&alice_auth);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((r.status, v["reason"].as_str()), (403, Some("no_grant")), "{r:?}");
    bodies.push(r);
    let r = direct(&forged_auth);
    assert_eq!(r.status, 401, "{r:?}");
    bodies.push(r);

    s.assert_no_secret_leaks(&[alice, bob, forged, ml_audience], &bodies.iter().collect::<Vec<_>>());
    s.finish();
}

#[test]
fn ml_scoring_through_nginx_in_each_auth_mode() {
    let s = stack("ml");
    let (alice_arm, bob_arm) = (entra(OID, AUD), entra(BOB, AUD));
    let (alice_ml, bob_ml) = (entra(OID, ML_AUD), entra(BOB, ML_AUD));
    let (alice_arm_auth, bob_arm_auth) = (bearer(&alice_arm), bearer(&bob_arm));
    let (alice_ml_auth, bob_ml_auth) = (bearer(&alice_ml), bearer(&bob_ml));
    let mut secrets = vec![alice_arm.clone(), bob_arm.clone(), alice_ml.clone(), bob_ml.clone()];
    let mut bodies = Vec::new();
    let scored = |r: &Reply, endpoint: &str, principal: Option<&str>| {
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.upstream_saw("x-rolegate-endpoint"), [endpoint], "{r:?}");
        let score = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action";
        assert_eq!(r.upstream_saw("x-rolegate-action"), [score]);
        assert_eq!(r.upstream_saw("x-rolegate-scope"), [endpoint_id(endpoint)]);
        assert_eq!(r.upstream_saw("x-rolegate-principal"), principal.into_iter().collect::<Vec<_>>(), "{r:?}");
        assert_eq!(r.upstream_saw("x-rolegate-decision-id").len(), 1, "{r:?}");
        for (_, spoofed) in SPOOFED {
            assert!(!r.body.contains(spoofed), "the client's `{spoofed}` reached the upstream: {}", r.body);
        }
    };

    // key: the keys come from the listKeys route, through nginx, for a caller the engine allows.
    let path = format!("{}/listKeys?api-version=2023-10-01", endpoint_id("keyed"));
    let r = s.send("POST", &path, &[("Authorization", &bob_arm_auth)], "");
    assert_eq!(r.status, 403, "{r:?}");
    bodies.push(r);
    let r = s.send("POST", &path, &[("Authorization", &alice_arm_auth)], "");
    assert_eq!((r.status, r.header("cache-control")), (200, Some("no-store")), "{r:?}");
    let listed: Value = serde_json::from_str(&r.body).unwrap();
    let on_file: Value = serde_json::from_slice(&std::fs::read(s.dir.join("secrets.json")).unwrap()).unwrap();
    let keyed = &on_file["endpoints"]["keyed"];
    assert_eq!((&listed["primaryKey"], &listed["secondaryKey"]), (&keyed["primaryKey"], &keyed["secondaryKey"]));
    let (primary, secondary) = (keyed["primaryKey"].as_str().unwrap(), keyed["secondaryKey"].as_str().unwrap());
    let signing = on_file["tokenSigningKeys"].as_array().unwrap().iter();
    secrets.extend(signing.map(|k| k["key"].as_str().unwrap().to_owned()));
    secrets.extend([primary.to_owned(), secondary.to_owned()]);
    for key in [primary, secondary] {
        let auth = bearer(key);
        let headers =
            spoofed_and(&[("Host", KEY_HOST), ("Authorization", &auth), ("azureml-model-deployment", "blue")]);
        let r = s.send("POST", "/score", &headers, r#"{"data": [1, 2]}"#);
        // A key identifies no one: the upstream gets no principal at all, and not the client's.
        scored(&r, "keyed", None);
        let line = s.logged(&r.upstream_saw("x-rolegate-decision-id")[0]);
        assert_eq!((line["reason"].as_str(), line["deployment"].as_str()), (Some("key"), Some("blue")), "{line}");
    }
    let wrong_key = format!("{}x", &primary[1..]);
    secrets.push(wrong_key.clone());
    for auth in [bearer(&wrong_key), alice_ml_auth.clone()] {
        let r = s.send("POST", "/score", &[("Host", KEY_HOST), ("Authorization", &auth)], "{}");
        assert_eq!((r.status, r.header("www-authenticate")), (401, Some("Bearer")), "{r:?}");
        bodies.push(r);
    }

    // aml_token: fetched through nginx from the token route (Bob may not), then scored with.
    let path = format!("{}/token?api-version=2023-10-01", endpoint_id("tokened"));
    let r = s.send("POST", &path, &[("Authorization", &bob_arm_auth)], "");
    assert_eq!(r.status, 403, "{r:?}");
    bodies.push(r);
    let r = s.send("POST", &path, &[("Authorization", &alice_arm_auth)], "");
    assert_eq!(r.status, 200, "{r:?}");
    let issued: Value = serde_json::from_str(&r.body).unwrap();
    let aml = issued["accessToken"].as_str().unwrap().to_owned();
    secrets.push(aml.clone());
    let aml_auth = bearer(&aml);
    let r = s.send("POST", "/score", &spoofed_and(&[("Host", AML_HOST), ("Authorization", &aml_auth)]), "{}");
    // The token's subject is the principal who fetched it.
    scored(&r, "tokened", Some(OID));
    for auth in [bearer(primary), alice_ml_auth.clone(), bearer(&format!("{aml}x"))] {
        let r = s.send("POST", "/score", &[("Host", AML_HOST), ("Authorization", &auth)], "{}");
        assert_eq!((r.status, r.header("www-authenticate")), (401, Some("Bearer")), "{r:?}");
        bodies.push(r);
    }

    // aad_token (recognised by its path prefix): an Entra token for ML's audience, then the engine decides.
    let r = s.send("POST", "/endpoints/entra/score", &spoofed_and(&[("Authorization", &alice_ml_auth)]), "{}");
    scored(&r, "entra", Some(OID));
    let hits = s.upstream.hits();
    let r = s.send("POST", "/endpoints/entra/score", &[("Authorization", &bob_ml_auth)], "{}");
    assert_eq!(r.status, 403, "Bob holds Reader only: {r:?}");
    bodies.push(r);
    // The ARM audience, a key, an aml_token, nothing: unauthenticated.
    let key_auth = bearer(primary);
    for auth in [Some(alice_arm_auth.as_str()), Some(key_auth.as_str()), Some(aml_auth.as_str()), None] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let r = s.send("POST", "/endpoints/entra/score", &headers, "{}");
        assert_eq!((r.status, r.header("www-authenticate")), (401, Some("Bearer")), "{auth:?}: {r:?}");
        bodies.push(r);
    }
    // Only scoring is served at an endpoint.
    let r = s.send("GET", "/endpoints/entra/score", &[("Authorization", &alice_ml_auth)], "");
    assert_eq!(r.status, 403, "{r:?}");
    bodies.push(r);
    assert_eq!(s.upstream.hits(), hits, "a refused scoring request reached the upstream");

    // rolegate's own refusals, asked directly, carry reasons; they must not echo a credential either.
    for (host, auth) in [(KEY_HOST, bearer(&wrong_key)), (AML_HOST, alice_ml_auth.clone())] {
        let original = [("X-Original-Method", "POST"), ("X-Original-URI", "/score"), ("X-Original-Host", host)];
        let mut headers = original.to_vec();
        headers.push(("Authorization", &auth));
        let r = send(s.rolegate.main, "GET", "/auth", &headers, "");
        assert_eq!(r.status, 401, "{r:?}");
        bodies.push(r);
    }
    s.assert_no_secret_leaks(&secrets, &bodies.iter().collect::<Vec<_>>());
    s.finish();
}
