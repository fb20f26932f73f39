//! Command-line types; the doc comments are the `--help` text.

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;

/// Crop OSM regions, build road graphs, precompute H3 travel matrices and warm a Redis route cache.
#[derive(Debug, Parser)]
#[command(name = "hexmatrix", version, about, long_about = None)]
pub struct Cli {
    /// Progress display: bars with rates on a terminal, or status lines for logs.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto, global = true)]
    pub progress: ProgressMode,
    /// Log format: human-readable text, or one JSON object per line for schedulers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// The stage to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to draw progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// Bars on a terminal, a plain status line every few seconds otherwise (logs).
    Auto,
    /// Plain status lines every few seconds, even on a terminal.
    Lines,
    /// Never draw bars or status lines.
    Never,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands, one per stage.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crop a region .osm.pbf to a bbox (`osmium extract --strategy complete_ways` semantics).
    Crop(commands::crop::CropArgs),
    /// Build the road graph and contraction hierarchy of a city PBF for a vehicle profile.
    Graph(commands::graph::GraphArgs),
    /// Compute the H3 cell-to-cell travel matrix of a graph into Parquet.
    Matrix(commands::matrix::MatrixArgs),
    /// Load a matrix into Redis under a new version, verify it, then make it current.
    Warm(commands::warm::WarmArgs),
    /// Look routes up in Redis the way the gateway does.
    Lookup(commands::lookup::LookupArgs),
    /// Download a dataset's region extract (resumable, md5-checked, skipped when unchanged).
    Fetch(commands::fetch::FetchArgs),
    /// Run every stage for a dataset: fetch, crop, graph, matrix, report, warm (incremental, atomic).
    Run(commands::run::RunArgs),
    /// Summarise a matrix: report.md (counts, quantiles, suspicious pairs, stages), map.svg and map.png.
    Report(commands::report::ReportArgs),
}
