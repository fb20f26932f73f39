//! One pass over the parts: each part (one origin block) is read once and gives its
//! share of every pair figure (counts and histograms, suspicious pairs, medians per
//! origin), so memory is bounded by the largest part however many parts there are.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::scan::{MatrixFiles, isolated, read};
use crate::stats::{self, Centres, PAIR_COLUMNS, PairStats, Totals};
use crate::suspicious::Suspicious;

/// What the parts give.
#[derive(Debug, Clone)]
pub struct PartFigures {
    /// Pair counts and histograms.
    pub pairs: PairStats,
    /// The suspicious pairs: how many, and the worst `top`.
    pub suspicious: Suspicious,
    /// Median duration in seconds from each origin to the other cells it reaches.
    pub medians: BTreeMap<u64, f64>,
}

/// Reads every part of `files` once; keeps the `top` worst suspicious pairs.
///
/// # Errors
/// A part or `cells.parquet` cannot be read or has the wrong columns.
pub fn scan(files: &MatrixFiles, top: usize) -> Result<PartFigures> {
    const WHAT: &str = "routed pairs";
    let mut totals = Totals::default();
    let mut suspicious = Suspicious::default();
    let mut medians = BTreeMap::new();
    if !files.parts.is_empty() {
        let centres = Centres::read(files)?;
        for part in &files.parts {
            let pairs = read(part, &PAIR_COLUMNS, "matrix scan")?;
            isolated(WHAT, part, || {
                let routed = stats::routed(&pairs).map_err(Error::query(WHAT, part))?;
                let detours =
                    stats::detours(&routed, &centres).map_err(Error::query(WHAT, part))?;
                totals.add(&pairs, &routed, &detours, part)?;
                suspicious.add_part(&detours, &centres, part, top)?;
                medians.extend(crate::origins::part_medians(&pairs, part)?);
                Ok(())
            })?;
        }
    }
    Ok(PartFigures {
        pairs: totals.finish(),
        suspicious,
        medians,
    })
}
