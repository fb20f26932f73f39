//! `manifest.json` of a matrix directory: what was computed, how, and the checksums
//! of the files. The matrix stage writes it last; readers ignore fields they do not
//! know and fill the ones older matrices lack with defaults.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::status::CellCounts;

/// The value of [`MatrixManifest::stage`].
pub const STAGE: &str = "matrix";

/// One part file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartEntry {
    /// Path relative to the matrix directory ([`crate::part_name`] of the block).
    pub file: String,
    /// Origin block number.
    pub block: u64,
    /// Origins in the block (0 when an older manifest did not record it).
    #[serde(default)]
    pub origins: u64,
    /// Rows (ordered pairs) in the file.
    pub rows: u64,
    /// SHA-256 of the file, lowercase hex; absent in matrices written before the
    /// stage recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The graph the matrix was computed on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphRef {
    /// The graph directory as given.
    #[serde(default)]
    pub dir: String,
    /// Its vehicle profile, when the graph directory says.
    #[serde(default)]
    pub profile: Option<String>,
}

/// The content of a matrix `manifest.json`, in the order of its fields on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixManifest {
    /// Always [`STAGE`].
    #[serde(default)]
    pub stage: String,
    /// Version of the tool that wrote the matrix.
    #[serde(default)]
    pub tool_version: String,
    /// H3 resolution of the cells.
    pub resolution: u8,
    /// `[min_lon, min_lat, max_lon, max_lat]` in degrees.
    pub bbox: [f64; 4],
    /// The duration limit in seconds; `null` means every pair of `ok` cells has a row.
    #[serde(default)]
    pub max_duration_s: Option<f64>,
    /// The snap radius used, metres.
    #[serde(default)]
    pub snap_radius_m: f64,
    /// Origins per part (the last part may hold fewer).
    #[serde(default)]
    pub origin_block_size: u64,
    /// Cells by status.
    pub cells: CellCounts,
    /// SHA-256 of `cells.parquet`, lowercase hex; absent in older matrices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells_sha256: Option<String>,
    /// Rows over all parts.
    pub pairs: u64,
    /// Rows with nulls (no route).
    #[serde(default)]
    pub unreachable_pairs: u64,
    /// Pairs left out as slower than `max_duration_s`.
    #[serde(default)]
    pub beyond_limit_pairs: u64,
    /// Bucket entries of the many-to-many search (memory: 12 bytes each).
    #[serde(default)]
    pub bucket_entries: u64,
    /// The parts, in block order.
    pub parts: Vec<PartEntry>,
    /// The graph used.
    #[serde(default)]
    pub graph: GraphRef,
    /// Seconds spent searching and writing the parts (after loading and snapping).
    #[serde(default)]
    pub matrix_s: f64,
    /// Seconds building the buckets (backward searches from every target).
    #[serde(default)]
    pub bucket_s: f64,
    /// Thread-seconds of forward searches, summed over blocks.
    #[serde(default)]
    pub search_cpu_s: f64,
    /// Thread-seconds of encoding and writing parts, summed over blocks.
    #[serde(default)]
    pub write_cpu_s: f64,
    /// Worker threads of the search.
    #[serde(default)]
    pub threads: u64,
    /// Wall time of the stage, seconds.
    #[serde(default)]
    pub elapsed_s: f64,
    /// Peak resident memory of the writing process, bytes, when measured.
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
}

impl MatrixManifest {
    /// The manifest as it is written: pretty JSON and a final newline.
    ///
    /// # Errors
    /// [`Error::Json`] if serde cannot encode it (it always can for this type).
    pub fn to_json(&self) -> Result<String> {
        pretty_json(self)
    }

    /// Parses a manifest.
    ///
    /// # Errors
    /// [`Error::Json`] when `bytes` are not JSON or lack a required field.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(Error::Json)
    }

    /// Rows over the listed parts, saturating.
    #[must_use]
    pub fn part_rows(&self) -> u64 {
        self.parts
            .iter()
            .fold(0_u64, |sum, p| sum.saturating_add(p.rows))
    }
}

/// `value` as the contract's JSON files are written: pretty, with a final newline.
pub(crate) fn pretty_json<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(Error::Json)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MatrixManifest {
        MatrixManifest {
            stage: STAGE.to_owned(),
            tool_version: "0.1.0".to_owned(),
            resolution: 9,
            bbox: [14.46, 35.86, 14.53, 35.92],
            max_duration_s: None,
            snap_radius_m: 150.0,
            origin_block_size: 2,
            cells: CellCounts {
                total: 3,
                ok: 2,
                no_road: 1,
                unroutable: 0,
            },
            cells_sha256: Some("ab".repeat(32)),
            pairs: 4,
            unreachable_pairs: 0,
            beyond_limit_pairs: 0,
            bucket_entries: 7,
            parts: vec![PartEntry {
                file: crate::part_name(0),
                block: 0,
                origins: 2,
                rows: 4,
                sha256: Some("cd".repeat(32)),
            }],
            graph: GraphRef {
                dir: "g".to_owned(),
                profile: Some("car".to_owned()),
            },
            matrix_s: 0.5,
            bucket_s: 0.25,
            search_cpu_s: 0.125,
            write_cpu_s: 0.0625,
            threads: 2,
            elapsed_s: 1.0,
            peak_rss_bytes: Some(1024),
        }
    }

    #[test]
    fn round_trips_and_keeps_the_field_order() {
        let m = sample();
        let text = m.to_json().unwrap();
        assert!(text.ends_with("}\n"));
        assert_eq!(MatrixManifest::from_json(text.as_bytes()).unwrap(), m);
        let at = |field: &str| text.find(&format!("\"{field}\"")).unwrap();
        assert!(at("stage") < at("resolution"));
        assert!(at("cells_sha256") < at("pairs"));
        assert!(at("parts") < at("graph"));
        assert!(at("elapsed_s") < at("peak_rss_bytes"));
    }

    #[test]
    fn older_manifests_read_with_defaults() {
        let old = br#"{"resolution": 9, "bbox": [0, 0, 1, 1],
            "cells": {"total": 1, "ok": 1}, "pairs": 1,
            "parts": [{"file": "matrix/part-00000.parquet", "block": 0, "rows": 1}]}"#;
        let m = MatrixManifest::from_json(old).unwrap();
        assert_eq!((&m.cells_sha256, &m.parts[0].sha256), (&None, &None));
        assert_eq!(m.part_rows(), 1);
        assert!(MatrixManifest::from_json(br#"{"resolution": 9}"#).is_err());
    }
}
