//! A three-master Redis Cluster: every key lands, and with the `cluster` preset a
//! gateway reads a whole matrix row with one MGET.

use hexmatrix_warm::fixture::RedisCluster;
use hexmatrix_warm::keys::KeyTemplate;
use hexmatrix_warm::lookup::{self, Answer};
use hexmatrix_warm::server::ServerStats;
use hexmatrix_warm::{Counters, Target, WarmStatus, warm};

use crate::support::{options, small_matrix};

#[test]
fn cluster_load_lands_every_key_and_rows_mget() {
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let cluster = RedisCluster::start(3);
    let target = Target::Cluster(cluster.urls());
    let mut opts = options(&m, target.clone(), "c1");
    opts.key_template = KeyTemplate::parse("cluster").unwrap();
    let s = warm(&opts, &Counters::default()).unwrap();
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
