//! Issue 13: `warm --shard K/N` in parallel processes, then `warm --publish`, leave
//! Redis holding what one unsharded `warm` writes (both layouts, and on a Cluster);
//! the pointer moves only at the publish, and only when every shard is in.

use std::collections::BTreeMap;
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hexmatrix_warm::fixture::{MatrixSpec, RedisCluster, RedisServer, SynthMatrix, write_matrix};

use crate::util::{command, text};

/// A synthetic matrix of 60 cells in 10 parts of 6 origins, with unreachable pairs.
fn matrix(dir: &Path) -> SynthMatrix {
    let spec = MatrixSpec {
        ok_cells: 60,
        origin_block_size: 6,
        ..MatrixSpec::default()
    };
    write_matrix(dir, &spec)
}

/// `hexmatrix warm --matrix DIR` then `args`.
fn warm(dir: &Path, args: &[&str]) -> Command {
    let mut all = vec!["warm", "--matrix", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    command(&all)
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", text(out));
}

/// Runs `warm --shard K/N` for every K of `n` at once, each with `args`.
fn shards_in_parallel(dir: &Path, n: u32, args: &[&str]) {
    let children: Vec<_> = (0..n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            let mut all = args.to_vec();
            all.extend_from_slice(&["--shard", &shard]);
            warm(dir, &all)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
}

/// `redis-cli -p PORT -n DB --no-raw EXTRA…` with `commands` (one a line) on its
/// standard input, from a file: a pipe written before the output is read would
/// block once redis-cli's output fills its own pipe. One output line per reply.
fn cli(port: u16, db: u32, commands: &str, extra: &[&str]) -> Vec<String> {
    let mut input = tempfile::tempfile().unwrap();
    input.write_all(commands.as_bytes()).unwrap();
    input.seek(SeekFrom::Start(0)).unwrap();
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "-n", &db.to_string(), "--no-raw"])
        .args(extra)
        .stdin(Stdio::from(input))
        .output()
        .expect("run redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `COMMAND key`, one a line, for every key.
fn commands(command: &str, keys: &[String]) -> String {
    keys.iter().flat_map(|k| [command, " ", k, "\n"]).collect()
}

/// Every key of database `db` on the server at `port` with its value as `redis-cli
/// --no-raw` prints it (binary rows escaped, one line each); hashes and sets as their
/// sorted members; the version manifests without their load time. Keys named
/// `skip` are left out.
fn dump(port: u16, db: u32, skip: &[&str]) -> BTreeMap<String, String> {
    let keys: Vec<String> = cli(port, db, "", &["--scan"])
        .into_iter()
        .map(|k| k.trim_matches('"').to_owned())
        .filter(|k| !skip.contains(&k.as_str()))
        .collect();
    let types = commands("TYPE", &keys);
    let types = cli(port, db, &types, &[]);
    assert_eq!(types.len(), keys.len());
    let mut map = BTreeMap::new();
    let mut strings = Vec::new();
    for (key, kind) in keys.into_iter().zip(types) {
        // A list reply prints as `N) "member"`, one a line: the members in order.
        let members = |command: &str, per_item: usize| {
            let lines = cli(port, db, &format!("{command} {key}\n"), &[]);
            let items: Vec<&str> = lines
                .iter()
                .map(|l| l.split_once(") ").map_or(l.as_str(), |(_, m)| m))
                .collect();
            let mut v: Vec<String> = items.chunks(per_item).map(|c| c.join("=")).collect();
            v.sort();
            v.join("|")
        };
        match kind.as_str() {
            "hash" => {
                let v = members("HGETALL", 2);
                map.insert(key, v);
            }
            "set" => {
                let v = members("SMEMBERS", 1);
                map.insert(key, v);
            }
            _ if key.ends_with(":manifest") => {
                let raw = cli(port, db, &format!("GET {key}\n"), &["--raw"]).join("\n");
                let mut m: serde_json::Value = serde_json::from_str(&raw).unwrap();
                m.as_object_mut().unwrap().remove("loaded_at_unix");
                map.insert(key, m.to_string());
            }
            _ => strings.push(key),
        }
    }
    let gets = commands("GET", &strings);
    let values = cli(port, db, &gets, &[]);
    assert_eq!(values.len(), strings.len());
    map.extend(strings.into_iter().zip(values));
    map
}

#[test]
fn issue_13_warm_shards_in_parallel_then_publish_equal_an_unsharded_warm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = matrix(&dir);
    let whole = RedisServer::start();
    let sharded = RedisServer::start();
    for (layout, version) in [("pairs", "vp"), ("rows", "vr")] {
        let opts = ["--layout", layout, "--version", version];
        let mut args = vec!["--redis".to_owned(), whole.url()];
        args.extend(opts.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&warm(&dir, &args).output().unwrap());

        let url = sharded.url();
        let mut args = vec!["--redis", url.as_str()];
        args.extend_from_slice(&opts);
        let pointer_before = sharded.cli(&["get", "route:current"]);
        shards_in_parallel(&dir, 3, &args);
        // Loaded but not published: no manifest, the pointer where it was.
        assert_eq!(sharded.cli(&["get", "route:current"]), pointer_before);
        assert_eq!(
            sharded.cli(&["exists", &format!("route:{version}:manifest")]),
            "0"
        );
        assert_eq!(
            sharded.cli(&["hlen", &format!("route:{version}:shards")]),
            "3"
        );
        let mut publish = args.clone();
        publish.push("--publish");
        let published = warm(&dir, &publish).output().unwrap();
        ok(&published);
        assert!(
            text(&published).contains("every shard's load verified"),
            "{}",
            text(&published)
        );
        assert_eq!(sharded.cli(&["get", "route:current"]), version);
        // Publishing again is a no-op.
        let again = warm(&dir, &publish).output().unwrap();
        ok(&again);
        assert!(text(&again).contains("nothing to do"), "{}", text(&again));
    }
    let a = dump(whole.port(), 0, &[]);
    let b = dump(sharded.port(), 0, &["route:vp:shards", "route:vr:shards"]);
    // Every pair of the pairs version, every row of the rows version, and their
    // bookkeeping keys.
    assert_eq!(a.len() as u64, m.pairs + 60 + 2 * 3 + 1 + 1, "{a:?}");
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, value) in &a {
        assert_eq!(Some(value), b.get(key), "{key}");
    }
    let ttl: i64 = sharded.cli(&["ttl", "route:vr:shards"]).parse().unwrap();
    assert!(ttl > 0, "{ttl}");
}

