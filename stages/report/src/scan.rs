//! Lazy scans of the matrix files and helpers to run a query and read its columns.
//! Every query over the parts runs on Polars' streaming engine, so memory is bounded
//! by the number of groups (or the top N), never by the number of rows.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// Earth radius in metres of the haversine straight line (the mean radius, as `geo` uses).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The files of one matrix.
#[derive(Debug, Clone)]
pub struct MatrixFiles {
    /// The matrix directory (for error messages).
    pub dir: PathBuf,
    /// `cells.parquet`.
    pub cells: PathBuf,
    /// The part files, in block order.
    pub parts: Vec<PathBuf>,
}

impl MatrixFiles {
    /// A lazy scan of `cells.parquet`.
    ///
    /// # Errors
    /// The path cannot be used or the file not opened.
    pub fn cells(&self) -> Result<LazyFrame> {
        scan(std::slice::from_ref(&self.cells), "cells scan", &self.cells)
    }

    /// Checks every file before Polars reads it: its footer decodes and every row
    /// group lies inside the file. Polars' streaming reader slices the file at the
    /// footer's offsets without bounds checks, so a damaged footer would make it
    /// read past the end of the file (undefined behaviour) instead of failing.
    ///
    /// # Errors
    /// [`Error::BadParquet`] naming the file and the row group, or the error (or
    /// caught panic) of Polars' footer reader.
    pub fn check(&self) -> Result<()> {
        for path in std::iter::once(&self.cells).chain(&self.parts) {
            check_row_groups(path)?;
        }
        Ok(())
    }

    /// A lazy scan of every part as one table (`None` when there are no parts).
    ///
    /// # Errors
    /// A path cannot be used or a file not opened.
    pub fn pairs(&self) -> Result<Option<LazyFrame>> {
        if self.parts.is_empty() {
            return Ok(None);
        }
        scan(&self.parts, "matrix scan", &self.dir).map(Some)
    }
}

/// A lazy scan of one or more Parquet files.
pub(crate) fn scan(files: &[PathBuf], what: &'static str, place: &Path) -> Result<LazyFrame> {
    isolated(what, place, || {
        let paths = files
            .iter()
            .map(|p| PlRefPath::try_from_path(p))
            .collect::<PolarsResult<Vec<_>>>()
            .map_err(Error::query(what, place))?;
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())
            .map_err(Error::query(what, place))
    })
}

/// Runs `lf` on the streaming engine.
pub(crate) fn collect_streaming(
    lf: LazyFrame,
    what: &'static str,
    place: &Path,
) -> Result<DataFrame> {
    let result = isolated(what, place, || {
        lf.collect_with_engine(Engine::Streaming)
            .map_err(Error::query(what, place))
    })?;
    // One plan in, one frame out (only `collect_all` gives several).
    Ok(result.unwrap_single())
}

fn check_row_groups(path: &Path) -> Result<()> {
    const WHAT: &str = "Parquet footer";
    isolated(WHAT, path, || {
        let file = std::fs::File::open(path).map_err(Error::io(path))?;
        let len = file.metadata().map_err(Error::io(path))?.len();
        let mut reader = ParquetReader::new(file);
        let metadata = reader.get_metadata().map_err(Error::query(WHAT, path))?;
        // Polars slices the whole row group, or each projected column chunk, at
        // these offsets: every one of them must lie inside the file.
        for (i, group) in metadata.row_groups.iter().enumerate() {
            let ranges = std::iter::once(("row group", group.full_byte_range())).chain(
                group
                    .byte_ranges_iter()
                    .map(|r| ("a column chunk of row group", r)),
            );
            for (what, range) in ranges {
                if range.start > range.end || range.end > len {
                    return Err(Error::BadParquet {
                        path: path.to_owned(),
                        message: format!(
                            "{what} {i} spans bytes {}..{} of a {len}-byte file",
                            range.start, range.end
                        ),
                    });
                }
            }
        }
        Ok(())
    })
}

/// Runs a Polars step, turning a panic into [`Error::Panicked`]: Polars panics
/// on some corrupt Parquet files (a malformed thrift footer, a page range past
/// its buffer) instead of returning an error, and a damaged matrix must give a
/// clear error, not end the process.
fn isolated<T>(what: &'static str, place: &Path, step: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(Error::Panicked {
            what,
            path: place.to_owned(),
            message,
        })
    })
}

/// Column `name` of `df` as `f64` values (nulls kept).
pub(crate) fn f64s(df: &DataFrame, name: &str, what: &'static str) -> Result<Vec<Option<f64>>> {
    let col = cast(df, name, &DataType::Float64, what)?;
    Ok(col.f64().map_err(shape(what))?.iter().collect())
}

/// Column `name` of `df` as `i64` values (nulls kept).
pub(crate) fn i64s(df: &DataFrame, name: &str, what: &'static str) -> Result<Vec<Option<i64>>> {
    let col = cast(df, name, &DataType::Int64, what)?;
    Ok(col.i64().map_err(shape(what))?.iter().collect())
}

/// Column `name` of `df` as `u64` values (nulls kept).
pub(crate) fn u64s(df: &DataFrame, name: &str, what: &'static str) -> Result<Vec<Option<u64>>> {
    let col = cast(df, name, &DataType::UInt64, what)?;
    Ok(col.u64().map_err(shape(what))?.iter().collect())
}

/// Column `name` of `df` as strings (nulls kept).
pub(crate) fn strings(
    df: &DataFrame,
    name: &str,
    what: &'static str,
) -> Result<Vec<Option<String>>> {
    let col = cast(df, name, &DataType::String, what)?;
    Ok(col
        .str()
        .map_err(shape(what))?
        .iter()
        .map(|s| s.map(str::to_owned))
        .collect())
}

fn cast(df: &DataFrame, name: &str, to: &DataType, what: &'static str) -> Result<Column> {
    let col = df.column(name).map_err(shape(what))?;
    col.cast(to).map_err(shape(what))
}

fn shape(what: &'static str) -> impl FnOnce(PolarsError) -> Error {
    move |e| Error::Shape {
        what,
        message: e.to_string(),
    }
}
