//! End-to-end runs of [`Prepared`] on hand-made hierarchies, read back from Parquet.

use std::collections::HashMap;
use std::fs::File;

use arrow_array::Array as _;
use arrow_array::cast::AsArray as _;
use arrow_array::types::{Float32Type, Float64Type, UInt32Type, UInt64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;
use crate::snap::Snapper;
use crate::testgraph::TestGraph;
use hexmatrix_contract::DurationLimit;

const SIDE: usize = 12;

/// Graph node `i` sits on a grid of ~450 m steps from (14.46, 35.86).
fn coords(n: usize) -> (Vec<f64>, Vec<f64>) {
    let lat = (0..n).map(|i| 35.86 + (i / SIDE) as f64 * 0.004).collect();
    let lon = (0..n).map(|i| 14.46 + (i % SIDE) as f64 * 0.005).collect();
    (lat, lon)
}

fn options(out: &Path) -> MatrixOptions {
    MatrixOptions {
        graph_dir: PathBuf::from("test-graph"),
        bbox: Bbox::new(14.46, 35.86, 14.515, 35.92).unwrap(),
        resolution: h3o::Resolution::Nine,
        output_dir: out.to_owned(),
        max_duration: None,
        snap_radius_m: Some(300.0),
        origin_block_size: Some(7),
    }
}

fn roads<'a>(
    lat: &'a [f64],
    lon: &'a [f64],
    in_main: &'a [bool],
    segments: &'a [(u32, u32)],
) -> Roads<'a> {
    Roads {
        lat,
        lon,
        in_main,
        segments,
    }
}

/// The fields of an Arrow schema as `name Type`, `?` after a nullable one.
fn arrow_fields(schema: &arrow_schema::Schema) -> String {
    let fields: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            let null = if f.is_nullable() { "?" } else { "" };
            format!("{} {}{null}", f.name(), f.data_type())
        })
        .collect();
    fields.join(", ")
}

struct CellsFile {
    status: HashMap<u64, String>,
    node: HashMap<u64, u32>,
}

fn read_cells(dir: &Path) -> CellsFile {
    let file = File::open(dir.join(hexmatrix_contract::CELLS_FILE)).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(
        builder.parquet_schema().root_schema_ptr(),
        hexmatrix_contract::schema::cells_schema()
    );
    // What an Arrow reader sees: the types the contract documents (and Arrow wrote
    // before the writers went without it).
    assert_eq!(
        arrow_fields(builder.schema()),
        "cell UInt64, cell_hex Utf8, lat Float64, lon Float64, node UInt32?, \
         node_lat Float64?, node_lon Float64?, snap_m Float64?, status Utf8, \
         geometry Binary, node_geometry Binary?"
    );
    let reader = builder.build().unwrap();
    let (mut status, mut node) = (HashMap::new(), HashMap::new());
    for batch in reader {
        let b = batch.unwrap();
        let cell = b.column(0).as_primitive::<UInt64Type>();
        let hex = b.column(1).as_string::<i32>();
        let n = b.column(4).as_primitive::<UInt32Type>();
        let snap = b.column(7).as_primitive::<Float64Type>();
        let st = b.column(8).as_string::<i32>();
        for i in 0..b.num_rows() {
            assert_eq!(format!("{:x}", cell.value(i)), hex.value(i));
            status.insert(cell.value(i), st.value(i).to_owned());
            if st.value(i) == crate::cells::CellStatus::Ok.as_str() {
                node.insert(cell.value(i), n.value(i));
                assert!(snap.value(i) >= 0.0);
            } else {
                assert!(n.is_null(i));
            }
        }
    }
    CellsFile { status, node }
}

type Row = (u64, u64, Option<(f32, f32)>);

fn read_matrix(dir: &Path) -> (Vec<Row>, serde_json::Value) {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(hexmatrix_contract::MANIFEST_FILE)).unwrap(),
    )
    .unwrap();
    let mut rows = Vec::new();
    for part in manifest["parts"].as_array().unwrap() {
        let file = File::open(dir.join(part["file"].as_str().unwrap())).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(
            builder.parquet_schema().root_schema_ptr(),
            crate::schema::pairs_schema()
        );
        assert_eq!(
            arrow_fields(builder.schema()),
            "origin UInt64, dest UInt64, distance_m Float32?, duration_s Float32?"
        );
        let reader = builder.build().unwrap();
        let before = rows.len();
        for batch in reader {
            let batch = batch.unwrap();
            let origin = batch.column(0).as_primitive::<UInt64Type>();
            let dest = batch.column(1).as_primitive::<UInt64Type>();
            let metres = batch.column(2).as_primitive::<Float32Type>();
            let secs = batch.column(3).as_primitive::<Float32Type>();
            for i in 0..batch.num_rows() {
                assert_eq!(metres.is_null(i), secs.is_null(i));
                let route = (!metres.is_null(i)).then(|| (metres.value(i), secs.value(i)));
                rows.push((origin.value(i), dest.value(i), route));
            }
        }
        assert_eq!((rows.len() - before) as u64, part["rows"].as_u64().unwrap());
    }
    (rows, manifest)
}

