//! Shared helpers: build a graph into a temp dir, crop a shared dataset.

use std::path::{Path, PathBuf};

use hexmatrix_graph::{Counters, GraphSummary, Profile, build_graph};

/// Builds `input` for `profile` into `dir`.
pub fn build(input: &Path, profile: &str, dir: &Path) -> GraphSummary {
    build_graph(
        input,
        Profile::by_name(profile).unwrap(),
        dir,
        "test",
        &Counters::default(),
    )
    .unwrap()
}

/// Crops a shared dataset to `bbox` with osmium into `dir`; `None` if the dataset is missing.
pub fn crop(dataset: &str, bbox: &str, dir: &Path) -> Option<PathBuf> {
    hexmatrix_osm::fixture::osmium_crop(dataset, bbox, dir)
}
