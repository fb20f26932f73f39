//! Verification before the pointer moves: every matrix row was read and every
//! key meant to be stored was acknowledged (exact counts, per part); the servers
//! neither restarted nor evicted keys during the load; when the database was
//! empty before a fresh load, DBSIZE grew by exactly the keys written; and a
//! uniform sample of pairs read back from Redis equals the values rendered again
//! from the Parquet rows (and pairs beyond the duration limit are absent).
//!
//! The rows layout is checked completely, not sampled: the index, and every row
//! key with its exact length (`8 × N` bytes), then a sampled read-back of entries.

use std::collections::HashSet;

use hexmatrix_contract::PartEntry;
use redis::Cmd;

use crate::checkpoint::{self, part_field};
use crate::connect::Conn;
use crate::error::{Error, Result};
use crate::keys::KeyRenderer;
use crate::load::{LoadOutcome, Sample};
use crate::rows::{self, Layout};
use crate::server::ServerStats;

/// What a load did and what the servers say after it: the facts [`check_load`]
/// holds against each other.
pub(crate) struct LoadFacts<'a> {
    /// The version loaded.
    pub version: &'a str,
    /// The layout it was loaded in.
    pub layout: Layout,
    /// The parts of the matrix manifest, in manifest order.
    pub parts: &'a [PartEntry],
    /// What this run loaded.
    pub outcome: &'a LoadOutcome,
    /// The checkpoints an earlier, interrupted run left.
    pub progress: &'a checkpoint::Progress,
    /// Parts (manifest positions) that earlier run completed, skipped by this one.
    pub done: &'a HashSet<usize>,
    /// A fresh load: no checkpoint, no earlier version.
    pub fresh: bool,
    /// The servers before and after the load.
    pub before: &'a ServerStats,
    /// See `before`.
    pub after: &'a ServerStats,
    /// The `ok` cells of `cells.parquet`, and those the cell set holds in Redis.
    pub cells: (u64, u64),
    /// The cell set's key, for the message.
    pub cells_key: &'a str,
}

/// What [`check_load`] established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoadCheck {
    /// Data keys of the version, this run's and the earlier runs' together.
    pub keys_total: u64,
    /// Whether the DBSIZE delta was checked (a fresh load into an empty database).
    pub dbsize_checked: bool,
}

/// The exact checks of a load, before any read-back: every part read completely
/// (the rows the manifest lists), every key sent acknowledged, no restart and no
/// eviction during the load, the whole cell set stored, and, for a fresh load into
/// an empty database, DBSIZE grown by exactly the keys written.
///
/// # Errors
/// [`Error::Verify`] naming the first check that fails.
pub(crate) fn check_load(f: &LoadFacts<'_>) -> Result<LoadCheck> {
    let fail = |message: String| Error::Verify {
        version: f.version.to_owned(),
        message,
    };
    let outcome = f.outcome;
    let mut written_total = outcome.written;
    for (i, part) in f.parts.iter().enumerate() {
        let (rows, written) = if f.done.contains(&i) {
            f.progress.parts[part_field(&part.file)]
        } else {
            outcome
                .parts
                .iter()
                .find(|(p, _, _)| *p == i)
                .map(|&(_, r, w)| (r, w))
                .unwrap_or_default()
        };
        if rows != part.rows {
            return Err(fail(format!(
                "{} has {rows} rows but the matrix manifest lists {}",
                part.file, part.rows
            )));
        }
        if f.done.contains(&i) {
            written_total += written;
        }
    }
    if outcome.written != outcome.keys_sent {
        return Err(fail(format!(
            "{} keys were acknowledged but {} were sent",
            outcome.written, outcome.keys_sent
        )));
    }
    let restarted = f.after.restarted_since(f.before);
    if !restarted.is_empty() {
        return Err(fail(format!(
            "redis restarted during the load ({}): keys written before the restart may be lost; rerun",
            restarted.join(", ")
        )));
    }
    let evicted = f
        .after
        .evicted_keys()
        .saturating_sub(f.before.evicted_keys());
    if evicted > 0 {
        return Err(fail(format!(
            "redis evicted {evicted} keys during the load (maxmemory-policy {}): the cache is incomplete",
            f.before
                .memory_limit()
                .map_or_else(|| "?".to_owned(), |l| l.1)
        )));
    }
    let (cells, cell_count) = f.cells;
    if cell_count != cells {
        return Err(fail(format!(
            "{} holds {cell_count} cells, cells.parquet has {cells} ok cells",
            f.cells_key
        )));
    }
    let mut dbsize_checked = false;
    if f.fresh && f.before.dbsize() == 0 {
        // Empty before, fresh load: the only keys are ours (data, progress hash,
        // cell set, and the index in the rows layout).
        let extra = if f.layout == Layout::Rows { 3 } else { 2 };
        let expected = written_total + extra;
        dbsize_checked = true;
        if f.after.dbsize() != expected {
            return Err(fail(format!(
                "DBSIZE is {} after loading {written_total} keys into an empty database (expected {expected})",
                f.after.dbsize()
            )));
        }
    }
    Ok(LoadCheck {
        keys_total: written_total,
        dbsize_checked,
    })
}

