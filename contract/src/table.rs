//! Parquet tables written and read through the `parquet` crate's column API (feature
//! `parquet`), without Arrow: the graph's tables and `cells.parquet` are built whole in
//! memory and written with [`write_table`]; every reader takes whole typed columns with
//! [`TableReader`], or streams them row group by row group with [`ColumnStream`].
//!
//! Why not Arrow: its crates (arrow-array, arrow-select, arrow-cmp, arrow-ipc and the
//! Arrow half of `parquet`) were about three CPU minutes of a newcomer's first build,
//! for files of four to eleven flat columns that need no Arrow kernel. The types on
//! disk are what Arrow wrote: unsigned integers are `INT32`/`INT64` annotated
//! `Integer(bits, unsigned)`, text is `BYTE_ARRAY` annotated `String`, so DuckDB, Polars
//! and pyarrow read the same types as before (only the `ARROW:schema` key is gone).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl, get_typed_column_reader};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DataType, DoubleType, FloatType, Int32Type, Int64Type,
};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, FileReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescriptor, Type as SchemaType, TypePtr};

use crate::error::{Error, Result};

/// A value type of a column: how it is stored in Parquet and named in errors.
pub trait Scalar: Copy + Default + 'static {
    /// The Parquet physical type it is stored as.
    type Physical: DataType;
    /// What the column is called in errors (`UInt32`, `Float64`...), as Arrow names it.
    const NAME: &'static str;
    /// The logical type annotation it is written with.
    fn logical() -> Option<LogicalType>;
    /// The stored value.
    fn to_physical(self) -> <Self::Physical as DataType>::T;
    /// The value back from its stored form.
    fn from_physical(v: &<Self::Physical as DataType>::T) -> Self;
    /// The stored values of a column to write.
    #[doc(hidden)]
    fn values(present: impl Iterator<Item = Self>) -> values::Values;
    /// Whether a column described by `descr` holds this type.
    #[must_use]
    fn matches(descr: &ColumnDescriptor) -> bool {
        descr.physical_type() == <Self::Physical as DataType>::get_physical_type()
            && unsigned(descr.logical_type_ref()) == unsigned(Self::logical().as_ref())
    }
}

/// Whether a logical annotation says "unsigned integer".
fn unsigned(logical: Option<&LogicalType>) -> bool {
    matches!(logical, Some(LogicalType::Integer(t)) if !t.is_signed)
}

macro_rules! scalar {
    ($t:ty, $physical:ty, $variant:ident, $name:literal, $logical:expr, |$v:ident| $to:expr, |$w:ident| $from:expr) => {
        impl Scalar for $t {
            type Physical = $physical;
            const NAME: &'static str = $name;
            fn logical() -> Option<LogicalType> {
                $logical
            }
            #[inline]
            fn to_physical(self) -> <Self::Physical as DataType>::T {
                let $v = self;
                $to
            }
            #[inline]
            fn from_physical(stored: &<Self::Physical as DataType>::T) -> Self {
                let $w = *stored;
                $from
            }
            fn values(present: impl Iterator<Item = Self>) -> values::Values {
                values::Values::$variant(present.map(Self::to_physical).collect())
            }
        }
    };
}

// Unsigned values are stored bit for bit in the signed physical type, as the
// Parquet format specifies for `Integer(bits, unsigned)`.
scalar!(
    u32,
    Int32Type,
    Int32,
    "UInt32",
    Some(LogicalType::integer(32, false)),
    |v| v as i32,
    |w| w as u32
);
scalar!(
    u64,
    Int64Type,
    Int64,
    "UInt64",
    Some(LogicalType::integer(64, false)),
    |v| v as i64,
    |w| w as u64
);
scalar!(i64, Int64Type, Int64, "Int64", None, |v| v, |w| w);
scalar!(f32, FloatType, Float, "Float32", None, |v| v, |w| w);
scalar!(f64, DoubleType, Double, "Float64", None, |v| v, |w| w);
scalar!(bool, BoolType, Bool, "Boolean", None, |v| v, |w| w);

mod values {
    use parquet::data_type::ByteArray;

    /// The stored values of one column to write, nulls left out (see [`super::Column`]).
    #[derive(Debug, Clone)]
    pub enum Values {
        /// INT32.
        Int32(Vec<i32>),
        /// INT64.
        Int64(Vec<i64>),
        /// FLOAT.
        Float(Vec<f32>),
        /// DOUBLE.
        Double(Vec<f64>),
        /// BOOLEAN.
        Bool(Vec<bool>),
        /// `BYTE_ARRAY`.
        Bytes(Vec<ByteArray>),
    }
}
use values::Values;

