//! Which side of the road traffic keeps to, from where the graph lies.
//!
//! OSM carries `driving_side` on country boundary relations, which a city crop
//! rarely holds whole, and a dataset file is easy to get wrong by omission; the
//! graph stage instead looks up the centre of the graph's nodes in a short table
//! of left-hand-traffic areas (boxes drawn so that no right-hand country falls
//! inside). Everywhere else traffic keeps right.

/// The side of the road traffic keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrivingSide {
    /// Keep right (continental Europe, Vietnam, the Americas, ...).
    Right,
    /// Keep left (Malta, Cyprus, the British Isles, ...).
    Left,
}

impl DrivingSide {
    /// `right` or `left`, as in OSM's `driving_side` tag.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Right => "right",
            Self::Left => "left",
        }
    }

    /// The side at `lat`, `lon` (degrees): left inside one of [`LEFT_HAND_AREAS`].
    #[must_use]
    pub fn at(lat: f64, lon: f64) -> Self {
        let inside = LEFT_HAND_AREAS
            .iter()
            .any(|(_, min_lon, min_lat, max_lon, max_lat)| {
                (*min_lon..=*max_lon).contains(&lon) && (*min_lat..=*max_lat).contains(&lat)
            });
        if inside { Self::Left } else { Self::Right }
    }
}

/// Left-hand-traffic areas as `(name, min_lon, min_lat, max_lon, max_lat)`.
/// Great Britain is two boxes so that the French coast (Dieppe, Boulogne) stays
/// outside; a city elsewhere in a left-hand country needs a row here.
pub const LEFT_HAND_AREAS: &[(&str, f64, f64, f64, f64)] = &[
    ("Malta", 14.0, 35.7, 14.7, 36.2),
    ("Cyprus", 32.0, 34.4, 34.8, 35.8),
    ("Great Britain south of 51 N", -6.5, 49.85, 1.0, 51.0),
    (
        "Great Britain, Ireland, Isle of Man",
        -10.7,
        51.0,
        1.8,
        61.0,
    ),
    ("Jersey and Guernsey", -2.8, 49.15, -2.0, 49.75),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cities_get_their_side() {
        assert_eq!(DrivingSide::at(35.8989, 14.5146), DrivingSide::Left); // Valletta
        assert_eq!(DrivingSide::at(51.5072, -0.1276), DrivingSide::Left); // London
        assert_eq!(DrivingSide::at(53.3498, -6.2603), DrivingSide::Left); // Dublin
        assert_eq!(DrivingSide::at(43.7384, 7.4246), DrivingSide::Right); // Monaco
        assert_eq!(DrivingSide::at(42.5063, 1.5218), DrivingSide::Right); // Andorra la Vella
        assert_eq!(DrivingSide::at(10.7769, 106.7009), DrivingSide::Right); // Ho Chi Minh City
        assert_eq!(DrivingSide::at(50.7264, 1.6147), DrivingSide::Right); // Boulogne-sur-Mer
        assert_eq!(DrivingSide::at(49.9229, 1.0775), DrivingSide::Right); // Dieppe
        assert_eq!(DrivingSide::at(50.9513, 1.8587), DrivingSide::Right); // Calais
    }
}
