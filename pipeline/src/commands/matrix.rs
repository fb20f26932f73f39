//! `hexmatrix matrix`.

use crate::progress::Context;

/// Arguments of `hexmatrix matrix`.
#[derive(Debug, clap::Args)]
pub struct MatrixArgs {}

/// Runs `hexmatrix matrix`.
pub fn run(_args: &MatrixArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix matrix` is not implemented yet")
}
