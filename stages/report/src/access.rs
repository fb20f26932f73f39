//! Accessibility per ok cell (`access.parquet`): how many ok cells, and which share
//! of them, each cell reaches within 5, 10, 15, 30 and 60 minutes, and its median
//! travel time from and to the other cells.
//!
//! **From** (the cell as origin) is computed per part: a part holds whole origins,
//! so an origin's durations are all in memory at once; its median is exact (a
//! selection) and its reach is a count per threshold.
//!
//! **To** (the cell as destination) gathers every origin, so it spans every part.
//! An exact median per destination over one pass would need every duration in
//! memory (the matrix itself); a count per distinct value does not fit either
//! (durations are arbitrary floats). So it takes two passes, like the quantiles
//! of [`crate::exact`]: the first counts each destination's durations in 512
//! bins (a sixteenth of an octave wide each: 2 KiB per cell), which tells the bin
//! that holds its median; the second keeps only the durations that fall in that
//! bin and selects the median among them. Memory: cells × 2 KiB, plus the
//! durations of the median bins (a few per cent of the pairs; see the README).

use hexmatrix_contract::columns::cells;
use polars_core::prelude::*;

use crate::exact::{key, median_of_keys, value};

/// The thresholds of the reach columns, minutes.
pub const THRESHOLDS_MIN: [u32; 5] = [5, 10, 15, 30, 60];

/// Bins per destination of the first pass.
const BINS: usize = 512;
/// The bin of a key: its top 13 bits (sign, exponent, 4 bits of mantissa: a
/// sixteenth of an octave) from that of 2⁻⁸ s on; smaller values go to the first
/// bin, values past 2²⁴ s to the last (bins only narrow the search: the median
/// is still selected among the values).
const BIN_SHIFT: u32 = 19;

pub(crate) fn bin(k: u32) -> usize {
    let base = key(1.0 / 256.0) >> BIN_SHIFT;
    ((k >> BIN_SHIFT).saturating_sub(base) as usize).min(BINS - 1)
}

/// One ok cell's row of `access.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    /// H3 cell index.
    pub cell: u64,
    /// Ok cells reached within each of `THRESHOLDS_MIN`, the cell itself included.
    pub reach: [u32; 5],
    /// `reach` over the number of ok cells.
    pub share: [f64; 5],
    /// Median duration in seconds to the other ok cells it reaches.
    pub median_from_s: Option<f64>,
    /// Median duration in seconds from the other ok cells that reach it.
    pub median_to_s: Option<f64>,
}

/// The first pass's figures per ok cell (indexes of [`crate::grid::OkCells`]).
#[derive(Debug)]
pub(crate) struct FromAndBins {
    reach: Vec<[u32; 5]>,
    median_from: Vec<Option<f64>>,
    seen: Vec<bool>,
    /// Per destination, allocated at its first pair (a damaged `cells.parquet`
    /// may list many more ok cells than the parts hold).
    to_bins: Vec<Option<Box<[u32]>>>,
    limits: [u32; 5],
    /// An origin whose rows are in more than one part (the contract rules it
    /// out): its median covers its last part only.
    pub(crate) split_origin: Option<u64>,
    /// Per destination, the durations kept for its exact median in the same pass
    /// (see [`Self::windowed`]); `None`: a second pass ([`Self::plan`]) finds them.
    windows: Option<Vec<ToWindow>>,
}

/// The bins `lo..=hi` of one destination whose every duration is kept, and
/// those durations.
#[derive(Debug, Clone)]
struct ToWindow {
    lo: usize,
    hi: usize,
    keys: Vec<u32>,
}

/// Ranks either side of a destination's median whose bins its window covers, as
/// a fraction of its durations in the sample (see [`FromAndBins::windowed`]).
/// On whole Malta at resolution 10, with the first sixteenth of every part as
/// the sample, the worst estimate of the 10,437 destinations was 0.049 of the
/// ranks off: 0.08 leaves a margin, and keeps about a sixth of the durations.
const WINDOW_RANKS: f64 = 0.08;

/// The bin holding rank `r` (1-based) of `bins`' counts, and the count below it.
fn locate(bins: &[u32], r: u64) -> (usize, u64) {
    crate::exact::bin_of_rank(bins, r)
        .unwrap_or_else(|| (BINS - 1, bins.iter().map(|&c| u64::from(c)).sum()))
}

