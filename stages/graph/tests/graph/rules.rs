//! One hand-made fixture per tag rule: classes, access, oneway, maxspeed,
//! ferries, barriers, construction.

use hexmatrix_osm::fixture::FixtureBuilder;

use crate::fixture::{build, grid, grid_at, grid_id as g};

/// A straight road along row 3 from col 0 to col 6, split into two ways at col 3.
fn row_road(f: &mut FixtureBuilder, first: &[(&str, &str)], second: &[(&str, &str)]) {
    f.way(1, &[g(3, 0), g(3, 1), g(3, 2), g(3, 3)], first);
    f.way(2, &[g(3, 3), g(3, 4), g(3, 5), g(3, 6)], second);
}

#[test]
fn classes_route_and_footways_do_not() {
    let mut f = grid();
    row_road(
        &mut f,
        &[("highway", "residential")],
        &[("highway", "footway")],
    );
    f.way(3, &[g(0, 0), g(0, 1)], &[("highway", "construction")]);
    f.way(4, &[g(1, 0), g(1, 1)], &[("highway", "proposed")]);
    let b = build(&f, "car");
    assert!(b.route(g(3, 0), g(3, 3)).is_some());
    assert!(
        !b.has_node(g(3, 5)),
        "footway nodes are not in the car graph"
    );
    assert!(
        !b.has_node(g(0, 1)) && !b.has_node(g(1, 1)),
        "construction/proposed are excluded"
    );
    let edges = b.edges();
    assert_eq!(edges.len(), 6, "3 segments, both directions");
    assert!(
        edges
            .iter()
            .all(|e| e.highway == "residential" && e.way == 1)
    );
    // Default residential speed 25 km/h; haversine length.
    for e in &edges {
        assert!((e.duration_s - e.distance_m / (25.0 / 3.6)).abs() < 1e-9);
        assert!((e.distance_m - 90.1).abs() < 1.0, "{e:?}");
    }
}

#[test]
fn oneway_forward_backward_and_implied() {
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 1), g(0, 2)],
        &[("highway", "residential"), ("oneway", "yes")],
    );
    f.way(
        2,
        &[g(1, 0), g(1, 1), g(1, 2)],
        &[("highway", "residential"), ("oneway", "-1")],
    );
    f.way(3, &[g(2, 0), g(2, 1), g(2, 2)], &[("highway", "motorway")]);
    f.way(
        4,
        &[g(3, 0), g(3, 1), g(3, 2)],
        &[("highway", "motorway"), ("oneway", "no")],
    );
    f.way(
        5,
        &[g(4, 0), g(4, 1), g(4, 2)],
        &[("highway", "primary"), ("junction", "roundabout")],
    );
    f.way(
        6,
        &[g(5, 0), g(5, 1), g(5, 2)],
        &[("highway", "primary"), ("oneway", "reversible")],
    );
    let b = build(&f, "car");
    assert!(b.route(g(0, 0), g(0, 2)).is_some() && b.route(g(0, 2), g(0, 0)).is_none());
    assert!(b.route(g(1, 0), g(1, 2)).is_none() && b.route(g(1, 2), g(1, 0)).is_some());
    assert!(b.route(g(2, 0), g(2, 2)).is_some() && b.route(g(2, 2), g(2, 0)).is_none());
    assert!(b.route(g(3, 0), g(3, 2)).is_some() && b.route(g(3, 2), g(3, 0)).is_some());
    assert!(b.route(g(4, 0), g(4, 2)).is_some() && b.route(g(4, 2), g(4, 0)).is_none());
    assert!(!b.has_node(g(5, 1)), "reversible roads are left out");
}

#[test]
fn directional_access_closes_one_direction_only() {
    // A street whose lane against the node order is a bus lane (Porto's
    // Avenida de Fernão de Magalhães, way 549266404), and one closed forward.
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 1), g(0, 2)],
        &[
            ("highway", "primary"),
            ("psv:backward", "designated"),
            ("motorcycle:backward", "designated"),
            ("motor_vehicle:backward", "no"),
        ],
    );
    f.way(
        2,
        &[g(1, 0), g(1, 1), g(1, 2)],
        &[("highway", "residential"), ("access:forward", "no")],
    );
    let car = build(&f, "car");
    assert!(car.route(g(0, 0), g(0, 2)).is_some() && car.route(g(0, 2), g(0, 0)).is_none());
    assert!(car.route(g(1, 0), g(1, 2)).is_none() && car.route(g(1, 2), g(1, 0)).is_some());
    let moto = build(&f, "motorcycle");
    assert!(
        moto.route(g(0, 2), g(0, 0)).is_some(),
        "motorcycles may use the bus lane"
    );
}

