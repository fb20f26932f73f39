//! TLS (`rediss://`) against `redis-server --tls-port` with a CA made by the test:
//! a whole load lands and reads back, a Cluster keeps TLS for every master, and a
//! server whose certificate chains to another CA is refused by name.

use hexmatrix_warm::CA_PARAM;
use hexmatrix_warm::KeyTemplate;
use hexmatrix_warm::ServerStats;
use hexmatrix_warm::fixture::{RedisCluster, RedisServer, TestCa};
use hexmatrix_warm::{Error, Target, WarmStatus};

use crate::support::{options, small_matrix, warm};

/// `url` trusting the CA of `ca` only.
fn with_ca(url: &str, ca: &TestCa) -> String {
    format!("{url}?{CA_PARAM}={}", ca.ca().display())
}

#[test]
fn rediss_load_with_a_private_ca_lands_every_key() {
    let Some(ca) = TestCa::if_supported() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start_tls(&ca, &[]);
    let url = with_ca(&server.url(), &ca);
    assert!(url.starts_with("rediss://127.0.0.1:"), "{url}");
    let s = warm(&options(&m, Target::Single(url), "v1")).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert_eq!(s.keys_written, m.pairs);
    assert!(s.dbsize_checked);
    assert_eq!(s.pairs_read_back, 200);

    // redis-cli over TLS is the oracle.
    assert_eq!(server.cli(&["dbsize"]), (m.pairs + 4).to_string());
    assert_eq!(server.cli(&["get", "route:current"]), "v1");
    let (o, d) = (m.cells[3], m.cells[7]);
    let value = server.cli(&["get", &format!("route:v1:{o:x}:{d:x}")]);
    match m.route(o, d, 37) {
        Some(_) => assert!(value.starts_with("{\"dist\":"), "{value}"),
        None => assert_eq!(value, r#"{"dist":-1,"dur":-1}"#),
    }
}

#[test]
fn rediss_server_from_another_ca_is_refused_by_name() {
    let Some(ca) = TestCa::if_supported() else {
        return;
    };
    let other = TestCa::new();
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let server = RedisServer::start_tls(&ca, &[]);
    // Trusting another CA, then the system roots: neither signed this server.
    for url in [with_ca(&server.url(), &other), server.url()] {
        let err = warm(&options(&m, Target::Single(url.clone()), "v1")).unwrap_err();
        assert!(matches!(err, Error::Connect { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("cannot connect to redis at {url}")),
            "{text}"
        );
        assert!(
            text.contains("invalid peer certificate: UnknownIssuer"),
            "{text}"
        );
    }
    assert_eq!(server.cli(&["dbsize"]), "0");
}

#[test]
fn rediss_cluster_keeps_tls_for_every_master() {
    let Some(ca) = TestCa::if_supported() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let m = small_matrix(tmp.path());
    let cluster = RedisCluster::start_tls(3, &ca);
    let urls: Vec<String> = cluster.urls().iter().map(|u| with_ca(u, &ca)).collect();
    let target = Target::Cluster(urls);
    let mut opts = options(&m, target.clone(), "c1");
    opts.key_template = KeyTemplate::parse("cluster").unwrap();
    let s = warm(&opts).unwrap();
    assert_eq!(s.status, WarmStatus::Loaded);
    assert!(s.dbsize_checked);

    // Per-master connections (from CLUSTER NODES) speak TLS as the seed does.
    let stats = ServerStats::read(&target).unwrap();
    assert_eq!(stats.nodes.len(), 3);
    assert!(
        stats.nodes.iter().all(|n| n.url.starts_with("rediss://")),
        "{stats:?}"
    );
    assert_eq!(stats.dbsize(), m.pairs + 4);
    let total: u64 = cluster
        .nodes
        .iter()
        .map(|n| n.cli(&["dbsize"]).parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, m.pairs + 4);
}
