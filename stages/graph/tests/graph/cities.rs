//! CH queries equal the plain edge-based Dijkstra oracle (turn costs, U-turn
//! rules, signals and every restriction form included) on real cities to the
//! millisecond, for thousands of random pairs each; builds are deterministic.

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
        "turns.parquet",
        "restriction_paths.parquet",
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
        assert_eq!(s.driving_side, Some(hexmatrix_graph::DrivingSide::Left));
        assert!(s.signal_nodes > 0 && s.turns > s.edges, "{s:?}");
        check_against_oracle(&dir, 10, 250, 3);
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
    let s = util::build(&src, "car", tmp.path());
    assert_eq!(s.driving_side, Some(hexmatrix_graph::DrivingSide::Right));
    check_against_oracle(tmp.path(), 10, 250, 4);
}

#[test]
fn via_way_restrictions_of_london_and_liechtenstein_equal_oracle() {
    // Real via-way restrictions (2 in central London, 6 in Liechtenstein), in a
    // left-hand and a right-hand country.
    let tmp = tempfile::tempdir().unwrap();
    for (file, side) in [
        ("london-center.osm.pbf", hexmatrix_graph::DrivingSide::Left),
        (
            "liechtenstein-latest.osm.pbf",
            hexmatrix_graph::DrivingSide::Right,
        ),
    ] {
        let Some(src) = hexmatrix_osm::fixture::shared_dataset(file) else {
            return;
        };
        let dir = tmp.path().join(file);
        let s = util::build(&src, "car", &dir);
        assert!(s.restrictions.via_way > 0, "{file}: {s:?}");
        assert_eq!(s.driving_side, Some(side), "{file}");
        check_against_oracle(&dir, 10, 200, 5);
        let sources = via_way_starts(&dir);
        assert!(!sources.is_empty(), "{file}");
        check_sources_against_oracle(&dir, &sources);
    }
}

/// The tail node of the from edge of every via-way restriction path.
fn via_way_starts(dir: &Path) -> Vec<u32> {
    let column = |b: &arrow_array::RecordBatch, name: &str| {
        b.column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::UInt32Array>()
            .unwrap()
            .clone()
    };
    let read = |file: &str| {
        let f = std::fs::File::open(dir.join(file)).unwrap();
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let tails: Vec<u32> = read("edges.parquet")
        .iter()
        .flat_map(|b| column(b, "from").values().to_vec())
        .collect();
    // (path, position, edge) rows; a path of three edges or more has via ways.
    let mut rows: Vec<(u32, u32, u32)> = Vec::new();
    for b in read("restriction_paths.parquet") {
        let (p, pos, e) = (
            column(&b, "path"),
            column(&b, "position"),
            column(&b, "edge"),
        );
        rows.extend((0..b.num_rows()).map(|i| (p.value(i), pos.value(i), e.value(i))));
    }
    let mut starts: Vec<u32> = rows
        .iter()
        .filter(|r| r.1 == 0 && rows.iter().any(|x| x.0 == r.0 && x.1 >= 2))
        .map(|r| tails[r.2 as usize])
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// CH queries from each of `sources` to every graph node equal the oracle's.
fn check_sources_against_oracle(dir: &Path, sources: &[u32]) {
    let ch = ContractionHierarchy::load(&dir.join("graph.ch")).unwrap();
    let oracle = OracleGraph::from_dir(dir).unwrap();
    let mut q = ChQuery::new(&ch);
    for &s in sources {
        let truth = oracle.one_to_all(s);
        for (t, want) in truth.iter().enumerate() {
            let got = q.route(&ch, s, t as u32);
            assert_eq!(
                want.map(|(secs, _)| (secs * 1000.0).round() as u32),
                got.map(|(ms, _)| ms),
                "{s}->{t}"
            );
        }
    }
}

/// Issue 15: the main component is taken on the edge-based graph, so every pair
/// of main nodes has a route both ways, restrictions included (Heidelberg has a
/// service way its turn restrictions close; it was main on the road graph).
fn check_main_pairs_routable(dir: &Path, pairs: usize, seed: u64) {
    let ch = ContractionHierarchy::load(&dir.join("graph.ch")).unwrap();
    let nodes = read_nodes(dir).unwrap();
    let main: Vec<u32> = (0..nodes.in_main.len() as u32)
        .filter(|&v| nodes.in_main[v as usize])
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut q = ChQuery::new(&ch);
    for _ in 0..pairs {
        let s = main[rng.random_range(0..main.len())];
        let t = main[rng.random_range(0..main.len())];
        assert!(q.route(&ch, s, t).is_some(), "main {s} -> main {t}");
    }
}

#[test]
fn dense_centres_equal_oracle_and_main_pairs_route() {
    // Heidelberg's trapped service way (OSM 236819759) and the centres the OSRM
    // comparison covers (bench/osrm_compare.py).
    let tmp = tempfile::tempdir().unwrap();
    for (i, file) in [
        "heidelberg.osm.pbf",
        "porto-center.osm.pbf",
        "munich-center.osm.pbf",
        "baltimore.osm.pbf",
    ]
    .into_iter()
    .enumerate()
    {
        let Some(src) = hexmatrix_osm::fixture::shared_dataset(file) else {
            return;
        };
        let dir = tmp.path().join(file);
        util::build(&src, "car", &dir);
        if file.starts_with("heidelberg") {
            // The node Heidelberg's cell 891faad60bbffff snapped to, on the trapped way.
            let nodes = read_nodes(&dir).unwrap();
            let at = nodes.osm_id.iter().position(|&id| id == 2_447_897_078);
            assert_eq!(at.map(|v| nodes.in_main[v]), Some(false));
        }
        let seed = 10 + i as u64;
        assert_eq!(check_against_oracle(&dir, 10, 200, seed), 2000, "{file}");
        check_main_pairs_routable(&dir, 5000, seed);
    }
}
