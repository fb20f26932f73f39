//! The warm stage's entry point [`run`]: plan, load, verify, publish.
//!
//! 1. Open the matrix (its content fingerprint identifies it) and the servers;
//!    read INFO/DBSIZE of every master and the pointer.
//! 2. If `route:{version}:manifest` exists for this matrix and layout, the load is
//!    complete: nothing is written unless its keys have less than half their TTL
//!    left (then it is reloaded in place), and the pointer is moved to it after a
//!    read-back if it names another version. Otherwise read the checkpoints and
//!    skip completed parts.
//! 3. Refuse a load that would not fit in `maxmemory` or could evict the live
//!    version ([`crate::capacity`]); nothing is written then.
//! 4. Stream the remaining parts into pipelines; write the cell set (and the
//!    index in the rows layout).
//! 5. Verify (see [`crate::verify`]); a failure forgets the checkpoints, so a rerun
//!    reloads everything. Write the version manifest, then move the pointer by
//!    compare-and-set: only if it still names what it named when the load began.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hexmatrix_contract::{Context, Counter, Unit};
use serde::Serialize;

use crate::capacity::{self, Estimate};
use crate::checkpoint::{self, part_field};
use crate::connect::Conn;
use crate::error::{Error, Result};
use crate::keys::{KeyTemplate, validate_version};
use crate::load::{self, Counters, Encoding, LoadOutcome, LoadPlan, Sample, Sink};
use crate::matrix::MatrixDir;
use crate::rows::{self, Layout};
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
    /// A key per pair, or a binary row per origin.
    pub layout: Layout,
    /// Value format (pairs layout).
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
    /// Load even when the server's memory policy could evict the live version.
    pub allow_eviction: bool,
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
            layout: Layout::Pairs,
            value_format: ValueFormat::Json,
            ttl: TtlPolicy::default(),
            max_duration_s: None,
            pointer_key: DEFAULT_POINTER_KEY.to_owned(),
            connections: 2,
            batch_keys: 2000,
            in_flight: 4,
            verify_sample: 1000,
            force: false,
            allow_eviction: false,
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
    /// The version was complete and current but had used more than half its TTL:
    /// every key was written again in place with fresh TTLs.
    Refreshed,
    /// Commands written to a RESP file; Redis untouched.
    RespFile,
    /// One shard's parts loaded, verified and recorded (`warm --shard`); the
    /// version manifest and the pointer wait for `warm --publish`.
    ShardLoaded,
}

/// What a warm run did.
#[derive(Debug, Clone, Serialize)]
pub struct WarmSummary {
    /// How it ended.
    pub status: WarmStatus,
    /// The version.
    pub version: String,
    /// The layout of the version.
    pub layout: Layout,
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
    /// Data keys of the version (all runs): pair keys, or row keys.
    pub keys_total: u64,
    /// Pairs without a route read by this run (each a "no route" key in the pairs layout).
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
    /// Row keys whose length was checked (rows layout: all of them).
    pub rows_checked: u64,
    /// The memory the load was estimated to add, bytes (0 when not estimated).
    pub estimated_bytes: u64,
    /// The drivable cells in the cell set.
    pub cells: u64,
}

/// Loads the matrix into Redis under `opts.version`, verifies it and moves the
/// pointer. Plan: open the matrix, its `ok` cells and the keys of the version;
/// unless the version is already complete in Redis, load (the parts the
/// checkpoints do not list, refused beforehand if it would not fit), verify (exact
/// counts, no restart or eviction, a sampled read-back), publish (the version
/// manifest, then the pointer by compare-and-set).
/// The pairs read, keys written and bytes sent are shown on `ctx`.
///
/// # Errors
/// Unreadable matrix, Redis unreachable or refusing (memory limit, credentials,
/// an evicting policy), a version conflict, a failed verification, a pointer
/// moved by another load, or [`Error::Cancelled`]; the pointer is then unchanged.
pub fn run(opts: &WarmOptions, ctx: &Context) -> Result<WarmSummary> {
    let matrix = Job::open(opts)?;
    let counters = Counters::default();
    let shown = ctx.show(
        STAGE,
        Some(matrix.manifest.pairs),
        Counter::new(Unit::Items("pairs"), Arc::clone(&counters.rows)),
        vec![
            Counter::new(Unit::Items("keys"), Arc::clone(&counters.keys)),
            Counter::new(Unit::Bytes, Arc::clone(&counters.bytes)),
        ],
    );
    let result = warm(opts, &matrix, &counters, ctx);
    shown.finish();
    result
}

