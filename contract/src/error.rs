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
    /// A Parquet file could not be written or read (feature `parquet`).
    #[cfg(feature = "parquet")]
    #[error("{}: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: parquet::errors::ParquetError,
    },
    /// A Parquet file lacks a column the contract names.
    #[error("{}: no column {column}", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A column is not of the contract's type.
    #[error("{}: column {column} is not {expected}", path.display())]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The type the contract gives it (`UInt64`, `Utf8`...).
        expected: &'static str,
    },
    /// A required column holds a null.
    #[error("{}: column {column} is null at row {row}", path.display())]
    Null {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The row, from 0.
        row: u64,
    },
    /// A manifest is not JSON, lacks a required field, or could not be encoded.
    #[error("matrix manifest: {0}")]
    Json(#[source] serde_json::Error),
}

/// Result of the contract's helpers.
pub type Result<T> = std::result::Result<T, Error>;
