//! `manifest.json` of a run: inputs and their hashes, parameters, and per
//! stage whether it ran, its counts, time and peak memory.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The run manifest's file name, in the version directory.
pub const RUN_MANIFEST_FILE: &str = "manifest.json";

/// One input file and its content hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputFile {
    /// Path as given.
    pub path: String,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What happened to one stage in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    /// Stage name.
    pub stage: String,
    /// `ran` or `skipped`.
    pub status: String,
    /// Why it was skipped, or what it ran on.
    pub note: String,
    /// What determines this stage's output: input hashes and parameters.
    pub key: BTreeMap<String, String>,
    /// Stage counts (nodes kept, pairs, keys…).
    pub counts: BTreeMap<String, u64>,
    /// Wall time in seconds (0 when skipped).
    pub elapsed_s: f64,
    /// Peak resident memory of the stage in bytes, when measured.
    pub peak_rss_bytes: Option<u64>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunManifest {
    /// Dataset name.
    pub dataset: String,
    /// The version string (output directory and cache key component).
    pub version: String,
    /// hexmatrix version.
    pub tool_version: String,
    /// Input files with hashes.
    pub inputs: Vec<InputFile>,
    /// Parameters (bbox, profile, resolution, …) as strings.
    pub parameters: BTreeMap<String, String>,
    /// Stages in order.
    pub stages: Vec<StageRecord>,
    /// Whole-run wall time in seconds.
    pub elapsed_s: f64,
    /// Unix time the run finished.
    pub finished_unix: u64,
}

impl RunManifest {
    /// Writes the manifest as pretty JSON, atomically.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        crate::outputs::write_atomic(path, &json)?;
        Ok(())
    }
}

/// Reads a stage record left by an earlier run, if it is there and readable.
pub fn read_stage_record(path: &Path) -> Option<StageRecord> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}
