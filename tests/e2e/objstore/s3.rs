//! The tests that need the `object-store` feature and moto's S3 server.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hexmatrix_warm::fixture::RedisServer;

use crate::matrix::monaco_graph;
use crate::util::{python_ready, text};

const BUCKET: &str = "hexmatrix";

/// The test's own requests to moto carry this header: moto does not check
/// signatures, but refuses anonymous reads of private objects.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

fn get_text(url: &str) -> String {
    ureq::get(url)
        .header("Authorization", AUTHORIZATION)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// A moto S3 server on a free loopback port, killed on drop.
struct S3Server {
    child: Child,
    port: u16,
}

impl S3Server {
    /// Starts `python3 -m moto.server`; `None` (the test stops) when moto is not
    /// installed outside CI. Parts down to 256 bytes are accepted so that small test
    /// files still go through multipart uploads.
    fn start() -> Option<Self> {
        if !python_ready("import moto.server, flask", "tests/requirements.txt") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("S3_UPLOAD_PART_MIN_SIZE", "256")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m moto.server starts");
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&server.endpoint()).call().is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        ureq::put(&format!("{}/{BUCKET}", server.endpoint()))
            .header("Authorization", AUTHORIZATION)
            .send_empty()
            .expect("create the bucket");
        Some(server)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `hexmatrix ARGS` with this server's settings and its own cache directory.
    fn hexmatrix(&self, cache: &Path, args: &[&str]) -> Command {
        hexmatrix_via(&self.endpoint(), cache, args)
    }

    /// Keys and sizes under `prefix`, read from the server directly.
    fn list(&self, prefix: &str) -> Vec<(String, u64)> {
        let url = format!("{}/{BUCKET}?list-type=2&prefix={prefix}", self.endpoint());
        let xml = get_text(&url);
        let keys = elements(&xml, "Key");
        let sizes = elements(&xml, "Size");
        assert_eq!(keys.len(), sizes.len(), "{xml}");
        keys.into_iter()
            .zip(sizes.iter().map(|s| s.parse().unwrap()))
            .collect()
    }

    /// Multipart uploads started and neither completed nor aborted: key and upload id.
    fn uploads_in_progress(&self) -> Vec<(String, String)> {
        let xml = get_text(&format!("{}/{BUCKET}?uploads", self.endpoint()));
        elements(&xml, "Key")
            .into_iter()
            .zip(elements(&xml, "UploadId"))
            .collect()
    }

    /// How many parts the server holds for an upload in progress; 0 when the upload
    /// is no longer there (it completed between the listing and this request).
    fn parts(&self, key: &str, upload_id: &str) -> usize {
        let url = format!("{}/{BUCKET}/{key}?uploadId={upload_id}", self.endpoint());
        match ureq::get(&url)
            .header("Authorization", AUTHORIZATION)
            .call()
        {
            Ok(mut response) => {
                elements(&response.body_mut().read_to_string().unwrap(), "PartNumber").len()
            }
            Err(ureq::Error::StatusCode(404)) => 0,
            Err(e) => panic!("GET {url}: {e}"),
        }
    }

    fn put(&self, key: &str, bytes: &[u8]) {
        ureq::put(&format!("{}/{BUCKET}/{key}", self.endpoint()))
            .header("Authorization", AUTHORIZATION)
            .send(bytes)
            .unwrap();
    }

    fn get(&self, key: &str) -> Vec<u8> {
        ureq::get(&format!("{}/{BUCKET}/{key}", self.endpoint()))
            .header("Authorization", AUTHORIZATION)
            .call()
            .unwrap()
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap()
    }
}

/// `S3Server::hexmatrix` talking to `endpoint` (a proxy in front of this server).
fn hexmatrix_via(endpoint: &str, cache: &Path, args: &[&str]) -> Command {
    let mut cmd = crate::util::command(args);
    credentials(&mut cmd)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("HEXMATRIX_CACHE_DIR", cache);
    cmd
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// No credentials from the environment of the test run; none from instance
/// metadata either (a closed port answers at once, where a real metadata address
/// could take a long timeout off a cloud machine).
fn credentials(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")
}

/// The texts of every `<name>…</name>` in `xml` (enough for S3's listings).
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|s| s.split_once(&close).map(|(v, _)| v.to_owned()))
        .collect()
}

