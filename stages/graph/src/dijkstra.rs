//! Plain edge-based Dijkstra over `edges.parquet` and `restrictions.parquet`:
//! the test oracle for the CH and the matrix. It shares nothing with the CH
//! but the files and the weight rule (ms first, then cm), and applies the turn
//! rules directly: a search state is the edge just driven.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use hexmatrix_contract::columns::{edges, restrictions};
use hexmatrix_contract::graph_dir::{EDGES_FILE, NODES_FILE, RESTRICTIONS_FILE};

use crate::parquet::{open, table_error};
use crate::{Error, Result, weight};

/// The uncontracted road graph with its turn rules.
#[derive(Debug, Clone)]
pub struct OracleGraph {
    nodes: usize,
    to: Vec<u32>,
    weight: Vec<u64>,
    distance_m: Vec<f64>,
    /// Edge rows grouped by tail: `out[first[v]..first[v + 1]]`.
    first: Vec<usize>,
    out: Vec<u32>,
    /// Per restricted edge: (mandatory next edges, banned next edges).
    rules: HashMap<u32, (Vec<u32>, Vec<u32>)>,
}

impl OracleGraph {
    /// Loads `edges.parquet` and `restrictions.parquet` from a graph directory.
    ///
    /// # Errors
    /// I/O or Parquet errors, missing columns, or edge ids out of range.
    pub fn from_dir(graph_dir: &Path) -> Result<Self> {
        let path = graph_dir.join(EDGES_FILE);
        let table = open(&path)?;
        let err = |e| table_error(&path, e);
        let from = table.column::<u32>(edges::FROM).map_err(err)?;
        let to = table.column::<u32>(edges::TO).map_err(err)?;
        let distance_m = table.column::<f64>(edges::DISTANCE_M).map_err(err)?;
        let duration_s = table.column::<f64>(edges::DURATION_S).map_err(err)?;
        let weight = duration_s
            .iter()
            .zip(&distance_m)
            .map(|(&s, &d)| weight::pack(s, d))
            .collect();
        let nodes_path = graph_dir.join(NODES_FILE);
        let nodes = crate::read_nodes(graph_dir)?.osm_id.len();
        if let Some(bad) = from.iter().chain(&to).find(|&&v| v as usize >= nodes) {
            return Err(Error::BadValue {
                path: nodes_path,
                reason: format!("edge node {bad} is beyond the {nodes} nodes"),
            });
        }
        let mut first = vec![0usize; nodes + 1];
        for &f in &from {
            first[f as usize + 1] += 1;
        }
        for i in 0..nodes {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut out = vec![0u32; from.len()];
        for (e, &f) in from.iter().enumerate() {
            out[fill[f as usize]] = e as u32;
            fill[f as usize] += 1;
        }
        let path = graph_dir.join(RESTRICTIONS_FILE);
        let mut rules: HashMap<u32, (Vec<u32>, Vec<u32>)> = HashMap::new();
        let table = open(&path)?;
        let err = |e| table_error(&path, e);
        let only = table.column::<bool>(restrictions::ONLY).map_err(err)?;
        let from_edge = table.column::<u32>(restrictions::FROM_EDGE).map_err(err)?;
        let to_edge = table.column::<u32>(restrictions::TO_EDGE).map_err(err)?;
        for ((&only, &f), &t) in only.iter().zip(&from_edge).zip(&to_edge) {
            if f as usize >= from.len() || t as usize >= from.len() {
                return Err(Error::BadValue {
                    path,
                    reason: format!("turn rule on edge {f} -> {t} beyond {} edges", from.len()),
                });
            }
            let entry = rules.entry(f).or_default();
            if only {
                entry.0.push(t);
            } else {
                entry.1.push(t);
            }
        }
        Ok(Self {
            nodes,
            to,
            weight,
            distance_m,
            first,
            out,
            rules,
        })
    }

    /// Number of graph nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    fn may_follow(&self, from_edge: u32, next: u32) -> bool {
        match self.rules.get(&from_edge) {
            None => true,
            Some((only, no)) => (only.is_empty() || only.contains(&next)) && !no.contains(&next),
        }
    }

    /// Per graph node: `Some((duration_s, distance_m))` of the fastest route
    /// from `source` (durations in whole milliseconds), `None` if unreachable.
    #[must_use]
    pub fn one_to_all(&self, source: u32) -> Vec<Option<(f64, f64)>> {
        let m = self.to.len();
        let mut dist = vec![u64::MAX; m];
        let mut metres = vec![0.0f64; m];
        let mut heap = BinaryHeap::new();
        let s = source as usize;
        for &e in &self.out[self.first[s]..self.first[s + 1]] {
            let eu = e as usize;
            if self.weight[eu] < dist[eu] {
                dist[eu] = self.weight[eu];
                metres[eu] = self.distance_m[eu];
                heap.push(Reverse((dist[eu], e)));
            }
        }
        while let Some(Reverse((d, e))) = heap.pop() {
            if d > dist[e as usize] {
                continue;
            }
            let v = self.to[e as usize] as usize;
            for &f in &self.out[self.first[v]..self.first[v + 1]] {
                if !self.may_follow(e, f) {
                    continue;
                }
                let fu = f as usize;
                let Some(nd) = weight::add(d, self.weight[fu]) else {
                    continue;
                };
                if nd < dist[fu] {
                    dist[fu] = nd;
                    metres[fu] = metres[e as usize] + self.distance_m[fu];
                    heap.push(Reverse((nd, f)));
                }
            }
        }
        let mut best: Vec<Option<(u64, f64)>> = vec![None; self.nodes];
        if s < self.nodes {
            best[s] = Some((0, 0.0));
        }
        for (e, &d) in dist.iter().enumerate() {
            if d == u64::MAX {
                continue;
            }
            let slot = &mut best[self.to[e] as usize];
            if slot.is_none_or(|(b, _)| d < b) {
                *slot = Some((d, metres[e]));
            }
        }
        best.into_iter()
            .map(|b| b.map(|(w, m)| (f64::from(weight::ms(w)) / 1000.0, m)))
            .collect()
    }
}
