//! The run manifest `hexmatrix run` writes beside a version's outputs, and the
//! per-stage records under `stages/`: what ran, on what, how long, how much memory.
//! The pipeline writes both; the report reads the run manifest for its stage table,
//! and the next run reads the stage records to skip unchanged stages.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The run manifest's file name, in the version directory.
pub const RUN_MANIFEST_FILE: &str = "manifest.json";

/// Whether a stage ran in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// The stage ran and wrote its output.
    Ran,
    /// Its output was complete for the same inputs and parameters: not run.
    Skipped,
}

impl StageStatus {
    /// `ran` or `skipped`, as the manifest holds it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ran => "ran",
            Self::Skipped => "skipped",
        }
    }
}

impl fmt::Display for StageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

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

/// What happened to one stage in a run (also its record under `stages/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    /// Stage name.
    pub stage: String,
    /// Ran or skipped.
    pub status: StageStatus,
    /// Why it was skipped, or what it ran on.
    #[serde(default)]
    pub note: String,
    /// What determines this stage's output: input hashes and parameters.
    #[serde(default)]
    pub key: BTreeMap<String, String>,
    /// Stage counts (nodes kept, pairs, keys…).
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Wall time in seconds (0 when skipped).
    #[serde(default)]
    pub elapsed_s: f64,
    /// Peak resident memory of the stage in bytes, when measured.
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
}

/// The whole run, in the order of its fields on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// Dataset name.
    #[serde(default)]
    pub dataset: String,
    /// The version string (output directory and cache key component).
    #[serde(default)]
    pub version: String,
    /// hexmatrix version.
    #[serde(default)]
    pub tool_version: String,
    /// Input files with hashes.
    #[serde(default)]
    pub inputs: Vec<InputFile>,
    /// Parameters (bbox, profile, resolution, …) as strings.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Stages in order.
    #[serde(default)]
    pub stages: Vec<StageRecord>,
    /// Whole-run wall time in seconds.
    #[serde(default)]
    pub elapsed_s: f64,
    /// Unix time the run finished (0 in the copy written before the report).
    #[serde(default)]
    pub finished_unix: u64,
}

/// Peak resident set size of this process in bytes (`VmHWM` from
/// `/proc/self/status`), when the system reports it: what the manifests' and stage
/// records' `peak_rss_bytes` hold.
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_record_round_trips_with_its_status_as_a_string() {
        let record = StageRecord {
            stage: "matrix".to_owned(),
            status: StageStatus::Skipped,
            note: "unchanged".to_owned(),
            key: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
            counts: BTreeMap::from([("pairs".to_owned(), 4)]),
            elapsed_s: 0.0,
            peak_rss_bytes: None,
        };
        let text = serde_json::to_string(&record).unwrap();
        assert!(text.contains(r#""status":"skipped""#), "{text}");
        assert_eq!(serde_json::from_str::<StageRecord>(&text).unwrap(), record);
        let run: RunManifest = serde_json::from_str(r#"{"stages": []}"#).unwrap();
        assert!(run.dataset.is_empty() && run.stages.is_empty());
    }
}
