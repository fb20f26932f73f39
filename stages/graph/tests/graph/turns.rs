//! The turn model and via-way restrictions on hand-made junctions (PROFILES.md,
//! "Turns"): U-turns only at dead ends (or where `only_u_turn` says) and onto the other
//! carriageway of a named road, turn costs by side of the
//! road, traffic signals and stop and give-way signs by direction, via-way `no_*` and `only_*`. Every route is computed by
//! the CH and the oracle, which must agree (`Built::route`).

use hexmatrix_osm::fixture::{FixtureBuilder, MemberType};

use crate::fixture::{build, grid, grid_at, grid_id as g};

const ROAD: [(&str, &str); 1] = [("highway", "residential")];

/// A cross centred on (3,3) whose north arm has a node at (4,3) before its dead
/// end (6,3); the other arms are single segments to dead ends.
fn long_cross() -> FixtureBuilder {
    let mut f = grid();
    f.way(1, &[g(0, 3), g(3, 3)], &ROAD);
    f.way(2, &[g(3, 3), g(4, 3), g(6, 3)], &ROAD);
    f.way(3, &[g(3, 0), g(3, 3)], &ROAD);
    f.way(4, &[g(3, 3), g(3, 6)], &ROAD);
    f
}

/// Seconds along a straight residential street of `m` metres (25 km/h).
fn street_s(m: f64) -> f64 {
    m / (25.0 / 3.6)
}

#[test]
fn u_turns_only_at_dead_ends_never_at_junctions_or_mid_street() {
    let mut f = long_cross();
    f.relation(
        920,
        &[
            (MemberType::Way, 1, "from"),
            (MemberType::Node, g(3, 3), "via"),
            (MemberType::Way, 3, "to"),
        ],
        &[("type", "restriction"), ("restriction", "no_left_turn")],
    );
    let b = build(&f, "car");
    let turns = b.turns();
    let u_turn_at = |node: i64| {
        turns
            .iter()
            .find(|t| t.1 == node && t.0 == t.2)
            .map(|t| (t.3.clone(), t.4))
    };
    assert_eq!(
        u_turn_at(g(6, 3)),
        Some(("u_turn".into(), 20.0)),
        "dead end"
    );
    assert_eq!(u_turn_at(g(3, 3)), None, "junction");
    assert_eq!(u_turn_at(g(4, 3)), None, "mid-street");
    // South to west with the left turn banned: turning round at (4,3), 111 m up
    // the north arm, or at the junction would be quickest; the route must go on
    // to a dead end instead (the east arm's, 270 m away, is the nearest) and
    // turn there.
    let free = build(&long_cross(), "car")
        .route(g(0, 3), g(3, 0))
        .unwrap()
        .0;
    let detour = b.route(g(0, 3), g(3, 0)).unwrap().0;
    let east_arm_m = b
        .edges()
        .iter()
        .find(|e| e.from == g(3, 3) && e.to == g(3, 6))
        .unwrap()
        .distance_m;
    assert!(
        detour >= free + 2.0 * street_s(east_arm_m) + 20.0 - 8.0,
        "detour {detour} s, free {free} s"
    );
    assert!(
        detour < free + 2.0 * street_s(east_arm_m) + 20.0 + 8.0,
        "{detour}"
    );
}

/// A T junction at (3,3): a street from (3,0) to (3,6), a side street north to (6,3).
fn tee(mut f: FixtureBuilder) -> FixtureBuilder {
    f.way(1, &[g(3, 0), g(3, 3), g(3, 6)], &ROAD);
    f.way(2, &[g(3, 3), g(6, 3)], &ROAD);
    f
}

#[test]
fn turning_across_traffic_costs_more_left_hand_in_malta_right_hand_in_monaco() {
    // Eastbound, the side street is a left turn; westbound, a right turn. Both
    // routes have the same length, so their difference is the turn costs'.
    let malta = build(&tee(grid()), "car");
    let monaco = build(&tee(grid_at(43.73, 7.42)), "car");
    let left_minus_right = |b: &crate::fixture::Built| {
        b.route(g(3, 0), g(6, 3)).unwrap().0 - b.route(g(3, 6), g(6, 3)).unwrap().0
    };
    // 90 degrees: 2.1 s on the near side; across the traffic 5.4 s plus 1.9 s
    // waiting for a gap.
    let (m, c) = (left_minus_right(&malta), left_minus_right(&monaco));
    assert!((m - (2.1 - 7.3)).abs() < 0.002, "Malta keeps left: {m}");
    assert!((c - (7.3 - 2.1)).abs() < 0.002, "Monaco keeps right: {c}");
}

