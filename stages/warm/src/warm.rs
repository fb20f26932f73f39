//! The `warm` entry point: plan, load, verify, publish.
//!
//! 1. Open the matrix (its manifest fingerprint identifies it) and the servers;
//!    read INFO/DBSIZE of every master.
//! 2. If `route:{version}:manifest` exists for this matrix, the load is complete:
//!    nothing is written (the pointer is moved to it after a read-back if it names
//!    another version). Otherwise read the checkpoints and skip completed parts.
//! 3. Stream the remaining parts into pipelines; write the cell set.
//! 4. Verify (see [`crate::verify`]), write the version manifest, move the pointer.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::checkpoint::{self, part_field};
use crate::error::{Error, Result};
use crate::keys::{KeyTemplate, validate_version};
use crate::load::{self, Counters, LoadPlan, Sink};
use crate::matrix::MatrixDir;
use crate::server::ServerStats;
use crate::ttl::TtlPolicy;
use crate::value::ValueFormat;
use crate::verify;
use crate::version::{self, VersionManifest};

/// The default pointer key.
pub const DEFAULT_POINTER_KEY: &str = "route:current";

/// Everything `warm` needs.
#[derive(Debug, Clone)]
pub struct WarmOptions {
    /// The matrix directory.
    pub matrix_dir: PathBuf,
    /// Where to load: Redis, or a RESP file for `redis-cli --pipe`.
    pub sink: Sink,
    /// The version label in every key.
    pub version: String,
    /// Key template.
    pub key_template: KeyTemplate,
    /// Value format.
    pub value_format: ValueFormat,
    /// TTLs.
    pub ttl: TtlPolicy,
    /// Pairs slower than this many seconds are not stored.
    pub max_duration_s: Option<f64>,
    /// The pointer key naming the current version.
    pub pointer_key: String,
    /// Writer connections.
    pub connections: usize,
    /// Commands per pipeline.
    pub batch_keys: usize,
    /// Pipelines queued between the Parquet reader and the writers.
    pub in_flight: usize,
    /// Pairs read back before the pointer moves.
    pub verify_sample: usize,
    /// Reload even if the version is complete or was loaded from another matrix.
    pub force: bool,
    /// Written into the version manifest.
    pub tool_version: String,
}

