//! The Kubernetes manifests of deploy/k8s/ (issue 13) validate against the
//! Kubernetes schemas (`kubernetes-validate`, tests/requirements.txt), the Jobs the
//! sharded night creates included, and the checker does refuse a broken one.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `kubernetes-validate --strict FILES`: whether it passed, and what it said.
fn validate(files: &[&Path]) -> (bool, String) {
    let out = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict"])
        .args(files)
        .output()
        .expect("python3 runs");
    (out.status.success(), crate::util::text(&out))
}

fn nightly(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(root().join("deploy/k8s/sharded/nightly.sh"))
        .args(args)
        .env_remove("DATASETS")
        .env_remove("PROFILES")
        .output()
        .expect("bash runs");
    let said = crate::util::text(&out);
    assert!(out.status.success(), "{said}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn deploy_manifests_and_rendered_jobs_are_valid_kubernetes() {
    if !crate::util::python_ready("import kubernetes_validate", "tests/requirements.txt") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chain = nightly(&["render", "hcmc", "motorcycle", "4", "20261201"]);
    // One command fans out over every dataset file × both profiles.
    let datasets = std::fs::read_dir(root().join("datasets")).unwrap().count();
    assert_eq!(nightly(&["plan"]).lines().count(), datasets * 2);

    // The Indexed Jobs carry the shard flags, one retry budget per index.
    assert_eq!(chain.matches("\nkind: Job\n").count(), 5, "{chain}");
    assert_eq!(chain.matches("completionMode: Indexed").count(), 2);
    assert_eq!(chain.matches("backoffLimitPerIndex: 2").count(), 2);
    for flag in [
        "matrix --shard $JOB_COMPLETION_INDEX/4 ",
        "matrix --merge-shards 4 ",
        "warm --shard $JOB_COMPLETION_INDEX/4 ",
        "warm --publish ",
    ] {
        assert!(chain.contains(flag), "{flag}: {chain}");
    }
    let rendered = tmp.path().join("chain.yaml");
    std::fs::write(&rendered, &chain).unwrap();

    let files = [
        root().join("deploy/k8s/cronjob.yaml"),
        root().join("deploy/k8s/sharded/cronjob.yaml"),
        rendered.clone(),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (ok, said) = validate(&refs);
    assert!(ok, "{said}");
    // 2 + 4 resources in the files, 5 Jobs rendered.
    assert_eq!(said.matches(" passed for resource ").count(), 11, "{said}");

    // The checker is not a rubber stamp: a count as text, or a misspelt field, fails.
    for (from, to) in [
        ("completions: 4", "completions: four"),
        ("backoffLimitPerIndex", "backofLimitPerIndex"),
    ] {
        let broken = tmp.path().join("broken.yaml");
        std::fs::write(&broken, chain.replacen(from, to, 1)).unwrap();
        let (ok, said) = validate(&[&broken]);
        assert!(!ok, "{to}: {said}");
    }
}
