//! The matrix directory as the warm stage reads it: `manifest.json` (its presence
//! means the matrix is complete), `cells.parquet` and the streamed
//! `matrix/part-NNNNN.parquet` files, read batch by batch with bounded memory.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, UInt64Type};
use arrow_array::{Array, Float32Array, RecordBatch, UInt64Array};
use arrow_schema::DataType;
pub use hexmatrix_contract::MatrixManifest;
use hexmatrix_contract::columns::{cells, pairs};
use hexmatrix_contract::{CELLS_FILE, CellStatus, MANIFEST_FILE};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::error::{Error, Result};

/// An opened, complete matrix directory.
#[derive(Debug, Clone)]
pub struct MatrixDir {
    dir: PathBuf,
    /// The parsed manifest.
    pub manifest: MatrixManifest,
    /// The manifest as JSON, embedded in the version manifest in Redis.
    pub manifest_json: serde_json::Value,
    /// What identifies the matrix a version was loaded from, by content
    /// ([`hexmatrix_contract::content_fingerprint`]): not the manifest's timings and
    /// paths, so a recomputed identical matrix is the same matrix.
    pub fingerprint: String,
}

/// One decoded batch of pairs.
#[derive(Debug, Clone)]
pub struct PairBatch {
    /// Origin cells.
    pub origin: UInt64Array,
    /// Destination cells.
    pub dest: UInt64Array,
    /// Distances in metres, null when unreachable.
    pub distance_m: Float32Array,
    /// Durations in seconds, null when unreachable.
    pub duration_s: Float32Array,
}

impl PairBatch {
    /// Number of pairs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.origin.len()
    }

    /// Whether the batch is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.origin.is_empty()
    }

    /// `(distance_m, duration_s)` of row `i`, `None` without a route.
    #[must_use]
    #[inline]
    pub fn route(&self, i: usize) -> Option<(f64, f64)> {
        if self.distance_m.is_null(i) || self.duration_s.is_null(i) {
            None
        } else {
            Some((
                f64::from(self.distance_m.value(i)),
                f64::from(self.duration_s.value(i)),
            ))
        }
    }
}

impl MatrixDir {
    /// Opens `dir`: reads and checks `manifest.json` and that every part exists.
    ///
    /// # Errors
    /// Missing or malformed manifest, or a listed part missing.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::Manifest {
                    path: path.clone(),
                    message: format!(
                        "not found: the matrix is missing or incomplete ({MANIFEST_FILE} is written last)"
                    ),
                }
            } else {
                Error::Io { path: path.clone(), source }
            }
        })?;
        let bad = |message: String| Error::Manifest {
            path: path.clone(),
            message,
        };
        let manifest_json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let manifest: MatrixManifest =
            serde_json::from_value(manifest_json.clone()).map_err(|e| bad(e.to_string()))?;
        if h3o::Resolution::try_from(manifest.resolution).is_err() {
            return Err(bad(format!(
                "resolution {} is not an H3 resolution",
                manifest.resolution
            )));
        }
        let rows = manifest.part_rows();
        if rows != manifest.pairs {
            return Err(bad(format!(
                "parts hold {rows} rows but pairs is {}",
                manifest.pairs
            )));
        }
        for part in &manifest.parts {
            let p = dir.join(&part.file);
            if !p.is_file() {
                return Err(bad(format!(
                    "part {} is listed but {} does not exist",
                    part.block,
                    p.display()
                )));
            }
        }
        let fingerprint =
            hexmatrix_contract::content_fingerprint(dir, &manifest).map_err(contract_error)?;
        Ok(Self {
            dir: dir.to_owned(),
            manifest,
            manifest_json,
            fingerprint,
        })
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of part `index` (position in the manifest's `parts`).
    #[must_use]
    pub fn part_path(&self, index: usize) -> PathBuf {
        self.dir.join(&self.manifest.parts[index].file)
    }

    /// The `ok` cells of `cells.parquet`, ascending.
    ///
    /// # Errors
    /// The file is missing or lacks the `cell`/`status` columns.
    pub fn ok_cells(&self) -> Result<Vec<u64>> {
        let path = self.dir.join(CELLS_FILE);
        let mut reader = open_reader(&path, &[cells::CELL, cells::STATUS], 8192)?;
        let mut cells = Vec::new();
        while let Some(batch) = isolated(&path, || Ok(reader.next()))? {
            let batch = batch.map_err(|e| Error::Parquet {
                path: path.clone(),
                source: e.into(),
            })?;
            let cell =
                column(&batch, &path, cells::CELL, &DataType::UInt64)?.as_primitive::<UInt64Type>();
            let status = column(&batch, &path, cells::STATUS, &DataType::Utf8)?.as_string::<i32>();
            for i in 0..batch.num_rows() {
                if !cell.is_null(i)
                    && status.is_valid(i)
                    && status.value(i) == CellStatus::Ok.as_str()
                {
                    cells.push(cell.value(i));
                }
            }
        }
        cells.sort_unstable();
        Ok(cells)
    }

    /// Streams part `index` in batches of about `batch_rows` pairs.
    ///
    /// # Errors
    /// The part cannot be opened or lacks a column.
    pub fn read_part(&self, index: usize, batch_rows: usize) -> Result<PartReader> {
        let path = self.part_path(index);
        let reader = open_reader(
            &path,
            &[
                pairs::ORIGIN,
                pairs::DEST,
                pairs::DISTANCE_M,
                pairs::DURATION_S,
            ],
            batch_rows,
        )?;
        Ok(PartReader {
            path,
            reader,
            failed: false,
        })
    }
}