#[test]
fn access_tags_hierarchy() {
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 1)],
        &[("highway", "service"), ("access", "private")],
    );
    f.way(
        2,
        &[g(1, 0), g(1, 1)],
        &[
            ("highway", "service"),
            ("access", "no"),
            ("motor_vehicle", "yes"),
        ],
    );
    f.way(
        3,
        &[g(2, 0), g(2, 1)],
        &[
            ("highway", "residential"),
            ("motor_vehicle", "agricultural"),
        ],
    );
    f.way(
        4,
        &[g(3, 0), g(3, 1)],
        &[("highway", "residential"), ("access", "destination")],
    );
    f.way(
        5,
        &[g(4, 0), g(4, 1)],
        &[("highway", "primary"), ("motorcar", "no")],
    );
    f.way(
        6,
        &[g(5, 0), g(5, 1)],
        &[("highway", "primary"), ("motorcycle", "no")],
    );
    let car = build(&f, "car");
    let moto = build(&f, "motorcycle");
    let ways = |b: &crate::fixture::Built| {
        let mut w: Vec<i64> = b.edges().iter().map(|e| e.way).collect();
        w.dedup();
        w
    };
    assert_eq!(ways(&car), vec![2, 4, 6]);
    assert_eq!(ways(&moto), vec![2, 4, 5]);
}

#[test]
fn maxspeed_forms_set_durations() {
    let mut f = grid();
    let rows: [(&str, f64); 5] = [
        ("50", 50.0),
        ("30 mph", 30.0 * 1.609_344),
        ("RO:urban", 50.0),
        ("60;40", 40.0),
        ("DE:zone:30", 30.0),
    ];
    for (i, (v, _)) in rows.iter().enumerate() {
        let r = i as i32;
        f.way(
            10 + i as i64,
            &[g(r, 0), g(r, 1)],
            &[("highway", "primary"), ("maxspeed", v)],
        );
    }
    f.way(
        20,
        &[g(5, 0), g(5, 1)],
        &[("highway", "primary"), ("maxspeed", "9000")],
    );
    f.way(
        21,
        &[g(6, 0), g(6, 1)],
        &[("highway", "primary"), ("maxspeed", "quick")],
    );
    let b = build(&f, "car");
    assert_eq!(
        (b.summary.maxspeed_absurd, b.summary.maxspeed_unparsed),
        (1, 1)
    );
    for e in b.edges() {
        let kmh = e.distance_m / e.duration_s * 3.6;
        let expected = match e.way {
            10..=14 => rows[(e.way - 10) as usize].1 * 0.8,
            _ => 65.0, // primary default: bad values are ignored
        };
        assert!(
            (kmh - expected).abs() < 1e-6,
            "way {} {kmh} vs {expected}",
            e.way
        );
    }
}

#[test]
fn ferry_with_and_without_duration() {
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 3), g(0, 6)],
        &[("route", "ferry"), ("duration", "00:25")],
    );
    f.way(2, &[g(6, 0), g(6, 6)], &[("route", "ferry")]);
    f.way(
        3,
        &[g(3, 0), g(3, 6)],
        &[("route", "ferry"), ("motor_vehicle", "no")],
    );
    let b = build(&f, "car");
    let (secs, metres) = b.route(g(0, 0), g(0, 6)).unwrap();
    assert!((secs - 1500.0).abs() < 0.002, "{secs}");
    assert!((metres - 541.0).abs() < 2.0, "{metres}");
    let (secs, metres) = b.route(g(6, 6), g(6, 0)).unwrap();
    assert!((secs - metres / (5.0 / 3.6)).abs() < 0.002, "{secs}");
    assert!(!b.has_node(g(3, 0)));
    assert!(b.edges().iter().all(|e| e.highway == "ferry"));
}

