//! The bridge to `hexmatrix_graph`: its hierarchy seen through this crate's search
//! traits, and loading a graph directory.

use std::path::Path;

use hexmatrix_graph::{CH_FILE, ChEdge, ContractionHierarchy, read_nodes};

use crate::error::{Error, Result};
use crate::hierarchy::{Hierarchy, RoutingGraph, UpEdge};
use crate::job::{MatrixCounters, MatrixOptions, MatrixSummary, Prepared};

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
    let profile = Some(ch.header().profile.clone());
    Prepared::new(opts, ch, &nodes.lat, &nodes.lon, &nodes.in_main, profile)
}

/// Computes the matrix of `opts` end to end: [`prepare`] then [`Prepared::run`].
///
/// # Errors
/// As [`prepare`] and [`Prepared::run`].
pub fn build_matrix(opts: MatrixOptions, counters: &MatrixCounters) -> Result<MatrixSummary> {
    prepare(opts)?.run(counters)
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
