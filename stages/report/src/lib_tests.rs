//! Reports on small matrices written here with Polars: every figure is checked
//! against values computed independently in plain Rust.

use std::fs::File;
use std::path::Path;

use h3o::{CellIndex, LatLng, Resolution};
use hexmatrix_contract::columns::{cells as cell_col, pairs as pair_col};
use hexmatrix_contract::{CELLS_FILE, CellStatus, MANIFEST_FILE, part_name};
use polars_core::prelude::*;
use polars_io::prelude::*;

use crate::{Error, ReportOptions, ReportSummary, Result, map};

/// The report of `dir` into `out` through the stage's entry point.
fn report(dir: &Path, run: Option<&Path>, out: &Path) -> Result<ReportSummary> {
    let opts = ReportOptions::new(dir.to_owned(), run.map(Path::to_owned), out.to_owned());
    crate::run(&opts, &hexmatrix_contract::Context::silent())
}

/// Haversine in plain Rust, the oracle of the Polars expression.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * crate::scan::EARTH_RADIUS_M * h.sqrt().asin()
}

/// Nearest-rank quantile of plain values, the oracle of the histograms.
fn nearest_rank(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

fn round_to(x: f64, width: f64) -> f64 {
    (x / width).round() * width
}

struct Spot {
    cell: CellIndex,
    at: (f64, f64),
    status: CellStatus,
}

fn cells() -> Vec<Spot> {
    // Six resolution-9 cells along a street in Valletta: four ok, one no_road,
    // one unroutable. Centres come from h3o, as the matrix stage writes them.
    let start = LatLng::new(35.8990, 14.5100).unwrap();
    (0..6)
        .map(|i| {
            let p = LatLng::new(start.lat(), start.lng() + 0.004 * f64::from(i)).unwrap();
            let cell = p.to_cell(Resolution::Nine);
            let c = LatLng::from(cell);
            let status = match i {
                4 => CellStatus::NoRoad,
                5 => CellStatus::Unroutable,
                _ => CellStatus::Ok,
            };
            Spot {
                cell,
                at: (c.lat(), c.lng()),
                status,
            }
        })
        .collect()
}

type Row = (u64, u64, Option<f32>, Option<f32>);

/// The 16 ordered pairs of the four ok cells: route distance 1.5 × the straight
/// line (whole metres), 10 m/s (durations in tenths of a second), except A→B
/// planted at 10 × the straight line (a missing bridge) and D→A without a route.
fn rows(cells: &[Spot]) -> Vec<Row> {
    let ok: Vec<&Spot> = cells
        .iter()
        .filter(|c| c.status == CellStatus::Ok)
        .collect();
    let mut rows = Vec::new();
    for (i, o) in ok.iter().enumerate() {
        for (j, d) in ok.iter().enumerate() {
            let straight = haversine(o.at, d.at);
            let factor = if (i, j) == (0, 1) { 10.0 } else { 1.5 };
            let dist = (straight * factor).round();
            let dur = (dist / 10.0 * 10.0).round() / 10.0;
            let (dist, dur) = if (i, j) == (3, 0) {
                (None, None)
            } else {
                (Some(dist as f32), Some(dur as f32))
            };
            rows.push((u64::from(o.cell), u64::from(d.cell), dist, dur));
        }
    }
    rows
}

fn write_parquet(path: &Path, mut df: DataFrame) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// Writes a matrix directory: cells.parquet, two parts (origin blocks of 2), manifest.
fn write_matrix(dir: &Path, cells: &[Spot], rows: &[Row], manifest_pairs: u64) {
    write_matrix_with(dir, cells, rows, 2, manifest_pairs);
}

/// Writes a matrix directory whose parts hold `block` origins each (`rows` sorted
/// by origin, every ok cell an origin), its manifest saying `manifest_pairs` pairs.
fn write_matrix_with(dir: &Path, cells: &[Spot], rows: &[Row], block: usize, manifest_pairs: u64) {
    let col_u64 = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
    let df = DataFrame::new_infer_height(vec![
        col_u64(
            cell_col::CELL,
            cells.iter().map(|c| u64::from(c.cell)).collect(),
        ),
        Column::new(
            cell_col::CELL_HEX.into(),
            cells.iter().map(|c| c.cell.to_string()).collect::<Vec<_>>(),
        ),
        Column::new(
            cell_col::LAT.into(),
            cells.iter().map(|c| c.at.0).collect::<Vec<_>>(),
        ),
        Column::new(
            cell_col::LON.into(),
            cells.iter().map(|c| c.at.1).collect::<Vec<_>>(),
        ),
        Column::new(
            cell_col::STATUS.into(),
            cells.iter().map(|c| c.status.as_str()).collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    write_parquet(&dir.join(CELLS_FILE), df);
    let count = |s: CellStatus| cells.iter().filter(|c| c.status == s).count();
    let mut parts = Vec::new();
    let ok = cells.iter().filter(|c| c.status == CellStatus::Ok).count();
    for (n, chunk) in rows.chunks(block * ok).enumerate() {
        let file = part_name(n as u64);
        let df = DataFrame::new_infer_height(vec![
            col_u64(pair_col::ORIGIN, chunk.iter().map(|r| r.0).collect()),
            col_u64(pair_col::DEST, chunk.iter().map(|r| r.1).collect()),
            Column::new(
                pair_col::DISTANCE_M.into(),
                chunk.iter().map(|r| r.2).collect::<Vec<_>>(),
            ),
            Column::new(
                pair_col::DURATION_S.into(),
                chunk.iter().map(|r| r.3).collect::<Vec<_>>(),
            ),
        ])
        .unwrap();
        write_parquet(&dir.join(&file), df);
        parts.push(
            serde_json::json!({"file": file, "block": n, "origins": block, "rows": chunk.len()}),
        );
    }
    let manifest = serde_json::json!({
        "stage": "matrix", "resolution": 9, "bbox": [14.50, 35.89, 14.54, 35.91],
        "max_duration_s": null, "origin_block_size": block,
        "cells": {"total": cells.len(), "ok": ok,
                  "no_road": count(CellStatus::NoRoad), "unroutable": count(CellStatus::Unroutable)},
        "pairs": manifest_pairs, "unreachable_pairs": rows.iter().filter(|r| r.3.is_none()).count(),
        "parts": parts,
        "some_future_field": true
    });
    std::fs::write(dir.join(MANIFEST_FILE), manifest.to_string()).unwrap();
}

#[test]
fn figures_match_a_plain_rust_oracle() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir, out) = (cells(), tmp.path().join("m"), tmp.path().join("report"));
    let rows = rows(&cells);
    write_matrix(&dir, &cells, &rows, 16);
    let s = report(&dir, None, &out).unwrap();

    assert_eq!(
        (
            s.cells.total,
            s.cells.ok,
            s.cells.no_road,
            s.cells.unroutable
        ),
        (6, 4, 1, 1)
    );
    assert_eq!((s.pairs, s.unreachable_pairs), (16, 1));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    // Routed pairs between different cells: 12 - 1 unreachable = 11.
    let routed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.0 != r.1 && r.3.is_some())
        .collect();
    assert_eq!(routed.len(), 11);
    let durations: Vec<f64> = routed.iter().map(|r| f64::from(r.3.unwrap())).collect();
    let distances: Vec<f64> = routed.iter().map(|r| f64::from(r.2.unwrap())).collect();
    let at = |c: u64| cells.iter().find(|x| u64::from(x.cell) == c).unwrap().at;
    let detours: Vec<f64> = routed
        .iter()
        .map(|r| f64::from(r.2.unwrap()) / haversine(at(r.0), at(r.1)))
        .collect();
    // Duration and distance: exact, the stored value of the nearest rank.
    for (got, values) in [
        (s.duration_s.unwrap(), &durations),
        (s.distance_m.unwrap(), &distances),
    ] {
        assert_eq!(got.count, 11);
        for (g, q) in [
            (got.p50, 0.5),
            (got.p90, 0.9),
            (got.p99, 0.99),
            (got.max, 1.0),
        ] {
            assert_eq!(g, nearest_rank(values, q), "q{q}");
        }
    }
    // The detour factor: binned, exact to half a bin of 0.001.
    let got = s.detour.unwrap();
    assert_eq!(got.count, 11);
    for (g, q) in [
        (got.p50, 0.5),
        (got.p90, 0.9),
        (got.p99, 0.99),
        (got.max, 1.0),
    ] {
        let want = round_to(nearest_rank(&detours, q), 0.001);
        assert!((g - want).abs() < 1e-9, "q{q}: got {g}, want {want}");
    }
    // The planted pair is the one with a detour factor of 10; the others are 1.5
    // (up to the rounding of distances to whole metres over a few hundred metres).
    assert!((s.detour.unwrap().max - 10.0).abs() <= 0.003);
    assert!((s.detour.unwrap().p90 - 1.5).abs() <= 0.003);

    assert_eq!(s.suspicious_pairs, 1);
    let p = &s.top_suspicious[0];
    assert_eq!(
        (p.origin, p.dest),
        (u64::from(cells[0].cell), u64::from(cells[1].cell))
    );
    assert_eq!(p.origin_hex, cells[0].cell.to_string());
    assert_eq!(p.dest_at, cells[1].at);
    let straight = haversine(cells[0].at, cells[1].at);
    assert!(
        (p.straight_m - straight).abs() < 1e-6,
        "{} vs {straight}",
        p.straight_m
    );
    assert!((p.detour - f64::from(rows[1].2.unwrap()) / straight).abs() < 1e-9);

    let md = std::fs::read_to_string(&s.report_path).unwrap();
    assert!(
        md.contains("- cells: 6 (4 ok, 1 no_road, 1 unroutable)"),
        "{md}"
    );
    assert!(md.contains("- pairs: 16, unreachable 1 (6.25 %)"), "{md}");
    assert!(
        md.contains(&format!("`{}` | `{}`", cells[0].cell, cells[1].cell)),
        "{md}"
    );
    assert!(!md.contains("## Stages"));
    let svg = std::fs::read_to_string(&s.map_path).unwrap();
    assert_eq!(map::hexagons_drawn(&svg), 18, "6 cells in 3 panels");
    // no temporary files left behind
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["access.parquet", "map.png", "map.svg", "report.md"]);
}