/// [`run`] with its counters: the stage's steps in order.
fn warm(
    opts: &WarmOptions,
    matrix: &MatrixDir,
    counters: &Counters,
    ctx: &Context,
) -> Result<WarmSummary> {
    let mut job = Job::plan(opts, matrix, ctx.tool_version())?;
    let target = match &opts.sink {
        Sink::RespFile(_) => return job.write_resp(counters),
        Sink::Redis(target) => target,
    };
    let mut conn = target.connect()?;
    let before = ServerStats::read(target)?;
    job.summary.used_memory_before = before.used_memory();
    job.summary.dbsize_before = before.dbsize();
    let pointer_at_start = version::read_pointer(&mut conn, &opts.pointer_key)?;
    job.summary.previous_version.clone_from(&pointer_at_start);
    let mode = match job.existing(&mut conn, pointer_at_start.as_deref())? {
        Existing::Done(status) => {
            job.summary.status = status;
            job.summary.used_memory_after = job.summary.used_memory_before;
            job.summary.dbsize_after = job.summary.dbsize_before;
            return Ok(job.summary);
        }
        Existing::Load(mode) => mode,
    };
    ctx.check(STAGE)?;
    let loaded = job.load(&mut conn, &before, mode, counters)?;
    if let Err(e) = job.verify(&mut conn, target, &before, &loaded) {
        // A rerun must not trust the checkpoints of a load that failed verification.
        if matches!(e, Error::Verify { .. }) {
            checkpoint::clear(&mut conn, &job.keys.progress)?;
        }
        return Err(e);
    }
    ctx.check(STAGE)?;
    job.publish(&mut conn, pointer_at_start.as_deref(), &loaded.outcome)?;
    let after = ServerStats::read(target)?;
    job.summary.used_memory_after = after.used_memory();
    job.summary.dbsize_after = after.dbsize();
    Ok(job.summary)
}

/// The stage's name in progress lines and cancellation errors.
pub(crate) const STAGE: &str = "warm";

/// What [`Job::load`] did, for [`Job::verify`] and [`Job::publish`].
struct Loaded {
    outcome: LoadOutcome,
    /// The checkpoints found when the load began.
    progress: checkpoint::Progress,
    /// Parts completed by an earlier, interrupted run, skipped by this one.
    done: HashSet<usize>,
    /// No checkpoint and no complete version before: a fresh load.
    fresh: bool,
}

/// What the version already in Redis means for this run.
enum Existing {
    /// Nothing (more) to load: current, or repointed.
    Done(WarmStatus),
    /// Load, in this mode.
    Load(LoadMode),
}

/// How a load starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadMode {
    /// No complete version yet: resume from the checkpoints, if any.
    Resume,
    /// Rewrite every key of a complete version (`--force`, or a refresh of TTLs):
    /// the keys exist, so memory does not grow.
    InPlace(WarmStatus),
    /// Load a complete version again in another layout: new keys, memory grows.
    Relayout,
}

/// The per-version keys.
pub(crate) struct VersionKeys {
    pub(crate) manifest: String,
    pub(crate) cells: String,
    pub(crate) progress: String,
    pub(crate) index: String,
    pub(crate) row_prefix: String,
    /// The shard records of a sharded load (`warm --shard`), a hash by `K-of-N`.
    pub(crate) shards: String,
}

/// One warm run's state.
pub(crate) struct Job<'a> {
    pub(crate) opts: &'a WarmOptions,
    pub(crate) matrix: &'a MatrixDir,
    pub(crate) cells: Arc<[u64]>,
    pub(crate) keys: VersionKeys,
    pub(crate) plan: LoadPlan,
    pub(crate) summary: WarmSummary,
    /// Recorded in the version manifest.
    tool_version: String,
}

impl<'a> Job<'a> {
    /// Opens the matrix directory (its manifest and fingerprint).
    pub(crate) fn open(opts: &WarmOptions) -> Result<MatrixDir> {
        validate_version(&opts.version)?;
        opts.ttl.validate()?;
        MatrixDir::open(&opts.matrix_dir)
    }

