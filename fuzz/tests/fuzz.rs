//! The fuzz harness inside `cargo test` (so CI runs it): every crash input saved
//! under `fuzz/crashes/` stays fixed, and a short, bounded pass of every target
//! from a fixed seed finds nothing. One test: the harness's panic hook and
//! allocator counters are process-wide.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hexmatrix_fuzz::MEMORY_LIMIT;
use hexmatrix_fuzz::engine::{Budget, Limits, fuzz, run_one};
use hexmatrix_fuzz::targets::{NAMES, Setup, target};

/// Limits in the dev profile: generous on time (unoptimised Polars), not on memory.
const LIMITS: Limits = Limits {
    memory_bytes: MEMORY_LIMIT,
    time: Duration::from_secs(120),
};

/// The seed of the short pass; `HEXMATRIX_FUZZ_SEED` picks another.
const SEED: u64 = 11;

/// Executions per target: about 20 s in all on two cores in the dev profile.
fn execs(name: &str) -> u64 {
    match name {
        "report" => 40,
        "crop" | "graph-read" => 300,
        "matrix-dir" | "block-decode" => 1000,
        _ => 2000,
    }
}

fn saved_crashes(name: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crashes")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "bin"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn saved_crashes_stay_fixed_and_a_short_pass_finds_nothing() {
    let seed = std::env::var("HEXMATRIX_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let setup = Setup::new(3);
    let store = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes");
    let mut failures = Vec::new();
    for name in NAMES {
        let started = Instant::now();
        let mut t = target(name, &setup).unwrap();
        let saved = saved_crashes(name);
        for file in &saved {
            let input = std::fs::read(file).unwrap();
            if let Err(crash) = run_one(t.as_mut(), &input, LIMITS, None) {
                failures.push(format!(
                    "{name}: {} still crashes: {}",
                    file.display(),
                    crash.message
                ));
            }
        }
        let budget = Budget {
            execs: Some(execs(name)),
            time: None,
        };
        let stats = fuzz(t.as_mut(), budget, seed, LIMITS, Some(&store));
        eprintln!(
            "{name}: {} saved crashes replayed, {} execs ({} accepted, {} refused, {} after a caught decoder panic), {:.1} s",
            saved.len(),
            stats.execs,
            stats.accepted,
            stats.refused,
            stats.isolated,
            started.elapsed().as_secs_f64()
        );
        for c in &stats.crashes {
            let file = c
                .file
                .as_ref()
                .map_or_else(String::new, |f| f.display().to_string());
            failures.push(format!("{name}: new crash {} ({file})", c.message));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
