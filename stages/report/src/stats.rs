//! The figures of the report: cells by status, pairs and unreachable pairs,
//! exact quantiles of duration and distance ([`crate::exact`]), binned quantiles
//! of the detour factor ([`crate::histogram`]).

use crate::error::{Error, Result};
use crate::histogram::Quantiles;
use crate::scan::{MatrixFiles, count_by, strings, u64s};
use hexmatrix_contract::columns::{cells, pairs as pair};
use hexmatrix_contract::{CellCounts, CellStatus};

/// Bin width of detour factors (a ratio of a route to a computed straight line:
/// binned, exact to half a bin).
pub const DETOUR_BIN: f64 = 0.001;

/// What the pair scans found.
#[derive(Debug, Clone, PartialEq)]
pub struct PairStats {
    /// Rows over all parts.
    pub pairs: u64,
    /// Rows without a route (null duration), self pairs included.
    pub unreachable: u64,
    /// Exact quantiles of the durations of routed pairs between different cells.
    pub duration_s: Option<Quantiles>,
    /// Exact quantiles of the distances of routed pairs between different cells.
    pub distance_m: Option<Quantiles>,
    /// Route distance / great-circle distance between the cell centres, routed
    /// pairs between different ok cells apart, in bins of [`DETOUR_BIN`].
    pub detour: Option<Quantiles>,
}

/// The columns of a part the report reads.
pub(crate) const PAIR_COLUMNS: [&str; 4] =
    [pair::ORIGIN, pair::DEST, pair::DISTANCE_M, pair::DURATION_S];

/// Counts the cells of `cells.parquet` by status.
///
/// # Errors
/// The file cannot be read or lacks the `status` column.
pub fn cell_counts(files: &MatrixFiles) -> Result<CellCounts> {
    const WHAT: &str = "cells by status";
    let df = files.cells(&[cells::STATUS], WHAT)?;
    let df = count_by(&df, &[cells::STATUS]).map_err(Error::query(WHAT, &files.cells))?;
    let mut c = CellCounts::default();
    for (status, n) in strings(&df, cells::STATUS, WHAT)?
        .into_iter()
        .zip(u64s(&df, "n", WHAT)?)
    {
        let n = n.unwrap_or(0);
        match status.as_deref().map(str::parse::<CellStatus>) {
            Some(Ok(status)) => c.add(status, n),
            // Counted in the total only, as before: the manifest check reports it.
            _ => c.total += n,
        }
    }
    Ok(c)
}
