//! Column chunks of the matrix parts that are not encoded value by value. Without a
//! duration limit every origin has a row for every `ok` cell, so the `dest` column of a
//! row group of `k` origins is the same list of cells repeated `k` times, in every row
//! group and every part: it is a dictionary of the cells and the indexes 0, 1, ..., n-1
//! repeated `k` times, bit-packed and compressed once per `k` ([`Chunk::int64_cycle`]),
//! then copied into each row group. The `origin` column is one run per origin: a
//! dictionary of the row group's origins and one run-length-encoded run of dictionary
//! indexes per origin, written here page by page, a few bytes per origin instead of a
//! delta per row. The measures are byte-stream split as the rows arrive
//! ([`FloatColumn`]) and compressed with one zstd context per part, into one page per
//! row group: no staging copy, no second pass.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::{Buf, Bytes};
use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedPageWriter, SerializedRowGroupWriter, TrackedWrite};
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor};

use crate::schema;

/// An encoded column chunk: its bytes (pages with their headers) and what a row group
/// writer records of it.
#[derive(Debug)]
pub struct Chunk {
    bytes: Pieces,
    close: ColumnCloseResult,
}

/// A chunk's bytes in two pieces read one after the other: a measure's page header and
/// the page it heads stay apart, so that the page (megabytes) is not copied behind its
/// header (tens of bytes) before it goes to the file. Other chunks are `head` alone.
#[derive(Debug, Clone, Default)]
struct Pieces {
    head: Bytes,
    body: Bytes,
}

impl Pieces {
    /// One piece.
    fn one(bytes: Vec<u8>) -> Self {
        Self {
            head: Bytes::from(bytes),
            body: Bytes::new(),
        }
    }
}

impl Length for Pieces {
    fn len(&self) -> u64 {
        (self.head.len() + self.body.len()) as u64
    }
}

impl ChunkReader for Pieces {
    type T = std::io::Chain<bytes::buf::Reader<Bytes>, bytes::buf::Reader<Bytes>>;

    fn get_read(&self, start: u64) -> Result<Self::T> {
        let (head, body) = self.split(start, self.len())?;
        Ok(head.reader().chain(body.reader()))
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let (head, body) = self.split(start, start.saturating_add(length as u64))?;
        Ok(match (head.is_empty(), body.is_empty()) {
            (_, true) => head,
            (true, false) => body,
            (false, false) => [head, body].concat().into(),
        })
    }
}

impl Pieces {
    /// The bytes `start..end` of the chunk, as they fall in the head and the body.
    fn split(&self, start: u64, end: u64) -> Result<(Bytes, Bytes)> {
        if start > end || end > self.len() {
            return Err(ParquetError::EOF(format!(
                "bytes {start}..{end} of a chunk of {} bytes",
                self.len()
            )));
        }
        let h = self.head.len() as u64;
        let clamp = |x: u64, lo: u64, hi: u64| (x.clamp(lo, hi) - lo) as usize;
        Ok((
            self.head.slice(clamp(start, 0, h)..clamp(end, 0, h)),
            self.body
                .slice(clamp(start, h, self.len())..clamp(end, h, self.len())),
        ))
    }
}

/// The two encoded pages of a dictionary column chunk (see [`Chunk::int64_runs`]).
struct DictionaryPages {
    /// Number of dictionary values.
    values: u32,
    /// Whether the dictionary is sorted.
    sorted: bool,
    /// The dictionary page's bytes as written and their size before compression.
    dictionary: (Vec<u8>, usize),
    /// The index page's bytes as written and their size before compression.
    indexes: (Vec<u8>, usize),
    /// How both pages are compressed.
    compression: Compression,
}

impl Chunk {
    /// Encodes `values` as the INT64 column `descr` with the writer settings `props`
    /// (the tests' `dest` chunks of arbitrary values).
    ///
    /// # Errors
    /// A [`ParquetError`] of the column writer, or if `descr` is not INT64.
    #[cfg(test)]
    pub fn int64(
        descr: ColumnDescPtr,
        props: parquet::file::properties::WriterPropertiesPtr,
        values: &[i64],
    ) -> Result<Self> {
        use parquet::column::writer::{ColumnWriter, get_column_writer};
        let mut sink = TrackedWrite::new(Vec::new());
        let close = {
            let pages = Box::new(SerializedPageWriter::new(&mut sink));
            let ColumnWriter::Int64ColumnWriter(mut writer) =
                get_column_writer(descr, props, pages)
            else {
                return Err(ParquetError::General("dest column is not INT64".to_owned()));
            };
            writer.write_batch(values, None, None)?;
            writer.close()?
        };
        sink.flush()?;
        Ok(Self {
            bytes: Pieces::one(sink.into_inner()?),
            close,
        })
    }

