//! `hexmatrix warm`.

use crate::progress::Context;

/// Arguments of `hexmatrix warm`.
#[derive(Debug, clap::Args)]
pub struct WarmArgs {}

/// Runs `hexmatrix warm`.
pub fn run(_args: &WarmArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix warm` is not implemented yet")
}
