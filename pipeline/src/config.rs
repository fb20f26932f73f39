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
        // The name becomes a directory (`outputs/NAME/`) and part of cache keys.
        let name_ok = (1..=64).contains(&raw.name.len())
            && raw
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(invalid(format!(
                "name {:?} must be 1 to 64 letters, digits, '_' or '-' (it names the output directory and cache keys)",
                raw.name
            )));
        }
        let [a, b, c, d] = raw.bbox;
        let bbox = Bbox::new(a, b, c, d).map_err(|e| invalid(e.to_string()))?;
        if !(6..=11).contains(&raw.resolution) {
            return Err(invalid(format!(
                "resolution {} is outside the accepted 6..=11",
                raw.resolution
            )));
        }
        hexmatrix_graph::Profile::by_name(&raw.profile)
            .map_err(|e| invalid(format!("profile: {e}")))?;
        if let Some(s) = raw.max_duration_s
            && !(s.is_finite() && s > 0.0)
        {
            return Err(invalid(format!(
                "max_duration_s {s} must be a positive number of seconds"
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

#[cfg(test)]
mod tests {
    use super::Dataset;

    const GOOD: &str = r#"name = "valletta"
region_url = "https://example.invalid/malta-latest.osm.pbf"
bbox = [14.46, 35.86, 14.53, 35.92]
resolution = 9
profile = "car"
"#;

    fn load(text: &str) -> Result<Dataset, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("d.toml");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        Dataset::load(&path).map_err(|e| e.to_string())
    }

    /// Issue 11 (found by the `dataset-toml` fuzz target): values that fail a
    /// later stage, or worse, were accepted: an unknown profile (refused by the
    /// graph stage after the crop), a duration limit of NaN or -5, a name such
    /// as `../x` or `"\0"` that becomes a directory and part of cache keys.
    #[test]
    fn issue_11_dataset_values_are_checked_when_the_file_is_read() {
        assert!(load(GOOD).is_ok());
        for (from, to, needle) in [
            ("\"car\"", "\"bus\"", "unknown profile \"bus\""),
            ("\"valletta\"", "\"../x\"", "name \"../x\" must be"),
            ("\"valletta\"", "\"\\u0000\"", "name \"\\0\" must be"),
            ("\"valletta\"", "\"\"", "name \"\" must be"),
        ] {
            let err = load(&GOOD.replace(from, to)).unwrap_err();
            assert!(err.contains("d.toml") && err.contains(needle), "{err}");
        }
        for limit in ["nan", "-5.0", "0", "inf"] {
            let err = load(&format!("{GOOD}max_duration_s = {limit}\n")).unwrap_err();
            assert!(err.contains("max_duration_s"), "{err}");
        }
        assert!(load(&format!("{GOOD}max_duration_s = 1800\n")).is_ok());
    }
}
