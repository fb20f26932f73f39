//! Running one stage of `hexmatrix run`: skip when its key (input hashes and
//! parameters) matches the record an earlier run left beside a complete output,
//! otherwise run it, measure time and peak memory, and record it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::manifest::{StageRecord, StageStatus, read_stage_record};
use crate::memory;

/// Counts a stage record holds (nodes kept, pairs, keys…), by name.
pub type Counts = BTreeMap<String, u64>;

/// A stage's typed summary, and the counts of it that its record keeps: the one
/// place each count gets its name in `manifest.json` and the end-of-run table.
pub trait Counted {
    /// The recorded counts.
    fn counts(&self) -> Counts;
}

fn counts<const N: usize>(pairs: [(&str, u64); N]) -> Counts {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

impl Counted for Counts {
    fn counts(&self) -> Counts {
        self.clone()
    }
}

impl Counted for hexmatrix_osm::CropSummary {
    fn counts(&self) -> Counts {
        counts([
            ("nodes", self.nodes),
            ("ways", self.ways),
            ("relations", self.relations),
        ])
    }
}

impl Counted for hexmatrix_graph::GraphSummary {
    fn counts(&self) -> Counts {
        counts([
            ("nodes", self.nodes),
            ("edges", self.edges),
            ("main_nodes", self.main_nodes),
        ])
    }
}

impl Counted for hexmatrix_matrix::MatrixSummary {
    fn counts(&self) -> Counts {
        counts([
            ("cells_ok", self.cells.ok),
            ("cells_no_road", self.cells.no_road),
            ("cells_unroutable", self.cells.unroutable),
            ("pairs", self.pairs),
            ("unreachable_pairs", self.unreachable_pairs),
        ])
    }
}

impl Counted for hexmatrix_report::ReportSummary {
    fn counts(&self) -> Counts {
        counts([
            ("suspicious_pairs", self.suspicious_pairs),
            ("warnings", self.warnings.len() as u64),
        ])
    }
}

impl Counted for hexmatrix_warm::WarmSummary {
    fn counts(&self) -> Counts {
        counts([
            ("keys_written", self.keys_written),
            ("keys_total", self.keys_total),
            ("no_route_keys", self.no_route_keys),
        ])
    }
}

/// One stage as `run` sees it.
pub struct StagePlan {
    /// Stage name (`crop`, `graph`, …).
    pub name: &'static str,
    /// The stage's complete output (file or directory); its presence plus a matching
    /// record means the stage can be skipped.
    pub output: PathBuf,
    /// Input hashes and parameters that determine the output.
    pub key: BTreeMap<String, String>,
}

impl StagePlan {
    fn record_path(&self, records_dir: &Path) -> PathBuf {
        records_dir.join(format!("{}.json", self.name))
    }

    /// Runs the stage unless `force` is false and an identical complete output exists.
    ///
    /// # Errors
    /// Whatever the stage returns, with the stage name as context.
    pub fn execute<S: Counted>(
        &self,
        records_dir: &Path,
        force: bool,
        body: impl FnOnce() -> anyhow::Result<S>,
    ) -> anyhow::Result<StageRecord> {
        let record_path = self.record_path(records_dir);
        if !force
            && self.output.exists()
            && let Some(previous) = read_stage_record(&record_path)
            && previous.key == self.key
        {
            tracing::info!(
                target: "run",
                "[{}] unchanged, skipped: {} is complete for the same inputs and parameters",
                self.name,
                self.output.display()
            );
            return Ok(StageRecord {
                status: StageStatus::Skipped,
                note: "inputs and parameters unchanged".into(),
                elapsed_s: 0.0,
                peak_rss_bytes: None,
                ..previous
            });
        }
        let measured = memory::reset_peak();
        let start = Instant::now();
        tracing::info!(target: "run", "[{}] running -> {}", self.name, self.output.display());
        let counts = body()
            .map_err(|e| e.context(format!("stage {} failed", self.name)))?
            .counts();
        let record = StageRecord {
            stage: self.name.to_owned(),
            status: StageStatus::Ran,
            note: String::new(),
            key: self.key.clone(),
            counts,
            elapsed_s: start.elapsed().as_secs_f64(),
            peak_rss_bytes: if measured {
                memory::peak_rss_bytes()
            } else {
                None
            },
        };
        hexmatrix_contract::atomic::write_atomic(
            &record_path,
            &serde_json::to_vec_pretty(&record)?,
        )?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_execution_with_same_key_is_skipped_and_a_new_key_reruns() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.txt");
        let mut plan = StagePlan {
            name: "demo",
            output: out.clone(),
            key: BTreeMap::from([("input".to_owned(), "aaa".to_owned())]),
        };
        let mut runs = 0;
        let mut body = || -> anyhow::Result<Counts> {
            runs += 1;
            std::fs::write(&out, b"x")?;
            Ok(Counts::from([("things".to_owned(), 3)]))
        };
        let first = plan.execute(dir.path(), false, &mut body).unwrap();
        assert_eq!(first.status, StageStatus::Ran);
        let second = plan.execute(dir.path(), false, &mut body).unwrap();
        assert_eq!(second.status, StageStatus::Skipped);
        assert_eq!(second.counts["things"], 3);
        plan.key.insert("input".into(), "bbb".into());
        let third = plan.execute(dir.path(), false, &mut body).unwrap();
        assert_eq!(third.status, StageStatus::Ran);
        let forced = plan.execute(dir.path(), true, &mut body).unwrap();
        assert_eq!(forced.status, StageStatus::Ran);
        assert_eq!(runs, 3);
    }
}
