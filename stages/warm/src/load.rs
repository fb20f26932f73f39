//! The bulk load: Parquet parts → `SET key value EX ttl` pipelines.
//!
//! One reader (the calling thread) streams the parts batch by batch and encodes
//! commands; `connections` writer threads each own a connection and send one
//! pipeline at a time. A bounded channel of `in_flight` pipelines sits between
//! them, so memory is bounded by `in_flight × batch_keys` commands whatever the
//! matrix size, and the server always has a pipeline to chew on while the reader
//! encodes the next. A pipeline never spans two parts; when every pipeline of a
//! part is acknowledged its checkpoint is written. The first error stops the
//! reader; pipelines already sent may land, which a rerun overwrites.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use redis::{Cmd, Value};

use crate::checkpoint;
use crate::connect::{Conn, Target};
use crate::error::{Error, Result};
use crate::keys::{KeyRenderer, write_hex};
use crate::matrix::MatrixDir;
use crate::rows::{self, ENTRY_BYTES, RowBuilder};
use crate::ttl::{TtlDraw, TtlPolicy, splitmix};
use crate::value::{ValueFormat, write_u64};

/// Live counters of a load, for progress display.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Keys acknowledged by Redis (or written to the RESP file).
    pub keys: Arc<AtomicU64>,
    /// RESP bytes sent.
    pub bytes: Arc<AtomicU64>,
    /// Matrix rows read.
    pub rows: Arc<AtomicU64>,
}

/// Where the commands go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// A Redis server or Cluster.
    Redis(Target),
    /// A file of RESP commands (for `redis-cli --pipe`, or to inspect).
    RespFile(PathBuf),
}

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Positions in the manifest's `parts` to load.
    pub parts: Vec<usize>,
    /// What the keys and values of this version look like.
    pub encoding: Encoding,
    /// TTLs.
    pub ttl: TtlPolicy,
    /// Pairs slower than this are not stored.
    pub max_duration_s: Option<f64>,
    /// Commands per pipeline.
    pub batch_keys: usize,
    /// Writer connections.
    pub connections: usize,
    /// Pipelines queued between reader and writers.
    pub in_flight: usize,
    /// Pairs kept for the read-back check.
    pub sample_size: usize,
    /// The progress hash (checkpoints), `None` to write none.
    pub progress_key: Option<String>,
    /// Seed of the TTL jitter and sampling.
    pub seed: u64,
}

/// The keys and values of one layout.
#[derive(Debug, Clone)]
pub enum Encoding {
    /// A key per pair ([`crate::rows::Layout::Pairs`]).
    Pairs {
        /// Keys of this version.
        keys: KeyRenderer,
        /// Value format.
        format: ValueFormat,
    },
    /// A binary row per origin ([`crate::rows::Layout::Rows`]).
    Rows {
        /// The `ok` cells, ascending: the columns of every row.
        index: Arc<[u64]>,
        /// Row keys are this prefix and the origin in hex.
        key_prefix: String,
    },
}

/// A pair remembered for the read-back check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Origin cell.
    pub origin: u64,
    /// Destination cell.
    pub dest: u64,
    /// The value that must be stored (the 8-byte entry in the rows layout), `None`
    /// when the pair must be absent.
    pub expected: Option<Vec<u8>>,
}

/// What a load did.
#[derive(Debug, Clone, Default)]
pub struct LoadOutcome {
    /// Rows read.
    pub rows: u64,
    /// SET commands queued (pairs or rows to store).
    pub keys_sent: u64,
    /// Keys acknowledged.
    pub written: u64,
    /// Pairs without a route (a "no route" key, or entry in a row).
    pub no_route: u64,
    /// Pairs not stored: slower than the maximum duration.
    pub beyond_max: u64,
    /// RESP bytes sent.
    pub bytes: u64,
    /// Per loaded part (manifest position): rows and keys written.
    pub parts: Vec<(usize, u64, u64)>,
    /// Uniform sample of the rows read.
    pub samples: Vec<Sample>,
}

struct Batch {
    part: usize,
    count: usize,
    resp: Vec<u8>,
    cmds: Vec<Cmd>,
}

enum Job {
    Batch(Batch),
    Checkpoint(usize),
}

