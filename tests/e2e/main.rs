//! End-to-end tests: the real `hexmatrix` binary in a fresh temp dir.

mod cli;
mod fetch;
mod matrix;
mod warm;