/// One column of a table to write: name, type, values and which rows are null.
#[derive(Debug, Clone)]
pub struct Column {
    name: &'static str,
    physical: PhysicalType,
    logical: Option<LogicalType>,
    values: Values,
    /// Definition levels (1 = value, 0 = null) of a nullable column; `None` for a
    /// required one.
    defined: Option<Vec<i16>>,
}

impl Column {
    /// A column without nulls.
    #[must_use]
    pub fn required<T: Scalar>(name: &'static str, values: &[T]) -> Self {
        Self::new::<T>(name, T::values(values.iter().copied()), None)
    }

    /// A nullable column (`None` = null).
    #[must_use]
    pub fn optional<T: Scalar>(name: &'static str, values: &[Option<T>]) -> Self {
        let defined = values.iter().map(|v| i16::from(v.is_some())).collect();
        Self::new::<T>(
            name,
            T::values(values.iter().flatten().copied()),
            Some(defined),
        )
    }

    fn new<T: Scalar>(name: &'static str, values: Values, defined: Option<Vec<i16>>) -> Self {
        Self {
            name,
            physical: <T::Physical as DataType>::get_physical_type(),
            logical: T::logical(),
            values,
            defined,
        }
    }

    /// A text column (UTF-8) without nulls.
    #[must_use]
    pub fn text<S: AsRef<str>>(name: &'static str, values: impl IntoIterator<Item = S>) -> Self {
        Self {
            name,
            physical: PhysicalType::BYTE_ARRAY,
            logical: Some(LogicalType::String),
            values: Values::Bytes(
                values
                    .into_iter()
                    .map(|s| ByteArray::from(s.as_ref().as_bytes().to_vec()))
                    .collect(),
            ),
            defined: None,
        }
    }

    /// A binary column (`None` = null); `nullable` false refuses no value but writes
    /// the column as required.
    #[must_use]
    pub fn binary(name: &'static str, values: Vec<Option<Vec<u8>>>, nullable: bool) -> Self {
        let defined = nullable.then(|| values.iter().map(|v| i16::from(v.is_some())).collect());
        Self {
            name,
            physical: PhysicalType::BYTE_ARRAY,
            logical: None,
            values: Values::Bytes(values.into_iter().flatten().map(ByteArray::from).collect()),
            defined,
        }
    }

    /// The column's schema field.
    fn field(&self) -> Result<TypePtr> {
        field(
            self.name,
            self.physical,
            self.logical.clone(),
            self.defined.is_some(),
        )
    }

    /// Rows in the column.
    fn rows(&self) -> usize {
        self.defined
            .as_ref()
            .map_or_else(|| self.values.len(), Vec::len)
    }
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Self::Int32(v) => v.len(),
            Self::Int64(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Double(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Bytes(v) => v.len(),
        }
    }
}

/// A schema field: `name`, its physical and logical type, required or optional.
///
/// # Errors
/// [`Error::Parquet`] if the parquet crate refuses the combination.
pub fn field(
    name: &str,
    physical: PhysicalType,
    logical: Option<LogicalType>,
    nullable: bool,
) -> Result<TypePtr> {
    let repetition = if nullable {
        Repetition::OPTIONAL
    } else {
        Repetition::REQUIRED
    };
    SchemaType::primitive_type_builder(name, physical)
        .with_repetition(repetition)
        .with_logical_type(logical)
        .build()
        .map(Arc::new)
        .map_err(|source| Error::Parquet {
            path: PathBuf::from(name),
            source,
        })
}

/// The schema of a message of `fields` (the root group Parquet files start with).
///
/// # Errors
/// [`Error::Parquet`] if the parquet crate refuses the fields.
pub fn message(fields: Vec<TypePtr>) -> Result<TypePtr> {
    SchemaType::group_type_builder("arrow_schema")
        .with_fields(fields)
        .build()
        .map(Arc::new)
        .map_err(|source| Error::Parquet {
            path: PathBuf::from("schema"),
            source,
        })
}

