//! The lazy queries of the report: cells by status, pairs and unreachable pairs,
//! histograms of duration, distance and detour factor (see [`crate::histogram`]).

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::histogram::Histogram;
use crate::scan::{EARTH_RADIUS_M, MatrixFiles, collect_streaming, i64s, scan, strings, u64s};
use hexmatrix_contract::columns::{cells, pairs as pair};
use hexmatrix_contract::{CellCounts, CellStatus};

/// Bin width of durations, seconds.
pub const DURATION_BIN_S: f64 = 0.1;
/// Bin width of distances, metres.
pub const DISTANCE_BIN_M: f64 = 1.0;
/// Bin width of detour factors.
pub const DETOUR_BIN: f64 = 0.001;

/// What the pair scans found.
#[derive(Debug, Clone, PartialEq)]
pub struct PairStats {
    /// Rows over all parts.
    pub pairs: u64,
    /// Rows without a route (null duration), self pairs included.
    pub unreachable: u64,
    /// Durations of routed pairs between different cells.
    pub duration_s: Histogram,
    /// Distances of routed pairs between different cells.
    pub distance_m: Histogram,
    /// Route distance / haversine distance between the cell centres, routed pairs
    /// between different cells.
    pub detour: Histogram,
}

/// Counts the cells of `cells.parquet` by status.
///
/// # Errors
/// The file cannot be read or lacks the `status` column.
pub fn cell_counts(files: &MatrixFiles) -> Result<CellCounts> {
    const WHAT: &str = "cells by status";
    let lf = files
        .cells()?
        .group_by([col(cells::STATUS)])
        .agg([len().alias("n")]);
    let df = collect_streaming(lf, WHAT, &files.cells)?;
    let mut c = CellCounts::default();
    for (status, n) in strings(&df, cells::STATUS, WHAT)?
        .into_iter()
        .zip(u64s(&df, "n", WHAT)?)
    {
        let n = n.unwrap_or(0);
        match status.as_deref().map(str::parse::<CellStatus>) {
            Some(Ok(status)) => c.add(status, n),
            // Counted in the total only, as before: the manifest check reports it.
            _ => c.total += n,
        }
    }
    Ok(c)
}

/// Scans the parts: pair counts and the three histograms (three streaming passes
/// per part). Parts are scanned one at a time and their bin counts added up: the
/// streaming engine's memory grew with the rows of a multi-file scan (about 30
/// bytes a row measured at 16 and 36 million rows), one part at a time it is
/// bounded by the largest part.
///
/// # Errors
/// A part or `cells.parquet` cannot be read or has the wrong columns.
pub fn pair_stats(files: &MatrixFiles) -> Result<PairStats> {
    let mut acc = Totals::default();
    for part in &files.parts {
        part_stats(files, part, &mut acc)?;
    }
    Ok(PairStats {
        pairs: acc.pairs,
        unreachable: acc.unreachable,
        duration_s: Histogram::new(DURATION_BIN_S, acc.duration.into_iter().collect()),
        distance_m: Histogram::new(DISTANCE_BIN_M, acc.distance.into_iter().collect()),
        detour: Histogram::new(DETOUR_BIN, acc.detour.into_iter().collect()),
    })
}

#[derive(Default)]
struct Totals {
    pairs: u64,
    unreachable: u64,
    duration: BTreeMap<i64, u64>,
    distance: BTreeMap<i64, u64>,
    detour: BTreeMap<i64, u64>,
}

fn part_stats(files: &MatrixFiles, part: &Path, acc: &mut Totals) -> Result<()> {
    const DUR: &str = "duration histogram";
    let pairs = scan(&[part.to_owned()], "matrix scan", part)?;

    // Pass 1: every row, grouped by (self pair, duration bin): the row count, the null
    // bin (no route) and the duration histogram at once.
    let is_self = col(pair::ORIGIN).eq(col(pair::DEST)).alias("is_self");
    let lf = pairs
        .clone()
        .select([is_self, bin(col(pair::DURATION_S), DURATION_BIN_S)])
        .group_by([col("is_self"), col("bin")])
        .agg([len().alias("n")]);
    let df = collect_streaming(lf, DUR, part)?;
    let selfs = df
        .column("is_self")
        .and_then(|c| c.bool().cloned())
        .map_err(|e| crate::error::Error::Shape {
            what: DUR,
            message: e.to_string(),
        })?;
    for ((is_self, k), n) in selfs
        .iter()
        .zip(i64s(&df, "bin", DUR)?)
        .zip(u64s(&df, "n", DUR)?)
    {
        let n = n.unwrap_or(0);
        acc.pairs += n;
        match (is_self, k) {
            (_, None) => acc.unreachable += n,
            (Some(false), Some(k)) => *acc.duration.entry(k).or_default() += n,
            _ => {}
        }
    }

    // Pass 2: distance histogram of routed pairs between different cells.
    add_histogram(
        routed(pairs.clone()).select([bin(col(pair::DISTANCE_M), DISTANCE_BIN_M)]),
        &mut acc.distance,
        "distance histogram",
        part,
    )?;

    // Pass 3: detour factor, joining both ends to the cell centres.
    add_histogram(
        with_straight_line(routed(pairs), files)?
            .filter(col("straight_m").gt(lit(0.0)))
            .select([bin(detour_expr(), DETOUR_BIN)]),
        &mut acc.detour,
        "detour histogram",
        part,
    )
}

