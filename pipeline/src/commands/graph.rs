//! `hexmatrix graph`: the arguments as the graph stage's options, the stage
//! (road graph and contraction hierarchy, built beside the output and renamed into
//! place when complete, with progress), then one summary line.

use std::time::Instant;

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use hexmatrix_graph::{GraphOptions, GraphSummary, Profile};

use crate::memory;
use crate::staging::{LocalInput, LocalOutput};
use hexmatrix_contract::Context;
use hexmatrix_store::Location;

/// Arguments of `hexmatrix graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// City .osm.pbf to read (for example the output of `hexmatrix crop`), or its
    /// s3://, gs:// or az:// URL.
    #[arg(long, value_parser = Location::parse)]
    pub input: Location,
    /// Vehicle profile (see stages/graph/PROFILES.md).
    #[arg(long, default_value = "car", value_parser = clap::builder::PossibleValuesParser::new(["car", "motorcycle"])
        .try_map(|name| Profile::by_name(&name)))]
    pub profile: &'static Profile,
    /// Output directory: the node, edge, restriction, turn and restriction-path
    /// tables (Parquet) and graph.ch. Written beside it first and renamed into place
    /// when complete. Or an s3://, gs:// or az:// URL: written locally, then uploaded
    /// with graph.ch last.
    #[arg(long, value_parser = Location::parse)]
    pub output: Location,
}

/// Runs `hexmatrix graph`.
pub fn run(args: &GraphArgs, ctx: &Context) -> anyhow::Result<()> {
    let input = LocalInput::file(&args.input)
        .with_context(|| format!("cannot read the city {}", args.input))?;
    let output = LocalOutput::new(&args.output)?;
    let opts = GraphOptions {
        input: input.path().to_owned(),
        profile: args.profile,
        output_dir: output.path().to_owned(),
    };
    execute(&opts, ctx)?;
    // graph.ch last: `matrix` reads it first, so a graph without it is visibly incomplete.
    output
        .publish(&[hexmatrix_contract::graph_dir::CH_FILE])
        .with_context(|| format!("cannot publish the graph to {}", args.output))?;
    tracing::info!(
        target: "graph",
        "[graph] wrote {}; next: hexmatrix matrix --graph {} ...",
        args.output,
        args.output
    );
    Ok(())
}

/// Runs the graph stage on `opts` (the directory is replaced atomically) and logs
/// its summary line. Used by `graph` and `run`.
///
/// # Errors
/// Missing input, or whatever the graph stage reports.
pub fn execute(opts: &GraphOptions, ctx: &Context) -> anyhow::Result<GraphSummary> {
    let started = Instant::now();
    let (input, output) = (&opts.input, &opts.output_dir);
    // The stage checks this too; here it comes first, before the plan line.
    let input_len = std::fs::metadata(input)
        .map_err(|source| hexmatrix_graph::Error::Input {
            path: input.clone(),
            source,
        })?
        .len();
    tracing::info!(
        target: "graph",
        "[graph] {} ({:.1} MiB), profile {} -> {}",
        input.display(),
        input_len as f64 / 1_048_576.0,
        opts.profile.name,
        output.display()
    );
    // A panic in the stage (a bug) is an error of this command, exit 1, with the
    // temporary directory removed, as when the build ran on its own thread.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        hexmatrix_graph::run(opts, ctx)
    }));
    let Ok(result) = result else {
        let _ = std::fs::remove_dir_all(ctx.output().temp_for(output));
        anyhow::bail!("graph of {}: the build panicked", input.display());
    };
    let summary = result
        .with_context(|| format!("graph of {} into {}", input.display(), output.display()))?;
    log_summary(&summary, started);
    Ok(summary)
}

fn log_summary(summary: &GraphSummary, started: Instant) {
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    let r = &summary.restrictions;
    tracing::info!(
        target: "graph",
        "[graph] {} nodes, {} edges, main component {:.1}% ({} of {} components); \
         restrictions {} applied ({} via-way), {} excepted/conditional, {} not routable, {} malformed; \
         anomalies: {} missing node refs in {} ways, {} absurd + {} unparsed maxspeed, {} blocking barriers; \
         {} turns, {} traffic signals, {} stop and {} give-way signs, driving side {}, {} rules; CH {} nodes, {} edges (edge-based); {:.2} s (read {:.2}, graph {:.2}, contract {:.2}, write {:.2}), peak RSS {peak}",
        summary.nodes,
        summary.edges,
        100.0 * summary.main_share(),
        summary.main_nodes,
        summary.components,
        r.applied,
        r.via_way,
        r.skipped_except + r.skipped_conditional,
        r.not_routable,
        r.malformed,
        summary.missing_node_refs,
        summary.ways_with_missing_nodes,
        summary.maxspeed_absurd,
        summary.maxspeed_unparsed,
        summary.blocked_nodes,
        summary.turns,
        summary.signal_nodes,
        summary.stop_nodes,
        summary.give_way_nodes,
        summary.driving_side.map_or("unknown", hexmatrix_graph::DrivingSide::as_str),
        summary.region.as_deref().unwrap_or("default"),
        summary.ch_nodes,
        summary.ch_edges,
        started.elapsed().as_secs_f64(),
        summary.read_s,
        summary.graph_s,
        summary.contract_s,
        summary.write_s,
    );
}
