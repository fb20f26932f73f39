//! `hexmatrix crop` end to end: a bad input fails cleanly, a good one writes the city.

use std::path::Path;
use std::process::Command;

use hexmatrix_osm::fixture::{FixtureBuilder, shared_dataset};

fn hexmatrix() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hexmatrix"));
    cmd.arg("--progress").arg("never");
    cmd
}

#[test]
fn a_file_that_is_not_pbf_fails_with_exit_2_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("region.osm.pbf");
    std::fs::write(&input, "<?xml version='1.0'?><osm/>").unwrap();
    let output = dir.path().join("city.osm.pbf");
    let out = hexmatrix()
        .args(["crop", "--bbox", "14.46,35.86,14.53,35.92", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("region.osm.pbf is not an OSM PBF file"),
        "{stderr}"
    );
    assert!(!output.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the input remains"
    );
}

#[test]
fn a_bbox_with_min_above_max_is_refused_before_reading() {
    let out = hexmatrix()
        .args([
            "crop",
            "--bbox",
            "14.6,35.86,14.5,35.92",
            "--input",
            "x.pbf",
            "--output",
            "y.pbf",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("min_lon 14.6 is greater than max_lon 14.5"),
        "{stderr}"
    );
}

fn count_nodes(path: &Path) -> String {
    let out = Command::new("osmium")
        .args(["fileinfo", "-e", "-g", "data.count.nodes"])
        .arg(path)
        .output()
        .expect("osmium is installed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_fixture_crops_to_the_nodes_inside() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("region.osm.pbf");
    let mut b = FixtureBuilder::new();
    b.node(1, 35.9, 14.5, &[])
        .node(2, 36.5, 15.5, &[])
        .node(3, 40.0, 20.0, &[]);
    b.way(10, &[1, 2], &[("highway", "primary")]);
    b.write(&input).unwrap();
    let output = dir.path().join("out").join("city.osm.pbf");
    let out = hexmatrix()
        .args(["crop", "--bbox", "14,35,15,36", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("kept 2 nodes, 1 ways, 0 relations"),
        "{stderr}"
    );
    assert_eq!(count_nodes(&output), "2");
}

#[test]
fn the_valletta_dataset_crops_like_the_readme_says() {
    if shared_dataset("malta-latest.osm.pbf").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("city.osm.pbf");
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/valletta.toml");
    let out = hexmatrix()
        .arg("crop")
        .arg("--dataset")
        .arg(&dataset)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Counts from the shared datasets README (osmium extract -s complete_ways).
    assert!(stderr.contains("kept 65022 nodes, 10652 ways"), "{stderr}");
    assert_eq!(count_nodes(&output), "65022");
}