/// Batches of one part file.
pub struct PartReader {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    /// Set after the decoder panicked: the reader's state is unknown, stop.
    failed: bool,
}

impl Iterator for PartReader {
    type Item = Result<PairBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let batch = match isolated(&self.path, || Ok(self.reader.next())) {
            Ok(batch) => batch?,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        };
        Some(
            batch
                .map_err(|e| Error::Parquet {
                    path: self.path.clone(),
                    source: e.into(),
                })
                .and_then(|b| {
                    let p = &self.path;
                    Ok(PairBatch {
                        origin: column(&b, p, pairs::ORIGIN, &DataType::UInt64)?
                            .as_primitive::<UInt64Type>()
                            .clone(),
                        dest: column(&b, p, pairs::DEST, &DataType::UInt64)?
                            .as_primitive::<UInt64Type>()
                            .clone(),
                        distance_m: column(&b, p, pairs::DISTANCE_M, &DataType::Float32)?
                            .as_primitive::<Float32Type>()
                            .clone(),
                        duration_s: column(&b, p, pairs::DURATION_S, &DataType::Float32)?
                            .as_primitive::<Float32Type>()
                            .clone(),
                    })
                }),
        )
    }
}

/// A Parquet file read so that damage fails fast: a range past the end is
/// refused before anything is allocated for it, and reading at the end is an
/// error. Through a plain `File`, a read at the end returns `Ok(0)`, which
/// parquet's page-header reader takes for "skipped" (it skips with `io::copy`):
/// a damaged header listing 2^31 doubles made one read call per double, hours
/// on a 9 kB file; and a column chunk whose footer size passes the end of the
/// file had a buffer of that size allocated before the read failed.
struct StrictFile {
    file: File,
    len: u64,
}

impl parquet::file::reader::Length for StrictFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for StrictFile {
    type T = StrictRead<std::io::BufReader<File>>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        use std::io::{Seek, SeekFrom};
        let left = self
            .len
            .checked_sub(start)
            .ok_or_else(|| past_end(start, 0, self.len))?;
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(start))?;
        Ok(StrictRead {
            inner: std::io::BufReader::new(file),
            left,
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        use std::io::{Read, Seek, SeekFrom};
        if start
            .checked_add(length as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(past_end(start, length, self.len));
        }
        let mut buffer = vec![0; length];
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buffer)?;
        Ok(buffer.into())
    }
}

fn past_end(start: u64, length: usize, len: u64) -> parquet::errors::ParquetError {
    parquet::errors::ParquetError::EOF(format!(
        "bytes {start}..{} are past the end of the {len}-byte file",
        start.saturating_add(length as u64)
    ))
}

/// A reader that stops at the end of the file with an error, not `Ok(0)`.
struct StrictRead<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for StrictRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = if want == 0 {
            0
        } else {
            self.inner.read(&mut buf[..want])?
        };
        if got == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "read past the end of the file",
            ));
        }
        self.left -= got as u64;
        Ok(got)
    }
}

