//! `hexmatrix crop`: resolve the input, bbox and output (from flags or a
//! dataset file) into the stage's options, run the osm stage (which shows bytes/s
//! and entities/s), then print one summary line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use hexmatrix_osm::{Bbox, CropOptions, CropSummary};

use crate::config::{ConfigError, Dataset};
use crate::memory;
use crate::staging::{LocalInput, LocalOutput};
use hexmatrix_contract::Context;
use hexmatrix_store::Location;

/// Arguments of `hexmatrix crop`.
#[derive(Debug, clap::Args)]
pub struct CropArgs {
    /// Region .osm.pbf to read, sorted by type then id (Geofabrik extracts are).
    /// Overrides the dataset's `region_file`. Or an s3://, gs:// or az:// URL.
    #[arg(long, required_unless_present = "dataset", value_parser = Location::parse)]
    pub input: Option<Location>,
    /// Bbox as west,south,east,north in degrees (e.g. 14.46,35.86,14.53,35.92), edges included.
    /// Overrides the dataset's bbox.
    #[arg(long, required_unless_present = "dataset", allow_hyphen_values = true)]
    pub bbox: Option<Bbox>,
    /// City .osm.pbf to write (replaced only when the crop succeeds).
    /// Default with --dataset: outputs/NAME/city.osm.pbf. Or an s3://, gs:// or az://
    /// URL (the object appears when the upload is complete).
    #[arg(long, required_unless_present = "dataset", value_parser = Location::parse)]
    pub output: Option<Location>,
    /// A dataset file (datasets/NAME.toml) giving the region file and the bbox.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
}

/// Runs `hexmatrix crop`.
pub fn run(args: &CropArgs, ctx: &Context) -> anyhow::Result<()> {
    let (input, bbox, output) = locations(args)?;
    let staged_input =
        LocalInput::file(&input).with_context(|| format!("cannot read the region {input}"))?;
    let staged_output = LocalOutput::new(&output)?;
    let opts = CropOptions {
        input: staged_input.path().to_owned(),
        bbox,
        output: staged_output.path().to_owned(),
    };
    execute(&opts, ctx)?;
    staged_output
        .publish(&[])
        .with_context(|| format!("cannot publish the crop to {output}"))?;
    tracing::info!(
        target: "crop",
        "[crop] next: hexmatrix graph --input {output} --output <graph dir>"
    );
    Ok(())
}

/// Input, bbox and output from the flags, falling back on the dataset file.
fn locations(args: &CropArgs) -> anyhow::Result<(Location, Bbox, Location)> {
    let dataset = args.dataset.as_deref().map(Dataset::load).transpose()?;
    let dataset_path = args.dataset.clone().unwrap_or_default();
    let missing = |message: &str| ConfigError::Invalid {
        path: dataset_path.clone(),
        message: message.to_owned(),
    };
    let input = match (&args.input, &dataset) {
        (Some(i), _) => i.clone(),
        (None, Some(d)) => d.region_file.clone().map(Location::Local).ok_or_else(|| {
            missing("has no region_file: run `hexmatrix fetch` for it or pass --input")
        })?,
        (None, None) => return Err(missing("--input is required without --dataset").into()),
    };
    let bbox = match (&args.bbox, &dataset) {
        (Some(b), _) => *b,
        (None, Some(d)) => d.bbox,
        (None, None) => return Err(missing("--bbox is required without --dataset").into()),
    };
    let output = match (&args.output, &dataset) {
        (Some(o), _) => o.clone(),
        (None, Some(d)) => Location::Local(Path::new("outputs").join(&d.name).join("city.osm.pbf")),
        (None, None) => return Err(missing("--output is required without --dataset").into()),
    };
    Ok((input, bbox, output))
}

/// Runs the crop stage on `opts` and logs its summary line. Used by `crop` and `run`.
///
/// # Errors
/// Whatever the osm stage reports (exit code 2 for bad input, 1 for an output
/// that cannot be written).
pub fn execute(opts: &CropOptions, ctx: &Context) -> anyhow::Result<CropSummary> {
    let started = Instant::now();
    let (input, bbox, output) = (&opts.input, &opts.bbox, &opts.output);
    let input_len = std::fs::metadata(input).ok().map(|m| m.len());
    tracing::info!(
        target: "crop",
        "[crop] {} ({}) to bbox {bbox} -> {}",
        input.display(),
        input_len.map_or_else(|| "size unknown".to_owned(), memory::mib),
        output.display()
    );
    let summary = hexmatrix_osm::run(opts, ctx).with_context(|| {
        format!(
            "crop of {} to {bbox} into {}",
            input.display(),
            output.display()
        )
    })?;
    log_summary(&summary, started);
    Ok(summary)
}

fn log_summary(summary: &CropSummary, started: Instant) {
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let peak = memory::peak_rss_bytes().map_or_else(|| "unknown".to_owned(), memory::mib);
    if let Some((a, b, c, d)) = summary.header_bbox {
        tracing::debug!(target: "crop", "[crop] input header bbox {a},{b},{c},{d} (informational, not used)");
    }
    tracing::info!(
        target: "crop",
        "[crop] kept {} nodes, {} ways, {} relations of {} entities; {} written; {:.2} s \
         ({}/s, {:.1} M entities/s; {} of {} blocks decoded in full); peak RSS {peak}",
        summary.nodes,
        summary.ways,
        summary.relations,
        summary.input_entities,
        memory::mib(summary.output_bytes),
        secs,
        memory::mib((summary.input_bytes as f64 / secs) as u64),
        summary.input_entities as f64 / secs / 1e6,
        summary.blocks_decoded.0,
        summary.blocks_decoded.1,
    );
}