impl FromAndBins {
    /// Empty counters for `n` ok cells.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            reach: vec![[1; 5]; n],
            median_from: vec![None; n],
            seen: vec![false; n],
            to_bins: vec![None; n],
            limits: THRESHOLDS_MIN.map(|m| key((m * 60) as f32)),
            split_origin: None,
            windows: None,
        }
    }

    /// Counters for `n` ok cells that also keep, per destination, the durations
    /// in the bins holding the ranks within `widen` (at least 1) times
    /// [`WINDOW_RANKS`] of its median in
    /// `sample` (each destination's duration bins in a sample of the matrix): its
    /// exact median without a second pass when the median falls in them. A
    /// destination missing from the sample keeps nothing.
    pub(crate) fn windowed(n: usize, sample: &[Option<Box<[u32]>>], widen: f64) -> Self {
        let ranks = (WINDOW_RANKS * widen.max(1.0)).min(0.5);
        let windows = (0..n)
            .map(|d| {
                let (lo, hi) = match sample.get(d) {
                    Some(Some(bins)) => {
                        let total: u64 = bins.iter().map(|&c| u64::from(c)).sum();
                        let at = |q: f64| locate(bins, crate::exact::rank(q, total)).0;
                        (at(0.5 - ranks), at(0.5 + ranks))
                    }
                    _ => (1, 0),
                };
                ToWindow {
                    lo,
                    hi,
                    keys: Vec::new(),
                }
            })
            .collect();
        Self {
            windows: Some(windows),
            ..Self::new(n)
        }
    }

    /// The share of `sample`'s durations (bins per destination, as given to
    /// [`Self::windowed`]) that fall in the windows: what they will keep.
    pub(crate) fn window_share(&self, sample: &[Option<Box<[u32]>>]) -> f64 {
        let (mut inside, mut all) = (0u64, 0u64);
        for (w, bins) in self.windows.iter().flatten().zip(sample) {
            for (b, &c) in bins.iter().flat_map(|b| b.iter().enumerate()) {
                all += u64::from(c);
                if (w.lo..=w.hi).contains(&b) {
                    inside += u64::from(c);
                }
            }
        }
        inside as f64 / all.max(1) as f64
    }

    /// Counts one sampled pair's duration key `k` to destination `dest` in
    /// `bins` (per destination, as [`Self::windowed`] takes them).
    pub(crate) fn sample(bins: &mut [Option<Box<[u32]>>], dest: usize, k: u32) {
        if let Some(b) = bins.get_mut(dest) {
            b.get_or_insert_with(|| vec![0; BINS].into_boxed_slice())[bin(k)] += 1;
        }
    }

    /// Durations kept in the windows.
    pub(crate) fn kept(&self) -> usize {
        self.windows.iter().flatten().map(|w| w.keys.len()).sum()
    }

    /// Every destination's exact median from its window, `None` when one of them
    /// lies outside its window or there are no windows (then the second pass of
    /// [`Self::plan`] is needed). Reorders the kept durations.
    pub(crate) fn medians_to(&mut self) -> Option<Vec<Option<f64>>> {
        let windows = self.windows.as_mut()?;
        let mut out = Vec::with_capacity(windows.len());
        for (w, bins) in windows.iter_mut().zip(&self.to_bins) {
            let Some(bins) = bins else {
                out.push(None);
                continue;
            };
            let total: u64 = bins.iter().map(|&c| u64::from(c)).sum();
            // The middle ranks (1-based): one when odd, two when even.
            let (r1, r2) = (total.div_ceil(2), (total / 2 + 1).min(total));
            let ((b1, _), (b2, _)) = (locate(bins, r1), locate(bins, r2));
            if b1 < w.lo || b2 > w.hi {
                return None;
            }
            let below: u64 = bins[..w.lo].iter().map(|&c| u64::from(c)).sum();
            let inside: u64 = bins[w.lo..=w.hi].iter().map(|&c| u64::from(c)).sum();
            if inside != w.keys.len() as u64 || r1 <= below {
                return None;
            }
            // The two middle ranks among the kept durations: a selection, not a
            // sort (the keys of every destination, a fifth of the pairs, are
            // looked at here on one thread).
            let (i1, i2) = ((r1 - below - 1) as usize, (r2 - below - 1) as usize);
            let (_, &mut k1, above) = w.keys.select_nth_unstable(i1);
            let k2 = if i2 == i1 {
                k1
            } else {
                above.iter().copied().min().unwrap_or(k1)
            };
            out.push(Some(f64::midpoint(
                f64::from(value(k1)),
                f64::from(value(k2)),
            )));
        }
        Some(out)
    }

    /// One part's routed pairs: `dests[i]` (cell index) and `bins[i]` ([`bin`] of
    /// the duration key) for row `i`; the rows of each origin start at `runs`, in
    /// ascending order of destination (the contract's row order).
    ///
    /// The counts are added tile by tile (64 destinations: 128 KiB of counters at
    /// a time), each origin's rows advancing by a cursor, not row by row: row
    /// order visits every destination's counters in turn (20 MiB on whole Malta
    /// at resolution 10) and missed the cache on nearly every row. Rows in
    /// another order are still each counted once, only more slowly.
    /// `keys[i]` is row `i`'s duration key, kept when it falls in its
    /// destination's window.
    pub(crate) fn add_to(&mut self, dests: &[u32], bins: &[u16], keys: &[u32], runs: &[usize]) {
        const TILE: usize = 64;
        let ends: Vec<usize> = runs.iter().skip(1).copied().chain([dests.len()]).collect();
        let mut cursors = runs.to_vec();
        let n = self.to_bins.len();
        let (to_bins, mut windows) = (&mut self.to_bins, self.windows.as_deref_mut());
        let mut hi = 0;
        while hi < n {
            hi = (hi + TILE).min(n);
            for (c, &end) in cursors.iter_mut().zip(&ends) {
                while *c < end && (dests[*c] as usize) < hi {
                    let (d, b) = (dests[*c] as usize, usize::from(bins[*c]));
                    if let Some(counts) = to_bins.get_mut(d) {
                        counts.get_or_insert_with(|| vec![0; BINS].into_boxed_slice())[b] += 1;
                    }
                    if let Some(w) = windows.as_deref_mut().and_then(|ws| ws.get_mut(d))
                        && w.lo <= b
                        && b <= w.hi
                    {
                        w.keys.push(keys[*c]);
                    }
                    *c += 1;
                }
            }
        }
    }

    /// All the durations (keys) from origin `origin` to the other cells it
    /// reaches; reorders `keys`.
    pub(crate) fn set_from(&mut self, origin: usize, cell: u64, keys: &mut [u32]) {
        if std::mem::replace(&mut self.seen[origin], true) {
            self.split_origin.get_or_insert(cell);
            self.reach[origin] = [1; 5];
        }
        for &k in keys.iter() {
            for (r, &limit) in self.reach[origin].iter_mut().zip(&self.limits) {
                *r += u32::from(k <= limit);
            }
        }
        self.median_from[origin] = median_of_keys(keys);
    }

    /// Adds the figures of `other` (another worker's share of the parts: other
    /// origins, the same destinations); `ids` are the ok cells.
    pub(crate) fn merge(&mut self, other: Self, ids: &[u64]) {
        let origins = self.seen.iter_mut().zip(other.seen);
        let figures = self.reach.iter_mut().zip(other.reach);
        let medians = self.median_from.iter_mut().zip(other.median_from);
        for (i, (((seen, theirs), (reach, r)), (median, m))) in
            origins.zip(figures).zip(medians).enumerate()
        {
            if theirs {
                if *seen {
                    // Both saw this origin: its rows span parts (the contract rules
                    // it out); keep one side's figures, as one part's.
                    self.split_origin
                        .get_or_insert(ids.get(i).copied().unwrap_or_default());
                }
                (*seen, *reach, *median) = (true, r, m);
            }
        }
        if self.split_origin.is_none() {
            self.split_origin = other.split_origin;
        }
        for (mine, theirs) in self.to_bins.iter_mut().zip(other.to_bins) {
            match (mine.as_mut(), theirs) {
                (Some(m), Some(t)) => m.iter_mut().zip(t.iter()).for_each(|(m, t)| *m += t),
                (None, Some(t)) => *mine = Some(t),
                (_, None) => {}
            }
        }
        if let (Some(mine), Some(theirs)) = (&mut self.windows, other.windows) {
            for (m, mut t) in mine.iter_mut().zip(theirs) {
                m.keys.append(&mut t.keys);
            }
        }
    }

    /// What the second pass must keep per destination.
    pub(crate) fn plan(self) -> (FromFigures, ToMedians) {
        let mut plans = Vec::with_capacity(self.to_bins.len());
        for bins in &self.to_bins {
            plans.push(if let Some(bins) = bins {
                let total: u64 = bins.iter().map(|&c| u64::from(c)).sum();
                // The middle ranks (1-based): one when odd, two when even.
                let (r1, r2) = (total.div_ceil(2), total / 2 + 1);
                let find = |r: u64| locate(bins, r);
                let ((lo, below), (hi, _)) = (find(r1), find(r2.min(total)));
                Some(ToPlan {
                    lo,
                    hi,
                    r1: r1 - below,
                    r2: r2.min(total) - below,
                    keys: Vec::new(),
                })
            } else {
                None
            });
        }
        (
            FromFigures {
                reach: self.reach,
                median_from: self.median_from,
            },
            ToMedians { plans },
        )
    }
}

