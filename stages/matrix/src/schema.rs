//! Parquet writer settings of `cells.parquet` and `matrix/part-NNNNN.parquet`. The
//! contract itself (file names, columns, schemas, manifest) is `hexmatrix-contract`'s;
//! the schemas are re-exported here for the writers.

use hexmatrix_contract::columns::pairs;
pub use hexmatrix_contract::schema::pairs_schema;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

/// Rows per Parquet row group: bounds the writer's buffers and lets readers skip.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// Zstd level of `cells.parquet`.
pub const ZSTD_LEVEL: i32 = 3;

/// Zstd level of the matrix parts, where encoding costs more than the search itself.
pub const MATRIX_ZSTD_LEVEL: i32 = -1;

/// Values the Parquet column writers take per call (the default is 1024).
pub const WRITE_BATCH_ROWS: usize = 8192;

/// Writer settings shared by all files: zstd, bounded row groups.
fn base_properties() -> parquet::file::properties::WriterPropertiesBuilder {
    let level = ZstdLevel::try_new(ZSTD_LEVEL).unwrap_or_default();
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("hexmatrix {}", env!("CARGO_PKG_VERSION")))
}

/// Writer settings of `cells.parquet`.
#[must_use]
pub fn cells_properties() -> WriterProperties {
    base_properties().build()
}

/// Writer settings of matrix parts, sorted by origin then dest. Measured with
/// `examples/part_encodings.rs` on whole Malta res 10 (README "Matrix writing"):
/// the id columns use delta encoding without a dictionary (an origin repeats, so its
/// deltas are zero; destinations ascend) instead of a dictionary, whose hashing of
/// every value was the writer's largest cost, and the file is 13% smaller. The
/// measures, nearly all distinct, skip the dictionary and use byte-stream split,
/// which lets zstd find the repeated sign/exponent bytes of nearby floats, and carry
/// no statistics (every part spans nearly the whole range, so they prune nothing).
/// Zstd runs at its fast level -1 (level 1: a file 2% smaller, 13% more encoding time).
///
/// The part writer itself uses these column writers only for `dest` with a duration
/// limit (rows left out). Otherwise the `chunk` module encodes every column to the same
/// types: `origin` as one dictionary run per origin, `dest` as a dictionary of the cells
/// and bit-packed indexes, once per number of origins in a row group (a tenth of the
/// CPU and 3% of the bytes of delta encoding it), and the measures byte-stream split as
/// rows arrive, one zstd page per row group.
#[must_use]
pub fn matrix_properties() -> WriterProperties {
    let level = ZstdLevel::try_new(MATRIX_ZSTD_LEVEL).unwrap_or_default();
    let mut b = base_properties()
        .set_compression(Compression::ZSTD(level))
        .set_write_batch_size(WRITE_BATCH_ROWS)
        .set_sorting_columns(Some(vec![
            SortingColumn {
                column_idx: 0,
                descending: false,
                nulls_first: false,
            },
            SortingColumn {
                column_idx: 1,
                descending: false,
                nulls_first: false,
            },
        ]));
    for column in [pairs::ORIGIN, pairs::DEST] {
        let path = ColumnPath::from(column);
        b = b
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
    }
    for column in [pairs::DISTANCE_M, pairs::DURATION_S] {
        let path = ColumnPath::from(column);
        b = b
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path.clone(), Encoding::BYTE_STREAM_SPLIT)
            .set_column_statistics_enabled(path, EnabledStatistics::None);
    }
    b.build()
}
