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
    /// H3 resolution of the matrix (6..=11).
    pub resolution: h3o::Resolution,
    /// Vehicle profile.
    pub profile: &'static hexmatrix_graph::Profile,
    /// Optional matrix duration limit.
    pub max_duration: Option<hexmatrix_contract::DurationLimit>,
    /// How `run` lays the cache out in Redis: `pairs` (default) or `rows`.
    pub cache_layout: hexmatrix_warm::Layout,
}

/// Longest dataset name: the version `NAME-<12 hex digits>` must fit the 64
/// characters a cache version may have.
pub const MAX_NAME_LEN: usize = 64 - 13;

/// The rule for a dataset name: 1 to [`MAX_NAME_LEN`] characters among `a-z`, `0-9`,
/// `_` and `-`, the first a letter or digit. The name is a directory under
/// `outputs/` (so no `/`, no `.` and no `..`) and part of Redis keys and of the
/// version (`route:NAME:current`, `NAME-<hex>`: no `:`, braces or spaces, which key
/// templates and Cluster hash tags would misread). Returns why a name breaks it.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!(
            "must have 1 to {MAX_NAME_LEN} characters (it has {})",
            name.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')))
    {
        return Err(format!(
            "may only hold a-z, 0-9, _ and - ({bad:?} is not allowed): it names a directory and Redis keys"
        ));
    }
    if name.starts_with(['_', '-']) {
        return Err("must start with a letter or a digit".to_owned());
    }
    Ok(())
}

impl Dataset {
    /// Reads and validates a dataset file: every field, before any work.
    ///
    /// # Errors
    /// [`ConfigError::Read`], or [`ConfigError::Invalid`] naming the file and the field.
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
        // Every field is checked here, before any stage runs: a bad profile must not
        // cost a fetch and a crop, a bad name must not reach a path or a Redis key.
        check_name(&raw.name).map_err(|why| invalid(format!("name {:?} {why}", raw.name)))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        crate::source::Source::parse(&raw.region_url, base)
            .map_err(|e| invalid(format!("region_url: {e}")))?;
        let [a, b, c, d] = raw.bbox;
        let bbox = Bbox::new(a, b, c, d).map_err(|e| invalid(format!("bbox: {e}")))?;
        let resolution = hexmatrix_matrix::resolution(raw.resolution).map_err(|_| {
            invalid(format!(
                "resolution {} is outside the accepted 6..=11",
                raw.resolution
            ))
        })?;
        let profile = hexmatrix_graph::Profile::by_name(&raw.profile)
            .map_err(|e| invalid(format!("profile: {e}")))?;
        let max_duration = raw
            .max_duration_s
            .map(hexmatrix_contract::DurationLimit::from_secs)
            .transpose()
            .map_err(|e| invalid(format!("max_duration_s {e}")))?;
        let cache_layout = raw
            .cache_layout
            .as_deref()
            .unwrap_or("pairs")
            .parse()
            .map_err(|e: hexmatrix_warm::Error| invalid(format!("cache_layout: {e}")))?;
        Ok(Self {
            name: raw.name,
            description: raw.description,
            region_url: raw.region_url,
            region_file: raw.region_file.map(|f| base.join(f)),
            bbox,
            resolution,
            profile,
            max_duration,
            cache_layout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Dataset, check_name};

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
            ("\"valletta\"", "\"../x\"", "name \"../x\""),
            ("\"valletta\"", "\"\\u0000\"", "name \"\\0\""),
            ("\"valletta\"", "\"\"", "name \"\""),
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

    #[test]
    fn issue_11_dataset_names_follow_the_rule() {
        for good in ["valletta", "hcmc", "ho_chi_minh-2", "9a", &"a".repeat(51)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            "../..",
            "a/b",
            "a.b",
            "A",
            "a b",
            "a:b",
            "{a}",
            "-a",
            "_a",
            &"a".repeat(52),
            "é",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
