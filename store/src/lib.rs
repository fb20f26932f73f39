//! Stage inputs and outputs in a local directory or under an object-store URL.
//!
//! The principal types: [`Location`] (what a `--input`, `--output`, `--graph`,
//! `--matrix` or `run --outputs` value names: a local path, or an [`ObjectUrl`]
//! `s3://bucket/prefix`, `gs://…`, `az://…`) and [`RemoteDir`] (a prefix used as a
//! directory: list, streamed upload and download, uploads ordered so that a
//! manifest goes last).
//!
//! The stages themselves only ever read and write local files; the `hexmatrix`
//! binary downloads a remote input into a local cache directory before a stage
//! and uploads a finished output after it. Under a URL the objects keep the names
//! the files have in a local directory, so readers (warm, report, DuckDB, Polars,
//! pyarrow) find `manifest.json`, `cells.parquet` and `matrix/part-NNNNN.parquet`
//! where they expect them.
//!
//! The `object_store` client (reqwest, hyper, rustls with ring) is behind the
//! feature `object-store`. Without it [`Location::parse`] refuses URLs with an
//! error that names the feature and the command to rebuild with it, and
//! [`RemoteDir`] cannot be constructed.
//!
//! ```
//! use hexmatrix_store::Location;
//! let local: Location = "outputs/valletta/matrix".parse()?;
//! assert!(local.local().is_some());
//! # Ok::<(), hexmatrix_store::Error>(())
//! ```

mod error;
mod location;
#[cfg(feature = "object-store")]
mod remote;
#[cfg(not(feature = "object-store"))]
#[path = "disabled.rs"]
mod remote;

pub use error::{Cause, Error, Result};
pub use location::{Location, ObjectUrl, Scheme};
pub use remote::RemoteDir;

/// True when this build can reach object stores (feature `object-store`).
pub const OBJECT_STORE_ENABLED: bool = cfg!(feature = "object-store");

/// How uploads are cut into parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOptions {
    /// Bytes a part of a multipart upload (S3 needs at least 5 MiB for every part but
    /// the last); a file up to this size goes up in one PUT.
    pub part_bytes: usize,
    /// Parts uploading at once: the upload's memory is about `part_bytes` times this.
    pub parts_in_flight: usize,
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            part_bytes: 8 << 20,
            parts_in_flight: 4,
        }
    }
}

/// What a directory transfer moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transfer {
    /// Files (objects) moved.
    pub files: u64,
    /// Bytes moved.
    pub bytes: u64,
}
