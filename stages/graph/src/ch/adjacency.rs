//! Adjacency lists of the graph being contracted, all in one arena laid out in
//! node order. Witness searches spend their time loading lists: one `Vec` per
//! node scattered them over the heap, one arena keeps a node's list next to its
//! neighbours'. A list that outgrows its room moves to the end of the arena
//! with twice the room.

use super::witness::Arc;

/// Per node, a list of arcs (`node`, weight) without repeated nodes.
#[derive(Debug, Default)]
pub(crate) struct Adjacency {
    start: Vec<usize>,
    len: Vec<u32>,
    cap: Vec<u32>,
    arcs: Vec<Arc>,
}

/// Room every list gets beyond its first arcs, for shortcuts.
const SLACK: u32 = 2;

impl Adjacency {
    /// Empty lists for nodes of at most `degree[v]` arcs each (before shortcuts).
    pub fn with_degrees(degree: &[u32]) -> Self {
        let mut start = Vec::with_capacity(degree.len());
        let mut cap = Vec::with_capacity(degree.len());
        let mut total = 0usize;
        for &d in degree {
            start.push(total);
            cap.push(d + SLACK);
            total += (d + SLACK) as usize;
        }
        Self {
            start,
            len: vec![0; degree.len()],
            cap,
            arcs: vec![Arc { node: 0, w: 0 }; total],
        }
    }

    /// The arcs of `v`.
    #[inline]
    pub fn get(&self, v: u32) -> &[Arc] {
        let v = v as usize;
        &self.arcs[self.start[v]..self.start[v] + self.len[v] as usize]
    }

    /// Number of arcs of `v`.
    pub fn degree(&self, v: u32) -> usize {
        self.len[v as usize] as usize
    }

    /// Adds the arc `v -> node` of weight `w`, or lowers the weight of the one
    /// there is to `w`.
    pub fn add(&mut self, v: u32, node: u32, w: u64) {
        let vu = v as usize;
        let (s, l) = (self.start[vu], self.len[vu] as usize);
        if let Some(a) = self.arcs[s..s + l].iter_mut().find(|a| a.node == node) {
            a.w = a.w.min(w);
            return;
        }
        if l == self.cap[vu] as usize {
            let cap = (2 * l).max(4);
            let new = self.arcs.len();
            self.arcs.extend_from_within(s..s + l);
            self.arcs.resize(new + cap, Arc { node: 0, w: 0 });
            self.start[vu] = new;
            self.cap[vu] = cap as u32;
        }
        self.arcs[self.start[vu] + l] = Arc { node, w };
        self.len[vu] += 1;
    }

    /// Removes the arc `v -> node`, if any (the order of the others may change).
    pub fn remove(&mut self, v: u32, node: u32) {
        let vu = v as usize;
        let (s, l) = (self.start[vu], self.len[vu] as usize);
        if let Some(i) = self.arcs[s..s + l].iter().position(|a| a.node == node) {
            self.arcs.swap(s + i, s + l - 1);
            self.len[vu] -= 1;
        }
    }

    /// Empties the list of `v`, returning its arcs.
    pub fn take(&mut self, v: u32) -> Vec<Arc> {
        let arcs = self.get(v).to_vec();
        self.len[v as usize] = 0;
        arcs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_merges_grows_and_removes() {
        let mut a = Adjacency::with_degrees(&[1, 0, 2]);
        a.add(0, 2, 10);
        a.add(0, 2, 7);
        a.add(0, 2, 9);
        assert_eq!(a.get(0), &[Arc { node: 2, w: 7 }]);
        for x in 0..6 {
            a.add(1, x, u64::from(x));
        }
        assert_eq!(a.degree(1), 6);
        assert_eq!(a.get(1)[5], Arc { node: 5, w: 5 });
        assert!(a.get(2).is_empty());
        a.remove(1, 0);
        a.remove(1, 9);
        let mut nodes: Vec<u32> = a.get(1).iter().map(|x| x.node).collect();
        nodes.sort_unstable();
        assert_eq!(nodes, [1, 2, 3, 4, 5]);
        assert_eq!(a.take(0), [Arc { node: 2, w: 7 }]);
        assert!(a.get(0).is_empty());
        assert_eq!(a.get(1).len(), 5);
    }
}