    /// Encodes the INT64 column `descr` of a row group whose rows are `runs`: (value,
    /// rows), each value greater than the one before. A dictionary page (the values,
    /// PLAIN) and one data page (v2) of dictionary indexes, one RLE run per value,
    /// uncompressed (a few bytes per run); min and max in the statistics.
    ///
    /// # Errors
    /// A [`ParquetError`] if a run is longer than a page can say, or of the page writer.
    pub fn int64_runs(descr: ColumnDescPtr, runs: &[(i64, usize)]) -> Result<Self> {
        let too_many = || ParquetError::General(format!("{} rows in one run", u32::MAX));
        let mut dictionary = Vec::with_capacity(runs.len() * 8);
        for &(value, _) in runs {
            dictionary.extend_from_slice(&value.to_le_bytes());
        }
        let bits = index_bits(runs.len());
        let index_bytes = bits.div_ceil(8) as usize;
        let mut indexes = vec![bits as u8];
        let mut rows = 0_usize;
        for (i, &(_, count)) in runs.iter().enumerate() {
            let header = u32::try_from(count)
                .ok()
                .and_then(|c| c.checked_mul(2))
                .ok_or_else(too_many)?;
            uleb128(&mut indexes, header);
            indexes.extend_from_slice(&i.to_le_bytes()[..index_bytes]);
            rows += count;
        }
        let rows32 = u32::try_from(rows).map_err(|_| too_many())?;
        let values = u32::try_from(runs.len()).map_err(|_| too_many())?;
        let (min, max) = (runs.first().map(|r| r.0), runs.last().map(|r| r.0));
        let (dict_len, index_len) = (dictionary.len(), indexes.len());
        Self::dictionary(
            descr,
            DictionaryPages {
                values,
                sorted: false,
                dictionary: (dictionary, dict_len),
                indexes: (indexes, index_len),
                compression: Compression::UNCOMPRESSED,
            },
            rows32,
            (min, max),
        )
    }

    /// Encodes the INT64 column `descr` of a row group whose values are `cycle` (in
    /// ascending order) repeated `times` times: a dictionary page of `cycle` (PLAIN) and
    /// one data page (v2) of the dictionary indexes 0, 1, ..., `cycle.len() - 1`, `times`
    /// times over, as one bit-packed run; both pages compressed by `zstd` at `level`.
    /// The indexes repeat with a period of a few kilobytes, which zstd reduces to little
    /// more than one period. Min and max in the statistics.
    ///
    /// # Errors
    /// A [`ParquetError`] if there are more rows than a page can say, or of zstd or
    /// the page writer.
    pub fn int64_cycle(
        descr: ColumnDescPtr,
        cycle: &[i64],
        times: usize,
        zstd: &mut zstd::bulk::Compressor<'_>,
        level: parquet::basic::ZstdLevel,
    ) -> Result<Self> {
        let rows = cycle.len() * times;
        let too_many = || ParquetError::General(format!("{rows} rows in one page"));
        let rows32 = u32::try_from(rows).map_err(|_| too_many())?;
        let mut dictionary = Vec::with_capacity(cycle.len() * 8);
        for value in cycle {
            dictionary.extend_from_slice(&value.to_le_bytes());
        }
        let bits = index_bits(cycle.len());
        // One bit-packed run of whole groups of 8 values (the last one padded with
        // zeros, as the encoding allows): `bits` bytes per group.
        let groups = rows.div_ceil(8);
        let mut indexes = Vec::with_capacity(6 + groups * bits as usize);
        indexes.push(bits as u8);
        let header = u32::try_from(groups)
            .ok()
            .and_then(|g| g.checked_mul(2))
            .map(|g| g | 1)
            .ok_or_else(too_many)?;
        uleb128(&mut indexes, header);
        bit_pack_cycle(&mut indexes, cycle.len(), groups * 8, bits);
        let dict_page = zstd.compress(&dictionary)?;
        let data_page = zstd.compress(&indexes)?;
        Self::dictionary(
            descr,
            DictionaryPages {
                values: u32::try_from(cycle.len()).map_err(|_| too_many())?,
                sorted: true,
                dictionary: (dict_page, dictionary.len()),
                indexes: (data_page, indexes.len()),
                compression: Compression::ZSTD(level),
            },
            rows32,
            (cycle.first().copied(), cycle.last().copied()),
        )
    }

