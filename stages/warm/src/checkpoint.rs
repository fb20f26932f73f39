//! Resume state, kept in Redis beside the data it describes: the hash
//! `route:{version}:progress` holds the matrix fingerprint and one field per part
//! whose keys are all acknowledged (`part-00003.parquet` → `rows written no_route
//! beyond_max`; checkpoints written before the last two were recorded hold
//! `rows written`, and still read).
//!
//! Keeping it in Redis rather than in a local file is deliberate: if the server
//! restarts without persistence, the keys and the checkpoints vanish together
//! and the load starts over; with AOF or RDB they survive together, in order,
//! since a part's checkpoint is written only after all its keys were
//! acknowledged. A file on the loading machine could claim parts that the server
//! has lost. (On a Cluster the hash lives on one node: a lost node is caught by
//! the sampled read-back instead.)

use std::collections::HashMap;

use crate::connect::Conn;
use crate::error::Result;

/// The field holding the matrix fingerprint.
const FINGERPRINT: &str = "_fingerprint";

/// What a progress hash says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Fingerprint of the matrix being loaded, if the load has started.
    pub fingerprint: Option<String>,
    /// Completed parts: file name → (rows, keys written).
    pub parts: HashMap<String, (u64, u64)>,
    /// Completed parts whose checkpoint says so: file name → (pairs without a
    /// route, pairs beyond the duration limit), so that a load resumed or split
    /// into shards still counts them for the whole version.
    pub counts: HashMap<String, (u64, u64)>,
}

/// Reads the progress hash `key`.
///
/// # Errors
/// The read fails.
pub fn read(conn: &mut Conn, key: &str) -> Result<Progress> {
    let fields: HashMap<String, String> = conn.query(
        redis::cmd("HGETALL").arg(key),
        "reading the load checkpoints",
    )?;
    Ok(parse(fields))
}

/// The progress hash's fields as a [`Progress`]; fields that are not a checkpoint
/// are ignored.
fn parse(fields: HashMap<String, String>) -> Progress {
    let mut progress = Progress::default();
    for (field, value) in fields {
        if field == FINGERPRINT {
            progress.fingerprint = Some(value);
        } else {
            let numbers: Vec<u64> = value.split(' ').map_while(|n| n.parse().ok()).collect();
            if let [rows, written, ref rest @ ..] = numbers[..] {
                if let [no_route, beyond_max] = *rest {
                    progress
                        .counts
                        .insert(field.clone(), (no_route, beyond_max));
                }
                progress.parts.insert(field, (rows, written));
            }
        }
    }
    progress
}

/// Starts (or restarts) a load: records the matrix fingerprint.
///
/// # Errors
/// The write fails.
pub fn start(conn: &mut Conn, key: &str, fingerprint: &str, ttl_s: u64) -> Result<()> {
    let _: () = conn.query(
        redis::cmd("HSET")
            .arg(key)
            .arg(FINGERPRINT)
            .arg(fingerprint),
        "writing the load checkpoint",
    )?;
    let _: () = conn.query(
        redis::cmd("EXPIRE").arg(key).arg(ttl_s),
        "writing the load checkpoint",
    )?;
    Ok(())
}

/// What a completed part's checkpoint records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartDone {
    /// Matrix rows read.
    pub rows: u64,
    /// Keys acknowledged.
    pub written: u64,
    /// Pairs without a route.
    pub no_route: u64,
    /// Pairs beyond the duration limit.
    pub beyond_max: u64,
}

/// Records a completed part.
///
/// # Errors
/// The write fails.
pub fn mark_part(conn: &mut Conn, key: &str, file: &str, done: PartDone) -> Result<()> {
    let PartDone {
        rows,
        written,
        no_route,
        beyond_max,
    } = done;
    let _: () = conn.query(
        redis::cmd("HSET")
            .arg(key)
            .arg(file)
            .arg(format!("{rows} {written} {no_route} {beyond_max}")),
        "writing the load checkpoint",
    )?;
    Ok(())
}

/// Forgets the checkpoint of one part (the field [`part_field`] of `file`), so that
/// the next load of it rewrites its keys.
///
/// # Errors
/// The delete fails.
pub fn forget_part(conn: &mut Conn, key: &str, file: &str) -> Result<()> {
    let _: () = conn.query(
        redis::cmd("HDEL").arg(key).arg(part_field(file)),
        "clearing a load checkpoint",
    )?;
    Ok(())
}

/// Forgets every checkpoint of the version (`--force`).
///
/// # Errors
/// The delete fails.
pub fn clear(conn: &mut Conn, key: &str) -> Result<()> {
    let _: () = conn.query(redis::cmd("DEL").arg(key), "clearing the load checkpoints")?;
    Ok(())
}

/// The field name of a part: its file name without directories.
#[must_use]
pub fn part_field(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_of_both_formats_read() {
        let fields = [
            (FINGERPRINT, "abc"),
            ("part-00000.parquet", "10 9 1 0"),
            ("part-00001.parquet", "10 10"),
            ("part-00002.parquet", "ten"),
        ]
        .into_iter()
        .map(|(f, v)| (f.to_owned(), v.to_owned()))
        .collect();
        let p = parse(fields);
        assert_eq!(p.fingerprint.as_deref(), Some("abc"));
        assert_eq!(p.parts["part-00000.parquet"], (10, 9));
        assert_eq!(p.counts["part-00000.parquet"], (1, 0));
        // Written before the counts were recorded: a checkpoint without them.
        assert_eq!(p.parts["part-00001.parquet"], (10, 10));
        assert!(!p.counts.contains_key("part-00001.parquet"));
        assert_eq!(p.parts.len(), 2);
    }
}
