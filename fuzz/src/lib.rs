//! A fuzz harness for hexmatrix's parsers, on stable Rust.
//!
//! Every input hexmatrix reads — a PBF file, a `graph.ch`, a matrix directory,
//! a dataset file — must give a result or a typed error: never a panic, a hang,
//! or memory past a documented bound. cargo-fuzz needs a nightly toolchain; this
//! harness runs the parsers in-process under `catch_unwind`, with a counting
//! allocator and a watchdog, on inputs made by structured mutation of real
//! data: the shared OSM extracts (cropped small with our own crop), and
//! `graph.ch` files, matrix directories and dataset files the project writes.
//!
//! Principal items: [`engine::Target`] (a parser with its seeds and mutator),
//! [`engine::fuzz`] (the loop: budget, limits, crash files), [`targets`] (one per
//! parser: `pbf-framing`, `block-decode`, `crop`, `graph-read`, `graph-ch`,
//! `matrix-dir`, `report`, `dataset-toml`), [`protobuf`] and [`pbf`] (the PBF
//! mutators: decompress a block, mutate its fields, recompress).
//!
//! Mutations come from a seeded generator ([`rng::Rng`]): a seed and a number of
//! executions give the same inputs everywhere. There is no coverage feedback:
//! the mutators know the formats instead.
//!
//! `just fuzz [SECONDS]` runs every target (release build) and saves each
//! distinct crash under `fuzz/crashes/TARGET/`; the `fuzz` test replays those
//! files and runs a short pass of every target.

pub mod alloc;
pub mod container;
pub mod engine;
pub mod havoc;
pub mod pbf;
pub mod protobuf;
pub mod rng;
pub mod targets;

/// Every allocation of the harness (and of the parsers it runs) is counted.
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// The memory one input may hold at once. The block check bounds a decoded
/// block at 512 MiB estimated (about 300 MiB real) and the crop's second pass
/// at twice that; seed inputs are small, so well-behaved runs stay far below.
pub const MEMORY_LIMIT: usize = 1536 << 20;