/// The "from" figures of every ok cell.
#[derive(Debug)]
pub(crate) struct FromFigures {
    reach: Vec<[u32; 5]>,
    median_from: Vec<Option<f64>>,
}

/// Per destination: the bins that hold its middle ranks, those ranks within the
/// kept values, and the kept values.
#[derive(Debug, Clone)]
struct ToPlan {
    lo: usize,
    hi: usize,
    r1: u64,
    r2: u64,
    keys: Vec<u32>,
}

/// The second pass over the destinations.
#[derive(Debug, Clone)]
pub(crate) struct ToMedians {
    plans: Vec<Option<ToPlan>>,
}

impl ToMedians {
    /// One routed pair's duration key `k` to destination `dest`: kept if it falls
    /// in the bins of the destination's median.
    #[inline]
    pub(crate) fn add(&mut self, dest: usize, k: u32) {
        if let Some(Some(p)) = self.plans.get_mut(dest) {
            let b = bin(k);
            if p.lo <= b && b <= p.hi {
                p.keys.push(k);
            }
        }
    }

    /// Adds the values `other` kept (another worker's share of the parts, planned
    /// by the same [`FromAndBins::plan`]).
    pub(crate) fn merge(&mut self, other: Self) {
        for (mine, theirs) in self.plans.iter_mut().zip(other.plans) {
            if let (Some(m), Some(mut t)) = (mine, theirs) {
                m.keys.append(&mut t.keys);
            }
        }
    }

