//! Small hand-made hierarchies for unit tests: a random road-like graph, contracted
//! naively (every shortcut kept, no witness search) in a random order, and a plain
//! Dijkstra over the original edges as the oracle.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use rand::{RngExt as _, SeedableRng as _};

use crate::hierarchy::{Hierarchy, RoutingGraph, UpEdge};

/// A test edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub target: u32,
    pub duration_ms: u32,
    pub distance_m: f32,
}

impl UpEdge for Edge {
    fn target(&self) -> u32 {
        self.target
    }
    fn duration_ms(&self) -> u32 {
        self.duration_ms
    }
    fn distance_m(&self) -> f32 {
        self.distance_m
    }
}

/// The original graph plus its naive CH. Graph nodes `0..graph_nodes`; CH nodes past
/// them are "arrival copies" of a graph node (`copy_of`): several CH nodes that mean
/// "arrived", as the edge states of an edge-based hierarchy do.
pub struct TestGraph {
    pub graph_nodes: usize,
    pub edges: Vec<(u32, u32, u32, f32)>,
    pub copy_of: Vec<u32>,
    forward: Vec<Vec<Edge>>,
    backward: Vec<Vec<Edge>>,
    arrivals: Vec<Vec<u32>>,
}

impl TestGraph {
    /// A random graph of `n` graph nodes on a jittered grid with two-way and one-way
    /// streets, `copies` arrival copies, contracted in a random order.
    pub fn random(n: usize, copies: usize, seed: u64) -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let side = (n as f64).sqrt().ceil() as usize;
        let mut edges = Vec::new();
        let mut add = |rng: &mut rand::rngs::StdRng, a: usize, b: usize| {
            let ms = rng.random_range(500..60_000);
            let m = rng.random_range(5.0..900.0_f32);
            match rng.random_range(0..10) {
                0 => edges.push((a as u32, b as u32, ms, m)),
                1 => edges.push((b as u32, a as u32, ms, m)),
                _ => {
                    edges.push((a as u32, b as u32, ms, m));
                    let back = rng.random_range(500..60_000);
                    edges.push((b as u32, a as u32, back, m));
                }
            }
        };
        for i in 0..n {
            if (i + 1) % side != 0 && i + 1 < n {
                add(&mut rng, i, i + 1);
            }
            if i + side < n && rng.random_bool(0.8) {
                add(&mut rng, i, i + side);
            }
            if rng.random_bool(0.05) {
                let j = rng.random_range(0..n);
                if j != i {
                    add(&mut rng, i, j);
                }
            }
        }
        // Arrival copies: some edges into node g now end at copy g' instead; g' leaves
        // like g except for one banned exit, as a turn restriction would make it.
        let mut copy_of: Vec<u32> = (0..n as u32).collect();
        for _ in 0..copies {
            let g = rng.random_range(0..n) as u32;
            let c = copy_of.len() as u32;
            copy_of.push(g);
            let into: Vec<usize> = (0..edges.len()).filter(|&k| edges[k].1 == g).collect();
            for &k in into.iter().filter(|_| rng.random_bool(0.5)) {
                edges[k].1 = c;
            }
            let out: Vec<_> = edges.iter().filter(|e| e.0 == g).copied().collect();
            for (k, e) in out.into_iter().enumerate() {
                if k != 0 {
                    edges.push((c, e.1, e.2, e.3));
                }
            }
        }
        let total = copy_of.len();
        let mut arrivals = vec![Vec::new(); n];
        for (c, &g) in copy_of.iter().enumerate() {
            arrivals[g as usize].push(c as u32);
        }
        let mut rank: Vec<usize> = (0..total).collect();
        for i in (1..total).rev() {
            rank.swap(i, rng.random_range(0..=i));
        }
        let (forward, backward) = contract(total, &edges, &rank);
        Self {
            graph_nodes: n,
            edges,
            copy_of,
            forward,
            backward,
            arrivals,
        }
    }

    /// Plain Dijkstra over the original edges from graph node `source`: per graph node,
    /// the fastest (then shortest) route to it or to any of its copies.
    pub fn oracle(&self, source: u32) -> Vec<Option<(u32, f64)>> {
        let total = self.copy_of.len();
        let mut out: Vec<Vec<(u32, u32, f32)>> = vec![Vec::new(); total];
        for &(a, b, ms, m) in &self.edges {
            out[a as usize].push((b, ms, m));
        }
        let mut best: Vec<Option<(u32, f64)>> = vec![None; total];
        let mut heap = BinaryHeap::new();
        best[source as usize] = Some((0, 0.0));
        heap.push(Reverse((0u32, 0u64, source)));
        while let Some(Reverse((d, mbits, v))) = heap.pop() {
            let m = f64::from_bits(mbits);
            if best[v as usize] != Some((d, m)) {
                continue;
            }
            for &(w, ms, len) in &out[v as usize] {
                let cand = (d + ms, m + f64::from(len));
                let better = best[w as usize]
                    .is_none_or(|b| cand.0 < b.0 || (cand.0 == b.0 && cand.1 < b.1));
                if better {
                    best[w as usize] = Some(cand);
                    heap.push(Reverse((cand.0, cand.1.to_bits(), w)));
                }
            }
        }
        let mut per_graph: Vec<Option<(u32, f64)>> = vec![None; self.graph_nodes];
        for (c, b) in best.into_iter().enumerate() {
            let g = self.copy_of[c] as usize;
            if let Some(b) = b
                && per_graph[g].is_none_or(|p| b.0 < p.0 || (b.0 == p.0 && b.1 < p.1))
            {
                per_graph[g] = Some(b);
            }
        }
        per_graph[source as usize] = Some((0, 0.0));
        per_graph
    }
}

