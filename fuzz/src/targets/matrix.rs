//! `matrix-dir` and `report`: matrix directories (`manifest.json`,
//! `cells.parquet`, `matrix/part-*.parquet`) in the matrix contract, written by
//! the warm crate's fixture, with a mutated manifest (values, types, keys, part
//! lists), Parquet files damaged byte by byte or rewritten with other columns
//! and types, or files missing. `matrix-dir` reads them as `warm` does
//! (`MatrixDir`), `report` as the report does (its manifest reader and Polars).

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
    UInt64Array,
};
use hexmatrix_contract::columns::{cells, pairs};
use hexmatrix_contract::{CELLS_FILE, CellStatus, MANIFEST_FILE, PARTS_DIR, part_name};
use hexmatrix_warm::fixture::{MatrixSpec, write_matrix};
use hexmatrix_warm::matrix::MatrixDir;
use parquet::arrow::ArrowWriter;
use serde_json::Value;

use crate::container::{pack, unpack};
use crate::engine::Target;
use crate::havoc::havoc;
use crate::rng::Rng;
use crate::targets::Setup;

/// Which reader a matrix target feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Warm,
    Report,
}

/// The matrix-directory targets.
#[derive(Debug)]
pub struct MatrixTarget {
    reader: Reader,
    seeds: Vec<Vec<u8>>,
    dir: PathBuf,
}

impl MatrixTarget {
    /// Fed to the warm stage's `MatrixDir`.
    #[must_use]
    pub fn warm(setup: &Setup) -> Self {
        Self::new(setup, Reader::Warm)
    }

    /// Fed to the report (manifest reader and Polars scans).
    #[must_use]
    pub fn report(setup: &Setup) -> Self {
        Self::new(setup, Reader::Report)
    }

    fn new(setup: &Setup, reader: Reader) -> Self {
        let name = match reader {
            Reader::Warm => "matrix-dir",
            Reader::Report => "report",
        };
        let mut seeds = Vec::new();
        for (i, (ok, no_road, block, every)) in
            [(12, 3, 4, 5), (7, 0, 16, 0)].into_iter().enumerate()
        {
            let dir = setup.scratch(&format!("{name}-seed-{i}"));
            let spec = MatrixSpec {
                ok_cells: ok,
                no_road_cells: no_road,
                origin_block_size: block,
                unreachable_every: every,
                ..MatrixSpec::default()
            };
            let _ = write_matrix(&dir, &spec);
            seeds.push(pack(&files_under(&dir)));
        }
        Self {
            reader,
            seeds,
            dir: setup.scratch(name),
        }
    }
}

/// Every file under `dir`, with paths relative to it, sorted.
fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("seed directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .expect("under the directory")
                    .to_string_lossy()
                    .into_owned();
                files.push((name, std::fs::read(&path).expect("seed file")));
            }
        }
    }
    files.sort();
    files
}

impl Target for MatrixTarget {
    fn name(&self) -> &'static str {
        match self.reader {
            Reader::Warm => "matrix-dir",
            Reader::Report => "report",
        }
    }

    fn about(&self) -> &'static str {
        match self.reader {
            Reader::Warm => {
                "matrix dirs with mutated manifest / Parquet files -> warm::MatrixDir (open, cells, parts)"
            }
            Reader::Report => {
                "matrix dirs with mutated manifest / Parquet files -> report::report_with (Polars)"
            }
        }
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let mut files = unpack(&self.seeds[rng.below(self.seeds.len())]);
        for _ in 0..=rng.below(2) {
            if files.is_empty() {
                break;
            }
            let i = rng.below(files.len());
            match rng.below(10) {
                0 => {
                    files.remove(i);
                }
                1 => {
                    // Another file's content under this name (a part that is the cells file).
                    let j = rng.below(files.len());
                    let content = files[j].1.clone();
                    files[i].1 = content;
                }
                _ if files[i].0 == MANIFEST_FILE => mutate_json(rng, &mut files[i].1),
                2..=4 => files[i].1 = odd_parquet(rng),
                _ => {
                    let other = files[rng.below(files.len())].1.clone();
                    havoc(rng, &mut files[i].1, &other);
                }
            }
        }
        pack(&files)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(&self.dir);
        let matrix = self.dir.join("matrix-dir");
        std::fs::create_dir_all(matrix.join(PARTS_DIR)).map_err(|e| e.to_string())?;
        for (name, data) in unpack(input) {
            let path = matrix.join(&name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, data).map_err(|e| e.to_string())?;
        }
        match self.reader {
            Reader::Warm => read_like_warm(&matrix).map_err(|e| e.to_string()),
            Reader::Report => hexmatrix_report::report_with(&hexmatrix_report::ReportOptions {
                matrix_dir: matrix.clone(),
                run_manifest: None,
                output_dir: self.dir.join("report"),
                top: 5,
                counters: hexmatrix_report::Counters::default(),
            })
            .map(|_| ())
            .map_err(|e| e.to_string()),
        }
    }
}

