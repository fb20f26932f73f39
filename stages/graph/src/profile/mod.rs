//! Vehicle profiles as data tables: what a vehicle may drive on, how fast, and
//! which tags apply to it. The rules that read these tables live in the crate's
//! `tags` and `maxspeed` modules; `PROFILES.md` documents both.

mod car;
mod motorcycle;

pub use car::CAR;
pub use motorcycle::MOTORCYCLE;

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
    fn tables_are_consistent() {
        for p in ALL {
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
        }
    }
}