#[derive(Default, Clone)]
struct PartState {
    sent: u64,
    acked: u64,
    all_sent: bool,
    done: bool,
    rows: u64,
    written: u64,
    no_route: u64,
    beyond_max: u64,
}

struct Shared {
    parts: Mutex<Vec<PartState>>,
    failed: AtomicBool,
    error: Mutex<Option<Error>>,
    counters: Counters,
    part_files: Vec<String>,
    progress_key: Option<String>,
    limit: Option<(u64, String)>,
}

impl Shared {
    fn fail(&self, err: Error) {
        let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(err);
        }
        self.failed.store(true, Ordering::SeqCst);
    }
}

/// Loads the parts of `plan` into `sink`, counting into `counters`.
///
/// # Errors
/// A part cannot be read, Redis cannot be reached or refuses a write
/// ([`Error::OutOfMemory`] when it reached `maxmemory`).
pub fn load(
    matrix: &MatrixDir,
    plan: &LoadPlan,
    sink: &Sink,
    limit: Option<(u64, String)>,
    counters: &Counters,
) -> Result<LoadOutcome> {
    let cluster = matches!(sink, Sink::Redis(Target::Cluster(_)));
    let writers = match sink {
        Sink::RespFile(_) => 1,
        Sink::Redis(_) => plan.connections.max(1),
    };
    let shared = Arc::new(Shared {
        parts: Mutex::new(vec![PartState::default(); plan.parts.len()]),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
        counters: counters.clone(),
        part_files: plan
            .parts
            .iter()
            .map(|&i| checkpoint::part_field(&matrix.manifest.parts[i].file).to_owned())
            .collect(),
        progress_key: plan.progress_key.clone(),
        limit,
    });
    let (tx, rx) = sync_channel::<Job>(plan.in_flight.max(1));
    let rx = Arc::new(Mutex::new(rx));
    let mut handles = Vec::new();
    for _ in 0..writers {
        let mut out = match sink {
            Sink::Redis(target) => Out::Redis(target.connect()?),
            Sink::RespFile(path) => Out::File(
                path.clone(),
                BufWriter::with_capacity(
                    1 << 20,
                    File::create(path).map_err(|source| Error::Io {
                        path: path.clone(),
                        source,
                    })?,
                ),
            ),
        };
        let rx = Arc::clone(&rx);
        let shared = Arc::clone(&shared);
        handles.push(std::thread::spawn(move || writer(&mut out, &rx, &shared)));
    }
    let read = read_parts(matrix, plan, cluster, Some(&tx), &shared);
    drop(tx);
    for h in handles {
        if h.join().is_err() {
            shared.fail(Error::InvalidOption {
                name: "writer thread",
                value: String::new(),
                reason: "panicked".to_owned(),
            });
        }
    }
    let mut outcome = read?;
    if let Some(err) = shared
        .error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return Err(err);
    }
    let parts = shared.parts.lock().unwrap_or_else(PoisonError::into_inner);
    outcome.written = parts.iter().map(|p| p.written).sum();
    outcome.parts = plan
        .parts
        .iter()
        .zip(parts.iter())
        .map(|(&i, p)| (i, p.rows, p.written))
        .collect();
    outcome.bytes = counters.bytes.load(Ordering::Relaxed);
    Ok(outcome)
}

/// The most RESP bytes one pipeline holds (rows of a big city are ~100 kB each).
const MAX_PIPELINE_BYTES: usize = 8 << 20;

/// Collects SET commands into pipelines and queues them to the writers.
struct Emitter<'a> {
    shared: &'a Shared,
    tx: Option<&'a SyncSender<Job>>,
    cluster: bool,
    batch_keys: usize,
    slot: usize,
    batch: Batch,
    bytes: usize,
    ttl_text: Vec<u8>,
}

impl<'a> Emitter<'a> {
    fn new(
        shared: &'a Shared,
        tx: Option<&'a SyncSender<Job>>,
        cluster: bool,
        batch_keys: usize,
    ) -> Self {
        Self {
            shared,
            tx,
            cluster,
            batch_keys: batch_keys.max(1),
            slot: 0,
            batch: Batch::empty(0),
            bytes: 0,
            ttl_text: Vec::with_capacity(12),
        }
    }

