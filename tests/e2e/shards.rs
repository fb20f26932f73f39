//! Issue 13: `matrix --shard K/N` in parallel processes and `matrix --merge-shards N`
//! give the unsharded matrix, file for file; a killed shard reruns to the same
//! bytes; the merge refuses missing, duplicated, stale and half-written shards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hexmatrix_contract::Context;
use hexmatrix_graph::{GraphOptions, Profile};

use crate::matrix::monaco_graph;
use crate::util::{command, text};

/// The manifest fields that are timings or memory: the only ones a merge may differ in.
const TIMING_FIELDS: [&str; 7] = [
    "matrix_s",
    "bucket_s",
    "search_cpu_s",
    "write_cpu_s",
    "threads",
    "elapsed_s",
    "peak_rss_bytes",
];

/// `hexmatrix matrix` on the Monaco dataset with `graph` into `out`, at `resolution`
/// with `block` origins a part, then `extra` arguments.
fn monaco(graph: &Path, out: &Path, resolution: &str, block: &str, extra: &[&str]) -> Command {
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/monaco.toml");
    let mut args = vec![
        "matrix",
        "--graph",
        graph.to_str().unwrap(),
        "--dataset",
        dataset.to_str().unwrap(),
        "--resolution",
        resolution,
        "--origin-block-size",
        block,
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    command(&args)
}

fn run(mut cmd: Command) -> Output {
    cmd.output().expect("run hexmatrix")
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", text(out));
}

/// The manifest without its timing and memory fields.
fn contract_fields(dir: &Path) -> serde_json::Value {
    let bytes = std::fs::read(dir.join("manifest.json")).expect("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let fields = m.as_object_mut().unwrap();
    for f in TIMING_FIELDS {
        assert!(fields.remove(f).is_some(), "manifest lacks {f}");
    }
    m
}

/// Names of the files in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Asserts that `sharded` holds exactly the matrix of `whole`: the same part files
/// byte for byte, the same `cells.parquet`, and the same manifest but for timings.
fn assert_same_matrix(whole: &Path, sharded: &Path) {
    let parts = names(&whole.join("matrix"));
    assert!(parts.len() > 3, "{parts:?}");
    assert_eq!(names(&sharded.join("matrix")), parts);
    for p in &parts {
        let a = std::fs::read(whole.join("matrix").join(p)).unwrap();
        let b = std::fs::read(sharded.join("matrix").join(p)).unwrap();
        assert!(a == b, "{p} differs");
    }
    let cells = |d: &Path| std::fs::read(d.join("cells.parquet")).unwrap();
    assert!(cells(whole) == cells(sharded), "cells.parquet differs");
    assert_eq!(contract_fields(sharded), contract_fields(whole));
}

#[test]
fn issue_13_shards_in_parallel_merge_into_the_unsharded_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let whole = tmp.path().join("whole");
    ok(&run(monaco(&g, &whole, "10", "7", &[])));
    let sharded = tmp.path().join("sharded");
    // What an earlier matrix with more blocks, sharded 5 ways, left in the directory.
    for (dir, name) in [("matrix", "part-00099.parquet"), ("shards", "0-of-5.json")] {
        std::fs::create_dir_all(sharded.join(dir)).unwrap();
        std::fs::write(sharded.join(dir).join(name), b"earlier").unwrap();
    }
    // Three processes at once; the last finds its index as an Indexed Job's pod does.
    let mut children: Vec<Child> = ["0/3", "1/3"]
        .iter()
        .map(|s| {
            monaco(&g, &sharded, "10", "7", &["--shard", s])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut third = monaco(&g, &sharded, "10", "7", &["--shards", "3"]);
    third
        .env("JOB_COMPLETION_INDEX", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    children.push(third.spawn().unwrap());
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    assert!(!sharded.join("manifest.json").exists());
    assert_eq!(
        names(&sharded.join("shards")),
        ["0-of-3.json", "0-of-5.json", "1-of-3.json", "2-of-3.json"]
    );
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sharded.join("shards/2-of-3.json")).unwrap())
            .unwrap();
    assert_eq!(
        (record["shard"].as_u64(), record["shards"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(record["graph_fingerprint"].as_str().unwrap().len(), 64);
    // Balanced: 51 blocks of equal work, 17 each.
    assert_eq!(record["blocks"].as_array().unwrap().len(), 17, "{record}");
    let merged = run(monaco(&g, &sharded, "10", "7", &["--merge-shards", "3"]));
    ok(&merged);
    assert!(
        text(&merged).contains("3 shards checked"),
        "{}",
        text(&merged)
    );
    assert!(
        text(&merged).contains("2 files of an earlier matrix removed"),
        "{}",
        text(&merged)
    );
    assert_same_matrix(&whole, &sharded);
    assert_eq!(
        names(&sharded.join("shards")),
        ["0-of-3.json", "1-of-3.json", "2-of-3.json"]
    );
}

/// Waits until `dir` holds any entry (a part or its temporary name), or `child` ends.
fn wait_for_first_part(dir: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "the shard ended early");
        assert!(
            Instant::now() < deadline,
            "no part appeared in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn issue_13_a_shard_killed_mid_write_reruns_to_the_identical_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let sharded = tmp.path().join("sharded");
    // Resolution 11 in blocks of 4 origins: hundreds of parts, each synced, so the
    // shard is still writing when its first part appears.
    let mut child = monaco(&g, &sharded, "11", "4", &["--shard", "0/2"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_first_part(&sharded.join("matrix"), &mut child);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(
        !sharded.join("shards/0-of-2.json").exists(),
        "the killed shard must leave no record"
    );
    ok(&run(monaco(&g, &sharded, "11", "4", &["--shard", "1/2"])));
    let refused = run(monaco(&g, &sharded, "11", "4", &["--merge-shards", "2"]));
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("0-of-2.json is missing"),
        "{}",
        text(&refused)
    );
    assert!(!sharded.join("manifest.json").exists());

    ok(&run(monaco(&g, &sharded, "11", "4", &["--shard", "0/2"])));
    ok(&run(monaco(
        &g,
        &sharded,
        "11",
        "4",
        &["--merge-shards", "2"],
    )));
    // The merge sweeps what the killed shard left under temporary names.
    for dir in [sharded.clone(), sharded.join("matrix")] {
        let hidden: Vec<String> = names(&dir)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
    }
    let whole = tmp.path().join("whole");
    ok(&run(monaco(&g, &whole, "11", "4", &[])));
    assert_same_matrix(&whole, &sharded);
}

/// The motorcycle graph of the Monaco file: another graph for the same bbox.
fn monaco_motorcycle_graph(dir: &Path) -> PathBuf {
    let src = hexmatrix_osm::fixture::shared_dataset("monaco.osm.pbf").expect("monaco.osm.pbf");
    let g = dir.join("graph-motorcycle");
    let opts = GraphOptions {
        input: src,
        profile: Profile::by_name("motorcycle").expect("motorcycle profile"),
        output_dir: g.clone(),
    };
    hexmatrix_graph::run(&opts, &Context::silent()).expect("monaco graph builds");
    g
}

/// Asserts the merge of `dir` with `extra` arguments is refused with exit 2, naming
/// `record` and saying `why`, and writes no manifest.
fn assert_refused(cmd: Command, dir: &Path, record: &str, why: &str) {
    let out = run(cmd);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains(record) && said.contains(why), "{said}");
    assert!(!dir.join("manifest.json").exists(), "{said}");
}

#[test]
fn issue_13_merge_refuses_missing_duplicated_stale_and_half_written_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(g) = monaco_graph(tmp.path()) else {
        return;
    };
    let dir = tmp.path().join("sharded");
    for s in ["0/2", "1/2"] {
        ok(&run(monaco(&g, &dir, "9", "9", &["--shard", s])));
    }
    let merge = |graph: &Path, extra: &[&str]| {
        let mut args = vec!["--merge-shards", "2"];
        args.extend_from_slice(extra);
        monaco(graph, &dir, "9", "9", &args)
    };
    let record = |k: u32| dir.join(format!("shards/{k}-of-2.json"));
    let keep = std::fs::read(record(1)).unwrap();

    std::fs::remove_file(record(1)).unwrap();
    assert_refused(merge(&g, &[]), &dir, "shards/1-of-2.json", "is missing");
    std::fs::copy(record(0), record(1)).unwrap();
    assert_refused(merge(&g, &[]), &dir, "shards/1-of-2.json", "duplicated");
    std::fs::write(record(1), &keep).unwrap();

    assert_refused(
        merge(&g, &["--max-duration", "300"]),
        &dir,
        "shards/0-of-2.json",
        "stale: computed with other parameters",
    );
    // Shard 1 recomputed on another graph: its record is stale for this one.
    let other = monaco_motorcycle_graph(tmp.path());
    ok(&run(monaco(&other, &dir, "9", "9", &["--shard", "1/2"])));
    assert_refused(
        merge(&g, &[]),
        &dir,
        "shards/1-of-2.json",
        "stale: computed on another graph",
    );
    ok(&run(monaco(&g, &dir, "9", "9", &["--shard", "1/2"])));

    // Half-written: a part of shard 1 changed after its record.
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record(1)).unwrap()).unwrap();
    let part = rec["parts"][0]["file"].as_str().unwrap().to_owned();
    let mut bytes = std::fs::read(dir.join(&part)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(dir.join(&part), &bytes).unwrap();
    assert_refused(
        merge(&g, &[]),
        &dir,
        "shards/1-of-2.json",
        &format!("part {part} has SHA-256"),
    );
    std::fs::remove_file(dir.join(&part)).unwrap();
    assert_refused(
        merge(&g, &[]),
        &dir,
        "shards/1-of-2.json",
        &format!("part {part} is missing"),
    );

    ok(&run(monaco(&g, &dir, "9", "9", &["--shard", "1/2"])));
    ok(&run(merge(&g, &[])));
    assert!(dir.join("manifest.json").is_file());
}

#[test]
fn issue_13_bad_shard_flags_are_refused_as_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let g = tmp.path().join("no-graph");
    for (extra, env, said) in [
        (&["--shard", "2/2"][..], None, "below the number of shards"),
        (&["--shard", "1"][..], None, "expected K/N"),
        (&["--shards", "2"][..], None, "JOB_COMPLETION_INDEX"),
        (
            &["--shards", "2"][..],
            Some("5"),
            "below the number of shards",
        ),
    ] {
        let mut cmd = monaco(&g, &out, "9", "9", extra);
        cmd.env_remove("JOB_COMPLETION_INDEX");
        if let Some(index) = env {
            cmd.env("JOB_COMPLETION_INDEX", index);
        }
        let o = run(cmd);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains(said), "{extra:?}: {}", text(&o));
    }
    let both = run(monaco(
        &g,
        &out,
        "9",
        "9",
        &["--shard", "0/2", "--merge-shards", "2"],
    ));
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    assert!(!out.exists());
}
