//! The contraction hierarchy: every node has a rank; searches only go up.
//!
//! CH node ids are ranks (0 = contracted first), so the top of the hierarchy,
//! which every search visits, sits together in memory. Graph nodes map to CH
//! nodes with [`ContractionHierarchy::source_of`] and
//! [`ContractionHierarchy::targets_of`]: the hierarchy is edge-based (see
//! [`crate::expand`]), so departing from a graph node starts at its source node
//! and arriving means reaching any state of an edge into it.

mod adjacency;
mod contract;
mod query;
mod witness;

pub(crate) use contract::contract;
pub use query::ChQuery;

use std::path::Path;

/// An edge of the hierarchy: to `target`, with its duration and distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChEdge {
    /// The other end (a CH node).
    pub target: u32,
    /// Duration in integer milliseconds (sum of the rounded original edges).
    pub duration_ms: u32,
    /// Length in metres of the original edges it stands for.
    pub distance_m: f32,
}

/// What `graph.ch` says about where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChHeader {
    /// hexmatrix version that wrote it.
    pub tool_version: String,
    /// Profile name (`car`, `motorcycle`).
    pub profile: String,
    /// SHA-256 of the input PBF.
    pub input_sha256: [u8; 32],
    /// Number of graph nodes (rows of `nodes.parquet`).
    pub graph_nodes: u32,
}

/// A contraction hierarchy over the edge-based graph: edge states and one source node per graph node.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractionHierarchy {
    pub(crate) header: ChHeader,
    pub(crate) fwd_first: Vec<u32>,
    pub(crate) fwd: Vec<ChEdge>,
    pub(crate) bwd_first: Vec<u32>,
    pub(crate) bwd: Vec<ChEdge>,
    /// CH node to depart from, per graph node.
    pub(crate) source: Vec<u32>,
    pub(crate) targets_first: Vec<u32>,
    pub(crate) targets: Vec<u32>,
}

impl ContractionHierarchy {
    /// Loads `graph.ch` (one read, checksum verified).
    ///
    /// # Errors
    /// [`crate::Error::Io`] if it cannot be read, [`crate::Error::BadChFile`] if
    /// it is not a graph.ch, is truncated, corrupt, or of another format version.
    pub fn load(path: &Path) -> crate::Result<Self> {
        crate::chfile::load(path)
    }

    /// Writes `graph.ch` to `path`.
    ///
    /// # Errors
    /// [`crate::Error::Io`] if it cannot be written.
    pub fn save(&self, path: &Path) -> crate::Result<()> {
        crate::chfile::save(self, path)
    }

    /// Where the file came from.
    #[must_use]
    pub fn header(&self) -> &ChHeader {
        &self.header
    }

    /// Number of CH nodes (edge states plus one source node per graph node).
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.fwd_first.len().saturating_sub(1)
    }

    /// Number of graph nodes.
    #[must_use]
    pub fn graph_node_count(&self) -> usize {
        self.source.len()
    }

    /// Number of edges (forward plus backward, shortcuts included).
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.fwd.len() + self.bwd.len()
    }

    /// Edges `ch_node -> target` with `rank(target) > rank(ch_node)`.
    // Inlined across crates: the matrix's searches call it once per settled node.
    #[inline]
    #[must_use]
    pub fn forward_up(&self, ch_node: u32) -> &[ChEdge] {
        let i = ch_node as usize;
        &self.fwd[self.fwd_first[i] as usize..self.fwd_first[i + 1] as usize]
    }

    /// Edges `target -> ch_node` (stored at `ch_node`) with `rank(target) > rank(ch_node)`.
    // Inlined across crates: the matrix's searches call it once per settled node.
    #[inline]
    #[must_use]
    pub fn backward_up(&self, ch_node: u32) -> &[ChEdge] {
        let i = ch_node as usize;
        &self.bwd[self.bwd_first[i] as usize..self.bwd_first[i + 1] as usize]
    }

    /// The CH node a route departing from `graph_node` starts at.
    #[must_use]
    pub fn source_of(&self, graph_node: u32) -> u32 {
        self.source[graph_node as usize]
    }

    /// The CH nodes that mean "arrived at `graph_node`" (at least one).
    #[must_use]
    pub fn targets_of(&self, graph_node: u32) -> &[u32] {
        let i = graph_node as usize;
        &self.targets[self.targets_first[i] as usize..self.targets_first[i + 1] as usize]
    }
}
