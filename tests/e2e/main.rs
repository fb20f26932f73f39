//! End-to-end tests: the real `hexmatrix` binary in a fresh temp dir.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking, helpers included"
)]

mod cli;
mod crop;
mod diskfull;
mod fetch;
mod gateway;
mod graph;
mod matrix;
mod regression;
mod report;
mod run;
mod shards;
mod util;
mod warm;
mod warm_shards;
