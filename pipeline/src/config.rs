//! Dataset files (`datasets/NAME.toml`) and their validation.

use std::path::{Path, PathBuf};

use hexmatrix_osm::Bbox;
use serde::Deserialize;

/// A dataset file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The command line is incomplete or contradictory.
    #[error("{0}")]
    Usage(String),
    /// The file could not be read.
    #[error("cannot read dataset file {path}: {source}")]
    Read {
        /// The dataset file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or a value is invalid.
    #[error("dataset file {path}: {message}")]
    Invalid {
        /// The dataset file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One city as described by `datasets/NAME.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetFile {
    name: String,
    description: Option<String>,
    region_url: String,
    region_file: Option<String>,
    bbox: [f64; 4],
    resolution: u8,
    profile: String,
    max_duration_s: Option<f64>,
    cache_layout: Option<String>,
}

/// A validated dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Short name, used for output directories and cache pointer keys.
    pub name: String,
    /// Human description.
    pub description: Option<String>,
    /// Where the region extract is published.
    pub region_url: String,
    /// A local copy of the region, resolved against the dataset file's directory.
    pub region_file: Option<PathBuf>,
    /// The city bbox.
    pub bbox: Bbox,
    /// H3 resolution of the matrix.
    pub resolution: u8,
    /// Vehicle profile name.
    pub profile: String,
    /// Optional matrix duration limit in seconds.
    pub max_duration_s: Option<f64>,
    /// How `run` lays the cache out in Redis: `pairs` (default) or `rows`.
    pub cache_layout: hexmatrix_warm::Layout,
}

impl Dataset {
    /// Reads and validates a dataset file.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read, [`ConfigError::Invalid`]
    /// for malformed TOML, an unknown or missing key, or a value out of range.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let raw: DatasetFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let [a, b, c, d] = raw.bbox;
        let bbox = Bbox::new(a, b, c, d).map_err(|e| invalid(e.to_string()))?;
        if !(6..=11).contains(&raw.resolution) {
            return Err(invalid(format!(
                "resolution {} is outside the accepted 6..=11",
                raw.resolution
            )));
        }
        let cache_layout = raw
            .cache_layout
            .as_deref()
            .unwrap_or("pairs")
            .parse()
            .map_err(|e: hexmatrix_warm::Error| invalid(format!("cache_layout: {e}")))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Ok(Self {
            name: raw.name,
            description: raw.description,
            region_url: raw.region_url,
            region_file: raw.region_file.map(|f| base.join(f)),
            bbox,
            resolution: raw.resolution,
            profile: raw.profile,
            max_duration_s: raw.max_duration_s,
            cache_layout,
        })
    }
}
