//! `hexmatrix fetch` against a real HTTP server on loopback (see `fetch/server.rs`)
//! and against local files: resume, md5 refusal, 404, unchanged-skip, slow and
//! stalled servers, exit code 3.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: any failure should fail the test"
)]

mod server;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use md5::{Digest, Md5};

use server::{Fault, Server};

const REGION: &str = "/europe/testland-latest.osm.pbf";

/// Deterministic pseudo-random bytes (xorshift), so a misplaced range shows.
fn body(len: usize, seed: u64) -> Vec<u8> {
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

fn md5_hex(bytes: &[u8]) -> String {
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
        Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
            .current_dir(self.dir.path())
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

fn range_start(range: Option<&str>) -> Option<u64> {
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
