//! Witness search: a bounded Dijkstra that looks for a path around the node
//! being contracted. Finding none only costs a superfluous shortcut, so the
//! search stops after a fixed number of settled nodes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::adjacency::Adjacency;
use crate::weight;

/// An adjacency entry of the preparation graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arc {
    pub node: u32,
    pub w: u64,
}

/// Reusable search state (one per thread).
#[derive(Debug)]
pub(crate) struct Witness {
    dist: Vec<u64>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// Scratch list of targets for the caller (kept to reuse its allocation).
    pub targets: Vec<u32>,
}

impl Witness {
    /// State for a graph of `n` nodes.
    pub fn new(n: usize) -> Self {
        Self {
            dist: vec![u64::MAX; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
            targets: Vec::new(),
        }
    }

    /// Number of nodes it was made for.
    pub fn len(&self) -> usize {
        self.dist.len()
    }

    /// Distance found to `node` by the last search (`u64::MAX` if none).
    pub fn dist(&self, node: u32) -> u64 {
        self.dist[node as usize]
    }

    /// Searches from `source` over `out`, never entering a node for which
    /// `avoid` holds, until every node of `targets` is settled, or past weight
    /// `max`, or after `settle_limit` settled nodes.
    pub fn run(
        &mut self,
        out: &Adjacency,
        source: u32,
        avoid: impl Fn(u32) -> bool,
        targets: &[u32],
        max: u64,
        settle_limit: usize,
    ) {
        for &t in &self.touched {
            self.dist[t as usize] = u64::MAX;
        }
        self.touched.clear();
        self.heap.clear();
        self.dist[source as usize] = 0;
        self.touched.push(source);
        self.heap.push(Reverse((0, source)));
        let mut settled = 0;
        let mut open = targets.iter().filter(|&&t| t != source).count();
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d > self.dist[v as usize] {
                continue;
            }
            if d > max || open == 0 {
                break;
            }
            if targets.contains(&v) {
                open -= 1;
            }
            settled += 1;
            if settled > settle_limit {
                break;
            }
            for a in out.get(v) {
                if avoid(a.node) {
                    continue;
                }
                // Past `max` a node cannot be a witness: not queueing it keeps
                // the heap small.
                let Some(nd) = weight::add(d, a.w).filter(|&nd| nd <= max) else {
                    continue;
                };
                let slot = &mut self.dist[a.node as usize];
                if nd < *slot {
                    if *slot == u64::MAX {
                        self.touched.push(a.node);
                    }
                    *slot = nd;
                    self.heap.push(Reverse((nd, a.node)));
                }
            }
        }
    }
}
