//! Tag rule tests, one per rule in PROFILES.md.

use super::*;
use crate::profile::{CAR, MOTORCYCLE, MOTORCYCLE_VIETNAM};

fn rule(tags: &[(&str, &str)]) -> Option<WayRule> {
    way_rule(&CAR, tags)
}

#[test]
fn routable_classes_and_default_speeds() {
    let r = rule(&[("highway", "residential")]).unwrap();
    assert_eq!(r.class, "residential");
    assert_eq!((r.forward_kmh, r.backward_kmh), (Some(25.0), Some(25.0)));
    for not in [
        "footway",
        "cycleway",
        "path",
        "steps",
        "construction",
        "proposed",
        "track",
        "bus_guideway",
    ] {
        assert!(rule(&[("highway", not)]).is_none(), "{not}");
    }
    assert!(rule(&[("building", "yes")]).is_none());
    // Motorcycles may take tracks; cars may not.
    assert!(way_rule(&MOTORCYCLE, &[("highway", "track")]).is_some());
}

#[test]
fn a_rough_surface_caps_the_speed() {
    let kmh = |tags: &[(&str, &str)]| rule(tags).unwrap().forward_kmh;
    // Class default 65 and limit 50 x 0.8 = 40 are both above cobblestone's 30.
    assert_eq!(
        kmh(&[("highway", "primary"), ("surface", "cobblestone")]),
        Some(30.0)
    );
    assert_eq!(
        kmh(&[
            ("highway", "primary"),
            ("maxspeed", "50"),
            ("surface", "cobblestone")
        ]),
        Some(30.0)
    );
    // A cap above the speed changes nothing; paved surfaces have none.
    assert_eq!(
        kmh(&[("highway", "residential"), ("surface", "sett")]),
        Some(25.0)
    );
    assert_eq!(
        kmh(&[("highway", "primary"), ("surface", "asphalt")]),
        Some(65.0)
    );
}

#[test]
fn construction_area_and_impassable_close_a_road() {
    assert!(rule(&[("highway", "primary"), ("construction", "yes")]).is_none());
    assert!(rule(&[("highway", "primary"), ("construction", "minor")]).is_some());
    assert!(rule(&[("highway", "service"), ("area", "yes")]).is_none());
    assert!(rule(&[("highway", "service"), ("impassable", "yes")]).is_none());
}

#[test]
fn maxspeed_sets_speed_with_factor_and_cap() {
    let r = rule(&[("highway", "primary"), ("maxspeed", "50")]).unwrap();
    assert_eq!(r.forward_kmh, Some(40.0));
    let r = rule(&[("highway", "motorway"), ("maxspeed", "none")]).unwrap();
    assert_eq!(r.forward_kmh, Some(90.0));
    let r = rule(&[("highway", "motorway"), ("maxspeed", "180")]).unwrap();
    assert_eq!(r.forward_kmh, Some(130.0));
    let r = rule(&[("highway", "primary"), ("maxspeed", "RO:urban")]).unwrap();
    assert_eq!(r.forward_kmh, Some(40.0));
    let r = rule(&[("highway", "primary"), ("maxspeed", "30 mph")]).unwrap();
    assert!((r.forward_kmh.unwrap() - 30.0 * 1.609_344 * 0.8).abs() < 1e-9);
    let r = rule(&[
        ("highway", "primary"),
        ("maxspeed", "50"),
        ("maxspeed:backward", "30"),
    ])
    .unwrap();
    assert_eq!((r.forward_kmh, r.backward_kmh), (Some(40.0), Some(24.0)));
}

#[test]
fn absurd_and_unparsed_maxspeed_fall_back_and_are_counted_once() {
    let r = rule(&[("highway", "primary"), ("maxspeed", "5000")]).unwrap();
    assert_eq!(r.forward_kmh, Some(65.0));
    assert_eq!(
        r.anomalies,
        SpeedAnomalies {
            absurd: 1,
            unparsed: 0
        }
    );
    let r = rule(&[("highway", "primary"), ("maxspeed", "fast")]).unwrap();
    assert_eq!(r.backward_kmh, Some(65.0));
    assert_eq!(
        r.anomalies,
        SpeedAnomalies {
            absurd: 0,
            unparsed: 1
        }
    );
}

