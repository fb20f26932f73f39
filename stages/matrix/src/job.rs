//! One matrix run: cover and snap the cells, then search and write block by block
//! into a temporary directory that replaces the output directory when complete.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use h3o::{LatLng, Resolution};
use hexmatrix_contract::{Context, DurationLimit, ShardSpec};
use hexmatrix_osm::Bbox;
use rayon::prelude::*;

use crate::block::{self, Blocks, Endpoints, PartCounts, Pool, Scratch};
use crate::bucket::Buckets;
use crate::cells::{self, CellStatus};
use crate::chunk::DestChunks;
use crate::error::{Error, Result};
use crate::hierarchy::RoutingGraph;
use crate::manifest::{self, CellCounts, GraphRef, MatrixManifest, PartEntry, peak_rss_bytes};
use crate::search::StatePool;
use crate::snap::{Roads, Snapper};
use crate::writer::{CellRow, write_cells};

/// What to compute and where to write it.
#[derive(Debug, Clone)]
pub struct MatrixOptions {
    /// The graph directory (recorded in the manifest).
    pub graph_dir: PathBuf,
    /// The area whose cells are covered.
    pub bbox: Bbox,
    /// H3 resolution, 6..=11 (checked where it is parsed: [`crate::resolution`]).
    pub resolution: Resolution,
    /// The output directory (replaced when the run completes).
    pub output_dir: PathBuf,
    /// Leave out pairs slower than this (and stop searches there).
    pub max_duration: Option<DurationLimit>,
    /// Snap radius in metres; default: the resolution's mean cell edge length.
    pub snap_radius_m: Option<f64>,
    /// Origins per part file; default: about 2 million rows per part, and at least
    /// 8 parts (from the cell count only, so part numbers do not depend on the machine).
    pub origin_block_size: Option<usize>,
}

/// Live counters for progress display.
#[derive(Debug, Clone, Default)]
pub struct MatrixCounters {
    /// Ordered pairs of `ok` cells computed so far.
    pub pairs: Arc<AtomicU64>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixSummary {
    /// Cells by status.
    pub cells: CellCounts,
    /// Rows written.
    pub pairs: u64,
    /// Rows with nulls.
    pub unreachable_pairs: u64,
    /// Pairs left out as slower than the limit.
    pub beyond_limit_pairs: u64,
    /// Part files written.
    pub parts: usize,
    /// Bucket entries of the search.
    pub bucket_entries: u64,
    /// Seconds spent searching and writing (after loading and snapping).
    pub matrix_s: f64,
    /// Seconds building the buckets (backward searches), part of `matrix_s`.
    pub bucket_s: f64,
    /// Thread-seconds of forward searches over all blocks.
    pub search_cpu_s: f64,
    /// Thread-seconds of encoding and writing parts over all blocks.
    pub write_cpu_s: f64,
    /// Ordered pairs of `ok` cells per second of `matrix_s`.
    pub pairs_per_s: f64,
    /// Seconds of the whole run.
    pub elapsed_s: f64,
    /// The output directory.
    pub output_dir: PathBuf,
}

/// Cells covered and snapped, ready to compute on `graph`.
pub struct Prepared<G> {
    pub(crate) opts: MatrixOptions,
    graph: G,
    pub(crate) profile: Option<String>,
    radius_m: f64,
    pub(crate) rows: Vec<CellRow>,
    pub(crate) started: Instant,
}

impl<G: RoutingGraph> Prepared<G> {
    /// Covers the bbox with cells and snaps their centres to the `roads` of `graph`.
    ///
    /// # Errors
    /// [`Error::Resolution`], [`Error::Option`] for a bad radius or block size,
    /// [`Error::Cover`], [`Error::NodeRange`] if a snapped node has no CH node.
    pub fn new(
        opts: MatrixOptions,
        graph: G,
        roads: Roads<'_>,
        profile: Option<String>,
    ) -> Result<Self> {
        let started = Instant::now();
        let res = opts.resolution;
        let radius_m = opts.snap_radius_m.unwrap_or_else(|| res.edge_length_m());
        if !(radius_m.is_finite() && radius_m >= 0.0) {
            return Err(bad(
                "snap_radius_m",
                &radius_m,
                "must be a finite number of metres >= 0",
            ));
        }
        if opts.origin_block_size == Some(0) {
            return Err(bad("origin_block_size", &0, "must be at least 1"));
        }
        let Roads {
            lat,
            lon,
            in_main,
            segments,
        } = roads;
        let snapper = Snapper::new(lat, lon, in_main, segments, &opts.bbox, radius_m);
        let rows: Vec<CellRow> = cells::cover_bbox(&opts.bbox, res)?
            .into_iter()
            .map(|cell| {
                let centre = LatLng::from(cell);
                let (lat, lon) = (centre.lat(), centre.lng());
                CellRow {
                    cell,
                    lat,
                    lon,
                    snap: snapper.snap(lat, lon),
                }
            })
            .collect();
        let count = graph.node_count();
        for r in &rows {
            if let Some(node) = r.snap.node {
                let ok = graph.targets_of(node).iter().all(|&t| (t as usize) < count)
                    && (graph.source_of(node) as usize) < count;
                if !ok {
                    return Err(Error::NodeRange {
                        path: opts.graph_dir.clone(),
                        node: node.into(),
                        count,
                    });
                }
            }
        }
        Ok(Self {
            opts,
            graph,
            profile,
            radius_m,
            rows,
            started,
        })
    }

