//! Pairs worth a human look: a route much longer than the straight line between the
//! cell centres. A detour factor above [`DETOUR_LIMIT`] usually means a missing
//! bridge or ferry, a wrong oneway, or a turn restriction that locks a street.
//! They are ranked by excess distance (route − straight line), so a 1 km hop that
//! takes a 15 km route comes before a 300 m hop that takes 1.6 km around a block.

use std::path::Path;

use hexmatrix_contract::columns::pairs as pair;
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::scan::{f64_column, f64s, strings, u64s};
use crate::stats::Centres;

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

impl Suspicious {
    /// Adds one part's suspicious pairs: its count, and its `top` worst to the
    /// candidates (the overall top is the top of the parts' tops). `detours` are the
    /// part's routed pairs between cells apart ([`crate::stats::detours`]).
    pub(crate) fn add_part(
        &mut self,
        detours: &DataFrame,
        centres: &Centres,
        part: &Path,
        top: usize,
    ) -> Result<()> {
        const TOP: &str = "suspicious pairs";
        let (count, df) = flagged_top(detours, centres, top).map_err(Error::query(TOP, part))?;
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
        self.count += count;
        self.top.extend((0..df.height()).map(|i| SuspiciousPair {
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
        }));
        sort_worst_first(&mut self.top);
        self.top.truncate(top);
        Ok(())
    }
}

/// How many of `detours` have a detour factor above [`DETOUR_LIMIT`], and the `top`
/// of them with the largest excess distance, with both cells' hex and centre.
fn flagged_top(
    detours: &DataFrame,
    centres: &Centres,
    top: usize,
) -> PolarsResult<(u64, DataFrame)> {
    let mut flagged = detours.filter(&detours.column("detour")?.f64()?.gt(DETOUR_LIMIT))?;
    let count = flagged.height() as u64;
    let excess = &f64_column(&flagged, pair::DISTANCE_M)? - &f64_column(&flagged, "straight_m")?;
    flagged.with_column(excess.with_name("excess".into()).into_column())?;
    let worst = flagged
        .sort(
            ["excess", pair::ORIGIN, pair::DEST],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false]),
        )?
        .head(Some(top));
    let inner = || JoinArgs::new(JoinType::Inner);
    worst
        .join(
            &centres.origin,
            [pair::ORIGIN],
            [pair::ORIGIN],
            inner(),
            None,
        )?
        .join(&centres.dest, [pair::DEST], [pair::DEST], inner(), None)
        .map(|df| (count, df))
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
