//! Issue 11, disk full: `crop`, `graph`, `matrix` and `fetch` each write to a small
//! file system that holds a previous good output and has too little room for the
//! new one. Each must fail with a clear error naming the file and the lack of space,
//! leave the previous output byte for byte as it was, and leave no temporary or
//! partial file behind (fetch: exactly the resumable `.part` its policy keeps). With
//! room again, the same command completes.
//!
//! The small file system is a tmpfs mounted for the test (root, as in CI). Where
//! mounting is not permitted, a file size limit (`ulimit -f`, SIGXFSZ ignored, so a
//! write past it fails with EFBIG) stands in for the full disk; each test says on
//! stderr which one it used. `HEXMATRIX_DISK_FULL=tmpfs` makes a failed mount an
//! error, `HEXMATRIX_DISK_FULL=fsize` forces the limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hexmatrix_osm::fixture::shared_dataset;

use crate::fetch::server::Server;
use crate::fetch::{body, md5_hex, range_start};

/// The room a tmpfs has while previous outputs are put on it.
const ROOMY: &str = "64m";

/// How the disk is made to fill up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    /// A tmpfs mounted at the disk's root: writes past its size fail with ENOSPC.
    Tmpfs,
    /// `ulimit -f` on the child: a file written past it fails with EFBIG.
    FileSizeLimit,
}

/// A small file system at `root()`, unmounted (even on panic) when dropped.
struct SmallDisk {
    mechanism: Mechanism,
    root: PathBuf,
    /// Bytes a file may grow to, for [`Mechanism::FileSizeLimit`].
    limit: Option<u64>,
    /// Holds the mount point; dropped after the unmount in `Drop`.
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn new(test: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("disk");
        std::fs::create_dir(&root).expect("mount point");
        let wanted = std::env::var("HEXMATRIX_DISK_FULL").unwrap_or_default();
        let mechanism = if wanted == "fsize" {
            Mechanism::FileSizeLimit
        } else {
            let size = format!("size={ROOMY}");
            match run_tool("mount", &["-t", "tmpfs", "-o", &size, "tmpfs"], &root) {
                Ok(()) => Mechanism::Tmpfs,
                Err(why) => {
                    assert!(wanted != "tmpfs", "HEXMATRIX_DISK_FULL=tmpfs: {why}");
                    say(&format!(
                        "{test}: no tmpfs ({why}); a file size limit stands in for the full disk"
                    ));
                    Mechanism::FileSizeLimit
                }
            }
        };
        if mechanism == Mechanism::Tmpfs {
            say(&format!(
                "{test}: disk full by a tmpfs at {}",
                root.display()
            ));
        } else {
            say(&format!(
                "{test}: disk full by a file size limit (ulimit -f)"
            ));
        }
        Self {
            mechanism,
            root,
            limit: None,
            _dir: dir,
        }
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Leaves `bytes` (a multiple of 4 KiB) free for what is written next: the tmpfs
    /// shrinks to what it holds plus `bytes`; the file size limit becomes `bytes`.
    fn leave_free(&mut self, bytes: u64) {
        match self.mechanism {
            Mechanism::Tmpfs => {
                let size = format!("remount,size={}", used_bytes(&self.root) + bytes);
                run_tool("mount", &["-o", &size], &self.root).expect("tmpfs remount");
            }
            Mechanism::FileSizeLimit => self.limit = Some(bytes),
        }
    }

    /// Gives the disk room again.
    fn make_room(&mut self) {
        match self.mechanism {
            Mechanism::Tmpfs => {
                let size = format!("remount,size={ROOMY}");
                run_tool("mount", &["-o", &size], &self.root).expect("tmpfs remount");
            }
            Mechanism::FileSizeLimit => self.limit = None,
        }
    }

    /// What the failed write says: ENOSPC, or EFBIG under the file size limit.
    fn no_space(&self) -> &'static str {
        match self.mechanism {
            Mechanism::Tmpfs => "No space left on device",
            Mechanism::FileSizeLimit => "File too large",
        }
    }

