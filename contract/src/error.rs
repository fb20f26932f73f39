//! Errors of the contract's helpers.

use std::path::PathBuf;

/// What went wrong reading or encoding a part of the contract.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the matrix directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A manifest is not JSON, lacks a required field, or could not be encoded.
    #[error("matrix manifest: {0}")]
    Json(#[source] serde_json::Error),
}

/// Result of the contract's helpers.
pub type Result<T> = std::result::Result<T, Error>;
