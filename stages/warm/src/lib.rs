//! Redis cache warming for hexmatrix: loads a travel matrix into Redis (single
//! node or Cluster) under versioned keys, verifies it, then moves the pointer to
//! the current version; also the gateway-side lookup.
//!
//! **Inputs**: a matrix directory (`cells.parquet`, `matrix/part-*.parquet`).
//!
//! **Outputs**: Redis keys `route:{version}:{origin_hex}:{dest_hex}` and the
//! per-version cell set, manifest and `route:current` pointer.

pub mod error;

pub use error::{Error, Result};
