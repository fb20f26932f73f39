//! Bad input is counted or refused with a clear error, never a panic.

use hexmatrix_graph::Error;

use crate::fixture::{build, grid, grid_id as g};
use crate::util::try_build;

#[test]
fn no_routable_roads_is_an_error_naming_the_file() {
    let mut f = grid();
    f.way(1, &[g(0, 0), g(0, 1)], &[("highway", "footway")]);
    f.way(2, &[g(1, 0), g(1, 1)], &[("building", "yes")]);
    let tmp = tempfile::tempdir().unwrap();
    let pbf = tmp.path().join("paths.osm.pbf");
    f.write(&pbf).unwrap();
    let err = try_build(&pbf, "car", &tmp.path().join("g")).unwrap_err();
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
    let out = tmp.path().join("g");
    let err = try_build(&junk, "car", &out).unwrap_err();
    assert!(err.to_string().contains("junk.osm.pbf"), "{err}");
    let err = try_build(&tmp.path().join("nope.pbf"), "car", &out).unwrap_err();
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
    // Either refused, or (cut on a blob boundary) built from what is there.
    if let Err(err) = try_build(&cut, "car", &tmp.path().join("g")) {
        assert!(err.to_string().contains("cut.osm.pbf"), "{err}");
    }
}

/// A group holding one message of `kind` (3 way, 4 relation) built by `fields`.
fn group_of(kind: u32, fields: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut msg = Vec::new();
    fields(&mut msg);
    let mut group = Vec::new();
    hexmatrix_osm::raw::put_bytes_field(&mut group, kind, &msg);
    group
}

/// Issue 11: osmpbf `unwrap`s a relation member type; a restriction with a
/// member of type 5 made `graph` panic ("thread panicked", exit 1). The block is
/// now checked before osmpbf sees it, and refused with the file and the blob.
#[test]
fn issue_11_an_unknown_member_type_in_a_restriction_is_an_error() {
    use hexmatrix_osm::fixture::{RawBlock, dense_group, write_raw_blocks};
    use hexmatrix_osm::raw::{put_packed_delta, put_packed_uint, put_uint_field};
    let nodes = RawBlock::new()
        .group(&dense_group(&[
            (1, 359_000_000, 145_000_000),
            (2, 359_010_000, 145_000_000),
            (3, 359_010_000, 145_010_000),
        ]))
        .encode();
    let mut ways = RawBlock::new();
    let (highway, residential) = (ways.string(b"highway"), ways.string(b"residential"));
    let mut s = Vec::new();
    for (id, refs) in [(10, [1, 2]), (11, [2, 3])] {
        ways.group(&group_of(3, |w| {
            put_uint_field(w, 1, id);
            put_packed_uint(w, 2, [highway], &mut s);
            put_packed_uint(w, 3, [residential], &mut s);
            put_packed_delta(w, 8, refs, &mut s);
        }));
    }
    let mut rels = RawBlock::new();
    let [ty, restriction, no_left, from, via, to] =
        ["type", "restriction", "no_left_turn", "from", "via", "to"]
            .map(|t| rels.string(t.as_bytes()));
    rels.group(&group_of(4, |r| {
        put_uint_field(r, 1, 20);
        put_packed_uint(r, 2, [ty, restriction], &mut s);
        put_packed_uint(r, 3, [restriction, no_left], &mut s);
        put_packed_uint(r, 8, [from, via, to], &mut s);
        put_packed_delta(r, 9, [10, 2, 11], &mut s);
        put_packed_uint(r, 10, [1, 0, 5], &mut s);
    }));
    let tmp = tempfile::tempdir().unwrap();
    let pbf = tmp.path().join("odd-member.osm.pbf");
    write_raw_blocks(&pbf, &[nodes, ways.encode(), rels.encode()]).unwrap();
    let err = try_build(&pbf, "car", &tmp.path().join("g")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("odd-member.osm.pbf: blob 3 at byte")
            && text.contains("relation 20 has member type 5"),
        "{text}"
    );
    assert!(err.is_bad_input());
}

/// Issue 11: packed weights were added with `+`, so a route whose duration
/// passes 2^32 ms (a ferry tagged `duration=1193:03` and any road after it)
/// overflowed: a panic in debug builds, a wrap to a few seconds in release.
/// Past 2^32 − 1 ms it is now no route, in the CH and in the oracle alike.
#[test]
fn issue_11_a_route_past_2_pow_32_ms_is_no_route_instead_of_a_wrap() {
    let mut f = grid();
    f.way(
        1,
        &[g(0, 0), g(0, 6)],
        &[("route", "ferry"), ("duration", "1193:03")],
    );
    f.way(2, &[g(0, 6), g(1, 6)], &[("highway", "residential")]);
    let b = build(&f, "car");
    let (secs, _) = b.route(g(0, 0), g(0, 6)).unwrap();
    assert!(
        (secs - f64::from(u32::MAX - 1) / 1000.0).abs() < 1e-6,
        "{secs}"
    );
    assert!(b.route(g(0, 0), g(1, 6)).is_none());
    assert!(b.route(g(1, 6), g(0, 0)).is_none());
    assert!(b.route(g(0, 6), g(1, 6)).is_some());
}

/// Issue 12: the graph read unsorted input (sorting the nodes itself) while the
/// crop refused it. Both now read under the osm crate's one order policy: a file
/// out of type-then-id order, across blocks or inside one, is refused by both with
/// `Error::Unsorted`, naming the file, the blob and the entities.
#[test]
fn issue_12_unsorted_input_is_refused_as_the_crop_refuses_it() {
    use hexmatrix_osm::fixture::{RawBlock, dense_group, write_raw_blocks};
    let block = |nodes: &[(i64, i64, i64)]| RawBlock::new().group(&dense_group(nodes)).encode();
    let tmp = tempfile::tempdir().unwrap();
    let across = tmp.path().join("across.osm.pbf");
    let (a, b) = (359_000_000, 145_000_000);
    write_raw_blocks(
        &across,
        &[
            block(&[(5, a, b), (6, a, b)]),
            block(&[(1, a, b), (2, a, b)]),
        ],
    )
    .unwrap();
    let inside = tmp.path().join("inside.osm.pbf");
    write_raw_blocks(&inside, &[block(&[(1, a, b), (3, a, b), (2, a, b)])]).unwrap();
    for (file, detail, blob) in [
        (&across, "node 1 comes after node 6", "blob 2"),
        (&inside, "node 2 comes after node 3", "blob 1"),
    ] {
        let err = try_build(file, "car", &tmp.path().join("g")).unwrap_err();
        assert!(
            matches!(&err, Error::Osm(hexmatrix_osm::Error::Unsorted { .. })),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("is not sorted by type then id")
                && text.contains(detail)
                && text.contains(blob),
            "{text}"
        );
        assert!(err.is_bad_input());
        assert!(!tmp.path().join("g").exists(), "no graph left behind");
        let crop = hexmatrix_osm::crop(
            file,
            &"14,35,15,36".parse().unwrap(),
            &tmp.path().join("city.osm.pbf"),
            &hexmatrix_osm::CropCounters::default(),
        )
        .unwrap_err();
        assert!(
            matches!(crop, hexmatrix_osm::Error::Unsorted { .. }),
            "{crop:?}"
        );
    }
}
