//! Reading PBF files: ordered parallel decode over osmpbf, with errors that
//! name the file, the blob number and its byte offset.
//!
//! Frames are read sequentially (cheap: a copy), then decoded in parallel
//! batches with rayon and handed to the caller in file order. The reader checks
//! that entities come in type-then-id order, which the crop relies on.

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use osmpbf::{BlobReader, PrimitiveBlock, RelMemberType};
use rayon::prelude::*;

use crate::blob::{BlobFrames, BlobKind, RawBlob};
use crate::check::{BlockCheck, check_block};
use crate::elements::{Element, Member, MemberType, Meta, Node, Relation, Tags, Way};
use crate::error::{Error, Result};
use crate::header::{Header, read_header};
use crate::proto;

/// Compressed bytes handed to one parallel batch.
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Decompressed bytes (as the blobs announce them) of one parallel batch: zlib
/// inflates up to ~1000×, so counting compressed bytes alone would let a batch
/// of small, highly compressed blobs decompress to gigabytes.
pub const BATCH_RAW_BYTES: usize = 64 * 1024 * 1024;

/// An open PBF file positioned after its header.
#[derive(Debug)]
pub struct PbfReader {
    path: PathBuf,
    frames: BlobFrames<BufReader<File>>,
    header: Header,
    bytes_read: Arc<AtomicU64>,
}

impl PbfReader {
    /// Opens `path` and reads its header; `bytes_read` counts the bytes consumed.
    ///
    /// # Errors
    /// Missing file, not a PBF file, damaged or unsupported header.
    pub fn open(path: &Path, bytes_read: Arc<AtomicU64>) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut frames = BlobFrames::new(BufReader::with_capacity(1 << 20, file), path);
        let first = frames.next().ok_or_else(|| Error::NotPbf {
            path: path.to_owned(),
            reason: "the file is empty".into(),
        })??;
        bytes_read.fetch_add(first.frame.len() as u64, Ordering::Relaxed);
        let header = read_header(path, &first)?;
        Ok(Self {
            path: path.to_owned(),
            frames,
            header,
            bytes_read,
        })
    }

    /// The file's header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next data blobs, about 8 MiB of them compressed and at most 64 MiB
    /// decompressed (or one blob, whatever its size); empty at the end.
    ///
    /// # Errors
    /// Truncation or framing damage, naming the blob.
    pub fn next_batch(&mut self) -> Result<Vec<RawBlob>> {
        let mut batch = Vec::new();
        let (mut bytes, mut raw_bytes) = (0, 0);
        while bytes < BATCH_BYTES {
            let Some(blob) = self.frames.next().transpose()? else {
                break;
            };
            self.bytes_read
                .fetch_add(blob.frame.len() as u64, Ordering::Relaxed);
            if blob.kind == BlobKind::Data {
                bytes += blob.frame.len();
                raw_bytes += blob.announced_size();
                batch.push(blob);
                if raw_bytes >= BATCH_RAW_BYTES {
                    break;
                }
            }
        }
        Ok(batch)
    }

    /// Decodes every entity in file order, calling `sink` for each batch of blocks.
    ///
    /// # Errors
    /// Any read or decode error, or entities out of type-then-id order.
    pub fn for_each_block(
        mut self,
        mut sink: impl FnMut(Vec<Element>) -> Result<()>,
    ) -> Result<()> {
        let mut order = OrderCheck::new(&self.path);
        loop {
            let batch = self.next_batch()?;
            if batch.is_empty() {
                return Ok(());
            }
            let decoded: Vec<Result<Vec<Element>>> = batch
                .par_iter()
                .map(|b| decode_elements(&self.path, b))
                .collect();
            for (blob, elements) in batch.iter().zip(decoded) {
                let elements = elements?;
                for e in &elements {
                    order.check(blob.number, e.kind(), e.id())?;
                }
                sink(elements)?;
            }
        }
    }
}

/// Reads a whole file into memory: its header and every entity in order.
///
/// # Errors
/// As [`PbfReader::open`] and [`PbfReader::for_each_block`].
pub fn read_all(path: &Path) -> Result<(Header, Vec<Element>)> {
    let reader = PbfReader::open(path, Arc::default())?;
    let header = reader.header().clone();
    let mut all = Vec::new();
    reader.for_each_block(|mut block| {
        all.append(&mut block);
        Ok(())
    })?;
    Ok((header, all))
}

