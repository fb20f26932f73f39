//! Helpers shared by the end-to-end tests: running the real binary and reading
//! what it said.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The real `hexmatrix` with `args`, no progress display, and no Redis from the
/// environment (each test names its own server).
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hexmatrix"));
    cmd.args(["--progress", "never"])
        .args(args)
        .env_remove("HEXMATRIX_REDIS");
    cmd
}

/// Runs [`command`] to completion.
pub fn hexmatrix(args: &[&str]) -> Output {
    command(args).output().expect("run hexmatrix")
}

/// Standard output then standard error, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The bundled Valletta dataset file. It reads ../shared/datasets/malta-latest.osm.pbf;
/// a missing extract is loud under CI=true instead of a confusing download attempt.
pub fn valletta() -> PathBuf {
    let _ = hexmatrix_osm::fixture::shared_dataset("malta-latest.osm.pbf");
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../datasets/valletta.toml"
    ))
}

/// Whether `python3` can run `probe` (imports of PyPI modules). A failure fails the
/// test under `CI=true` (`just test` installs the modules with scripts/need.sh from
/// `requirements`); elsewhere the test says why and stops.
pub fn python_ready(probe: &str, requirements: &str) -> bool {
    let out = Command::new("python3").args(["-c", probe]).output();
    let why = match out {
        Ok(out) if out.status.success() => return true,
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            stderr.trim().lines().last().unwrap_or("").to_owned()
        }
        Err(e) => format!("cannot run python3: {e}"),
    };
    let msg = format!(
        "python3 with the PyPI modules of {requirements} is needed \
         (python3 -m pip install -r {requirements}): {why}"
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    #[expect(clippy::print_stderr, reason = "tests must say what they skipped")]
    {
        eprintln!("SKIPPED: {msg}");
    }
    false
}
