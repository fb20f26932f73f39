//! Regression tests of the binary, named after the issue that found the bug.

use std::process::Command;

use hexmatrix_osm::fixture::{RawBlock, dense_group, write_raw_blocks};
use hexmatrix_osm::raw::{put_bytes_field, put_packed_delta, put_packed_uint, put_uint_field};

fn hexmatrix() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hexmatrix"));
    cmd.arg("--progress").arg("never");
    cmd
}

/// Issue 11: a restriction whose third member has type 5, written unpacked
/// after two packed members. `crop` kept it in pass 1 (the scanner read only the
/// packed types) and osmpbf panicked on it in pass 2 (exit 101); `graph`
/// reported "thread panicked" (exit 1). Both now refuse the file: exit 2, the
/// file, the blob and the relation named, nothing written.
#[test]
fn issue_11_a_member_of_type_5_is_exit_2_in_crop_and_graph() {
    let dir = tempfile::tempdir().unwrap();
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
        let mut w = Vec::new();
        put_uint_field(&mut w, 1, id);
        put_packed_uint(&mut w, 2, [highway], &mut s);
        put_packed_uint(&mut w, 3, [residential], &mut s);
        put_packed_delta(&mut w, 8, refs, &mut s);
        let mut group = Vec::new();
        put_bytes_field(&mut group, 3, &w);
        ways.group(&group);
    }
    let mut rels = RawBlock::new();
    let [ty, restriction, no_left, from, via, to] =
        ["type", "restriction", "no_left_turn", "from", "via", "to"]
            .map(|t| rels.string(t.as_bytes()));
    let mut r = Vec::new();
    put_uint_field(&mut r, 1, 20);
    put_packed_uint(&mut r, 2, [ty, restriction], &mut s);
    put_packed_uint(&mut r, 3, [restriction, no_left], &mut s);
    put_packed_uint(&mut r, 8, [from, via], &mut s);
    put_packed_delta(&mut r, 9, [10, 2], &mut s);
    put_packed_uint(&mut r, 10, [1, 0], &mut s);
    put_uint_field(&mut r, 8, to);
    put_uint_field(&mut r, 9, hexmatrix_osm::raw::zigzag(9));
    put_uint_field(&mut r, 10, 5);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 4, &r);
    rels.group(&group);
    let input = dir.path().join("odd.osm.pbf");
    write_raw_blocks(&input, &[nodes, ways.encode(), rels.encode()]).unwrap();

    let city = dir.path().join("city.osm.pbf");
    let out = hexmatrix()
        .args(["crop", "--bbox", "14.4,35.8,14.6,36.0", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&city)
        .output()
        .unwrap();
    let graph = dir.path().join("graph");
    let out_graph = hexmatrix()
        .args(["graph", "--profile", "car", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&graph)
        .output()
        .unwrap();
    for (what, out) in [("crop", out), ("graph", out_graph)] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("odd.osm.pbf: blob 3 at byte")
                && stderr.contains("relation 20 has member type 5")
                && !stderr.contains("panicked"),
            "{what}: {stderr}"
        );
    }
    assert!(!city.exists() && !graph.exists());
}
