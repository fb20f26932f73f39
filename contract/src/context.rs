//! What every stage's `run(options, &Context)` receives besides its options: where to
//! show progress, whether to stop, and how to write outputs.
//!
//! It lives here, in the crate every stage already depends on, so that the stages
//! share one entry shape without depending on each other or on the binary. Progress
//! is a trait ([`Progress`]): a stage names its live counters and the binary draws
//! them (indicatif bars or log lines), so no stage crate depends on indicatif.
//! Libraries never print; [`Silent`] is the display of tests and library callers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::atomic;

/// What a counter counts, for formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown as KiB/MiB/GiB.
    Bytes,
    /// Items with a name such as "entities" or "pairs".
    Items(&'static str),
}

/// A named live counter owned by a stage.
#[derive(Debug, Clone)]
pub struct Counter {
    /// What it counts.
    pub unit: Unit,
    /// The live value, updated by the stage, read by the display.
    pub value: Arc<AtomicU64>,
}

impl Counter {
    /// A counter of `unit` reading `value`.
    #[must_use]
    pub fn new(unit: Unit, value: Arc<AtomicU64>) -> Self {
        Self { unit, value }
    }
}

/// A display of a stage's counters, stopped when dropped (or by [`Shown::finish`]).
pub struct Shown(Option<Box<dyn Send>>);

impl Shown {
    /// Wraps whatever stops the display when dropped.
    #[must_use]
    pub fn new(guard: impl Send + 'static) -> Self {
        Self(Some(Box::new(guard)))
    }

    /// Nothing shown.
    #[must_use]
    pub fn none() -> Self {
        Self(None)
    }

    /// Stops the display now (it draws its last state first).
    pub fn finish(mut self) {
        drop(self.0.take());
    }
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Shown"
        } else {
            "Shown(none)"
        })
    }
}

/// Where a stage's progress is shown.
pub trait Progress: Send + Sync {
    /// Shows `main` (out of `total` when known) and `extras` with their rates for
    /// `stage`, until the returned [`Shown`] is dropped.
    fn show(
        &self,
        stage: &'static str,
        total: Option<u64>,
        main: Counter,
        extras: Vec<Counter>,
    ) -> Shown;

    /// A line about `stage` worth a log line (what a stage found before its long
    /// part, say); dropped unless the display logs it.
    fn note(&self, stage: &'static str, line: &str) {
        let _ = (stage, line);
    }
}

/// Shows nothing: for tests and library callers without a display.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn show(&self, _: &'static str, _: Option<u64>, _: Counter, _: Vec<Counter>) -> Shown {
        Shown::none()
    }
}

/// A stage stopped because its [`Context`] was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{stage}: cancelled")]
pub struct Cancelled {
    /// The stage that stopped.
    pub stage: &'static str,
}

/// How a stage writes its outputs: through [`atomic`] (a temporary name beside the
/// target, fsync, rename, directory fsync), so an output is complete or absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Output;

impl Output {
    /// The temporary path to build `target` at (a file or a directory).
    #[must_use]
    pub fn temp_for(&self, target: &Path) -> PathBuf {
        atomic::sibling(target, "tmp")
    }

    /// Moves the complete file `tmp` to `target` ([`atomic::commit_file`]).
    ///
    /// # Errors
    /// A sync or the rename fails; `target` is then as it was.
    pub fn commit_file(&self, tmp: &Path, target: &Path) -> std::io::Result<()> {
        atomic::commit_file(tmp, target)
    }

    /// Moves the complete directory `tmp` to `target` ([`atomic::replace_dir`]).
    ///
    /// # Errors
    /// A sync or a rename fails; `target` is then as it was.
    pub fn replace_dir(&self, tmp: &Path, target: &Path) -> std::io::Result<()> {
        atomic::replace_dir(tmp, target)
    }

    /// Writes `bytes` to `path` ([`atomic::write_file`]).
    ///
    /// # Errors
    /// The step that failed, with the path it worked on.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), atomic::WriteError> {
        atomic::write_file(path, bytes)
    }
}

/// What every stage's `run` receives besides its options.
#[derive(Clone)]
pub struct Context {
    progress: Arc<dyn Progress>,
    cancel: Arc<AtomicBool>,
    output: Output,
    tool_version: String,
}

impl Context {
    /// A context showing progress on `progress`, never cancelled unless
    /// [`Context::cancel`] is called, recording `tool_version` in outputs that carry it.
    #[must_use]
    pub fn new(progress: Arc<dyn Progress>, tool_version: impl Into<String>) -> Self {
        Self {
            progress,
            cancel: Arc::default(),
            output: Output,
            tool_version: tool_version.into(),
        }
    }

    /// A context that shows nothing, with this crate's version as the tool version.
    #[must_use]
    pub fn silent() -> Self {
        Self::new(Arc::new(Silent), env!("CARGO_PKG_VERSION"))
    }

    /// Shows a stage's counters until the returned [`Shown`] is dropped.
    #[must_use]
    pub fn show(
        &self,
        stage: &'static str,
        total: Option<u64>,
        main: Counter,
        extras: Vec<Counter>,
    ) -> Shown {
        self.progress.show(stage, total, main, extras)
    }

    /// Hands a line about `stage` to the display (the binary logs it as `[stage] line`).
    pub fn note(&self, stage: &'static str, line: &str) {
        self.progress.note(stage, line);
    }

    /// Asks every stage running with this context (or a clone) to stop at its next check.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Context::cancel`] was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `Err` once cancelled: stages call it between phases, blocks or parts.
    ///
    /// # Errors
    /// [`Cancelled`] naming `stage`.
    pub fn check(&self, stage: &'static str) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled { stage })
        } else {
            Ok(())
        }
    }

    /// How outputs are written.
    #[must_use]
    pub fn output(&self) -> Output {
        self.output
    }

    /// The version of hexmatrix recorded in `graph.ch` and the manifests.
    #[must_use]
    pub fn tool_version(&self) -> &str {
        &self.tool_version
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("cancelled", &self.is_cancelled())
            .field("tool_version", &self.tool_version)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_context_and_its_clones_refuse_to_go_on() {
        let ctx = Context::silent();
        let clone = ctx.clone();
        assert_eq!(clone.check("crop"), Ok(()));
        ctx.cancel();
        assert_eq!(clone.check("crop"), Err(Cancelled { stage: "crop" }));
        assert_eq!(
            clone.check("graph").unwrap_err().to_string(),
            "graph: cancelled"
        );
    }

    #[test]
    fn a_shown_display_stops_when_finished() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let stopped = Arc::new(AtomicBool::new(false));
        Shown::new(Flag(Arc::clone(&stopped))).finish();
        assert!(stopped.load(Ordering::Relaxed));
    }
}
