//! Logging setup and progress display. Stage libraries name atomic counters
//! through their [`Context`]; this module renders them: an indicatif bar with rates on a terminal, a plain
//! status line every few seconds otherwise (readable in a scheduler's log).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hexmatrix_contract::{Context, Counter, Progress, Shown, Unit};
use indicatif::{HumanBytes, HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{LogFormat, ProgressMode};

/// Sets up `tracing` on stderr: text with uptime, or JSON lines.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEXMATRIX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_timer(tracing_subscriber::fmt::time::uptime());
    match format {
        LogFormat::Text => builder.with_target(true).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Process-wide display settings: the binary's [`Progress`] (stage libraries name
/// their counters through [`hexmatrix_contract::Context::show`]; this draws them).
#[derive(Debug, Clone)]
pub struct Display {
    mode: ProgressMode,
    stderr_is_tty: bool,
}

impl Display {
    /// Display settings from the `--progress` flag and whether stderr is a terminal.
    pub fn new(mode: ProgressMode) -> Self {
        Self {
            mode,
            stderr_is_tty: std::io::stderr().is_terminal(),
        }
    }

    /// The stage context of this process: this display, never cancelled, the
    /// binary's version.
    pub fn into_context(self) -> Context {
        Context::new(Arc::new(self), crate::version::TOOL_VERSION)
    }
}

impl Progress for Display {
    fn show(
        &self,
        stage: &'static str,
        total: Option<u64>,
        main: Counter,
        extras: Vec<Counter>,
    ) -> Shown {
        let stop = Arc::new(AtomicBool::new(false));
        let style = match self.mode {
            ProgressMode::Never => None,
            ProgressMode::Lines => Some(false),
            ProgressMode::Auto => Some(self.stderr_is_tty),
        };
        let handle = style.map(|bars| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || render(stage, total, &main, &extras, bars, &stop))
        });
        Shown::new(Tracker { stop, handle })
    }

    fn note(&self, stage: &'static str, line: &str) {
        // A log target is a constant: one arm per stage, so that a stage's notes are
        // filtered (HEXMATRIX_LOG=matrix=info) like its other lines.
        macro_rules! note_as {
            ($($name:literal),*) => {
                match stage {
                    $($name => tracing::info!(target: $name, "[{stage}] {line}"),)*
                    _ => tracing::info!(target: "progress", "[{stage}] {line}"),
                }
            };
        }
        note_as!("crop", "graph", "matrix", "warm", "report");
    }
}

/// Stops the display when dropped.
struct Tracker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            // A panicking display thread must not take the stage down with it.
            let _ = h.join();
        }
    }
}

fn format_value(unit: Unit, v: u64) -> String {
    match unit {
        Unit::Bytes => HumanBytes(v).to_string(),
        Unit::Items(name) => format!("{} {name}", HumanCount(v)),
    }
}

fn format_rate(unit: Unit, v: u64, secs: f64) -> String {
    let rate = if secs > 0.0 { v as f64 / secs } else { 0.0 };
    match unit {
        Unit::Bytes => format!("{}/s", HumanBytes(rate as u64)),
        Unit::Items(name) => format!("{} {name}/s", HumanCount(rate as u64)),
    }
}

fn status_line(main: &Counter, extras: &[Counter], total: Option<u64>, secs: f64) -> String {
    let v = main.value.load(Ordering::Relaxed);
    let mut parts = vec![format_value(main.unit, v)];
    if let Some(t) = total.filter(|t| *t > 0) {
        parts[0] = format!(
            "{} of {} ({:.0}%)",
            parts[0],
            format_value(main.unit, t),
            100.0 * v as f64 / t as f64
        );
    }
    parts.push(format_rate(main.unit, v, secs));
    for extra in extras {
        let e = extra.value.load(Ordering::Relaxed);
        parts.push(format!(
            "{} ({})",
            format_value(extra.unit, e),
            format_rate(extra.unit, e, secs)
        ));
    }
    parts.join(", ")
}

fn render(
    stage: &'static str,
    total: Option<u64>,
    main: &Counter,
    extras: &[Counter],
    bars: bool,
    stop: &AtomicBool,
) {
    let start = Instant::now();
    if bars {
        let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let template = match (main.unit, total.is_some()) {
            (Unit::Bytes, true) => {
                "[{prefix}] {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
            }
            (Unit::Bytes, false) => "[{prefix}] {spinner} {bytes} {bytes_per_sec} {msg}",
            (Unit::Items(_), true) => {
                "[{prefix}] {bar:30} {human_pos}/{human_len} {per_sec} ETA {eta} {msg}"
            }
            (Unit::Items(_), false) => "[{prefix}] {spinner} {human_pos} {per_sec} {msg}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_prefix(stage);
        while !stop.load(Ordering::Relaxed) {
            bar.set_position(main.value.load(Ordering::Relaxed));
            let secs = start.elapsed().as_secs_f64();
            let msg: Vec<String> = extras
                .iter()
                .map(|e| {
                    let v = e.value.load(Ordering::Relaxed);
                    format!(
                        "{} ({})",
                        format_value(e.unit, v),
                        format_rate(e.unit, v, secs)
                    )
                })
                .collect();
            bar.set_message(msg.join(", "));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.set_position(main.value.load(Ordering::Relaxed));
        bar.finish_and_clear();
    } else {
        let mut last = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            if last.elapsed() >= Duration::from_secs(5) {
                last = Instant::now();
                let secs = start.elapsed().as_secs_f64();
                tracing::info!(target: "progress", "[{stage}] {}", status_line(main, extras, total, secs));
            }
        }
    }
}
