//! A validated lon/lat bounding box, compared in OSM's fixed-point units.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// OSM coordinates are stored as integers of 1e-7 degrees (osmium's precision).
pub const COORDINATE_PRECISION: f64 = 1e7;

/// A bounding box `min_lon,min_lat,max_lon,max_lat` in WGS84 degrees.
///
/// Valid by construction: min ≤ max on both axes, longitudes in [-180, 180],
/// latitudes in [-90, 90].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
}

impl Bbox {
    /// Builds a bbox after checking ranges and order.
    ///
    /// # Errors
    /// [`Error::InvalidBbox`] naming the offending value.
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self, Error> {
        for (name, v, limit) in [
            ("min_lon", min_lon, 180.0),
            ("max_lon", max_lon, 180.0),
            ("min_lat", min_lat, 90.0),
            ("max_lat", max_lat, 90.0),
        ] {
            if !v.is_finite() || v.abs() > limit {
                return Err(Error::InvalidBbox(format!(
                    "{name} {v} is outside [-{limit}, {limit}]"
                )));
            }
        }
        if min_lon > max_lon {
            return Err(Error::InvalidBbox(format!(
                "min_lon {min_lon} is greater than max_lon {max_lon}"
            )));
        }
        if min_lat > max_lat {
            return Err(Error::InvalidBbox(format!(
                "min_lat {min_lat} is greater than max_lat {max_lat}"
            )));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Western edge in degrees.
    #[must_use]
    pub fn min_lon(&self) -> f64 {
        self.min_lon
    }
    /// Southern edge in degrees.
    #[must_use]
    pub fn min_lat(&self) -> f64 {
        self.min_lat
    }
    /// Eastern edge in degrees.
    #[must_use]
    pub fn max_lon(&self) -> f64 {
        self.max_lon
    }
    /// Northern edge in degrees.
    #[must_use]
    pub fn max_lat(&self) -> f64 {
        self.max_lat
    }

    /// The bbox in 1e-7 degree units, rounded as osmium rounds:
    /// `(min_lon, min_lat, max_lon, max_lat)`.
    #[must_use]
    pub fn fixed(&self) -> (i64, i64, i64, i64) {
        (
            to_fixed(self.min_lon),
            to_fixed(self.min_lat),
            to_fixed(self.max_lon),
            to_fixed(self.max_lat),
        )
    }

    /// Whether a location given in 1e-7 degree units lies inside (edges included).
    #[must_use]
    pub fn contains_fixed(&self, lon: i64, lat: i64) -> bool {
        let (x0, y0, x1, y1) = self.fixed();
        lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1
    }

    /// Whether a location in degrees lies inside (edges included).
    #[must_use]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.contains_fixed(to_fixed(lon), to_fixed(lat))
    }
}

/// Degrees to 1e-7 degree units, rounding half away from zero like osmium.
#[must_use]
pub fn to_fixed(degrees: f64) -> i64 {
    (degrees * COORDINATE_PRECISION).round() as i64
}

impl FromStr for Bbox {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(Error::InvalidBbox(format!(
                "{s:?} must be MIN_LON,MIN_LAT,MAX_LON,MAX_LAT (4 numbers, got {})",
                parts.len()
            )));
        }
        let mut v = [0.0_f64; 4];
        for (slot, part) in v.iter_mut().zip(&parts) {
            *slot = part
                .parse()
                .map_err(|_| Error::InvalidBbox(format!("{part:?} in {s:?} is not a number")))?;
        }
        Self::new(v[0], v[1], v[2], v[3])
    }
}

impl fmt::Display for Bbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.min_lon, self.min_lat, self.max_lon, self.max_lat
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_order() {
        let b: Bbox = "14.46,35.86,14.53,35.92".parse().unwrap();
        assert!(b.contains(14.5, 35.9));
        assert!(!b.contains(14.54, 35.9));
        assert!(b.contains(14.46, 35.86), "edges are inside");
        let e = "14.6,35.86,14.5,35.92".parse::<Bbox>().unwrap_err();
        assert!(
            e.to_string()
                .contains("min_lon 14.6 is greater than max_lon 14.5")
        );
        assert!("1,2,3".parse::<Bbox>().is_err());
        assert!("0,91,1,92".parse::<Bbox>().is_err());
        assert!("a,0,1,1".parse::<Bbox>().is_err());
    }
}
