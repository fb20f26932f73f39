//! The edge-based (turn-expanded) graph that the CH contracts.
//!
//! A node of this graph is a **state**: "has just driven edge `e`", together with
//! the restriction paths it is partway along. Every edge of the road graph has its
//! base state (node id = edge row); a via-way restriction adds copies of its via
//! edges' states, which remember that the route came from the `from` edge. An arc
//! `s -> t` is one allowed turn followed by the whole next edge: its weight is
//! the turn cost plus the edge's, each rounded to ms and cm. Restrictions cut arcs:
//! a `no_*` path loses the arc that would complete it, an `only_*` path keeps only
//! the arc that follows it (several `only_*` paths at one state keep each of theirs).
//!
//! A **local-only** edge (`access=destination`, …: no through traffic) may be
//! driven by a route that starts among local-only edges, which may then leave
//! them, or by one that enters them to arrive: a route that turns from an edge
//! open to all into a local-only one goes to a copy of its state that remembers
//! it, and such a state never turns back onto an edge open to all.
//!
//! Departing from graph node `v` starts at a **source node** of its own, with an arc
//! to the base state of each edge leaving `v` (the vehicle may leave in any
//! direction it can drive); arriving at `v` means reaching any state whose edge
//! ends at `v`, or `v`'s source node itself (a route of length 0).

use std::collections::{HashMap, VecDeque};

use crate::extract::RoadGraph;
use crate::restriction::RestrictionPath;
use crate::turn_table::Turn;
use crate::weight;

/// A graph for the CH with its entry and exit points per graph node.
#[derive(Debug, Default)]
pub(crate) struct SearchGraph {
    /// Number of nodes.
    pub node_count: usize,
    /// Directed arcs `(from, to, packed weight)`.
    pub arcs: Vec<(u32, u32, u64)>,
    /// Per graph node: the node a route departing from it starts at.
    pub source: Vec<u32>,
    /// `(graph node, node)`: reaching the node means arriving at the graph node;
    /// sorted.
    pub targets: Vec<(u32, u32)>,
}

/// Restriction progress of a state: `(path, index of its edge in the path)`, sorted.
type Active = Vec<(u32, u32)>;

/// Whether a route in a state with restriction progress `active` may turn into
/// edge `next`, and if so the progress it carries on with (without the paths that
/// start at `next`).
fn step(paths: &[RestrictionPath], active: &Active, next: u32) -> Option<Active> {
    // Several `only_*` paths partway at once (two relations from one way,
    // say `only_left_turn` and `only_straight_on`) allow each of their exits.
    let mut only_exits = active.iter().filter_map(|&(p, pos)| {
        let path = &paths[p as usize];
        path.only
            .then(|| path.edges.get(pos as usize + 1))
            .flatten()
    });
    let allowed = only_exits
        .next()
        .is_none_or(|&first| first == next || only_exits.any(|&exit| exit == next));
    if !allowed {
        return None;
    }
    let mut progress: Active = Vec::new();
    for &(p, pos) in active {
        let path = &paths[p as usize];
        if path.edges.get(pos as usize + 1) != Some(&next) {
            continue;
        }
        if pos as usize + 2 < path.edges.len() {
            progress.push((p, pos + 1));
        } else if !path.only {
            return None; // a `no_*` path completed
        }
    }
    Some(progress)
}

/// Builds the edge-based graph from the turns (sorted by from edge) and the
/// restriction paths.
pub(crate) fn expand(g: &RoadGraph, turns: &[Turn], paths: &[RestrictionPath]) -> SearchGraph {
    let m = g.edges.len();
    let n = g.osm_id.len();
    let weight_of: Vec<u64> = g
        .edges
        .iter()
        .map(|e| weight::pack(e.duration_s, e.distance_m))
        .collect();
    // Paths by first edge: entering that edge starts them.
    let mut starting: Vec<Vec<u32>> = vec![Vec::new(); m];
    for (p, path) in paths.iter().enumerate() {
        if let Some(&first) = path.edges.first() {
            starting[first as usize].push(p as u32);
        }
    }
    let base = |e: u32| -> Active { starting[e as usize].iter().map(|&p| (p, 0)).collect() };
    let mut turn_start = vec![0usize; m + 1];
    for t in turns {
        turn_start[t.from_edge as usize + 1] += 1;
    }
    for i in 0..m {
        turn_start[i + 1] += turn_start[i];
    }
    // States beyond the base ones: (edge, progress, entered a local-only zone
    // from outside) -> node id.
    let mut extra: HashMap<(u32, Active, bool), u32> = HashMap::new();
    let mut extra_edge: Vec<u32> = Vec::new();
    let mut queue: VecDeque<(u32, u32, Active, bool)> =
        (0..m as u32).map(|e| (e, e, base(e), false)).collect();
    let mut arcs = Vec::with_capacity(turns.len());
    let local = |e: u32| g.edges[e as usize].local_only;
    while let Some((state, edge, active, entered)) = queue.pop_front() {
        for t in &turns[turn_start[edge as usize]..turn_start[edge as usize + 1]] {
            let next = t.to_edge;
            let entered_next = match (local(edge), local(next)) {
                // Through traffic: out of a zone entered from outside.
                (true, false) if entered => continue,
                (_, false) => false,
                (true, true) => entered,
                (false, true) => true,
            };
            let Some(progress) = step(paths, &active, next) else {
                continue;
            };
            let mut into = base(next);
            let to = if progress.is_empty() && !entered_next {
                next
            } else {
                into.extend(progress);
                into.sort_unstable();
                let id = m as u32 + extra.len() as u32;
                *extra
                    .entry((next, into.clone(), entered_next))
                    .or_insert_with(|| {
                        extra_edge.push(next);
                        queue.push_back((id, next, into, entered_next));
                        id
                    })
            };
            let cost = weight::pack(t.cost_s, 0.0);
            if let Some(w) = weight::add(cost, weight_of[next as usize]) {
                arcs.push((state, to, w));
            }
        }
    }
    let states = m + extra_edge.len();
    let mut source = Vec::with_capacity(n);
    for v in 0..n as u32 {
        let s = (states + v as usize) as u32;
        source.push(s);
        let start = g.edges.partition_point(|x| x.from < v);
        let end = g.edges.partition_point(|x| x.from <= v);
        for (e, &w) in weight_of.iter().enumerate().take(end).skip(start) {
            arcs.push((s, e as u32, w));
        }
    }
    let mut targets: Vec<(u32, u32)> = g
        .edges
        .iter()
        .map(|e| e.to)
        .chain(extra_edge.iter().map(|&e| g.edges[e as usize].to))
        .enumerate()
        .map(|(state, v)| (v, state as u32))
        .chain(source.iter().enumerate().map(|(v, &s)| (v as u32, s)))
        .collect();
    targets.sort_unstable();
    arcs.sort_unstable();
    SearchGraph {
        node_count: states + n,
        arcs,
        source,
        targets,
    }
}
