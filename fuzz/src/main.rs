//! `hexmatrix-fuzz`: runs the fuzz targets for a time and prints what happened.
//!
//! ```text
//! hexmatrix-fuzz [--seconds N] [--target NAME]... [--seed S] [--crashes DIR] [--extracts N]
//! hexmatrix-fuzz --replay [--crashes DIR]
//! ```
//!
//! `--seconds` is the total, shared evenly by the targets (default 60).
//! Exit status: 0 without crashes, 1 when an input crashed, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hexmatrix_fuzz::engine::{Budget, Limits, Outcome, Stats, Target, fuzz, run_one};
use hexmatrix_fuzz::targets::{NAMES, Setup, target};
use hexmatrix_fuzz::{MEMORY_LIMIT, pbf};

struct Args {
    seconds: u64,
    targets: Vec<String>,
    seed: u64,
    crashes: PathBuf,
    extracts: usize,
    replay: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seconds: 60,
        targets: Vec::new(),
        seed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
        crashes: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crashes"),
        extracts: pbf::EXTRACTS.len(),
        replay: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?;
            }
            "--target" => args.targets.push(value()?),
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--crashes" => args.crashes = PathBuf::from(value()?),
            "--extracts" => {
                args.extracts = value()?.parse().map_err(|e| format!("--extracts: {e}"))?;
            }
            "--replay" => args.replay = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    for t in &args.targets {
        if !NAMES.contains(&t.as_str()) {
            return Err(format!("unknown target {t} (known: {})", NAMES.join(", ")));
        }
    }
    if args.targets.is_empty() {
        args.targets = NAMES.iter().map(|&s| s.to_owned()).collect();
    }
    Ok(args)
}

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]
fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hexmatrix-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let limits = Limits {
        memory_bytes: MEMORY_LIMIT,
        time: Duration::from_secs(20),
    };
    let setup = Setup::new(args.extracts);
    if args.replay {
        return replay(&args, &setup, limits);
    }
    let share = Duration::from_secs(args.seconds) / args.targets.len() as u32;
    println!(
        "hexmatrix-fuzz: seed {}, {} s per target, crashes under {}",
        args.seed,
        share.as_secs_f64(),
        args.crashes.display()
    );
    let mut all = Vec::new();
    for name in &args.targets {
        let Some(mut t) = target(name, &setup) else {
            continue;
        };
        println!("{name}: {}", t.about());
        let budget = Budget {
            execs: None,
            time: Some(share),
        };
        let stats = fuzz(t.as_mut(), budget, args.seed, limits, Some(&args.crashes));
        print_row(&stats);
        all.push(stats);
    }
    println!();
    println!(
        "{:<13} {:>9} {:>9} {:>9} {:>8} {:>7} {:>8} {:>10} {:>9}",
        "target",
        "execs",
        "accepted",
        "refused",
        "isolated",
        "crashes",
        "execs/s",
        "peak MiB",
        "slowest"
    );
    for s in &all {
        println!(
            "{:<13} {:>9} {:>9} {:>9} {:>8} {:>7} {:>8.0} {:>10.1} {:>8.2}s",
            s.target,
            s.execs,
            s.accepted,
            s.refused,
            s.isolated,
            s.crashes.len(),
            s.execs as f64 / s.elapsed.as_secs_f64().max(1e-9),
            s.peak_bytes as f64 / f64::from(1 << 20),
            s.slowest.as_secs_f64()
        );
    }
    let crashes: usize = all.iter().map(|s| s.crashes.len()).sum();
    for s in &all {
        for c in &s.crashes {
            let file = c
                .file
                .as_ref()
                .map_or_else(String::new, |f| format!(" [{}]", f.display()));
            println!("CRASH {}: {}{file}", s.target, c.message);
        }
    }
    if crashes > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_row(s: &Stats) {
    #[expect(clippy::print_stdout, reason = "a command-line tool")]
    {
        println!(
            "  {} execs ({} accepted, {} refused of which {} after a caught decoder panic, {} crashed, {} distinct) in {:.0} s",
            s.execs,
            s.accepted,
            s.refused,
            s.isolated,
            s.crashed,
            s.crashes.len(),
            s.elapsed.as_secs_f64()
        );
    }
}

/// Runs every saved crash input again.
#[expect(clippy::print_stdout, reason = "a command-line tool")]
fn replay(args: &Args, setup: &Setup, limits: Limits) -> ExitCode {
    let mut failed = 0;
    for name in &args.targets {
        let dir = args.crashes.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let Some(mut t) = target(name, setup) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        files.sort();
        for file in files {
            let input = std::fs::read(&file).unwrap_or_default();
            let verdict = match run_one(t.as_mut() as &mut dyn Target, &input, limits, None) {
                Ok(Outcome::Accepted) => "accepted".to_owned(),
                Ok(Outcome::Refused(e)) => format!("refused: {e}"),
                Ok(Outcome::Isolated(e)) => format!("refused after a caught panic: {e}"),
                Err(c) => {
                    failed += 1;
                    format!("CRASH: {}", c.message)
                }
            };
            println!("{name} {}: {verdict}", file.display());
        }
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
