//! The two manifests a report reads: the matrix's `manifest.json` (the contract's
//! [`MatrixManifest`], written last, so its presence means the matrix is complete; it
//! lists the parts) and, optionally, the run's `manifest.json` (time and memory per
//! stage). Unknown fields are ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hexmatrix_contract::{MANIFEST_FILE, MatrixManifest};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Reads `MATRIX_DIR/manifest.json`.
///
/// # Errors
/// [`Error::Manifest`] when it is missing (the matrix is incomplete) or malformed.
pub fn read_matrix_manifest(matrix_dir: &Path) -> Result<MatrixManifest> {
    let path = matrix_dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::Manifest {
        path: path.clone(),
        message: format!("cannot read it ({e}); is the matrix complete?"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
        path,
        message: e.to_string(),
    })
}

/// Absolute paths of the part files of `manifest`, in block order.
#[must_use]
pub fn part_paths(manifest: &MatrixManifest, matrix_dir: &Path) -> Vec<PathBuf> {
    manifest
        .parts
        .iter()
        .map(|p| matrix_dir.join(&p.file))
        .collect()
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
