//! Small JSON files beside a fetched region: `<file>.fetch.json` says which remote
//! version the file is (so an unchanged remote is not downloaded again), and
//! `<file>.part.json` says which version a partial download belongs to (so a resume
//! never splices two versions together).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{Result, io};

/// What we know about one version of the region file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecar {
    /// The URL or path it came from.
    pub source: String,
    /// The server's entity tag, if it sent one.
    pub etag: Option<String>,
    /// The server's `Last-Modified` (or a local source's mtime in seconds).
    pub last_modified: Option<String>,
    /// Size in bytes (of the whole file, also for a partial download).
    pub size: Option<u64>,
    /// md5 of the whole file, lowercase hex (published one for a partial download).
    pub md5: Option<String>,
}

impl Sidecar {
    /// Whether `other` describes the same remote version: equal entity tags when both
    /// have one, else equal `Last-Modified` and size.
    pub fn same_version(&self, other: &Sidecar) -> bool {
        if self.source != other.source {
            return false;
        }
        if let (Some(a), Some(b)) = (&self.etag, &other.etag) {
            return a == b;
        }
        match (&self.last_modified, &other.last_modified) {
            (Some(a), Some(b)) => a == b && (self.size.is_none() || self.size == other.size),
            _ => false,
        }
    }

    /// Reads a sidecar; a missing or unreadable one is `None` (it only saves work).
    pub fn read(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the sidecar atomically (temporary file, then rename).
    ///
    /// # Errors
    ///
    /// [`super::Error::Io`] when the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| super::Error::Io {
            path: path.to_owned(),
            source: e.into(),
        })?;
        hexmatrix_contract::atomic::write_atomic(path, (text + "\n").as_bytes()).map_err(io(path))
    }
}

/// `path` with `suffix` appended to its file name (`a.pbf` + `.part` = `a.pbf.part`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(path.as_os_str());
    s.push(suffix);
    PathBuf::from(s)
}

/// The files that travel with a fetched region.
#[derive(Debug, Clone)]
pub struct Files {
    /// The region file itself.
    pub output: PathBuf,
    /// Its version sidecar.
    pub meta: PathBuf,
    /// The partial download.
    pub part: PathBuf,
    /// The partial download's version sidecar.
    pub part_meta: PathBuf,
}

impl Files {
    /// The file set of `output`.
    pub fn new(output: &Path) -> Self {
        Self {
            output: output.to_owned(),
            meta: with_suffix(output, ".fetch.json"),
            part: with_suffix(output, ".part"),
            part_meta: with_suffix(output, ".part.json"),
        }
    }

    /// The sidecar of the current file, if it still describes that file (same size).
    pub fn current(&self) -> Option<Sidecar> {
        let len = std::fs::metadata(&self.output).ok()?.len();
        Sidecar::read(&self.meta).filter(|s| s.size == Some(len))
    }

    /// Removes the partial download and its sidecar (missing files are fine).
    ///
    /// # Errors
    ///
    /// [`super::Error::Io`] when a file exists but cannot be removed.
    pub fn discard_part(&self) -> Result<()> {
        for path in [&self.part, &self.part_meta] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(path)(e)),
            }
        }
        Ok(())
    }

    /// Moves the verified partial download into place, then records its version.
    /// The old sidecar goes first, so a crash in between never pairs the new file
    /// with the old version (the next run then downloads again, which is safe).
    ///
    /// # Errors
    ///
    /// [`super::Error::Io`] when a sync, rename or write fails.
    pub fn commit(&self, meta: &Sidecar) -> Result<()> {
        match std::fs::remove_file(&self.meta) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&self.meta)(e)),
        }
        hexmatrix_contract::atomic::commit_file(&self.part, &self.output)
            .map_err(io(&self.output))?;
        meta.write(&self.meta)?;
        self.discard_part()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(etag: Option<&str>, lm: Option<&str>, size: u64) -> Sidecar {
        Sidecar {
            source: "http://x/a.pbf".into(),
            etag: etag.map(Into::into),
            last_modified: lm.map(Into::into),
            size: Some(size),
            md5: None,
        }
    }

    #[test]
    fn etag_decides_when_both_have_one() {
        assert!(meta(Some("a"), Some("t1"), 1).same_version(&meta(Some("a"), Some("t2"), 1)));
        assert!(!meta(Some("a"), Some("t1"), 1).same_version(&meta(Some("b"), Some("t1"), 1)));
    }

    #[test]
    fn last_modified_and_size_decide_without_etag() {
        assert!(meta(None, Some("t1"), 5).same_version(&meta(None, Some("t1"), 5)));
        assert!(!meta(None, Some("t1"), 5).same_version(&meta(None, Some("t1"), 6)));
        assert!(!meta(None, Some("t1"), 5).same_version(&meta(None, Some("t2"), 5)));
        assert!(!meta(None, None, 5).same_version(&meta(None, None, 5)));
    }

    #[test]
    fn other_source_is_never_the_same_version() {
        let mut other = meta(Some("a"), None, 1);
        other.source = "http://y/a.pbf".into();
        assert!(!meta(Some("a"), None, 1).same_version(&other));
    }

    #[test]
    fn sidecar_round_trips_and_tracks_file_size() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::new(&dir.path().join("r.pbf"));
        std::fs::write(&files.output, b"12345").unwrap();
        let m = meta(Some("e"), None, 5);
        m.write(&files.meta).unwrap();
        assert_eq!(files.current(), Some(m));
        std::fs::write(&files.output, b"123456").unwrap();
        assert_eq!(files.current(), None, "a sidecar of another size is stale");
    }
}