#[test]
fn access_hierarchy_most_specific_wins() {
    assert!(rule(&[("highway", "service"), ("access", "private")]).is_none());
    assert!(
        rule(&[
            ("highway", "service"),
            ("access", "no"),
            ("motorcar", "yes")
        ])
        .is_some()
    );
    assert!(
        rule(&[
            ("highway", "service"),
            ("access", "yes"),
            ("motor_vehicle", "no")
        ])
        .is_none()
    );
    assert!(
        rule(&[
            ("highway", "service"),
            ("vehicle", "no"),
            ("motor_vehicle", "destination")
        ])
        .is_some()
    );
    assert!(rule(&[("highway", "track"), ("access", "agricultural")]).is_none());
    assert!(rule(&[("highway", "residential"), ("access", "destination")]).is_some());
    // Unknown values do not decide: the next, more general key does.
    assert!(
        rule(&[
            ("highway", "service"),
            ("access", "no"),
            ("motorcar", "maybe")
        ])
        .is_none()
    );
    // motorcar=no does not concern motorcycles, motorcycle=no does not concern cars.
    assert!(way_rule(&MOTORCYCLE, &[("highway", "primary"), ("motorcar", "no")]).is_some());
    assert!(way_rule(&MOTORCYCLE, &[("highway", "primary"), ("motorcycle", "no")]).is_none());
    assert!(rule(&[("highway", "primary"), ("motorcycle", "no")]).is_some());
}

#[test]
fn oneway_values_and_implied_oneway() {
    let dir = |tags: &[(&str, &str)]| {
        rule(tags).map(|r| (r.forward_kmh.is_some(), r.backward_kmh.is_some()))
    };
    for yes in ["yes", "1", "true"] {
        assert_eq!(
            dir(&[("highway", "residential"), ("oneway", yes)]),
            Some((true, false))
        );
    }
    assert_eq!(
        dir(&[("highway", "residential"), ("oneway", "-1")]),
        Some((false, true))
    );
    assert_eq!(
        dir(&[("highway", "residential"), ("oneway", "no")]),
        Some((true, true))
    );
    assert_eq!(
        dir(&[("highway", "residential"), ("oneway", "reversible")]),
        None
    );
    assert_eq!(dir(&[("highway", "motorway")]), Some((true, false)));
    assert_eq!(dir(&[("highway", "motorway_link")]), Some((true, false)));
    assert_eq!(
        dir(&[("highway", "motorway"), ("oneway", "no")]),
        Some((true, true))
    );
    assert_eq!(
        dir(&[("highway", "primary"), ("junction", "roundabout")]),
        Some((true, false))
    );
    assert_eq!(
        dir(&[("highway", "primary"), ("junction", "circular")]),
        Some((true, false))
    );
}

#[test]
fn ferries_use_duration_or_ferry_speed() {
    let r = rule(&[("route", "ferry"), ("duration", "00:25")]).unwrap();
    assert_eq!(r.class, FERRY_CLASS);
    assert_eq!(r.ferry_duration_s, Some(1500.0));
    assert_eq!(r.forward_kmh, Some(5.0));
    let r = rule(&[("route", "ferry")]).unwrap();
    assert_eq!(r.ferry_duration_s, None);
    assert!(rule(&[("route", "ferry"), ("motor_vehicle", "no")]).is_none());
    assert!(rule(&[("route", "bus")]).is_none());
}

