//! Fetching a region extract: over HTTP(S) with resume, md5 verification and an
//! unchanged-skip, or by copying a local file. The file is written to
//! `<output>.part` and renamed into place only once verified, so the previous good
//! file survives any failure.
//!
//! A `.part` is never trusted: whatever it holds is checked against the published
//! md5 with the rest of the file before it is renamed into place. It is kept after a
//! failure only when a later run can resume it (the server takes ranges): after a
//! cut connection, and after a local write error (disk full), truncated to the bytes
//! counted as written. Otherwise (no range support, a body past `--max-bytes`, an
//! md5 mismatch, a local copy) it is removed.
//!
//! Entry point: [`fetch`]. Errors: [`Error`] (exit code 3).

mod checksum;
mod error;
mod http;
mod local;
mod sidecar;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::{Error, Result};

use hexmatrix_contract::Context;

pub use hexmatrix::source::Source;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct Options {
    /// Download even when the remote file is unchanged; discard a partial download.
    pub force: bool,
    /// Further attempts after a failure that made no progress.
    pub retries: u32,
    /// Give up an attempt when no byte arrives for this long.
    pub stall_timeout: Duration,
    /// Wait before the first retry; doubled for each further one (capped at 30 s).
    pub backoff: Duration,
    /// Largest region accepted, bytes: a bigger announced size is refused before any
    /// byte is written, a body that grows past it is cut and removed.
    pub max_bytes: u64,
}

/// Default of [`Options::max_bytes`]: 4 GiB, ten times the biggest country extract
/// a city matrix needs (Vietnam is about 385 MB).
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

impl Default for Options {
    fn default() -> Self {
        Self {
            force: false,
            retries: 5,
            stall_timeout: Duration::from_secs(60),
            backoff: Duration::from_secs(1),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What [`fetch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The source has not changed since the last fetch: nothing was transferred.
    Unchanged,
    /// The file was downloaded; `resumed_from` bytes came from an earlier partial download.
    Downloaded {
        /// Bytes already present in `<output>.part` when this fetch started.
        resumed_from: u64,
    },
    /// A local source was copied.
    Copied,
    /// The local source is the output itself.
    InPlace,
}

/// The result of [`fetch`].
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The verified region file.
    pub path: PathBuf,
    /// What was done.
    pub outcome: Outcome,
    /// Its size in bytes.
    pub size: u64,
    /// Its md5 (lowercase hex), when known without rereading the file.
    pub md5: Option<String>,
}

/// Fetches `source` into `output`, showing progress through `ctx`.
///
/// # Errors
///
/// [`Error`] when the source is missing, unreachable, fails its md5, or a local
/// write fails; `output` is then left as it was.
pub fn fetch(source: &Source, output: &Path, opts: &Options, ctx: &Context) -> Result<Fetched> {
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(error::io(parent))?;
    }
    match source {
        Source::Http(url) => http::fetch(url, output, opts, ctx),
        Source::Local(path) => local::fetch(path, output, opts, ctx),
    }
}

/// The delay before retry number `n` (1-based): `base`, doubling, capped at 30 s.
fn backoff(base: Duration, n: u32) -> Duration {
    base.saturating_mul(1 << n.saturating_sub(1).min(16))
        .min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(1), 1), s(1));
        assert_eq!(backoff(s(1), 2), s(2));
        assert_eq!(backoff(s(1), 4), s(8));
        assert_eq!(backoff(s(1), 40), s(30));
    }
}
