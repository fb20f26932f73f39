//! The rows layout, memory-pressure refusals, the pointer's compare-and-set,
//! checkpoints after a failed verification and TTL refresh on unchanged nights.

use hexmatrix_warm::KeyTemplate;
use hexmatrix_warm::fixture::{MatrixSpec, RedisCluster, RedisServer, SynthMatrix, write_matrix};
use hexmatrix_warm::lookup::{self, Answer};
use hexmatrix_warm::raw as version;
use hexmatrix_warm::raw::{self as rows, Entry};
use hexmatrix_warm::{Error, Layout, Target, WarmOptions, WarmStatus};

use crate::support::{options, small_matrix, warm};

fn rows_options(m: &SynthMatrix, target: Target, version: &str) -> WarmOptions {
    let mut o = options(m, target, version);
    o.layout = Layout::Rows;
    o
}

fn connection(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("connect to the test server")
}

fn get_bytes(con: &mut redis::Connection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET").arg(key).query(con).expect("GET")
}

/// The entry a row must hold for `(origin, dest)`: the matrix itself is the oracle.
fn expected_entry(m: &SynthMatrix, origin: u64, dest: u64, max_duration_s: Option<f64>) -> Entry {
    if origin == dest {
        return Entry::Route {
            duration_ds: 0,
            distance_m: 0,
        };
    }
    match m.route(origin, dest, 37) {
        None => Entry::NoRoute,
        Some((_, dur)) if max_duration_s.is_some_and(|l| f64::from(dur) > l) => {
            Entry::BeyondMaxDuration
        }
        Some((dist, dur)) => Entry::Route {
            duration_ds: (f64::from(dur) * 10.0).round() as u32,
            distance_m: f64::from(dist).round() as u32,
        },
    }
}

#[test]
fn rows_layout_holds_every_pair_in_one_row_per_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start();
    let target = Target::Single(server.url());
    let mut opts = rows_options(&m, target.clone(), "r1");
    opts.max_duration = hexmatrix_contract::DurationLimit::from_secs(150.0).ok();
    let s = warm(&opts).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(s.layout, Layout::Rows);
    let cells = m.cells.len() as u64;
    assert_eq!(s.keys_total, cells, "one key per origin");
    assert_eq!(s.rows_checked, cells);
    assert_eq!(s.rows_read, m.pairs);
    assert!(s.dbsize_checked);
    assert!(s.beyond_max_duration > 0);
    assert!(s.estimated_bytes > 0);

    let mut con = connection(&server.url());
    let dbsize: u64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(
        dbsize,
        cells + 5,
        "rows + index, cells, manifest, progress, pointer"
    );
    let index = get_bytes(&mut con, "route:r1:index").unwrap();
    assert_eq!(rows::parse_index(&index).unwrap(), m.cells);
    let mut beyond = 0;
    for &origin in &m.cells {
        let key = format!("route:r1:row:{origin:x}");
        let row = get_bytes(&mut con, &key).unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(row.len(), m.cells.len() * 8);
        for (i, &dest) in m.cells.iter().enumerate() {
            let got = rows::decode(&row[8 * i..8 * i + 8]).unwrap();
            let want = expected_entry(&m, origin, dest, Some(150.0));
            beyond += u64::from(want == Entry::BeyondMaxDuration);
            assert_eq!(got, want, "{origin:x} -> {dest:x}");
        }
        let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut con).unwrap();
        assert!(
            (7 * 86_400 - 5..=7 * 86_400 + 60_480).contains(&ttl),
            "ttl {ttl}"
        );
    }
    assert_eq!(beyond, s.beyond_max_duration);
    let manifest: serde_json::Value = serde_json::from_str(
        &String::from_utf8(get_bytes(&mut con, "route:r1:manifest").unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["layout"], "rows");
    assert_eq!(manifest["index_key"], "route:r1:index");
    assert_eq!(manifest["row_key_prefix"], "route:r1:row:");
    assert_eq!(manifest["value_format"], "binary");

    // The gateway side: binary search in the index, one GETRANGE per pair.
    let (mut conn, cur) = lookup::open(
        &target,
        "route:current",
        &KeyTemplate::parse("default").unwrap(),
    )
    .unwrap();
    assert_eq!(cur.layout(), Layout::Rows);
    let pts: Vec<(f64, f64)> = m.cells[..6]
        .iter()
        .map(|&c| hexmatrix_warm::fixture::cell_centre(c))
        .collect();
    let answers = cur.pairs(&mut conn, &pts).unwrap();
    assert_eq!(answers.len(), 30);
    for a in &answers {
        let (o, d) = (m.cells[a.from], m.cells[a.to]);
        match (expected_entry(&m, o, d, Some(150.0)), &a.answer) {
            (
                Entry::Route {
                    duration_ds,
                    distance_m: dist,
                },
                Answer::Route {
                    distance_m,
                    duration_s,
                },
            ) => {
                assert_eq!(distance_m.to_bits(), f64::from(dist).to_bits());
                assert_eq!((duration_s * 10.0).round() as u32, duration_ds);
            }
            (Entry::NoRoute, Answer::NoRoute)
            | (Entry::BeyondMaxDuration, Answer::BeyondMaxDuration) => {}
            other => panic!("{o:x} -> {d:x}: {other:?} ({})", a.key),
        }
        assert!(a.key.starts_with("GETRANGE route:r1:row:"), "{}", a.key);
    }
    let rate = cur.sample(&mut conn, 300, 3).unwrap();
    assert_eq!(
        rate.routes + rate.no_route + rate.misses + rate.same_cell,
        300
    );
    assert!(rate.routes > 0, "{rate:?}");

    // A second run: already current, nothing written.
    let again = warm(&opts).unwrap();
    assert_eq!(again.status, WarmStatus::AlreadyCurrent);
    assert_eq!(again.keys_written, 0);
}