    /// Whether commands are sent at all (not when only sampling).
    fn sending(&self) -> bool {
        self.tx.is_some()
    }

    fn stopped(&self) -> bool {
        self.shared.failed.load(Ordering::SeqCst)
    }

    fn send(&self, job: Job) -> bool {
        !self.stopped() && self.tx.is_some_and(|tx| tx.send(job).is_ok())
    }

    fn start_part(&mut self, slot: usize) {
        self.slot = slot;
        self.batch = Batch::empty(slot);
        self.bytes = 0;
    }

    /// Queues `SET key value EX ttl`; false when the load stopped.
    fn set(&mut self, key: &[u8], value: &[u8], ttl_s: u64) -> bool {
        if self.cluster {
            let mut c = redis::cmd("SET");
            c.arg(key).arg(value).arg("EX").arg(ttl_s);
            self.batch.cmds.push(c);
            self.bytes += key.len() + value.len() + 32;
        } else {
            self.ttl_text.clear();
            write_u64(&mut self.ttl_text, ttl_s);
            encode_set(&mut self.batch.resp, key, value, &self.ttl_text);
            self.bytes = self.batch.resp.len();
        }
        self.batch.count += 1;
        if self.batch.count >= self.batch_keys || self.bytes >= MAX_PIPELINE_BYTES {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.batch.count == 0 {
            return !self.stopped();
        }
        note_sent(self.shared, self.slot);
        self.bytes = 0;
        let batch = std::mem::replace(&mut self.batch, Batch::empty(self.slot));
        self.send(Job::Batch(batch))
    }

    /// Sends the rest of the part and its checkpoint once every pipeline is
    /// acknowledged; false when the load stopped.
    fn finish_part(&mut self, rows: u64, (no_route, beyond_max): (u64, u64)) -> bool {
        if !self.flush() {
            return false;
        }
        let complete = {
            let mut parts = self
                .shared
                .parts
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let p = &mut parts[self.slot];
            p.rows = rows;
            p.no_route = no_route;
            p.beyond_max = beyond_max;
            p.all_sent = true;
            let complete = p.acked == p.sent && !p.done;
            if complete {
                p.done = true;
            }
            complete
        };
        !(complete && self.sending()) || self.send(Job::Checkpoint(self.slot))
    }
}

impl Batch {
    fn empty(part: usize) -> Self {
        Self {
            part,
            count: 0,
            resp: Vec::new(),
            cmds: Vec::new(),
        }
    }
}

/// A uniform sample of the rows read: reservoir sampling with Li's algorithm L,
/// which draws how many rows to skip before the next replacement, so the cost is
/// per sampled row, not per row read (109 M rows of a city pass untouched).
struct Reservoir {
    size: usize,
    seen: u64,
    /// Index (over all rows offered) of the next row to take.
    next: u64,
    w: f64,
    state: u64,
    samples: Vec<Sample>,
}

impl Reservoir {
    fn new(size: usize, seed: u64) -> Self {
        Self {
            size,
            seen: 0,
            next: if size == 0 { u64::MAX } else { 0 },
            w: 1.0,
            state: seed ^ 0x5eed,
            samples: Vec::with_capacity(size.min(1 << 16)),
        }
    }

    /// A uniform draw in (0, 1).
    fn unit(&mut self) -> f64 {
        ((splitmix(&mut self.state) >> 11) as f64 + 0.5) / (1_u64 << 53) as f64
    }

    fn skip(&mut self) -> u64 {
        let k = self.size as f64;
        self.w *= (self.unit().ln() / k).exp();
        let gap = (self.unit().ln() / (1.0 - self.w).ln()).floor();
        if gap.is_finite() && gap < 1e18 {
            gap as u64 + 1
        } else {
            u64::MAX / 2
        }
    }