/// Rows with a route between different cells.
pub(crate) fn routed(pairs: LazyFrame) -> LazyFrame {
    pairs.filter(
        col(pair::ORIGIN)
            .neq(col(pair::DEST))
            .and(col(pair::DURATION_S).is_not_null())
            .and(col(pair::DISTANCE_M).is_not_null()),
    )
}

/// `value` rounded to the nearest multiple of `width`, as the bin number `bin`
/// (values are non-negative, so adding a half and truncating rounds).
fn bin(value: Expr, width: f64) -> Expr {
    ((value.cast(DataType::Float64) / lit(width)) + lit(0.5))
        .cast(DataType::Int64)
        .alias("bin")
}

/// The route distance over the straight line (`distance_m / straight_m`).
pub(crate) fn detour_expr() -> Expr {
    col(pair::DISTANCE_M).cast(DataType::Float64) / col("straight_m")
}

fn add_histogram(
    lf: LazyFrame,
    bins: &mut BTreeMap<i64, u64>,
    what: &'static str,
    part: &Path,
) -> Result<()> {
    let lf = lf.group_by([col("bin")]).agg([len().alias("n")]);
    let df = collect_streaming(lf, what, part)?;
    for (k, n) in i64s(&df, "bin", what)?
        .into_iter()
        .zip(u64s(&df, "n", what)?)
    {
        if let (Some(k), Some(n)) = (k, n) {
            *bins.entry(k).or_default() += n;
        }
    }
    Ok(())
}

/// The ok cells with the columns the joins need, names prefixed (`o_` or `d_`):
/// key, hex, lat, lon (degrees) and latitude in radians with its cosine.
fn cell_side(files: &MatrixFiles, key: &str, prefix: &str) -> Result<LazyFrame> {
    let rad = col(cells::LAT) * lit(PI / 180.0);
    Ok(files
        .cells()?
        .filter(col(cells::STATUS).eq(lit(CellStatus::Ok.as_str())))
        .select([
            col(cells::CELL).alias(key),
            col(cells::CELL_HEX).alias(format!("{prefix}hex")),
            col(cells::LAT).alias(format!("{prefix}lat")),
            col(cells::LON).alias(format!("{prefix}lon")),
            rad.clone().cos().alias(format!("{prefix}cos")),
        ]))
}

/// `pairs` joined to both cell centres, with `straight_m`, the haversine distance
/// between them. Cells are a few thousand rows: the hash tables stay small while
/// the pairs stream through.
pub(crate) fn with_straight_line(pairs: LazyFrame, files: &MatrixFiles) -> Result<LazyFrame> {
    let inner = || JoinArgs::new(JoinType::Inner);
    let half_dlat = (col("d_lat") - col("o_lat")) * lit(PI / 360.0);
    let half_dlon = (col("d_lon") - col("o_lon")) * lit(PI / 360.0);
    let s_lat = half_dlat.sin();
    let s_lon = half_dlon.sin();
    let a = s_lat.clone() * s_lat + col("o_cos") * col("d_cos") * s_lon.clone() * s_lon;
    let straight = lit(2.0 * EARTH_RADIUS_M) * a.sqrt().arcsin();
    Ok(pairs
        .join(
            cell_side(files, pair::ORIGIN, "o_")?,
            [col(pair::ORIGIN)],
            [col(pair::ORIGIN)],
            inner(),
        )
        .join(
            cell_side(files, pair::DEST, "d_")?,
            [col(pair::DEST)],
            [col(pair::DEST)],
            inner(),
        )
        .with_columns([straight.alias("straight_m")]))
}
