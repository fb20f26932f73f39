//! The figures of the report: cells by status, pairs and unreachable pairs,
//! histograms of duration, distance and detour factor (see [`crate::histogram`]).

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::histogram::Histogram;
use crate::scan::{EARTH_RADIUS_M, MatrixFiles, count_by, f64_column, i64s, shape, strings, u64s};
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

/// The columns of a part the report reads.
pub(crate) const PAIR_COLUMNS: [&str; 4] =
    [pair::ORIGIN, pair::DEST, pair::DISTANCE_M, pair::DURATION_S];

/// Counts the cells of `cells.parquet` by status.
///
/// # Errors
/// The file cannot be read or lacks the `status` column.
pub fn cell_counts(files: &MatrixFiles) -> Result<CellCounts> {
    const WHAT: &str = "cells by status";
    let df = files.cells(&[cells::STATUS], WHAT)?;
    let df = count_by(&df, &[cells::STATUS]).map_err(Error::query(WHAT, &files.cells))?;
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

/// The pair counts and bin counts of the parts read so far.
#[derive(Default)]
pub(crate) struct Totals {
    pairs: u64,
    unreachable: u64,
    duration: BTreeMap<i64, u64>,
    distance: BTreeMap<i64, u64>,
    detour: BTreeMap<i64, u64>,
}

impl Totals {
    /// Adds one part: `pairs` as read, `routed` ([`routed`]) and `detours` ([`detours`]).
    pub(crate) fn add(
        &mut self,
        pairs: &DataFrame,
        routed: &DataFrame,
        detours: &DataFrame,
        part: &Path,
    ) -> Result<()> {
        const DUR: &str = "duration histogram";
        const DIST: &str = "distance histogram";
        const DETOUR: &str = "detour histogram";

        // Every row, grouped by (self pair, duration bin): the row count, the null bin
        // (no route) and the duration histogram at once.
        let df = self_and_duration_bins(pairs).map_err(Error::query(DUR, part))?;
        let selfs = df
            .column("is_self")
            .and_then(|c| c.bool().cloned())
            .map_err(shape(DUR))?;
        for ((is_self, k), n) in selfs
            .iter()
            .zip(i64s(&df, "bin", DUR)?)
            .zip(u64s(&df, "n", DUR)?)
        {
            let n = n.unwrap_or(0);
            self.pairs += n;
            match (is_self, k) {
                (_, None) => self.unreachable += n,
                (Some(false), Some(k)) => *self.duration.entry(k).or_default() += n,
                _ => {}
            }
        }

        // Distance histogram of routed pairs between different cells.
        let df = bin_counts(routed, pair::DISTANCE_M, DISTANCE_BIN_M)
            .map_err(Error::query(DIST, part))?;
        add_histogram(&df, &mut self.distance, DIST)?;

        // Detour factor of the same pairs whose cells are apart.
        let df = bin_counts(detours, "detour", DETOUR_BIN).map_err(Error::query(DETOUR, part))?;
        add_histogram(&df, &mut self.detour, DETOUR)
    }

    /// The figures of every part added.
    pub(crate) fn finish(self) -> PairStats {
        PairStats {
            pairs: self.pairs,
            unreachable: self.unreachable,
            duration_s: Histogram::new(DURATION_BIN_S, self.duration.into_iter().collect()),
            distance_m: Histogram::new(DISTANCE_BIN_M, self.distance.into_iter().collect()),
            detour: Histogram::new(DETOUR_BIN, self.detour.into_iter().collect()),
        }
    }
}

/// `(is_self, bin)` with the rows of each: self pairs and duration bins (null: no route).
fn self_and_duration_bins(pairs: &DataFrame) -> PolarsResult<DataFrame> {
    let mut is_self = pairs
        .column(pair::ORIGIN)?
        .equal(pairs.column(pair::DEST)?)?;
    is_self.rename("is_self".into());
    let bins = bin(&f64_column(pairs, pair::DURATION_S)?, DURATION_BIN_S)?;
    count_by(
        &DataFrame::new_infer_height(vec![is_self.into_column(), bins])?,
        &["is_self", "bin"],
    )
}

/// Bins of column `name` of `df` (`width` wide) with their rows.
fn bin_counts(df: &DataFrame, name: &str, width: f64) -> PolarsResult<DataFrame> {
    let bins = bin(&f64_column(df, name)?, width)?;
    count_by(&DataFrame::new_infer_height(vec![bins])?, &["bin"])
}

/// Rows with a route between different cells.
pub(crate) fn routed(pairs: &DataFrame) -> PolarsResult<DataFrame> {
    let mask = pairs
        .column(pair::ORIGIN)?
        .not_equal(pairs.column(pair::DEST)?)?
        & pairs.column(pair::DURATION_S)?.is_not_null()
        & pairs.column(pair::DISTANCE_M)?.is_not_null();
    pairs.filter(&mask)
}

/// The rows of `routed` whose cells are apart (a straight line longer than zero),
/// with `straight_m` and `detour`, the route distance over the straight line.
pub(crate) fn detours(routed: &DataFrame, centres: &Centres) -> PolarsResult<DataFrame> {
    let mut df = with_straight_line(routed, centres)?;
    df = df.filter(&df.column("straight_m")?.f64()?.gt(0.0))?;
    let detour = &f64_column(&df, pair::DISTANCE_M)? / &f64_column(&df, "straight_m")?;
    df.with_column(detour.with_name("detour".into()).into_column())?;
    Ok(df)
}

/// `values` rounded to the nearest multiple of `width`, as the bin number `bin`
/// (values are non-negative, so adding a half and truncating rounds).
fn bin(values: &Float64Chunked, width: f64) -> PolarsResult<Column> {
    let mut bins = values
        .apply_values(|v| v / width + 0.5)
        .into_column()
        .cast(&DataType::Int64)?;
    bins.rename("bin".into());
    Ok(bins)
}

fn add_histogram(df: &DataFrame, bins: &mut BTreeMap<i64, u64>, what: &'static str) -> Result<()> {
    for (k, n) in i64s(df, "bin", what)?.into_iter().zip(u64s(df, "n", what)?) {
        if let (Some(k), Some(n)) = (k, n) {
            *bins.entry(k).or_default() += n;
        }
    }
    Ok(())
}

/// The ok cells of `cells.parquet` as the joins need them, one frame per end of a
/// pair, with prefixed names: key (`origin` or `dest`), hex, lat, lon (degrees) and
/// the cosine of the latitude. Cells are a few thousand rows.
pub(crate) struct Centres {
    /// `origin`, `o_hex`, `o_lat`, `o_lon`, `o_cos`.
    pub(crate) origin: DataFrame,
    /// `dest`, `d_hex`, `d_lat`, `d_lon`, `d_cos`.
    pub(crate) dest: DataFrame,
}

impl Centres {
    /// Reads `cells.parquet`.
    pub(crate) fn read(files: &MatrixFiles) -> Result<Self> {
        const WHAT: &str = "cell centres";
        let all = files.cells(
            &[
                cells::CELL,
                cells::CELL_HEX,
                cells::LAT,
                cells::LON,
                cells::STATUS,
            ],
            WHAT,
        )?;
        let sides = || -> PolarsResult<Self> {
            let ok = all.filter(
                &all.column(cells::STATUS)?
                    .str()?
                    .equal(CellStatus::Ok.as_str()),
            )?;
            Ok(Self {
                origin: centre_side(&ok, pair::ORIGIN, "o_")?,
                dest: centre_side(&ok, pair::DEST, "d_")?,
            })
        };
        sides().map_err(Error::query(WHAT, &files.cells))
    }
}

/// One end of the [`Centres`]: the key column named `key`, the others prefixed.
fn centre_side(ok: &DataFrame, key: &str, prefix: &str) -> PolarsResult<DataFrame> {
    let lat = f64_column(ok, cells::LAT)?;
    let cos = lat.apply_values(|v| (v * (PI / 180.0)).cos());
    let mut columns = vec![
        ok.column(cells::CELL)?.clone(),
        ok.column(cells::CELL_HEX)?.clone(),
        lat.into_column(),
        ok.column(cells::LON)?.clone(),
        cos.into_column(),
    ];
    for (c, name) in columns.iter_mut().zip([
        key.to_owned(),
        format!("{prefix}hex"),
        format!("{prefix}lat"),
        format!("{prefix}lon"),
        format!("{prefix}cos"),
    ]) {
        c.rename(name.into());
    }
    DataFrame::new_infer_height(columns)
}

/// The rows of `pairs` whose both cells are ok, with `straight_m`, the haversine
/// distance between the cell centres (joined for it, then left out again).
fn with_straight_line(pairs: &DataFrame, centres: &Centres) -> PolarsResult<DataFrame> {
    let inner = || JoinArgs::new(JoinType::Inner);
    let origin = centres
        .origin
        .select([pair::ORIGIN, "o_lat", "o_lon", "o_cos"])?;
    let dest = centres
        .dest
        .select([pair::DEST, "d_lat", "d_lon", "d_cos"])?;
    let df = pairs
        .join(&origin, [pair::ORIGIN], [pair::ORIGIN], inner(), None)?
        .join(&dest, [pair::DEST], [pair::DEST], inner(), None)?;
    let f = |name| f64_column(&df, name);
    let half_dlat = &(&f("d_lat")? - &f("o_lat")?) * (PI / 360.0);
    let half_dlon = &(&f("d_lon")? - &f("o_lon")?) * (PI / 360.0);
    let s_lat = half_dlat.apply_values(f64::sin);
    let s_lon = half_dlon.apply_values(f64::sin);
    let a = &(&s_lat * &s_lat) + &(&(&(&f("o_cos")? * &f("d_cos")?) * &s_lon) * &s_lon);
    let straight = &a.apply_values(|v| v.sqrt().asin()) * (2.0 * EARTH_RADIUS_M);
    let mut out = df.select(pairs.get_column_names_owned())?;
    out.with_column(straight.with_name("straight_m".into()).into_column())?;
    Ok(out)
}
