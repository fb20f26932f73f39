//! Road graph for hexmatrix: vehicle profiles, turn restrictions and a
//! contraction hierarchy (CH) that the matrix stage queries.
//!
//! Principal types: [`ContractionHierarchy`] (load `graph.ch`, walk its up
//! edges), [`GraphNodes`] (the node table, via [`read_nodes`]), [`Profile`]
//! (the vehicle tables) and [`GraphSummary`] (what a build found).
//!
//! **Inputs**: a city `.osm.pbf` and a profile (`car`, `motorcycle`; see
//! `PROFILES.md` for the tag rules and the supported restriction forms).
//!
//! **Outputs** (a directory):
//! - `nodes.parquet`: `node` `UInt32` (index = graph node id), `osm_id` `Int64`,
//!   `lat`, `lon` `Float64`, `component` `Utf8` (`main` or `other`);
//! - `edges.parquet`: `from`, `to` `UInt32`, `way_id` `Int64`, `highway` `Utf8`,
//!   `distance_m`, `duration_s` `Float64`: the directed graph before contraction;
//! - `restrictions.parquet`: one row per applied turn rule (`relation_id`,
//!   `restriction`, `only`, `from_edge`, `to_edge` = rows of edges.parquet,
//!   `from_way`, `via_osm_id`, `to_way`, `from_node`, `via_node`, `to_node`);
//! - `graph.ch`: the CH (format in [`chfile`]).
//!
//! Entry point: [`build_graph`]. Turn restrictions are compiled into the graph
//! by node splitting ([`turns`]), so a CH node is a graph node or a copy of one.
//!
//! ```no_run
//! use hexmatrix_graph::{ContractionHierarchy, Counters, Profile, build_graph};
//! # fn main() -> hexmatrix_graph::Result<()> {
//! let dir = std::path::Path::new("out/graph-car");
//! let summary = build_graph(
//!     "city.osm.pbf".as_ref(), Profile::by_name("car")?, dir, "0.1.0", &Counters::default(),
//! )?;
//! let ch = ContractionHierarchy::load(&dir.join("graph.ch"))?;
//! assert_eq!(ch.graph_node_count() as u64, summary.nodes);
//! # Ok(()) }
//! ```

pub mod ch;
pub mod chfile;
mod component;
#[cfg(any(test, feature = "oracle"))]
pub mod dijkstra;
pub mod error;
mod extract;
pub mod maxspeed;
mod parquet;
pub mod profile;
mod read;
pub mod restriction;
mod stage;
pub mod tags;
pub mod turns;
pub mod weight;

pub use ch::{ChEdge, ChHeader, ChQuery, ContractionHierarchy};
pub use error::{Error, Result};
pub use extract::haversine_m;
pub use parquet::{
    EDGES_FILE, GraphNodes, MAIN_COMPONENT, NODES_FILE, OTHER_COMPONENT, RESTRICTIONS_FILE,
    read_nodes,
};
pub use profile::Profile;
pub use restriction::RestrictionCounts;
pub use stage::{CH_FILE, Counters, GraphSummary, build_graph, phase};
