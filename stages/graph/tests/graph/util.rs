//! Shared helpers: build a graph into a temp dir, crop a shared dataset.

use std::path::{Path, PathBuf};

use hexmatrix_contract::{Context, Silent};
use hexmatrix_graph::{GraphOptions, GraphSummary, Profile, Result};

/// A context that shows nothing and records the tool version `test`.
pub fn context() -> Context {
    Context::new(std::sync::Arc::new(Silent), "test")
}

/// Runs the graph stage on `input` for `profile` into `dir`.
pub fn try_build(input: &Path, profile: &str, dir: &Path) -> Result<GraphSummary> {
    let opts = GraphOptions {
        input: input.to_owned(),
        profile: Profile::by_name(profile)?,
        output_dir: dir.to_owned(),
    };
    hexmatrix_graph::run(&opts, &context())
}

/// Builds `input` for `profile` into `dir`.
pub fn build(input: &Path, profile: &str, dir: &Path) -> GraphSummary {
    try_build(input, profile, dir).unwrap()
}

/// Crops a shared dataset to `bbox` with osmium into `dir`; `None` if the dataset is missing.
pub fn crop(dataset: &str, bbox: &str, dir: &Path) -> Option<PathBuf> {
    hexmatrix_osm::fixture::osmium_crop(dataset, bbox, dir)
}
