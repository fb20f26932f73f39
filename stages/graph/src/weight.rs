//! The weight searches minimise: integer milliseconds first, then integer
//! centimetres, packed in one `u64` (`ms << 32 | cm`). Adding packed weights
//! adds both parts (the centimetre part stays below 2^32, i.e. 42,949 km), and
//! comparing them compares duration first, then distance, so every search
//! (witness, query, oracle) breaks duration ties the same way.

/// Packs a duration (s) and a distance (m), rounded to ms and cm.
#[must_use]
pub fn pack(duration_s: f64, distance_m: f64) -> u64 {
    let ms = (duration_s * 1000.0)
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u64;
    let cm = (distance_m * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u64;
    (ms << 32) | cm
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
        assert_eq!((ms(a + b), cm(a + b)), (1734, 1250));
        assert!(pack(1.0, 900.0) < pack(1.001, 1.0));
        assert!(pack(1.0, 1.0) < pack(1.0, 1.01));
        assert_eq!(from_parts(7, 9), pack(0.007, 0.09));
    }
}
