//! Plain edge-based Dijkstra over the graph directory's Parquet files: the test
//! oracle for the CH and the matrix. It shares nothing with the CH but the files
//! and the weight rule (ms first, then cm, each part rounded on its own): it reads
//! `edges.parquet`, the turn model from `turns.parquet` (a turn without a row is not
//! allowed) and every restriction from `restriction_paths.parquet`, and applies them
//! directly. A search state is the edge just driven and the longest run of edges
//! driven last that begins some restriction path (what the restrictions can still
//! see), a formulation of its own rather than the CH's, and whether the route came
//! onto the local-only edges it is on from an edge open to all (then it may only
//! go on among them: no through traffic).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;

use hexmatrix_contract::columns::{edges, restriction_paths, turns};
use hexmatrix_contract::graph_dir::{EDGES_FILE, NODES_FILE, RESTRICTION_PATHS_FILE, TURNS_FILE};

use crate::parquet::{open, table_error};
use crate::{Error, Result, weight};

/// The uncontracted road graph with its turns and restriction paths.
#[derive(Debug, Clone)]
pub struct OracleGraph {
    nodes: usize,
    from: Vec<u32>,
    to: Vec<u32>,
    weight: Vec<u64>,
    distance_m: Vec<f64>,
    /// Per edge: whether it admits only traffic to or from it.
    local_only: Vec<bool>,
    /// Per edge: the allowed next edges with the turn's packed cost.
    next: Vec<Vec<(u32, u64)>>,
    /// Every proper prefix (one edge or more) of a restriction path.
    prefixes: HashSet<Vec<u32>>,
    /// The `no_*` paths, whole.
    banned: HashSet<Vec<u32>>,
    /// For a proper prefix of an `only_*` path: the edges that may follow it.
    mandatory: HashMap<Vec<u32>, Vec<u32>>,
}

/// One row of edges.parquet: `(from, to, packed weight, metres, local only)`.
type EdgeRow = (u32, u32, u64, f64, bool);

/// Every row of edges.parquet.
fn read_edges(graph_dir: &Path) -> Result<Vec<EdgeRow>> {
    let path = graph_dir.join(EDGES_FILE);
    let table = open(&path)?;
    let err = |e| table_error(&path, e);
    let from = table.column::<u32>(edges::FROM).map_err(err)?;
    let to = table.column::<u32>(edges::TO).map_err(err)?;
    let distance_m = table.column::<f64>(edges::DISTANCE_M).map_err(err)?;
    let duration_s = table.column::<f64>(edges::DURATION_S).map_err(err)?;
    let local_only = table.column::<bool>(edges::LOCAL_ONLY).map_err(err)?;
    Ok(from
        .into_iter()
        .zip(to)
        .zip(duration_s.into_iter().zip(distance_m))
        .zip(local_only)
        .map(|(((f, t), (s, d)), l)| (f, t, weight::pack(s, d), d, l))
        .collect())
}

/// The paths of `restriction_paths.parquet`: `(only, edges)` in path order.
fn read_paths(graph_dir: &Path, edge_count: usize) -> Result<Vec<(bool, Vec<u32>)>> {
    let path = graph_dir.join(RESTRICTION_PATHS_FILE);
    let table = open(&path)?;
    let err = |e| table_error(&path, e);
    let path_ids = table.column::<u32>(restriction_paths::PATH).map_err(err)?;
    let only = table.column::<bool>(restriction_paths::ONLY).map_err(err)?;
    let positions = table
        .column::<u32>(restriction_paths::POSITION)
        .map_err(err)?;
    let edge_ids = table.column::<u32>(restriction_paths::EDGE).map_err(err)?;
    if let Some(&bad) = edge_ids.iter().find(|&&e| e as usize >= edge_count) {
        return Err(Error::BadValue {
            path,
            reason: format!("path edge {bad} beyond {edge_count} edges"),
        });
    }
    let mut rows: Vec<(u32, u32, bool, u32)> = path_ids
        .into_iter()
        .zip(positions)
        .zip(only.into_iter().zip(edge_ids))
        .map(|((p, pos), (only, e))| (p, pos, only, e))
        .collect();
    rows.sort_unstable();
    let mut paths: Vec<(bool, Vec<u32>)> = Vec::new();
    let mut current = None;
    for (p, _, only, e) in rows {
        if current != Some(p) {
            current = Some(p);
            paths.push((only, Vec::new()));
        }
        if let Some(last) = paths.last_mut() {
            last.1.push(e);
        }
    }
    Ok(paths)
}

/// A search state: the edge just driven, the remembered edges, and whether the
/// route entered the local-only edges it is on from an edge open to all.
type State = (u32, Vec<u32>, bool);

