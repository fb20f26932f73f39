//! The tag rules, as pure functions over a profile table: which ways a vehicle
//! may use and in which directions and at what speed, which nodes block it, and
//! how a ferry's `duration` reads.

use crate::maxspeed::{self, MaxSpeed};
use crate::profile::Profile;

/// The `highway` value written for ferry edges.
pub const FERRY_CLASS: &str = hexmatrix_contract::graph_dir::FERRY;

/// Access values that let the vehicle through.
const ALLOWED: &[&str] = &[
    "yes",
    "permissive",
    "designated",
    "destination",
    "customers",
    "delivery",
    "official",
    "discouraged",
];
/// Allowed access values that admit only traffic to or from the road itself:
/// no through traffic (OSM wiki, `access=destination`).
const LOCAL_ONLY: &[&str] = &["destination", "customers", "delivery"];
/// Access values that shut the vehicle out.
const DENIED: &[&str] = &[
    "no",
    "private",
    "agricultural",
    "forestry",
    "agricultural;forestry",
    "emergency",
    "psv",
    "bus",
    "military",
    "use_sidepath",
];
/// `construction` values on a road that do not close it.
const CONSTRUCTION_OPEN: &[&str] = &["no", "minor", "widening"];

/// Looks a key up in a tag list.
#[must_use]
pub fn tag<'a>(tags: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The access verdict of the most specific tagged key: `Some(true)` allowed,
/// `Some(false)` denied, `None` when no key with a known value is tagged.
#[must_use]
pub fn access(profile: &Profile, tags: &[(&str, &str)]) -> Option<bool> {
    deciding_value(profile, tags, None).map(|v| ALLOWED.contains(&v))
}

/// The access verdict for travel along (`"forward"`) or against (`"backward"`)
/// the way's node order: as [`access`], where each key's directional form
/// (`motor_vehicle:backward`) is more specific than the key itself, so a bus
/// lane tagged `motor_vehicle:backward=no` closes that direction to cars.
#[must_use]
pub fn directed_access(profile: &Profile, tags: &[(&str, &str)], direction: &str) -> Option<bool> {
    deciding_value(profile, tags, Some(direction)).map(|v| ALLOWED.contains(&v))
}

/// Whether travel along (`"forward"`) or against (`"backward"`) the way's node
/// order is admitted only to reach or leave the way, read as [`directed_access`]:
/// `motor_vehicle:forward=destination` closes that direction to through traffic.
#[must_use]
pub fn directed_local_only(profile: &Profile, tags: &[(&str, &str)], direction: &str) -> bool {
    deciding_value(profile, tags, Some(direction)).is_some_and(|v| LOCAL_ONLY.contains(&v))
}

/// The value that decides access (in `direction`, when given): the most specific
/// access key with a known value, its directional form before the key itself.
fn deciding_value<'a>(
    profile: &Profile,
    tags: &[(&str, &'a str)],
    direction: Option<&str>,
) -> Option<&'a str> {
    let known = |v: &&str| ALLOWED.contains(v) || DENIED.contains(v);
    profile.access_keys.iter().rev().find_map(|key| {
        let directed = direction.and_then(|direction| {
            tags.iter()
                .find(|(k, _)| {
                    k.strip_prefix(key).and_then(|r| r.strip_prefix(':')) == Some(direction)
                })
                .map(|(_, v)| *v)
                .filter(known)
        });
        directed.or_else(|| tag(tags, key).filter(known))
    })
}

/// Whether `key` is tagged with a value that lets the vehicle on.
fn allows(tags: &[(&str, &str)], key: &str) -> bool {
    tag(tags, key).is_some_and(|v| ALLOWED.contains(&v))
}

/// Travel directions along a way's node order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only in node order.
    Forward,
    /// Only against node order.
    Backward,
}