fn run_ok(mut cmd: Command) -> String {
    let out = cmd.output().expect("hexmatrix runs");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    said
}

fn shared(name: &str) -> Option<PathBuf> {
    hexmatrix_osm::fixture::shared_dataset(name)
}

fn dataset(name: &str) -> String {
    format!("{}/../datasets/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

/// A manifest without its timing and memory fields (the only ones two runs of the
/// same matrix, sharded or not, may differ in).
fn without_timings(manifest: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    let fields = v.as_object_mut().unwrap();
    for volatile in crate::shards::TIMING_FIELDS {
        fields.remove(volatile);
    }
    v
}

/// Whether the object `stored` is the file `name` of a local run with `bytes`: the
/// same bytes, but for the manifest's timings and peak memory.
fn same(name: &str, stored: &[u8], bytes: &[u8]) -> bool {
    if name == "manifest.json" {
        without_timings(stored) == without_timings(bytes)
    } else {
        stored == bytes
    }
}

/// Every file under `dir` with its path relative to it, `/`-separated, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// crop, graph and matrix each read and write s3:// URLs; the matrix objects are the
/// files of a local run byte for byte under the same names; warm and report read the
/// matrix from the bucket; Polars and pyarrow read the parts from it as the README shows.
#[test]
#[expect(clippy::too_many_lines, reason = "one scenario, step by step")]
fn matrix_to_s3_then_warm_report_and_analysts_read_it_from_s3() {
    let Some(monaco) = shared("monaco.osm.pbf") else {
        return;
    };
    let Some(s3) = S3Server::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let ds = dataset("monaco");
    let city = format!("s3://{BUCKET}/monaco/city.osm.pbf");
    let graph = format!("s3://{BUCKET}/monaco/graph-car");
    let matrix = format!("s3://{BUCKET}/monaco/matrix");
    run_ok(s3.hexmatrix(
        &cache,
        &[
            "crop",
            "--input",
            monaco.to_str().unwrap(),
            "--dataset",
            &ds,
            "--output",
            &city,
        ],
    ));
    run_ok(s3.hexmatrix(&cache, &["graph", "--input", &city, "--output", &graph]));
    let graph_objects: Vec<String> = s3
        .list("monaco/graph-car/")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(
        graph_objects.contains(&"monaco/graph-car/graph.ch".to_owned()),
        "{graph_objects:?}"
    );
    run_ok(s3.hexmatrix(
        &cache,
        &[
            "matrix",
            "--graph",
            &graph,
            "--dataset",
            &ds,
            "--output",
            &matrix,
        ],
    ));

    // The same matrix written locally is the reference: same names, same bytes.
    let local = tmp.path().join("matrix");
    run_ok(s3.hexmatrix(
        &cache,
        &[
            "matrix",
            "--graph",
            &graph,
            "--dataset",
            &ds,
            "--output",
            local.to_str().unwrap(),
        ],
    ));
    let expected = files(&local);
    let stored = s3.list("monaco/matrix/");
    let names: Vec<String> = stored
        .iter()
        .map(|(k, _)| k["monaco/matrix/".len()..].to_owned())
        .collect();
    let local_names: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, local_names);
    assert!(
        names.contains(&"manifest.json".to_owned()) && names.contains(&"cells.parquet".to_owned())
    );
    assert!(
        names.iter().any(|n| n.starts_with("matrix/part-")),
        "{names:?}"
    );
    for (name, bytes) in &expected {
        assert!(
            same(name, &s3.get(&format!("monaco/matrix/{name}")), bytes),
            "{name} differs"
        );
    }
    // The staging directories are gone: outputs were deleted once uploaded.
    let left: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(local.join("manifest.json")).unwrap()).unwrap();
    let pairs = manifest["pairs"].as_u64().unwrap();
    assert!(pairs > 1000, "{manifest}");

    let redis = RedisServer::start();
    let warmed = run_ok(s3.hexmatrix(
        &cache,
        &["warm", "--matrix", &matrix, "--redis", &redis.url()],
    ));
    assert!(
        warmed.contains(&format!(": {pairs} keys written")),
        "{warmed}"
    );

    let report = format!("s3://{BUCKET}/monaco/report");
    run_ok(s3.hexmatrix(
        &cache,
        &["report", "--matrix", &matrix, "--output", &report],
    ));
    let md = String::from_utf8(s3.get("monaco/report/report.md")).unwrap();
    assert!(md.contains(&format!("pairs: {pairs},")), "{md}");
    assert!(!s3.get("monaco/report/map.svg").is_empty());

    if !python_ready("import polars, pyarrow", "tests/requirements.txt") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/s3_readers_check.py");
    let mut check = Command::new("python3");
    credentials(&mut check)
        .arg(&script)
        .arg(&matrix)
        .env("AWS_ENDPOINT_URL", s3.endpoint())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1");
    let out = check.output().expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: serde_json::Value = serde_json::from_str(&said).expect("the check prints JSON");
    for reader in ["polars", "pyarrow"] {
        assert_eq!(found[reader]["rows"], pairs, "{reader}: {found}");
    }
    let (a, b) = (
        found["polars"]["duration_sum"].as_f64().unwrap(),
        found["pyarrow"]["duration_sum"].as_f64().unwrap(),
    );
    assert!(a > 0.0 && (a - b).abs() < 1e-6 * a, "{found}");
}