    /// Values kept so far (for the memory figure).
    pub(crate) fn kept(&self) -> usize {
        self.plans.iter().flatten().map(|p| p.keys.len()).sum()
    }

    /// Every ok cell's row, given the cells' indexes `ids` and the first pass.
    pub(crate) fn finish(self, ids: &[u64], from: FromFigures) -> Vec<Access> {
        let medians = self.plans.into_iter().map(|p| p.and_then(ToPlan::median));
        from.rows(ids, medians.collect())
    }
}

impl FromFigures {
    /// Every ok cell's row, given the cells' indexes `ids` and the median duration
    /// to each (in the order of `ids`).
    pub(crate) fn rows(self, ids: &[u64], median_to: Vec<Option<f64>>) -> Vec<Access> {
        let n = ids.len();
        let Self { reach, median_from } = self;
        ids.iter()
            .zip(reach)
            .zip(median_from)
            .zip(median_to)
            .map(|(((&cell, reach), median_from_s), median_to_s)| Access {
                cell,
                reach,
                share: reach.map(|r| f64::from(r) / n as f64),
                median_from_s,
                median_to_s,
            })
            .collect()
    }
}

impl ToPlan {
    fn median(mut self) -> Option<f64> {
        let n = self.keys.len() as u64;
        if n < self.r2 || self.r1 == 0 {
            // The second pass saw fewer values than the first: the files changed.
            return None;
        }
        self.keys.sort_unstable();
        let at = |r: u64| f64::from(value(self.keys[(r - 1) as usize]));
        Some(f64::midpoint(at(self.r1), at(self.r2)))
    }
}

