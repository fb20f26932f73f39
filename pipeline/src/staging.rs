//! The edge between locations and the stages' local files. The stages only read
//! and write local paths; here a remote input is downloaded into a local cache
//! directory before a stage, and a remote output is written into a local staging
//! directory and uploaded after the stage succeeded, the manifest last.
//!
//! The cache directory is `$HEXMATRIX_CACHE_DIR`, else the system's temporary
//! directory. `$HEXMATRIX_UPLOAD_PART_BYTES` sets the multipart part size (default
//! 8 MiB; S3 needs at least 5 MiB).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use hexmatrix_store::{Location, ObjectUrl, RemoteDir, Transfer, TransferOptions};
use tempfile::TempDir;

use crate::memory;

/// The environment variable naming the local cache directory for remote locations.
pub const CACHE_DIR_ENV: &str = "HEXMATRIX_CACHE_DIR";
/// The environment variable setting the multipart upload part size in bytes.
pub const PART_BYTES_ENV: &str = "HEXMATRIX_UPLOAD_PART_BYTES";

/// The local directory under which remote inputs and outputs are staged.
pub fn cache_root() -> PathBuf {
    std::env::var_os(CACHE_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| std::env::temp_dir().join("hexmatrix"), PathBuf::from)
}

fn transfer_options() -> anyhow::Result<TransferOptions> {
    let mut opts = TransferOptions::default();
    if let Some(value) = std::env::var_os(PART_BYTES_ENV) {
        let text = value.to_string_lossy();
        opts.part_bytes = text
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| format!("{PART_BYTES_ENV}={text}: not a positive number of bytes"))?;
    }
    Ok(opts)
}

/// A client for `url`, configured from the environment.
///
/// # Errors
/// Bad settings in the environment, or a binary without the `object-store` feature.
pub fn open(url: &ObjectUrl) -> anyhow::Result<RemoteDir> {
    Ok(RemoteDir::open(url, transfer_options()?)?)
}

fn staging_dir(purpose: &str) -> anyhow::Result<TempDir> {
    let root = cache_root();
    std::fs::create_dir_all(&root)
        .with_context(|| format!("cannot create the cache directory {}", root.display()))?;
    tempfile::Builder::new()
        .prefix(&format!("{purpose}-"))
        .tempdir_in(&root)
        .with_context(|| format!("cannot create a staging directory in {}", root.display()))
}

fn log_transfer(verb: &str, what: &Transfer, from: &str, to: &str, started: Instant) {
    tracing::info!(
        target: "store",
        "[store] {verb} {} files, {} from {from} to {to} in {:.2} s",
        what.files,
        memory::mib(what.bytes),
        started.elapsed().as_secs_f64()
    );
}

/// A stage input as a local path: the path given, or a download in the cache
/// (removed when this is dropped).
#[derive(Debug)]
pub struct LocalInput {
    path: PathBuf,
    _staging: Option<TempDir>,
}

impl LocalInput {
    /// The input file at `location`, downloaded when remote.
    ///
    /// # Errors
    /// The object cannot be downloaded.
    pub fn file(location: &Location) -> anyhow::Result<Self> {
        Self::stage(location, false)
    }

    /// The input directory at `location`, every object under it downloaded when remote.
    ///
    /// # Errors
    /// Nothing under the URL, or a failed download.
    pub fn dir(location: &Location) -> anyhow::Result<Self> {
        Self::stage(location, true)
    }

    /// The input directory at `location`; when remote, only some of its objects are
    /// downloaded: the names in `first`, then those `select` picks after reading them
    /// (from the local directory).
    ///
    /// # Errors
    /// A failed download, or `select`'s error.
    pub fn dir_subset(
        location: &Location,
        first: &[&str],
        select: impl FnOnce(&Path) -> anyhow::Result<Vec<String>>,
    ) -> anyhow::Result<Self> {
        let Location::Remote(url) = location else {
            return Self::dir(location);
        };
        Self::download(url, |remote, path| {
            let mut moved = Transfer::default();
            let mut fetch = |name: &str| -> anyhow::Result<()> {
                moved.bytes += remote.download_file(name, &path.join(name))?;
                moved.files += 1;
                Ok(())
            };
            for name in first {
                fetch(name)?;
            }
            for name in select(path)? {
                fetch(&name)?;
            }
            Ok(moved)
        })
    }

