//! The merge of a sharded matrix (`--merge-shards N`): every shard record checked
//! against the graph, the parameters, the other records and the files on disk,
//! then `manifest.json` written from the records, with nothing recomputed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use hexmatrix_contract::{
    Context, GraphRef, MatrixManifest, PartEntry, SHARD_STAGE, ShardRecord, ShardSpec,
};

use crate::error::{Error, Result};
use crate::job::MatrixOptions;
use crate::shard::{graph_fingerprint, parameters};

/// What a merge did.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeSummary {
    /// Shards merged.
    pub shards: u32,
    /// Parts listed in the manifest.
    pub parts: usize,
    /// Rows over all parts.
    pub pairs: u64,
    /// Cells by status.
    pub cells: hexmatrix_contract::CellCounts,
    /// The manifest written.
    pub manifest: PathBuf,
    /// Temporary files of killed shards removed.
    pub temporaries_removed: usize,
    /// Part files no record lists and records of another shard count, removed (an
    /// earlier matrix's, in the same directory).
    pub unlisted_removed: usize,
    /// Seconds of the merge (mostly hashing the parts).
    pub elapsed_s: f64,
}

/// Checks the `count` shard records under `opts.output_dir` and writes its
/// `manifest.json`, equal to an unsharded run's but for the timings (wall times are
/// the slowest shard's, thread-seconds and threads summed, peak memory the largest
/// shard's). Each record must be present, be the shard its name says, come from
/// this tool version, the graph at `opts.graph_dir` (by [`graph_fingerprint`]) and
/// `opts`'s parameters, agree with the others on the cells and blocks, and own
/// blocks no other record owns; together they cover every block; every part they
/// list is on disk with its size and SHA-256, and so is `cells.parquet`.
///
/// # Errors
/// [`Error::ShardMissing`], [`Error::ShardRefused`] naming the record and why,
/// [`Error::Io`] when a file cannot be read or the manifest written.
pub fn merge_shards(opts: &MatrixOptions, count: u32, ctx: &Context) -> Result<MergeSummary> {
    let started = Instant::now();
    let since = SystemTime::now();
    let out = &opts.output_dir;
    let fingerprint = graph_fingerprint(&opts.graph_dir)?;
    let wanted = parameters(opts);
    let mut records: Vec<(PathBuf, ShardRecord)> = Vec::with_capacity(count as usize);
    for k in 0..count {
        let spec = ShardSpec::new(k, count).map_err(|e| Error::Option {
            name: "merge_shards",
            value: count.to_string(),
            message: e.message,
        })?;
        let path = out.join(spec.record_name());
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::ShardMissing {
                    path,
                    shard: spec.to_string(),
                });
            }
            Err(e) => return Err(Error::io(path)(e)),
        };
        let refuse = |message: String| Error::ShardRefused {
            path: path.clone(),
            message,
        };
        let record = ShardRecord::from_json(&bytes)
            .map_err(|e| refuse(format!("not a shard record: {e}")))?;
        if record.stage != SHARD_STAGE {
            return Err(refuse(format!("its stage is {:?}", record.stage)));
        }
        if record.spec() != Some(spec) {
            return Err(refuse(format!(
                "it is the record of shard {}/{}, not {spec} (duplicated or renamed)",
                record.shard, record.shards
            )));
        }
        if record.tool_version != env!("CARGO_PKG_VERSION") {
            return Err(refuse(format!(
                "stale: written by hexmatrix {}, this is {}",
                record.tool_version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        if record.graph_fingerprint != fingerprint {
            return Err(refuse(format!(
                "stale: computed on another graph (graph fingerprint {}, the graph at {} has {})",
                short(&record.graph_fingerprint),
                opts.graph_dir.display(),
                short(&fingerprint)
            )));
        }
        if record.parameters != wanted {
            return Err(refuse(format!(
                "stale: computed with other parameters ({}; the merge has {wanted})",
                record.parameters
            )));
        }
        if let Some((first_path, first)) = records.first() {
            check_same(&path, &record, first_path, first)?;
        }
        records.push((path, record));
    }
    check_blocks(out, &records)?;
    for (path, record) in &records {
        check_files(out, path, record)?;
    }
    ctx.check(crate::job::STAGE)?;
    let manifest = manifest(opts, &records);
    let text = manifest.to_json().map_err(|source| Error::Manifest {
        path: out.join(hexmatrix_contract::MANIFEST_FILE),
        source,
    })?;
    let manifest_path = out.join(hexmatrix_contract::MANIFEST_FILE);
    ctx.output()
        .write_file(&manifest_path, text.as_bytes())
        .map_err(|e| Error::io(e.path)(e.source))?;
    // The shards are done: a temporary name left now is a killed shard's half part.
    let removed =
        hexmatrix_contract::atomic::remove_stale(out, since, 1).map_err(Error::io(out))?;
    let unlisted = remove_unlisted(out, &manifest, count)?;
    Ok(MergeSummary {
        shards: count,
        parts: manifest.parts.len(),
        pairs: manifest.pairs,
        cells: manifest.cells,
        manifest: manifest_path,
        temporaries_removed: removed.len(),
        unlisted_removed: unlisted,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// The first 12 hex digits of a fingerprint, for messages.
fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}

/// Refuses `record` unless it describes the same matrix as the first record.
fn check_same(
    path: &Path,
    record: &ShardRecord,
    first_path: &Path,
    first: &ShardRecord,
) -> Result<()> {
    let differs = |what: &str, a: String, b: String| -> Result<()> {
        if a == b {
            return Ok(());
        }
        Err(Error::ShardRefused {
            path: path.to_owned(),
            message: format!(
                "its {what} ({a}) differs from {}'s ({b})",
                first_path.display()
            ),
        })
    };
    differs(
        "blocks_total",
        record.blocks_total.to_string(),
        first.blocks_total.to_string(),
    )?;
    differs(
        "origin_block_size",
        record.origin_block_size.to_string(),
        first.origin_block_size.to_string(),
    )?;
    differs(
        "snap_radius_m",
        record.snap_radius_m.to_string(),
        first.snap_radius_m.to_string(),
    )?;
    differs(
        "cells",
        format!("{:?}", record.cells),
        format!("{:?}", first.cells),
    )?;
    differs(
        "cells_sha256",
        record.cells_sha256.clone(),
        first.cells_sha256.clone(),
    )?;
    differs(
        "bucket_entries",
        record.bucket_entries.to_string(),
        first.bucket_entries.to_string(),
    )?;
    differs(
        "profile",
        format!("{:?}", record.profile),
        format!("{:?}", first.profile),
    )
}

/// Refuses overlapping records (a block in two shards), blocks out of range, parts
/// that are not the record's blocks, and blocks in no record.
fn check_blocks(out: &Path, records: &[(PathBuf, ShardRecord)]) -> Result<()> {
    let total = records.first().map_or(0, |(_, r)| r.blocks_total);
    let mut owner: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, record) in records {
        let refuse = |message: String| Error::ShardRefused {
            path: path.clone(),
            message,
        };
        let part_blocks: Vec<u64> = record.parts.iter().map(|p| p.block).collect();
        if part_blocks != record.blocks {
            return Err(refuse(format!(
                "its parts are of blocks {part_blocks:?} but it lists blocks {:?}",
                record.blocks
            )));
        }
        for part in &record.parts {
            if part.file != hexmatrix_contract::part_name(part.block) {
                return Err(refuse(format!(
                    "block {} is in {}, not {}",
                    part.block,
                    part.file,
                    hexmatrix_contract::part_name(part.block)
                )));
            }
        }
        for &block in &record.blocks {
            if block >= total {
                return Err(refuse(format!(
                    "block {block} is beyond the matrix's {total} blocks"
                )));
            }
            if let Some(other) = owner.insert(block, path) {
                return Err(refuse(format!(
                    "block {block} is also in {} (duplicated shard)",
                    other.display()
                )));
            }
        }
    }
    let missing: Vec<u64> = (0..total).filter(|b| !owner.contains_key(b)).collect();
    if !missing.is_empty() {
        return Err(Error::ShardRefused {
            path: out.join(hexmatrix_contract::SHARDS_DIR),
            message: format!("blocks {missing:?} are in no shard record"),
        });
    }
    Ok(())
}

/// Refuses a record whose parts (or the shared `cells.parquet`) are missing or
/// differ in size or SHA-256 from what it lists: a half-written shard.
fn check_files(out: &Path, path: &Path, record: &ShardRecord) -> Result<()> {
    let refuse = |message: String| Error::ShardRefused {
        path: path.to_owned(),
        message,
    };
    let cells = out.join(hexmatrix_contract::CELLS_FILE);
    let cells_sum = sha(&cells).map_err(|_| {
        refuse(format!(
            "{} is missing or unreadable (half-written)",
            cells.display()
        ))
    })?;
    if cells_sum != record.cells_sha256 {
        return Err(refuse(format!(
            "{} has SHA-256 {} but the record lists {}",
            cells.display(),
            short(&cells_sum),
            short(&record.cells_sha256)
        )));
    }
    for part in &record.parts {
        let file = out.join(&part.file);
        let size = match std::fs::metadata(&file) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(refuse(format!(
                    "part {} is missing (half-written shard: rerun it)",
                    part.file
                )));
            }
            Err(e) => return Err(Error::io(file)(e)),
        };
        if size != part.bytes {
            return Err(refuse(format!(
                "part {} has {size} bytes but the record lists {} (half-written shard: rerun it)",
                part.file, part.bytes
            )));
        }
        let sum = sha(&file)?;
        if sum != part.sha256 {
            return Err(refuse(format!(
                "part {} has SHA-256 {} but the record lists {} (half-written shard: rerun it)",
                part.file,
                short(&sum),
                short(&part.sha256)
            )));
        }
    }
    Ok(())
}

/// SHA-256 of a file, as this crate's error.
fn sha(path: &Path) -> Result<String> {
    hexmatrix_contract::sha256_file(path).map_err(|e| match e {
        hexmatrix_contract::Error::Io { path, source } => Error::Io { path, source },
        other => Error::io(path)(std::io::Error::other(other)),
    })
}

/// The manifest of the merged shards: the unsharded run's, timings aggregated.
fn manifest(opts: &MatrixOptions, records: &[(PathBuf, ShardRecord)]) -> MatrixManifest {
    let mut parts: Vec<&hexmatrix_contract::ShardPart> =
        records.iter().flat_map(|(_, r)| &r.parts).collect();
    parts.sort_by_key(|p| p.block);
    let all = || records.iter().map(|(_, r)| r);
    let max = |f: fn(&ShardRecord) -> f64| all().map(f).fold(0.0, f64::max);
    let sum = |f: fn(&ShardRecord) -> f64| all().map(f).sum::<f64>();
    let first = all().next();
    let params = parameters(opts);
    MatrixManifest {
        stage: hexmatrix_contract::STAGE.to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        resolution: params.resolution,
        bbox: params.bbox,
        max_duration_s: params.max_duration_s,
        snap_radius_m: first.map_or(0.0, |r| r.snap_radius_m),
        origin_block_size: first.map_or(0, |r| r.origin_block_size),
        cells: first.map(|r| r.cells).unwrap_or_default(),
        cells_sha256: first.map(|r| r.cells_sha256.clone()),
        pairs: parts.iter().map(|p| p.rows).sum(),
        unreachable_pairs: parts.iter().map(|p| p.unreachable).sum(),
        beyond_limit_pairs: parts.iter().map(|p| p.beyond_limit).sum(),
        bucket_entries: first.map_or(0, |r| r.bucket_entries),
        parts: parts
            .iter()
            .map(|p| PartEntry {
                file: p.file.clone(),
                block: p.block,
                origins: p.origins,
                rows: p.rows,
                sha256: Some(p.sha256.clone()),
            })
            .collect(),
        graph: GraphRef {
            dir: opts.graph_dir.display().to_string(),
            profile: first.and_then(|r| r.profile.clone()),
        },
        matrix_s: max(|r| r.matrix_s),
        bucket_s: max(|r| r.bucket_s),
        search_cpu_s: sum(|r| r.search_cpu_s),
        write_cpu_s: sum(|r| r.write_cpu_s),
        threads: all().map(|r| r.threads).sum(),
        elapsed_s: max(|r| r.elapsed_s),
        peak_rss_bytes: all().filter_map(|r| r.peak_rss_bytes).max(),
    }
}

/// Removes what an earlier matrix left in `out`: part files the manifest does not
/// list (a reader globbing `matrix/part-*.parquet` would read them) and shard
/// records of another shard count, so that the directory holds what an unsharded
/// run would. Returns how many files went.
fn remove_unlisted(out: &Path, manifest: &MatrixManifest, count: u32) -> Result<usize> {
    let listed: std::collections::HashSet<&str> =
        manifest.parts.iter().map(|p| p.file.as_str()).collect();
    let ours: Vec<String> = (0..count)
        .filter_map(|k| ShardSpec::new(k, count).ok())
        .map(ShardSpec::record_name)
        .collect();
    // A name relative to `out` is kept when it is not a file of the matrix's kind
    // (hidden temporaries are the sweep's), or when it is this matrix's.
    let has = |name: &str, ext: &str| Path::new(name).extension().is_some_and(|e| e == ext);
    let keep = |name: &str| {
        if name.starts_with(hexmatrix_contract::PARTS_DIR) {
            !has(name, "parquet") || listed.contains(name)
        } else {
            !has(name, "json") || ours.iter().any(|r| r == name)
        }
    };
    let mut removed = 0;
    for dir in [
        hexmatrix_contract::PARTS_DIR,
        hexmatrix_contract::SHARDS_DIR,
    ] {
        let path = out.join(dir);
        for entry in std::fs::read_dir(&path).map_err(Error::io(&path))? {
            let entry = entry.map_err(Error::io(&path))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with('.') || keep(&format!("{dir}/{file}")) {
                continue;
            }
            std::fs::remove_file(entry.path()).map_err(Error::io(entry.path()))?;
            removed += 1;
        }
    }
    Ok(removed)
}