#[test]
fn issue_13_publish_refuses_a_missing_or_stale_shard_and_keeps_the_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let _ = matrix(&dir);
    let server = RedisServer::start();
    let url = server.url();
    ok(&warm(&dir, &["--redis", &url, "--version", "old"])
        .output()
        .unwrap());
    let args = ["--redis", url.as_str(), "--version", "v2"];
    for k in ["0/3", "2/3"] {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--shard", k]);
        ok(&warm(&dir, &a).output().unwrap());
    }
    let publish = |extra: &[&str]| {
        let mut a = args.to_vec();
        a.push("--publish");
        a.extend_from_slice(extra);
        warm(&dir, &a).output().unwrap()
    };
    let refused = publish(&[]);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(
        text(&refused).contains("shard 1/3 has not recorded a verified load"),
        "{}",
        text(&refused)
    );
    assert_eq!(server.cli(&["get", "route:current"]), "old");

    // Shard 1 loaded in another value format: stale for this publish.
    let mut a = args.to_vec();
    a.extend_from_slice(&["--shard", "1/3", "--value-format", "text"]);
    ok(&warm(&dir, &a).output().unwrap());
    let stale = publish(&[]);
    assert_eq!(stale.status.code(), Some(4), "{}", text(&stale));
    assert!(
        text(&stale).contains("shard 1/3 is stale: it loaded value format text"),
        "{}",
        text(&stale)
    );
    // Asked for 4 shards when 3 loaded.
    let four = publish(&["--shards", "4"]);
    assert_eq!(four.status.code(), Some(4), "{}", text(&four));
    assert!(
        text(&four).contains("shard 0/4 has not recorded"),
        "{}",
        text(&four)
    );
    assert_eq!(server.cli(&["get", "route:current"]), "old");
    assert_eq!(server.cli(&["exists", "route:v2:manifest"]), "0");

    let mut a = args.to_vec();
    a.extend_from_slice(&["--shard", "1/3", "--force"]);
    ok(&warm(&dir, &a).output().unwrap());
    ok(&publish(&[]));
    assert_eq!(server.cli(&["get", "route:current"]), "v2");
}

