//! Coordinates as a `PrimitiveBlock` stores them, with one rule for every reader.
//!
//! A stored coordinate is `offset + granularity × value` nanodegrees, truncated to
//! 1e-7 degrees. The scanner of the crop's first pass and the block check that
//! runs before osmpbf (crop's second pass, `graph`) both go through
//! [`BlockCoords`], so they read the same granularity and the same coordinates:
//! granularity is a protobuf `int32` (a larger varint is an error, as in
//! rust-protobuf, never a different number), it must be positive, and the
//! arithmetic is checked instead of wrapping in release builds.

/// A block's granularity and offsets, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockCoords {
    granularity: i64,
    lat_offset: i64,
    lon_offset: i64,
}

impl Default for BlockCoords {
    /// The format's defaults: granularity 100 nanodegrees, no offsets.
    fn default() -> Self {
        Self {
            granularity: 100,
            lat_offset: 0,
            lon_offset: 0,
        }
    }
}

/// A varint read as a protobuf `int32`: `None` when it does not fit, where
/// rust-protobuf (and so osmpbf) refuses the block.
#[must_use]
pub fn int32(v: u64) -> Option<i32> {
    i32::try_from(v as i64).ok()
}

impl BlockCoords {
    /// From the varints of `PrimitiveBlock` fields 17 (granularity), 19 and 20
    /// (lat and lon offsets); `None` for an absent field.
    ///
    /// # Errors
    /// A granularity that is not a positive `int32`.
    pub fn from_fields(
        granularity: Option<u64>,
        lat_offset: Option<u64>,
        lon_offset: Option<u64>,
    ) -> Result<Self, String> {
        let mut c = Self::default();
        if let Some(g) = granularity {
            c.granularity = match int32(g) {
                Some(g) if g > 0 => i64::from(g),
                Some(g) => return Err(format!("granularity {g} is not positive")),
                None => return Err(format!("granularity {g} is not a 32-bit integer")),
            };
        }
        if let Some(o) = lat_offset {
            c.lat_offset = o as i64;
        }
        if let Some(o) = lon_offset {
            c.lon_offset = o as i64;
        }
        Ok(c)
    }

    /// Latitude in 1e-7 degrees of stored value `v`; `None` when the arithmetic
    /// overflows or the result does not fit the `i32` every reader keeps.
    #[inline]
    #[must_use]
    pub fn lat(&self, v: i64) -> Option<i32> {
        fixed(self.lat_offset, self.granularity, v)
    }

    /// Longitude in 1e-7 degrees of stored value `v`, as [`Self::lat`].
    #[inline]
    #[must_use]
    pub fn lon(&self, v: i64) -> Option<i32> {
        fixed(self.lon_offset, self.granularity, v)
    }

    /// Both coordinates, or an error naming the entity.
    ///
    /// # Errors
    /// Either coordinate out of range (see [`Self::lat`]).
    #[inline]
    pub fn point(&self, what: &str, id: i64, lat: i64, lon: i64) -> Result<(i32, i32), String> {
        match (self.lat(lat), self.lon(lon)) {
            (Some(y), Some(x)) => Ok((y, x)),
            _ => Err(format!(
                "{what} {id} has a coordinate out of range (stored lat {lat}, lon {lon}, granularity {})",
                self.granularity
            )),
        }
    }
}

/// `(offset + granularity × v) / 100`, truncated toward zero like osmpbf's
/// `decimicro_lat`, when it is computable and fits an `i32`.
#[inline]
fn fixed(offset: i64, granularity: i64, v: i64) -> Option<i32> {
    let nano = granularity.checked_mul(v)?.checked_add(offset)?;
    i32::try_from(nano / 100).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granularity_is_a_positive_int32_and_arithmetic_is_checked() {
        let c = BlockCoords::from_fields(None, None, None).unwrap();
        assert_eq!(c.lat(359_000_000), Some(359_000_000));
        let fine = BlockCoords::from_fields(Some(1), None, None).unwrap();
        assert_eq!(fine.lon(-150), Some(-1), "truncated toward zero");
        let c = BlockCoords::from_fields(Some(1000), Some(5000), Some(u64::MAX)).unwrap();
        assert_eq!(c.lat(3), Some(80));
        assert_eq!(c.lon(1), Some(9));
        for bad in [0, (-5_i64) as u64, 1 << 32, (1 << 32) + 100, 1 << 40] {
            assert!(
                BlockCoords::from_fields(Some(bad), None, None).is_err(),
                "{bad}"
            );
        }
        let c = BlockCoords::from_fields(Some(i32::MAX as u64), None, None).unwrap();
        assert_eq!(c.lat(1 << 40), None, "the product overflows i64");
        assert_eq!(c.lat(1 << 20), None, "the result does not fit i32");
        let c = BlockCoords::from_fields(None, Some(i64::MAX as u64), None).unwrap();
        assert_eq!(c.lat(1), None, "the offset addition overflows");
        assert!(c.point("node", 7, 1, 0).unwrap_err().contains("node 7"));
    }
}
