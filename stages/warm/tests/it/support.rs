//! Shared setup: a synthetic matrix and warm options for a server.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use hexmatrix_contract::{Context, Counter, Progress, Shown, Unit};
use hexmatrix_warm::fixture::{MatrixSpec, SynthMatrix, write_matrix};
use hexmatrix_warm::{Result, Sink, Target, WarmOptions, WarmSummary};

/// Runs the warm stage with a context that shows nothing.
pub fn warm(opts: &WarmOptions) -> Result<WarmSummary> {
    hexmatrix_warm::run(opts, &Context::silent())
}

/// A display that keeps the counters a stage shows, so that a test watches them
/// as the binary's progress display does.
#[derive(Clone, Default)]
pub struct Watch(Arc<Mutex<Vec<Counter>>>);

impl Progress for Watch {
    fn show(&self, _: &'static str, _: Option<u64>, main: Counter, extras: Vec<Counter>) -> Shown {
        let mut shown = self.0.lock().expect("the watched counters");
        shown.push(main);
        shown.extend(extras);
        Shown::none()
    }
}

impl Watch {
    /// The value of the counter of `items` shown last (0 before any is shown).
    pub fn items(&self, items: &str) -> u64 {
        self.0
            .lock()
            .expect("the watched counters")
            .iter()
            .rev()
            .find(|c| c.unit == Unit::Items(leak(items)))
            .map_or(0, |c| c.value.load(Ordering::Relaxed))
    }

    /// Runs the warm stage showing its counters here.
    pub fn warm(&self, opts: &WarmOptions) -> Result<WarmSummary> {
        hexmatrix_warm::run(opts, &Context::new(Arc::new(self.clone()), "test"))
    }
}

/// `Unit::Items` holds a `&'static str`; the names compared are the few a test asks for.
fn leak(items: &str) -> &'static str {
    match items {
        "keys" => "keys",
        "pairs" => "pairs",
        other => panic!("no counter of {other} is shown"),
    }
}

/// A 40-cell matrix (1600 pairs, 3 parts) in `dir`.
pub fn small_matrix(dir: &Path) -> SynthMatrix {
    write_matrix(dir, &MatrixSpec::default())
}

/// Options for loading `matrix` into the server at `url` with small pipelines.
pub fn options(matrix: &SynthMatrix, target: Target, version: &str) -> WarmOptions {
    let mut o = WarmOptions::new(matrix.dir.clone(), Sink::Redis(target), version.to_owned());
    o.batch_keys = 97;
    o.in_flight = 3;
    o.connections = 3;
    o.verify_sample = 200;
    o
}

/// Redis `GET`.
pub fn get(con: &mut redis::Connection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query(con).expect("GET")
}
