//! Outputs that are either complete or absent, also after a crash or power loss:
//! write beside the target under a temporary name, fsync, rename over the target,
//! fsync the directory that holds it.
//!
//! A rename alone orders nothing on disk: after a power loss the new name may point
//! at a file whose data never reached the disk (a zero-length `graph.ch`). Syncing
//! the file before the rename and the directory after it closes that window.
//!
//! Every stage and the binary write their outputs through these helpers: files with
//! [`write_atomic`] (or [`write_file`] to learn which path failed) or, when written
//! by a streaming writer, at [`sibling`]`(target, "tmp")` then [`commit_file`];
//! directories built at [`sibling`]`(target, "tmp")` then [`replace_dir`]. The
//! temporary names all match [`is_temp_name`], so a run holding the dataset lock can
//! sweep what a killed run left with [`remove_stale`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// `PARENT/.NAME.KIND-PID` beside `target` (same file system, so a rename is atomic):
/// `KIND` is `tmp` for what is being written, `old` for what is being replaced.
#[must_use]
pub fn sibling(target: &Path, kind: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    parent_of(target).join(format!(".{name}.{kind}-{}", std::process::id()))
}

/// Whether `name` is one of the temporary names these helpers (or an older
/// hexmatrix: `.NAME.old`, `.NAME.PID.tmp`) give: hidden, with a `.tmp` or `.old`
/// part.
#[must_use]
pub fn is_temp_name(name: &str) -> bool {
    // Exact suffixes: these are names we give, never a user's extension.
    let suffix = name.rsplit_once('.').map(|(_, s)| s);
    name.starts_with('.')
        && (name.contains(".tmp-")
            || name.contains(".old-")
            || matches!(suffix, Some("tmp" | "old")))
}

/// Flushes a file's data and metadata to disk.
///
/// # Errors
/// The file cannot be opened or synced.
pub fn sync_file(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Flushes a directory's entries (names created, renamed or removed) to disk.
///
/// # Errors
/// The directory cannot be opened or synced.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Syncs every file and directory below `dir`, then `dir` itself.
///
/// # Errors
/// An entry cannot be read or synced.
pub fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            sync_file(&entry.path())?;
        }
    }
    sync_dir(dir)
}

/// Moves the complete file `tmp` to `target`: sync it, rename, sync the directory.
///
/// # Errors
/// A sync or the rename fails; `target` is then as it was.
pub fn commit_file(tmp: &Path, target: &Path) -> io::Result<()> {
    sync_file(tmp)?;
    std::fs::rename(tmp, target)?;
    sync_dir(parent_of(target))
}

/// Writes `bytes` to `path` through [`sibling`]`(path, "tmp")` and the steps of
/// [`commit_file`], so a reader never sees a half-written file; the directory is created if needed.
///
/// # Errors
/// The file cannot be written, synced or renamed; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file(path, bytes).map_err(|e| e.source)
}

/// A failed [`write_file`]: the path the failing step worked on and the cause.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The directory (when creating or syncing it), the temporary file (when writing
    /// or syncing it) or the target (when renaming over it).
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: io::Error,
}

/// [`write_atomic`], with the path each failure is about, for callers whose messages
/// name the temporary file when the data could not be written (a full disk).
///
/// # Errors
/// The file cannot be written, synced or renamed; the temporary file is removed.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let at = |path: &Path| {
        let path = path.to_owned();
        move |source| WriteError { path, source }
    };
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(at(dir))?;
    let tmp = sibling(path, "tmp");
    let written = std::fs::write(&tmp, bytes)
        .and_then(|()| sync_file(&tmp))
        .map_err(at(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(at(path)))
        .and_then(|()| sync_dir(dir).map_err(at(dir)));
    if written.is_err() {
        // Best effort: after a failed rename the temporary file is still there.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Points the symlink `link` at `value`, atomically: a new symlink at
/// [`sibling`]`(link, "tmp")` renamed over `link`, then the directory synced.
///
/// # Errors
/// The symlink cannot be created or renamed, or the directory cannot be synced.
#[cfg(unix)]
pub fn replace_symlink(value: &Path, link: &Path) -> io::Result<()> {
    let tmp = sibling(link, "tmp");
    // Left by a killed process that had this pid: symlink() refuses an existing name.
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(value, &tmp)?;
    std::fs::rename(&tmp, link)?;
    sync_dir(parent_of(link))
}

/// Moves the complete directory `tmp` to `out`: syncs everything in it, moves a
/// previous `out` aside (under a name unique to this process), renames, syncs the
/// parent, then removes the previous output.
///
/// # Errors
/// A sync or a rename fails. If the second rename fails the previous output is
/// moved back, so `out` is never left missing by this function.
pub fn replace_dir(tmp: &Path, out: &Path) -> io::Result<()> {
    sync_tree(tmp)?;
    let parent = parent_of(out);
    if out.exists() {
        let old = sibling(out, "old");
        // Left by a killed process that had this pid: never in the way.
        remove_any(&old)?;
        std::fs::rename(out, &old)?;
        if let Err(e) = std::fs::rename(tmp, out) {
            let _ = std::fs::rename(&old, out);
            return Err(e);
        }
        sync_dir(parent)?;
        remove_any(&old)?;
    } else {
        std::fs::rename(tmp, out)?;
        sync_dir(parent)?;
    }
    Ok(())
}

/// Removes the temporary files and directories ([`is_temp_name`]) under `dir`, up
/// to `depth` levels down, last modified before `before`; symlinks are not followed.
/// Meant for a process holding the lock of `dir`: nobody else writes there, so a
/// temporary entry older than the lock is what a killed process left. Returns what
/// was removed.
///
/// # Errors
/// A directory cannot be listed or an entry cannot be removed.
pub fn remove_stale(dir: &Path, before: SystemTime, depth: usize) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)?;
        let name = entry.file_name();
        if is_temp_name(&name.to_string_lossy()) {
            if meta.modified().is_ok_and(|t| t < before) {
                remove_any(&path)?;
                removed.push(path);
            }
        } else if meta.is_dir() && depth > 0 {
            removed.extend(remove_stale(&path, before, depth - 1)?);
        }
    }
    Ok(removed)
}

