//! Vehicle profiles as data tables: what a vehicle may drive on, how fast, and
//! which tags apply to it. The rules that read these tables live in the crate's
//! `tags` and `maxspeed` modules; `PROFILES.md` documents both.

mod car;
mod motorcycle;
mod side;

pub use car::CAR;
pub use motorcycle::{MOTORCYCLE, MOTORCYCLE_VIETNAM};
pub use side::{DrivingSide, LEFT_HAND_AREAS};

/// Barriers a vehicle passes only once they are opened: a gate swung open by
/// hand, a lift gate raised by a card or a guard (when their access tags let the
/// vehicle through at all).
pub const OPENED_BARRIERS: &[&str] = &["gate", "lift_gate", "swing_gate"];

/// Seconds that passing an [`OPENED_BARRIERS`] node adds to a route, whatever the
/// vehicle: stopping, opening (or waiting for the arm) and driving on. An
/// estimate, between Valhalla's default gate cost (30 s) and OSRM's car profile
/// (60 s); PROFILES.md, "Barriers on nodes".
pub const GATE_DELAY_S: f64 = 30.0;

/// Turn costs of a profile: what a turn at a junction, a U-turn and a traffic
/// signal add to a route's duration (see `PROFILES.md`, "Turns").
#[derive(Debug, Clone, Copy)]
pub struct TurnCosts {
    /// `(deviation in degrees, near-side seconds, far-side seconds, crossing
    /// seconds)`, ascending from 0 (straight on) to 180; costs between two rows
    /// are interpolated. The near side is the kerb side (right in right-hand
    /// traffic), the far side crosses a stream of traffic; the crossing column is
    /// the wait for a gap in it, added to far-side turns where neither road is a
    /// roundabout ([`TurnCosts::crossing`]).
    pub by_angle: &'static [(f64, f64, f64, f64)],
    /// Metres along each road from a junction between which a turn's deviation
    /// is measured: the direction the roads take across the junction, not that
    /// of the first mapped segment, which is often a short stub or the start of
    /// a bend.
    pub angle_lookahead_m: f64,
    /// Metres along the road a turn leads onto over which its whole change of
    /// heading is summed to tell a reversal: from one carriageway of a named
    /// road onto the other, back the way the vehicle came, is a U-turn even
    /// where the second carriageway only curves round within these metres.
    pub reversal_lookahead_m: f64,
    /// A U-turn where one is allowed: back along the edge just driven at a dead
    /// end (or where `only_u_turn` says), or onto the other carriageway of the
    /// same road; never at a node where the road just continues.
    pub u_turn_s: f64,
    /// Passing a traffic signal (`highway=traffic_signals`) in a direction it
    /// applies to: an average over its phases.
    pub traffic_signal_s: f64,
    /// Least time a node with a stop sign (`highway=stop`) costs in a direction
    /// it applies to: braking to a standstill, standing, accelerating again.
    /// The node costs the larger of this and the turn's angle cost.
    pub stop_s: f64,
    /// Least time a node with a give-way sign (`highway=give_way`) costs:
    /// slowing down enough to yield and speeding up again, as for `stop_s`.
    pub give_way_s: f64,
}

impl TurnCosts {
    /// Seconds of a turn that deviates by `angle_deg` (-180..=180, positive to the
    /// right) in traffic driving on `side`: the table row interpolated.
    #[must_use]
    pub fn by_deviation(&self, angle_deg: f64, side: DrivingSide) -> f64 {
        if near_side(angle_deg, side) {
            self.interpolate(angle_deg, |r| r.1)
        } else {
            self.interpolate(angle_deg, |r| r.2)
        }
    }

    /// Seconds a far-side turn of `angle_deg` waits for a gap in the traffic it
    /// crosses (0 on the near side); the caller leaves it out at roundabouts.
    #[must_use]
    pub fn crossing(&self, angle_deg: f64, side: DrivingSide) -> f64 {
        if near_side(angle_deg, side) {
            0.0
        } else {
            self.interpolate(angle_deg, |r| r.3)
        }
    }

    /// Column `cost` of the table interpolated at deviation `|angle_deg|`.
    fn interpolate(&self, angle_deg: f64, cost: impl Fn(&(f64, f64, f64, f64)) -> f64) -> f64 {
        let a = angle_deg.abs().min(180.0);
        let rows = self.by_angle;
        let Some(i) = rows.iter().position(|r| r.0 >= a) else {
            return rows.last().map_or(0.0, cost);
        };
        if i == 0 {
            return cost(&rows[0]);
        }
        let (lo, hi) = (&rows[i - 1], &rows[i]);
        let t = (a - lo.0) / (hi.0 - lo.0);
        cost(lo) + t * (cost(hi) - cost(lo))
    }
}

