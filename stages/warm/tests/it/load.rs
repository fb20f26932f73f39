//! Loading into one server: keys, values, TTLs, cell set, manifest, pointer,
//! re-runs and `--force`.

use hexmatrix_warm::KeyTemplate;
use hexmatrix_warm::fixture::{MatrixSpec, RedisServer, write_matrix};
use hexmatrix_warm::lookup::{self, Answer};
use hexmatrix_warm::{Error, Sink, Target, ValueFormat, WarmStatus};

use crate::support::{Watch, get, options, small_matrix, warm};

#[test]
fn load_writes_every_pair_and_moves_the_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start();
    let target = Target::Single(server.url());
    let counters = Watch::default();
    let s = counters.warm(&options(&m, target.clone(), "v1")).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(s.keys_total, m.pairs);
    assert_eq!(s.keys_written, m.pairs);
    assert_eq!(s.no_route_keys, m.unreachable);
    assert!(m.unreachable > 0);
    assert_eq!(counters.items("keys"), m.pairs);
    assert!(s.dbsize_checked);
    assert_eq!(s.pairs_read_back, 200);
    assert!(s.used_memory_after > s.used_memory_before);
    assert_eq!(s.previous_version, None);

    // Redis is the oracle: every pair key, with the right value and a jittered TTL.
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_connection().unwrap();
    let dbsize: u64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(
        dbsize,
        m.pairs + 4,
        "pairs + cells + manifest + progress + pointer"
    );
    assert_eq!(get(&mut con, "route:current").as_deref(), Some("v1"));
    let mut ttls = std::collections::BTreeSet::new();
    for &origin in &m.cells {
        for &dest in &m.cells {
            let key = format!("route:v1:{origin:x}:{dest:x}");
            let value = get(&mut con, &key).unwrap_or_else(|| panic!("{key} missing"));
            let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut con).unwrap();
            if let Some((dist, dur)) = m.route(origin, dest, 37) {
                let parsed: serde_json::Value = serde_json::from_str(&value).unwrap();
                let close = |field: &str, want: f32| {
                    (parsed[field].as_f64().unwrap() - f64::from(want)).abs() <= 0.05 + 1e-9
                };
                assert!(close("dist", dist) && close("dur", dur), "{value}");
                assert!(
                    (7 * 86_400 - 5..=7 * 86_400 + 60_480).contains(&ttl),
                    "ttl {ttl}"
                );
                ttls.insert(ttl);
            } else {
                assert_eq!(value, r#"{"dist":-1,"dur":-1}"#);
                assert!(
                    (86_400 - 5..=86_400 + 8640).contains(&ttl),
                    "no-route ttl {ttl}"
                );
            }
        }
    }
    assert!(ttls.len() > 10, "TTLs are jittered");
    let cells: Vec<String> = redis::cmd("SMEMBERS")
        .arg("route:v1:cells")
        .query(&mut con)
        .unwrap();
    assert_eq!(cells.len(), m.cells.len());
    assert!(cells.contains(&format!("{:x}", m.cells[0])));
    let manifest: serde_json::Value =
        serde_json::from_str(&get(&mut con, "route:v1:manifest").unwrap()).unwrap();
    assert_eq!(manifest["resolution"], 9);
    assert_eq!(manifest["keys"], m.pairs);
    assert_eq!(manifest["key_template"], "route:{version}:{origin}:{dest}");

    // A gateway reading it.
    let (mut conn, cur) = lookup::open(
        &target,
        "route:current",
        &KeyTemplate::parse("default").unwrap(),
    )
    .unwrap();
    let pts: Vec<(f64, f64)> = m.cells[..3]
        .iter()
        .map(|&cell| {
            let ll = h3o::LatLng::from(h3o::CellIndex::try_from(cell).unwrap());
            (ll.lat(), ll.lng())
        })
        .collect();
    let answers = cur.pairs(&mut conn, &pts).unwrap();
    assert_eq!(answers.len(), 6);
    for a in &answers {
        let (origin, dest) = (m.cells[a.from], m.cells[a.to]);
        match (m.route(origin, dest, 37), &a.answer) {
            (Some((dist, _)), Answer::Route { distance_m, .. }) => {
                assert!((distance_m - f64::from(dist)).abs() < 0.06);
            }
            (None, Answer::NoRoute) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let rate = cur.sample(&mut conn, 300, 7).unwrap();
    assert_eq!(rate.pairs, 300);
    assert_eq!(
        rate.routes + rate.no_route + rate.misses + rate.same_cell,
        300
    );
    assert!(rate.routes > 0, "{rate:?}");
}

#[test]
fn rerun_is_a_no_op_and_force_reloads() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start();
    let target = Target::Single(server.url());
    let opts = options(&m, target.clone(), "v1");
    warm(&opts).unwrap();
    let again = warm(&opts).unwrap();
    assert_eq!(again.status, WarmStatus::AlreadyCurrent);
    assert_eq!(again.keys_written, 0);
    assert_eq!(again.keys_total, m.pairs);

    // Another version becomes current; warming v1 again only moves the pointer back.
    let v2 = warm(&options(&m, target.clone(), "v2")).unwrap();
    assert_eq!(v2.previous_version.as_deref(), Some("v1"));
    let back = warm(&opts).unwrap();
    assert_eq!(back.status, WarmStatus::Repointed);
    assert_eq!(back.keys_written, 0);
    assert!(back.pairs_read_back > 0);
    assert_eq!(server.cli(&["get", "route:current"]), "v1");

    // --force rewrites every key (TTLs restart).
    let key = format!("route:v1:{:x}:{:x}", m.cells[0], m.cells[1]);
    assert_eq!(server.cli(&["expire", &key, "50"]), "1");
    let mut forced = opts.clone();
    forced.force = true;
    let f = warm(&forced).unwrap();
    assert_eq!(f.status, WarmStatus::Loaded);
    assert_eq!(f.keys_written, m.pairs);
    let ttl: i64 = server.cli(&["ttl", &key]).parse().unwrap();
    assert!(ttl > 86_400, "ttl {ttl}");
}

