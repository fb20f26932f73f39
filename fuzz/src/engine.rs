//! The fuzz loop: generate an input, run the target on it in-process under
//! `catch_unwind`, measure its time and memory, and keep one input per distinct
//! crash (a panic site, a memory overrun, a timeout) as a file.
//!
//! A watchdog thread ends the process when an input runs past the time limit
//! or holds more memory than the limit, after saving that input: neither can be
//! caught in-process, and both must be reproducible.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

use crate::alloc;
use crate::rng::Rng;

/// A parser under test, with the inputs it is fed.
pub trait Target {
    /// Short name: the crash directory and the `--target` value.
    fn name(&self) -> &'static str;

    /// One line: what is fed to which parser.
    fn about(&self) -> &'static str;

    /// A new input, mutated from the target's seeds.
    fn generate(&mut self, rng: &mut Rng) -> Vec<u8>;

    /// Runs the parser on `input`: `Ok` when it accepts it, `Err` with the typed
    /// error's text when it refuses it. A property the result must have is an
    /// `assert!`: its failure is a crash like any panic.
    ///
    /// # Errors
    /// The parser's refusal, as text.
    fn run(&mut self, input: &[u8]) -> Result<(), String>;
}

/// Limits on one execution.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes one input may hold at once beyond what was allocated before it ran.
    pub memory_bytes: usize,
    /// Wall time one input may take.
    pub time: Duration,
}

/// How long to fuzz a target.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Stop after this many executions.
    pub execs: Option<u64>,
    /// Stop after this much time.
    pub time: Option<Duration>,
}

/// What the target did with an input that did not crash it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The parser accepted the input.
    Accepted,
    /// The parser refused it with a typed error.
    Refused(String),
    /// A third-party decoder panicked and our code turned the panic into a
    /// typed error (its text says "panicked"): refused, but worth counting.
    Isolated(String),
}

/// What went wrong with an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrashKind {
    /// The target panicked (a bug, or a violated property).
    Panic,
    /// The input made the target hold more than [`Limits::memory_bytes`].
    Memory,
    /// The input made the target run longer than [`Limits::time`].
    Timeout,
}

/// One distinct crash.
#[derive(Debug, Clone)]
pub struct Crash {
    /// What went wrong.
    pub kind: CrashKind,
    /// The panic message with its location, or the measurement.
    pub message: String,
    /// The input, shortest seen for this crash.
    pub input: Vec<u8>,
    /// Where it was saved, if a store was given.
    pub file: Option<PathBuf>,
}

impl Crash {
    /// The dedup key: kind and panic location (not the message, which holds values).
    fn key(&self) -> String {
        let place = self.message.split(": ").next().unwrap_or_default();
        format!("{:?}-{:016x}", self.kind, fnv(place.as_bytes())).to_lowercase()
    }
}

