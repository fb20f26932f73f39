//! Time to live: every key of a version expires on its own, so old versions
//! never need a KEYS/SCAN sweep. Each key gets its base TTL plus a random extra of
//! up to `jitter` × base, so a version does not expire in one burst.

use crate::error::{Error, Result};

/// Longest base TTL accepted, seconds: ten years of 365 days. Redis `EX` takes up to
/// about `i64::MAX / 1000` seconds; ten years is far beyond any useful cache life and
/// keeps every sum below (base + jitter + bookkeeping margin) far from overflowing.
pub const MAX_TTL_S: u64 = 10 * 365 * 86_400;

/// TTLs of one load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TtlPolicy {
    /// Base TTL of a pair with a route, seconds.
    pub ttl_s: u64,
    /// Base TTL of a "no route" pair, seconds (shorter: the road network may change).
    pub no_route_ttl_s: u64,
    /// Extra random fraction of the base TTL, 0 to 1.
    pub jitter: f64,
}

impl Default for TtlPolicy {
    fn default() -> Self {
        Self {
            ttl_s: 7 * 86_400,
            no_route_ttl_s: 86_400,
            jitter: 0.1,
        }
    }
}

impl TtlPolicy {
    /// Checks the values.
    ///
    /// # Errors
    /// A zero TTL, a TTL above [`MAX_TTL_S`], or a jitter outside 0..=1.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, value: String, reason: &str| {
            Err(Error::InvalidOption {
                name,
                value,
                reason: reason.to_owned(),
            })
        };
        for (name, ttl) in [("ttl", self.ttl_s), ("no-route ttl", self.no_route_ttl_s)] {
            if ttl == 0 {
                return bad(name, "0".into(), "must be at least 1 second");
            }
            if ttl > MAX_TTL_S {
                return bad(
                    name,
                    format!("{ttl} s"),
                    &format!("must be at most {MAX_TTL_S} s (10 years)"),
                );
            }
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return bad(
                "ttl jitter",
                self.jitter.to_string(),
                "must be between 0 and 1",
            );
        }
        Ok(())
    }

    /// TTL of the per-version bookkeeping keys: they outlive every pair.
    #[must_use]
    pub fn meta_ttl_s(&self) -> u64 {
        span(self.ttl_s, self.jitter).saturating_add(self.ttl_s.max(self.no_route_ttl_s))
    }
}

/// The largest random extra of a base TTL: `base × jitter`, never above `base`
/// (a jitter outside 0..=1 is refused by [`TtlPolicy::validate`]; this stays total).
fn span(base: u64, jitter: f64) -> u64 {
    let extra = base as f64 * jitter.clamp(0.0, 1.0);
    if extra.is_finite() {
        (extra as u64).min(base)
    } else {
        0
    }
}

/// `base` plus a draw in `0..=span`, without overflow for any input.
fn jittered(base: u64, span: u64, draw: u64) -> u64 {
    let extra = match span.checked_add(1) {
        Some(modulus) => draw % modulus,
        None => draw,
    };
    base.saturating_add(extra)
}

/// Draws jittered TTLs (`SplitMix64`: fast, no allocation, seeded per load).
#[derive(Debug, Clone)]
pub struct TtlDraw {
    policy: TtlPolicy,
    route_span: u64,
    no_route_span: u64,
    state: u64,
}

impl TtlDraw {
    /// A drawer for `policy` seeded with `seed`.
    #[must_use]
    pub fn new(policy: TtlPolicy, seed: u64) -> Self {
        Self {
            policy,
            route_span: span(policy.ttl_s, policy.jitter),
            no_route_span: span(policy.no_route_ttl_s, policy.jitter),
            state: seed,
        }
    }

    fn next(&mut self) -> u64 {
        splitmix(&mut self.state)
    }

    /// TTL of a pair with a route.
    pub fn route(&mut self) -> u64 {
        if self.route_span == 0 {
            return self.policy.ttl_s;
        }
        let draw = self.next();
        jittered(self.policy.ttl_s, self.route_span, draw)
    }

    /// TTL of a "no route" pair.
    pub fn no_route(&mut self) -> u64 {
        if self.no_route_span == 0 {
            return self.policy.no_route_ttl_s;
        }
        let draw = self.next();
        jittered(self.policy.no_route_ttl_s, self.no_route_span, draw)
    }
}

/// One step of `SplitMix64` over `state`.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Parses a duration such as `3600`, `90s`, `30m`, `12h` or `7d` into seconds.
///
/// # Errors
/// Not a whole number with an optional `s`, `m`, `h` or `d` suffix.
pub fn parse_duration(text: &str) -> Result<u64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => 0,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|_| factor > 0)
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| Error::InvalidOption {
            name: "duration",
            value: text.to_owned(),
            reason: "use a whole number with an optional s, m, h or d suffix".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("3600").unwrap(), 3600);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("30m").unwrap(), 1800);
        assert_eq!(parse_duration("12h").unwrap(), 43_200);
        assert_eq!(parse_duration("7d").unwrap(), 604_800);
        assert!(parse_duration("7w").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-3").is_err());
    }

    #[test]
    fn jitter_stays_in_range_and_varies() {
        let policy = TtlPolicy {
            ttl_s: 1000,
            no_route_ttl_s: 100,
            jitter: 0.1,
        };
        let mut draw = TtlDraw::new(policy, 42);
        let routes: Vec<u64> = (0..1000).map(|_| draw.route()).collect();
        assert!(routes.iter().all(|t| (1000..=1100).contains(t)));
        assert!(routes.iter().any(|t| *t != routes[0]));
        assert!(
            (0..1000)
                .map(|_| draw.no_route())
                .all(|t| (100..=110).contains(&t))
        );
        assert!(policy.meta_ttl_s() >= 1100);
        let flat = TtlPolicy {
            jitter: 0.0,
            ..policy
        };
        let mut d = TtlDraw::new(flat, 1);
        assert_eq!(d.route(), 1000);
        assert!(
            TtlPolicy {
                jitter: 1.5,
                ..policy
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn issue_11_extreme_ttls_are_refused_and_never_overflow() {
        let huge = TtlPolicy {
            ttl_s: u64::MAX,
            no_route_ttl_s: u64::MAX,
            jitter: 1.0,
        };
        let err = huge.validate().unwrap_err().to_string();
        assert!(err.contains("at most 315360000 s"), "{err}");
        // Even unvalidated, drawing and the bookkeeping TTL do not panic.
        let mut draw = TtlDraw::new(huge, 7);
        assert_eq!(draw.route(), u64::MAX);
        assert_eq!(draw.no_route(), u64::MAX);
        assert_eq!(huge.meta_ttl_s(), u64::MAX);
        let max = TtlPolicy {
            ttl_s: MAX_TTL_S,
            no_route_ttl_s: MAX_TTL_S,
            jitter: 1.0,
        };
        max.validate().unwrap();
        let mut draw = TtlDraw::new(max, 7);
        assert!((MAX_TTL_S..=2 * MAX_TTL_S).contains(&draw.route()));
        assert!(max.meta_ttl_s() <= 3 * MAX_TTL_S);
        let nan = TtlPolicy {
            jitter: f64::NAN,
            ..max
        };
        assert!(nan.validate().is_err());
        assert_eq!(TtlDraw::new(nan, 1).route(), MAX_TTL_S);
    }
}