/// Runs a step of the Parquet decoder, turning a panic into
/// [`Error::ParquetPanic`] naming the file: arrow and parquet panic on some
/// corrupt files (a null bitmap shorter than its page, for one) instead of
/// returning an error, and a damaged matrix must not end the process.
fn isolated<T>(path: &Path, step: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(Error::ParquetPanic {
            path: path.to_owned(),
            message,
        })
    })
}

/// The contract's errors as this crate's: the fingerprint only reads files.
fn contract_error(e: hexmatrix_contract::Error) -> Error {
    match e {
        hexmatrix_contract::Error::Io { path, source } => Error::Io { path, source },
        other => Error::Manifest {
            path: PathBuf::from(MANIFEST_FILE),
            message: other.to_string(),
        },
    }
}

fn open_reader(
    path: &Path,
    columns: &[&str],
    batch_rows: usize,
) -> Result<ParquetRecordBatchReader> {
    isolated(path, || open_reader_unisolated(path, columns, batch_rows))
}

fn open_reader_unisolated(
    path: &Path,
    columns: &[&str],
    batch_rows: usize,
) -> Result<ParquetRecordBatchReader> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let perr = |source| Error::Parquet {
        path: path.to_owned(),
        source,
    };
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(StrictFile { file, len }).map_err(perr)?;
    let schema = builder.schema().clone();
    for name in columns {
        if schema.field_with_name(name).is_err() {
            return Err(Error::Schema {
                path: path.to_owned(),
                message: format!("column {name} is missing"),
            });
        }
    }
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    builder
        .with_projection(mask)
        .with_batch_size(batch_rows.max(1))
        .build()
        .map_err(perr)
}

fn column<'a>(
    batch: &'a RecordBatch,
    path: &Path,
    name: &str,
    ty: &DataType,
) -> Result<&'a dyn Array> {
    let col = batch.column_by_name(name).ok_or_else(|| Error::Schema {
        path: path.to_owned(),
        message: format!("column {name} is missing"),
    })?;
    if col.data_type() == ty {
        Ok(col.as_ref())
    } else {
        Err(Error::Schema {
            path: path.to_owned(),
            message: format!(
                "column {name} is {} but the matrix contract says {ty}",
                col.data_type()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{MatrixSpec, write_matrix};
    use hexmatrix_contract::sha256_file;

    fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = dir.join(MANIFEST_FILE);
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edit(&mut m);
        std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    }

    /// Issue 11: the fingerprint was the SHA-256 of manifest.json, timings included.
    #[test]
    fn issue_11_fingerprint_is_content_not_manifest_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = MatrixSpec::default();
        let a = write_matrix(&tmp.path().join("a"), &spec).dir;
        let b = write_matrix(&tmp.path().join("b"), &spec).dir;
        edit_manifest(&b, |m| {
            m["elapsed_s"] = 12.5.into();
            m["graph"]["dir"] = "/somewhere/else".into();
        });
        let fa = MatrixDir::open(&a).unwrap().fingerprint;
        assert_eq!(fa, MatrixDir::open(&b).unwrap().fingerprint);
        // Checksums recorded by the matrix stage stand for hashing the files.
        let sums: Vec<String> = (0..MatrixDir::open(&b).unwrap().manifest.parts.len())
            .map(|i| sha256_file(&MatrixDir::open(&b).unwrap().part_path(i)).unwrap())
            .collect();
        let cells = sha256_file(&b.join(CELLS_FILE)).unwrap();
        edit_manifest(&b, |m| {
            m["cells_sha256"] = cells.into();
            for (part, sum) in m["parts"].as_array_mut().unwrap().iter_mut().zip(sums) {
                part["sha256"] = sum.into();
            }
        });
        assert_eq!(fa, MatrixDir::open(&b).unwrap().fingerprint);
        // Other content, another fingerprint.
        let other = MatrixSpec {
            tag: "other".into(),
            ..MatrixSpec::default()
        };
        let c = write_matrix(&tmp.path().join("c"), &other).dir;
        assert_ne!(fa, MatrixDir::open(&c).unwrap().fingerprint);
        edit_manifest(&b, |m| m["parts"][0]["sha256"] = "0".repeat(64).into());
        assert_ne!(fa, MatrixDir::open(&b).unwrap().fingerprint);
    }
}
