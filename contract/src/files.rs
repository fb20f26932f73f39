//! File names inside a matrix directory.

/// The matrix manifest, written last: its presence means the matrix is complete.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The cells file.
pub const CELLS_FILE: &str = "cells.parquet";
/// The directory that holds the parts.
pub const PARTS_DIR: &str = "matrix";

/// The name of the part of origin block `block`, relative to the matrix directory:
/// `matrix/part-NNNNN.parquet`, the block number zero-padded to five digits.
#[must_use]
pub fn part_name(block: u64) -> String {
    format!("{PARTS_DIR}/part-{block:05}.parquet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_zero_padded() {
        assert_eq!(part_name(0), "matrix/part-00000.parquet");
        assert_eq!(part_name(12), "matrix/part-00012.parquet");
        assert_eq!(part_name(123_456), "matrix/part-123456.parquet");
    }
}
