//! The library half of the `hexmatrix` binary: what other crates use or test
//! directly, without running the binary.
//!
//! - [`config`]: dataset files (`datasets/NAME.toml`) read and validated into a
//!   [`config::Dataset`], as `hexmatrix run` and `--dataset` options read them.
//! - [`source`]: a dataset's `region_url` classified as a download or a local file.

pub mod config;
pub mod source;
