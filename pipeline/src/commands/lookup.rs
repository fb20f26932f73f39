//! `hexmatrix lookup`.

use crate::progress::Context;

/// Arguments of `hexmatrix lookup`.
#[derive(Debug, clap::Args)]
pub struct LookupArgs {}

/// Runs `hexmatrix lookup`.
pub fn run(_args: &LookupArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix lookup` is not implemented yet")
}
