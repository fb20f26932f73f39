//! Test helpers: where the shared real datasets are, and (once the writer
//! lands) tiny generated PBFs.

use std::path::PathBuf;

/// The directory holding the shared OSM extracts (`../shared/datasets` beside the
/// checkout), overridable with `HEXMATRIX_DATASETS`.
#[must_use]
pub fn datasets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HEXMATRIX_DATASETS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")
}

/// Path of a shared dataset file such as `malta-latest.osm.pbf`.
///
/// Returns `None` (after saying so on stderr) when it is missing on a developer
/// machine; under `CI=true` a missing dataset panics, so CI never skips silently.
#[must_use]
pub fn shared_dataset(file: &str) -> Option<PathBuf> {
    let path = datasets_dir().join(file);
    if path.is_file() {
        return Some(path);
    }
    let msg = format!(
        "shared dataset {} is missing (set HEXMATRIX_DATASETS to the datasets directory)",
        path.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    #[expect(clippy::print_stderr, reason = "tests must say what they skipped")]
    {
        eprintln!("SKIPPED: {msg}");
    }
    None
}
