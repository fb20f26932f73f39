//! Errors of the store: every one names the URL or the local path it is about.

use std::path::PathBuf;

/// A boxed cause from the object-store client (kept opaque so that this type is the
/// same with and without the `object-store` feature).
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong parsing a location or moving objects.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `scheme://` location whose scheme is not one of `s3`, `gs`, `az`.
    #[error(
        "{url}: unsupported URL scheme (object storage takes s3://, gs:// or az://; a local path has no scheme)"
    )]
    UnsupportedScheme {
        /// The location as given.
        url: String,
    },
    /// An object URL without a bucket, or with an empty path segment.
    #[error("{url}: {reason}")]
    InvalidUrl {
        /// The location as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An object URL given to a binary built without the `object-store` feature.
    #[error(
        "{url}: this hexmatrix was built without object storage (cargo feature `object-store`); \
         rebuild it with `cargo build --release -p hexmatrix --features object-store`"
    )]
    FeatureMissing {
        /// The location as given.
        url: String,
    },
    /// The client for a URL could not be configured (bad settings in the environment).
    #[error("{url}: cannot configure the object store: {source}")]
    Configure {
        /// The URL.
        url: String,
        /// The client's error.
        source: Cause,
    },
    /// A request to the object store failed (missing bucket, credentials, network).
    #[error("{action} {url}: {source}{hint}")]
    Request {
        /// What was being done (`listing`, `uploading … to`, `downloading`).
        action: String,
        /// The object or prefix URL.
        url: String,
        /// The client's error.
        source: Cause,
        /// What the environment lacks, when that explains the failure (else empty).
        hint: String,
    },
    /// Nothing is stored under a URL that should hold a stage's output.
    #[error("{url}: no objects under this URL (a wrong path, or nothing was published there yet)")]
    Empty {
        /// The prefix URL.
        url: String,
    },
    /// An object a stage must read is not there (the prefix may hold others).
    #[error("{url}: no object at this URL (a wrong path, or nothing was published there yet)")]
    Missing {
        /// The object URL.
        url: String,
    },
    /// A local file could not be read, written or listed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The local path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// True when the error is the user's to fix (a bad or unsupported URL, an empty
    /// prefix, a binary without the feature) rather than a failed transfer.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedScheme { .. }
                | Self::InvalidUrl { .. }
                | Self::FeatureMissing { .. }
                | Self::Configure { .. }
                | Self::Empty { .. }
                | Self::Missing { .. }
        )
    }

    /// Only transfers touch local files.
    #[cfg(feature = "object-store")]
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result of the store's functions.
pub type Result<T> = std::result::Result<T, Error>;
