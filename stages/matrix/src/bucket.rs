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
        // Counting sort by node; parts are in target order, so each bucket is too.
        let n = h.node_count();
        let mut start = vec![0usize; n + 1];
        for &(node, _) in parts.iter().flatten() {
            start[node as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start[..n].to_vec();
        let blank = Entry {
            target: 0,
            duration_ms: 0,
            distance_m: 0.0,
        };
        let mut entries = vec![blank; start[n]];
        for part in parts {
            for (node, e) in part {
                let slot = &mut fill[node as usize];
                entries[*slot] = e;
                *slot += 1;
            }
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
    pub fn one_to_many<H: Hierarchy>(
        &self,
        h: &H,
        state: &mut SearchState,
        source: u32,
        limit_ms: u32,
        duration: &mut [u32],
        distance: &mut [f32],
    ) {
        debug_assert_eq!(duration.len(), self.targets);
        duration.fill(u32::MAX);
        distance.fill(0.0);
        state.upward(h, &[source], Direction::Forward, limit_ms, |node, d, m| {
            for e in self.of(node) {
                let t = e.target as usize;
                let total = d.saturating_add(e.duration_ms);
                let metres = m + e.distance_m;
                if total < duration[t] || (total == duration[t] && metres < distance[t]) {
                    duration[t] = total;
                    distance[t] = metres;
                }
            }
        });
        // Pairs found through a meeting node may exceed the limit: leave them out.
        for (d, m) in duration.iter_mut().zip(distance.iter_mut()) {
            if *d > limit_ms {
                *d = u32::MAX;
                *m = 0.0;
            }
        }
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