/// A graph directory beside the matrix, as `hexmatrix run` lays it out: a street
/// along the test cells (two residential segments) and a primary road across it,
/// with the columns of the graph stage's `nodes.parquet` and `edges.parquet`.
fn write_graph(dir: &Path, cells: &[Spot]) {
    let (lat, lon) = cells[0].at;
    let east = cells[3].at.1;
    let nodes = DataFrame::new_infer_height(vec![
        Column::new("node".into(), vec![0u32, 1, 2, 3, 4]),
        Column::new("osm_id".into(), vec![10i64, 11, 12, 13, 14]),
        Column::new("lat".into(), vec![lat, lat, lat, lat - 0.003, lat + 0.003]),
        Column::new(
            "lon".into(),
            vec![
                lon,
                f64::midpoint(lon, east),
                east,
                lon + 0.005,
                lon + 0.005,
            ],
        ),
        Column::new("component".into(), vec!["main"; 5]),
    ])
    .unwrap();
    write_parquet(&dir.join("nodes.parquet"), nodes);
    // both directions of the street, one direction of the primary road
    let edges = DataFrame::new_infer_height(vec![
        Column::new("from".into(), vec![0u32, 1, 1, 2, 3]),
        Column::new("to".into(), vec![1u32, 0, 2, 1, 4]),
        Column::new("way_id".into(), vec![1i64, 1, 1, 1, 2]),
        Column::new(
            "highway".into(),
            vec![
                "residential",
                "residential",
                "residential",
                "residential",
                "primary",
            ],
        ),
        Column::new("distance_m".into(), vec![1.0f64; 5]),
        Column::new("duration_s".into(), vec![1.0f64; 5]),
    ])
    .unwrap();
    write_parquet(&dir.join("edges.parquet"), edges);
}

