//! `crop`: small real PBF files (crops of the shared extracts) with mutated
//! blocks, through both passes of the crop. What the crop accepts it must write
//! as a file our reader reads back; what it refuses must leave no file behind.

use std::path::PathBuf;

use hexmatrix_osm::{Bbox, CropCounters, crop, read_all};

use crate::engine::Target;
use crate::pbf::mutate_file;
use crate::protobuf::Message;
use crate::rng::Rng;
use crate::targets::Setup;

/// The crop target.
#[derive(Debug)]
pub struct Crop {
    files: Vec<Vec<u8>>,
    trees: Vec<Message>,
    dir: PathBuf,
}

impl Crop {
    /// With the PBF seeds of `setup`.
    #[must_use]
    pub fn new(setup: &Setup) -> Self {
        let seeds = setup.pbf();
        Self {
            files: seeds.files.clone(),
            trees: seeds.trees.clone(),
            dir: setup.scratch("crop"),
        }
    }
}

impl Target for Crop {
    fn name(&self) -> &'static str {
        "crop"
    }

    fn about(&self) -> &'static str {
        "small real PBFs with mutated blocks -> crop (scanner pass, osmpbf pass, writer)"
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let seed = rng.pick(&self.files).clone();
        mutate_file(rng, &seed, &self.trees)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        let source = self.dir.join("in.osm.pbf");
        let output = self.dir.join("out.osm.pbf");
        std::fs::write(&source, input).map_err(|e| e.to_string())?;
        // Half the world: some nodes in, some out, for inputs from any city.
        let bbox = if input.len().is_multiple_of(2) {
            Bbox::new(-180.0, -90.0, 180.0, 90.0)
        } else {
            Bbox::new(0.0, 0.0, 180.0, 90.0)
        }
        .map_err(|e| e.to_string())?;
        match crop(&source, &bbox, &output, &CropCounters::default()) {
            Ok(summary) => {
                let (_, elements) = read_all(&output)
                    .unwrap_or_else(|e| panic!("the crop wrote a file we cannot read: {e}"));
                assert_eq!(
                    elements.len() as u64,
                    summary.nodes + summary.ways + summary.relations,
                    "the crop's counts match its output"
                );
                Ok(())
            }
            Err(e) => {
                let left: Vec<_> = std::fs::read_dir(&self.dir)
                    .map_err(|e| e.to_string())?
                    .filter_map(|f| f.ok().map(|f| f.file_name()))
                    .filter(|n| n != "in.osm.pbf")
                    .collect();
                assert!(left.is_empty(), "a failed crop left {left:?} ({e})");
                Err(e.to_string())
            }
        }
    }
}
