//! `hexmatrix warm`: load a matrix into Redis under a version, verify it, then
//! move the pointer key (see stages/warm/CONTRACT.md for the keys).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use hexmatrix_warm::{
    KeyTemplate, Layout, MatrixDir, Sink, Target, TtlPolicy, ValueFormat, WarmOptions, WarmStatus,
    WarmSummary, parse_duration,
};

use crate::memory;
use crate::shard::ShardArgs;
use crate::staging::LocalInput;
use hexmatrix_contract::{Context, ShardSpec};
use hexmatrix_store::Location;

/// Arguments of `hexmatrix warm`.
#[derive(Debug, clap::Args)]
pub struct WarmArgs {
    /// Matrix directory (manifest.json, cells.parquet, matrix/part-*.parquet), or its
    /// s3://, gs:// or az:// URL (downloaded into the cache directory first).
    #[arg(long, value_parser = Location::parse)]
    pub matrix: Location,
    /// Redis server URL; user and password go in the URL (redis://user:pass@host:port/db).
    #[arg(
        long,
        env = "HEXMATRIX_REDIS",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379/0"
    )]
    pub redis: String,
    /// Redis Cluster seed nodes, comma separated (redis://h1:p1,redis://h2:p2); replaces --redis.
    #[arg(long, conflicts_with = "resp_out")]
    pub cluster: Option<String>,
    /// Write the SET commands as RESP to this file instead of Redis (for `redis-cli --pipe`).
    #[arg(long)]
    pub resp_out: Option<PathBuf>,
    /// Version label in every key [default: the first 12 hex digits of the matrix's content
    /// fingerprint: the same matrix, recomputed anywhere, gets the same version].
    #[arg(long)]
    pub version: Option<String>,
    /// Key template with {version}, {origin}, {dest}; or a preset: `default`
    /// (route:{version}:{origin}:{dest}) or `cluster` (route:{version}:{{origin}}:{dest},
    /// the origin as hash tag so a matrix row is one Cluster slot).
    #[arg(long, default_value = "default", value_parser = KeyTemplate::parse)]
    pub key_template: KeyTemplate,
    /// Layout: `pairs` (a key per ordered pair, the value in --value-format) or `rows`
    /// (one binary row of 8 bytes a destination per origin, ~20x less memory; see CONTRACT.md).
    #[arg(long, default_value = "pairs", value_parser = PossibleValuesParser::new(["pairs", "rows"])
        .try_map(|s| s.parse::<Layout>()))]
    pub layout: Layout,
    /// Value format of the pairs layout: `json` ({"dist":1234.5,"dur":321.4}) or `text` (1235,321.4).
    #[arg(long, default_value = "json", value_parser = PossibleValuesParser::new(["json", "text"])
        .try_map(|s| s.parse::<ValueFormat>()))]
    pub value_format: ValueFormat,
    /// TTL of route keys: seconds or 90s, 30m, 12h, 7d (at most 10 years, 3650d).
    #[arg(long, default_value = "7d", value_name = "TTL", value_parser = parse_duration)]
    pub ttl: u64,
    /// Random extra TTL per key, as a fraction of its base TTL (0 to 1).
    #[arg(long, default_value_t = 0.1)]
    pub ttl_jitter: f64,
    /// TTL of "no route" keys ({"dist":-1,"dur":-1}), at most 10 years.
    #[arg(long, default_value = "1d", value_name = "NO_ROUTE_TTL", value_parser = parse_duration)]
    pub no_route_ttl: u64,
    /// Do not store pairs slower than this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_duration: Option<hexmatrix_contract::DurationLimit>,
    /// The key naming the current version (one per dataset when cities share a Redis,
    /// for example route:valletta:current).
    #[arg(long, default_value = hexmatrix_warm::DEFAULT_POINTER_KEY)]
    pub pointer_key: String,
    /// Writer connections.
    #[arg(long, default_value_t = 2)]
    pub connections: usize,
    /// SET commands per pipeline.
    #[arg(long, default_value_t = 2000)]
    pub batch: usize,
    /// Pipelines queued ahead of the writers (memory bound: in-flight × batch commands).
    #[arg(long, default_value_t = 4)]
    pub in_flight: usize,
    /// Pairs read back and compared with the matrix before the pointer moves.
    #[arg(long, default_value_t = 1000)]
    pub verify_sample: usize,
    /// Reload even if this version is already complete (or was loaded from another matrix).
    #[arg(long)]
    pub force: bool,
    /// Load even when the server's maxmemory-policy could evict keys (allkeys-*, volatile-*),
    /// the live version's and the pointer's among them.
    #[arg(long)]
    pub allow_eviction: bool,
    /// Sharding: with --shard K/N (or --shards N and `JOB_COMPLETION_INDEX`), load only
    /// shard K's balanced share of the parts into the version, verify it and record it
    /// in Redis (route:{version}:shards); the pointer is not moved. With --publish,
    /// --shards N says how many shards to expect [default: the count the records show].
    #[command(flatten)]
    pub shard: ShardArgs,
    /// After every `warm --shard K/N` (same options): verify every shard's load against
    /// Redis, write the cell set, the version manifest, then move the pointer.
    #[arg(long, conflicts_with_all = ["shard", "resp_out"])]
    pub publish: bool,
}

