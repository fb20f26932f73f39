//! Routable ways -> used nodes -> directed edges with way ids, haversine
//! lengths and profile durations. Nodes are numbered in OSM id order, so the
//! numbering depends only on the input.

use crate::read::OsmData;
use crate::tags::FERRY_CLASS;

/// Mean Earth radius (m), as in IUGG and the `geo` crate.
pub(crate) const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// One directed road segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RoadEdge {
    pub from: u32,
    pub to: u32,
    pub way_id: i64,
    /// Index into [`RoadGraph::classes`].
    pub class: u16,
    pub distance_m: f64,
    pub duration_s: f64,
    /// The way admits only traffic to or from it (`destination`, …): a route may
    /// drive it only where it starts or ends in such a zone (`expand`).
    pub local_only: bool,
    /// The way is a roundabout (`tags::is_roundabout`).
    pub roundabout: bool,
    /// The edge runs in the way's node order (`false`: against it); a sign or
    /// signal tagged `direction=forward|backward` applies by this.
    pub forward: bool,
}

/// The directed road graph before contraction.
#[derive(Debug, Default)]
pub(crate) struct RoadGraph {
    pub osm_id: Vec<i64>,
    pub lat: Vec<f64>,
    pub lon: Vec<f64>,
    /// Sorted by (from, to, way id).
    pub edges: Vec<RoadEdge>,
    /// Highway class names, indexed by [`RoadEdge::class`].
    pub classes: Vec<&'static str>,
    /// Named ways driven one way only, as (way id, name hash), sorted: one-way
    /// streets, roundabouts and the carriageways of divided roads alike;
    /// `turn_table` tells a turn onto the other carriageway by them.
    pub carriageways: Vec<(i64, u64)>,
}

impl RoadGraph {
    /// The graph node of an OSM node id.
    pub fn node_of(&self, osm_id: i64) -> Option<u32> {
        self.osm_id.binary_search(&osm_id).ok().map(|i| i as u32)
    }

    /// The name hash of way `way_id` if it is a one-way named carriageway.
    pub fn carriageway_name(&self, way_id: i64) -> Option<u64> {
        self.carriageways
            .binary_search_by_key(&way_id, |c| c.0)
            .ok()
            .map(|i| self.carriageways[i].1)
    }
}

/// Anomalies found while building edges.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ExtractCounts {
    /// Way node references to nodes absent from the file.
    pub missing_refs: u64,
    /// Routable ways with at least one missing node.
    pub ways_with_missing: u64,
    /// Graph nodes that block the vehicle (all their edges dropped).
    pub blocked_nodes: u64,
}

/// Great-circle distance in metres between two points in degrees.
#[must_use]
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    // min(1): rounding can push the root just past 1 for antipodal points.
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Builds the road graph. Ways are cut where a node is missing: segments
/// between two present nodes are kept.
pub(crate) fn extract(d: &OsmData) -> (RoadGraph, ExtractCounts) {
    let mut counts = ExtractCounts::default();
    let mut used = vec![false; d.node_ids.len()];
    // Node index per way ref (None when missing), reused for the edge pass.
    let mut idx: Vec<Option<u32>> = Vec::with_capacity(d.refs.len());
    for way in &d.ways {
        let mut missing = 0;
        let start = idx.len();
        for r in &d.refs[way.refs.0..way.refs.1] {
            let i = d.node_ids.binary_search(r).ok().map(|i| i as u32);
            missing += u64::from(i.is_none());
            idx.push(i);
        }
        counts.missing_refs += missing;
        counts.ways_with_missing += u64::from(missing > 0);
        for pair in idx[start..].windows(2) {
            if let [Some(a), Some(b)] = *pair
                && a != b
            {
                used[a as usize] = true;
                used[b as usize] = true;
            }
        }
    }
    let mut graph_id = vec![u32::MAX; d.node_ids.len()];
    let mut g = RoadGraph::default();
    for (i, _) in used.iter().enumerate().filter(|(_, u)| **u) {
        graph_id[i] = g.osm_id.len() as u32;
        g.osm_id.push(d.node_ids[i]);
        g.lat.push(f64::from(d.node_lat[i]) * 1e-7);
        g.lon.push(f64::from(d.node_lon[i]) * 1e-7);
    }
    let mut blocked = vec![false; g.osm_id.len()];
    for id in &d.blocking {
        if let Some(n) = g.node_of(*id) {
            blocked[n as usize] = true;
            counts.blocked_nodes += 1;
        }
    }
    let mut cursor = 0;
    for way in &d.ways {
        let len = way.refs.1 - way.refs.0;
        let nodes = &idx[cursor..cursor + len];
        cursor += len;
        let class = class_index(&mut g.classes, way.rule.class);
        if let Some(name) = way.name
            && way.rule.forward_kmh.is_some() != way.rule.backward_kmh.is_some()
        {
            g.carriageways.push((way.id, name));
        }
        let segments: Vec<(u32, u32, f64)> = nodes
            .windows(2)
            .filter_map(|pair| match *pair {
                [Some(a), Some(b)] if a != b => {
                    let (a, b) = (graph_id[a as usize], graph_id[b as usize]);
                    let (ua, ub) = (a as usize, b as usize);
                    Some((
                        a,
                        b,
                        haversine_m(g.lat[ua], g.lon[ua], g.lat[ub], g.lon[ub]),
                    ))
                }
                _ => None,
            })
            .collect();
        let total_m: f64 = segments.iter().map(|s| s.2).sum();
        for (a, b, dist) in segments {
            if blocked[a as usize] || blocked[b as usize] {
                continue;
            }
            let duration = |kmh: f64| match way.rule.ferry_duration_s {
                Some(total_s) if total_m > 0.0 => total_s * dist / total_m,
                _ => dist / (kmh / 3.6),
            };
            let mut push = |from, to, kmh, forward: bool| {
                g.edges.push(RoadEdge {
                    from,
                    to,
                    way_id: way.id,
                    class,
                    distance_m: dist,
                    duration_s: duration(kmh),
                    local_only: if forward {
                        way.rule.local_only_forward
                    } else {
                        way.rule.local_only_backward
                    },
                    forward,
                    roundabout: way.rule.roundabout,
                });
            };
            if let Some(kmh) = way.rule.forward_kmh {
                push(a, b, kmh, true);
            }
            if let Some(kmh) = way.rule.backward_kmh {
                push(b, a, kmh, false);
            }
        }
    }
    g.edges.sort_by_key(|x| (x.from, x.to, x.way_id));
    g.carriageways.sort_unstable();
    (g, counts)
}

fn class_index(classes: &mut Vec<&'static str>, class: &'static str) -> u16 {
    if let Some(i) = classes.iter().position(|c| *c == class) {
        return i as u16;
    }
    classes.push(class);
    debug_assert!(class == FERRY_CLASS || !class.is_empty());
    (classes.len() - 1) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude is about 111.2 km.
        let d = haversine_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
        // Valletta to Mdina, about 10.4 km.
        let d = haversine_m(35.8989, 14.5146, 35.8860, 14.4030);
        assert!((d - 10_160.0).abs() < 300.0, "{d}");
        assert!(haversine_m(35.9, 14.5, 35.9, 14.5).abs() < 1e-9);
    }
}
