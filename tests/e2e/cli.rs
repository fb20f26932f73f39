//! The binary starts, prints help and refuses unknown input.

use std::process::Command;

fn hexmatrix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hexmatrix"))
}

#[test]
fn help_lists_every_stage() {
    let out = hexmatrix().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for stage in ["crop", "graph", "matrix", "warm", "lookup"] {
        assert!(text.contains(stage), "--help lacks {stage}: {text}");
    }
}

#[test]
fn unknown_subcommand_fails() {
    let out = hexmatrix().arg("frobnicate").output().unwrap();
    assert!(!out.status.success());
}
