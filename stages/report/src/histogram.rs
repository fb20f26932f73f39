//! Quantiles from a histogram of binned values.
//!
//! Exact quantiles of hundreds of millions of rows need the whole column in memory,
//! and the matrix is read one part at a time. A histogram is: values are rounded to
//! a bin width (0.1 s, 1 m, 0.001 for the detour factor), a group-by counts each
//! part's rows per bin (a few thousand to a few hundred thousand groups), the counts
//! add up over the parts, and quantiles are read from the cumulative counts. They
//! are exact to half a bin.

/// Counts of values per bin: bin `k` holds the values that round to `k * width`.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Bin width in the value's unit.
    pub width: f64,
    /// `(bin, count)`, ascending by bin, counts > 0.
    pub bins: Vec<(i64, u64)>,
}

/// p50, p90, p99 and max of a distribution, in the value's unit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Quantiles {
    /// Number of values.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Histogram {
    /// A histogram of `width` from unsorted `(bin, count)` pairs (zero counts dropped).
    #[must_use]
    pub fn new(width: f64, mut bins: Vec<(i64, u64)>) -> Self {
        bins.retain(|&(_, n)| n > 0);
        bins.sort_unstable_by_key(|&(k, _)| k);
        Self { width, bins }
    }

    /// Number of values counted.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.bins.iter().map(|&(_, n)| n).sum()
    }

    /// The nearest-rank `q` quantile (`0 < q <= 1`): the smallest binned value with at
    /// least `ceil(q * count)` values at or below it. `None` when empty.
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        for &(k, c) in &self.bins {
            seen += c;
            if seen >= rank {
                return Some(k as f64 * self.width);
            }
        }
        self.bins.last().map(|&(k, _)| k as f64 * self.width)
    }

    /// Number of values whose bin is above `threshold` (in the value's unit).
    #[must_use]
    #[cfg(test)]
    pub fn count_above(&self, threshold: f64) -> u64 {
        self.bins
            .iter()
            .filter(|&&(k, _)| k as f64 * self.width > threshold)
            .map(|&(_, n)| n)
            .sum()
    }

    /// p50, p90, p99 and max, or `None` when empty.
    #[must_use]
    pub fn quantiles(&self) -> Option<Quantiles> {
        Some(Quantiles {
            count: self.count(),
            p50: self.quantile(0.5)?,
            p90: self.quantile(0.9)?,
            p99: self.quantile(0.99)?,
            max: self.quantile(1.0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn nearest_rank_quantiles_over_bins() {
        // values 1..=100 in bins of width 1: p50 = 50, p90 = 90, p99 = 99, max = 100
        let h = Histogram::new(1.0, (1..=100).map(|k| (k, 1)).collect());
        let q = h.quantiles().unwrap();
        assert_eq!(
            (q.count, q.p50, q.p90, q.p99, q.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
    }

    #[test]
    fn counts_weight_the_ranks_and_order_does_not_matter() {
        // 9 values at 2.0 and 1 at 7.5 (width 0.5): p50 = p90 = 2, p99 = max = 7.5
        let h = Histogram::new(0.5, vec![(15, 1), (4, 9), (8, 0)]);
        assert_eq!(h.bins, vec![(4, 9), (15, 1)]);
        assert_eq!(h.quantile(0.5), Some(2.0));
        assert_eq!(h.quantile(0.9), Some(2.0));
        assert_eq!(h.quantile(0.91), Some(7.5));
        assert_eq!(h.quantile(1.0), Some(7.5));
        assert_eq!(h.count_above(2.0), 1);
        assert_eq!(h.count_above(7.5), 0);
    }

    #[test]
    fn empty_has_no_quantiles() {
        assert_eq!(Histogram::new(1.0, Vec::new()).quantiles(), None);
    }
}