#[test]
fn barriers_block_unless_passable_or_allowed() {
    let mut f = grid();
    f.node(g(0, 1), 35.9, 14.501, &[("barrier", "bollard")]);
    f.node(g(1, 1), 35.901, 14.501, &[("barrier", "gate")]);
    f.node(
        g(2, 1),
        35.902,
        14.501,
        &[("barrier", "gate"), ("locked", "yes")],
    );
    f.node(g(3, 1), 35.903, 14.501, &[("barrier", "lift_gate")]);
    f.node(
        g(4, 1),
        35.904,
        14.501,
        &[("barrier", "lift_gate"), ("access", "private")],
    );
    for r in 0..5 {
        f.way(
            1 + i64::from(r),
            &[g(r, 0), g(r, 1), g(r, 2)],
            &[("highway", "residential")],
        );
    }
    f.way(
        6,
        &[g(5, 0), g(5, 1), g(5, 2)],
        &[("highway", "residential")],
    );
    let b = build(&f, "car");
    assert_eq!(b.summary.blocked_nodes, 3);
    assert!(b.route(g(0, 0), g(0, 2)).is_none(), "bollard");
    assert!(b.route(g(1, 0), g(1, 2)).is_some(), "gate");
    assert!(b.route(g(2, 0), g(2, 2)).is_none(), "locked gate");
    assert!(b.route(g(3, 0), g(3, 2)).is_some(), "lift gate");
    assert!(b.route(g(4, 0), g(4, 2)).is_none(), "private lift gate");
    // Opening a gate or a lift gate costs its delay; the plain road beside does not.
    let plain = b.route(g(5, 0), g(5, 2)).unwrap().0;
    for (row, what) in [(1, "gate"), (3, "lift gate")] {
        let through = b.route(g(row, 0), g(row, 2)).unwrap().0;
        let delay = through - plain;
        assert!(
            (delay - hexmatrix_graph::profile::GATE_DELAY_S).abs() < 0.01,
            "{what}: {delay}"
        );
    }
}

#[test]
fn only_the_largest_component_is_main() {
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 1), g(0, 2), g(0, 3)],
        &[("highway", "residential")],
    );
    f.way(2, &[g(6, 0), g(6, 1)], &[("highway", "residential")]);
    let b = build(&f, "car");
    assert_eq!(
        (b.summary.nodes, b.summary.main_nodes, b.summary.components),
        (6, 4, 2)
    );
    assert_eq!(b.main_ids(), vec![g(0, 0), g(0, 1), g(0, 2), g(0, 3)]);
    assert!(b.route(g(0, 0), g(6, 1)).is_none());
}

#[test]
fn motorcycles_in_vietnam_keep_off_expressways_and_ride_at_measured_speeds() {
    // The same two roads in Ho Chi Minh City and in Malta: an expressway along
    // row 0 and a residential street along row 3, joined by a residential column.
    let roads = |f: &mut FixtureBuilder| {
        f.way(
            1,
            &[g(0, 0), g(0, 1), g(0, 2)],
            &[("highway", "motorway"), ("oneway", "no")],
        );
        f.way(
            2,
            &[g(3, 0), g(3, 1), g(3, 2)],
            &[("highway", "residential")],
        );
        f.way(
            3,
            &[g(0, 2), g(1, 2), g(2, 2), g(3, 2)],
            &[("highway", "residential")],
        );
    };
    let mut saigon = grid_at(10.77, 106.70);
    roads(&mut saigon);
    let moto = build(&saigon, "motorcycle");
    assert_eq!(moto.summary.region.as_deref(), Some("Vietnam"));
    assert_eq!(moto.summary.profile, "motorcycle");
    assert!(
        !moto.has_node(g(0, 0)),
        "the expressway is closed to motorcycles"
    );
    for e in moto.edges() {
        assert_eq!(e.highway, "residential");
        assert!(
            (e.duration_s - e.distance_m / (17.0 / 3.6)).abs() < 1e-9,
            "{e:?}"
        );
    }
    let car = build(&saigon, "car");
    assert_eq!(car.summary.region, None);
    assert!(
        car.route(g(0, 0), g(3, 0)).is_some(),
        "cars take the expressway"
    );

    let mut malta = grid();
    roads(&mut malta);
    let moto = build(&malta, "motorcycle");
    assert_eq!(moto.summary.region, None);
    assert!(
        moto.route(g(0, 0), g(3, 0)).is_some(),
        "outside Vietnam it is open"
    );
}