/// Keys per read-back MGET.
const READ_CHUNK: usize = 500;

/// What the read-back found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadBack {
    /// Pairs checked.
    pub checked: u64,
    /// Of these, pairs that must be absent (beyond the duration limit).
    pub absent: u64,
}

/// Reads the sampled pairs back and compares them with the matrix.
///
/// # Errors
/// [`Error::Verify`] naming the first mismatching keys, or a read failure.
pub fn read_back(
    conn: &mut Conn,
    version: &str,
    keys: &KeyRenderer,
    samples: &[Sample],
) -> Result<ReadBack> {
    let mut report = ReadBack::default();
    let mut mismatches = Mismatches::default();
    for chunk in samples.chunks(READ_CHUNK) {
        let names: Vec<String> = chunk.iter().map(|s| keys.key(s.origin, s.dest)).collect();
        // On a Cluster, keys of different rows live in different slots: GETs in a pipeline.
        let values = conn.read_values(&names, false)?;
        for ((sample, name), value) in chunk.iter().zip(&names).zip(values) {
            report.checked += 1;
            let expected = sample.expected.as_deref().map(String::from_utf8_lossy);
            if expected.is_none() {
                report.absent += 1;
            }
            if value.as_deref() != expected.as_deref() {
                mismatches.note(|| {
                    format!(
                        "{name} holds {} but the matrix says {}",
                        value.map_or_else(|| "nothing".to_owned(), |v| format!("{v:?}")),
                        expected.map_or_else(|| "absent".to_owned(), |v| format!("{v:?}")),
                    )
                });
            }
        }
    }
    mismatches.verdict(version, report.checked)?;
    Ok(report)
}

/// The sampled pairs that differ from the matrix: how many, and the first few.
#[derive(Default)]
struct Mismatches {
    count: u64,
    first: Vec<String>,
}

impl Mismatches {
    fn note(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() < 3 {
            self.first.push(describe());
        }
    }

    fn verdict(self, version: &str, checked: u64) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        Err(Error::Verify {
            version: version.to_owned(),
            message: format!(
                "{} of {checked} sampled pairs differ from the matrix ({})",
                self.count,
                self.first.join("; ")
            ),
        })
    }
}

/// Row keys per STRLEN or GETRANGE pipeline.
const ROW_CHUNK: usize = 1000;

