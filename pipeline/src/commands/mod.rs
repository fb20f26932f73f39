//! One module per subcommand: check inputs, call the stage, print a summary.

pub mod crop;
pub mod fetch;
pub mod graph;
pub mod lookup;
pub mod matrix;
pub mod report;
pub mod run;
pub mod warm;

use crate::cli::Command;
use hexmatrix_contract::Context;

/// Runs the chosen subcommand.
pub fn dispatch(command: &Command, ctx: &Context) -> anyhow::Result<()> {
    match command {
        Command::Crop(args) => crop::run(args, ctx),
        Command::Graph(args) => graph::run(args, ctx),
        Command::Matrix(args) => matrix::run(args, ctx),
        Command::Warm(args) => warm::run(args, ctx),
        Command::Lookup(args) => lookup::run(args, ctx),
        Command::Fetch(args) => fetch::run(args, ctx),
        Command::Run(args) => run::run(args, ctx),
        Command::Report(args) => report::run(args, ctx),
    }
}
