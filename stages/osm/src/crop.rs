//! The crop: `osmium extract --strategy complete_ways --bbox B`, in two passes.
//!
//! Pass 1 reads every block with the fast scanner ([`crate::scan`]): nodes
//! inside the bbox go to `inside`; a way with at least one such node is kept
//! and all its nodes go to `extra`; a relation is kept when a node member is
//! in `inside` or a way member is kept, and then every relation that has a kept
//! relation as a member is kept too, up the whole parent chain (osmium's
//! `add_relation_parents`). Pass 1 also notes where each block's ids lie.
//!
//! Pass 2 re-reads only the blocks whose id ranges hold something kept, decodes
//! them in full with osmpbf and writes the kept entities, unchanged, to a
//! temporary file beside the output, which is renamed into place at the end.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hexmatrix_contract::{Context, Counter, Unit};
use rayon::prelude::*;

use crate::bbox::Bbox;
use crate::blob::{BlobFrames, RawBlob};
use crate::check::MAX_DECODED_BLOCK_BYTES;
use crate::elements::{Element, MemberType};
use crate::error::{Error, Result};
use crate::idset::IdSet;
use crate::reader::{BATCH_RAW_BYTES, CheckedBlock, OrderCheck, PbfReader, block_elements};
use crate::scan::{BlockScan, FixedBox, Span, scan_block};
use crate::writer::{PbfWriter, WriterOptions};

/// What to crop and where: the validated options of [`run`].
#[derive(Debug, Clone)]
pub struct CropOptions {
    /// The region PBF, sorted by type then id.
    pub input: PathBuf,
    /// The area to keep.
    pub bbox: Bbox,
    /// The city PBF to write (replaced only when the crop succeeds).
    pub output: PathBuf,
}

/// The stage's name in progress lines and cancellation errors.
const STAGE: &str = "crop";

/// Crops `opts.input` to `opts.bbox` into `opts.output` ([`crop`]), creating the
/// output's directory, showing bytes and entities read on `ctx`.
///
/// # Errors
/// As [`crop`]; [`Error::Cancelled`] when `ctx` is cancelled before the second pass.
pub fn run(opts: &CropOptions, ctx: &Context) -> Result<CropSummary> {
    let input_len = std::fs::metadata(&opts.input).ok().map(|m| m.len());
    if let Some(dir) = opts.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    }
    let counters = CropCounters::default();
    let shown = ctx.show(
        STAGE,
        input_len,
        Counter::new(Unit::Bytes, Arc::clone(&counters.bytes_read)),
        vec![Counter::new(
            Unit::Items("entities"),
            Arc::clone(&counters.entities),
        )],
    );
    let result = crop_with(&opts.input, &opts.bbox, &opts.output, &counters, ctx);
    shown.finish();
    result
}

/// Live counters a caller can display while the crop runs.
#[derive(Debug, Clone, Default)]
pub struct CropCounters {
    /// Input bytes consumed by the first pass (reaches the file size).
    pub bytes_read: Arc<AtomicU64>,
    /// Entities scanned by the first pass.
    pub entities: Arc<AtomicU64>,
}

/// What a crop did.
#[derive(Debug, Clone, PartialEq)]
pub struct CropSummary {
    /// Nodes written.
    pub nodes: u64,
    /// Ways written.
    pub ways: u64,
    /// Relations written.
    pub relations: u64,
    /// Entities in the input.
    pub input_entities: u64,
    /// Bytes of the input file.
    pub input_bytes: u64,
    /// Blocks decoded in full by the second pass, of all data blocks.
    pub blocks_decoded: (u64, u64),
    /// Bytes of the output file.
    pub output_bytes: u64,
    /// The bbox the input's header claims (not used: it can be wrong).
    pub header_bbox: Option<(f64, f64, f64, f64)>,
}

/// Where a block is and which ids it holds, per entity type.
#[derive(Debug, Clone)]
struct BlockIndex {
    number: u64,
    offset: u64,
    spans: Vec<Span>,
}

