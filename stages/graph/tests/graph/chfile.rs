//! graph.ch: round trip, and corrupt, truncated, foreign or old files refused.

use hexmatrix_graph::{ContractionHierarchy, Error};

use crate::util;

fn built() -> Option<(tempfile::TempDir, Vec<u8>)> {
    let src = hexmatrix_osm::fixture::shared_dataset("helsinki-center.osm.pbf")?;
    let tmp = tempfile::tempdir().unwrap();
    util::build(&src, "car", tmp.path());
    let bytes = std::fs::read(tmp.path().join("graph.ch")).unwrap();
    Some((tmp, bytes))
}

fn refused(dir: &std::path::Path, bytes: &[u8]) -> String {
    let path = dir.join("bad.ch");
    std::fs::write(&path, bytes).unwrap();
    match ContractionHierarchy::load(&path) {
        Err(e @ Error::BadChFile { .. }) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn round_trip_keeps_everything() {
    let Some((tmp, bytes)) = built() else { return };
    let ch = ContractionHierarchy::load(&tmp.path().join("graph.ch")).unwrap();
    assert_eq!(ch.header().profile, "car");
    assert_eq!(ch.header().tool_version, "test");
    ch.save(&tmp.path().join("again.ch")).unwrap();
    assert_eq!(std::fs::read(tmp.path().join("again.ch")).unwrap(), bytes);
    for v in 0..ch.graph_node_count() as u32 {
        assert!(!ch.targets_of(v).is_empty());
        assert!(ch.targets_of(v).contains(&ch.source_of(v)));
    }
    for v in 0..ch.node_count() as u32 {
        assert!(ch.forward_up(v).iter().all(|e| e.target > v));
        assert!(ch.backward_up(v).iter().all(|e| e.target > v));
    }
}

#[test]
fn truncated_corrupt_foreign_and_old_files_are_refused() {
    let Some((tmp, bytes)) = built() else { return };
    let dir = tmp.path();
    for cut in [0, 5, 12, 40, bytes.len() / 2, bytes.len() - 1] {
        let msg = refused(dir, &bytes[..cut]);
        assert!(
            msg.contains("truncated") || msg.contains("not a hexmatrix"),
            "{cut}: {msg}"
        );
    }
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert!(refused(dir, &flipped).contains("checksum"));
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"junk");
    assert!(refused(dir, &longer).contains("corrupt"));
    let mut old = bytes.clone();
    old[8..12].copy_from_slice(&0u32.to_le_bytes());
    let msg = refused(dir, &old);
    assert!(
        msg.contains("version 0") && msg.contains("rebuild"),
        "{msg}"
    );
    let msg = refused(dir, b"PK\x03\x04 this is a zip file, not a graph");
    assert!(msg.contains("not a hexmatrix graph.ch"), "{msg}");
    assert!(matches!(
        ContractionHierarchy::load(&dir.join("missing.ch")),
        Err(Error::Io { .. })
    ));
}
