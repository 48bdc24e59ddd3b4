//! Starting `rolegate serve` for a test: a config in a fresh directory, the process, its listening addresses
//! (read from its `listening` log line), and its logs. The process is killed when the handle is dropped.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fresh directory for one test (removed first if a previous run left it).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolegate-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running server.
pub struct Server {
    pub child: Child,
    /// The main listener.
    pub main: SocketAddr,
    /// The admin listener, when configured.
    pub admin: Option<SocketAddr>,
    /// Everything it wrote to stderr so far (JSON lines).
    pub stderr: Arc<Mutex<String>>,
    /// Everything it wrote to stdout so far (the decision log, when it goes to stdout).
    pub stdout: Arc<Mutex<String>>,
}

fn drain(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
    lines: Option<std::sync::mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        let reader = BufReader::new(&mut from);
        for line in reader.lines() {
            let Ok(line) = line else { break };
            into.lock().unwrap().push_str(&line);
            into.lock().unwrap().push('\n');
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    });
}

impl Server {
    /// Starts `rolegate serve --config <dir>/gateway.toml` with `extra` arguments; waits for its `listening`
    /// line. Panics (with its stderr) if it exits first or takes over 20 s.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        let bin = env!("CARGO_BIN_EXE_rolegate");
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--config")
            .arg(dir.join("gateway.toml"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        drain(child.stderr.take().unwrap(), Arc::clone(&stderr), Some(tx));
        drain(child.stdout.take().unwrap(), Arc::clone(&stdout), None);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let line = match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => line,
                Err(_) => {
                    if let Some(status) = child.try_wait().unwrap() {
                        std::thread::sleep(Duration::from_millis(100));
                        panic!("rolegate serve exited with {status}: {}", stderr.lock().unwrap());
                    }
                    assert!(Instant::now() < deadline, "no `listening` line: {}", stderr.lock().unwrap());
                    continue;
                }
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            if v["message"] == "listening" {
                let addrs: Vec<SocketAddr> = v["addrs"]
                    .as_str()
                    .unwrap()
                    .trim_matches(['[', ']'])
                    .split(", ")
                    .map(|a| a.parse().unwrap())
                    .collect();
                return Server { child, main: addrs[0], admin: addrs.get(1).copied(), stderr, stdout };
            }
        }
    }

    /// `http://{main}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.main)
    }

    /// `http://{admin}{path}`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin.expect("an admin listener"))
    }

    /// Waits up to `secs` for `f` to hold, polling every 50 ms.
    pub fn wait_for(&self, secs: u64, mut f: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP agent that returns every status as a response (no error for 4xx/5xx).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}
