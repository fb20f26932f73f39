//! A three-master Redis Cluster: every key lands, and with the `cluster` preset a
//! gateway reads a whole matrix row with one MGET.

use hexmatrix_warm::KeyTemplate;
use hexmatrix_warm::ServerStats;
use hexmatrix_warm::fixture::RedisCluster;
use hexmatrix_warm::lookup::{self, Answer};
use hexmatrix_warm::{Error, Target, WarmStatus};

use crate::support::{Watch, options, small_matrix, warm};

#[test]
fn cluster_load_lands_every_key_and_rows_mget() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let cluster = RedisCluster::start(3);
    let target = Target::Cluster(cluster.urls());
    let mut opts = options(&m, target.clone(), "c1");
    opts.key_template = KeyTemplate::parse("cluster").unwrap();
    let s = warm(&opts).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(s.keys_total, m.pairs);
    assert!(s.dbsize_checked);

    // Every master holds some of the keys; together exactly the pairs + 4 bookkeeping keys
    // (cells, manifest, progress, pointer).
    let stats = ServerStats::read(&target).unwrap();
    assert_eq!(stats.nodes.len(), 3);
    assert!(stats.nodes.iter().all(|n| n.dbsize > 0), "{stats:?}");
    assert_eq!(stats.dbsize(), m.pairs + 4);

    // One MGET of a row: all keys of an origin share a slot.
    let node = &cluster.nodes[0];
    let origin = m.cells[5];
    let keys: Vec<String> = m
        .cells
        .iter()
        .map(|d| format!("route:c1:{{{origin:x}}}:{d:x}"))
        .collect();
    let mut args = vec!["-c", "mget"];
    args.extend(keys.iter().map(String::as_str));
    let out = node.cli(&args);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("{\"dist\"")).count(),
        m.cells.len(),
        "{out}"
    );

    let (mut conn, cur) = lookup::open(
        &target,
        "route:current",
        &KeyTemplate::parse("cluster").unwrap(),
    )
    .unwrap();
    let pts: Vec<(f64, f64)> = m.cells[..4]
        .iter()
        .map(|&c| {
            let ll = h3o::LatLng::from(h3o::CellIndex::try_from(c).unwrap());
            (ll.lat(), ll.lng())
        })
        .collect();
    let answers = cur.pairs(&mut conn, &pts).unwrap();
    assert_eq!(answers.len(), 12);
    assert!(
        answers.iter().all(|a| !matches!(a.answer, Answer::Miss)),
        "{answers:?}"
    );
}

#[test]
fn a_cluster_master_lost_mid_load_keeps_the_pointer_and_the_rerun_completes() {
    use hexmatrix_warm::Layout;
    use hexmatrix_warm::fixture::{MatrixSpec, write_matrix};
    use hexmatrix_warm::raw as version;

    let tmp = tempfile::tempdir().unwrap();
    let m = write_matrix(
        tmp.path(),
        &MatrixSpec {
            ok_cells: 250,
            ..MatrixSpec::default()
        },
    );
    let mut cluster = RedisCluster::start(3);
    let target = Target::Cluster(cluster.urls());
    let mut old = options(&m, target.clone(), "v0");
    old.layout = Layout::Rows;
    warm(&old).unwrap();

    // A master dies (without persistence) a few thousand keys into the next load.
    let counters = Watch::default();
    let keys = counters.clone();
    let port = cluster.nodes[1].port().to_string();
    let killer = std::thread::spawn(move || {
        while keys.items("keys") < 3000 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = std::process::Command::new("redis-cli")
            .args(["-p", &port, "shutdown", "nosave"])
            .output();
    });
    let opts = options(&m, target.clone(), "v1");
    let err = counters.warm(&opts).unwrap_err();
    killer.join().unwrap();
    assert!(!err.is_bad_input(), "a redis failure (exit 4): {err:?}");
    // `route:current` hashes to slot 11800, on the third master: the lost one (slots
    // 5461-10922) takes only version keys with it.
    cluster.nodes[1].restart();
    wait_for_cluster(&cluster);
    let mut cluster_conn = target.connect().unwrap();
    assert_eq!(
        version::read_pointer(&mut cluster_conn, "route:current")
            .unwrap()
            .as_deref(),
        Some("v0"),
        "the failed load did not move the pointer"
    );

    // The rerun completes and publishes; whatever the restarted node lost is reloaded
    // or caught by verification (a failed one forgets the checkpoints, then reloads).
    let s = match warm(&opts) {
        Ok(s) => s,
        Err(Error::Verify { .. }) => warm(&opts).unwrap(),
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(s.keys_total, m.pairs);
    assert_eq!(
        version::read_pointer(&mut cluster_conn, "route:current")
            .unwrap()
            .as_deref(),
        Some("v1")
    );
}

fn wait_for_cluster(cluster: &RedisCluster) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !cluster
        .nodes
        .iter()
        .all(|n| n.cli(&["cluster", "info"]).contains("cluster_state:ok"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "cluster did not recover"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
