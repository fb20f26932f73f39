//! Input hashing and the version string used in output paths and cache keys.

use std::path::Path;

use sha2::{Digest, Sha256};

/// This build's version, recorded in manifests and mixed into every version string.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// SHA-256 of a file's content as lowercase hex.
///
/// # Errors
/// The file cannot be read.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    hexmatrix_contract::sha256_file(path).map_err(|e| match e {
        hexmatrix_contract::Error::Io { source, .. } => source,
        other => std::io::Error::other(other),
    })
}

/// SHA-256 of a string as lowercase hex.
pub fn sha256_str(text: &str) -> String {
    hexmatrix_contract::hex(&Sha256::digest(text.as_bytes()))
}

/// The version of a dataset's result: `NAME-` and 12 hex digits of a hash over
/// everything that determines the result (region content, bbox, profile,
/// resolution, duration limit, tool version, and what the caller adds: the
/// `graph.ch` format version). Same inputs, same version, so a
/// nightly run over an unchanged region finds its outputs in place.
pub fn version_string(dataset: &str, determinants: &[(&str, String)]) -> String {
    let mut text = format!("tool={TOOL_VERSION}\n");
    for (key, value) in determinants {
        text.push_str(key);
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    format!("{dataset}-{}", &sha256_str(&text)[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_changes_with_any_determinant() {
        let a = version_string("valletta", &[("region", "aa".into()), ("res", "9".into())]);
        let b = version_string("valletta", &[("region", "aa".into()), ("res", "10".into())]);
        assert_ne!(a, b);
        assert_eq!(
            a,
            version_string("valletta", &[("region", "aa".into()), ("res", "9".into())])
        );
        assert!(a.starts_with("valletta-") && a.len() == "valletta-".len() + 12);
    }

    #[test]
    fn file_hash_matches_known_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
