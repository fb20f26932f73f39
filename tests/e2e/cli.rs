//! The binary starts, prints help and refuses unknown input.

use std::process::Command;

fn hexmatrix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
}

#[test]
fn help_lists_every_stage() {
    let out = hexmatrix().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for stage in ["crop", "graph", "matrix", "warm", "lookup"] {
        assert!(text.contains(stage), "--help lacks {stage}: {text}");
    }
}

#[test]
fn unknown_subcommand_fails() {
    let out = hexmatrix().arg("frobnicate").output().unwrap();
    assert!(!out.status.success());
}

/// Issue 11: dataset files were validated late: `name = "../.."` escaped outputs/,
/// a name Redis keys cannot hold failed only at warm, a bad profile after fetch and
/// crop ran. Every field is now checked before anything runs: exit 2 naming the file
/// and the field, and nothing written.
#[test]
fn issue_11_dataset_files_are_validated_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let region = tmp.path().join("region.osm.pbf");
    std::fs::write(&region, b"never read").unwrap();
    let good = [
        ("name", "\"valletta\""),
        ("region_url", "\"https://example.invalid/malta.osm.pbf\""),
        ("region_file", "\"region.osm.pbf\""),
        ("bbox", "[14.46, 35.86, 14.53, 35.92]"),
        ("resolution", "9"),
        ("profile", "\"car\""),
        ("max_duration_s", "1800"),
    ];
    let cases = [
        ("name", "\"../..\""),
        ("name", "\"\""),
        ("name", "\"Valletta\""),
        ("name", "\"a:b\""),
        ("name", "\"x{y}\""),
        ("name", "\"-dash-first\""),
        ("name", &format!("\"{}\"", "a".repeat(52))),
        ("profile", "\"bicycle\""),
        ("resolution", "12"),
        ("bbox", "[14.53, 35.86, 14.46, 35.92]"),
        ("bbox", "[14.46, 35.86, 14.53, 95.0]"),
        ("max_duration_s", "0"),
        ("max_duration_s", "-5"),
        ("max_duration_s", "nan"),
        ("cache_layout", "\"columns\""),
        ("region_url", "\"ftp://example.invalid/x.osm.pbf\""),
    ];
    for (field, value) in cases {
        let text: String = good
            .iter()
            .filter(|(k, _)| *k != field)
            .chain(std::iter::once(&(field, value)))
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        let file = tmp.path().join("bad.toml");
        std::fs::write(&file, &text).unwrap();
        let outputs = tmp.path().join("outputs");
        for args in [
            vec![
                "run",
                file.to_str().unwrap(),
                "--no-warm",
                "--outputs",
                outputs.to_str().unwrap(),
            ],
            vec![
                "fetch",
                file.to_str().unwrap(),
                "--outputs",
                outputs.to_str().unwrap(),
            ],
        ] {
            let out = crate::util::hexmatrix(&args);
            let said = crate::util::text(&out);
            assert_eq!(out.status.code(), Some(2), "{field} = {value}: {said}");
            assert!(
                said.contains(&file.display().to_string()) && said.contains(field),
                "{field} = {value}: the message names the file and the field: {said}"
            );
            assert!(
                !outputs.exists(),
                "{field} = {value}: nothing is written: {said}"
            );
        }
    }
    // The good file passes validation (and fails later on its fake region).
    let text = good
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let file = tmp.path().join("good.toml");
    std::fs::write(&file, text).unwrap();
    let out = crate::util::hexmatrix(&[
        "crop",
        "--dataset",
        file.to_str().unwrap(),
        "--output",
        tmp.path().join("c.pbf").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::util::text(&out));
    assert!(
        crate::util::text(&out).contains("region.osm.pbf"),
        "{}",
        crate::util::text(&out)
    );
}
