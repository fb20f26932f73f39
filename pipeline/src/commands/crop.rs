//! `hexmatrix crop`.

use crate::progress::Context;

/// Arguments of `hexmatrix crop`.
#[derive(Debug, clap::Args)]
pub struct CropArgs {}

/// Runs `hexmatrix crop`.
pub fn run(_args: &CropArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix crop` is not implemented yet")
}
