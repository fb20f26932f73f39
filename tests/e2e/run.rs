//! `hexmatrix run` on the bundled Valletta dataset: every stage, the cache
//! warmed in a real `redis-server`, the unchanged re-run that does no work, the
//! dataset lock, and a run killed with SIGKILL that leaves the good outputs.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use hexmatrix_warm::fixture::RedisServer;

use crate::util::{command, text, valletta};

fn manifest(outputs: &Path) -> serde_json::Value {
    let current = outputs.join("valletta/current");
    let bytes = std::fs::read(current.join("manifest.json")).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn statuses(m: &serde_json::Value) -> Vec<(String, String)> {
    m["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn run_warms_redis_then_an_unchanged_rerun_skips_every_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let server = RedisServer::start();
    let dataset = valletta();
    let args = [
        "run",
        dataset.to_str().unwrap(),
        "--redis",
        &server.url(),
        "--outputs",
        outputs.to_str().unwrap(),
    ];
    let out = command(&args).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let m = manifest(&outputs);
    let version = m["version"].as_str().unwrap().to_owned();
    assert!(version.starts_with("valletta-"), "{version}");
    let stages = statuses(&m);
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["fetch", "crop", "graph", "matrix", "report", "warm"]
    );
    for (name, status) in &stages[1..] {
        assert_eq!(status, "ran", "{name} on the first run");
    }
    assert_eq!(m["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    let matrix = &m["stages"][3]["counts"];
    let ok = matrix["cells_ok"].as_u64().unwrap();
    assert!(
        ok > 100,
        "Valletta has hundreds of drivable cells: {matrix}"
    );
    assert_eq!(matrix["pairs"].as_u64().unwrap(), ok * ok);
    for file in [
        "city.osm.pbf",
        "graph-car/graph.ch",
        "matrix/cells.parquet",
        "report/report.md",
        "report/map.svg",
        "report/map.png",
    ] {
        assert!(
            outputs.join("valletta/current").join(file).exists(),
            "{file}"
        );
    }

    // The gateway's view: the per-dataset pointer names this version, pairs are hits.
    assert_eq!(server.cli(&["get", "route:valletta:current"]), version);
    let lookup = command(&[
        "lookup",
        "--redis",
        &server.url(),
        "--pointer-key",
        "route:valletta:current",
        "35.8968,14.5119",
        "35.9110,14.5040",
    ])
    .output()
    .unwrap();
    let said = text(&lookup);
    assert!(lookup.status.success(), "{said}");
    assert_eq!(
        said.matches(" m, ").count(),
        2,
        "two hits with distances: {said}"
    );

    // Nightly re-run over the same region: nothing recomputed, nothing rewritten.
    let again = command(&args).output().unwrap();
    assert!(again.status.success(), "{}", text(&again));
    let m2 = manifest(&outputs);
    assert_eq!(m2["version"], m["version"]);
    for (name, status) in statuses(&m2) {
        if name != "warm" {
            assert_eq!(status, "skipped", "{name} on the unchanged re-run");
        }
    }
    assert!(
        m2["stages"][5]["note"]
            .as_str()
            .unwrap()
            .contains("AlreadyCurrent"),
        "{}",
        m2["stages"][5]
    );
}

#[test]
fn a_second_run_is_refused_while_the_dataset_is_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    std::fs::create_dir_all(outputs.join("valletta")).unwrap();
    let lock = std::fs::File::create(outputs.join("valletta/.lock")).unwrap();
    lock.lock().unwrap();
    let dataset = valletta();
    let out = command(&[
        "run",
        dataset.to_str().unwrap(),
        "--no-warm",
        "--outputs",
        outputs.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(text(&out).contains("holds"), "{}", text(&out));
    drop(lock);
}

#[test]
fn run_without_redis_or_no_warm_is_a_usage_error() {
    let dataset = valletta();
    let out = command(&["run", dataset.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--no-warm"), "{}", text(&out));
}

#[test]
fn a_run_killed_at_any_point_leaves_the_previous_version_current_and_the_next_run_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let dataset = valletta();
    let run = |dataset: &Path| {
        command(&[
            "run",
            dataset.to_str().unwrap(),
            "--no-warm",
            "--outputs",
            outputs.to_str().unwrap(),
        ])
    };
    let first = run(&dataset).output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    let good = manifest(&outputs);
    let good_cells = std::fs::read(outputs.join("valletta/current/matrix/cells.parquet")).unwrap();

    // The same city with a wider bbox: a new version, as after a map update.
    let region = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/datasets/malta-latest.osm.pbf")
        .canonicalize()
        .unwrap();
    let wider = tmp.path().join("valletta.toml");
    std::fs::write(
        &wider,
        format!(
            "name = \"valletta\"\nregion_url = \"https://example.invalid/malta.osm.pbf\"\n\
             region_file = \"{}\"\nbbox = [14.45, 35.85, 14.54, 35.93]\nresolution = 9\n\
             profile = \"car\"\n",
            region.display()
        ),
    )
    .unwrap();
    for delay_ms in [30, 150, 400, 800] {
        let mut child = run(&wider)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let finished = child.wait().unwrap().success();
        let now = manifest(&outputs);
        if !finished {
            assert_eq!(
                now["version"], good["version"],
                "killed after {delay_ms} ms"
            );
            let cells =
                std::fs::read(outputs.join("valletta/current/matrix/cells.parquet")).unwrap();
            assert_eq!(cells, good_cells, "killed after {delay_ms} ms");
        }
    }
    let after = run(&wider).output().unwrap();
    assert!(after.status.success(), "{}", text(&after));
    let new = manifest(&outputs);
    assert_ne!(new["version"], good["version"]);
    let old_dir = outputs
        .join("valletta")
        .join(good["version"].as_str().unwrap());
    assert!(
        old_dir.join("manifest.json").exists(),
        "the previous version stays on disk"
    );
}

/// Issue 11: Redis passwords were shown by `--help` (clap prints environment values)
/// and logged and stored in manifest.json for URL forms the old masking missed.
#[test]
fn issue_11_redis_secrets_are_never_printed_or_stored() {
    const SECRET: &str = "s3cret-pw";
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let sock = tmp.path().join("redis.sock");
    let server = RedisServer::start_with(&[
        "--requirepass",
        SECRET,
        "--unixsocket",
        sock.to_str().unwrap(),
        "--unixsocketperm",
        "700",
    ]);
    let mut said = Vec::new();
    for sub in ["run", "warm", "lookup"] {
        let out = command(&[sub, "--help"])
            .env("HEXMATRIX_REDIS", format!("redis://:{SECRET}@h:6379/0"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        said.push((format!("{sub} --help"), text(&out)));
    }

    let dataset = valletta();
    let port = server.port();
    let urls = [
        // Refused or unreachable: the error names the server, masked.
        (
            format!("redis+unix://{}?password={SECRET}", sock.display()),
            false,
        ),
        (
            format!("rediss://default:{SECRET}@127.0.0.1:{port}/0"),
            false,
        ),
        (format!("redis://default:{SECRET}@127.0.0.1:{port}/0"), true),
        (format!("redis://:{SECRET}@127.0.0.1:{port}/0"), true),
        // Last: its warm record is the one in the manifest.
        (
            format!("redis+unix://{}?pass={SECRET}", sock.display()),
            true,
        ),
    ];
    for (url, succeeds) in &urls {
        let out = command(&[
            "run",
            dataset.to_str().unwrap(),
            "--redis",
            url,
            "--outputs",
            outputs.to_str().unwrap(),
        ])
        .output()
        .unwrap();
        assert_eq!(out.status.success(), *succeeds, "{url}: {}", text(&out));
        said.push((url.clone(), text(&out)));
    }
    assert!(
        server
            .cli(&["get", "route:valletta:current"])
            .starts_with("valletta-")
    );
    for (what, output) in &said {
        assert!(
            !output.contains(SECRET),
            "{what} printed the secret: {output}"
        );
    }
    let m = manifest(&outputs);
    let warm = m["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "warm")
        .unwrap();
    assert_eq!(
        warm["key"]["redis"],
        format!("redis+unix://{}?pass=***", sock.display())
    );
    for (what, output) in &said[3..5] {
        assert!(
            output.contains("***"),
            "{what}: the error names the server: {output}"
        );
    }
    let mut stack = vec![outputs.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(SECRET),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
    }
}

/// Issue 11: warm moved the Redis pointer before the report ran, so a failing
/// report left the pointer on the new version and `current` on the old one.
#[test]
fn issue_11_a_failing_report_leaves_the_redis_pointer_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let server = RedisServer::start();
    let dataset = valletta();
    let run = |extra: &[&str]| {
        command(
            &[
                &[
                    "run",
                    dataset.to_str().unwrap(),
                    "--outputs",
                    outputs.to_str().unwrap(),
                ],
                extra,
            ]
            .concat(),
        )
        .output()
        .unwrap()
    };
    let first = run(&["--no-warm"]);
    assert!(first.status.success(), "{}", text(&first));
    let version = manifest(&outputs)["version"].as_str().unwrap().to_owned();
    // The report cannot write: its directory is a file.
    let report = outputs.join("valletta").join(&version).join("report");
    std::fs::remove_dir_all(&report).unwrap();
    std::fs::write(&report, b"in the way").unwrap();

    let failed = run(&["--redis", &server.url()]);
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(
        text(&failed).contains("stage report failed"),
        "{}",
        text(&failed)
    );
    assert_eq!(
        server.cli(&["get", "route:valletta:current"]),
        "",
        "the pointer moved although the run failed: {}",
        text(&failed)
    );

    std::fs::remove_file(&report).unwrap();
    let fixed = run(&["--redis", &server.url()]);
    assert!(fixed.status.success(), "{}", text(&fixed));
    assert_eq!(server.cli(&["get", "route:valletta:current"]), version);
}

/// Issue 11: a stale `.matrix.old` (a run killed between its two renames) broke
/// every later `--force`, and killed runs' temporaries were never cleaned.
#[test]
fn issue_11_stale_temporaries_are_cleaned_and_do_not_break_force() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let dataset = valletta();
    let run = |extra: &[&str]| {
        command(
            &[
                &[
                    "run",
                    dataset.to_str().unwrap(),
                    "--no-warm",
                    "--outputs",
                    outputs.to_str().unwrap(),
                ],
                extra,
            ]
            .concat(),
        )
        .output()
        .unwrap()
    };
    let first = run(&[]);
    assert!(first.status.success(), "{}", text(&first));
    let root = outputs.join("valletta");
    let vdir = root.join(manifest(&outputs)["version"].as_str().unwrap());
    let stale = [
        vdir.join(".matrix.old/matrix/part-00000.parquet"),
        vdir.join(".matrix.tmp-99999/matrix/part-00000.parquet"),
        vdir.join(".graph-car.old/graph.ch"),
        vdir.join(".city.osm.pbf.99999.tmp"),
        vdir.join("stages/.crop.json.tmp-99999"),
        vdir.join("report/.report.md.tmp-99999"),
        root.join(".current.tmp-99999"),
    ];
    for f in &stale {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, b"left by a killed run").unwrap();
    }
    let forced = run(&["--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    for f in &stale {
        assert!(!f.exists(), "{} is still there", f.display());
    }
    for dir in [".matrix.old", ".matrix.tmp-99999", ".graph-car.old"] {
        assert!(!vdir.join(dir).exists(), "{dir}");
    }
    assert!(vdir.join("matrix/manifest.json").exists());
    assert!(root.join(".lock").exists(), "the lock file stays");
}

/// Issue 11: the nightly run after outputs/ was lost recomputed an identical matrix
/// that warm then refused as another matrix under the same version.
#[test]
fn issue_11_a_rerun_after_losing_outputs_finds_its_version_current() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let server = RedisServer::start();
    let dataset = valletta();
    let args = [
        "run",
        dataset.to_str().unwrap(),
        "--redis",
        &server.url(),
        "--outputs",
        outputs.to_str().unwrap(),
    ];
    let first = command(&args).output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    let version = server.cli(&["get", "route:valletta:current"]);
    std::fs::remove_dir_all(&outputs).unwrap();
    let again = command(&args).output().unwrap();
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(server.cli(&["get", "route:valletta:current"]), version);
    let warm = manifest(&outputs)["stages"][5].clone();
    assert!(
        warm["note"].as_str().unwrap().contains("AlreadyCurrent"),
        "{warm}"
    );
}

/// Issue 11: `run` refuses a country-sized dataset before the fetch and the crop.
#[test]
fn issue_11_run_refuses_an_oversized_dataset_before_fetching() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("vietnam.toml");
    std::fs::write(
        &file,
        "name = \"vietnam\"\nregion_url = \"http://127.0.0.1:9/never-contacted.osm.pbf\"\n\
         bbox = [102.14, 8.18, 109.46, 23.39]\nresolution = 10\nprofile = \"car\"\n",
    )
    .unwrap();
    let outputs = tmp.path().join("outputs");
    let out = command(&[
        "run",
        file.to_str().unwrap(),
        "--no-warm",
        "--outputs",
        outputs.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--max-cells"), "{}", text(&out));
    assert!(!outputs.exists(), "nothing written");
}

/// Issue 11, chaos: full runs with warm killed by SIGKILL at pseudo-random moments.
/// After every kill the previous version is current and whole, on disk and in Redis
/// (every lookup of a served cell pair hits); the next unkilled run completes.
#[test]
fn runs_with_warm_killed_at_random_moments_never_lose_the_current_version() {
    const KILLS: u64 = 8;
    let tmp = tempfile::tempdir().unwrap();
    let outputs = tmp.path().join("outputs");
    let server = RedisServer::start();
    let url = server.url();
    let run = |dataset: &Path| {
        command(&[
            "run",
            dataset.to_str().unwrap(),
            "--redis",
            &url,
            "--outputs",
            outputs.to_str().unwrap(),
        ])
    };
    let first = run(&valletta()).output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    let good = manifest(&outputs)["version"].as_str().unwrap().to_owned();
    let intact = || {
        assert_eq!(server.cli(&["get", "route:valletta:current"]), good);
        let look = command(&[
            "lookup",
            "--redis",
            &url,
            "--pointer-key",
            "route:valletta:current",
            "--sample",
            "300",
        ])
        .output()
        .unwrap();
        let out = text(&look);
        assert!(look.status.success(), "{out}");
        // "misses N (…), of which M with a cell not in …": every miss is a cell without road.
        let line = out.lines().find(|l| l.starts_with("hits ")).unwrap();
        let number_after = |word: &str| -> u64 {
            line.split(word)
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(number_after("misses "), number_after("of which "), "{line}");
        assert_eq!(manifest(&outputs)["version"].as_str().unwrap(), good);
    };
    intact();

    let region = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/datasets/malta-latest.osm.pbf")
        .canonicalize()
        .unwrap();
    let wider = tmp.path().join("valletta.toml");
    std::fs::write(
        &wider,
        format!(
            "name = \"valletta\"\nregion_url = \"https://example.invalid/malta.osm.pbf\"\n\
             region_file = \"{}\"\nbbox = [14.45, 35.85, 14.54, 35.93]\nresolution = 9\n\
             profile = \"car\"\n",
            region.display()
        ),
    )
    .unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut killed = 0;
    for _ in 0..KILLS {
        // xorshift: a spread of moments from start-up to the end of warm.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay_ms = state % 2500;
        let mut child = run(&wider)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        if child.wait().unwrap().success() {
            break;
        }
        killed += 1;
        intact();
    }
    eprintln!("{killed} runs killed, the previous version intact after each");
    assert!(killed > 0, "no run was killed before it finished");
    let after = run(&wider).output().unwrap();
    assert!(after.status.success(), "{}", text(&after));
    let new = manifest(&outputs)["version"].as_str().unwrap().to_owned();
    assert_ne!(new, good);
    assert_eq!(server.cli(&["get", "route:valletta:current"]), new);
}
