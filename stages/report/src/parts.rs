//! The passes over the parts. Polars decodes each Parquet part; the figures are
//! computed in plain loops over the decoded buffers. One worker per core (at most
//! [`MAX_WORKERS`]) takes the next part, decodes it and computes on it with its
//! own counters; the workers' counters are added up at the end (every figure is
//! a count, a set of kept values or a total order, so the result does not depend
//! on which worker got which part).
//!
//! Exact quantiles and medians would need each part read twice (first to find
//! where the wanted ranks lie, then to look at the values there, see
//! [`crate::exact`] and [`crate::access`]). Reading is most of the cost, so:
//!
//! 0. **Sample**: the first sixteenth of every part (a few origins of each, from
//!    all over the city) estimates each quantile and each destination's median,
//!    and plans a window around each estimate: the high halves of the keys near
//!    each quantile, the duration bins near each destination's median.
//! 1. **Pass**: pair counts, the high halves of the duration and distance keys
//!    and the low halves of those in the windows, the detour factors and the
//!    suspicious pairs, every origin's reach and median (a part holds whole
//!    origins), per destination the bins of its durations and the durations in
//!    its window. When every wanted rank (known exactly from the counts) lies in
//!    its window, the answers are exact and this is the only pass.
//! 2. **Second pass**, only when a rank fell outside its window (a sample unlike
//!    the whole matrix): the low halves of the keys in the high halves that hold
//!    a wanted quantile, and per destination the durations of its median's
//!    bins, as if there had been no windows.
//!
//! Memory: one decoded part per worker and its scratch, per-cell counters, the
//! windows' counters (a few MiB per quantile) and the durations in the
//! destinations' windows (about a fifth of the pairs on whole Malta at resolution
//! 10, at most [`MAX_KEPT`]), however many parts there are.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use polars_io::prelude::ParallelStrategy;

use crate::access::{Access, FromAndBins, ToMedians};
use crate::error::{Error, Result};
use crate::exact::{HighCounts, LowCounts, key};
use crate::grid::OkCells;
use crate::histogram::{Histogram, Quantiles};
use crate::scan::{MatrixFiles, PartColumns, isolated, read_with};
use crate::stats::{DETOUR_BIN, PAIR_COLUMNS, PairStats};
use crate::suspicious::{DETOUR_LIMIT, Suspicious, TopPairs};

/// Live counters of the passes, for a progress display.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Parts read so far by the pass (not by the sample or a second pass: at
    /// most the number of parts).
    pub parts: Arc<AtomicU64>,
    /// Rows read so far, a second pass included.
    pub rows: Arc<AtomicU64>,
    /// Bytes of Parquet read so far, a second pass included.
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
    /// Durations kept for the exact medians to the destinations (the part of
    /// memory that grows with the matrix, see [`crate::access`]).
    pub kept_for_medians: usize,
    /// Whether the parts were read a second time (an answer fell outside its
    /// window).
    pub second_pass: bool,
}

/// Reads every part of `files` once, and a second time only when a quantile or
/// a destination's median falls outside the window planned after the lead parts
/// (see the module doc); keeps the `top` worst suspicious pairs; advances
/// `counters` as parts are done.
///
/// # Errors
/// A part or `cells.parquet` cannot be read or has the wrong columns.
pub fn scan(files: &MatrixFiles, top: usize, counters: &Counters) -> Result<PartFigures> {
    scan_sampled(files, top, counters, SAMPLE)
}

