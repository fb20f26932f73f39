//! `hexmatrix fetch` against a real HTTP server on loopback (see `fetch/server.rs`)
//! and against local files: resume, md5 refusal, 404, unchanged-skip, slow and
//! stalled servers, exit code 3.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: any failure should fail the test"
)]

pub(crate) mod server;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use md5::{Digest, Md5};

use server::{Fault, Server};

const REGION: &str = "/europe/testland-latest.osm.pbf";

/// Deterministic pseudo-random bytes (xorshift), so a misplaced range shows.
pub(crate) fn body(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").unwrap();
        s
    })
}

/// A temp dir holding `ds.toml` whose `region_url` is `url`.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ds.toml"),
            format!(
                "name = \"testland\"\nregion_url = \"{url}\"\n\
                 bbox = [14.46, 35.86, 14.53, 35.92]\nresolution = 9\nprofile = \"car\"\n"
            ),
        )
        .unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Default output of `fetch`.
    fn region(&self) -> PathBuf {
        self.path("outputs/testland/region.osm.pbf")
    }

    fn fetch(&self, extra: &[&str]) -> Output {
        self.hexmatrix(&[&["fetch", "ds.toml"], extra].concat())
    }

    /// The binary with `args`, run in the case's directory.
    fn hexmatrix(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
            .current_dir(self.dir.path())
            .args(["--progress", "never"])
            .args(args)
            .output()
            .unwrap()
    }

    /// `fetch` with a file size limit of `kib` KiB (`ulimit -f`), SIGXFSZ ignored so
    /// that a write past it fails with EFBIG as a full disk fails with ENOSPC.
    fn fetch_with_file_limit(&self, kib: u64, extra: &[&str]) -> Output {
        Command::new("bash")
            .current_dir(self.dir.path())
            .arg("-c")
            .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$@\""))
            .arg("bash")
            .arg(env!("CARGO_BIN_EXE_hexmatrix"))
            .args(["--progress", "never", "fetch", "ds.toml"])
            .args(extra)
            .output()
            .unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "stderr: {}", stderr(out));
}