fn check_against_oracle(
    g: &TestGraph,
    cells: &CellsFile,
    rows: &[Row],
    limit_s: Option<f64>,
) -> usize {
    let mut oracle_cache = HashMap::new();
    let mut nulls = 0;
    for &(o, d, route) in rows {
        let (no, nd) = (cells.node[&o], cells.node[&d]);
        let oracle = oracle_cache.entry(no).or_insert_with(|| g.oracle(no));
        let want = if no == nd {
            Some((0, 0.0))
        } else {
            oracle[nd as usize]
        };
        match (route, want) {
            (Some((m, s)), Some((ms, wm))) => {
                assert!(
                    (f64::from(s) - f64::from(ms) / 1000.0).abs() < 1e-3,
                    "{o:x}->{d:x}: {s} s vs {ms} ms"
                );
                assert!(
                    (f64::from(m) - wm).abs() < 1e-3 * wm.max(1.0),
                    "{o:x}->{d:x}: {m} m vs {wm}"
                );
                if let Some(l) = limit_s {
                    assert!(f64::from(ms) / 1000.0 <= l);
                }
            }
            (None, None) => nulls += 1,
            other => panic!("{o:x}->{d:x}: matrix vs oracle {other:?}"),
        }
    }
    nulls
}

#[test]
fn matrix_matches_dijkstra_and_the_contract() {
    let n = SIDE * SIDE;
    let g = TestGraph::random(n, 10, 5);
    let (lat, lon) = coords(n);
    let segs = Snapper::node_segments(n);
    let in_main: Vec<bool> = (0..n).map(|i| i % 17 != 3).collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("matrix");
    let prepared = Prepared::new(
        options(&out),
        g,
        roads(&lat, &lon, &in_main, &segs),
        Some("car".into()),
    )
    .unwrap();
    let counts = prepared.cell_counts();
    assert!(
        counts.ok > 20 && counts.no_road > 0 && counts.unroutable > 0,
        "{counts:?}"
    );
    assert_eq!(counts.total, counts.ok + counts.no_road + counts.unroutable);
    let counters = MatrixCounters::default();
    let g = TestGraph::random(n, 10, 5);
    let summary = prepared.run(&counters, &Context::silent()).unwrap();
    assert_eq!(
        counters.pairs.load(std::sync::atomic::Ordering::Relaxed),
        counts.ok * counts.ok
    );
    assert_eq!(summary.pairs, counts.ok * counts.ok);

    let cells = read_cells(&out);
    assert_eq!(cells.status.len() as u64, counts.total);
    let (rows, manifest) = read_matrix(&out);
    // One row per ordered pair of ok cells, sorted by origin then dest.
    let ok: Vec<u64> = {
        let mut v: Vec<u64> = cells.node.keys().copied().collect();
        v.sort_unstable();
        v
    };
    let expected: Vec<(u64, u64)> = ok
        .iter()
        .flat_map(|&o| ok.iter().map(move |&d| (o, d)))
        .collect();
    let got: Vec<(u64, u64)> = rows.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(got, expected);
    for r in &rows {
        if r.0 == r.1 {
            assert_eq!(r.2, Some((0.0, 0.0)));
        }
    }
    let nulls = check_against_oracle(&g, &cells, &rows, None);
    assert!(
        nulls > 0,
        "the random one-way graph should leave some pairs without a route"
    );
    assert_eq!(summary.unreachable_pairs, nulls as u64);
    // The manifest says what the files hold.
    assert_eq!(manifest["stage"], "matrix");
    assert_eq!(manifest["pairs"].as_u64().unwrap(), rows.len() as u64);
    assert_eq!(
        manifest["unreachable_pairs"].as_u64().unwrap(),
        nulls as u64
    );
    assert_eq!(manifest["origin_block_size"], 7);
    assert_eq!(manifest["cells"]["ok"].as_u64().unwrap(), counts.ok);
    assert_eq!(manifest["max_duration_s"], serde_json::Value::Null);
    assert_eq!(manifest["graph"]["profile"], "car");
    let parts = manifest["parts"].as_array().unwrap();
    assert_eq!(parts.len() as u64, counts.ok.div_ceil(7));
    assert_eq!(parts[1]["file"], "matrix/part-00001.parquet");
    // Nothing but the output directory is left beside it.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("matrix")]);
}