#[test]
fn issue_13_warm_shards_into_a_cluster_equal_an_unsharded_warm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    let m = matrix(&dir);
    let single = RedisServer::start();
    let opts = ["--key-template", "cluster", "--version", "c1"];
    let url = single.url();
    let mut args = vec!["--redis", url.as_str()];
    args.extend_from_slice(&opts);
    ok(&warm(&dir, &args).output().unwrap());

    let cluster = RedisCluster::start(3);
    let urls = cluster.urls().join(",");
    let mut args = vec!["--cluster", urls.as_str()];
    args.extend_from_slice(&opts);
    shards_in_parallel(&dir, 2, &args);
    args.push("--publish");
    ok(&warm(&dir, &args).output().unwrap());
    let mut merged = BTreeMap::new();
    for node in &cluster.nodes {
        merged.extend(dump(node.port(), 0, &["route:c1:shards"]));
    }
    let expected = dump(single.port(), 0, &[]);
    assert_eq!(expected.len() as u64, m.pairs + 4, "{expected:?}");
    assert_eq!(
        merged.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, value) in &expected {
        assert_eq!(Some(value), merged.get(key), "{key}");
    }
}

#[test]
fn issue_13_a_warm_shard_killed_mid_load_resumes_and_the_publish_equals_an_unsharded_warm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("matrix");
    // 300 cells in parts of one origin: the shard is still loading when its first
    // part's checkpoint appears.
    let spec = MatrixSpec {
        ok_cells: 300,
        origin_block_size: 1,
        ..MatrixSpec::default()
    };
    let m = write_matrix(&dir, &spec);
    let whole = RedisServer::start();
    let url = whole.url();
    ok(&warm(&dir, &["--redis", &url, "--version", "v1"])
        .output()
        .unwrap());

    let sharded = RedisServer::start();
    let url = sharded.url();
    let args = ["--redis", url.as_str(), "--version", "v1"];
    let shard = |k: &str| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--shard", k]);
        warm(&dir, &a)
    };
    let mut child = shard("0/2").stderr(Stdio::null()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    // The progress hash holds the fingerprint, then one field per completed part.
    while sharded
        .cli(&["hlen", "route:v1:progress"])
        .parse::<u64>()
        .unwrap_or(0)
        < 2
    {
        assert!(child.try_wait().unwrap().is_none(), "the shard ended early");
        assert!(std::time::Instant::now() < deadline, "no part was loaded");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success());
    assert_eq!(sharded.cli(&["hexists", "route:v1:shards", "0-of-2"]), "0");
    ok(&shard("1/2").output().unwrap());
    let mut publish = args.to_vec();
    publish.push("--publish");
    let refused = warm(&dir, &publish).output().unwrap();
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(
        text(&refused).contains("shard 0/2 has not recorded"),
        "{}",
        text(&refused)
    );

    let rerun = shard("0/2").output().unwrap();
    ok(&rerun);
    let said = text(&rerun);
    let resumed = said
        .split(" resumed)")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(resumed > 0, "{said}");
    ok(&warm(&dir, &publish).output().unwrap());
    assert_eq!(sharded.cli(&["get", "route:current"]), "v1");
    let a = dump(whole.port(), 0, &[]);
    let b = dump(sharded.port(), 0, &["route:v1:shards"]);
    assert_eq!(a.len() as u64, m.pairs + 4, "{}", a.len());
    assert_eq!(a, b);
}
