//! Exact nearest-rank quantiles of `Float32` values in two passes over the parts,
//! with memory that does not grow with the number of values.
//!
//! Durations and distances are arbitrary `Float32` values (a part of whole Malta
//! at resolution 10 holds 1.3 million distinct durations in 2 million rows), so
//! neither a count per value nor a sort of every value fits in bounded memory.
//! Instead each value is mapped to a `u32` key whose order is the order of the
//! floats ([`key`]), and the key is split in two halves:
//!
//! 1. the first pass counts the values per high half (65,536 counters);
//!    the cumulative counts tell in which high half each wanted rank lies;
//! 2. the second pass counts, for those few high halves only, the values per
//!    low half (65,536 counters each) and reads the exact value of each rank.
//!
//! Memory: one 512 KiB array, plus one 256 KiB array per wanted rank.

/// The order-preserving key of a float: for any `a`, `b` (not NaN), `a < b` exactly
/// when `key(a) < key(b)` (negative values and `-0.0` included).
#[must_use]
pub fn key(v: f32) -> u32 {
    let bits = v.to_bits();
    if bits & 0x8000_0000 == 0 {
        bits | 0x8000_0000
    } else {
        !bits
    }
}

/// The float of a [`key`].
#[must_use]
pub fn value(key: u32) -> f32 {
    f32::from_bits(if key & 0x8000_0000 == 0 {
        !key
    } else {
        key & 0x7fff_ffff
    })
}

/// The nearest rank of quantile `q` among `n` values (1-based): `ceil(q * n)`,
/// at least 1 and at most `n`.
#[must_use]
pub fn rank(q: f64, n: u64) -> u64 {
    ((q * n as f64).ceil() as u64).clamp(1, n.max(1))
}

/// The quantiles the report prints (the maximum is its own figure).
pub const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

const HALF: usize = 1 << 16;

/// First pass: values counted per high half of their key.
#[derive(Debug, Clone)]
pub struct HighCounts {
    counts: Vec<u64>,
    n: u64,
    max: u32,
}

impl Default for HighCounts {
    fn default() -> Self {
        Self {
            counts: vec![0; HALF],
            n: 0,
            max: 0,
        }
    }
}

impl HighCounts {
    /// Counts one value's key.
    #[inline]
    pub fn add(&mut self, k: u32) {
        self.counts[(k >> 16) as usize] += 1;
        self.n += 1;
        self.max = self.max.max(k);
    }

    /// Adds the counts of `other` (another worker's share of the parts).
    pub fn merge(&mut self, other: &Self) {
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
        self.n += other.n;
        self.max = self.max.max(other.max);
    }

    /// What the second pass must count: for each of [`QUANTILES`], the high half
    /// holding its rank and the rank within that half. `None` when empty.
    #[must_use]
    pub fn plan(&self) -> Option<LowCounts> {
        if self.n == 0 {
            return None;
        }
        let mut wanted = Vec::with_capacity(QUANTILES.len());
        for q in QUANTILES {
            let r = rank(q, self.n);
            let mut seen = 0;
            for (high, &c) in self.counts.iter().enumerate() {
                if seen + c >= r {
                    wanted.push((high as u32, r - seen));
                    break;
                }
                seen += c;
            }
        }
        let mut highs: Vec<u32> = wanted.iter().map(|&(h, _)| h).collect();
        highs.dedup();
        Some(LowCounts {
            n: self.n,
            max: self.max,
            lows: highs.iter().map(|&h| (h, vec![0; HALF])).collect(),
            wanted,
        })
    }
}

/// Second pass: for the high halves that hold a wanted rank, values counted per
/// low half of their key.
#[derive(Debug, Clone)]
pub struct LowCounts {
    n: u64,
    max: u32,
    /// `(high half, counts per low half)`, at most one per quantile.
    lows: Vec<(u32, Vec<u32>)>,
    /// `(high half, rank within it)` of each of [`QUANTILES`].
    wanted: Vec<(u32, u64)>,
}

impl LowCounts {
    /// Counts one value's key if its high half holds a wanted rank.
    #[inline]
    pub fn add(&mut self, k: u32) {
        let high = k >> 16;
        for (h, counts) in &mut self.lows {
            if *h == high {
                counts[(k & 0xffff) as usize] += 1;
                return;
            }
        }
    }