/// What a run of one target did.
#[derive(Debug, Clone)]
pub struct Stats {
    /// The target's name.
    pub target: &'static str,
    /// Inputs run.
    pub execs: u64,
    /// Inputs the parser accepted.
    pub accepted: u64,
    /// Inputs refused with a typed error.
    pub refused: u64,
    /// Of these, refused after a third-party panic that our code caught.
    pub isolated: u64,
    /// Inputs that crashed (all, not only distinct ones).
    pub crashed: u64,
    /// Distinct crashes, by key.
    pub crashes: Vec<Crash>,
    /// The most memory one input held at once.
    pub peak_bytes: usize,
    /// The slowest input.
    pub slowest: Duration,
    /// Wall time of the run.
    pub elapsed: Duration,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// True while an input runs: panics then are recorded, not printed.
static IN_EXEC: AtomicBool = AtomicBool::new(false);
/// The last panic of an execution: "location: message".
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
/// When the running input started, in ms since `EPOCH` + 1; 0 when idle.
static EXEC_STARTED_MS: AtomicU64 = AtomicU64::new(0);
/// Allocated bytes when the running input started.
static EXEC_BASELINE: AtomicUsize = AtomicUsize::new(0);
static LIMIT_MEMORY: AtomicUsize = AtomicUsize::new(usize::MAX);
static LIMIT_TIME_MS: AtomicU64 = AtomicU64::new(u64::MAX);
/// The running input, its target and where to save a crash, for the watchdog.
type Running = (&'static str, Arc<Vec<u8>>, Option<PathBuf>);
static RUNNING: Mutex<Option<Running>> = Mutex::new(None);
static SETUP: Once = Once::new();

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn setup() {
    SETUP.call_once(|| {
        let _ = epoch();
        let previous = std::panic::take_hook();
        // HEXMATRIX_FUZZ_VERBOSE=1 prints every panic too (with RUST_BACKTRACE).
        let verbose = std::env::var_os("HEXMATRIX_FUZZ_VERBOSE").is_some();
        std::panic::set_hook(Box::new(move |info| {
            if verbose {
                previous(info);
            }
            if IN_EXEC.load(Ordering::SeqCst) {
                let place = info.location().map_or_else(String::new, |l| {
                    format!("{}:{}", crate_relative(l.file()), l.line())
                });
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("(no message)");
                *LAST_PANIC.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(format!("{place}: {message}"));
            } else if !verbose {
                previous(info);
            }
        }));
        std::thread::Builder::new()
            .name("fuzz-watchdog".into())
            .spawn(watchdog)
            .expect("spawn the watchdog thread");
    });
}

/// A source path without the machine's dependency cache prefix
/// (`…/registry/src/SOURCE/`): `arrow-buffer-60.1.0/src/…`, so crash keys
/// and messages are the same on every machine.
fn crate_relative(file: &str) -> &str {
    file.split_once("/registry/src/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(file, |(_, path)| path)
}

fn watchdog() {
    loop {
        std::thread::sleep(Duration::from_millis(10));
        let started = EXEC_STARTED_MS.load(Ordering::SeqCst);
        if started == 0 {
            continue;
        }
        let now = epoch().elapsed().as_millis() as u64 + 1;
        let held = alloc::current().saturating_sub(EXEC_BASELINE.load(Ordering::SeqCst));
        let (kind, message) = if held > LIMIT_MEMORY.load(Ordering::SeqCst) {
            (
                CrashKind::Memory,
                format!("memory: the input holds {} MiB at once", held >> 20),
            )
        } else if now.saturating_sub(started) > LIMIT_TIME_MS.load(Ordering::SeqCst) {
            (
                CrashKind::Timeout,
                format!(
                    "timeout: the input runs for more than {} s",
                    (now - started) / 1000
                ),
            )
        } else {
            continue;
        };
        let running = RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((target, input, store)) = running {
            let crash = Crash {
                kind,
                message,
                input: input.to_vec(),
                file: None,
            };
            let saved = store.and_then(|dir| save(&dir, target, &crash).ok());
            #[expect(clippy::print_stderr, reason = "the process ends: say why first")]
            {
                eprintln!(
                    "hexmatrix-fuzz: {target}: {}{}",
                    crash.message,
                    saved.map_or_else(String::new, |p| format!(", input saved as {}", p.display()))
                );
            }
            std::process::exit(70);
        }
    }
}

/// Saves a crash input (and its message beside it) under `dir/target/`.
///
/// # Errors
/// The file system's error.
pub fn save(dir: &Path, target: &str, crash: &Crash) -> std::io::Result<PathBuf> {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.bin", crash.key()));
    std::fs::write(&path, &crash.input)?;
    std::fs::write(path.with_extension("txt"), format!("{}\n", crash.message))?;
    Ok(path)
}

/// Runs `target` on one input under the limits.
///
/// # Errors
/// The crash, when the input makes the target panic or hold too much memory
/// (a timeout or a memory overrun while running ends the process instead).
pub fn run_one(
    target: &mut dyn Target,
    input: &[u8],
    limits: Limits,
    store: Option<&Path>,
) -> Result<Outcome, Crash> {
    setup();
    LIMIT_MEMORY.store(limits.memory_bytes, Ordering::SeqCst);
    LIMIT_TIME_MS.store(limits.time.as_millis() as u64, Ordering::SeqCst);
    *RUNNING.lock().unwrap_or_else(PoisonError::into_inner) = Some((
        target.name(),
        Arc::new(input.to_vec()),
        store.map(Path::to_owned),
    ));
    let baseline = alloc::current();
    EXEC_BASELINE.store(baseline, Ordering::SeqCst);
    alloc::reset_peak();
    LAST_PANIC
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    IN_EXEC.store(true, Ordering::SeqCst);
    EXEC_STARTED_MS.store(epoch().elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(|| target.run(input)));
    EXEC_STARTED_MS.store(0, Ordering::SeqCst);
    IN_EXEC.store(false, Ordering::SeqCst);
    let held = alloc::peak().saturating_sub(baseline);
    let crash = |kind, message| Crash {
        kind,
        message,
        input: input.to_vec(),
        file: None,
    };
    let panic = LAST_PANIC
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match (result, panic) {
        (Err(_), panic) => Err(crash(
            CrashKind::Panic,
            panic.unwrap_or_else(|| "panic without a message".into()),
        )),
        // Our code caught a decoder's panic and said so in a typed error.
        (Ok(Err(e)), Some(_)) if e.contains("panicked") => Ok(Outcome::Isolated(e)),
        // A library caught a panic and went on: the user still saw "panicked".
        (Ok(outcome), Some(panic)) => Err(crash(
            CrashKind::Panic,
            format!(
                "{panic} (caught inside a library, then {})",
                outcome.map_or_else(|e| format!("refused: {e}"), |()| "accepted".to_owned())
            ),
        )),
        (Ok(_), None) if held > limits.memory_bytes => Err(crash(
            CrashKind::Memory,
            format!(
                "memory: the input held {} MiB at once, over the {} MiB limit",
                held >> 20,
                limits.memory_bytes >> 20
            ),
        )),
        (Ok(Ok(())), None) => Ok(Outcome::Accepted),
        (Ok(Err(e)), None) => Ok(Outcome::Refused(e)),
    }
}

/// The memory one input held at once in the last [`run_one`].
#[must_use]
pub fn last_peak() -> usize {
    alloc::peak().saturating_sub(EXEC_BASELINE.load(Ordering::SeqCst))
}

/// Fuzzes `target` within `budget`, from `seed`. Distinct crashes are saved
/// under `store/TARGET/` when a store is given.
pub fn fuzz(
    target: &mut dyn Target,
    budget: Budget,
    seed: u64,
    limits: Limits,
    store: Option<&Path>,
) -> Stats {
    let started = Instant::now();
    let mut rng = Rng::new(seed ^ fnv(target.name().as_bytes()));
    let mut stats = Stats {
        target: target.name(),
        execs: 0,
        accepted: 0,
        refused: 0,
        isolated: 0,
        crashed: 0,
        crashes: Vec::new(),
        peak_bytes: 0,
        slowest: Duration::ZERO,
        elapsed: Duration::ZERO,
    };
    let mut distinct: BTreeMap<String, Crash> = BTreeMap::new();
    loop {
        let out_of_execs = budget.execs.is_some_and(|n| stats.execs >= n);
        let out_of_time = budget.time.is_some_and(|t| started.elapsed() >= t);
        if out_of_execs || out_of_time {
            break;
        }
        let input = target.generate(&mut rng);
        let t = Instant::now();
        let result = run_one(target, &input, limits, store);
        stats.slowest = stats.slowest.max(t.elapsed());
        stats.peak_bytes = stats.peak_bytes.max(last_peak());
        stats.execs += 1;
        match result {
            Ok(Outcome::Accepted) => stats.accepted += 1,
            Ok(Outcome::Refused(_)) => stats.refused += 1,
            Ok(Outcome::Isolated(_)) => {
                stats.refused += 1;
                stats.isolated += 1;
            }
            Err(crash) => {
                stats.crashed += 1;
                let key = crash.key();
                let shorter = distinct
                    .get(&key)
                    .is_none_or(|known| crash.input.len() < known.input.len());
                if shorter {
                    let mut crash = crash;
                    if let Some(dir) = store {
                        crash.file = save(dir, stats.target, &crash).ok();
                    }
                    distinct.insert(key, crash);
                }
            }
        }
    }
    stats.crashes = distinct.into_values().collect();
    stats.elapsed = started.elapsed();
    stats
}

#[cfg(test)]
mod tests {
    use super::crate_relative;

    #[test]
    fn crash_places_do_not_name_the_machine() {
        assert_eq!(
            crate_relative(
                "/home/u/.cargo/registry/src/some-source-123/arrow-buffer-60.1.0/src/x.rs"
            ),
            "arrow-buffer-60.1.0/src/x.rs"
        );
        assert_eq!(
            crate_relative("fuzz/src/targets/dataset.rs"),
            "fuzz/src/targets/dataset.rs"
        );
    }
}
