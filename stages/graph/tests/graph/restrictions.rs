//! Turn restrictions on a cross junction: every supported form is honoured by
//! the CH and the oracle alike; unsupported and broken ones are counted.

use hexmatrix_osm::fixture::{FixtureBuilder, MemberType};

use crate::fixture::{Built, build, grid, grid_id as g};

// A cross centred on C = (3,3) with one segment per arm, so that the places to
// turn round are the dead ends and C (U-turns: PROFILES.md, "Turns"): arms south (way 1: (0,3)->C), north (2: C->(6,3)),
// west (3: (3,0)->C), east (4: C->(3,6)). Every arm is two-way.
const C: (i32, i32) = (3, 3);

fn cross() -> FixtureBuilder {
    let mut f = grid();
    let road = [("highway", "residential")];
    f.way(1, &[g(0, 3), g(C.0, C.1)], &road);
    f.way(2, &[g(C.0, C.1), g(6, 3)], &road);
    f.way(3, &[g(3, 0), g(C.0, C.1)], &road);
    f.way(4, &[g(C.0, C.1), g(3, 6)], &road);
    f
}

fn restriction(f: &mut FixtureBuilder, id: i64, from: i64, to: i64, tags: &[(&str, &str)]) {
    let mut all = vec![("type", "restriction")];
    all.extend_from_slice(tags);
    f.relation(
        id,
        &[
            (MemberType::Way, from, "from"),
            (MemberType::Node, g(C.0, C.1), "via"),
            (MemberType::Way, to, "to"),
        ],
        &all,
    );
}

/// South end to west end: free, it is a plain left turn at C.
fn south_to_west(b: &Built) -> f64 {
    b.route(g(0, 3), g(3, 0)).unwrap().0
}

fn free() -> f64 {
    south_to_west(&build(&cross(), "car"))
}

#[test]
fn no_turn_forces_a_detour() {
    let mut f = cross();
    restriction(&mut f, 900, 1, 3, &[("restriction", "no_left_turn")]);
    let b = build(&f, "car");
    assert_eq!(b.summary.restrictions.applied, 1);
    assert_eq!(b.restriction_rows(), 1);
    // The only legal way: on to a dead end, turn round, come back, turn.
    let detour = south_to_west(&b);
    assert!(detour > free() + 2.0 * 20.0, "{detour}");
    // The reverse direction is unaffected.
    let reverse = build(&cross(), "car").route(g(3, 0), g(0, 3)).unwrap().0;
    assert!((b.route(g(3, 0), g(0, 3)).unwrap().0 - reverse).abs() < 0.01);
}

#[test]
fn only_turn_bans_every_other_exit() {
    let mut f = cross();
    restriction(&mut f, 901, 1, 2, &[("restriction", "only_straight_on")]);
    let b = build(&f, "car");
    assert_eq!(b.summary.restrictions.applied, 1);
    assert!(south_to_west(&b) > free() + 40.0);
    let east = b.route(g(0, 3), g(3, 6)).unwrap().0;
    let west_to_east = b.route(g(3, 0), g(3, 6)).unwrap().0;
    assert!(east > west_to_east + 40.0, "east {east}");
    // Straight on is as fast as without the rule.
    let straight = b.route(g(0, 3), g(6, 3)).unwrap().0;
    let unrestricted = build(&cross(), "car").route(g(0, 3), g(6, 3)).unwrap().0;
    assert!((straight - unrestricted).abs() < 0.01);
}

#[test]
fn vehicle_specific_keys_and_except() {
    let mut f = cross();
    restriction(
        &mut f,
        902,
        1,
        3,
        &[("restriction:motorcar", "no_left_turn")],
    );
    let car = build(&f, "car");
    let moto = build(&f, "motorcycle");
    assert!(south_to_west(&car) > free() + 40.0);
    assert_eq!(moto.summary.restrictions.applied, 0);

    let mut f = cross();
    restriction(
        &mut f,
        903,
        1,
        3,
        &[
            ("restriction", "no_left_turn"),
            ("except", "bicycle;motorcar"),
        ],
    );
    let car = build(&f, "car");
    let moto = build(&f, "motorcycle");
    assert_eq!(car.summary.restrictions.skipped_except, 1);
    assert!((south_to_west(&car) - free()).abs() < 0.01);
    assert_eq!(moto.summary.restrictions.applied, 1);
}

#[test]
fn no_u_turn_and_no_entry_with_several_from_ways() {
    let mut f = cross();
    restriction(&mut f, 904, 2, 2, &[("restriction", "no_u_turn")]);
    f.relation(
        905,
        &[
            (MemberType::Way, 1, "from"),
            (MemberType::Way, 4, "from"),
            (MemberType::Node, g(C.0, C.1), "via"),
            (MemberType::Way, 3, "to"),
        ],
        &[("type", "restriction"), ("restriction", "no_entry")],
    );
    let b = build(&f, "car");
    assert_eq!(b.summary.restrictions.applied, 2);
    assert_eq!(b.restriction_rows(), 3);
    // West arm reachable from the north only (and by detours).
    assert!(south_to_west(&b) > free() + 40.0);
    assert!(b.route(g(6, 3), g(3, 0)).is_some());
}