/// [`scan`] with the first `nth`th of every part as the sample.
pub(crate) fn scan_sampled(
    files: &MatrixFiles,
    top: usize,
    counters: &Counters,
    nth: usize,
) -> Result<PartFigures> {
    let ok = OkCells::read(files)?;
    let parts = &files.parts;
    let workers = workers(parts.len());
    // The sample: not counted in the progress display (it is not a pass).
    let sampled = each_part(
        parts,
        &Counters::default(),
        |part, what| read_sample(part, what, nth),
        workers,
        |_| Sample::new(&ok, nth),
        Sample::part,
    )?;
    let sample = merged(sampled, || Sample::new(&ok, nth));
    // The sample has one run of neighbouring origins per part: with few parts it
    // tells less about the whole, and the windows widen (a matrix of few parts is
    // small, and so is what its windows keep).
    let widen = (SAMPLE_RUNS / parts.len().max(1) as f64).sqrt().max(1.0);
    let windowed = || {
        let mut first = First::new(&ok, top);
        first.duration = HighCounts::windowed(&sample.duration, widen);
        first.distance = HighCounts::windowed(&sample.distance, widen);
        let access = FromAndBins::windowed(ok.len(), &sample.to, widen);
        // No destination windows when the sample projects more than `MAX_KEPT`
        // kept durations over the whole matrix (the second pass then finds them).
        let share = access.window_share(&sample.to);
        if share * (sample.scale * sample.rows as f64) <= MAX_KEPT as f64 {
            first.access = access;
        }
        first
    };
    let firsts = each_part(
        parts,
        counters,
        read_part,
        workers,
        |_| windowed(),
        First::part,
    )?;
    let mut first = merged(firsts, || First::new(&ok, top));
    let mut answers = (
        first.duration.exact(),
        first.distance.exact(),
        first.access.medians_to(),
    );
    let kept_in_windows = first.access.kept();
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
    let split_origin = access.split_origin;
    let exact = |a: Option<Quantiles>, h: &HighCounts| a.is_some() || h.is_empty();
    let (access, kept_for_medians, second_pass) = match answers {
        (d, m, Some(to)) if exact(d, &duration) && exact(m, &distance) => {
            let (from, _) = access.plan();
            (from.rows(&ok.ids, to), kept_in_windows, false)
        }
        _ => {
            // A window missed: the second pass, as if there had been no windows.
            let (low_duration, low_distance) = (duration.plan(), distance.plan());
            let (from, to) = access.plan();
            let second = |_| Second {
                ok: &ok,
                low_duration: low_duration.clone(),
                low_distance: low_distance.clone(),
                to: to.clone(),
            };
            let again = Counters {
                parts: Arc::default(),
                ..counters.clone()
            };
            let seconds = each_part(parts, &again, read_part, workers, second, Second::part)?;
            let second = merged(seconds, || Second {
                ok: &ok,
                low_duration: low_duration.clone(),
                low_distance: low_distance.clone(),
                to: to.clone(),
            });
            answers.0 = second.low_duration.as_ref().map(LowCounts::finish);
            answers.1 = second.low_distance.as_ref().map(LowCounts::finish);
            let kept = second.to.kept();
            (second.to.finish(&ok.ids, from), kept, true)
        }
    };
    Ok(PartFigures {
        pairs: PairStats {
            pairs,
            unreachable,
            duration_s: answers.0,
            distance_m: answers.1,
            detour: detour.finish(),
        },
        suspicious: top_pairs.finish(&ok),
        access,
        hex: ok.hex,
        split_origin,
        kept_for_medians,
        second_pass,
    })
}

/// The workers' states merged into one (`empty` when there were none).
fn merged<S: Merge>(states: Vec<S>, empty: impl FnOnce() -> S) -> S {
    let mut states = states.into_iter();
    let mut one = states.next().unwrap_or_else(empty);
    for other in states {
        one.merge(other);
    }
    one
}

/// A worker's state that adds another's (another share of the parts).
trait Merge {
    fn merge(&mut self, other: Self);
}

/// The most durations the destinations' windows may keep (4 bytes each): when the
/// sample projects more, there are no windows and the second pass runs.
const MAX_KEPT: usize = 64 << 20;

/// How many parts are decoded and computed on at once: one per core, at most
/// [`MAX_WORKERS`] (each holds a decoded part and its own counters in memory).
fn workers(parts: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores.min(MAX_WORKERS).min(parts).max(1)
}

/// The most parts in memory at once (see [`workers`]).
const MAX_WORKERS: usize = 4;