    /// The real binary with `args`, in `cwd`, under the file size limit if one is set.
    fn hexmatrix(&self, cwd: &Path, args: &[&str]) -> Output {
        let bin = env!("CARGO_BIN_EXE_hexmatrix");
        let mut cmd = match self.limit {
            None => Command::new(bin),
            Some(bytes) => {
                let mut c = Command::new("bash");
                c.arg("-c")
                    .arg(format!(
                        "trap '' XFSZ; ulimit -f {}; exec \"$@\"",
                        bytes / 1024
                    ))
                    .args(["bash", bin]);
                c
            }
        };
        cmd.current_dir(cwd)
            .args(["--progress", "never"])
            .args(args)
            .env_remove("HEXMATRIX_REDIS")
            .output()
            .expect("run hexmatrix")
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if self.mechanism == Mechanism::Tmpfs
            && run_tool("umount", &[], &self.root).is_err()
            && let Err(why) = run_tool("umount", &["-l"], &self.root)
        {
            say(&format!("cannot unmount {}: {why}", self.root.display()));
        }
    }
}

#[allow(clippy::print_stderr, reason = "a test says how it filled the disk")]
fn say(text: &str) {
    eprintln!("{text}");
}

/// Runs `tool args… dir`; the error says what the tool said.
fn run_tool(tool: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    match Command::new(tool).args(args).arg(dir).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{tool} exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("{tool}: {e}")),
    }
}

/// Bytes in use on the file system holding `dir` (`stat -f`).
fn used_bytes(dir: &Path) -> u64 {
    let out = Command::new("stat")
        .args(["-f", "-c", "%S %b %f"])
        .arg(dir)
        .output()
        .expect("stat runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let n: Vec<u64> = text
        .split_whitespace()
        .map(|w| w.parse().expect("stat prints numbers"))
        .collect();
    assert_eq!(n.len(), 3, "stat -f said {text:?}");
    (n[1] - n[2]) * n[0]
}

/// Every file and directory under `root` (relative path → content, `None` for a
/// directory): equal trees mean the same bytes and nothing added or removed. A
/// dataset's `.lock` holds the pid of its last holder: only its presence counts.
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("list the disk") {
            let path = entry.expect("directory entry").path();
            let rel = path.strip_prefix(root).expect("below root").to_owned();
            if path.is_dir() {
                stack.push(path);
                found.insert(rel, None);
            } else if path.file_name().is_some_and(|n| n == ".lock") {
                found.insert(rel, Some(Vec::new()));
            } else {
                found.insert(rel, Some(std::fs::read(&path).expect("read a file")));
            }
        }
    }
    found
}

/// The paths of a tree, for failure messages.
fn names(tree: &BTreeMap<PathBuf, Option<Vec<u8>>>) -> Vec<String> {
    tree.keys().map(|p| p.display().to_string()).collect()
}

/// Asserts that `root` holds exactly `before`, byte for byte.
fn assert_untouched(root: &Path, before: &BTreeMap<PathBuf, Option<Vec<u8>>>) {
    let after = tree(root);
    assert_eq!(names(&after), names(before), "files were added or removed");
    for (path, content) in before {
        assert!(after[path] == *content, "{} changed", path.display());
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "stderr: {}", stderr(out));
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Inside the Monaco bbox: a crop of ≈150 KiB, where the whole bbox gives ≈520 KiB.
const SMALL_BBOX: &str = "7.41,43.73,7.42,43.74";
const MONACO_BBOX: &str = "7.409,43.723,7.44,43.752";

fn crop(disk: &SmallDisk, cwd: &Path, input: &Path, bbox: &str, output: &Path) -> Output {
    disk.hexmatrix(
        cwd,
        &[
            "crop",
            "--input",
            arg(input),
            "--bbox",
            bbox,
            "--output",
            arg(output),
        ],
    )
}

#[test]
fn issue_11_disk_full_during_crop_keeps_the_previous_city() {
    let Some(region) = shared_dataset("monaco.osm.pbf") else {
        return;
    };
    let mut disk = SmallDisk::new("crop");
    let city = disk.path("city.osm.pbf");
    assert_exit(&crop(&disk, disk.root(), &region, SMALL_BBOX, &city), 0);
    let before = tree(disk.root());

    disk.leave_free(200 * 1024);
    let out = crop(&disk, disk.root(), &region, MONACO_BBOX, &city);
    assert_exit(&out, 1);
    let err = stderr(&out);
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.starts_with(&format!(
            "hexmatrix: crop of {} to {MONACO_BBOX} into {}: cannot write {}",
            region.display(),
            city.display(),
            disk.path(".city.osm.pbf.tmp-").display()
        )),
        "{err}"
    );
    assert!(line.contains(disk.no_space()), "{err}");
    assert_untouched(disk.root(), &before);

    disk.make_room();
    let out = crop(&disk, disk.root(), &region, MONACO_BBOX, &city);
    assert_exit(&out, 0);
    let after = tree(disk.root());
    assert_eq!(names(&after), ["city.osm.pbf"]);
    assert!(after != before, "the new city replaced the previous one");
}

