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
