//! What identifies a matrix by content, and file checksums.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::files::CELLS_FILE;
use crate::manifest::MatrixManifest;

/// Domain separator of [`content_fingerprint`]: a new way of fingerprinting gets a
/// new tag, so it never matches an old fingerprint by accident.
pub const FINGERPRINT_TAG: &str = "hexmatrix-matrix-content-v1";

/// SHA-256 (lowercase hex) of a matrix's content: resolution, bbox, duration limit,
/// block size, cell and pair counts, and the checksums of `cells.parquet` and of every
/// part; not the manifest's timings and paths, so a recomputed identical matrix is
/// the same matrix. The checksums come from the manifest; a matrix written before
/// the stage recorded them has its files (under `dir`) hashed here instead.
///
/// # Errors
/// [`Error::Io`] when a file whose checksum the manifest lacks cannot be read.
pub fn content_fingerprint(dir: &Path, m: &MatrixManifest) -> Result<String> {
    let cells_sha256 = match &m.cells_sha256 {
        Some(sum) => sum.clone(),
        None => sha256_file(&dir.join(CELLS_FILE))?,
    };
    let mut parts = Vec::with_capacity(m.parts.len());
    for p in &m.parts {
        let sha256 = match &p.sha256 {
            Some(sum) => sum.clone(),
            None => sha256_file(&dir.join(&p.file))?,
        };
        parts.push(serde_json::json!({
            "file": p.file,
            "block": p.block,
            "origins": p.origins,
            "rows": p.rows,
            "sha256": sha256,
        }));
    }
    // serde_json's maps are sorted by key: the text is canonical. The keys are spelled
    // out (not taken from the manifest's serde names) so that the fingerprint stays
    // what it was even if the manifest's fields are renamed.
    let content = serde_json::json!({
        "fingerprint": FINGERPRINT_TAG,
        "resolution": m.resolution,
        "bbox": m.bbox,
        "max_duration_s": m.max_duration_s,
        "origin_block_size": m.origin_block_size,
        "cells": {
            "total": m.cells.total,
            "ok": m.cells.ok,
            "no_road": m.cells.no_road,
            "unroutable": m.cells.unroutable,
        },
        "cells_sha256": cells_sha256,
        "pairs": m.pairs,
        "unreachable_pairs": m.unreachable_pairs,
        "parts": parts,
    });
    Ok(hex(&Sha256::digest(content.to_string().as_bytes())))
}

/// SHA-256 of a file, lowercase hex, read in 1 MiB pieces.
///
/// # Errors
/// [`Error::Io`] naming `path` when it cannot be opened or read.
pub fn sha256_file(path: &Path) -> Result<String> {
    Ok(hex(&sha256_file_digest(path)?))
}

/// SHA-256 of a file as its 32 bytes (what `graph.ch` records), read in 1 MiB pieces.
///
/// # Errors
/// [`Error::Io`] naming `path` when it cannot be opened or read.
pub fn sha256_file_digest(path: &Path) -> Result<[u8; 32]> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

/// Lowercase hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(matches!(
            sha256_file(&dir.path().join("missing")),
            Err(Error::Io { .. })
        ));
    }
}
