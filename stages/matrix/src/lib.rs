//! H3 travel matrix for hexmatrix: cells covering a bbox, snapping to the road
//! graph, many-to-many CH search, and the matrix streamed to Parquet.
//!
//! **Inputs**: a graph directory (from `hexmatrix-graph`), a bbox and an H3
//! resolution.
//!
//! **Outputs** (a directory): `cells.parquet` and `matrix/part-NNNNN.parquet`.

pub mod error;

pub use error::{Error, Result};
