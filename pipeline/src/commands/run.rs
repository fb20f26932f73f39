//! `hexmatrix run`.

use crate::progress::Context;

/// Arguments of `hexmatrix run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {}

/// Runs `hexmatrix run`.
pub fn run(_args: &RunArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix run` is not implemented yet")
}