#[test]
fn turning_onto_or_off_a_roundabout_waits_for_no_gap() {
    // The T's street one way eastbound, as a plain oneway and as a roundabout.
    // Into it from the side street and from it into the side street are left
    // turns, the far side in Monaco: only off and onto the plain oneway does a
    // turn wait for a gap in the traffic.
    let with = |tags: &[(&str, &str)]| {
        let mut f = grid_at(43.73, 7.42);
        f.way(1, &[g(3, 0), g(3, 3), g(3, 6)], tags);
        f.way(2, &[g(3, 3), g(6, 3)], &ROAD);
        build(&f, "car")
    };
    let oneway = with(&[("highway", "residential"), ("oneway", "yes")]);
    let ring = with(&[("highway", "residential"), ("junction", "roundabout")]);
    let (a, b) = (
        oneway.route(g(6, 3), g(3, 6)).unwrap(),
        ring.route(g(6, 3), g(3, 6)).unwrap(),
    );
    assert!((a.1 - b.1).abs() < 0.01, "same path: {a:?} {b:?}");
    assert!(
        (a.0 - b.0 - 1.9).abs() < 0.002,
        "the gap costs 1.9 s: {a:?} {b:?}"
    );
    let (c, d) = (
        oneway.route(g(3, 0), g(6, 3)).unwrap(),
        ring.route(g(3, 0), g(6, 3)).unwrap(),
    );
    assert!((c.0 - d.0 - 1.9).abs() < 0.002, "{c:?} {d:?}");
}

/// A divided road ends at junction (3,3) in Monaco, where a two-way street goes
/// on west: the westbound carriageway comes in from (3,6) through a node 3 m
/// north of the junction's row, the eastbound one leaves through nodes 3 m south
/// of it. The carriageways carry `names`; `oneway` says whether each is one way.
fn divided_road_end(names: [&str; 2], oneway: &str) -> crate::fixture::Built {
    let mut f = grid_at(43.73, 7.42);
    let (lat, lon) = (43.733, 7.423);
    // 3 m of latitude and 24 m and 200 m of longitude there.
    let (north, east, far) = (0.000_027, 0.000_3, 0.002_5);
    f.node(901, lat + north, lon + east, &[]);
    f.node(902, lat - north, lon + east, &[]);
    f.node(903, lat - north, lon + far, &[]);
    let carriageway = |name| [("highway", "primary"), ("oneway", oneway), ("name", name)];
    f.way(11, &[g(3, 6), 901, g(3, 3)], &carriageway(names[0]));
    f.way(12, &[g(3, 3), 902, 903], &carriageway(names[1]));
    f.way(13, &[g(3, 3), g(3, 0)], &ROAD);
    build(&f, "car")
}

#[test]
fn issue_15_onto_the_other_carriageway_of_the_same_road_is_a_u_turn() {
    let same = divided_road_end(["Boulevard", "Boulevard"], "yes");
    let other = divided_road_end(["Boulevard", "Avenue"], "yes");
    let turn = |b: &crate::fixture::Built| {
        b.turns()
            .into_iter()
            .find(|t| (t.0, t.1, t.2) == (901, g(3, 3), 902))
            .map(|t| (t.3, t.4))
            .unwrap()
    };
    assert_eq!(turn(&same), ("u_turn".into(), 20.0));
    // Between two roads it is a left turn of about 166 degrees across the
    // traffic: 7.5 s and 2.0 s waiting for a gap.
    let (kind, secs) = turn(&other);
    assert_eq!(kind, "left");
    assert!((secs - 9.5).abs() < 0.01, "{secs}");
    // Two two-way roads of one name are not carriageways: the same left turn.
    let two_way = divided_road_end(["Boulevard", "Boulevard"], "no");
    assert_eq!(turn(&two_way), ("left".into(), secs));
    // Turning round there beats the dead end 241 m west, so both routes take
    // it; they differ by the two turns' costs.
    let (a, b) = (
        same.route(g(3, 6), 903).unwrap(),
        other.route(g(3, 6), 903).unwrap(),
    );
    assert!((a.1 - b.1).abs() < 0.01, "same path: {a:?} {b:?}");
    assert!((a.0 - b.0 - (20.0 - secs)).abs() < 0.002, "{a:?} {b:?}");
}

#[test]
fn a_traffic_signal_delays_every_route_through_it() {
    let plain = build(&tee(grid()), "car");
    let mut f = tee(grid());
    let (lat, lon) = crate::fixture::at(3, 3);
    f.node(g(3, 3), lat, lon, &[("highway", "traffic_signals")]);
    let signal = build(&f, "car");
    assert_eq!(signal.summary.signal_nodes, 1);
    for (from, to) in [(g(3, 0), g(3, 6)), (g(3, 6), g(6, 3)), (g(6, 3), g(3, 0))] {
        let d = signal.route(from, to).unwrap().0 - plain.route(from, to).unwrap().0;
        assert!((d - 2.0).abs() < 0.002, "{from}->{to}: {d}");
    }
    // Ending at the signal is not passing it.
    let d = signal.route(g(3, 0), g(3, 3)).unwrap().0 - plain.route(g(3, 0), g(3, 3)).unwrap().0;
    assert!(d.abs() < 0.002, "{d}");
}

