//! Road graph for hexmatrix: vehicle profiles, turn restrictions and a
//! contraction hierarchy (CH) that the matrix stage queries.
//!
//! **Inputs**: a city `.osm.pbf` and a profile (`car`, `motorcycle`).
//!
//! **Outputs** (a directory): `nodes.parquet`, `edges.parquet`,
//! `restrictions.parquet` and `graph.ch`.

pub mod error;

pub use error::{Error, Result};
