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
    /// `pairs` (a key per pair) or `rows` (a binary row per origin); absent in
    /// manifests written before the rows layout existed, which are `pairs`.
    #[serde(default = "pairs_layout")]
    pub layout: String,
    /// `json` or `text` in the pairs layout; `binary` in the rows layout.
    pub value_format: String,
    /// Rows layout: the key of the cell index (`route:{version}:index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_key: Option<String>,
    /// Rows layout: row keys are this prefix and the origin in hex
    /// (`route:{version}:row:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_key_prefix: Option<String>,
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

fn pairs_layout() -> String {
    "pairs".to_owned()
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

/// Moves the pointer with compare-and-set: only if it still names `expected`
/// (`None`: unset). Server-side, so no other load can slip in between the read and
/// the write.
const MOVE_POINTER_SCRIPT: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur == false then cur = '' end
if cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return {1, cur}
end
return {0, cur}
";

/// Points `pointer_key` at `version` (no TTL: it must never vanish) if it still
/// names `expected`, the version it named when this load started.
///
/// # Errors
/// [`Error::PointerMoved`] when another load moved it meanwhile (it is left as it
/// is), or the write fails.
pub fn move_pointer(
    conn: &mut Conn,
    pointer_key: &str,
    expected: Option<&str>,
    version: &str,
) -> Result<()> {
    let (moved, found): (i64, String) = conn.query(
        redis::cmd("EVAL")
            .arg(MOVE_POINTER_SCRIPT)
            .arg(1)
            .arg(pointer_key)
            .arg(expected.unwrap_or(""))
            .arg(version),
        "moving the pointer key",
    )?;
    if moved == 1 {
        Ok(())
    } else {
        Err(Error::PointerMoved {
            pointer_key: pointer_key.to_owned(),
            version: version.to_owned(),
            expected: expected.unwrap_or("(unset)").to_owned(),
            found: if found.is_empty() {
                "(unset)".to_owned()
            } else {
                found
            },
        })
    }
}
