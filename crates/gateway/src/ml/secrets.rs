//! The endpoint secrets file (semantics §3.4): each `key` endpoint's primary and secondary keys and the keys that
//! sign `aml_token`s. It is kept apart from the configuration, readable by its owner alone, and replaced whole
//! (write, fsync, rename) so that a reader never sees half a file.
//!
//! ```json
//! {
//!   "version": 1,
//!   "tokenSigningKeys": [{ "kid": "aml-1", "key": "<43 base64url characters: 256 random bits>" }],
//!   "endpoints": { "my-endpoint": { "primaryKey": "<...>", "secondaryKey": "<...>" } }
//! }
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The largest secrets file read: a key is 43 bytes, so this holds thousands of endpoints.
pub const MAX_SECRETS_FILE_BYTES: u64 = 1 << 20;

/// The least length of a key or signing key, in characters of base64url: 256 bits.
const KEY_CHARS: usize = 43;

/// A key or token that must not be shown: its `Debug` prints `Secret(..)`, it has no `Display`, and its memory
/// is zeroed when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The value, for the one place that hands it out (a credential response body).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 256 fresh random bits from the operating system, as 43 base64url characters.
    pub fn random() -> Result<Secret, SecretsError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut_slice()).map_err(|e| SecretsError::Random(e.to_string()))?;
        Ok(Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// One of an endpoint's two keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum KeySlot {
    /// The primary key.
    Primary,
    /// The secondary key.
    Secondary,
}

/// An endpoint's two keys; either is accepted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointKeys {
    /// The primary key.
    pub primary_key: Secret,
    /// The secondary key.
    pub secondary_key: Secret,
}

/// A key that signs and verifies `aml_token`s (HMAC-SHA256), named by the tokens' `kid`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKey {
    /// The key's id, written into every token it signs.
    pub kid: String,
    /// 256 or more random bits, base64url.
    pub key: Secret,
}

impl SigningKey {
    /// The key's bytes (decoded from base64url).
    pub(crate) fn bytes(&self) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(self.key.expose())
            .map(Zeroizing::new)
            .map_err(|_| SecretsError::Invalid(format!("signing key `{}` is not base64url", self.kid)))
    }
}

/// The secrets file's content.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// The format's version: 1.
    pub version: u32,
    /// The keys that sign `aml_token`s: the first signs, every one verifies (so a key can be rotated in).
    #[serde(default)]
    pub token_signing_keys: Vec<SigningKey>,
    /// Keys by endpoint name.
    #[serde(default)]
    pub endpoints: BTreeMap<String, EndpointKeys>,
}

