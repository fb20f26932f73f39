//! Output layout of `hexmatrix run`: `outputs/NAME/<version>/…`, the
//! `outputs/NAME/current` pointer, and atomic file replacement.

use std::path::{Path, PathBuf};

/// Where one dataset's runs live.
#[derive(Debug, Clone)]
pub struct DatasetOutputs {
    root: PathBuf,
}

impl DatasetOutputs {
    /// `outputs_root/NAME`.
    pub fn new(outputs_root: &Path, dataset: &str) -> Self {
        Self {
            root: outputs_root.join(dataset),
        }
    }

    /// The dataset directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one version's outputs.
    pub fn version_dir(&self, version: &str) -> PathBuf {
        self.root.join(version)
    }

    /// The lock file of the dataset.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join(".lock")
    }

    /// The version `current` points at, if any.
    pub fn current(&self) -> Option<String> {
        let target = std::fs::read_link(self.root.join("current")).ok()?;
        Some(target.to_string_lossy().into_owned())
    }

    /// Points `current` at `version`, atomically (a new symlink renamed over the old).
    ///
    /// # Errors
    /// The symlink cannot be created or renamed.
    pub fn set_current(&self, version: &str) -> std::io::Result<()> {
        let tmp = self
            .root
            .join(format!(".current.tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(version, &tmp)?;
        std::fs::rename(&tmp, self.root.join("current"))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// so a reader never sees a half-written file.
///
/// # Errors
/// The file cannot be written or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "out".to_owned(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_moves_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let out = DatasetOutputs::new(dir.path(), "valletta");
        std::fs::create_dir_all(out.version_dir("v1")).unwrap();
        assert_eq!(out.current(), None);
        out.set_current("v1").unwrap();
        assert_eq!(out.current().as_deref(), Some("v1"));
        out.set_current("v2").unwrap();
        assert_eq!(out.current().as_deref(), Some("v2"));
    }

    #[test]
    fn write_atomic_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
