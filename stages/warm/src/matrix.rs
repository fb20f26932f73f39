//! The matrix directory as the warm stage reads it: `manifest.json` (its presence
//! means the matrix is complete), `cells.parquet` and the streamed
//! `matrix/part-NNNNN.parquet` files, read batch by batch with bounded memory.

use std::fs::File;
use std::path::{Path, PathBuf};

pub use hexmatrix_contract::MatrixManifest;
use hexmatrix_contract::columns::{cells, pairs};
use hexmatrix_contract::table::{ColumnStream, TableReader};
use hexmatrix_contract::{CELLS_FILE, CellStatus, MANIFEST_FILE};

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

/// One decoded batch of pairs, column by column.
#[derive(Debug, Clone, Default)]
pub struct PairBatch {
    /// Origin cells.
    pub origin: Vec<u64>,
    /// Destination cells.
    pub dest: Vec<u64>,
    /// Distances in metres (0 where there is no route).
    pub distance_m: Vec<f32>,
    /// Durations in seconds (0 where there is no route).
    pub duration_s: Vec<f32>,
    /// Whether the pair has a route: distance and duration both present.
    pub routed: Vec<bool>,
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
        self.routed[i].then(|| (f64::from(self.distance_m[i]), f64::from(self.duration_s[i])))
    }

    /// Whether every pair of the batch has a route.
    #[must_use]
    pub fn all_routed(&self) -> bool {
        self.routed.iter().all(|&r| r)
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
        let (cell, status) = isolated(&path, || {
            let table = open_table(&path)?;
            let err = |e| table_error(&path, e);
            Ok((
                table.column::<u64>(cells::CELL).map_err(err)?,
                table.text(cells::STATUS).map_err(err)?,
            ))
        })?;
        let ok = Some(CellStatus::Ok.as_str());
        let mut cells: Vec<u64> = cell
            .into_iter()
            .zip(status)
            .filter(|(_, s)| s.as_deref() == ok)
            .map(|(c, _)| c)
            .collect();
        cells.sort_unstable();
        Ok(cells)
    }

    /// Streams part `index` in batches of about `batch_rows` pairs.
    ///
    /// # Errors
    /// The part cannot be opened or lacks a column.
    pub fn read_part(&self, index: usize, batch_rows: usize) -> Result<PartReader> {
        let path = self.part_path(index);
        let table = isolated(&path, || open_table(&path))?;
        let mut reader = PartReader {
            path,
            table,
            group: 0,
            streams: None,
            batch_rows: batch_rows.max(1),
            failed: false,
        };
        // Opening the first row group checks the columns and their types now.
        isolated(&reader.path.clone(), || reader.open_group())?;
        Ok(reader)
    }
}

/// The four column streams of the row group being read.
struct PairStreams {
    origin: ColumnStream<u64>,
    dest: ColumnStream<u64>,
    distance_m: ColumnStream<f32>,
    duration_s: ColumnStream<f32>,
}

/// Batches of one part file, read row group by row group.
pub struct PartReader {
    path: PathBuf,
    table: TableReader<StrictFile>,
    /// The row group `streams` read (or the next one to open).
    group: usize,
    streams: Option<PairStreams>,
    batch_rows: usize,
    /// Set after the decoder panicked: the reader's state is unknown, stop.
    failed: bool,
}

impl PartReader {
    /// Opens the streams of row group `self.group`, or none past the last.
    fn open_group(&mut self) -> Result<()> {
        self.streams = None;
        if self.group >= self.table.row_groups() {
            return Ok(());
        }
        let err = |e| table_error(&self.path, e);
        let g = self.group;
        self.streams = Some(PairStreams {
            origin: self.table.stream(g, pairs::ORIGIN).map_err(err)?,
            dest: self.table.stream(g, pairs::DEST).map_err(err)?,
            distance_m: self.table.stream(g, pairs::DISTANCE_M).map_err(err)?,
            duration_s: self.table.stream(g, pairs::DURATION_S).map_err(err)?,
        });
        Ok(())
    }

    /// The next batch, `None` after the last row group.
    fn next_batch(&mut self) -> Result<Option<PairBatch>> {
        let mut batch = PairBatch::default();
        let (mut valid, mut distance_valid) = (Vec::new(), Vec::new());
        loop {
            let Some(streams) = self.streams.as_mut() else {
                return Ok(None);
            };
            let path = &self.path;
            let err = |e| table_error(path, e);
            let n = self.batch_rows;
            let rows = streams
                .origin
                .read_dense(n, &mut batch.origin, &mut valid)
                .map_err(err)?;
            let counts = [
                streams
                    .dest
                    .read_dense(n, &mut batch.dest, &mut valid)
                    .map_err(err)?,
                streams
                    .distance_m
                    .read_dense(n, &mut batch.distance_m, &mut distance_valid)
                    .map_err(err)?,
                streams
                    .duration_s
                    .read_dense(n, &mut batch.duration_s, &mut batch.routed)
                    .map_err(err)?,
            ];
            if counts.iter().any(|&c| c != rows) {
                return Err(Error::Schema {
                    path: self.path.clone(),
                    message: format!("row group {} has columns of different lengths", self.group),
                });
            }
            if rows > 0 {
                for (r, &d) in batch.routed.iter_mut().zip(&distance_valid) {
                    *r &= d;
                }
                return Ok(Some(batch));
            }
            self.group += 1;
            self.open_group()?;
        }
    }
}

impl Iterator for PartReader {
    type Item = Result<PairBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let path = self.path.clone();
        match isolated(&path, || self.next_batch()) {
            Ok(batch) => batch.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
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

/// Opens `path` through [`StrictFile`] for the contract's table reader.
fn open_table(path: &Path) -> Result<TableReader<StrictFile>> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    TableReader::new(path, StrictFile { file, len }).map_err(|e| table_error(path, e))
}

/// The contract table reader's errors as this crate's, naming `path`.
fn table_error(path: &Path, e: hexmatrix_contract::Error) -> Error {
    let path = path.to_owned();
    match e {
        hexmatrix_contract::Error::Parquet { source, .. } => Error::Parquet { path, source },
        hexmatrix_contract::Error::Io { source, .. } => Error::Io { path, source },
        hexmatrix_contract::Error::ColumnType {
            column, expected, ..
        } => Error::Schema {
            path,
            message: format!("column {column} is not {expected} as the matrix contract says"),
        },
        hexmatrix_contract::Error::MissingColumn { column, .. } => Error::Schema {
            path,
            message: format!("column {column} is missing"),
        },
        hexmatrix_contract::Error::Null { column, row, .. } => Error::Schema {
            path,
            message: format!("column {column} is null at row {row}, which the contract forbids"),
        },
        other => Error::Schema {
            path,
            message: other.to_string(),
        },
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