/// Two north-south streets, columns 1 (ways 11 south of row 3, 12 north) and 5
/// (21, 22; 22 passes (4,5)), joined at row 3 by a connector of two ways, 30 ((3,1)-(3,3)) and 31
/// ((3,3)-(3,5)). Every end is a dead end.
fn ladder() -> FixtureBuilder {
    let mut f = grid();
    f.way(11, &[g(0, 1), g(3, 1)], &ROAD);
    f.way(12, &[g(3, 1), g(6, 1)], &ROAD);
    f.way(21, &[g(0, 5), g(3, 5)], &ROAD);
    f.way(22, &[g(3, 5), g(4, 5), g(6, 5)], &ROAD);
    f.way(30, &[g(3, 1), g(3, 2), g(3, 3)], &ROAD);
    f.way(31, &[g(3, 3), g(3, 4), g(3, 5)], &ROAD);
    f
}

fn via_ways(f: &mut FixtureBuilder, id: i64, from: i64, to: i64, value: &str) {
    f.relation(
        id,
        &[
            (MemberType::Way, from, "from"),
            (MemberType::Way, 31, "via"),
            (MemberType::Way, 30, "via"),
            (MemberType::Way, to, "to"),
        ],
        &[("type", "restriction"), ("restriction", value)],
    );
}

#[test]
fn via_way_no_bans_the_whole_sequence_only() {
    let mut f = ladder();
    // Via members out of order on purpose: they are chained by their ends.
    via_ways(&mut f, 930, 11, 22, "no_u_turn");
    let b = build(&f, "car");
    let free = build(&ladder(), "car");
    let r = b.summary.restrictions;
    assert_eq!((r.applied, r.via_way), (1, 1), "{r:?}");
    // The via edges got states of their own that remember the from edge: one per
    // via edge (4), beyond one per edge and one source per node.
    let s = &b.summary;
    assert_eq!(s.expanded_nodes, s.edges + s.nodes + 4, "{s:?}");
    let (from, to) = (g(0, 1), g(4, 5));
    let banned = b.route(from, to).unwrap().0;
    assert!(banned > free.route(from, to).unwrap().0 + 20.0, "{banned}");
    // Each piece of the sequence alone is allowed: from the connector's middle,
    // and from the west street into the connector.
    for (s, t) in [(g(3, 3), g(4, 5)), (g(0, 1), g(3, 4)), (g(0, 5), g(0, 1))] {
        let (x, y) = (b.route(s, t).unwrap().0, free.route(s, t).unwrap().0);
        assert!((x - y).abs() < 0.002, "{s}->{t}: {x} vs {y}");
    }
}

#[test]
fn via_way_only_forces_the_sequence_once_entered() {
    let mut f = ladder();
    via_ways(&mut f, 931, 11, 21, "only_right_turn");
    let b = build(&f, "car");
    let free = build(&ladder(), "car");
    assert_eq!(b.summary.restrictions.via_way, 1);
    // Northbound on the west street the route must take the connector and turn
    // south at its end: going on north, or north at the east street, needs the
    // dead end at (0,5) and a U-turn first.
    for t in [g(6, 1), g(4, 5)] {
        let (x, y) = (
            b.route(g(0, 1), t).unwrap().0,
            free.route(g(0, 1), t).unwrap().0,
        );
        assert!(x > y + 20.0, "->{t}: {x} vs {y}");
    }
    // The mandated route is as fast as ever; a route that joins the connector in
    // its middle is free to turn north.
    for (s, t) in [(g(0, 1), g(0, 5)), (g(3, 3), g(4, 5))] {
        let (x, y) = (b.route(s, t).unwrap().0, free.route(s, t).unwrap().0);
        assert!((x - y).abs() < 0.002, "{s}->{t}: {x} vs {y}");
    }
}

#[test]
fn a_conditional_restriction_that_always_holds_is_applied() {
    let mut f = ladder();
    f.relation(
        932,
        &[
            (MemberType::Way, 11, "from"),
            (MemberType::Node, g(3, 1), "via"),
            (MemberType::Way, 12, "to"),
        ],
        &[
            ("type", "restriction"),
            ("restriction:conditional", "no_straight_on @ (24/7)"),
        ],
    );
    let b = build(&f, "car");
    let free = build(&ladder(), "car");
    assert_eq!(b.summary.restrictions.applied, 1);
    assert_eq!(b.summary.restrictions.skipped_conditional, 0);
    let (x, y) = (
        b.route(g(0, 1), g(6, 1)).unwrap().0,
        free.route(g(0, 1), g(6, 1)).unwrap().0,
    );
    assert!(x > y + 20.0, "{x} vs {y}");
}

