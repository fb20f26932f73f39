//! Which shard this process is: `--shard K/N`, or `--shards N` with K from the
//! environment variable `JOB_COMPLETION_INDEX` that a Kubernetes Indexed Job sets
//! in each pod (0-based, as K is).

use hexmatrix_contract::{BadShard, ShardSpec};

/// The environment variable of a Kubernetes Indexed Job's pod index.
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// Shard flags shared by `matrix` and `warm`.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// Do only shard K of N (K is 0-based: 0/4 … 3/4); the N shards together do the
    /// whole work, in any order, on any machines.
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "shards")]
    pub shard: Option<ShardSpec>,
    /// Do one shard of N, K read from the environment variable `JOB_COMPLETION_INDEX`
    /// (a Kubernetes Indexed Job's pod index); the same as --shard K/N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
}

impl ShardArgs {
    /// The shard these flags name, if any.
    ///
    /// # Errors
    /// `--shards N` without `JOB_COMPLETION_INDEX`, or with an index that is not a
    /// number below N ([`BadShard`], exit 2).
    pub fn resolve(&self) -> anyhow::Result<Option<ShardSpec>> {
        match (self.shard, self.shards) {
            (Some(spec), _) => Ok(Some(spec)),
            (None, Some(n)) => {
                let index = std::env::var(INDEX_ENV).map_err(|_| BadShard {
                    text: format!("?/{n}"),
                    message: "--shards N needs the environment variable JOB_COMPLETION_INDEX (or give --shard K/N)",
                })?;
                Ok(Some(parse_shard(&format!("{}/{n}", index.trim()))?))
            }
            (None, None) => Ok(None),
        }
    }
}

fn parse_shard(text: &str) -> Result<ShardSpec, BadShard> {
    text.parse()
}
