//! The matrix stage's entry points: load and snap, then search and write, with
//! progress and cancellation from the [`Context`]; [`run`] for the whole matrix,
//! [`run_shard`] for one shard of it.

use hexmatrix_contract::{Context, Counter, ShardSpec, Unit};
use hexmatrix_graph::ContractionHierarchy;

use crate::error::Result;
use crate::job::{MatrixCounters, MatrixOptions, MatrixSummary, Prepared, STAGE};
use crate::load::prepare;
use crate::shard::{ShardSummary, graph_fingerprint};

/// Computes the matrix of `opts` into `opts.output_dir` (replaced when complete):
/// loads the graph, covers and snaps the cells (noting their counts on `ctx`), then
/// searches and writes with the pairs computed shown on `ctx`.
///
/// # Errors
/// As [`prepare`] (unreadable or inconsistent graph, bad options) and
/// [`crate::Prepared::run`] (a failed write, [`crate::Error::Cancelled`]).
pub fn run(opts: &MatrixOptions, ctx: &Context) -> Result<MatrixSummary> {
    let prepared = prepare_noted(opts, ctx)?;
    let counters = MatrixCounters::default();
    let shown = ctx.show(
        STAGE,
        Some(prepared.pairs_total()),
        Counter::new(Unit::Items("pairs"), counters.pairs.clone()),
        Vec::new(),
    );
    let summary = prepared.run(&counters, ctx);
    shown.finish();
    summary
}

/// Computes shard `shard` of the matrix of `opts` into `opts.output_dir`, shared
/// with the other shards: its parts, `cells.parquet`, and its record
/// `shards/K-of-N.json` last (see [`crate::Prepared::run_shard`]). The directory's
/// `manifest.json` is written by [`crate::merge_shards`] once every shard is done.
///
/// # Errors
/// As [`run`], and [`crate::Error::Io`] when the graph files cannot be hashed.
pub fn run_shard(opts: &MatrixOptions, shard: ShardSpec, ctx: &Context) -> Result<ShardSummary> {
    let fingerprint = graph_fingerprint(&opts.graph_dir)?;
    let prepared = prepare_noted(opts, ctx)?;
    let counters = MatrixCounters::default();
    let shown = ctx.show(
        STAGE,
        None,
        Counter::new(Unit::Items("pairs"), counters.pairs.clone()),
        Vec::new(),
    );
    let summary = prepared.run_shard(shard, fingerprint, &counters, ctx);
    shown.finish();
    summary
}

/// [`prepare`], then a note of the cell counts on `ctx`.
fn prepare_noted(opts: &MatrixOptions, ctx: &Context) -> Result<Prepared<ContractionHierarchy>> {
    let started = std::time::Instant::now();
    let prepared = prepare(opts.clone())?;
    let c = prepared.cell_counts();
    ctx.note(
        STAGE,
        &format!(
            "{} cells: {} ok, {} no_road, {} unroutable (snap radius {:.0} m); {} pairs to compute ({:.2} s)",
            c.total,
            c.ok,
            c.no_road,
            c.unroutable,
            prepared.snap_radius_m(),
            c.ok * c.ok,
            started.elapsed().as_secs_f64()
        ),
    );
    ctx.check(STAGE)?;
    Ok(prepared)
}