/// Checks the rows layout completely: the index holds exactly `index`, and every
/// origin of `index` has its row key with `8 × N` bytes. Returns the rows checked.
///
/// # Errors
/// [`Error::Verify`] naming the first missing or short rows, or a read failure.
pub fn check_rows(
    conn: &mut Conn,
    version: &str,
    index_key: &str,
    index: &[u64],
    key_prefix: &str,
) -> Result<u64> {
    let fail = |message: String| Error::Verify {
        version: version.to_owned(),
        message,
    };
    let stored: Option<Vec<u8>> =
        conn.query(redis::cmd("GET").arg(index_key), "reading the cell index")?;
    if stored.as_deref() != Some(&rows::index_bytes(index)[..]) {
        return Err(fail(format!(
            "{index_key} does not hold the {} ok cells of cells.parquet ({})",
            index.len(),
            stored.map_or_else(|| "missing".to_owned(), |b| format!("{} bytes", b.len()))
        )));
    }
    let expected = (index.len() * rows::ENTRY_BYTES) as i64;
    let mut bad = Vec::new();
    let mut bad_count = 0_u64;
    for chunk in index.chunks(ROW_CHUNK) {
        let cmds: Vec<Cmd> = chunk
            .iter()
            .map(|&origin| {
                let mut c = redis::cmd("STRLEN");
                c.arg(row_key(key_prefix, origin));
                c
            })
            .collect();
        let lengths = conn.run_pipeline(&cmds, "checking row lengths with STRLEN")?;
        for (&origin, length) in chunk.iter().zip(lengths) {
            let length: i64 = redis::from_redis_value(length)
                .map_err(|e| conn.error("checking row lengths with STRLEN", e.into()))?;
            if length != expected {
                bad_count += 1;
                if bad.len() < 3 {
                    bad.push(format!(
                        "{} has {length} bytes",
                        row_key(key_prefix, origin)
                    ));
                }
            }
        }
    }
    if bad_count > 0 {
        return Err(fail(format!(
            "{bad_count} of {} rows are missing or not {expected} bytes long ({})",
            index.len(),
            bad.join("; ")
        )));
    }
    Ok(index.len() as u64)
}

/// Reads sampled pairs back from their rows with GETRANGE and compares them with
/// the entries encoded from the matrix.
///
/// # Errors
/// [`Error::Verify`] naming the first mismatching pairs, or a read failure.
pub fn read_back_rows(
    conn: &mut Conn,
    version: &str,
    index: &[u64],
    key_prefix: &str,
    samples: &[Sample],
) -> Result<ReadBack> {
    let mut report = ReadBack::default();
    let mut mismatches = Mismatches::default();
    for chunk in samples.chunks(READ_CHUNK) {
        let mut cmds = Vec::with_capacity(chunk.len());
        let mut names = Vec::with_capacity(chunk.len());
        for s in chunk {
            let column = index.binary_search(&s.dest).unwrap_or(usize::MAX);
            let start = column.saturating_mul(rows::ENTRY_BYTES);
            let name = row_key(key_prefix, s.origin);
            let mut c = redis::cmd("GETRANGE");
            c.arg(&name)
                .arg(start)
                .arg(start.saturating_add(rows::ENTRY_BYTES - 1));
            cmds.push(c);
            names.push(format!("{name}[{start}..]"));
        }
        let values = conn.run_pipeline(&cmds, "reading row entries with GETRANGE")?;
        for ((sample, name), value) in chunk.iter().zip(&names).zip(values) {
            report.checked += 1;
            let value: Vec<u8> = redis::from_redis_value(value)
                .map_err(|e| conn.error("reading row entries with GETRANGE", e.into()))?;
            if Some(&value[..]) != sample.expected.as_deref() {
                mismatches.note(|| {
                    format!(
                        "{name} holds {:?} but the matrix says {:?}",
                        rows::decode(&value),
                        sample.expected.as_deref().and_then(rows::decode)
                    )
                });
            }
        }
    }
    mismatches.verdict(version, report.checked)?;
    Ok(report)
}

/// The row key of `origin`: the prefix and the origin in lowercase hex.
#[must_use]
pub fn row_key(key_prefix: &str, origin: u64) -> String {
    format!("{key_prefix}{origin:x}")
}