/// Contracts nodes in increasing `rank`, adding every shortcut `u -> v` through the
/// contracted node (keeping the fastest per pair), then splits edges into upward lists.
fn contract(
    total: usize,
    edges: &[(u32, u32, u32, f32)],
    rank: &[usize],
) -> (Vec<Vec<Edge>>, Vec<Vec<Edge>>) {
    let mut all: HashMap<(u32, u32), (u32, f32)> = HashMap::new();
    let keep = |all: &mut HashMap<(u32, u32), (u32, f32)>, a: u32, b: u32, ms: u32, m: f32| {
        let e = all.entry((a, b)).or_insert((ms, m));
        if ms < e.0 || (ms == e.0 && m < e.1) {
            *e = (ms, m);
        }
    };
    for &(a, b, ms, m) in edges {
        if a != b {
            keep(&mut all, a, b, ms, m);
        }
    }
    let mut order: Vec<u32> = (0..total as u32).collect();
    order.sort_by_key(|&v| rank[v as usize]);
    for &x in &order {
        let rx = rank[x as usize];
        let ins: Vec<_> = all
            .iter()
            .filter(|((_, b), _)| *b == x)
            .filter(|((a, _), _)| rank[*a as usize] > rx)
            .map(|(&(a, _), &w)| (a, w))
            .collect();
        let outs: Vec<_> = all
            .iter()
            .filter(|((a, _), _)| *a == x)
            .filter(|((_, b), _)| rank[*b as usize] > rx)
            .map(|(&(_, b), &w)| (b, w))
            .collect();
        for &(u, (w1, m1)) in &ins {
            for &(v, (w2, m2)) in &outs {
                if u != v {
                    keep(&mut all, u, v, w1 + w2, m1 + m2);
                }
            }
        }
    }
    let mut forward = vec![Vec::new(); total];
    let mut backward = vec![Vec::new(); total];
    let mut sorted: Vec<_> = all.into_iter().collect();
    sorted.sort_by_key(|&((a, b), _)| (a, b));
    for ((a, b), (ms, m)) in sorted {
        if rank[b as usize] > rank[a as usize] {
            forward[a as usize].push(Edge {
                target: b,
                duration_ms: ms,
                distance_m: m,
            });
        } else {
            backward[b as usize].push(Edge {
                target: a,
                duration_ms: ms,
                distance_m: m,
            });
        }
    }
    (forward, backward)
}

impl Hierarchy for TestGraph {
    type Edge = Edge;
    fn node_count(&self) -> usize {
        self.copy_of.len()
    }
    fn forward_up(&self, node: u32) -> &[Edge] {
        &self.forward[node as usize]
    }
    fn backward_up(&self, node: u32) -> &[Edge] {
        &self.backward[node as usize]
    }
}

impl RoutingGraph for TestGraph {
    fn source_of(&self, graph_node: u32) -> u32 {
        graph_node
    }
    fn targets_of(&self, graph_node: u32) -> &[u32] {
        &self.arrivals[graph_node as usize]
    }
}