    /// Offers the next `count` rows; `pick(i)` builds the sample of row `i` of
    /// them, called only for the rows taken.
    fn offer_run(&mut self, count: usize, mut pick: impl FnMut(usize) -> Sample) {
        let start = self.seen;
        let end = start + count as u64;
        while self.next < end {
            let sample = pick((self.next - start) as usize);
            if self.samples.len() < self.size {
                self.samples.push(sample);
                self.next = if self.samples.len() < self.size {
                    self.next + 1
                } else {
                    self.next.saturating_add(self.skip())
                };
            } else {
                let slot = (splitmix(&mut self.state) % self.size as u64) as usize;
                self.samples[slot] = sample;
                self.next = self.next.saturating_add(self.skip());
            }
        }
        self.seen = end;
    }
}

/// Encodes every row of the plan's parts into pipelines and queues them.
fn read_parts(
    matrix: &MatrixDir,
    plan: &LoadPlan,
    cluster: bool,
    tx: Option<&SyncSender<Job>>,
    shared: &Shared,
) -> Result<LoadOutcome> {
    let mut outcome = LoadOutcome::default();
    let mut ttl = TtlDraw::new(plan.ttl, plan.seed);
    let mut sample = Reservoir::new(plan.sample_size, plan.seed);
    let mut emit = Emitter::new(shared, tx, cluster, plan.batch_keys);
    for (slot, &part_index) in plan.parts.iter().enumerate() {
        emit.start_part(slot);
        let counted_before = (outcome.no_route, outcome.beyond_max);
        let part_rows = match &plan.encoding {
            Encoding::Pairs { keys, format } => encode_pairs(
                matrix,
                part_index,
                keys,
                *format,
                plan.max_duration_s,
                &mut ttl,
                &mut sample,
                &mut emit,
                &mut outcome,
            )?,
            Encoding::Rows { index, key_prefix } => encode_rows(
                matrix,
                part_index,
                index,
                key_prefix,
                plan.max_duration_s,
                &mut ttl,
                &mut sample,
                &mut emit,
                &mut outcome,
            )?,
        };
        let Some(part_rows) = part_rows else {
            break;
        };
        let counts = (
            outcome.no_route - counted_before.0,
            outcome.beyond_max - counted_before.1,
        );
        if !emit.finish_part(part_rows, counts) {
            break;
        }
    }
    outcome.samples = sample.samples;
    Ok(outcome)
}

/// One part in the `pairs` layout: a SET per stored pair. `None` when the load stopped.
#[expect(
    clippy::too_many_arguments,
    reason = "the reader's state, split out of one loop"
)]
fn encode_pairs(
    matrix: &MatrixDir,
    part_index: usize,
    keys: &KeyRenderer,
    format: ValueFormat,
    max_duration_s: Option<f64>,
    ttl: &mut TtlDraw,
    sample: &mut Reservoir,
    emit: &mut Emitter<'_>,
    outcome: &mut LoadOutcome,
) -> Result<Option<u64>> {
    let mut key = Vec::with_capacity(96);
    let mut value = Vec::with_capacity(64);
    let mut part_rows = 0_u64;
    for pairs in matrix.read_part(part_index, 8192)? {
        if emit.stopped() {
            return Ok(None);
        }
        let pairs = pairs?;
        let origin = &pairs.origin;
        let dest = &pairs.dest;
        for i in 0..pairs.len() {
            outcome.rows += 1;
            part_rows += 1;
            value.clear();
            let ttl_s = match pairs.route(i) {
                None => {
                    value.extend_from_slice(format.no_route());
                    outcome.no_route += 1;
                    Some(ttl.no_route())
                }
                Some((_, dur)) if max_duration_s.is_some_and(|m| dur > m) => {
                    outcome.beyond_max += 1;
                    None
                }
                Some((dist, dur)) => {
                    format.write_route(&mut value, dist, dur);
                    Some(ttl.route())
                }
            };
            sample.offer_run(1, |_| Sample {
                origin: origin[i],
                dest: dest[i],
                expected: ttl_s.map(|_| value.clone()),
            });
            let Some(ttl_s) = ttl_s else { continue };
            if !emit.sending() {
                continue;
            }
            key.clear();
            keys.write(&mut key, origin[i], dest[i]);
            outcome.keys_sent += 1;
            if !emit.set(&key, &value, ttl_s) {
                return Ok(None);
            }
        }
        emit.shared
            .counters
            .rows
            .fetch_add(pairs.len() as u64, Ordering::Relaxed);
    }
    Ok(Some(part_rows))
}

