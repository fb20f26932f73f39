//! Per-cell figures for the map: the status and centre of every cell, and for each
//! ok cell the median travel time to the other cells it reaches.
//!
//! A median does not add up over parts, so it is computed part by part: parts are
//! cut by origin block, every origin's rows sit in one part, and memory stays
//! bounded by one part (about two million rows) however large the matrix is.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use hexmatrix_contract::CellStatus;
use hexmatrix_contract::columns::{cells, pairs as pair};

use crate::error::{Error, Result};
use crate::scan::{MatrixFiles, f64_column, f64s, strings, u64s};

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
}

/// Every cell of `cells.parquet`, in file order, with its median travel time from
/// `medians` (origin cell to median seconds, `part_medians` over every part).
///
/// # Errors
/// `cells.parquet` cannot be read or has the wrong columns.
pub fn cells_with_medians(
    files: &MatrixFiles,
    medians: &BTreeMap<u64, f64>,
) -> Result<Vec<CellInfo>> {
    const WHAT: &str = "cells";
    let df = files.cells(&[cells::CELL, cells::STATUS, cells::LAT, cells::LON], WHAT)?;
    let cells = u64s(&df, cells::CELL, WHAT)?;
    let status = strings(&df, cells::STATUS, WHAT)?;
    let (lat, lon) = (f64s(&df, cells::LAT, WHAT)?, f64s(&df, cells::LON, WHAT)?);
    Ok((0..df.height())
        .filter_map(|i| {
            let cell = cells[i]?;
            Some(CellInfo {
                cell,
                status: status[i].as_deref().and_then(|s| s.parse().ok()),
                lat: lat[i]?,
                lon: lon[i]?,
                median_s: medians.get(&cell).copied(),
            })
        })
        .collect())
}

/// Median duration per origin of one part (`pairs` as read from `part`), over routed
/// pairs to other cells.
///
/// # Errors
/// The part lacks a column or has it with an unexpected type.
pub(crate) fn part_medians(pairs: &DataFrame, part: &Path) -> Result<Vec<(u64, f64)>> {
    const WHAT: &str = "median travel time per origin";
    let df = medians(pairs).map_err(Error::query(WHAT, part))?;
    Ok(u64s(&df, pair::ORIGIN, WHAT)?
        .into_iter()
        .zip(f64s(&df, "median_s", WHAT)?)
        .filter_map(|(o, m)| Some((o?, m?)))
        .collect())
}

/// `origin` and `median_s`, the median of `duration_s` over the rows of each origin
/// with a route to another cell.
fn medians(pairs: &DataFrame) -> PolarsResult<DataFrame> {
    let mask = pairs
        .column(pair::ORIGIN)?
        .not_equal(pairs.column(pair::DEST)?)?
        & pairs.column(pair::DURATION_S)?.is_not_null();
    let routed = pairs.filter(&mask)?;
    let mut duration = f64_column(&routed, pair::DURATION_S)?;
    duration.rename("median_s".into());
    let routed = DataFrame::new_infer_height(vec![
        routed.column(pair::ORIGIN)?.clone(),
        duration.into_column(),
    ])?;
    if routed.height() == 0 {
        // No groups: already the shape of the result (group-by apply refuses an empty frame).
        return Ok(routed);
    }
    routed.group_by([pair::ORIGIN])?.apply(|group| {
        let median = group.column("median_s")?.f64()?.median();
        DataFrame::new_infer_height(vec![
            group.column(pair::ORIGIN)?.head(Some(1)),
            Column::new("median_s".into(), [median]),
        ])
    })
}
