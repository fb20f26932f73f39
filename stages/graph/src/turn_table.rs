//! The turn model: which turns a vehicle may make at a node and what each costs.
//!
//! A turn is a pair of edges `u -> v -> w`. At a **junction** (a node with three
//! or more neighbours) it costs the profile's angle table for its deviation and
//! side of the road, plus, on the far side, the wait for a gap in the traffic it
//! crosses unless either road is a roundabout; the deviation is that of the
//! roads' directions over the profile's lookahead along each, not of the first
//! mapped segments. Where the road only bends (two neighbours) going on is free,
//! as a bend is already in the edge speeds. A **U-turn** (`w = u`) is allowed at a dead
//! end (one neighbour: the road ends there), at the profile's U-turn cost, and
//! at no other junction unless an `only_*` restriction mandates it: a route that
//! must reverse goes round a block or to a dead end (PROFILES.md, "Turns"). The
//! exception is a road whose two directions are mapped as one-way carriageways of
//! one name: a turn from one onto the other is a U-turn, at the same cost, when
//! the heading it changes, summed over the turn and the profile's reversal
//! lookahead along the road it leads onto, is within 30 degrees of straight back
//! (a carriageway that curves round an island heads back though its angle over
//! the short lookahead is small). Passing a
//! traffic signal adds the signal delay; a stop or give-way sign makes the node
//! cost at least the time lost to a full stop or to slowing down to yield, which
//! holds the slowdown for the turn. A signal or sign applies to the direction
//! of arrival its tags say (`tags::node_control`). Turn restrictions are not
//! applied here (see `expand`).

use crate::extract::{EARTH_RADIUS_M, RoadEdge, RoadGraph};
use crate::profile::{DrivingSide, GATE_DELAY_S, Profile};
use crate::tags::{ControlKind, NodeControl};

/// What a turn is, by geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TurnKind {
    /// Through a node with two neighbours: the road goes on.
    Continue,
    /// At a junction, within [`STRAIGHT_DEG`] of straight on.
    Straight,
    /// At a junction, to the right.
    Right,
    /// At a junction, to the left.
    Left,
    /// Back to the node just left, or onto the other carriageway of the same
    /// road, heading back.
    UTurn,
}

impl TurnKind {
    /// The name in `turns.parquet`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continue => "continue",
            Self::Straight => "straight",
            Self::Right => "right",
            Self::Left => "left",
            Self::UTurn => "u_turn",
        }
    }
}

/// One allowed turn from edge `from_edge` into edge `to_edge` at their common node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Turn {
    pub from_edge: u32,
    pub to_edge: u32,
    /// Deviation from straight on, degrees, positive to the right (-180..=180).
    pub angle_deg: f64,
    pub kind: TurnKind,
    /// Whether a traffic signal at the node applies to this turn's approach.
    pub signal: bool,
    /// What the turn adds to the route's duration, seconds.
    pub cost_s: f64,
}

/// A turn within this many degrees of straight on goes straight; one within
/// this many of straight back reverses.
const STRAIGHT_DEG: f64 = 30.0;

