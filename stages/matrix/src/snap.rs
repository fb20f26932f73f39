//! Snapping cell centres to the road graph with R-trees of road segments.

use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance as _, RTree};

use hexmatrix_osm::Bbox;

use crate::cells::{CellStatus, METRES_PER_DEGREE};

/// Where a cell centre snapped to.
#[derive(Debug, Clone, Copy, PartialEq)]
#[expect(
    clippy::struct_field_names,
    reason = "`snap_m` is the column of cells.parquet it fills"
)]
pub struct Snap {
    /// `ok` when a main-component road is within the radius.
    pub status: CellStatus,
    /// The graph node (`ok` only).
    pub node: Option<u32>,
    /// Latitude of the chosen node (`ok`), or of the nearest node (`unroutable`).
    pub node_lat: Option<f64>,
    /// Longitude of that node.
    pub node_lon: Option<f64>,
    /// Great-circle distance from the centre to that node, metres.
    pub snap_m: Option<f64>,
}

/// The road graph as snapping sees it; index = graph node id.
#[derive(Debug, Clone, Copy)]
pub struct Roads<'a> {
    /// Node latitudes.
    pub lat: &'a [f64],
    /// Node longitudes.
    pub lon: &'a [f64],
    /// Whether each node is in the main (routable) component.
    pub in_main: &'a [bool],
    /// Road segments as pairs of nodes (`(i, i)` for a lone node).
    pub segments: &'a [(u32, u32)],
}

/// A road segment between two graph nodes, in projected metres.
type Segment = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// Nearest-road lookups over a graph's segments, projected to local metres.
///
/// A centre snaps to the nearest road segment within the radius, and from it to
/// the segment's end node nearer to the centre: a cell crossed by a long road with
/// no node inside still gets that road. Only segments near the bbox are indexed.
pub struct Snapper<'a> {
    lat: &'a [f64],
    lon: &'a [f64],
    main: RTree<Segment>,
    other: RTree<Segment>,
    lat0: f64,
    cos0: f64,
    radius_m: f64,
}

impl<'a> Snapper<'a> {
    /// Indexes the road `segments` (pairs of graph node ids; `(i, i)` stands for a lone
    /// node) over nodes `lat[i]`, `lon[i]`, `in_main[i]`. A segment belongs to the main
    /// component when both its ends do.
    #[must_use]
    pub fn new(
        lat: &'a [f64],
        lon: &'a [f64],
        in_main: &[bool],
        segments: &[(u32, u32)],
        bbox: &Bbox,
        radius_m: f64,
    ) -> Self {
        let lat0 = f64::midpoint(bbox.min_lat(), bbox.max_lat());
        let cos0 = lat0.to_radians().cos().max(0.01);
        // A cell centre lies within one cell radius of the bbox; add the snap radius.
        let margin_m = 2.0 * radius_m + 1_000.0;
        let dlat = margin_m / METRES_PER_DEGREE;
        let dlon = margin_m / (METRES_PER_DEGREE * cos0);
        let near = |i: usize| {
            lat[i] >= bbox.min_lat() - dlat
                && lat[i] <= bbox.max_lat() + dlat
                && lon[i] >= bbox.min_lon() - dlon
                && lon[i] <= bbox.max_lon() + dlon
        };
        let (mut main, mut other) = (Vec::new(), Vec::new());
        for &(a, b) in segments {
            let (i, j) = (a as usize, b as usize);
            if i >= lat.len() || j >= lat.len() || !(near(i) || near(j)) {
                continue;
            }
            let line = Line::new(
                project(lat[i], lon[i], lat0, cos0),
                project(lat[j], lon[j], lat0, cos0),
            );
            let seg = Segment::new(line, (a, b));
            if in_main[i] && in_main[j] {
                main.push(seg);
            } else {
                other.push(seg);
            }
        }
        Self {
            lat,
            lon,
            main: RTree::bulk_load(main),
            other: RTree::bulk_load(other),
            lat0,
            cos0,
            radius_m,
        }
    }

    /// Every node as a lone segment: snapping to the nearest node.
    #[cfg(test)]
    #[must_use]
    pub fn node_segments(count: usize) -> Vec<(u32, u32)> {
        (0..count as u32).map(|i| (i, i)).collect()
    }

    /// Snaps the point (`lat`, `lon`): the nearest main-component segment within
    /// the radius, else `unroutable` if another segment is within it, else `no_road`.
    #[must_use]
    pub fn snap(&self, lat: f64, lon: f64) -> Snap {
        let q = project(lat, lon, self.lat0, self.cos0);
        let within = |tree: &RTree<Segment>| {
            let seg = tree.nearest_neighbor(q)?;
            if seg.distance_2(&q).sqrt() > self.radius_m {
                return None;
            }
            let (a, b) = seg.data;
            let da = haversine_m(lat, lon, self.lat[a as usize], self.lon[a as usize]);
            let db = haversine_m(lat, lon, self.lat[b as usize], self.lon[b as usize]);
            Some(if db < da { (b, db) } else { (a, da) })
        };
        let found = |status, node: u32, d| {
            let i = node as usize;
            Snap {
                status,
                node: (status == CellStatus::Ok).then_some(node),
                node_lat: Some(self.lat[i]),
                node_lon: Some(self.lon[i]),
                snap_m: Some(d),
            }
        };
        if let Some((node, d)) = within(&self.main) {
            return found(CellStatus::Ok, node, d);
        }
        if let Some((node, d)) = within(&self.other) {
            return found(CellStatus::Unroutable, node, d);
        }
        Snap {
            status: CellStatus::NoRoad,
            node: None,
            node_lat: None,
            node_lon: None,
            snap_m: None,
        }
    }
}