    /// Cells by status.
    #[must_use]
    pub fn cell_counts(&self) -> CellCounts {
        let mut c = CellCounts::default();
        for r in &self.rows {
            c.add(r.snap.status, 1);
        }
        c
    }

    /// Ordered pairs of `ok` cells: the work ahead.
    #[must_use]
    pub fn pairs_total(&self) -> u64 {
        let ok = self.cell_counts().ok;
        ok * ok
    }

    /// The snap radius in use, metres.
    #[must_use]
    pub fn snap_radius_m(&self) -> f64 {
        self.radius_m
    }

    /// The cells with their snaps, in ascending cell order.
    #[must_use]
    pub fn cells(&self) -> &[CellRow] {
        &self.rows
    }

    /// Computes and writes the matrix; the output directory is replaced only once
    /// every file, the manifest last, is written. `counters.pairs` counts the pairs
    /// computed; `ctx` is checked for cancellation between blocks.
    ///
    /// # Errors
    /// [`Error::Io`] on the directories, any writer error, [`Error::Cancelled`].
    pub fn run(self, counters: &MatrixCounters, ctx: &Context) -> Result<MatrixSummary> {
        let out = &self.opts.output_dir;
        let tmp = ctx.output().temp_for(out);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(Error::io(&tmp))?;
        }
        std::fs::create_dir_all(tmp.join(hexmatrix_contract::PARTS_DIR))
            .map_err(Error::io(&tmp))?;
        let result = self.write_all(&tmp, counters, ctx);
        if result.is_err() {
            // Leave nothing half-written behind; the error is the one to report.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        let summary = result?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        ctx.output()
            .replace_dir(&tmp, out)
            .map_err(Error::io(out))?;
        Ok(summary)
    }

    /// Writes `cells.parquet`, the parts and the manifest (last) into `dir`.
    fn write_all(
        &self,
        dir: &Path,
        counters: &MatrixCounters,
        ctx: &Context,
    ) -> Result<MatrixSummary> {
        let cells_sha256 = write_cells(&dir.join(hexmatrix_contract::CELLS_FILE), &self.rows)?;
        let search_started = Instant::now();
        let parts = self.search_and_write(dir, None, counters, ctx)?;
        let matrix_s = search_started.elapsed().as_secs_f64();
        let summary = self.summary(&parts, matrix_s);
        let manifest = self.manifest(&summary, &parts, cells_sha256);
        manifest::write(&manifest, &dir.join(hexmatrix_contract::MANIFEST_FILE))?;
        Ok(summary)
    }