#[test]
fn duration_limit_leaves_out_slower_pairs_and_replaces_the_output() {
    let n = SIDE * SIDE;
    let (lat, lon) = coords(n);
    let in_main = vec![true; n];
    // Snap to the road segments of the graph rather than to nodes alone.
    let segs: Vec<(u32, u32)> = TestGraph::random(n, 0, 9)
        .edges
        .iter()
        .map(|e| (e.0, e.1))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    std::fs::create_dir_all(out.join("stale")).unwrap();
    let mut opts = options(&out);
    opts.max_duration = Some(DurationLimit::from_secs(150.0).unwrap());
    opts.origin_block_size = None;
    let g = TestGraph::random(n, 0, 9);
    let summary = Prepared::new(opts, g, roads(&lat, &lon, &in_main, &segs), None)
        .unwrap()
        .run(&MatrixCounters::default(), &Context::silent())
        .unwrap();
    assert!(!out.join("stale").exists());
    let g = TestGraph::random(n, 0, 9);
    let cells = read_cells(&out);
    let (rows, manifest) = read_matrix(&out);
    assert_eq!(manifest["max_duration_s"], 150.0);
    // The automatic block size cuts the matrix into MIN_BLOCKS parts.
    let size = block::default_block_size(cells.node.len());
    assert_eq!(manifest["origin_block_size"].as_u64().unwrap(), size as u64);
    assert_eq!(
        manifest["parts"].as_array().unwrap().len(),
        block::MIN_BLOCKS
    );
    assert_eq!(
        check_against_oracle(&g, &cells, &rows, Some(150.0)),
        0,
        "no nulls with a limit"
    );
    // Exactly the pairs the oracle finds within the limit are present.
    let ok: Vec<u64> = cells.node.keys().copied().collect();
    let mut within = 0;
    for &o in &ok {
        let oracle = g.oracle(cells.node[&o]);
        for &d in &ok {
            let nd = cells.node[&d];
            if nd == cells.node[&o] || oracle[nd as usize].is_some_and(|(ms, _)| ms <= 150_000) {
                within += 1;
            }
        }
    }
    assert_eq!(rows.len(), within);
    assert!(summary.beyond_limit_pairs > 0);
    assert_eq!(
        summary.pairs + summary.beyond_limit_pairs,
        (ok.len() * ok.len()) as u64
    );
}

#[test]
fn bad_options_are_refused() {
    let (lat, lon) = coords(4);
    let segs = Snapper::node_segments(4);
    let g = || TestGraph::random(4, 0, 1);
    let out = PathBuf::from("unused");
    let mut o = options(&out);
    o.snap_radius_m = Some(-1.0);
    assert!(matches!(
        Prepared::new(o, g(), roads(&lat, &lon, &[true; 4], &segs), None),
        Err(Error::Option { .. })
    ));
    // A zero or negative duration limit cannot even be built (DurationLimit).
    assert!(DurationLimit::from_secs(0.0).is_err());
}

/// Issue 11: warm identifies a matrix by content, which needs the same inputs to
/// give the same bytes, and the checksums in the manifest to be those of the files.
#[test]
fn issue_11_same_inputs_give_byte_identical_files_with_their_checksums() {
    let n = SIDE * SIDE;
    let (lat, lon) = coords(n);
    let in_main = vec![true; n];
    let segs = Snapper::node_segments(n);
    let tmp = tempfile::tempdir().unwrap();
    let dirs = [tmp.path().join("a/m"), tmp.path().join("b/other")];
    for out in &dirs {
        Prepared::new(
            options(out),
            TestGraph::random(n, 0, 5),
            roads(&lat, &lon, &in_main, &segs),
            None,
        )
        .unwrap()
        .run(&MatrixCounters::default(), &Context::silent())
        .unwrap();
    }
    let sha = |path: &Path| {
        let mut file = crate::writer::HashingFile::create(&tmp.path().join("scratch")).unwrap();
        std::io::Write::write_all(&mut file, &std::fs::read(path).unwrap()).unwrap();
        file.finish().unwrap()
    };
    let (_, manifest) = read_matrix(&dirs[0]);
    let cells_sum = manifest["cells_sha256"].as_str().unwrap();
    assert_eq!(
        cells_sum,
        sha(&dirs[0].join(hexmatrix_contract::CELLS_FILE))
    );
    assert_eq!(
        cells_sum,
        sha(&dirs[1].join(hexmatrix_contract::CELLS_FILE))
    );
    let parts = manifest["parts"].as_array().unwrap();
    assert!(parts.len() > 1);
    for part in parts {
        let file = part["file"].as_str().unwrap();
        let sum = part["sha256"].as_str().unwrap();
        assert_eq!(sum, sha(&dirs[0].join(file)), "{file}");
        assert_eq!(sum, sha(&dirs[1].join(file)), "{file} differs between runs");
    }
}