fn graph(disk: &SmallDisk, input: &Path, output: &Path) -> Output {
    disk.hexmatrix(
        disk.root(),
        &["graph", "--input", arg(input), "--output", arg(output)],
    )
}

#[test]
fn issue_11_disk_full_during_graph_keeps_the_previous_graph() {
    let Some(region) = shared_dataset("monaco.osm.pbf") else {
        return;
    };
    let mut disk = SmallDisk::new("graph");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let small = elsewhere.path().join("small.osm.pbf");
    assert_exit(
        &crop(&disk, elsewhere.path(), &region, SMALL_BBOX, &small),
        0,
    );
    let out_dir = disk.path("graph-car");
    assert_exit(&graph(&disk, &small, &out_dir), 0);
    let before = tree(disk.root());

    // The whole of Monaco writes graph.ch (≈1830 KiB, edge-based) first, then
    // nodes.parquet (≈370 KiB), edges.parquet and the restriction and turn tables.
    // A per-file limit can only stop the first.
    let mut cases = vec![(512 * 1024, "graph.ch")];
    if disk.mechanism == Mechanism::Tmpfs {
        cases.push((2000 * 1024, "nodes.parquet"));
    }
    for (free, failing) in cases {
        disk.leave_free(free);
        let out = graph(&disk, &region, &out_dir);
        assert_exit(&out, 1);
        let err = stderr(&out);
        let line = err.lines().last().unwrap_or_default();
        assert!(
            line.starts_with(&format!(
                "hexmatrix: graph of {} into {}: {}",
                region.display(),
                out_dir.display(),
                disk.path(".graph-car.tmp-").display()
            )),
            "{err}"
        );
        assert!(
            line.contains(&format!("/{failing}: {}", disk.no_space())),
            "{err}"
        );
        assert_untouched(disk.root(), &before);
        disk.make_room();
    }

    assert_exit(&graph(&disk, &region, &out_dir), 0);
    let after = tree(disk.root());
    assert_eq!(names(&after), names(&before));
    assert!(
        after != before,
        "the graph of the whole file replaced the small one"
    );
}

fn matrix(disk: &SmallDisk, graph: &Path, bbox: &str, resolution: &str) -> Output {
    disk.hexmatrix(
        disk.root(),
        &[
            "matrix",
            "--graph",
            arg(graph),
            "--bbox",
            bbox,
            "--resolution",
            resolution,
            "--output",
            arg(&disk.path("matrix")),
        ],
    )
}

