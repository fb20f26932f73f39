//! The two manifests a report reads: the matrix's `manifest.json` (written last, so
//! its presence means the matrix is complete; it lists the parts) and, optionally,
//! the run's `manifest.json` (time and memory per stage). Unknown fields are ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Cell counts by status as the matrix stage recorded them.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
pub struct CellCounts {
    /// All cells of the cover.
    pub total: u64,
    /// Cells snapped to the routable graph.
    pub ok: u64,
    /// Cells with no road within the snap radius.
    pub no_road: u64,
    /// Cells whose nearest road is outside the main component.
    pub unroutable: u64,
}

/// One part file of the matrix.
#[derive(Debug, Clone, Deserialize)]
pub struct PartEntry {
    /// Path relative to the matrix directory.
    pub file: String,
    /// Rows in the part.
    #[serde(default)]
    pub rows: u64,
}

/// The fields of the matrix `manifest.json` the report uses.
#[derive(Debug, Clone, Deserialize)]
pub struct MatrixManifest {
    /// H3 resolution.
    pub resolution: u8,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// Duration limit of the searches, if any.
    #[serde(default)]
    pub max_duration_s: Option<f64>,
    /// Cell counts by status.
    pub cells: CellCounts,
    /// Rows over all parts.
    pub pairs: u64,
    /// Rows without a route.
    pub unreachable_pairs: u64,
    /// Rows left without a route because they exceed the duration limit.
    #[serde(default)]
    pub beyond_limit_pairs: u64,
    /// The parts, in block order.
    pub parts: Vec<PartEntry>,
}

impl MatrixManifest {
    /// Reads `MATRIX_DIR/manifest.json`.
    ///
    /// # Errors
    /// [`Error::Manifest`] when it is missing (the matrix is incomplete) or malformed.
    pub fn read(matrix_dir: &Path) -> Result<Self> {
        let path = matrix_dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|e| Error::Manifest {
            path: path.clone(),
            message: format!("cannot read it ({e}); is the matrix complete?"),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
            path,
            message: e.to_string(),
        })
    }

    /// Absolute paths of the part files, in block order.
    #[must_use]
    pub fn part_paths(&self, matrix_dir: &Path) -> Vec<PathBuf> {
        self.parts
            .iter()
            .map(|p| matrix_dir.join(&p.file))
            .collect()
    }
}

/// One stage of a run, as `hexmatrix run` records it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct StageEntry {
    /// Stage name.
    pub stage: String,
    /// `ran` or `skipped`.
    pub status: String,
    /// Why skipped, or what it ran on.
    #[serde(default)]
    pub note: String,
    /// Stage counts.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Wall time in seconds.
    #[serde(default)]
    pub elapsed_s: f64,
    /// Peak resident memory in bytes, when measured.
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
}

/// The fields of a run `manifest.json` the report uses.
#[derive(Debug, Clone, Deserialize)]
pub struct RunManifest {
    /// Dataset name.
    #[serde(default)]
    pub dataset: String,
    /// Version string of the run.
    #[serde(default)]
    pub version: String,
    /// Stages in order.
    #[serde(default)]
    pub stages: Vec<StageEntry>,
    /// Whole-run wall time in seconds.
    #[serde(default)]
    pub elapsed_s: f64,
}

impl RunManifest {
    /// Reads a run manifest.
    ///
    /// # Errors
    /// [`Error::Manifest`] when it cannot be read or parsed.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::Manifest {
            path: path.to_owned(),
            message: format!("cannot read it: {e}"),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}
