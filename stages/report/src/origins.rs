//! Per-cell figures for the map: the status and centre of every cell, and for each
//! ok cell its median travel time to the other cells it reaches and the share of
//! the ok cells it reaches within the map's threshold (from [`crate::access`]).

use hexmatrix_contract::CellStatus;
use hexmatrix_contract::columns::cells;

use crate::access::Access;
use crate::error::Result;
use crate::scan::{MatrixFiles, f64s, strings, u64s};

/// One cell as the map draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellInfo {
    /// H3 cell index.
    pub cell: u64,
    /// Its status; `None` when `cells.parquet` holds something else.
    pub status: Option<CellStatus>,
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lon: f64,
    /// Median duration in seconds to the other cells it reaches (ok cells that reach
    /// at least one other cell).
    pub median_s: Option<f64>,
    /// Share of the ok cells it reaches within the map's threshold (ok cells).
    pub reach_share: Option<f64>,
}

/// Every cell of `cells.parquet`, in file order, with its median travel time and
/// reach at threshold index `column` from `access` (ascending by cell, as
/// [`crate::parts::scan`] gives it).
///
/// # Errors
/// `cells.parquet` cannot be read or has the wrong columns.
pub fn cells_with_medians(
    files: &MatrixFiles,
    access: &[Access],
    column: usize,
) -> Result<Vec<CellInfo>> {
    const WHAT: &str = "cells";
    let df = files.cells(&[cells::CELL, cells::STATUS, cells::LAT, cells::LON], WHAT)?;
    let cells = u64s(&df, cells::CELL, WHAT)?;
    let status = strings(&df, cells::STATUS, WHAT)?;
    let (lat, lon) = (f64s(&df, cells::LAT, WHAT)?, f64s(&df, cells::LON, WHAT)?);
    Ok((0..df.height())
        .filter_map(|i| {
            let cell = cells[i]?;
            let a = access
                .binary_search_by_key(&cell, |a| a.cell)
                .ok()
                .map(|j| &access[j]);
            Some(CellInfo {
                cell,
                status: status[i].as_deref().and_then(|s| s.parse().ok()),
                lat: lat[i]?,
                lon: lon[i]?,
                median_s: a.and_then(|a| a.median_from_s),
                reach_share: a.map(|a| a.share[column]),
            })
        })
        .collect())
}
