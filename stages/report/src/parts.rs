//! Two passes over the parts. Polars decodes each Parquet part; the figures are
//! computed in plain loops over the decoded buffers, while the next part is
//! being decoded on another thread.
//!
//! 1. **First pass**: pair counts, the high halves of the duration and distance
//!    keys ([`crate::exact`]), the detour factors and the suspicious pairs, every
//!    origin's reach and median (a part holds whole origins), and per
//!    destination the bins of its durations ([`crate::access`]).
//! 2. **Second pass**: the low halves of the keys in the few high halves that
//!    hold a wanted quantile, and per destination the durations of its median's
//!    bins: exact quantiles and medians.
//!
//! Memory is bounded by the largest part (two in flight: the one computed on and
//! the one being decoded) plus per-cell counters, however many parts there are.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use polars_core::prelude::DataFrame;

use crate::access::{Access, FromAndBins};
use crate::error::{Error, Result};
use crate::exact::{HighCounts, LowCounts, key};
use crate::grid::OkCells;
use crate::histogram::{Histogram, Quantiles};
use crate::scan::{MatrixFiles, PartColumns, isolated, read};
use crate::stats::{DETOUR_BIN, PAIR_COLUMNS, PairStats};
use crate::suspicious::{DETOUR_LIMIT, Suspicious, TopPairs};

/// Live counters of the passes, for a progress display.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Parts read so far, both passes together (each part is read twice).
    pub parts: Arc<AtomicU64>,
    /// Rows read so far, both passes together.
    pub rows: Arc<AtomicU64>,
    /// Bytes of Parquet read so far, both passes together.
    pub bytes: Arc<AtomicU64>,
}

/// What the parts give.
#[derive(Debug, Clone)]
pub struct PartFigures {
    /// Pair counts, exact quantiles, detour histogram.
    pub pairs: PairStats,
    /// The suspicious pairs: how many, and the worst `top`.
    pub suspicious: Suspicious,
    /// Accessibility per ok cell, ascending by cell.
    pub access: Vec<Access>,
    /// The ok cells' hex names, in the order of `access`.
    pub hex: Vec<String>,
    /// An origin whose rows span more than one part, if any (its median then
    /// covers one part only; the matrix contract rules this out).
    pub split_origin: Option<u64>,
    /// Durations kept for the exact medians to the destinations in the second
    /// pass (the part of memory that grows with the matrix, see [`crate::access`]).
    pub kept_for_medians: usize,
}

/// Reads every part of `files` twice; keeps the `top` worst suspicious pairs;
/// advances `counters` as parts are done.
///
/// # Errors
/// A part or `cells.parquet` cannot be read or has the wrong columns.
pub fn scan(files: &MatrixFiles, top: usize, counters: &Counters) -> Result<PartFigures> {
    let ok = OkCells::read(files)?;
    let mut first = First::new(&ok, top);
    each_part(&files.parts, counters, |cols, _| {
        first.part(cols);
        Ok(())
    })?;
    let First {
        pairs,
        unreachable,
        duration,
        distance,
        mut detour,
        top: top_pairs,
        access,
        ..
    } = first;
    let (mut low_duration, mut low_distance) = (duration.plan(), distance.plan());
    let split_origin = access.split_origin;
    let (from, mut to) = access.plan();
    each_part(&files.parts, counters, |cols, _| {
        let mut hint = 0;
        cols.for_each(|o, d, m, s| {
            let (Some(o), Some(d), Some(m), Some(s)) = (o, d, m, s) else {
                return;
            };
            if o == d {
                return;
            }
            let ks = key(s);
            if let Some(low) = &mut low_duration {
                low.add(ks);
            }
            if let Some(low) = &mut low_distance {
                low.add(key(m));
            }
            if let Some(di) = ok.index(d, &mut hint) {
                to.add(di, ks);
            }
        });
        Ok(())
    })?;
    let kept_for_medians = to.kept();
    let access = to.finish(&ok.ids, from);
    Ok(PartFigures {
        pairs: PairStats {
            pairs,
            unreachable,
            duration_s: low_duration.as_ref().map(LowCounts::finish),
            distance_m: low_distance.as_ref().map(LowCounts::finish),
            detour: detour.finish(),
        },
        suspicious: top_pairs.finish(&ok),
        access,
        hex: ok.hex,
        split_origin,
        kept_for_medians,
    })
}

