//! `examples/gateway.py`, the Python reference gateway, against caches that
//! `hexmatrix warm` loaded in both layouts: every answer it prints must be the
//! matrix's value read from Parquet, at the precision the layout stores.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use hexmatrix_warm::MatrixDir;
use hexmatrix_warm::fixture::{MatrixSpec, RedisServer, cell_centre, cells_around, write_matrix};

use crate::util::{self, hexmatrix, text};

const GATEWAY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/gateway.py");

/// Whether `python3` can import `redis` and `h3` v4 (see [`util::python_ready`]).
fn python_ready() -> bool {
    util::python_ready(
        "import redis, h3; assert h3.__version__.startswith('4.'), h3.__version__",
        "examples/requirements.txt",
    )
}

/// Every `(origin, dest)` of the matrix with its `(distance_m, duration_s)`, from the Parquet parts.
fn oracle(dir: &Path) -> HashMap<(u64, u64), Option<(f64, f64)>> {
    let matrix = MatrixDir::open(dir).unwrap();
    let mut pairs = HashMap::new();
    for part in 0..matrix.manifest.parts.len() {
        for batch in matrix.read_part(part, 4096).unwrap() {
            let batch = batch.unwrap();
            for i in 0..batch.len() {
                let key = (batch.origin[i], batch.dest[i]);
                pairs.insert(key, batch.route(i));
            }
        }
    }
    pairs
}

/// `(status, distance, duration)` the cache must give for a pair, distance and
/// duration in the stored units: `tenths` of a metre or whole metres, tenths of a second.
fn expected(
    route: Option<&Option<(f64, f64)>>,
    max_duration_s: f64,
    rows: bool,
    metre_tenths: bool,
) -> (&'static str, Option<(i64, i64)>) {
    match route {
        None => ("miss", None),
        Some(None) => ("no_route", None),
        Some(Some((_, dur))) if *dur > max_duration_s => {
            (if rows { "beyond_max_duration" } else { "miss" }, None)
        }
        Some(Some((dist, dur))) => {
            let dist = if metre_tenths {
                (dist * 10.0).round()
            } else {
                dist.round()
            };
            ("route", Some((dist as i64, (dur * 10.0).round() as i64)))
        }
    }
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario: load both layouts, then the same lookups through the Python gateway"
)]
fn python_gateway_reads_rows_and_pairs() {
    if !python_ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let spec = MatrixSpec {
        unreachable_every: 5,
        ..MatrixSpec::default()
    };
    let m = write_matrix(&tmp.path().join("matrix"), &spec);
    let matrix = oracle(&m.dir);
    // Six drivable cells, one of them twice (origin = destination), and a cell
    // without road (not in the matrix).
    let no_road = cells_around(spec.ok_cells + spec.no_road_cells, spec.resolution)
        .into_iter()
        .find(|c| m.cells.binary_search(c).is_err())
        .unwrap();
    let cells: Vec<u64> = [&m.cells[..6], &[m.cells[2], no_road]].concat();
    let points: Vec<String> = cells
        .iter()
        .map(|&c| {
            let (lat, lon) = cell_centre(c);
            format!("{lat:.7},{lon:.7}")
        })
        .collect();
    // A duration limit halfway through the durations of these pairs, so some are beyond it.
    let mut durations: Vec<f64> = cells
        .iter()
        .flat_map(|&o| cells.iter().map(move |&d| (o, d)))
        .filter_map(|p| matrix.get(&p).copied().flatten().map(|r| r.1))
        .filter(|&d| d > 0.0)
        .collect();
    durations.sort_by(f64::total_cmp);
    let max_duration = format!("{:.0}", durations[durations.len() / 2]);
    let limit: f64 = max_duration.parse().unwrap();

    let server = RedisServer::start();
    let url = server.url();
    let matrix_dir = m.dir.to_str().unwrap();
    // (pointer key, extra warm arguments, rows layout, distances in tenths of a metre)
    let loads: [(&str, &[&str], bool, bool); 3] = [
        ("route:current", &[], false, true),
        (
            "route:text:current",
            &["--value-format", "text", "--key-template", "cluster"],
            false,
            false,
        ),
        ("route:rows:current", &["--layout", "rows"], true, false),
    ];
    for (n, (pointer, extra, rows, metre_tenths)) in loads.iter().enumerate() {
        let version = format!("v{n}");
        let mut args = vec![
            "warm",
            "--matrix",
            matrix_dir,
            "--redis",
            &url,
            "--version",
            &version,
            "--pointer-key",
            pointer,
            "--max-duration",
            &max_duration,
        ];
        args.extend_from_slice(extra);
        let warm = hexmatrix(&args);
        assert!(warm.status.success(), "{}", text(&warm));

        let out = Command::new("python3")
            .arg(GATEWAY)
            .args(["--redis", &url, "--pointer-key", pointer])
            .args(&points)
            .output()
            .unwrap();
        assert!(out.status.success(), "{pointer}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let answers: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect();
        let n_points = cells.len();
        assert_eq!(answers.len(), n_points * (n_points - 1), "{stdout}");

        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut k = 0;
        for (i, &o) in cells.iter().enumerate() {
            for (j, &d) in cells.iter().enumerate() {
                if i == j {
                    continue;
                }
                let a = &answers[k];
                k += 1;
                assert_eq!(a["origin_cell"], format!("{o:x}"), "{pointer}: {a}");
                assert_eq!(a["dest_cell"], format!("{d:x}"), "{pointer}: {a}");
                let (status, values) = expected(matrix.get(&(o, d)), limit, *rows, *metre_tenths);
                assert_eq!(a["status"], status, "{pointer}: {a}");
                *seen.entry(status).or_default() += 1;
                let got = values.map(|_| {
                    let (dist, dur) = (a["distance_m"].as_f64(), a["duration_s"].as_f64());
                    let dist = dist.unwrap_or_else(|| panic!("{pointer}: {a}"));
                    let dur = dur.unwrap_or_else(|| panic!("{pointer}: {a}"));
                    let dist = if *metre_tenths { dist * 10.0 } else { dist };
                    (dist.round() as i64, (dur * 10.0).round() as i64)
                });
                assert_eq!(
                    got,
                    values,
                    "{pointer}: {a} vs the matrix {:?}",
                    matrix.get(&(o, d))
                );
            }
        }
        // Every kind of answer was met (the limit and spec above make sure of it).
        let kinds: &[&str] = if *rows {
            &["route", "no_route", "beyond_max_duration", "miss"]
        } else {
            &["route", "no_route", "miss"]
        };
        for kind in kinds {
            assert!(
                seen.contains_key(kind),
                "{pointer}: no {kind} among {seen:?}"
            );
        }
    }
}
