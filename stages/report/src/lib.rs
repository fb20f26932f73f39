//! Report on a hexmatrix travel matrix: the one crate that uses Polars.
//!
//! [`run`] reads a matrix directory one part at a time and writes `report.md`,
//! `map.svg`, `map.png` and `access.parquet` so that an analyst or an on-call engineer sees at
//! a glance whether a run is sane: cells by status, pairs and the unreachable
//! share, exact duration and distance quantiles, detour factor quantiles, the most
//! suspicious pairs (a route much longer than the straight line: a missing bridge,
//! a wrong oneway), time and memory per stage, a map of the cells (over the
//! roads) coloured by status, by median travel time and by the share of the city
//! reached within the time at which the median cell reaches half the city (5 to 60 minutes), and per ok
//! cell its reach and median travel times (`access`).
//!
//! **Inputs** (the matrix contract, `hexmatrix-contract`): `MATRIX_DIR/manifest.json` (its
//! presence means the matrix is complete; it lists the parts), `cells.parquet`
//! (`cell`, `cell_hex`, `lat`, `lon`, `status`) and `matrix/part-NNNNN.parquet`
//! (`origin`, `dest`, `distance_m`, `duration_s`); optionally the run's
//! `manifest.json` written by `hexmatrix run` (stages, time, peak memory).
//!
//! The map draws the roads of the graph the matrix was computed from under the
//! cells (`underlay`; the graph directory that `manifest.json` names, or
//! `graph-PROFILE` beside the matrix), when it is there.
//!
//! **Outputs**: `OUTPUT_DIR/report.md`, `OUTPUT_DIR/map.svg`,
//! `OUTPUT_DIR/map.png` and `OUTPUT_DIR/access.parquet`, each written through the contract's atomic writer;
//! a [`ReportSummary`] with the figures and the summary lines for the caller's log.
//!
//! **How** (see `parts`): Polars decodes each Parquet part; the figures are
//! computed in plain loops over the decoded buffers, one part per core at a time.
//! Exact quantiles and medians need a second look at a few values (see `exact`):
//! a sample of every part plans where those values will be, so each part is
//! read once, and a second time only when the sample misled (see `parts`). Until
//! issue 14 each part went through a dozen eager Polars operations (two hash
//! joins to the cell centres, four group-bys, a group-by-apply for the medians),
//! each allocating full-length columns, in Polars crates built at opt-level 1:
//! that, not reading, was where the time went (see the README).
//!
//! **Memory**: the matrix can hold hundreds of millions of rows and is never
//! loaded whole: one part per core (at most four), plus per-cell counters and the
//! values the exact medians keep (about a fifth of the durations, at most 256
//! MiB of them).
//!
//! ```no_run
//! use hexmatrix_contract::Context;
//! use hexmatrix_report::ReportOptions;
//! let opts = ReportOptions::new(
//!     "outputs/valletta/current/matrix".into(),
//!     Some("outputs/valletta/current/manifest.json".into()),
//!     "outputs/valletta/current/report".into(),
//! );
//! let s = hexmatrix_report::run(&opts, &Context::silent())?;
//! for line in &s.summary_lines {
//!     println!("[report] {line}");
//! }
//! # Ok::<(), hexmatrix_report::Error>(())
//! ```

mod access;
mod error;
mod exact;
mod grid;
mod histogram;
mod manifest;
mod map;
mod markdown;
mod origins;
mod parts;
mod png;
mod scalebar;
mod scan;
mod stats;
mod suspicious;
mod underlay;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use access::{Access, AccessSummary};
pub use error::{Error, Result};
pub use hexmatrix_contract::CellCounts;
pub use histogram::Quantiles;
pub use parts::Counters;
pub use suspicious::SuspiciousPair;
pub use underlay::UnderlayStatus;

use hexmatrix_contract::{CELLS_FILE, Context, Counter, MatrixManifest, Unit};
use polars_io::prelude::ParquetWriter;

use crate::manifest::{part_paths, read_matrix_manifest, read_run_manifest};
use crate::scan::MatrixFiles;

/// The report file, in the output directory.
pub const REPORT_FILE: &str = "report.md";
/// The map file, in the output directory.
pub const MAP_FILE: &str = "map.svg";
/// The accessibility table, in the output directory (see `access`).
pub const ACCESS_FILE: &str = "access.parquet";
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
    /// Routed pairs with a detour factor above `DETOUR_LIMIT` (5).
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
    /// The written `access.parquet`.
    pub access_path: PathBuf,
    /// What `access.parquet` says over all ok cells.
    pub access: AccessSummary,
    /// Durations held for the exact medians to each destination.
    pub kept_for_medians: usize,
    /// Whether the parts were read a second time: an exact figure fell outside
    /// the window its sample planned (see the crate doc's **How**).
    pub second_pass: bool,
    /// The written `map.png`.
    pub png_path: PathBuf,
    /// The roads under the cells, or why there are none.
    pub underlay: UnderlayStatus,
    /// Wall time of the report in seconds.
    pub elapsed_s: f64,
}