/// `run --outputs s3://…` publishes the version (run manifest last) and then the
/// dataset's `current` object; a second run skips every stage and publishes the same.
#[test]
fn run_with_outputs_under_s3_publishes_the_version_and_current() {
    let Some(_) = shared("malta-latest.osm.pbf") else {
        return;
    };
    let Some(s3) = S3Server::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let outputs = format!("s3://{BUCKET}/runs");
    let ds = dataset("valletta");
    run_ok(s3.hexmatrix(&cache, &["run", &ds, "--no-warm", "--outputs", &outputs]));
    let version = String::from_utf8(s3.get("runs/valletta/current")).unwrap();
    let version = version.trim();
    assert!(version.starts_with("valletta-"), "{version}");
    let keys: Vec<String> = s3
        .list("runs/valletta/")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for name in [
        "manifest.json",
        "city.osm.pbf",
        "graph-car/graph.ch",
        "matrix/manifest.json",
        "matrix/cells.parquet",
        "report/report.md",
        "stages/matrix.json",
    ] {
        let key = format!("runs/valletta/{version}/{name}");
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&s3.get(&format!("runs/valletta/{version}/manifest.json"))).unwrap();
    assert_eq!(manifest["version"], version);

    let again = run_ok(s3.hexmatrix(&cache, &["run", &ds, "--no-warm", "--outputs", &outputs]));
    assert!(again.contains("[matrix] unchanged, skipped"), "{again}");
    assert_eq!(
        String::from_utf8(s3.get("runs/valletta/current"))
            .unwrap()
            .trim(),
        version
    );
}

