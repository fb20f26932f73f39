//! Blob framing both ways: 4-byte length, `BlobHeader`, `Blob`, zlib.
//!
//! A PBF file is a sequence of frames: a big-endian u32 header length, a
//! `BlobHeader` (type and data size), then a `Blob` holding one zlib-compressed
//! block. Reading checks every length against the file and the format's limits
//! so a damaged file fails with its blob number and byte offset.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::{Error, Result};
use crate::proto::{self, Field, Fields};

/// Largest `BlobHeader` the format allows.
pub const MAX_HEADER_SIZE: usize = 64 * 1024;
/// Largest blob (compressed or not) the format allows.
pub const MAX_BLOB_SIZE: usize = 32 * 1024 * 1024;

/// The type of a blob, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// `OSMHeader`: the file header block.
    Header,
    /// `OSMData`: a block of entities.
    Data,
    /// Anything else (readers skip it).
    Unknown,
}

/// One framed blob as read from a file, still compressed.
#[derive(Debug, Clone)]
pub struct RawBlob {
    /// Position in the file, 0 for the first blob.
    pub number: u64,
    /// Byte offset of the frame's length prefix.
    pub offset: u64,
    /// Header type.
    pub kind: BlobKind,
    /// The whole frame (length prefix, header, blob), for decoders that want it.
    pub frame: Vec<u8>,
    /// Where the `Blob` message starts in `frame`.
    pub data_start: usize,
}

impl RawBlob {
    /// The `Blob` message.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.frame[self.data_start..]
    }

    /// The decompressed size the blob announces ([`announced_size`]).
    #[must_use]
    pub fn announced_size(&self) -> usize {
        announced_size(self.data())
    }

    /// The decompressed block, or an [`Error::Corrupt`] naming `path`, blob and offset.
    ///
    /// # Errors
    /// A bad zlib stream, a size mismatch or an unsupported compression.
    pub fn decompress(&self, path: &Path) -> Result<Vec<u8>> {
        decompress(self.data()).map_err(|reason| Error::Corrupt {
            path: path.to_owned(),
            blob: self.number,
            offset: self.offset,
            reason,
        })
    }
}

/// Reads frames one after another, checking lengths and limits.
#[derive(Debug)]
pub struct BlobFrames<R> {
    reader: R,
    path: PathBuf,
    offset: u64,
    number: u64,
    failed: bool,
}

impl<R: Read> BlobFrames<R> {
    /// Frames of `reader`; `path` names the file in errors.
    pub fn new(reader: R, path: &Path) -> Self {
        Self {
            reader,
            path: path.to_owned(),
            offset: 0,
            number: 0,
            failed: false,
        }
    }

    /// Frames of `reader` positioned at blob `number`, which starts at byte `offset`.
    pub fn at(reader: R, path: &Path, number: u64, offset: u64) -> Self {
        Self {
            reader,
            path: path.to_owned(),
            offset,
            number,
            failed: false,
        }
    }

    /// Reads up to `buf.len()` bytes; the count read (short only at end of file).
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.reader.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.path, e)),
            }
        }
        Ok(got)
    }

    fn bad(&self, reason: String) -> Error {
        if self.number == 0 {
            Error::NotPbf {
                path: self.path.clone(),
                reason,
            }
        } else {
            Error::Corrupt {
                path: self.path.clone(),
                blob: self.number,
                offset: self.offset,
                reason,
            }
        }
    }

    fn truncated(&self, detail: String) -> Error {
        if self.number == 0 {
            return Error::NotPbf {
                path: self.path.clone(),
                reason: format!("the file is too short for a PBF header ({detail})"),
            };
        }
        Error::Truncated {
            path: self.path.clone(),
            blob: self.number,
            offset: self.offset,
            detail,
        }
    }

    fn read_frame(&mut self) -> Result<Option<RawBlob>> {
        let mut len_buf = [0_u8; 4];
        let got = self.fill(&mut len_buf)?;
        if got == 0 {
            if self.number == 0 {
                return Err(self.bad("the file is empty".into()));
            }
            return Ok(None);
        }
        if got < 4 {
            return Err(self.truncated(format!("ends after {got} of the 4 length bytes")));
        }
        let header_len = u32::from_be_bytes(len_buf) as usize;
        if header_len == 0 || header_len > MAX_HEADER_SIZE {
            return Err(self.bad(format!(
                "blob header length {header_len} is outside 1..={MAX_HEADER_SIZE}"
            )));
        }
        let mut frame = Vec::with_capacity(4 + header_len + 64 * 1024);
        frame.extend_from_slice(&len_buf);
        frame.resize(4 + header_len, 0);
        let got = self.fill(&mut frame[4..])?;
        if got < header_len {
            return Err(self.truncated(format!(
                "ends after {got} of {header_len} blob header bytes"
            )));
        }
        let (kind, data_size) = parse_blob_header(&frame[4..]).map_err(|r| self.bad(r))?;
        if self.number == 0 && kind != BlobKind::Header {
            return Err(self.bad("the first blob is not an OSMHeader".into()));
        }
        let data_start = frame.len();
        frame.resize(data_start + data_size, 0);
        let got = self.fill(&mut frame[data_start..])?;
        if got < data_size {
            return Err(self.truncated(format!("ends after {got} of {data_size} blob data bytes")));
        }
        let blob = RawBlob {
            number: self.number,
            offset: self.offset,
            kind,
            frame,
            data_start,
        };
        self.offset += blob.frame.len() as u64;
        self.number += 1;
        Ok(Some(blob))
    }
}