/// The `oneway` rule (the profile's `oneway:<vehicle>` keys before `oneway`):
/// explicit values first, then implied oneway for
/// roundabouts and the profile's motorway classes. `None` for reversible or
/// alternating roads, which the graph leaves out (their direction changes).
#[must_use]
pub fn direction(profile: &Profile, highway: &str, tags: &[(&str, &str)]) -> Option<Direction> {
    // The vehicle's own key wins when it carries a known value.
    for key in profile.oneway_keys.iter().copied().chain(["oneway"]) {
        match tag(tags, key) {
            Some("yes" | "1" | "true") => return Some(Direction::Forward),
            Some("-1" | "reverse") => return Some(Direction::Backward),
            Some("no" | "0" | "false") => return Some(Direction::Both),
            Some("reversible" | "alternating") => return None,
            _ => {}
        }
    }
    if is_roundabout(tags) || profile.implied_oneway.contains(&highway) {
        Some(Direction::Forward)
    } else {
        Some(Direction::Both)
    }
}

/// Whether the way is a roundabout (`junction=roundabout` or `circular`).
#[must_use]
pub fn is_roundabout(tags: &[(&str, &str)]) -> bool {
    matches!(tag(tags, "junction"), Some("roundabout" | "circular"))
}

/// Counters of `maxspeed` values that were ignored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpeedAnomalies {
    /// Numbers outside the plausible range.
    pub absurd: u32,
    /// Values not understood.
    pub unparsed: u32,
}

/// How a routable way is driven.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WayRule {
    /// The `highway` class (or [`FERRY_CLASS`]).
    pub class: &'static str,
    /// Speed in node order, km/h; `None` if that direction is closed.
    pub forward_kmh: Option<f64>,
    /// Speed against node order, km/h; `None` if closed.
    pub backward_kmh: Option<f64>,
    /// Total crossing time of a ferry with a `duration` tag, seconds.
    pub ferry_duration_s: Option<f64>,
    /// Travel in node order is admitted only to reach or leave the way, no
    /// through traffic (`destination`, …, or `motor_vehicle:forward=destination`).
    pub local_only_forward: bool,
    /// The same against node order.
    pub local_only_backward: bool,
    /// `junction=roundabout` / `circular`: traffic on it runs one way round, so a
    /// turn onto or off it crosses no oncoming lane (`turn_table`).
    pub roundabout: bool,
    /// Ignored `maxspeed` values on this way.
    pub anomalies: SpeedAnomalies,
}

/// Decides whether a way is routable for `profile` and how; `None` if not.
#[must_use]
pub fn way_rule(profile: &Profile, tags: &[(&str, &str)]) -> Option<WayRule> {
    if tag(tags, "route") == Some("ferry") {
        return ferry_rule(profile, tags);
    }
    let highway = tag(tags, "highway")?;
    let (class, default_kmh) = profile
        .highways
        .iter()
        .find(|(c, _)| *c == highway)
        .copied()?;
    if tag(tags, "area") == Some("yes")
        || tag(tags, "impassable") == Some("yes")
        || tag(tags, "status") == Some("impassable")
        || tag(tags, "service") == Some("emergency_access")
        || tag(tags, "construction").is_some_and(|v| !CONSTRUCTION_OPEN.contains(&v))
        || (profile.closed_classes.contains(&class) && !own_key_allows(profile, tags))
    {
        return None;
    }
    let dir = direction(profile, class, tags)?;
    // Access per direction: a way may be open one way only (a bus lane
    // against the traffic); closed both ways it is not routable.
    let forward_open = directed_access(profile, tags, "forward") != Some(false);
    let backward_open = directed_access(profile, tags, "backward") != Some(false);
    let dir = match (dir, forward_open, backward_open) {
        (Direction::Both, true, true) => Direction::Both,
        (Direction::Both | Direction::Forward, true, _) => Direction::Forward,
        (Direction::Both | Direction::Backward, _, true) => Direction::Backward,
        _ => return None,
    };
    let mut anomalies = SpeedAnomalies::default();
    let general = tag(tags, "maxspeed");
    let mut speed = |key: &str| {
        let value = tag(tags, key).or(general);
        let limit = value.map_or(MaxSpeed::Unknown, maxspeed::parse);
        match limit {
            MaxSpeed::Kmh(k) => (k * profile.maxspeed_factor).min(profile.max_speed_kmh),
            MaxSpeed::Absurd(_) => {
                anomalies.absurd += 1;
                default_kmh
            }
            MaxSpeed::Unparsed => {
                anomalies.unparsed += 1;
                default_kmh
            }
            MaxSpeed::NoLimit | MaxSpeed::Unknown => default_kmh,
        }
    };
    // A rough surface caps the speed below any limit (PROFILES.md, "Speed: surface").
    let surface_cap = tag(tags, "surface").and_then(|v| {
        profile
            .surface_speeds
            .iter()
            .find(|(s, _)| *s == v)
            .map(|(_, kmh)| *kmh)
    });
    let mut capped = |key: &str| {
        let kmh = speed(key);
        surface_cap.map_or(kmh, |cap| kmh.min(cap))
    };
    let forward = (dir != Direction::Backward).then(|| capped("maxspeed:forward"));
    let backward = (dir != Direction::Forward).then(|| capped("maxspeed:backward"));
    // A way counts one anomaly per bad value, not one per direction.
    anomalies.absurd = anomalies.absurd.min(1);
    anomalies.unparsed = anomalies.unparsed.min(1);
    Some(WayRule {
        class,
        forward_kmh: forward,
        backward_kmh: backward,
        ferry_duration_s: None,
        local_only_forward: directed_local_only(profile, tags, "forward"),
        local_only_backward: directed_local_only(profile, tags, "backward"),
        roundabout: is_roundabout(tags),
        anomalies,
    })
}

