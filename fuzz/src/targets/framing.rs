//! `pbf-framing`: whole files whose framing is damaged (length prefixes, blob
//! headers, compression fields and sizes), through the osm crate's frame
//! reader, decompression and header reader.

use std::path::Path;

use hexmatrix_osm::raw::BlobFrames;
use hexmatrix_osm::raw::read_header;

use crate::engine::Target;
use crate::pbf::{mutate_file, mutate_framing};
use crate::protobuf::Message;
use crate::rng::Rng;
use crate::targets::Setup;

/// The framing target.
#[derive(Debug)]
pub struct Framing {
    files: Vec<Vec<u8>>,
    trees: Vec<Message>,
}

impl Framing {
    /// With the PBF seeds of `setup`.
    #[must_use]
    pub fn new(setup: &Setup) -> Self {
        let seeds = setup.pbf();
        Self {
            files: seeds.files.clone(),
            trees: seeds.trees.clone(),
        }
    }
}

impl Target for Framing {
    fn name(&self) -> &'static str {
        "pbf-framing"
    }

    fn about(&self) -> &'static str {
        "PBF files with damaged framing -> blob::BlobFrames, decompress, header::read_header"
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let seed = rng.pick(&self.files).clone();
        if rng.one_in(4) {
            mutate_file(rng, &seed, &self.trees)
        } else {
            mutate_framing(rng, &seed)
        }
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let path = Path::new("fuzz.osm.pbf");
        for frame in BlobFrames::new(input, path) {
            let frame = frame.map_err(|e| e.to_string())?;
            if frame.number == 0 {
                read_header(path, &frame).map_err(|e| e.to_string())?;
                continue;
            }
            let announced = frame.announced_size();
            let raw = frame.decompress(path).map_err(|e| e.to_string())?;
            assert_eq!(
                raw.len(),
                announced,
                "a blob inflates to the size it announces"
            );
        }
        Ok(())
    }
}
