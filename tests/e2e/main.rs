//! End-to-end tests: the real `hexmatrix` binary in a fresh temp dir.

mod cli;
mod crop;
mod fetch;
mod graph;
mod matrix;
mod warm;
