//! Report on a hexmatrix travel matrix: the one crate that uses Polars.
//!
//! [`report`] reads a matrix directory one file at a time and writes `report.md`,
//! `map.svg` and `map.png` so that an analyst or an on-call engineer sees at a glance whether a run is sane:
//! cells by status, pairs and the unreachable share, duration, distance and detour
//! factor quantiles, the most suspicious pairs (a route much longer than the
//! straight line: a missing bridge, a wrong oneway), time and memory per stage, and
//! a map of the cells coloured by status and by median travel time.
//!
//! **Inputs** (the matrix contract, `hexmatrix-contract`): `MATRIX_DIR/manifest.json` (its
//! presence means the matrix is complete; it lists the parts), `cells.parquet`
//! (`cell`, `cell_hex`, `lat`, `lon`, `status`) and `matrix/part-NNNNN.parquet`
//! (`origin`, `dest`, `distance_m`, `duration_s`); optionally the run's
//! `manifest.json` written by `hexmatrix run` (stages, time, peak memory).
//!
//! The map draws the roads of the graph the matrix was computed from under the
//! cells ([`underlay`]; the graph directory that `manifest.json` names, or
//! `graph-PROFILE` beside the matrix), when it is there.
//!
//! **Outputs**: `OUTPUT_DIR/report.md`, `OUTPUT_DIR/map.svg` and `OUTPUT_DIR/map.png`,
//! each written to a temporary file and renamed into place; a [`ReportSummary`]
//! with the figures and the summary lines for the caller's log.
//!
//! **Memory**: the matrix can hold hundreds of millions of rows and is never
//! loaded whole. Each part (origin block) is read once and every figure over the
//! pairs takes its share with Polars' eager API (filters, joins to the cell centres,
//! group-bys, a sort; see [`parts`]): histograms whose bin counts add up over the
//! parts (see [`histogram`]), the top-k of each part's suspicious pairs, the
//! per-cell medians of the map. Memory is bounded by the largest part.
//!
//! ```no_run
//! use std::path::Path;
//! let s = hexmatrix_report::report(
//!     Path::new("outputs/valletta/current/matrix"),
//!     Some(Path::new("outputs/valletta/current/manifest.json")),
//!     Path::new("outputs/valletta/current/report"),
//! )?;
//! for line in &s.summary_lines {
//!     println!("[report] {line}");
//! }
//! # Ok::<(), hexmatrix_report::Error>(())
//! ```

pub mod error;
pub mod histogram;
pub mod manifest;
pub mod map;
pub mod markdown;
pub mod origins;
pub mod parts;
pub mod png;
pub mod scalebar;
pub mod scan;
pub mod stats;
pub mod suspicious;
pub mod underlay;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::{Error, Result};
pub use hexmatrix_contract::CellCounts;
pub use histogram::Quantiles;
pub use suspicious::SuspiciousPair;

use hexmatrix_contract::{CELLS_FILE, MatrixManifest, atomic};

use crate::manifest::{part_paths, read_matrix_manifest, read_run_manifest};
use crate::scan::MatrixFiles;
use crate::underlay::UnderlayStatus;

/// The report file, in the output directory.
pub const REPORT_FILE: &str = "report.md";
/// The map file, in the output directory.
pub const MAP_FILE: &str = "map.svg";
/// The map rasterised, in the output directory.
pub const MAP_PNG_FILE: &str = "map.png";
/// Pixels of `map.png` per pixel of `map.svg`: twice, so that labels and thin
/// roads stay sharp when a chat tool or an issue tracker shows it.
pub const PNG_SCALE: f32 = 2.0;
/// How many suspicious pairs the report lists by default.
pub const DEFAULT_TOP: usize = 20;

/// What to report on and where.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The matrix directory (`manifest.json`, `cells.parquet`, `matrix/`).
    pub matrix_dir: PathBuf,
    /// The run's `manifest.json`, for time and memory per stage.
    pub run_manifest: Option<PathBuf>,
    /// Where `report.md`, `map.svg` and `map.png` go (created if missing).
    pub output_dir: PathBuf,
    /// How many suspicious pairs to list.
    pub top: usize,
}

/// The figures of a report and where it was written.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// Cells by status, counted in `cells.parquet`.
    pub cells: CellCounts,
    /// Rows over all parts.
    pub pairs: u64,
    /// Rows without a route.
    pub unreachable_pairs: u64,
    /// Durations of routed pairs between different cells, seconds.
    pub duration_s: Option<Quantiles>,
    /// Distances of routed pairs between different cells, metres.
    pub distance_m: Option<Quantiles>,
    /// Detour factors of routed pairs between different cells.
    pub detour: Option<Quantiles>,
    /// Routed pairs with a detour factor above [`suspicious::DETOUR_LIMIT`].
    pub suspicious_pairs: u64,
    /// The worst suspicious pairs, largest excess distance first.
    pub top_suspicious: Vec<SuspiciousPair>,
    /// Disagreements between the files and the matrix manifest (none when sane).
    pub warnings: Vec<String>,
    /// One line per figure, for the caller's log (also at the top of `report.md`).
    pub summary_lines: Vec<String>,
    /// The written `report.md`.
    pub report_path: PathBuf,
    /// The written `map.svg`.
    pub map_path: PathBuf,
    /// The written `map.png`.
    pub png_path: PathBuf,
    /// The roads under the cells, or why there are none.
    pub underlay: UnderlayStatus,
    /// Wall time of the report in seconds.
    pub elapsed_s: f64,
}