/// Metres per degree of latitude on the sphere of the edges' haversine lengths.
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// Deviation of `b2` from `b1`, in (-180, 180], positive clockwise (to the right).
pub(crate) fn deviation(b1: f64, b2: f64) -> f64 {
    let d = (b2 - b1).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

/// The distinct neighbours of every node over edges in both directions, in
/// compressed rows: node `v`'s are `list[first[v]..first[v + 1]]`.
struct Neighbours {
    first: Vec<usize>,
    list: Vec<u32>,
}

impl Neighbours {
    fn of(g: &RoadGraph) -> Self {
        let mut pairs: Vec<(u32, u32)> = g
            .edges
            .iter()
            .flat_map(|e| [(e.from, e.to), (e.to, e.from)])
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut first = vec![0usize; g.osm_id.len() + 1];
        for &(a, _) in &pairs {
            first[a as usize + 1] += 1;
        }
        for v in 0..g.osm_id.len() {
            first[v + 1] += first[v];
        }
        Self {
            first,
            list: pairs.into_iter().map(|(_, b)| b).collect(),
        }
    }

    fn of_node(&self, v: u32) -> &[u32] {
        let v = v as usize;
        self.list
            .get(self.first[v]..self.first[v + 1])
            .unwrap_or(&[])
    }

    /// Where the road goes on from `cur`, arrived at from `prev`: its other
    /// neighbour if it has exactly two (the road only bends there), `None` at a
    /// junction or a dead end.
    fn onward(&self, prev: u32, cur: u32) -> Option<u32> {
        match self.of_node(cur) {
            [a, b] if *a == prev => Some(*b),
            [a, b] if *b == prev => Some(*a),
            _ => None,
        }
    }
}

/// A flat projection around one node: edges are tens of metres long.
struct Flat {
    lat: f64,
    lon: f64,
    /// Metres per degree of longitude at the node.
    scale_x: f64,
}

impl Flat {
    /// The projection around node `origin`.
    fn at(g: &RoadGraph, origin: u32) -> Self {
        let (lat, lon) = (g.lat[origin as usize], g.lon[origin as usize]);
        Self {
            lat,
            lon,
            scale_x: lat.to_radians().cos() * METRES_PER_DEGREE,
        }
    }

    /// Where node `n` lies, as (east, north) metres from the origin.
    fn offset(&self, g: &RoadGraph, n: u32) -> (f64, f64) {
        let n = n as usize;
        (
            (g.lon[n] - self.lon) * self.scale_x,
            (g.lat[n] - self.lat) * METRES_PER_DEGREE,
        )
    }
}

/// Compass bearing (degrees clockwise from north) of an (east, north) offset.
fn compass((east, north): (f64, f64)) -> f64 {
    east.atan2(north).to_degrees()
}

/// The point `metres` along the road that leaves node `v` towards its neighbour
/// `next`, as (east, north) metres from `v` on a local flat projection. The walk
/// goes on through nodes with two neighbours (the road only bends there) and
/// stops early at a junction, a dead end or back at `v`.
fn point_along(g: &RoadGraph, nb: &Neighbours, v: u32, next: u32, metres: f64) -> (f64, f64) {
    let flat = Flat::at(g, v);
    let (mut prev, mut cur) = (v, next);
    let (mut here, mut walked) = ((0.0, 0.0), 0.0);
    loop {
        let there = flat.offset(g, cur);
        let step = (there.0 - here.0).hypot(there.1 - here.1);
        if walked + step >= metres && step > 0.0 {
            let f = (metres - walked) / step;
            return (
                here.0 + f * (there.0 - here.0),
                here.1 + f * (there.1 - here.1),
            );
        }
        walked += step;
        here = there;
        match nb.onward(prev, cur) {
            Some(onward) if onward != v => (prev, cur) = (cur, onward),
            _ => return here,
        }
    }
}

/// The vehicle's whole change of heading, degrees, positive to the right, from
/// compass bearing `arriving` (the arriving road's over the angle lookahead)
/// onto the road that leaves along `leaving`, followed while it has walked less
/// than `metres` and only bends: the sum of the deviations between successive
/// segments, so a road curving back counts in full. A segment of zero length
/// (two nodes at one point) has no direction and adds nothing.
fn heading_change(
    g: &RoadGraph,
    nb: &Neighbours,
    arriving: f64,
    leaving: &RoadEdge,
    metres: f64,
) -> f64 {
    let v = leaving.from;
    let mut heading = arriving;
    let (mut prev, mut cur) = (v, leaving.to);
    let (mut total, mut walked) = (0.0, 0.0);
    loop {
        let step = Flat::at(g, prev).offset(g, cur);
        let (bearing, length) = (compass(step), step.0.hypot(step.1));
        if length > 0.0 {
            total += deviation(heading, bearing);
            heading = bearing;
            walked += length;
        }
        // Back at `v` the road has come round to the junction: the walk ends
        // there as at any other.
        match nb.onward(prev, cur) {
            Some(onward) if walked < metres && onward != v => (prev, cur) = (cur, onward),
            _ => return total,
        }
    }
}

/// Whether the turn from `arriving` (bearing `arriving_deg` over the angle
/// lookahead) onto `leaving` goes from one carriageway of a named road onto the
/// other, heading back (see the module doc).
fn reverses_onto_other_carriageway(
    g: &RoadGraph,
    nb: &Neighbours,
    (arriving, arriving_deg): (&RoadEdge, f64),
    leaving: &RoadEdge,
    metres: f64,
) -> bool {
    // Going on round a roundabout mapped as several ways of one name is not a
    // reversal, however small the ring; nor is a closed way coming back onto itself.
    !arriving.roundabout
        && !leaving.roundabout
        && arriving.way_id != leaving.way_id
        && g.carriageway_name(arriving.way_id)
            .is_some_and(|name| g.carriageway_name(leaving.way_id) == Some(name))
        && heading_change(g, nb, arriving_deg, leaving, metres).abs() >= 180.0 - STRAIGHT_DEG
}

/// For every edge, the compass bearing (degrees clockwise from north) at which
/// it arrives at its head and at which it leaves its tail, each taken over the
/// profile's angle lookahead along the road (`TurnCosts::angle_lookahead_m`).
fn edge_bearings(g: &RoadGraph, nb: &Neighbours, metres: f64) -> (Vec<f64>, Vec<f64>) {
    // At zero metres the point would be the node itself, with no direction.
    let metres = metres.max(0.01);
    g.edges
        .iter()
        .map(|e| {
            let (bx, by) = point_along(g, nb, e.to, e.from, metres);
            let leave = point_along(g, nb, e.from, e.to, metres);
            (compass((-bx, -by)), compass(leave))
        })
        .unzip()
}

/// Every allowed turn of `g` for `profile` in traffic keeping to `side`, sorted by
/// (from edge, to edge); `control[v]` is graph node `v`'s traffic signal or sign,
/// `gate[v]` whether it has a barrier that is opened to pass ([`GATE_DELAY_S`]).
/// `mandated` lists `(from edge, to edge)` U-turns that an `only_*` restriction
/// requires (`only_u_turn`), sorted: they are kept where a U-turn is otherwise not.
pub(crate) fn turns(
    g: &RoadGraph,
    control: &[Option<NodeControl>],
    gate: &[bool],
    profile: &Profile,
    side: DrivingSide,
    mandated: &[(u32, u32)],
) -> Vec<Turn> {
    let neighbours = Neighbours::of(g);
    let costs = &profile.turns;
    let (arrive, leave) = edge_bearings(g, &neighbours, costs.angle_lookahead_m);
    let mut out = Vec::with_capacity(g.edges.len() * 3);
    for (e, edge) in g.edges.iter().enumerate() {
        let v = edge.to;
        let start = g.edges.partition_point(|x| x.from < v);
        let end = g.edges.partition_point(|x| x.from <= v);
        let degree = neighbours.of_node(v).len();
        // A sign or signal tagged for one direction binds only traffic arriving
        // that way along the way it stands on.
        let control = control
            .get(v as usize)
            .copied()
            .flatten()
            .filter(|c| c.applies_to(edge.forward));
        let kind_here = control.map(|c| c.kind);
        let signal = kind_here == Some(ControlKind::Signal);
        // A full stop or a yield takes at least this long, and its slowdown
        // includes the one for the turn: the node costs the larger of the two.
        let floor = match kind_here {
            Some(ControlKind::Stop) => costs.stop_s,
            Some(ControlKind::GiveWay) => costs.give_way_s,
            Some(ControlKind::Signal) | None => 0.0,
        };
        let delay = if signal { costs.traffic_signal_s } else { 0.0 }
            + if gate.get(v as usize).copied().unwrap_or(false) {
                GATE_DELAY_S
            } else {
                0.0
            };
        for (f, next) in (start..end).zip(&g.edges[start..end]) {
            let angle_deg = deviation(arrive[e], leave[f]);
            let (kind, cost, crossing) = if next.to == edge.from {
                // Only where the road ends: at a junction a U-turn crosses every
                // lane of it, and signs that forbid one are rarely mapped.
                if degree > 1 && mandated.binary_search(&(e as u32, f as u32)).is_err() {
                    continue;
                }
                (TurnKind::UTurn, costs.u_turn_s, 0.0)
            } else if degree <= 2 {
                (TurnKind::Continue, 0.0, 0.0)
            } else if reverses_onto_other_carriageway(
                g,
                &neighbours,
                (edge, arrive[e]),
                next,
                costs.reversal_lookahead_m,
            ) {
                (TurnKind::UTurn, costs.u_turn_s, 0.0)
            } else {
                let kind = if angle_deg.abs() <= STRAIGHT_DEG {
                    TurnKind::Straight
                } else if angle_deg > 0.0 {
                    TurnKind::Right
                } else {
                    TurnKind::Left
                };
                // A roundabout's traffic runs one way round: entering or
                // leaving it crosses no oncoming lane.
                let crossing = if edge.roundabout || next.roundabout {
                    0.0
                } else {
                    costs.crossing(angle_deg, side)
                };
                (kind, costs.by_deviation(angle_deg, side), crossing)
            };
            out.push(Turn {
                from_edge: e as u32,
                to_edge: f as u32,
                angle_deg,
                kind,
                signal,
                cost_s: cost.max(floor) + crossing + delay,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CAR;
    use crate::tags::Direction;

    /// A T junction at node 0: a street from the west (1) and east (2), a side
    /// street to the north (3); node 4 lies beyond 3, a dead end.
    fn tee() -> RoadGraph {
        let mut g = RoadGraph {
            osm_id: vec![10, 11, 12, 13, 14],
            lat: vec![0.0, 0.0, 0.0, 0.001, 0.002],
            lon: vec![0.0, -0.001, 0.001, 0.0, 0.0],
            classes: vec!["residential"],
            ..RoadGraph::default()
        };
        for (a, b) in [(1, 0), (0, 2), (0, 3), (3, 4)] {
            for (from, to) in [(a, b), (b, a)] {
                g.edges.push(RoadEdge {
                    from,
                    to,
                    way_id: 1,
                    class: 0,
                    distance_m: 100.0,
                    duration_s: 10.0,
                    local_only: false,
                    roundabout: false,
                    forward: from == a,
                });
            }
        }
        g.edges.sort_by_key(|x| (x.from, x.to));
        g
    }

    fn find(g: &RoadGraph, t: &[Turn], path: [u32; 3]) -> Option<Turn> {
        t.iter().copied().find(|x| {
            let (a, b) = (&g.edges[x.from_edge as usize], &g.edges[x.to_edge as usize]);
            [a.from, a.to, b.to] == path
        })
    }

    /// Nodes at (east, north) metres from the origin, and roads through them as
    /// (way id, nodes, both directions); `names` gives the ways' name hashes.
    fn roads(
        points: &[(f64, f64)],
        ways: &[(i64, &[u32], bool)],
        names: &[(i64, u64)],
    ) -> RoadGraph {
        let m = 1.0 / METRES_PER_DEGREE;
        let mut g = RoadGraph {
            osm_id: (0..points.len() as i64).collect(),
            lat: points.iter().map(|p| p.1 * m).collect(),
            lon: points.iter().map(|p| p.0 * m).collect(),
            classes: vec!["primary"],
            ..RoadGraph::default()
        };
        for &(way_id, nodes, both) in ways {
            for pair in nodes.windows(2) {
                let directions = [(pair[0], pair[1], true), (pair[1], pair[0], false)];
                for (from, to, forward) in directions.into_iter().take(if both { 2 } else { 1 }) {
                    g.edges.push(RoadEdge {
                        from,
                        to,
                        way_id,
                        class: 0,
                        distance_m: 10.0,
                        duration_s: 1.0,
                        local_only: false,
                        roundabout: false,
                        forward,
                    });
                }
            }
            if !both && let Some(&(_, name)) = names.iter().find(|n| n.0 == way_id) {
                g.carriageways.push((way_id, name));
            }
        }
        g.edges.sort_by_key(|x| (x.from, x.to, x.way_id));
        g.carriageways.sort_unstable();
        g
    }

    /// The turns of `g` in right-hand traffic, without signals, signs or gates.
    fn right_hand(g: &RoadGraph) -> Vec<Turn> {
        let n = g.osm_id.len();
        turns(
            g,
            &vec![None; n],
            &vec![false; n],
            &CAR,
            DrivingSide::Right,
            &[],
        )
    }

    #[test]
    fn onto_the_other_carriageway_heading_back_is_a_u_turn() {
        // A divided road ends at junction 0, where a two-way street goes on west
        // to 3: the westbound carriageway (way 1) arrives from 1, 6 m north of
        // the eastbound one (way 2), which leaves towards 2.
        let points = [(0.0, 0.0), (100.0, 3.0), (100.0, -3.0), (-100.0, 0.0)];
        let ways: [(i64, &[u32], bool); 3] =
            [(1, &[1, 0], false), (2, &[0, 2], false), (3, &[0, 3], true)];
        let same = roads(&points, &ways, &[(1, 7), (2, 7)]);
        let t = right_hand(&same);
        let u = find(&same, &t, [1, 0, 2]).unwrap();
        assert_eq!((u.kind, u.cost_s), (TurnKind::UTurn, CAR.turns.u_turn_s));
        // Going on west is still straight on.
        assert_eq!(find(&same, &t, [1, 0, 3]).unwrap().kind, TurnKind::Straight);
        // Two roads of different names: a sharp left turn at its angle's cost.
        let other = roads(&points, &ways, &[(1, 7), (2, 8)]);
        let t = right_hand(&other);
        let sharp = find(&other, &t, [1, 0, 2]).unwrap();
        assert_eq!(sharp.kind, TurnKind::Left);
        assert!(
            sharp.angle_deg < -170.0 && sharp.cost_s < CAR.turns.u_turn_s,
            "{sharp:?}"
        );
        // Unnamed, the same.
        let unnamed = roads(&points, &ways, &[]);
        let t = right_hand(&unnamed);
        assert_eq!(find(&unnamed, &t, [1, 0, 2]).unwrap().kind, TurnKind::Left);
        // Two arms of a roundabout mapped as two ways of one name: going on
        // round is never a reversal.
        let mut ring = roads(&points, &ways, &[(1, 7), (2, 7)]);
        for edge in &mut ring.edges {
            edge.roundabout = edge.way_id != 3;
        }
        assert_eq!(
            find(&ring, &right_hand(&ring), [1, 0, 2]).unwrap().kind,
            TurnKind::Left
        );
        // Mirrored, in left-hand traffic: the vehicle turns round clockwise.
        let mirrored: Vec<(f64, f64)> = points.iter().map(|p| (-p.0, p.1)).collect();
        let malta = roads(&mirrored, &ways, &[(1, 7), (2, 7)]);
        let t = turns(
            &malta,
            &[None; 4],
            &[false; 4],
            &CAR,
            DrivingSide::Left,
            &[],
        );
        let u = find(&malta, &t, [1, 0, 2]).unwrap();
        assert!(u.angle_deg > 170.0, "{u:?}");
        assert_eq!((u.kind, u.cost_s), (TurnKind::UTurn, CAR.turns.u_turn_s));
    }

    #[test]
    fn a_carriageway_that_curves_back_counts_in_full() {
        // The eastbound carriageway leaves junction 0 to the south-west and bends
        // round to the east within 23 m (nodes 4, 5, 6, then 2): the turn onto it
        // from the westbound one deviates about 55 degrees over the angle
        // lookahead but heads back. Past the reversal lookahead the same bend is a
        // plain turn.
        let ways: [(i64, &[u32], bool); 3] = [
            (1, &[1, 0], false),
            (2, &[0, 4, 5, 6, 2], false),
            (3, &[0, 3], true),
        ];
        let names = [(1, 7), (2, 7)];
        let bend = |start: f64| {
            vec![
                (0.0, 0.0),
                (100.0, 0.0),
                (100.0, -12.0 - start),
                (-100.0, 0.0),
                (-start / 2f64.sqrt(), -start / 2f64.sqrt()),
                (-start / 2f64.sqrt() - 3.0, -start / 2f64.sqrt() - 8.0),
                (-start / 2f64.sqrt() + 3.0, -12.0 - start),
            ]
        };
        let near = roads(&bend(6.0), &ways, &names);
        let t = right_hand(&near);
        let u = find(&near, &t, [1, 0, 4]).unwrap();
        assert_eq!(u.kind, TurnKind::UTurn, "{u:?}");
        assert!(u.angle_deg.abs() < 90.0, "{u:?}");
        let far = roads(&bend(40.0), &ways, &names);
        let t = right_hand(&far);
        assert_eq!(find(&far, &t, [1, 0, 4]).unwrap().kind, TurnKind::Left);
    }

    #[test]
    fn deviation_is_signed_to_the_right() {
        assert!((deviation(0.0, 90.0) - 90.0).abs() < 1e-9);
        assert!((deviation(0.0, 270.0) + 90.0).abs() < 1e-9);
        assert!((deviation(350.0, 10.0) - 20.0).abs() < 1e-9);
        assert!((deviation(90.0, -90.0) - 180.0).abs() < 1e-9);
    }

    #[test]
    fn a_turn_angle_is_the_roads_direction_across_the_junction() {
        // The side street leaves the junction with a stub of 2.8 m to the
        // north-east, then runs north: eastbound, turning into it is a left turn
        // of about 78 degrees, not the stub's 45.
        let m = 1.0 / METRES_PER_DEGREE;
        let mut g = tee();
        (g.lat[3], g.lon[3]) = (2.0 * m, 2.0 * m);
        (g.lat[4], g.lon[4]) = (100.0 * m, 2.0 * m);
        let t = turns(&g, &[None; 5], &[false; 5], &CAR, DrivingSide::Right, &[]);
        // The lookahead along: the 2.8 m stub, then north of node 3.
        let ahead = CAR.turns.angle_lookahead_m;
        let along = 2.0f64.atan2(2.0 + ahead - 8.0f64.sqrt()).to_degrees();
        let onto = find(&g, &t, [1, 0, 3]).unwrap();
        assert!(
            (onto.angle_deg - (along - 90.0)).abs() < 0.01,
            "{}",
            onto.angle_deg
        );
        let want = CAR.turns.by_deviation(onto.angle_deg, DrivingSide::Right)
            + CAR.turns.crossing(onto.angle_deg, DrivingSide::Right);
        assert!((onto.cost_s - want).abs() < 1e-9 && onto.cost_s > 5.0);
        // The walk stops at a junction: arriving at node 3 from node 0, the road
        // behind is the stub alone.
        assert!((find(&g, &t, [0, 3, 4]).unwrap().angle_deg + 45.0).abs() < 0.01);
        // Measured on the first segments, as before the lookahead, it is 45.
        let short = Profile {
            turns: crate::profile::TurnCosts {
                angle_lookahead_m: 1.0,
                ..CAR.turns
            },
            ..CAR
        };
        let t = turns(&g, &[None; 5], &[false; 5], &short, DrivingSide::Right, &[]);
        assert!((find(&g, &t, [1, 0, 3]).unwrap().angle_deg + 45.0).abs() < 0.01);
    }

    #[test]
    fn u_turns_at_dead_ends_only_and_costs_by_side() {
        let g = tee();
        let right = turns(&g, &[None; 5], &[false; 5], &CAR, DrivingSide::Right, &[]);
        let left = turns(&g, &[None; 5], &[false; 5], &CAR, DrivingSide::Left, &[]);
        // Node 3 has two neighbours, node 0 is a junction: no U-turn there; node 4
        // is a dead end.
        assert!(find(&g, &right, [0, 3, 0]).is_none());
        assert!(find(&g, &right, [1, 0, 1]).is_none());
        let u = find(&g, &right, [3, 4, 3]).unwrap();
        assert_eq!((u.kind, u.cost_s), (TurnKind::UTurn, CAR.turns.u_turn_s));
        // An `only_u_turn` at the junction keeps that one U-turn.
        let edge = |a: u32, b: u32| g.edges.iter().position(|x| (x.from, x.to) == (a, b));
        let (e10, e01) = (edge(1, 0).unwrap() as u32, edge(0, 1).unwrap() as u32);
        let kept = turns(
            &g,
            &[None; 5],
            &[false; 5],
            &CAR,
            DrivingSide::Right,
            &[(e10, e01)],
        );
        assert_eq!(
            find(&g, &kept, [1, 0, 1]).map(|t| t.kind),
            Some(TurnKind::UTurn)
        );
        assert!(find(&g, &kept, [2, 0, 2]).is_none());
        // Eastbound at the T, the side street is a left turn: far side on the
        // continent (the angle's cost and the wait for a gap), near side in
        // Malta; westbound it is a right turn.
        let l = find(&g, &right, [1, 0, 3]).unwrap();
        assert_eq!(l.kind, TurnKind::Left);
        assert!((l.angle_deg + 90.0).abs() < 0.1, "{}", l.angle_deg);
        assert!((l.cost_s - (5.4 + 1.9)).abs() < 0.01, "{}", l.cost_s);
        assert!((find(&g, &left, [1, 0, 3]).unwrap().cost_s - 2.1).abs() < 0.01);
        assert!((find(&g, &right, [2, 0, 3]).unwrap().cost_s - 2.1).abs() < 0.01);
        let s = find(&g, &right, [1, 0, 2]).unwrap();
        assert_eq!((s.kind, s.cost_s), (TurnKind::Straight, 0.0));
        assert_eq!(
            find(&g, &right, [0, 3, 4]).unwrap().kind,
            TurnKind::Continue
        );
    }

    #[test]
    fn no_wait_for_a_gap_onto_or_off_a_roundabout() {
        // The east-west street becomes a roundabout: the side street's far-side
        // turns onto it and off it cross no oncoming lane.
        let mut g = tee();
        for e in &mut g.edges {
            e.roundabout = e.from != 3 && e.to != 3 && e.from != 4 && e.to != 4;
        }
        let t = turns(&g, &[None; 5], &[false; 5], &CAR, DrivingSide::Right, &[]);
        let onto_side = find(&g, &t, [1, 0, 3]).unwrap();
        assert!(
            (onto_side.cost_s - 5.4).abs() < 0.01,
            "{}",
            onto_side.cost_s
        );
        let onto_ring = find(&g, &t, [3, 0, 2]).unwrap();
        assert!(
            (onto_ring.cost_s - 5.4).abs() < 0.01,
            "{}",
            onto_ring.cost_s
        );
        // The near-side turn is the same either way.
        assert!((find(&g, &t, [3, 0, 1]).unwrap().cost_s - 2.1).abs() < 0.01);
    }

    fn control(kind: ControlKind, applies: Direction) -> NodeControl {
        NodeControl { kind, applies }
    }

    #[test]
    fn signals_and_gates_add_their_delay_to_every_turn_through_the_node() {
        let g = tee();
        let mut signal = [None; 5];
        signal[0] = Some(control(ControlKind::Signal, Direction::Both));
        let mut gate = [false; 5];
        gate[3] = true;
        let t = turns(&g, &signal, &gate, &CAR, DrivingSide::Right, &[]);
        let s = find(&g, &t, [1, 0, 2]).unwrap();
        assert!(s.signal);
        assert!((s.cost_s - CAR.turns.traffic_signal_s).abs() < 1e-9);
        let through_gate = find(&g, &t, [0, 3, 4]).unwrap();
        assert!(!through_gate.signal);
        assert!((through_gate.cost_s - GATE_DELAY_S).abs() < 1e-9);
    }

    #[test]
    fn a_directed_signal_binds_only_traffic_arriving_its_way() {
        let g = tee();
        // Node 3 lies mid-way on the side street, whose edges run 0 -> 3 -> 4 in
        // node order: `forward` binds traffic arriving from 0.
        for (applies, from_0, from_4) in [
            (Direction::Forward, true, false),
            (Direction::Backward, false, true),
            (Direction::Both, true, true),
        ] {
            let mut c = [None; 5];
            c[3] = Some(control(ControlKind::Signal, applies));
            let t = turns(&g, &c, &[false; 5], &CAR, DrivingSide::Right, &[]);
            let up = find(&g, &t, [0, 3, 4]).unwrap();
            let down = find(&g, &t, [4, 3, 0]).unwrap();
            assert_eq!((up.signal, down.signal), (from_0, from_4), "{applies:?}");
            let want = |on: bool| if on { CAR.turns.traffic_signal_s } else { 0.0 };
            assert!((up.cost_s - want(from_0)).abs() < 1e-9);
            assert!((down.cost_s - want(from_4)).abs() < 1e-9);
        }
    }

    #[test]
    fn stop_and_give_way_cost_at_least_their_slowdown() {
        let g = tee();
        let costs = CAR.turns;
        for (kind, floor) in [
            (ControlKind::Stop, costs.stop_s),
            (ControlKind::GiveWay, costs.give_way_s),
        ] {
            // At the junction, for every approach (no direction tagged).
            let mut c = [None; 5];
            c[0] = Some(control(kind, Direction::Both));
            let t = turns(&g, &c, &[false; 5], &CAR, DrivingSide::Right, &[]);
            let plain = turns(&g, &[None; 5], &[false; 5], &CAR, DrivingSide::Right, &[]);
            for path in [[1, 0, 2], [1, 0, 3], [2, 0, 3], [3, 0, 1], [3, 0, 2]] {
                let (with, without) =
                    (find(&g, &t, path).unwrap(), find(&g, &plain, path).unwrap());
                // The slowdown for the turn is part of the stop's; the wait for
                // a gap comes on top.
                let crossing = costs.crossing(with.angle_deg, DrivingSide::Right);
                let angle = without.cost_s - crossing;
                let want = angle.max(floor) + crossing;
                assert!((with.cost_s - want).abs() < 1e-9, "{kind:?} {path:?}");
                assert!(with.cost_s >= without.cost_s && !with.signal);
            }
            // Straight on through a stop costs the whole stop.
            assert!((find(&g, &t, [1, 0, 2]).unwrap().cost_s - floor).abs() < 1e-9);
            // Mid-way, tagged `direction=backward`: only traffic arriving from 4.
            let mut c = [None; 5];
            c[3] = Some(control(kind, Direction::Backward));
            let t = turns(&g, &c, &[false; 5], &CAR, DrivingSide::Right, &[]);
            assert!(find(&g, &t, [0, 3, 4]).unwrap().cost_s.abs() < 1e-9);
            assert!((find(&g, &t, [4, 3, 0]).unwrap().cost_s - floor).abs() < 1e-9);
        }
        // A full stop loses more than a yield, and both more than going straight on.
        assert!(costs.stop_s > costs.give_way_s && costs.give_way_s > 0.0);
    }
}
