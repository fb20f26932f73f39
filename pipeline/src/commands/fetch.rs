//! `hexmatrix fetch`.

use crate::progress::Context;

/// Arguments of `hexmatrix fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {}

/// Runs `hexmatrix fetch`.
pub fn run(_args: &FetchArgs, _ctx: &Context) -> anyhow::Result<()> {
    anyhow::bail!("`hexmatrix fetch` is not implemented yet")
}
