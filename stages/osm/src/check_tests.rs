//! The block check: real blocks pass, everything osmpbf would panic or wrap on is
//! refused with a reason, and amplified blocks are refused before they are decoded.

use super::*;
use crate::fixture::{FixtureBuilder, MemberType as M, RawBlock, dense_group};
use crate::proto::{put_bytes_field, put_packed_delta, put_packed_uint, put_uint_field, zigzag};
use crate::reader::decode_block;
use crate::scan::scan_block;

const WORLD: (i64, i64, i64, i64) = (-1_800_000_000, -900_000_000, 1_800_000_000, 900_000_000);

/// A relation message with the given raw fields after its id.
fn relation(id: u64, fields: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut r = Vec::new();
    put_uint_field(&mut r, 1, id);
    fields(&mut r);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 4, &r);
    group
}

fn err(raw: &[u8]) -> String {
    check_block(raw).unwrap_err()
}

#[test]
fn blocks_written_by_our_writer_pass_with_a_modest_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.osm.pbf");
    let mut b = FixtureBuilder::new();
    for i in 0..50 {
        b.node(
            i,
            35.9 + i as f64 * 1e-4,
            14.5,
            &[("name", "x"), ("amenity", "cafe")],
        );
    }
    b.way(100, &[1, 2, 3, 4], &[("highway", "residential")])
        .relation(
            200,
            &[(M::Way, 100, "outer"), (M::Node, 1, "")],
            &[("type", "multipolygon")],
        );
    b.write(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let frames: Vec<_> = crate::blob::BlobFrames::new(bytes.as_slice(), &path)
        .map(Result::unwrap)
        .collect();
    let mut entities = 0;
    for blob in &frames[1..] {
        let raw = blob.decompress(&path).unwrap();
        let c = check_block(&raw).unwrap();
        entities += c.entities;
        assert!(c.decoded_bytes < 1 << 20, "{c:?}");
        decode_block(&raw).unwrap();
    }
    assert_eq!(entities, 52);
}

#[test]
fn unknown_member_types_are_refused_packed_or_not() {
    let mut packed = RawBlock::new();
    packed.group(&relation(7, |r| {
        let mut s = Vec::new();
        put_packed_uint(r, 8, [0], &mut s);
        put_packed_delta(r, 9, [1], &mut s);
        put_packed_uint(r, 10, [5], &mut s);
    }));
    let mut unpacked = RawBlock::new();
    unpacked.group(&relation(7, |r| {
        put_uint_field(r, 8, 0);
        put_uint_field(r, 9, zigzag(1));
        put_uint_field(r, 10, 5);
    }));
    for block in [packed.encode(), unpacked.encode()] {
        let e = err(&block);
        assert!(e.contains("relation 7 has member type 5"), "{e}");
        assert!(
            scan_block(&block, WORLD)
                .unwrap_err()
                .contains("member type 5")
        );
        assert!(decode_block(&block).is_err());
    }
}

#[test]
fn member_arrays_must_line_up_and_roles_exist() {
    let mut b = RawBlock::new();
    b.group(&relation(7, |r| {
        let mut s = Vec::new();
        put_packed_uint(r, 8, [0, 0], &mut s);
        put_packed_delta(r, 9, [1, 2], &mut s);
        put_packed_uint(r, 10, [0], &mut s);
    }));
    assert!(err(&b.encode()).contains("different numbers"));
    let mut b = RawBlock::new();
    b.group(&relation(7, |r| {
        let mut s = Vec::new();
        put_packed_uint(r, 8, [9], &mut s);
        put_packed_delta(r, 9, [1], &mut s);
        put_packed_uint(r, 10, [0], &mut s);
    }));
    assert!(err(&b.encode()).contains("string index 9 is past the table's 1 entries"));
}