    /// The plan: the `ok` cells (which must match the manifest), the per-version
    /// keys, the encoding and every part to load.
    pub(crate) fn plan(
        opts: &'a WarmOptions,
        matrix: &'a MatrixDir,
        tool_version: &str,
    ) -> Result<Self> {
        let cells: Arc<[u64]> = matrix.ok_cells()?.into();
        if cells.len() as u64 != matrix.manifest.cells.ok {
            return Err(Error::Manifest {
                path: matrix.dir().join(hexmatrix_contract::MANIFEST_FILE),
                message: format!(
                    "lists {} ok cells but {} has {}",
                    matrix.manifest.cells.ok,
                    hexmatrix_contract::CELLS_FILE,
                    cells.len()
                ),
            });
        }
        let mut job = Self::new(opts, matrix, cells);
        tool_version.clone_into(&mut job.tool_version);
        Ok(job)
    }

    fn new(opts: &'a WarmOptions, matrix: &'a MatrixDir, cells: Arc<[u64]>) -> Self {
        let t = &opts.key_template;
        let v = &opts.version;
        let keys = VersionKeys {
            manifest: t.meta_key(v, "manifest"),
            cells: t.meta_key(v, "cells"),
            progress: t.meta_key(v, "progress"),
            index: t.meta_key(v, "index"),
            row_prefix: t.meta_key(v, "row:"),
            shards: t.meta_key(v, "shards"),
        };
        let encoding = match opts.layout {
            Layout::Pairs => Encoding::Pairs {
                keys: t.for_version(v),
                format: opts.value_format,
            },
            Layout::Rows => Encoding::Rows {
                index: Arc::clone(&cells),
                key_prefix: keys.row_prefix.clone(),
            },
        };
        let plan = LoadPlan {
            parts: (0..matrix.manifest.parts.len()).collect(),
            encoding,
            ttl: opts.ttl,
            max_duration_s: opts.max_duration_s,
            batch_keys: opts.batch_keys,
            connections: opts.connections,
            in_flight: opts.in_flight,
            sample_size: opts.verify_sample,
            progress_key: None,
            seed: rand::random::<u64>(),
        };
        let summary = WarmSummary {
            status: WarmStatus::Loaded,
            version: opts.version.clone(),
            layout: opts.layout,
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
            rows_checked: 0,
            estimated_bytes: 0,
            cells: matrix.manifest.cells.ok,
        };
        Self {
            opts,
            matrix,
            cells,
            keys,
            plan,
            summary,
            tool_version: String::new(),
        }
    }

    pub(crate) fn fill_load(&mut self, outcome: &LoadOutcome, started: Instant) {
        let s = &mut self.summary;
        s.load_seconds = started.elapsed().as_secs_f64();
        s.rows_read = outcome.rows;
        s.keys_written = outcome.written;
        s.no_route_keys = outcome.no_route;
        s.beyond_max_duration = outcome.beyond_max;
        s.bytes_sent = outcome.bytes;
        s.keys_per_second = if s.load_seconds > 0.0 {
            outcome.written as f64 / s.load_seconds
        } else {
            0.0
        };
    }

    /// The RESP-file sink: every part written as commands, Redis untouched.
    pub(crate) fn write_resp(mut self, counters: &Counters) -> Result<WarmSummary> {
        let started = Instant::now();
        let outcome = load::load(self.matrix, &self.plan, &self.opts.sink, None, counters)?;
        self.fill_load(&outcome, started);
        self.summary.status = WarmStatus::RespFile;
        self.summary.keys_total = outcome.written;
        Ok(self.summary)
    }

    /// Decides from the version manifest in Redis whether anything must be loaded.
    fn existing(&mut self, conn: &mut Conn, current: Option<&str>) -> Result<Existing> {
        let opts = self.opts;
        let Some(existing) = version::read_manifest(conn, &self.keys.manifest)? else {
            return Ok(Existing::Load(LoadMode::Resume));
        };
        if existing.matrix_fingerprint != self.matrix.fingerprint && !opts.force {
            return Err(Error::VersionConflict {
                version: opts.version.clone(),
                found: existing.matrix_fingerprint,
                expected: self.matrix.fingerprint.clone(),
            });
        }
        if opts.force {
            return Ok(Existing::Load(LoadMode::InPlace(WarmStatus::Loaded)));
        }
        if existing.layout != opts.layout.name() {
            return Ok(Existing::Load(LoadMode::Relayout));
        }
        // Unchanged nights: keys loaded more than half a TTL ago are written again,
        // so a week without map changes never leaves the pointer naming expired keys.
        let age = unix_now().saturating_sub(existing.loaded_at_unix);
        if age > existing.ttl_s / 2 {
            return Ok(Existing::Load(LoadMode::InPlace(WarmStatus::Refreshed)));
        }
        self.summary.keys_total = existing.keys;
        self.summary.parts_resumed = self.summary.parts_total;
        if current == Some(opts.version.as_str()) {
            return Ok(Existing::Done(WarmStatus::AlreadyCurrent));
        }
        // Keys may have expired or been evicted since: check before pointing at it.
        let samples = load::sample_parts(self.matrix, &self.random_parts(&self.plan.parts, 4))?;
        self.check_data(conn, &samples)?;
        version::move_pointer(conn, &opts.pointer_key, current, &opts.version)?;
        Ok(Existing::Done(WarmStatus::Repointed))
    }