impl<R: Read> Iterator for BlobFrames<R> {
    type Item = Result<RawBlob>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.read_frame() {
            Ok(Some(blob)) => Some(Ok(blob)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The type and data size of a `BlobHeader`.
fn parse_blob_header(buf: &[u8]) -> Result<(BlobKind, usize), String> {
    let mut kind = None;
    let mut size = None;
    for field in Fields::new(buf) {
        match field.map_err(|m| format!("malformed blob header: {}", m.0))? {
            Field::Bytes(1, t) => {
                kind = Some(match t {
                    b"OSMHeader" => BlobKind::Header,
                    b"OSMData" => BlobKind::Data,
                    _ => BlobKind::Unknown,
                });
            }
            Field::Varint(3, s) => size = Some(s),
            _ => {}
        }
    }
    let kind = kind.ok_or("blob header has no type")?;
    let size = size.ok_or("blob header has no data size")?;
    let size = usize::try_from(size).ok().filter(|&s| s <= MAX_BLOB_SIZE);
    Ok((
        kind,
        size.ok_or(format!(
            "blob data size is over the {MAX_BLOB_SIZE}-byte limit"
        ))?,
    ))
}

/// The data of a `Blob`: its field number (1 raw, 3 zlib, …) and bytes.
type BlobData<'a> = Option<(u32, &'a [u8])>;

/// The fields of a `Blob` message that matter: its data (the last of the
/// `oneof data` fields, as protobuf readers keep it) and `raw_size`.
fn blob_fields(blob: &[u8]) -> Result<(BlobData<'_>, Option<u64>), String> {
    let mut data = None;
    let mut raw_size = None;
    for field in Fields::new(blob) {
        match field.map_err(|m| format!("malformed blob: {}", m.0))? {
            Field::Bytes(n @ (1 | 3..=7), d) => data = Some((n, d)),
            Field::Varint(2, s) => raw_size = Some(s),
            _ => {}
        }
    }
    Ok((data, raw_size))
}

/// The decompressed size a `Blob` message announces (its raw data's length, or
/// `raw_size`), at most [`MAX_BLOB_SIZE`] + 1: what decompressing it may
/// allocate, known before doing it. Readers budget their batches with it.
#[must_use]
pub fn announced_size(blob: &[u8]) -> usize {
    let limit = MAX_BLOB_SIZE + 1;
    match blob_fields(blob) {
        Ok((Some((1, raw)), _)) => raw.len().min(limit),
        Ok((_, Some(size))) => usize::try_from(size).map_or(limit, |s| s.min(limit)),
        _ => 0,
    }
}

/// Decompresses a `Blob` message into its block bytes.
///
/// # Errors
/// A description of what is wrong, for the caller to place.
pub fn decompress(blob: &[u8]) -> Result<Vec<u8>, String> {
    let (data, raw_size) = blob_fields(blob)?;
    let zlib = match data {
        None => return Err("blob has neither raw nor zlib data".into()),
        Some((1, raw)) if raw.len() > MAX_BLOB_SIZE => {
            return Err(format!(
                "raw block of {} bytes is over the {MAX_BLOB_SIZE}-byte limit",
                raw.len()
            ));
        }
        Some((1, raw)) => return Ok(raw.to_vec()),
        Some((3, z)) => z,
        Some((4, _)) => return Err("lzma compression is not supported".into()),
        Some((5, _)) => return Err("bzip2 compression is not supported".into()),
        Some((6, _)) => return Err("lz4 compression is not supported".into()),
        Some((_, _)) => return Err("zstd compression is not supported".into()),
    };
    let size = raw_size.ok_or("zlib blob has no raw_size")?;
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s <= MAX_BLOB_SIZE)
        .ok_or_else(|| format!("raw_size {} is outside 0..={MAX_BLOB_SIZE}", size as i64))?;
    // One spare byte tells "exactly raw_size" apart from "longer than announced".
    let mut out = Vec::with_capacity(size + 1);
    let mut inflater = Decompress::new(true);
    let status = inflater
        .decompress_vec(zlib, &mut out, FlushDecompress::Finish)
        .map_err(|e| format!("zlib data is corrupt: {e}"))?;
    if status != Status::StreamEnd {
        return Err(format!(
            "zlib stream does not end where raw_size {size} says (got {} bytes)",
            out.len()
        ));
    }
    if out.len() != size {
        return Err(format!(
            "zlib data inflates to {} bytes, raw_size says {size}",
            out.len()
        ));
    }
    Ok(out)
}

/// Compresses a block into a `Blob` message (`raw_size` and `zlib_data`).
#[must_use]
pub fn compress(raw: &[u8], level: Compression) -> Vec<u8> {
    let mut deflater = Compress::new(level, true);
    let mut z = Vec::with_capacity(raw.len() / 2 + 64);
    loop {
        let before = deflater.total_in() as usize;
        let status = deflater.compress_vec(&raw[before..], &mut z, FlushCompress::Finish);
        match status {
            Ok(Status::StreamEnd) => break,
            // The output buffer is full: grow it and continue.
            Ok(_) => z.reserve(z.capacity().max(4096)),
            Err(_) => unreachable!("deflate of an in-memory buffer cannot fail"),
        }
    }
    let mut blob = Vec::with_capacity(z.len() + 16);
    proto::put_uint_field(&mut blob, 2, raw.len() as u64);
    proto::put_bytes_field(&mut blob, 3, &z);
    blob
}

/// Writes one frame: length prefix, `BlobHeader` of `kind`, then `blob`; the bytes written.
///
/// # Errors
/// The writer's I/O error.
pub fn write_frame(out: &mut impl Write, kind: BlobKind, blob: &[u8]) -> io::Result<u64> {
    let type_name: &[u8] = match kind {
        BlobKind::Header => b"OSMHeader",
        BlobKind::Data | BlobKind::Unknown => b"OSMData",
    };
    let mut header = Vec::with_capacity(32);
    proto::put_bytes_field(&mut header, 1, type_name);
    proto::put_uint_field(&mut header, 3, blob.len() as u64);
    out.write_all(&(header.len() as u32).to_be_bytes())?;
    out.write_all(&header)?;
    out.write_all(blob)?;
    Ok(4 + header.len() as u64 + blob.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(bytes: &[u8]) -> Vec<Result<RawBlob>> {
        BlobFrames::new(bytes, Path::new("t.pbf")).collect()
    }

    #[test]
    fn frames_round_trip_and_damage_is_named() {
        let mut file = Vec::new();
        write_frame(
            &mut file,
            BlobKind::Header,
            &compress(b"header", Compression::default()),
        )
        .unwrap();
        let second = file.len();
        write_frame(
            &mut file,
            BlobKind::Data,
            &compress(&[7_u8; 5000], Compression::default()),
        )
        .unwrap();
        let read: Vec<RawBlob> = frames(&file).into_iter().map(Result::unwrap).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].offset, second as u64);
        assert_eq!(read[1].kind, BlobKind::Data);
        assert_eq!(
            read[1].decompress(Path::new("t.pbf")).unwrap(),
            vec![7_u8; 5000]
        );

        for cut in [second + 2, second + 10, file.len() - 1] {
            let err = frames(&file[..cut]).pop().unwrap().unwrap_err().to_string();
            assert!(err.contains("t.pbf is truncated: blob 1"), "{err}");
        }
        let err = frames(b"<?xml version='1.0'?><osm>")
            .pop()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.pbf is not an OSM PBF file"), "{err}");

        let mut bad = read[1].clone();
        let n = bad.frame.len();
        bad.frame[n - 6] ^= 0xff;
        let err = bad.decompress(Path::new("t.pbf")).unwrap_err().to_string();
        assert!(
            err.contains("blob 1 at byte") && err.contains("corrupt"),
            "{err}"
        );
    }
}
