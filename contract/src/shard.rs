//! Shards: one share of a matrix's origin blocks (or of its parts, for warm),
//! computed or loaded by one of N processes, and the record a matrix shard leaves
//! at `shards/K-of-N.json` once all its parts are written.
//!
//! Which blocks a shard gets depends only on the blocks' estimated work and on N,
//! never on the machine or the order processes start, so a retried shard redoes
//! exactly the same blocks and writes the same part files an unsharded run would.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::status::CellCounts;

/// The directory of a matrix directory that holds the shard records.
pub const SHARDS_DIR: &str = "shards";

/// The value of [`ShardRecord::stage`].
pub const SHARD_STAGE: &str = "matrix-shard";

/// Shard `index` of `count` (0-based, as a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX`); valid by construction: `index < count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "(u32, u32)", into = "(u32, u32)")]
pub struct ShardSpec {
    index: u32,
    count: u32,
}

/// Why a shard's text or numbers were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shard {text:?}: {message}")]
pub struct BadShard {
    /// What was given.
    pub text: String,
    /// What is wrong with it.
    pub message: &'static str,
}

impl ShardSpec {
    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// [`BadShard`] when `count` is 0 or `index` is not below it.
    pub fn new(index: u32, count: u32) -> std::result::Result<Self, BadShard> {
        let text = format!("{index}/{count}");
        if count == 0 {
            return Err(BadShard {
                text,
                message: "the number of shards must be at least 1",
            });
        }
        if index >= count {
            return Err(BadShard {
                text,
                message: "the shard index is 0-based and must be below the number of shards",
            });
        }
        Ok(Self { index, count })
    }

    /// The 0-based index K.
    #[must_use]
    pub fn index(self) -> u32 {
        self.index
    }

    /// The number of shards N.
    #[must_use]
    pub fn count(self) -> u32 {
        self.count
    }

    /// `K-of-N`: the shard's name in file names and Redis fields.
    #[must_use]
    pub fn label(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }

    /// The shard record's path relative to the matrix directory: `shards/K-of-N.json`.
    #[must_use]
    pub fn record_name(self) -> String {
        format!("{SHARDS_DIR}/{}.json", self.label())
    }

    /// The positions among `weights` (one per block or part, its estimated work) that
    /// belong to this shard, ascending. See [`assign`].
    #[must_use]
    pub fn pick(self, weights: &[u64]) -> Vec<usize> {
        assign(weights, self.count)
            .into_iter()
            .nth(self.index as usize)
            .unwrap_or_default()
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = BadShard;

    /// Parses `K/N`.
    fn from_str(s: &str) -> std::result::Result<Self, BadShard> {
        let bad = |message| BadShard {
            text: s.to_owned(),
            message,
        };
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| bad("expected K/N, for example 0/4 (K is 0-based)"))?;
        let k = k.trim().parse().map_err(|_| bad("K is not a number"))?;
        let n = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        Self::new(k, n).map_err(|e| bad(e.message))
    }
}

impl TryFrom<(u32, u32)> for ShardSpec {
    type Error = BadShard;

    fn try_from((index, count): (u32, u32)) -> std::result::Result<Self, BadShard> {
        Self::new(index, count)
    }
}

impl From<ShardSpec> for (u32, u32) {
    fn from(s: ShardSpec) -> Self {
        (s.index, s.count)
    }
}

/// Splits items of estimated work `weights` into `count` shards, balanced and
/// deterministic: heaviest item first (ties: lower position first), each to the shard
/// with the least work so far (ties: lower shard first), the classic greedy that
/// stays within one item of the best split. Each shard's positions come ascending.
#[must_use]
pub fn assign(weights: &[u64], count: u32) -> Vec<Vec<usize>> {
    let count = count.max(1) as usize;
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(a.cmp(&b)));
    let mut load = vec![0_u64; count];
    let mut shards = vec![Vec::new(); count];
    for i in order {
        let lightest = (0..count).min_by_key(|&s| (load[s], s)).unwrap_or_default();
        load[lightest] = load[lightest].saturating_add(weights[i]);
        shards[lightest].push(i);
    }
    for s in &mut shards {
        s.sort_unstable();
    }
    shards
}

/// The parameters that decide a matrix's content, as they were asked for: every shard
/// and the merge must agree on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardParameters {
    /// H3 resolution.
    pub resolution: u8,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// The duration limit, seconds.
    pub max_duration_s: Option<f64>,
    /// The snap radius asked for (`None`: the resolution's default).
    pub snap_radius_m: Option<f64>,
    /// The origins per part asked for (`None`: the default from the cell count).
    pub origin_block_size: Option<u64>,
}

