//! Per-cell figures for the map: the status and centre of every cell, and for each
//! ok cell the median travel time to the other cells it reaches.
//!
//! A median is not a streaming reduction, so it is computed part by part: parts are
//! cut by origin block, every origin's rows sit in one part, and memory stays
//! bounded by one part (about two million rows) however large the matrix is.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::scan::{MatrixFiles, collect_streaming, f64s, scan, strings, u64s};

/// One cell as the map draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellInfo {
    /// H3 cell index.
    pub cell: u64,
    /// `ok`, `no_road` or `unroutable`.
    pub status: String,
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
        files
            .cells()?
            .select([col("cell"), col("status"), col("lat"), col("lon")]),
        WHAT,
        &files.cells,
    )?;
    let mut medians = HashMap::new();
    for part in &files.parts {
        medians.extend(part_medians(part)?);
    }
    let cells = u64s(&df, "cell", WHAT)?;
    let status = strings(&df, "status", WHAT)?;
    let (lat, lon) = (f64s(&df, "lat", WHAT)?, f64s(&df, "lon", WHAT)?);
    Ok((0..df.height())
        .filter_map(|i| {
            let cell = cells[i]?;
            Some(CellInfo {
                cell,
                status: status[i].clone().unwrap_or_default(),
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
            col("origin")
                .neq(col("dest"))
                .and(col("duration_s").is_not_null()),
        )
        .group_by([col("origin")])
        .agg([col("duration_s")
            .cast(DataType::Float64)
            .median()
            .alias("median_s")]);
    let df = collect_streaming(lf, WHAT, part)?;
    Ok(u64s(&df, "origin", WHAT)?
        .into_iter()
        .zip(f64s(&df, "median_s", WHAT)?)
        .filter_map(|(o, m)| Some((o?, m?)))
        .collect())
}
