//! The publish of a sharded load (`warm --publish`): every shard's record checked
//! against the matrix, the options and the split; every part's checkpoint, the
//! servers' restarts and evictions, and a read-back of every shard's data checked
//! in Redis itself; then the cell set (and index), the version manifest and the
//! pointer, moved by compare-and-set.

use std::collections::HashMap;

use hexmatrix_contract::{Context, ShardSpec};

use crate::checkpoint::{self, part_field};
use crate::connect::Conn;
use crate::error::{Error, Result};
use crate::load::{self, LoadOutcome, Sink};
use crate::rows;
use crate::server::ServerStats;
use crate::shard::{WarmShardRecord, check_servers, shard_files};
use crate::version;
use crate::warm::{Job, STAGE, WarmOptions, WarmStatus, WarmSummary};

/// Publishes a version loaded by `shards` shards (`None`: the one shard count the
/// records in Redis show): checks that every shard recorded a verified load of this
/// matrix with these options, that together they cover every part exactly as the
/// shard assignment says, that every part's checkpoint in Redis has the manifest's
/// rows, that no master restarted or evicted keys since any shard began, then writes
/// the cell set (and the index), checks the rows (rows layout: every row's length),
/// reads a sample of every shard's parts back, writes the version manifest and
/// moves the pointer by compare-and-set from the value the shards saw at their start.
///
/// # Errors
/// [`Error::Shards`] naming the shard that is missing, stale or inconsistent;
/// [`Error::Verify`] when Redis disagrees with the matrix; [`Error::PointerMoved`];
/// any Redis failure. The pointer is then unchanged.
pub fn publish(opts: &WarmOptions, shards: Option<u32>, ctx: &Context) -> Result<WarmSummary> {
    let matrix = Job::open(opts)?;
    let mut job = Job::plan(opts, &matrix, ctx.tool_version())?;
    let Sink::Redis(target) = &opts.sink else {
        return Err(Error::Shards {
            version: opts.version.clone(),
            message: "--publish needs a Redis server, not a RESP file".to_owned(),
        });
    };
    let mut conn = target.connect()?;
    let pointer_now = version::read_pointer(&mut conn, &opts.pointer_key)?;
    job.summary.previous_version.clone_from(&pointer_now);
    if let Some(existing) = version::read_manifest(&mut conn, &job.keys.manifest)?
        && existing.matrix_fingerprint == matrix.fingerprint
        && existing.layout == opts.layout.name()
        && pointer_now.as_deref() == Some(opts.version.as_str())
        && !opts.force
    {
        job.summary.status = WarmStatus::AlreadyCurrent;
        job.summary.keys_total = existing.keys;
        return Ok(job.summary);
    }
    let records = read_records(&mut conn, &job, shards)?;
    let now = ServerStats::read(target)?;
    job.summary.used_memory_before = now.used_memory();
    job.summary.dbsize_before = now.dbsize();
    let fail = |message: String| Error::Verify {
        version: opts.version.clone(),
        message,
    };
    for r in &records {
        check_servers(&now, &r.servers_before)
            .map_err(|m| fail(format!("since shard {}/{} began: {m}", r.shard, r.shards)))?;
    }
    let counts = checked_keys(&mut conn, &job, &records)?;
    let keys_total = counts.keys;
    ctx.check(STAGE)?;
    let meta_ttl = opts.ttl.meta_ttl_s();
    if opts.layout == rows::Layout::Rows {
        let _: () = conn.query(
            redis::cmd("SET")
                .arg(&job.keys.index)
                .arg(rows::index_bytes(&job.cells))
                .arg("EX")
                .arg(meta_ttl),
            "writing the cell index",
        )?;
    }
    version::write_cells(&mut conn, &job.keys.cells, &job.cells, meta_ttl)?;
    let cell_count = version::count_cells(&mut conn, &job.keys.cells)?;
    if cell_count != job.cells.len() as u64 {
        return Err(fail(format!(
            "{} holds {cell_count} cells, cells.parquet has {} ok cells",
            job.keys.cells,
            job.cells.len()
        )));
    }
    // Every shard's data, read back from Redis: one random part of each (the rows
    // layout's lengths are checked for every row by check_data).
    let mut samples = Vec::new();
    let index_of: HashMap<&str, usize> = matrix
        .manifest
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.file.as_str(), i))
        .collect();
    for r in &records {
        let parts: Vec<usize> = r
            .parts
            .iter()
            .filter_map(|f| index_of.get(f.as_str()).copied())
            .collect();
        if !parts.is_empty() {
            samples.extend(load::sample_parts(&matrix, &job.random_parts(&parts, 1))?);
        }
    }
    job.summary.keys_total = keys_total;
    job.check_data(&mut conn, &samples)?;
    let outcome = LoadOutcome {
        no_route: counts.no_route,
        beyond_max: counts.beyond_max,
        ..LoadOutcome::default()
    };
    job.summary.no_route_keys = outcome.no_route;
    job.summary.beyond_max_duration = outcome.beyond_max;
    job.summary.parts_resumed = job.summary.parts_total;
    let manifest = job.version_manifest(&outcome);
    version::write_manifest(&mut conn, &job.keys.manifest, &manifest, meta_ttl)?;
    let expected = records.first().and_then(|r| r.pointer_at_start.clone());
    version::move_pointer(
        &mut conn,
        &opts.pointer_key,
        expected.as_deref(),
        &opts.version,
    )?;
    job.summary.status = WarmStatus::Loaded;
    let after = ServerStats::read(target)?;
    job.summary.used_memory_after = after.used_memory();
    job.summary.dbsize_after = after.dbsize();
    Ok(job.summary)
}

