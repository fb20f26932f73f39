//! Errors of this crate.

use std::path::PathBuf;

use parquet::errors::ParquetError;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in this stage.
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
    /// Writing a Parquet file failed.
    #[error("writing parquet file {path}: {source}")]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// Reading a Parquet file failed.
    #[error("reading parquet file {path}: {source}")]
    ParquetRead {
        /// The file being read.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// A Parquet file lacks a column, or has it with another type.
    #[error("{path}: column {column} is missing or has an unexpected type")]
    Column {
        /// The file.
        path: PathBuf,
        /// The column name.
        column: String,
    },
    /// The H3 resolution is outside the accepted range.
    #[error("h3 resolution {0} is outside the accepted 6..=11")]
    Resolution(u8),
    /// The bbox cannot be tiled with H3 cells.
    #[error("bbox {bbox} cannot be covered with h3 cells: {message}")]
    Cover {
        /// The bbox as `min_lon,min_lat,max_lon,max_lat`.
        bbox: String,
        /// Why.
        message: String,
    },
    /// An option has an unusable value.
    #[error("invalid option {name} = {value}: {message}")]
    Option {
        /// The option name.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it is refused.
        message: &'static str,
    },
    /// A graph node index from the graph files is out of range of the hierarchy.
    #[error("graph node {node} is out of range of the hierarchy in {path} ({count} nodes)")]
    NodeRange {
        /// The graph directory.
        path: PathBuf,
        /// The offending node.
        node: u64,
        /// How many nodes there are.
        count: usize,
    },
    /// `graph.ch` and `nodes.parquet` describe different graphs.
    #[error(
        "graph {path}: graph.ch has {ch_nodes} graph nodes but nodes.parquet has {parquet_nodes}"
    )]
    GraphMismatch {
        /// The graph directory.
        path: PathBuf,
        /// Graph nodes in `graph.ch`.
        ch_nodes: usize,
        /// Rows of `nodes.parquet`.
        parquet_nodes: usize,
    },
    /// The bbox would have more cells than allowed (estimated before any work).
    #[error(
        "bbox {bbox} at resolution {resolution} covers about {cells} cells (up to {pairs} pairs, \
         ≈{parquet_gib:.1} GiB of Parquet), more than --max-cells {max_cells}: refused before \
         any work; use a smaller bbox or a coarser resolution, or raise --max-cells"
    )]
    TooManyCells {
        /// The bbox, `min_lon,min_lat,max_lon,max_lat`.
        bbox: String,
        /// The H3 resolution.
        resolution: u8,
        /// Estimated cells.
        cells: u64,
        /// Estimated ordered pairs (an upper bound).
        pairs: u64,
        /// Estimated Parquet size of those pairs, GiB.
        parquet_gib: f64,
        /// The limit.
        max_cells: u64,
    },
    /// Reading the graph failed.
    #[error("reading graph {path}: {source}")]
    Graph {
        /// The graph directory.
        path: PathBuf,
        /// The graph crate's error.
        source: hexmatrix_graph::Error,
    },
    /// The run was cancelled through its context.
    #[error("{0}")]
    Cancelled(#[from] hexmatrix_contract::Cancelled),
    /// Writing the manifest failed.
    #[error("writing manifest {path}: {source}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The serializer error.
        source: hexmatrix_contract::Error,
    },
    /// A shard record the merge needs is not there: that shard has not finished.
    #[error(
        "shard record {path} is missing: shard {shard} has not finished (rerun it: matrix --shard {shard})"
    )]
    ShardMissing {
        /// The record's path.
        path: PathBuf,
        /// The shard, `K/N`.
        shard: String,
    },
    /// A shard record cannot be merged: unreadable, written for another shard,
    /// another graph or other parameters (stale), overlapping another record
    /// (duplicated), or naming a part that is missing or differs (half-written).
    #[error("shard record {path} refused: {message}")]
    ShardRefused {
        /// The record's path.
        path: PathBuf,
        /// Why, naming the part or the field.
        message: String,
    },
}

impl Error {
    /// Whether the error comes from the user's input (options, a damaged or
    /// mismatched graph directory) rather than from the machine (a failed write).
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Resolution(_)
            | Self::Cover { .. }
            | Self::Option { .. }
            | Self::TooManyCells { .. }
            | Self::NodeRange { .. }
            | Self::GraphMismatch { .. }
            | Self::ParquetRead { .. }
            | Self::Column { .. }
            | Self::ShardMissing { .. }
            | Self::ShardRefused { .. } => true,
            Self::Graph { source, .. } => source.is_bad_input(),
            _ => false,
        }
    }

    /// A Parquet error while writing `path`. The I/O error under it, when there is
    /// one, becomes [`Error::Io`]: a full disk is then said as such, without the
    /// Parquet wrapping ("External: ...").
    pub(crate) fn parquet(path: impl Into<PathBuf>) -> impl FnOnce(ParquetError) -> Self {
        let path = path.into();
        move |source| match source {
            ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
                Ok(io) => Self::Io { path, source: *io },
                Err(inner) => Self::Parquet {
                    path,
                    source: ParquetError::External(inner),
                },
            },
            source => Self::Parquet { path, source },
        }
    }

    /// An error of the contract's table writer or reader for `path`: Parquet errors
    /// as [`Self::parquet`] (`reading` chooses [`Error::ParquetRead`]), a missing or
    /// mistyped column as [`Error::Column`].
    pub(crate) fn table(path: &std::path::Path) -> impl FnOnce(hexmatrix_contract::Error) -> Self {
        Self::table_io(path, false)
    }

    /// As [`Self::table`], for a file being read.
    pub(crate) fn table_read(
        path: &std::path::Path,
    ) -> impl FnOnce(hexmatrix_contract::Error) -> Self {
        Self::table_io(path, true)
    }

    fn table_io(
        path: &std::path::Path,
        reading: bool,
    ) -> impl FnOnce(hexmatrix_contract::Error) -> Self {
        let path = path.to_owned();
        move |e| match e {
            hexmatrix_contract::Error::Parquet { source, .. } if reading => {
                Self::ParquetRead { path, source }
            }
            hexmatrix_contract::Error::Parquet { source, .. } => Self::parquet(path)(source),
            hexmatrix_contract::Error::Io { source, .. } => Self::Io { path, source },
            hexmatrix_contract::Error::MissingColumn { column, .. }
            | hexmatrix_contract::Error::ColumnType { column, .. }
            | hexmatrix_contract::Error::Null { column, .. } => Self::Column { path, column },
            other => Self::Io {
                path,
                source: std::io::Error::other(other.to_string()),
            },
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: a full disk read "writing parquet file …: External: No space left
    /// on device".
    #[test]
    fn issue_11_a_failed_parquet_write_is_an_io_error() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let err = Error::parquet("m/part-00000.parquet")(ParquetError::External(Box::new(full)));
        assert!(matches!(&err, Error::Io { .. }), "{err:?}");
        assert!(!err.is_bad_input());
        assert!(
            err.to_string().starts_with("m/part-00000.parquet: "),
            "{err}"
        );
        assert!(!err.to_string().contains("External"), "{err}");
        let other = Error::parquet("m/x.parquet")(ParquetError::General("schema".into()));
        assert!(matches!(other, Error::Parquet { .. }), "{other:?}");
    }
}
