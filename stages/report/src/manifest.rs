//! The two manifests a report reads: the matrix's `manifest.json` (the contract's
//! [`MatrixManifest`], written last, so its presence means the matrix is complete; it
//! lists the parts) and, optionally, the run's `manifest.json` (the contract's
//! [`RunManifest`]: time and memory per stage). Unknown fields are ignored.

use std::path::{Path, PathBuf};

use hexmatrix_contract::{MANIFEST_FILE, MatrixManifest, RunManifest};

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

/// Reads a run manifest.
///
/// # Errors
/// [`Error::Manifest`] when it cannot be read or parsed.
pub fn read_run_manifest(path: &Path) -> Result<RunManifest> {
    let bytes = std::fs::read(path).map_err(|e| Error::Manifest {
        path: path.to_owned(),
        message: format!("cannot read it: {e}"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