/// One part in the `rows` layout: a SET per origin of its `8 × N` bytes. `None`
/// when the load stopped.
#[expect(
    clippy::too_many_arguments,
    reason = "the reader's state, split out of one loop"
)]
fn encode_rows(
    matrix: &MatrixDir,
    part_index: usize,
    index: &[u64],
    key_prefix: &str,
    max_duration_s: Option<f64>,
    ttl: &mut TtlDraw,
    sample: &mut Reservoir,
    emit: &mut Emitter<'_>,
    outcome: &mut LoadOutcome,
) -> Result<Option<u64>> {
    let path = matrix.part_path(part_index);
    let bad = |origin: u64, message: String| Error::Schema {
        path: path.clone(),
        message: format!("origin {origin:x} {message}"),
    };
    let mut key = Vec::with_capacity(key_prefix.len() + 16);
    let mut part_rows = 0_u64;
    let mut row: Option<RowBuilder<'_>> = None;
    // Sends a finished row; false when the load stopped.
    let mut finish = |row: RowBuilder<'_>, emit: &mut Emitter<'_>, outcome: &mut LoadOutcome| {
        let origin = row.origin();
        let bytes = row.finish().map_err(|e| bad(origin, e.to_string()))?;
        if !emit.sending() {
            return Ok::<bool, Error>(true);
        }
        key.clear();
        key.extend_from_slice(key_prefix.as_bytes());
        write_hex(&mut key, origin);
        outcome.keys_sent += 1;
        Ok(emit.set(&key, &bytes, ttl.route()))
    };
    for pairs in matrix.read_part(part_index, 65_536)? {
        if emit.stopped() {
            return Ok(None);
        }
        let pairs = pairs?;
        let origin = &pairs.origin;
        let n = pairs.len();
        let mut i = 0;
        // Rows come sorted by origin: each run of one origin extends its row at once.
        while i < n {
            let o = origin[i];
            let end = i + origin[i..].iter().take_while(|&&x| x == o).count();
            if row.as_ref().is_some_and(|r| r.origin() != o)
                && let Some(done) = row.take()
                && !finish(done, emit, outcome)?
            {
                return Ok(None);
            }
            let builder = row.get_or_insert_with(|| RowBuilder::new(index, o));
            let stats = builder
                .extend(&pairs, i..end, max_duration_s)
                .map_err(|e| bad(o, e.to_string()))?;
            outcome.no_route += stats.no_route;
            outcome.beyond_max += stats.beyond_max;
            sample.offer_run(end - i, |k| {
                let j = i + k;
                let entry = if pairs.dest[j] == o {
                    [0; ENTRY_BYTES]
                } else {
                    rows::encode(pairs.route(j), max_duration_s)
                };
                Sample {
                    origin: o,
                    dest: pairs.dest[j],
                    expected: Some(entry.to_vec()),
                }
            });
            i = end;
        }
        outcome.rows += n as u64;
        part_rows += n as u64;
        emit.shared
            .counters
            .rows
            .fetch_add(n as u64, Ordering::Relaxed);
    }
    // The contract writes whole origins per part, so the last row ends here.
    if let Some(done) = row.take()
        && !finish(done, emit, outcome)?
    {
        return Ok(None);
    }
    Ok(Some(part_rows))
}

/// Reads the plan's parts without writing anything, for a uniform sample of
/// their rows (the read-back check of parts loaded by an earlier run).
///
/// # Errors
/// A part cannot be read.
pub fn sample_parts(matrix: &MatrixDir, plan: &LoadPlan) -> Result<Vec<Sample>> {
    let shared = Shared {
        parts: Mutex::new(vec![PartState::default(); plan.parts.len()]),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
        counters: Counters::default(),
        part_files: Vec::new(),
        progress_key: None,
        limit: None,
    };
    Ok(read_parts(matrix, plan, false, None, &shared)?.samples)
}

fn note_sent(shared: &Shared, slot: usize) {
    shared.parts.lock().unwrap_or_else(PoisonError::into_inner)[slot].sent += 1;
}