    /// The `ok` cells as the search sees them: their cells, nodes, CH sources and
    /// the cells that share a node.
    fn endpoints(&self) -> OkCells {
        let ok: Vec<&CellRow> = self
            .rows
            .iter()
            .filter(|r| r.snap.status == CellStatus::Ok)
            .collect();
        let cells: Vec<u64> = ok.iter().map(|r| u64::from(r.cell)).collect();
        let nodes: Vec<u32> = ok.iter().filter_map(|r| r.snap.node).collect();
        let sources: Vec<u32> = nodes.iter().map(|&n| self.graph.source_of(n)).collect();
        let mut by_node: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, &n) in nodes.iter().enumerate() {
            by_node.entry(n).or_default().push(i as u32);
        }
        by_node.retain(|_, v| v.len() > 1);
        (cells, nodes, sources, by_node)
    }

    /// The duration limit of the searches in milliseconds (`u32::MAX`: none).
    fn limit_ms(&self) -> u32 {
        self.opts
            .max_duration
            .map_or(u32::MAX, DurationLimit::millis)
    }

    /// Origins per part file.
    fn block_size(&self, origins: usize) -> usize {
        self.opts
            .origin_block_size
            .unwrap_or_else(|| block::default_block_size(origins))
    }

    /// Builds the buckets, then searches and writes every origin block (or, for a
    /// `shard`, its share of them) in parallel; the parts in block order. A shard
    /// writes into the shared output directory, so each of its parts goes through a
    /// temporary name and a rename: a killed shard leaves no half part under a real name.
    pub(crate) fn search_and_write(
        &self,
        dir: &Path,
        shard: Option<ShardSpec>,
        counters: &MatrixCounters,
        ctx: &Context,
    ) -> Result<Parts> {
        let (cells, nodes, sources, same_node) = self.endpoints();
        let g = &self.graph;
        let targets: Vec<Vec<u32>> = nodes.iter().map(|&n| g.targets_of(n).to_vec()).collect();
        let ends = Endpoints {
            cells: &cells,
            sources: &sources,
            same_node,
            nodes: &nodes,
        };
        let limit_ms = self.limit_ms();
        let pool = StatePool::new(g.node_count());
        let bucket_started = Instant::now();
        let buckets = Buckets::build(g, &targets, limit_ms, &pool);
        let bucket_s = bucket_started.elapsed().as_secs_f64();
        drop(targets);
        let n = cells.len();
        let size = self.block_size(n);
        let blocks_total = n.div_ceil(size);
        let dests = DestChunks::new(&cells);
        let blocks = Blocks {
            h: g,
            buckets: &buckets,
            ends: &ends,
            states: &pool,
            dests: &dests,
            size,
            limit_ms,
            limited: self.opts.max_duration.is_some(),
            pairs: &counters.pairs,
        };
        let scratch = Pool::<Scratch>::default();
        let picked: Vec<usize> = match shard {
            None => (0..blocks_total).collect(),
            // A block's work is its origins times every destination: its rows.
            Some(spec) => spec.pick(&block_rows(n, size)),
        };
        // Blocks are the unit of parallelism: each rayon task searches one block and
        // writes its part.
        let mut parts = picked
            .into_par_iter()
            .map(|b| -> Result<PartDone> {
                ctx.check(STAGE)?;
                scratch.with(|scratch| {
                    let file = hexmatrix_contract::part_name(b as u64);
                    let target = dir.join(&file);
                    let done = if shard.is_some() {
                        let tmp = ctx.output().temp_for(&target);
                        let mut done = blocks.run(b, &tmp, scratch)?;
                        let t = Instant::now();
                        ctx.output()
                            .commit_file(&tmp, &target)
                            .map_err(Error::io(&target))?;
                        done.write_s += t.elapsed().as_secs_f64();
                        done
                    } else {
                        blocks.run(b, &target, scratch)?
                    };
                    let entry = PartEntry {
                        file,
                        block: b as u64,
                        origins: done.origins as u64,
                        rows: done.counts.rows,
                        sha256: Some(done.counts.sha256.clone()),
                    };
                    Ok((entry, done.counts, [done.search_s, done.write_s]))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        parts.sort_by_key(|(e, _, _)| e.block);
        Ok(Parts {
            done: parts,
            bucket_entries: buckets.len() as u64,
            bucket_s,
            origins: n,
            block_size: size,
            blocks_total,
        })
    }

    /// The summary of a run whose search and writes took `matrix_s`.
    pub(crate) fn summary(&self, p: &Parts, matrix_s: f64) -> MatrixSummary {
        let sum = |f: fn(&PartCounts) -> u64| p.done.iter().map(|p| f(&p.1)).sum::<u64>();
        let n = p.origins;
        MatrixSummary {
            cells: self.cell_counts(),
            pairs: sum(|c| c.rows),
            unreachable_pairs: sum(|c| c.unreachable),
            beyond_limit_pairs: sum(|c| c.beyond_limit),
            parts: p.done.len(),
            bucket_entries: p.bucket_entries,
            matrix_s,
            bucket_s: p.bucket_s,
            search_cpu_s: p.done.iter().map(|p| p.2[0]).sum(),
            write_cpu_s: p.done.iter().map(|p| p.2[1]).sum(),
            pairs_per_s: (n * n) as f64 / matrix_s.max(1e-9),
            elapsed_s: self.started.elapsed().as_secs_f64(),
            output_dir: self.opts.output_dir.clone(),
        }
    }

    /// The matrix manifest of a run that found `summary` and wrote `parts`.
    fn manifest(
        &self,
        summary: &MatrixSummary,
        parts: &Parts,
        cells_sha256: String,
    ) -> MatrixManifest {
        let b = &self.opts.bbox;
        MatrixManifest {
            stage: hexmatrix_contract::STAGE.to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            resolution: u8::from(self.opts.resolution),
            bbox: [b.min_lon(), b.min_lat(), b.max_lon(), b.max_lat()],
            max_duration_s: self.opts.max_duration.map(DurationLimit::secs),
            snap_radius_m: self.radius_m,
            origin_block_size: parts.block_size as u64,
            cells: summary.cells,
            cells_sha256: Some(cells_sha256),
            pairs: summary.pairs,
            unreachable_pairs: summary.unreachable_pairs,
            beyond_limit_pairs: summary.beyond_limit_pairs,
            bucket_entries: summary.bucket_entries,
            parts: parts.done.iter().map(|p| p.0.clone()).collect(),
            graph: GraphRef {
                dir: self.opts.graph_dir.display().to_string(),
                profile: self.profile.clone(),
            },
            matrix_s: summary.matrix_s,
            bucket_s: summary.bucket_s,
            search_cpu_s: summary.search_cpu_s,
            write_cpu_s: summary.write_cpu_s,
            threads: rayon::current_num_threads() as u64,
            elapsed_s: self.started.elapsed().as_secs_f64(),
            peak_rss_bytes: peak_rss_bytes(),
        }
    }
}

/// The stage's name in progress lines and cancellation errors.
pub(crate) const STAGE: &str = "matrix";

/// The `ok` cells for the search: cells, graph nodes, CH sources, and the cells
/// (positions) of each node that more than one cell snapped to.
type OkCells = (Vec<u64>, Vec<u32>, Vec<u32>, HashMap<u32, Vec<u32>>);

/// One written part: its manifest entry, its counts, and its search and write seconds.
pub(crate) type PartDone = (PartEntry, PartCounts, [f64; 2]);

/// What the search and write of every block (or a shard's blocks) gave.
pub(crate) struct Parts {
    /// Per part, in block order.
    pub(crate) done: Vec<PartDone>,
    pub(crate) bucket_entries: u64,
    pub(crate) bucket_s: f64,
    /// `ok` cells (origins and destinations).
    pub(crate) origins: usize,
    pub(crate) block_size: usize,
    /// Blocks of the whole matrix.
    pub(crate) blocks_total: usize,
}

/// The rows of each origin block of `n` cells cut into blocks of `size` origins:
/// the estimated work that balances shards.
fn block_rows(n: usize, size: usize) -> Vec<u64> {
    (0..n.div_ceil(size))
        .map(|b| (size.min(n - b * size) * n) as u64)
        .collect()
}

fn bad(name: &'static str, value: &dyn ToString, message: &'static str) -> Error {
    Error::Option {
        name,
        value: value.to_string(),
        message,
    }
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
