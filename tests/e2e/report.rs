//! `hexmatrix report` on the matrix of a real `hexmatrix run --no-warm` of the
//! bundled Valletta dataset: report.md carries the counts of the matrix manifest,
//! the map is a complete SVG with every cell over the run's roads, a PNG of it lies
//! beside it, access.parquet has a row per ok cell, and bad input exits 1 or 2 with a
//! message naming the file.

use polars_io::prelude::{ParquetReader, SerReader as _};

use crate::util::{hexmatrix, text, valletta};

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one Valletta run checked output by output: report.md, map, PNG, access table"
)]
fn report_on_a_valletta_run_has_the_manifest_counts_and_a_map() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let dataset = valletta();
    let out = hexmatrix(&[
        "run",
        dataset.to_str().unwrap(),
        "--no-warm",
        "--outputs",
        outputs.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let current = outputs.join("valletta/current");
    let matrix = current.join("matrix");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(matrix.join("manifest.json")).unwrap()).unwrap();
    let report_dir = tmp.path().join("report");
    let out = hexmatrix(&[
        "report",
        "--matrix",
        matrix.to_str().unwrap(),
        "--manifest",
        current.join("manifest.json").to_str().unwrap(),
        "--output",
        report_dir.to_str().unwrap(),
        "--top",
        "5",
    ]);
    let log = text(&out);
    assert!(out.status.success(), "{log}");

    let c = &m["cells"];
    let cells_line = format!(
        "cells: {} ({} ok, {} no_road, {} unroutable)",
        c["total"], c["ok"], c["no_road"], c["unroutable"]
    );
    let pairs_line = format!(
        "pairs: {}, unreachable {} (",
        m["pairs"], m["unreachable_pairs"]
    );
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    for line in [&cells_line, &pairs_line] {
        assert!(
            md.contains(line.as_str()),
            "report.md lacks {line:?}:\n{md}"
        );
        assert!(
            log.contains(line.as_str()),
            "the log lacks {line:?}:\n{log}"
        );
    }
    assert!(!md.contains("warning:"), "{md}");
    for section in [
        "## Quantiles",
        "## Suspicious pairs",
        "## Stages",
        "](map.svg)",
    ] {
        assert!(md.contains(section), "report.md lacks {section}:\n{md}");
    }
    // One row per stage of the run, with its time.
    for stage in ["| fetch |", "| crop |", "| graph |", "| matrix |"] {
        assert!(md.contains(stage), "report.md lacks {stage}:\n{md}");
    }
    // Real distances: a median route in Valletta is hundreds of metres to a few km.
    let dist = md
        .lines()
        .find(|l| l.starts_with("| distance (m) |"))
        .unwrap();
    let p50: f64 = dist.split('|').nth(3).unwrap().trim().parse().unwrap();
    assert!((300.0..10_000.0).contains(&p50), "{dist}");

    let svg = std::fs::read_to_string(report_dir.join("map.svg")).unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{}",
        &svg[..80]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    let total = c["total"].as_u64().unwrap() as usize;
    assert_eq!(
        hexagons_drawn(&svg),
        3 * total,
        "every cell in the three panels"
    );
    // Issue 14: the run's graph drawn under the cells of both panels, a scale bar
    // on each, and the PNG beside the SVG.
    assert!(
        svg.matches(r#"<path class="road""#).count() >= 2,
        "{}",
        &svg[..2000]
    );
    assert_eq!(svg.matches(r##"<use href="#roads""##).count(), 3);
    assert_eq!(svg.matches(r#"class="scalebar""#).count(), 3);
    assert!(
        md.contains("Grey lines: the roads of the graph `") && md.contains("graph-car`"),
        "{md}"
    );
    let png = std::fs::read(report_dir.join("map.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, twice the SVG's
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    let svg_dim = |name: &str| -> u32 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        (dim(16), dim(20)),
        (2 * svg_dim("width"), 2 * svg_dim("height"))
    );
    let mut names: Vec<String> = std::fs::read_dir(&report_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["access.parquet", "map.png", "map.svg", "report.md"]);
    // One accessibility row per ok cell; within 60 min a car crosses Valletta.
    let access =
        ParquetReader::new(std::fs::File::open(report_dir.join("access.parquet")).unwrap())
            .finish()
            .unwrap();
    assert_eq!(access.height() as u64, c["ok"].as_u64().unwrap());
    let share: Vec<f64> = access
        .column("share_60min")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .collect();
    assert!(share.iter().all(|&s| s > 0.5 && s <= 1.0), "{share:?}");
    assert_eq!(access.column("median_to_s").unwrap().null_count(), 0);
}

#[test]
fn report_on_a_directory_without_a_matrix_fails_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = hexmatrix(&[
        "report",
        "--matrix",
        tmp.path().to_str().unwrap(),
        "--output",
        tmp.path().join("r").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let log = text(&out);
    assert!(
        log.contains("manifest.json") && log.contains("is the matrix complete?"),
        "{log}"
    );
    assert!(!tmp.path().join("r").exists());
}

/// How many hexagons `svg` draws: a corner `M` per hexagon in the panels' cell
/// paths, and those of the shared `no_road` path once per panel that uses it.
fn hexagons_drawn(svg: &str) -> usize {
    let uses = svg.matches(r##"<use href="#no-road-cells""##).count();
    svg.split("<path ")
        .skip(1)
        .map(|p| p.split_once("/>").map_or(p, |(element, _)| element))
        .map(|p| match p {
            _ if p.starts_with(r#"id="no-road-cells""#) => p.matches('M').count() * uses,
            _ if p.starts_with(r#"class="cells""#) => p.matches('M').count(),
            _ => 0,
        })
        .sum()
}