/// Writes `columns` (all of the same length) as a Parquet file into `sink`, in row
/// groups of the properties' maximum row count, with `metadata` in the footer;
/// returns the sink.
///
/// # Errors
/// [`Error::Parquet`] naming `path` (what `sink` is, for the message), also for an
/// I/O error of `sink`, or columns of different lengths.
pub fn write_table<W: Write + Send>(
    path: &Path,
    sink: W,
    columns: &[Column],
    properties: WriterProperties,
    metadata: Vec<KeyValue>,
) -> Result<W> {
    let err = |source| Error::Parquet {
        path: path.to_owned(),
        source,
    };
    let rows = columns.first().map_or(0, Column::rows);
    if let Some(c) = columns.iter().find(|c| c.rows() != rows) {
        return Err(err(ParquetError::General(format!(
            "column {} has {} rows, {} has {rows}",
            c.name,
            c.rows(),
            columns[0].name
        ))));
    }
    let fields = columns
        .iter()
        .map(Column::field)
        .collect::<Result<Vec<_>>>()?;
    let group_rows = properties.max_row_group_row_count().unwrap_or(rows).max(1);
    let mut writer =
        SerializedFileWriter::new(sink, message(fields)?, Arc::new(properties)).map_err(err)?;
    for kv in metadata {
        writer.append_key_value_metadata(kv);
    }
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + group_rows);
        let mut group = writer.next_row_group().map_err(err)?;
        for c in columns {
            let Some(mut column) = group.next_column().map_err(err)? else {
                break;
            };
            write_rows(column.untyped(), c, start, end).map_err(err)?;
            column.close().map_err(err)?;
        }
        group.close().map_err(err)?;
        start = end;
    }
    writer.into_inner().map_err(err)
}

/// Writes rows `start..end` of `c` into its column writer.
fn write_rows(
    writer: &mut parquet::column::writer::ColumnWriter<'_>,
    c: &Column,
    start: usize,
    end: usize,
) -> parquet::errors::Result<usize> {
    use parquet::column::writer::ColumnWriter as W;
    // The values of a nullable column skip its nulls: their range is counted from
    // the definition levels before `start`.
    let (levels, from, to) = match &c.defined {
        Some(d) => {
            let before = d[..start].iter().filter(|&&l| l == 1).count();
            let within = d[start..end].iter().filter(|&&l| l == 1).count();
            (Some(&d[start..end]), before, before + within)
        }
        None => (None, start, end),
    };
    match (writer, &c.values) {
        (W::Int32ColumnWriter(w), Values::Int32(v)) => w.write_batch(&v[from..to], levels, None),
        (W::Int64ColumnWriter(w), Values::Int64(v)) => w.write_batch(&v[from..to], levels, None),
        (W::FloatColumnWriter(w), Values::Float(v)) => w.write_batch(&v[from..to], levels, None),
        (W::DoubleColumnWriter(w), Values::Double(v)) => w.write_batch(&v[from..to], levels, None),
        (W::BoolColumnWriter(w), Values::Bool(v)) => w.write_batch(&v[from..to], levels, None),
        (W::ByteArrayColumnWriter(w), Values::Bytes(v)) => {
            w.write_batch(&v[from..to], levels, None)
        }
        _ => Err(ParquetError::General(format!(
            "column {}: writer and values of different types",
            c.name
        ))),
    }
}

/// A Parquet file opened for reading whole columns by name, with the types checked.
pub struct TableReader<R: ChunkReader + 'static> {
    path: PathBuf,
    reader: SerializedFileReader<R>,
}

impl TableReader<File> {
    /// Opens the file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`] naming `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::new(path, file)
    }
}

