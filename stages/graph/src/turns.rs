//! How turn rules become graph structure: node splitting.
//!
//! Every edge `e = u -> v` that carries a turn rule gets its own copy `v'` of
//! its head: `e` now ends at `v'`, and `v'` keeps only the outgoing edges of
//! `v` that `e` may turn into (for `only_*`: the named ones; for `no_*`: all
//! but the banned ones). Unrestricted edges still end at `v`, which keeps all
//! of `v`'s outgoing edges. Arriving at graph node `v` therefore means reaching
//! `v` or any of its copies; departing from `v` starts at `v` itself. The
//! result is a plain node-based graph, so the CH needs no turn logic, and it
//! grows by one node per restricted edge only.

use crate::extract::RoadGraph;
use crate::restriction::TurnRule;
use crate::weight;

/// The graph the CH contracts: graph nodes `0..graph_nodes`, then one copy per
/// restricted edge.
#[derive(Debug, Default)]
pub(crate) struct TurnGraph {
    /// Number of graph nodes (the first node ids).
    pub graph_nodes: u32,
    /// For copy `graph_nodes + k`: the graph node it stands for.
    pub copy_base: Vec<u32>,
    /// Directed edges `(from, to, packed weight)`.
    pub edges: Vec<(u32, u32, u64)>,
}

impl TurnGraph {
    /// All nodes: graph nodes and copies.
    pub fn node_count(&self) -> usize {
        self.graph_nodes as usize + self.copy_base.len()
    }
}

/// Whether `to_edge` may follow the edge whose rules are `rules` (all with the same from edge).
pub(crate) fn turn_allowed(rules: &[TurnRule], to_edge: u32) -> bool {
    let banned = rules.iter().any(|r| !r.only && r.to_edge == to_edge);
    let mut only = rules.iter().filter(|r| r.only).peekable();
    let mandatory_ok = only.peek().is_none() || only.any(|r| r.to_edge == to_edge);
    mandatory_ok && !banned
}

/// Splits nodes for the rules (sorted by from edge) and weights every edge.
pub(crate) fn build(g: &RoadGraph, rules: &[TurnRule]) -> TurnGraph {
    let n = g.osm_id.len() as u32;
    let edge_weight: Vec<u64> = g
        .edges
        .iter()
        .map(|e| weight::pack(e.duration_s, e.distance_m))
        .collect();
    // Rules grouped by from edge; each group gets one copy of the edge's head.
    let mut groups: Vec<(u32, &[TurnRule])> = Vec::new();
    let mut i = 0;
    while i < rules.len() {
        let from = rules[i].from_edge;
        let len = rules[i..]
            .iter()
            .take_while(|r| r.from_edge == from)
            .count();
        groups.push((from, &rules[i..i + len]));
        i += len;
    }
    let mut head = vec![u32::MAX; g.edges.len()];
    let mut t = TurnGraph {
        graph_nodes: n,
        ..TurnGraph::default()
    };
    for (k, (edge, _)) in groups.iter().enumerate() {
        head[*edge as usize] = n + k as u32;
        t.copy_base.push(g.edges[*edge as usize].to);
    }
    for (e, edge) in g.edges.iter().enumerate() {
        if head[e] == u32::MAX {
            head[e] = edge.to;
        }
    }
    t.edges.reserve(g.edges.len() + groups.len() * 3);
    for (e, edge) in g.edges.iter().enumerate() {
        t.edges.push((edge.from, head[e], edge_weight[e]));
    }
    for (k, (_, group)) in groups.iter().enumerate() {
        let copy = n + k as u32;
        let base = t.copy_base[k];
        let start = g.edges.partition_point(|e| e.from < base);
        let end = g.edges.partition_point(|e| e.from <= base);
        for out in start..end {
            if turn_allowed(group, out as u32) {
                t.edges.push((copy, head[out], edge_weight[out]));
            }
        }
    }
    t
}
