//! `hexmatrix run`: every stage for one dataset, incremental and atomic.
//!
//! fetch → crop → graph → matrix → report → warm, each into its own place under
//! `outputs/NAME/<version>/`. The version is a hash of what determines the
//! result, so an unchanged region gives the same version and every stage finds
//! its complete output and a matching record, and is skipped. Each stage writes
//! to a temporary path, syncs and renames into place, so a run killed at any point
//! leaves the previous good outputs (and the cache pointer) as they were; the next
//! run, holding the dataset lock, removes the temporaries a killed run left.
//!
//! Publishing comes last: warm moves the Redis pointer only once every output
//! (the report included) is complete, and `current` follows it. The report
//! therefore shows the stages before warm; the run manifest has them all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use crate::config::Dataset;
use crate::download::Outcome;
use crate::lock::DatasetLock;
use crate::manifest::{
    InputFile, RUN_MANIFEST_FILE, RunManifest, StageRecord, StageStatus, write_run_manifest,
};
use crate::outputs::DatasetOutputs;
use crate::stage::{Counted as _, Counts, StagePlan};
use crate::version::{TOOL_VERSION, sha256_file, version_string};
use hexmatrix_contract::Context;
use hexmatrix_contract::graph_dir::CH_FILE;
use hexmatrix_graph::GraphOptions;
use hexmatrix_matrix::{MatrixOptions, SizeEstimate};
use hexmatrix_osm::CropOptions;
use hexmatrix_report::ReportOptions;
use hexmatrix_store::{Location, ObjectUrl};
use hexmatrix_warm::{Sink, Target, WarmOptions};

/// Arguments of `hexmatrix run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The dataset file, e.g. `datasets/valletta.toml`.
    pub dataset: PathBuf,
    /// Redis to warm (`redis://[user:pass@]host:port/db`); also `HEXMATRIX_REDIS`.
    #[arg(
        long,
        env = "HEXMATRIX_REDIS",
        hide_env_values = true,
        conflicts_with = "no_warm"
    )]
    pub redis: Option<String>,
    /// Stop after the matrix: do not load Redis.
    #[arg(long)]
    pub no_warm: bool,
    /// Run every stage even when its inputs and parameters are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Root of the outputs tree (a downloaded region goes to OUTPUTS/NAME/region.osm.pbf).
    /// Or an s3://, gs:// or az:// URL: the run works in a local copy under the cache
    /// directory (kept, so that unchanged stages are skipped next time), uploads
    /// URL/NAME/<version>/ (run manifest last) and then writes URL/NAME/current.
    #[arg(long, default_value = "outputs", value_parser = Location::parse)]
    pub outputs: Location,
    /// Refuse, before any work, a dataset whose bbox is estimated above this many cells.
    #[arg(long, value_name = "N", default_value_t = hexmatrix_matrix::DEFAULT_MAX_CELLS)]
    pub max_cells: u64,
    /// Largest region the fetch accepts (bytes, or with KiB, MiB, GiB, TiB).
    #[arg(long, value_name = "BYTES", default_value = "4GiB", value_parser = super::fetch::parse_bytes)]
    pub max_bytes: u64,
}

fn input_file(path: &Path) -> anyhow::Result<InputFile> {
    let sha256 =
        sha256_file(path).with_context(|| format!("cannot hash input {}", path.display()))?;
    let bytes = std::fs::metadata(path)?.len();
    Ok(InputFile {
        path: path.display().to_string(),
        sha256,
        bytes,
    })
}