/// Accessibility over all ok cells, for `report.md`: per threshold, the share of
/// the ok cells one cell reaches, as exact order statistics across cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessSummary {
    /// Ok cells summarised.
    pub cells: usize,
    /// Per threshold (5, 10, 15, 30 and 60 min, as in `access.parquet`): the 10th percentile, median and 90th
    /// percentile (nearest rank) of the share reached.
    pub share_p10: [f64; 5],
    /// See [`Self::share_p10`].
    pub share_p50: [f64; 5],
    /// See [`Self::share_p10`].
    pub share_p90: [f64; 5],
    /// The median over cells of each cell's median travel time to the others, seconds.
    pub median_from_s: Option<f64>,
    /// The threshold (index into the thresholds) at which the median cell reaches
    /// the share nearest one half (the shorter on a tie): the map's third panel.
    /// The typical cell then sits mid-ramp and the colours spread; in a small city
    /// everything is within 30 min and that panel would be one colour. (The widest
    /// p90 - p10 was the rule before: on whole Malta the ferry to Gozo made 30 and
    /// 60 min tie on two islands' difference, and the main island was one colour.)
    pub map_threshold: usize,
    /// The cells reaching the largest and the smallest share within the map's
    /// threshold (hex, share); ties go to the lower cell index.
    pub best: Option<(String, f64)>,
    /// See [`Self::best`].
    pub worst: Option<(String, f64)>,
}

impl AccessSummary {
    /// The map's threshold in minutes.
    #[must_use]
    pub fn map_threshold_min(&self) -> u32 {
        THRESHOLDS_MIN[self.map_threshold.min(THRESHOLDS_MIN.len() - 1)]
    }
}