/// Whether the vehicle's own access key (`motorcycle=yes`, not `access=yes`)
/// lets it on: only that reopens a class the law closes to it.
fn own_key_allows(profile: &Profile, tags: &[(&str, &str)]) -> bool {
    profile.access_keys.last().is_some_and(|k| allows(tags, k))
}

/// Access keys that, allowed on a ferry, say it carries cars (and so any smaller
/// motor vehicle); `motorcycle=yes` alone is a boat for two-wheelers.
const VEHICLE_FERRY_KEYS: &[&str] = &["vehicle", "motor_vehicle", "motorcar"];

fn ferry_rule(profile: &Profile, tags: &[(&str, &str)]) -> Option<WayRule> {
    match access(profile, tags) {
        Some(false) => return None,
        Some(true) => {}
        // No verdict for this vehicle: a ferry that carries no motor vehicle but is
        // tagged for people or bicycles is a passenger boat (PROFILES.md, "Ferries").
        None => {
            let carries_vehicles = VEHICLE_FERRY_KEYS.iter().any(|k| allows(tags, k));
            let for_passengers = ["foot", "bicycle"].iter().any(|k| allows(tags, k));
            if for_passengers && !carries_vehicles {
                return None;
            }
        }
    }
    let dir = direction(profile, FERRY_CLASS, tags)?;
    let kmh = profile.ferry_speed_kmh;
    Some(WayRule {
        class: FERRY_CLASS,
        forward_kmh: (dir != Direction::Backward).then_some(kmh),
        backward_kmh: (dir != Direction::Forward).then_some(kmh),
        ferry_duration_s: tag(tags, "duration").and_then(parse_duration_s),
        local_only_forward: false,
        local_only_backward: false,
        roundabout: false,
        anomalies: SpeedAnomalies::default(),
    })
}