#[test]
fn tags_must_name_utf8_strings_in_the_table() {
    let mut b = RawBlock::new();
    let bad = b.string(b"\xff\xfe");
    let mut way = Vec::new();
    put_uint_field(&mut way, 1, 3);
    let mut s = Vec::new();
    put_packed_uint(&mut way, 2, [bad], &mut s);
    put_packed_uint(&mut way, 3, [0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 3, &way);
    b.group(&group);
    assert!(err(&b.encode()).contains("way 3: string 1 is not UTF-8"));
}

#[test]
fn overflowing_deltas_are_refused_not_wrapped() {
    // Dense ids.
    let mut dense = Vec::new();
    let mut s = Vec::new();
    put_packed_uint(&mut dense, 1, [zigzag(i64::MAX), zigzag(1)], &mut s);
    put_packed_uint(&mut dense, 8, [0, 0], &mut s);
    put_packed_uint(&mut dense, 9, [0, 0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let raw = RawBlock::new().group(&group).encode();
    assert!(err(&raw).contains("overflow"), "{}", err(&raw));
    assert!(scan_block(&raw, WORLD).unwrap_err().contains("overflow"));
    // Way refs.
    let mut way = Vec::new();
    put_uint_field(&mut way, 1, 3);
    put_packed_uint(&mut way, 8, [zigzag(i64::MIN), zigzag(-1)], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 3, &way);
    let raw = RawBlock::new().group(&group).encode();
    assert!(err(&raw).contains("way 3: a node ref is beyond ±2^62"));
    assert!(
        scan_block(&raw, WORLD)
            .unwrap_err()
            .contains("beyond ±2^62")
    );
    // Member ids.
    let raw = RawBlock::new()
        .group(&relation(7, |r| {
            put_packed_uint(r, 8, [0, 0], &mut s);
            put_packed_uint(r, 9, [zigzag(i64::MAX), zigzag(1)], &mut s);
            put_packed_uint(r, 10, [0, 0], &mut s);
        }))
        .encode();
    assert!(err(&raw).contains("relation 7: a member id is beyond ±2^62"));
    // Dense info timestamps times the date granularity.
    let mut dense = Vec::new();
    put_packed_uint(&mut dense, 1, [zigzag(1)], &mut s);
    let mut info = Vec::new();
    put_packed_uint(&mut info, 1, [1], &mut s);
    put_packed_uint(&mut info, 2, [zigzag(i64::MAX / 10)], &mut s);
    put_packed_uint(&mut info, 3, [0], &mut s);
    put_packed_uint(&mut info, 4, [0], &mut s);
    put_packed_uint(&mut info, 5, [0], &mut s);
    put_bytes_field(&mut dense, 5, &info);
    put_packed_uint(&mut dense, 8, [0], &mut s);
    put_packed_uint(&mut dense, 9, [0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let raw = RawBlock::new().group(&group).encode();
    assert!(err(&raw).contains("timestamp overflows"), "{}", err(&raw));
}

#[test]
fn granularity_and_coordinates_follow_one_rule_in_both_readers() {
    for (granularity, lat) in [((1_u64 << 32) + 100, 1), (0, 1), (i32::MAX as u64, 1 << 40)] {
        let raw = RawBlock::new()
            .group(&dense_group(&[(1, lat, 1)]))
            .varint(17, granularity)
            .encode();
        let c = check_block(&raw).unwrap_err();
        let s = scan_block(&raw, WORLD).unwrap_err();
        assert!(
            c.contains("granularity") || c.contains("out of range"),
            "{c}"
        );
        assert_eq!(c, s, "the scanner and the check give the same reason");
    }
}

#[test]
fn an_amplified_string_table_is_refused_before_decoding() {
    // One 1 MiB string used as key and value by 400 tags: 800 MiB once copied out.
    let mut b = RawBlock::new();
    let big = b.string(&vec![b'a'; 1 << 20]);
    let mut dense = Vec::new();
    let mut s = Vec::new();
    put_packed_delta(&mut dense, 1, [1], &mut s);
    put_packed_delta(&mut dense, 8, [0], &mut s);
    put_packed_delta(&mut dense, 9, [0], &mut s);
    let kv: Vec<u64> = std::iter::repeat_n(big, 800).chain([0]).collect();
    put_packed_uint(&mut dense, 10, kv, &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let raw = b.group(&group).encode();
    let e = err(&raw);
    assert!(e.contains("MAX_DECODED_BLOCK_BYTES"), "{e}");
    assert!(
        decode_block(&raw)
            .unwrap_err()
            .contains("MAX_DECODED_BLOCK_BYTES")
    );
    // Half of it is fine: the limit is on the estimate, not on the block's shape.
    let mut b = RawBlock::new();
    let big = b.string(&vec![b'a'; 1 << 20]);
    let mut dense = Vec::new();
    put_packed_delta(&mut dense, 1, [1], &mut s);
    put_packed_delta(&mut dense, 8, [0], &mut s);
    put_packed_delta(&mut dense, 9, [0], &mut s);
    put_packed_uint(&mut dense, 10, [big, big, 0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let c = check_block(&b.group(&group).encode()).unwrap();
    assert!(
        c.decoded_bytes > 2 << 20 && c.decoded_bytes < 16 << 20,
        "{c:?}"
    );
}

#[test]
fn empty_messages_by_the_million_are_refused() {
    // 4 MiB of empty ways: two bytes each on the wire, hundreds decoded.
    let mut b = RawBlock::new();
    let group: Vec<u8> = std::iter::repeat_n([0x1a_u8, 0x00], 2 << 20)
        .flatten()
        .collect();
    b.group(&group);
    assert!(err(&b.encode()).contains("MAX_DECODED_BLOCK_BYTES"));
}

#[test]
fn the_last_dense_copy_is_the_one_read() {
    let mut group = dense_group(&[(1, 0, 0), (2, 0, 0)]);
    group.extend(dense_group(&[(5, 10, 10)]));
    let raw = RawBlock::new().group(&group).encode();
    assert_eq!(check_block(&raw).unwrap().entities, 1);
    let scan = scan_block(&raw, WORLD).unwrap();
    assert_eq!(scan.inside, [5]);
    let block = decode_block(&raw).unwrap();
    let ids: Vec<i64> = block
        .groups()
        .flat_map(|g| g.dense_nodes().map(|n| n.id()).collect::<Vec<_>>())
        .collect();
    assert_eq!(ids, [5]);
}

#[test]
fn every_block_of_the_shared_extracts_passes_far_below_the_limit() {
    let Ok(entries) = std::fs::read_dir(crate::fixture::datasets_dir()) else {
        assert!(crate::fixture::shared_dataset("malta-latest.osm.pbf").is_none());
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.to_string_lossy().ends_with(".osm.pbf"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let (mut worst, mut blocks) = ((0, 0, String::new()), 0);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        for blob in crate::blob::BlobFrames::new(bytes.as_slice(), path).skip(1) {
            let raw = blob.unwrap().decompress(path).unwrap();
            let c = check_block(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            blocks += 1;
            if c.decoded_bytes > worst.0 {
                worst = (c.decoded_bytes, raw.len(), path.display().to_string());
            }
        }
    }
    eprintln!("{blocks} blocks, largest estimate {worst:?}");
    assert!(worst.0 < MAX_DECODED_BLOCK_BYTES / 4, "{worst:?}");
}

/// Issue 11 (found by the `crop` fuzz target): a changeset of -2^63 + 10 sums
/// without overflow, but the crop wrote it next to a node without metadata
/// (changeset 0), a difference past `i64`, and could not read its own output.
/// Values stored as running sums are held to ±2^62 in both readers.
#[test]
fn issue_11_running_sums_past_2_pow_62_are_refused_in_both_readers() {
    let mut s = Vec::new();
    let beyond = (1_i64 << 62) + 1;
    // A dense node id.
    let mut dense = Vec::new();
    put_packed_uint(&mut dense, 1, [zigzag(beyond)], &mut s);
    put_packed_uint(&mut dense, 8, [0], &mut s);
    put_packed_uint(&mut dense, 9, [0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let raw = RawBlock::new().group(&group).encode();
    assert!(err(&raw).contains("beyond ±2^62"), "{}", err(&raw));
    assert!(
        scan_block(&raw, WORLD)
            .unwrap_err()
            .contains("beyond ±2^62")
    );
    // A dense changeset near i64::MIN.
    let mut dense = Vec::new();
    put_packed_uint(&mut dense, 1, [zigzag(1)], &mut s);
    let mut info = Vec::new();
    put_packed_uint(&mut info, 1, [1], &mut s);
    put_packed_uint(&mut info, 2, [0], &mut s);
    put_packed_uint(&mut info, 3, [zigzag(i64::MIN + 10)], &mut s);
    put_packed_uint(&mut info, 4, [0], &mut s);
    put_packed_uint(&mut info, 5, [0], &mut s);
    put_bytes_field(&mut dense, 5, &info);
    put_packed_uint(&mut dense, 8, [0], &mut s);
    put_packed_uint(&mut dense, 9, [0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let raw = RawBlock::new().group(&group).encode();
    assert!(
        err(&raw).contains("changeset overflows or is beyond ±2^62"),
        "{}",
        err(&raw)
    );
    // Just inside the bound is accepted.
    let mut dense = Vec::new();
    put_packed_uint(&mut dense, 1, [zigzag(beyond - 2)], &mut s);
    put_packed_uint(&mut dense, 8, [0], &mut s);
    put_packed_uint(&mut dense, 9, [0], &mut s);
    let mut group = Vec::new();
    put_bytes_field(&mut group, 2, &dense);
    let raw = RawBlock::new().group(&group).encode();
    assert!(check_block(&raw).is_ok());
    assert!(scan_block(&raw, WORLD).is_ok());
}
