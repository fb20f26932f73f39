//! `PbfWriter`: entities in, a valid sorted `.osm.pbf` out.
//!
//! Entities arrive in type-then-id order (checked) and are grouped into blocks
//! of at most [`MAX_BLOCK_ENTITIES`] of one type. Blocks are compressed in
//! parallel batches and written in order.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use rayon::prelude::*;

use crate::bbox::Bbox;
use crate::blob::{self, BlobKind};
use crate::dense::encode_dense;
use crate::elements::{Element, MemberType, Node, Relation, Way, encode_relations, encode_ways};
use crate::error::{Error, Result};
use crate::header::encode_header;
use crate::proto;
use crate::strings::StringTable;

/// Most entities per block, as osmium writes (the format recommends ≤ 8000).
pub const MAX_BLOCK_ENTITIES: usize = 8000;
/// Blocks compressed together in one parallel batch.
const BATCH_BLOCKS: usize = 16;

/// How the output is labelled.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// The bbox to put in the header.
    pub bbox: Option<Bbox>,
    /// `writingprogram` in the header.
    pub writing_program: String,
    /// Write `visible` flags and the `HistoricalInformation` feature.
    pub historical: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            bbox: None,
            writing_program: concat!("hexmatrix ", env!("CARGO_PKG_VERSION")).to_owned(),
            historical: false,
        }
    }
}

/// Entities of one type waiting for their block.
#[derive(Debug, Default)]
struct Pending {
    nodes: Vec<Node>,
    ways: Vec<Way>,
    relations: Vec<Relation>,
}

impl Pending {
    fn len(&self) -> usize {
        self.nodes.len() + self.ways.len() + self.relations.len()
    }
}

/// Writes entities to a PBF stream.
#[derive(Debug)]
pub struct PbfWriter<W: Write> {
    out: W,
    path: PathBuf,
    historical: bool,
    pending: Pending,
    /// Encoded, not yet compressed blocks.
    blocks: Vec<Vec<u8>>,
    last: Option<(MemberType, i64)>,
    bytes_written: u64,
}

impl PbfWriter<BufWriter<File>> {
    /// Creates (truncates) `path` and writes the header.
    ///
    /// # Errors
    /// [`Error::Write`] naming `path`.
    pub fn create(path: &Path, options: &WriterOptions) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::write(path, e))?;
        Self::new(BufWriter::with_capacity(1 << 20, file), path, options)
    }
}

impl<W: Write> PbfWriter<W> {
    /// Writes the header to `out`; `path` names the destination in errors.
    ///
    /// # Errors
    /// [`Error::Write`] naming `path`.
    pub fn new(mut out: W, path: &Path, options: &WriterOptions) -> Result<Self> {
        let header = encode_header(
            options.bbox.as_ref(),
            &options.writing_program,
            options.historical,
        );
        let bytes_written = blob::write_frame(
            &mut out,
            BlobKind::Header,
            &blob::compress(&header, Compression::default()),
        )
        .map_err(|e| Error::write(path, e))?;
        Ok(Self {
            out,
            path: path.to_owned(),
            historical: options.historical,
            pending: Pending::default(),
            blocks: Vec::new(),
            last: None,
            bytes_written,
        })
    }

    /// Adds one entity; it must follow the previous one in type-then-id order.
    ///
    /// # Errors
    /// [`Error::WriteOrder`] when out of order, [`Error::Write`] when a block cannot be written.
    pub fn write(&mut self, element: Element) -> Result<()> {
        let key = (element.kind(), element.id());
        if let Some(last) = self.last
            && key <= last
        {
            return Err(Error::WriteOrder {
                path: self.path.clone(),
                detail: format!("{:?} {} came after {:?} {}", key.0, key.1, last.0, last.1),
            });
        }
        if self.last.is_some_and(|l| l.0 != key.0) || self.pending.len() >= MAX_BLOCK_ENTITIES {
            self.close_block();
        }
        self.last = Some(key);
        match element {
            Element::Node(n) => self.pending.nodes.push(n),
            Element::Way(w) => self.pending.ways.push(w),
            Element::Relation(r) => self.pending.relations.push(r),
        }
        if self.blocks.len() >= BATCH_BLOCKS {
            self.flush_blocks()?;
        }
        Ok(())
    }

    /// Encodes the pending entities as one block.
    fn close_block(&mut self) {
        if self.pending.len() == 0 {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        self.blocks.push(encode_block(&pending, self.historical));
    }

    /// Compresses the encoded blocks in parallel and writes them in order.
    fn flush_blocks(&mut self) -> Result<()> {
        let compressed: Vec<Vec<u8>> = self
            .blocks
            .par_iter()
            .map(|raw| blob::compress(raw, Compression::default()))
            .collect();
        self.blocks.clear();
        for b in &compressed {
            self.bytes_written += blob::write_frame(&mut self.out, BlobKind::Data, b)
                .map_err(|e| Error::write(&self.path, e))?;
        }
        Ok(())
    }

    /// Writes what is pending and flushes; returns the inner writer and the bytes written.
    ///
    /// # Errors
    /// [`Error::Write`] naming the destination.
    pub fn finish(mut self) -> Result<(W, u64)> {
        self.close_block();
        self.flush_blocks()?;
        self.out.flush().map_err(|e| Error::write(&self.path, e))?;
        Ok((self.out, self.bytes_written))
    }
}

/// Encodes a `PrimitiveBlock` holding one group of one entity type.
fn encode_block(pending: &Pending, historical: bool) -> Vec<u8> {
    let mut table = StringTable::new();
    let mut group = Vec::with_capacity(64 * 1024);
    if !pending.nodes.is_empty() {
        encode_dense(&mut group, &pending.nodes, &mut table, historical);
    } else if !pending.ways.is_empty() {
        encode_ways(&mut group, &pending.ways, &mut table, historical);
    } else {
        encode_relations(&mut group, &pending.relations, &mut table, historical);
    }
    let mut strings = Vec::with_capacity(table.len() * 8);
    table.encode(&mut strings);
    let mut block = Vec::with_capacity(strings.len() + group.len() + 16);
    proto::put_bytes_field(&mut block, 1, &strings);
    proto::put_bytes_field(&mut block, 2, &group);
    block
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