#[test]
fn broken_via_way_timed_conditional_and_malformed_are_counted_not_applied() {
    let mut f = cross();
    // The via way (north arm) does not reach the to way (east arm).
    f.relation(
        910,
        &[
            (MemberType::Way, 1, "from"),
            (MemberType::Way, 2, "via"),
            (MemberType::Way, 4, "to"),
        ],
        &[("type", "restriction"), ("restriction", "no_left_turn")],
    );
    f.relation(
        911,
        &[
            (MemberType::Way, 1, "from"),
            (MemberType::Node, g(C.0, C.1), "via"),
        ],
        &[("type", "restriction"), ("restriction", "no_left_turn")],
    );
    // Via node not on the to way.
    f.relation(
        912,
        &[
            (MemberType::Way, 1, "from"),
            (MemberType::Node, g(0, 3), "via"),
            (MemberType::Way, 3, "to"),
        ],
        &[("type", "restriction"), ("restriction", "no_left_turn")],
    );
    restriction(&mut f, 913, 1, 3, &[("restriction", "give_way")]);
    restriction(
        &mut f,
        914,
        1,
        3,
        &[(
            "restriction:conditional",
            "no_left_turn @ (Mo-Fr 07:00-09:00)",
        )],
    );
    // A to-way that does not exist in the file.
    restriction(&mut f, 915, 1, 77, &[("restriction", "no_left_turn")]);
    let b = build(&f, "car");
    let r = b.summary.restrictions;
    assert_eq!(r.applied, 0, "{r:?}");
    assert_eq!(r.via_way, 0, "{r:?}");
    assert_eq!(r.malformed, 4, "{r:?}");
    assert_eq!(r.skipped_conditional, 1, "{r:?}");
    assert_eq!(r.not_routable, 1, "{r:?}");
    assert!((south_to_west(&b) - free()).abs() < 0.01);
}

#[test]
fn two_only_rules_from_one_way_allow_both_exits() {
    let mut f = cross();
    restriction(&mut f, 906, 1, 2, &[("restriction", "only_straight_on")]);
    restriction(&mut f, 907, 1, 3, &[("restriction", "only_left_turn")]);
    let b = build(&f, "car");
    let free = build(&cross(), "car");
    assert_eq!(b.summary.restrictions.applied, 2);
    for to in [g(6, 3), g(3, 0)] {
        let (x, y) = (
            b.route(g(0, 3), to).unwrap().0,
            free.route(g(0, 3), to).unwrap().0,
        );
        assert!((x - y).abs() < 0.002, "->{to}: {x} vs {y}");
    }
    let (x, y) = (
        b.route(g(0, 3), g(3, 6)).unwrap().0,
        free.route(g(0, 3), g(3, 6)).unwrap().0,
    );
    assert!(x > y + 40.0, "east {x} vs {y}");
}

/// Issue 15: a way that turn restrictions close on every entry, and one they close
/// on every exit, are strongly connected to the cross on the road graph, yet no
/// legal route reaches the first or leaves the second. Their far ends must not be
/// in the main component, or the matrix would snap cells there (Heidelberg's
/// service way 236819759).
#[test]
fn issue_15_ways_closed_by_restrictions_are_not_main() {
    let mut f = cross();
    let service = [("highway", "service")];
    // Way 5, C -> (5,5): no way in. Way 6, C -> (1,1): no way out.
    f.way(5, &[g(C.0, C.1), g(5, 5)], &service);
    f.way(6, &[g(C.0, C.1), g(1, 1)], &service);
    let via = (MemberType::Node, g(C.0, C.1), "via");
    let mut members = vec![
        (MemberType::Way, 1, "from"),
        (MemberType::Way, 2, "from"),
        (MemberType::Way, 3, "from"),
        (MemberType::Way, 4, "from"),
        (MemberType::Way, 6, "from"),
    ];
    members.extend([via, (MemberType::Way, 5, "to")]);
    f.relation(
        920,
        &members,
        &[("type", "restriction"), ("restriction", "no_entry")],
    );
    let mut members = vec![(MemberType::Way, 6, "from"), via];
    members.extend((1..=5).map(|w| (MemberType::Way, w, "to")));
    f.relation(
        921,
        &members,
        &[("type", "restriction"), ("restriction", "no_exit")],
    );
    let b = build(&f, "car");
    assert_eq!(b.summary.restrictions.applied, 2);
    // The road graph alone has one component of all seven nodes.
    assert_eq!(b.summary.nodes, 7);
    assert_eq!(
        b.main_ids(),
        vec![g(0, 3), g(3, 0), g(3, 3), g(3, 6), g(6, 3)]
    );
    assert_eq!(b.summary.main_nodes, 5);
    // Way 5 can be left but not reached; way 6 reached but not left.
    assert!(b.route(g(0, 3), g(5, 5)).is_none());
    assert!(b.route(g(5, 5), g(0, 3)).is_some());
    assert!(b.route(g(0, 3), g(1, 1)).is_some());
    assert!(b.route(g(1, 1), g(0, 3)).is_none());
    // Without the relations both ways are main.
    let mut f = cross();
    f.way(5, &[g(C.0, C.1), g(5, 5)], &service);
    f.way(6, &[g(C.0, C.1), g(1, 1)], &service);
    assert_eq!(build(&f, "car").summary.main_nodes, 7);
}