fn read_like_warm(dir: &std::path::Path) -> hexmatrix_warm::Result<()> {
    let m = MatrixDir::open(dir)?;
    let _cells = m.ok_cells()?;
    for part in 0..m.manifest.parts.len() {
        for batch in m.read_part(part, 256)? {
            let batch = batch?;
            for row in 0..batch.len() {
                let _ = batch.route(row);
            }
        }
    }
    Ok(())
}

/// Mutates a JSON document through its values, or its text.
fn mutate_json(rng: &mut Rng, text: &mut Vec<u8>) {
    let parsed: Option<Value> = serde_json::from_slice(text).ok();
    match parsed {
        Some(mut doc) if !rng.one_in(6) => {
            for _ in 0..=rng.below(3) {
                mutate_value(rng, &mut doc, 0);
            }
            *text = serde_json::to_vec(&doc).unwrap_or_default();
        }
        _ => havoc(rng, text, b"{\"parts\":[{\"file\":\"x\",\"rows\":1}]}"),
    }
}

fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => Value::from(rng.interesting()),
        1 => Value::from(-((rng.interesting() >> 1) as i64)),
        2 => Value::from(1e300 * if rng.one_in(2) { 1.0 } else { -1.0 }),
        3 => Value::from(0.5),
        4 => {
            let part = part_name(0);
            Value::from(*rng.pick(&[
                "",
                CELLS_FILE,
                part.as_str(),
                PARTS_DIR,
                "missing.parquet",
                MANIFEST_FILE,
            ]))
        }
        5 => Value::Null,
        6 => Value::Array(vec![]),
        7 => Value::from("x".repeat(1 << rng.below(16))),
        _ => serde_json::json!({}),
    }
}

fn mutate_value(rng: &mut Rng, v: &mut Value, depth: u32) {
    match v {
        Value::Object(map) if !map.is_empty() && depth < 6 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(6) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, odd_value(rng));
                }
                2 => {
                    map.insert("unknown_field".into(), odd_value(rng));
                }
                _ => {
                    if let Some(child) = map.get_mut(&key) {
                        mutate_value(rng, child, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() && depth < 6 => {
            let i = rng.below(items.len());
            match rng.below(5) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.push(copy);
                }
                2 => {
                    let j = rng.below(items.len());
                    items.swap(i, j);
                }
                _ => mutate_value(rng, &mut items[i], depth + 1),
            }
        }
        _ => *v = odd_value(rng),
    }
}

/// A valid Parquet file with columns named like the contract's but of random
/// types, lengths and nulls.
fn odd_parquet(rng: &mut Rng) -> Vec<u8> {
    const NAMES: [&str; 9] = [
        pairs::ORIGIN,
        pairs::DEST,
        pairs::DISTANCE_M,
        pairs::DURATION_S,
        cells::CELL,
        cells::STATUS,
        cells::LAT,
        cells::LON,
        cells::NODE,
    ];
    let rows = rng.below(300);
    let mut columns: Vec<(&str, ArrayRef)> = Vec::new();
    for name in NAMES {
        if rng.one_in(4) {
            continue;
        }
        let null = |rng: &mut Rng| rng.one_in(5);
        let array: ArrayRef = match rng.below(7) {
            0 => Arc::new(
                (0..rows)
                    .map(|_| (!null(rng)).then(|| rng.interesting()))
                    .collect::<UInt64Array>(),
            ),
            1 => Arc::new(
                (0..rows)
                    .map(|_| (!null(rng)).then(|| rng.interesting() as i64))
                    .collect::<Int64Array>(),
            ),
            2 => Arc::new(
                (0..rows)
                    .map(|_| {
                        (!null(rng))
                            .then(|| *rng.pick(&[0.0, -1.0, f32::NAN, f32::INFINITY, 1e30, 3.5]))
                    })
                    .collect::<Float32Array>(),
            ),
            3 => Arc::new(
                (0..rows)
                    .map(|_| {
                        (!null(rng)).then(|| *rng.pick(&[0.0, -91.0, f64::NAN, 1e300, 35.9, 14.5]))
                    })
                    .collect::<Float64Array>(),
            ),
            4 => Arc::new(
                (0..rows)
                    .map(|_| (!null(rng)).then(|| rng.interesting() as u32))
                    .collect::<UInt32Array>(),
            ),
            _ => Arc::new(
                (0..rows)
                    .map(|_| {
                        (!null(rng)).then(|| {
                            *rng.pick(&[
                                CellStatus::Ok.as_str(),
                                CellStatus::NoRoad.as_str(),
                                CellStatus::Unroutable.as_str(),
                                "",
                                "893f304edc3ffff",
                            ])
                        })
                    })
                    .collect::<StringArray>(),
            ),
        };
        columns.push((name, array));
    }
    let Ok(batch) = RecordBatch::try_from_iter(columns) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Ok(mut writer) = ArrowWriter::try_new(&mut out, batch.schema(), None) else {
        return Vec::new();
    };
    if writer.write(&batch).is_err() || writer.close().is_err() {
        return Vec::new();
    }
    out
}