/// Issue 14: the roads of the matrix's graph are drawn under the cells when the
/// graph directory is there, and the map is still drawn, without them, when it
/// is not; report.md says which. The PNG decodes at twice the SVG's size.
#[test]
fn issue_14_roads_under_the_cells_when_the_graph_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir) = (cells(), tmp.path().join("m"));
    write_matrix(&dir, &cells, &rows(&cells), 16);

    let without = report(&dir, None, &tmp.path().join("r0")).unwrap();
    let svg = std::fs::read_to_string(&without.map_path).unwrap();
    assert!(
        !svg.contains(r#"class="road""#) && !svg.contains(r##"<use href="#roads""##),
        "{svg}"
    );
    assert!(
        svg.contains(r#"class="scalebar""#),
        "a scale bar without roads too"
    );
    let md = std::fs::read_to_string(&without.report_path).unwrap();
    assert!(
        md.contains("No road underlay: ") && md.contains("graph-car"),
        "{md}"
    );
    assert!(matches!(
        without.underlay,
        crate::underlay::UnderlayStatus::Missing(_)
    ));

    write_graph(&tmp.path().join("graph-car"), &cells);
    let with = report(&dir, None, &tmp.path().join("r1")).unwrap();
    let svg = std::fs::read_to_string(&with.map_path).unwrap();
    // one path per class (primary, minor), defined once, placed in the three panels
    assert_eq!(svg.matches(r#"class="road""#).count(), 2, "{svg}");
    assert_eq!(svg.matches(r##"<use href="#roads""##).count(), 3, "{svg}");
    assert!(
        svg.find("<use ").unwrap() < svg.find(r##"fill="#4c9a2a""##).unwrap(),
        "the roads are under the cells"
    );
    // the street's two segments chain into one line (one move), the primary road is another
    let moves: usize = svg
        .split(r#"<path class="road""#)
        .skip(1)
        .map(|p| p.split("/>").next().unwrap().matches('M').count())
        .sum();
    assert_eq!(moves, 2, "{svg}");
    assert_eq!(
        svg.matches(r#"class="scalebar""#).count(),
        3,
        "one per panel"
    );
    let md = std::fs::read_to_string(&with.report_path).unwrap();
    assert!(
        md.contains("Grey lines: the roads of the graph `")
            && md.contains("from motorways down to service roads"),
        "{md}"
    );

    let png = std::fs::read(&with.png_path).unwrap();
    let img = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    let attr = |name: &str| -> u32 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        (img.width(), img.height()),
        (2 * attr("width"), 2 * attr("height"))
    );
}

#[test]
fn medians_per_origin_span_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir) = (cells(), tmp.path().join("m"));
    let rows = rows(&cells);
    write_matrix(&dir, &cells, &rows, 16);
    let m = crate::manifest::read_matrix_manifest(&dir).unwrap();
    let files = crate::scan::MatrixFiles {
        cells: dir.join(CELLS_FILE),
        parts: crate::manifest::part_paths(&m, &dir),
    };
    let access = crate::parts::scan(&files, 0, &crate::Counters::default())
        .unwrap()
        .access;
    let infos = crate::origins::cells_with_medians(&files, &access, 3).unwrap();
    assert_eq!(infos.len(), 6);
    for info in &infos {
        let mut d: Vec<f64> = rows
            .iter()
            .filter(|r| r.0 == info.cell && r.1 != r.0 && r.3.is_some())
            .map(|r| f64::from(r.3.unwrap()))
            .collect();
        d.sort_by(f64::total_cmp);
        let want = match d.len() {
            0 => None,
            n if n % 2 == 1 => Some(d[n / 2]),
            n => Some(f64::midpoint(d[n / 2 - 1], d[n / 2])),
        };
        assert_eq!(info.median_s, want, "cell {}", info.cell);
    }
    // D reaches two cells (D→A has no route): its median is their mean.
    assert!(infos[3].median_s.is_some());
}

#[test]
fn run_manifest_adds_the_stage_table() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir, out) = (cells(), tmp.path().join("m"), tmp.path().join("r"));
    write_matrix(&dir, &cells, &rows(&cells), 16);
    let run = tmp.path().join("run.json");
    std::fs::write(
        &run,
        serde_json::json!({"dataset": "t", "version": "t-1", "elapsed_s": 2.5, "stages": [
            {"stage": "matrix", "status": "ran", "counts": {"pairs": 16}, "elapsed_s": 1.25,
             "peak_rss_bytes": 3_145_728}]})
        .to_string(),
    )
    .unwrap();
    let s = report(&dir, Some(&run), &out).unwrap();
    let md = std::fs::read_to_string(s.report_path).unwrap();
    assert!(md.starts_with("# Matrix report: t t-1"), "{md}");
    assert!(
        md.contains("| matrix | ran | 1.25 | 3.0 | pairs=16 |"),
        "{md}"
    );
}

#[test]
fn a_manifest_that_disagrees_with_the_parts_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir) = (cells(), tmp.path().join("m"));
    write_matrix(&dir, &cells, &rows(&cells), 17);
    let s = report(&dir, None, &tmp.path().join("r")).unwrap();
    assert_eq!(s.pairs, 16);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("16 rows") && w.contains("17 pairs")),
        "{:?}",
        s.warnings
    );
    assert!(s.summary_lines.iter().any(|l| l.starts_with("warning: ")));
}