/// Checks that (type, id) keys strictly increase across a file.
#[derive(Debug)]
pub struct OrderCheck {
    path: PathBuf,
    last: Option<(MemberType, i64)>,
}

impl OrderCheck {
    /// A check for entities of `path`.
    #[must_use]
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            last: None,
        }
    }

    /// Accepts the next entity, or says which order it breaks.
    ///
    /// # Errors
    /// [`Error::Unsorted`] naming both entities and the blob.
    pub fn check(&mut self, blob: u64, kind: MemberType, id: i64) -> Result<()> {
        if let Some((lk, lid)) = self.last
            && (kind, id) <= (lk, lid)
        {
            return Err(Error::Unsorted {
                path: self.path.clone(),
                blob,
                detail: format!("{kind:?} {id} comes after {lk:?} {lid}").to_lowercase(),
            });
        }
        self.last = Some((kind, id));
        Ok(())
    }
}

/// Decodes one data blob into owned entities with osmpbf.
///
/// # Errors
/// [`Error::Corrupt`] naming the blob for bad zlib data, malformed protobuf,
/// anything [`check_block`] refuses (string indices out of range, non-UTF-8
/// strings, unknown member types, overflowing deltas, a decoded size past
/// [`crate::check::MAX_DECODED_BLOCK_BYTES`]).
pub fn decode_elements(path: &Path, blob: &RawBlob) -> Result<Vec<Element>> {
    if blob.kind != BlobKind::Data {
        return Ok(Vec::new());
    }
    let block = CheckedBlock::new(blob.decompress(path)?).map_err(|r| corrupt(path, blob, r))?;
    block_elements(path, blob, &block)
}

/// The owned entities of `block`, the checked content of `blob`.
///
/// # Errors
/// [`Error::Corrupt`] naming the blob when osmpbf or the conversion fails.
pub fn block_elements(path: &Path, blob: &RawBlob, block: &CheckedBlock) -> Result<Vec<Element>> {
    let decoded = block.decode().map_err(|r| corrupt(path, blob, r))?;
    convert_block(&decoded).map_err(|r| corrupt(path, blob, r))
}

fn corrupt(path: &Path, blob: &RawBlob, reason: String) -> Error {
    Error::Corrupt {
        path: path.to_owned(),
        blob: blob.number,
        offset: blob.offset,
        reason,
    }
}

/// A decompressed `PrimitiveBlock` that passed the crate's bounds check (string
/// indices, UTF-8, member types, delta arithmetic, decoded size): the only form in
/// which hexmatrix hands a block to osmpbf.
#[derive(Debug, Clone)]
pub struct CheckedBlock {
    raw: Vec<u8>,
    check: BlockCheck,
}

impl CheckedBlock {
    /// Checks the decompressed block `raw` and keeps it.
    ///
    /// # Errors
    /// The check's reason, for the caller to place.
    pub fn new(raw: Vec<u8>) -> Result<Self, String> {
        let check = check_block(&raw)?;
        Ok(Self { raw, check })
    }

    /// What the check found, including the estimated decoded size.
    #[must_use]
    pub fn check(&self) -> BlockCheck {
        self.check
    }

    /// Decodes the block with osmpbf.
    ///
    /// # Errors
    /// osmpbf's error as text (for a field the check does not look at).
    pub fn decode(&self) -> Result<PrimitiveBlock, String> {
        // osmpbf decodes blobs, not blocks: frame the block as an uncompressed blob.
        let mut data_key = Vec::with_capacity(16);
        proto::put_key(&mut data_key, 1, proto::LEN);
        proto::put_varint(&mut data_key, self.raw.len() as u64);
        let mut header = Vec::with_capacity(32);
        proto::put_bytes_field(&mut header, 1, b"OSMData");
        proto::put_uint_field(&mut header, 3, (data_key.len() + self.raw.len()) as u64);
        let mut frame = Vec::with_capacity(4 + header.len() + data_key.len() + self.raw.len());
        frame.extend_from_slice(&(header.len() as u32).to_be_bytes());
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&data_key);
        frame.extend_from_slice(&self.raw);
        BlobReader::new(Cursor::new(frame))
            .next()
            .ok_or("empty frame")?
            .and_then(|b| b.to_primitiveblock())
            .map_err(|e| e.to_string())
    }
}