#[test]
fn another_matrix_under_the_same_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = small_matrix(&tmp.path().join("a"));
    let b = write_matrix(
        &tmp.path().join("b"),
        &MatrixSpec {
            tag: "other".into(),
            ..MatrixSpec::default()
        },
    );
    let server = RedisServer::start();
    let target = Target::Single(server.url());
    warm(&options(&a, target.clone(), "v1")).unwrap();
    let err = warm(&options(&b, target, "v1")).unwrap_err();
    assert!(matches!(err, Error::VersionConflict { .. }), "{err}");
    assert!(err.to_string().contains("--force"), "{err}");
}

#[test]
fn max_duration_text_format_and_custom_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start();
    let mut opts = options(&m, Target::Single(server.url()), "t1");
    opts.value_format = ValueFormat::Text;
    opts.max_duration = hexmatrix_contract::DurationLimit::from_secs(150.0).ok();
    opts.pointer_key = "route:valletta:current".into();
    opts.key_template = KeyTemplate::parse("cluster").unwrap();
    opts.ttl.ttl_s = 1000;
    opts.ttl.no_route_ttl_s = 100;
    opts.ttl.jitter = 0.0;
    let s = warm(&opts).unwrap();
    let mut con = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut ttl = |key: &str| -> i64 { redis::cmd("TTL").arg(key).query(&mut con).unwrap() };
    let mut expected = 0;
    let mut beyond = 0;
    let mut con2 = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    for &o in &m.cells {
        for &d in &m.cells {
            let key = format!("route:t1:{{{o:x}}}:{d:x}");
            let got = get(&mut con2, &key);
            match m.route(o, d, 37) {
                Some((_, dur)) if f64::from(dur) > 150.0 => {
                    beyond += 1;
                    assert_eq!(got, None, "{key} beyond the limit must be absent");
                }
                Some((dist, dur)) => {
                    expected += 1;
                    let want = format!(
                        "{},{:.1}",
                        f64::from(dist).round(),
                        (f64::from(dur) * 10.0).round() / 10.0
                    );
                    assert_eq!(got, Some(want));
                    assert!(
                        (990..=1000).contains(&ttl(&key)),
                        "jitter 0: ttl is the base"
                    );
                }
                None => {
                    expected += 1;
                    assert_eq!(got.as_deref(), Some("-1,-1"));
                    assert!((90..=100).contains(&ttl(&key)), "no-route ttl");
                }
            }
        }
    }
    assert!(beyond > 0);
    assert_eq!(s.keys_total, expected);
    assert_eq!(s.beyond_max_duration, beyond);
    assert_eq!(server.cli(&["get", "route:valletta:current"]), "t1");
    assert_eq!(server.cli(&["exists", "route:current"]), "0");
}

#[test]
fn resp_file_holds_the_same_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(&tmp.path().join("m"));
    let resp = tmp.path().join("load.resp");
    let mut opts = options(&m, Target::Single(String::new()), "r1");
    opts.sink = Sink::RespFile(resp.clone());
    let s = warm(&opts).unwrap();
    assert_eq!(s.status, WarmStatus::RespFile);
    assert_eq!(s.keys_written, m.pairs);
    let bytes = std::fs::read(&resp).unwrap();
    assert_eq!(bytes.len() as u64, s.bytes_sent);
    // redis-cli --pipe accepts it and the keys land.
    let server = RedisServer::start();
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &server.port().to_string(), "--pipe"])
        .stdin(std::fs::File::open(&resp).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("errors: 0, replies: {}", m.pairs)),
        "{text}"
    );
    assert_eq!(server.cli(&["dbsize"]), m.pairs.to_string());
}