impl<R: ChunkReader + 'static> TableReader<R> {
    /// Reads the footer of `chunks`, the file at `path`.
    ///
    /// # Errors
    /// [`Error::Parquet`] naming `path`.
    pub fn new(path: &Path, chunks: R) -> Result<Self> {
        let reader = SerializedFileReader::new(chunks).map_err(|source| Error::Parquet {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            reader,
        })
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows in the file.
    #[must_use]
    pub fn rows(&self) -> u64 {
        u64::try_from(self.reader.metadata().file_metadata().num_rows()).unwrap_or(0)
    }

    /// Row groups in the file.
    #[must_use]
    pub fn row_groups(&self) -> usize {
        self.reader.num_row_groups()
    }

    /// The index of column `name`, checked to be a flat column whose descriptor
    /// `fits` the type called `expected`.
    fn index(
        &self,
        name: &str,
        expected: &'static str,
        fits: impl Fn(&ColumnDescriptor) -> bool,
    ) -> Result<usize> {
        let schema = self.reader.metadata().file_metadata().schema_descr();
        let i = schema
            .columns()
            .iter()
            .position(|c| c.path().parts() == [name])
            .ok_or_else(|| Error::MissingColumn {
                path: self.path.clone(),
                column: name.to_owned(),
            })?;
        let descr = schema.column(i);
        if descr.max_rep_level() > 0 || !fits(&descr) {
            return Err(Error::ColumnType {
                path: self.path.clone(),
                column: name.to_owned(),
                expected,
            });
        }
        Ok(i)
    }

    /// A reader of column `name` of row group `group`, values of type `T`.
    ///
    /// # Errors
    /// [`Error::MissingColumn`], [`Error::ColumnType`] or [`Error::Parquet`].
    pub fn stream<T: Scalar>(&self, group: usize, name: &str) -> Result<ColumnStream<T>> {
        let i = self.index(name, T::NAME, T::matches)?;
        Ok(ColumnStream {
            reader: get_typed_column_reader::<T::Physical>(self.column_reader(group, i)?),
            path: self.path.clone(),
            column: name.to_owned(),
            values: Vec::new(),
            defined: Vec::new(),
        })
    }

    fn column_reader(&self, group: usize, i: usize) -> Result<ColumnReader> {
        let err = |source| Error::Parquet {
            path: self.path.clone(),
            source,
        };
        self.reader
            .get_row_group(group)
            .and_then(|g| g.get_column_reader(i))
            .map_err(err)
    }

    /// Every value of column `name`, nulls as `None`.
    ///
    /// # Errors
    /// As [`Self::stream`].
    pub fn optional<T: Scalar>(&self, name: &str) -> Result<Vec<Option<T>>> {
        let mut out = Vec::new();
        for group in 0..self.row_groups() {
            let mut stream = self.stream::<T>(group, name)?;
            while stream.read_into(1 << 16, &mut out)? > 0 {}
        }
        Ok(out)
    }

    /// Every value of column `name`, which must hold no null.
    ///
    /// # Errors
    /// As [`Self::stream`], or [`Error::Null`] at the first null.
    pub fn column<T: Scalar>(&self, name: &str) -> Result<Vec<T>> {
        self.optional::<T>(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.ok_or_else(|| Error::Null {
                    path: self.path.clone(),
                    column: name.to_owned(),
                    row: row as u64,
                })
            })
            .collect()
    }

    /// Every value of the text column `name`, nulls as `None`.
    ///
    /// # Errors
    /// As [`Self::stream`], or [`Error::ColumnType`] if a value is not UTF-8.
    pub fn text(&self, name: &str) -> Result<Vec<Option<String>>> {
        let i = self.index(name, "Utf8", |d| {
            d.physical_type() == PhysicalType::BYTE_ARRAY
                && matches!(d.logical_type_ref(), Some(LogicalType::String))
        })?;
        let mut out = Vec::new();
        for group in 0..self.row_groups() {
            let mut reader =
                get_typed_column_reader::<ByteArrayType>(self.column_reader(group, i)?);
            let (mut values, mut defined) = (Vec::new(), Vec::new());
            loop {
                values.clear();
                defined.clear();
                let (records, _, _) = reader
                    .read_records(1 << 16, Some(&mut defined), None, &mut values)
                    .map_err(|source| Error::Parquet {
                        path: self.path.clone(),
                        source,
                    })?;
                if records == 0 {
                    break;
                }
                let bad = || Error::ColumnType {
                    path: self.path.clone(),
                    column: name.to_owned(),
                    expected: "Utf8",
                };
                let mut present = values.iter();
                for r in 0..records {
                    let is_value = defined.get(r).is_none_or(|&l| l == 1);
                    out.push(if is_value {
                        let bytes = present.next().ok_or_else(bad)?;
                        Some(
                            std::str::from_utf8(bytes.data())
                                .map_err(|_| bad())?
                                .to_owned(),
                        )
                    } else {
                        None
                    });
                }
            }
        }
        Ok(out)
    }
}

/// One column of one row group, read a batch of rows at a time.
pub struct ColumnStream<T: Scalar> {
    reader: ColumnReaderImpl<T::Physical>,
    path: PathBuf,
    column: String,
    values: Vec<<T::Physical as DataType>::T>,
    defined: Vec<i16>,
}

impl<T: Scalar> ColumnStream<T> {
    /// Appends up to `rows` more rows to `out` (nulls as `None`); returns how many
    /// (0 at the end of the row group).
    ///
    /// # Errors
    /// [`Error::Parquet`] naming the file, also for a page that holds fewer values
    /// than its levels say.
    pub fn read_into(&mut self, rows: usize, out: &mut Vec<Option<T>>) -> Result<usize> {
        let records = self.read(rows)?;
        let mut present = self.values.iter();
        for r in 0..records {
            let is_value = self.defined.get(r).is_none_or(|&l| l == 1);
            out.push(if is_value {
                Some(T::from_physical(
                    present.next().ok_or_else(|| self.short())?,
                ))
            } else {
                None
            });
        }
        Ok(records)
    }