/// Everything pass 1 learns.
#[derive(Debug, Default)]
struct Selection {
    inside: IdSet,
    extra: IdSet,
    ways: IdSet,
    relations: IdSet,
    /// (child relation, parent relation) for relation members.
    parents: Vec<(i64, i64)>,
    blocks: Vec<BlockIndex>,
    extent: Option<(i64, i64, i64, i64)>,
    entities: u64,
}

/// Crops `input` to `bbox` into `output` with osmium's `complete_ways` semantics.
///
/// The output's header carries `bbox`. On any error no file is left at `output`.
///
/// # Errors
/// Unreadable, damaged or unsorted input (naming the file and blob), a bbox
/// that holds no node of the input ([`Error::EmptyCrop`]), or a write failure.
pub fn crop(
    input: &Path,
    bbox: &Bbox,
    output: &Path,
    counters: &CropCounters,
) -> Result<CropSummary> {
    crop_with(input, bbox, output, counters, &Context::silent())
}

/// [`crop`] under `ctx`: cancellation between the passes, the output written
/// through [`Context::output`].
fn crop_with(
    input: &Path,
    bbox: &Bbox,
    output: &Path,
    counters: &CropCounters,
    ctx: &Context,
) -> Result<CropSummary> {
    let input_bytes = std::fs::metadata(input)
        .map_err(|e| Error::io(input, e))?
        .len();
    let reader = PbfReader::open(input, Arc::clone(&counters.bytes_read))?;
    let header = reader.header().clone();
    let mut sel = first_pass(reader, bbox.fixed(), counters)?;
    if sel.inside.is_empty() {
        return Err(Error::EmptyCrop {
            path: input.to_owned(),
            bbox: bbox.to_string(),
            data_bbox: sel.extent.map_or_else(
                || "nothing (no nodes)".to_owned(),
                |(a, b, c, d)| {
                    format!(
                        "{},{},{},{}",
                        a as f64 / 1e7,
                        b as f64 / 1e7,
                        c as f64 / 1e7,
                        d as f64 / 1e7
                    )
                },
            ),
        });
    }
    ctx.check(STAGE)?;
    add_relation_parents(&mut sel);
    let options = WriterOptions {
        bbox: Some(*bbox),
        historical: header.historical,
        ..WriterOptions::default()
    };
    let temp = TempOutput::new(output, ctx)?;
    let mut writer = PbfWriter::create(&temp.path, &options)?;
    let (counts, decoded) = second_pass(input, &sel, &mut writer)?;
    let (_, output_bytes) = writer.finish()?;
    temp.commit()?;
    Ok(CropSummary {
        nodes: counts[0],
        ways: counts[1],
        relations: counts[2],
        input_entities: sel.entities,
        input_bytes,
        blocks_decoded: (decoded, sel.blocks.len() as u64),
        output_bytes,
        header_bbox: header.bbox,
    })
}

fn first_pass(reader: PbfReader, bbox: FixedBox, counters: &CropCounters) -> Result<Selection> {
    let path = reader.path().to_owned();
    // Reading runs one batch ahead on its own thread, so the copy from disk
    // overlaps with decompression instead of stalling both cores.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<RawBlob>>>(2);
        let mut reader = reader;
        scope.spawn(move || {
            loop {
                let batch = reader.next_batch();
                let last = batch.as_ref().map_or(true, Vec::is_empty);
                // A closed channel means the consumer stopped on an error.
                if tx.send(batch).is_err() || last {
                    break;
                }
            }
        });
        select(&path, rx.into_iter(), bbox, counters)
    })
}