impl WarmArgs {
    /// The stage's options from these arguments (already typed by their value
    /// parsers); `run` starts from [`WarmOptions::new`], whose defaults are the
    /// command line's (see the test below).
    fn options(&self, matrix: &std::path::Path) -> anyhow::Result<WarmOptions> {
        let sink = if let Some(path) = &self.resp_out {
            Sink::RespFile(path.clone())
        } else if let Some(list) = &self.cluster {
            Sink::Redis(Target::cluster_from_list(list))
        } else {
            Sink::Redis(Target::Single(self.redis.clone()))
        };
        let version = if let Some(v) = &self.version {
            v.clone()
        } else {
            MatrixDir::open_listing(matrix)?.fingerprint[..12].to_owned()
        };
        let mut opts = WarmOptions::new(matrix.to_owned(), sink, version);
        opts.key_template = self.key_template.clone();
        opts.layout = self.layout;
        opts.value_format = self.value_format;
        opts.ttl = TtlPolicy {
            ttl_s: self.ttl,
            no_route_ttl_s: self.no_route_ttl,
            jitter: self.ttl_jitter,
        };
        opts.max_duration = self.max_duration;
        opts.pointer_key.clone_from(&self.pointer_key);
        opts.connections = self.connections.max(1);
        opts.batch_keys = self.batch.max(1);
        opts.in_flight = self.in_flight.max(1);
        opts.verify_sample = self.verify_sample;
        opts.force = self.force;
        opts.allow_eviction = self.allow_eviction;
        Ok(opts)
    }
}

/// Runs `hexmatrix warm`.
pub fn run(args: &WarmArgs, ctx: &Context) -> anyhow::Result<()> {
    // The elapsed time logged counts from here, opening the matrix for its
    // fingerprint included.
    let started = Instant::now();
    let shard = if args.publish {
        None
    } else {
        args.shard.resolve()?
    };
    let matrix = stage_matrix(&args.matrix, shard)
        .with_context(|| format!("cannot read the matrix {}", args.matrix))?;
    let opts = args.options(matrix.path())?;
    if args.publish {
        return publish(&opts, args.shard.shards, started, ctx);
    }
    if let Some(shard) = shard {
        return execute_shard(&opts, shard, started, ctx);
    }
    execute(&opts, started, ctx).map(drop)
}

/// The matrix at `location` on local disk. From a bucket, a shard downloads the
/// manifest, the cells and its own parts only, so that N warm pods share the download
/// instead of each paying for all of it. (The publish reads back a random part of
/// every shard, so it downloads the whole matrix.)
fn stage_matrix(location: &Location, shard: Option<ShardSpec>) -> anyhow::Result<LocalInput> {
    let Some(shard) = shard else {
        return LocalInput::dir(location);
    };
    let first = [
        hexmatrix_contract::MANIFEST_FILE,
        hexmatrix_contract::CELLS_FILE,
    ];
    LocalInput::dir_subset(location, &first, |dir| {
        let (_, manifest) = crate::commands::matrix::read_manifest(dir)?;
        Ok(hexmatrix_warm::shard_files(&manifest, shard))
    })
}

/// Where `opts` loads, for log lines.
fn destination(opts: &WarmOptions) -> String {
    match &opts.sink {
        Sink::Redis(t) => t.display(),
        Sink::RespFile(p) => format!("RESP file {}", p.display()),
    }
}