#[test]
fn rows_layout_on_a_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let cluster = RedisCluster::start(3);
    let target = Target::Cluster(cluster.urls());
    let s = warm(&rows_options(&m, target.clone(), "c1")).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(s.rows_checked, m.cells.len() as u64);
    let stats = hexmatrix_warm::ServerStats::read(&target).unwrap();
    assert!(stats.nodes.iter().all(|n| n.dbsize > 0), "{stats:?}");
    assert_eq!(stats.dbsize(), m.cells.len() as u64 + 5);
    let (mut conn, cur) = lookup::open(
        &target,
        "route:current",
        &KeyTemplate::parse("default").unwrap(),
    )
    .unwrap();
    let pts: Vec<(f64, f64)> = m.cells[..5]
        .iter()
        .map(|&c| hexmatrix_warm::fixture::cell_centre(c))
        .collect();
    let answers = cur.pairs(&mut conn, &pts).unwrap();
    assert_eq!(answers.len(), 20);
    assert!(
        answers
            .iter()
            .all(|a| matches!(a.answer, Answer::Route { .. } | Answer::NoRoute)),
        "{answers:?}"
    );
}

#[test]
fn a_load_that_does_not_fit_is_refused_before_writing() {
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
    let server =
        RedisServer::start_with(&["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"]);
    let target = Target::Single(server.url());
    warm(&options(&old, target.clone(), "v1")).unwrap();
    let dbsize = server.cli(&["dbsize"]);
    // 62,500 pair keys need ~13 MiB: refused, naming both numbers, nothing written.
    let err = warm(&options(&big, target.clone(), "v2")).unwrap_err();
    assert!(matches!(err, Error::WontFit { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("12.9 MiB") && text.contains("maxmemory 4194304 bytes"),
        "{text}"
    );
    assert_eq!(server.cli(&["dbsize"]), dbsize, "nothing written");
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    // The same matrix as rows fits (250 rows of 2 kB).
    let s = warm(&rows_options(&big, target, "v2")).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(server.cli(&["get", "route:current"]), "v2");
}

#[test]
fn an_evicting_policy_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server =
        RedisServer::start_with(&["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]);
    let target = Target::Single(server.url());
    let err = warm(&options(&m, target.clone(), "v1")).unwrap_err();
    assert!(matches!(err, Error::EvictionPolicy { .. }), "{err:?}");
    assert!(err.to_string().contains("--allow-eviction"), "{err}");
    assert_eq!(server.cli(&["dbsize"]), "0");
    let mut opts = options(&m, target, "v1");
    opts.allow_eviction = true;
    warm(&opts).unwrap();
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
}

#[test]
fn the_pointer_moves_only_from_what_it_named_at_the_start() {
    let server = RedisServer::start();
    let mut conn = Target::Single(server.url()).connect().unwrap();
    version::move_pointer(&mut conn, "p", None, "v1").unwrap();
    version::move_pointer(&mut conn, "p", Some("v1"), "v2").unwrap();
    assert_eq!(server.cli(&["get", "p"]), "v2");
    // A slower load that started when v1 was current must not roll v2 back.
    let err = version::move_pointer(&mut conn, "p", Some("v1"), "v0").unwrap_err();
    assert!(matches!(err, Error::PointerMoved { .. }), "{err:?}");
    assert!(err.to_string().contains("names v2 now"), "{err}");
    assert_eq!(server.cli(&["get", "p"]), "v2");
    let err = version::move_pointer(&mut conn, "q", Some("v1"), "v3").unwrap_err();
    assert!(err.to_string().contains("(unset)"), "{err}");
    assert_eq!(server.cli(&["exists", "q"]), "0");
}

#[test]
fn a_failed_verification_forgets_the_checkpoints() {
    for layout in [Layout::Pairs, Layout::Rows] {
        let tmp = tempfile::tempdir().unwrap();
        let m = small_matrix(tmp.path());
        let server = RedisServer::start();
        let target = Target::Single(server.url());
        let mut opts = options(&m, target, "v1");
        opts.layout = layout;
        opts.verify_sample = 2000;
        opts.pointer_key = "ptr".into();
        warm(&opts).unwrap();
        // Lose data and the manifest but keep the checkpoints, as a failed or
        // interrupted publication would.
        assert_eq!(server.cli(&["del", "route:v1:manifest", "ptr"]), "2");
        let victims = match layout {
            // One origin in each part: the read-back of resumed parts samples some parts.
            Layout::Pairs => [3, 20, 35]
                .iter()
                .flat_map(|&o| m.cells.iter().map(move |d| (o, *d)))
                .map(|(o, d)| format!("route:v1:{:x}:{d:x}", m.cells[o]))
                .collect::<Vec<_>>(),
            Layout::Rows => vec![format!("route:v1:row:{:x}", m.cells[3])],
        };
        let mut args = vec!["del"];
        args.extend(victims.iter().map(String::as_str));
        assert_eq!(server.cli(&args), victims.len().to_string());
        let err = warm(&opts).unwrap_err();
        assert!(matches!(err, Error::Verify { .. }), "{layout}: {err:?}");
        assert_eq!(server.cli(&["exists", "ptr"]), "0", "{layout}");
        assert_eq!(
            server.cli(&["exists", "route:v1:progress"]),
            "0",
            "{layout}"
        );
        // The rerun reloads every part instead of trusting the old checkpoints.
        let s = warm(&opts).unwrap();
        assert_eq!(s.parts_resumed, 0, "{layout}");
        assert_eq!(s.parts_loaded, s.parts_total, "{layout}");
        assert_eq!(server.cli(&["get", "ptr"]), "v1", "{layout}");
        for v in &victims {
            assert_eq!(server.cli(&["exists", v]), "1", "{layout}: {v}");
        }
    }
}

#[test]
fn an_unchanged_night_refreshes_ttls_past_half_life() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start();
    let target = Target::Single(server.url());
    let mut opts = rows_options(&m, target.clone(), "v1");
    opts.ttl.ttl_s = 1000;
    opts.ttl.jitter = 0.0;
    warm(&opts).unwrap();
    let row = format!("route:v1:row:{:x}", m.cells[0]);
    // Four nights later in TTL terms: the keys have 300 s left and the manifest
    // says they were loaded 700 s ago.
    let mut conn = target.connect().unwrap();
    let mut manifest = version::read_manifest(&mut conn, "route:v1:manifest")
        .unwrap()
        .unwrap();
    manifest.loaded_at_unix -= 700;
    version::write_manifest(&mut conn, "route:v1:manifest", &manifest, 5000).unwrap();
    assert_eq!(server.cli(&["expire", &row, "300"]), "1");
    let s = warm(&opts).unwrap();
    assert_eq!(s.status, WarmStatus::Refreshed);
    assert_eq!(s.keys_written, m.cells.len() as u64);
    let ttl: i64 = server.cli(&["ttl", &row]).parse().unwrap();
    assert!(ttl > 990, "ttl {ttl}");
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    // Freshly loaded now: the next night does nothing.
    let next = warm(&opts).unwrap();
    assert_eq!(next.status, WarmStatus::AlreadyCurrent);
}

#[test]
fn switching_layouts_reloads_the_version() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start();
    let target = Target::Single(server.url());
    warm(&options(&m, target.clone(), "v1")).unwrap();
    let s = warm(&rows_options(&m, target.clone(), "v1")).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(s.keys_written, m.cells.len() as u64);
    let (_, cur) = lookup::open(
        &target,
        "route:current",
        &KeyTemplate::parse("default").unwrap(),
    )
    .unwrap();
    assert_eq!(cur.layout(), Layout::Rows);
}
