//! Per-cell figures for the map: the status and centre of every cell, and for each
//! ok cell the median travel time to the other cells it reaches.
//!
//! A median is not a streaming reduction, so it is computed part by part: parts are
//! cut by origin block, every origin's rows sit in one part, and memory stays
//! bounded by one part (about two million rows) however large the matrix is.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use hexmatrix_contract::CellStatus;
use hexmatrix_contract::columns::{cells, pairs as pair};

use crate::error::Result;
use crate::scan::{MatrixFiles, collect_streaming, f64s, scan, strings, u64s};

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

/// Every cell of `cells.parquet`, in file order, with its median travel time.
///
/// # Errors
/// A file cannot be read or has the wrong columns.
pub fn cells_with_medians(files: &MatrixFiles) -> Result<Vec<CellInfo>> {
    const WHAT: &str = "cells";
    let df = collect_streaming(
        files.cells()?.select([
            col(cells::CELL),
            col(cells::STATUS),
            col(cells::LAT),
            col(cells::LON),
        ]),
        WHAT,
        &files.cells,
    )?;
    let mut medians = HashMap::new();
    for part in &files.parts {
        medians.extend(part_medians(part)?);
    }
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

/// Median duration per origin of one part, over routed pairs to other cells.
fn part_medians(part: &Path) -> Result<Vec<(u64, f64)>> {
    const WHAT: &str = "median travel time per origin";
    let lf = scan(&[part.to_owned()], WHAT, part)?
        .filter(
            col(pair::ORIGIN)
                .neq(col(pair::DEST))
                .and(col(pair::DURATION_S).is_not_null()),
        )
        .group_by([col(pair::ORIGIN)])
        .agg([col(pair::DURATION_S)
            .cast(DataType::Float64)
            .median()
            .alias("median_s")]);
    let df = collect_streaming(lf, WHAT, part)?;
    Ok(u64s(&df, pair::ORIGIN, WHAT)?
        .into_iter()
        .zip(f64s(&df, "median_s", WHAT)?)
        .filter_map(|(o, m)| Some((o?, m?)))
        .collect())
}
