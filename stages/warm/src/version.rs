//! Per-version keys and the pointer: the drivable-cell set, the version manifest
//! a gateway reads (resolution, bbox, key template, value format) and the pointer
//! key naming the current version, which moves only after a verified load.

use serde::{Deserialize, Serialize};

use crate::connect::Conn;
use crate::error::{Error, Result};

/// Cells per SADD command.
const SADD_CHUNK: usize = 1000;

/// The version manifest stored at `route:{version}:manifest` (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionManifest {
    /// The version.
    pub version: String,
    /// H3 resolution of the cells.
    pub resolution: u8,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the matrix.
    pub bbox: [f64; 4],
    /// Key template with `{version}`, `{origin}`, `{dest}`.
    pub key_template: String,
    /// `json` or `text`.
    pub value_format: String,
    /// The set of drivable (`ok`) cells.
    pub cells_key: String,
    /// Drivable cells.
    pub cells: u64,
    /// Pair keys stored (including "no route" keys).
    pub keys: u64,
    /// Of these, "no route" keys.
    pub no_route_keys: u64,
    /// Matrix pairs not stored because slower than `max_duration_s`.
    pub beyond_max_duration: u64,
    /// The duration limit applied, if any.
    pub max_duration_s: Option<f64>,
    /// Base TTL of route keys, seconds.
    pub ttl_s: u64,
    /// Base TTL of "no route" keys, seconds.
    pub no_route_ttl_s: u64,
    /// Random extra TTL as a fraction of the base.
    pub ttl_jitter: f64,
    /// SHA-256 of the matrix `manifest.json`.
    pub matrix_fingerprint: String,
    /// Unix time the load was verified.
    pub loaded_at_unix: u64,
    /// hexmatrix version that loaded it.
    pub tool_version: String,
    /// The matrix manifest as written by the matrix stage.
    #[serde(default)]
    pub matrix: serde_json::Value,
}

/// Adds `cells` to the set `key` (idempotent) and sets its TTL.
///
/// # Errors
/// A write fails.
pub fn write_cells(conn: &mut Conn, key: &str, cells: &[u64], ttl_s: u64) -> Result<()> {
    for chunk in cells.chunks(SADD_CHUNK) {
        let mut cmd = redis::cmd("SADD");
        cmd.arg(key);
        for c in chunk {
            cmd.arg(format!("{c:x}"));
        }
        let _: u64 = conn.query(&cmd, "writing the cell set")?;
    }
    let _: () = conn.query(
        redis::cmd("EXPIRE").arg(key).arg(ttl_s),
        "writing the cell set",
    )?;
    Ok(())
}

/// Cardinality of the set `key`.
///
/// # Errors
/// The read fails.
pub fn count_cells(conn: &mut Conn, key: &str) -> Result<u64> {
    conn.query(redis::cmd("SCARD").arg(key), "counting the cell set")
}

/// Stores the version manifest.
///
/// # Errors
/// The write fails.
pub fn write_manifest(
    conn: &mut Conn,
    key: &str,
    manifest: &VersionManifest,
    ttl_s: u64,
) -> Result<()> {
    let json = serde_json::to_string(manifest).map_err(|e| Error::InvalidOption {
        name: "version manifest",
        value: manifest.version.clone(),
        reason: e.to_string(),
    })?;
    let _: () = conn.query(
        redis::cmd("SET").arg(key).arg(json).arg("EX").arg(ttl_s),
        "writing the version manifest",
    )?;
    Ok(())
}

/// Reads a version manifest, `None` when absent.
///
/// # Errors
/// The read fails or the stored JSON is not a version manifest.
pub fn read_manifest(conn: &mut Conn, key: &str) -> Result<Option<VersionManifest>> {
    let text: Option<String> =
        conn.query(redis::cmd("GET").arg(key), "reading the version manifest")?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| Error::NoVersion {
            url: conn.url().to_owned(),
            message: format!("{key} is not a hexmatrix version manifest: {e}"),
        })
    })
    .transpose()
}

/// The version the pointer names, `None` when unset.
///
/// # Errors
/// The read fails.
pub fn read_pointer(conn: &mut Conn, pointer_key: &str) -> Result<Option<String>> {
    conn.query(
        redis::cmd("GET").arg(pointer_key),
        "reading the pointer key",
    )
}

/// Points `pointer_key` at `version` (no TTL: it must never vanish) and returns
/// the version it named before.
///
/// # Errors
/// The write fails.
pub fn move_pointer(conn: &mut Conn, pointer_key: &str, version: &str) -> Result<Option<String>> {
    // SET … GET (Redis ≥ 6.2) swaps atomically and tells what was replaced.
    conn.query(
        redis::cmd("SET").arg(pointer_key).arg(version).arg("GET"),
        "moving the pointer key",
    )
}
