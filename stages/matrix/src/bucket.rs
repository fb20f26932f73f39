//! The bucket many-to-many algorithm: backward upward searches from every target
//! fill one flat array of buckets grouped by CH node; a forward upward search from a
//! source then scans the buckets of the nodes it settles.

use rayon::prelude::*;

use crate::hierarchy::Hierarchy;
use crate::search::{Direction, SearchState, StatePool};

/// Targets handled per rayon task while filling buckets.
const TARGETS_PER_TASK: usize = 64;

/// One bucket entry: target `target` is `duration_ms` (and `distance_m`) from the node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// Index of the target in the target list.
    pub target: u32,
    /// Duration from the bucket's node to the target, milliseconds.
    pub duration_ms: u32,
    /// Distance along that route, metres.
    pub distance_m: f32,
}

/// All targets' buckets: node `n`'s entries are `entries[start[n]..start[n + 1]]`,
/// each node's entries in ascending target order.
#[derive(Debug)]
pub struct Buckets {
    start: Vec<usize>,
    entries: Vec<Entry>,
    targets: usize,
}

impl Buckets {
    /// Runs one backward search per target (`targets[j]` are the CH nodes that mean
    /// "arrived at target j") and groups the settled nodes into buckets.
    pub fn build<H: Hierarchy>(
        h: &H,
        targets: &[Vec<u32>],
        limit_ms: u32,
        pool: &StatePool,
    ) -> Self {
        let parts: Vec<Vec<(u32, Entry)>> = targets
            .par_chunks(TARGETS_PER_TASK)
            .enumerate()
            .map(|(chunk, seeds)| {
                pool.with(|state| {
                    let mut out = Vec::new();
                    for (k, s) in seeds.iter().enumerate() {
                        let target = (chunk * TARGETS_PER_TASK + k) as u32;
                        state.upward(h, s, Direction::Backward, limit_ms, |node, d, m| {
                            out.push((
                                node,
                                Entry {
                                    target,
                                    duration_ms: d,
                                    distance_m: m,
                                },
                            ));
                        });
                    }
                    out
                })
            })
            .collect();
        // Counting sort by node, filled from the back: `start[node]` counts down from the
        // end of the node's bucket to its start. Parts are in target order, so each
        // bucket is too.
        let n = h.node_count();
        let mut start = vec![0usize; n + 1];
        for &(node, _) in parts.iter().flatten() {
            start[node as usize] += 1;
        }
        for i in 1..=n {
            start[i] += start[i - 1];
        }
        let blank = Entry {
            target: 0,
            duration_ms: 0,
            distance_m: 0.0,
        };
        let mut entries = vec![blank; start[n]];
        for &(node, e) in parts.iter().rev().flat_map(|p| p.iter().rev()) {
            let slot = &mut start[node as usize];
            *slot -= 1;
            entries[*slot] = e;
        }
        Self {
            start,
            entries,
            targets: targets.len(),
        }
    }

    /// Entries of CH node `node`.
    #[must_use]
    pub fn of(&self, node: u32) -> &[Entry] {
        let n = node as usize;
        &self.entries[self.start[n]..self.start[n + 1]]
    }

    /// Total number of entries (the memory the buckets take is 12 bytes each).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries at all.
    #[cfg(test)]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of targets the buckets were built for.
    #[cfg(test)]
    #[must_use]
    pub fn targets(&self) -> usize {
        self.targets
    }

    /// Fastest durations (ms) and their distances from CH node `source` to every
    /// target, written into `duration` (`u32::MAX` = not reached within `limit_ms`)
    /// and `distance`, both with one slot per target the buckets were built for.
    #[cfg(test)]
    pub fn one_to_many<H: Hierarchy>(
        &self,
        h: &H,
        state: &mut SearchState,
        source: u32,
        limit_ms: u32,
        duration: &mut [u32],
        distance: &mut [f32],
    ) {
        let mut batch = Batch::default();
        self.many_to_many(
            h,
            state,
            &mut batch,
            &[source],
            limit_ms,
            duration,
            distance,
        );
    }

