//! Origin blocks: the rows of a fixed number of consecutive origins, computed in
//! parallel and written as one part file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::bucket::{BATCH, Batch, Buckets};
use crate::chunk::DestChunks;
use crate::error::Result;
use crate::hierarchy::Hierarchy;
use crate::search::StatePool;
use crate::writer::{PartBuffers, PartWriter};

/// Most rows a block (a part file) holds when its size is chosen automatically,
/// whatever the number of cells.
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

/// Buffers a worker reuses from block to block: the rows of one batch of origins, the
/// shared bucket scans' arrays and the part writer's staging, which allocated afresh
/// per block cost more in page faults than their use.
#[derive(Default)]
pub struct Scratch {
    duration: Vec<u32>,
    distance: Vec<f32>,
    /// The shared bucket scans' arrays.
    batch: Batch,
    /// The part writer's buffers.
    part: PartBuffers,
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

/// What every block reads: the hierarchy and its buckets, the cells, the shared `dest`
/// chunks and the run's settings.
pub struct Blocks<'a, H> {
    /// The hierarchy searched.
    pub h: &'a H,
    /// The targets' buckets.
    pub buckets: &'a Buckets,
    /// The routable cells.
    pub ends: &'a Endpoints<'a>,
    /// The search states the workers share.
    pub states: &'a StatePool,
    /// The `dest` chunks of the matrix.
    pub dests: &'a DestChunks,
    /// Origins per block.
    pub size: usize,
    /// The duration limit in milliseconds (`u32::MAX`: none).
    pub limit_ms: u32,
    /// Whether a duration limit was set: pairs without a route are then left out.
    pub limited: bool,
    /// Pairs computed so far (progress).
    pub pairs: &'a AtomicU64,
}

/// One written block: its origins, its part's counts, and the thread-seconds of its
/// search and of its encoding and writing.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockDone {
    /// Origins of the block.
    pub origins: usize,
    /// Counts of the part.
    pub counts: PartCounts,
    /// Seconds of searching.
    pub search_s: f64,
    /// Seconds of encoding and writing.
    pub write_s: f64,
}

impl<H: Hierarchy> Blocks<'_, H> {
    /// Computes block `block` on the calling thread (blocks are the unit of
    /// parallelism) and writes it as the part file `path`. Origins go through the
    /// buckets [`BATCH`] at a time (consecutive cells are near each other, so their
    /// searches share most of the buckets they read), and each batch's rows go to the
    /// part writer at once: they are read back while still in the cache, and a block's
    /// rows are never held whole. Adds each batch's pairs to `pairs` as it goes.
    ///
    /// # Errors
    /// As [`PartWriter`].
    pub fn run(&self, block: usize, path: &Path, scratch: &mut Scratch) -> Result<BlockDone> {
        let ends = self.ends;
        let n = ends.cells.len();
        let first = block * self.size;
        let origins = self.size.min(n - first);
        let Scratch {
            duration,
            distance,
            batch,
            part,
        } = scratch;
        // Each origin's search fills its whole row, so reused arrays are not cleared.
        duration.resize(BATCH * n, u32::MAX);
        distance.resize(BATCH * n, 0.0);
        let started = Instant::now();
        let mut w = PartWriter::create(path, origins * n, self.dests, self.limited, part)?;
        let mut done = BlockDone {
            origins,
            counts: PartCounts {
                rows: 0,
                sha256: String::new(),
                unreachable: 0,
                beyond_limit: 0,
            },
            search_s: 0.0,
            write_s: started.elapsed().as_secs_f64(),
        };
        self.states.with(|state| -> Result<()> {
            for at in (first..first + origins).step_by(BATCH) {
                let t = Instant::now();
                let sources = &ends.sources[at..(at + BATCH).min(first + origins)];
                let rows = sources.len() * n;
                let (dur, dist) = (&mut duration[..rows], &mut distance[..rows]);
                self.buckets
                    .many_to_many(self.h, state, batch, sources, self.limit_ms, dur, dist);
                for (i, (dur, dist)) in (at..).zip(dur.chunks_mut(n).zip(dist.chunks_mut(n))) {
                    dur[i] = 0;
                    dist[i] = 0.0;
                    if let Some(same) = ends.same_node.get(&ends.nodes[i]) {
                        for &j in same {
                            dur[j as usize] = 0;
                            dist[j as usize] = 0.0;
                        }
                    }
                }
                self.pairs.fetch_add(rows as u64, Ordering::Relaxed);
                let searched = Instant::now();
                done.search_s += (searched - t).as_secs_f64();
                for (i, (dur, dist)) in (at..).zip(dur.chunks(n).zip(dist.chunks(n))) {
                    let (nulls, left_out) = w.push_origin(ends.cells[i], ends.cells, dur, dist)?;
                    done.counts.unreachable += nulls;
                    done.counts.beyond_limit += left_out;
                }
                done.write_s += searched.elapsed().as_secs_f64();
            }
            Ok(())
        })?;
        let t = Instant::now();
        (done.counts.rows, done.counts.sha256) = w.finish()?;
        done.write_s += t.elapsed().as_secs_f64();
        Ok(done)
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
