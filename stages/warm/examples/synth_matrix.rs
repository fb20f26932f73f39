//! Writes a synthetic matrix directory (real H3 cells around Valletta) for
//! benchmarks: `synth_matrix OUT_DIR CELLS [ORIGIN_BLOCK_SIZE] [RESOLUTION]`.
//! CELLS × CELLS ordered pairs; 1000 cells give 1 million pairs.

#![expect(
    clippy::print_stdout,
    reason = "a command-line tool reports what it wrote"
)]

use std::path::PathBuf;

use hexmatrix_warm::fixture::{MatrixSpec, write_matrix};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: synth_matrix OUT_DIR CELLS [ORIGIN_BLOCK_SIZE] [RESOLUTION]";
    let out = PathBuf::from(args.first().expect(usage));
    let number =
        |i: usize, default: usize| args.get(i).map_or(default, |s| s.parse().expect(usage));
    let spec = MatrixSpec {
        ok_cells: number(1, 1000),
        no_road_cells: 0,
        origin_block_size: number(2, 100),
        resolution: u8::try_from(number(3, 9)).expect(usage),
        unreachable_every: 997,
        tag: "bench".to_owned(),
    };
    let m = write_matrix(&out, &spec);
    println!(
        "{}: {} cells, {} pairs ({} unreachable)",
        m.dir.display(),
        m.cells.len(),
        m.pairs,
        m.unreachable
    );
}
