//! Origin blocks: the rows of a fixed number of consecutive origins, computed in
//! parallel and written as one part file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::bucket::{BATCH, Batch, Buckets};
use crate::chunk::DestChunks;
use crate::error::Result;
use crate::hierarchy::Hierarchy;
use crate::search::StatePool;
use crate::writer::{PartBuffers, PartWriter};

/// Most rows a block holds when its size is chosen automatically: 2 Mi rows take
/// 16 MiB of search results, whatever the number of cells.
pub const TARGET_BLOCK_ROWS: usize = 1 << 21;

/// Fewest blocks a matrix is cut into when its size is chosen automatically, so that
/// blocks (the unit of parallelism) keep every core busy on small cities too.
pub const MIN_BLOCKS: usize = 8;

/// The automatic origin block size for `cells` routable cells. It depends on the
/// cell count only (not on the machine), so that part numbers are stable.
#[must_use]
pub fn default_block_size(cells: usize) -> usize {
    let by_rows = TARGET_BLOCK_ROWS / cells.max(1);
    let by_count = cells.div_ceil(MIN_BLOCKS);
    by_rows.min(by_count).max(1)
}

/// What the search side knows about the routable cells, in ascending cell order.
pub struct Endpoints<'a> {
    /// The cell ids.
    pub cells: &'a [u64],
    /// The CH node each cell departs from.
    pub sources: &'a [u32],
    /// Per graph node shared by several cells, those cells' indices (so that pairs of
    /// cells on one node get 0, as the diagonal does).
    pub same_node: HashMap<u32, Vec<u32>>,
    /// Each cell's graph node.
    pub nodes: &'a [u32],
}

/// The computed rows of one block: `duration[k * n + j]` (ms, `u32::MAX` = no route
/// within the limit) and `distance[k * n + j]` from origin `first + k` to cell `j`.
pub struct BlockRows {
    /// Index of the block's first origin.
    pub first: usize,
    /// Number of origins.
    pub origins: usize,
    /// Durations, milliseconds.
    pub duration: Vec<u32>,
    /// Distances, metres.
    pub distance: Vec<f32>,
}

/// Buffers a worker reuses from block to block: a block's results (16 MiB at the
/// default block size) and its part writer's staging, which allocated afresh per block
/// cost more in page faults than their use.
#[derive(Default)]
pub struct Scratch {
    duration: Vec<u32>,
    distance: Vec<f32>,
    /// The shared bucket scans' arrays.
    batch: Batch,
    /// The part writer's buffers.
    pub part: PartBuffers,
}

impl Scratch {
    /// Takes back the arrays of a written block.
    pub fn recycle(&mut self, rows: BlockRows) {
        self.duration = rows.duration;
        self.distance = rows.distance;
    }
}

/// A pool of values that workers take, use and give back.
#[derive(Debug, Default)]
pub struct Pool<T> {
    free: Mutex<Vec<T>>,
}

impl<T: Default> Pool<T> {
    /// Runs `f` with a value taken from the pool (or a new one), then gives it back.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let lock = || self.free.lock().unwrap_or_else(PoisonError::into_inner);
        let mut value = lock().pop().unwrap_or_default();
        let r = f(&mut value);
        lock().push(value);
        r
    }
}

/// Computes block `block` of `size` origins, one origin after the other on the
/// calling thread (blocks are the unit of parallelism), into the arrays of
/// `scratch`; adds each origin's pairs to `pairs` as it goes.
#[expect(
    clippy::too_many_arguments,
    reason = "the block's inputs, all borrowed"
)]
pub fn compute<H: Hierarchy>(
    h: &H,
    buckets: &Buckets,
    ends: &Endpoints<'_>,
    pool: &StatePool,
    block: usize,
    size: usize,
    limit_ms: u32,
    pairs: &AtomicU64,
    scratch: &mut Scratch,
) -> BlockRows {
    let n = ends.cells.len();
    let first = block * size;
    let origins = size.min(n - first);
    // Each origin's search fills its whole row, so reused arrays are not cleared.
    let mut duration = std::mem::take(&mut scratch.duration);
    duration.resize(origins * n, u32::MAX);
    let mut distance = std::mem::take(&mut scratch.distance);
    distance.resize(origins * n, 0.0);
    pool.with(|state| {
        // Origins go through the buckets [`BATCH`] at a time: consecutive cells are
        // near each other, so their searches share most of the buckets they read.
        let rows = duration
            .chunks_mut(n * BATCH)
            .zip(distance.chunks_mut(n * BATCH));
        for (b, (dur, dist)) in rows.enumerate() {
            let at = first + b * BATCH;
            let sources = &ends.sources[at..at + dur.len() / n];
            buckets.many_to_many(h, state, &mut scratch.batch, sources, limit_ms, dur, dist);
            let rows = dur.chunks_mut(n).zip(dist.chunks_mut(n));
            for (i, (dur, dist)) in (at..).zip(rows) {
                dur[i] = 0;
                dist[i] = 0.0;
                if let Some(same) = ends.same_node.get(&ends.nodes[i]) {
                    for &j in same {
                        dur[j as usize] = 0;
                        dist[j as usize] = 0.0;
                    }
                }
            }
            pairs.fetch_add((sources.len() * n) as u64, Ordering::Relaxed);
        }
    });
    BlockRows {
        first,
        origins,
        duration,
        distance,
    }
}

/// Counts of one written part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartCounts {
    /// Rows written.
    pub rows: u64,
    /// SHA-256 of the part file, lowercase hex.
    pub sha256: String,
    /// Rows with nulls (no route).
    pub unreachable: u64,
    /// Pairs left out because slower than the duration limit.
    pub beyond_limit: u64,
}

/// Writes a block's rows to the part file `path`, with `dests` the shared `dest`
/// chunks of the matrix whose cells are `cells`. Unreached pairs are null rows
/// without a duration limit, and left out with one (a miss then means "further").
///
/// # Errors
/// As [`PartWriter`].
pub fn write(
    path: &Path,
    rows: &BlockRows,
    dests: &DestChunks,
    cells: &[u64],
    limited: bool,
    buffers: &mut PartBuffers,
) -> Result<PartCounts> {
    let n = cells.len();
    let mut w = PartWriter::create(path, rows.origins * n, dests, limited, buffers)?;
    let mut counts = PartCounts {
        rows: 0,
        sha256: String::new(),
        unreachable: 0,
        beyond_limit: 0,
    };
    for k in 0..rows.origins {
        let span = k * n..(k + 1) * n;
        let (nulls, left_out) = w.push_origin(
            cells[rows.first + k],
            cells,
            &rows.duration[span.clone()],
            &rows.distance[span],
        )?;
        counts.unreachable += nulls;
        counts.beyond_limit += left_out;
    }
    (counts.rows, counts.sha256) = w.finish()?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_blocks_are_bounded_in_rows_and_at_least_eight() {
        assert_eq!(default_block_size(0), 1);
        assert_eq!(default_block_size(5), 1);
        assert_eq!(default_block_size(349), 44);
        assert_eq!(349_usize.div_ceil(default_block_size(349)), 8);
        for cells in [2_308, 14_000, 60_000] {
            let size = default_block_size(cells);
            assert!(size * cells <= TARGET_BLOCK_ROWS, "{cells}");
            assert!(cells.div_ceil(size) >= MIN_BLOCKS);
        }
    }
}
