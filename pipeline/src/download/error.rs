//! The typed error of `hexmatrix fetch`; every variant maps to exit code 3.

use std::path::PathBuf;

/// Why a region could not be fetched. Messages name the URL or path at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server has no such file.
    #[error("{url} not found (HTTP 404)")]
    NotFound {
        /// The requested URL.
        url: String,
    },
    /// The server answered with a status that retrying will not fix.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The requested URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// Every attempt failed (connection refused or cut, timeout, server error).
    #[error(
        "giving up on {url} after {attempts} failed attempts in a row \
         ({received} bytes received): {last}"
    )]
    GaveUp {
        /// The requested URL.
        url: String,
        /// Consecutive attempts that made no progress.
        attempts: u32,
        /// Bytes of the file held in the partial download.
        received: u64,
        /// What went wrong the last time.
        last: String,
    },
    /// The server publishes no checksum beside the extract.
    #[error("no checksum at {url} (HTTP {status}): every download is verified against it")]
    Md5Missing {
        /// The checksum URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The checksum file beside the extract is not `<32 hex digits>  <file name>`.
    #[error("{url} is not an md5 file (starts with {start:?})")]
    Md5Format {
        /// The checksum URL.
        url: String,
        /// Its first characters.
        start: String,
    },
    /// The downloaded or copied bytes do not have the published md5.
    #[error(
        "md5 mismatch for {source_name}: published {expected}, received {actual}; \
         refused, {kept}"
    )]
    Md5Mismatch {
        /// The URL or path of the region.
        source_name: String,
        /// The published hash.
        expected: String,
        /// The hash of what was received.
        actual: String,
        /// What happened to the previous file, for the message.
        kept: String,
    },
    /// A response contradicts the request (wrong Content-Range, body longer than announced).
    #[error("{url}: {message}")]
    BadResponse {
        /// The requested URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// An https source redirected to plain http (a downgrade): never followed.
    #[error(
        "{url} redirected to {to}: refused, an https download is never continued over plain http"
    )]
    InsecureRedirect {
        /// The requested URL.
        url: String,
        /// Where the server sent us.
        to: String,
    },
    /// The file is larger than the size cap (`--max-bytes`); nothing is kept.
    #[error(
        "{url} {what}, more than --max-bytes {max}: refused (raise --max-bytes if the region really is that big)"
    )]
    TooLarge {
        /// The URL or path of the region.
        url: String,
        /// What was seen: the announced size, or how far the body went.
        what: String,
        /// The cap in bytes.
        max: u64,
    },
    /// Writing the partial download failed (disk full, file size limit, I/O error).
    #[error("cannot write {path}: {source}; {kept}")]
    Write {
        /// The partial download.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
        /// What became of the partial download, for the message.
        kept: String,
    },
    /// A local source does not exist.
    #[error("region source {path} does not exist")]
    SourceMissing {
        /// The missing file.
        path: PathBuf,
    },
    /// A local file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// `Result` with this module's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Wraps an I/O error with the path it happened on.
pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}
