//! Strongly connected components (iterative Tarjan); the largest one of the
//! edge-based graph gives the routable "main" component of the road graph.
//!
//! The components are taken on the turn-expanded graph, with its restrictions and
//! U-turn rules, and not on the road graph: a way that turn restrictions close on
//! every exit (or entry) is strongly connected to the city on the road graph, yet
//! no legal route leaves (or reaches) it. A cell snapped there would get no route to
//! or from anywhere (issue 15: 766 such pairs in Heidelberg).

use std::collections::VecDeque;

use crate::expand::SearchGraph;

/// Component of every node: `main[v]` is true for the largest strongly
/// connected component (ties: the one holding the lowest node id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Components {
    pub main: Vec<bool>,
    /// Number of components (isolated nodes count as one each).
    pub count: u32,
}

/// Computes the components of the directed graph with `n` nodes and `edges`
/// given as `(from, to)` pairs sorted by `from`.
pub(crate) fn components(n: usize, edges: &[(u32, u32)]) -> Components {
    const NONE: u32 = u32::MAX;
    let mut first = vec![0usize; n + 1];
    for &(from, _) in edges {
        first[from as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut stack: Vec<u32> = Vec::new();
    // Call stack: (node, next edge position).
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut count = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        calls.push((root, first[root as usize]));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(top) = calls.last_mut() {
            let v = top.0;
            let vu = v as usize;
            if top.1 < first[vu + 1] {
                let w = edges[top.1].1;
                top.1 += 1;
                let wu = w as usize;
                if index[wu] == NONE {
                    index[wu] = next_index;
                    low[wu] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[wu] = true;
                    calls.push((w, first[wu]));
                } else if on_stack[wu] {
                    low[vu] = low[vu].min(index[wu]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[vu]);
            }
            if low[vu] == index[vu] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = count;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    let mut size = vec![0u32; count as usize];
    for &c in &comp {
        size[c as usize] += 1;
    }
    // Largest; among equals the one reached first from the lowest node id.
    let mut best: Option<(u32, u32)> = None;
    for &c in &comp {
        let s = size[c as usize];
        if best.is_none_or(|(_, bs)| s > bs) {
            best = Some((c, s));
        }
    }
    let main = best.map_or(NONE, |(c, _)| c);
    Components {
        main: comp.iter().map(|&c| c == main).collect(),
        count,
    }
}

/// The routable main component of the road graph with `n` nodes, from its
/// edge-based graph `tg`: road node `v` is in it when a route departing from `v`
/// reaches the largest strongly connected component of the edge states, and a
/// route from that component arrives at `v`. So any two such nodes have a legal
/// route both ways, as in the road graph's own strongly connected component when
/// no restriction applies. `count` is the number of components of the edge states.
pub(crate) fn routable(n: usize, tg: &SearchGraph) -> Components {
    // Source nodes (ids from `states` on) have no arc in: each is a component of
    // its own and never part of the main one, so only the states count.
    let states = tg.node_count.saturating_sub(n);
    let pairs: Vec<(u32, u32)> = tg
        .arcs
        .iter()
        .filter(|a| (a.0 as usize) < states && (a.1 as usize) < states)
        .map(|a| (a.0, a.1))
        .collect();
    let state_comps = components(states, &pairs);
    // Every state the main component reaches, and every state that reaches it.
    let forward = reach(states, &pairs, &state_comps.main);
    let mut reversed: Vec<(u32, u32)> = pairs.iter().map(|&(a, b)| (b, a)).collect();
    drop(pairs);
    reversed.sort_unstable();
    let backward = reach(states, &reversed, &state_comps.main);
    drop(reversed);
    let mut leaves = vec![false; n];
    for (v, &s) in tg.source.iter().enumerate() {
        let from = tg.arcs.partition_point(|a| a.0 < s);
        leaves[v] = tg.arcs[from..]
            .iter()
            .take_while(|a| a.0 == s)
            .any(|a| backward.get(a.1 as usize).copied().unwrap_or(false));
    }
    let mut arrives = vec![false; n];
    for &(v, t) in &tg.targets {
        if forward.get(t as usize).copied().unwrap_or(false) {
            arrives[v as usize] = true;
        }
    }
    Components {
        main: leaves.iter().zip(&arrives).map(|(l, a)| *l && *a).collect(),
        count: state_comps.count,
    }
}

/// The nodes reachable from the `start` nodes over `edges` (`(from, to)` sorted by
/// `from`) among `n` nodes, the start nodes included.
fn reach(n: usize, edges: &[(u32, u32)], start: &[bool]) -> Vec<bool> {
    let mut seen = start.to_vec();
    let mut queue: VecDeque<u32> = (0..n as u32).filter(|&v| seen[v as usize]).collect();
    while let Some(v) = queue.pop_front() {
        let from = edges.partition_point(|e| e.0 < v);
        for &(_, w) in edges[from..].iter().take_while(|e| e.0 == v) {
            if !seen[w as usize] {
                seen[w as usize] = true;
                queue.push_back(w);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_cycle_is_main() {
        // 0<->1<->2 is strongly connected; 2->3 one way; 4<->5 a smaller pair.
        let edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (4, 5), (5, 4)];
        let c = components(6, &edges);
        assert_eq!(c.main, vec![true, true, true, false, false, false]);
        assert_eq!(c.count, 3);
    }

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        let n = 200_000u32;
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for i in 0..n - 1 {
            edges.push((i, i + 1));
        }
        edges.push((n - 1, 0));
        edges.sort_unstable();
        let c = components(n as usize, &edges);
        assert!(c.main.iter().all(|m| *m));
        assert_eq!(c.count, 1);
    }

    #[test]
    fn reach_follows_edges_one_way() {
        let edges = [(0, 1), (1, 2), (3, 0)];
        assert_eq!(
            reach(4, &edges, &[true, false, false, false]),
            vec![true, true, true, false]
        );
    }

    #[test]
    fn a_node_whose_only_exit_leaves_the_main_states_is_not_routable() {
        // Road nodes 0, 1, 2; states 0..3 form a cycle (the main states), state 3
        // enters node 2 from the cycle but nothing leaves it. Node 0 departs into
        // state 0 and is reached by it; node 2 departs into state 3 only (a dead
        // trap) though it is reached by state 3; node 1 has no arc at all.
        let tg = SearchGraph {
            node_count: 7,
            arcs: vec![
                (0, 1, 0),
                (1, 2, 0),
                (2, 0, 0),
                (2, 3, 0),
                (4, 0, 0),
                (6, 3, 0),
            ],
            source: vec![4, 5, 6],
            targets: vec![(0, 2), (0, 4), (1, 5), (2, 3), (2, 6)],
        };
        let c = routable(3, &tg);
        assert_eq!(c.main, vec![true, false, false]);
        assert_eq!(c.count, 2);
    }

    #[test]
    fn empty_graph() {
        let c = components(0, &[]);
        assert!(c.main.is_empty());
        assert_eq!(c.count, 0);
    }
}
