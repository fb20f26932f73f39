//! Errors of this crate; each names the file or the query that failed.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while reporting on a matrix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named file or directory.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A manifest (the matrix's or the run's) is missing or malformed.
    #[error("manifest {path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A Polars query over the matrix files failed (bad schema, unreadable Parquet…).
    #[error("{what} over {path}: {source}")]
    Query {
        /// What was being computed, e.g. "duration histogram".
        what: &'static str,
        /// The matrix directory or file read.
        path: PathBuf,
        /// The underlying error.
        source: polars_core::error::PolarsError,
    },
    /// A Parquet file's footer points outside the file (Polars would read past
    /// its end instead of refusing it).
    #[error("{path}: corrupt Parquet file: {message}")]
    BadParquet {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Polars panicked while reading the matrix files (it does on some corrupt
    /// Parquet files instead of returning an error): a file is corrupt.
    #[error("{what} over {path}: the Parquet reader panicked ({message}): a file is corrupt")]
    Panicked {
        /// What was being computed.
        what: &'static str,
        /// The matrix directory or file read.
        path: PathBuf,
        /// The panic's message.
        message: String,
    },
    /// The map could not be rasterised to PNG (a malformed SVG, a pixmap too
    /// large): a bug of the map, not of the input.
    #[error("map.png: {message}")]
    Render {
        /// What went wrong.
        message: String,
    },
    /// A query result lacks a column or has it with an unexpected type.
    #[error("{what}: {message}")]
    Shape {
        /// What was being computed.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with its path.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// Wraps a Polars error with what was computed and over which path.
    pub(crate) fn query(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(polars_core::error::PolarsError) -> Self {
        let path = path.into();
        move |source| Self::Query { what, path, source }
    }

    /// Whether the error comes from bad input (missing or malformed files) rather
    /// than from this machine (disk full, permissions).
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Manifest { .. }
            | Self::Query { .. }
            | Self::Panicked { .. }
            | Self::BadParquet { .. }
            | Self::Shape { .. } => true,
            Self::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            Self::Render { .. } => false,
        }
    }
}
