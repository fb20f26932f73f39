//! The on-disk contracts of hexmatrix: the matrix directory (what the matrix stage
//! writes and what warm, the report and any Parquet reader can rely on) and the run
//! manifest. Every file name, column name and manifest field lives here, so that no
//! crate retypes one.
//!
//! Principal items: [`MatrixManifest`] (the manifest, Serialize + Deserialize),
//! [`CellStatus`] and [`CellCounts`], the column names in [`columns`], the file names
//! ([`MANIFEST_FILE`], [`CELLS_FILE`], [`part_name`]) and [`content_fingerprint`].
//!
//! # A matrix directory
//!
//! | file | holds |
//! |---|---|
//! | `cells.parquet` | one row per H3 cell covering the bbox, ascending: `cell` `UInt64`, `cell_hex` `Utf8`, `lat`, `lon` `Float64` (cell centre, degrees), `node` `UInt32` (null unless `ok`), `node_lat`, `node_lon` `Float64` (snapped node, degrees), `snap_m` `Float64` (metres), `status` `Utf8` ([`CellStatus`]: `ok`, `no_road`, `unroutable`), `geometry` `Binary` (the hexagon, WKB polygon), `node_geometry` `Binary` (the snapped node, WKB point, null for `no_road`); a GeoParquet 1.1 file ([`geo`]) |
//! | `matrix/part-NNNNN.parquet` | origin block NNNNN ([`part_name`]): `origin`, `dest` `UInt64`, `distance_m` `Float32` (metres), `duration_s` `Float32` (seconds), null when there is no route; one row per ordered pair of `ok` cells (pairs slower than the manifest's `max_duration_s` left out), sorted by origin then dest |
//! | `shards/K-of-N.json` | [`ShardRecord`], only in a sharded run (`matrix --shard K/N`): the blocks of shard K of N ([`ShardSpec`], chosen by [`assign`]), its parts with sizes and SHA-256, the graph fingerprint and the parameters; written after the shard's parts. The merge (`matrix --merge-shards N`) checks them all and writes `manifest.json` |
//! | `manifest.json` | [`MatrixManifest`]: resolution, bbox, limits, cells by status, pairs, the parts with their rows and SHA-256, the SHA-256 of `cells.parquet`, timings, peak memory. Written last: its presence means the matrix is complete |
//!
//! **Who writes, who reads**: the matrix stage (`hexmatrix-matrix`) writes the
//! directory, into a temporary directory renamed into place. The warm stage
//! (`hexmatrix-warm`) reads the manifest, the `ok` cells and the parts batch by batch,
//! and names what it loaded by [`content_fingerprint`]. The report
//! (`hexmatrix-report`) reads all three with Polars. Analysts read the Parquet files
//! with any Parquet reader.
//!
//! **Determinism**: the same graph and parameters give byte-identical Parquet files,
//! so the checksums in the manifest (not its timings or paths) identify a matrix.
//!
//! How any of these files appears on disk (a temporary name, fsync, rename, fsync of
//! the directory) is [`atomic`], which every stage uses for its outputs.
//!
//! With the feature `parquet`, [`schema`] gives the Parquet schemas of both files and
//! [`table`] writes and reads Parquet tables column by column.
//!
//! # The graph directory
//!
//! `graph-PROFILE/` holds `nodes.parquet`, `edges.parquet`, `restrictions.parquet`,
//! `turns.parquet`, `restriction_paths.parquet` and `graph.ch`: their names are in
//! [`graph_dir`], their columns in [`columns::nodes`], [`columns::edges`],
//! [`columns::restrictions`], [`columns::turns`] and [`columns::restriction_paths`]. The graph
//! stage writes it; the matrix stage (and the graph crate's test oracle) read it.
//!
//! # The stage entry shape
//!
//! Every stage is called as `run(options, &Context) -> Result<Summary>`: the options
//! are validated once, where the command line or dataset file is read; the
//! [`Context`] carries the progress display ([`Progress`], drawn by the binary),
//! cancellation ([`Cancelled`]) and the output helper ([`Output`], over [`atomic`]).
//!
//! # The run manifest
//!
//! `hexmatrix run` writes [`RunManifest`] as `manifest.json` in each version
//! directory (inputs and their hashes, parameters, one [`StageRecord`] per stage with
//! its status, counts, time and [`peak_rss_bytes`]), and each stage's record under
//! `stages/`. The report reads the run manifest for its stage table; the next run
//! reads the stage records to skip what is unchanged.
//!
//! ```
//! use hexmatrix_contract::{CellStatus, MatrixManifest, columns, part_name};
//!
//! assert_eq!(part_name(3), "matrix/part-00003.parquet");
//! assert_eq!(columns::pairs::DURATION_S, "duration_s");
//! assert_eq!("no_road".parse::<CellStatus>(), Ok(CellStatus::NoRoad));
//! let m = MatrixManifest::from_json(
//!     br#"{"resolution": 9, "bbox": [14.46, 35.86, 14.53, 35.92],
//!          "cells": {"total": 0, "ok": 0}, "pairs": 0, "parts": []}"#,
//! )?;
//! assert_eq!(m.part_rows(), 0);
//! # Ok::<(), hexmatrix_contract::Error>(())
//! ```

pub mod atomic;
pub mod columns;
mod context;
mod error;
mod files;
mod fingerprint;
pub mod geo;
pub mod graph_dir;
mod limit;
mod manifest;
mod run;
#[cfg(feature = "parquet")]
pub mod schema;
mod shard;
mod status;
#[cfg(feature = "parquet")]
pub mod table;

pub use context::{Cancelled, Context, Counter, Output, Progress, Shown, Silent, Unit};
pub use error::{Error, Result};
pub use files::{CELLS_FILE, MANIFEST_FILE, PARTS_DIR, part_name};
pub use fingerprint::{FINGERPRINT_TAG, content_fingerprint, hex, sha256_file, sha256_file_digest};
pub use limit::{BadLimit, DurationLimit};
pub use manifest::{GraphRef, MatrixManifest, PartEntry, STAGE};
pub use run::{
    InputFile, RUN_MANIFEST_FILE, RunManifest, StageRecord, StageStatus, peak_rss_bytes,
};
pub use shard::{
    BadShard, SHARD_STAGE, SHARDS_DIR, ShardParameters, ShardPart, ShardRecord, ShardSpec, assign,
};
pub use status::{CellCounts, CellStatus, UnknownStatus};