    /// Replaces `out` with up to `rows` more rows of a column without nulls, and
    /// `valid` with whether each is present (all true for a required column); returns
    /// how many rows (0 at the end of the row group).
    ///
    /// # Errors
    /// As [`Self::read_into`].
    pub fn read_dense(
        &mut self,
        rows: usize,
        out: &mut Vec<T>,
        valid: &mut Vec<bool>,
    ) -> Result<usize> {
        let records = self.read(rows)?;
        out.clear();
        valid.clear();
        if self.defined.is_empty() || self.values.len() == records {
            // No nulls in this batch: the values are the rows.
            if self.values.len() != records {
                return Err(self.short());
            }
            out.extend(self.values.iter().map(T::from_physical));
            valid.resize(records, true);
            return Ok(records);
        }
        let mut present = self.values.iter();
        for &level in &self.defined[..records] {
            if level == 1 {
                out.push(T::from_physical(
                    present.next().ok_or_else(|| self.short())?,
                ));
                valid.push(true);
            } else {
                out.push(T::default());
                valid.push(false);
            }
        }
        Ok(records)
    }

    fn read(&mut self, rows: usize) -> Result<usize> {
        self.values.clear();
        self.defined.clear();
        let (records, _, _) = self
            .reader
            .read_records(rows, Some(&mut self.defined), None, &mut self.values)
            .map_err(|source| Error::Parquet {
                path: self.path.clone(),
                source,
            })?;
        Ok(records)
    }

    fn short(&self) -> Error {
        Error::Parquet {
            path: self.path.clone(),
            source: ParquetError::General(format!(
                "column {}: fewer values than definition levels",
                self.column
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props() -> WriterProperties {
        WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build()
    }

    #[test]
    fn columns_round_trip_across_row_groups_with_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let ids: Vec<u64> = vec![u64::MAX - 1, 0, 1 << 62, 7, 8, 9, 10];
        let small: Vec<Option<u32>> =
            vec![Some(u32::MAX), None, Some(3), None, None, Some(0), Some(5)];
        let names = ["a", "", "é", "d", "e", "f", "g"];
        let blobs: Vec<Option<Vec<u8>>> = vec![
            Some(vec![1]),
            None,
            Some(vec![]),
            None,
            Some(vec![2, 3]),
            None,
            None,
        ];
        let columns = [
            Column::required("id", &ids),
            Column::optional("small", &small),
            Column::text("name", names),
            Column::binary("blob", blobs, true),
            Column::required("flag", &[true, false, true, true, false, false, true]),
        ];
        let file = File::create(&path).unwrap();
        write_table(
            &path,
            file,
            &columns,
            props(),
            vec![KeyValue::new("k".into(), "v".to_owned())],
        )
        .unwrap();

        let t = TableReader::open(&path).unwrap();
        assert_eq!(t.rows(), 7);
        assert_eq!(t.row_groups(), 3);
        assert_eq!(t.column::<u64>("id").unwrap(), ids);
        assert_eq!(t.optional::<u32>("small").unwrap(), small);
        let text: Vec<String> = t
            .text("name")
            .unwrap()
            .into_iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(text, names);
        assert_eq!(t.column::<bool>("flag").unwrap()[..3], [true, false, true]);
        // Types are checked: an unsigned column is not signed, text is not a number.
        assert!(matches!(
            t.column::<i64>("id"),
            Err(Error::ColumnType {
                expected: "Int64",
                ..
            })
        ));
        assert!(matches!(
            t.column::<u32>("name"),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(
            t.column::<u64>("nope"),
            Err(Error::MissingColumn { .. })
        ));
        assert!(matches!(
            t.column::<u32>("small"),
            Err(Error::Null { row: 1, .. })
        ));

        let mut s = t.stream::<u32>(1, "small").unwrap();
        let (mut out, mut valid) = (Vec::new(), Vec::new());
        assert_eq!(s.read_dense(10, &mut out, &mut valid).unwrap(), 3);
        assert_eq!(valid, [false, false, true]);
        assert_eq!(out[2], 0);
        assert_eq!(s.read_dense(10, &mut out, &mut valid).unwrap(), 0);
    }

    #[test]
    fn columns_of_different_lengths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let columns = [
            Column::required("a", &[1u32, 2]),
            Column::required("b", &[1u32]),
        ];
        let err = write_table(&path, Vec::new(), &columns, props(), Vec::new()).unwrap_err();
        assert!(err.to_string().contains("column b has 1 rows"), "{err}");
    }
}
