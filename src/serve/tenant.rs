//! Reading one consistent tenant for a reload (semantics §3.5): never half of an old directory and half of a new
//! one.
//!
//! - The directory is resolved once: a symbolic link swapped atomically (or a Kubernetes ConfigMap mount's `..data`
//!   link) is followed to the one directory it names now, and every file is read from there; if the link names
//!   another directory once the files are read, the reload is aborted.
//! - Every file's size, modification time and inode are taken before and after it is read; a file that changed
//!   while being read aborts the reload.
//! - With a manifest (`manifest.json`: `{"files": {"<name>": "<sha256 hex>"}}`), every listed file must be there
//!   with its hash, and no other tenant file may be.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rolegate::Diagnostic;
use rolegate::diag::codes;
use rolegate::engine::Engine;
use rolegate::load::{TenantFile, TenantLoader};
use sha2::{Digest, Sha256};

/// The manifest's file name; it is not a tenant file.
pub const MANIFEST: &str = "manifest.json";

/// Why a reload did not happen.
#[derive(Debug)]
pub enum ReloadError {
    /// The tenant changed while it was read, or the manifest does not match: try again later.
    Inconsistent(String),
    /// The tenant has fatal problems (or could not be read): every diagnostic.
    Invalid(Vec<Diagnostic>),
}

impl std::fmt::Display for ReloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReloadError::Inconsistent(why) => write!(f, "the tenant was not read consistently: {why}"),
            ReloadError::Invalid(d) => {
                let fatal = d.iter().filter(|d| d.is_fatal()).count();
                write!(f, "the tenant has {fatal} fatal problem(s)")
            }
        }
    }
}

/// The directory a reload reads: the link's target, or the `..data` link's of a ConfigMap mount.
fn resolve(dir: &Path) -> Result<PathBuf, ReloadError> {
    let data = dir.join("..data");
    let target =
        if std::fs::symlink_metadata(&data).is_ok_and(|m| m.file_type().is_symlink()) { data } else { dir.into() };
    std::fs::canonicalize(&target)
        .map_err(|e| ReloadError::Invalid(vec![unreadable(format!("cannot resolve `{}`: {e}", target.display()))]))
}

fn unreadable(message: String) -> Diagnostic {
    Diagnostic::error(codes::UNREADABLE, message).with_help("give a tenant directory that exists and can be read")
}

/// What identifies a file's content without reading it.
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?, m.ino()))
}

/// Reads and compiles the tenant at `dir` consistently; returns the engine and the load's warnings.
pub fn load(dir: &Path, manifest: bool) -> Result<(Engine, Vec<Diagnostic>), ReloadError> {
    let resolved = resolve(dir)?;
    let files = TenantFile::list(&resolved)
        .map_err(|e| ReloadError::Invalid(vec![unreadable(format!("cannot read `{}`: {e}", resolved.display()))]))?;
    let mut contents = Vec::with_capacity(files.len());
    let mut diagnostics = Vec::new();
    let mut manifest_bytes = None;
    for path in files {
        let before = stamp(&path);
        match rolegate::internals::file::read_file(&path, rolegate::load::DEFAULT_MAX_FILE_BYTES) {
            Ok(bytes) => {
                if before.is_none() || stamp(&path) != before {
                    return Err(ReloadError::Inconsistent(format!("`{}` changed while it was read", path.display())));
                }
                if manifest && path.file_name().is_some_and(|n| n == MANIFEST) {
                    manifest_bytes = Some(bytes);
                } else {
                    contents.push((path, bytes));
                }
            }
            Err(e) => diagnostics.push(e.diagnostic(&path)),
        }
    }
    if !diagnostics.is_empty() {
        return Err(ReloadError::Invalid(diagnostics));
    }
    if manifest {
        check_manifest(&resolved, manifest_bytes.as_deref(), &contents)?;
    }
    if resolve(dir)? != resolved {
        return Err(ReloadError::Inconsistent(format!("`{}` was swapped while it was read", dir.display())));
    }
    let mut loader = TenantLoader::from_contents(&resolved, contents);
    let (tenant, warnings) = loader.build().map_err(|e| ReloadError::Invalid(e.diagnostics))?;
    let engine = Engine::try_new(tenant).map_err(|e| ReloadError::Invalid(e.diagnostics))?;
    Ok((engine, warnings))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    files: BTreeMap<String, String>,
}

fn check_manifest(dir: &Path, bytes: Option<&[u8]>, contents: &[(PathBuf, Vec<u8>)]) -> Result<(), ReloadError> {
    let bad = |why: String| Err(ReloadError::Inconsistent(why));
    let Some(bytes) = bytes else { return bad(format!("`{}` has no `{MANIFEST}`", dir.display())) };
    let manifest: Manifest = match serde_json::from_slice(bytes) {
        Ok(m) => m,
        Err(e) => return bad(format!("`{MANIFEST}` is not `{{\"files\": {{name: sha256}}}}`: {e}")),
    };
    let mut listed = manifest.files;
    for (path, bytes) in contents {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(expected) = listed.remove(&name) else { return bad(format!("`{name}` is not in `{MANIFEST}`")) };
        let actual: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        if !actual.eq_ignore_ascii_case(&expected) {
            return bad(format!("`{name}` does not match its hash in `{MANIFEST}`"));
        }
    }
    if let Some(name) = listed.keys().next() {
        return bad(format!("`{name}` is in `{MANIFEST}` but not in the directory"));
    }
    Ok(())
}
