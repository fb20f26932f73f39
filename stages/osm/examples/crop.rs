//! The crop stage alone, without the pipeline binary: `cargo run --release -p
//! hexmatrix-osm --example crop -- INPUT BBOX OUTPUT`. Builds in a minute, so
//! release-profile settings (LTO, codegen units) can be measured on the hot path.

use std::path::Path;
use std::process::ExitCode;

use hexmatrix_osm::Bbox;
use hexmatrix_osm::{CropCounters, crop};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, bbox, output] = args.as_slice() else {
        #[expect(clippy::print_stderr, reason = "usage message of an example")]
        {
            eprintln!("usage: crop INPUT MIN_LON,MIN_LAT,MAX_LON,MAX_LAT OUTPUT");
        }
        return ExitCode::from(2);
    };
    let result = bbox.parse::<Bbox>().and_then(|b| {
        crop(
            Path::new(input),
            &b,
            Path::new(output),
            &CropCounters::default(),
        )
    });
    match result {
        Ok(summary) => {
            #[expect(clippy::print_stdout, reason = "the example's output")]
            {
                println!(
                    "{} nodes, {} ways, {} relations",
                    summary.nodes, summary.ways, summary.relations
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            #[expect(clippy::print_stderr, reason = "the example's error")]
            {
                eprintln!("crop: {e}");
            }
            ExitCode::from(2)
        }
    }
}
