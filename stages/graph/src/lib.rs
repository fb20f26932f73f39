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
//!   `distance_m`, `duration_s` `Float64`, `local_only` `Boolean` (no through
//!   traffic): the directed graph before contraction;
//! - `restrictions.parquet`: one row per applied turn rule (`relation_id`,
//!   `restriction`, `only`, `from_edge`, `to_edge` = rows of edges.parquet,
//!   `from_way`, `via_osm_id`, `to_way`, `from_node`, `via_node`, `to_node`);
//! - `turns.parquet`: every allowed turn with its angle, kind, signal flag and
//!   cost (the turn model of the profile, before restrictions);
//! - `restriction_paths.parquet`: every applied restriction (via node or via
//!   ways) as a sequence of edges;
//! - `graph.ch`: the edge-based CH (magic, format version, tool version, profile,
//!   input SHA-256, counts, checksum; refused when corrupt, truncated or of
//!   another format version).
//!
//! File and column names are the graph-directory contract of `hexmatrix-contract`
//! (`graph_dir`, `columns::{nodes, edges, restrictions, turns, restriction_paths}`).
//!
//! Entry point: [`run`] with [`GraphOptions`] and a [`hexmatrix_contract::Context`]
//! (progress, cancellation, the atomic output helper); the directory appears
//! complete or not at all. The input must be sorted by type then id, as for the
//! crop: unsorted input is refused with `hexmatrix_osm::Error::Unsorted`. The
//! hierarchy is edge-based: a CH node is an edge state (an edge, and the
//! restriction paths a route on it is partway along) or a graph node's source
//! node, so turn costs, U-turn rules and every restriction form are in its arcs.
//!
//! ```no_run
//! use hexmatrix_contract::Context;
//! use hexmatrix_graph::{ContractionHierarchy, GraphOptions, Profile, run};
//! # fn main() -> hexmatrix_graph::Result<()> {
//! let opts = GraphOptions {
//!     input: "city.osm.pbf".into(),
//!     profile: Profile::by_name("car")?,
//!     output_dir: "out/graph-car".into(),
//! };
//! let summary = run(&opts, &Context::silent())?;
//! let ch = ContractionHierarchy::load(&opts.output_dir.join("graph.ch"))?;
//! assert_eq!(ch.graph_node_count() as u64, summary.nodes);
//! # Ok(()) }
//! ```

mod ch;
mod chfile;
mod component;
#[cfg(any(test, feature = "oracle"))]
pub mod dijkstra;
mod error;
mod expand;
mod extract;
mod maxspeed;
mod parquet;
pub mod profile;
mod read;
mod restriction;
mod stage;
mod tags;
mod turn_table;
mod weight;

pub use ch::{ChEdge, ChHeader, ChQuery, ContractionHierarchy};
pub use chfile::FORMAT_VERSION as CH_FORMAT_VERSION;

/// Revision of the code that reads tags into a graph (access, oneways, ferries,
/// turn and signal costs, carriageways by `name`, and constants outside the profile tables such as the
/// gate delay): bumped whenever a change gives another graph for the same PBF
/// and profile tables, so that `hexmatrix run` builds a new version
/// instead of reusing a graph, matrix and cache made by the old rules.
pub const RULES_REVISION: u32 = 4;

/// What decides the graph built from a PBF with `profile`, as text to hash:
/// [`RULES_REVISION`], [`CH_FORMAT_VERSION`] and every table of the profile (its
/// `Debug` text, plain data), so that a changed speed or turn cost is a new graph.
#[must_use]
pub fn rules_fingerprint(profile: &Profile) -> String {
    format!("rules={RULES_REVISION}\nformat={CH_FORMAT_VERSION}\n{profile:?}")
}
pub use error::{Error, Result};
pub use extract::haversine_m;
pub use parquet::{GraphNodes, read_nodes};
pub use profile::{DrivingSide, Profile};
pub use restriction::RestrictionCounts;
pub use stage::{GraphOptions, GraphSummary, run};

#[cfg(test)]
mod tests {
    use super::{Profile, rules_fingerprint};
    use crate::profile::{CAR, MOTORCYCLE, TurnCosts};

    #[test]
    fn the_rules_fingerprint_follows_every_table() {
        let car = rules_fingerprint(&CAR);
        assert_eq!(car, rules_fingerprint(&CAR));
        assert_ne!(car, rules_fingerprint(&MOTORCYCLE));
        let slower = Profile {
            max_speed_kmh: CAR.max_speed_kmh - 1.0,
            ..CAR
        };
        assert_ne!(car, rules_fingerprint(&slower));
        let dearer_signals = Profile {
            turns: TurnCosts {
                traffic_signal_s: CAR.turns.traffic_signal_s + 0.5,
                ..CAR.turns
            },
            ..CAR
        };
        assert_ne!(car, rules_fingerprint(&dearer_signals));
        // Regional tables (motorcycles in Vietnam) are part of the profile's text.
        assert!(
            rules_fingerprint(&MOTORCYCLE).contains("Vietnam"),
            "{}",
            rules_fingerprint(&MOTORCYCLE)
        );
    }
}
