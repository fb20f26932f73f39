//! The matrix of real cities equals plain Dijkstra (the graph crate's oracle, turn
//! restrictions included) from sampled origins, and honours the file contract.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on bad fixtures"
)]
#![expect(
    clippy::many_single_char_names,
    reason = "short names for columns in a test"
)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::Array as _;
use arrow_array::cast::AsArray as _;
use arrow_array::types::{Float32Type, UInt32Type, UInt64Type};
use h3o::LatLng;
use hexmatrix_contract::CellStatus;
use hexmatrix_contract::Context;
use hexmatrix_graph::dijkstra::OracleGraph;
use hexmatrix_graph::{GraphOptions, Profile};
use hexmatrix_matrix::{MatrixCounters, MatrixOptions, prepare, resolution};
use hexmatrix_osm::Bbox;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

/// Crops a shared dataset with osmium (or takes it whole) and builds its car graph.
fn graph(dataset: &str, crop: Option<&str>, dir: &Path) -> Option<PathBuf> {
    let src = hexmatrix_osm::fixture::shared_dataset(dataset)?;
    let input = match crop {
        None => src,
        Some(bbox) => hexmatrix_osm::fixture::osmium_crop(dataset, bbox, dir)?,
    };
    let g = dir.join("graph");
    let opts = GraphOptions {
        input,
        profile: Profile::by_name("car").unwrap(),
        output_dir: g.clone(),
    };
    hexmatrix_graph::run(&opts, &Context::silent()).unwrap();
    Some(g)
}

struct Cells {
    all: Vec<u64>,
    node: HashMap<u64, u32>,
}

fn read_cells(dir: &Path) -> Cells {
    let file = File::open(dir.join(hexmatrix_contract::CELLS_FILE)).unwrap();
    let mut all = Vec::new();
    let mut node = HashMap::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        let b = batch.unwrap();
        let cell = b.column(0).as_primitive::<UInt64Type>();
        let n = b.column(4).as_primitive::<UInt32Type>();
        let status = b.column(8).as_string::<i32>();
        for i in 0..b.num_rows() {
            all.push(cell.value(i));
            assert_eq!(status.value(i) == CellStatus::Ok.as_str(), !n.is_null(i));
            if !n.is_null(i) {
                node.insert(cell.value(i), n.value(i));
            }
        }
    }
    Cells { all, node }
}