/// Equirectangular projection around latitude `lat0`, in metres: distances within a
/// city differ from great-circle ones by far less than a snap radius.
fn project(lat: f64, lon: f64, lat0: f64, cos0: f64) -> [f64; 2] {
    [
        lon * cos0 * METRES_PER_DEGREE,
        (lat - lat0) * METRES_PER_DEGREE,
    ]
}

/// Great-circle distance in metres: the graph stage's, so snap and edge lengths agree.
pub use hexmatrix_graph::haversine_m;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt as _, SeedableRng as _};

    #[test]
    fn nearest_main_node_within_radius_wins() {
        // Node 0: main, 100 m north. Node 1: not main, 10 m east. Node 2: main, far.
        let lat = [35.9 + 100.0 / METRES_PER_DEGREE, 35.9, 36.5];
        let lon = [
            14.5,
            14.5 + 10.0 / (METRES_PER_DEGREE * 35.9_f64.to_radians().cos()),
            14.5,
        ];
        let main = [true, false, true];
        let bbox = Bbox::new(14.4, 35.8, 14.6, 36.0).unwrap();
        let nodes = Snapper::node_segments(3);
        let s = Snapper::new(&lat, &lon, &main, &nodes, &bbox, 150.0);
        let snap = s.snap(35.9, 14.5);
        assert_eq!(snap.status, CellStatus::Ok);
        assert_eq!(snap.node, Some(0));
        assert!((snap.snap_m.unwrap() - 100.0).abs() < 0.5, "{snap:?}");
        // Radius 50 m: only the non-main node is close enough.
        let s = Snapper::new(&lat, &lon, &main, &nodes, &bbox, 50.0);
        let snap = s.snap(35.9, 14.5);
        assert_eq!(snap.status, CellStatus::Unroutable);
        assert_eq!(snap.node, None);
        assert!((snap.snap_m.unwrap() - 10.0).abs() < 0.5, "{snap:?}");
        // Radius 5 m: nothing.
        let s = Snapper::new(&lat, &lon, &main, &nodes, &bbox, 5.0);
        let snap = s.snap(35.9, 14.5);
        assert_eq!(snap.status, CellStatus::NoRoad);
        assert_eq!(snap.snap_m, None);
    }

    #[test]
    fn agrees_with_brute_force_on_random_nodes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let bbox = Bbox::new(14.46, 35.86, 14.53, 35.92).unwrap();
        let n = 3_000;
        let lat: Vec<f64> = (0..n).map(|_| rng.random_range(35.85..35.93)).collect();
        let lon: Vec<f64> = (0..n).map(|_| rng.random_range(14.45..14.54)).collect();
        let main: Vec<bool> = (0..n).map(|_| rng.random_bool(0.8)).collect();
        let radius = 120.0;
        let s = Snapper::new(&lat, &lon, &main, &Snapper::node_segments(n), &bbox, radius);
        for _ in 0..2_000 {
            let (qa, qo) = (
                rng.random_range(35.86..35.92),
                rng.random_range(14.46..14.53),
            );
            let best = |want_main: bool| {
                (0..n)
                    .filter(|&i| main[i] == want_main)
                    .map(|i| (haversine_m(qa, qo, lat[i], lon[i]), i))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(d, _)| *d <= radius)
            };
            let snap = s.snap(qa, qo);
            match (best(true), best(false)) {
                (Some((d, i)), _) => {
                    assert_eq!(snap.status, CellStatus::Ok);
                    // The projection may swap near-ties; the distance must match.
                    assert!(
                        (snap.snap_m.unwrap() - d).abs() < 0.05,
                        "{snap:?} vs node {i} at {d}"
                    );
                }
                (None, Some(_)) => assert_eq!(snap.status, CellStatus::Unroutable),
                (None, None) => assert_eq!(snap.status, CellStatus::NoRoad),
            }
        }
    }

    #[test]
    fn a_long_segment_through_the_cell_is_found_and_its_nearer_end_taken() {
        // A 2 km east-west road 60 m south of the point; its ends are 800 m and 1.2 km away.
        let k = METRES_PER_DEGREE * 35.9_f64.to_radians().cos();
        let south = 35.9 - 60.0 / METRES_PER_DEGREE;
        let lat = [south, south, 35.95];
        let lon = [14.5 - 800.0 / k, 14.5 + 1_200.0 / k, 14.5];
        let main = [true, true, true];
        let bbox = Bbox::new(14.4, 35.8, 14.6, 36.0).unwrap();
        let s = Snapper::new(&lat, &lon, &main, &[(0, 1), (2, 2)], &bbox, 100.0);
        let snap = s.snap(35.9, 14.5);
        assert_eq!(snap.status, CellStatus::Ok);
        assert_eq!(snap.node, Some(0));
        assert!((snap.snap_m.unwrap() - 802.2).abs() < 1.0, "{snap:?}");
        // With nodes only, nothing is within 100 m.
        let s = Snapper::new(&lat, &lon, &main, &Snapper::node_segments(3), &bbox, 100.0);
        assert_eq!(s.snap(35.9, 14.5).status, CellStatus::NoRoad);
        // A segment with one end outside the main component is not routable.
        let s = Snapper::new(&lat, &lon, &[true, false, true], &[(0, 1)], &bbox, 100.0);
        assert_eq!(s.snap(35.9, 14.5).status, CellStatus::Unroutable);
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // One degree of latitude.
        let d = haversine_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - METRES_PER_DEGREE).abs() < 1e-6);
    }
}
