//! H3 travel matrix for hexmatrix: cells covering a bbox, snapping to the road
//! graph, many-to-many CH search, and the matrix streamed to Parquet.
//!
//! **Inputs**: a graph directory (from `hexmatrix-graph`), a bbox and an H3
//! resolution.
//!
//! **Outputs** (a directory): `cells.parquet` and `matrix/part-NNNNN.parquet`.

pub mod block;
pub mod bucket;
pub mod cells;
pub mod error;
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