/// Removes a file, symlink or directory tree; a missing one is fine.
fn remove_any(path: &Path) -> io::Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// The directory holding `path` (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_atomic_replaces_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/m.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(names(&dir.path().join("sub")), ["m.json"]);
    }

    #[test]
    fn write_file_names_the_failing_path_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // A directory in the way: the data is written, the rename over it fails.
        let p = dir.path().join("report.md");
        std::fs::create_dir_all(p.join("x")).unwrap();
        let e = write_file(&p, b"one").unwrap_err();
        assert_eq!(e.path, p);
        assert_eq!(e.to_string(), format!("{}: {}", p.display(), e.source));
        assert_eq!(names(dir.path()), ["report.md"]);
    }

    #[test]
    fn issue_11_replace_dir_survives_a_stale_old_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("matrix");
        std::fs::create_dir_all(out.join("a")).unwrap();
        std::fs::write(out.join("a/x"), b"v1").unwrap();
        // What a process killed between the two renames leaves, under this pid's name
        // and under the pid-less name of earlier versions.
        for stale in [sibling(&out, "old"), dir.path().join(".matrix.old")] {
            std::fs::create_dir_all(stale.join("part")).unwrap();
        }
        let tmp = sibling(&out, "tmp");
        std::fs::create_dir_all(tmp.join("a")).unwrap();
        std::fs::write(tmp.join("a/x"), b"v2").unwrap();
        replace_dir(&tmp, &out).unwrap();
        assert_eq!(std::fs::read(out.join("a/x")).unwrap(), b"v2");
        assert!(!tmp.exists());
        assert!(!sibling(&out, "old").exists());
        // A first output needs no old one.
        let fresh = dir.path().join("fresh");
        let tmp = sibling(&fresh, "tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        replace_dir(&tmp, &fresh).unwrap();
        assert!(fresh.is_dir());
    }

    #[test]
    fn stale_temporaries_older_than_the_cut_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let v = dir.path().join("v1");
        std::fs::create_dir_all(v.join("stages")).unwrap();
        std::fs::create_dir_all(v.join(".matrix.tmp-4242/matrix")).unwrap();
        std::fs::create_dir_all(v.join(".matrix.old")).unwrap();
        for f in [
            ".city.osm.pbf.4242.tmp",
            "stages/.crop.json.tmp-4242",
            "keep.json",
        ] {
            std::fs::write(v.join(f), b"x").unwrap();
        }
        std::fs::write(dir.path().join(".lock"), b"1").unwrap();
        std::fs::write(dir.path().join("region.osm.pbf.part"), b"x").unwrap();
        let cut = SystemTime::now() + Duration::from_secs(5);
        // Too shallow: nothing below the first level.
        assert!(remove_stale(dir.path(), cut, 0).unwrap().is_empty());
        // Nothing is older than a cut in the past.
        let past = SystemTime::now() - Duration::from_secs(3600);
        assert!(remove_stale(dir.path(), past, 3).unwrap().is_empty());
        let removed = remove_stale(dir.path(), cut, 3).unwrap();
        assert_eq!(removed.len(), 4, "{removed:?}");
        assert_eq!(names(&v), ["keep.json", "stages"]);
        assert!(names(&v.join("stages")).is_empty());
        assert_eq!(names(dir.path()), [".lock", "region.osm.pbf.part", "v1"]);
    }

    #[test]
    fn temporary_names_are_recognised() {
        for yes in [
            ".matrix.tmp-12",
            ".matrix.old-12",
            ".matrix.old",
            ".city.osm.pbf.12.tmp",
            ".current.tmp-3",
        ] {
            assert!(is_temp_name(yes), "{yes}");
        }
        for no in [".lock", "matrix", "region.osm.pbf.part", "old", "x.tmp"] {
            assert!(!is_temp_name(no), "{no}");
        }
        let s = sibling(Path::new("a/b/matrix"), "tmp");
        assert!(is_temp_name(&s.file_name().unwrap().to_string_lossy()));
        assert_eq!(s.parent(), Some(Path::new("a/b")));
    }
}