/// The shard records of the version, checked: all N present, each of this matrix
/// and these options, each holding the parts the assignment gives its shard, and
/// all begun under the same pointer value.
fn read_records(
    conn: &mut Conn,
    job: &Job<'_>,
    shards: Option<u32>,
) -> Result<Vec<WarmShardRecord>> {
    let opts = job.opts;
    let refuse = |message: String| Error::Shards {
        version: opts.version.clone(),
        message,
    };
    let fields: HashMap<String, String> = conn.query(
        redis::cmd("HGETALL").arg(&job.keys.shards),
        "reading the shard records",
    )?;
    let mut records: Vec<(String, WarmShardRecord)> = Vec::new();
    for (field, json) in fields {
        let record: WarmShardRecord = serde_json::from_str(&json).map_err(|e| {
            refuse(format!(
                "{} field {field} is not a shard record: {e}",
                job.keys.shards
            ))
        })?;
        records.push((field, record));
    }
    let counts: std::collections::BTreeSet<u32> = records.iter().map(|(_, r)| r.shards).collect();
    let count = match (shards, counts.len()) {
        (Some(n), _) => n,
        (None, 1) => counts.into_iter().next().unwrap_or(1),
        (None, 0) => {
            return Err(refuse(format!(
                "no shard recorded a load in {} (run warm --shard K/N for every K first)",
                job.keys.shards
            )));
        }
        (None, _) => {
            return Err(refuse(format!(
                "{} holds loads of {counts:?} shards: say which with --shards N",
                job.keys.shards
            )));
        }
    };
    let mut ordered = Vec::with_capacity(count as usize);
    for k in 0..count {
        let spec = ShardSpec::new(k, count).map_err(|e| refuse(e.to_string()))?;
        let label = spec.label();
        let Some((_, record)) = records.iter().find(|(f, _)| *f == label) else {
            return Err(refuse(format!(
                "shard {spec} has not recorded a verified load in {} (run warm --shard {spec})",
                job.keys.shards
            )));
        };
        check_record(job, spec, record)?;
        ordered.push(record.clone());
    }
    if let Some(first) = ordered.first()
        && let Some(other) = ordered
            .iter()
            .find(|r| r.pointer_at_start != first.pointer_at_start)
    {
        return Err(refuse(format!(
            "{} named {} when shard {}/{} began but {} when shard {}/{} began: another load was published meanwhile; rerun the shards",
            opts.pointer_key,
            first.pointer_at_start.as_deref().unwrap_or("(unset)"),
            first.shard,
            first.shards,
            other.pointer_at_start.as_deref().unwrap_or("(unset)"),
            other.shard,
            other.shards
        )));
    }
    Ok(ordered)
}