/// Appends `SET key value EX ttl` as RESP.
fn encode_set(out: &mut Vec<u8>, key: &[u8], value: &[u8], ttl: &[u8]) {
    out.extend_from_slice(b"*5\r\n$3\r\nSET\r\n");
    for arg in [key, value] {
        out.push(b'$');
        write_u64(out, arg.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"$2\r\nEX\r\n$");
    write_u64(out, ttl.len() as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(ttl);
    out.extend_from_slice(b"\r\n");
}

enum Out {
    Redis(Conn),
    File(PathBuf, BufWriter<File>),
}

fn writer(out: &mut Out, rx: &Mutex<Receiver<Job>>, shared: &Shared) {
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(PoisonError::into_inner);
            guard.recv()
        };
        let Ok(job) = job else { break };
        if shared.failed.load(Ordering::SeqCst) {
            continue;
        }
        let result = match job {
            Job::Batch(batch) => send_batch(out, &batch, shared).map(|()| {
                let mut parts = shared.parts.lock().unwrap_or_else(PoisonError::into_inner);
                let p = &mut parts[batch.part];
                p.acked += 1;
                p.written += batch.count as u64;
                let complete = p.all_sent && p.acked == p.sent && !p.done;
                if complete {
                    p.done = true;
                }
                complete.then_some(batch.part)
            }),
            Job::Checkpoint(slot) => Ok(Some(slot)),
        };
        match result {
            Ok(Some(slot)) => {
                if let Err(e) = write_checkpoint(out, slot, shared) {
                    shared.fail(e);
                }
            }
            Ok(None) => {}
            Err(e) => shared.fail(e),
        }
    }
    if let Out::File(path, w) = out
        && let Err(source) = w.flush()
    {
        shared.fail(Error::Io {
            path: path.clone(),
            source,
        });
    }
}

fn write_checkpoint(out: &mut Out, slot: usize, shared: &Shared) -> Result<()> {
    let (Out::Redis(conn), Some(key)) = (out, &shared.progress_key) else {
        return Ok(());
    };
    let done = {
        let parts = shared.parts.lock().unwrap_or_else(PoisonError::into_inner);
        let p = &parts[slot];
        checkpoint::PartDone {
            rows: p.rows,
            written: p.written,
            no_route: p.no_route,
            beyond_max: p.beyond_max,
        }
    };
    checkpoint::mark_part(conn, key, &shared.part_files[slot], done)
}

fn send_batch(out: &mut Out, batch: &Batch, shared: &Shared) -> Result<()> {
    match out {
        Out::File(path, w) => {
            w.write_all(&batch.resp).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        Out::Redis(conn) => {
            let replies = if conn.is_cluster() {
                conn.run_pipeline(&batch.cmds, "writing a pipeline of keys")
                    .map_err(|e| oom_or(e, conn, shared))?
            } else {
                conn.send_packed(&batch.resp, batch.count)?
            };
            for reply in &replies {
                match reply {
                    Value::Okay => {}
                    Value::ServerError(err) if err.code() == "OOM" => {
                        return Err(out_of_memory(conn, shared));
                    }
                    other => {
                        return Err(conn.error(
                            "writing a pipeline of keys",
                            redis::RedisError::from((
                                redis::ErrorKind::UnexpectedReturnType,
                                "unexpected reply to SET",
                                format!("{other:?}"),
                            )),
                        ));
                    }
                }
            }
        }
    }
    let bytes = if batch.resp.is_empty() {
        batch
            .cmds
            .iter()
            .map(|c| c.get_packed_command().len())
            .sum::<usize>()
    } else {
        batch.resp.len()
    };
    shared
        .counters
        .bytes
        .fetch_add(bytes as u64, Ordering::Relaxed);
    shared
        .counters
        .keys
        .fetch_add(batch.count as u64, Ordering::Relaxed);
    Ok(())
}

fn oom_or(err: Error, conn: &Conn, shared: &Shared) -> Error {
    match &err {
        Error::Redis { source, .. } if source.to_string().contains("OOM") => {
            out_of_memory(conn, shared)
        }
        _ => err,
    }
}

fn out_of_memory(conn: &Conn, shared: &Shared) -> Error {
    let (maxmemory, policy) = shared.limit.clone().unwrap_or((0, "unknown".to_owned()));
    Error::OutOfMemory {
        url: conn.url().to_owned(),
        maxmemory,
        maxmemory_mib: maxmemory as f64 / 1_048_576.0,
        policy,
        written: shared.counters.keys.load(Ordering::Relaxed),
    }
}
