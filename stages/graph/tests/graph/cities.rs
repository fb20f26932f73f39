//! CH queries equal the plain edge-based Dijkstra oracle (turn restrictions
//! included) on real cities, for thousands of random pairs; builds are
//! deterministic.

use std::path::Path;

use hexmatrix_graph::dijkstra::OracleGraph;
use hexmatrix_graph::{ChQuery, ContractionHierarchy, read_nodes};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::util;

/// Compares `sources` one-to-all oracle searches with CH queries to `per_source` random targets.
fn check_against_oracle(dir: &Path, sources: usize, per_source: usize, seed: u64) -> usize {
    let ch = ContractionHierarchy::load(&dir.join("graph.ch")).unwrap();
    let oracle = OracleGraph::from_dir(dir).unwrap();
    let nodes = read_nodes(dir).unwrap();
    let main: Vec<u32> = (0..nodes.in_main.len() as u32)
        .filter(|&v| nodes.in_main[v as usize])
        .collect();
    assert!(!main.is_empty());
    let n = nodes.osm_id.len() as u32;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut q = ChQuery::new(&ch);
    let mut checked = 0;
    let mut reachable = 0;
    for i in 0..sources {
        // Mostly main-component sources, some anywhere (unreachable pairs must agree too).
        let s = if i % 4 == 3 {
            rng.random_range(0..n)
        } else {
            main[rng.random_range(0..main.len())]
        };
        let truth = oracle.one_to_all(s);
        for _ in 0..per_source {
            let t = rng.random_range(0..n);
            let got = q.route(&ch, s, t);
            match (truth[t as usize], got) {
                (None, None) => {}
                (Some((secs, metres)), Some((ms, m))) => {
                    reachable += 1;
                    assert_eq!((secs * 1000.0).round() as u32, ms, "duration {s}->{t}");
                    assert!(
                        (metres - m).abs() <= 1.0 + 1e-4 * metres,
                        "distance {s}->{t}: oracle {metres} ch {m}"
                    );
                }
                (a, b) => panic!("reachability {s}->{t}: oracle {a:?} ch {b:?}"),
            }
            checked += 1;
        }
    }
    assert!(
        reachable > checked / 2,
        "only {reachable} of {checked} pairs reachable"
    );
    checked
}

#[test]
fn monaco_ch_equals_oracle_and_is_deterministic() {
    let Some(src) = hexmatrix_osm::fixture::shared_dataset("monaco.osm.pbf") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let s = util::build(&src, "car", &a);
    assert!(s.restrictions.applied > 0, "{s:?}");
    assert!(s.main_share() > 0.8, "{s:?}");
    assert_eq!(check_against_oracle(&a, 12, 200, 1), 2400);
    let b = tmp.path().join("b");
    util::build(&src, "car", &b);
    for f in [
        "graph.ch",
        "nodes.parquet",
        "edges.parquet",
        "restrictions.parquet",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two builds"
        );
    }
}

#[test]
fn helsinki_missing_nodes_are_counted_and_routes_hold() {
    let Some(src) = hexmatrix_osm::fixture::shared_dataset("helsinki-center.osm.pbf") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let s = util::build(&src, "car", tmp.path());
    assert!(
        s.missing_node_refs > 0 && s.ways_with_missing_nodes > 0,
        "{s:?}"
    );
    check_against_oracle(tmp.path(), 10, 150, 2);
}

#[test]
fn valletta_crop_car_and_motorcycle_equal_oracle() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(src) = util::crop(
        "malta-latest.osm.pbf",
        "14.46,35.86,14.53,35.92",
        tmp.path(),
    ) else {
        return;
    };
    for profile in ["car", "motorcycle"] {
        let dir = tmp.path().join(profile);
        let s = util::build(&src, profile, &dir);
        assert!(s.nodes > 10_000, "{s:?}");
        check_against_oracle(&dir, 10, 150, 3);
    }
}

#[test]
fn andorra_crop_equals_oracle() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(src) = util::crop(
        "andorra-latest.osm.pbf",
        "1.505,42.495,1.56,42.52",
        tmp.path(),
    ) else {
        return;
    };
    util::build(&src, "car", tmp.path());
    check_against_oracle(tmp.path(), 10, 150, 4);
}
