//! Parquet writers: `cells.parquet` in one go, matrix parts streamed batch by batch.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Float32Builder, Float64Builder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt64Array};
use arrow_schema::SchemaRef;
use hexmatrix_contract::geo;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::schema;
use crate::snap::Snap;

/// Rows per Arrow batch handed to the Parquet writer: bounds the staging buffers.
const BATCH_ROWS: usize = 1 << 17;

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
    let mut hex = StringBuilder::new();
    let mut node = UInt32Builder::new();
    let mut node_lat = Float64Builder::new();
    let mut node_lon = Float64Builder::new();
    let mut snap_m = Float64Builder::new();
    let mut status = StringBuilder::new();
    let mut hexagon = BinaryBuilder::new();
    let mut node_point = BinaryBuilder::new();
    let (mut hexagons_bbox, mut nodes_bbox) = (None, None);
    let mut ring = Vec::with_capacity(10);
    for r in rows {
        ring.clear();
        ring.extend(r.cell.boundary().iter().map(|v| (v.lng(), v.lat())));
        for &(lon, lat) in &ring {
            geo::extend_bbox(&mut hexagons_bbox, lon, lat);
        }
        hexagon.append_value(geo::wkb_polygon(&ring));
        if let (Some(lat), Some(lon)) = (r.snap.node_lat, r.snap.node_lon) {
            geo::extend_bbox(&mut nodes_bbox, lon, lat);
            node_point.append_value(geo::wkb_point(lon, lat));
        } else {
            node_point.append_null();
        }
        hex.append_value(r.cell.to_string());
        node.append_option(r.snap.node);
        node_lat.append_option(r.snap.node_lat);
        node_lon.append_option(r.snap.node_lon);
        snap_m.append_option(r.snap.snap_m);
        status.append_value(r.snap.status.as_str());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(
            rows.iter().map(|r| u64::from(r.cell)),
        )),
        Arc::new(hex.finish()),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.lat))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.lon))),
        Arc::new(node.finish()),
        Arc::new(node_lat.finish()),
        Arc::new(node_lon.finish()),
        Arc::new(snap_m.finish()),
        Arc::new(status.finish()),
        Arc::new(hexagon.finish()),
        Arc::new(node_point.finish()),
    ];
    let schema = schema::cells_schema();
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|source| Error::Arrow {
        path: path.to_owned(),
        source,
    })?;
    let file = HashingFile::create(path)?;
    let mut w = ArrowWriter::try_new(file, schema, Some(schema::cells_properties()))
        .map_err(Error::parquet(path))?;
    w.write(&batch).map_err(Error::parquet(path))?;
    w.append_key_value_metadata(KeyValue::new(
        geo::GEO_METADATA_KEY.to_owned(),
        geo::cells_geo_metadata(hexagons_bbox, nodes_bbox),
    ));
    // into_inner writes the footer and hands the file back with its hash complete.
    Ok(w.into_inner().map_err(Error::parquet(path))?.sha256())
}

/// A matrix part being written: rows are appended origin by origin (in ascending
/// origin order, each with its destinations in ascending order) and handed to the
/// Parquet writer every `BATCH_ROWS` rows.
pub struct PartWriter {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<HashingFile>,
    origin: UInt64Builder,
    dest: UInt64Builder,
    distance: Float32Builder,
    duration: Float32Builder,
    scratch: Vec<f32>,
    staged: usize,
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
        let schema = schema::pairs_schema();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(schema::matrix_properties()))
            .map_err(Error::parquet(path))?;
        Ok(Self {
            path: path.to_owned(),
            schema,
            writer,
            origin: UInt64Builder::with_capacity(BATCH_ROWS),
            dest: UInt64Builder::with_capacity(BATCH_ROWS),
            distance: Float32Builder::with_capacity(BATCH_ROWS),
            duration: Float32Builder::with_capacity(BATCH_ROWS),
            scratch: Vec::new(),
            staged: 0,
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
        self.origin.append_value_n(origin, rows);
        if missing == 0 {
            // The common case: every pair has a route; copy whole columns.
            self.dest.append_slice(dests);
            self.distance.append_slice(distance_m);
            self.scratch.clear();
            self.scratch
                .extend(duration_ms.iter().map(|&ms| seconds(ms)));
            self.duration.append_slice(&self.scratch);
        } else {
            for ((&dest, &ms), &m) in dests.iter().zip(duration_ms).zip(distance_m) {
                if ms != u32::MAX {
                    self.dest.append_value(dest);
                    self.distance.append_value(m);
                    self.duration.append_value(seconds(ms));
                } else if !limited {
                    self.dest.append_value(dest);
                    self.distance.append_null();
                    self.duration.append_null();
                }
            }
        }
        self.staged += rows;
        self.rows += rows as u64;
        if self.staged >= BATCH_ROWS {
            self.flush()?;
        }
        let missing = missing as u64;
        Ok(if limited { (0, missing) } else { (missing, 0) })
    }

    /// Hands the staged rows to the Parquet writer.
    ///
    /// # Errors
    /// [`Error::Arrow`] or [`Error::Parquet`] naming the part.
    pub fn flush(&mut self) -> Result<()> {
        if self.staged == 0 {
            return Ok(());
        }
        self.staged = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.origin.finish()),
            Arc::new(self.dest.finish()),
            Arc::new(self.distance.finish()),
            Arc::new(self.duration.finish()),
        ];
        let batch =
            RecordBatch::try_new(self.schema.clone(), columns).map_err(|source| Error::Arrow {
                path: self.path.clone(),
                source,
            })?;
        self.writer
            .write(&batch)
            .map_err(Error::parquet(self.path.as_path()))
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