/// The data keys, "no route" and beyond-limit pairs of the whole version from the
/// checkpoints in Redis, after checking that every part of the matrix has one with
/// the manifest's rows and that its keys add up to what the shards recorded.
///
/// # Errors
/// [`Error::Verify`] naming the part or the counts that disagree.
fn checked_keys(
    conn: &mut Conn,
    job: &Job<'_>,
    records: &[WarmShardRecord],
) -> Result<VersionCounts> {
    let fail = |message: String| Error::Verify {
        version: job.opts.version.clone(),
        message,
    };
    let progress = checkpoint::read(conn, &job.keys.progress)?;
    if progress.fingerprint.as_deref() != Some(job.matrix.fingerprint.as_str()) {
        return Err(fail(format!(
            "{} does not record a load of this matrix",
            job.keys.progress
        )));
    }
    let mut keys_total = 0;
    let mut counted = (0, 0);
    let mut all_counted = true;
    for part in &job.matrix.manifest.parts {
        let field = part_field(&part.file);
        match progress.parts.get(field) {
            Some(&(rows, written)) if rows == part.rows => {
                keys_total += written;
                match progress.counts.get(field) {
                    Some(&(no_route, beyond)) => {
                        counted.0 += no_route;
                        counted.1 += beyond;
                    }
                    None => all_counted = false,
                }
            }
            Some(&(rows, _)) => {
                return Err(fail(format!(
                    "{} has {rows} rows loaded but the matrix manifest lists {}",
                    part.file, part.rows
                )));
            }
            None => {
                return Err(fail(format!(
                    "{} has no checkpoint in {}: it was not loaded",
                    part.file, job.keys.progress
                )));
            }
        }
    }
    let recorded: u64 = records.iter().map(|r| r.keys).sum();
    if recorded != keys_total {
        return Err(fail(format!(
            "the shards recorded {recorded} keys but the checkpoints in {} count {keys_total}",
            job.keys.progress
        )));
    }
    // Checkpoints of an older hexmatrix lack the counts: the shards' own are the
    // next best (exact unless a shard resumed).
    let (no_route, beyond_max) = if all_counted {
        counted
    } else {
        (
            records.iter().map(|r| r.no_route).sum(),
            records.iter().map(|r| r.beyond_max).sum(),
        )
    };
    Ok(VersionCounts {
        keys: keys_total,
        no_route,
        beyond_max,
    })
}

/// What the checkpoints of a whole version count.
struct VersionCounts {
    /// Data keys.
    keys: u64,
    /// Pairs without a route.
    no_route: u64,
    /// Pairs beyond the duration limit.
    beyond_max: u64,
}

/// Refuses the record of shard `spec` unless it is that shard's, of this matrix,
/// with this publish's options, and holds the parts the assignment gives it.
///
/// # Errors
/// [`Error::Shards`] naming the shard and what is stale.
fn check_record(job: &Job<'_>, spec: ShardSpec, record: &WarmShardRecord) -> Result<()> {
    let opts = job.opts;
    let stale = |what: &str, found: String, wanted: String| -> Result<()> {
        if found == wanted {
            return Ok(());
        }
        Err(Error::Shards {
            version: opts.version.clone(),
            message: format!(
                "shard {spec} is stale: it loaded {what} {found}, this publish has {wanted}"
            ),
        })
    };
    stale(
        "as shard",
        format!("{}/{}", record.shard, record.shards),
        spec.to_string(),
    )?;
    stale(
        "the matrix",
        record.matrix_fingerprint.clone(),
        job.matrix.fingerprint.clone(),
    )?;
    stale(
        "layout",
        record.layout.clone(),
        opts.layout.name().to_owned(),
    )?;
    stale(
        "key template",
        record.key_template.clone(),
        opts.key_template.as_str().to_owned(),
    )?;
    if opts.layout == rows::Layout::Pairs {
        stale(
            "value format",
            record.value_format.clone(),
            opts.value_format.name().to_owned(),
        )?;
    }
    stale(
        "max duration",
        format!("{:?}", record.max_duration_s),
        format!(
            "{:?}",
            opts.max_duration
                .map(hexmatrix_contract::DurationLimit::secs)
        ),
    )?;
    let wanted = shard_files(&job.matrix.manifest, spec);
    stale(
        "the parts",
        format!("{:?}", record.parts),
        format!("{wanted:?}"),
    )
}
