//! What the many-to-many search needs from a contraction hierarchy.
//!
//! The search is written against these traits, not a concrete type, so that it can
//! be checked on small hand-made hierarchies as well as on `hexmatrix_graph`'s.

/// An upward CH edge: its other end, its duration and the distance it carries.
pub trait UpEdge: Copy + Send + Sync {
    /// The higher-ranked end of the edge.
    fn target(&self) -> u32;
    /// Duration in whole milliseconds (what the hierarchy minimises).
    fn duration_ms(&self) -> u32;
    /// Length in metres of the road the edge stands for.
    fn distance_m(&self) -> f32;
}

/// A contraction hierarchy as upward adjacency lists.
pub trait Hierarchy: Sync {
    /// The edge type of both adjacency lists.
    type Edge: UpEdge;
    /// Number of CH nodes (ids are `0..node_count`).
    fn node_count(&self) -> usize;
    /// Edges `node -> target` with `rank(target) > rank(node)`.
    fn forward_up(&self, node: u32) -> &[Self::Edge];
    /// Edges `target -> node` of the original direction, with `rank(target) > rank(node)`.
    fn backward_up(&self, node: u32) -> &[Self::Edge];
}

/// A hierarchy whose CH nodes differ from graph nodes (the graph crate's is edge-based: a source node per graph node, and edge states to arrive at).
pub trait RoutingGraph: Hierarchy {
    /// The CH node to start from when departing `graph_node`.
    fn source_of(&self, graph_node: u32) -> u32;
    /// The CH nodes that mean "arrived at `graph_node`" (at least one).
    fn targets_of(&self, graph_node: u32) -> &[u32];
}
