//! Pairs worth a human look: a route much longer than the straight line between the
//! cell centres. A detour factor above [`DETOUR_LIMIT`] usually means a missing
//! bridge or ferry, a wrong oneway, or a turn restriction that locks a street.
//! They are ranked by excess distance (route − straight line), so a 1 km hop that
//! takes a 15 km route comes before a 300 m hop that takes 1.6 km around a block.

use std::path::Path;

use hexmatrix_contract::columns::pairs as pair;
use polars::prelude::*;

use crate::error::Result;
use crate::scan::{MatrixFiles, collect_streaming, f64s, scan, strings, u64s};
use crate::stats::{detour_expr, routed, with_straight_line};

/// Pairs with a detour factor above this are suspicious.
pub const DETOUR_LIMIT: f64 = 5.0;

/// One suspicious pair with its cells.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SuspiciousPair {
    /// Origin cell.
    pub origin: u64,
    /// Origin cell as hex.
    pub origin_hex: String,
    /// Origin cell centre `(lat, lon)`.
    pub origin_at: (f64, f64),
    /// Destination cell.
    pub dest: u64,
    /// Destination cell as hex.
    pub dest_hex: String,
    /// Destination cell centre `(lat, lon)`.
    pub dest_at: (f64, f64),
    /// Haversine distance between the centres, metres.
    pub straight_m: f64,
    /// Route distance, metres.
    pub distance_m: f64,
    /// Route duration, seconds.
    pub duration_s: f64,
    /// `distance_m / straight_m`.
    pub detour: f64,
}

/// The suspicious pairs: how many there are, and the `top` with the largest excess.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suspicious {
    /// Routed pairs with a detour factor above [`DETOUR_LIMIT`].
    pub count: u64,
    /// The worst of them, largest excess distance first.
    pub top: Vec<SuspiciousPair>,
}

/// Finds the suspicious pairs (two streaming passes per part: a count and a top-k;
/// the overall top is the top of the parts' tops). One part at a time, as in
/// [`crate::stats::pair_stats`], keeps memory bounded by a part.
///
/// # Errors
/// A part or `cells.parquet` cannot be read or has the wrong columns.
pub fn find(files: &MatrixFiles, top: usize) -> Result<Suspicious> {
    let mut all = Suspicious::default();
    for part in &files.parts {
        let s = find_in_part(files, part, top)?;
        all.count += s.count;
        all.top.extend(s.top);
    }
    sort_worst_first(&mut all.top);
    all.top.truncate(top);
    Ok(all)
}

fn find_in_part(files: &MatrixFiles, part: &Path, top: usize) -> Result<Suspicious> {
    const COUNT: &str = "suspicious pair count";
    const TOP: &str = "suspicious pairs";
    let pairs = scan(&[part.to_owned()], "matrix scan", part)?;
    let flagged = with_straight_line(routed(pairs), files)?
        .filter(col("straight_m").gt(lit(0.0)))
        .with_column(detour_expr().alias("detour"))
        .filter(col("detour").gt(lit(DETOUR_LIMIT)));

    let df = collect_streaming(
        flagged.clone().select([len().alias("n")]),
        COUNT,
        &files.dir,
    )?;
    let count = u64s(&df, "n", COUNT)?
        .first()
        .copied()
        .flatten()
        .unwrap_or(0);

    let excess =
        (col(pair::DISTANCE_M).cast(DataType::Float64) - col("straight_m")).alias("excess");
    // A sort followed by a limit: the optimiser turns it into a bounded top-k.
    let lf = flagged
        .with_column(excess)
        .sort_by_exprs(
            [col("excess"), col(pair::ORIGIN), col(pair::DEST)],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false]),
        )
        .limit(top as IdxSize);
    let df = collect_streaming(lf, TOP, part)?;
    let f = |name| f64s(&df, name, TOP);
    let (origin, dest) = (u64s(&df, pair::ORIGIN, TOP)?, u64s(&df, pair::DEST, TOP)?);
    let (o_hex, d_hex) = (strings(&df, "o_hex", TOP)?, strings(&df, "d_hex", TOP)?);
    let (o_lat, o_lon, d_lat, d_lon) = (f("o_lat")?, f("o_lon")?, f("d_lat")?, f("d_lon")?);
    let (straight, distance, duration, detour) = (
        f("straight_m")?,
        f(pair::DISTANCE_M)?,
        f(pair::DURATION_S)?,
        f("detour")?,
    );
    let v = |x: &[Option<f64>], i: usize| x[i].unwrap_or(f64::NAN);
    let mut top: Vec<SuspiciousPair> = (0..df.height())
        .map(|i| SuspiciousPair {
            origin: origin[i].unwrap_or(0),
            origin_hex: o_hex[i].clone().unwrap_or_default(),
            origin_at: (v(&o_lat, i), v(&o_lon, i)),
            dest: dest[i].unwrap_or(0),
            dest_hex: d_hex[i].clone().unwrap_or_default(),
            dest_at: (v(&d_lat, i), v(&d_lon, i)),
            straight_m: v(&straight, i),
            distance_m: v(&distance, i),
            duration_s: v(&duration, i),
            detour: v(&detour, i),
        })
        .collect();
    sort_worst_first(&mut top);
    Ok(Suspicious { count, top })
}

/// Largest excess distance first, then by origin and destination (a total order, so
/// the report does not depend on how the engine or the parts split the rows).
fn sort_worst_first(top: &mut [SuspiciousPair]) {
    top.sort_by(|a, b| {
        (b.distance_m - b.straight_m)
            .total_cmp(&(a.distance_m - a.straight_m))
            .then(a.origin.cmp(&b.origin))
            .then(a.dest.cmp(&b.dest))
    });
}
