//! `hexmatrix`: the command-line glue around the stage crates. Parses
//! arguments, sets up logging and progress, calls one stage library per
//! subcommand, and maps errors to documented exit codes.

mod cli;
mod commands;
mod download;
mod exit;
mod lock;
mod manifest;
mod memory;
mod outputs;
mod progress;
mod shard;
mod stage;
mod version;

use std::process::ExitCode;

use clap::Parser;
use hexmatrix::config;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    progress::init_logging(cli.log_format);
    let ctx = progress::Display::new(cli.progress).into_context();
    match commands::dispatch(&cli.command, &ctx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit::code_for(&err);
            #[expect(
                clippy::print_stderr,
                reason = "the binary reports its error to the user"
            )]
            {
                eprintln!("hexmatrix: {}", exit::one_line(&err));
            }
            ExitCode::from(code)
        }
    }
}
