//! `maxspeed` parsing: plain km/h, units (`mph`, `knots`, `km/h`), `none`,
//! `walk`, country/zone codes such as `RO:urban` or `DE:zone:30`, and several
//! values separated by `;` (the lowest wins).

/// Values above this (km/h) are treated as mapping errors.
pub const ABSURD_ABOVE_KMH: f64 = 200.0;
/// Values below this (km/h) are treated as mapping errors.
pub const ABSURD_BELOW_KMH: f64 = 1.0;

const MPH: f64 = 1.609_344;
const KNOT: f64 = 1.852;
/// Speed for `walk` and living-street zone codes.
const WALK_KMH: f64 = 7.0;

/// What a `maxspeed` value says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxSpeed {
    /// A limit in km/h.
    Kmh(f64),
    /// No limit (`none`, `DE:motorway`): the class default applies.
    NoLimit,
    /// Dynamic or unknown to the vehicle (`signals`, `variable`): the class default applies.
    Unknown,
    /// A number outside [`ABSURD_BELOW_KMH`, `ABSURD_ABOVE_KMH`] km/h: counted, ignored.
    Absurd(f64),
    /// Not understood: counted, ignored.
    Unparsed,
}

/// Parses one `maxspeed` tag value.
#[must_use]
pub fn parse(value: &str) -> MaxSpeed {
    let mut best: Option<MaxSpeed> = None;
    for part in value.split(';') {
        let one = parse_one(part.trim());
        best = Some(match (best, one) {
            (None, x) => x,
            (Some(MaxSpeed::Kmh(a)), MaxSpeed::Kmh(b)) => MaxSpeed::Kmh(a.min(b)),
            (Some(MaxSpeed::Kmh(a)), _) | (Some(_), MaxSpeed::Kmh(a)) => MaxSpeed::Kmh(a),
            (Some(a), _) => a,
        });
    }
    best.unwrap_or(MaxSpeed::Unparsed)
}

fn parse_one(v: &str) -> MaxSpeed {
    match v {
        "none" | "unlimited" => return MaxSpeed::NoLimit,
        "signals" | "variable" | "implicit" => return MaxSpeed::Unknown,
        "walk" => return MaxSpeed::Kmh(WALK_KMH),
        _ => {}
    }
    if let Some((country, zone)) = v.split_once(':') {
        return zone_speed(country, zone);
    }
    let (number, factor) = if let Some(n) = v.strip_suffix("mph") {
        (n, MPH)
    } else if let Some(n) = v.strip_suffix("knots") {
        (n, KNOT)
    } else if let Some(n) = v
        .strip_suffix("km/h")
        .or_else(|| v.strip_suffix("kmh"))
        .or_else(|| v.strip_suffix("kph"))
    {
        (n, 1.0)
    } else {
        (v, 1.0)
    };
    match number.trim().replace(',', ".").parse::<f64>() {
        Ok(n) if n.is_finite() => checked(n * factor),
        _ => MaxSpeed::Unparsed,
    }
}

fn checked(kmh: f64) -> MaxSpeed {
    if (ABSURD_BELOW_KMH..=ABSURD_ABOVE_KMH).contains(&kmh) {
        MaxSpeed::Kmh(kmh)
    } else {
        MaxSpeed::Absurd(kmh)
    }
}

/// Country defaults for the zone codes people tag most: (country, rural, motorway) km/h,
/// `None` for a motorway without a general limit.
const COUNTRIES: &[(&str, f64, Option<f64>)] = &[
    ("AT", 100.0, Some(130.0)),
    ("BE", 90.0, Some(120.0)),
    ("CH", 80.0, Some(120.0)),
    ("CZ", 90.0, Some(130.0)),
    ("DE", 100.0, None),
    ("DK", 80.0, Some(130.0)),
    ("ES", 90.0, Some(120.0)),
    ("FI", 80.0, Some(120.0)),
    ("FR", 80.0, Some(130.0)),
    ("GB", 60.0 * MPH, Some(70.0 * MPH)),
    ("UK", 60.0 * MPH, Some(70.0 * MPH)),
    ("HU", 90.0, Some(130.0)),
    ("IT", 90.0, Some(130.0)),
    ("MT", 80.0, Some(80.0)),
    ("NL", 80.0, Some(130.0)),
    ("NO", 80.0, Some(110.0)),
    ("PL", 90.0, Some(140.0)),
    ("PT", 90.0, Some(120.0)),
    ("RO", 90.0, Some(130.0)),
    ("RU", 90.0, Some(110.0)),
    ("SE", 70.0, Some(110.0)),
    ("SK", 90.0, Some(130.0)),
    ("UA", 90.0, Some(130.0)),
];
/// Rural and motorway speeds of a country missing from the table.
const FALLBACK: (f64, Option<f64>) = (90.0, Some(120.0));
const URBAN_KMH: f64 = 50.0;