/// Checks and decodes a decompressed `PrimitiveBlock` ([`CheckedBlock`]).
///
/// # Errors
/// The check's reason or osmpbf's error, as text.
#[cfg(test)]
pub fn decode_block(raw: &[u8]) -> Result<PrimitiveBlock, String> {
    CheckedBlock::new(raw.to_vec())?.decode()
}

fn string(table: &[Vec<u8>], index: usize) -> Result<String, String> {
    let bytes = table.get(index).ok_or_else(|| {
        format!(
            "string index {index} is past the table's {} entries",
            table.len()
        )
    })?;
    String::from_utf8(bytes.clone()).map_err(|_| format!("string {index} is not UTF-8"))
}

fn tags(table: &[Vec<u8>], raw: impl Iterator<Item = (u32, u32)>) -> Result<Tags, String> {
    raw.map(|(k, v)| Ok((string(table, k as usize)?, string(table, v as usize)?)))
        .collect()
}

fn meta(info: &osmpbf::Info<'_>) -> Result<Option<Meta>, String> {
    if info.version().is_none() && info.milli_timestamp().is_none() && info.changeset().is_none() {
        return Ok(None);
    }
    let user = match info.user() {
        Some(Ok(u)) => u.to_owned(),
        Some(Err(_)) => return Err("user name index is out of range or not UTF-8".into()),
        None => String::new(),
    };
    Ok(Some(Meta {
        version: info.version().unwrap_or(0),
        timestamp: info.milli_timestamp().unwrap_or(0) / 1000,
        changeset: info.changeset().unwrap_or(0),
        uid: info.uid().unwrap_or(0),
        user,
        visible: info.visible(),
    }))
}

fn convert_block(block: &PrimitiveBlock) -> Result<Vec<Element>, String> {
    let table = block.raw_stringtable();
    let mut out = Vec::new();
    for group in block.groups() {
        for n in group.nodes() {
            out.push(Element::Node(Node {
                id: n.id(),
                lat: n.decimicro_lat(),
                lon: n.decimicro_lon(),
                tags: tags(table, n.raw_tags())?,
                meta: meta(&n.info())?,
            }));
        }
        for n in group.dense_nodes() {
            let meta = match n.info() {
                Some(i) => Some(Meta {
                    version: i.version(),
                    timestamp: i.milli_timestamp() / 1000,
                    changeset: i.changeset(),
                    uid: i.uid(),
                    user: i
                        .user()
                        .map_err(|e| format!("dense node {} user: {e}", n.id()))?
                        .to_owned(),
                    visible: i.visible(),
                }),
                None => None,
            };
            out.push(Element::Node(Node {
                id: n.id(),
                lat: n.decimicro_lat(),
                lon: n.decimicro_lon(),
                tags: tags(table, n.raw_tags().map(|(k, v)| (k as u32, v as u32)))?,
                meta,
            }));
        }
        for w in group.ways() {
            out.push(Element::Way(Way {
                id: w.id(),
                refs: w.refs().collect(),
                tags: tags(table, w.raw_tags())?,
                meta: meta(&w.info())?,
            }));
        }
        for r in group.relations() {
            let members = r
                .members()
                .map(|m| {
                    Ok(Member {
                        kind: match m.member_type {
                            RelMemberType::Node => MemberType::Node,
                            RelMemberType::Way => MemberType::Way,
                            RelMemberType::Relation => MemberType::Relation,
                        },
                        id: m.member_id,
                        role: string(table, m.role_sid as usize)?,
                    })
                })
                .collect::<Result<_, String>>()?;
            out.push(Element::Relation(Relation {
                id: r.id(),
                members,
                tags: tags(table, r.raw_tags())?,
                meta: meta(&r.info())?,
            }));
        }
    }
    Ok(out)
}