#[test]
fn issue_11_disk_full_during_matrix_keeps_the_previous_matrix() {
    let Some(region) = shared_dataset("monaco.osm.pbf") else {
        return;
    };
    let mut disk = SmallDisk::new("matrix");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let graph_dir = elsewhere.path().join("graph-car");
    assert_exit(&graph(&disk, &region, &graph_dir), 0);
    assert_exit(&matrix(&disk, &graph_dir, SMALL_BBOX, "9"), 0);
    let before = tree(disk.root());

    // Monaco at resolution 10: cells.parquet ≈25 KiB, then 8 parts of ≈95 KiB each.
    disk.leave_free(64 * 1024);
    let out = matrix(&disk, &graph_dir, MONACO_BBOX, "10");
    assert_exit(&out, 1);
    let err = stderr(&out);
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.starts_with(&format!(
            "hexmatrix: matrix into {}: {}",
            disk.path("matrix").display(),
            disk.path(".matrix.tmp-").display()
        )),
        "{err}"
    );
    assert!(
        line.contains(&format!(".parquet: {}", disk.no_space())),
        "{err}"
    );
    assert_untouched(disk.root(), &before);

    disk.make_room();
    assert_exit(&matrix(&disk, &graph_dir, MONACO_BBOX, "10"), 0);
    let manifest = std::fs::read_to_string(disk.path("matrix/manifest.json")).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("manifest JSON");
    assert_eq!(manifest["resolution"], 10, "{manifest}");
    let beside: Vec<_> = names(&tree(disk.root()))
        .into_iter()
        .filter(|n| !n.starts_with("matrix"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

const REGION: &str = "/europe/testland-latest.osm.pbf";

/// A dataset file in `dir` whose region comes from `url`.
fn dataset(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("ds.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"testland\"\nregion_url = \"{url}\"\n\
             bbox = [14.46, 35.86, 14.53, 35.92]\nresolution = 9\nprofile = \"car\"\n"
        ),
    )
    .expect("dataset file");
    path
}

fn fetch(disk: &SmallDisk, ds: &Path) -> Output {
    disk.hexmatrix(
        disk.root(),
        &[
            "fetch",
            arg(ds),
            "--outputs",
            arg(disk.root()),
            "--retries",
            "0",
        ],
    )
}

/// A server that takes ranges: the policy keeps the partial download, cut back to
/// what was written, and the next fetch (with room) resumes it.
#[test]
fn issue_11_disk_full_during_fetch_keeps_the_previous_region_and_a_resumable_part() {
    let server = Server::start();
    let v1 = body(300_000, 41);
    server.put_with_md5(REGION, &v1, "v1", &md5_hex(&v1));
    let mut disk = SmallDisk::new("fetch");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let ds = dataset(elsewhere.path(), &server.url(REGION));
    assert_exit(&fetch(&disk, &ds), 0);
    let before = tree(disk.root());
    assert!(before[Path::new("testland/region.osm.pbf")].as_deref() == Some(&v1[..]));

    let v2 = body(1_000_000, 42);
    server.put_with_md5(REGION, &v2, "v2", &md5_hex(&v2));
    disk.leave_free(256 * 1024);
    let out = fetch(&disk, &ds);
    assert_exit(&out, 3);
    let err = stderr(&out);
    let part = disk.path("testland/region.osm.pbf.part");
    assert!(
        err.contains(&format!(
            "cannot write {}: {}",
            part.display(),
            disk.no_space()
        )),
        "{err}"
    );
    assert!(err.contains("the next fetch resumes there"), "{err}");

    // Exactly the previous files, plus the partial download and its sidecar.
    let mut after = tree(disk.root());
    let kept = after
        .remove(Path::new("testland/region.osm.pbf.part"))
        .flatten()
        .expect("the partial download is kept");
    assert!(
        after
            .remove(Path::new("testland/region.osm.pbf.part.json"))
            .flatten()
            .is_some(),
        "its sidecar is kept"
    );
    assert_eq!(names(&after), names(&before));
    assert!(
        after == before,
        "the previous region or its sidecar changed"
    );
    assert!(
        !kept.is_empty() && kept.len() <= 256 * 1024,
        "part holds {} bytes",
        kept.len()
    );
    assert!(
        kept[..] == v2[..kept.len()],
        "the part holds the wrong bytes"
    );

    disk.make_room();
    assert_exit(&fetch(&disk, &ds), 0);
    let last = server.body_responses(REGION).pop().expect("a download");
    assert_eq!(range_start(last.range.as_deref()), Some(kept.len() as u64));
    let done = tree(disk.root());
    assert!(done[Path::new("testland/region.osm.pbf")].as_deref() == Some(&v2[..]));
    assert_eq!(names(&done), names(&before));
}

/// A server without ranges cannot resume: the partial download goes too.
#[test]
fn issue_11_disk_full_during_fetch_without_ranges_leaves_only_the_previous_region() {
    let server = Server::start();
    let v1 = body(300_000, 43);
    server.put_with_md5(REGION, &v1, "v1", &md5_hex(&v1));
    let mut disk = SmallDisk::new("fetch without ranges");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let ds = dataset(elsewhere.path(), &server.url(REGION));
    assert_exit(&fetch(&disk, &ds), 0);
    let before = tree(disk.root());

    let v2 = body(1_000_000, 44);
    server.put_plain(REGION, &v2);
    server.put(
        &format!("{REGION}.md5"),
        format!("{}  testland-latest.osm.pbf\n", md5_hex(&v2)).as_bytes(),
        "m2",
    );
    disk.leave_free(256 * 1024);
    let out = fetch(&disk, &ds);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot write {}: {}",
            disk.path("testland/region.osm.pbf.part").display(),
            disk.no_space()
        )),
        "{err}"
    );
    assert!(err.contains("the partial download was removed"), "{err}");
    assert_untouched(disk.root(), &before);
}
