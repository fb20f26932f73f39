//! One target per parser, and the seeds they share (built once, in a temp dir).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::engine::Target;
use crate::pbf::{PbfSeeds, seeds};

mod block;
mod crop;
mod dataset;
mod framing;
mod graph_ch;
mod graph_read;
mod matrix;

/// The targets' names, in the order they run.
pub const NAMES: [&str; 8] = [
    "pbf-framing",
    "block-decode",
    "crop",
    "graph-read",
    "graph-ch",
    "matrix-dir",
    "report",
    "dataset-toml",
];

/// Seeds and scratch space shared by the targets.
#[derive(Debug)]
pub struct Setup {
    dir: tempfile::TempDir,
    extracts: usize,
    pbf: OnceLock<PbfSeeds>,
}

impl Setup {
    /// Seeds will come from the first `extracts` shared extracts (all twelve
    /// for long runs, a few for the quick pass of the tests).
    ///
    /// # Panics
    /// When no temporary directory can be made.
    #[must_use]
    pub fn new(extracts: usize) -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
            extracts,
            pbf: OnceLock::new(),
        }
    }

    /// The PBF seeds, built on first use.
    pub fn pbf(&self) -> &PbfSeeds {
        self.pbf.get_or_init(|| {
            let dir = self.scratch("pbf-seeds");
            seeds(&dir, self.extracts)
        })
    }

    /// A fresh directory for `what` inside the setup's temp dir.
    ///
    /// # Panics
    /// When it cannot be created.
    #[must_use]
    pub fn scratch(&self, what: &str) -> PathBuf {
        let dir = self.dir.path().join(what);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    /// The setup's temp dir.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The target called `name`, with its seeds.
#[must_use]
pub fn target(name: &str, setup: &Setup) -> Option<Box<dyn Target>> {
    Some(match name {
        "pbf-framing" => Box::new(framing::Framing::new(setup)),
        "block-decode" => Box::new(block::BlockDecode::new(setup)),
        "crop" => Box::new(crop::Crop::new(setup)),
        "graph-read" => Box::new(graph_read::GraphRead::new(setup)),
        "graph-ch" => Box::new(graph_ch::GraphCh::new(setup)),
        "matrix-dir" => Box::new(matrix::MatrixTarget::warm(setup)),
        "report" => Box::new(matrix::MatrixTarget::report(setup)),
        "dataset-toml" => Box::new(dataset::DatasetToml::new(setup)),
        _ => return None,
    })
}
