//! `hexmatrix graph`.

use crate::progress::Context;

/// Arguments of `hexmatrix graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {}

/// Runs `hexmatrix graph`.
pub fn run(_args: &GraphArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix graph` is not implemented yet")
}
