//! Errors of this crate.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in this stage. Anomalies in the OSM data (missing nodes,
/// malformed restrictions, absurd maxspeed values) are not errors: they are
/// counted in [`crate::GraphSummary`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input PBF cannot be opened or read.
    #[error("cannot read input {path}: {source}")]
    Input {
        /// The input file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The PBF could not be read or decoded (the error names the file, the
    /// blob and its byte offset).
    #[error(transparent)]
    Osm(#[from] hexmatrix_osm::Error),
    /// The profile name is not one of the built-in profiles.
    #[error("unknown profile {name:?} (known: {known})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// The input has no way that the profile can drive on.
    #[error("{path}: no routable road for profile {profile} ({ways} ways read)")]
    NoRoutableRoads {
        /// The input file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// How many ways the file holds.
        ways: u64,
    },
    /// The graph has more nodes or edges than the 32-bit ids allow.
    #[error("graph too large: {what} count {count} exceeds the 32-bit limit")]
    TooLarge {
        /// What overflowed (nodes, edges).
        what: &'static str,
        /// The count.
        count: u64,
    },
    /// A `graph.ch` file is not one of ours, truncated, corrupt or of another version.
    #[error("{path}: {reason}")]
    BadChFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what was expected.
        reason: String,
    },
    /// A Parquet file could not be written or read.
    #[error("{path}: parquet: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// A graph table lacks a column, has it with another type or a null where the
    /// contract has none.
    #[error("{0}")]
    Table(hexmatrix_contract::Error),
    /// The build was cancelled through its context.
    #[error("{0}")]
    Cancelled(#[from] hexmatrix_contract::Cancelled),
    /// A Parquet file holds a value that breaks the graph contract.
    #[error("{path}: {reason}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// Whether the error is about the input (a bad or empty PBF, an unknown
    /// profile, a refused graph.ch or Parquet file) rather than the machine.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            Self::Io { .. }
                | Self::Cancelled(_)
                | Self::Osm(hexmatrix_osm::Error::Io { .. } | hexmatrix_osm::Error::Write { .. })
        )
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
