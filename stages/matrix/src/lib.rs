//! H3 travel matrix for hexmatrix: cells covering a bbox, snapping to the road
//! graph, many-to-many CH search, and the matrix streamed to Parquet.
//!
//! Principal types: [`MatrixOptions`] (what to compute, validated where it is
//! parsed: the resolution through [`resolution`]), [`run`] (the entry point),
//! [`MatrixSummary`] (what a run did), [`SizeEstimate`] (how big a matrix would be,
//! before any work), and, for callers that show the cell counts before the search
//! or test on their own graphs, [`prepare`] and [`Prepared`].
//!
//! **Inputs**: a graph directory from `hexmatrix-graph` (`graph.ch`, `nodes.parquet`,
//! `edges.parquet`: the contract's graph directory), a bbox, an H3 resolution
//! (6..=11), and optionally a duration limit and a snap radius.
//!
//! **Outputs** (a directory, replaced atomically): `cells.parquet`,
//! `matrix/part-NNNNN.parquet` (one row per ordered pair of `ok` cells, sorted by
//! origin then dest) and `manifest.json`, written last: the contract of
//! `hexmatrix-contract`.
//!
//! **Shards** ([`run_shard`], [`merge_shards`]): N processes each compute a balanced,
//! deterministic share of the origin blocks into one output directory and leave a
//! record `shards/K-of-N.json`; the merge checks the records and the files and
//! writes `manifest.json`, equal to an unsharded run's but for its timings.
//!
//! How it runs: the bbox is covered with H3 cells and each cell centre snapped to
//! the nearest road of the main component; backward searches from every `ok` cell
//! fill one flat, sorted bucket array; origin blocks are then searched forward in
//! parallel, eight origins at a time sharing one read of each bucket, each block
//! written as one part, each batch of eight origins appended to it as it is searched.
//!
//! ```no_run
//! use hexmatrix_contract::Context;
//! use hexmatrix_matrix::{MatrixOptions, resolution, run};
//! # fn main() -> hexmatrix_matrix::Result<()> {
//! let opts = MatrixOptions {
//!     graph_dir: "out/graph-car".into(),
//!     bbox: hexmatrix_osm::Bbox::new(14.46, 35.86, 14.53, 35.92).expect("valid bbox"),
//!     resolution: resolution(9)?,
//!     output_dir: "out/matrix".into(),
//!     max_duration: None,
//!     snap_radius_m: None,
//!     origin_block_size: None,
//! };
//! let summary = run(&opts, &Context::silent())?;
//! assert_eq!(summary.pairs, summary.cells.ok * summary.cells.ok);
//! # Ok(()) }
//! ```

mod block;
mod bucket;
mod cells;
mod chunk;
mod error;
mod estimate;
mod hierarchy;
mod job;
mod load;
mod manifest;
mod merge;
mod schema;
mod search;
mod shard;
mod snap;
mod stage;
#[cfg(test)]
mod testgraph;
mod writer;

pub use cells::{RESOLUTIONS, resolution};
pub use error::{Error, Result};
pub use estimate::{DEFAULT_MAX_CELLS, PARQUET_BYTES_PER_PAIR, SizeEstimate};
pub use job::{MatrixCounters, MatrixOptions, MatrixSummary, Prepared};
pub use load::prepare;
pub use merge::{MergeSummary, merge_shards};
pub use schema::matrix_properties;
pub use shard::{ShardSummary, graph_fingerprint, parameters};
pub use stage::{run, run_shard};
