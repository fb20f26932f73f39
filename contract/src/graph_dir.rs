//! File names and values of a graph directory (`graph-PROFILE/`), which the graph
//! stage writes and the matrix stage reads; its columns are in [`crate::columns`]
//! (`nodes`, `edges`, `restrictions`, `turns`, `restriction_paths`).

/// The node table.
pub const NODES_FILE: &str = "nodes.parquet";
/// The directed edges before contraction.
pub const EDGES_FILE: &str = "edges.parquet";
/// The applied turn rules.
pub const RESTRICTIONS_FILE: &str = "restrictions.parquet";
/// Every allowed turn with its cost (the turn model, before restrictions).
pub const TURNS_FILE: &str = "turns.parquet";
/// Every applied restriction as a sequence of edges (via-node and via-way).
pub const RESTRICTION_PATHS_FILE: &str = "restriction_paths.parquet";
/// The contraction hierarchy (its binary format is the graph crate's `chfile`).
pub const CH_FILE: &str = "graph.ch";
/// `component` value of nodes in the routable (largest strongly connected) component.
pub const MAIN_COMPONENT: &str = "main";
/// `component` value of every other node.
pub const OTHER_COMPONENT: &str = "other";
/// The `highway` value of ferry edges, which cells do not snap to.
pub const FERRY: &str = "ferry";