/// Reads the parts on `workers` threads, each taking the next part not yet taken,
/// decoding it and calling `f` on its own state (made by `init`) with the part's
/// columns. Returns every worker's state, to be merged: the figures do not depend
/// on which worker got which part. On an error the workers stop taking parts, and
/// the error of the first failing part (in part order) is returned.
fn each_part<'s, S: Send + 's>(
    parts: &[PathBuf],
    counters: &Counters,
    read: impl Fn(&Path, &'static str) -> Result<PartColumns> + Sync,
    workers: usize,
    init: impl Fn(usize) -> S + Sync,
    f: impl Fn(&mut S, &PartColumns) + Sync,
) -> Result<Vec<S>> {
    const WHAT: &str = "routed pairs";
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = |mut state: S| -> std::result::Result<S, (usize, Error)> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(part) = parts.get(i) else {
                return Ok(state);
            };
            if failed.load(Ordering::Relaxed) {
                return Ok(state);
            }
            let done = read(part, WHAT).and_then(|cols| {
                isolated(WHAT, part, || {
                    f(&mut state, &cols);
                    Ok(())
                })?;
                Ok(cols.len())
            });
            match done {
                Ok(rows) => {
                    counters.parts.fetch_add(1, Ordering::Relaxed);
                    counters.rows.fetch_add(rows as u64, Ordering::Relaxed);
                    let bytes = std::fs::metadata(part).map_or(0, |m| m.len());
                    counters.bytes.fetch_add(bytes, Ordering::Relaxed);
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err((i, e));
                }
            }
        }
    };
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers)
            .map(|w| {
                let (work, init) = (&work, &init);
                scope.spawn(move || work(init(w)))
            })
            .collect();
        // This thread is the first worker.
        let mut results = vec![work(init(0))];
        for h in handles {
            // `isolated` catches the panics of the loops and of Polars; a worker
            // thread that still panicked is a bug: pass the panic on.
            results.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        results
    });
    let mut states = Vec::with_capacity(results.len());
    let mut first_error: Option<(usize, Error)> = None;
    for r in results {
        match r {
            Ok(s) => states.push(s),
            Err((i, e)) => {
                if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                    first_error = Some((i, e));
                }
            }
        }
    }
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(states),
    }
}

/// Decodes one part (on this thread: the workers already keep the cores busy).
fn read_part(part: &Path, what: &'static str) -> Result<PartColumns> {
    let df = read_with(part, &PAIR_COLUMNS, None, what, ParallelStrategy::None)?;
    PartColumns::of(&df).map_err(Error::query(what, part))
}

/// The rows of a part that make the sample: its first `nth`th ([`SAMPLE`]). A
/// part holds whole origins in cell order, so these are a few neighbouring
/// origins of every part, from all over the city.
fn read_sample(part: &Path, what: &'static str, nth: usize) -> Result<PartColumns> {
    let df = read_with(part, &PAIR_COLUMNS, Some(nth), what, ParallelStrategy::None)?;
    PartColumns::of(&df).map_err(Error::query(what, part))
}

/// One row in this many is in the sample (see [`read_sample`]).
const SAMPLE: usize = 16;

/// The windows have their usual width with at least this many parts (runs of
/// origins in the sample), and are widened by the square root of this over the
/// number of parts below it.
const SAMPLE_RUNS: f64 = 48.0;

/// What the sample gives: the estimates the windows are planned from.
struct Sample<'a> {
    ok: &'a OkCells,
    duration: HighCounts,
    distance: HighCounts,
    /// Per destination, its duration bins (see [`FromAndBins::windowed`]).
    to: Vec<Option<Box<[u32]>>>,
    /// Rows sampled, and the rows of the matrix per row sampled.
    rows: u64,
    scale: f64,
}

impl<'a> Sample<'a> {
    fn new(ok: &'a OkCells, nth: usize) -> Self {
        Self {
            ok,
            duration: HighCounts::default(),
            distance: HighCounts::default(),
            to: vec![None; ok.len()],
            rows: 0,
            scale: nth as f64,
        }
    }

    fn part(&mut self, cols: &PartColumns) {
        let mut hint = 0;
        self.rows += cols.len() as u64;
        cols.for_each_routed(|_, d, m, s| {
            let ks = key(s);
            self.duration.add(ks);
            self.distance.add(key(m));
            if let Some(di) = self.ok.index(d, &mut hint) {
                FromAndBins::sample(&mut self.to, di, ks);
            }
        });
    }
}

impl Merge for Sample<'_> {
    fn merge(&mut self, other: Self) {
        self.duration.merge(other.duration);
        self.distance.merge(other.distance);
        self.rows += other.rows;
        for (mine, theirs) in self.to.iter_mut().zip(other.to) {
            match (mine.as_mut(), theirs) {
                (Some(m), Some(t)) => m.iter_mut().zip(t.iter()).for_each(|(m, t)| *m += t),
                (None, Some(t)) => *mine = Some(t),
                (_, None) => {}
            }
        }
    }
}

/// The second pass's state (one per worker).
struct Second<'a> {
    ok: &'a OkCells,
    low_duration: Option<LowCounts>,
    low_distance: Option<LowCounts>,
    to: ToMedians,
}

impl Second<'_> {
    fn part(&mut self, cols: &PartColumns) {
        let mut hint = 0;
        let ok = self.ok;
        cols.for_each_routed(|_, d, m, s| {
            let ks = key(s);
            if let Some(low) = &mut self.low_duration {
                low.add(ks);
            }
            if let Some(low) = &mut self.low_distance {
                low.add(key(m));
            }
            if let Some(di) = ok.index(d, &mut hint) {
                self.to.add(di, ks);
            }
        });
    }
}

