//! Upward Dijkstra searches in a contraction hierarchy, with stall-on-demand and
//! reusable per-thread state.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use crate::hierarchy::{Hierarchy, UpEdge};

/// An adjacency accessor of a hierarchy.
type Adjacency<H> = fn(&H, u32) -> &[<H as Hierarchy>::Edge];

/// Which adjacency a search climbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a source, along `forward_up` edges.
    Forward,
    /// From a target, against the original direction, along `backward_up` edges.
    Backward,
}

/// The arrays of one search, reused across searches: a generation stamp marks which
/// entries belong to the current search, so nothing is cleared between searches.
#[derive(Debug)]
pub struct SearchState {
    stamp: Vec<u32>,
    settled: Vec<u32>,
    generation: u32,
    duration: Vec<u32>,
    distance: Vec<f32>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
}

impl SearchState {
    /// State for a hierarchy of `node_count` nodes.
    #[must_use]
    pub fn new(node_count: usize) -> Self {
        Self {
            stamp: vec![0; node_count],
            settled: vec![0; node_count],
            generation: 0,
            duration: vec![u32::MAX; node_count],
            distance: vec![0.0; node_count],
            heap: BinaryHeap::new(),
        }
    }

    fn start(&mut self) {
        self.heap.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.fill(0);
            self.settled.fill(0);
            self.generation = 1;
        }
    }

    fn get(&self, node: u32) -> Option<(u32, f32)> {
        let n = node as usize;
        (self.stamp[n] == self.generation).then(|| (self.duration[n], self.distance[n]))
    }

    /// Records `(duration, distance)` at `node` if it improves on what is there
    /// (shorter, or as fast and shorter in metres); returns whether it did.
    fn improve(&mut self, node: u32, duration: u32, distance: f32) -> bool {
        let n = node as usize;
        if self.settled[n] == self.generation {
            return false;
        }
        if self.stamp[n] == self.generation
            && (duration > self.duration[n]
                || (duration == self.duration[n] && distance >= self.distance[n]))
        {
            return false;
        }
        self.stamp[n] = self.generation;
        self.duration[n] = duration;
        self.distance[n] = distance;
        true
    }

    /// Runs an upward search from `seeds` (all at distance 0) and calls
    /// `visit(node, duration_ms, distance_m)` once per settled, non-stalled node, in
    /// order of duration. Nodes slower than `limit_ms` are not reached.
    pub fn upward<H: Hierarchy>(
        &mut self,
        h: &H,
        seeds: &[u32],
        direction: Direction,
        limit_ms: u32,
        mut visit: impl FnMut(u32, u32, f32),
    ) {
        self.start();
        for &s in seeds {
            if self.improve(s, 0, 0.0) {
                self.heap.push(Reverse((0, s)));
            }
        }
        let (climb, stall): (Adjacency<H>, Adjacency<H>) = match direction {
            Direction::Forward => (H::forward_up, H::backward_up),
            Direction::Backward => (H::backward_up, H::forward_up),
        };
        while let Some(Reverse((d, node))) = self.heap.pop() {
            let n = node as usize;
            if d != self.duration[n] || self.settled[n] == self.generation {
                continue; // a stale heap entry: the node was reached faster since
            }
            self.settled[n] = self.generation;
            // Stall-on-demand: a higher node reaches this one faster, so this
            // tentative duration is not the shortest and nothing found from here is.
            let stalled = stall(h, node).iter().any(|e| {
                self.get(e.target())
                    .is_some_and(|(du, _)| du.saturating_add(e.duration_ms()) < d)
            });
            if stalled {
                continue;
            }
            let dm = self.distance[n];
            visit(node, d, dm);
            for e in climb(h, node) {
                let nd = d.saturating_add(e.duration_ms());
                if nd <= limit_ms && self.improve(e.target(), nd, dm + e.distance_m()) {
                    self.heap.push(Reverse((nd, e.target())));
                }
            }
        }
    }
}

/// A pool of [`SearchState`]s so each rayon worker reuses one instead of allocating
/// node-sized arrays per task.
#[derive(Debug)]
pub struct StatePool {
    node_count: usize,
    free: Mutex<Vec<SearchState>>,
}

impl StatePool {
    /// An empty pool for hierarchies of `node_count` nodes.
    #[must_use]
    pub fn new(node_count: usize) -> Self {
        Self {
            node_count,
            free: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with a state taken from the pool (or a new one), then returns it.
    pub fn with<R>(&self, f: impl FnOnce(&mut SearchState) -> R) -> R {
        let taken = self.free.lock().ok().and_then(|mut v| v.pop());
        let mut state = taken.unwrap_or_else(|| SearchState::new(self.node_count));
        let r = f(&mut state);
        if let Ok(mut v) = self.free.lock() {
            v.push(state);
        }
        r
    }
}