impl ReportOptions {
    /// Options for the matrix in `matrix_dir`, written into `output_dir`, with
    /// per-stage time and memory from `run_manifest` when given, listing the
    /// [`DEFAULT_TOP`] worst suspicious pairs.
    #[must_use]
    pub fn new(matrix_dir: PathBuf, run_manifest: Option<PathBuf>, output_dir: PathBuf) -> Self {
        Self {
            matrix_dir,
            run_manifest,
            output_dir,
            top: DEFAULT_TOP,
        }
    }
}

/// Computes the report of `opts.matrix_dir` and writes it into `opts.output_dir`
/// through `ctx`'s output helper (each file complete or absent).
///
/// # Errors
/// [`Error::Manifest`] when the matrix manifest is missing (incomplete matrix) or a
/// manifest is malformed; [`Error::Query`] when a Parquet file cannot be read or
/// lacks a column; [`Error::Io`] when the output cannot be written.
pub fn run(opts: &ReportOptions, ctx: &Context) -> Result<ReportSummary> {
    let started = Instant::now();
    let matrix = read_matrix_manifest(&opts.matrix_dir)?;
    let run = opts
        .run_manifest
        .as_deref()
        .map(read_run_manifest)
        .transpose()?;
    let files = MatrixFiles {
        cells: opts.matrix_dir.join(CELLS_FILE),
        parts: part_paths(&matrix, &opts.matrix_dir),
    };
    files.check()?;

    let cells = stats::cell_counts(&files)?;
    let parts::PartFigures {
        pairs,
        suspicious,
        access,
        hex,
        split_origin,
        kept_for_medians,
        second_pass,
    } = scan_shown(&files, opts.top, ctx)?;
    let access_summary = access::summarise(&access, &hex);
    let cell_infos = origins::cells_with_medians(&files, &access, access_summary.map_threshold)?;
    let mut warnings = check_against_manifest(&matrix, &cells, &pairs);
    if let Some(cell) = split_origin {
        warnings.push(format!(
            "the rows of origin {cell} (and maybe others) span more than one part: \
             its median and reach cover its last part only"
        ));
    }
    let (roads, underlay) = underlay::load_for(&matrix, &opts.matrix_dir);

    let mut summary = ReportSummary {
        cells,
        pairs: pairs.pairs,
        unreachable_pairs: pairs.unreachable,
        duration_s: pairs.duration_s,
        distance_m: pairs.distance_m,
        detour: pairs.detour,
        suspicious_pairs: suspicious.count,
        top_suspicious: suspicious.top,
        warnings,
        summary_lines: Vec::new(),
        report_path: opts.output_dir.join(REPORT_FILE),
        map_path: opts.output_dir.join(MAP_FILE),
        access_path: opts.output_dir.join(ACCESS_FILE),
        access: access_summary,
        kept_for_medians,
        second_pass,
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
    let mut table =
        access::frame(&access, &hex).map_err(Error::query(ACCESS_FILE, &opts.output_dir))?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .finish(&mut table)
        .map_err(Error::query(ACCESS_FILE, &opts.output_dir))?;
    write_atomic(ctx, &summary.access_path, &bytes)?;
    let (svg, classes) = map::render_svg_with(
        &cell_infos,
        &title,
        roads.as_ref(),
        summary.access.map_threshold_min(),
    );
    if let UnderlayStatus::Drawn { classes: drawn, .. } = &mut summary.underlay {
        *drawn = classes;
    }
    write_atomic(ctx, &summary.map_path, svg.as_bytes())?;
    write_atomic(ctx, &summary.png_path, &png::render_png(&svg, PNG_SCALE)?)?;
    let md = markdown::render(
        &summary,
        &matrix,
        run.as_ref(),
        &opts.matrix_dir.display().to_string(),
        MAP_FILE,
    );
    write_atomic(ctx, &summary.report_path, md.as_bytes())?;
    summary.elapsed_s = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// [`parts::scan`] with a progress display through `ctx`: one count per part (a
/// second pass, if any, adds to the pairs and bytes only).
fn scan_shown(files: &MatrixFiles, top: usize, ctx: &Context) -> Result<parts::PartFigures> {
    let counters = Counters::default();
    let shown = ctx.show(
        "report",
        Some(files.parts.len() as u64),
        Counter::new(Unit::Items("parts"), counters.parts.clone()),
        vec![
            Counter::new(Unit::Items("pairs"), counters.rows.clone()),
            Counter::new(Unit::Bytes, counters.bytes.clone()),
        ],
    );
    let figures = parts::scan(files, top, &counters);
    shown.finish();
    figures
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

/// Writes `bytes` to `path` through `ctx`'s output helper, so a reader never sees a
/// half-written report, even after a power loss; the error names the failing path.
fn write_atomic(ctx: &Context, path: &Path, bytes: &[u8]) -> Result<()> {
    ctx.output()
        .write_file(path, bytes)
        .map_err(|e| Error::io(e.path)(e.source))
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact quantiles and medians are the very stored values"
)]
#[path = "lib_tests.rs"]
mod tests;