/// Runs the matrix of `bbox` at `res` on the graph in `g`, then checks it.
#[expect(
    clippy::too_many_lines,
    reason = "one check per property of the matrix, in the order of the files, reads best as one list"
)]
fn check_city(g: &Path, bbox: &str, res: u8, origins: usize, seed: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("matrix");
    let bbox: Bbox = bbox.parse().unwrap();
    let opts = MatrixOptions {
        graph_dir: g.to_owned(),
        bbox,
        resolution: resolution(res).unwrap(),
        output_dir: out.clone(),
        max_duration: None,
        snap_radius_m: None,
        origin_block_size: Some(64),
    };
    let prepared = prepare(opts).unwrap();
    let counts = prepared.cell_counts();
    assert!(counts.ok >= 20, "{counts:?}");
    let summary = prepared
        .run(&MatrixCounters::default(), &Context::silent())
        .unwrap();
    assert_eq!(summary.pairs, counts.ok * counts.ok);

    let cells = read_cells(&out);
    assert_eq!(cells.all.len() as u64, counts.total);
    assert!(cells.all.windows(2).all(|w| w[0] < w[1]));
    // Any point of the bbox falls in a listed cell.
    let mut rng = StdRng::seed_from_u64(seed);
    let r = h3o::Resolution::try_from(res).unwrap();
    for _ in 0..20_000 {
        let lon = rng.random_range(bbox.min_lon()..=bbox.max_lon());
        let lat = rng.random_range(bbox.min_lat()..=bbox.max_lat());
        let c = u64::from(LatLng::new(lat, lon).unwrap().to_cell(r));
        assert!(
            cells.all.binary_search(&c).is_ok(),
            "{lon},{lat} -> {c:x} missing"
        );
    }

    let mut ok: Vec<u64> = cells.node.keys().copied().collect();
    ok.sort_unstable();
    let index: HashMap<u64, usize> = ok.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let n = ok.len();
    let sampled: Vec<usize> = (0..origins).map(|_| rng.random_range(0..n)).collect();
    let mut rows_of: HashMap<usize, Vec<Option<(f32, f32)>>> =
        sampled.iter().map(|&o| (o, vec![None; n])).collect();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(hexmatrix_contract::MANIFEST_FILE)).unwrap(),
    )
    .unwrap();
    let mut previous = None;
    let mut seen_origin = vec![0usize; n];
    let mut seen_dest = vec![0usize; n];
    for part in manifest["parts"].as_array().unwrap() {
        let file = File::open(out.join(part["file"].as_str().unwrap())).unwrap();
        for batch in ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
        {
            let b = batch.unwrap();
            let (o, d) = (
                b.column(0).as_primitive::<UInt64Type>(),
                b.column(1).as_primitive::<UInt64Type>(),
            );
            let (m, s) = (
                b.column(2).as_primitive::<Float32Type>(),
                b.column(3).as_primitive::<Float32Type>(),
            );
            for i in 0..b.num_rows() {
                let key = (o.value(i), d.value(i));
                assert!(previous < Some(key), "rows out of order at {key:?}");
                previous = Some(key);
                let (oi, di) = (index[&key.0], index[&key.1]);
                seen_origin[oi] += 1;
                seen_dest[di] += 1;
                let route = (!s.is_null(i)).then(|| (m.value(i), s.value(i)));
                if oi == di {
                    assert_eq!(route, Some((0.0, 0.0)), "diagonal {:x}", key.0);
                }
                if let Some(row) = rows_of.get_mut(&oi) {
                    row[di] = route;
                }
            }
        }
    }
    assert!(
        seen_origin.iter().chain(&seen_dest).all(|&k| k == n),
        "every ok cell is origin and dest n times"
    );

    let oracle = OracleGraph::from_dir(g).unwrap();
    let mut reachable = 0;
    for (&oi, row) in &rows_of {
        let from = cells.node[&ok[oi]];
        let truth = oracle.one_to_all(from);
        for (di, got) in row.iter().enumerate() {
            let to = cells.node[&ok[di]];
            let want = if to == from {
                Some((0.0, 0.0))
            } else {
                truth[to as usize]
            };
            match (want, got) {
                (None, None) => {}
                (Some((secs, metres)), Some((m, s))) => {
                    reachable += 1;
                    assert!(
                        (f64::from(*s) - secs).abs() <= 1e-3 + 1e-6 * secs,
                        "{oi}->{di}: {s} s vs oracle {secs}"
                    );
                    assert!(
                        (f64::from(*m) - metres).abs() <= 1.0 + 1e-4 * metres,
                        "{oi}->{di}: {m} m vs oracle {metres}"
                    );
                }
                (a, b) => panic!("{oi}->{di}: oracle {a:?}, matrix {b:?}"),
            }
        }
    }
    assert!(
        reachable > origins * n / 2,
        "{reachable} reachable pairs checked"
    );
    assert_eq!(
        manifest["unreachable_pairs"].as_u64().unwrap(),
        summary.unreachable_pairs
    );
}

#[test]
fn monaco_matrix_equals_dijkstra() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = graph("monaco.osm.pbf", None, tmp.path()) else {
        return;
    };
    check_city(&g, "7.409,43.723,7.44,43.752", 9, 25, 1);
    check_city(&g, "7.409,43.723,7.44,43.752", 10, 10, 2);
}

#[test]
fn helsinki_matrix_equals_dijkstra() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = graph("helsinki-center.osm.pbf", None, tmp.path()) else {
        return;
    };
    check_city(&g, "24.9352,60.1642,24.9534,60.1791", 10, 25, 3);
}

#[test]
fn valletta_matrix_equals_dijkstra() {
    let tmp = tempfile::tempdir().unwrap();
    let bbox = "14.46,35.86,14.53,35.92";
    let Some(g) = graph("malta-latest.osm.pbf", Some(bbox), tmp.path()) else {
        return;
    };
    check_city(&g, bbox, 9, 25, 4);
}

#[test]
fn andorra_matrix_equals_dijkstra() {
    let tmp = tempfile::tempdir().unwrap();
    let bbox = "1.505,42.495,1.56,42.52";
    let Some(g) = graph("andorra-latest.osm.pbf", Some(bbox), tmp.path()) else {
        return;
    };
    check_city(&g, bbox, 9, 25, 5);
}