    fn stage(location: &Location, is_dir: bool) -> anyhow::Result<Self> {
        let url = match location {
            Location::Local(path) => {
                return Ok(Self {
                    path: path.clone(),
                    _staging: None,
                });
            }
            Location::Remote(url) => url,
        };
        Self::download(url, |remote, path| {
            Ok(if is_dir {
                remote.download_dir(path)?
            } else {
                Transfer {
                    files: 1,
                    bytes: remote.download_file("", path)?,
                }
            })
        })
    }

    /// `url` into a fresh staging directory of the cache, by `fetch` (given the
    /// client and the local path named like the URL's last segment), logged.
    fn download(
        url: &ObjectUrl,
        fetch: impl FnOnce(&RemoteDir, &Path) -> anyhow::Result<Transfer>,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let staging = staging_dir("input")?;
        let path = staging.path().join(url.file_name().unwrap_or("input"));
        let moved = fetch(&open(url)?, &path)?;
        log_transfer(
            "downloaded",
            &moved,
            &url.to_string(),
            &path.display().to_string(),
            started,
        );
        Ok(Self {
            path,
            _staging: Some(staging),
        })
    }

    /// The local path the stage reads.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A stage output: the local path the stage writes, and the location it is
/// published to ([`Self::publish`]; a local location is written in place).
#[derive(Debug)]
pub struct LocalOutput {
    path: PathBuf,
    remote: Option<ObjectUrl>,
    _staging: Option<TempDir>,
}

impl LocalOutput {
    /// The output (file or directory) at `location`: itself when local, else a
    /// fresh staging path in the cache named like the URL's last segment.
    ///
    /// # Errors
    /// The staging directory cannot be created.
    pub fn new(location: &Location) -> anyhow::Result<Self> {
        match location {
            Location::Local(path) => Ok(Self {
                path: path.clone(),
                remote: None,
                _staging: None,
            }),
            Location::Remote(url) => {
                // Configured now, so that bad settings fail before the stage works.
                open(url)?;
                let staging = staging_dir("output")?;
                Ok(Self {
                    path: staging.path().join(url.file_name().unwrap_or("output")),
                    remote: Some(url.clone()),
                    _staging: Some(staging),
                })
            }
        }
    }

    /// The local path the stage writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path or URL for messages.
    pub fn display(&self) -> String {
        self.remote
            .as_ref()
            .map_or_else(|| self.path.display().to_string(), ToString::to_string)
    }

    /// Uploads the finished output when its location is remote: a file as the
    /// URL's object, a directory's files under the URL with the names in `last`
    /// (a file, or a directory ending in `/`) uploaded after all others. Each
    /// staged file is deleted once uploaded.
    ///
    /// # Errors
    /// A failed upload (objects already uploaded stay; the ones named in `last`,
    /// which readers look for first, are not written).
    pub fn publish(self, last: &[&str]) -> anyhow::Result<()> {
        let Some(url) = &self.remote else {
            return Ok(());
        };
        let started = Instant::now();
        let remote = open(url)?;
        let moved = if self.path.is_dir() {
            remote.upload_dir(&self.path, last, true)?
        } else {
            let bytes = remote.upload_file(&self.path, "")?;
            std::fs::remove_file(&self.path)
                .with_context(|| format!("cannot remove {}", self.path.display()))?;
            Transfer { files: 1, bytes }
        };
        log_transfer(
            "uploaded",
            &moved,
            &self.path.display().to_string(),
            &url.to_string(),
            started,
        );
        Ok(())
    }
}