impl WarmOptions {
    /// Options with the documented defaults.
    #[must_use]
    pub fn new(matrix_dir: PathBuf, sink: Sink, version: String) -> Self {
        Self {
            matrix_dir,
            sink,
            version,
            key_template: KeyTemplate::parse(crate::keys::DEFAULT_TEMPLATE)
                .unwrap_or_else(|_| unreachable!("the default template parses")),
            value_format: ValueFormat::Json,
            ttl: TtlPolicy::default(),
            max_duration_s: None,
            pointer_key: DEFAULT_POINTER_KEY.to_owned(),
            connections: 2,
            batch_keys: 2000,
            in_flight: 4,
            verify_sample: 1000,
            force: false,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// How a warm run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmStatus {
    /// Loaded (all parts or the ones left by an interrupted run), verified, pointer moved.
    Loaded,
    /// The version was complete and current: nothing written.
    AlreadyCurrent,
    /// The version was complete; only the pointer moved (after a read-back).
    Repointed,
    /// Commands written to a RESP file; Redis untouched.
    RespFile,
}

/// What a warm run did.
#[derive(Debug, Clone, Serialize)]
pub struct WarmSummary {
    /// How it ended.
    pub status: WarmStatus,
    /// The version.
    pub version: String,
    /// The pointer key and the version it named before, if any.
    pub pointer_key: String,
    /// The version the pointer named before.
    pub previous_version: Option<String>,
    /// Parts in the matrix.
    pub parts_total: usize,
    /// Parts loaded by this run.
    pub parts_loaded: usize,
    /// Parts skipped: completed by an earlier, interrupted run.
    pub parts_resumed: usize,
    /// Matrix rows read by this run.
    pub rows_read: u64,
    /// Keys written by this run.
    pub keys_written: u64,
    /// Pair keys of the version (all runs).
    pub keys_total: u64,
    /// "No route" keys written by this run.
    pub no_route_keys: u64,
    /// Pairs not stored (beyond the duration limit) in this run.
    pub beyond_max_duration: u64,
    /// RESP bytes sent by this run.
    pub bytes_sent: u64,
    /// Seconds spent loading pairs.
    pub load_seconds: f64,
    /// Keys per second while loading.
    pub keys_per_second: f64,
    /// `used_memory` summed over masters before.
    pub used_memory_before: u64,
    /// `used_memory` summed over masters after.
    pub used_memory_after: u64,
    /// DBSIZE summed over masters before.
    pub dbsize_before: u64,
    /// DBSIZE summed over masters after.
    pub dbsize_after: u64,
    /// Whether the DBSIZE delta was checked (only sound for a fresh load into an empty database).
    pub dbsize_checked: bool,
    /// Pairs read back and compared.
    pub pairs_read_back: u64,
    /// The drivable cells in the cell set.
    pub cells: u64,
}

/// Loads the matrix into Redis under `version`, verifies it and moves the pointer.
/// `counters` are updated live for progress display.
///
/// # Errors
/// Unreadable matrix, Redis unreachable or refusing (memory limit, credentials),
/// a version conflict, or a failed verification; the pointer is then unchanged.
pub fn warm(opts: &WarmOptions, counters: &Counters) -> Result<WarmSummary> {
    validate_version(&opts.version)?;
    opts.ttl.validate()?;
    let matrix = MatrixDir::open(&opts.matrix_dir)?;
    let keys = opts.key_template.for_version(&opts.version);
    let meta_ttl = opts.ttl.meta_ttl_s();
    let seed = rand::random::<u64>();
    let mut plan = LoadPlan {
        parts: (0..matrix.manifest.parts.len()).collect(),
        keys: keys.clone(),
        format: opts.value_format,
        ttl: opts.ttl,
        max_duration_s: opts.max_duration_s,
        batch_keys: opts.batch_keys,
        connections: opts.connections,
        in_flight: opts.in_flight,
        sample_size: opts.verify_sample,
        progress_key: None,
        seed,
    };
    let mut summary = WarmSummary {
        status: WarmStatus::Loaded,
        version: opts.version.clone(),
        pointer_key: opts.pointer_key.clone(),
        previous_version: None,
        parts_total: matrix.manifest.parts.len(),
        parts_loaded: 0,
        parts_resumed: 0,
        rows_read: 0,
        keys_written: 0,
        keys_total: 0,
        no_route_keys: 0,
        beyond_max_duration: 0,
        bytes_sent: 0,
        load_seconds: 0.0,
        keys_per_second: 0.0,
        used_memory_before: 0,
        used_memory_after: 0,
        dbsize_before: 0,
        dbsize_after: 0,
        dbsize_checked: false,
        pairs_read_back: 0,
        cells: matrix.manifest.cells.ok,
    };
    let target = match &opts.sink {
        Sink::RespFile(_) => {
            let started = Instant::now();
            let outcome = load::load(&matrix, &plan, &opts.sink, None, counters)?;
            fill_load(&mut summary, &outcome, started);
            summary.status = WarmStatus::RespFile;
            summary.keys_total = outcome.written;
            return Ok(summary);
        }
        Sink::Redis(target) => target.clone(),
    };

    let mut conn = target.connect()?;
    let before = ServerStats::read(&target)?;
    summary.used_memory_before = before.used_memory();
    summary.dbsize_before = before.dbsize();
    let manifest_key = opts.key_template.meta_key(&opts.version, "manifest");
    let cells_key = opts.key_template.meta_key(&opts.version, "cells");
    let progress_key = opts.key_template.meta_key(&opts.version, "progress");
    let current = version::read_pointer(&mut conn, &opts.pointer_key)?;

    // A complete version of this matrix: nothing to load.
    if let Some(existing) = version::read_manifest(&mut conn, &manifest_key)? {
        if existing.matrix_fingerprint != matrix.fingerprint && !opts.force {
            return Err(Error::VersionConflict {
                version: opts.version.clone(),
                found: existing.matrix_fingerprint,
                expected: matrix.fingerprint.clone(),
            });
        }
        if !opts.force {
            summary.keys_total = existing.keys;
            summary.parts_resumed = summary.parts_total;
            summary.used_memory_after = summary.used_memory_before;
            summary.dbsize_after = summary.dbsize_before;
            if current.as_deref() == Some(opts.version.as_str()) {
                summary.status = WarmStatus::AlreadyCurrent;
                summary.previous_version = current;
                return Ok(summary);
            }
            // Keys may have expired since: read a sample back before pointing at it.
            let samples = load::sample_parts(&matrix, &random_parts(&plan, &matrix, 4, seed))?;
            summary.pairs_read_back =
                verify::read_back(&mut conn, &opts.version, &keys, &samples)?.checked;
            summary.previous_version =
                version::move_pointer(&mut conn, &opts.pointer_key, &opts.version)?;
            summary.status = WarmStatus::Repointed;
            return Ok(summary);
        }
    }

    let mut progress = checkpoint::read(&mut conn, &progress_key)?;
    if opts.force {
        checkpoint::clear(&mut conn, &progress_key)?;
        progress = checkpoint::Progress::default();
    } else if let Some(found) = &progress.fingerprint
        && *found != matrix.fingerprint
    {
        return Err(Error::VersionConflict {
            version: opts.version.clone(),
            found: found.clone(),
            expected: matrix.fingerprint.clone(),
        });
    }
    let fresh = progress.fingerprint.is_none() && !opts.force;
    checkpoint::start(&mut conn, &progress_key, &matrix.fingerprint, meta_ttl)?;
    let done: HashSet<usize> = matrix
        .manifest
        .parts
        .iter()
        .enumerate()
        .filter(|(_, p)| progress.parts.contains_key(part_field(&p.file)))
        .map(|(i, _)| i)
        .collect();
    plan.parts.retain(|i| !done.contains(i));
    plan.progress_key = Some(progress_key.clone());
    summary.parts_loaded = plan.parts.len();
    summary.parts_resumed = done.len();

    let started = Instant::now();
    let outcome = load::load(&matrix, &plan, &opts.sink, before.memory_limit(), counters)?;
    fill_load(&mut summary, &outcome, started);
    let cells = matrix.ok_cells()?;
    version::write_cells(&mut conn, &cells_key, &cells, meta_ttl)?;

    // Verification: counts first (cheap, exact), then the servers, then the sample.
    let fail = |message: String| Error::Verify {
        version: opts.version.clone(),
        message,
    };
    let mut written_total = outcome.written;
    for (i, part) in matrix.manifest.parts.iter().enumerate() {
        let (rows, written) = if done.contains(&i) {
            progress.parts[part_field(&part.file)]
        } else {
            outcome
                .parts
                .iter()
                .find(|(p, _, _)| *p == i)
                .map(|&(_, r, w)| (r, w))
                .unwrap_or_default()
        };
        if rows != part.rows {
            return Err(fail(format!(
                "{} has {rows} rows but the matrix manifest lists {}",
                part.file, part.rows
            )));
        }
        if done.contains(&i) {
            written_total += written;
        }
    }
    let stored_this_run = outcome.rows - outcome.beyond_max;
    if outcome.written != stored_this_run {
        return Err(fail(format!(
            "{} keys were acknowledged but {stored_this_run} were sent",
            outcome.written
        )));
    }
    summary.keys_total = written_total;
    let after = ServerStats::read(&target)?;
    let restarted = after.restarted_since(&before);
    if !restarted.is_empty() {
        return Err(fail(format!(
            "redis restarted during the load ({}): keys written before the restart may be lost; rerun",
            restarted.join(", ")
        )));
    }
    let evicted = after.evicted_keys().saturating_sub(before.evicted_keys());
    if evicted > 0 {
        return Err(fail(format!(
            "redis evicted {evicted} keys during the load (maxmemory-policy {}): the cache is incomplete",
            before
                .memory_limit()
                .map_or_else(|| "?".to_owned(), |l| l.1)
        )));
    }
    let cell_count = version::count_cells(&mut conn, &cells_key)?;
    if cell_count != cells.len() as u64 {
        return Err(fail(format!(
            "{cells_key} holds {cell_count} cells, cells.parquet has {} ok cells",
            cells.len()
        )));
    }
    if fresh && before.dbsize() == 0 {
        // Empty before, fresh load: the only keys are ours (pairs, progress hash, cell set).
        let expected = written_total + 2;
        summary.dbsize_checked = true;
        if after.dbsize() != expected {
            return Err(fail(format!(
                "DBSIZE is {} after loading {written_total} keys into an empty database (expected {expected})",
                after.dbsize()
            )));
        }
    }
    let mut samples = outcome.samples.clone();
    if !done.is_empty() {
        let resumed: Vec<usize> = done.iter().copied().collect();
        let earlier = LoadPlan {
            parts: resumed,
            ..plan.clone()
        };
        samples.extend(load::sample_parts(
            &matrix,
            &random_parts(&earlier, &matrix, 2, seed),
        )?);
    }
    summary.pairs_read_back = verify::read_back(&mut conn, &opts.version, &keys, &samples)?.checked;

    let loaded_at_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let manifest = VersionManifest {
        version: opts.version.clone(),
        resolution: matrix.manifest.resolution,
        bbox: matrix.manifest.bbox,
        key_template: opts.key_template.as_str().to_owned(),
        value_format: opts.value_format.name().to_owned(),
        cells_key,
        cells: cells.len() as u64,
        keys: written_total,
        no_route_keys: outcome.no_route,
        beyond_max_duration: outcome.beyond_max,
        max_duration_s: opts.max_duration_s,
        ttl_s: opts.ttl.ttl_s,
        no_route_ttl_s: opts.ttl.no_route_ttl_s,
        ttl_jitter: opts.ttl.jitter,
        matrix_fingerprint: matrix.fingerprint.clone(),
        loaded_at_unix,
        tool_version: opts.tool_version.clone(),
        matrix: matrix.manifest_json.clone(),
    };
    version::write_manifest(&mut conn, &manifest_key, &manifest, meta_ttl)?;
    summary.previous_version = version::move_pointer(&mut conn, &opts.pointer_key, &opts.version)?;
    let final_stats = ServerStats::read(&target)?;
    summary.used_memory_after = final_stats.used_memory();
    summary.dbsize_after = final_stats.dbsize();
    Ok(summary)
}

fn fill_load(summary: &mut WarmSummary, outcome: &load::LoadOutcome, started: Instant) {
    summary.load_seconds = started.elapsed().as_secs_f64();
    summary.rows_read = outcome.rows;
    summary.keys_written = outcome.written;
    summary.no_route_keys = outcome.no_route;
    summary.beyond_max_duration = outcome.beyond_max;
    summary.bytes_sent = outcome.bytes;
    summary.keys_per_second = if summary.load_seconds > 0.0 {
        outcome.written as f64 / summary.load_seconds
    } else {
        0.0
    };
}

/// A plan over up to `n` random parts of `plan` (for re-reading a sample).
fn random_parts(plan: &LoadPlan, matrix: &MatrixDir, n: usize, seed: u64) -> LoadPlan {
    let mut state = seed;
    let mut parts: Vec<usize> = if plan.parts.is_empty() {
        (0..matrix.manifest.parts.len()).collect()
    } else {
        plan.parts.clone()
    };
    // Partial Fisher-Yates: the first n are a uniform choice.
    for i in 0..n.min(parts.len()) {
        let j = i + (crate::ttl::splitmix(&mut state) % (parts.len() - i) as u64) as usize;
        parts.swap(i, j);
    }
    parts.truncate(n);
    parts.sort_unstable();
    LoadPlan {
        parts,
        ..plan.clone()
    }
}