    /// The INT64 column chunk `descr` of `rows` rows from its two pages, with
    /// `min_max` in the statistics.
    fn dictionary(
        descr: ColumnDescPtr,
        pages: DictionaryPages,
        rows: u32,
        min_max: (Option<i64>, Option<i64>),
    ) -> Result<Self> {
        let too_many = || ParquetError::General(format!("{rows} rows in one page"));
        let compressed = pages.compression != Compression::UNCOMPRESSED;
        let mut sink = TrackedWrite::new(Vec::new());
        let (dict, data) = {
            let mut writer = SerializedPageWriter::new(&mut sink);
            let dict = writer.write_page(CompressedPage::new(
                Page::DictionaryPage {
                    buf: Bytes::from(pages.dictionary.0),
                    num_values: pages.values,
                    encoding: Encoding::PLAIN,
                    is_sorted: pages.sorted,
                },
                pages.dictionary.1,
            ))?;
            let data = writer.write_page(CompressedPage::new(
                Page::DataPageV2 {
                    buf: Bytes::from(pages.indexes.0),
                    num_values: rows,
                    encoding: Encoding::RLE_DICTIONARY,
                    num_nulls: 0,
                    num_rows: rows,
                    def_levels_byte_len: 0,
                    rep_levels_byte_len: 0,
                    is_compressed: compressed,
                    statistics: None,
                },
                pages.indexes.1,
            ))?;
            writer.close()?;
            (dict, data)
        };
        let total = i64::try_from(sink.bytes_written())
            .map_err(|_| ParquetError::General("chunk over 2^63 bytes".to_owned()))?;
        // Headers as written, pages as they were before compression.
        let uncompressed = total - (dict.compressed_size + data.compressed_size) as i64
            + (dict.uncompressed_size + data.uncompressed_size) as i64;
        let data_offset = data.offset as i64;
        let metadata = ColumnChunkMetaData::builder(descr)
            .set_compression(pages.compression)
            .set_encodings(vec![Encoding::PLAIN, Encoding::RLE_DICTIONARY])
            .set_num_values(i64::from(rows))
            .set_total_compressed_size(total)
            .set_total_uncompressed_size(uncompressed)
            .set_dictionary_page_offset(Some(dict.offset as i64))
            .set_data_page_offset(data_offset)
            .set_statistics(Statistics::int64(
                min_max.0,
                min_max.1,
                None,
                Some(0),
                false,
            ))
            .build()?;
        let mut offsets = OffsetIndexBuilder::new();
        offsets.append_row_count(i64::from(rows));
        offsets.append_offset_and_size(
            data_offset,
            i32::try_from(data.bytes_written).map_err(|_| too_many())?,
        );
        Ok(Self {
            bytes: Pieces::one(sink.into_inner()?),
            close: ColumnCloseResult {
                bytes_written: total as u64,
                rows_written: u64::from(rows),
                metadata,
                bloom_filter: None,
                column_index: None,
                offset_index: Some(offsets.build()),
            },
        })
    }

    /// The buffer of a measure chunk's page, to reuse.
    #[must_use]
    pub fn into_buffer(self) -> Vec<u8> {
        Vec::from(self.bytes.body)
    }

    /// Appends the chunk as the next column of `group`.
    ///
    /// # Errors
    /// A [`ParquetError`] if the group expects another column, or of its sink.
    pub fn append<W: Write + Send>(
        &self,
        group: &mut SerializedRowGroupWriter<'_, W>,
    ) -> Result<()> {
        group.append_column(&self.bytes, self.close.clone())
    }
}

/// The staged rows of one nullable FLOAT column of a row group: the values byte-stream
/// split as they are pushed (byte `k` of every value in stream `k`), and the
/// definition levels as runs.
#[derive(Debug, Default)]
pub struct FloatColumn {
    /// Stream `k` starts at `k * capacity`.
    streams: Vec<u8>,
    capacity: usize,
    /// Values staged (rows with a value).
    values: usize,
    /// Definition levels as runs of (has a value, rows).
    levels: Vec<(bool, usize)>,
}

