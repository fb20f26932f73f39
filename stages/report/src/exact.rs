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

/// First pass: values counted per high half of their key and, when planned
/// from a sample of the matrix ([`Self::windowed`]), the low halves of the values
/// in a window of high halves around each quantile's estimate, so that a second
/// pass is needed only when a quantile ends up outside its window.
#[derive(Debug, Clone)]
pub struct HighCounts {
    counts: Vec<u64>,
    n: u64,
    max: u32,
    window: Option<KeyWindow>,
}

impl Default for HighCounts {
    fn default() -> Self {
        Self {
            counts: vec![0; HALF],
            n: 0,
            max: 0,
            window: None,
        }
    }
}

impl HighCounts {
    /// Empty counts with a window around the quantiles of `sample`'s values (none
    /// when the sample is empty), `widen` (at least 1) times the usual width.
    #[must_use]
    pub fn windowed(sample: &Self, widen: f64) -> Self {
        Self {
            window: (!sample.is_empty()).then(|| KeyWindow::around(sample, widen.max(1.0))),
            ..Self::default()
        }
    }

    /// Whether no value was counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Counts one value's key.
    #[inline]
    pub fn add(&mut self, k: u32) {
        self.counts[(k >> 16) as usize] += 1;
        self.n += 1;
        self.max = self.max.max(k);
        if let Some(w) = &mut self.window {
            w.add(k);
        }
    }

    /// The high half holding rank `r` (1-based) of the values counted so far, and
    /// the rank within it.
    fn locate(&self, r: u64) -> (u32, u64) {
        match bin_of_rank(&self.counts, r) {
            Some((high, below)) => (high as u32, r - below),
            None => ((HALF - 1) as u32, r.saturating_sub(self.n)),
        }
    }

    /// Counts the values added since the last call in the window (once per part:
    /// see [`KeyWindow`]).
    pub fn flush(&mut self) {
        if let Some(w) = &mut self.window {
            w.flush();
        }
    }

    /// The exact quantiles from the window, `None` when one of them lies outside
    /// it (then a second pass with [`Self::plan`] is needed).
    #[must_use]
    pub fn exact(&mut self) -> Option<crate::histogram::Quantiles> {
        self.flush();
        let w = self.window.as_ref()?;
        let mut at = [0.0; 3];
        for (a, q) in at.iter_mut().zip(QUANTILES) {
            let (high, r) = self.locate(rank(q, self.n));
            *a = f64::from(value(w.at(high, r, self.counts[high as usize])?));
        }
        Some(crate::histogram::Quantiles {
            count: self.n,
            p50: at[0],
            p90: at[1],
            p99: at[2],
            max: f64::from(value(self.max)),
        })
    }

    /// Adds the counts (and window) of `other`, made by the same constructor
    /// (another worker's share of the parts).
    pub fn merge(&mut self, other: Self) {
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
        self.n += other.n;
        self.max = self.max.max(other.max);
        if let (Some(w), Some(mut o)) = (&mut self.window, other.window) {
            w.merge(&mut o);
        }
    }