/// Whether a turn of `angle_deg` (positive to the right) stays on the kerb side.
fn near_side(angle_deg: f64, side: DrivingSide) -> bool {
    let turns_right = angle_deg > 0.0;
    match side {
        DrivingSide::Right => turns_right,
        DrivingSide::Left => !turns_right,
    }
}

/// A vehicle profile: pure data, interpreted by the tag rules.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Name used on the command line and in `graph.ch` (`car`, `motorcycle`).
    pub name: &'static str,
    /// Routable `highway` classes and their default speed in km/h.
    pub highways: &'static [(&'static str, f64)],
    /// Access keys from the most general to the most specific; the most
    /// specific key that is tagged decides.
    pub access_keys: &'static [&'static str],
    /// Restriction keys that apply, besides plain `restriction`.
    pub restriction_keys: &'static [&'static str],
    /// Values of a restriction's `except` tag that exempt this vehicle.
    pub except_values: &'static [&'static str],
    /// `highway` classes that are oneway unless tagged otherwise.
    pub implied_oneway: &'static [&'static str],
    /// Barrier values this vehicle passes without access tags on the node.
    pub passable_barriers: &'static [&'static str],
    /// Highest speed used, km/h (also the speed for `maxspeed=none`, capped by the class default).
    pub max_speed_kmh: f64,
    /// Tagged `maxspeed` is multiplied by this (traffic, junctions): an average, not a limit.
    pub maxspeed_factor: f64,
    /// Speed of a ferry without a `duration` tag, km/h.
    pub ferry_speed_kmh: f64,
    /// Turn, U-turn and traffic-signal costs.
    pub turns: TurnCosts,
    /// Classes closed to this vehicle unless its own access key (the last of
    /// `access_keys`) allows it: a ban by law, as on Vietnam's expressways.
    pub closed_classes: &'static [&'static str],
    /// `oneway:<vehicle>` keys that override `oneway` for this vehicle.
    pub oneway_keys: &'static [&'static str],
    /// Regions whose law or traffic make another table apply (see [`Profile::at`]).
    pub regional: &'static [RegionalRules],
    /// Highest speed (km/h) on each `surface` value that caps it, whatever the
    /// class or `maxspeed` (PROFILES.md, "Speed: surface").
    pub surface_speeds: &'static [(&'static str, f64)],
}

/// Where a profile's vehicle follows another table: a region whose law or
/// measured traffic differs from the profile's defaults.
#[derive(Debug, Clone, Copy)]
pub struct RegionalRules {
    /// The region's name, as the graph summary reports it.
    pub region: &'static str,
    /// Boxes `(min_lon, min_lat, max_lon, max_lat)` drawn inside the region so
    /// that no neighbouring country falls in one; a city outside them needs a row.
    pub areas: &'static [(f64, f64, f64, f64)],
    /// The table that applies there (same `name` as the profile it refines).
    pub profile: &'static Profile,
}

/// Every built-in profile.
pub const ALL: [&Profile; 2] = [&CAR, &MOTORCYCLE];

