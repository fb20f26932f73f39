//! `manifest.json` of a matrix directory, written last: its presence means the
//! matrix is complete. The type is the contract's ([`MatrixManifest`]); this module
//! writes it.

use std::path::Path;

pub use hexmatrix_contract::{CellCounts, GraphRef, MatrixManifest, PartEntry, peak_rss_bytes};

use crate::error::{Error, Result};

/// Writes `manifest` as pretty JSON to `path`.
///
/// # Errors
/// [`Error::Manifest`] or [`Error::Io`] naming `path`.
pub fn write(manifest: &MatrixManifest, path: &Path) -> Result<()> {
    let text = manifest.to_json().map_err(|source| Error::Manifest {
        path: path.to_owned(),
        source,
    })?;
    std::fs::write(path, text).map_err(Error::io(path))
}
