//! Parquet writers: `cells.parquet` in one go, matrix parts streamed row group by row
//! group straight into the parquet crate's column writers (no Arrow arrays between).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hexmatrix_contract::columns::cells;
use hexmatrix_contract::geo;
use hexmatrix_contract::table::{Column, write_table};
use parquet::basic::ZstdLevel;
use parquet::data_type::Int64Type;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnDescPtr;
use sha2::{Digest, Sha256};

use crate::chunk::{Chunk, DestChunks, FloatColumn};
use crate::error::{Error, Result};
use crate::schema;
use crate::snap::Snap;

/// One row of `cells.parquet`.
#[derive(Debug, Clone, Copy)]
pub struct CellRow {
    /// The H3 cell.
    pub cell: h3o::CellIndex,
    /// Cell centre latitude.
    pub lat: f64,
    /// Cell centre longitude.
    pub lon: f64,
    /// Where the centre snapped to.
    pub snap: Snap,
}

/// A file that hashes (SHA-256) every byte written to it: the checksum the manifest
/// records costs no second read of the file. Writes go out in blocks of
/// [`HashingFile::BUFFER`] bytes: the parquet writer hands over 8 KiB at a time, and a
/// system call per 8 KiB was a tenth of the part writer's time.
pub struct HashingFile {
    file: BufWriter<File>,
    hasher: Sha256,
}

