//! One run per dataset at a time.
//!
//! The lock is an OS advisory lock (`flock`) on `outputs/NAME/.lock`, so a run
//! killed with `kill -9` releases it with its process: the next run takes the
//! stale file over without any clean-up. The file holds the holder's pid for
//! the message a second run prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Another live process holds the dataset lock.
#[derive(Debug, thiserror::Error)]
#[error("another hexmatrix run (pid {holder}) holds {path}; wait for it to finish")]
pub struct Locked {
    /// The lock file.
    pub path: PathBuf,
    /// The holder's pid as written in the file, or "unknown".
    pub holder: String,
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DatasetLock {
    _file: File,
}

impl DatasetLock {
    /// Takes the lock at `path`, creating the file if needed.
    ///
    /// # Errors
    /// [`Locked`] when a live process holds it; I/O errors otherwise.
    pub fn acquire(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(Locked {
                    path: path.to_owned(),
                    holder: if holder.is_empty() { "unknown" } else { holder }.to_owned(),
                }
                .into());
            }
            Err(TryLockError::Error(e)) => return Err(e.into()),
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        write!(file, "{}", std::process::id())?;
        file.flush()?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/.lock");
        let first = DatasetLock::acquire(&path).unwrap();
        let err = DatasetLock::acquire(&path).unwrap_err();
        let locked = err.downcast_ref::<Locked>().expect("a Locked error");
        assert_eq!(locked.holder, std::process::id().to_string());
        drop(first);
        DatasetLock::acquire(&path).unwrap();
    }
}
