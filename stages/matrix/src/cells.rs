//! The H3 cells covering a bbox, border cells included, and their status.

use geo::{Coord, Rect};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use hexmatrix_osm::Bbox;

use crate::error::{Error, Result};

/// Accepted H3 resolutions: 6 (≈36 km²) to 11 (≈2,000 m²).
pub const RESOLUTIONS: std::ops::RangeInclusive<u8> = 6..=11;

/// Metres per degree of latitude (mean Earth radius 6,371,008.8 m).
pub(crate) const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Whether a cell can be routed from and to (the contract's, as `cells.parquet` holds it).
pub use hexmatrix_contract::CellStatus;

/// Checks an H3 resolution against [`RESOLUTIONS`].
///
/// # Errors
/// [`Error::Resolution`] when outside 6..=11.
pub fn resolution(res: u8) -> Result<Resolution> {
    if !RESOLUTIONS.contains(&res) {
        return Err(Error::Resolution(res));
    }
    Resolution::try_from(res).map_err(|_| Error::Resolution(res))
}

/// Every cell of resolution `res` that a point of `bbox` (edges included) can fall in,
/// in ascending cell order, without duplicates.
///
/// h3o's `Covers` tiling works on the cells' planar outlines; H3 cells are bounded by
/// great-circle arcs, so a sliver of a cell cut by a bbox edge can be missed. The
/// edges are therefore also walked at a step of 1/8 of the cell edge length and the
/// cell of every step added, which catches those slivers.
///
/// # Errors
/// [`Error::Cover`] if h3o refuses the bbox polygon.
pub fn cover_bbox(bbox: &Bbox, res: Resolution) -> Result<Vec<CellIndex>> {
    let mut cells = Vec::new();
    let degenerate = bbox.min_lon() >= bbox.max_lon() || bbox.min_lat() >= bbox.max_lat();
    if !degenerate {
        let rect = Rect::new(
            Coord {
                x: bbox.min_lon(),
                y: bbox.min_lat(),
            },
            Coord {
                x: bbox.max_lon(),
                y: bbox.max_lat(),
            },
        );
        let mut tiler = TilerBuilder::new(res)
            .containment_mode(ContainmentMode::Covers)
            .build();
        tiler.add(rect.to_polygon()).map_err(|e| Error::Cover {
            bbox: bbox_string(bbox),
            message: e.to_string(),
        })?;
        cells.extend(tiler.into_coverage());
    }
    let step_m = res.edge_length_m() / 8.0;
    let mid_lat = f64::midpoint(bbox.min_lat(), bbox.max_lat())
        .to_radians()
        .cos();
    let step_lat = step_m / METRES_PER_DEGREE;
    let step_lon = step_m / (METRES_PER_DEGREE * mid_lat.max(0.01));
    let mut add = |lon: f64, lat: f64| {
        if let Ok(ll) = LatLng::new(lat, lon) {
            cells.push(ll.to_cell(res));
        }
    };
    for lon in steps(bbox.min_lon(), bbox.max_lon(), step_lon) {
        add(lon, bbox.min_lat());
        add(lon, bbox.max_lat());
    }
    for lat in steps(bbox.min_lat(), bbox.max_lat(), step_lat) {
        add(bbox.min_lon(), lat);
        add(bbox.max_lon(), lat);
    }
    cells.sort_unstable();
    cells.dedup();
    Ok(cells)
}

/// `from`, `from + step`, …, and `to` itself.
fn steps(from: f64, to: f64, step: f64) -> impl Iterator<Item = f64> {
    let n = ((to - from) / step).ceil().max(0.0) as usize;
    (0..=n).map(move |i| if i == n { to } else { from + step * i as f64 })
}

/// `min_lon,min_lat,max_lon,max_lat`.
pub(crate) fn bbox_string(bbox: &Bbox) -> String {
    format!(
        "{},{},{},{}",
        bbox.min_lon(),
        bbox.min_lat(),
        bbox.max_lon(),
        bbox.max_lat()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt as _, SeedableRng as _};

    fn random_points_map_to_cover(bbox: &Bbox, res: u8, n: usize) {
        let res = resolution(res).unwrap();
        let cells = cover_bbox(bbox, res).unwrap();
        assert!(!cells.is_empty());
        let mut rng = rand::rngs::StdRng::seed_from_u64(res as u64);
        // Points on the edges and corners are the ones a sloppy cover misses.
        let mut points = vec![
            (bbox.min_lon(), bbox.min_lat()),
            (bbox.max_lon(), bbox.max_lat()),
            (bbox.min_lon(), bbox.max_lat()),
            (bbox.max_lon(), bbox.min_lat()),
        ];
        for _ in 0..n {
            let lon = rng.random_range(bbox.min_lon()..=bbox.max_lon());
            let lat = rng.random_range(bbox.min_lat()..=bbox.max_lat());
            points.push((lon, lat));
            points.push((lon, bbox.min_lat()));
            points.push((lon, bbox.max_lat()));
            points.push((bbox.min_lon(), lat));
            points.push((bbox.max_lon(), lat));
        }
        for (lon, lat) in points {
            let cell = LatLng::new(lat, lon).unwrap().to_cell(res);
            assert!(
                cells.binary_search(&cell).is_ok(),
                "point {lon},{lat} falls in {cell}, missing from the cover of {}",
                bbox_string(bbox)
            );
        }
    }

    #[test]
    fn random_points_fall_in_covered_cells() {
        let valletta = Bbox::new(14.46, 35.86, 14.53, 35.92).unwrap();
        random_points_map_to_cover(&valletta, 9, 20_000);
        random_points_map_to_cover(&valletta, 8, 5_000);
        random_points_map_to_cover(&valletta, 11, 5_000);
        let helsinki = Bbox::new(24.9352, 60.1642, 24.9534, 60.1791).unwrap();
        random_points_map_to_cover(&helsinki, 10, 10_000);
        // Smaller than one cell: h3o's tiler alone would return the covering cell only.
        let tiny = Bbox::new(7.4200, 43.7300, 7.4201, 43.7301).unwrap();
        random_points_map_to_cover(&tiny, 6, 1_000);
    }

    #[test]
    fn cover_holds_the_centroid_cells_and_only_cells_touching_the_bbox() {
        let bbox = Bbox::new(14.46, 35.86, 14.53, 35.92).unwrap();
        let res = resolution(9).unwrap();
        let cells = cover_bbox(&bbox, res).unwrap();
        assert!(cells.windows(2).all(|w| w[0] < w[1]));
        assert!(cells.iter().all(|c| c.resolution() == res));
        let rect = Rect::new(Coord { x: 14.46, y: 35.86 }, Coord { x: 14.53, y: 35.92 });
        let mut tiler = TilerBuilder::new(res)
            .containment_mode(ContainmentMode::ContainsCentroid)
            .build();
        tiler.add(rect.to_polygon()).unwrap();
        let centroid: Vec<CellIndex> = tiler.into_coverage().collect();
        assert!(centroid.len() > 300);
        assert!(centroid.iter().all(|c| cells.binary_search(c).is_ok()));
        assert!(cells.len() > centroid.len());
        // Every extra cell is a border cell: its outline reaches into the bbox.
        for c in &cells {
            let b = c.boundary();
            let lons = b.iter().map(|v| v.lng());
            let lats = b.iter().map(|v| v.lat());
            let (lo0, lo1) = lons.fold((f64::MAX, f64::MIN), |(a, z), x| (a.min(x), z.max(x)));
            let (la0, la1) = lats.fold((f64::MAX, f64::MIN), |(a, z), x| (a.min(x), z.max(x)));
            assert!(
                lo1 >= 14.46 && lo0 <= 14.53 && la1 >= 35.86 && la0 <= 35.92,
                "{c} is outside"
            );
        }
    }

    #[test]
    fn degenerate_bbox_gets_its_cell() {
        let point = Bbox::new(14.5, 35.9, 14.5, 35.9).unwrap();
        let res = resolution(9).unwrap();
        let cells = cover_bbox(&point, res).unwrap();
        assert_eq!(cells, vec![LatLng::new(35.9, 14.5).unwrap().to_cell(res)]);
    }

    #[test]
    fn resolutions_outside_range_are_refused() {
        assert!(matches!(resolution(5), Err(Error::Resolution(5))));
        assert!(matches!(resolution(12), Err(Error::Resolution(12))));
        assert_eq!(resolution(9).unwrap(), Resolution::Nine);
        assert_eq!(CellStatus::NoRoad.as_str(), "no_road");
    }
}
