//! Point-to-point CH query: an upward search from the source's CH node and an
//! upward backward search from every CH node of the target; the best meeting
//! node gives the route. Used by tests and by anyone who needs one route.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{ChEdge, ContractionHierarchy};
use crate::weight;

/// Reusable query state for one hierarchy (one per thread).
#[derive(Debug)]
pub struct ChQuery {
    fwd: Side,
    bwd: Side,
}

#[derive(Debug)]
struct Side {
    /// Packed (ms, cm) weight and distance in metres per CH node.
    dist: Vec<(u64, f64)>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Side {
    fn new(n: usize) -> Self {
        Self {
            dist: vec![(u64::MAX, 0.0); n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self) {
        for &t in &self.touched {
            self.dist[t as usize] = (u64::MAX, 0.0);
        }
        self.touched.clear();
        self.heap.clear();
    }

    fn start(&mut self, node: u32) {
        if self.dist[node as usize].0 != 0 {
            self.dist[node as usize] = (0, 0.0);
            self.touched.push(node);
            self.heap.push(Reverse((0, node)));
        }
    }

    fn run<'a>(&mut self, edges: impl Fn(u32) -> &'a [ChEdge]) {
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d > self.dist[v as usize].0 {
                continue;
            }
            let dm = self.dist[v as usize].1;
            for e in edges(v) {
                let cm = (f64::from(e.distance_m) * 100.0).round() as u32;
                let Some(nd) = weight::add(d, weight::from_parts(e.duration_ms, cm)) else {
                    continue;
                };
                let slot = &mut self.dist[e.target as usize];
                if nd < slot.0 {
                    if slot.0 == u64::MAX {
                        self.touched.push(e.target);
                    }
                    *slot = (nd, dm + f64::from(e.distance_m));
                    self.heap.push(Reverse((nd, e.target)));
                }
            }
        }
    }
}

impl ChQuery {
    /// Query state sized for `ch`.
    #[must_use]
    pub fn new(ch: &ContractionHierarchy) -> Self {
        Self {
            fwd: Side::new(ch.node_count()),
            bwd: Side::new(ch.node_count()),
        }
    }

    /// Fastest route between two graph nodes: `(duration_ms, distance_m)`,
    /// `None` if unreachable.
    pub fn route(&mut self, ch: &ContractionHierarchy, from: u32, to: u32) -> Option<(u32, f64)> {
        self.fwd.reset();
        self.bwd.reset();
        self.fwd.start(ch.source_of(from));
        for &t in ch.targets_of(to) {
            self.bwd.start(t);
        }
        self.fwd.run(|v| ch.forward_up(v));
        self.bwd.run(|v| ch.backward_up(v));
        let mut best: Option<(u64, f64)> = None;
        for &v in &self.fwd.touched {
            let (df, mf) = self.fwd.dist[v as usize];
            let (db, mb) = self.bwd.dist[v as usize];
            if db == u64::MAX {
                continue;
            }
            let Some(total) = weight::add(df, db) else {
                continue;
            };
            if best.is_none_or(|(b, _)| total < b) {
                best = Some((total, mf + mb));
            }
        }
        best.map(|(w, m)| (weight::ms(w), m))
    }
}
