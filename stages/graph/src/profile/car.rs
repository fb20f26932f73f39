//! The `car` profile table.

use super::Profile;

/// Highest speed of a car on a rough or unpaved `surface`, km/h: stones, gaps and
/// loose ground slow a car whatever the class or the limit (PROFILES.md, "Speed:
/// surface"). Paved surfaces (`asphalt`, `concrete`, `paved`, …) have no cap.
const SURFACE_SPEEDS: &[(&str, f64)] = &[
    ("cement", 80.0),
    ("compacted", 80.0),
    ("fine_gravel", 80.0),
    ("paving_stones", 60.0),
    ("metal", 60.0),
    ("bricks", 60.0),
    ("grass", 40.0),
    ("wood", 40.0),
    ("sett", 40.0),
    ("grass_paver", 40.0),
    ("gravel", 40.0),
    ("unpaved", 40.0),
    ("ground", 40.0),
    ("dirt", 40.0),
    ("pebblestone", 40.0),
    ("cobblestone", 30.0),
    ("unhewn_cobblestone", 30.0),
    ("clay", 30.0),
    ("earth", 20.0),
    ("stone", 20.0),
    ("rocky", 20.0),
    ("sand", 20.0),
    ("mud", 10.0),
];

/// A car: OSRM car-like classes and speeds, `motorcar` access and restrictions.
pub const CAR: Profile = Profile {
    name: "car",
    highways: &[
        ("motorway", 90.0),
        ("motorway_link", 45.0),
        ("trunk", 85.0),
        ("trunk_link", 40.0),
        ("primary", 65.0),
        ("primary_link", 30.0),
        ("secondary", 55.0),
        ("secondary_link", 25.0),
        ("tertiary", 40.0),
        ("tertiary_link", 20.0),
        ("unclassified", 25.0),
        ("residential", 25.0),
        ("living_street", 10.0),
        ("service", 15.0),
        ("road", 20.0),
    ],
    access_keys: &["access", "vehicle", "motor_vehicle", "motorcar"],
    restriction_keys: &["restriction:motorcar"],
    except_values: &["motorcar", "motor_vehicle", "vehicle"],
    implied_oneway: &["motorway", "motorway_link"],
    // `gate`: a gate is opened and driven through unless its access tags say
    // otherwise (OSM wiki, barrier=gate; PROFILES.md, "Barriers on nodes").
    passable_barriers: &[
        "border_control",
        "toll_booth",
        "cattle_grid",
        "gate",
        "lift_gate",
        "sally_port",
        "no",
        "entrance",
        "height_restrictor",
        "arch",
        "kerb",
    ],
    max_speed_kmh: 130.0,
    maxspeed_factor: 0.8,
    ferry_speed_kmh: 5.0,
    turns: super::TurnCosts {
        // OSRM's car profile turn curve (turn_penalty 7.5 s, turn_bias 1.075)
        // evaluated at these angles, rounded to 0.1 s; the last column is the
        // far side's wait for a gap, 2 s tapered by the angle (OSRM's
        // oncoming_turn_penalty curve): see PROFILES.md, "Turns".
        by_angle: &[
            (0.0, 0.0, 0.0, 0.0),
            (30.0, 0.1, 0.2, 0.5),
            (60.0, 0.4, 1.5, 1.5),
            (90.0, 2.1, 5.4, 1.9),
            (120.0, 5.6, 7.2, 2.0),
            (150.0, 7.2, 7.5, 2.0),
            (180.0, 7.5, 7.5, 2.0),
        ],
        // OSRM's lookahead for roads without lane counts, past small mapping
        // errors at the junction node (PROFILES.md, "Turns").
        angle_lookahead_m: 10.0,
        // A car turns round in a circle of about 11 m: half of it is 17 m of
        // road, and an island between the carriageways adds to it
        // (PROFILES.md, "Turns").
        reversal_lookahead_m: 30.0,
        u_turn_s: 20.0,
        traffic_signal_s: 2.0,
        // From 25 km/h (the residential default: signs stand on minor
        // approaches), braking at 2.5 m/s² and accelerating at 2 m/s² lose
        // 1.4 + 1.7 s against driving on, plus about 1 s at a standstill; a yield
        // slows to 10 km/h and back, 1.1 s (PROFILES.md, "Stop and give-way signs").
        stop_s: 4.0,
        give_way_s: 1.0,
    },
    closed_classes: &[],
    oneway_keys: &[],
    regional: &[],
    surface_speeds: SURFACE_SPEEDS,
};