#[test]
fn an_incomplete_matrix_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir) = (cells(), tmp.path().join("m"));
    write_matrix(&dir, &cells, &rows(&cells), 16);
    std::fs::remove_file(dir.join(MANIFEST_FILE)).unwrap();
    let err = report(&dir, None, &tmp.path().join("r")).unwrap_err();
    assert!(
        matches!(err, Error::Manifest { .. }) && err.is_bad_input(),
        "{err}"
    );
    assert!(err.to_string().contains("is the matrix complete?"), "{err}");
    assert!(!tmp.path().join("r").exists());
}

#[test]
fn a_part_without_the_matrix_columns_is_a_query_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (cells, dir) = (cells(), tmp.path().join("m"));
    write_matrix(&dir, &cells, &rows(&cells), 16);
    let df = DataFrame::new_infer_height(vec![Column::new("x".into(), vec![1u64])]).unwrap();
    write_parquet(&dir.join(part_name(1)), df);
    let err = report(&dir, None, &tmp.path().join("r")).unwrap_err();
    assert!(matches!(err, Error::Query { .. }), "{err}");
}

/// Median with the mean of the two middle values, by sorting: the oracle.
fn sorted_median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(f64::midpoint(v[n / 2 - 1], v[n / 2])),
    }
}

/// 37 resolution-9 cells around Valletta (two of them `no_road`) and every ordered
/// pair of the 35 ok ones: arbitrary float durations from 0 to ~80 min (ties and
/// a few pairs without a route included), in parts of 4 origins.
fn big_matrix() -> (Vec<Spot>, Vec<Row>) {
    let centre = LatLng::new(35.8990, 14.5130)
        .unwrap()
        .to_cell(Resolution::Nine);
    let mut disk: Vec<CellIndex> = centre.grid_disk(3);
    disk.sort_unstable();
    let spots: Vec<Spot> = disk
        .iter()
        .enumerate()
        .map(|(i, &cell)| {
            let c = LatLng::from(cell);
            Spot {
                cell,
                at: (c.lat(), c.lng()),
                status: if i % 17 == 5 {
                    CellStatus::NoRoad
                } else {
                    CellStatus::Ok
                },
            }
        })
        .collect();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as f64 / f64::from(1u32 << 31)
    };
    let ok: Vec<&Spot> = spots
        .iter()
        .filter(|s| s.status == CellStatus::Ok)
        .collect();
    let mut rows = Vec::new();
    for o in &ok {
        for d in &ok {
            let (o_id, d_id) = (u64::from(o.cell), u64::from(d.cell));
            let r = next();
            let row = if o_id == d_id {
                (Some(0.0), Some(0.0))
            } else if r < 0.03 {
                (None, None)
            } else if r < 0.10 {
                (Some(1234.0), Some(600.0)) // ties
            } else {
                let dist = haversine(o.at, d.at) * (1.2 + 3.0 * next());
                (Some(dist as f32), Some((next() * 4800.0) as f32))
            };
            rows.push((o_id, d_id, row.0, row.1));
        }
    }
    (spots, rows)
}