    /// Adds the counts of `other`, planned by the same [`HighCounts::plan`] (another
    /// worker's share of the parts).
    pub fn merge(&mut self, other: &Self) {
        for ((_, c), (_, o)) in self.lows.iter_mut().zip(&other.lows) {
            for (c, o) in c.iter_mut().zip(o) {
                *c += o;
            }
        }
    }

    /// The exact p50, p90, p99 and max of the values of both passes.
    #[must_use]
    pub fn finish(&self) -> crate::histogram::Quantiles {
        let at = |(high, r): (u32, u64)| -> f64 {
            let counts = self
                .lows
                .iter()
                .find(|(h, _)| *h == high)
                .map(|(_, c)| c.as_slice())
                .unwrap_or_default();
            let mut seen = 0;
            for (low, &c) in counts.iter().enumerate() {
                seen += u64::from(c);
                if seen >= r {
                    return f64::from(value((high << 16) | low as u32));
                }
            }
            // The second pass saw fewer values than the first (the files changed
            // between the passes): the largest value is the best remaining answer.
            f64::from(value(self.max))
        };
        crate::histogram::Quantiles {
            count: self.n,
            p50: at(self.wanted[0]),
            p90: at(self.wanted[1]),
            p99: at(self.wanted[2]),
            max: f64::from(value(self.max)),
        }
    }
}

/// Median of `values` (keys of [`key`]), the mean of the two middle values when
/// their number is even; reorders `values`. `None` when empty.
#[must_use]
pub fn median_of_keys(values: &mut [u32]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, &mut mid, _) = values.select_nth_unstable(n / 2);
    let upper = f64::from(value(mid));
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = below
        .iter()
        .copied()
        .max()
        .map_or(upper, |k| f64::from(value(k)));
    Some(f64::midpoint(lower, upper))
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact quantiles are the very stored values"
)]
mod tests {
    use super::{HighCounts, key, median_of_keys, rank, value};

    /// Sorting every value: the oracle.
    fn nearest_rank(values: &[f32], q: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f32::total_cmp);
        f64::from(v[rank(q, v.len() as u64) as usize - 1])
    }

    #[test]
    fn keys_order_like_the_floats_and_round_trip() {
        let mut v = vec![
            -1e30f32, -2.5, -1e-40, -0.0, 0.0, 1e-40, 0.1, 0.2, 1.0, 1.5, 3e5, 1e30,
        ];
        v.sort_by(f32::total_cmp);
        for w in v.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{w:?}");
        }
        for x in v {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn two_passes_give_the_sorted_values_ranks() {
        // Values spread over many high halves and crowded into one (ties included).
        let mut values: Vec<f32> = (0..20_000u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) % 100_000) as f32) * 0.37 + 0.01)
            .collect();
        values.extend(std::iter::repeat_n(42.0, 3000));
        values.extend((0..500).map(|i| 42.0 + i as f32 * 1e-5));
        let mut high = HighCounts::default();
        for &v in &values {
            high.add(key(v));
        }
        let mut low = high.plan().unwrap();
        for &v in &values {
            low.add(key(v));
        }
        let q = low.finish();
        assert_eq!(q.count, values.len() as u64);
        assert_eq!(q.p50, nearest_rank(&values, 0.5));
        assert_eq!(q.p90, nearest_rank(&values, 0.9));
        assert_eq!(q.p99, nearest_rank(&values, 0.99));
        assert_eq!(q.max, nearest_rank(&values, 1.0));
        assert!(HighCounts::default().plan().is_none());
    }

    #[test]
    fn one_value_is_every_quantile() {
        let mut high = HighCounts::default();
        high.add(key(7.25));
        let mut low = high.plan().unwrap();
        low.add(key(7.25));
        let q = low.finish();
        assert_eq!((q.count, q.p50, q.p99, q.max), (1, 7.25, 7.25, 7.25));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median_of_keys(&mut []), None);
        assert_eq!(median_of_keys(&mut [3.0, 1.0, 2.0].map(key)), Some(2.0));
        assert_eq!(
            median_of_keys(&mut [4.0, 1.0, 3.0, 2.0].map(key)),
            Some(2.5)
        );
    }
}