impl FloatColumn {
    /// Makes room for `capacity` values in all (the streams are kept between uses).
    pub fn reserve_total(&mut self, capacity: usize) {
        self.reserve(capacity.saturating_sub(self.values));
    }

    /// Empties the column, keeping its memory.
    pub fn clear(&mut self) {
        self.values = 0;
        self.levels.clear();
    }

    /// Rows staged.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.levels.iter().map(|r| r.1).sum()
    }

    /// Appends rows with the values `values`.
    pub fn extend(&mut self, values: impl ExactSizeIterator<Item = f32>) {
        let count = values.len();
        self.reserve(count);
        let cap = self.capacity;
        let at = self.values;
        let (s0, rest) = self.streams.split_at_mut(cap);
        let (s1, rest) = rest.split_at_mut(cap);
        let (s2, s3) = rest.split_at_mut(cap);
        let streams = s0[at..]
            .iter_mut()
            .zip(&mut s1[at..])
            .zip(&mut s2[at..])
            .zip(&mut s3[at..]);
        for (v, (((b0, b1), b2), b3)) in values.zip(streams) {
            let [x0, x1, x2, x3] = v.to_le_bytes();
            (*b0, *b1, *b2, *b3) = (x0, x1, x2, x3);
        }
        self.values += count;
        self.levels_run(true, count);
    }

    /// Appends `rows` null rows.
    pub fn push_nulls(&mut self, rows: usize) {
        self.levels_run(false, rows);
    }

    fn levels_run(&mut self, defined: bool, rows: usize) {
        match self.levels.last_mut() {
            Some((d, n)) if *d == defined => *n += rows,
            _ if rows > 0 => self.levels.push((defined, rows)),
            _ => {}
        }
    }

    /// Makes room for `more` values, moving the streams apart if they must grow.
    fn reserve(&mut self, more: usize) {
        if self.values + more <= self.capacity {
            return;
        }
        let cap = (2 * self.capacity).max(self.values + more);
        let mut streams = vec![0; 4 * cap];
        for k in 0..4 {
            let from = k * self.capacity;
            streams[k * cap..k * cap + self.values]
                .copy_from_slice(&self.streams[from..from + self.values]);
        }
        self.streams = streams;
        self.capacity = cap;
    }

    /// Lays the streams out for `values` values, when the column is empty and the caller
    /// knows how many will come: if exactly that many do, the streams already lie side
    /// by side when encoded, and are not moved together (megabytes per row group).
    pub fn expect(&mut self, values: usize) {
        if self.values > 0 {
            return;
        }
        if self.streams.len() < 4 * values {
            // Nothing staged to keep: a new buffer rather than a copy of the old one.
            self.streams = vec![0; 4 * values];
        }
        self.capacity = values;
    }

    /// [`Self::encode`] the staged rows as the next column of `group` ([`Chunk::append`]),
    /// with the page buffer `page` taken for the page and given back after it.
    ///
    /// # Errors
    /// As [`Self::encode`] and [`Chunk::append`].
    pub fn encode_into<W: Write + Send>(
        &mut self,
        descr: ColumnDescPtr,
        zstd: &mut zstd::bulk::Compressor<'_>,
        level: parquet::basic::ZstdLevel,
        page: &mut Vec<u8>,
        group: &mut SerializedRowGroupWriter<'_, W>,
    ) -> Result<()> {
        let chunk = self.encode(descr, zstd, level, std::mem::take(page))?;
        chunk.append(group)?;
        *page = chunk.into_buffer();
        Ok(())
    }

    /// Encodes the staged rows as column `descr` (one data page v2: definition levels
    /// RLE, values `BYTE_STREAM_SPLIT` compressed by `zstd` at `level`) and empties it.
    /// `page` is a buffer to reuse for the page; it comes back from
    /// [`Chunk::into_buffer`].
    ///
    /// # Errors
    /// A [`ParquetError`] of zstd or the page writer, or more rows than a page can say.
    pub fn encode(
        &mut self,
        descr: ColumnDescPtr,
        zstd: &mut zstd::bulk::Compressor<'_>,
        level: parquet::basic::ZstdLevel,
        page: Vec<u8>,
    ) -> Result<Chunk> {
        let too_many = || ParquetError::General("too many rows in one page".to_owned());
        let rows = self.rows();
        let values = self.values;
        // The streams side by side, as the encoding lays them out (where they are not
        // already: fewer values came than `expect`ed, or more, so the streams grew).
        if self.capacity != values {
            for k in 1..4 {
                let from = k * self.capacity;
                self.streams.copy_within(from..from + values, k * values);
            }
        }
        let plain = &self.streams[..4 * values];
        let mut buf = page;
        buf.clear();
        for &(defined, n) in &self.levels {
            uleb128(
                &mut buf,
                u32::try_from(n)
                    .ok()
                    .and_then(|n| n.checked_mul(2))
                    .ok_or_else(too_many)?,
            );
            buf.push(u8::from(defined));
        }
        let levels_len = buf.len();
        let compressed = values > 0;
        if compressed {
            buf.reserve(zstd::zstd_safe::compress_bound(plain.len()));
            let mut cursor = Cursor::new(&mut buf);
            cursor.set_position(levels_len as u64);
            zstd.compress_to_buffer(plain, &mut cursor)?;
        }
        let compressed_len = buf.len();
        let uncompressed = levels_len + plain.len();
        let rows32 = u32::try_from(rows).map_err(|_| too_many())?;
        let buf = Bytes::from(buf);
        // The page writer serialises the header and writes the page after it; the sink
        // keeps the header and only counts the page, which is appended from `buf`.
        let mut sink = TrackedWrite::new(HeaderSink::default());
        let data = {
            let mut pages = SerializedPageWriter::new(&mut sink);
            let data = pages.write_page(CompressedPage::new(
                Page::DataPageV2 {
                    buf: buf.clone(),
                    num_values: rows32,
                    encoding: Encoding::BYTE_STREAM_SPLIT,
                    num_nulls: u32::try_from(rows - values).map_err(|_| too_many())?,
                    num_rows: rows32,
                    def_levels_byte_len: u32::try_from(levels_len).map_err(|_| too_many())?,
                    rep_levels_byte_len: 0,
                    is_compressed: compressed,
                    statistics: None,
                },
                uncompressed,
            ))?;
            pages.close()?;
            data
        };
        let header = data.bytes_written as usize - compressed_len;
        let mut head = sink.into_inner()?.kept;
        if head.len() < header {
            return Err(ParquetError::General(format!(
                "a page header of {header} bytes, more than {} kept",
                HeaderSink::KEEP
            )));
        }
        head.truncate(header);
        let metadata = ColumnChunkMetaData::builder(descr)
            .set_compression(Compression::ZSTD(level))
            .set_encodings(vec![Encoding::RLE, Encoding::BYTE_STREAM_SPLIT])
            .set_num_values(rows as i64)
            .set_total_compressed_size(data.bytes_written as i64)
            .set_total_uncompressed_size((header + uncompressed) as i64)
            .set_data_page_offset(data.offset as i64)
            .build()?;
        let mut offsets = OffsetIndexBuilder::new();
        offsets.append_row_count(rows as i64);
        offsets.append_offset_and_size(
            data.offset as i64,
            i32::try_from(data.bytes_written).map_err(|_| too_many())?,
        );
        self.clear();
        Ok(Chunk {
            bytes: Pieces {
                head: Bytes::from(head),
                body: buf,
            },
            close: ColumnCloseResult {
                bytes_written: data.bytes_written,
                rows_written: rows as u64,
                metadata,
                bloom_filter: None,
                column_index: None,
                offset_index: Some(offsets.build()),
            },
        })
    }
}

