//! Parquet writers: `cells.parquet` in one go, matrix parts streamed row group by row
//! group straight into the parquet crate's column writers (no Arrow arrays between).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hexmatrix_contract::columns::cells;
use hexmatrix_contract::geo;
use hexmatrix_contract::table::{Column, write_table};
use parquet::data_type::{FloatType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::writer::SerializedFileWriter;
use sha2::{Digest, Sha256};

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
/// records costs no second read of the file.
pub struct HashingFile {
    file: File,
    hasher: Sha256,
}

impl HashingFile {
    /// Creates `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(Self {
            file: File::create(path).map_err(Error::io(path))?,
            hasher: Sha256::new(),
        })
    }

    /// The SHA-256 of everything written, lowercase hex.
    #[must_use]
    pub fn sha256(self) -> String {
        hexmatrix_contract::hex(&self.hasher.finalize())
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
/// [`Error::Io`], [`Error::Parquet`] or [`Error::Arrow`] naming `path`.
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
    Ok(file.sha256())
}

/// A matrix part being written: rows are appended origin by origin (in ascending
/// origin order, each with its destinations in ascending order), staged as the
/// columns' stored values, and written as one row group every
/// [`schema::ROW_GROUP_ROWS`] rows, column after column.
pub struct PartWriter {
    path: PathBuf,
    writer: SerializedFileWriter<HashingFile>,
    origin: Vec<i64>,
    dest: Vec<i64>,
    /// Distances and durations of the rows with a route (nulls are left out, as
    /// Parquet stores them).
    distance: Vec<f32>,
    duration: Vec<f32>,
    /// Definition levels of the two measure columns: 1 with a route, 0 without.
    defined: Vec<i16>,
    rows: u64,
}

/// Milliseconds to seconds, in the output's `Float32`.
fn seconds(ms: u32) -> f32 {
    (f64::from(ms) / 1000.0) as f32
}

impl PartWriter {
    /// Creates the part file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`] naming `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let file = HashingFile::create(path)?;
        let writer = SerializedFileWriter::new(
            file,
            schema::pairs_schema(),
            Arc::new(schema::matrix_properties()),
        )
        .map_err(Error::parquet(path))?;
        let staged = schema::ROW_GROUP_ROWS;
        Ok(Self {
            path: path.to_owned(),
            writer,
            origin: Vec::with_capacity(staged),
            dest: Vec::with_capacity(staged),
            distance: Vec::with_capacity(staged),
            duration: Vec::with_capacity(staged),
            defined: Vec::with_capacity(staged),
            rows: 0,
        })
    }

    /// Appends the rows of one origin: to `dests[j]`, `duration_ms[j]` (`u32::MAX` =
    /// no route) and `distance_m[j]`. Pairs without a route become null rows, or are
    /// left out when `limited` (a duration limit was set). Returns (null rows, left out).
    ///
    /// # Errors
    /// As [`Self::flush`].
    pub fn push_origin(
        &mut self,
        origin: u64,
        dests: &[u64],
        duration_ms: &[u32],
        distance_m: &[f32],
        limited: bool,
    ) -> Result<(u64, u64)> {
        let missing = duration_ms.iter().filter(|&&d| d == u32::MAX).count();
        let rows = if limited {
            dests.len() - missing
        } else {
            dests.len()
        };
        // H3 indexes leave bit 63 clear, so the stored i64 is the id itself.
        let origin = origin as i64;
        self.origin.resize(self.origin.len() + rows, origin);
        if missing == 0 {
            // The common case: every pair has a route; copy whole columns.
            self.dest.extend(dests.iter().map(|&d| d as i64));
            self.distance.extend_from_slice(distance_m);
            self.duration
                .extend(duration_ms.iter().map(|&ms| seconds(ms)));
            self.defined.resize(self.defined.len() + rows, 1);
        } else {
            for ((&dest, &ms), &m) in dests.iter().zip(duration_ms).zip(distance_m) {
                if ms != u32::MAX {
                    self.dest.push(dest as i64);
                    self.distance.push(m);
                    self.duration.push(seconds(ms));
                    self.defined.push(1);
                } else if !limited {
                    self.dest.push(dest as i64);
                    self.defined.push(0);
                }
            }
        }
        self.rows += rows as u64;
        if self.origin.len() >= schema::ROW_GROUP_ROWS {
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
        if self.origin.is_empty() {
            return Ok(());
        }
        let path = self.path.as_path();
        let err = |e| Error::parquet(path)(e);
        let mut group = self.writer.next_row_group().map_err(&err)?;
        for (i, ids) in [&self.origin, &self.dest].into_iter().enumerate() {
            let mut column = group
                .next_column()
                .map_err(&err)?
                .ok_or_else(|| err(missing_column(i)))?;
            column
                .typed::<Int64Type>()
                .write_batch(ids, None, None)
                .map_err(&err)?;
            column.close().map_err(&err)?;
        }
        for (i, values) in [&self.distance, &self.duration].into_iter().enumerate() {
            let mut column = group
                .next_column()
                .map_err(&err)?
                .ok_or_else(|| err(missing_column(i + 2)))?;
            column
                .typed::<FloatType>()
                .write_batch(values, Some(&self.defined), None)
                .map_err(&err)?;
            column.close().map_err(&err)?;
        }
        group.close().map_err(&err)?;
        self.origin.clear();
        self.dest.clear();
        self.distance.clear();
        self.duration.clear();
        self.defined.clear();
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
            .map_err(Error::parquet(self.path))?;
        Ok((self.rows, file.sha256()))
    }
}

/// The schema has four columns: the writer asked for one it does not have.
fn missing_column(i: usize) -> parquet::errors::ParquetError {
    parquet::errors::ParquetError::General(format!("the pairs schema has no column {i}"))
}