impl HashingFile {
    /// Creates `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(Self {
            file: BufWriter::with_capacity(
                Self::BUFFER,
                File::create(path).map_err(Error::io(path))?,
            ),
            hasher: Sha256::new(),
        })
    }

    /// Bytes buffered before a write to the file.
    pub const BUFFER: usize = 1 << 20;

    /// Writes out what is buffered; returns the SHA-256 of everything written,
    /// lowercase hex.
    ///
    /// # Errors
    /// The I/O error of the last write.
    pub fn finish(self) -> std::io::Result<String> {
        self.file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        Ok(hexmatrix_contract::hex(&self.hasher.finalize()))
    }
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Writes `cells.parquet` at `path`, a GeoParquet file (hexagon and snapped node as WKB,
/// see [`hexmatrix_contract::geo`]); returns its SHA-256 (lowercase hex).
///
/// # Errors
/// [`Error::Io`] or [`Error::Parquet`] naming `path`, or [`Error::Column`] if the table is malformed.
pub fn write_cells(path: &Path, rows: &[CellRow]) -> Result<String> {
    let (mut hexagons_bbox, mut nodes_bbox) = (None, None);
    let mut ring = Vec::with_capacity(10);
    let mut hexagons = Vec::with_capacity(rows.len());
    let mut points = Vec::with_capacity(rows.len());
    for r in rows {
        ring.clear();
        ring.extend(r.cell.boundary().iter().map(|v| (v.lng(), v.lat())));
        for &(lon, lat) in &ring {
            geo::extend_bbox(&mut hexagons_bbox, lon, lat);
        }
        hexagons.push(Some(geo::wkb_polygon(&ring)));
        points.push(match (r.snap.node_lat, r.snap.node_lon) {
            (Some(lat), Some(lon)) => {
                geo::extend_bbox(&mut nodes_bbox, lon, lat);
                Some(geo::wkb_point(lon, lat))
            }
            _ => None,
        });
    }
    let ids: Vec<u64> = rows.iter().map(|r| u64::from(r.cell)).collect();
    let f64s = |f: fn(&CellRow) -> f64| rows.iter().map(f).collect::<Vec<_>>();
    let opt_f64s = |f: fn(&CellRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let nodes: Vec<Option<u32>> = rows.iter().map(|r| r.snap.node).collect();
    let columns = [
        Column::required(cells::CELL, &ids),
        Column::text(cells::CELL_HEX, rows.iter().map(|r| r.cell.to_string())),
        Column::required(cells::LAT, &f64s(|r| r.lat)),
        Column::required(cells::LON, &f64s(|r| r.lon)),
        Column::optional(cells::NODE, &nodes),
        Column::optional(cells::NODE_LAT, &opt_f64s(|r| r.snap.node_lat)),
        Column::optional(cells::NODE_LON, &opt_f64s(|r| r.snap.node_lon)),
        Column::optional(cells::SNAP_M, &opt_f64s(|r| r.snap.snap_m)),
        Column::text(cells::STATUS, rows.iter().map(|r| r.snap.status.as_str())),
        Column::binary(cells::GEOMETRY, hexagons, false),
        Column::binary(cells::NODE_GEOMETRY, points, true),
    ];
    let metadata = vec![KeyValue::new(
        geo::GEO_METADATA_KEY.to_owned(),
        geo::cells_geo_metadata(hexagons_bbox, nodes_bbox),
    )];
    let file = HashingFile::create(path)?;
    // The footer is written before the sink comes back, so its hash is complete.
    let file = write_table(path, file, &columns, schema::cells_properties(), metadata)
        .map_err(Error::table(path))?;
    file.finish().map_err(Error::io(path))
}

/// A matrix part being written: rows are appended origin by origin (in ascending
/// origin order, each with its destinations in ascending order), staged as the
/// columns' stored values, and written as one row group every
/// [`schema::ROW_GROUP_ROWS`] rows, column after column. Without a duration limit
/// every origin has a row for every cell, so `dest` is not staged: its chunk comes
/// from [`DestChunks`].
pub struct PartWriter<'a> {
    path: PathBuf,
    writer: SerializedFileWriter<HashingFile>,
    /// The schema's columns.
    columns: Vec<ColumnDescPtr>,
    /// The shared `dest` chunks, `None` with a duration limit (rows may be left out).
    dests: Option<&'a DestChunks>,
    /// The staged origins and their row counts: the runs of the `origin` column.
    origins: Vec<(i64, usize)>,
    /// Rows staged.
    staged: usize,
    /// Staged destinations, with a duration limit only.
    dest: Vec<i64>,
    /// The measures' staging, reused from part to part.
    buffers: &'a mut PartBuffers,
    rows: u64,
    /// Rows the part is to hold at most (its origins times the cells).
    capacity: u64,
}

/// What a part writer stages and encodes with, kept by a worker from part to part:
/// allocated afresh, these megabytes cost more in page faults than their encoding.
#[derive(Default)]
pub struct PartBuffers {
    /// Distances and durations (null without a route).
    distance: FloatColumn,
    duration: FloatColumn,
    /// The zstd context of the measures.
    zstd: Option<zstd::bulk::Compressor<'static>>,
    /// A measure page, as it is encoded.
    page: Vec<u8>,
}

/// Milliseconds to seconds, in the output's `Float32`.
fn seconds(ms: u32) -> f32 {
    (f64::from(ms) / 1000.0) as f32
}

/// Durations below this many milliseconds (a power of two, 4.6 hours) are exact in `f32`, and their
/// `f32` quotient by 1000 is [`seconds`]' to the bit: `ms / 1000` is never within an
/// `f64` rounding of a midpoint between two `f32`s (tested for every such duration).
/// Four `f32` divisions take one vector instruction, two `f64` ones another.
const F32_EXACT_MS: u32 = 1 << 24;

/// [`seconds`] of durations below [`F32_EXACT_MS`].
#[inline]
fn seconds_f32(ms: u32) -> f32 {
    ms as f32 / 1000.0
}

impl<'a> PartWriter<'a> {
    /// Creates the part file at `path` for at most `rows` rows (its origins times the
    /// cells; sizes the staging). `limited`: a duration limit was set, so pairs
    /// without a route are left out (else they are null rows and every origin has a
    /// row for each of `dests`' cells).
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`] naming `path`.
    pub fn create(
        path: &Path,
        rows: usize,
        dests: &'a DestChunks,
        limited: bool,
        buffers: &'a mut PartBuffers,
    ) -> Result<Self> {
        let file = HashingFile::create(path)?;
        let writer = SerializedFileWriter::new(
            file,
            schema::pairs_schema(),
            Arc::new(schema::matrix_properties()),
        )
        .map_err(Error::parquet(path))?;
        let staged = schema::ROW_GROUP_ROWS;
        if buffers.zstd.is_none() {
            let zstd = zstd::bulk::Compressor::new(schema::MATRIX_ZSTD_LEVEL)
                .map_err(|e| Error::parquet(path)(e.into()))?;
            buffers.zstd = Some(zstd);
        }
        for column in [&mut buffers.distance, &mut buffers.duration] {
            column.clear();
            if limited {
                // Without a limit, each row group's streams are laid out as it starts.
                column.reserve_total(rows.min(staged + dests.cell_count()));
            }
        }
        let columns = writer.schema_descr().columns().to_vec();
        Ok(Self {
            path: path.to_owned(),
            writer,
            columns,
            dests: (!limited).then_some(dests),
            origins: Vec::new(),
            staged: 0,
            dest: Vec::with_capacity(if limited { staged } else { 0 }),
            buffers,
            rows: 0,
            capacity: rows as u64,
        })
    }

    /// Appends the rows of one origin: to every cell `j` of the matrix,
    /// `duration_ms[j]` (`u32::MAX` = no route) and `distance_m[j]`. Pairs without a
    /// route become null rows, or are left out with a duration limit. Returns (null
    /// rows, left out).
    ///
    /// # Errors
    /// As [`Self::flush`].
    pub fn push_origin(
        &mut self,
        origin: u64,
        cells: &[u64],
        duration_ms: &[u32],
        distance_m: &[f32],
    ) -> Result<(u64, u64)> {
        let limited = self.dests.is_none();
        let missing = duration_ms.iter().filter(|&&d| d == u32::MAX).count();
        let rows = if limited {
            cells.len() - missing
        } else {
            cells.len()
        };
        if self.staged == 0 && !limited {
            // A row group starts: every origin has a row per cell, and a group ends
            // after the origin that reaches `ROW_GROUP_ROWS`, so its rows are known
            // (and all are values unless a pair has no route).
            let n = cells.len();
            let full = schema::ROW_GROUP_ROWS.div_ceil(n.max(1)) * n;
            let left = usize::try_from(self.capacity.saturating_sub(self.rows)).unwrap_or(full);
            for column in [&mut self.buffers.distance, &mut self.buffers.duration] {
                column.expect(full.min(left));
            }
        }
        // H3 indexes leave bit 63 clear, so the stored i64 is the id itself.
        if rows > 0 {
            self.origins.push((origin as i64, rows));
        }
        if missing == 0 {
            // The common case: every pair has a route; copy whole columns.
            if limited {
                self.dest.extend(cells.iter().map(|&d| d as i64));
            }
            self.buffers.distance.extend(distance_m.iter().copied());
            let durations = &mut self.buffers.duration;
            // All below the bound, a power of two: no bit of it or above is set in any
            // (an `or` of all, in vector instructions; `all` stops value by value).
            if duration_ms.iter().fold(0, |bits, &ms| bits | ms) < F32_EXACT_MS {
                durations.extend(duration_ms.iter().map(|&ms| seconds_f32(ms)));
            } else {
                durations.extend(duration_ms.iter().map(|&ms| seconds(ms)));
            }
        } else {
            for ((&dest, &ms), &m) in cells.iter().zip(duration_ms).zip(distance_m) {
                if ms != u32::MAX {
                    if limited {
                        self.dest.push(dest as i64);
                    }
                    self.buffers.distance.extend(std::iter::once(m));
                    self.buffers.duration.extend(std::iter::once(seconds(ms)));
                } else if !limited {
                    self.buffers.distance.push_nulls(1);
                    self.buffers.duration.push_nulls(1);
                }
            }
        }
        self.staged += rows;
        self.rows += rows as u64;
        if self.staged >= schema::ROW_GROUP_ROWS {
            self.flush()?;
        }
        let missing = missing as u64;
        Ok(if limited { (0, missing) } else { (missing, 0) })
    }

    /// Writes the staged rows as one row group.
    ///
    /// # Errors
    /// [`Error::Parquet`] naming the part.
    pub fn flush(&mut self) -> Result<()> {
        if self.staged == 0 {
            return Ok(());
        }
        let path = self.path.as_path();
        let err = |e| Error::parquet(path)(e);
        let origin = Chunk::int64_runs(self.columns[0].clone(), &self.origins).map_err(&err)?;
        let mut group = self.writer.next_row_group().map_err(&err)?;
        origin.append(&mut group).map_err(&err)?;
        if let Some(dests) = self.dests {
            dests
                .get(self.origins.len())
                .and_then(|chunk| chunk.append(&mut group))
                .map_err(&err)?;
        } else {
            let mut column = group
                .next_column()
                .map_err(&err)?
                .ok_or_else(|| err(missing_column(1)))?;
            column
                .typed::<Int64Type>()
                .write_batch(&self.dest, None, None)
                .map_err(&err)?;
            column.close().map_err(&err)?;
        }
        let level = ZstdLevel::try_new(schema::MATRIX_ZSTD_LEVEL).map_err(&err)?;
        let b = &mut *self.buffers;
        let zstd = b
            .zstd
            .as_mut()
            .ok_or_else(|| err(ParquetError::General("no zstd context".to_owned())))?;
        for (i, values) in [&mut b.distance, &mut b.duration].into_iter().enumerate() {
            values
                .encode_into(
                    self.columns[i + 2].clone(),
                    zstd,
                    level,
                    &mut b.page,
                    &mut group,
                )
                .map_err(&err)?;
        }
        group.close().map_err(&err)?;
        self.origins.clear();
        self.staged = 0;
        self.dest.clear();
        Ok(())
    }

    /// Flushes and closes the file; returns the number of rows written and the
    /// file's SHA-256 (lowercase hex).
    ///
    /// # Errors
    /// As [`Self::flush`].
    pub fn finish(mut self) -> Result<(u64, String)> {
        self.flush()?;
        let file = self
            .writer
            .into_inner()
            .map_err(Error::parquet(&self.path))?;
        let sha256 = file.finish().map_err(Error::io(&self.path))?;
        Ok((self.rows, sha256))
    }
}

/// The schema has four columns: the writer asked for one it does not have.
fn missing_column(i: usize) -> parquet::errors::ParquetError {
    parquet::errors::ParquetError::General(format!("the pairs schema has no column {i}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every duration below [`F32_EXACT_MS`]: the `f32` division gives the bits of the
    /// `f64` one rounded to `f32`.
    #[test]
    fn f32_seconds_are_the_f64_seconds_below_the_bound() {
        let differ = (0..F32_EXACT_MS)
            .filter(|&ms| seconds_f32(ms).to_bits() != seconds(ms).to_bits())
            .count();
        assert_eq!(differ, 0);
        // Above it they may differ, so the bound matters.
        assert!(
            (F32_EXACT_MS..F32_EXACT_MS + 1000)
                .any(|ms| seconds_f32(ms).to_bits() != seconds(ms).to_bits())
        );
    }
}
