//! `hexmatrix matrix`: resolve the bbox, resolution and limits (flags over the
//! dataset file) into the stage's options, check the size estimate, run the matrix
//! stage (it shows the cell counts and pairs/s), then print one summary line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use h3o::Resolution;
use hexmatrix_matrix::{DEFAULT_MAX_CELLS, MatrixOptions, MatrixSummary, SizeEstimate};
use hexmatrix_osm::Bbox;
use hexmatrix_store::{Location, ObjectUrl};
use hexmatrix_warm::MemoryEstimate;
use hexmatrix_warm::ValueFormat;
use indicatif::HumanBytes;

use crate::config::Dataset;
use crate::memory;
use crate::shard::ShardArgs;
use crate::staging::{self, LocalInput, LocalOutput};
use hexmatrix_contract::{Context, ShardSpec};

/// Arguments of `hexmatrix matrix`.
#[derive(Debug, clap::Args)]
pub struct MatrixArgs {
    /// Graph directory written by `hexmatrix graph` (graph.ch, nodes.parquet), or its
    /// s3://, gs:// or az:// URL (downloaded first).
    #[arg(long, value_parser = Location::parse)]
    pub graph: Location,
    /// Dataset file (datasets/NAME.toml) giving bbox, resolution and max duration;
    /// the flags below override it.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Area to cover, `min_lon,min_lat,max_lon,max_lat` (required without --dataset).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<Bbox>,
    /// H3 resolution, 6 to 11 [default: the dataset's, else 9].
    #[arg(long, value_parser = clap::value_parser!(u8).range(6..=11).try_map(hexmatrix_matrix::resolution))]
    pub resolution: Option<Resolution>,
    /// Output directory: cells.parquet, matrix/part-NNNNN.parquet, manifest.json.
    /// Written beside it first and renamed into place when complete. Or an s3://,
    /// gs:// or az:// URL: written locally, then uploaded with manifest.json last.
    #[arg(long, value_parser = Location::parse)]
    pub output: Location,
    /// Leave out pairs slower than this many seconds (searches stop there; the limit
    /// is recorded in the manifest) [default: the dataset's, else no limit].
    #[arg(long, value_name = "SECONDS")]
    pub max_duration: Option<hexmatrix_contract::DurationLimit>,
    /// Snap radius in metres [default: the cell edge length of the resolution].
    #[arg(long, value_name = "METRES")]
    pub snap_radius: Option<f64>,
    /// Origins per part file [default: about 2 million rows per part].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub origin_block_size: Option<u64>,
    /// Refuse, before any work, a bbox whose cells are estimated above this (50,000
    /// cells is up to 2.5e9 pairs, ≈15 GiB of Parquet; Ho Chi Minh City at
    /// resolution 9 is ≈13,000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CELLS)]
    pub max_cells: u64,
    /// Sharding: with --shard K/N (or --shards N), compute only shard K's balanced share
    /// of the origin blocks into --output, shared with the other shards: its parts
    /// (named as an unsharded run names them), cells.parquet, and its record
    /// shards/K-of-N.json last; no manifest.json until --merge-shards.
    #[command(flatten)]
    pub shard: ShardArgs,
    /// Check the N shard records in --output (same --graph, bbox and parameters as the
    /// shards) and the parts they list, then write manifest.json; computes nothing.
    #[arg(long, value_name = "N", conflicts_with_all = ["shard", "shards"],
        value_parser = clap::value_parser!(u32).range(1..))]
    pub merge_shards: Option<u32>,
}

/// Runs `hexmatrix matrix`.
pub fn run(args: &MatrixArgs, ctx: &Context) -> anyhow::Result<()> {
    let dataset = args.dataset.as_deref().map(Dataset::load).transpose()?;
    let bbox = match (args.bbox, &dataset) {
        (Some(b), _) => b,
        (None, Some(d)) => d.bbox,
        (None, None) => anyhow::bail!("--bbox or --dataset is required"),
    };
    let graph = LocalInput::dir(&args.graph)
        .with_context(|| format!("cannot read the graph {}", args.graph))?;
    let graph_url = match &args.graph {
        Location::Remote(url) => Some(url.to_string()),
        Location::Local(_) => None,
    };
    let options = |output_dir: &Path| MatrixOptions {
        graph_dir: graph.path().to_owned(),
        bbox,
        resolution: args
            .resolution
            .or(dataset.as_ref().map(|d| d.resolution))
            .unwrap_or(Resolution::Nine),
        output_dir: output_dir.to_owned(),
        max_duration: args
            .max_duration
            .or(dataset.as_ref().and_then(|d| d.max_duration)),
        snap_radius_m: args.snap_radius,
        origin_block_size: args.origin_block_size.map(|n| n as usize),
    };
    if let Some(count) = args.merge_shards {
        return match &args.output {
            Location::Local(dir) => {
                merge(&options(dir), count, ctx)?;
                graph_url.map_or(Ok(()), |url| record_graph_url(dir, &url))
            }
            Location::Remote(url) => merge_remote(url, &options, count, graph_url, ctx),
        };
    }
    let output = LocalOutput::new(&args.output)?;
    let opts = options(output.path());
    if let Some(shard) = args.shard.resolve()? {
        // The shard's parts and its record go up like a whole matrix's, the record last.
        execute_shard(&opts, shard, args.max_cells, ctx)?;
    } else {
        execute(&opts, args.max_cells, ctx)?;
        if let Some(url) = &graph_url {
            record_graph_url(output.path(), url)?;
        }
    }
    let target = output.display();
    output
        .publish(PUBLISHED_LAST)
        .with_context(|| format!("cannot publish the matrix to {target}"))
}

