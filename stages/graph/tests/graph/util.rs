//! Shared helpers: build a graph into a temp dir, crop a shared dataset.

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let src = hexmatrix_osm::fixture::shared_dataset(dataset)?;
    let out = dir.join(format!("{dataset}-crop.osm.pbf"));
    let status = Command::new("osmium")
        .args([
            "extract",
            "-s",
            "complete_ways",
            "-b",
            bbox,
            "--overwrite",
            "-o",
        ])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("osmium is installed");
    assert!(status.success(), "osmium extract {dataset} {bbox}");
    Some(out)
}