/// One search: states numbered as they are found.
#[derive(Default)]
struct Search {
    index: HashMap<State, usize>,
    states: Vec<State>,
    dist: Vec<u64>,
    metres: Vec<f64>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl Search {
    /// Records weight `d` and `m` metres at state `key` if faster than known.
    fn relax(&mut self, key: State, d: u64, m: f64) {
        let id = if let Some(&id) = self.index.get(&key) {
            id
        } else {
            self.index.insert(key.clone(), self.states.len());
            self.states.push(key);
            self.dist.push(u64::MAX);
            self.metres.push(0.0);
            self.states.len() - 1
        };
        if d < self.dist[id] {
            self.dist[id] = d;
            self.metres[id] = m;
            self.heap.push(Reverse((d, id)));
        }
    }
}

impl OracleGraph {
    /// Loads `edges.parquet`, `turns.parquet` and `restriction_paths.parquet` from
    /// a graph directory.
    ///
    /// # Errors
    /// I/O or Parquet errors, missing columns, or node or edge ids out of range.
    pub fn from_dir(graph_dir: &Path) -> Result<Self> {
        let rows = read_edges(graph_dir)?;
        let nodes = crate::read_nodes(graph_dir)?.osm_id.len();
        if let Some(bad) = rows
            .iter()
            .find(|r| r.0 as usize >= nodes || r.1 as usize >= nodes)
        {
            return Err(Error::BadValue {
                path: graph_dir.join(NODES_FILE),
                reason: format!("edge {} -> {} is beyond the {nodes} nodes", bad.0, bad.1),
            });
        }
        let m = rows.len();
        let path = graph_dir.join(TURNS_FILE);
        let mut next = vec![Vec::new(); m];
        let table = open(&path)?;
        let err = |e| table_error(&path, e);
        let from_edge = table.column::<u32>(turns::FROM_EDGE).map_err(err)?;
        let to_edge = table.column::<u32>(turns::TO_EDGE).map_err(err)?;
        let duration_s = table.column::<f64>(turns::DURATION_S).map_err(err)?;
        for ((&f, &t), &s) in from_edge.iter().zip(&to_edge).zip(&duration_s) {
            let f = f as usize;
            if f >= m || t as usize >= m || rows[f].1 != rows[t as usize].0 {
                return Err(Error::BadValue {
                    path,
                    reason: format!("turn {f} -> {t} does not join two of the {m} edges"),
                });
            }
            next[f].push((t, weight::pack(s, 0.0)));
        }
        let mut prefixes = HashSet::new();
        let mut banned = HashSet::new();
        let mut mandatory: HashMap<Vec<u32>, Vec<u32>> = HashMap::new();
        for (only, edges) in read_paths(graph_dir, m)? {
            for k in 1..edges.len() {
                prefixes.insert(edges[..k].to_vec());
                if only {
                    mandatory
                        .entry(edges[..k].to_vec())
                        .or_default()
                        .push(edges[k]);
                }
            }
            if !only {
                banned.insert(edges);
            }
        }
        Ok(Self {
            nodes,
            from: rows.iter().map(|r| r.0).collect(),
            to: rows.iter().map(|r| r.1).collect(),
            weight: rows.iter().map(|r| r.2).collect(),
            distance_m: rows.iter().map(|r| r.3).collect(),
            local_only: rows.iter().map(|r| r.4).collect(),
            next,
            prefixes,
            banned,
            mandatory,
        })
    }

    /// Number of graph nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The longest suffix of `driven` that begins a restriction path (empty if none).
    fn remembered(&self, driven: &[u32]) -> Vec<u32> {
        (0..driven.len())
            .map(|i| &driven[i..])
            .find(|s| self.prefixes.contains(*s))
            .map(<[u32]>::to_vec)
            .unwrap_or_default()
    }

    /// Whether a route whose last edges are `seen` (ending with the current edge)
    /// may go on into `next`; and what it then remembers.
    fn step(&self, seen: &[u32], next: u32) -> Option<Vec<u32>> {
        // Every `only_*` path the route is partway along names an exit; any of them will do.
        let exits: Vec<u32> = (0..seen.len())
            .filter_map(|i| self.mandatory.get(&seen[i..]))
            .flatten()
            .copied()
            .collect();
        if !exits.is_empty() && !exits.contains(&next) {
            return None;
        }
        let mut driven = seen.to_vec();
        driven.push(next);
        if (0..driven.len()).any(|i| self.banned.contains(&driven[i..])) {
            return None;
        }
        Some(self.remembered(&driven))
    }

    /// Per graph node: `Some((duration_s, distance_m))` of the fastest route
    /// from `source` (durations in whole milliseconds), `None` if unreachable.
    #[must_use]
    pub fn one_to_all(&self, source: u32) -> Vec<Option<(f64, f64)>> {
        let mut search = Search::default();
        for e in (0..self.from.len()).filter(|&e| self.from[e] == source) {
            let key = (e as u32, self.remembered(&[e as u32]), false);
            search.relax(key, self.weight[e], self.distance_m[e]);
        }
        let mut best: Vec<Option<(u64, f64)>> = vec![None; self.nodes];
        if (source as usize) < self.nodes {
            best[source as usize] = Some((0, 0.0));
        }
        while let Some(Reverse((d, id))) = search.heap.pop() {
            if d > search.dist[id] {
                continue;
            }
            let (edge, seen, entered) = search.states[id].clone();
            let m = search.metres[id];
            let slot = &mut best[self.to[edge as usize] as usize];
            if slot.is_none_or(|(b, _)| d < b) {
                *slot = Some((d, m));
            }
            let seen = if seen.is_empty() { vec![edge] } else { seen };
            for &(f, turn) in &self.next[edge as usize] {
                let (here, there) = (self.local_only[edge as usize], self.local_only[f as usize]);
                // Entering local-only edges from outside is allowed (to arrive);
                // leaving them again is through traffic.
                if entered && !there {
                    continue;
                }
                let entered = there && (entered || !here);
                let Some(remember) = self.step(&seen, f) else {
                    continue;
                };
                let fu = f as usize;
                let Some(nd) = weight::add(turn, self.weight[fu]).and_then(|w| weight::add(d, w))
                else {
                    continue;
                };
                search.relax((f, remember, entered), nd, m + self.distance_m[fu]);
            }
        }
        best.into_iter()
            .map(|b| b.map(|(w, m)| (f64::from(weight::ms(w)) / 1000.0, m)))
            .collect()
    }
}
