//! Writer tests: write → read (osmpbf) round trips, and osmium accepts the output.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

use crate::elements::{Element, Member, MemberType, Meta, Node, Relation, Way};
use crate::reader::read_all;
use crate::writer::{MAX_BLOCK_ENTITIES, PbfWriter, WriterOptions};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z:_]{1,12}", "\\PC{0,20}",]
}

fn tags() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..4)
}

fn meta() -> impl Strategy<Value = Meta> {
    (
        0..50_i32,
        0..2_000_000_000_i64,
        0..200_000_000_i64,
        0..20_000_000_i32,
        text(),
    )
        .prop_map(|(version, timestamp, changeset, uid, user)| Meta {
            version,
            timestamp,
            changeset,
            uid,
            user,
            visible: true,
        })
}

fn id() -> impl Strategy<Value = i64> {
    prop_oneof![1..20_000_i64, 1..13_000_000_000_i64, -1000..0_i64]
}

fn member() -> impl Strategy<Value = Member> {
    (
        prop_oneof![
            Just(MemberType::Node),
            Just(MemberType::Way),
            Just(MemberType::Relation)
        ],
        id(),
        text(),
    )
        .prop_map(|(kind, id, role)| Member { kind, id, role })
}

/// Entities sorted by type then id, with metadata on all or none of them.
fn entities() -> impl Strategy<Value = Vec<Element>> {
    let with_meta = any::<bool>();
    with_meta.prop_flat_map(|with_meta| {
        let m = move || {
            if with_meta {
                meta().prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            }
        };
        let nodes = prop::collection::btree_map(
            id(),
            (
                -900_000_000..=900_000_000_i32,
                -1_800_000_000..=1_800_000_000_i32,
                tags(),
                m(),
            ),
            0..60,
        );
        let ways = prop::collection::btree_map(
            id(),
            (prop::collection::vec(id(), 0..30), tags(), m()),
            0..30,
        );
        let rels = prop::collection::btree_map(
            id(),
            (prop::collection::vec(member(), 0..10), tags(), m()),
            0..10,
        );
        (nodes, ways, rels).prop_map(|(nodes, ways, rels)| assemble(nodes, ways, rels))
    })
}

type NodeMap = BTreeMap<i64, (i32, i32, Vec<(String, String)>, Option<Meta>)>;
type WayMap = BTreeMap<i64, (Vec<i64>, Vec<(String, String)>, Option<Meta>)>;
type RelMap = BTreeMap<i64, (Vec<Member>, Vec<(String, String)>, Option<Meta>)>;

fn assemble(nodes: NodeMap, ways: WayMap, rels: RelMap) -> Vec<Element> {
    let mut out: Vec<Element> = nodes
        .into_iter()
        .map(|(id, (lat, lon, tags, meta))| {
            Element::Node(Node {
                id,
                lat,
                lon,
                tags,
                meta,
            })
        })
        .collect();
    out.extend(ways.into_iter().map(|(id, (refs, tags, meta))| {
        Element::Way(Way {
            id,
            refs,
            tags,
            meta,
        })
    }));
    out.extend(rels.into_iter().map(|(id, (members, tags, meta))| {
        Element::Relation(Relation {
            id,
            members,
            tags,
            meta,
        })
    }));
    out
}

fn write(path: &Path, elements: &[Element]) {
    let mut w = PbfWriter::create(path, &WriterOptions::default()).unwrap();
    for e in elements {
        w.write(e.clone()).unwrap();
    }
    w.finish().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn write_then_read_gives_the_same_entities(elements in entities()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.osm.pbf");
        write(&path, &elements);
        let (header, back) = read_all(&path).unwrap();
        prop_assert!(header.sorted);
        prop_assert_eq!(back, elements);
    }
}

#[test]
fn blocks_hold_at_most_8000_entities_and_order_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.osm.pbf");
    let nodes: Vec<Element> = (1..=20_001)
        .map(|id| {
            Element::Node(Node {
                id,
                lat: id as i32,
                lon: -(id as i32),
                tags: vec![],
                meta: None,
            })
        })
        .collect();
    write(&path, &nodes);
    let reader = crate::reader::PbfReader::open(&path, std::sync::Arc::default()).unwrap();
    let mut sizes = Vec::new();
    reader
        .for_each_block(|b| {
            sizes.push(b.len());
            Ok(())
        })
        .unwrap();
    assert_eq!(sizes, [MAX_BLOCK_ENTITIES, MAX_BLOCK_ENTITIES, 4001]);

    let mut w =
        PbfWriter::create(&dir.path().join("bad.osm.pbf"), &WriterOptions::default()).unwrap();
    w.write(nodes[1].clone()).unwrap();
    let err = w.write(nodes[0].clone()).unwrap_err().to_string();
    assert!(
        err.contains("bad.osm.pbf") && err.contains("type-then-id order"),
        "{err}"
    );
}

