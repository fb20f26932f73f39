//! `hexmatrix matrix` on a real graph: files, manifest, limits and refusals.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hexmatrix_contract::Context;
use hexmatrix_graph::{GraphOptions, Profile};

fn hexmatrix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
}

fn datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets")
}

/// The car graph of the whole Monaco file, built with the graph crate.
pub(crate) fn monaco_graph(dir: &Path) -> Option<PathBuf> {
    let src = hexmatrix_osm::fixture::shared_dataset("monaco.osm.pbf")?;
    let g = dir.join("graph");
    let opts = GraphOptions {
        input: src,
        profile: Profile::by_name("car").expect("car profile"),
        output_dir: g.clone(),
    };
    hexmatrix_graph::run(&opts, &Context::silent()).expect("monaco graph builds");
    Some(g)
}

/// Runs `hexmatrix matrix` for the Monaco dataset on `graph` into `out`; it must succeed.
fn monaco_matrix_into(graph: &Path, out: &Path) {
    let dataset = datasets().join("monaco.toml");
    let o = matrix(&[
        "--graph",
        graph.to_str().unwrap(),
        "--dataset",
        dataset.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The Monaco dataset's matrix in `dir/matrix`, from [`monaco_graph`].
fn monaco_matrix(dir: &Path) -> Option<PathBuf> {
    let g = monaco_graph(dir)?;
    let out = dir.join("matrix");
    monaco_matrix_into(&g, &out);
    Some(out)
}

fn matrix(args: &[&str]) -> Output {
    hexmatrix()
        .arg("--progress")
        .arg("never")
        .arg("matrix")
        .args(args)
        .output()
        .expect("hexmatrix runs")
}

fn manifest(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json exists");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

#[test]
fn matrix_from_a_dataset_file_writes_the_contract_files() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let out = tmp.path().join("out/matrix");
    let dataset = datasets().join("monaco.toml");
    let o = matrix(&[
        "--graph",
        g.to_str().unwrap(),
        "--dataset",
        dataset.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{log}");
    assert!(log.contains("[matrix]") && log.contains("pairs/s"), "{log}");
    let m = manifest(&out);
    assert_eq!(m["stage"], "matrix");
    assert_eq!(m["resolution"], 9);
    assert_eq!(m["bbox"], serde_json::json!([7.409, 43.723, 7.44, 43.752]));
    assert_eq!(m["max_duration_s"], serde_json::Value::Null);
    assert_eq!(m["graph"]["profile"], "car");
    let ok = m["cells"]["ok"].as_u64().unwrap();
    assert!(ok > 50, "{m}");
    assert_eq!(m["pairs"].as_u64().unwrap(), ok * ok);
    assert!(m["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert!(out.join("cells.parquet").is_file());
    for part in m["parts"].as_array().unwrap() {
        assert!(out.join(part["file"].as_str().unwrap()).is_file(), "{part}");
    }
    // Only the output directory is left: no temporary directory beside it.
    let beside: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("matrix")]);
}

#[test]
fn flags_override_and_limit_the_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let out = tmp.path().join("m");
    let o = matrix(&[
        "--graph",
        g.to_str().unwrap(),
        "--bbox",
        "7.415,43.728,7.435,43.745",
        "--resolution",
        "10",
        "--max-duration",
        "120",
        "--snap-radius",
        "80",
        "--origin-block-size",
        "10",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&out);
    assert_eq!(m["resolution"], 10);
    assert_eq!(m["max_duration_s"], 120.0);
    assert_eq!(m["snap_radius_m"], 80.0);
    assert_eq!(m["origin_block_size"], 10);
    let ok = m["cells"]["ok"].as_u64().unwrap();
    let pairs = m["pairs"].as_u64().unwrap();
    let beyond = m["beyond_limit_pairs"].as_u64().unwrap();
    assert!(beyond > 0 && pairs + beyond == ok * ok, "{m}");
    assert_eq!(m["unreachable_pairs"], 0);
    assert_eq!(m["parts"].as_array().unwrap().len() as u64, ok.div_ceil(10));
}

#[test]
fn missing_bbox_bad_resolution_and_missing_graph_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let o = matrix(&["--graph", "nowhere", "--output", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--bbox"));
    let o = matrix(&[
        "--graph",
        "nowhere",
        "--bbox",
        "7.4,43.7,7.5,43.8",
        "--resolution",
        "12",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let o = matrix(&[
        "--graph",
        "nowhere",
        "--bbox",
        "7.4,43.7,7.5,43.8",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere"));
    assert!(!out.exists());
}

/// Issue 11: warm identified a matrix by the bytes of its manifest.json (timings,
/// paths), so a recomputed identical matrix was a "version conflict" every night
/// once outputs/ was lost.
#[test]
fn issue_11_identical_matrices_warm_as_one_version_without_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let dirs = [tmp.path().join("a/matrix"), tmp.path().join("b/elsewhere")];
    for out in &dirs {
        monaco_matrix_into(&g, out);
    }
    // The parts are byte-identical, the manifests are not (timings, graph path).
    assert_ne!(
        std::fs::read(dirs[0].join("manifest.json")).unwrap(),
        std::fs::read(dirs[1].join("manifest.json")).unwrap()
    );
    let server = hexmatrix_warm::fixture::RedisServer::start();
    let warm = |dir: &Path, extra: &[&str]| {
        crate::util::hexmatrix(
            &[
                &[
                    "warm",
                    "--matrix",
                    dir.to_str().unwrap(),
                    "--redis",
                    &server.url(),
                ],
                extra,
            ]
            .concat(),
        )
    };
    let mut versions = Vec::new();
    for dir in &dirs {
        let out = warm(dir, &[]);
        assert!(out.status.success(), "{}", crate::util::text(&out));
        versions.push(server.cli(&["get", "route:current"]));
    }
    assert_eq!(
        versions[0], versions[1],
        "the same content, the same default version"
    );
    assert_eq!(versions[0].len(), 12);
    // A version named by the caller, as `run` does: the second matrix is no conflict.
    for dir in &dirs {
        let out = warm(
            dir,
            &[
                "--version",
                "nightly",
                "--pointer-key",
                "route:monaco:current",
            ],
        );
        assert!(out.status.success(), "{}", crate::util::text(&out));
    }
    assert_eq!(server.cli(&["get", "route:monaco:current"]), "nightly");
}

/// Issue 11: nothing bounded the size of a matrix: a country-wide bbox at a fine
/// resolution (Vietnam at resolution 10: ≈8e7 cells) ran until memory or disk gave
/// out. It is refused from its estimate, before the graph is even read.
#[test]
fn issue_11_a_country_sized_bbox_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("matrix");
    let o = matrix(&[
        "--graph",
        tmp.path().join("no-graph-here").to_str().unwrap(),
        "--bbox",
        "102.14,8.18,109.46,23.39",
        "--resolution",
        "10",
        "--output",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("more than --max-cells 50000"), "{err}");
    assert!(
        err.contains("estimate for bbox 102.14,8.18,109.46,23.39"),
        "{err}"
    );
    assert!(
        !err.contains("reading graph"),
        "refused before the graph: {err}"
    );
    assert!(!out.exists());
}

#[test]
fn issue_11_max_cells_is_an_override_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let dataset = datasets().join("monaco.toml");
    let out = tmp.path().join("m");
    let run = |max: &str| {
        matrix(&[
            "--graph",
            g.to_str().unwrap(),
            "--dataset",
            dataset.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--max-cells",
            max,
        ])
    };
    let refused = run("10");
    assert_eq!(refused.status.code(), Some(2));
    assert!(!out.exists());
    let ok = run("1000000");
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    // The estimate is printed, and is close to what was covered.
    let said: u64 = err
        .split("about ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    let total = manifest(&out)["cells"]["total"].as_u64().unwrap();
    assert!(
        said.abs_diff(total) * 50 <= total,
        "estimated {said}, covered {total}"
    );
    assert!(err.contains("as rows"), "{err}");
}

/// `cells.parquet` is GeoParquet 1.1: GeoPandas opens it as a layer of hexagons in
/// WGS 84 without conversion, each hexagon holds its cell's centre and has an H3
/// cell's area, and the snapped-node points are exactly `node_lon`/`node_lat`.
#[test]
fn issue_14_cells_parquet_is_geoparquet_that_geopandas_reads() {
    const REQUIREMENTS: &str = "tests/requirements.txt";
    if !crate::util::python_ready("import geopandas, pyarrow", REQUIREMENTS) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(out) = monaco_matrix(tmp.path()) else {
        return;
    };
    let m = manifest(&out);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/geoparquet_check.py");
    let check = Command::new("python3")
        .arg(&script)
        .arg(out.join("cells.parquet"))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let found: serde_json::Value = serde_json::from_str(&stdout).expect("the check prints JSON");

    let total = m["cells"]["total"].as_u64().unwrap();
    let ok = m["cells"]["ok"].as_u64().unwrap();
    assert_eq!(found["rows"], total, "{found}");
    assert_eq!(found["geo_version"], "1.1.0");
    assert_eq!(found["primary"], "geometry");
    assert_eq!(found["active_geometry"], "geometry");
    assert_eq!(
        found["crs"], "OGC:CRS84",
        "no crs member: lon/lat on WGS 84"
    );
    assert_eq!(found["hexagon_types"], serde_json::json!(["Polygon"]));
    assert_eq!(found["all_valid"], true);
    // Six corners closed (seven points); a pentagon cannot occur in Monaco, and cells
    // crossing an icosahedron edge get extra vertices.
    assert!(
        found["vertices"].as_array().unwrap().contains(&7.into()),
        "{found}"
    );
    assert_eq!(
        found["centre_inside"], total,
        "every centre inside its hexagon"
    );
    // H3 resolution 9: 0.1053 km² on average over the globe; at Monaco's latitude
    // cells are near the average.
    let area = found["mean_area_m2"].as_f64().unwrap();
    assert!((90_000.0..120_000.0).contains(&area), "{found}");
    assert_eq!(found["node_crs"], "OGC:CRS84");
    assert_eq!(found["ok_rows"], ok);
    // A point wherever the centre snapped (ok and unroutable cells), null otherwise.
    assert!(found["snapped_rows"].as_u64().unwrap() >= ok, "{found}");
    assert_eq!(found["node_points"], found["snapped_rows"], "{found}");
    assert_eq!(found["node_types"], serde_json::json!(["Point"]));
    assert!(
        found["node_max_offset_deg"].as_f64().unwrap() == 0.0,
        "{found}"
    );
    let (bbox, meta) = (
        found["bbox"].as_array().unwrap(),
        found["meta_bbox"].as_array().unwrap(),
    );
    for (a, b) in bbox.iter().zip(meta) {
        assert!(
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9,
            "{found}"
        );
    }
}

/// The parts' encodings (README "Matrix writing") are read alike by DuckDB, Polars
/// and pyarrow, and what they read is what our own reader reads.
#[test]
fn issue_14_duckdb_polars_and_pyarrow_read_the_parts_alike() {
    if !crate::util::python_ready("import duckdb, polars, pyarrow", "tests/requirements.txt") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(out) = monaco_matrix(tmp.path()) else {
        return;
    };

    // Our reader (warm's) is the reference.
    let ours = hexmatrix_warm::MatrixDir::open(&out).unwrap();
    let (mut rows, mut nulls, mut origin, mut dest, mut distance, mut duration) =
        (0_u64, 0_u64, 0_u128, 0_u128, 0.0_f64, 0.0_f64);
    for part in 0..ours.manifest.parts.len() {
        for batch in ours.read_part(part, 4096).unwrap() {
            let batch = batch.unwrap();
            for i in 0..batch.len() {
                rows += 1;
                origin += u128::from(batch.origin[i]);
                dest += u128::from(batch.dest[i]);
                match batch.route(i) {
                    Some((d, t)) => {
                        distance += d;
                        duration += t;
                    }
                    None => nulls += 1,
                }
            }
        }
    }
    assert_eq!(rows, ours.manifest.pairs);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/parts_check.py");
    let check = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let found: serde_json::Value = serde_json::from_str(&stdout).expect("the check prints JSON");
    for reader in ["duckdb", "polars", "pyarrow"] {
        let figures = &found[reader];
        assert_eq!(figures["rows"], rows, "{reader}: {found}");
        assert_eq!(figures["null_durations"], nulls, "{reader}: {found}");
        let sum = |name: &str| figures[name].as_str().and_then(|s| s.parse::<u128>().ok());
        assert_eq!(sum("origin_sum"), Some(origin), "{reader}: {found}");
        assert_eq!(sum("dest_sum"), Some(dest), "{reader}: {found}");
        for (name, ours) in [("distance_sum", distance), ("duration_sum", duration)] {
            let theirs = figures[name].as_f64().unwrap();
            assert!(
                (theirs - ours).abs() <= 1.0,
                "{reader} {name}: {theirs} vs {ours}"
            );
        }
    }
}
