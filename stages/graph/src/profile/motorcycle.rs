//! The `motorcycle` profile table.

use super::Profile;

/// A motorcycle: the car network plus good tracks, `motorcycle` access and
/// restrictions, a little faster in town.
pub const MOTORCYCLE: Profile = Profile {
    name: "motorcycle",
    highways: &[
        ("motorway", 95.0),
        ("motorway_link", 45.0),
        ("trunk", 85.0),
        ("trunk_link", 40.0),
        ("primary", 65.0),
        ("primary_link", 30.0),
        ("secondary", 60.0),
        ("secondary_link", 25.0),
        ("tertiary", 45.0),
        ("tertiary_link", 20.0),
        ("unclassified", 30.0),
        ("residential", 30.0),
        ("living_street", 10.0),
        ("service", 15.0),
        ("road", 20.0),
        ("track", 15.0),
    ],
    access_keys: &["access", "vehicle", "motor_vehicle", "motorcycle"],
    restriction_keys: &["restriction:motorcycle"],
    except_values: &["motorcycle", "motor_vehicle", "vehicle"],
    implied_oneway: &["motorway", "motorway_link"],
    passable_barriers: &[
        "border_control",
        "toll_booth",
        "cattle_grid",
        "lift_gate",
        "sally_port",
        "no",
        "entrance",
        "height_restrictor",
        "arch",
        "kerb",
    ],
    max_speed_kmh: 130.0,
    maxspeed_factor: 0.85,
    ferry_speed_kmh: 5.0,
    turns: super::TurnCosts {
        // OSRM's car profile turn curve (turn_penalty 7.5 s, turn_bias 1.075)
        // evaluated at these angles, rounded to 0.1 s: see PROFILES.md, "Turns".
        by_angle: &[
            (0.0, 0.0, 0.0),
            (30.0, 0.1, 0.2),
            (60.0, 0.4, 1.5),
            (90.0, 2.1, 5.4),
            (120.0, 5.6, 7.2),
            (150.0, 7.2, 7.5),
            (180.0, 7.5, 7.5),
        ],
        u_turn_s: 20.0,
        traffic_signal_s: 2.0,
    },
};
