//! `hexmatrix graph` end to end: a real city gives the four files and a
//! summary; bad input fails with exit 2 and leaves no output behind.

use std::path::Path;
use std::process::Command;

use hexmatrix_osm::fixture::{FixtureBuilder, shared_dataset};

fn hexmatrix() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hexmatrix"));
    cmd.arg("--progress").arg("never");
    cmd
}

fn graph(input: &Path, output: &Path, profile: &str) -> std::process::Output {
    hexmatrix()
        .args(["graph", "--profile", profile, "--input"])
        .arg(input)
        .arg("--output")
        .arg(output)
        .output()
        .unwrap()
}

#[test]
fn monaco_graph_writes_every_file_and_a_summary() {
    let Some(input) = shared_dataset("monaco.osm.pbf") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("graph-car");
    let out = graph(&input, &output, "car");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for f in [
        "nodes.parquet",
        "edges.parquet",
        "restrictions.parquet",
        "turns.parquet",
        "restriction_paths.parquet",
        "graph.ch",
    ] {
        assert!(output.join(f).is_file(), "{f} missing; {stderr}");
    }
    assert!(
        stderr.contains("driving side right") && stderr.contains("(edge-based)"),
        "{stderr}"
    );
    assert!(stderr.contains("main component"), "{stderr}");
    assert!(
        stderr.contains("restrictions") && stderr.contains("peak RSS"),
        "{stderr}"
    );
    let ch = hexmatrix_graph::ContractionHierarchy::load(&output.join("graph.ch")).unwrap();
    let nodes = hexmatrix_graph::read_nodes(&output).unwrap();
    assert_eq!(ch.graph_node_count(), nodes.osm_id.len());
    assert_eq!(ch.header().profile, "car");
    // Only the output directory is left: the temp dir was renamed into place.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A second run replaces the output with identical bytes.
    let before = std::fs::read(output.join("graph.ch")).unwrap();
    let out = graph(&input, &output, "car");
    assert!(out.status.success());
    assert_eq!(std::fs::read(output.join("graph.ch")).unwrap(), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn no_routable_roads_fails_with_exit_2_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("paths.osm.pbf");
    let mut f = FixtureBuilder::new();
    f.node(1, 35.9, 14.5, &[]).node(2, 35.901, 14.5, &[]);
    f.way(10, &[1, 2], &[("highway", "footway")]);
    f.write(&input).unwrap();
    let output = dir.path().join("graph");
    let out = graph(&input, &output, "car");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no routable road for profile car"),
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
fn missing_input_and_unknown_profile_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = graph(
        &dir.path().join("nope.osm.pbf"),
        &dir.path().join("g"),
        "car",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nope.osm.pbf"), "{stderr}");
    let out = graph(
        &dir.path().join("nope.osm.pbf"),
        &dir.path().join("g"),
        "bicycle",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bicycle"));
}