/// Loads shard `shard` of the matrix (see [`hexmatrix_warm::run_shard`]) and logs it.
fn execute_shard(
    opts: &WarmOptions,
    shard: ShardSpec,
    started: Instant,
    ctx: &Context,
) -> anyhow::Result<()> {
    let destination = destination(opts);
    tracing::info!(
        target: "warm",
        "[warm] shard {shard}: {} -> {destination}, version {}, layout {}, keys {}; pointer {} left for warm --publish",
        opts.matrix_dir.display(),
        opts.version,
        opts.layout,
        opts.key_template.as_str(),
        opts.pointer_key,
    );
    let s = hexmatrix_warm::run_shard(opts, shard, ctx).with_context(|| {
        format!(
            "warm shard {shard} of {} into {destination} (version {})",
            opts.matrix_dir.display(),
            opts.version
        )
    })?;
    if s.status == WarmStatus::RespFile {
        report(&s, started);
        return Ok(());
    }
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    tracing::info!(
        target: "warm",
        "[warm] shard {shard} of version {}: {} of its {} parts loaded ({} resumed), {} keys written in {:.2} s, {} keys in its parts; \
         verified: counts exact, {} pairs read back; recorded; {:.2} s, peak RSS {peak}",
        s.version,
        s.parts_loaded,
        s.parts_total,
        s.parts_resumed,
        s.keys_written,
        s.load_seconds,
        s.keys_total,
        s.pairs_read_back,
        started.elapsed().as_secs_f64()
    );
    tracing::info!(
        target: "warm",
        "[warm] next, once all {} shards are loaded: hexmatrix warm --publish (same --matrix, Redis and options)",
        shard.count()
    );
    Ok(())
}

