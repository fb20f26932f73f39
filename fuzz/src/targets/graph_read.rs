//! `graph-read`: small real PBF files with mutated blocks, through the whole
//! graph stage (read, profile rules, restrictions, components, contraction,
//! files). What it accepts it must write as a `graph.ch` that loads.

use std::path::PathBuf;

use hexmatrix_contract::Context;
use hexmatrix_graph::{ContractionHierarchy, GraphOptions, Profile, read_nodes};

use crate::engine::Target;
use crate::pbf::mutate_file;
use crate::protobuf::Message;
use crate::rng::Rng;
use crate::targets::Setup;

/// The graph-read target.
#[derive(Debug)]
pub struct GraphRead {
    files: Vec<Vec<u8>>,
    trees: Vec<Message>,
    dir: PathBuf,
}

impl GraphRead {
    /// With the PBF seeds of `setup`.
    #[must_use]
    pub fn new(setup: &Setup) -> Self {
        let seeds = setup.pbf();
        Self {
            files: seeds.files.clone(),
            trees: seeds.trees.clone(),
            dir: setup.scratch("graph-read"),
        }
    }
}

impl Target for GraphRead {
    fn name(&self) -> &'static str {
        "graph-read"
    }

    fn about(&self) -> &'static str {
        "small real PBFs with mutated blocks -> the graph stage (read, rules, CH, files)"
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let seed = rng.pick(&self.files).clone();
        mutate_file(rng, &seed, &self.trees)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        let source = self.dir.join("in.osm.pbf");
        std::fs::write(&source, input).map_err(|e| e.to_string())?;
        let out = self.dir.join("graph");
        let profile = if input.len().is_multiple_of(2) {
            "car"
        } else {
            "motorcycle"
        };
        let profile = Profile::by_name(profile).map_err(|e| e.to_string())?;
        let opts = GraphOptions {
            input: source,
            profile,
            output_dir: out.clone(),
        };
        let summary = hexmatrix_graph::run(&opts, &Context::silent()).map_err(|e| e.to_string())?;
        let ch = ContractionHierarchy::load(&out.join("graph.ch"))
            .unwrap_or_else(|e| panic!("the graph stage wrote a graph.ch it cannot load: {e}"));
        assert_eq!(ch.graph_node_count() as u64, summary.nodes);
        let nodes = read_nodes(&out)
            .unwrap_or_else(|e| panic!("the graph stage wrote nodes it cannot read: {e}"));
        assert_eq!(nodes.osm_id.len() as u64, summary.nodes);
        Ok(())
    }
}