    /// [`Self::one_to_many`] for up to [`BATCH`] sources at once: row `k` of
    /// `duration` and `distance` (`k * targets..(k + 1) * targets`) is source
    /// `sources[k]`'s. The sources' forward searches run first; then each bucket of a
    /// node any of them settled is read once for all of them, and each entry updates
    /// the sources' slots of its target side by side, in one cache line (nearby
    /// sources settle mostly the same nodes near the top of the hierarchy, whose
    /// buckets are the largest).
    #[expect(
        clippy::too_many_arguments,
        reason = "the hierarchy, the reusable states and the output rows"
    )]
    pub fn many_to_many<H: Hierarchy>(
        &self,
        h: &H,
        state: &mut SearchState,
        batch: &mut Batch,
        sources: &[u32],
        limit_ms: u32,
        duration: &mut [u32],
        distance: &mut [f32],
    ) {
        debug_assert!(sources.len() <= BATCH);
        debug_assert_eq!(duration.len(), self.targets * sources.len());
        batch.start(h.node_count());
        for (lane, &source) in sources.iter().enumerate() {
            state.upward(h, &[source], Direction::Forward, limit_ms, |node, d, m| {
                batch.settle(node, lane, d, m);
            });
        }
        let best = &mut batch.best;
        best.clear();
        best.resize(self.targets, Slots::UNREACHED);
        for (&node, from) in batch.nodes.iter().zip(&batch.lanes) {
            for e in self.of(node) {
                best[e.target as usize].improve(from, e.duration_ms, e.distance_m);
            }
        }
        // One pass over the targets, each source's slot to its row: the slots of a
        // target share a cache line.
        let n = self.targets;
        for (t, b) in best.iter().enumerate() {
            for lane in 0..sources.len() {
                // Pairs found through a meeting node may exceed the limit: leave them out.
                let (d, m) = if b.duration[lane] > limit_ms {
                    (u32::MAX, 0.0)
                } else {
                    (b.duration[lane], b.distance[lane])
                };
                duration[lane * n + t] = d;
                distance[lane * n + t] = m;
            }
        }
    }
}

/// Sources whose bucket scans are shared ([`Buckets::many_to_many`]): eight `u32`
/// durations and eight `f32` distances fill one 64-byte cache line per target.
pub const BATCH: usize = 8;

/// What each source of a batch knows of one node or target: durations (`u32::MAX`:
/// not reached) and distances, one lane per source.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
pub struct Slots {
    duration: [u32; BATCH],
    distance: [f32; BATCH],
}

impl Slots {
    /// Nothing reached.
    const UNREACHED: Self = Self {
        duration: [u32::MAX; BATCH],
        distance: [0.0; BATCH],
    };

    /// Takes, lane by lane, the route through `from` and an entry `duration_ms` and
    /// `distance_m` away if it is faster, or as fast and shorter in metres.
    #[inline]
    #[expect(
        clippy::needless_bitwise_bool,
        reason = "`&` keeps the lanes free of branches, so they compile to vector compares"
    )]
    fn improve(&mut self, from: &Self, duration_ms: u32, distance_m: f32) {
        // First whether any lane gets a route at least as fast, in straight-line code
        // over the lanes (vector compares); that is rare (a fifth of the entries on
        // whole Malta), and only then the exact per-lane rule, also without branches
        // (a branch per lane made the scans of whole Malta res 9 30% slower).
        let mut hit = false;
        for k in 0..BATCH {
            let via = from.duration[k];
            let d = via.wrapping_add(duration_ms);
            // `d >= via`: no overflow (an unreached lane is `u32::MAX` and overflows).
            hit |= (d >= via) & (d <= self.duration[k]) & (d != u32::MAX);
        }
        if !hit {
            return;
        }
        for k in 0..BATCH {
            let via = from.duration[k];
            let d = via.wrapping_add(duration_ms);
            let m = from.distance[k] + distance_m;
            let (cd, cm) = (self.duration[k], self.distance[k]);
            let better = (d >= via) & (d != u32::MAX) & ((d < cd) | ((d == cd) & (m < cm)));
            // All ones where the lane takes the new route, a select without a branch.
            let take = u32::from(better).wrapping_neg();
            self.duration[k] = (d & take) | (cd & !take);
            self.distance[k] = f32::from_bits((m.to_bits() & take) | (cm.to_bits() & !take));
        }
    }
}