/// Publishes a sharded load (see [`hexmatrix_warm::publish`]) and logs it.
fn publish(
    opts: &WarmOptions,
    shards: Option<u32>,
    started: Instant,
    ctx: &Context,
) -> anyhow::Result<()> {
    let destination = destination(opts);
    tracing::info!(
        target: "warm",
        "[warm] publish of version {} ({}) in {destination}, layout {}, pointer {}",
        opts.version,
        opts.matrix_dir.display(),
        opts.layout,
        opts.pointer_key,
    );
    let s = hexmatrix_warm::publish(opts, shards, ctx).with_context(|| {
        format!(
            "publish of version {} into {destination}: pointer {} unchanged",
            opts.version, opts.pointer_key
        )
    })?;
    if s.status == WarmStatus::AlreadyCurrent {
        report(&s, started);
        return Ok(());
    }
    tracing::info!(
        target: "warm",
        "[warm] version {}: every shard's load verified: {} parts with their rows, {} keys, {} cells{}, {} pairs read back; \
         {} -> {} (was {}); {:.2} s",
        s.version,
        s.parts_total,
        s.keys_total,
        s.cells,
        if s.rows_checked > 0 { format!(", every row's length ({} rows)", s.rows_checked) } else { String::new() },
        s.pairs_read_back,
        s.pointer_key,
        s.version,
        s.previous_version.as_deref().unwrap_or("unset"),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the warm stage on `opts` (load, verify, make current; it shows its
/// progress on `ctx`), then logs the summary with the time elapsed since
/// `started`. Used by `warm` and `run`.
///
/// # Errors
/// Bad options, an incomplete matrix, or any Redis failure (the pointer is then unchanged).
pub fn execute(opts: &WarmOptions, started: Instant, ctx: &Context) -> anyhow::Result<WarmSummary> {
    let destination = destination(opts);
    tracing::info!(
        target: "warm",
        "[warm] {} -> {destination}, version {}, layout {}, keys {}, values {}, ttl {} s (+{:.0}%), no-route ttl {} s, pointer {}",
        opts.matrix_dir.display(),
        opts.version,
        opts.layout,
        opts.key_template.as_str(),
        if opts.layout == Layout::Rows { "binary" } else { opts.value_format.name() },
        opts.ttl.ttl_s,
        opts.ttl.jitter * 100.0,
        opts.ttl.no_route_ttl_s,
        opts.pointer_key,
    );
    let summary = hexmatrix_warm::run(opts, ctx).with_context(|| {
        format!(
            "warm of {} into {destination} (version {}): pointer {} unchanged",
            opts.matrix_dir.display(),
            opts.version,
            opts.pointer_key
        )
    })?;
    report(&summary, started);
    Ok(summary)
}

fn report(s: &WarmSummary, started: Instant) {
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_string(), memory::mib);
    let elapsed = started.elapsed().as_secs_f64();
    match s.status {
        WarmStatus::AlreadyCurrent => tracing::info!(
            target: "warm",
            "[warm] version {} is already loaded ({} keys) and current in {}: nothing to do (--force reloads)",
            s.version, s.keys_total, s.pointer_key
        ),
        WarmStatus::Repointed => tracing::info!(
            target: "warm",
            "[warm] version {} was already loaded ({} keys); {} pairs read back; {} moved from {} to {}",
            s.version,
            s.keys_total,
            s.pairs_read_back,
            s.pointer_key,
            s.previous_version.as_deref().unwrap_or("(unset)"),
            s.version
        ),
        WarmStatus::RespFile => tracing::info!(
            target: "warm",
            "[warm] wrote {} SET commands ({:.1} MiB of RESP, {:.1} bytes a command) in {:.2} s; {} no route, {} beyond max duration",
            s.keys_written,
            s.bytes_sent as f64 / 1_048_576.0,
            s.bytes_sent as f64 / s.keys_written.max(1) as f64,
            s.load_seconds,
            s.no_route_keys,
            s.beyond_max_duration
        ),
        WarmStatus::ShardLoaded => tracing::info!(
            target: "warm",
            "[warm] version {}: this shard's {} parts are loaded ({} keys); the pointer waits for warm --publish",
            s.version, s.parts_total, s.keys_total
        ),
        WarmStatus::Loaded | WarmStatus::Refreshed => {
            if s.status == WarmStatus::Refreshed {
                tracing::info!(
                    target: "warm",
                    "[warm] version {} is current but was loaded more than half its TTL ago: written again in place with fresh TTLs",
                    s.version
                );
            }
            if s.layout == Layout::Rows {
                tracing::info!(
                    target: "warm",
                    "[warm] rows layout: {} rows of {} bytes, every row's length checked ({} rows)",
                    s.keys_total,
                    s.cells * 8,
                    s.rows_checked
                );
            }
            let grew = s.used_memory_after.saturating_sub(s.used_memory_before);
            tracing::info!(
                target: "warm",
                "[warm] version {}: {} keys written in {:.2} s ({:.0} keys/s, {:.1} MiB sent), {} in total ({} parts loaded, {} resumed); \
                 {} no route, {} beyond max duration; verified: counts exact, {} pairs read back{}",
                s.version,
                s.keys_written,
                s.load_seconds,
                s.keys_per_second,
                s.bytes_sent as f64 / 1_048_576.0,
                s.keys_total,
                s.parts_loaded,
                s.parts_resumed,
                s.no_route_keys,
                s.beyond_max_duration,
                s.pairs_read_back,
                if s.dbsize_checked { ", DBSIZE delta exact" } else { "" }
            );
            tracing::info!(
                target: "warm",
                "[warm] redis used_memory {} -> {} (+{}, {:.0} bytes a key written, {:.1} a pair; estimated {}); DBSIZE {} -> {}",
                memory::mib(s.used_memory_before),
                memory::mib(s.used_memory_after),
                memory::mib(grew),
                grew as f64 / s.keys_written.max(1) as f64,
                grew as f64 / s.rows_read.max(1) as f64,
                if s.estimated_bytes > 0 { memory::mib(s.estimated_bytes) } else { "-".to_owned() },
                s.dbsize_before,
                s.dbsize_after
            );
            tracing::info!(
                target: "warm",
                "[warm] {} -> {} (was {}); {:.2} s, peak RSS {peak}; next: hexmatrix lookup --pointer-key {} LAT,LON LAT,LON",
                s.pointer_key,
                s.version,
                s.previous_version.as_deref().unwrap_or("unset"),
                elapsed,
                s.pointer_key
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: WarmArgs,
    }

    #[test]
    fn command_line_defaults_are_the_options_defaults() {
        // `run` builds its options from WarmOptions::new; `warm` from these defaults.
        let cli = <Cli as clap::Parser>::try_parse_from([
            "warm",
            "--matrix",
            "m",
            "--redis",
            "redis://h:1/0",
            "--version",
            "v1",
        ])
        .unwrap();
        let from_cli = cli.args.options(std::path::Path::new("m")).unwrap();
        let direct = WarmOptions::new(
            PathBuf::from("m"),
            Sink::Redis(Target::Single("redis://h:1/0".to_owned())),
            "v1".to_owned(),
        );
        assert_eq!(format!("{from_cli:?}"), format!("{direct:?}"));
    }
}
