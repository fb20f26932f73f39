//! `hexmatrix warm` and `hexmatrix lookup` against real `redis-server` processes:
//! the happy path, re-runs, and the faults a scheduler must see as exit code 4.

use hexmatrix_warm::fixture::{MatrixSpec, RedisCluster, RedisServer, cell_centre, write_matrix};

use crate::util::{command, hexmatrix, text};

fn centre(cell: u64) -> String {
    let (lat, lon) = cell_centre(cell);
    format!("{lat:.6},{lon:.6}")
}

#[test]
fn warm_then_lookup_hits_and_rerun_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = write_matrix(&dir, &MatrixSpec::default());
    let server = RedisServer::start();
    let url = server.url();
    let matrix_dir = dir.to_str().unwrap();
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        matrix_dir,
        "--redis",
        &url,
        "--version",
        "v1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains(&format!("{} keys written", m.pairs)), "{log}");
    assert!(log.contains("used_memory"), "{log}");
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    assert_eq!(server.cli(&["exists", "route:v1:manifest"]), "1");

    let again = hexmatrix(&[
        "warm",
        "--matrix",
        matrix_dir,
        "--redis",
        &url,
        "--version",
        "v1",
    ]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("nothing to do"), "{}", text(&again));

    let (a, b) = (centre(m.cells[0]), centre(m.cells[1]));
    let look = hexmatrix(&["lookup", "--redis", &url, &a, &b]);
    assert!(look.status.success(), "{}", text(&look));
    let stdout = String::from_utf8_lossy(&look.stdout);
    assert!(stdout.contains("route:current = v1"), "{stdout}");
    let key = format!("route:v1:{:x}:{:x}", m.cells[0], m.cells[1]);
    let stored = server.cli(&["get", &key]);
    let parsed: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.contains(&key))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains(&format!("{:.1} m", parsed["dist"].as_f64().unwrap())),
        "{line} vs {stored}"
    );
    assert_eq!(stdout.lines().filter(|l| l.contains(" -> ")).count(), 2);

    let sample = hexmatrix(&["lookup", "--redis", &url, "--sample", "200"]);
    assert!(sample.status.success(), "{}", text(&sample));
    assert!(
        String::from_utf8_lossy(&sample.stdout).contains("200 random pairs"),
        "{}",
        text(&sample)
    );
}

#[test]
fn default_version_comes_from_the_matrix_and_text_values_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = write_matrix(&dir, &MatrixSpec::default());
    let server = RedisServer::start();
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        dir.to_str().unwrap(),
        "--redis",
        &server.url(),
        "--value-format",
        "text",
        "--pointer-key",
        "route:valletta:current",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let version = server.cli(&["get", "route:valletta:current"]);
    assert_eq!(version.len(), 12, "{version}");
    let key = format!("route:{version}:{:x}:{:x}", m.cells[2], m.cells[3]);
    let value = server.cli(&["get", &key]);
    assert!(
        value.split(',').count() == 2 && !value.contains('{'),
        "{value}"
    );
    let look = hexmatrix(&[
        "lookup",
        "--redis",
        &server.url(),
        "--pointer-key",
        "route:valletta:current",
        &centre(m.cells[2]),
        &centre(m.cells[3]),
    ]);
    assert!(look.status.success(), "{}", text(&look));
    assert!(
        String::from_utf8_lossy(&look.stdout).contains(" m, "),
        "{}",
        text(&look)
    );
}

#[test]
fn unreachable_redis_exits_4_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = write_matrix(&dir, &MatrixSpec::default());
    let mut server = RedisServer::start();
    let url = server.url();
    server.kill();
    let out = hexmatrix(&["warm", "--matrix", m.dir.to_str().unwrap(), "--redis", &url]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("cannot connect to redis at {url}")),
        "{}",
        text(&out)
    );
    let look = hexmatrix(&["lookup", "--redis", &url, "35.9,14.5", "35.91,14.51"]);
    assert_eq!(look.status.code(), Some(4), "{}", text(&look));
}

#[test]
fn wrong_password_exits_4_without_leaking_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = write_matrix(&dir, &MatrixSpec::default());
    let server = RedisServer::start_with(&["--requirepass", "right-one"]);
    let url = format!("redis://:not-this-one@127.0.0.1:{}/0", server.port());
    let out = hexmatrix(&["warm", "--matrix", m.dir.to_str().unwrap(), "--redis", &url]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("refused the credentials"), "{log}");
    assert!(!log.contains("not-this-one"), "password leaked: {log}");
}

#[test]
fn maxmemory_exits_4_naming_the_limit_and_keeps_the_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let small = write_matrix(&tmp.path().join("small"), &MatrixSpec::default());
    let big = write_matrix(
        &tmp.path().join("big"),
        &MatrixSpec {
            ok_cells: 250,
            tag: "big".into(),
            ..MatrixSpec::default()
        },
    );
    let server =
        RedisServer::start_with(&["--maxmemory", "5mb", "--maxmemory-policy", "noeviction"]);
    let url = server.url();
    let ok = hexmatrix(&[
        "warm",
        "--matrix",
        small.dir.to_str().unwrap(),
        "--redis",
        &url,
        "--version",
        "v1",
    ]);
    assert!(ok.status.success(), "{}", text(&ok));
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        big.dir.to_str().unwrap(),
        "--redis",
        &url,
        "--version",
        "v2",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let log = text(&out);
    // Refused before writing: the estimate and what is left are both named.
    assert!(
        log.contains("does not fit") && log.contains("maxmemory 5242880 bytes"),
        "{log}"
    );
    assert!(log.contains("--layout rows"), "{log}");
    assert!(log.contains("pointer route:current unchanged"), "{log}");
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    assert_eq!(
        server.cli(&["keys", "route:v2:*"]),
        "",
        "nothing of v2 written"
    );
}

