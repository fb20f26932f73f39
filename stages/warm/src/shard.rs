//! A sharded load: N processes (`warm --shard K/N`) each load a balanced share of
//! the parts into the same new version, verify their share and record it in Redis;
//! then one process (`warm --publish`, [`crate::publish`]) verifies the whole
//! version against Redis and the records, writes the cell set (and index), the
//! version manifest, and moves the pointer.
//!
//! The records live in Redis, in the hash `route:{version}:shards` (field `K-of-N`,
//! JSON), beside the data and the checkpoints they describe, for the reason the
//! checkpoints do (see [`crate::checkpoint`]): a server that loses its data loses
//! the records with it, so a publish never trusts a load Redis no longer holds.
//! A shard never writes the version manifest or the pointer: until the publish,
//! an unsharded run or a gateway sees the version as incomplete.

use std::collections::HashSet;
use std::time::Instant;

use hexmatrix_contract::{Context, Counter, MatrixManifest, ShardSpec, Unit};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, part_field};
use crate::connect::Conn;
use crate::error::{Error, Result};
use crate::load::{self, Counters, Encoding, LoadOutcome, Sink};
use crate::matrix::MatrixDir;
use crate::server::ServerStats;
use crate::verify;
use crate::version;
use crate::warm::{Job, STAGE, WarmOptions, WarmStatus, WarmSummary, unix_now};

/// What one shard loaded and verified, stored in `route:{version}:shards`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmShardRecord {
    /// K, 0-based.
    pub shard: u32,
    /// N.
    pub shards: u32,
    /// Content fingerprint of the matrix loaded.
    pub matrix_fingerprint: String,
    /// `pairs` or `rows`.
    pub layout: String,
    /// The key template.
    pub key_template: String,
    /// The value format (pairs layout).
    pub value_format: String,
    /// The duration limit applied.
    pub max_duration_s: Option<f64>,
    /// The shard's part files, in manifest order.
    pub parts: Vec<String>,
    /// Data keys of the shard's parts, from their checkpoints.
    pub keys: u64,
    /// "No route" pairs among the parts this shard's last run loaded (the
    /// publish counts them from the checkpoints when they record them).
    pub no_route: u64,
    /// Pairs beyond the limit among the parts this shard's last run loaded.
    pub beyond_max: u64,
    /// Pairs read back from Redis and compared with the parts.
    pub pairs_read_back: u64,
    /// The pointer's value when the shard's load began.
    pub pointer_at_start: Option<String>,
    /// The masters when the shard's load began: the publish refuses if one has
    /// restarted or evicted keys since.
    pub servers_before: ServerStats,
    /// Unix time the shard finished.
    pub loaded_at_unix: u64,
    /// hexmatrix version of the shard.
    pub tool_version: String,
}

/// The parts (manifest positions) of shard `spec`: the positions [`ShardSpec::pick`]
/// chooses with each part's rows as its work.
pub(crate) fn shard_parts(manifest: &MatrixManifest, spec: ShardSpec) -> Vec<usize> {
    let rows: Vec<u64> = manifest.parts.iter().map(|p| p.rows).collect();
    spec.pick(&rows)
}

/// The part files of shard `spec` (the balanced pick of [`ShardSpec::pick`] by rows),
/// in manifest order: what a shard loads, and all it needs of a matrix besides the
/// manifest and cells.
#[must_use]
pub fn shard_files(manifest: &MatrixManifest, spec: ShardSpec) -> Vec<String> {
    shard_parts(manifest, spec)
        .into_iter()
        .map(|i| manifest.parts[i].file.clone())
        .collect()
}

/// Loads shard `spec`'s parts of the matrix into `opts.version`, verifies them
/// (every row read, every key acknowledged, no restart or eviction meanwhile, a
/// sampled read-back) and records the shard in `route:{version}:shards`. Neither the
/// version manifest nor the pointer is written: that is [`crate::publish`]'s. Parts an
/// interrupted run of this shard completed are skipped, as in [`crate::run`]. With a
/// RESP file sink, writes the shard's parts' commands only.
///
/// # Errors
/// As [`crate::run`]; [`Error::VersionConflict`] when the version holds another matrix.
pub fn run_shard(opts: &WarmOptions, spec: ShardSpec, ctx: &Context) -> Result<WarmSummary> {
    // Only this shard's parts need be here: a pod that downloaded a bucket's matrix
    // fetched just those (and the manifest and cells).
    let matrix = Job::open_listing(opts)?;
    let counters = Counters::default();
    let parts = shard_parts(&matrix.manifest, spec);
    matrix.check_parts(parts.iter().copied())?;
    let rows: u64 = parts.iter().map(|&i| matrix.manifest.parts[i].rows).sum();
    let shown = ctx.show(
        STAGE,
        Some(rows),
        Counter::new(Unit::Items("pairs"), counters.rows.clone()),
        vec![
            Counter::new(Unit::Items("keys"), counters.keys.clone()),
            Counter::new(Unit::Bytes, counters.bytes.clone()),
        ],
    );
    let result = load_shard(opts, spec, &matrix, parts, &counters, ctx);
    shown.finish();
    result
}