pub(crate) fn range_start(range: Option<&str>) -> Option<u64> {
    range?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[test]
fn resume_after_cut_connection_gives_exact_bytes() {
    let server = Server::start();
    let data = body(2_000_000, 7);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    server.fault_next(REGION, Fault::Cut { after: 700_000 });
    let case = Case::new(&server.url(REGION));

    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(
        std::fs::read(case.region()).unwrap() == data,
        "bytes differ"
    );
    let gets = server.body_responses(REGION);
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert_eq!(gets[0].range, None);
    let start = range_start(gets[1].range.as_deref()).expect("second GET is ranged");
    assert!(start > 0 && start <= 700_000, "resumed at {start}");
    assert_eq!(gets[1].status, 206);
    assert_eq!(gets[1].if_range.as_deref(), Some("\"v1\""));
    assert!(stderr(&out).contains("md5"), "{}", stderr(&out));
    assert!(!case.path("outputs/testland/region.osm.pbf.part").exists());
}

#[test]
fn stalled_server_times_out_clearly_and_the_next_run_resumes() {
    let server = Server::start();
    let data = body(1_000_000, 11);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    server.fault_next(
        REGION,
        Fault::Stall {
            after: 300_000,
            silence: Duration::from_secs(4),
        },
    );
    let case = Case::new(&server.url(REGION));

    let out = case.fetch(&["--timeout", "1", "--retries", "0"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("timed out") && err.contains("1 s"), "{err}");
    assert!(err.contains(&server.url(REGION)), "{err}");
    assert!(
        !case.region().exists(),
        "nothing unverified is put in place"
    );
    let part = case.path("outputs/testland/region.osm.pbf.part");
    let kept = len(&part);
    assert!(kept > 0 && kept <= 300_000, "part holds {kept} bytes");

    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(
        std::fs::read(case.region()).unwrap() == data,
        "bytes differ"
    );
    let last = server.body_responses(REGION).pop().unwrap();
    assert_eq!(range_start(last.range.as_deref()), Some(kept));
    assert!(!part.exists());
}

#[test]
fn killed_fetch_resumes_from_its_part_file() {
    let server = Server::start();
    let data = body(1_500_000, 13);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    server.fault_next(
        REGION,
        Fault::Stall {
            after: 400_000,
            silence: Duration::from_secs(5),
        },
    );
    let case = Case::new(&server.url(REGION));
    let part = case.path("outputs/testland/region.osm.pbf.part");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
        .current_dir(case.dir.path())
        .args(["--progress", "never", "fetch", "ds.toml"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the stalled transfer has written its bytes, then kill -9.
    for _ in 0..200 {
        if len(&part) >= 400_000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(len(&part), 400_000, "the part file holds what arrived");
    assert!(!case.region().exists());

    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(
        std::fs::read(case.region()).unwrap() == data,
        "bytes differ"
    );
    let last = server.body_responses(REGION).pop().unwrap();
    assert_eq!(range_start(last.range.as_deref()), Some(400_000));
}

#[test]
fn slow_server_completes_within_a_shorter_stall_timeout() {
    let server = Server::start();
    let data = body(512 * 1024, 3);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    // 16 chunks, 200 ms apart: 3.2 s in total, longer than --timeout, never silent that long.
    server.fault_next(
        REGION,
        Fault::Slow {
            chunk: 32 * 1024,
            pause: Duration::from_millis(200),
        },
    );
    let case = Case::new(&server.url(REGION));

    let out = case.fetch(&["--timeout", "2", "--retries", "0"]);
    assert_exit(&out, 0);
    assert!(
        std::fs::read(case.region()).unwrap() == data,
        "bytes differ"
    );
    assert_eq!(server.body_responses(REGION).len(), 1);
}

#[test]
fn md5_mismatch_is_refused_and_the_old_file_kept() {
    let server = Server::start();
    let good = body(1_000_000, 5);
    server.put_with_md5(REGION, &good, "v1", &md5_hex(&good));
    let case = Case::new(&server.url(REGION));
    assert_exit(&case.fetch(&[]), 0);

    // A new version whose bytes do not match what is published beside it.
    let bad = body(1_000_000, 6);
    let published = md5_hex(b"what the server says it sent");
    server.put_with_md5(REGION, &bad, "v2", &published);
    let out = case.fetch(&[]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains(&server.url(REGION)), "{err}");
    assert!(err.contains(&published), "names the published hash: {err}");
    assert!(
        err.contains(&md5_hex(&bad)),
        "names the received hash: {err}"
    );
    assert!(
        std::fs::read(case.region()).unwrap() == good,
        "old file kept"
    );
    assert!(!case.path("outputs/testland/region.osm.pbf.part").exists());

    // The refused version is not remembered: the next run still sees a change.
    let out = case.fetch(&[]);
    assert_exit(&out, 3);
    assert_eq!(server.body_responses(REGION).len(), 3);
}

#[test]
fn missing_region_fails_with_404() {
    let server = Server::start();
    let case = Case::new(&server.url("/europe/nowhere-latest.osm.pbf"));
    let out = case.fetch(&[]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("404"), "{err}");
    assert!(
        err.contains(&server.url("/europe/nowhere-latest.osm.pbf")),
        "{err}"
    );
    assert!(!case.region().exists());
}

#[test]
fn missing_checksum_fails_clearly() {
    let server = Server::start();
    let data = body(100_000, 9);
    server.put(REGION, &data, "v1");
    let case = Case::new(&server.url(REGION));
    let out = case.fetch(&[]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}.md5", server.url(REGION))),
        "{err}"
    );
    assert!(!case.region().exists());
}

#[test]
fn unchanged_remote_is_not_downloaded_again() {
    let server = Server::start();
    let v1 = body(1_000_000, 1);
    server.put_with_md5(REGION, &v1, "v1", &md5_hex(&v1));
    let case = Case::new(&server.url(REGION));
    assert_exit(&case.fetch(&[]), 0);
    assert_eq!(server.body_responses(REGION).len(), 1);

    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("unchanged"), "{}", stderr(&out));
    assert_eq!(server.body_responses(REGION).len(), 1, "no second download");
    let head = server
        .log()
        .into_iter()
        .rfind(|l| l.method == "HEAD")
        .unwrap();
    assert_eq!(head.if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(head.status, 304);

    // A new version is downloaded ...
    let v2 = body(1_200_000, 2);
    server.put_with_md5(REGION, &v2, "v2", &md5_hex(&v2));
    assert_exit(&case.fetch(&[]), 0);
    assert_eq!(server.body_responses(REGION).len(), 2);
    assert!(std::fs::read(case.region()).unwrap() == v2, "bytes differ");

    // ... and --force downloads even an unchanged one.
    assert_exit(&case.fetch(&["--force"]), 0);
    assert_eq!(server.body_responses(REGION).len(), 3);
}

#[test]
fn same_bytes_under_a_new_etag_are_not_downloaded() {
    let server = Server::start();
    let data = body(500_000, 12);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    let case = Case::new(&server.url(REGION));
    assert_exit(&case.fetch(&[]), 0);

    // Re-published: new entity tag, same md5.
    server.put_with_md5(REGION, &data, "v1-again", &md5_hex(&data));
    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("unchanged"), "{}", stderr(&out));
    assert_eq!(server.body_responses(REGION).len(), 1, "no second download");
    // The new tag is remembered: the next check is a plain 304.
    assert_exit(&case.fetch(&[]), 0);
    let head = server
        .log()
        .into_iter()
        .rfind(|l| l.method == "HEAD")
        .unwrap();
    assert_eq!(head.status, 304);
}

#[test]
fn local_region_file_needs_no_download() {
    let case = Case::new("http://127.0.0.1:9/never-contacted.osm.pbf");
    std::fs::write(case.path("local.osm.pbf"), b"local bytes").unwrap();
    let toml = std::fs::read_to_string(case.path("ds.toml")).unwrap();
    std::fs::write(
        case.path("ds.toml"),
        format!("{toml}region_file = \"local.osm.pbf\"\n"),
    )
    .unwrap();
    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("nothing to download"),
        "{}",
        stderr(&out)
    );
    assert!(!case.path("outputs").exists());
}

#[test]
fn file_url_is_copied_and_checked_against_its_md5() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = src_dir.path().join("region.osm.pbf");
    let data = body(300_000, 4);
    std::fs::write(&src, &data).unwrap();
    std::fs::write(
        src_dir.path().join("region.osm.pbf.md5"),
        format!("{}  region.osm.pbf\n", md5_hex(&data)),
    )
    .unwrap();
    let case = Case::new(&format!("file://{}", src.display()));

    let out = case.fetch(&["--output", "copy.osm.pbf"]);
    assert_exit(&out, 0);
    assert!(std::fs::read(case.path("copy.osm.pbf")).unwrap() == data);
    let out = case.fetch(&["--output", "copy.osm.pbf"]);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("unchanged"), "{}", stderr(&out));

    // The source changes but its .md5 does not: refused, the copy stays.
    std::fs::write(&src, body(300_001, 8)).unwrap();
    let out = case.fetch(&["--output", "copy.osm.pbf"]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("md5 mismatch"), "{}", stderr(&out));
    assert!(std::fs::read(case.path("copy.osm.pbf")).unwrap() == data);
}