#[test]
fn a_ferry_for_people_only_carries_no_motorcycle() {
    // Ho Chi Minh City's hydrofoil to Vung Tau (OSM way 78499768 in 2018): tagged
    // for foot, closed to cars, silent about motorcycles.
    let hydrofoil = [
        ("route", "ferry"),
        ("duration", "1:30"),
        ("foot", "yes"),
        ("motorcar", "no"),
    ];
    assert!(way_rule(&MOTORCYCLE_VIETNAM, &hydrofoil).is_none());
    assert!(way_rule(&MOTORCYCLE, &hydrofoil).is_none());
    assert!(rule(&hydrofoil).is_none());
    let bikes = [("route", "ferry"), ("bicycle", "designated")];
    assert!(way_rule(&MOTORCYCLE, &bikes).is_none());
    assert!(rule(&bikes).is_none());
    // A ferry that takes cars takes motorcycles too, unless it says otherwise.
    let cars = [("route", "ferry"), ("foot", "yes"), ("motorcar", "yes")];
    assert!(way_rule(&MOTORCYCLE, &cars).is_some());
    assert!(rule(&cars).is_some());
    let no_motorcycles = [
        ("route", "ferry"),
        ("motorcar", "yes"),
        ("motorcycle", "no"),
    ];
    assert!(way_rule(&MOTORCYCLE, &no_motorcycles).is_none());
    // The vehicle's own key decides; untagged ferries (the city's river ferries
    // such as Cat Lai) and `foot=no` keep carrying every vehicle.
    let own = [("route", "ferry"), ("foot", "yes"), ("motorcycle", "yes")];
    assert!(way_rule(&MOTORCYCLE, &own).is_some());
    assert!(rule(&own).is_none());
    for open in [
        &[("route", "ferry")][..],
        &[("route", "ferry"), ("foot", "no")],
    ] {
        assert!(way_rule(&MOTORCYCLE, open).is_some(), "{open:?}");
        assert!(rule(open).is_some(), "{open:?}");
    }
}

#[test]
fn durations_parse_in_every_tagged_form() {
    assert_eq!(parse_duration_s("1:30"), Some(5400.0));
    assert_eq!(parse_duration_s("01:30:15"), Some(5415.0));
    assert_eq!(parse_duration_s("45"), Some(2700.0));
    assert_eq!(parse_duration_s("PT1H30M"), Some(5400.0));
    assert_eq!(parse_duration_s("PT20M30S"), Some(1230.0));
    assert_eq!(parse_duration_s("soon"), None);
    assert_eq!(parse_duration_s("0"), None);
    assert_eq!(parse_duration_s("PT5"), None);
    assert_eq!(parse_duration_s("1:2:3:4"), None);
}

#[test]
fn barriers_block_unless_access_allows() {
    assert!(node_blocks(&CAR, &[("barrier", "bollard")]));
    assert!(!node_blocks(&CAR, &[("barrier", "gate")]));
    assert!(node_blocks(&CAR, &[("barrier", "gate"), ("locked", "yes")]));
    assert!(!node_blocks(
        &CAR,
        &[("barrier", "gate"), ("locked", "yes"), ("motorcar", "yes")]
    ));
    assert!(node_blocks(&CAR, &[("barrier", "chain")]));
    assert!(!node_blocks(
        &CAR,
        &[("barrier", "gate"), ("access", "yes")]
    ));
    assert!(!node_blocks(
        &CAR,
        &[("barrier", "gate"), ("motor_vehicle", "permissive")]
    ));
    assert!(node_blocks(
        &CAR,
        &[("barrier", "gate"), ("access", "private")]
    ));
    assert!(!node_blocks(&CAR, &[("barrier", "lift_gate")]));
    assert!(!node_blocks(&CAR, &[("barrier", "toll_booth")]));
    assert!(node_blocks(
        &CAR,
        &[("barrier", "lift_gate"), ("motorcar", "no")]
    ));
    assert!(node_blocks(
        &MOTORCYCLE,
        &[("barrier", "motorcycle_barrier")]
    ));
    // A motorcycle passes what a car passes.
    assert!(!node_blocks(&MOTORCYCLE, &[("barrier", "gate")]));
    assert!(node_blocks(
        &MOTORCYCLE,
        &[("barrier", "gate"), ("locked", "yes")]
    ));
    assert!(!node_blocks(&CAR, &[("highway", "traffic_signals")]));
    assert!(!node_blocks(&CAR, &[]));
}

#[test]
fn always_conditions_are_recognised_and_others_are_not() {
    for c in [
        "24/7",
        "00:00-24:00",
        "Mo-Su 00:00-24:00",
        " mo-su 00:00 - 24:00 ",
    ] {
        assert!(always(c), "{c}");
    }
    for c in ["Mo-Fr 07:00-09:00", "wet", "Sa-Su", "24/7 AND wet", ""] {
        assert!(!always(c), "{c}");
    }
}