impl Secrets {
    /// Fresh secrets for `endpoints`: two random keys each, and one signing key.
    pub fn generate<'a>(endpoints: impl IntoIterator<Item = &'a str>) -> Result<Secrets, SecretsError> {
        let mut secrets = Secrets { version: 1, token_signing_keys: Vec::new(), endpoints: BTreeMap::new() };
        secrets.token_signing_keys.push(SigningKey { kid: new_kid()?, key: Secret::random()? });
        for name in endpoints {
            secrets.add_endpoint(name)?;
        }
        Ok(secrets)
    }

    /// Adds random keys for `name`; an endpoint that has keys keeps them (returns false).
    pub fn add_endpoint(&mut self, name: &str) -> Result<bool, SecretsError> {
        if !is_endpoint_name(name) {
            return Err(SecretsError::Invalid(format!("`{name}` is not an endpoint name")));
        }
        if self.endpoints.contains_key(name) {
            return Ok(false);
        }
        let keys = EndpointKeys { primary_key: Secret::random()?, secondary_key: Secret::random()? };
        self.endpoints.insert(name.to_owned(), keys);
        Ok(true)
    }

    /// Parses and checks a secrets file's bytes. Errors give a line and column, never a value.
    pub fn parse(bytes: &[u8]) -> Result<Secrets, SecretsError> {
        let secrets: Secrets = serde_json::from_slice(bytes).map_err(|e| {
            // serde's own message may quote the value it choked on, which may be a key.
            let what = match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not valid JSON",
                _ => "not the secrets file's shape (version, tokenSigningKeys, endpoints)",
            };
            SecretsError::Invalid(format!("{what} at line {}, column {}", e.line(), e.column()))
        })?;
        secrets.check()?;
        Ok(secrets)
    }

    fn check(&self) -> Result<(), SecretsError> {
        if self.version != 1 {
            return Err(SecretsError::Invalid(format!("version {} is not 1", self.version)));
        }
        let mut kids = std::collections::HashSet::new();
        for k in &self.token_signing_keys {
            if k.kid.is_empty() || !kids.insert(k.kid.as_str()) {
                return Err(SecretsError::Invalid(format!("signing key id `{}` is empty or repeated", k.kid)));
            }
            if k.bytes()?.len() < 32 {
                return Err(SecretsError::Invalid(format!("signing key `{}` is shorter than 256 bits", k.kid)));
            }
        }
        for (name, keys) in &self.endpoints {
            if !is_endpoint_name(name) {
                return Err(SecretsError::Invalid(format!("`{name}` is not an endpoint name")));
            }
            for (slot, key) in [("primaryKey", &keys.primary_key), ("secondaryKey", &keys.secondary_key)] {
                let k = key.expose();
                if k.len() < KEY_CHARS || !k.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(SecretsError::Invalid(format!(
                        "endpoint `{name}`: {slot} is shorter than {KEY_CHARS} characters or holds spaces or \
                         control characters"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The JSON written to disk.
    fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| SecretsError::Invalid(e.to_string()))?;
        bytes.push(b'\n');
        Ok(Zeroizing::new(bytes))
    }
}

/// An online endpoint's name as Azure allows it: a letter, then letters, digits and `-`, 3 to 32 in all.
pub fn is_endpoint_name(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A `kid` for a new signing key: `aml-` and 64 random bits.
fn new_kid() -> Result<String, SecretsError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| SecretsError::Random(e.to_string()))?;
    Ok(format!("aml-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

/// Why the secrets file could not be used. Messages name the path and the check, never a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// No file at the path.
    #[error("`{0}`: no such file; create it with `rolegate secrets init`")]
    Missing(PathBuf),
    /// The path is a symbolic link: the file itself must be named, so that nobody can point it elsewhere.
    #[error("`{0}` is a symbolic link; name the file itself")]
    Link(PathBuf),
    /// Not a regular file.
    #[error("`{0}` is not a regular file")]
    NotRegular(PathBuf),
    /// Group or others may read or write it.
    #[error("`{path}` has mode {mode:04o}: group and others must have no access (chmod 600)")]
    Permissions {
        /// The path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Owned by another user than this process's.
    #[error("`{path}` is owned by uid {owner}, not by this process's user (uid {me})")]
    Owner {
        /// The path.
        path: PathBuf,
        /// The file's owner.
        owner: u32,
        /// This process's user.
        me: u32,
    },
    /// Over [`MAX_SECRETS_FILE_BYTES`].
    #[error("`{0}` is larger than 1 MiB")]
    TooLarge(PathBuf),
    /// The file exists where a new one was to be created.
    #[error("`{0}` exists; it is never overwritten")]
    Exists(PathBuf),
    /// The content is not a valid secrets file.
    #[error("invalid secrets file: {0}")]
    Invalid(String),
    /// The operating system's random source failed.
    #[error("no random bytes: {0}")]
    Random(String),
    /// The endpoint has no keys in the file.
    #[error("endpoint `{0}` has no keys in the secrets file")]
    UnknownEndpoint(String),
    /// Reading or writing failed.
    #[error("`{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// This platform has no owner-only file permissions to check.
    #[error("secrets files need Unix file permissions")]
    Unsupported,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SecretsError + '_ {
    move |source| SecretsError::Io { path: path.to_owned(), source }
}

/// Reads and checks the secrets file at `path`: a regular file, not a link, owned by this process's user, with no
/// access for group or others, at most [`MAX_SECRETS_FILE_BYTES`]. What is checked is the open handle, so the
/// path cannot be swapped between the check and the read.
pub fn read_secrets(path: &Path) -> Result<Secrets, SecretsError> {
    #[cfg(not(unix))]
    {
        let _ = path;
        Err(SecretsError::Unsupported)
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let link = std::fs::symlink_metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SecretsError::Missing(path.to_owned()),
            _ => io(path)(e),
        })?;
        if link.file_type().is_symlink() {
            return Err(SecretsError::Link(path.to_owned()));
        }
        if !link.file_type().is_file() {
            return Err(SecretsError::NotRegular(path.to_owned()));
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ELOOP) { SecretsError::Link(path.to_owned()) } else { io(path)(e) }
            })?;
        let meta = file.metadata().map_err(io(path))?;
        if !meta.file_type().is_file() {
            return Err(SecretsError::NotRegular(path.to_owned()));
        }
        let me = rustix::process::getuid().as_raw();
        if meta.uid() != me {
            return Err(SecretsError::Owner { path: path.to_owned(), owner: meta.uid(), me });
        }
        if meta.mode() & 0o077 != 0 {
            return Err(SecretsError::Permissions { path: path.to_owned(), mode: meta.mode() & 0o7777 });
        }
        let mut bytes = Zeroizing::new(Vec::new());
        file.take(MAX_SECRETS_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io(path))?;
        if bytes.len() as u64 > MAX_SECRETS_FILE_BYTES {
            return Err(SecretsError::TooLarge(path.to_owned()));
        }
        Secrets::parse(&bytes)
    }
}

/// Creates a new secrets file at `path`, owner-only (mode 600); an existing file is never overwritten.
pub fn create_secrets(path: &Path, secrets: &Secrets) -> Result<(), SecretsError> {
    let bytes = secrets.to_bytes()?;
    let mut file = new_private_file(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => SecretsError::Exists(path.to_owned()),
        _ => io(path)(e),
    })?;
    file.write_all(&bytes).and_then(|()| file.sync_all()).map_err(io(path))?;
    sync_parent(path)
}

