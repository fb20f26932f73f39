//! The matrix stage's entry point: load and snap, then search and write, with
//! progress and cancellation from the [`Context`].

use hexmatrix_contract::{Context, Counter, Unit};

use crate::error::Result;
use crate::job::{MatrixCounters, MatrixOptions, MatrixSummary, STAGE};
use crate::load::prepare;

/// Computes the matrix of `opts` into `opts.output_dir` (replaced when complete):
/// loads the graph, covers and snaps the cells (noting their counts on `ctx`), then
/// searches and writes with the pairs computed shown on `ctx`.
///
/// # Errors
/// As [`prepare`] (unreadable or inconsistent graph, bad options) and
/// [`crate::Prepared::run`] (a failed write, [`crate::Error::Cancelled`]).
pub fn run(opts: &MatrixOptions, ctx: &Context) -> Result<MatrixSummary> {
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
