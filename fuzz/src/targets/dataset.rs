//! `dataset-toml`: the repository's dataset files with mutated lines, keys and
//! values (numbers at and past their limits, NaN and infinities, odd strings,
//! wrong types and shapes), through `Dataset::load`. What it accepts must be
//! usable as it is: a known profile, a supported resolution, a positive
//! duration limit, a name fit for directories and cache keys.

use std::path::PathBuf;

use hexmatrix::config::Dataset;

use crate::engine::Target;
use crate::havoc::havoc;
use crate::rng::Rng;
use crate::targets::Setup;

/// Values tried in place of a dataset value.
const VALUES: [&str; 34] = [
    "0",
    "-1",
    "5",
    "6",
    "11",
    "12",
    "255",
    "256",
    "99999999999999999999",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "-inf",
    "-0.0",
    "1e-300",
    "3.5",
    "\"\"",
    "\"car\"",
    "\"bus\"",
    "\"rows\"",
    "\"pairs\"",
    "\"../../tmp/x\"",
    "\"a/b\"",
    "\"\\u0000\"",
    "\"x y\"",
    "[]",
    "[1, 2, 3]",
    "[14.53, 35.92, 14.46, 35.86]",
    "[0, 0, 0, 0]",
    "[\"a\", 1, 2, 3]",
    "{}",
    "true",
    "1979-05-27T07:32:00Z",
];

/// The dataset target.
#[derive(Debug)]
pub struct DatasetToml {
    seeds: Vec<Vec<u8>>,
    dir: PathBuf,
}

impl DatasetToml {
    /// With the repository's `datasets/*.toml` as seeds.
    ///
    /// # Panics
    /// When the datasets directory cannot be read.
    #[must_use]
    pub fn new(setup: &Setup) -> Self {
        let datasets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../datasets");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&datasets)
            .expect("the repository's datasets directory")
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let seeds = paths
            .iter()
            .map(|p| std::fs::read(p).expect("dataset file"))
            .collect();
        Self {
            seeds,
            dir: setup.scratch("dataset-toml"),
        }
    }
}

impl Target for DatasetToml {
    fn name(&self) -> &'static str {
        "dataset-toml"
    }

    fn about(&self) -> &'static str {
        "datasets/*.toml with mutated keys and values -> config::Dataset::load"
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let seed = rng.pick(&self.seeds).clone();
        if rng.one_in(6) {
            let mut bytes = seed;
            havoc(rng, &mut bytes, b"name = \"x\"\nbbox = [1, 2, 3, 4]\n");
            return bytes;
        }
        let text = String::from_utf8_lossy(&seed);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for _ in 0..=rng.below(2) {
            let i = rng.below(lines.len().max(1));
            match rng.below(8) {
                0 if !lines.is_empty() => {
                    lines.remove(i);
                }
                1 if !lines.is_empty() => {
                    let copy = lines[i].clone();
                    lines.insert(i, copy);
                }
                2 => lines.insert(
                    i.min(lines.len()),
                    format!(
                        "{} = {}",
                        rng.pick(&["unknown", "name", "Resolution", "bbox"]),
                        rng.pick(&VALUES)
                    ),
                ),
                3 => lines.insert(i.min(lines.len()), "[section]".to_owned()),
                _ => {
                    // A value of a `key = value` line.
                    let keyed: Vec<usize> = (0..lines.len())
                        .filter(|&j| lines[j].contains(" = "))
                        .collect();
                    if !keyed.is_empty() {
                        let j = *rng.pick(&keyed);
                        let key = lines[j].split(" = ").next().unwrap_or_default().to_owned();
                        let value = if rng.one_in(8) {
                            format!("\"{}\"", "x".repeat(1 << rng.below(20)))
                        } else {
                            (*rng.pick(&VALUES)).to_owned()
                        };
                        lines[j] = format!("{key} = {value}");
                    }
                }
            }
        }
        lines.join("\n").into_bytes()
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let path = self.dir.join("dataset.toml");
        std::fs::write(&path, input).map_err(|e| e.to_string())?;
        let d = Dataset::load(&path).map_err(|e| e.to_string())?;
        let resolution = u8::from(d.resolution);
        assert!((6..=11).contains(&resolution), "resolution {resolution}");
        assert!(
            d.bbox.min_lon() <= d.bbox.max_lon() && d.bbox.min_lat() <= d.bbox.max_lat(),
            "bbox {}",
            d.bbox
        );
        assert!(
            hexmatrix_graph::Profile::by_name(d.profile.name).is_ok(),
            "profile {:?} accepted",
            d.profile.name
        );
        if let Some(limit) = d.max_duration {
            let s = limit.secs();
            assert!(s.is_finite() && s > 0.0, "max_duration_s {s} accepted");
        }
        assert!(
            !d.name.is_empty()
                && d.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b)),
            "name {:?} accepted: it names directories and cache keys",
            d.name
        );
        Ok(())
    }
}