#[test]
fn exact_quantiles_and_access_match_sorting_every_value() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("m"), tmp.path().join("r"));
    let (spots, rows) = big_matrix();
    write_matrix_with(&dir, &spots, &rows, 4, rows.len() as u64);
    let s = report(&dir, None, &out).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        std::fs::read_dir(dir.join("matrix")).unwrap().count(),
        9,
        "35 origins in parts of 4"
    );

    let routed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.0 != r.1 && r.2.is_some() && r.3.is_some())
        .collect();
    let durations: Vec<f64> = routed.iter().map(|r| f64::from(r.3.unwrap())).collect();
    let distances: Vec<f64> = routed.iter().map(|r| f64::from(r.2.unwrap())).collect();
    for (got, values) in [
        (s.duration_s.unwrap(), &durations),
        (s.distance_m.unwrap(), &distances),
    ] {
        assert_eq!(got.count, values.len() as u64);
        let want = [0.5, 0.9, 0.99, 1.0].map(|q| nearest_rank(values, q));
        assert_eq!([got.p50, got.p90, got.p99, got.max], want);
    }
    let md = std::fs::read_to_string(&s.report_path).unwrap();
    let d = s.duration_s.unwrap();
    let line = format!(
        "- duration s: p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}",
        d.p50, d.p90, d.p99, d.max
    );
    assert!(md.contains(&line), "{line}\n{md}");

    // access.parquet against brute force over every row.
    let df = ParquetReader::new(File::open(&s.access_path).unwrap())
        .finish()
        .unwrap();
    let ok: Vec<u64> = spots
        .iter()
        .filter(|c| c.status == CellStatus::Ok)
        .map(|c| u64::from(c.cell))
        .collect();
    assert_eq!(df.height(), ok.len());
    let col_u64 = |name: &str| -> Vec<u64> {
        let c = df.column(name).unwrap().cast(&DataType::UInt64).unwrap();
        c.u64().unwrap().iter().map(Option::unwrap).collect()
    };
    let col_f64 = |name: &str| -> Vec<Option<f64>> {
        df.column(name).unwrap().f64().unwrap().iter().collect()
    };
    let cells = col_u64("cell");
    let hex: Vec<String> = df
        .column("cell_hex")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|h| h.unwrap().to_owned())
        .collect();
    let (from, to) = (col_f64("median_from_s"), col_f64("median_to_s"));
    for (i, &cell) in cells.iter().enumerate() {
        assert!(ok.contains(&cell));
        assert_eq!(hex[i], CellIndex::try_from(cell).unwrap().to_string());
        let out_d: Vec<f64> = routed
            .iter()
            .filter(|r| r.0 == cell)
            .map(|r| f64::from(r.3.unwrap()))
            .collect();
        let in_d: Vec<f64> = routed
            .iter()
            .filter(|r| r.1 == cell)
            .map(|r| f64::from(r.3.unwrap()))
            .collect();
        assert_eq!(from[i], sorted_median(&out_d), "from {cell}");
        assert_eq!(to[i], sorted_median(&in_d), "to {cell}");
        for m in crate::access::THRESHOLDS_MIN {
            let want = 1 + out_d.iter().filter(|&&v| v <= f64::from(m * 60)).count();
            let reach = col_u64(&crate::access::reach_column(m))[i];
            assert_eq!(reach, want as u64, "{cell} within {m} min");
            let share = col_f64(&crate::access::share_column(m))[i].unwrap();
            assert!((share - want as f64 / ok.len() as f64).abs() < 1e-12);
        }
    }
    // The thresholds tell cells apart: some cell misses some others within 15 min.
    let r15 = col_u64(&crate::access::reach_column(15));
    assert!(r15.iter().any(|&r| r < ok.len() as u64));
}

#[test]
fn issue_14_one_pass_and_two_passes_give_the_same_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let (spots, rows) = big_matrix();
    write_matrix_with(&dir, &spots, &rows, 4, rows.len() as u64);
    let m = crate::manifest::read_matrix_manifest(&dir).unwrap();
    let files = crate::scan::MatrixFiles {
        cells: dir.join(CELLS_FILE),
        parts: crate::manifest::part_paths(&m, &dir),
    };
    let scan =
        |nth| crate::parts::scan_sampled(&files, 5, &crate::Counters::default(), nth).unwrap();
    // The whole matrix as the sample: every answer lies in its window.
    let one = scan(1);
    assert!(!one.second_pass);
    assert!(one.kept_for_medians > 0);
    // One row per part as the sample: most destinations have no window.
    let two = scan(usize::MAX);
    assert!(two.second_pass);
    assert_eq!(one.pairs, two.pairs);
    assert_eq!(one.access, two.access);
    assert_eq!(one.suspicious, two.suspicious);
    let default = scan(16);
    assert_eq!((default.pairs, default.access), (one.pairs, one.access));
}