impl fmt::Display for ShardParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [min_lon, min_lat, max_lon, max_lat] = self.bbox;
        write!(
            f,
            "resolution {}, bbox {min_lon},{min_lat},{max_lon},{max_lat}",
            self.resolution
        )?;
        match self.max_duration_s {
            Some(secs) => write!(f, ", max duration {secs} s")?,
            None => f.write_str(", no max duration")?,
        }
        match self.snap_radius_m {
            Some(metres) => write!(f, ", snap radius {metres} m")?,
            None => f.write_str(", default snap radius")?,
        }
        match self.origin_block_size {
            Some(size) => write!(f, ", origin block size {size}"),
            None => f.write_str(", default origin block size"),
        }
    }
}

/// One part written by a shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardPart {
    /// Path relative to the matrix directory ([`crate::part_name`] of the block).
    pub file: String,
    /// Origin block number.
    pub block: u64,
    /// Origins in the block.
    pub origins: u64,
    /// Rows in the file.
    pub rows: u64,
    /// Rows with nulls.
    pub unreachable: u64,
    /// Pairs left out as slower than the limit.
    pub beyond_limit: u64,
    /// Size of the file, bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// `shards/K-of-N.json`: what one matrix shard computed, written after all its parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Always [`SHARD_STAGE`].
    pub stage: String,
    /// Version of the tool that wrote the shard.
    pub tool_version: String,
    /// K: this shard's 0-based index.
    pub shard: u32,
    /// N: the number of shards.
    pub shards: u32,
    /// SHA-256 over the graph files the matrix reads (`graph.ch`, `nodes.parquet`,
    /// `edges.parquet`): shards of different graphs never merge.
    pub graph_fingerprint: String,
    /// The graph directory as given.
    pub graph_dir: String,
    /// The graph's vehicle profile.
    pub profile: Option<String>,
    /// The parameters as asked for.
    pub parameters: ShardParameters,
    /// The snap radius used, metres.
    pub snap_radius_m: f64,
    /// Origins per part used.
    pub origin_block_size: u64,
    /// Origin blocks of the whole matrix.
    pub blocks_total: u64,
    /// Cells by status (of the whole matrix).
    pub cells: CellCounts,
    /// SHA-256 of `cells.parquet`.
    pub cells_sha256: String,
    /// Bucket entries of the search (the same in every shard: all targets).
    pub bucket_entries: u64,
    /// The blocks of this shard, ascending.
    pub blocks: Vec<u64>,
    /// Their parts, in block order.
    pub parts: Vec<ShardPart>,
    /// Rows over this shard's parts.
    pub pairs: u64,
    /// Seconds searching and writing this shard's blocks.
    pub matrix_s: f64,
    /// Seconds building the buckets.
    pub bucket_s: f64,
    /// Thread-seconds of forward searches.
    pub search_cpu_s: f64,
    /// Thread-seconds of encoding and writing.
    pub write_cpu_s: f64,
    /// Worker threads.
    pub threads: u64,
    /// Wall time of the shard, seconds.
    pub elapsed_s: f64,
    /// Peak resident memory of the shard's process, bytes, when measured.
    pub peak_rss_bytes: Option<u64>,
}

impl ShardRecord {
    /// The shard the record says it is, if its numbers are a valid `K/N`.
    #[must_use]
    pub fn spec(&self) -> Option<ShardSpec> {
        ShardSpec::new(self.shard, self.shards).ok()
    }

    /// The record as it is written: pretty JSON and a final newline.
    ///
    /// # Errors
    /// [`Error::Json`] if serde cannot encode it.
    pub fn to_json(&self) -> Result<String> {
        let mut text = serde_json::to_string_pretty(self).map_err(Error::Json)?;
        text.push('\n');
        Ok(text)
    }

    /// Parses a record.
    ///
    /// # Errors
    /// [`Error::Json`] when `bytes` are not a shard record.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(Error::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_text_is_k_slash_n_zero_based() {
        let s: ShardSpec = "2/4".parse().unwrap();
        assert_eq!((s.index(), s.count()), (2, 4));
        assert_eq!(s.record_name(), "shards/2-of-4.json");
        assert_eq!(s.to_string(), "2/4");
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2"] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "[2,4]");
        assert!(serde_json::from_str::<ShardSpec>("[4,4]").is_err());
    }

    #[test]
    fn assignment_covers_every_item_once_and_balances() {
        let weights = [10, 10, 10, 10, 10, 10, 10, 3];
        let shards = assign(&weights, 3);
        let mut all: Vec<usize> = shards.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..weights.len()).collect::<Vec<_>>());
        let loads: Vec<u64> = shards
            .iter()
            .map(|s| s.iter().map(|&i| weights[i]).sum())
            .collect();
        assert_eq!(loads, vec![30, 23, 20]);
        assert_eq!(ShardSpec::new(1, 3).unwrap().pick(&weights), shards[1]);
        // More shards than items: the extra shards are empty, not an error.
        assert_eq!(assign(&[5], 3), vec![vec![0], vec![], vec![]]);
        assert_eq!(assign(&weights, 1), vec![(0..8).collect::<Vec<_>>()]);
    }
}