    /// What the second pass must count: for each of [`QUANTILES`], the high half
    /// holding its rank and the rank within that half. `None` when empty.
    #[must_use]
    pub fn plan(&self) -> Option<LowCounts> {
        if self.n == 0 {
            return None;
        }
        let wanted: Vec<(u32, u64)> = QUANTILES
            .iter()
            .map(|&q| self.locate(rank(q, self.n)))
            .collect();
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

/// The first bin of `counts` at which the running count reaches rank `r` (1-based),
/// and the count of the bins before it; `None` when all of them hold fewer than `r`.
pub(crate) fn bin_of_rank<C: Copy + Into<u64>>(counts: &[C], r: u64) -> Option<(usize, u64)> {
    let mut below = 0_u64;
    for (i, &c) in counts.iter().enumerate() {
        let c: u64 = c.into();
        if below + c >= r {
            return Some((i, below));
        }
        below += c;
    }
    None
}

/// Ranks either side of a quantile whose high halves a [`KeyWindow`] covers, as a
/// fraction of the sample it is planned from.
const WINDOW_RANKS: f64 = 0.01;
/// The most high halves one quantile's window covers (256 KiB of counters each),
/// before widening.
const WINDOW_HIGHS: u32 = 24;
/// The most high halves the windows of all quantiles cover together (32 MiB of
/// counters; whole Malta at resolution 10 needs 36 for the durations).
const WINDOW_TOTAL: u32 = 128;

/// Low halves counted for the high halves around each quantile's estimate: the
/// exact value of a rank that falls in a high half of the window.
#[derive(Debug, Clone)]
struct KeyWindow {
    /// `(first high half, counts per key from its first)`, not overlapping.
    ranges: Vec<(u32, Vec<u32>)>,
    /// The keys in the window since the last [`Self::flush`]: counted in key
    /// order, the counters are walked through instead of hit at random (several
    /// MiB of them: a cache miss per value).
    pending: Vec<u32>,
    /// `(first key, last key)` of each range, for the test of each value.
    bounds: Vec<(u32, u32)>,
}

impl KeyWindow {
    /// The high halves holding the ranks within `widen`² times [`WINDOW_RANKS`] of
    /// each quantile of `high`'s values, and one more on each side.
    fn around(high: &HighCounts, widen: f64) -> Self {
        // The quantiles of a bimodal distribution (the ferry in Malta's durations)
        // move fast with a sample's share of each mode: widened twice as fast.
        let ranks = WINDOW_RANKS * widen * widen;
        let spans = |half: u32| -> Vec<(u32, u32)> {
            let mut spans: Vec<(u32, u32)> = QUANTILES
                .iter()
                .map(|&q| {
                    let lo = high.locate(rank(q - ranks, high.n)).0;
                    let hi = high.locate(rank(q + ranks, high.n)).0;
                    let mid = high.locate(rank(q, high.n)).0;
                    let lo = lo.saturating_sub(1).max(mid.saturating_sub(half));
                    let hi = (hi + 1).min(mid + half).min((HALF - 1) as u32);
                    (lo, hi)
                })
                .collect();
            spans.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::new();
            for (lo, hi) in spans {
                match merged.last_mut() {
                    Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
                    _ => merged.push((lo, hi)),
                }
            }
            merged
        };
        // Each quantile's span at most `half` high halves either side, and all of
        // them at most [`WINDOW_TOTAL`]: a wide window narrows rather than grows
        // the memory (it may then miss, and the second pass runs).
        let mut half = (f64::from(WINDOW_HIGHS / 2) * widen * widen) as u32;
        let mut merged = spans(half);
        while merged.iter().map(|&(lo, hi)| hi - lo + 1).sum::<u32>() > WINDOW_TOTAL && half > 0 {
            half /= 2;
            merged = spans(half);
        }
        Self {
            bounds: merged
                .iter()
                .map(|&(lo, hi)| (lo << 16, (hi << 16) | 0xffff))
                .collect(),
            ranges: merged
                .into_iter()
                .map(|(lo, hi)| (lo, vec![0; (hi - lo + 1) as usize * HALF]))
                .collect(),
            pending: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, k: u32) {
        if self.bounds.iter().any(|&(lo, hi)| lo <= k && k <= hi) {
            self.pending.push(k);
        }
    }

    /// Counts the pending keys.
    fn flush(&mut self) {
        self.pending.sort_unstable();
        let mut ranges = self.ranges.iter_mut().peekable();
        for &k in &self.pending {
            while let Some((lo, counts)) = ranges.peek_mut() {
                let i = (k as usize).wrapping_sub((*lo as usize) << 16);
                if let Some(c) = counts.get_mut(i) {
                    *c += 1;
                    break;
                }
                ranges.next();
            }
        }
        self.pending.clear();
    }

    fn merge(&mut self, other: &mut Self) {
        self.flush();
        other.flush();
        for ((_, c), (_, o)) in self.ranges.iter_mut().zip(&other.ranges) {
            for (c, o) in c.iter_mut().zip(o) {
                *c += o;
            }
        }
    }

    /// The key of rank `r` within high half `high`, which holds `total` values:
    /// `None` when the window does not cover `high` or missed some of its values.
    fn at(&self, high: u32, r: u64, total: u64) -> Option<u32> {
        let (lo, counts) = self
            .ranges
            .iter()
            .find(|(lo, c)| *lo <= high && ((high - lo) as usize) < c.len() / HALF)?;
        let start = (high - lo) as usize * HALF;
        let counts = &counts[start..start + HALF];
        if counts.iter().map(|&c| u64::from(c)).sum::<u64>() != total {
            return None;
        }
        bin_of_rank(counts, r).map(|(low, _)| (high << 16) | low as u32)
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
            // None: the second pass saw fewer values than the first (the files
            // changed between the passes): the largest value is the best remaining answer.
            let key = bin_of_rank(counts, r).map_or(self.max, |(low, _)| (high << 16) | low as u32);
            f64::from(value(key))
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
    fn a_window_planned_from_a_sample_gives_the_exact_ranks_or_nothing() {
        let values: Vec<f32> = (0..50_000u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) % 100_000) as f32) * 0.37 + 0.01)
            .collect();
        let mut sample = HighCounts::default();
        for &v in values.iter().step_by(16) {
            sample.add(key(v));
        }
        let mut all = HighCounts::windowed(&sample, 1.0);
        for &v in &values {
            all.add(key(v));
        }
        let q = all.exact().unwrap();
        assert_eq!(q.count, values.len() as u64);
        assert_eq!(q.p50, nearest_rank(&values, 0.5));
        assert_eq!(q.p90, nearest_rank(&values, 0.9));
        assert_eq!(q.p99, nearest_rank(&values, 0.99));
        assert_eq!(q.max, nearest_rank(&values, 1.0));
        // A sample of other values: the ranks fall outside the window.
        let mut wrong = HighCounts::default();
        wrong.add(key(1e6));
        let mut all = HighCounts::windowed(&wrong, 1.0);
        for &v in &values {
            all.add(key(v));
        }
        assert!(all.exact().is_none());
        assert!(
            HighCounts::windowed(&HighCounts::default(), 1.0)
                .exact()
                .is_none()
        );
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
