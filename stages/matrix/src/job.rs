//! One matrix run: cover and snap the cells, then search and write block by block
//! into a temporary directory that replaces the output directory when complete.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use h3o::LatLng;
use hexmatrix_osm::Bbox;
use rayon::prelude::*;

use crate::block::{self, Endpoints, PartCounts};
use crate::bucket::Buckets;
use crate::cells::{self, CellStatus};
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
    /// H3 resolution, 6..=11.
    pub resolution: u8,
    /// The output directory (replaced when the run completes).
    pub output_dir: PathBuf,
    /// Leave out pairs slower than this many seconds (and stop searches there).
    pub max_duration_s: Option<f64>,
    /// Snap radius in metres; default: the resolution's mean cell edge length.
    pub snap_radius_m: Option<f64>,
    /// Origins per part file; default: [`block::default_block_size`].
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
    opts: MatrixOptions,
    graph: G,
    profile: Option<String>,
    radius_m: f64,
    rows: Vec<CellRow>,
    started: Instant,
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
        let res = cells::resolution(opts.resolution)?;
        let radius_m = opts.snap_radius_m.unwrap_or_else(|| res.edge_length_m());
        if !(radius_m.is_finite() && radius_m >= 0.0) {
            return Err(bad(
                "snap_radius_m",
                &radius_m,
                "must be a finite number of metres >= 0",
            ));
        }
        if let Some(s) = opts.max_duration_s
            && !(s.is_finite() && s > 0.0)
        {
            return Err(bad(
                "max_duration_s",
                &s,
                "must be a positive number of seconds",
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
    /// every file, the manifest last, is written.
    ///
    /// # Errors
    /// [`Error::Io`] on the directories, or any writer error.
    pub fn run(self, counters: &MatrixCounters) -> Result<MatrixSummary> {
        let out = &self.opts.output_dir;
        let tmp = temp_dir_for(out);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(Error::io(&tmp))?;
        }
        std::fs::create_dir_all(tmp.join(hexmatrix_contract::PARTS_DIR))
            .map_err(Error::io(&tmp))?;
        let result = self.write_all(&tmp, counters);
        if result.is_err() {
            // Leave nothing half-written behind; the error is the one to report.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        let summary = result?;
        replace_dir(&tmp, out)?;
        Ok(summary)
    }

    fn write_all(&self, dir: &Path, counters: &MatrixCounters) -> Result<MatrixSummary> {
        let cells_sha256 = write_cells(&dir.join(hexmatrix_contract::CELLS_FILE), &self.rows)?;
        let search_started = Instant::now();
        let ok: Vec<&CellRow> = self
            .rows
            .iter()
            .filter(|r| r.snap.status == CellStatus::Ok)
            .collect();
        let cells: Vec<u64> = ok.iter().map(|r| u64::from(r.cell)).collect();
        let nodes: Vec<u32> = ok.iter().filter_map(|r| r.snap.node).collect();
        let g = &self.graph;
        let sources: Vec<u32> = nodes.iter().map(|&n| g.source_of(n)).collect();
        let targets: Vec<Vec<u32>> = nodes.iter().map(|&n| g.targets_of(n).to_vec()).collect();
        let mut by_node: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, &n) in nodes.iter().enumerate() {
            by_node.entry(n).or_default().push(i as u32);
        }
        by_node.retain(|_, v| v.len() > 1);
        let ends = Endpoints {
            cells: &cells,
            sources: &sources,
            same_node: by_node,
            nodes: &nodes,
        };
        let limit_ms = self.opts.max_duration_s.map_or(u32::MAX, |s| {
            (s * 1000.0).round().min(f64::from(u32::MAX - 1)) as u32
        });
        let limited = self.opts.max_duration_s.is_some();
        let pool = StatePool::new(g.node_count());
        let bucket_started = Instant::now();
        let buckets = Buckets::build(g, &targets, limit_ms, &pool);
        let bucket_s = bucket_started.elapsed().as_secs_f64();
        drop(targets);
        let n = cells.len();
        let size = self
            .opts
            .origin_block_size
            .unwrap_or_else(|| block::default_block_size(n));
        let blocks = n.div_ceil(size);
        // Blocks are the unit of parallelism: each rayon task searches one block and
        // writes its part, so at most one block per worker thread is in memory.
        let mut parts = (0..blocks)
            .into_par_iter()
            .map(|b| -> Result<(PartEntry, PartCounts, [f64; 2])> {
                let t = Instant::now();
                let rows = block::compute(
                    g,
                    &buckets,
                    &ends,
                    &pool,
                    b,
                    size,
                    limit_ms,
                    &counters.pairs,
                );
                let search_s = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let file = hexmatrix_contract::part_name(b as u64);
                let counts = block::write(&dir.join(&file), &rows, &cells, limited)?;
                let write_s = t.elapsed().as_secs_f64();
                let entry = PartEntry {
                    file,
                    block: b as u64,
                    origins: rows.origins as u64,
                    rows: counts.rows,
                    sha256: Some(counts.sha256.clone()),
                };
                Ok((entry, counts, [search_s, write_s]))
            })
            .collect::<Result<Vec<_>>>()?;
        parts.sort_by_key(|(e, _, _)| e.block);
        let search_cpu_s: f64 = parts.iter().map(|p| p.2[0]).sum();
        let write_cpu_s: f64 = parts.iter().map(|p| p.2[1]).sum();
        let matrix_s = search_started.elapsed().as_secs_f64();
        let sum = |f: fn(&PartCounts) -> u64| parts.iter().map(|p| f(&p.1)).sum::<u64>();
        let summary = MatrixSummary {
            cells: self.cell_counts(),
            pairs: sum(|c| c.rows),
            unreachable_pairs: sum(|c| c.unreachable),
            beyond_limit_pairs: sum(|c| c.beyond_limit),
            parts: parts.len(),
            bucket_entries: buckets.len() as u64,
            matrix_s,
            bucket_s,
            search_cpu_s,
            write_cpu_s,
            pairs_per_s: (n * n) as f64 / matrix_s.max(1e-9),
            elapsed_s: self.started.elapsed().as_secs_f64(),
            output_dir: self.opts.output_dir.clone(),
        };
        let b = &self.opts.bbox;
        let manifest = MatrixManifest {
            stage: hexmatrix_contract::STAGE.to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            resolution: self.opts.resolution,
            bbox: [b.min_lon(), b.min_lat(), b.max_lon(), b.max_lat()],
            max_duration_s: self.opts.max_duration_s,
            snap_radius_m: self.radius_m,
            origin_block_size: size as u64,
            cells: summary.cells,
            cells_sha256: Some(cells_sha256),
            pairs: summary.pairs,
            unreachable_pairs: summary.unreachable_pairs,
            beyond_limit_pairs: summary.beyond_limit_pairs,
            bucket_entries: summary.bucket_entries,
            parts: parts.into_iter().map(|p| p.0).collect(),
            graph: GraphRef {
                dir: self.opts.graph_dir.display().to_string(),
                profile: self.profile.clone(),
            },
            matrix_s,
            bucket_s,
            search_cpu_s,
            write_cpu_s,
            threads: rayon::current_num_threads() as u64,
            elapsed_s: self.started.elapsed().as_secs_f64(),
            peak_rss_bytes: peak_rss_bytes(),
        };
        manifest::write(&manifest, &dir.join(hexmatrix_contract::MANIFEST_FILE))?;
        Ok(summary)
    }
}

fn bad(name: &'static str, value: &dyn ToString, message: &'static str) -> Error {
    Error::Option {
        name,
        value: value.to_string(),
        message,
    }
}

/// `PARENT/.NAME.tmp-PID` beside `out`: same file system, so the final rename is atomic.
fn temp_dir_for(out: &Path) -> PathBuf {
    hexmatrix_contract::atomic::sibling(out, "tmp")
}

/// Moves the complete `tmp` to `out` durably (synced, the previous `out` moved aside
/// under a name of this process and removed after): see
/// [`hexmatrix_contract::atomic::replace_dir`].
fn replace_dir(tmp: &Path, out: &Path) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
    }
    hexmatrix_contract::atomic::replace_dir(tmp, out).map_err(Error::io(out))
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