/// A destination that takes `room` bytes, then fails as a full disk does.
#[derive(Debug)]
struct FullDisk {
    room: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Issue 11: a full disk during a crop was reported as bad input (exit 2).
#[test]
fn issue_11_a_failed_write_is_a_write_error_not_bad_input() {
    let path = Path::new("out/city.osm.pbf");
    let options = WriterOptions::default();
    let header = PbfWriter::new(Vec::new(), path, &options)
        .and_then(PbfWriter::finish)
        .expect("a header alone is written to memory")
        .1;
    let room = usize::try_from(header).expect("a small header");
    let mut w = PbfWriter::new(FullDisk { room }, path, &options).expect("the header fits exactly");
    for id in 1..=10_i64 {
        w.write(Element::Node(Node {
            id,
            lat: id as i32,
            lon: id as i32,
            tags: vec![],
            meta: None,
        }))
        .expect("entities are buffered");
    }
    let err = w.finish().expect_err("the block does not fit");
    assert!(
        matches!(&err, crate::Error::Write { path: p, .. } if p == path),
        "{err:?}"
    );
    assert!(!err.is_bad_input());
    let text = err.to_string();
    assert!(
        text.starts_with("cannot write out/city.osm.pbf: "),
        "{text}"
    );
    assert!(crate::Error::io("in.osm.pbf", std::io::ErrorKind::NotFound.into()).is_bad_input());
}

fn osmium(args: &[&str]) -> std::process::Output {
    Command::new("osmium")
        .args(args)
        .output()
        .expect("osmium is installed (apt-get install osmium-tool)")
}

#[test]
fn osmium_accepts_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.osm.pbf");
    let mut b = crate::fixture::FixtureBuilder::new();
    for i in 0..100_i64 {
        b.node(
            i + 1,
            35.9 + (i / 10) as f64 * 0.001,
            14.5 + (i % 10) as f64 * 0.001,
            &[],
        );
    }
    b.node(7, 35.9, 14.5, &[("amenity", "café ☕")]);
    for row in 0..10_i64 {
        let refs: Vec<i64> = (1..=10).map(|c| row * 10 + c).collect();
        b.way(100 + row, &refs, &[("highway", "residential")]);
    }
    b.relation(
        5,
        &[(MemberType::Way, 100, "outer"), (MemberType::Node, 7, "")],
        &[("type", "multipolygon")],
    );
    b.relation(
        6,
        &[(MemberType::Relation, 5, "sub")],
        &[("type", "collection")],
    );
    b.write(&path).unwrap();
    let p = path.to_str().unwrap();

    let info = osmium(&["fileinfo", "-e", "-g", "data.count.nodes", p]);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&info.stdout).trim(), "100");
    let info = osmium(&["fileinfo", "-e", p]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("Number of ways: 10") && text.contains("Number of relations: 2"),
        "{text}"
    );
    assert!(
        text.contains("Objects ordered (by type and id): yes"),
        "{text}"
    );
    let refs = osmium(&["check-refs", "-r", p]);
    assert!(
        refs.status.success(),
        "{}",
        String::from_utf8_lossy(&refs.stderr)
    );
    // osmium reads back the tag with its UTF-8 intact.
    let cat = osmium(&["cat", "-f", "opl", p]);
    assert!(
        String::from_utf8_lossy(&cat.stdout).contains("amenity=café%20%%2615%"),
        "{}",
        String::from_utf8_lossy(&cat.stdout)
    );
}

#[test]
fn rewriting_real_extracts_changes_nothing_for_osmium() {
    for name in ["malta-latest.osm.pbf", "heidelberg.osm.pbf"] {
        let Some(input) = crate::fixture::shared_dataset(name) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join(name);
        let (_, elements) = read_all(&input).unwrap();
        write(&output, &elements);
        let diff = osmium(&[
            "diff",
            "-q",
            input.to_str().unwrap(),
            output.to_str().unwrap(),
        ]);
        assert!(
            diff.status.success(),
            "{name}: osmium diff found differences: {}{}",
            String::from_utf8_lossy(&diff.stdout),
            String::from_utf8_lossy(&diff.stderr)
        );
    }
}