/// Writes `report.md`, `map.svg` and `map.png` for the matrix in `matrix_dir` into `output_dir`,
/// with per-stage time and memory from `run_manifest` when given; lists the
/// [`DEFAULT_TOP`] worst suspicious pairs. See [`report_with`].
///
/// # Errors
/// As [`report_with`].
pub fn report(
    matrix_dir: &Path,
    run_manifest: Option<&Path>,
    output_dir: &Path,
) -> Result<ReportSummary> {
    report_with(&ReportOptions {
        matrix_dir: matrix_dir.to_owned(),
        run_manifest: run_manifest.map(Path::to_owned),
        output_dir: output_dir.to_owned(),
        top: DEFAULT_TOP,
    })
}

/// Computes the report of `opts.matrix_dir` and writes it into `opts.output_dir`.
///
/// # Errors
/// [`Error::Manifest`] when the matrix manifest is missing (incomplete matrix) or a
/// manifest is malformed; [`Error::Query`] when a Parquet file cannot be read or
/// lacks a column; [`Error::Io`] when the output cannot be written.
pub fn report_with(opts: &ReportOptions) -> Result<ReportSummary> {
    let started = Instant::now();
    let matrix = read_matrix_manifest(&opts.matrix_dir)?;
    let run = opts
        .run_manifest
        .as_deref()
        .map(read_run_manifest)
        .transpose()?;
    let files = MatrixFiles {
        dir: opts.matrix_dir.clone(),
        cells: opts.matrix_dir.join(CELLS_FILE),
        parts: part_paths(&matrix, &opts.matrix_dir),
    };
    files.check()?;

    let cells = stats::cell_counts(&files)?;
    let parts::PartFigures {
        pairs,
        suspicious,
        medians,
    } = parts::scan(&files, opts.top)?;
    let cell_infos = origins::cells_with_medians(&files, &medians)?;
    let (roads, underlay) = underlay::load_for(&matrix, &opts.matrix_dir);

    let mut summary = ReportSummary {
        cells,
        pairs: pairs.pairs,
        unreachable_pairs: pairs.unreachable,
        duration_s: pairs.duration_s.quantiles(),
        distance_m: pairs.distance_m.quantiles(),
        detour: pairs.detour.quantiles(),
        suspicious_pairs: suspicious.count,
        top_suspicious: suspicious.top,
        warnings: check_against_manifest(&matrix, &cells, &pairs),
        summary_lines: Vec::new(),
        report_path: opts.output_dir.join(REPORT_FILE),
        map_path: opts.output_dir.join(MAP_FILE),
        png_path: opts.output_dir.join(MAP_PNG_FILE),
        underlay,
        elapsed_s: 0.0,
    };
    summary.summary_lines = markdown::summary_lines(&summary);

    std::fs::create_dir_all(&opts.output_dir).map_err(Error::io(&opts.output_dir))?;
    let title = run.as_ref().map_or_else(
        || opts.matrix_dir.display().to_string(),
        |r| format!("{} {}", r.dataset, r.version),
    );
    let (svg, classes) = map::render_svg_with(&cell_infos, &title, roads.as_ref());
    if let UnderlayStatus::Drawn { classes: drawn, .. } = &mut summary.underlay {
        *drawn = classes;
    }
    write_atomic(&summary.map_path, svg.as_bytes())?;
    write_atomic(&summary.png_path, &png::render_png(&svg, PNG_SCALE)?)?;
    let md = markdown::render(
        &summary,
        &matrix,
        run.as_ref(),
        &opts.matrix_dir.display().to_string(),
        MAP_FILE,
    );
    write_atomic(&summary.report_path, md.as_bytes())?;
    summary.elapsed_s = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// What the files say against what the matrix manifest recorded.
fn check_against_manifest(
    m: &MatrixManifest,
    cells: &CellCounts,
    pairs: &stats::PairStats,
) -> Vec<String> {
    let mut w = Vec::new();
    if *cells != m.cells {
        w.push(format!(
            "{CELLS_FILE} counts {cells:?} but the matrix manifest says {:?}",
            m.cells
        ));
    }
    if pairs.pairs != m.pairs {
        w.push(format!(
            "the parts hold {} rows but the matrix manifest says {} pairs",
            pairs.pairs, m.pairs
        ));
    }
    if pairs.unreachable != m.unreachable_pairs {
        w.push(format!(
            "the parts hold {} unreachable rows but the matrix manifest says {}",
            pairs.unreachable, m.unreachable_pairs
        ));
    }
    if m.cells.ok * m.cells.ok != m.pairs {
        w.push(format!(
            "{} ok cells should give {} pairs, the matrix manifest says {}",
            m.cells.ok,
            m.cells.ok * m.cells.ok,
            m.pairs
        ));
    }
    w
}

/// Writes `bytes` to `path` with [`atomic::write_file`], so a reader never sees a
/// half-written report, even after a power loss; the error names the failing path.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic::write_file(path, bytes).map_err(|e| Error::io(e.path)(e.source))
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
