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
use crate::keys::KeyRenderer;
use crate::matrix::MatrixDir;
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
    /// Keys of this version.
    pub keys: KeyRenderer,
    /// Value format.
    pub format: ValueFormat,
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

/// A pair remembered for the read-back check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Origin cell.
    pub origin: u64,
    /// Destination cell.
    pub dest: u64,
    /// The value that must be stored, `None` when the pair must be absent.
    pub expected: Option<Vec<u8>>,
}

/// What a load did.
#[derive(Debug, Clone, Default)]
pub struct LoadOutcome {
    /// Rows read.
    pub rows: u64,
    /// Keys acknowledged.
    pub written: u64,
    /// Of these, "no route" keys.
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
    let mut rng_state = plan.seed ^ 0x5eed;
    let mut key = Vec::with_capacity(96);
    let mut value = Vec::with_capacity(64);
    let mut ttl_text = Vec::with_capacity(12);
    let batch_keys = plan.batch_keys.max(1);
    let new_batch = |part| Batch {
        part,
        count: 0,
        resp: if cluster {
            Vec::new()
        } else {
            Vec::with_capacity(batch_keys * 110)
        },
        cmds: Vec::new(),
    };
    let send = |job: Job| -> bool {
        !shared.failed.load(Ordering::SeqCst) && tx.is_some_and(|tx| tx.send(job).is_ok())
    };
    for (slot, &part_index) in plan.parts.iter().enumerate() {
        let mut batch = new_batch(slot);
        let mut part_rows = 0_u64;
        for pairs in matrix.read_part(part_index, 8192)? {
            if shared.failed.load(Ordering::SeqCst) {
                return Ok(outcome);
            }
            let pairs = pairs?;
            let origin = pairs.origin.values();
            let dest = pairs.dest.values();
            for i in 0..pairs.len() {
                outcome.rows += 1;
                part_rows += 1;
                key.clear();
                plan.keys.write(&mut key, origin[i], dest[i]);
                value.clear();
                let ttl_s = match pairs.route(i) {
                    None => {
                        value.extend_from_slice(plan.format.no_route());
                        outcome.no_route += 1;
                        Some(ttl.no_route())
                    }
                    Some((_, dur)) if plan.max_duration_s.is_some_and(|m| dur > m) => {
                        outcome.beyond_max += 1;
                        None
                    }
                    Some((dist, dur)) => {
                        plan.format.write_route(&mut value, dist, dur);
                        Some(ttl.route())
                    }
                };
                // Reservoir sampling (algorithm R): every row read is equally likely.
                let seen = outcome.rows;
                let pick = if (outcome.samples.len() as u64) < plan.sample_size as u64 {
                    Some(outcome.samples.len())
                } else {
                    let j = (splitmix(&mut rng_state) % seen) as usize;
                    (j < plan.sample_size).then_some(j)
                };
                if let Some(j) = pick {
                    let sample = Sample {
                        origin: origin[i],
                        dest: dest[i],
                        expected: ttl_s.map(|_| value.clone()),
                    };
                    if j == outcome.samples.len() {
                        outcome.samples.push(sample);
                    } else {
                        outcome.samples[j] = sample;
                    }
                }
                let Some(ttl_s) = ttl_s else { continue };
                if tx.is_none() {
                    continue;
                }
                if cluster {
                    let mut c = redis::cmd("SET");
                    c.arg(&key[..]).arg(&value[..]).arg("EX").arg(ttl_s);
                    batch.cmds.push(c);
                } else {
                    ttl_text.clear();
                    write_u64(&mut ttl_text, ttl_s);
                    encode_set(&mut batch.resp, &key, &value, &ttl_text);
                }
                batch.count += 1;
                if batch.count == batch_keys {
                    note_sent(shared, slot);
                    if !send(Job::Batch(std::mem::replace(&mut batch, new_batch(slot)))) {
                        return Ok(outcome);
                    }
                }
            }
            shared
                .counters
                .rows
                .fetch_add(pairs.len() as u64, Ordering::Relaxed);
        }
        if batch.count > 0 {
            note_sent(shared, slot);
            if !send(Job::Batch(batch)) {
                return Ok(outcome);
            }
        }
        let complete = {
            let mut parts = shared.parts.lock().unwrap_or_else(PoisonError::into_inner);
            let p = &mut parts[slot];
            p.rows = part_rows;
            p.all_sent = true;
            let complete = p.acked == p.sent && !p.done;
            if complete {
                p.done = true;
            }
            complete
        };
        if complete && tx.is_some() && !send(Job::Checkpoint(slot)) {
            return Ok(outcome);
        }
    }
    Ok(outcome)
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
    let (rows, written) = {
        let parts = shared.parts.lock().unwrap_or_else(PoisonError::into_inner);
        (parts[slot].rows, parts[slot].written)
    };
    checkpoint::mark_part(conn, key, &shared.part_files[slot], rows, written)
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