#[test]
fn unsupported_scheme_is_bad_input() {
    let case = Case::new("ftp://example.invalid/x.osm.pbf");
    let out = case.fetch(&[]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("ftp://example.invalid/x.osm.pbf"));
}

/// Every file under `dir` (recursively) whose content contains `needle`, `skip` excepted.
fn files_containing(dir: &Path, needle: &str, skip: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path != skip
                && String::from_utf8_lossy(&std::fs::read(&path).unwrap()).contains(needle)
            {
                found.push(path);
            }
        }
    }
    found
}

/// Issue 11: a password in the region URL's userinfo was logged and stored in the
/// fetch sidecars.
#[test]
fn issue_11_region_url_credentials_are_never_printed_or_stored() {
    const SECRET: &str = "pw-s3cret";
    let server = Server::start();
    let data = body(600_000, 21);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    server.fault_next(REGION, Fault::Cut { after: 200_000 });
    let url = server
        .url(REGION)
        .replace("http://", &format!("http://reader:{SECRET}@"));
    let case = Case::new(&url);
    let dataset = case.path("ds.toml");
    let shown = server.url(REGION).replace("http://", "http://reader:***@");

    // A cut transfer: the error names the URL, the partial download keeps a sidecar.
    let cut = case.fetch(&["--retries", "0"]);
    assert_exit(&cut, 3);
    assert!(stderr(&cut).contains(&shown), "{}", stderr(&cut));
    assert!(
        case.path("outputs/testland/region.osm.pbf.part.json")
            .exists()
    );
    let leaked = files_containing(case.dir.path(), SECRET, &dataset);
    assert!(leaked.is_empty(), "secret stored in {leaked:?}");

    // The resumed, complete download, and the unchanged re-check.
    for expect in ["downloaded", "unchanged"] {
        let out = case.fetch(&[]);
        assert_exit(&out, 0);
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(said.contains(expect), "{said}");
        assert!(!said.contains(SECRET), "secret printed: {said}");
    }
    assert!(std::fs::read(case.region()).unwrap() == data);
    let leaked = files_containing(case.dir.path(), SECRET, &dataset);
    assert!(leaked.is_empty(), "secret stored in {leaked:?}");
    assert!(!String::from_utf8_lossy(&cut.stdout).contains(SECRET));
    assert!(!stderr(&cut).contains(SECRET));

    // An error naming the URL: 404.
    let missing = Case::new(&format!("{}-missing", url.trim_end_matches(".osm.pbf")));
    let out = missing.fetch(&[]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("reader:***@"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(SECRET), "{}", stderr(&out));
}

/// Issue 11: no size cap. An announced size above `--max-bytes` is refused before
/// any byte is written.
#[test]
fn issue_11_region_above_max_bytes_is_refused_up_front() {
    let server = Server::start();
    let data = body(1_000_000, 31);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    let case = Case::new(&server.url(REGION));
    let out = case.fetch(&["--max-bytes", "500000"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("announces 1000000 bytes") && err.contains("--max-bytes 500000"),
        "{err}"
    );
    assert!(
        server.body_responses(REGION).is_empty(),
        "nothing downloaded"
    );
    assert!(!case.region().exists());
    assert!(!case.path("outputs/testland/region.osm.pbf.part").exists());
    // Under the cap it downloads.
    assert_exit(&case.fetch(&["--max-bytes", "1MiB"]), 0);
    assert!(std::fs::read(case.region()).unwrap() == data);
}

/// Issue 11: an endless body (no Content-Length) filled the disk.
#[test]
fn issue_11_endless_body_is_cut_at_max_bytes_and_removed() {
    let server = Server::start();
    server.put_endless(REGION, &body(64 * 1024, 32));
    server.put(
        &format!("{REGION}.md5"),
        b"0123456789abcdef0123456789abcdef  testland-latest.osm.pbf\n",
        "m",
    );
    let case = Case::new(&server.url(REGION));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
        .current_dir(case.dir.path())
        .args(["--progress", "never", "fetch", "ds.toml"])
        .args(["--max-bytes", "2MiB", "--retries", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: without a cap the download would never end.
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!(
            "the endless download was still running after 30 s ({} bytes in the part)",
            len(&case.path("outputs/testland/region.osm.pbf.part"))
        );
    }
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("sent more than 2097152 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(!case.path("outputs/testland/region.osm.pbf.part").exists());
    assert!(!case.region().exists());
}

/// Issue 11: a write error (disk full; here a file size limit) must leave either a
/// resumable partial download or none, never a region file.
#[test]
fn issue_11_write_error_keeps_a_resumable_part_that_the_next_fetch_completes() {
    let server = Server::start();
    let data = body(1_000_000, 33);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    let case = Case::new(&server.url(REGION));
    let part = case.path("outputs/testland/region.osm.pbf.part");

    let out = case.fetch_with_file_limit(256, &["--retries", "0"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("cannot write outputs/testland/region.osm.pbf.part"),
        "{err}"
    );
    assert!(err.contains("the next fetch resumes"), "{err}");
    assert!(!case.region().exists());
    let kept = len(&part);
    assert!(kept > 0 && kept <= 256 * 1024, "part holds {kept} bytes");

    let out = case.fetch(&[]);
    assert_exit(&out, 0);
    assert!(
        std::fs::read(case.region()).unwrap() == data,
        "bytes differ"
    );
    let last = server.body_responses(REGION).pop().unwrap();
    assert_eq!(range_start(last.range.as_deref()), Some(kept));
    assert!(!part.exists());
}

/// Issue 11: a server without ranges cannot resume, so its partial download goes.
#[test]
fn issue_11_write_error_without_range_support_removes_the_part() {
    let server = Server::start();
    let data = body(1_000_000, 34);
    server.put_plain(REGION, &data);
    server.put(
        &format!("{REGION}.md5"),
        format!("{}  testland-latest.osm.pbf\n", md5_hex(&data)).as_bytes(),
        "m",
    );
    let case = Case::new(&server.url(REGION));
    let out = case.fetch_with_file_limit(256, &["--retries", "0"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("was removed"), "{err}");
    assert!(!case.path("outputs/testland/region.osm.pbf.part").exists());
    assert!(!case.region().exists());
    assert_exit(&case.fetch(&[]), 0);
    assert!(
        std::fs::read(case.region()).unwrap() == data,
        "bytes differ"
    );
}

/// Issue 11: a standalone fetch wrote beside a running `run` without its lock.
#[test]
fn issue_11_fetch_takes_the_dataset_lock() {
    let server = Server::start();
    let data = body(10_000, 35);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    let case = Case::new(&server.url(REGION));
    std::fs::create_dir_all(case.path("outputs/testland")).unwrap();
    let lock = std::fs::File::create(case.path("outputs/testland/.lock")).unwrap();
    lock.lock().unwrap();
    let out = case.fetch(&[]);
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("holds"), "{}", stderr(&out));
    assert!(server.body_responses(REGION).is_empty());
    drop(lock);
    assert_exit(&case.fetch(&[]), 0);
}

/// Issue 11: `run --outputs DIR` fetched into ./outputs all the same.
#[test]
fn issue_11_run_fetches_under_its_own_outputs() {
    let server = Server::start();
    let data = body(50_000, 36);
    server.put_with_md5(REGION, &data, "v1", &md5_hex(&data));
    let case = Case::new(&server.url(REGION));
    let elsewhere = case.path("elsewhere");
    // Not a PBF: the crop refuses it (exit 2), after the fetch.
    let out = case.hexmatrix(&[
        "run",
        "ds.toml",
        "--no-warm",
        "--outputs",
        elsewhere.to_str().unwrap(),
    ]);
    assert_exit(&out, 2);
    assert!(
        std::fs::read(elsewhere.join("testland/region.osm.pbf")).unwrap() == data,
        "{}",
        stderr(&out)
    );
    assert!(!case.path("outputs").exists(), "nothing under ./outputs");
}
