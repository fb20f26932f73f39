//! H3 travel matrix for hexmatrix: cells covering a bbox, snapping to the road
//! graph, many-to-many CH search, and the matrix streamed to Parquet.
//!
//! Principal types: [`job::MatrixOptions`] (what to compute), [`job::Prepared`]
//! (cells covered and snapped, ready to run), [`job::MatrixSummary`] (what a run did),
//! [`bucket::Buckets`] (the many-to-many search), and the traits of [`hierarchy`]
//! that the search is written against.
//!
//! **Inputs**: a graph directory from `hexmatrix-graph` (`graph.ch`, `nodes.parquet`,
//! `edges.parquet`), a bbox, an H3 resolution (6..=11), and optionally a duration
//! limit and a snap radius.
//!
//! **Outputs** (a directory, replaced atomically): `cells.parquet`,
//! `matrix/part-NNNNN.parquet` (one row per ordered pair of `ok` cells, sorted by
//! origin then dest) and `manifest.json`, written last: the contract of
//! `hexmatrix-contract`; Parquet writer settings in [`schema`].
//!
//! Entry point: [`graph::build_matrix`], or [`graph::prepare`] then
//! [`job::Prepared::run`] to show the cell counts before the search.
//!
//! ```no_run
//! use hexmatrix_matrix::graph::prepare;
//! use hexmatrix_matrix::job::{MatrixCounters, MatrixOptions};
//! # fn main() -> hexmatrix_matrix::Result<()> {
//! let opts = MatrixOptions {
//!     graph_dir: "out/graph-car".into(),
//!     bbox: hexmatrix_osm::Bbox::new(14.46, 35.86, 14.53, 35.92).expect("valid bbox"),
//!     resolution: 9,
//!     output_dir: "out/matrix".into(),
//!     max_duration_s: None,
//!     snap_radius_m: None,
//!     origin_block_size: None,
//! };
//! let summary = prepare(opts)?.run(&MatrixCounters::default())?;
//! assert_eq!(summary.pairs, summary.cells.ok * summary.cells.ok);
//! # Ok(()) }
//! ```

pub mod block;
pub mod bucket;
pub mod cells;
pub mod error;
pub mod estimate;
pub mod graph;
pub mod hierarchy;
pub mod job;
pub mod manifest;
pub mod schema;
pub mod search;
pub mod snap;
#[cfg(test)]
mod testgraph;
pub mod writer;

pub use error::{Error, Result};