/// [`run_shard`] with its parts and counters: plan, load, verify, record.
fn load_shard(
    opts: &WarmOptions,
    spec: ShardSpec,
    matrix: &MatrixDir,
    parts: Vec<usize>,
    counters: &Counters,
    ctx: &Context,
) -> Result<WarmSummary> {
    let mut job = Job::plan(opts, matrix, ctx.tool_version())?;
    job.plan.parts = parts;
    job.summary.parts_total = job.plan.parts.len();
    let target = match &opts.sink {
        Sink::RespFile(_) => return job.write_resp(counters),
        Sink::Redis(target) => target.clone(),
    };
    let mut conn = target.connect()?;
    let before = ServerStats::read(&target)?;
    job.summary.used_memory_before = before.used_memory();
    job.summary.dbsize_before = before.dbsize();
    let pointer_at_start = version::read_pointer(&mut conn, &opts.pointer_key)?;
    job.summary.previous_version.clone_from(&pointer_at_start);
    job.summary.status = WarmStatus::ShardLoaded;

    if let Some(keys) = published_keys(&mut conn, &job)? {
        // Published already (a retried shard after the publish): nothing to add.
        job.summary.parts_resumed = job.summary.parts_total;
        job.summary.keys_total = keys;
        return Ok(job.summary);
    }
    let done = resumed_parts(&mut conn, &job)?;
    let mine = job.plan.parts.clone();
    job.plan.parts.retain(|i| !done.contains(i));
    job.summary.parts_loaded = job.plan.parts.len();
    job.summary.parts_resumed = done.len();
    job.check_capacity(&before)?;
    let meta_ttl = opts.ttl.meta_ttl_s();
    checkpoint::start(&mut conn, &job.keys.progress, &matrix.fingerprint, meta_ttl)?;
    ctx.check(STAGE)?;
    job.plan.progress_key = Some(job.keys.progress.clone());
    let started = Instant::now();
    let outcome = load::load(
        matrix,
        &job.plan,
        &opts.sink,
        before.memory_limit(),
        counters,
    )?;
    job.fill_load(&outcome, started);
    let checked = verify_shard(
        &mut job, &mut conn, &target, &before, &outcome, &mine, &done,
    );
    let keys = match checked {
        Ok(keys) => keys,
        Err(e) => {
            // A rerun of this shard must reload its parts, not trust their checkpoints.
            if matches!(e, Error::Verify { .. }) {
                for &i in &mine {
                    checkpoint::forget_part(
                        &mut conn,
                        &job.keys.progress,
                        &matrix.manifest.parts[i].file,
                    )?;
                }
            }
            return Err(e);
        }
    };
    job.summary.keys_total = keys;
    let record = WarmShardRecord {
        shard: spec.index(),
        shards: spec.count(),
        matrix_fingerprint: matrix.fingerprint.clone(),
        layout: opts.layout.name().to_owned(),
        key_template: opts.key_template.as_str().to_owned(),
        value_format: opts.value_format.name().to_owned(),
        max_duration_s: opts
            .max_duration
            .map(hexmatrix_contract::DurationLimit::secs),
        parts: mine
            .iter()
            .map(|&i| matrix.manifest.parts[i].file.clone())
            .collect(),
        keys,
        no_route: outcome.no_route,
        beyond_max: outcome.beyond_max,
        pairs_read_back: job.summary.pairs_read_back,
        pointer_at_start,
        servers_before: before,
        loaded_at_unix: unix_now(),
        tool_version: ctx.tool_version().to_owned(),
    };
    write_record(&mut conn, &job, &record)?;
    let after = ServerStats::read(&target)?;
    job.summary.used_memory_after = after.used_memory();
    job.summary.dbsize_after = after.dbsize();
    Ok(job.summary)
}

/// The checks of one shard's load: every row of its parts read and every key
/// acknowledged (this run's parts from the load, earlier runs' from their
/// checkpoints), no master restarted or evicted keys, and a sampled read-back of
/// this run's rows and of a resumed part. Returns the data keys of the shard's parts.
fn verify_shard(
    job: &mut Job<'_>,
    conn: &mut Conn,
    target: &crate::Target,
    before: &ServerStats,
    outcome: &LoadOutcome,
    mine: &[usize],
    done: &HashSet<usize>,
) -> Result<u64> {
    let version = job.opts.version.clone();
    let fail = |message: String| Error::Verify {
        version: version.clone(),
        message,
    };
    if outcome.written != outcome.keys_sent {
        return Err(fail(format!(
            "{} keys were acknowledged but {} were sent",
            outcome.written, outcome.keys_sent
        )));
    }
    let progress = checkpoint::read(conn, &job.keys.progress)?;
    let mut keys = 0;
    for &i in mine {
        let part = &job.matrix.manifest.parts[i];
        let Some(&(rows, written)) = progress.parts.get(part_field(&part.file)) else {
            return Err(fail(format!(
                "{} has no checkpoint after its load",
                part.file
            )));
        };
        if rows != part.rows {
            return Err(fail(format!(
                "{} has {rows} rows but the matrix manifest lists {}",
                part.file, part.rows
            )));
        }
        keys += written;
    }
    let after = ServerStats::read(target)?;
    check_servers(&after, before).map_err(fail)?;
    let mut samples = outcome.samples.clone();
    if !done.is_empty() {
        let resumed: Vec<usize> = done.iter().copied().collect();
        let earlier = job.random_parts(&resumed, 2);
        samples.extend(load::sample_parts(job.matrix, &earlier)?);
    }
    job.summary.pairs_read_back = read_back(job, conn, &samples)?;
    Ok(keys)
}