#[test]
fn only_u_turn_at_a_junction_is_honoured() {
    // From the south arm, the only way on at (3,3) is back south: a U-turn at a
    // junction, where none is allowed without the relation.
    let mut f = long_cross();
    f.relation(
        921,
        &[
            (MemberType::Way, 1, "from"),
            (MemberType::Node, g(3, 3), "via"),
            (MemberType::Way, 1, "to"),
        ],
        &[("type", "restriction"), ("restriction", "only_u_turn")],
    );
    let b = build(&f, "car");
    assert_eq!(b.summary.restrictions.applied, 1);
    let u_turns: Vec<_> = b
        .turns()
        .into_iter()
        .filter(|t| t.1 == g(3, 3) && t.0 == t.2)
        .collect();
    assert_eq!(u_turns.len(), 1, "{u_turns:?}");
    assert_eq!(u_turns[0].0, g(0, 3));
    // So a car driving north on the south arm always comes back: the arm is
    // entered from the junction but never left (a trap, out of the main component).
    assert!(b.route(g(0, 3), g(3, 0)).is_none());
    assert!(b.route(g(3, 0), g(0, 3)).is_some());
}

/// A straight street west to east through (3,3), way 1 in node order
/// (eastbound is `forward`), with `tags` on node (3,3), and a side street north
/// from (3,3) (way 2), in Monaco (right-hand traffic).
fn signed_tee(tags: &[(&str, &str)]) -> crate::fixture::Built {
    let mut f = tee(grid_at(43.73, 7.42));
    let (lat, lon) = (43.73 + 3.0 * 0.001, 7.42 + 3.0 * 0.001);
    f.node(g(3, 3), lat, lon, tags);
    build(&f, "car")
}

/// Extra seconds `b` takes over `plain` for each route, west to east, east to
/// west, side street to west, side street to east.
fn extra(b: &crate::fixture::Built, plain: &crate::fixture::Built) -> [f64; 4] {
    [
        (g(3, 0), g(3, 6)),
        (g(3, 6), g(3, 0)),
        (g(6, 3), g(3, 0)),
        (g(6, 3), g(3, 6)),
    ]
    .map(|(s, t)| b.route(s, t).unwrap().0 - plain.route(s, t).unwrap().0)
}

fn assert_extra(got: [f64; 4], want: [f64; 4], what: &str) {
    for (x, y) in got.iter().zip(want) {
        assert!((x - y).abs() < 0.002, "{what}: {got:?} vs {want:?}");
    }
}

#[test]
fn issue_15_a_directed_signal_delays_only_traffic_arriving_its_way() {
    let plain = signed_tee(&[]);
    let both = signed_tee(&[("highway", "traffic_signals")]);
    assert_extra(extra(&both, &plain), [2.0; 4], "no direction");
    let fwd = signed_tee(&[
        ("highway", "traffic_signals"),
        ("traffic_signals:direction", "forward"),
    ]);
    // Way 2 runs north from (3,3): arriving from the side street is against
    // its node order, so `forward` does not bind it.
    assert_extra(extra(&fwd, &plain), [2.0, 0.0, 0.0, 0.0], "forward");
    let back = signed_tee(&[("highway", "traffic_signals"), ("direction", "backward")]);
    assert_extra(extra(&back, &plain), [0.0, 2.0, 2.0, 2.0], "backward");
}

#[test]
fn issue_15_stop_and_give_way_signs_cost_what_the_turn_does_not_already() {
    let plain = signed_tee(&[]);
    // From the side street (south-bound), west is a right turn (near side, 2.1
    // s in the angle table), east a left turn (far side, 5.4 s + 1.9 s wait).
    let stop = signed_tee(&[("highway", "stop"), ("stop", "all")]);
    assert_extra(
        extra(&stop, &plain),
        [4.0, 4.0, 4.0 - 2.1, 0.0],
        "all-way stop",
    );
    let give_way = signed_tee(&[("highway", "give_way")]);
    assert_extra(extra(&give_way, &plain), [1.0, 1.0, 0.0, 0.0], "give way");
    // A stop for eastbound traffic only (`direction=forward` on way 1).
    let east = signed_tee(&[("highway", "stop"), ("direction", "forward")]);
    assert_extra(extra(&east, &plain), [4.0, 0.0, 0.0, 0.0], "forward");
    assert_eq!(stop.summary.stop_nodes, 1);
    assert_eq!(give_way.summary.give_way_nodes, 1);
}
