//! Faults with real servers: unreachable, wrong password, killed mid-load,
//! out of memory. The pointer never moves on a failed load.

use std::time::{Duration, Instant};

use hexmatrix_warm::fixture::{MatrixSpec, RedisServer, write_matrix};
use hexmatrix_warm::{Error, Target, WarmStatus};

use crate::support::{Watch, options, small_matrix, warm};

#[test]
fn unreachable_server_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let mut server = RedisServer::start();
    let url = server.url();
    server.kill();
    let err = warm(&options(&m, Target::Single(url.clone()), "v1")).unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("cannot connect to redis at {url}")),
        "{err}"
    );
}

#[test]
fn wrong_password_is_a_clear_error_and_right_one_works() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start_with(&["--requirepass", "s3cret"]);
    let port = server.port();
    for url in [
        format!("redis://:wrong@127.0.0.1:{port}/0"),
        format!("redis://127.0.0.1:{port}/0"),
    ] {
        let err = warm(&options(&m, Target::Single(url), "v1")).unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("refused the credentials"), "{text}");
        assert!(!text.contains("wrong"), "password leaked: {text}");
    }
    let ok = format!("redis://:s3cret@127.0.0.1:{port}/0");
    let s = warm(&options(&m, Target::Single(ok), "v1")).unwrap();
    assert_eq!(s.keys_total, m.pairs);
}

#[test]
fn killed_mid_load_keeps_the_pointer_and_the_rerun_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let old = small_matrix(&tmp.path().join("old"));
    // Many small parts, so checkpoints land while the load is running.
    let big = write_matrix(
        &tmp.path().join("big"),
        &MatrixSpec {
            ok_cells: 400,
            origin_block_size: 5,
            tag: "big".into(),
            ..MatrixSpec::default()
        },
    );
    // AOF with fsync always: what Redis acknowledged survives the kill, as in production.
    let mut server = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let target = Target::Single(server.url());
    warm(&options(&old, target.clone(), "v1")).unwrap();

    let counters = Watch::default();
    let mut opts = options(&big, target.clone(), "v2");
    opts.connections = 1;
    opts.in_flight = 1;
    let handle = {
        let (opts, counters) = (opts.clone(), counters.clone());
        std::thread::spawn(move || counters.warm(&opts))
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while server
        .cli(&["hlen", "route:v2:progress"])
        .parse::<u64>()
        .unwrap_or(0)
        < 3
    {
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    let err = handle.join().unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Redis { .. } | Error::Connect { .. }),
        "{err:?}"
    );
    assert!(counters.items("keys") < big.pairs);

    server.restart();
    assert_eq!(
        server.cli(&["get", "route:current"]),
        "v1",
        "pointer unchanged"
    );
    let done_before: u64 = server.cli(&["hlen", "route:v2:progress"]).parse().unwrap();
    assert!(done_before >= 3, "checkpoints survived: {done_before}");
    let s = warm(&opts).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert!(s.parts_resumed >= 2, "{s:?}");
    assert!(
        s.keys_written < big.pairs,
        "only the rest was loaded: {s:?}"
    );
    assert_eq!(s.keys_total, big.pairs);
    assert_eq!(s.previous_version.as_deref(), Some("v1"));
    assert_eq!(server.cli(&["get", "route:current"]), "v2");
    // v1: pairs + cells, manifest, progress; v2: the same; and the pointer.
    let keys_v2: u64 = server.cli(&["dbsize"]).parse::<u64>().unwrap() - old.pairs - 3 - 3 - 1;
    assert_eq!(keys_v2, big.pairs);
}

#[test]
fn out_of_memory_names_the_limit_and_keeps_the_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let old = small_matrix(&tmp.path().join("old"));
    let big = write_matrix(
        &tmp.path().join("big"),
        &MatrixSpec {
            ok_cells: 250,
            tag: "big".into(),
            ..MatrixSpec::default()
        },
    );
    // The estimate (~13 MiB) fits in 18 MiB, so the load starts; then the memory
    // left shrinks under it (another tenant, or an operator lowering maxmemory).
    let server =
        RedisServer::start_with(&["--maxmemory", "18mb", "--maxmemory-policy", "noeviction"]);
    let target = Target::Single(server.url());
    warm(&options(&old, target.clone(), "v1")).unwrap();
    let counters = Watch::default();
    let keys = counters.clone();
    let url = server.url();
    let squeeze = std::thread::spawn(move || {
        while keys.items("keys") < 2000 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
        let info: String = redis::cmd("INFO").arg("memory").query(&mut con).unwrap();
        let used: u64 = info
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("maxmemory")
            .arg(used + (1 << 20))
            .query(&mut con)
            .unwrap();
    });
    let err = counters.warm(&options(&big, target, "v2")).unwrap_err();
    squeeze.join().unwrap();
    assert!(matches!(err, Error::OutOfMemory { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("maxmemory 18874368 bytes"), "{text}");
    assert!(text.contains("noeviction"), "{text}");
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    assert_eq!(server.cli(&["exists", "route:v2:manifest"]), "0");
}