#[test]
fn cluster_warm_and_lookup_with_the_cluster_preset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = write_matrix(&dir, &MatrixSpec::default());
    let cluster = RedisCluster::start(3);
    let urls = cluster.urls().join(",");
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        dir.to_str().unwrap(),
        "--cluster",
        &urls,
        "--key-template",
        "cluster",
        "--version",
        "c1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let total: u64 = cluster
        .nodes
        .iter()
        .map(|n| n.cli(&["dbsize"]).parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, m.pairs + 4);
    let pts: Vec<String> = m.cells[..3].iter().map(|&c| centre(c)).collect();
    let mut args = vec!["lookup", "--cluster", &urls, "--key-template", "cluster"];
    args.extend(pts.iter().map(String::as_str));
    let look = hexmatrix(&args);
    assert!(look.status.success(), "{}", text(&look));
    let stdout = String::from_utf8_lossy(&look.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains(" -> ") && !l.contains("miss"))
            .count(),
        6,
        "{stdout}"
    );
}

#[test]
fn redis_killed_mid_load_exits_4_and_the_rerun_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let small = write_matrix(&tmp.path().join("small"), &MatrixSpec::default());
    let big = write_matrix(
        &tmp.path().join("big"),
        &MatrixSpec {
            ok_cells: 400,
            origin_block_size: 5,
            tag: "big".into(),
            ..MatrixSpec::default()
        },
    );
    // AOF with fsync always: what Redis acknowledged survives the kill.
    let mut server = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let url = server.url();
    let ok = hexmatrix(&[
        "warm",
        "--matrix",
        small.dir.to_str().unwrap(),
        "--redis",
        &url,
        "--version",
        "v1",
    ]);
    assert!(ok.status.success(), "{}", text(&ok));

    let big_dir = big.dir.to_str().unwrap();
    let slow = [
        "warm",
        "--matrix",
        big_dir,
        "--redis",
        &url,
        "--version",
        "v2",
        "--batch",
        "97",
        "--connections",
        "1",
        "--in-flight",
        "1",
    ];
    let child = command(&slow)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server
        .cli(&["hlen", "route:v2:progress"])
        .parse::<u64>()
        .unwrap_or(0)
        < 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.kill();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("pointer route:current unchanged"),
        "{}",
        text(&out)
    );

    server.restart();
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    let rerun = hexmatrix(&slow);
    assert!(rerun.status.success(), "{}", text(&rerun));
    let log = text(&rerun);
    assert!(!log.contains(" 0 resumed"), "{log}");
    assert!(log.contains(&format!("{} in total", big.pairs)), "{log}");
    assert_eq!(server.cli(&["get", "route:current"]), "v2");
}

#[test]
fn a_missing_matrix_is_bad_input_and_redis_is_not_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let server = RedisServer::start();
    let missing = tmp.path().join("no-matrix");
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        missing.to_str().unwrap(),
        "--redis",
        &server.url(),
        "--version",
        "v1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no-matrix"), "{}", text(&out));
    assert_eq!(server.cli(&["dbsize"]), "0");
}

#[test]
fn rows_layout_from_the_command_line_and_lookup_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = write_matrix(&dir, &MatrixSpec::default());
    let server = RedisServer::start();
    let url = server.url();
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        dir.to_str().unwrap(),
        "--redis",
        &url,
        "--version",
        "r1",
        "--layout",
        "rows",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("layout rows"), "{log}");
    assert!(
        log.contains(&format!(
            "every row's length checked ({} rows)",
            m.cells.len()
        )),
        "{log}"
    );
    assert_eq!(
        server.cli(&["strlen", &format!("route:r1:row:{:x}", m.cells[0])]),
        (m.cells.len() * 8).to_string()
    );
    let (a, b) = (centre(m.cells[0]), centre(m.cells[1]));
    let look = hexmatrix(&["lookup", "--redis", &url, &a, &b]);
    assert!(look.status.success(), "{}", text(&look));
    let stdout = String::from_utf8_lossy(&look.stdout);
    assert!(stdout.contains("layout rows"), "{stdout}");
    let (dist, dur) = m.route(m.cells[0], m.cells[1], 37).unwrap();
    let want = format!(
        "{:.1} m, {:.1} s",
        f64::from(dist).round(),
        (f64::from(dur) * 10.0).round() / 10.0
    );
    let line = stdout
        .lines()
        .find(|l| l.contains(&format!("GETRANGE route:r1:row:{:x} 8 15", m.cells[0])))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(&want), "{line} vs {want}");
}

/// Issue 11: a TTL past anything Redis accepts was an arithmetic overflow (a panic).
#[test]
fn issue_11_huge_ttl_is_refused_with_exit_2_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let _ = write_matrix(&dir, &MatrixSpec::default());
    let resp = tmp.path().join("out.resp");
    for (ttl, jitter) in [("18446744073709551615", "1"), ("20000d", "0")] {
        let out = hexmatrix(&[
            "warm",
            "--matrix",
            dir.to_str().unwrap(),
            "--resp-out",
            resp.to_str().unwrap(),
            "--ttl",
            ttl,
            "--ttl-jitter",
            jitter,
        ]);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "--ttl {ttl}: {said}");
        assert!(said.contains("ttl") && said.contains("at most"), "{said}");
        assert!(!said.contains("panicked"), "{said}");
    }
    let out = hexmatrix(&[
        "warm",
        "--matrix",
        dir.to_str().unwrap(),
        "--resp-out",
        resp.to_str().unwrap(),
        "--no-route-ttl",
        "18446744073709551615",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