#[test]
fn vietnam_closes_expressways_to_motorcycles_unless_their_own_key_opens_them() {
    let vn = |tags: &[(&str, &str)]| way_rule(&MOTORCYCLE_VIETNAM, tags);
    assert!(vn(&[("highway", "motorway")]).is_none());
    assert!(vn(&[("highway", "motorway_link")]).is_none());
    // A general key does not override the law; the vehicle's own key does.
    assert!(vn(&[("highway", "motorway"), ("access", "yes")]).is_none());
    assert!(vn(&[("highway", "motorway"), ("motor_vehicle", "yes")]).is_none());
    assert!(vn(&[("highway", "motorway"), ("motorcycle", "yes")]).is_some());
    assert!(vn(&[("highway", "trunk")]).is_some());
    // Elsewhere a motorcycle may take the motorway; a car may in Vietnam.
    assert!(way_rule(&MOTORCYCLE, &[("highway", "motorway")]).is_some());
    assert!(way_rule(&CAR, &[("highway", "motorway")]).is_some());
    // motorcycle=no closes any class.
    assert!(vn(&[("highway", "residential"), ("motorcycle", "no")]).is_none());
}

#[test]
fn vietnam_speeds_are_the_measured_share_of_the_limit() {
    let vn =
        |tags: &[(&str, &str)]| way_rule(&MOTORCYCLE_VIETNAM, tags).and_then(|r| r.forward_kmh);
    assert_eq!(vn(&[("highway", "residential")]), Some(17.0));
    assert_eq!(vn(&[("highway", "primary")]), Some(25.0));
    // A signed 50 km/h (the urban limit on undivided roads) gives the measured 21 km/h.
    let signed = vn(&[("highway", "primary"), ("maxspeed", "50")]).unwrap();
    assert!((signed - 21.0).abs() < 1e-9, "{signed}");
}

#[test]
fn oneway_for_the_vehicle_overrides_oneway() {
    let both = [
        ("highway", "residential"),
        ("oneway", "yes"),
        ("oneway:motorcycle", "no"),
    ];
    let dir = |p, tags: &[(&str, &str)]| {
        way_rule(p, tags).map(|r| (r.forward_kmh.is_some(), r.backward_kmh.is_some()))
    };
    assert_eq!(dir(&MOTORCYCLE, &both), Some((true, true)));
    assert_eq!(dir(&CAR, &both), Some((true, false)));
    // `motorcycle:oneway`, the form mapped in Ho Chi Minh City, counts the same.
    let saigon = [
        ("highway", "tertiary"),
        ("oneway", "yes"),
        ("motorcycle:oneway", "no"),
    ];
    assert_eq!(dir(&MOTORCYCLE_VIETNAM, &saigon), Some((true, true)));
    assert_eq!(dir(&MOTORCYCLE, &saigon), Some((true, true)));
    assert_eq!(dir(&CAR, &saigon), Some((true, false)));
    let against = [
        ("highway", "residential"),
        ("oneway", "no"),
        ("motorcycle:oneway", "-1"),
    ];
    assert_eq!(dir(&MOTORCYCLE_VIETNAM, &against), Some((false, true)));
    // An unknown value defers to `oneway`.
    let odd = [
        ("highway", "residential"),
        ("oneway", "yes"),
        ("oneway:motorcycle", "maybe"),
    ];
    assert_eq!(dir(&MOTORCYCLE, &odd), Some((true, false)));
}

#[test]
fn destination_customers_and_delivery_are_local_only() {
    let local_only = |tags: &[(&str, &str)]| directed_local_only(&CAR, tags, "forward");
    assert!(local_only(&[("motor_vehicle", "destination")]));
    assert!(local_only(&[("access", "customers")]));
    assert!(local_only(&[("vehicle", "delivery")]));
    // The most specific known key decides.
    assert!(!local_only(&[
        ("access", "destination"),
        ("motorcar", "yes")
    ]));
    assert!(!local_only(&[("access", "yes")]));
    assert!(!local_only(&[]));
    let r = rule(&[("highway", "residential"), ("access", "destination")]).unwrap();
    assert!(r.local_only_forward && r.local_only_backward);
}