/// Nearest-rank `q` quantile of sorted `v` (empty: 0).
fn nearest_rank(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = (q * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

/// Summarises the rows of `access.parquet` (`hex[i]` names `rows[i]`).
pub(crate) fn summarise(rows: &[Access], hex: &[String]) -> AccessSummary {
    let mut out = AccessSummary {
        cells: rows.len(),
        ..AccessSummary::default()
    };
    for t in 0..THRESHOLDS_MIN.len() {
        let mut shares: Vec<f64> = rows.iter().map(|a| a.share[t]).collect();
        shares.sort_by(f64::total_cmp);
        out.share_p10[t] = nearest_rank(&shares, 0.1);
        out.share_p50[t] = nearest_rank(&shares, 0.5);
        out.share_p90[t] = nearest_rank(&shares, 0.9);
    }
    let mut medians: Vec<f64> = rows.iter().filter_map(|a| a.median_from_s).collect();
    medians.sort_by(f64::total_cmp);
    out.median_from_s = (!medians.is_empty()).then(|| nearest_rank(&medians, 0.5));
    let off_half = |t: usize| (out.share_p50[t] - 0.5).abs();
    // min_by keeps the first of equal elements: the shorter threshold on a tie.
    let t = (0..THRESHOLDS_MIN.len())
        .min_by(|&a, &b| off_half(a).total_cmp(&off_half(b)))
        .unwrap_or(0);
    out.map_threshold = t;
    let named = |i: usize| (hex.get(i).cloned().unwrap_or_default(), rows[i].share[t]);
    let by_share = |a: &usize, b: &usize| rows[*a].share[t].total_cmp(&rows[*b].share[t]);
    // max_by keeps the last of equal elements, min_by the first: reverse the range
    // for the best so that both prefer the lower index.
    out.best = (0..rows.len()).rev().max_by(by_share).map(named);
    out.worst = (0..rows.len()).min_by(by_share).map(named);
    out
}

/// Column names of `access.parquet`, after `cell` and `cell_hex`.
#[must_use]
pub fn reach_column(minutes: u32) -> String {
    format!("reach_{minutes}min")
}

/// Share column of `access.parquet` for `minutes`.
#[must_use]
pub fn share_column(minutes: u32) -> String {
    format!("share_{minutes}min")
}

/// `access.parquet` as a data frame: `cell`, `cell_hex`, `reach_Nmin` (`UInt32`) and
/// `share_Nmin` (`Float64`) for each threshold, `median_from_s`, `median_to_s`
/// (Float64, null when the cell reaches, or is reached from, no other cell).
pub(crate) fn frame(rows: &[Access], hex: &[String]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        Column::new(
            cells::CELL.into(),
            rows.iter().map(|a| a.cell).collect::<Vec<_>>(),
        ),
        Column::new(cells::CELL_HEX.into(), hex.to_vec()),
    ];
    for (i, m) in THRESHOLDS_MIN.iter().enumerate() {
        columns.push(Column::new(
            reach_column(*m).into(),
            rows.iter().map(|a| a.reach[i]).collect::<Vec<_>>(),
        ));
    }
    for (i, m) in THRESHOLDS_MIN.iter().enumerate() {
        columns.push(Column::new(
            share_column(*m).into(),
            rows.iter().map(|a| a.share[i]).collect::<Vec<_>>(),
        ));
    }
    columns.push(Column::new(
        "median_from_s".into(),
        rows.iter().map(|a| a.median_from_s).collect::<Vec<_>>(),
    ));
    columns.push(Column::new(
        "median_to_s".into(),
        rows.iter().map(|a| a.median_to_s).collect::<Vec<_>>(),
    ));
    DataFrame::new_infer_height(columns)
}

#[cfg(test)]
mod tests {
    use super::{Access, BINS, bin, key, summarise};

    fn row(cell: u64, share30: f64, median: Option<f64>) -> Access {
        Access {
            cell,
            reach: [0; 5],
            share: [share30 / 4.0, share30 / 2.0, share30 / 1.5, share30, 1.0],
            median_from_s: median,
            median_to_s: None,
        }
    }

    #[test]
    fn access_summary_is_exact_order_statistics() {
        let rows: Vec<Access> = (0..10)
            .map(|i| {
                row(
                    i,
                    f64::from(i as u32) / 10.0,
                    (i != 3).then_some(f64::from(i as u32 * 60)),
                )
            })
            .collect();
        let hex: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        let s = summarise(&rows, &hex);
        assert_eq!(s.cells, 10);
        // Shares at 30 min: 0.0, 0.1, ... 0.9; nearest rank: p10 = 1st, p50 = 5th, p90 = 9th.
        assert!((s.share_p10[3] - 0.0).abs() < 1e-12, "{s:?}");
        assert!((s.share_p50[3] - 0.4).abs() < 1e-12, "{s:?}");
        assert!((s.share_p90[3] - 0.8).abs() < 1e-12, "{s:?}");
        assert!((s.share_p50[4] - 1.0).abs() < 1e-12);
        // Medians 0, 60, 120, 240, ... 540 (cell 3 has none): the 5th of 9 is 300.
        assert_eq!(s.median_from_s, Some(300.0));
        // Median shares per threshold: 0.1, 0.2, 0.267, 0.4, 1.0 -> 30 min is nearest 1/2.
        assert_eq!(s.map_threshold_min(), 30);
        assert_eq!(s.best, Some(("c9".to_owned(), 0.9)));
        assert_eq!(s.worst, Some(("c0".to_owned(), 0.0)));
        let ties = summarise(
            &[row(1, 0.5, None), row(2, 0.5, None)],
            &["a".into(), "b".into()],
        );
        // Median shares 0.125, 0.25, 0.333, 0.5, 1.0: exactly one half at 30 min.
        assert_eq!(ties.map_threshold_min(), 30);
        // Equally far from one half at 15 and 30 min (0.4 and 0.6): the shorter.
        let mut even = row(1, 0.6, None);
        even.share = [0.1, 0.2, 0.4, 0.6, 1.0];
        assert_eq!(summarise(&[even], &["e".into()]).map_threshold_min(), 15);
        assert_eq!(ties.best.map(|b| b.0), Some("a".to_owned()));
        assert_eq!(ties.worst.map(|b| b.0), Some("a".to_owned()));
        assert_eq!(ties.median_from_s, None);
        assert_eq!(summarise(&[], &[]).best, None);
    }

    #[test]
    fn bins_are_ordered_and_clamped() {
        let mut last = 0;
        for v in [
            0.0f32,
            0.001,
            0.01,
            1.0,
            1.07,
            60.0,
            3600.0,
            1e6,
            1e9,
            f32::MAX,
        ] {
            let b = bin(key(v));
            assert!(b >= last && b < BINS, "{v}: {b}");
            last = b;
        }
        assert_eq!(bin(key(0.0)), 0);
        assert_eq!(bin(key(-5.0)), 0);
        assert_eq!(bin(key(1e9)), BINS - 1);
        assert_eq!(bin(key(1.0)), bin(key(1.06)), "a sixteenth of an octave");
        assert_eq!(bin(key(1.0)) + 1, bin(key(1.07)));
    }
}
