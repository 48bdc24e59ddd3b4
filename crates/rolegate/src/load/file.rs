//! Reading an input file so that nothing but a regular file of bounded size is ever used (semantics §2.2).
//!
//! A path is checked before it is opened (a dangling link, a link loop, a directory, a FIFO, a socket or a device
//! is refused), opened without blocking (a FIFO swapped in after the check cannot stall the reader), checked
//! again on the open handle (no check-then-open race decides what is read), and read up to a cap that is
//! enforced on the bytes read, since procfs files and devices report a size of 0.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

use crate::diag::{Diagnostic, codes};

/// The default cap on one input file: 256 MiB, far above the largest real tenant export.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file could not be used. Messages are lower-case and name no content, only the path's kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Nothing exists at the path.
    #[error("no such file")]
    Missing,
    /// The path is a symbolic link whose target does not exist.
    #[error("a dangling link")]
    DanglingLink,
    /// Following the path's symbolic links never ends.
    #[error("a symbolic link loop")]
    LinkLoop,
    /// The path (or the file a link names) is not a regular file.
    #[error("not a regular file (it is {0})")]
    NotRegular(&'static str),
    /// The file holds more bytes than the cap.
    #[error("too large: over the {} cap", human_bytes(*cap))]
    TooLarge {
        /// The cap, in bytes.
        cap: u64,
    },
    /// Any other I/O error (permissions, a read failure).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl FileError {
    /// The `RL017` diagnostic for this error at `path`.
    pub fn diagnostic(&self, path: &Path) -> Diagnostic {
        let help = match self {
            FileError::Missing => "check the path",
            FileError::DanglingLink | FileError::LinkLoop => "point the link at a regular file, or remove it",
            FileError::NotRegular(_) => "only regular files (or links to them) are read; move it out of the way",
            FileError::TooLarge { .. } => "raise the cap with `--max-file-size` if the file is genuine",
            FileError::Io(_) => "check the path and its permissions",
        };
        // The path names the file in reports, though there is no text to point into.
        let file = std::sync::Arc::new(crate::span::SourceText::new(path.display().to_string(), String::new()));
        Diagnostic::error(codes::UNREADABLE, format!("cannot read `{}`: {self}", path.display()))
            .in_file(&file)
            .with_help(help)
    }
}

/// `256 MiB`, `1 KiB`, or `N bytes`.
fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// What a path that is not a regular file is, for messages.
fn kind_of(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a file")
}

/// Checks what `path` is without opening it: a regular file, or a symbolic link (chain) to one.
pub fn check_path(path: &Path) -> Result<(), FileError> {
    let link = std::fs::symlink_metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FileError::Missing,
        _ => FileError::Io(e),
    })?;
    let meta = if link.file_type().is_symlink() { std::fs::metadata(path).map_err(link_error)? } else { link };
    match kind_of(&meta) {
        Some(kind) => Err(FileError::NotRegular(kind)),
        None => Ok(()),
    }
}

/// The error for a link whose target cannot be reached.
fn link_error(e: std::io::Error) -> FileError {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return FileError::LinkLoop;
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => FileError::DanglingLink,
        _ => FileError::Io(e),
    }
}

/// Opens `path` for reading without blocking on a FIFO that appeared after [`check_path`].
fn open(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NOCTTY: a terminal device given as input must not become the controlling terminal.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Reads the regular file at `path` (following links), refusing anything else and files over `max_bytes`.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    check_path(path)?;
    let file = open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FileError::Missing,
        _ => link_error(e),
    })?;
    // The path may have been replaced between the check and the open: what decides is the open handle.
    let meta = file.metadata()?;
    if let Some(kind) = kind_of(&meta) {
        return Err(FileError::NotRegular(kind));
    }
    if meta.len() > max_bytes {
        return Err(FileError::TooLarge { cap: max_bytes });
    }
    // The capacity is only a hint: a length that does not fit starts empty and grows.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or_default());
    // The size the metadata reports is only a hint (a file may grow while it is read): the cap is enforced on
    // the bytes actually read.
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(FileError::TooLarge { cap: max_bytes });
    }
    Ok(bytes)
}

/// Like [`read_file`], for text: the bytes must be UTF-8.
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String, FileError> {
    let bytes = read_file(path, max_bytes)?;
    String::from_utf8(bytes)
        .map_err(|e| FileError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())))
}

/// Parses a size such as `256MiB`, `10M`, `4096`, `1G` (binary units; `B` optional) for `--max-file-size`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let n: u64 = n.parse().map_err(|_| format!("`{s}` is not a size: expected a number such as `256MiB`"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("`{s}`: unknown unit; use K, M or G (binary units)")),
    };
    n.checked_mul(1 << shift).filter(|&b| b > 0).ok_or_else(|| format!("`{s}` is not a usable size"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rolegate-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }

    #[test]
    fn regular_files_and_links_to_them_are_read_up_to_the_cap() {
        let dir = temp("regular");
        let f = dir.join("a.json");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read_file(&f, 10).unwrap(), b"0123456789");
        assert!(matches!(read_file(&f, 9), Err(FileError::TooLarge { cap: 9 })));
        #[cfg(unix)]
        {
            let link = dir.join("link.json");
            std::os::unix::fs::symlink(&f, &link).unwrap();
            assert_eq!(read_file(&link, 100).unwrap(), b"0123456789");
        }
    }

    #[cfg(unix)]
    #[test]
    fn odd_paths_are_refused_before_reading() {
        let dir = temp("odd");
        let dangling = dir.join("dangling.json");
        std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
        assert!(matches!(read_file(&dangling, 100), Err(FileError::DanglingLink)));
        let a = dir.join("a.json");
        let b = dir.join("b.json");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        assert!(matches!(read_file(&a, 100), Err(FileError::LinkLoop)));
        assert!(matches!(read_file(&dir, 100), Err(FileError::NotRegular("a directory"))));
        assert!(matches!(read_file(&dir.join("missing.json"), 100), Err(FileError::Missing)));
        // Devices report a size of 0 and never end: refused by kind, never read.
        assert!(matches!(read_file(Path::new("/dev/zero"), 100), Err(FileError::NotRegular("a character device"))));
        let zero = dir.join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(read_file(&zero, 100), Err(FileError::NotRegular("a character device"))));
        let d = FileError::DanglingLink.diagnostic(&dangling);
        assert_eq!(d.code, codes::UNREADABLE);
        assert!(d.message.contains("dangling link"), "{}", d.message);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = temp("fifo");
        let fifo = dir.join("pipe.json");
        // std has no mkfifo, and the library forbids `unsafe`: coreutils' tool is on every Linux.
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success(), "mkfifo failed");
        assert!(matches!(read_file(&fifo, 100), Err(FileError::NotRegular("a FIFO"))));
        // Opened directly (as if it appeared after the path check), the open handle is checked and refused.
        let file = open(&fifo).unwrap();
        assert!(kind_of(&file.metadata().unwrap()) == Some("a FIFO"));
    }
}
