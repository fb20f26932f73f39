//! `manifest.json` of a matrix directory, written last: its presence means the
//! matrix is complete.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// Cell counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CellCounts {
    /// All cells of the cover.
    pub total: u64,
    /// Routable cells.
    pub ok: u64,
    /// Cells with no road within the snap radius.
    pub no_road: u64,
    /// Cells whose nearby roads are outside the main component.
    pub unroutable: u64,
}

/// One part file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartEntry {
    /// Path relative to the matrix directory.
    pub file: String,
    /// Block number.
    pub block: usize,
    /// Origins in the block.
    pub origins: usize,
    /// Rows in the file.
    pub rows: u64,
    /// SHA-256 of the file, lowercase hex: with `cells_sha256`, what identifies the
    /// matrix's content (the same graph and parameters give the same bytes).
    pub sha256: String,
}

/// The graph the matrix was computed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphRef {
    /// The graph directory as given.
    pub dir: String,
    /// Its vehicle profile, when the graph directory says.
    pub profile: Option<String>,
}

/// The manifest's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Always `matrix`.
    pub stage: &'static str,
    /// This crate's version.
    pub tool_version: &'static str,
    /// H3 resolution.
    pub resolution: u8,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// The duration limit; `null` means every pair of `ok` cells has a row.
    pub max_duration_s: Option<f64>,
    /// The snap radius used, metres.
    pub snap_radius_m: f64,
    /// Origins per part (the last part may hold fewer).
    pub origin_block_size: usize,
    /// Cells by status.
    pub cells: CellCounts,
    /// SHA-256 of `cells.parquet`, lowercase hex.
    pub cells_sha256: String,
    /// Rows over all parts.
    pub pairs: u64,
    /// Rows with nulls (no route).
    pub unreachable_pairs: u64,
    /// Pairs left out as slower than `max_duration_s`.
    pub beyond_limit_pairs: u64,
    /// Bucket entries of the many-to-many search (memory: 12 bytes each).
    pub bucket_entries: u64,
    /// The parts, in block order.
    pub parts: Vec<PartEntry>,
    /// The graph used.
    pub graph: GraphRef,
    /// Seconds spent searching and writing the parts (after loading and snapping).
    pub matrix_s: f64,
    /// Seconds building the buckets (backward searches from every target).
    pub bucket_s: f64,
    /// Thread-seconds of forward searches, summed over blocks.
    pub search_cpu_s: f64,
    /// Thread-seconds of encoding and writing parts, summed over blocks.
    pub write_cpu_s: f64,
    /// Worker threads of the search.
    pub threads: usize,
    /// Wall time of the stage, seconds.
    pub elapsed_s: f64,
    /// Peak resident memory of the process, bytes.
    pub peak_rss_bytes: Option<u64>,
}

impl Manifest {
    /// Writes the manifest as pretty JSON to `path`.
    ///
    /// # Errors
    /// [`Error::Manifest`] or [`Error::Io`] naming `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(|source| Error::Manifest {
            path: path.to_owned(),
            source,
        })?;
        text.push('\n');
        std::fs::write(path, text).map_err(Error::io(path))
    }
}

/// Peak resident set size of this process (`VmHWM`), when the system reports it.
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