#[test]
fn saigon_motorcycles_ride_against_car_oneways_and_keep_off_passenger_boats() {
    // Tagged as in Ho Chi Minh City's 2018 extract: a street oneway for cars that
    // motorcycles ride both ways with `motorcycle:oneway=no` (as OSM way 32587529,
    // Nguyen Thai Son), a detour round it, and a passenger hydrofoil (as way
    // 78499768 to Vung Tau: `foot=yes`, `motorcar=no`, no motorcycle tag).
    let mut f = grid_at(10.77, 106.70);
    f.way(
        1,
        &[g(0, 0), g(0, 1), g(0, 2)],
        &[
            ("highway", "tertiary"),
            ("oneway", "yes"),
            ("motorcycle:oneway", "no"),
        ],
    );
    f.way(
        2,
        &[
            g(0, 2),
            g(1, 2),
            g(2, 2),
            g(2, 1),
            g(2, 0),
            g(1, 0),
            g(0, 0),
        ],
        &[("highway", "residential")],
    );
    f.way(
        3,
        &[g(2, 0), g(4, 0), g(6, 0)],
        &[
            ("route", "ferry"),
            ("duration", "1:30"),
            ("foot", "yes"),
            ("motorcar", "no"),
        ],
    );
    let moto = build(&f, "motorcycle");
    assert_eq!(moto.summary.region.as_deref(), Some("Vietnam"));
    let car = build(&f, "car");
    let (_, along) = moto.route(g(0, 0), g(0, 2)).unwrap();
    let (_, back) = moto.route(g(0, 2), g(0, 0)).unwrap();
    assert!((along - back).abs() < 1e-6, "{along} {back}");
    let (_, car_back) = car.route(g(0, 2), g(0, 0)).unwrap();
    assert!(
        car_back > 2.0 * back,
        "cars take the detour: {car_back} vs {back}"
    );
    assert!(
        !moto.has_node(g(6, 0)) && !car.has_node(g(6, 0)),
        "the hydrofoil carries neither"
    );
}

/// A street `motor_vehicle=destination` (way 2) between two open streets, and an
/// open detour round it (way 4).
fn destination_street(value: &str) -> hexmatrix_osm::fixture::FixtureBuilder {
    destination_street_keyed("motor_vehicle", value)
}

/// [`destination_street`] with the access tag `key=value` on way 2.
fn destination_street_keyed(key: &str, value: &str) -> hexmatrix_osm::fixture::FixtureBuilder {
    let mut f = grid();
    let road = [("highway", "residential")];
    f.way(1, &[g(0, 0), g(0, 1)], &road);
    f.way(
        2,
        &[g(0, 1), g(0, 2), g(0, 3)],
        &[("highway", "residential"), (key, value)],
    );
    f.way(3, &[g(0, 3), g(0, 4)], &road);
    f.way(4, &[g(0, 1), g(3, 1), g(3, 3), g(0, 3)], &road);
    f
}

#[test]
fn issue_15_destination_access_admits_no_through_traffic() {
    let b = build(&destination_street("destination"), "car");
    let open = build(&destination_street("yes"), "car");
    // Through: round the detour, not along the street.
    let (through, _) = b.route(g(0, 0), g(0, 4)).unwrap();
    let (direct, _) = open.route(g(0, 0), g(0, 4)).unwrap();
    assert!(through > direct + 60.0, "{through} vs {direct}");
    // To and from the street itself: along it, as fast as if it were open.
    for (s, t) in [(g(0, 0), g(0, 2)), (g(0, 2), g(0, 4)), (g(0, 2), g(0, 0))] {
        let (x, y) = (b.route(s, t).unwrap().0, open.route(s, t).unwrap().0);
        assert!((x - y).abs() < 0.002, "{s}->{t}: {x} vs {y}");
    }
    // Its nodes stay in the main component.
    assert_eq!(b.summary.main_nodes, b.summary.nodes);
    let edges = b.edges();
    assert!(edges.iter().any(|e| e.way == 2));
}

#[test]
fn issue_15_directional_destination_bars_through_traffic_one_way_only() {
    // Way 2 runs (0,1) -> (0,3): `forward` is eastbound.
    let b = build(
        &destination_street_keyed("motor_vehicle:forward", "destination"),
        "car",
    );
    let open = build(&destination_street("yes"), "car");
    let (east, _) = b.route(g(0, 0), g(0, 4)).unwrap();
    let (east_open, _) = open.route(g(0, 0), g(0, 4)).unwrap();
    assert!(east > east_open + 60.0, "{east} vs {east_open}");
    let (west, _) = b.route(g(0, 4), g(0, 0)).unwrap();
    let (west_open, _) = open.route(g(0, 4), g(0, 0)).unwrap();
    assert!((west - west_open).abs() < 0.002, "{west} vs {west_open}");
    // Eastbound to a point on the street is still allowed.
    let (to, _) = b.route(g(0, 0), g(0, 2)).unwrap();
    let (to_open, _) = open.route(g(0, 0), g(0, 2)).unwrap();
    assert!((to - to_open).abs() < 0.002, "{to} vs {to_open}");
}
