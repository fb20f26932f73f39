//! Crop tests: osmium as the oracle on every shared dataset, and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bbox::Bbox;
use crate::crop::{CropCounters, crop};
use crate::fixture::{FixtureBuilder, MemberType as M, osmium_extract, shared_dataset};

/// Every shared dataset with the city bbox its README suggests.
const CITIES: [(&str, &str); 12] = [
    ("malta-latest.osm.pbf", "14.4600,35.8600,14.5300,35.9200"),
    ("heidelberg.osm.pbf", "8.6400,49.3700,8.7300,49.4300"),
    (
        "rhein-neckar-highways.osm.pbf",
        "8.4200,49.4500,8.5500,49.5200",
    ),
    (
        "liechtenstein-latest.osm.pbf",
        "9.4900,47.1150,9.5500,47.1750",
    ),
    ("andorra-latest.osm.pbf", "1.5050,42.4950,1.5600,42.5200"),
    ("monaco.osm.pbf", "7.4090,43.7230,7.4400,43.7520"),
    ("porto-center.osm.pbf", "-8.6212,41.1247,-8.5937,41.1561"),
    ("munich-center.osm.pbf", "11.5657,48.1314,11.5861,48.1434"),
    ("london-center.osm.pbf", "-0.1142,51.5107,-0.0932,51.5233"),
    ("north-bayreuth.osm.pbf", "11.4807,49.9721,11.6053,50.0470"),
    ("helsinki-center.osm.pbf", "24.9352,60.1642,24.9534,60.1791"),
    ("baltimore.osm.pbf", "-76.6081,39.2586,-76.5288,39.3065"),
];

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .expect("osmium is installed (apt-get install osmium-tool)")
}

fn assert_same(ours: &Path, theirs: &Path, what: &str) {
    let out = run(Command::new("osmium")
        .args(["diff", "-q"])
        .arg(theirs)
        .arg(ours));
    assert!(
        out.status.success(),
        "{what}: osmium diff -q reports differences (exit {:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_shared_dataset_crops_exactly_like_osmium() {
    let dir = tempfile::tempdir().unwrap();
    for (file, bbox_text) in CITIES {
        let Some(input) = shared_dataset(file) else {
            continue;
        };
        let ours = dir.path().join(format!("ours-{file}"));
        let theirs = dir.path().join(format!("osmium-{file}"));
        let bbox: Bbox = bbox_text.parse().unwrap();
        let summary = crop(&input, &bbox, &ours, &CropCounters::default()).unwrap();
        osmium_extract(&input, bbox_text, &theirs);
        assert_same(&ours, &theirs, file);
        assert!(summary.nodes > 0 && summary.ways > 0, "{file}: {summary:?}");
        // The header carries the crop bbox, whatever the input's said.
        let info = run(Command::new("osmium")
            .args(["fileinfo", "-g", "header.boxes"])
            .arg(&ours));
        let (x0, y0, x1, y1) = bbox.fixed();
        let expected = format!(
            "({},{},{},{})",
            x0 as f64 / 1e7,
            y0 as f64 / 1e7,
            x1 as f64 / 1e7,
            y1 as f64 / 1e7
        );
        assert_eq!(
            String::from_utf8_lossy(&info.stdout).trim(),
            expected,
            "{file}"
        );
    }
}

/// A fixture with relations of relations, ways crossing the edge and a node on it.
fn tricky_fixture(path: &Path) {
    let mut b = FixtureBuilder::new();
    // Inside the bbox 14.0,35.0,15.0,36.0: nodes 1, 2 and 3 (on the edge).
    b.node(1, 35.5, 14.5, &[("name", "inside")])
        .node(2, 35.6, 14.6, &[])
        .node(3, 36.0, 15.0, &[])
        .node(4, 40.0, 20.0, &[])
        .node(5, 41.0, 21.0, &[])
        .node(6, 42.0, 22.0, &[]);
    b.way(10, &[1, 4], &[("highway", "primary")]) // crosses the edge: keeps node 4
        .way(11, &[5, 6], &[]) // outside
        .way(12, &[6, 3], &[]); // touches the corner
    b.relation(20, &[(M::Node, 5, "")], &[]) // outside member only
        .relation(21, &[(M::Way, 11, ""), (M::Node, 4, "")], &[]) // node 4 is only "extra": not kept
        .relation(22, &[(M::Way, 10, "")], &[]) // kept
        .relation(23, &[(M::Relation, 22, "")], &[]) // parent of kept
        .relation(24, &[(M::Relation, 23, ""), (M::Relation, 20, "")], &[]) // grandparent
        .relation(25, &[(M::Relation, 20, "")], &[]); // parent of a dropped one
    b.write(path).unwrap();
}

#[test]
fn relations_and_edges_follow_osmium() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tricky.osm.pbf");
    tricky_fixture(&input);
    let ours = dir.path().join("ours.osm.pbf");
    let theirs = dir.path().join("theirs.osm.pbf");
    let s = crop(
        &input,
        &"14.0,35.0,15.0,36.0".parse().unwrap(),
        &ours,
        &CropCounters::default(),
    )
    .unwrap();
    osmium_extract(&input, "14.0,35.0,15.0,36.0", &theirs);
    assert_same(&ours, &theirs, "tricky fixture");
    assert_eq!((s.nodes, s.ways, s.relations), (5, 2, 3), "{s:?}");
}

