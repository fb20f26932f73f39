//! The `motorcycle` profile table.

use super::{CAR, Profile, RegionalRules};

/// A motorcycle: the car network plus good tracks, `motorcycle` access and
/// restrictions, a little faster in town; in Vietnam, [`MOTORCYCLE_VIETNAM`].
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
    access_keys: ACCESS_KEYS,
    restriction_keys: RESTRICTION_KEYS,
    except_values: EXCEPT_VALUES,
    implied_oneway: IMPLIED_ONEWAY,
    // The barriers a car passes without access tags; `motorcycle_barrier` is not one.
    passable_barriers: CAR.passable_barriers,
    max_speed_kmh: 130.0,
    maxspeed_factor: 0.85,
    ferry_speed_kmh: 5.0,
    // A motorcycle turns, waits at signals and U-turns as a car does.
    turns: CAR.turns,
    closed_classes: &[],
    oneway_keys: ONEWAY_KEYS,
    // Stones and loose ground slow a motorcycle at least as much as a car.
    surface_speeds: CAR.surface_speeds,
    regional: &[RegionalRules {
        region: "Vietnam",
        areas: VIETNAM_AREAS,
        profile: &MOTORCYCLE_VIETNAM,
    }],
};

/// Access keys from general to specific; `motorcycle` decides.
const ACCESS_KEYS: &[&str] = &["access", "vehicle", "motor_vehicle", "motorcycle"];
/// Restriction keys besides `restriction`.
const RESTRICTION_KEYS: &[&str] = &["restriction:motorcycle"];
/// `except` values that exempt a motorcycle.
const EXCEPT_VALUES: &[&str] = &["motorcycle", "motor_vehicle", "vehicle"];
/// Classes that are oneway unless tagged otherwise.
const IMPLIED_ONEWAY: &[&str] = &["motorway", "motorway_link"];
/// `oneway:motorcycle` overrides `oneway`, and so does `motorcycle:oneway`: the
/// form Ho Chi Minh City's mappers use (74 ways in the 2018 extract against 2 with
/// `oneway:motorcycle`; PROFILES.md, "Motorcycle in Vietnam").
const ONEWAY_KEYS: &[&str] = &["oneway:motorcycle", "motorcycle:oneway"];

/// Boxes inside Vietnam with no neighbouring country in them (Cambodia's
/// Parrot's Beak reaches 106.2 E at 11 N, Laos and Cambodia 107.7 E at 14 to 15 N, China 21.55 N
/// at Mong Cai): the Mekong delta and south coast, Ho Chi Minh City and the
/// south-east, the central coast up to Hue, the Red River delta with Hanoi and
/// Hai Phong. A city elsewhere in Vietnam needs a row.
const VIETNAM_AREAS: &[(f64, f64, f64, f64)] = &[
    (104.4, 8.3, 109.5, 10.35),
    (106.3, 10.35, 109.5, 11.4),
    (107.8, 11.4, 109.5, 16.3),
    (105.5, 20.2, 107.8, 21.45),
];

/// A motorcycle in Vietnam's cities (PROFILES.md, "Motorcycle in Vietnam"):
/// expressways closed by law, speeds from Ho Chi Minh City's measured averages.
pub const MOTORCYCLE_VIETNAM: Profile = Profile {
    name: "motorcycle",
    // Measured average over legal limit, 20.9 / 50 = 0.42, times the urban
    // limit the class usually carries: 60 on divided roads, 50 on others, 40
    // where mopeds and alleys set the pace. See PROFILES.md for the sources.
    highways: &[
        ("motorway", 50.0),
        ("motorway_link", 25.0),
        ("trunk", 25.0),
        ("trunk_link", 17.0),
        ("primary", 25.0),
        ("primary_link", 17.0),
        ("secondary", 21.0),
        ("secondary_link", 17.0),
        ("tertiary", 21.0),
        ("tertiary_link", 17.0),
        ("unclassified", 17.0),
        ("residential", 17.0),
        ("living_street", 10.0),
        ("service", 12.0),
        ("road", 17.0),
        ("track", 10.0),
    ],
    access_keys: ACCESS_KEYS,
    restriction_keys: RESTRICTION_KEYS,
    except_values: EXCEPT_VALUES,
    implied_oneway: IMPLIED_ONEWAY,
    // The barriers a car passes without access tags; `motorcycle_barrier` is not one.
    passable_barriers: CAR.passable_barriers,
    // The legal maximum for motorcycles outside built-up areas.
    max_speed_kmh: 70.0,
    maxspeed_factor: 0.42,
    ferry_speed_kmh: 5.0,
    // A motorcycle turns, waits at signals and U-turns as a car does.
    turns: CAR.turns,
    // Expressways (tagged motorway in Vietnam) are closed to motorcycles by law.
    closed_classes: &["motorway", "motorway_link"],
    oneway_keys: ONEWAY_KEYS,
    regional: &[],
    surface_speeds: CAR.surface_speeds,
};
