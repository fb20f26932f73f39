//! Measures Parquet encodings for matrix parts: reads existing parts, re-encodes them
//! in memory with each candidate setting, and prints the encode CPU time (this thread's
//! time on a CPU, so a busy machine does not inflate it) and the size.
//! The figures behind `schema::matrix_properties` (README "Matrix writing").
//!
//!     cargo run --release -p hexmatrix-matrix --example part_encodings -- MATRIX_DIR [PARTS] [RUNS]

#![expect(clippy::print_stdout, reason = "a measuring tool prints its table")]

use std::path::PathBuf;

use arrow_array::RecordBatch;
use hexmatrix_contract::columns::pairs;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

/// One candidate: a name and its writer settings.
struct Candidate {
    name: &'static str,
    props: WriterProperties,
}

fn zstd(level: i32) -> Compression {
    Compression::ZSTD(ZstdLevel::try_new(level).unwrap_or_default())
}

fn base(compression: Compression) -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(compression)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_write_batch_size(8192)
}

/// Measures: no dictionary, byte-stream split, and `stats`.
fn measures(
    mut b: parquet::file::properties::WriterPropertiesBuilder,
    stats: EnabledStatistics,
) -> parquet::file::properties::WriterPropertiesBuilder {
    for c in [pairs::DISTANCE_M, pairs::DURATION_S] {
        let p = ColumnPath::from(c);
        b = b
            .set_column_dictionary_enabled(p.clone(), false)
            .set_column_encoding(p.clone(), Encoding::BYTE_STREAM_SPLIT)
            .set_column_statistics_enabled(p, stats);
    }
    b
}

/// Ids: `encoding` without dictionary (None keeps the dictionary).
fn ids(
    mut b: parquet::file::properties::WriterPropertiesBuilder,
    encoding: Option<Encoding>,
) -> parquet::file::properties::WriterPropertiesBuilder {
    if let Some(e) = encoding {
        for c in [pairs::ORIGIN, pairs::DEST] {
            let p = ColumnPath::from(c);
            b = b
                .set_column_dictionary_enabled(p.clone(), false)
                .set_column_encoding(p, e);
        }
    }
    b
}

fn candidates() -> Vec<Candidate> {
    let delta = Some(Encoding::DELTA_BINARY_PACKED);
    let chunk = EnabledStatistics::Chunk;
    let none = EnabledStatistics::None;
    let plain = Some(Encoding::PLAIN);
    vec![
        Candidate {
            name: "before: dictionary ids, zstd -1",
            props: measures(ids(base(zstd(-1)), None), chunk).build(),
        },
        Candidate {
            name: "delta ids, zstd -1",
            props: measures(ids(base(zstd(-1)), delta), chunk).build(),
        },
        Candidate {
            name: "now (matrix_properties): delta ids, no measure stats, zstd -1",
            props: hexmatrix_matrix::matrix_properties(),
        },
        Candidate {
            name: "delta ids, no measure stats, zstd 1",
            props: measures(ids(base(zstd(1)), delta), none).build(),
        },
        Candidate {
            name: "plain ids, zstd -1",
            props: measures(ids(base(zstd(-1)), plain), chunk).build(),
        },
        Candidate {
            name: "plain ids, no measure stats, zstd -1",
            props: measures(ids(base(zstd(-1)), plain), none).build(),
        },
        Candidate {
            name: "plain ids, zstd -3",
            props: measures(ids(base(zstd(-3)), plain), chunk).build(),
        },
        Candidate {
            name: "plain ids, zstd 1",
            props: measures(ids(base(zstd(1)), plain), chunk).build(),
        },
        Candidate {
            name: "plain ids, plain measures, zstd -1",
            props: {
                let mut b = ids(base(zstd(-1)), plain);
                for c in [pairs::DISTANCE_M, pairs::DURATION_S] {
                    b = b.set_column_dictionary_enabled(ColumnPath::from(c), false);
                }
                b.build()
            },
        },
        Candidate {
            name: "plain ids, 4 MiB pages, zstd -1",
            props: measures(ids(base(zstd(-1)), plain), chunk)
                .set_data_page_size_limit(4 << 20)
                .build(),
        },
    ]
}

/// Seconds this thread has run on a CPU (Linux schedstat): unlike wall time it does not
/// count waiting for a core, so figures taken on a busy machine stay comparable.
fn thread_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: f64 = stat
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    ns / 1e9
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: part_encodings MATRIX_DIR [PARTS] [RUNS]")?,
    );
    let parts: u64 = args.next().map_or(Ok(4), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |s| s.parse())?;

    let mut batches: Vec<Vec<RecordBatch>> = Vec::new();
    let mut rows = 0;
    let mut stored = 0;
    for i in 0..parts {
        let path = dir.join(hexmatrix_contract::part_name(i));
        stored += std::fs::metadata(&path)?.len();
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path)?)?
            .with_batch_size(1 << 17)
            .build()?;
        let part = reader.collect::<Result<Vec<_>, _>>()?;
        rows += part.iter().map(RecordBatch::num_rows).sum::<usize>();
        batches.push(part);
    }
    println!(
        "{parts} parts, {rows} rows, {stored} bytes on disk; {runs} runs, min / median encode CPU s"
    );
    println!("| setting | encode s min | median | ns/row | MB | size vs before |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut today = None;
    for c in candidates() {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..runs {
            let start = thread_cpu_s();
            size = 0;
            for part in &batches {
                let schema = part.first().ok_or("empty part")?.schema();
                let mut w = ArrowWriter::try_new(Vec::new(), schema, Some(c.props.clone()))?;
                for b in part {
                    w.write(b)?;
                }
                size += w.into_inner()?.len();
            }
            times.push(thread_cpu_s() - start);
        }
        times.sort_by(f64::total_cmp);
        let (min, median) = (times[0], times[times.len() / 2]);
        let base = *today.get_or_insert(size);
        #[expect(clippy::cast_precision_loss, reason = "a printed ratio")]
        let (ns_row, mb, ratio) = (
            min * 1e9 / rows as f64,
            size as f64 / 1e6,
            size as f64 / base as f64,
        );
        println!(
            "| {} | {min:.3} | {median:.3} | {ns_row:.1} | {mb:.1} | {ratio:.3} |",
            c.name
        );
    }
    Ok(())
}