/// A sink that keeps the first [`HeaderSink::KEEP`] bytes written to it (a page
/// header) and only counts the rest (the page, written from its own buffer).
#[derive(Debug, Default)]
struct HeaderSink {
    kept: Vec<u8>,
}

impl HeaderSink {
    /// Bytes kept: a data page v2 header without statistics takes a few dozen.
    const KEEP: usize = 256;
}

impl Write for HeaderSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let keep = Self::KEEP.saturating_sub(self.kept.len()).min(buf.len());
        self.kept.extend_from_slice(&buf[..keep]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends `value` to `out` as an unsigned LEB128 varint (the RLE run header).
fn uleb128(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Bits of a dictionary index into `len` values: at least 1, as every reader accepts.
fn index_bits(len: usize) -> u32 {
    (usize::BITS - len.saturating_sub(1).leading_zeros()).max(1)
}

/// Appends `count` values 0, 1, ..., `n - 1`, 0, 1, ... (wrapping at `n`) to `out`,
/// bit-packed at `bits` bits each, least significant bit first (Parquet's bit-packed
/// runs). `count` is a multiple of 8, so the values end on a byte boundary.
fn bit_pack_cycle(out: &mut Vec<u8>, n: usize, count: usize, bits: u32) {
    debug_assert!(count.is_multiple_of(8) && bits <= 32);
    // The packed bytes repeat once whole cycles end on a byte boundary, after at most
    // 8 cycles: those are packed value by value and the rest copied (a row group's
    // `dest` is a megabyte of indexes, a millisecond value by value).
    let cycles = (1..8)
        .find(|&c| (n * bits as usize * c).is_multiple_of(8))
        .unwrap_or(8);
    let start = out.len();
    bit_pack_values(out, n, count.min(cycles * n), bits);
    let total = count * bits as usize / 8;
    while out.len() - start < total {
        // What is there is whole periods, so a copy of its start continues them.
        let have = out.len() - start;
        out.extend_from_within(start..start + have.min(total - have));
    }
}

/// [`bit_pack_cycle`] value by value.
fn bit_pack_values(out: &mut Vec<u8>, n: usize, count: usize, bits: u32) {
    let (mut acc, mut filled, mut j) = (0_u64, 0_u32, 0_u64);
    let n = n as u64;
    for _ in 0..count {
        acc |= j << filled;
        filled += bits;
        // At most 7 + 32 bits are pending: whole bytes go out, the rest stays.
        while filled >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            filled -= 8;
        }
        j += 1;
        if j == n {
            j = 0;
        }
    }
}

/// The `dest` chunks of one matrix, by number of origins in the row group, shared by
/// the threads that write its parts.
#[derive(Debug)]
pub struct DestChunks {
    /// The `ok` cells, as stored (H3 indexes leave bit 63 clear).
    cells: Vec<i64>,
    descr: ColumnDescPtr,
    by_origins: Mutex<HashMap<usize, Arc<Chunk>>>,
}

impl DestChunks {
    /// The chunks of a matrix whose destinations are `cells`, ascending.
    #[must_use]
    pub fn new(cells: &[u64]) -> Self {
        let schema = SchemaDescriptor::new(schema::pairs_schema());
        Self {
            cells: cells.iter().map(|&c| c as i64).collect(),
            descr: schema.column(1),
            by_origins: Mutex::new(HashMap::new()),
        }
    }

    /// Cells of the matrix: the rows of one origin.
    #[must_use]
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// The `dest` chunk of a row group of `origins` origins that each have a row for
    /// every cell. Encoded on first use, under the lock: the threads that ask at once
    /// (all of them, at the start) wait for one encoding instead of each doing it.
    ///
    /// # Errors
    /// As [`Chunk::int64_cycle`].
    pub fn get(&self, origins: usize) -> Result<Arc<Chunk>> {
        let mut chunks = self
            .by_origins
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(chunk) = chunks.get(&origins) {
            return Ok(chunk.clone());
        }
        let level = parquet::basic::ZstdLevel::try_new(schema::MATRIX_ZSTD_LEVEL)?;
        let mut zstd = zstd::bulk::Compressor::new(schema::MATRIX_ZSTD_LEVEL)?;
        let chunk = Arc::new(Chunk::int64_cycle(
            self.descr.clone(),
            &self.cells,
            origins,
            &mut zstd,
            level,
        )?);
        chunks.insert(origins, chunk.clone());
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use arrow_array::{Float32Array, UInt64Array};
    use hexmatrix_contract::table::TableReader;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::ZstdLevel;
    use parquet::file::writer::SerializedFileWriter;

    use super::*;

    /// One row group: origin runs, dests, and per row a measure (None = null).
    type Group = (Vec<(i64, usize)>, Vec<i64>, Vec<Option<f32>>);

    /// Writes `groups` with the chunk encoders, as the part writer does.
    fn write(path: &std::path::Path, groups: &[Group]) {
        let props = Arc::new(schema::matrix_properties());
        let file = File::create(path).unwrap();
        let mut w = SerializedFileWriter::new(file, schema::pairs_schema(), props.clone()).unwrap();
        let columns = w.schema_descr().columns().to_vec();
        let mut zstd = zstd::bulk::Compressor::new(schema::MATRIX_ZSTD_LEVEL).unwrap();
        let level = ZstdLevel::try_new(schema::MATRIX_ZSTD_LEVEL).unwrap();
        let mut page = Vec::new();
        // Starts small, so the streams must grow.
        let mut measure = FloatColumn::default();
        for (runs, dests, values) in groups {
            let mut g = w.next_row_group().unwrap();
            Chunk::int64_runs(columns[0].clone(), runs)
                .unwrap()
                .append(&mut g)
                .unwrap();
            Chunk::int64(columns[1].clone(), props.clone(), dests)
                .unwrap()
                .append(&mut g)
                .unwrap();
            for c in &columns[2..] {
                for v in values {
                    match v {
                        Some(v) => measure.extend(std::iter::once(*v)),
                        None => measure.push_nulls(1),
                    }
                }
                measure
                    .encode_into(c.clone(), &mut zstd, level, &mut page, &mut g)
                    .unwrap();
            }
            g.close().unwrap();
        }
        w.close().unwrap();
    }

    fn groups() -> Vec<Group> {
        let big = 1_i64 << 60;
        let mut out = Vec::new();
        // Few runs, nulls between values, a null at the end.
        let runs = vec![(5, 3), (9, 1), (big, 4)];
        let values = vec![
            Some(1.5),
            None,
            None,
            Some(-0.0),
            Some(f32::MAX),
            Some(7.25),
            Some(1e-3),
            None,
        ];
        out.push((runs, (0..8).map(|d| big + d).collect(), values));
        // 300 runs (two-byte indexes), one of 2,000 rows; no null; values past the
        // streams' first capacity.
        let mut runs: Vec<(i64, usize)> = (0..300).map(|i| (i * 1000 + 1, 1)).collect();
        runs.push((big + 1, 2000));
        let rows = 2300;
        let values = (0..rows).map(|i| Some(i as f32 * 0.37)).collect();
        out.push((runs, (0..i64::from(rows)).collect(), values));
        // Only nulls.
        out.push((vec![(big + 2, 3)], vec![1, 2, 3], vec![None; 3]));
        out
    }

    #[test]
    fn runs_and_split_measures_read_back_through_both_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        let groups = groups();
        write(&path, &groups);
        let origins: Vec<u64> = groups
            .iter()
            .flat_map(|g| {
                g.0.iter()
                    .flat_map(|&(o, n)| std::iter::repeat_n(o as u64, n))
            })
            .collect();
        let dests: Vec<u64> = groups
            .iter()
            .flat_map(|g| g.1.iter().map(|&d| d as u64))
            .collect();
        let values: Vec<Option<f32>> = groups.iter().flat_map(|g| g.2.clone()).collect();

        let t = TableReader::open(&path).unwrap();
        assert_eq!(t.row_groups(), 3);
        assert_eq!(t.column::<u64>("origin").unwrap(), origins);
        assert_eq!(t.column::<u64>("dest").unwrap(), dests);
        assert_eq!(t.optional::<f32>("distance_m").unwrap(), values);
        assert_eq!(t.optional::<f32>("duration_s").unwrap(), values);

        // Arrow's reader, with the statistics of the origin chunks.
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata().clone();
        let stats = meta.row_group(1).column(0).statistics().unwrap();
        assert_eq!(stats.min_bytes_opt().unwrap(), 1_i64.to_le_bytes());
        assert_eq!(stats.max_bytes_opt().unwrap(), (big_id() + 1).to_le_bytes());
        let (mut o, mut d) = (Vec::new(), Vec::new());
        for batch in reader.build().unwrap() {
            let batch = batch.unwrap();
            let col = |i: usize| batch.column(i).clone();
            o.extend(
                col(0)
                    .as_any()
                    .downcast_ref::<UInt64Array>()
                    .unwrap()
                    .values()
                    .iter()
                    .copied(),
            );
            let m = col(3);
            let m = m.as_any().downcast_ref::<Float32Array>().unwrap();
            d.extend(m.iter());
        }
        assert_eq!(o, origins);
        assert_eq!(d, values);
    }

    fn big_id() -> i64 {
        1_i64 << 60
    }

    #[test]
    fn dest_chunks_are_encoded_once_per_origin_count() {
        let dests = DestChunks::new(&[3, 5, 8]);
        let a = dests.get(2).unwrap();
        assert!(Arc::ptr_eq(&a, &dests.get(2).unwrap()));
        assert!(!Arc::ptr_eq(&a, &dests.get(1).unwrap()));
        assert_eq!(dests.cell_count(), 3);
    }

    #[test]
    fn cycled_dests_read_back_through_both_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        let big = big_id();
        // Cycles of 1 (bit width 1), 3, 300 (9 bits) and 2,308 cells (12 bits, whole
        // Malta res 9), repeated so that rows are and are not a multiple of 8.
        let cases: Vec<(Vec<i64>, usize)> = vec![
            (vec![big], 3),
            (vec![5, 9, big], 7),
            ((0..300).map(|i| big + 3 * i).collect(), 5),
            ((0..2308).map(|i| big + 7 * i).collect(), 3),
        ];
        let props = Arc::new(schema::matrix_properties());
        let mut w =
            SerializedFileWriter::new(File::create(&path).unwrap(), schema::pairs_schema(), props)
                .unwrap();
        let columns = w.schema_descr().columns().to_vec();
        let mut zstd = zstd::bulk::Compressor::new(schema::MATRIX_ZSTD_LEVEL).unwrap();
        let level = ZstdLevel::try_new(schema::MATRIX_ZSTD_LEVEL).unwrap();
        let mut measure = FloatColumn::default();
        let mut page = Vec::new();
        let mut dests = Vec::new();
        for (cycle, times) in &cases {
            let rows = cycle.len() * times;
            let mut g = w.next_row_group().unwrap();
            Chunk::int64_runs(columns[0].clone(), &[(1, rows)])
                .unwrap()
                .append(&mut g)
                .unwrap();
            Chunk::int64_cycle(columns[1].clone(), cycle, *times, &mut zstd, level)
                .unwrap()
                .append(&mut g)
                .unwrap();
            for c in &columns[2..] {
                measure.expect(rows);
                measure.extend((0..rows).map(|i| i as f32));
                measure
                    .encode_into(c.clone(), &mut zstd, level, &mut page, &mut g)
                    .unwrap();
            }
            g.close().unwrap();
            for _ in 0..*times {
                dests.extend(cycle.iter().map(|&d| d as u64));
            }
        }
        w.close().unwrap();

        let t = TableReader::open(&path).unwrap();
        assert_eq!(t.column::<u64>("dest").unwrap(), dests);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let stats = reader
            .metadata()
            .row_group(2)
            .column(1)
            .statistics()
            .unwrap();
        assert_eq!(stats.min_bytes_opt().unwrap(), big.to_le_bytes());
        assert_eq!(stats.max_bytes_opt().unwrap(), (big + 897).to_le_bytes());
        let mut d = Vec::new();
        for batch in reader.build().unwrap() {
            let col = batch.unwrap().column(1).clone();
            let col = col.as_any().downcast_ref::<UInt64Array>().unwrap();
            d.extend(col.values().iter().copied());
        }
        assert_eq!(d, dests);
    }

    /// Copied periods give the bits of setting every value's bits one by one, for
    /// cycles whose bits end on a byte boundary after 1, 2, 4 and 8 cycles, and runs
    /// shorter and longer than that.
    #[test]
    fn cycles_copied_by_period_hold_every_value() {
        for n in [1, 2, 3, 5, 6, 12, 300, 2308, 2324] {
            let bits = index_bits(n) as usize;
            for count in [0, 8, 16, 64, 8 * n, 8 * n + 8, 24 * n + 40, 1000 * 8] {
                let mut packed = vec![7];
                bit_pack_cycle(&mut packed, n, count, bits as u32);
                let mut expected = vec![0_u8; count * bits / 8];
                for i in 0..count {
                    for b in 0..bits {
                        if (i % n) >> b & 1 == 1 {
                            let at = i * bits + b;
                            expected[at / 8] |= 1 << (at % 8);
                        }
                    }
                }
                assert_eq!(packed[0], 7);
                assert_eq!(packed[1..], expected[..], "{n} cells, {count} values");
            }
        }
    }

    #[test]
    fn pieces_read_across_the_head_and_body() {
        let p = Pieces {
            head: Bytes::from_static(b"head"),
            body: Bytes::from_static(b"body!"),
        };
        assert_eq!(p.len(), 9);
        let mut all = String::new();
        p.get_read(2).unwrap().read_to_string(&mut all).unwrap();
        assert_eq!(all, "adbody!");
        assert_eq!(p.get_bytes(1, 2).unwrap(), "ea");
        assert_eq!(p.get_bytes(3, 3).unwrap(), "dbo");
        assert_eq!(p.get_bytes(5, 4).unwrap(), "ody!");
        assert!(p.get_bytes(5, 5).is_err());
    }
}
