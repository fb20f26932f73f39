//! How big a matrix would be, from the bbox and resolution alone: cells, pairs and
//! Parquet bytes, known before the graph is loaded or a single cell is listed, so a
//! bbox far too big (Vietnam's bbox at resolution 10 is ≈8·10⁷ cells, ≈6·10¹⁵
//! pairs) is refused in microseconds instead of exhausting memory and disk.

use h3o::{LatLng, Resolution};
use hexmatrix_osm::Bbox;

use crate::cells::{self, METRES_PER_DEGREE};
use crate::error::{Error, Result};

/// Parquet bytes a stored pair takes in the parts (zstd): measured 6.45 on Valletta
/// (107,584 pairs) and 6.25 on the whole of Malta (5.3 M pairs), resolution 9.
pub const PARQUET_BYTES_PER_PAIR: f64 = 6.3;

/// Default refusal threshold of the `matrix` and `run` commands: 50,000 cells, up
/// to 2.5·10⁹ pairs (≈15 GiB of Parquet). Ho Chi Minh City at resolution 9 is
/// ≈14,000.
pub const DEFAULT_MAX_CELLS: u64 = 50_000;

/// Mean Earth radius of H3's cell areas, metres.
const EARTH_RADIUS_M: f64 = 6_371_007.180_918_475;

/// The estimated size of a matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizeEstimate {
    /// Cells covering the bbox, border cells included (within ±2% for a city).
    pub cells: u64,
    /// Ordered pairs if every cell were routable: an upper bound (cells at sea or
    /// without a road have no row).
    pub pairs: u64,
    /// Parquet bytes of `pairs` ([`PARQUET_BYTES_PER_PAIR`]).
    pub parquet_bytes: u64,
}

impl SizeEstimate {
    /// Estimates the matrix of `bbox` at resolution `res`.
    ///
    /// The cell count is the bbox's area on the sphere over the area of the cell at its
    /// centre, plus
    /// the cells its outline cuts (Steiner's formula for convex cells: a hexagon of
    /// edge `e` adds `P·6e / (2π)` of area along a perimeter `P`). Within ±2% of the
    /// real cover for city bboxes (measured: within 1%); a country, where cell
    /// sizes vary more, within tens of percent: exact enough to refuse it.
    #[must_use]
    pub fn of(bbox: &Bbox, res: Resolution) -> Self {
        let (lat0, lat1) = (bbox.min_lat().to_radians(), bbox.max_lat().to_radians());
        let dlon = (bbox.max_lon() - bbox.min_lon()).to_radians();
        let area_m2 = EARTH_RADIUS_M * EARTH_RADIUS_M * dlon * (lat1.sin() - lat0.sin());
        let height_m = (bbox.max_lat() - bbox.min_lat()) * METRES_PER_DEGREE;
        let width_m = (bbox.max_lon() - bbox.min_lon()) * METRES_PER_DEGREE;
        let perimeter_m = 2.0 * height_m + width_m * (lat0.cos() + lat1.cos());
        // H3 cells vary in size with place (up to about 2x over the globe): the cell
        // at the bbox centre measures the local size; the mean is the fallback.
        let cell_m2 = LatLng::new(
            f64::midpoint(bbox.min_lat(), bbox.max_lat()),
            f64::midpoint(bbox.min_lon(), bbox.max_lon()),
        )
        .map_or_else(|_| res.area_m2(), |c| c.to_cell(res).area_m2());
        // The edge of a regular hexagon of that area: A = 3√3/2 · e².
        let edge_m = (cell_m2 / (1.5 * 3_f64.sqrt())).sqrt();
        let border = perimeter_m * 6.0 * edge_m / (2.0 * std::f64::consts::PI);
        let cells = ((area_m2 + border) / cell_m2 + 1.0).ceil().max(1.0);
        // Saturating float-to-int casts: an absurd bbox stays a (huge) number.
        let cells = cells as u64;
        let pairs = cells.saturating_mul(cells);
        Self {
            cells,
            pairs,
            parquet_bytes: (pairs as f64 * PARQUET_BYTES_PER_PAIR) as u64,
        }
    }

    /// Refuses an estimate above `max_cells`.
    ///
    /// # Errors
    /// [`Error::TooManyCells`] naming the bbox, the resolution and both numbers.
    pub fn check(&self, bbox: &Bbox, res: Resolution, max_cells: u64) -> Result<()> {
        if self.cells <= max_cells {
            return Ok(());
        }
        Err(Error::TooManyCells {
            bbox: cells::bbox_string(bbox),
            resolution: u8::from(res),
            cells: self.cells,
            pairs: self.pairs,
            parquet_gib: self.parquet_bytes as f64 / f64::from(1_u32 << 30),
            max_cells,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(res: u8) -> Resolution {
        cells::resolution(res).unwrap()
    }

    fn cover(bbox: &Bbox, res: u8) -> u64 {
        cells::cover_bbox(bbox, r(res)).unwrap().len() as u64
    }

    #[test]
    fn estimates_are_close_to_the_real_cover() {
        let valletta = Bbox::new(14.46, 35.86, 14.53, 35.92).unwrap();
        let malta = Bbox::new(14.18, 35.78, 14.58, 36.09).unwrap();
        let helsinki = Bbox::new(24.9352, 60.1642, 24.9534, 60.1791).unwrap();
        for (bbox, res) in [
            (&valletta, 9),
            (&valletta, 10),
            (&valletta, 11),
            (&malta, 9),
            (&malta, 8),
            (&helsinki, 10),
        ] {
            let real = cover(bbox, res) as f64;
            let est = SizeEstimate::of(bbox, r(res));
            let ratio = est.cells as f64 / real;
            assert!(
                (0.98..=1.02).contains(&ratio),
                "{} res {res}: estimate {} real {real}",
                cells::bbox_string(bbox),
                est.cells
            );
            assert_eq!(est.pairs, est.cells * est.cells);
        }
        // A point still has its cell.
        let point = Bbox::new(14.5, 35.9, 14.5, 35.9).unwrap();
        assert!(SizeEstimate::of(&point, r(9)).cells >= 1);
    }

    #[test]
    fn issue_11_a_country_is_refused_by_arithmetic() {
        // Vietnam's bbox at resolution 10: ≈8·10⁷ cells (1.3 M km² over ≈0.015 km²).
        let vietnam = Bbox::new(102.14, 8.18, 109.46, 23.39).unwrap();
        let est = SizeEstimate::of(&vietnam, r(10));
        assert!((60_000_000..120_000_000).contains(&est.cells), "{est:?}");
        let err = est.check(&vietnam, r(10), DEFAULT_MAX_CELLS).unwrap_err();
        assert!(err.is_bad_input());
        let text = err.to_string();
        assert!(text.contains("--max-cells 50000"), "{text}");
        assert!(text.contains("102.14,8.18,109.46,23.39"), "{text}");
        // The whole globe at the finest resolution does not overflow.
        let world = Bbox::new(-180.0, -90.0, 180.0, 90.0).unwrap();
        let est = SizeEstimate::of(&world, r(11));
        assert!(est.cells > 1_000_000_000);
        assert_eq!(est.pairs, u64::MAX);
        // Ho Chi Minh City at resolution 9 passes the default.
        let hcmc = Bbox::new(106.50, 10.60, 106.90, 10.90).unwrap();
        let est = SizeEstimate::of(&hcmc, r(9));
        assert!((11_000..16_000).contains(&est.cells), "{est:?}");
        est.check(&hcmc, r(9), DEFAULT_MAX_CELLS).unwrap();
    }
}