/// An uploader killed with SIGKILL in the middle of a multipart upload leaves the
/// object invisible (the upload stays incomplete on the server) and no manifest; a
/// rerun publishes the same bytes as a run that was never interrupted.
#[test]
#[expect(clippy::too_many_lines, reason = "one scenario, step by step")]
fn sigkill_mid_upload_leaves_no_partial_object_and_no_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(graph) = monaco_graph(tmp.path()) else {
        return;
    };
    let Some(s3) = S3Server::start() else { return };
    let cache = tmp.path().join("cache");
    let ds = dataset("monaco");
    let local = tmp.path().join("matrix");
    run_ok(s3.hexmatrix(
        &cache,
        &[
            "matrix",
            "--graph",
            graph.to_str().unwrap(),
            "--dataset",
            &ds,
            "--output",
            local.to_str().unwrap(),
        ],
    ));
    let expected = files(&local);

    // A slow uplink, and 256-byte parts: every file of the matrix is a multipart upload
    // of many parts.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/slow_proxy.py");
    let mut proxy = Command::new("python3")
        .arg(&script)
        .arg(s3.port.to_string())
        .arg("0.2")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the proxy starts");
    let mut line = String::new();
    BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let via = format!("http://127.0.0.1:{}", line.trim());
    let matrix = format!("s3://{BUCKET}/killed/matrix");
    let mut uploader = hexmatrix_via(
        &via,
        &cache,
        &[
            "matrix",
            "--graph",
            graph.to_str().unwrap(),
            "--dataset",
            &ds,
            "--output",
            &matrix,
        ],
    )
    .env("HEXMATRIX_UPLOAD_PART_BYTES", "256")
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Killed while a part file's upload holds some of its parts on the server and is
    // at least 5 parts short (more than the 4 in flight): it cannot complete.
    let parts_of = |key: &str| {
        let name = &key["killed/matrix/".len()..];
        expected
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, b)| b.len().div_ceil(256))
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    let interrupted = 'poll: loop {
        for (key, id) in s3.uploads_in_progress() {
            let held = s3.parts(&key, &id);
            if key.contains("/matrix/part-") && held >= 1 && held + 5 <= parts_of(&key) {
                uploader.kill().unwrap();
                break 'poll key;
            }
        }
        assert!(
            uploader.try_wait().unwrap().is_none(),
            "the upload ended before it could be killed"
        );
        assert!(Instant::now() < deadline, "no multipart upload seen");
        std::thread::sleep(Duration::from_millis(20));
    };
    uploader.wait().unwrap();
    let _ = proxy.kill();
    let _ = proxy.wait();

    let visible = s3.list("killed/matrix/");
    let names: Vec<&str> = visible
        .iter()
        .map(|(k, _)| &k["killed/matrix/".len()..])
        .collect();
    assert!(!names.contains(&"manifest.json"), "{names:?}");
    assert!(
        names.contains(&"cells.parquet"),
        "uploaded before the parts: {names:?}"
    );
    assert!(
        visible.iter().all(|(k, _)| *k != interrupted),
        "{interrupted} is visible while its upload is incomplete"
    );
    assert!(
        s3.uploads_in_progress()
            .iter()
            .any(|(k, _)| *k == interrupted),
        "the interrupted upload of {interrupted} is no longer in progress"
    );
    // What is visible is whole: the local file's size and bytes.
    for (key, size) in &visible {
        let name = &key["killed/matrix/".len()..];
        let (_, bytes) = expected
            .iter()
            .find(|(n, _)| n == name)
            .expect("a matrix file");
        assert_eq!(*size, bytes.len() as u64, "{name}");
        assert!(same(name, &s3.get(key), bytes), "{name} differs");
    }

    run_ok(s3.hexmatrix(
        &cache,
        &[
            "matrix",
            "--graph",
            graph.to_str().unwrap(),
            "--dataset",
            &ds,
            "--output",
            &matrix,
        ],
    ));
    let stored = s3.list("killed/matrix/");
    assert_eq!(stored.len(), expected.len());
    for (name, bytes) in &expected {
        assert!(
            same(name, &s3.get(&format!("killed/matrix/{name}")), bytes),
            "{name} differs after the rerun"
        );
    }
}