/// Replaces the file at `path` atomically: a new owner-only file beside it, written and synced, renamed over it,
/// and the directory synced, so that after a crash the file is either the old or the new one.
pub fn replace_secrets(path: &Path, secrets: &Secrets) -> Result<(), SecretsError> {
    let bytes = secrets.to_bytes()?;
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(SecretsError::NotRegular(path.to_owned()));
    };
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = new_private_file(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io(path)(e));
    }
    sync_parent(path)
}

fn new_private_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn sync_parent(path: &Path) -> Result<(), SecretsError> {
    #[cfg(unix)]
    {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(parent).and_then(|d| d.sync_all()).map_err(io(parent))?;
    }
    Ok(())
}

/// The secrets in use, with their file: keys are checked against the current set, and a regeneration replaces
/// the file and then the set, so that the old key stops working as soon as the call returns.
pub struct SecretStore {
    path: PathBuf,
    current: ArcSwap<Loaded>,
    /// Held while a regeneration reads, writes and swaps, so that two never interleave.
    writer: Mutex<()>,
}

/// Secrets with their keys' digests, compared in constant time.
pub(crate) struct Loaded {
    pub(crate) secrets: Secrets,
    digests: BTreeMap<String, [[u8; 32]; 2]>,
}

impl Loaded {
    fn new(secrets: Secrets) -> Loaded {
        let digest = |s: &Secret| -> [u8; 32] { Sha256::digest(s.expose().as_bytes()).into() };
        let digests = secrets
            .endpoints
            .iter()
            .map(|(name, k)| (name.clone(), [digest(&k.primary_key), digest(&k.secondary_key)]))
            .collect();
        Loaded { secrets, digests }
    }

    /// Whether `presented` is one of `endpoint`'s keys. Both keys are compared, in constant time, on digests
    /// of equal length, so neither the match nor the key's length shows in the time taken.
    pub(crate) fn key_matches(&self, endpoint: &str, presented: &str) -> bool {
        let Some([primary, secondary]) = self.digests.get(endpoint) else { return false };
        let p: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(p.ct_eq(primary) | p.ct_eq(secondary))
    }
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SecretStore {
    /// Opens the secrets file at `path` ([`read_secrets`]).
    pub fn open(path: impl Into<PathBuf>) -> Result<SecretStore, SecretsError> {
        let path = path.into();
        let secrets = read_secrets(&path)?;
        Ok(SecretStore { path, current: ArcSwap::from_pointee(Loaded::new(secrets)), writer: Mutex::new(()) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Loaded>> {
        self.current.load()
    }

    /// `endpoint`'s keys.
    pub fn keys(&self, endpoint: &str) -> Result<EndpointKeys, SecretsError> {
        self.current
            .load()
            .secrets
            .endpoints
            .get(endpoint)
            .cloned()
            .ok_or_else(|| SecretsError::UnknownEndpoint(endpoint.to_owned()))
    }

    /// Replaces one of `endpoint`'s keys with a fresh random one: on disk first (atomically), then in memory.
    /// When the file cannot be written, nothing changes.
    pub fn regenerate(&self, endpoint: &str, slot: KeySlot) -> Result<(), SecretsError> {
        // A panic while holding the lock left neither file nor set half-written: each is replaced whole.
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.current.load().secrets.clone();
        let keys =
            next.endpoints.get_mut(endpoint).ok_or_else(|| SecretsError::UnknownEndpoint(endpoint.to_owned()))?;
        let fresh = Secret::random()?;
        match slot {
            KeySlot::Primary => keys.primary_key = fresh,
            KeySlot::Secondary => keys.secondary_key = fresh,
        }
        replace_secrets(&self.path, &next)?;
        self.current.store(Arc::new(Loaded::new(next)));
        Ok(())
    }
}