impl Merge for Second<'_> {
    fn merge(&mut self, other: Self) {
        if let (Some(l), Some(o)) = (&mut self.low_duration, &other.low_duration) {
            l.merge(o);
        }
        if let (Some(l), Some(o)) = (&mut self.low_distance, &other.low_distance) {
            l.merge(o);
        }
        self.to.merge(other.to);
    }
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
    keys: Vec<u32>,
    runs: Vec<usize>,
    /// The current part's pairs between ok cells, for [`Self::detours`].
    batch: Batch,
}

/// Pairs between ok cells (cell indexes, distance, duration) gathered from a
/// part, whose detour factors are computed [`Batch::ROWS`] at a time.
#[derive(Default)]
struct Batch {
    origin: Vec<u32>,
    dest: Vec<u32>,
    distance: Vec<f32>,
    duration: Vec<f32>,
    straight: Vec<f64>,
}

impl Batch {
    /// Pairs per batch: a few hundred KiB of buffers, which stay in the cache.
    const ROWS: usize = 8192;

    /// The detour factors of the pairs gathered, counted in `detour` and `top`;
    /// empties the batch. In a loop of their own, not in the loop over the rows:
    /// there each pair's square root and divisions waited on the one before (a
    /// third of the report's time in `perf`), here the straight lines are
    /// computed without a branch between them and the processor overlaps them.
    fn detours(&mut self, ok: &OkCells, detour: &mut DetourBins, top: &mut TopPairs) {
        self.straight.extend(
            self.origin
                .iter()
                .zip(&self.dest)
                .map(|(&o, &d)| ok.straight_m(o as usize, d as usize)),
        );
        for (i, &straight) in self.straight.iter().enumerate() {
            if straight > 0.0 {
                let factor = f64::from(self.distance[i]) / straight;
                detour.add(factor);
                if factor > DETOUR_LIMIT {
                    let (o, d) = (self.origin[i] as usize, self.dest[i] as usize);
                    top.add(o, d, self.distance[i], self.duration[i], straight);
                }
            }
        }
        self.clear();
    }

    #[inline]
    fn push(&mut self, origin: usize, dest: usize, distance: f32, duration: f32) {
        self.origin.push(origin as u32);
        self.dest.push(dest as u32);
        self.distance.push(distance);
        self.duration.push(duration);
    }

    fn clear(&mut self) {
        self.origin.clear();
        self.dest.clear();
        self.distance.clear();
        self.duration.clear();
        self.straight.clear();
    }
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
            keys: Vec::new(),
            runs: Vec::new(),
            batch: Batch::default(),
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
        let (dests, bins, keys, runs, batch) = (
            &mut self.dests,
            &mut self.bins,
            &mut self.keys,
            &mut self.runs,
            &mut self.batch,
        );
        dests.clear();
        bins.clear();
        keys.clear();
        runs.clear();
        batch.clear();
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
            keys.push(ks);
            let Some(slot) = slot else { return };
            by_origin[slot].1.push(ks);
            batch.push(by_origin[slot].0, di, m, s);
            if batch.origin.len() == Batch::ROWS {
                batch.detours(ok, &mut self.detour, &mut self.top);
            }
        });
        batch.detours(ok, &mut self.detour, &mut self.top);
        self.access
            .add_to(&self.dests, &self.bins, &self.keys, &self.runs);
        self.duration.flush();
        self.distance.flush();
        for (oi, keys) in &mut self.by_origin[..slots] {
            self.access.set_from(*oi, ok.ids[*oi], keys);
        }
        self.top.end_part();
    }
}

impl Merge for First<'_> {
    fn merge(&mut self, other: Self) {
        self.pairs += other.pairs;
        self.unreachable += other.unreachable;
        self.duration.merge(other.duration);
        self.distance.merge(other.distance);
        self.detour.merge(other.detour);
        self.top.merge(other.top);
        self.access.merge(other.access, &self.ok.ids);
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

    fn merge(&mut self, other: Self) {
        if other.low.len() > self.low.len() {
            self.low.resize(other.low.len(), 0);
        }
        for (c, o) in self.low.iter_mut().zip(&other.low) {
            *c += o;
        }
        for (k, n) in other.high {
            *self.high.entry(k).or_default() += n;
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
