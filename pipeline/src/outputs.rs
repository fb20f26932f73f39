//! Output layout of `hexmatrix run`: `outputs/NAME/<version>/…`, the
//! `outputs/NAME/current` pointer, and the sweep of what killed runs left.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use hexmatrix_contract::atomic;

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
        atomic::replace_symlink(Path::new(version), &self.root.join("current"))
    }

    /// Removes what killed runs left (temporary files and directories older than
    /// `before`, see [`atomic::remove_stale`]) under the dataset directory. Only for
    /// the holder of the dataset lock: nobody else writes there meanwhile.
    ///
    /// # Errors
    /// A directory cannot be listed or an entry cannot be removed.
    pub fn remove_stale(&self, before: SystemTime) -> std::io::Result<Vec<PathBuf>> {
        // NAME/<version>/stages/… and NAME/<version>/report/… are the deepest places.
        atomic::remove_stale(&self.root, before, 3)
    }
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
}