fn select(
    path: &Path,
    batches: impl Iterator<Item = Result<Vec<RawBlob>>>,
    bbox: FixedBox,
    counters: &CropCounters,
) -> Result<Selection> {
    let path = path.to_owned();
    let mut order = OrderCheck::new(&path);
    let mut sel = Selection::default();
    for batch in batches {
        let batch = batch?;
        if batch.is_empty() {
            break;
        }
        let scans: Vec<Result<BlockScan>> = batch
            .par_iter()
            .map(|blob| {
                let raw = blob.decompress(&path)?;
                scan_block(&raw, bbox).map_err(|reason| corrupt(&path, blob, reason))
            })
            .collect();
        let mut scans = scans.into_iter().collect::<Result<Vec<_>>>()?;
        // Nodes first: the file is sorted, so by the time a way is checked every
        // node of the file is known (a node after a way fails the order check).
        for (blob, scan) in batch.iter().zip(&mut scans) {
            for span in &scan.spans {
                if let Some((prev, next)) = span.unsorted {
                    return Err(Error::Unsorted {
                        path: path.clone(),
                        blob: blob.number,
                        detail: format!(
                            "{kind} {next} comes after {kind} {prev}",
                            kind = name(span.kind)
                        ),
                    });
                }
                order.check(blob.number, span.kind, span.first)?;
                order
                    .check(blob.number, span.kind, span.last)
                    .or_else(|e| {
                        // A one-entity span checks its only id twice.
                        if span.first == span.last {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })?;
            }
            for &id in &scan.inside {
                sel.inside.insert(id);
            }
            if let Some(e) = scan.extent {
                sel.extent = Some(match sel.extent {
                    None => e,
                    Some(x) => (x.0.min(e.0), x.1.min(e.1), x.2.max(e.2), x.3.max(e.3)),
                });
            }
            sel.entities += scan.entities;
            counters
                .entities
                .fetch_add(scan.entities, Ordering::Relaxed);
            sel.blocks.push(BlockIndex {
                number: blob.number,
                offset: blob.offset,
                spans: std::mem::take(&mut scan.spans),
            });
        }
        let inside = &sel.inside;
        let kept: Vec<(Vec<i64>, Vec<i64>)> = scans
            .par_iter()
            .map(|scan| {
                let mut ways = Vec::new();
                let mut refs = Vec::new();
                for (id, way_refs) in scan.ways.iter() {
                    if way_refs.iter().any(|&r| inside.contains(r)) {
                        ways.push(id);
                        refs.extend_from_slice(way_refs);
                    }
                }
                (ways, refs)
            })
            .collect();
        for (ways, refs) in kept {
            for id in ways {
                sel.ways.insert(id);
            }
            for id in refs {
                sel.extra.insert(id);
            }
        }
        for scan in &scans {
            for rel in &scan.relations {
                let direct = rel.members.iter().any(|&(kind, id)| match kind {
                    MemberType::Node => sel.inside.contains(id),
                    MemberType::Way => sel.ways.contains(id),
                    MemberType::Relation => false,
                });
                if direct {
                    sel.relations.insert(rel.id);
                }
                for &(kind, id) in &rel.members {
                    if kind == MemberType::Relation {
                        sel.parents.push((id, rel.id));
                    }
                }
            }
        }
    }
    Ok(sel)
}

/// Keeps every relation that has a kept relation as a member, transitively.
fn add_relation_parents(sel: &mut Selection) {
    let mut parents_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(child, parent) in &sel.parents {
        parents_of.entry(child.abs()).or_default().push(parent);
    }
    let mut stack: Vec<i64> = parents_of
        .keys()
        .copied()
        .filter(|&c| sel.relations.contains(c))
        .collect();
    while let Some(child) = stack.pop() {
        if let Some(parents) = parents_of.get(&child.abs()) {
            for &p in parents {
                if sel.relations.insert(p) {
                    stack.push(p);
                }
            }
        }
    }
}

fn wanted(sel: &Selection, kind: MemberType, id: i64) -> bool {
    match kind {
        MemberType::Node => sel.inside.contains(id) || sel.extra.contains(id),
        MemberType::Way => sel.ways.contains(id),
        MemberType::Relation => sel.relations.contains(id),
    }
}

fn block_wanted(sel: &Selection, block: &BlockIndex) -> bool {
    block.spans.iter().any(|s| match s.kind {
        MemberType::Node => {
            sel.inside.any_in_range(s.first, s.last) || sel.extra.any_in_range(s.first, s.last)
        }
        MemberType::Way => sel.ways.any_in_range(s.first, s.last),
        MemberType::Relation => sel.relations.any_in_range(s.first, s.last),
    })
}

/// Most blocks read together by the second pass.
const PASS2_BATCH: usize = 32;
/// Most estimated decoded bytes ([`crate::check::check_block`]) the second pass holds at once:
/// two blocks at the per-block limit, dozens of real ones.
pub const PASS2_DECODED_BUDGET: u64 = 2 * MAX_DECODED_BLOCK_BYTES;

fn second_pass<W: std::io::Write>(
    input: &Path,
    sel: &Selection,
    writer: &mut PbfWriter<W>,
) -> Result<([u64; 3], u64)> {
    let wanted_blocks: Vec<&BlockIndex> =
        sel.blocks.iter().filter(|b| block_wanted(sel, b)).collect();
    let mut file =
        BufReader::with_capacity(1 << 20, File::open(input).map_err(|e| Error::io(input, e))?);
    let mut counts = [0_u64; 3];
    let mut pending = wanted_blocks.iter().peekable();
    while pending.peek().is_some() {
        // Read a batch: as the first pass, bounded in blocks and decompressed bytes.
        let mut blobs = Vec::new();
        let mut raw_bytes = 0;
        while blobs.len() < PASS2_BATCH && raw_bytes < BATCH_RAW_BYTES {
            let Some(block) = pending.next() else { break };
            file.seek(SeekFrom::Start(block.offset))
                .map_err(|e| Error::io(input, e))?;
            let mut frames = BlobFrames::at(&mut file, input, block.number, block.offset);
            let blob = frames.next().ok_or_else(|| Error::Truncated {
                path: input.to_owned(),
                blob: block.number,
                offset: block.offset,
                detail: "vanished between the two passes".into(),
            })??;
            raw_bytes += blob.announced_size();
            blobs.push(blob);
        }
        // Decompress and check in parallel: the check estimates each decoded size.
        let checked: Vec<Result<CheckedBlock>> = blobs
            .par_iter()
            .map(|blob| {
                CheckedBlock::new(blob.decompress(input)?)
                    .map_err(|reason| corrupt(input, blob, reason))
            })
            .collect();
        let checked = checked.into_iter().collect::<Result<Vec<_>>>()?;
        // Decode runs of blocks within the budget, and write them in file order.
        let mut start = 0;
        while start < checked.len() {
            let mut end = start;
            let mut budget = 0;
            while end < checked.len() {
                let size = checked[end].check().decoded_bytes;
                if end > start && budget + size > PASS2_DECODED_BUDGET {
                    break;
                }
                budget += size;
                end += 1;
            }
            let decoded: Vec<Result<Vec<Element>>> = blobs[start..end]
                .par_iter()
                .zip(&checked[start..end])
                .map(|(blob, block)| {
                    let mut elements = block_elements(input, blob, block)?;
                    elements.retain(|e| wanted(sel, e.kind(), e.id()));
                    Ok(elements)
                })
                .collect();
            for elements in decoded {
                for e in elements? {
                    counts[e.kind() as usize] += 1;
                    writer.write(e)?;
                }
            }
            start = end;
        }
    }
    Ok((counts, wanted_blocks.len() as u64))
}

fn corrupt(path: &Path, blob: &RawBlob, reason: String) -> Error {
    Error::Corrupt {
        path: path.to_owned(),
        blob: blob.number,
        offset: blob.offset,
        reason,
    }
}

fn name(kind: MemberType) -> &'static str {
    match kind {
        MemberType::Node => "node",
        MemberType::Way => "way",
        MemberType::Relation => "relation",
    }
}

/// A temporary file beside the output, removed unless committed.
#[derive(Debug)]
struct TempOutput {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
    output: hexmatrix_contract::Output,
}

impl TempOutput {
    fn new(target: &Path, ctx: &Context) -> Result<Self> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::io(
                &dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "output directory does not exist",
                ),
            ));
        }
        Ok(Self {
            path: ctx.output().temp_for(target),
            target: target.to_owned(),
            committed: false,
            output: ctx.output(),
        })
    }

    /// Syncs the written file, renames it over the target and syncs the directory.
    fn commit(mut self) -> Result<()> {
        self.output
            .commit_file(&self.path, &self.target)
            .map_err(|e| Error::write(&self.target, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the file may not exist yet.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
#[path = "crop_tests.rs"]
mod tests;
