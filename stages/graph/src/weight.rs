//! The weight searches minimise: integer milliseconds first, then integer
//! centimetres, packed in one `u64` (`ms << 32 | cm`). Comparing packed weights
//! compares duration first, then distance, so every search (witness, query,
//! oracle) breaks duration ties the same way.
//!
//! Weights are added with [`add`], part by part: a route whose duration passes
//! [`MAX_PART`] ms (49.7 days) or whose length passes [`MAX_PART`] cm (42,949 km)
//! is no route, where a plain `+` would carry the centimetres into the
//! milliseconds or wrap the milliseconds to a short time (a ferry tagged
//! `duration=1193:03` was enough).

/// Largest value of either part. `u32::MAX` is left out: a packed `u64::MAX` is
/// the searches' "not reached", and `u32::MAX` ms the matrix's "no route".
pub const MAX_PART: u32 = u32::MAX - 1;

/// Packs a duration (s) and a distance (m), rounded to ms and cm, each clamped
/// to [`MAX_PART`].
#[must_use]
pub fn pack(duration_s: f64, distance_m: f64) -> u64 {
    let part = |v: f64| v.round().clamp(0.0, f64::from(MAX_PART)) as u32;
    from_parts(part(duration_s * 1000.0), part(distance_m * 100.0))
}

/// `a + b`, part by part; `None` when either part passes [`MAX_PART`]: the
/// route is too long to be one.
#[inline]
#[must_use]
pub fn add(a: u64, b: u64) -> Option<u64> {
    let ms = ms(a).checked_add(ms(b)).filter(|&m| m <= MAX_PART)?;
    let cm = cm(a).checked_add(cm(b)).filter(|&c| c <= MAX_PART)?;
    Some(from_parts(ms, cm))
}

/// Milliseconds of a packed weight.
#[must_use]
pub fn ms(w: u64) -> u32 {
    (w >> 32) as u32
}

/// Centimetres of a packed weight.
#[must_use]
pub fn cm(w: u64) -> u32 {
    (w & 0xffff_ffff) as u32
}

/// A packed weight from its parts.
#[must_use]
pub fn from_parts(ms: u32, cm: u32) -> u64 {
    (u64::from(ms) << 32) | u64::from(cm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_adds_and_orders() {
        let a = pack(1.2344, 10.004);
        assert_eq!((ms(a), cm(a)), (1234, 1000));
        let b = pack(0.5, 2.5);
        let sum = add(a, b).unwrap();
        assert_eq!((ms(sum), cm(sum)), (1734, 1250));
        assert!(pack(1.0, 900.0) < pack(1.001, 1.0));
        assert!(pack(1.0, 1.0) < pack(1.0, 1.01));
        assert_eq!(from_parts(7, 9), pack(0.007, 0.09));
    }

    #[test]
    fn sums_past_either_part_are_no_route_instead_of_a_wrap() {
        // duration=1193:03 is 4,294,980 s: past 2^32 ms on its own.
        let ferry = pack(1193.0 * 3600.0 + 180.0, 541.0);
        assert_eq!(ms(ferry), MAX_PART);
        assert_eq!(add(ferry, pack(1.0, 10.0)), None);
        let long = from_parts(1, MAX_PART);
        assert_eq!(add(long, from_parts(1, 1)), None, "centimetres never carry");
        assert_eq!(
            add(from_parts(MAX_PART - 1, 5), from_parts(1, 5)),
            Some(from_parts(MAX_PART, 10))
        );
        assert!(add(u64::MAX, 0).is_none());
    }
}
