//! Errors of the osm crate: each names the file and the place.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong reading, writing or cropping PBF files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bbox text or values are invalid.
    #[error("invalid bbox: {0}")]
    InvalidBbox(String),
    /// An I/O error on a named file.
    #[error("{path}: {error}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error (shown in the message, not chained, so it is said once).
        error: std::io::Error,
    },
    /// An output file could not be written (disk full, file size limit, I/O error):
    /// a failure of the machine, not of the input.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error (shown in the message, not chained, so it is said once).
        error: std::io::Error,
    },
    /// The file does not start like an OSM PBF file.
    #[error("{path} is not an OSM PBF file: {reason}")]
    NotPbf {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The file ends inside a blob.
    #[error("{path} is truncated: blob {blob} at byte {offset} {detail}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Number of the blob (0 = the header blob).
        blob: u64,
        /// Byte offset where that blob starts.
        offset: u64,
        /// What is missing.
        detail: String,
    },
    /// A blob cannot be decoded (bad zlib stream, malformed protobuf, bad string index).
    #[error("{path}: blob {blob} at byte {offset} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Number of the blob (0 = the header blob).
        blob: u64,
        /// Byte offset where that blob starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The file needs a feature this reader does not implement.
    #[error(
        "{path}: unsupported PBF feature {feature:?} (supported: OsmSchema-V0.6, DenseNodes, HistoricalInformation)"
    )]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The required feature named in its header.
        feature: String,
    },
    /// Entities are not in type-then-id order, which the crop relies on.
    #[error(
        "{path} is not sorted by type then id: {detail} (blob {blob}); sort it first, e.g. `osmium sort`"
    )]
    Unsorted {
        /// The file.
        path: PathBuf,
        /// Number of the blob where the order breaks.
        blob: u64,
        /// Which entity follows which.
        detail: String,
    },
    /// Entities were handed to the writer out of type-then-id order.
    #[error("{path}: entities must be written in type-then-id order, but {detail}")]
    WriteOrder {
        /// The file being written.
        path: PathBuf,
        /// Which entity followed which.
        detail: String,
    },
    /// The bbox holds no node of the input: the crop would be empty.
    #[error(
        "bbox {bbox} holds no node of {path}: the crop would be empty (the input's nodes span {data_bbox})"
    )]
    EmptyCrop {
        /// The input file.
        path: PathBuf,
        /// The requested bbox.
        bbox: String,
        /// Where the input's nodes are, `min_lon,min_lat,max_lon,max_lat`, or "nothing".
        data_bbox: String,
    },
    /// The crop was cancelled through its context.
    #[error("{0}")]
    Cancelled(#[from] hexmatrix_contract::Cancelled),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            error,
        }
    }

    /// An [`Error::Write`] for `path`.
    pub fn write(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Self::Write {
            path: path.into(),
            error,
        }
    }

    /// Whether the error is about the input (arguments, a damaged, unsorted or
    /// unreadable PBF) rather than the machine (an output that cannot be written).
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Self::Write { .. } | Self::Cancelled(_))
    }
}