/// Reads the parts one after the other on a helper thread, one ahead of `f`, which
/// gets each part's columns on this thread.
fn each_part(
    parts: &[PathBuf],
    counters: &Counters,
    mut f: impl FnMut(&PartColumns, &Path) -> Result<()>,
) -> Result<()> {
    const WHAT: &str = "routed pairs";
    std::thread::scope(|scope| {
        // One decoded part waits while `f` works on the previous one: two parts in
        // memory at most, and decoding overlaps the loops on two cores.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<DataFrame>)>(0);
        scope.spawn(move || {
            for (i, part) in parts.iter().enumerate() {
                let df = read(part, &PAIR_COLUMNS, "matrix scan");
                let failed = df.is_err();
                if tx.send((i, df)).is_err() || failed {
                    return;
                }
            }
        });
        for (i, df) in rx {
            let part = &parts[i];
            let df = df?;
            let cols = PartColumns::of(&df).map_err(Error::query(WHAT, part))?;
            drop(df);
            isolated(WHAT, part, || f(&cols, part))?;
            counters.parts.fetch_add(1, Ordering::Relaxed);
            counters
                .rows
                .fetch_add(cols.len() as u64, Ordering::Relaxed);
            let bytes = std::fs::metadata(part).map_or(0, |m| m.len());
            counters.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
        Ok(())
    })
}

/// The first pass's state.
struct First<'a> {
    ok: &'a OkCells,
    pairs: u64,
    unreachable: u64,
    duration: HighCounts,
    distance: HighCounts,
    detour: DetourBins,
    top: TopPairs,
    access: FromAndBins,
    /// Durations (keys) per origin of the current part, reused across parts.
    by_origin: Vec<(usize, Vec<u32>)>,
    /// The current part's destination index, duration bin and origin run starts,
    /// for [`FromAndBins::add_to`] (reused across parts).
    dests: Vec<u32>,
    bins: Vec<u16>,
    runs: Vec<usize>,
}

impl<'a> First<'a> {
    fn new(ok: &'a OkCells, top: usize) -> Self {
        Self {
            ok,
            pairs: 0,
            unreachable: 0,
            duration: HighCounts::default(),
            distance: HighCounts::default(),
            detour: DetourBins::default(),
            top: TopPairs::new(top),
            access: FromAndBins::new(ok.len()),
            by_origin: Vec::new(),
            dests: Vec::new(),
            bins: Vec::new(),
            runs: Vec::new(),
        }
    }

    fn part(&mut self, cols: &PartColumns) {
        let ok = self.ok;
        let (mut o_hint, mut d_hint) = (0, 0);
        // The slot in `by_origin` of the current origin run (rows come sorted by
        // origin, so the slot changes once per origin, not per row).
        let mut run: Option<(u64, Option<usize>)> = None;
        let mut slots = 0;
        self.pairs += cols.len() as u64;
        let by_origin = &mut self.by_origin;
        let (dests, bins, runs) = (&mut self.dests, &mut self.bins, &mut self.runs);
        dests.clear();
        bins.clear();
        runs.clear();
        cols.for_each(|o, d, m, s| {
            let Some(s) = s else {
                self.unreachable += 1;
                return;
            };
            let (Some(o), Some(d), Some(m)) = (o, d, m) else {
                return;
            };
            if o == d {
                return;
            }
            let (ks, km) = (key(s), key(m));
            self.duration.add(ks);
            self.distance.add(km);
            let slot = match run {
                Some((cell, slot)) if cell == o => slot,
                _ => {
                    let slot = ok.index(o, &mut o_hint).map(|oi| {
                        by_origin[..slots]
                            .iter()
                            .position(|(i, _)| *i == oi)
                            .unwrap_or_else(|| {
                                if slots == by_origin.len() {
                                    by_origin.push((oi, Vec::new()));
                                } else {
                                    by_origin[slots].0 = oi;
                                    by_origin[slots].1.clear();
                                }
                                slots += 1;
                                slots - 1
                            })
                    });
                    run = Some((o, slot));
                    runs.push(dests.len());
                    slot
                }
            };
            let Some(di) = ok.index(d, &mut d_hint) else {
                return;
            };
            dests.push(di as u32);
            bins.push(crate::access::bin(ks) as u16);
            let Some(slot) = slot else { return };
            by_origin[slot].1.push(ks);
            let oi = by_origin[slot].0;
            let straight = ok.straight_m(oi, di);
            if straight > 0.0 {
                let factor = f64::from(m) / straight;
                self.detour.add(factor);
                if factor > DETOUR_LIMIT {
                    self.top.add(oi, di, m, s, straight);
                }
            }
        });
        self.access.add_to(&self.dests, &self.bins, &self.runs);
        for (oi, keys) in &mut self.by_origin[..slots] {
            self.access.set_from(*oi, ok.ids[*oi], keys);
        }
        self.top.end_part();
    }
}

/// Detour factors counted in bins of [`DETOUR_BIN`]: an array up to a factor of
/// about a thousand, a map for the rare larger ones.
#[derive(Default)]
struct DetourBins {
    low: Vec<u64>,
    high: std::collections::BTreeMap<i64, u64>,
}

impl DetourBins {
    const ARRAY: usize = 1 << 20;

    #[inline]
    fn add(&mut self, factor: f64) {
        // Factors are positive, so adding a half and truncating rounds.
        let k = (factor / DETOUR_BIN + 0.5) as i64;
        match usize::try_from(k) {
            Ok(i) if i < Self::ARRAY => {
                if i >= self.low.len() {
                    self.low.resize((i + 1).next_power_of_two(), 0);
                }
                self.low[i] += 1;
            }
            _ => *self.high.entry(k).or_default() += 1,
        }
    }

    fn finish(&mut self) -> Option<Quantiles> {
        let mut bins: Vec<(i64, u64)> = std::mem::take(&mut self.high).into_iter().collect();
        bins.extend(
            self.low
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .map(|(i, &n)| (i as i64, n)),
        );
        Histogram::new(DETOUR_BIN, bins).quantiles()
    }
}
