//! Redis cache warming for hexmatrix: loads a travel matrix into Redis (one
//! server or a Cluster) under a new version, verifies it, then moves the pointer
//! key that gateways read; and the gateway-side lookup.
//!
//! Principal types: [`WarmOptions`] → [`run`] → [`WarmSummary`];
//! [`Target`] (where Redis is), [`KeyTemplate`], [`ValueFormat`], [`TtlPolicy`],
//! [`Layout`]; [`lookup::current`] and [`lookup::Current`] for reading like a gateway.
//!
//! **Inputs**: a matrix directory as the matrix stage writes it: `manifest.json`
//! (resolution, bbox, parts, pair count), `cells.parquet` (`cell`, `status`),
//! `matrix/part-NNNNN.parquet` (`origin`, `dest` `UInt64`, `distance_m`,
//! `duration_s` Float32 nullable).
//!
//! **Outputs** (the contract for gateway authors, see `CONTRACT.md`):
//! - `route:{version}:{origin_hex}:{dest_hex}` per stored ordered pair (template
//!   configurable; the `cluster` preset hash-tags the origin), value
//!   `{"dist":1234.5,"dur":321.4}` (or the `text` form `1235,321.4`), "no route"
//!   `{"dist":-1,"dur":-1}` with its own shorter TTL, every key with a jittered TTL;
//! - or, in the [`Layout::Rows`] layout for big cities, one binary
//!   string per origin `route:{version}:row:{origin_hex}` of 8 bytes a destination
//!   (duration in 0.1 s, distance in m, u32 LE) in the order of the cell index
//!   `route:{version}:index`: ≈10 bytes a pair in Redis instead of ≈216;
//! - `route:{version}:cells` (set of drivable cells), `route:{version}:manifest`
//!   (JSON: layout, resolution, bbox, template, format, counts),
//!   `route:{version}:progress` (resume checkpoints);
//! - the pointer `route:current` (configurable) = the version, moved only after
//!   the load is complete and verified, by compare-and-set.
//!
//! A load that would not fit in the server's `maxmemory`, or that an evicting
//! memory policy could turn into the loss of the live version, is refused before
//! anything is written ([`MemoryEstimate`]).
//!
//! ```no_run
//! use hexmatrix_contract::Context;
//! use hexmatrix_warm::{Sink, Target, WarmOptions, run};
//! let sink = Sink::Redis(Target::Single("redis://127.0.0.1:6379/0".into()));
//! let opts = WarmOptions::new("outputs/valletta/matrix".into(), sink, "v1".into());
//! let summary = run(&opts, &Context::silent())?;
//! println!("{} keys", summary.keys_total);
//! # Ok::<(), hexmatrix_warm::Error>(())
//! ```

mod capacity;
mod checkpoint;
mod connect;
mod error;
#[cfg(feature = "fixture")]
pub mod fixture;
mod keys;
mod load;
pub mod lookup;
mod matrix;
mod publish;
mod redact;
mod rows;
mod server;
mod shard;
mod ttl;
mod value;
mod verify;
mod version;
mod warm;

pub use capacity::Estimate as MemoryEstimate;
pub use connect::{CA_PARAM, Conn, Target};
pub use error::{Error, Result};
pub use keys::{CLUSTER_TEMPLATE, DEFAULT_TEMPLATE, KeyTemplate, dataset_pointer_key};
pub use load::Sink;
pub use matrix::MatrixDir;
pub use publish::publish;
pub use redact::{redact_in, redact_url};
pub use rows::Layout;
pub use server::ServerStats;
pub use shard::{WarmShardRecord, run_shard, shard_files};
pub use ttl::{MAX_TTL_S, TtlPolicy, parse_duration};
pub use value::ValueFormat;
pub use version::VersionManifest;
pub use warm::{DEFAULT_POINTER_KEY, WarmOptions, WarmStatus, WarmSummary, run};

/// Redis-side internals for the integration tests: the binary row entries and the
/// version keys written and read directly. Not an API.
#[doc(hidden)]
pub mod raw {
    pub use crate::rows::{Entry, decode, parse_index};
    pub use crate::version::{move_pointer, read_manifest, read_pointer, write_manifest};
}