/// The restart and eviction checks: what makes data written since `before` unsure.
pub(crate) fn check_servers(
    after: &ServerStats,
    before: &ServerStats,
) -> std::result::Result<(), String> {
    let restarted = after.restarted_since(before);
    if !restarted.is_empty() {
        return Err(format!(
            "redis restarted during the load ({}): keys written before the restart may be lost; rerun",
            restarted.join(", ")
        ));
    }
    let evicted = after.evicted_keys().saturating_sub(before.evicted_keys());
    if evicted > 0 {
        return Err(format!(
            "redis evicted {evicted} keys during the load: the cache is incomplete"
        ));
    }
    Ok(())
}

/// Reads `samples` back in the job's layout; the pairs compared.
fn read_back(job: &Job<'_>, conn: &mut Conn, samples: &[load::Sample]) -> Result<u64> {
    let v = &job.opts.version;
    Ok(match &job.plan.encoding {
        Encoding::Pairs { keys, .. } => verify::read_back(conn, v, keys, samples)?.checked,
        Encoding::Rows { index, key_prefix } => {
            verify::read_back_rows(conn, v, index, key_prefix, samples)?.checked
        }
    })
}

/// The data keys of the version when it is already published from this matrix in
/// this layout (nothing for a shard to do); `None` when it is not published, or
/// with `--force`.
///
/// # Errors
/// [`Error::VersionConflict`] for another matrix, [`Error::Shards`] for another layout.
fn published_keys(conn: &mut Conn, job: &Job<'_>) -> Result<Option<u64>> {
    let opts = job.opts;
    let Some(existing) = version::read_manifest(conn, &job.keys.manifest)? else {
        return Ok(None);
    };
    if existing.matrix_fingerprint != job.matrix.fingerprint && !opts.force {
        return Err(Error::VersionConflict {
            version: opts.version.clone(),
            found: existing.matrix_fingerprint,
            expected: job.matrix.fingerprint.clone(),
        });
    }
    if opts.force {
        return Ok(None);
    }
    if existing.layout != opts.layout.name() {
        // The checkpoints are the other layout's: a sharded load cannot clear
        // them under the other shards' feet.
        return Err(Error::Shards {
            version: opts.version.clone(),
            message: format!(
                "it is already published in the {} layout; load the {} layout under another --version (or pass --force to every shard)",
                existing.layout,
                opts.layout.name()
            ),
        });
    }
    Ok(Some(existing.keys))
}

/// Stores `record` in the version's shard hash, field `K-of-N`.
///
/// # Errors
/// The write fails.
fn write_record(conn: &mut Conn, job: &Job<'_>, record: &WarmShardRecord) -> Result<()> {
    let json = serde_json::to_string(record).map_err(|e| Error::Shards {
        version: job.opts.version.clone(),
        message: format!("encoding the shard record: {e}"),
    })?;
    let label = format!("{}-of-{}", record.shard, record.shards);
    let _: () = conn.query(
        redis::cmd("HSET")
            .arg(&job.keys.shards)
            .arg(label)
            .arg(json),
        "writing the shard record",
    )?;
    let _: () = conn.query(
        redis::cmd("EXPIRE")
            .arg(&job.keys.shards)
            .arg(job.opts.ttl.meta_ttl_s()),
        "writing the shard record",
    )?;
    Ok(())
}

/// The shard's parts (manifest positions) that an interrupted run of it completed,
/// by their checkpoints; none with `--force`.
///
/// # Errors
/// [`Error::VersionConflict`] when the checkpoints are another matrix's.
fn resumed_parts(conn: &mut Conn, job: &Job<'_>) -> Result<HashSet<usize>> {
    let opts = job.opts;
    let progress = checkpoint::read(conn, &job.keys.progress)?;
    if let Some(found) = &progress.fingerprint
        && *found != job.matrix.fingerprint
        && !opts.force
    {
        return Err(Error::VersionConflict {
            version: opts.version.clone(),
            found: found.clone(),
            expected: job.matrix.fingerprint.clone(),
        });
    }
    if opts.force {
        return Ok(HashSet::new());
    }
    Ok(job
        .plan
        .parts
        .iter()
        .copied()
        .filter(|&i| {
            progress
                .parts
                .contains_key(part_field(&job.matrix.manifest.parts[i].file))
        })
        .collect())
}