/// Shards publish into the bucket and the merge runs against it: a merge with a
/// shard missing is refused and writes no manifest; once every shard is there the
/// objects are an unsharded local run's files, and a part an earlier matrix left under
/// the prefix is deleted. Warm shards then read it from the bucket, each downloading
/// only its own parts, and the publish moves the pointer.
#[test]
#[expect(clippy::too_many_lines, reason = "one scenario, step by step")]
fn shards_published_to_s3_merge_there_then_warm_shards_download_only_their_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(graph) = monaco_graph(tmp.path()) else {
        return;
    };
    let Some(s3) = S3Server::start() else { return };
    let cache = tmp.path().join("cache");
    let graph = graph.to_str().unwrap();
    let ds = dataset("monaco");
    let matrix_args = |output: &str, extra: &[&str]| {
        let mut args = vec![
            "matrix",
            "--graph",
            graph,
            "--dataset",
            &ds,
            "--resolution",
            "10",
            "--origin-block-size",
            "9",
            "--output",
            output,
        ];
        args.extend_from_slice(extra);
        s3.hexmatrix(&cache, &args)
    };
    let prefix = "sharded/matrix/";
    let matrix = format!("s3://{BUCKET}/sharded/matrix");
    let stray = format!("{prefix}matrix/part-09999.parquet");
    s3.put(&stray, b"an earlier matrix's part");

    run_ok(matrix_args(&matrix, &["--shard", "0/2"]));
    let out = matrix_args(&matrix, &["--merge-shards", "2"])
        .output()
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("1-of-2.json is missing"), "{said}");
    let stored = s3.list(prefix);
    assert!(
        !stored.iter().any(|(k, _)| k.ends_with("manifest.json")),
        "{stored:?}"
    );

    run_ok(matrix_args(&matrix, &["--shard", "1/2"]));
    let merged = run_ok(matrix_args(&matrix, &["--merge-shards", "2"]));
    assert!(
        merged.contains("1 objects the merge removed deleted"),
        "{merged}"
    );

    let local = tmp.path().join("whole");
    run_ok(matrix_args(local.to_str().unwrap(), &[]));
    let expected = files(&local);
    assert!(
        expected
            .iter()
            .filter(|(n, _)| n.starts_with("matrix/"))
            .count()
            > 3
    );
    let names: Vec<String> = s3
        .list(prefix)
        .into_iter()
        .map(|(k, _)| k[prefix.len()..].to_owned())
        .filter(|n| !n.starts_with("shards/"))
        .collect();
    let local_names: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, local_names);
    for (name, bytes) in &expected {
        let stored = s3.get(&format!("{prefix}{name}"));
        assert!(same(name, &stored, bytes), "{name} differs");
    }

    // Two warm shards read the merged matrix from the bucket, each downloading the
    // manifest, the cells and its own parts only.
    let parts = expected
        .iter()
        .filter(|(n, _)| n.starts_with("matrix/"))
        .count();
    let redis = RedisServer::start();
    let warm = |extra: &[&str]| {
        let url = redis.url();
        let mut args = vec![
            "warm",
            "--matrix",
            &matrix,
            "--redis",
            &url,
            "--version",
            "v1",
        ];
        args.extend_from_slice(extra);
        run_ok(s3.hexmatrix(&cache, &args))
    };
    let mut downloaded = 0;
    for shard in ["0/2", "1/2"] {
        let said = warm(&["--shard", shard]);
        let files: usize = said
            .split("[store] downloaded ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no download line: {said}"));
        assert!(files > 2 && files - 2 < parts, "{files} of {parts}: {said}");
        downloaded += files - 2;
    }
    assert_eq!(downloaded, parts, "the shards share the parts");
    let published = warm(&["--publish"]);
    assert!(
        published.contains("every shard's load verified"),
        "{published}"
    );
    assert_eq!(redis.cli(&["get", "route:current"]), "v1");
}

/// A bad URL, a missing bucket and missing credentials each fail with a non-zero
/// exit and a message that names the URL.
#[test]
fn bad_url_missing_bucket_and_missing_credentials_fail_naming_the_url() {
    let Some(s3) = S3Server::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let resp = tmp.path().join("out.resp");
    let resp = resp.to_str().unwrap();

    for (url, code, says) in [
        ("s3:///matrix", 2, "no bucket name"),
        ("ftp://host/matrix", 2, "unsupported URL scheme"),
        ("s3://no-such-bucket/matrix", 1, "NoSuchBucket"),
    ] {
        let out = s3
            .hexmatrix(&cache, &["warm", "--matrix", url, "--resp-out", resp])
            .output()
            .unwrap();
        let said = text(&out);
        assert_eq!(out.status.code(), Some(code), "{url}: {said}");
        assert!(said.contains(url) && said.contains(says), "{url}: {said}");
    }
    let empty = format!("s3://{BUCKET}/nothing/here");
    let out = s3
        .hexmatrix(&cache, &["report", "--matrix", &empty, "--output", "r"])
        .output()
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&empty) && said.contains("no objects under this URL"),
        "{said}"
    );
    // A warm shard fetches the manifest by name: missing, it is the same bad input.
    let out = s3
        .hexmatrix(
            &cache,
            &[
                "warm",
                "--matrix",
                &empty,
                "--shard",
                "0/2",
                "--resp-out",
                "w.resp",
            ],
        )
        .output()
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&format!("{empty}/manifest.json")) && said.contains("no object at this URL"),
        "{said}"
    );

    let matrix = format!("s3://{BUCKET}/m");
    let mut cmd = crate::util::command(&["warm", "--matrix", &matrix, "--resp-out", resp]);
    credentials(&mut cmd)
        .env("AWS_ENDPOINT_URL", s3.endpoint())
        .env("AWS_ALLOW_HTTP", "true")
        .env("HEXMATRIX_CACHE_DIR", &cache);
    let out = cmd.output().unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&matrix) && said.contains("no credentials in the environment"),
        "{said}"
    );
}
