//! Regression tests, named after the issue that found the bug. Fixtures are
//! hand-made blocks ([`RawBlock`]) for data our writer refuses to produce.

use std::path::{Path, PathBuf};

use crate::crop::{CropCounters, crop};
use crate::elements::{Element, MemberType};
use crate::fixture::{RawBlock, dense_group, write_raw_blocks};
use crate::proto::{put_bytes_field, put_packed_delta, put_packed_uint, put_uint_field, zigzag};
use crate::reader::read_all;

/// A group holding one relation message built by `fields` after its id.
fn relation_group(id: u64, fields: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut r = Vec::new();
    put_uint_field(&mut r, 1, id);
    fields(&mut r);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 4, &r);
    group
}

/// Crops `blocks` written as a file to 14,35,15,36: the output path or the error text.
fn crop_blocks(dir: &Path, blocks: &[Vec<u8>]) -> Result<PathBuf, String> {
    let input = dir.join("in.osm.pbf");
    write_raw_blocks(&input, blocks).unwrap();
    let output = dir.join("out.osm.pbf");
    crop(
        &input,
        &"14,35,15,36".parse().unwrap(),
        &output,
        &CropCounters::default(),
    )
    .map(|_| output)
    .map_err(|e| e.to_string())
}

/// Node 1 inside the bbox, node 3 outside.
fn nodes() -> Vec<u8> {
    RawBlock::new()
        .group(&dense_group(&[
            (1, 355_000_000, 145_000_000),
            (3, 400_000_000, 200_000_000),
        ]))
        .encode()
}

/// Issue 11: the scanner kept the last packed `types` of a relation and ignored
/// its unpacked form, so pass 1 kept a relation whose second member has type 5,
/// and osmpbf's `unwrap` on it panicked in pass 2 (exit 101).
#[test]
fn issue_11_an_unpacked_unknown_member_type_is_refused_by_the_first_pass() {
    let dir = tempfile::tempdir().unwrap();
    let mut scratch = Vec::new();
    let relations = RawBlock::new()
        .group(&relation_group(20, |r| {
            put_packed_uint(r, 8, [0], &mut scratch);
            put_packed_delta(r, 9, [1], &mut scratch);
            put_packed_uint(r, 10, [0], &mut scratch);
            // The same fields again, unpacked: a second member, of type 5.
            put_uint_field(r, 8, 0);
            put_uint_field(r, 9, zigzag(1));
            put_uint_field(r, 10, 5);
        }))
        .encode();
    let err = crop_blocks(dir.path(), &[nodes(), relations]).unwrap_err();
    assert!(
        err.contains("in.osm.pbf: blob 2 at byte") && err.contains("relation 20 has member type 5"),
        "{err}"
    );
}

/// Issue 11: every occurrence of a repeated field counts, packed or not. The
/// scanner read only the last `refs` run, so it missed that way 10 goes through
/// node 1 (inside) and left the way out, while osmpbf reads refs [1, 3].
#[test]
fn issue_11_split_packed_refs_are_read_whole_by_the_first_pass() {
    let dir = tempfile::tempdir().unwrap();
    let mut scratch = Vec::new();
    let mut way = Vec::new();
    put_uint_field(&mut way, 1, 10);
    put_packed_uint(&mut way, 8, [zigzag(1)], &mut scratch);
    put_packed_uint(&mut way, 8, [zigzag(2)], &mut scratch);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 3, &way);
    let ways = RawBlock::new().group(&group).encode();
    let out = crop_blocks(dir.path(), &[nodes(), ways]).unwrap();
    let (_, elements) = read_all(&out).unwrap();
    let kept: Vec<(MemberType, i64)> = elements.iter().map(|e| (e.kind(), e.id())).collect();
    assert_eq!(
        kept,
        [
            (MemberType::Node, 1),
            (MemberType::Node, 3),
            (MemberType::Way, 10)
        ]
    );
    let Element::Way(w) = &elements[2] else {
        panic!("{elements:?}")
    };
    assert_eq!(w.refs, [1, 3]);
}

/// Issue 11: granularity is an `int32` for osmpbf but was an `i64` for the
/// scanner, and `offset + granularity × value` wrapped in release (panicked in
/// debug). Both passes now read one rule and refuse what it cannot compute.
#[test]
fn issue_11_granularity_and_coordinate_overflow_are_errors_in_both_passes() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // osmpbf refuses it; the scanner read 4294967396 and kept the node.
        (
            (1_u64 << 32) + 100,
            1,
            "granularity 4294967396 is not a 32-bit integer",
        ),
        // granularity × stored value overflows i64.
        (i32::MAX as u64, 1 << 40, "has a coordinate out of range"),
    ];
    for (granularity, stored, needle) in cases {
        let block = RawBlock::new()
            .group(&dense_group(&[(1, stored, stored)]))
            .varint(17, granularity)
            .encode();
        let err = crop_blocks(dir.path(), std::slice::from_ref(&block)).unwrap_err();
        assert!(
            err.contains("blob 1 at byte") && err.contains(needle),
            "{err}"
        );
        let err = crate::reader::decode_block(&block).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
}

/// Issue 11: a block whose string table holds one long string referenced by
/// many tags was copied once per reference (a 16 MiB string and millions of
/// tags are terabytes). The check refuses it before anything is copied.
#[test]
fn issue_11_string_table_amplification_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let mut block = RawBlock::new();
    let big = block.string(&vec![b'x'; 1 << 20]);
    let mut dense = Vec::new();
    let mut scratch = Vec::new();
    put_packed_delta(&mut dense, 1, [1], &mut scratch);
    put_packed_delta(&mut dense, 8, [355_000_000], &mut scratch);
    put_packed_delta(&mut dense, 9, [145_000_000], &mut scratch);
    // 600 tags of 1 MiB key and 1 MiB value: 1.2 GB once copied out.
    let kv: Vec<u64> = std::iter::repeat_n(big, 1200).chain([0]).collect();
    put_packed_uint(&mut dense, 10, kv, &mut scratch);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let err = crop_blocks(dir.path(), &[block.group(&group).encode()]).unwrap_err();
    assert!(
        err.contains("blob 1 at byte") && err.contains("MAX_DECODED_BLOCK_BYTES"),
        "{err}"
    );
}
