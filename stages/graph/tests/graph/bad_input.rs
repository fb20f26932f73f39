//! Bad input is counted or refused with a clear error, never a panic.

use hexmatrix_graph::{Counters, Error, Profile, build_graph};

use crate::fixture::{build, grid, grid_id as g};

#[test]
fn no_routable_roads_is_an_error_naming_the_file() {
    let mut f = grid();
    f.way(1, &[g(0, 0), g(0, 1)], &[("highway", "footway")]);
    f.way(2, &[g(1, 0), g(1, 1)], &[("building", "yes")]);
    let tmp = tempfile::tempdir().unwrap();
    let pbf = tmp.path().join("paths.osm.pbf");
    f.write(&pbf).unwrap();
    let car = Profile::by_name("car").unwrap();
    let err = build_graph(&pbf, car, &tmp.path().join("g"), "t", &Counters::default()).unwrap_err();
    assert!(
        matches!(err, Error::NoRoutableRoads { ways: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("paths.osm.pbf"));
}

#[test]
fn missing_nodes_cut_ways_and_are_counted() {
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 1), 999_999, g(0, 2), g(0, 3)],
        &[("highway", "residential")],
    );
    f.way(2, &[g(1, 0), 888_888], &[("highway", "residential")]);
    let b = build(&f, "car");
    assert_eq!(
        (
            b.summary.missing_node_refs,
            b.summary.ways_with_missing_nodes
        ),
        (2, 2)
    );
    assert!(b.route(g(0, 0), g(0, 1)).is_some());
    assert!(
        b.route(g(0, 0), g(0, 3)).is_none(),
        "the gap is not bridged"
    );
    assert!(!b.has_node(g(1, 0)));
}

#[test]
fn garbage_file_and_missing_file_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.osm.pbf");
    std::fs::write(&junk, b"\x00\x00\x00\x0bthis is not a pbf at all").unwrap();
    let car = Profile::by_name("car").unwrap();
    let out = tmp.path().join("g");
    let err = build_graph(&junk, car, &out, "t", &Counters::default()).unwrap_err();
    assert!(err.to_string().contains("junk.osm.pbf"), "{err}");
    let err = build_graph(
        &tmp.path().join("nope.pbf"),
        car,
        &out,
        "t",
        &Counters::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("nope.pbf"), "{err}");
}

#[test]
fn truncated_pbf_is_an_error_not_a_panic() {
    let Some(src) = hexmatrix_osm::fixture::shared_dataset("helsinki-center.osm.pbf") else {
        return;
    };
    let bytes = std::fs::read(src).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("cut.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let car = Profile::by_name("car").unwrap();
    // Either refused, or (cut on a blob boundary) built from what is there.
    if let Err(err) = build_graph(&cut, car, &tmp.path().join("g"), "t", &Counters::default()) {
        assert!(err.to_string().contains("cut.osm.pbf"), "{err}");
    }
}
