//! `hexmatrix fetch`: the dataset's region extract, downloaded (resumable, md5-checked,
//! skipped when unchanged) or copied from a local path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::HumanBytes;

use crate::config::Dataset;
use crate::download::{self, Fetched, Outcome, Source};
use crate::lock::DatasetLock;
use crate::outputs::DatasetOutputs;
use hexmatrix_contract::Context;

/// Arguments of `hexmatrix fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The dataset file (`datasets/NAME.toml`); its `region_url` is fetched.
    pub dataset: PathBuf,
    /// Where to write the region [default: OUTPUTS/NAME/region.osm.pbf]. When given, the
    /// `region_url` is fetched even if the dataset names an existing `region_file`.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Root of the outputs tree: the default place of the region, and of the dataset's
    /// lock (OUTPUTS/NAME/.lock, the one `run` holds), taken before anything is written.
    #[arg(long, default_value = "outputs")]
    pub outputs: PathBuf,
    /// Fetch even when the source is unchanged, and discard any partial download.
    #[arg(long)]
    pub force: bool,
    /// Give up an attempt when no data arrives for this many seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Failed attempts in a row before giving up; each resumes where the last one stopped.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Largest region accepted (bytes, or with KiB, MiB, GiB, TiB): a larger announced
    /// size is refused before the download, a body growing past it is cut and removed.
    #[arg(long, value_name = "BYTES", default_value = "4GiB", value_parser = parse_bytes)]
    pub max_bytes: u64,
}

/// `4GiB`, `500MiB`, `64KiB` or a plain number of bytes (also `4G`, `500M`, `64K`).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        _ => {
            return Err(format!(
                "{text:?}: use a number of bytes with an optional KiB, MiB, GiB or TiB"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a positive number of bytes below 16 EiB"))
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// Runs `hexmatrix fetch`.
pub fn run(args: &FetchArgs, ctx: &Context) -> anyhow::Result<()> {
    let dataset = Dataset::load(&args.dataset)?;
    let opts = download::Options {
        force: args.force,
        retries: args.retries,
        stall_timeout: args.timeout,
        max_bytes: args.max_bytes,
        ..download::Options::default()
    };
    let place = Place {
        output: args.output.as_deref(),
        outputs: &args.outputs,
        lock: true,
    };
    fetch_dataset(&args.dataset, &dataset, &place, &opts, ctx)?;
    Ok(())
}

/// Where a fetch writes, and whether it takes the dataset lock itself.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// An explicit output file (fetches `region_url` even when `region_file` exists).
    pub output: Option<&'a Path>,
    /// Root of the outputs tree (`OUTPUTS/NAME/region.osm.pbf` by default, the lock).
    pub outputs: &'a Path,
    /// Take `OUTPUTS/NAME/.lock` before writing; false when the caller (`run`) holds it.
    pub lock: bool,
}

/// The default place of a downloaded region: `OUTPUTS/NAME/region.osm.pbf`.
pub fn default_output(outputs: &Path, dataset: &Dataset) -> PathBuf {
    DatasetOutputs::new(outputs, &dataset.name)
        .root()
        .join("region.osm.pbf")
}

/// Makes the region of `dataset` available and returns where it is. An existing
/// `region_file` is used as it is, unless `place.output` asks for a fetch of `region_url`
/// (a relative local `region_url` is resolved against the dataset file's directory).
/// Logs one summary line.
///
/// # Errors
///
/// A [`download::Error`] (exit code 3) with the dataset as context.
pub fn fetch_dataset(
    dataset_file: &Path,
    dataset: &Dataset,
    place: &Place<'_>,
    opts: &download::Options,
    ctx: &Context,
) -> anyhow::Result<Fetched> {
    if place.output.is_none()
        && let Some(local) = &dataset.region_file
        && let Ok(meta) = std::fs::metadata(local)
    {
        tracing::info!(
            "[fetch] {}: region file {} is local ({}): nothing to download",
            dataset.name,
            local.display(),
            HumanBytes(meta.len())
        );
        return Ok(Fetched {
            path: local.clone(),
            outcome: Outcome::InPlace,
            size: meta.len(),
            md5: None,
        });
    }
    if let Some(local) = &dataset.region_file {
        tracing::info!(
            "[fetch] {}: region file {} is missing; fetching {}",
            dataset.name,
            local.display(),
            hexmatrix_warm::redact_url(&dataset.region_url)
        );
    }
    let base = dataset_file.parent().unwrap_or_else(|| Path::new("."));
    let context = || format!("fetching the region of dataset {}", dataset.name);
    let source = Source::parse(&dataset.region_url, base).with_context(context)?;
    let output = place
        .output
        .map_or_else(|| default_output(place.outputs, dataset), Path::to_path_buf);
    // Nothing is written without the dataset lock: a fetch beside a running `run` (or
    // another fetch) would rename a region under the crop reading it.
    let _lock = if place.lock {
        Some(DatasetLock::acquire(
            &DatasetOutputs::new(place.outputs, &dataset.name).lock_path(),
        )?)
    } else {
        None
    };
    let start = Instant::now();
    let fetched = download::fetch(&source, &output, opts, ctx).with_context(context)?;
    log_summary(&source, &fetched, start.elapsed());
    Ok(fetched)
}

fn log_summary(source: &Source, fetched: &Fetched, elapsed: Duration) {
    let path = fetched.path.display();
    let size = HumanBytes(fetched.size);
    let md5 = fetched.md5.as_deref().unwrap_or("unknown");
    let secs = elapsed.as_secs_f64();
    let rate = HumanBytes((fetched.size as f64 / secs.max(1e-3)) as u64);
    match &fetched.outcome {
        Outcome::Unchanged => tracing::info!(
            "[fetch] {source} is unchanged since the last fetch: kept {path} ({size}, md5 {md5}), \
             nothing downloaded"
        ),
        Outcome::Downloaded { resumed_from } => {
            let resumed = if *resumed_from > 0 {
                format!(", resumed at {}", HumanBytes(*resumed_from))
            } else {
                String::new()
            };
            tracing::info!(
                "[fetch] downloaded {source} to {path}: {size} in {secs:.1} s ({rate}/s){resumed}, \
                 md5 {md5} verified"
            );
        }
        Outcome::Copied => {
            tracing::info!("[fetch] copied {source} to {path}: {size} in {secs:.1} s, md5 {md5}");
        }
        Outcome::InPlace => {
            tracing::info!("[fetch] {source} is {path} itself ({size}): nothing to copy");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
        assert_eq!(parse_bytes("500MiB"), Ok(500 << 20));
        assert_eq!(parse_bytes("64k"), Ok(64 << 10));
        assert_eq!(parse_bytes("1234"), Ok(1234));
        for bad in ["", "0", "-1", "4GB", "1e9", "99999999999TiB"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }
}