fn expect_error(input: &Path, bbox: &str, needles: &[&str]) -> PathBuf {
    let out = input.with_file_name("out.osm.pbf");
    let err = crop(
        input,
        &bbox.parse().unwrap(),
        &out,
        &CropCounters::default(),
    )
    .unwrap_err()
    .to_string();
    for needle in needles {
        assert!(err.contains(needle), "error {err:?} lacks {needle:?}");
    }
    assert!(!out.exists(), "an output file was left after: {err}");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_owned))
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    out
}

#[test]
fn bad_inputs_name_the_file_and_the_problem_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.osm.pbf");
    tricky_fixture(&good);
    let bytes = std::fs::read(&good).unwrap();

    expect_error(
        &dir.path().join("missing.osm.pbf"),
        "14,35,15,36",
        &["missing.osm.pbf", "No such file"],
    );

    let xml = dir.path().join("xml.osm.pbf");
    std::fs::write(&xml, "<?xml version='1.0'?>\n<osm version='0.6'></osm>\n").unwrap();
    expect_error(&xml, "14,35,15,36", &["xml.osm.pbf is not an OSM PBF file"]);

    let empty = dir.path().join("empty.osm.pbf");
    std::fs::write(&empty, b"").unwrap();
    expect_error(
        &empty,
        "14,35,15,36",
        &["empty.osm.pbf is not an OSM PBF file", "empty"],
    );

    let truncated = dir.path().join("truncated.osm.pbf");
    std::fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
    expect_error(
        &truncated,
        "14,35,15,36",
        &["truncated.osm.pbf is truncated: blob 3 at byte"],
    );

    // Flip bytes inside the zlib stream of the first data block.
    let corrupt = dir.path().join("corrupt.osm.pbf");
    let mut damaged = bytes.clone();
    let first_data = first_data_blob_offset(&bytes);
    for b in &mut damaged[first_data + 30..first_data + 40] {
        *b ^= 0x5a;
    }
    std::fs::write(&corrupt, &damaged).unwrap();
    expect_error(
        &corrupt,
        "14,35,15,36",
        &["corrupt.osm.pbf: blob 1 at byte", "corrupt"],
    );

    expect_error(
        &good,
        "100,-50,101,-49",
        &["holds no node of", "good.osm.pbf", "14.5,35.5,22,42"],
    );
}

fn first_data_blob_offset(bytes: &[u8]) -> usize {
    let header_len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    let frames: Vec<_> = crate::blob::BlobFrames::new(bytes, Path::new("x"))
        .map(Result::unwrap)
        .collect();
    assert!(header_len > 0);
    usize::try_from(frames[1].offset).unwrap()
}

#[test]
fn unsorted_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Two sorted files concatenated minus the second header: nodes after ways.
    let a = dir.path().join("a.osm.pbf");
    let b = dir.path().join("b.osm.pbf");
    FixtureBuilder::new()
        .node(1, 35.5, 14.5, &[])
        .way(10, &[1], &[])
        .write(&a)
        .unwrap();
    FixtureBuilder::new()
        .node(2, 35.5, 14.5, &[])
        .write(&b)
        .unwrap();
    let mut bytes = std::fs::read(&a).unwrap();
    let b_bytes = std::fs::read(&b).unwrap();
    bytes.extend_from_slice(&b_bytes[first_data_blob_offset(&b_bytes)..]);
    let unsorted = dir.path().join("unsorted.osm.pbf");
    std::fs::write(&unsorted, bytes).unwrap();
    expect_error(
        &unsorted,
        "14,35,15,36",
        &[
            "unsorted.osm.pbf is not sorted by type then id",
            "node 2 comes after way 10",
            "osmium sort",
        ],
    );
}

#[test]
fn bbox_errors_are_caught_at_parse_time() {
    assert!(
        "14.6,35.86,14.5,35.92"
            .parse::<Bbox>()
            .unwrap_err()
            .to_string()
            .contains("min_lon 14.6")
    );
    assert!(
        "0,-91,1,0"
            .parse::<Bbox>()
            .unwrap_err()
            .to_string()
            .contains("min_lat -91")
    );
}
