//! `manifest.json` of a run and the per-stage records: the types are the contract's
//! ([`RunManifest`], [`StageRecord`]); this module writes and reads them.

use std::path::Path;

pub use hexmatrix_contract::{InputFile, RUN_MANIFEST_FILE, RunManifest, StageRecord, StageStatus};

/// Writes `manifest` as pretty JSON to `path`, atomically.
///
/// # Errors
/// The file cannot be written.
pub fn write_run_manifest(manifest: &RunManifest, path: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(manifest)?;
    hexmatrix_contract::atomic::write_atomic(path, &json)?;
    Ok(())
}

/// Reads a stage record left by an earlier run, if it is there and readable.
pub fn read_stage_record(path: &Path) -> Option<StageRecord> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}
