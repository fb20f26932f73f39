//! `hexmatrix graph`: check the inputs, build the road graph and its
//! contraction hierarchy into a temporary directory beside the output, show
//! progress, rename into place when complete, print one summary line.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hexmatrix_graph::{Counters, GraphSummary, Profile, build_graph, phase};

use crate::memory;
use crate::progress::{Context, Counter, Unit};

/// Arguments of `hexmatrix graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// City .osm.pbf to read (for example the output of `hexmatrix crop`).
    #[arg(long)]
    pub input: PathBuf,
    /// Vehicle profile (see stages/graph/PROFILES.md).
    #[arg(long, default_value = "car", value_parser = ["car", "motorcycle"])]
    pub profile: String,
    /// Output directory: nodes.parquet, edges.parquet, restrictions.parquet, graph.ch.
    /// Written beside it first and renamed into place when complete.
    #[arg(long)]
    pub output: PathBuf,
}

/// Runs `hexmatrix graph`.
pub fn run(args: &GraphArgs, ctx: &Context) -> anyhow::Result<()> {
    let started = Instant::now();
    let summary = build(&args.input, &args.profile, &args.output, ctx)?;
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    let r = &summary.restrictions;
    tracing::info!(
        target: "graph",
        "[graph] {} nodes, {} edges, main component {:.1}% ({} of {} components); \
         restrictions {} applied, {} via-way skipped, {} excepted/conditional, {} not routable, {} malformed; \
         anomalies: {} missing node refs in {} ways, {} absurd + {} unparsed maxspeed, {} blocking barriers; \
         CH {} nodes, {} edges; {:.2} s (read {:.2}, graph {:.2}, contract {:.2}, write {:.2}), peak RSS {peak}",
        summary.nodes,
        summary.edges,
        100.0 * summary.main_share(),
        summary.main_nodes,
        summary.components,
        r.applied,
        r.skipped_via_way,
        r.skipped_except + r.skipped_conditional,
        r.not_routable,
        r.malformed,
        summary.missing_node_refs,
        summary.ways_with_missing_nodes,
        summary.maxspeed_absurd,
        summary.maxspeed_unparsed,
        summary.blocked_nodes,
        summary.ch_nodes,
        summary.ch_edges,
        started.elapsed().as_secs_f64(),
        summary.read_s,
        summary.graph_s,
        summary.contract_s,
        summary.write_s,
    );
    tracing::info!(
        target: "graph",
        "[graph] wrote {}; next: hexmatrix matrix --graph {} ...",
        args.output.display(),
        args.output.display()
    );
    Ok(())
}

/// Builds the graph of `input` for `profile` into `output` (atomically
/// replaced), with progress on `ctx`. Used by `graph` and `run`.
///
/// # Errors
/// Missing input, unknown profile, or whatever the graph stage reports.
pub fn build(
    input: &Path,
    profile: &str,
    output: &Path,
    ctx: &Context,
) -> anyhow::Result<GraphSummary> {
    let profile = Profile::by_name(profile)?;
    let input_len = std::fs::metadata(input)
        .map_err(|source| hexmatrix_graph::Error::Input {
            path: input.to_path_buf(),
            source,
        })?
        .len();
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("--output must name a directory")?;
    let tmp = hexmatrix_contract::atomic::sibling(&parent.join(&name), "tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    tracing::info!(
        target: "graph",
        "[graph] {} ({:.1} MiB), profile {} -> {}",
        input.display(),
        input_len as f64 / 1_048_576.0,
        profile.name,
        output.display()
    );
    let counters = Counters::default();
    let result = std::thread::scope(|scope| {
        let worker =
            scope.spawn(|| build_graph(input, profile, &tmp, env!("CARGO_PKG_VERSION"), &counters));
        show_progress(ctx, &counters, input_len, &worker);
        worker.join()
    });
    let summary = match result {
        Ok(Ok(summary)) => summary,
        Ok(Err(err)) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(err).with_context(|| {
                format!("graph of {} into {}", input.display(), output.display())
            });
        }
        Err(_) => {
            let _ = std::fs::remove_dir_all(&tmp);
            anyhow::bail!("graph of {}: the build thread panicked", input.display());
        }
    };
    replace_dir(&tmp, output)?;
    Ok(summary)
}

/// Shows the read phase (bytes) then the contraction (nodes) until `worker` ends.
fn show_progress<T>(
    ctx: &Context,
    counters: &Counters,
    input_len: u64,
    worker: &std::thread::ScopedJoinHandle<'_, T>,
) {
    let read = ctx.track(
        "graph",
        Some(input_len),
        Counter::new(Unit::Bytes, counters.bytes_read.clone()),
        Vec::new(),
    );
    while !worker.is_finished() && counters.phase.load(Ordering::Relaxed) < phase::CONTRACT {
        std::thread::sleep(Duration::from_millis(50));
    }
    read.finish();
    if worker.is_finished() {
        return;
    }
    let contract = ctx.track(
        "graph",
        Some(counters.ch_nodes.load(Ordering::Relaxed)),
        Counter::new(Unit::Items("nodes contracted"), counters.contracted.clone()),
        Vec::new(),
    );
    while !worker.is_finished() && counters.phase.load(Ordering::Relaxed) < phase::WRITE {
        std::thread::sleep(Duration::from_millis(50));
    }
    contract.finish();
}

/// Moves `tmp` to `output` durably, replacing a previous output only once the new one
/// is complete and synced (see [`hexmatrix_contract::atomic::replace_dir`]).
fn replace_dir(tmp: &Path, output: &Path) -> anyhow::Result<()> {
    hexmatrix_contract::atomic::replace_dir(tmp, output).with_context(|| {
        format!(
            "cannot move the new graph {} to {}",
            tmp.display(),
            output.display()
        )
    })
}