/// The reusable arrays of [`Buckets::many_to_many`], one per worker.
#[derive(Debug, Default)]
pub struct Batch {
    /// Per CH node, its index in `nodes` plus `base` if this batch settled it; a value
    /// below `base` is an earlier batch's. One `u32` a node: half the memory (and the
    /// cache misses) of a generation and an index side by side.
    seen: Vec<u32>,
    /// Where this batch's values of `seen` start: past every value of the batches
    /// before it.
    base: u32,
    /// The nodes settled by any source of the batch, in first-settled order.
    nodes: Vec<u32>,
    /// Per node of `nodes`, each source's duration and distance to it.
    lanes: Vec<Slots>,
    /// Per target, each source's best so far.
    best: Vec<Slots>,
}

impl Batch {
    /// Starts a batch on a hierarchy of `node_count` nodes.
    fn start(&mut self, node_count: usize) {
        let mut base = u64::from(self.base) + self.nodes.len() as u64;
        if self.seen.len() != node_count {
            self.seen = vec![0; node_count];
            base = 1;
        } else if base + node_count as u64 > u64::from(u32::MAX) {
            // This batch's values could wrap: the earlier ones go instead.
            self.seen.fill(0);
            base = 1;
        }
        self.base = base as u32;
        self.nodes.clear();
        self.lanes.clear();
    }

