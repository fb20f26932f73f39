//! Reading the matrix files into Polars data frames, one file at a time, and helpers
//! to count groups and read result columns. Every query over the pairs works on one
//! part (one origin block), so memory is bounded by the largest part, never by the
//! number of parts.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars_core::prelude::*;
use polars_io::prelude::*;

use hexmatrix_contract::columns::pairs;

use crate::error::{Error, Result};

/// Earth radius in metres of the haversine straight line (the mean radius, as `geo` uses).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The files of one matrix.
#[derive(Debug, Clone)]
pub struct MatrixFiles {
    /// `cells.parquet`.
    pub cells: PathBuf,
    /// The part files, in block order.
    pub parts: Vec<PathBuf>,
}

impl MatrixFiles {
    /// The `columns` of `cells.parquet`.
    ///
    /// # Errors
    /// The file cannot be opened or read, or lacks one of the columns.
    pub fn cells(&self, columns: &[&str], what: &'static str) -> Result<DataFrame> {
        read(&self.cells, columns, what)
    }

    /// Checks every file before Polars reads it: its footer decodes and every row
    /// group lies inside the file. Polars' Parquet reader slices the file at the
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
}

/// The `columns` of the Parquet file at `path`, read whole (a part is one origin block).
pub(crate) fn read(path: &Path, columns: &[&str], what: &'static str) -> Result<DataFrame> {
    read_with(path, columns, None, what, ParallelStrategy::Auto)
}

/// [`read`] with Polars' choice of threads ([`ParallelStrategy::None`] decodes on
/// the calling thread only, for callers that already keep every core busy), and
/// with `Some(n)` only the first nth of the rows (at least one).
pub(crate) fn read_with(
    path: &Path,
    columns: &[&str],
    nth: Option<usize>,
    what: &'static str,
    parallel: ParallelStrategy,
) -> Result<DataFrame> {
    isolated(what, path, || {
        let file = File::open(path).map_err(|e| Error::query(what, path)(e.into()))?;
        let mut reader = ParquetReader::new(file)
            .with_columns(Some(columns.iter().map(|&c| c.to_owned()).collect()))
            .read_parallel(parallel);
        if let Some(nth) = nth {
            let rows = reader.num_rows().map_err(Error::query(what, path))?;
            reader = reader.with_slice(Some((0, rows.div_ceil(nth.max(1)))));
        }
        reader.finish().map_err(Error::query(what, path))
    })
}

/// The distinct rows of the `by` columns of `df` with how many rows each has, in a
/// column `n` (a group-by with a length per group).
pub(crate) fn count_by(df: &DataFrame, by: &[&str]) -> PolarsResult<DataFrame> {
    let groups = df.group_by(by.iter().copied())?;
    let mut columns = groups.keys();
    let mut n = groups.get_groups().group_count();
    n.rename("n".into());
    columns.push(n.into_column());
    DataFrame::new_infer_height(columns)
}