/// The merge of shards published under `url`. It checks every part's size and
/// SHA-256, so it reads them all: the prefix is downloaded into the cache, merged
/// there, and only the changes go back: objects the merge removed (an earlier
/// matrix's parts) are deleted, then `manifest.json` is uploaded, last.
fn merge_remote(
    url: &ObjectUrl,
    options: &dyn Fn(&Path) -> MatrixOptions,
    count: u32,
    graph_url: Option<String>,
    ctx: &Context,
) -> anyhow::Result<()> {
    let location = Location::Remote(url.clone());
    let local = LocalInput::dir(&location)
        .with_context(|| format!("cannot read the shards under {url}"))?;
    merge(&options(local.path()), count, ctx)?;
    if let Some(graph) = graph_url {
        record_graph_url(local.path(), &graph)?;
    }
    let remote = staging::open(url)?;
    let mut deleted = 0_usize;
    for (name, _) in remote.list()? {
        if !local.path().join(&name).exists() {
            remote.delete(&name)?;
            deleted += 1;
        }
    }
    let manifest = hexmatrix_contract::MANIFEST_FILE;
    remote
        .upload_file(&local.path().join(manifest), manifest)
        .with_context(|| format!("cannot publish the merged manifest to {url}"))?;
    tracing::info!(
        target: "matrix",
        "[matrix] uploaded {} to {url} ({deleted} objects the merge removed deleted there first)",
        manifest
    );
    Ok(())
}

