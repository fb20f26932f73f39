//! Strongly connected components (iterative Tarjan) of the road graph; the
//! largest is the routable "main" component.

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
    fn empty_graph() {
        let c = components(0, &[]);
        assert!(c.main.is_empty());
        assert_eq!(c.count, 0);
    }
}
