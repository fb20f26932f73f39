//! `hexmatrix report`: the arguments as the report stage's options, the stage
//! (`report.md`, `map.svg`, `map.png` and `access.parquet`, with Polars; a progress
//! bar over the parts), then its summary lines.

use std::path::PathBuf;

use anyhow::Context as _;
use hexmatrix_report::{ReportOptions, ReportSummary};

use crate::memory;
use crate::staging::{LocalInput, LocalOutput};
use hexmatrix_contract::Context;
use hexmatrix_store::Location;

/// Arguments of `hexmatrix report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Matrix directory written by `hexmatrix matrix` (manifest.json, cells.parquet, matrix/),
    /// or its s3://, gs:// or az:// URL (downloaded into the cache directory first).
    #[arg(long, value_parser = Location::parse)]
    pub matrix: Location,
    /// The run's manifest.json (written by `hexmatrix run`), for time and memory per stage.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Output directory for report.md, map.svg and map.png (created if missing; each file is
    /// written beside its final name and renamed into place), or an s3://, gs:// or az://
    /// URL the files are uploaded under.
    #[arg(long, value_parser = Location::parse)]
    pub output: Location,
    /// How many suspicious pairs to list.
    #[arg(long, default_value_t = hexmatrix_report::DEFAULT_TOP, value_name = "N")]
    pub top: usize,
}

/// Runs `hexmatrix report`.
pub fn run(args: &ReportArgs, ctx: &Context) -> anyhow::Result<()> {
    let matrix = LocalInput::dir(&args.matrix)
        .with_context(|| format!("cannot read the matrix {}", args.matrix))?;
    let output = LocalOutput::new(&args.output)?;
    let opts = ReportOptions {
        top: args.top,
        ..ReportOptions::new(
            matrix.path().to_owned(),
            args.manifest.clone(),
            output.path().to_owned(),
        )
    };
    execute(&opts, ctx)?;
    let target = output.display();
    output
        .publish(&[hexmatrix_report::REPORT_FILE])
        .with_context(|| format!("cannot publish the report to {target}"))
}

/// Runs the report stage on `opts`, logs its summary lines and returns the
/// figures. This is also the call `run` makes after the matrix stage.
///
/// # Errors
/// Incomplete or unreadable matrix, malformed manifest, or a failed write.
pub fn execute(opts: &ReportOptions, ctx: &Context) -> anyhow::Result<ReportSummary> {
    tracing::info!(
        target: "report",
        "[report] matrix {}{} -> {}",
        opts.matrix_dir.display(),
        opts.run_manifest
            .as_ref()
            .map_or_else(String::new, |m| format!(", run manifest {}", m.display())),
        opts.output_dir.display()
    );
    let s = hexmatrix_report::run(opts, ctx)
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
    // Why a report took twice as long: the sample of the parts misled (the
    // figures are exact either way).
    tracing::info!(
        target: "report",
        "[report] parts read {} ({} durations kept for the exact medians to each cell)",
        if s.second_pass { "twice: an exact figure fell outside the window its sample planned" } else { "once" },
        s.kept_for_medians
    );
    tracing::info!(
        target: "report",
        "[report] wrote {}, {}, {} and {} in {:.2} s, peak RSS {peak}",
        s.report_path.display(),
        s.map_path.display(),
        s.access_path.display(),
        s.png_path.display(),
        s.elapsed_s
    );
    Ok(s)
}