impl Profile {
    /// The built-in profile named `name`.
    ///
    /// # Errors
    /// [`crate::Error::UnknownProfile`] if no profile has that name.
    pub fn by_name(name: &str) -> crate::Result<&'static Profile> {
        ALL.iter()
            .copied()
            .find(|p| p.name == name)
            .ok_or_else(|| crate::Error::UnknownProfile {
                name: name.to_string(),
                known: ALL.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
            })
    }

    /// The table that applies at `lat`, `lon` (degrees) and the name of its
    /// region: a [`RegionalRules`] row whose area holds the point, else `self`.
    #[must_use]
    pub fn at(&'static self, lat: f64, lon: f64) -> (&'static Profile, Option<&'static str>) {
        self.regional
            .iter()
            .find(|r| {
                r.areas.iter().any(|(min_lon, min_lat, max_lon, max_lat)| {
                    (*min_lon..=*max_lon).contains(&lon) && (*min_lat..=*max_lat).contains(&lat)
                })
            })
            .map_or((self, None), |r| (r.profile, Some(r.region)))
    }

    /// Default speed (km/h) of a routable highway class, `None` if not routable.
    #[must_use]
    pub fn class_speed(&self, highway: &str) -> Option<f64> {
        self.highways
            .iter()
            .find(|(class, _)| *class == highway)
            .map(|(_, kmh)| *kmh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_by_name_and_unknown_is_refused() {
        assert_eq!(Profile::by_name("car").unwrap().name, "car");
        assert_eq!(Profile::by_name("motorcycle").unwrap().name, "motorcycle");
        let err = Profile::by_name("bicycle").unwrap_err().to_string();
        assert!(
            err.contains("bicycle") && err.contains("car, motorcycle"),
            "{err}"
        );
    }

    #[test]
    fn regional_tables_apply_inside_their_areas_only() {
        let vietnam = [
            (10.7769, 106.7009, "Ho Chi Minh City"),
            (10.9804, 106.6519, "Thu Dau Mot"),
            (10.0452, 105.7469, "Can Tho"),
            (16.0544, 108.2022, "Da Nang"),
            (12.2388, 109.1967, "Nha Trang"),
            (21.0278, 105.8342, "Hanoi"),
            (20.8449, 106.6881, "Hai Phong"),
        ];
        for (lat, lon, city) in vietnam {
            let (table, region) = MOTORCYCLE.at(lat, lon);
            assert_eq!(region, Some("Vietnam"), "{city}");
            assert!(std::ptr::eq(table, &MOTORCYCLE_VIETNAM), "{city}");
            assert_eq!(table.name, "motorcycle");
            // Cars follow one table everywhere.
            assert_eq!(CAR.at(lat, lon).1, None, "{city}");
        }
        let neighbours = [
            (11.0747, 106.1570, "Bavet, Cambodia (Parrot's Beak)"),
            (11.5564, 104.9282, "Phnom Penh"),
            (10.4833, 104.3167, "Kep, Cambodia"),
            (17.9757, 102.6331, "Vientiane"),
            (14.8077, 106.8311, "Attapeu, Laos"),
            (21.5470, 107.9710, "Dongxing, China"),
            (13.7563, 100.5018, "Bangkok"),
            (35.8989, 14.5146, "Valletta"),
        ];
        for (lat, lon, city) in neighbours {
            let (table, region) = MOTORCYCLE.at(lat, lon);
            assert_eq!(region, None, "{city}");
            assert!(std::ptr::eq(table, &MOTORCYCLE), "{city}");
        }
    }

    #[test]
    fn tables_are_consistent() {
        let regional = ALL
            .iter()
            .flat_map(|p| p.regional.iter().map(|r| r.profile));
        for p in ALL.into_iter().chain(regional) {
            for class in p.closed_classes {
                assert!(p.class_speed(class).is_some(), "{} {class}", p.name);
            }
            assert!(p.class_speed("motorway").is_some(), "{}", p.name);
            assert!(p.class_speed("construction").is_none());
            assert!(p.class_speed("proposed").is_none());
            assert!(p.class_speed("footway").is_none());
            for (class, kmh) in p.highways {
                assert!(*kmh > 0.0 && *kmh <= p.max_speed_kmh, "{} {class}", p.name);
            }
            for class in p.implied_oneway {
                assert!(p.class_speed(class).is_some(), "{class}");
            }
            let rows = p.turns.by_angle;
            assert_eq!(rows.first().map(|r| r.0), Some(0.0), "{}", p.name);
            assert_eq!(rows.last().map(|r| r.0), Some(180.0), "{}", p.name);
            for w in rows.windows(2) {
                assert!(w[0].0 < w[1].0, "{} angles ascend", p.name);
                assert!(
                    w[0].1 <= w[1].1 && w[0].2 <= w[1].2 && w[0].3 <= w[1].3,
                    "{} costs grow",
                    p.name
                );
            }
            for r in rows {
                assert!(r.1 <= r.2, "{}: the near side is never dearer", p.name);
            }
        }
    }

    #[test]
    fn turn_cost_is_interpolated_and_mirrored_by_driving_side() {
        let t = CAR.turns;
        // A right turn of 90 degrees is near-side on the continent, far-side in Malta.
        let right_hand = t.by_deviation(90.0, DrivingSide::Right);
        let left_hand = t.by_deviation(90.0, DrivingSide::Left);
        assert!((right_hand - 2.1).abs() < 1e-9, "{right_hand}");
        assert!((left_hand - 5.4).abs() < 1e-9, "{left_hand}");
        assert!((t.by_deviation(-90.0, DrivingSide::Left) - right_hand).abs() < 1e-9);
        // Halfway between the 60 and 90 degree rows.
        let mid = t.by_deviation(75.0, DrivingSide::Right);
        assert!((mid - f64::midpoint(0.4, 2.1)).abs() < 1e-9, "{mid}");
        assert!(t.by_deviation(0.0, DrivingSide::Right).abs() < 1e-9);
        assert!((t.by_deviation(-180.0, DrivingSide::Right) - 7.5).abs() < 1e-9);
        // The wait for a gap: far side only, mirrored by driving side.
        assert!(t.crossing(90.0, DrivingSide::Right).abs() < 1e-9);
        assert!((t.crossing(90.0, DrivingSide::Left) - 1.9).abs() < 1e-9);
        assert!((t.crossing(-90.0, DrivingSide::Right) - 1.9).abs() < 1e-9);
        let c45 = t.crossing(-45.0, DrivingSide::Right);
        assert!((c45 - f64::midpoint(0.5, 1.5)).abs() < 1e-9, "{c45}");
        assert!(t.crossing(0.0, DrivingSide::Right).abs() < 1e-9);
    }
}
