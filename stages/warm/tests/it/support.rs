//! Shared setup: a synthetic matrix and warm options for a server.

use std::path::Path;

use hexmatrix_warm::fixture::{MatrixSpec, SynthMatrix, write_matrix};
use hexmatrix_warm::{Sink, Target, WarmOptions};

/// A 40-cell matrix (1600 pairs, 3 parts) in `dir`.
pub fn small_matrix(dir: &Path) -> SynthMatrix {
    write_matrix(dir, &MatrixSpec::default())
}

/// Options for loading `matrix` into the server at `url` with small pipelines.
pub fn options(matrix: &SynthMatrix, target: Target, version: &str) -> WarmOptions {
    let mut o = WarmOptions::new(matrix.dir.clone(), Sink::Redis(target), version.to_owned());
    o.batch_keys = 97;
    o.in_flight = 3;
    o.connections = 3;
    o.verify_sample = 200;
    o
}

/// Redis `GET`.
pub fn get(con: &mut redis::Connection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query(con).expect("GET")
}
