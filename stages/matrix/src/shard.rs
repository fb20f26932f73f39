//! One shard of a matrix (`--shard K/N`): its share of the origin blocks written
//! into the shared output directory, then its record `shards/K-of-N.json`.
//!
//! Every shard covers and snaps all the cells and builds the buckets of all the
//! targets (a row needs every destination), then searches only its blocks. Part
//! names are the unsharded run's, so the union of the shards is that run's files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hexmatrix_contract::graph_dir::{CH_FILE, EDGES_FILE, NODES_FILE};
use hexmatrix_contract::{
    CellCounts, Context, SHARD_STAGE, ShardParameters, ShardPart, ShardRecord, ShardSpec,
};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hierarchy::RoutingGraph;
use crate::job::{MatrixCounters, MatrixOptions, Prepared};
use crate::manifest::peak_rss_bytes;
use crate::writer::write_cells;

/// Domain separator of [`graph_fingerprint`].
const GRAPH_FINGERPRINT_TAG: &str = "hexmatrix-graph-files-v1";

/// What one shard did.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardSummary {
    /// The shard.
    pub shard: ShardSpec,
    /// Cells by status (of the whole matrix).
    pub cells: CellCounts,
    /// Blocks of this shard, ascending.
    pub blocks: Vec<u64>,
    /// Blocks of the whole matrix.
    pub blocks_total: u64,
    /// Rows this shard wrote.
    pub pairs: u64,
    /// Seconds searching and writing this shard's blocks.
    pub matrix_s: f64,
    /// Seconds of the whole shard.
    pub elapsed_s: f64,
    /// The shard record written.
    pub record: PathBuf,
}

/// SHA-256 (lowercase hex) over the files of a graph directory that the matrix reads
/// (`graph.ch`, `nodes.parquet`, `edges.parquet`): the same graph, copied anywhere,
/// has the same fingerprint, and shards of different graphs never merge.
///
/// # Errors
/// [`Error::Io`] naming a file that cannot be read.
pub fn graph_fingerprint(dir: &Path) -> Result<String> {
    let mut text = format!("{GRAPH_FINGERPRINT_TAG}\n");
    for name in [CH_FILE, NODES_FILE, EDGES_FILE] {
        let path = dir.join(name);
        let sum = hexmatrix_contract::sha256_file(&path).map_err(|e| match e {
            hexmatrix_contract::Error::Io { path, source } => Error::Io { path, source },
            other => Error::Io {
                path: path.clone(),
                source: std::io::Error::other(other),
            },
        })?;
        text.push_str(name);
        text.push(' ');
        text.push_str(&sum);
        text.push('\n');
    }
    Ok(hexmatrix_contract::hex(&Sha256::digest(text.as_bytes())))
}

/// The content parameters of `opts` as asked for: what shards and the merge compare.
#[must_use]
pub fn parameters(opts: &MatrixOptions) -> ShardParameters {
    let b = &opts.bbox;
    ShardParameters {
        resolution: u8::from(opts.resolution),
        bbox: [b.min_lon(), b.min_lat(), b.max_lon(), b.max_lat()],
        max_duration_s: opts.max_duration_s,
        snap_radius_m: opts.snap_radius_m,
        origin_block_size: opts.origin_block_size.map(|n| n as u64),
    }
}

impl<G: RoutingGraph> Prepared<G> {
    /// Computes shard `spec` of the matrix into `opts.output_dir`, shared with the
    /// other shards: removes this shard's old record and the directory's
    /// `manifest.json` (the directory is not a complete matrix until the merge),
    /// writes `cells.parquet` (every shard writes the same bytes) and the shard's
    /// parts, each through a temporary name, then the record `shards/K-of-N.json`
    /// last. `graph_fingerprint` is [`graph_fingerprint`] of the graph directory.
    ///
    /// # Errors
    /// [`Error::Io`] on the directories, any writer error, [`Error::Cancelled`].
    pub fn run_shard(
        self,
        spec: ShardSpec,
        graph_fingerprint: String,
        counters: &MatrixCounters,
        ctx: &Context,
    ) -> Result<ShardSummary> {
        let out = self.opts.output_dir.clone();
        let record_path = out.join(spec.record_name());
        let manifest_path = out.join(hexmatrix_contract::MANIFEST_FILE);
        for stale in [&record_path, &manifest_path] {
            match std::fs::remove_file(stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(stale)(e));
                }
                _ => {}
            }
        }
        for dir in [
            out.join(hexmatrix_contract::PARTS_DIR),
            out.join(hexmatrix_contract::SHARDS_DIR),
        ] {
            std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        }
        let cells_path = out.join(hexmatrix_contract::CELLS_FILE);
        let cells_tmp = ctx.output().temp_for(&cells_path);
        let cells_sha256 = write_cells(&cells_tmp, &self.rows)?;
        ctx.output()
            .commit_file(&cells_tmp, &cells_path)
            .map_err(Error::io(&cells_path))?;
        ctx.check(crate::job::STAGE)?;

        let search_started = Instant::now();
        let parts = self.search_and_write(&out, Some(spec), counters, ctx)?;
        let matrix_s = search_started.elapsed().as_secs_f64();
        let summary = self.summary(&parts, matrix_s);
        let mut written = Vec::with_capacity(parts.done.len());
        for (entry, counts, _) in &parts.done {
            let path = out.join(&entry.file);
            let bytes = std::fs::metadata(&path).map_err(Error::io(&path))?.len();
            written.push(ShardPart {
                file: entry.file.clone(),
                block: entry.block,
                origins: entry.origins,
                rows: counts.rows,
                unreachable: counts.unreachable,
                beyond_limit: counts.beyond_limit,
                bytes,
                sha256: counts.sha256.clone(),
            });
        }
        let record = ShardRecord {
            stage: SHARD_STAGE.to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            shard: spec.index(),
            shards: spec.count(),
            graph_fingerprint,
            graph_dir: self.opts.graph_dir.display().to_string(),
            profile: self.profile.clone(),
            parameters: parameters(&self.opts),
            snap_radius_m: self.snap_radius_m(),
            origin_block_size: parts.block_size as u64,
            blocks_total: parts.blocks_total as u64,
            cells: summary.cells,
            cells_sha256,
            bucket_entries: parts.bucket_entries,
            blocks: written.iter().map(|p| p.block).collect(),
            pairs: summary.pairs,
            parts: written,
            matrix_s,
            bucket_s: parts.bucket_s,
            search_cpu_s: summary.search_cpu_s,
            write_cpu_s: summary.write_cpu_s,
            threads: rayon::current_num_threads() as u64,
            elapsed_s: self.started.elapsed().as_secs_f64(),
            peak_rss_bytes: peak_rss_bytes(),
        };
        let text = record.to_json().map_err(|source| Error::Manifest {
            path: record_path.clone(),
            source,
        })?;
        ctx.output()
            .write_file(&record_path, text.as_bytes())
            .map_err(|e| Error::io(e.path)(e.source))?;
        Ok(ShardSummary {
            shard: spec,
            cells: record.cells,
            blocks: record.blocks,
            blocks_total: record.blocks_total,
            pairs: record.pairs,
            matrix_s,
            elapsed_s: record.elapsed_s,
            record: record_path,
        })
    }
}