/// Parses a ferry `duration`: `HH:MM`, `HH:MM:SS`, minutes (`90`), or ISO 8601 (`PT1H30M`).
#[must_use]
pub fn parse_duration_s(value: &str) -> Option<f64> {
    let v = value.trim();
    let secs = if let Some(iso) = v.strip_prefix("PT") {
        let mut total = 0.0;
        let mut number = String::new();
        for c in iso.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let n: f64 = number.parse().ok()?;
            number.clear();
            total += n * match c {
                'H' => 3600.0,
                'M' => 60.0,
                'S' => 1.0,
                _ => return None,
            };
        }
        if !number.is_empty() {
            return None;
        }
        total
    } else {
        let parts: Vec<&str> = v.split(':').collect();
        let nums: Option<Vec<f64>> = parts.iter().map(|p| p.trim().parse::<f64>().ok()).collect();
        match nums?.as_slice() {
            [m] => m * 60.0,
            [h, m] => h * 3600.0 + m * 60.0,
            [h, m, s] => h * 3600.0 + m * 60.0 + s,
            _ => return None,
        }
    };
    (secs.is_finite() && secs > 0.0).then_some(secs)
}

/// Whether a node with these tags stops the vehicle: a barrier it cannot pass
/// (bollard, block, chain, …) unless the node's access tags let it
/// through, or a passable barrier (gate, lift gate, toll booth, …) whose access
/// tags deny it or that is tagged `locked=yes`.
#[must_use]
pub fn node_blocks(profile: &Profile, tags: &[(&str, &str)]) -> bool {
    let Some(barrier) = tag(tags, "barrier") else {
        return false;
    };
    let verdict = access(profile, tags);
    // A locked gate is passable only by those its access tags name.
    let locked = tag(tags, "locked") == Some("yes");
    if profile.passable_barriers.contains(&barrier) && !locked {
        verdict == Some(false)
    } else {
        verdict != Some(true)
    }
}

/// A traffic control on a node: what the driver must do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlKind {
    /// `highway=traffic_signals`: wait through part of a cycle on average.
    Signal,
    /// `highway=stop`: a full stop, whatever the traffic.
    Stop,
    /// `highway=give_way`: slow down enough to yield.
    GiveWay,
}

/// A traffic signal or sign on a node and the travel it applies to, relative to
/// the node order of the way the vehicle arrives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeControl {
    /// What the control requires.
    pub kind: ControlKind,
    /// [`Direction::Forward`]: only traffic arriving in node order;
    /// [`Direction::Backward`]: only traffic arriving against it;
    /// [`Direction::Both`]: every approach (no direction tagged).
    pub applies: Direction,
}

/// The traffic control a node's tags map, if any. The direction comes from
/// `traffic_signals:direction` (signals) or `stop:direction` (stops) before
/// `direction`; only `forward` and `backward` restrict it (OSM wiki,
/// `Key:stop:direction`); no tag, `both`, or a compass value (which says where
/// a sign beside the road faces, not a way direction) applies to every approach.
#[must_use]
pub fn node_control(tags: &[(&str, &str)]) -> Option<NodeControl> {
    let (kind, own_key) = match tag(tags, "highway")? {
        "traffic_signals" => (ControlKind::Signal, Some("traffic_signals:direction")),
        "stop" => (ControlKind::Stop, Some("stop:direction")),
        "give_way" => (ControlKind::GiveWay, None),
        _ => return None,
    };
    let tagged = own_key.and_then(|k| tag(tags, k));
    let applies = match tagged.or_else(|| tag(tags, "direction")) {
        Some("forward") => Direction::Forward,
        Some("backward") => Direction::Backward,
        _ => Direction::Both,
    };
    Some(NodeControl { kind, applies })
}

impl NodeControl {
    /// Whether the control applies to a vehicle arriving along an edge that runs
    /// in (`forward`) or against its way's node order.
    #[must_use]
    pub fn applies_to(self, forward: bool) -> bool {
        match self.applies {
            Direction::Both => true,
            Direction::Forward => forward,
            Direction::Backward => !forward,
        }
    }
}

/// Whether an opening-hours condition holds at all times: `24/7`,
/// `00:00-24:00`, `Mo-Su 00:00-24:00` (spaces and case aside).
#[must_use]
pub fn always(condition: &str) -> bool {
    let c: String = condition
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        c.as_str(),
        "24/7" | "00:00-24:00" | "mo-su00:00-24:00" | "mo-su"
    )
}

#[cfg(test)]
#[path = "tags_tests.rs"]
mod tests;