#[test]
fn directional_destination_closes_one_direction_to_through_traffic() {
    let local =
        |tags: &[(&str, &str)]| rule(tags).map(|r| (r.local_only_forward, r.local_only_backward));
    // Open both ways, through traffic barred against node order only.
    assert_eq!(
        local(&[
            ("highway", "residential"),
            ("motor_vehicle:backward", "destination")
        ]),
        Some((false, true))
    );
    // The directional form is more specific than the plain key, either way round.
    assert_eq!(
        local(&[
            ("highway", "residential"),
            ("access", "destination"),
            ("motor_vehicle:forward", "yes")
        ]),
        Some((false, true))
    );
    // A less specific directional key does not override a more specific plain one.
    assert_eq!(
        local(&[
            ("highway", "residential"),
            ("vehicle:forward", "destination"),
            ("motorcar", "yes")
        ]),
        Some((false, false))
    );
    assert!(directed_local_only(
        &CAR,
        &[("motorcar:forward", "delivery")],
        "forward"
    ));
    assert!(!directed_local_only(
        &CAR,
        &[("motorcar:forward", "delivery")],
        "backward"
    ));
}

#[test]
fn directional_access_closes_one_direction() {
    let open = |tags: &[(&str, &str)]| {
        rule(tags).map(|r| (r.forward_kmh.is_some(), r.backward_kmh.is_some()))
    };
    // Porto's Avenida de Fernão de Magalhães (way 549266404): the backward lane
    // is for buses and motorcycles.
    let bus_lane = [
        ("highway", "primary"),
        ("psv:backward", "designated"),
        ("motorcycle:backward", "designated"),
        ("motor_vehicle:backward", "no"),
    ];
    assert_eq!(open(&bus_lane), Some((true, false)));
    let mc = way_rule(&MOTORCYCLE, &bus_lane).unwrap();
    assert!(mc.forward_kmh.is_some() && mc.backward_kmh.is_some());
    assert_eq!(
        open(&[("highway", "residential"), ("access:forward", "no")]),
        Some((false, true))
    );
    // The directional key is more specific than its plain key, and a more
    // specific plain key is more specific than a general directional one.
    assert_eq!(
        open(&[
            ("highway", "residential"),
            ("motor_vehicle", "no"),
            ("motor_vehicle:forward", "yes")
        ]),
        Some((true, false))
    );
    assert_eq!(
        open(&[
            ("highway", "residential"),
            ("vehicle:backward", "no"),
            ("motorcar", "yes")
        ]),
        Some((true, true))
    );
    // A oneway whose only direction is closed is not routable.
    assert_eq!(
        open(&[
            ("highway", "residential"),
            ("oneway", "yes"),
            ("motor_vehicle:forward", "no")
        ]),
        None
    );
    assert_eq!(open(&[("highway", "residential"), ("access", "no")]), None);
    assert_eq!(
        directed_access(&CAR, &[("vehicle:forwardx", "no")], "forward"),
        None
    );
}

#[test]
fn node_controls_read_their_kind_and_direction() {
    use crate::tags::{ControlKind as K, Direction as D};
    let read = |tags: &[(&str, &str)]| node_control(tags).map(|c| (c.kind, c.applies));
    assert_eq!(
        read(&[("highway", "traffic_signals")]),
        Some((K::Signal, D::Both))
    );
    assert_eq!(
        read(&[("highway", "traffic_signals"), ("direction", "backward")]),
        Some((K::Signal, D::Backward))
    );
    // The signal's own key wins over `direction`.
    assert_eq!(
        read(&[
            ("highway", "traffic_signals"),
            ("traffic_signals:direction", "forward"),
            ("direction", "backward")
        ]),
        Some((K::Signal, D::Forward))
    );
    assert_eq!(
        read(&[("highway", "stop"), ("stop:direction", "backward")]),
        Some((K::Stop, D::Backward))
    );
    assert_eq!(
        read(&[("highway", "stop"), ("stop", "all")]),
        Some((K::Stop, D::Both))
    );
    assert_eq!(
        read(&[("highway", "give_way"), ("direction", "forward")]),
        Some((K::GiveWay, D::Forward))
    );
    // A compass direction says where a sign beside the road faces, not a way
    // direction: every approach.
    assert_eq!(
        read(&[("highway", "stop"), ("direction", "NE")]),
        Some((K::Stop, D::Both))
    );
    assert_eq!(read(&[("highway", "crossing")]), None);
    assert_eq!(read(&[("barrier", "gate")]), None);
    let c = node_control(&[("highway", "give_way"), ("direction", "forward")]).unwrap();
    assert!(c.applies_to(true) && !c.applies_to(false));
}
