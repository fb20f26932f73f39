//! Resume state, kept in Redis beside the data it describes: the hash
//! `route:{version}:progress` holds the matrix fingerprint and one field per part
//! whose keys are all acknowledged (`part-00003.parquet` → `rows written`).
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
    let mut progress = Progress::default();
    for (field, value) in fields {
        if field == FINGERPRINT {
            progress.fingerprint = Some(value);
        } else if let Some((rows, written)) = value.split_once(' ')
            && let (Ok(r), Ok(w)) = (rows.parse(), written.parse())
        {
            progress.parts.insert(field, (r, w));
        }
    }
    Ok(progress)
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

/// Records a completed part.
///
/// # Errors
/// The write fails.
pub fn mark_part(conn: &mut Conn, key: &str, file: &str, rows: u64, written: u64) -> Result<()> {
    let _: () = conn.query(
        redis::cmd("HSET")
            .arg(key)
            .arg(file)
            .arg(format!("{rows} {written}")),
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