/// Records the graph's URL in the manifest in place of the local copy it was read
/// from (a temporary directory that no reader could find).
fn record_graph_url(matrix_dir: &Path, url: &str) -> anyhow::Result<()> {
    let (path, mut manifest) = read_manifest(matrix_dir)?;
    url.clone_into(&mut manifest.graph.dir);
    hexmatrix_contract::atomic::write_atomic(&path, manifest.to_json()?.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The path and contents of `manifest.json` in the matrix directory `dir`.
pub(crate) fn read_manifest(
    dir: &Path,
) -> anyhow::Result<(PathBuf, hexmatrix_contract::MatrixManifest)> {
    let path = dir.join(hexmatrix_contract::MANIFEST_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let manifest = hexmatrix_contract::MatrixManifest::from_json(&bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((path, manifest))
}

/// Runs shard `shard` of the matrix stage on `opts` after [`check_size`], and logs
/// the plan and the summary.
fn execute_shard(
    opts: &MatrixOptions,
    shard: ShardSpec,
    max_cells: u64,
    ctx: &Context,
) -> anyhow::Result<()> {
    let started = Instant::now();
    check_size(&opts.bbox, opts.resolution, max_cells)?;
    let output = &opts.output_dir;
    tracing::info!(
        target: "matrix",
        "[matrix] shard {shard}: graph {}, bbox {}, resolution {}, max duration {} -> {} (shared with the other shards)",
        opts.graph_dir.display(),
        bbox_text(&opts.bbox),
        opts.resolution,
        opts.max_duration.map_or_else(|| "none".to_string(), |d| d.to_string()),
        output.display()
    );
    let s = hexmatrix_matrix::run_shard(opts, shard, ctx)
        .with_context(|| format!("matrix shard {shard} into {}", output.display()))?;
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    tracing::info!(
        target: "matrix",
        "[matrix] shard {shard}: {} of {} blocks, {} pairs; {} cells ({} ok); search+write {:.2} s, total {:.2} s, peak RSS {peak}",
        s.blocks.len(),
        s.blocks_total,
        s.pairs,
        s.cells.total,
        s.cells.ok,
        s.matrix_s,
        started.elapsed().as_secs_f64()
    );
    tracing::info!(
        target: "matrix",
        "[matrix] wrote {}; next, once all {} shards are done: hexmatrix matrix --merge-shards {} (same --graph, bbox and --output)",
        s.record.display(),
        shard.count(),
        shard.count()
    );
    Ok(())
}

/// Merges the `count` shards of `opts.output_dir` into its manifest, and logs it.
fn merge(opts: &MatrixOptions, count: u32, ctx: &Context) -> anyhow::Result<()> {
    let output = &opts.output_dir;
    tracing::info!(
        target: "matrix",
        "[matrix] merging {count} shards in {} (graph {}, bbox {}, resolution {})",
        output.display(),
        opts.graph_dir.display(),
        bbox_text(&opts.bbox),
        opts.resolution
    );
    let s = hexmatrix_matrix::merge_shards(opts, count, ctx)
        .with_context(|| format!("merging {count} matrix shards in {}", output.display()))?;
    tracing::info!(
        target: "matrix",
        "[matrix] {} shards checked: {} parts, {} pairs, {} cells ({} ok), every part's size and SHA-256 as recorded; \
         {} temporary files of killed shards and {} files of an earlier matrix removed; {:.2} s",
        s.shards,
        s.parts,
        s.pairs,
        s.cells.total,
        s.cells.ok,
        s.temporaries_removed,
        s.unlisted_removed,
        s.elapsed_s
    );
    tracing::info!(
        target: "matrix",
        "[matrix] wrote {}; next: hexmatrix warm --matrix {} ... (or warm --shard K/N, then warm --publish)",
        s.manifest.display(),
        output.display()
    );
    Ok(())
}

/// What a matrix upload sends after everything else, in this order: the shard
/// records, then the manifest. A reader that finds `manifest.json` finds every file
/// it lists.
pub const PUBLISHED_LAST: &[&str] = &["shards/", hexmatrix_contract::MANIFEST_FILE];

/// The size of the matrix of `bbox` at `resolution`, estimated without any work,
/// logged (cells, pairs, Parquet bytes, Redis bytes in each layout) and refused past
/// `max_cells`. Used by `matrix` and, before it fetches anything, by `run`.
///
/// # Errors
/// [`hexmatrix_matrix::Error::TooManyCells`] (exit 2).
pub fn check_size(
    bbox: &Bbox,
    resolution: Resolution,
    max_cells: u64,
) -> anyhow::Result<SizeEstimate> {
    let est = SizeEstimate::of(bbox, resolution);
    // The Redis side lives in the warm crate, which the matrix crate must not know.
    let pairs_layout = MemoryEstimate::pairs(est.pairs, ValueFormat::Json);
    let rows_layout = MemoryEstimate::rows(est.cells, est.cells);
    tracing::info!(
        target: "matrix",
        "[matrix] estimate for bbox {} at resolution {resolution}: about {} cells, up to {} pairs \
         (if every cell has a road); Parquet up to {}; Redis up to {} as pairs, {} as rows (limit --max-cells {max_cells})",
        bbox_text(bbox),
        est.cells,
        est.pairs,
        HumanBytes(est.parquet_bytes),
        HumanBytes(pairs_layout.bytes),
        HumanBytes(rows_layout.bytes),
    );
    est.check(bbox, resolution, max_cells)?;
    Ok(est)
}

/// Runs the matrix stage on `opts` after [`check_size`] against `max_cells`, and
/// logs the plan and the summary. Used by `matrix` and `run`.
///
/// # Errors
/// Too many cells, unreadable graph, invalid options, or a failed write.
pub fn execute(
    opts: &MatrixOptions,
    max_cells: u64,
    ctx: &Context,
) -> anyhow::Result<MatrixSummary> {
    let started = Instant::now();
    // Before the graph is loaded or a cell listed: a country-sized bbox is refused here.
    check_size(&opts.bbox, opts.resolution, max_cells)?;
    let output = &opts.output_dir;
    tracing::info!(
        target: "matrix",
        "[matrix] graph {}, bbox {}, resolution {}, max duration {} -> {}",
        opts.graph_dir.display(),
        bbox_text(&opts.bbox),
        opts.resolution,
        opts.max_duration.map_or_else(|| "none".to_string(), |d| d.to_string()),
        output.display()
    );
    let s = hexmatrix_matrix::run(opts, ctx)
        .with_context(|| format!("matrix into {}", output.display()))?;
    log_summary(&s, output, started);
    Ok(s)
}

fn log_summary(s: &MatrixSummary, output: &Path, started: Instant) {
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    tracing::info!(
        target: "matrix",
        "[matrix] {} cells ({} ok, {} no_road, {} unroutable); {} pairs in {} parts, {} unreachable, {} beyond the limit; \
         {} bucket entries; search+write {:.2} s = {:.2} M pairs/s (buckets {:.2} s, thread-seconds: search {:.2}, write {:.2}); \
         total {:.2} s, peak RSS {peak}",
        s.cells.total,
        s.cells.ok,
        s.cells.no_road,
        s.cells.unroutable,
        s.pairs,
        s.parts,
        s.unreachable_pairs,
        s.beyond_limit_pairs,
        s.bucket_entries,
        s.matrix_s,
        s.pairs_per_s / 1e6,
        s.bucket_s,
        s.search_cpu_s,
        s.write_cpu_s,
        started.elapsed().as_secs_f64()
    );
    tracing::info!(
        target: "matrix",
        "[matrix] wrote {}; next: hexmatrix warm --matrix {} ...",
        output.display(),
        output.display()
    );
}

fn bbox_text(b: &Bbox) -> String {
    format!(
        "{},{},{},{}",
        b.min_lon(),
        b.min_lat(),
        b.max_lon(),
        b.max_lat()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_manifest_is_published_last() {
        assert_eq!(super::PUBLISHED_LAST.last(), Some(&"manifest.json"));
    }
}