fn key(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Runs `hexmatrix run`: start (checks, lock, sweep), fetch, the version, the
/// stages that build it, the report, warm, then `current`.
pub fn run(args: &RunArgs, ctx: &Context) -> anyhow::Result<()> {
    let started = Instant::now();
    let root = outputs_root(&args.outputs)?;
    let (ds, outs, _lock) = start(args, &root)?;
    let (fetch, region, region_input) = fetch(args, &root, &ds, ctx)?;
    let v = Version::of(&ds, &region_input, &outs);
    tracing::info!(target: "run", "[run] dataset {} version {} -> {}", ds.name, v.name, v.dir.display());
    let mut stages = vec![fetch];
    build(args, &ds, &v, &region, &region_input, ctx, &mut stages)?;
    let mut manifest = RunManifest {
        dataset: ds.name.clone(),
        version: v.name.clone(),
        tool_version: TOOL_VERSION.to_owned(),
        inputs: vec![region_input],
        parameters: v.params.clone(),
        stages,
        elapsed_s: started.elapsed().as_secs_f64(),
        finished_unix: 0,
    };
    // The report reads the stage table from the manifest, so it is written once before the
    // report and again, complete, at the end.
    let manifest_path = v.dir.join(RUN_MANIFEST_FILE);
    write_run_manifest(&manifest, &manifest_path)?;
    manifest.stages.push(report(args, &v, &manifest_path, ctx)?);
    let remote = match &args.outputs {
        Location::Remote(url) => Some(url.join(&ds.name)),
        Location::Local(_) => None,
    };
    if let Some(url) = &remote {
        // Before warm: the bucket holds the version before the gateway can switch to it.
        publish_version(&v.dir, &url.join(&v.name))?;
    }
    if let Some(redis) = &args.redis {
        // Last, once every output is complete: a failure before here leaves the pointer
        // alone.
        manifest.stages.push(warm(args, &ds, &v, redis, ctx)?);
    }
    manifest.elapsed_s = started.elapsed().as_secs_f64();
    manifest.finished_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    write_run_manifest(&manifest, &manifest_path)?;
    if let Some(url) = &remote {
        publish_current(&manifest_path, url, &v.name)?;
    }
    outs.set_current(&v.name).with_context(|| {
        format!(
            "cannot point {}/current at {}",
            outs.root().display(),
            v.name
        )
    })?;
    print_table(&manifest, &v.dir);
    Ok(())
}

/// Before any stage: the arguments and the dataset checked, a matrix far too big
/// refused, the dataset lock taken and what a killed run left swept.
fn start(args: &RunArgs, root: &Path) -> anyhow::Result<(Dataset, DatasetOutputs, DatasetLock)> {
    if args.redis.is_none() && !args.no_warm {
        anyhow::bail!(crate::config::ConfigError::Usage(
            "give --redis URL (or set HEXMATRIX_REDIS) to warm the cache, or --no-warm".into()
        ));
    }
    let ds = Dataset::load(&args.dataset)?;
    // Before the lock, the fetch and the crop: a matrix far too big is refused now.
    SizeEstimate::of(&ds.bbox, ds.resolution).check(&ds.bbox, ds.resolution, args.max_cells)?;
    let outs = DatasetOutputs::new(root, &ds.name);
    let lock = DatasetLock::acquire(&outs.lock_path())?;
    // Holding the lock, nobody else writes here: a temporary older than now is what
    // a killed run left (a half-written matrix can be gigabytes).
    let stale = outs
        .remove_stale(SystemTime::now())
        .with_context(|| format!("cannot clean {}", outs.root().display()))?;
    if !stale.is_empty() {
        tracing::info!(
            target: "run",
            "[run] removed {} temporaries left by an interrupted run: {}",
            stale.len(),
            stale
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    tracing::info!(
        target: "run",
        "[run] dataset {} ({}): stages fetch, crop, graph, matrix, report{}; current version {}",
        ds.name,
        args.dataset.display(),
        if args.redis.is_some() { ", warm" } else { "" },
        outs.current().as_deref().unwrap_or("none")
    );
    Ok((ds, outs, lock))
}

/// The region file, downloaded (resumable, md5-checked) unless a local copy is
/// named: its record, its path and its hash.
fn fetch(
    args: &RunArgs,
    root: &Path,
    ds: &Dataset,
    ctx: &Context,
) -> anyhow::Result<(StageRecord, PathBuf, InputFile)> {
    let fetch_started = Instant::now();
    // Under this run's outputs, without taking the lock again (this run holds it).
    let place = super::fetch::Place {
        output: None,
        outputs: root,
        lock: false,
    };
    let fetch_opts = crate::download::Options {
        max_bytes: args.max_bytes,
        ..crate::download::Options::default()
    };
    let fetched = super::fetch::fetch_dataset(&args.dataset, ds, &place, &fetch_opts, ctx)
        .context("stage fetch failed")?;
    let region_input = input_file(&fetched.path)?;
    let (status, note) = match &fetched.outcome {
        Outcome::Downloaded { resumed_from } => (
            StageStatus::Ran,
            format!("downloaded (resumed from byte {resumed_from})"),
        ),
        Outcome::Copied => (StageStatus::Ran, "copied from a local source".to_owned()),
        Outcome::Unchanged => (StageStatus::Skipped, "remote file unchanged".to_owned()),
        Outcome::InPlace => (StageStatus::Skipped, "local region file".to_owned()),
    };
    let record = StageRecord {
        stage: "fetch".into(),
        status,
        note,
        key: key(&[("region_sha256", region_input.sha256.clone())]),
        counts: Counts::from([("bytes".to_owned(), region_input.bytes)]),
        elapsed_s: fetch_started.elapsed().as_secs_f64(),
        peak_rss_bytes: None,
    };
    Ok((record, fetched.path, region_input))
}

/// The local root of the outputs tree: the path given, or for a URL a local copy
/// under the cache directory, one per URL, kept between runs.
fn outputs_root(outputs: &Location) -> anyhow::Result<PathBuf> {
    match outputs {
        Location::Local(path) => Ok(path.clone()),
        Location::Remote(url) => {
            // Configured now: bad settings fail before any stage runs.
            crate::staging::open(url)?;
            let mut root = crate::staging::cache_root()
                .join("runs")
                .join(url.scheme().as_str());
            root.push(url.bucket());
            root.extend(url.prefix().split('/').filter(|s| !s.is_empty()));
            Ok(root)
        }
    }
}

/// Uploads a complete version directory to `url`: the data first, then the
/// matrix's shard records and manifest, the stage records, and the run manifest
/// last. The local copy stays (it is what lets the next run skip unchanged stages).
fn publish_version(dir: &Path, url: &ObjectUrl) -> anyhow::Result<()> {
    let started = Instant::now();
    let moved = crate::staging::open(url)?
        .upload_dir(
            dir,
            &[
                "matrix/shards/",
                "matrix/manifest.json",
                "stages/",
                RUN_MANIFEST_FILE,
            ],
            false,
        )
        .with_context(|| format!("cannot publish {} to {url}", dir.display()))?;
    tracing::info!(
        target: "run",
        "[run] uploaded {} files, {} to {url} in {:.2} s",
        moved.files,
        crate::memory::mib(moved.bytes),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The final run manifest to the version's prefix under the dataset's `url`, then
/// the dataset's `current` object (the version name and a newline).
fn publish_current(manifest: &Path, url: &ObjectUrl, version: &str) -> anyhow::Result<()> {
    let remote = crate::staging::open(url)?;
    let manifest_name = format!("{version}/{RUN_MANIFEST_FILE}");
    remote
        .upload_file(manifest, &manifest_name)
        .with_context(|| {
            format!(
                "cannot publish the run manifest to {}",
                url.join(&manifest_name)
            )
        })?;
    remote
        .put_bytes("current", format!("{version}\n").into_bytes())
        .with_context(|| format!("cannot point {} at {version}", url.join("current")))?;
    tracing::info!(target: "run", "[run] {} published; {} -> {version}", url.join(version), url.join("current"));
    Ok(())
}

/// The version a run builds: its name (a hash of what determines the result), its
/// directory and parameters.
struct Version {
    name: String,
    dir: PathBuf,
    /// `dir/stages`: the stage records.
    records: PathBuf,
    /// The parameters recorded in the run manifest.
    params: BTreeMap<String, String>,
    /// The duration limit as the keys spell it (`none` or seconds).
    max_duration: String,
}

impl Version {
    fn of(ds: &Dataset, region: &InputFile, outs: &DatasetOutputs) -> Self {
        let max_duration = ds
            .max_duration
            // Seconds as a plain number: the version fingerprint hashes this text.
            .map_or_else(|| "none".to_owned(), |d| d.secs().to_string());
        let parameters = [
            ("bbox", ds.bbox.to_string()),
            ("profile", ds.profile.name.to_owned()),
            ("resolution", u8::from(ds.resolution).to_string()),
            ("max_duration_s", max_duration.clone()),
        ];
        // The routing model is part of the result: a graph.ch format change (2: the
        // edge-based graph with turn costs, issue 15) or a changed rule or profile
        // table gives new durations for the same region, so it must give a new
        // version and new cache keys.
        let mut hashed = vec![
            ("region_sha256", region.sha256.clone()),
            ("graph_rules", graph_rules(ds)),
        ];
        hashed.extend(parameters.iter().cloned());
        let name = version_string(&ds.name, &hashed);
        let dir = outs.version_dir(&name);
        Self {
            records: dir.join("stages"),
            dir,
            name,
            params: key(&parameters),
            max_duration,
        }
    }
}

/// SHA-256 of [`hexmatrix_graph::rules_fingerprint`] for the dataset's profile.
fn graph_rules(ds: &Dataset) -> String {
    crate::version::sha256_str(&hexmatrix_graph::rules_fingerprint(ds.profile))
}

/// crop, graph and matrix, each skipped when its output is complete for the same
/// inputs and parameters; their records are appended to `stages`.
fn build(
    args: &RunArgs,
    ds: &Dataset,
    v: &Version,
    region: &Path,
    region_input: &InputFile,
    ctx: &Context,
    stages: &mut Vec<StageRecord>,
) -> anyhow::Result<()> {
    let city = v.dir.join("city.osm.pbf");
    let crop = StagePlan {
        name: "crop",
        output: city.clone(),
        key: key(&[
            ("region_sha256", region_input.sha256.clone()),
            ("bbox", ds.bbox.to_string()),
        ]),
    };
    stages.push(crop.execute(&v.records, args.force, || {
        let opts = CropOptions {
            input: region.to_owned(),
            bbox: ds.bbox,
            output: city.clone(),
        };
        super::crop::execute(&opts, ctx)
    })?);

    let graph_dir = v.dir.join(format!("graph-{}", ds.profile.name));
    let graph = StagePlan {
        name: "graph",
        output: graph_dir.clone(),
        key: key(&[
            ("city_sha256", input_file(&city)?.sha256),
            ("profile", ds.profile.name.to_owned()),
            ("graph_rules", graph_rules(ds)),
        ]),
    };
    stages.push(graph.execute(&v.records, args.force, || {
        let opts = GraphOptions {
            input: city.clone(),
            profile: ds.profile,
            output_dir: graph_dir.clone(),
        };
        super::graph::execute(&opts, ctx)
    })?);

    let matrix = StagePlan {
        name: "matrix",
        output: v.dir.join("matrix"),
        key: key(&[
            (
                "graph_ch_sha256",
                input_file(&graph_dir.join(CH_FILE))?.sha256,
            ),
            ("bbox", ds.bbox.to_string()),
            ("resolution", u8::from(ds.resolution).to_string()),
            ("max_duration_s", v.max_duration.clone()),
        ]),
    };
    stages.push(matrix.execute(&v.records, args.force, || {
        let opts = MatrixOptions {
            graph_dir: graph_dir.clone(),
            bbox: ds.bbox,
            resolution: ds.resolution,
            output_dir: v.dir.join("matrix"),
            max_duration: ds.max_duration,
            snap_radius_m: None,
            origin_block_size: None,
        };
        super::matrix::execute(&opts, args.max_cells, ctx)
    })?);
    Ok(())
}

/// The report of the version's matrix, with the stage table of `manifest_path`.
fn report(
    args: &RunArgs,
    v: &Version,
    manifest_path: &Path,
    ctx: &Context,
) -> anyhow::Result<StageRecord> {
    let matrix_dir = v.dir.join("matrix");
    let report_dir = v.dir.join("report");
    let report = StagePlan {
        name: "report",
        output: report_dir.join(hexmatrix_report::REPORT_FILE),
        key: key(&[(
            "matrix_manifest_sha256",
            input_file(&matrix_dir.join(hexmatrix_contract::MANIFEST_FILE))?.sha256,
        )]),
    };
    report.execute(&v.records, args.force, || {
        let opts = ReportOptions::new(
            matrix_dir.clone(),
            Some(manifest_path.to_owned()),
            report_dir.clone(),
        );
        super::report::execute(&opts, ctx)
    })
}

/// Loads the version into `redis` and moves the dataset's pointer to it. warm has
/// its own completion check in Redis (a finished load of this version is a no-op),
/// so it is always called; the pointer moves only after verification.
fn warm(
    args: &RunArgs,
    ds: &Dataset,
    v: &Version,
    redis: &str,
    ctx: &Context,
) -> anyhow::Result<StageRecord> {
    let pointer = hexmatrix_warm::dataset_pointer_key(&ds.name);
    let warm_started = Instant::now();
    crate::memory::reset_peak();
    // The `warm` command's defaults (WarmOptions::new) but for what a dataset sets.
    let mut opts = WarmOptions::new(
        v.dir.join("matrix"),
        Sink::Redis(Target::Single(redis.to_owned())),
        v.name.clone(),
    );
    opts.pointer_key.clone_from(&pointer);
    opts.layout = ds.cache_layout;
    opts.force = args.force;
    let w = super::warm::execute(&opts, warm_started, ctx).context("stage warm failed")?;
    Ok(StageRecord {
        stage: "warm".into(),
        status: StageStatus::Ran,
        note: format!("{:?}; pointer {pointer} -> {}", w.status, v.name),
        key: key(&[
            ("version", v.name.clone()),
            ("redis", hexmatrix_warm::redact_url(redis)),
        ]),
        counts: w.counts(),
        elapsed_s: warm_started.elapsed().as_secs_f64(),
        peak_rss_bytes: crate::memory::peak_rss_bytes(),
    })
}

fn print_table(manifest: &RunManifest, vdir: &Path) {
    let mut lines = vec![format!(
        "{:<8} {:<8} {:>9} {:>11}  {}",
        "stage", "status", "time", "peak RSS", "counts"
    )];
    for s in &manifest.stages {
        let counts: Vec<String> = s.counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(format!(
            "{:<8} {:<8} {:>8.2}s {:>11}  {}",
            s.stage,
            s.status,
            s.elapsed_s,
            s.peak_rss_bytes
                .map_or_else(|| "-".into(), crate::memory::mib),
            counts.join(" ")
        ));
    }
    lines.push(format!(
        "version {} in {:.2}s; outputs in {}; manifest {}",
        manifest.version,
        manifest.elapsed_s,
        vdir.display(),
        vdir.join(RUN_MANIFEST_FILE).display()
    ));
    #[expect(
        clippy::print_stdout,
        reason = "the end-of-run table is the command's output"
    )]
    {
        println!("{}", lines.join("\n"));
    }
}