    /// A plan over up to `n` random parts among `parts` (for re-reading a sample).
    pub(crate) fn random_parts(&self, parts: &[usize], n: usize) -> LoadPlan {
        let mut state = self.plan.seed;
        let mut parts: Vec<usize> = if parts.is_empty() {
            (0..self.matrix.manifest.parts.len()).collect()
        } else {
            parts.to_vec()
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
            ..self.plan.clone()
        }
    }

    /// Reads `samples` back (and, in the rows layout, checks every row's length).
    pub(crate) fn check_data(&mut self, conn: &mut Conn, samples: &[Sample]) -> Result<()> {
        let v = &self.opts.version;
        match &self.plan.encoding {
            Encoding::Pairs { keys, .. } => {
                self.summary.pairs_read_back = verify::read_back(conn, v, keys, samples)?.checked;
            }
            Encoding::Rows { index, key_prefix } => {
                self.summary.rows_checked =
                    verify::check_rows(conn, v, &self.keys.index, index, key_prefix)?;
                self.summary.pairs_read_back =
                    verify::read_back_rows(conn, v, index, key_prefix, samples)?.checked;
            }
        }
        Ok(())
    }

    /// Loads what is missing: reads the checkpoints (or clears them to rewrite a
    /// complete version), skips the parts they list, refuses a load that would not
    /// fit, writes the cell index (rows layout), streams the parts, writes the cell set.
    fn load(
        &mut self,
        conn: &mut Conn,
        before: &ServerStats,
        mode: LoadMode,
        counters: &Counters,
    ) -> Result<Loaded> {
        let opts = self.opts;
        let meta_ttl = opts.ttl.meta_ttl_s();
        let mut progress = checkpoint::read(conn, &self.keys.progress)?;
        if let LoadMode::InPlace(_) | LoadMode::Relayout = mode {
            checkpoint::clear(conn, &self.keys.progress)?;
            progress = checkpoint::Progress::default();
        }
        if let LoadMode::InPlace(status) = mode {
            self.summary.status = status;
        } else if let Some(found) = &progress.fingerprint
            && *found != self.matrix.fingerprint
        {
            return Err(Error::VersionConflict {
                version: opts.version.clone(),
                found: found.clone(),
                expected: self.matrix.fingerprint.clone(),
            });
        }
        let fresh = progress.fingerprint.is_none() && mode == LoadMode::Resume;
        let done: HashSet<usize> = self
            .matrix
            .manifest
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| progress.parts.contains_key(part_field(&p.file)))
            .map(|(i, _)| i)
            .collect();
        self.plan.parts.retain(|i| !done.contains(i));
        self.summary.parts_loaded = self.plan.parts.len();
        self.summary.parts_resumed = done.len();

