//! The duration limit of a matrix: pairs slower than it are left out of the parts
//! (matrix stage) or stored as "beyond the limit" (warm's rows layout).

use std::fmt;
use std::time::Duration;

/// A positive, finite duration limit, checked once where it is read (command line,
/// dataset file, matrix manifest); the stages take it as given.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct DurationLimit(Duration);

/// Why a number is not a duration limit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0} is not a positive number of seconds")]
pub struct BadLimit(pub f64);

impl DurationLimit {
    /// The limit of `seconds`.
    ///
    /// # Errors
    /// [`BadLimit`] unless `seconds` is finite and above zero.
    pub fn from_secs(seconds: f64) -> Result<Self, BadLimit> {
        if seconds.is_finite() && seconds > 0.0 {
            Duration::try_from_secs_f64(seconds)
                .map(Self)
                .map_err(|_| BadLimit(seconds))
        } else {
            Err(BadLimit(seconds))
        }
    }

    /// The limit in seconds, as the manifests record it.
    #[must_use]
    pub fn secs(self) -> f64 {
        self.0.as_secs_f64()
    }

    /// The limit in whole milliseconds (rounded), at most `u32::MAX - 1` (the
    /// searches' unit; `u32::MAX` means "no route").
    #[must_use]
    pub fn millis(self) -> u32 {
        (self.0.as_secs_f64() * 1000.0)
            .round()
            .min(f64::from(u32::MAX - 1)) as u32
    }

    /// The limit as a [`Duration`].
    #[must_use]
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl fmt::Display for DurationLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", self.secs())
    }
}

impl std::str::FromStr for DurationLimit {
    type Err = String;

    /// Seconds, as `--max-duration 1800` takes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let seconds: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number of seconds"))?;
        Self::from_secs(seconds).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_finite_seconds_are_limits() {
        assert_eq!(
            DurationLimit::from_secs(150.0).map(DurationLimit::millis),
            Ok(150_000)
        );
        assert_eq!(
            DurationLimit::from_secs(0.0004).map(DurationLimit::millis),
            Ok(0)
        );
        assert_eq!(
            DurationLimit::from_secs(1e12).map(DurationLimit::millis),
            Ok(u32::MAX - 1)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(DurationLimit::from_secs(bad).is_err(), "{bad}");
        }
        assert_eq!(
            "1800".parse::<DurationLimit>().map(DurationLimit::secs),
            Ok(1800.0)
        );
        assert!(
            "-5".parse::<DurationLimit>()
                .unwrap_err()
                .contains("positive")
        );
        assert!(
            "soon"
                .parse::<DurationLimit>()
                .unwrap_err()
                .contains("not a number")
        );
        assert_eq!(
            DurationLimit::from_secs(90.5).unwrap().to_string(),
            "90.5 s"
        );
    }
}