fn zone_speed(country: &str, zone: &str) -> MaxSpeed {
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return MaxSpeed::Unparsed;
    }
    let (rural, motorway) = COUNTRIES
        .iter()
        .find(|(c, _, _)| *c == country)
        .map_or(FALLBACK, |(_, r, m)| (*r, *m));
    let dual = if country == "GB" || country == "UK" {
        70.0 * MPH
    } else {
        rural
    };
    match zone {
        "urban" => MaxSpeed::Kmh(URBAN_KMH),
        "rural" | "nsl_single" | "nsl_restricted" => MaxSpeed::Kmh(rural),
        "nsl_dual" | "trunk" | "expressway" => MaxSpeed::Kmh(dual),
        "motorway" => motorway.map_or(MaxSpeed::NoLimit, MaxSpeed::Kmh),
        "living_street" | "walk" | "pedestrian_zone" => MaxSpeed::Kmh(WALK_KMH),
        "bicycle_road" | "cyclestreet" => MaxSpeed::Kmh(30.0),
        other => {
            // zone30, zone:30, zone20 ...
            let digits = other.trim_start_matches("zone").trim_start_matches(':');
            match digits.parse::<f64>() {
                Ok(n) if other.starts_with("zone") => checked(n),
                _ => MaxSpeed::Unparsed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kmh(v: &str) -> f64 {
        match parse(v) {
            MaxSpeed::Kmh(k) => k,
            other => panic!("{v}: {other:?}"),
        }
    }

    #[test]
    fn numbers_and_units() {
        assert!((kmh("50") - 50.0).abs() < 1e-9);
        assert!((kmh("50 km/h") - 50.0).abs() < 1e-9);
        assert!((kmh("50kmh") - 50.0).abs() < 1e-9);
        assert!((kmh("30 mph") - 48.28).abs() < 0.01);
        assert!((kmh("30mph") - 48.28).abs() < 0.01);
        assert!((kmh("10 knots") - 18.52).abs() < 0.01);
        assert!((kmh("7.5") - 7.5).abs() < 1e-9);
    }

    #[test]
    fn words_and_zones() {
        assert_eq!(parse("none"), MaxSpeed::NoLimit);
        assert_eq!(parse("signals"), MaxSpeed::Unknown);
        assert!((kmh("walk") - 7.0).abs() < 1e-9);
        assert!((kmh("RO:urban") - 50.0).abs() < 1e-9);
        assert!((kmh("RO:rural") - 90.0).abs() < 1e-9);
        assert!((kmh("RO:motorway") - 130.0).abs() < 1e-9);
        assert!((kmh("DE:urban") - 50.0).abs() < 1e-9);
        assert!((kmh("DE:rural") - 100.0).abs() < 1e-9);
        assert_eq!(parse("DE:motorway"), MaxSpeed::NoLimit);
        assert!((kmh("DE:zone:30") - 30.0).abs() < 1e-9);
        assert!((kmh("DE:zone30") - 30.0).abs() < 1e-9);
        assert!((kmh("DE:living_street") - 7.0).abs() < 1e-9);
        assert!((kmh("GB:nsl_single") - 96.56).abs() < 0.01);
        assert!((kmh("XK:urban") - 50.0).abs() < 1e-9);
        assert!((kmh("XK:rural") - 90.0).abs() < 1e-9);
    }

    #[test]
    fn multiple_values_take_the_lowest() {
        assert!((kmh("50;30") - 30.0).abs() < 1e-9);
        assert!((kmh("RO:urban; 30") - 30.0).abs() < 1e-9);
        assert!((kmh("signals;60") - 60.0).abs() < 1e-9);
    }

    #[test]
    fn absurd_and_garbage_are_flagged() {
        assert_eq!(parse("5000"), MaxSpeed::Absurd(5000.0));
        assert_eq!(parse("0"), MaxSpeed::Absurd(0.0));
        assert_eq!(parse("-30"), MaxSpeed::Absurd(-30.0));
        assert_eq!(parse("fast"), MaxSpeed::Unparsed);
        assert_eq!(parse(""), MaxSpeed::Unparsed);
        assert_eq!(parse("de:urban"), MaxSpeed::Unparsed);
        assert_eq!(parse("NaN"), MaxSpeed::Unparsed);
    }
}
