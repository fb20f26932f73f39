//! The ok cells of `cells.parquet` as the loops over the pairs need them: sorted
//! by cell, with an index per cell, their centres as unit vectors for the straight
//! line between two cells, and their hex names for the report.

use std::f64::consts::PI;

use hexmatrix_contract::CellStatus;
use hexmatrix_contract::columns::cells;

use crate::error::Result;
use crate::scan::{EARTH_RADIUS_M, MatrixFiles, f64s, strings, u64s};

/// The ok cells, ascending by cell.
#[derive(Debug, Clone, Default)]
pub(crate) struct OkCells {
    /// H3 cell indexes, ascending.
    pub(crate) ids: Vec<u64>,
    /// The same as hex strings.
    pub(crate) hex: Vec<String>,
    /// Centres `(lat, lon)` in degrees.
    pub(crate) at: Vec<(f64, f64)>,
    /// Centres as points on the unit sphere.
    unit: Vec<[f64; 3]>,
}

impl OkCells {
    /// Reads the ok cells of `cells.parquet`.
    pub(crate) fn read(files: &MatrixFiles) -> Result<Self> {
        const WHAT: &str = "cell centres";
        let df = files.cells(
            &[
                cells::CELL,
                cells::CELL_HEX,
                cells::LAT,
                cells::LON,
                cells::STATUS,
            ],
            WHAT,
        )?;
        let (id, hex) = (
            u64s(&df, cells::CELL, WHAT)?,
            strings(&df, cells::CELL_HEX, WHAT)?,
        );
        let (lat, lon) = (f64s(&df, cells::LAT, WHAT)?, f64s(&df, cells::LON, WHAT)?);
        let status = strings(&df, cells::STATUS, WHAT)?;
        let mut rows: Vec<(u64, String, f64, f64)> = (0..df.height())
            .filter(|&i| status[i].as_deref() == Some(CellStatus::Ok.as_str()))
            .filter_map(|i| Some((id[i]?, hex[i].clone().unwrap_or_default(), lat[i]?, lon[i]?)))
            .collect();
        rows.sort_unstable_by_key(|r| r.0);
        rows.dedup_by_key(|r| r.0);
        let mut out = Self::default();
        for (id, hex, lat, lon) in rows {
            let (p, l) = (lat * (PI / 180.0), lon * (PI / 180.0));
            out.ids.push(id);
            out.hex.push(hex);
            out.at.push((lat, lon));
            out.unit
                .push([p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]);
        }
        Ok(out)
    }

    /// Number of ok cells.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The index of `cell`, trying `hint` and the one after it first (rows come
    /// sorted by destination within an origin, so the next one usually matches).
    #[inline]
    pub(crate) fn index(&self, cell: u64, hint: &mut usize) -> Option<usize> {
        let h = *hint;
        let found = if self.ids.get(h) == Some(&cell) {
            h
        } else if self.ids.get(h + 1) == Some(&cell) {
            h + 1
        } else {
            self.ids.binary_search(&cell).ok()?
        };
        *hint = found;
        Some(found)
    }

    /// Great-circle distance in metres between the centres of cells `a` and `b`
    /// (indexes): the chord between the unit vectors turned into an arc. The
    /// same value as the haversine formula, cheaper: one square root and, below
    /// 127 km, a short series instead of `asin`.
    #[inline]
    pub(crate) fn straight_m(&self, a: usize, b: usize) -> f64 {
        let (p, q) = (self.unit[a], self.unit[b]);
        let (dx, dy, dz) = (p[0] - q[0], p[1] - q[1], p[2] - q[2]);
        let half_chord = (dx * dx + dy * dy + dz * dz).sqrt() / 2.0;
        2.0 * EARTH_RADIUS_M * asin(half_chord)
    }

    /// Haversine distance in metres between the centres of cells `a` and `b`, the
    /// textbook formula on the degrees of `cells.parquet` (for the listed pairs).
    pub(crate) fn haversine_m(&self, a: usize, b: usize) -> f64 {
        let ((la, lo_a), (lb, lo_b)) = (self.at[a], self.at[b]);
        let (p1, p2) = (la.to_radians(), lb.to_radians());
        let s_lat = ((p2 - p1) / 2.0).sin();
        let s_lon = ((lo_b - lo_a).to_radians() / 2.0).sin();
        let h = s_lat * s_lat + p1.cos() * p2.cos() * s_lon * s_lon;
        2.0 * EARTH_RADIUS_M * h.sqrt().asin()
    }
}

/// `asin(x)` for `0 <= x <= 1`: below 0.01 the Taylor series to x⁹ (its first
/// left-out term is under 1e-17 of the result), `f64::asin` above.
#[inline]
fn asin(x: f64) -> f64 {
    if x < 0.01 {
        let x2 = x * x;
        x * (1.0 + x2 * (1.0 / 6.0 + x2 * (3.0 / 40.0 + x2 * (5.0 / 112.0 + x2 * (35.0 / 1152.0)))))
    } else {
        x.min(1.0).asin()
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "the same function above the series' range"
)]
mod tests {
    use super::asin;

    #[test]
    fn series_matches_asin() {
        for i in 0..1000 {
            let x = f64::from(i) * 1e-5;
            assert!((asin(x) - x.asin()).abs() <= 1e-15 * x.max(1e-300), "{x}");
        }
        assert_eq!(asin(0.5), 0.5f64.asin());
    }
}