        if matches!(mode, LoadMode::Resume | LoadMode::Relayout) {
            self.check_capacity(before)?;
        }
        checkpoint::start(
            conn,
            &self.keys.progress,
            &self.matrix.fingerprint,
            meta_ttl,
        )?;
        if opts.layout == Layout::Rows {
            let _: () = conn.query(
                redis::cmd("SET")
                    .arg(&self.keys.index)
                    .arg(rows::index_bytes(&self.cells))
                    .arg("EX")
                    .arg(meta_ttl),
                "writing the cell index",
            )?;
        }
        self.plan.progress_key = Some(self.keys.progress.clone());
        let started = Instant::now();
        let outcome = load::load(
            self.matrix,
            &self.plan,
            &opts.sink,
            before.memory_limit(),
            counters,
        )?;
        self.fill_load(&outcome, started);
        version::write_cells(conn, &self.keys.cells, &self.cells, meta_ttl)?;
        Ok(Loaded {
            outcome,
            progress,
            done,
            fresh,
        })
    }

    /// Verifies the load ([`verify::check_load`]: exact counts, the servers'
    /// health, the DBSIZE delta), then the data itself, read back.
    fn verify(
        &mut self,
        conn: &mut Conn,
        target: &crate::Target,
        before: &ServerStats,
        loaded: &Loaded,
    ) -> Result<()> {
        let after = ServerStats::read(target)?;
        let cell_count = version::count_cells(conn, &self.keys.cells)?;
        let check = verify::check_load(&verify::LoadFacts {
            version: &self.opts.version,
            layout: self.opts.layout,
            parts: &self.matrix.manifest.parts,
            outcome: &loaded.outcome,
            progress: &loaded.progress,
            done: &loaded.done,
            fresh: loaded.fresh,
            before,
            after: &after,
            cells: (self.cells.len() as u64, cell_count),
            cells_key: &self.keys.cells,
        })?;
        self.summary.keys_total = check.keys_total;
        self.summary.dbsize_checked = check.dbsize_checked;
        let mut samples = loaded.outcome.samples.clone();
        if !loaded.done.is_empty() {
            let resumed: Vec<usize> = loaded.done.iter().copied().collect();
            let earlier = self.random_parts(&resumed, 2);
            samples.extend(load::sample_parts(self.matrix, &earlier)?);
        }
        self.check_data(conn, &samples)
    }

    /// Writes the version manifest, then moves the pointer by compare-and-set: only
    /// if it still names what it named when the load began.
    fn publish(
        &self,
        conn: &mut Conn,
        pointer_at_start: Option<&str>,
        outcome: &LoadOutcome,
    ) -> Result<()> {
        let manifest = self.version_manifest(outcome);
        version::write_manifest(
            conn,
            &self.keys.manifest,
            &manifest,
            self.opts.ttl.meta_ttl_s(),
        )?;
        version::move_pointer(
            conn,
            &self.opts.pointer_key,
            pointer_at_start,
            &self.opts.version,
        )
    }

    /// Refuses a load that would not fit or could evict the live version.
    pub(crate) fn check_capacity(&mut self, before: &ServerStats) -> Result<()> {
        let parts = &self.matrix.manifest.parts;
        let stored_pairs: u64 = self.plan.parts.iter().map(|&i| parts[i].rows).sum();
        let cells = self.cells.len() as u64;
        let origins: u64 = self
            .plan
            .parts
            .iter()
            .map(|&i| {
                if parts[i].origins > 0 {
                    parts[i].origins
                } else {
                    parts[i].rows / cells.max(1)
                }
            })
            .sum();
        let estimate = Estimate::of(
            self.opts.layout,
            self.opts.value_format,
            origins,
            cells,
            stored_pairs,
        );
        self.summary.estimated_bytes = estimate.bytes;
        let detail = format!(
            "{} keys of the {} layout for {stored_pairs} pairs, ~{:.1} bytes a pair",
            estimate.keys, self.opts.layout, estimate.bytes_per_pair
        );
        capacity::check(
            before,
            &estimate,
            &self.opts.version,
            self.opts.allow_eviction,
            &detail,
        )
    }

    pub(crate) fn version_manifest(&self, outcome: &LoadOutcome) -> VersionManifest {
        let opts = self.opts;
        let rows = opts.layout == Layout::Rows;
        VersionManifest {
            version: opts.version.clone(),
            resolution: self.matrix.manifest.resolution,
            bbox: self.matrix.manifest.bbox,
            key_template: opts.key_template.as_str().to_owned(),
            layout: opts.layout.name().to_owned(),
            value_format: if rows {
                "binary".to_owned()
            } else {
                opts.value_format.name().to_owned()
            },
            index_key: rows.then(|| self.keys.index.clone()),
            row_key_prefix: rows.then(|| self.keys.row_prefix.clone()),
            cells_key: self.keys.cells.clone(),
            cells: self.cells.len() as u64,
            keys: self.summary.keys_total,
            no_route_keys: outcome.no_route,
            beyond_max_duration: outcome.beyond_max,
            max_duration_s: opts.max_duration_s,
            ttl_s: opts.ttl.ttl_s,
            no_route_ttl_s: opts.ttl.no_route_ttl_s,
            ttl_jitter: opts.ttl.jitter,
            matrix_fingerprint: self.matrix.fingerprint.clone(),
            loaded_at_unix: unix_now(),
            tool_version: self.tool_version.clone(),
            matrix: self.matrix.manifest_json.clone(),
        }
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