    /// Records that source `lane` settled `node` at `duration_ms` and `distance_m`.
    #[inline]
    fn settle(&mut self, node: u32, lane: usize, duration_ms: u32, distance_m: f32) {
        let seen = &mut self.seen[node as usize];
        if *seen < self.base {
            *seen = self.base + self.nodes.len() as u32;
            self.nodes.push(node);
            self.lanes.push(Slots::UNREACHED);
        }
        let slots = &mut self.lanes[(*seen - self.base) as usize];
        slots.duration[lane] = duration_ms;
        slots.distance[lane] = distance_m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::RoutingGraph;
    use crate::testgraph::TestGraph;

    fn check(g: &TestGraph, limit_ms: u32) {
        let n = g.graph_nodes as u32;
        let targets: Vec<Vec<u32>> = (0..n).map(|t| g.targets_of(t).to_vec()).collect();
        let pool = StatePool::new(g.node_count());
        let buckets = Buckets::build(g, &targets, limit_ms, &pool);
        assert_eq!(buckets.targets(), n as usize);
        let mut dur = vec![0; n as usize];
        let mut dist = vec![0.0; n as usize];
        let mut reached = 0;
        pool.with(|state| {
            for s in 0..n {
                buckets.one_to_many(g, state, g.source_of(s), limit_ms, &mut dur, &mut dist);
                let oracle = g.oracle(s);
                for t in 0..n as usize {
                    if t == s as usize {
                        continue; // the diagonal is set to 0 by the caller
                    }
                    match oracle[t].filter(|o| o.0 <= limit_ms) {
                        Some((ms, m)) => {
                            reached += 1;
                            assert_eq!(dur[t], ms, "{s} -> {t}");
                            assert!(
                                (f64::from(dist[t]) - m).abs() < 1e-3 * m.max(1.0),
                                "{s} -> {t}: {} vs {m}",
                                dist[t]
                            );
                        }
                        None => assert_eq!(dur[t], u32::MAX, "{s} -> {t} should be out of reach"),
                    }
                }
            }
        });
        assert!(reached > 0);
    }

    #[test]
    fn matches_dijkstra_on_random_hierarchies() {
        for seed in 0..4 {
            check(&TestGraph::random(120, 0, seed), u32::MAX);
        }
    }

    #[test]
    fn arrival_copies_count_as_the_node() {
        for seed in 10..13 {
            check(&TestGraph::random(100, 15, seed), u32::MAX);
        }
    }

    #[test]
    fn duration_limit_drops_exactly_the_slower_pairs() {
        let g = TestGraph::random(120, 5, 42);
        check(&g, 90_000);
        check(&g, 20_000);
    }

    /// Batches of 1 to [`BATCH`] sources, reused from batch to batch, give each
    /// source the row its own search gives, which the tests above hold to Dijkstra.
    #[test]
    fn batched_sources_get_the_rows_of_single_sources() {
        for (seed, copies, limit_ms) in [(5, 0, u32::MAX), (6, 12, u32::MAX), (7, 8, 40_000)] {
            let g = TestGraph::random(150, copies, seed);
            let n = g.graph_nodes as u32;
            let targets: Vec<Vec<u32>> = (0..n).map(|t| g.targets_of(t).to_vec()).collect();
            let pool = StatePool::new(g.node_count());
            let buckets = Buckets::build(&g, &targets, limit_ms, &pool);
            let sources: Vec<u32> = (0..n).map(|s| g.source_of(s)).collect();
            let n = n as usize;
            let mut batch = Batch::default();
            pool.with(|state| {
                for size in [1, 3, BATCH] {
                    for chunk in sources.chunks(size) {
                        let mut dur = vec![7; n * chunk.len()];
                        let mut dist = vec![7.0; n * chunk.len()];
                        buckets.many_to_many(
                            &g, state, &mut batch, chunk, limit_ms, &mut dur, &mut dist,
                        );
                        let (mut one, mut one_m) = (vec![0; n], vec![0.0; n]);
                        for (k, &s) in chunk.iter().enumerate() {
                            buckets.one_to_many(&g, state, s, limit_ms, &mut one, &mut one_m);
                            assert_eq!(dur[k * n..(k + 1) * n], one[..], "{seed} {size} {s}");
                            assert_eq!(dist[k * n..(k + 1) * n], one_m[..], "{seed} {size} {s}");
                        }
                    }
                }
            });
        }
    }

    /// A batch whose values of `seen` could pass `u32::MAX` starts over on a cleared
    /// array and gives the rows it gave before.
    #[test]
    fn batches_near_the_end_of_their_values_start_over() {
        let g = TestGraph::random(90, 6, 21);
        let n = g.graph_nodes as u32;
        let targets: Vec<Vec<u32>> = (0..n).map(|t| g.targets_of(t).to_vec()).collect();
        let pool = StatePool::new(g.node_count());
        let buckets = Buckets::build(&g, &targets, u32::MAX, &pool);
        let sources: Vec<u32> = (0..n).map(|s| g.source_of(s)).take(BATCH).collect();
        let rows = BATCH * n as usize;
        let run = |batch: &mut Batch| {
            let (mut dur, mut dist) = (vec![0; rows], vec![0.0; rows]);
            pool.with(|state| {
                buckets.many_to_many(&g, state, batch, &sources, u32::MAX, &mut dur, &mut dist);
            });
            (dur, dist)
        };
        let mut batch = Batch::default();
        let first = run(&mut batch);
        batch.base = u32::MAX - 3;
        assert_eq!(run(&mut batch), first);
        assert_eq!(batch.base, 1);
        assert_eq!(run(&mut batch), first);
        assert!(batch.base > 1);
    }

    #[test]
    fn buckets_are_grouped_by_node_in_target_order() {
        let g = TestGraph::random(80, 0, 3);
        let targets: Vec<Vec<u32>> = (0..80).map(|t| vec![t]).collect();
        let b = Buckets::build(&g, &targets, u32::MAX, &StatePool::new(g.node_count()));
        assert!(!b.is_empty());
        let mut total = 0;
        for node in 0..g.node_count() as u32 {
            let e = b.of(node);
            assert!(e.windows(2).all(|w| w[0].target < w[1].target));
            // A target's own node is in its bucket at distance 0.
            if let Some(own) = e.iter().find(|x| x.target == node) {
                assert_eq!(own.duration_ms, 0);
            }
            total += e.len();
        }
        assert_eq!(total, b.len());
    }
}
