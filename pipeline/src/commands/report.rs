//! `hexmatrix report`: summarise a matrix into `report.md`, `map.svg` and `map.png`
//! (Polars) and log the summary lines.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hexmatrix_report::{ReportOptions, ReportSummary};

use crate::memory;
use crate::progress::Context;

/// Arguments of `hexmatrix report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Matrix directory written by `hexmatrix matrix` (manifest.json, cells.parquet, matrix/).
    #[arg(long)]
    pub matrix: PathBuf,
    /// The run's manifest.json (written by `hexmatrix run`), for time and memory per stage.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Output directory for report.md, map.svg and map.png (created if missing; each file is
    /// written beside its final name and renamed into place).
    #[arg(long)]
    pub output: PathBuf,
    /// How many suspicious pairs to list.
    #[arg(long, default_value_t = hexmatrix_report::DEFAULT_TOP, value_name = "N")]
    pub top: usize,
}

/// Runs `hexmatrix report`.
pub fn run(args: &ReportArgs, ctx: &Context) -> anyhow::Result<()> {
    execute_with(
        &ReportOptions {
            matrix_dir: args.matrix.clone(),
            run_manifest: args.manifest.clone(),
            output_dir: args.output.clone(),
            top: args.top,
        },
        ctx,
    )?;
    Ok(())
}

/// Writes the report of `matrix_dir` into `output_dir` (with per-stage figures from
/// `run_manifest` when given), logs its summary lines and returns the figures.
/// This is the call `run` makes after the matrix stage.
///
/// # Errors
/// Incomplete or unreadable matrix, malformed manifest, or a failed write.
pub fn execute(
    matrix_dir: &Path,
    run_manifest: Option<&Path>,
    output_dir: &Path,
    ctx: &Context,
) -> anyhow::Result<ReportSummary> {
    execute_with(
        &ReportOptions {
            matrix_dir: matrix_dir.to_owned(),
            run_manifest: run_manifest.map(Path::to_owned),
            output_dir: output_dir.to_owned(),
            top: hexmatrix_report::DEFAULT_TOP,
        },
        ctx,
    )
}

fn execute_with(opts: &ReportOptions, _ctx: &Context) -> anyhow::Result<ReportSummary> {
    tracing::info!(
        target: "report",
        "[report] matrix {}{} -> {}",
        opts.matrix_dir.display(),
        opts.run_manifest
            .as_ref()
            .map_or_else(String::new, |m| format!(", run manifest {}", m.display())),
        opts.output_dir.display()
    );
    let s = hexmatrix_report::report_with(opts)
        .with_context(|| format!("report on matrix {}", opts.matrix_dir.display()))?;
    for line in &s.summary_lines {
        if line.starts_with("warning:") {
            tracing::warn!(target: "report", "[report] {line}");
        } else {
            tracing::info!(target: "report", "[report] {line}");
        }
    }
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    tracing::info!(target: "report", "[report] map: {}", s.underlay.sentence());
    tracing::info!(
        target: "report",
        "[report] wrote {}, {} and {} in {:.2} s, peak RSS {peak}",
        s.report_path.display(),
        s.map_path.display(),
        s.png_path.display(),
        s.elapsed_s
    );
    Ok(s)
}