/// Checks that every row group of the Parquet file at `path` lies inside it (see
/// [`MatrixFiles::check`]).
pub(crate) fn check_row_groups(path: &Path) -> Result<()> {
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
pub(crate) fn isolated<T>(
    what: &'static str,
    place: &Path,
    step: impl FnOnce() -> Result<T>,
) -> Result<T> {
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

/// Maps a Polars error on a result frame to [`Error::Shape`].
pub(crate) fn shape(what: &'static str) -> impl FnOnce(PolarsError) -> Error {
    move |e| Error::Shape {
        what,
        message: e.to_string(),
    }
}

/// One chunk of a `UInt64` column (Arrow's primitive array).
type U64Array = <UInt64Type as PolarsDataType>::Array;
/// One chunk of a `Float32` column.
type F32Array = <Float32Type as PolarsDataType>::Array;

/// The four columns of one part as plain arrays, for the loops of
/// [`crate::parts`]: Polars decodes the Parquet file, the figures are computed on
/// its buffers directly. The columns come in one chunk per row group, the same
/// for all four; they are joined into one chunk only when their chunks differ
/// (joining copies every value).
pub(crate) struct PartColumns {
    origin: UInt64Chunked,
    dest: UInt64Chunked,
    distance: Float32Chunked,
    duration: Float32Chunked,
}

impl PartColumns {
    /// The columns of `df` (a part as [`read`] gives it), cast to the contract's
    /// types when a writer used others, with the same chunks.
    pub(crate) fn of(df: &DataFrame) -> PolarsResult<Self> {
        let col = |name: &str, dtype: &DataType| -> PolarsResult<Series> {
            let c = df.column(name)?;
            let c = if c.dtype() == dtype {
                c.clone()
            } else {
                c.cast(dtype)?
            };
            Ok(c.as_materialized_series().clone())
        };
        let mut cols = Self {
            origin: col(pairs::ORIGIN, &DataType::UInt64)?.u64()?.clone(),
            dest: col(pairs::DEST, &DataType::UInt64)?.u64()?.clone(),
            distance: col(pairs::DISTANCE_M, &DataType::Float32)?.f32()?.clone(),
            duration: col(pairs::DURATION_S, &DataType::Float32)?.f32()?.clone(),
        };
        let origin: Vec<usize> = cols.origin.chunk_lengths().collect();
        let aligned = origin.iter().copied().eq(cols.dest.chunk_lengths())
            && origin.iter().copied().eq(cols.distance.chunk_lengths())
            && origin.iter().copied().eq(cols.duration.chunk_lengths());
        if !aligned {
            cols.origin = cols.origin.rechunk().into_owned();
            cols.dest = cols.dest.rechunk().into_owned();
            cols.distance = cols.distance.rechunk().into_owned();
            cols.duration = cols.duration.rechunk().into_owned();
        }
        Ok(cols)
    }

    /// Calls `f(origin, dest, distance, duration)` for every row, `None` for a null.
    #[inline]
    pub(crate) fn for_each(
        &self,
        mut row: impl FnMut(Option<u64>, Option<u64>, Option<f32>, Option<f32>),
    ) {
        let chunks = self
            .origin
            .downcast_iter()
            .zip(self.dest.downcast_iter())
            .zip(self.distance.downcast_iter())
            .zip(self.duration.downcast_iter());
        for (((orig, dest), dist), dur) in chunks {
            Self::chunk(orig, dest, dist, dur, &mut row);
        }
    }

    /// Calls `f(origin, dest, distance, duration)` for every routed pair between two
    /// different cells: no null, origin and destination not the same cell.
    #[inline]
    pub(crate) fn for_each_routed(&self, mut f: impl FnMut(u64, u64, f32, f32)) {
        self.for_each(|o, d, m, s| {
            if let (Some(o), Some(d), Some(m), Some(s)) = (o, d, m, s)
                && o != d
            {
                f(o, d, m, s);
            }
        });
    }

    /// [`Self::for_each`] over one chunk of each column.
    #[inline]
    fn chunk(
        orig: &U64Array,
        dest: &U64Array,
        dist: &F32Array,
        dur: &F32Array,
        row: &mut impl FnMut(Option<u64>, Option<u64>, Option<f32>, Option<f32>),
    ) {
        let rows = orig.len().min(dest.len()).min(dist.len()).min(dur.len());
        let has_nulls = [
            orig.validity(),
            dest.validity(),
            dist.validity(),
            dur.validity(),
        ]
        .into_iter()
        .any(|v| v.is_some_and(|b| b.unset_bits() > 0));
        let (ov, dv, mv, sv) = (orig.values(), dest.values(), dist.values(), dur.values());
        if has_nulls {
            let (ob, db, mb, sb) = (
                orig.validity(),
                dest.validity(),
                dist.validity(),
                dur.validity(),
            );
            for i in 0..rows {
                row(
                    ob.is_none_or(|b| b.get_bit(i)).then(|| ov[i]),
                    db.is_none_or(|b| b.get_bit(i)).then(|| dv[i]),
                    mb.is_none_or(|b| b.get_bit(i)).then(|| mv[i]),
                    sb.is_none_or(|b| b.get_bit(i)).then(|| sv[i]),
                );
            }
        } else {
            // The common case (every pair routed): no validity to look up.
            for i in 0..rows {
                row(Some(ov[i]), Some(dv[i]), Some(mv[i]), Some(sv[i]));
            }
        }
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.origin.len()
    }
}
