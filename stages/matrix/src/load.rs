//! Loading a graph directory (`graph.ch`, `nodes.parquet`, `edges.parquet`, names
//! and columns from the contract's graph directory), and the bridge to
//! `hexmatrix_graph`: its hierarchy seen through this crate's search traits.

use std::path::Path;

use hexmatrix_contract::columns::edges;
use hexmatrix_contract::graph_dir::{CH_FILE, EDGES_FILE, FERRY};
use hexmatrix_contract::table::TableReader;
use hexmatrix_graph::{ChEdge, ContractionHierarchy, read_nodes};

use crate::error::{Error, Result};
use crate::hierarchy::{Hierarchy, RoutingGraph, UpEdge};
use crate::job::{MatrixOptions, Prepared};
use crate::snap::Roads;

impl UpEdge for ChEdge {
    #[inline]
    fn target(&self) -> u32 {
        self.target
    }
    #[inline]
    fn duration_ms(&self) -> u32 {
        self.duration_ms
    }
    #[inline]
    fn distance_m(&self) -> f32 {
        self.distance_m
    }
}

impl Hierarchy for ContractionHierarchy {
    type Edge = ChEdge;
    #[inline]
    fn node_count(&self) -> usize {
        ContractionHierarchy::node_count(self)
    }
    #[inline]
    fn forward_up(&self, node: u32) -> &[ChEdge] {
        ContractionHierarchy::forward_up(self, node)
    }
    #[inline]
    fn backward_up(&self, node: u32) -> &[ChEdge] {
        ContractionHierarchy::backward_up(self, node)
    }
}

impl RoutingGraph for ContractionHierarchy {
    #[inline]
    fn source_of(&self, graph_node: u32) -> u32 {
        ContractionHierarchy::source_of(self, graph_node)
    }
    #[inline]
    fn targets_of(&self, graph_node: u32) -> &[u32] {
        ContractionHierarchy::targets_of(self, graph_node)
    }
}

/// Loads `GRAPH_DIR/graph.ch` and `nodes.parquet`, covers the bbox and snaps the
/// cells: everything before the search.
///
/// # Errors
/// [`Error::Graph`] if the graph files cannot be read, [`Error::NodeRange`] if they
/// disagree, and the errors of [`Prepared::new`].
pub fn prepare(opts: MatrixOptions) -> Result<Prepared<ContractionHierarchy>> {
    let dir = opts.graph_dir.clone();
    let graph_err = |source| Error::Graph {
        path: dir.clone(),
        source,
    };
    let ch = ContractionHierarchy::load(&dir.join(CH_FILE)).map_err(graph_err)?;
    let nodes = read_nodes(&dir).map_err(graph_err)?;
    check_sizes(&dir, &ch, nodes.lat.len())?;
    let segments = read_segments(&dir.join(EDGES_FILE))?;
    let profile = Some(ch.header().profile.clone());
    let roads = Roads {
        lat: &nodes.lat,
        lon: &nodes.lon,
        in_main: &nodes.in_main,
        segments: &segments,
    };
    Prepared::new(opts, ch, roads, profile)
}

/// The road segments of `edges.parquet` (`from`, `to`, `highway`) as undirected
/// node pairs, ferries left out: a cell at sea is not on a road.
///
/// # Errors
/// [`Error::Io`] or [`Error::Parquet`] naming the file, [`Error::Column`] if a column
/// is missing or of another type.
pub fn read_segments(path: &Path) -> Result<Vec<(u32, u32)>> {
    let err = |e| Error::table_read(path)(e);
    let table = TableReader::open(path).map_err(err)?;
    let from = table.column::<u32>(edges::FROM).map_err(err)?;
    let to = table.column::<u32>(edges::TO).map_err(err)?;
    let highway = table.text(edges::HIGHWAY).map_err(err)?;
    let mut out: Vec<(u32, u32)> = from
        .iter()
        .zip(&to)
        .zip(&highway)
        .filter(|(_, h)| h.as_deref() != Some(FERRY))
        .map(|((&a, &b), _)| (a.min(b), a.max(b)))
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn check_sizes(dir: &Path, ch: &ContractionHierarchy, nodes: usize) -> Result<()> {
    if ch.graph_node_count() != nodes {
        return Err(Error::GraphMismatch {
            path: dir.to_owned(),
            ch_nodes: ch.graph_node_count(),
            parquet_nodes: nodes,
        });
    }
    Ok(())
}
