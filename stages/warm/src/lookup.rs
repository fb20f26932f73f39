//! Gateway emulation: what a routing gateway does with two GPS points. Read the
//! pointer, read that version's manifest (layout, resolution, key template, value
//! format), snap each point to its H3 cell, then read the pairs: one MGET in the
//! pairs layout; in the rows layout a binary search of the version's cell index
//! (read once) and one pipelined GETRANGE of 8 bytes per pair.

use h3o::{LatLng, Resolution};

use crate::connect::{Conn, Target};
use crate::error::{Error, Result};
use crate::keys::KeyTemplate;
use crate::rows::{self, Entry, Layout};
use crate::ttl::splitmix;
use crate::value::{Route, ValueFormat};
use crate::version::{self, VersionManifest};

/// Pairs per read when sampling.
const SAMPLE_CHUNK: usize = 500;

/// The version a gateway would read now.
#[derive(Debug, Clone)]
pub struct Current {
    /// Its manifest.
    pub manifest: VersionManifest,
    template: KeyTemplate,
    format: ValueFormat,
    resolution: Resolution,
    layout: Layout,
    /// Rows layout: the cell index (columns of every row); empty otherwise.
    index: Vec<u64>,
    /// Rows layout: row keys are this prefix and the origin in hex.
    row_prefix: String,
}

/// The answer for one ordered pair of points.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A route.
    Route {
        /// Metres.
        distance_m: f64,
        /// Seconds.
        duration_s: f64,
    },
    /// The pair is known to have no route.
    NoRoute,
    /// No key: a cell without road, beyond the duration limit, or expired.
    Miss,
    /// Rows layout: the pair is slower than the duration limit of the load.
    BeyondMaxDuration,
    /// The key holds something that is not a value of the version's format.
    Unreadable(String),
}

/// One looked-up pair.
#[derive(Debug, Clone, PartialEq)]
pub struct PairAnswer {
    /// Index of the origin point.
    pub from: usize,
    /// Index of the destination point.
    pub to: usize,
    /// The Redis key read.
    pub key: String,
    /// What it held.
    pub answer: Answer,
}

/// Hit rate of random pairs of points in the bbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HitRate {
    /// Pairs looked up.
    pub pairs: u64,
    /// Hits with a route.
    pub routes: u64,
    /// Hits with "no route".
    pub no_route: u64,
    /// Misses.
    pub misses: u64,
    /// Of the misses, pairs whose origin or destination cell is not in the cell set.
    pub misses_cell_not_served: u64,
    /// Pairs whose two points fell in the same cell (not looked up).
    pub same_cell: u64,
}

/// Reads the pointer and the manifest of the version it names; `template` is the
/// key template the version was loaded with (its text before `{version}` locates
/// the manifest; the presets share `route:`).
///
/// # Errors
/// The pointer is unset, the manifest is missing (expired?) or Redis fails.
pub fn current(conn: &mut Conn, pointer_key: &str, template: &KeyTemplate) -> Result<Current> {
    let url = conn.url().to_owned();
    let version = version::read_pointer(conn, pointer_key)?.ok_or_else(|| Error::NoVersion {
        url: url.clone(),
        message: format!("the pointer key {pointer_key} is not set: no version was loaded (or another --pointer-key was used)"),
    })?;
    let key = template.meta_key(&version, "manifest");
    let manifest = version::read_manifest(conn, &key)?.ok_or_else(|| Error::NoVersion {
        url: url.clone(),
        message: format!(
            "{pointer_key} names version {version} but {key} does not exist (expired, or loaded with another --key-template prefix?)"
        ),
    })?;
    let template = KeyTemplate::parse(&manifest.key_template)?;
    let layout: Layout = manifest.layout.parse()?;
    let format = match layout {
        Layout::Pairs => manifest.value_format.parse()?,
        Layout::Rows => ValueFormat::default(),
    };
    let resolution = Resolution::try_from(manifest.resolution).map_err(|e| Error::NoVersion {
        url: url.clone(),
        message: format!("{key} has resolution {}: {e}", manifest.resolution),
    })?;
    let (index, row_prefix) = match layout {
        Layout::Pairs => (Vec::new(), String::new()),
        Layout::Rows => {
            let missing = |what: &str| Error::NoVersion {
                url: url.clone(),
                message: format!("{key} is a rows layout without {what}"),
            };
            let index_key = manifest
                .index_key
                .clone()
                .ok_or_else(|| missing("index_key"))?;
            let prefix = manifest
                .row_key_prefix
                .clone()
                .ok_or_else(|| missing("row_key_prefix"))?;
            let bytes: Option<Vec<u8>> =
                conn.query(redis::cmd("GET").arg(&index_key), "reading the cell index")?;
            let index = bytes
                .as_deref()
                .and_then(rows::parse_index)
                .ok_or_else(|| Error::NoVersion {
                    url: url.clone(),
                    message: format!(
                        "{index_key} is missing or not a list of ascending u64 cells (expired?)"
                    ),
                })?;
            (index, prefix)
        }
    };
    Ok(Current {
        manifest,
        template,
        format,
        resolution,
        layout,
        index,
        row_prefix,
    })
}

impl Current {
    /// The cell of a point at the version's resolution.
    ///
    /// # Errors
    /// The coordinates are not finite.
    pub fn cell(&self, lat: f64, lon: f64) -> Result<u64> {
        let ll = LatLng::new(lat, lon).map_err(|e| Error::InvalidOption {
            name: "point",
            value: format!("{lat},{lon}"),
            reason: e.to_string(),
        })?;
        Ok(u64::from(ll.to_cell(self.resolution)))
    }

    fn answer(&self, value: Option<String>) -> Answer {
        match value {
            None => Answer::Miss,
            Some(v) => match self.format.parse(&v) {
                Some(Route::Found {
                    distance_m,
                    duration_s,
                }) => Answer::Route {
                    distance_m,
                    duration_s,
                },
                Some(Route::NoRoute) => Answer::NoRoute,
                None => Answer::Unreadable(v),
            },
        }
    }

    /// Looks up every ordered pair of distinct points, one MGET per origin row
    /// on a Cluster (the `cluster` key preset keeps a row in one slot), one MGET
    /// in all on a single server.
    ///
    /// # Errors
    /// Bad coordinates or a failed read.
    pub fn pairs(&self, conn: &mut Conn, points: &[(f64, f64)]) -> Result<Vec<PairAnswer>> {
        let cells = points
            .iter()
            .map(|&(lat, lon)| self.cell(lat, lon))
            .collect::<Result<Vec<_>>>()?;
        if self.layout == Layout::Rows {
            let mut wanted = Vec::new();
            for (i, &o) in cells.iter().enumerate() {
                for (j, &d) in cells.iter().enumerate() {
                    if i != j {
                        wanted.push((i, j, o, d));
                    }
                }
            }
            let pairs: Vec<(u64, u64)> = wanted.iter().map(|&(_, _, o, d)| (o, d)).collect();
            let answers = self.read_rows(conn, &pairs)?;
            return Ok(wanted
                .into_iter()
                .zip(answers)
                .map(|((from, to, _, _), (key, answer))| PairAnswer {
                    from,
                    to,
                    key,
                    answer,
                })
                .collect());
        }
        let keys = self.template.for_version(&self.manifest.version);
        let mut rows: Vec<Vec<(usize, usize, String)>> = Vec::new();
        for (i, &o) in cells.iter().enumerate() {
            rows.push(
                cells
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(j, &d)| (i, j, keys.key(o, d)))
                    .collect(),
            );
        }
        let groups: Vec<Vec<(usize, usize, String)>> = if conn.is_cluster() {
            rows
        } else {
            vec![rows.into_iter().flatten().collect()]
        };
        let mut out = Vec::new();
        for group in groups {
            let names: Vec<String> = group.iter().map(|(_, _, k)| k.clone()).collect();
            let values = conn.read_values(&names, self.template.row_in_one_slot())?;
            for ((from, to, key), value) in group.into_iter().zip(values) {
                out.push(PairAnswer {
                    from,
                    to,
                    key,
                    answer: self.answer(value),
                });
            }
        }
        Ok(out)
    }

    /// Looks up `n` pairs of uniformly random points inside the version's bbox.
    ///
    /// # Errors
    /// A failed read.
    pub fn sample(&self, conn: &mut Conn, n: u64, seed: u64) -> Result<HitRate> {
        let [min_lon, min_lat, max_lon, max_lat] = self.manifest.bbox;
        let mut state = seed;
        let mut unit = move || (splitmix(&mut state) >> 11) as f64 / (1_u64 << 53) as f64;
        let keys = self.template.for_version(&self.manifest.version);
        let mut rate = HitRate::default();
        let mut remaining = n;
        while remaining > 0 {
            let take = remaining.min(SAMPLE_CHUNK as u64);
            remaining -= take;
            let mut pairs = Vec::new();
            for _ in 0..take {
                let mut point = || {
                    (
                        min_lat + unit() * (max_lat - min_lat),
                        min_lon + unit() * (max_lon - min_lon),
                    )
                };
                let (from, to) = (point(), point());
                let (origin, dest) = (self.cell(from.0, from.1)?, self.cell(to.0, to.1)?);
                rate.pairs += 1;
                if origin == dest {
                    rate.same_cell += 1;
                } else {
                    pairs.push((origin, dest));
                }
            }
            let answers: Vec<Answer> = if self.layout == Layout::Rows {
                self.read_rows(conn, &pairs)?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            } else {
                let names: Vec<String> = pairs.iter().map(|&(o, d)| keys.key(o, d)).collect();
                conn.read_values(&names, false)?
                    .into_iter()
                    .map(|v| self.answer(v))
                    .collect()
            };
            let mut missed = Vec::new();
            for (pair, answer) in pairs.iter().zip(answers) {
                match answer {
                    Answer::Route { .. } => rate.routes += 1,
                    Answer::NoRoute => rate.no_route += 1,
                    Answer::BeyondMaxDuration => rate.misses += 1,
                    Answer::Miss | Answer::Unreadable(_) => {
                        rate.misses += 1;
                        missed.push(*pair);
                    }
                }
            }
            if !missed.is_empty() {
                let mut cmd = redis::cmd("SMISMEMBER");
                cmd.arg(&self.manifest.cells_key);
                for (o, d) in &missed {
                    cmd.arg(format!("{o:x}")).arg(format!("{d:x}"));
                }
                let member: Vec<u8> = conn.query(&cmd, "checking the cell set")?;
                rate.misses_cell_not_served +=
                    member.chunks(2).filter(|c| c.contains(&0)).count() as u64;
            }
        }
        Ok(rate)
    }
}

impl Current {
    /// The layout of the version.
    #[must_use]
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Rows layout: each pair's entry with one pipelined GETRANGE, and what was read
    /// (`GETRANGE key start end`). A cell outside the index is a miss without a read.
    ///
    /// # Errors
    /// A failed read.
    pub fn read_rows(
        &self,
        conn: &mut Conn,
        pairs: &[(u64, u64)],
    ) -> Result<Vec<(String, Answer)>> {
        let mut out: Vec<(String, Answer)> = Vec::with_capacity(pairs.len());
        let mut cmds = Vec::new();
        let mut pending = Vec::new();
        for &(o, d) in pairs {
            let key = format!("{}{o:x}", self.row_prefix);
            match (self.index.binary_search(&o), self.index.binary_search(&d)) {
                (Ok(_), Ok(column)) => {
                    let start = column * rows::ENTRY_BYTES;
                    let end = start + rows::ENTRY_BYTES - 1;
                    let mut c = redis::cmd("GETRANGE");
                    c.arg(&key).arg(start).arg(end);
                    cmds.push(c);
                    pending.push(out.len());
                    out.push((format!("GETRANGE {key} {start} {end}"), Answer::Miss));
                }
                _ => out.push((
                    format!("{key} (a cell not in {})", self.manifest.cells_key),
                    Answer::Miss,
                )),
            }
        }
        for (chunk_cmds, chunk_slots) in cmds.chunks(SAMPLE_CHUNK).zip(pending.chunks(SAMPLE_CHUNK))
        {
            let values = conn.run_pipeline(chunk_cmds, "reading row entries with GETRANGE")?;
            for (&slot, value) in chunk_slots.iter().zip(values) {
                let bytes: Vec<u8> = redis::from_redis_value(value)
                    .map_err(|e| conn.error("reading row entries with GETRANGE", e.into()))?;
                out[slot].1 = match rows::decode(&bytes) {
                    _ if bytes.is_empty() => Answer::Miss,
                    Some(Entry::Route {
                        duration_ds,
                        distance_m,
                    }) => Answer::Route {
                        distance_m: f64::from(distance_m),
                        duration_s: f64::from(duration_ds) / 10.0,
                    },
                    Some(Entry::NoRoute) => Answer::NoRoute,
                    Some(Entry::BeyondMaxDuration) => Answer::BeyondMaxDuration,
                    None => Answer::Unreadable(format!("{bytes:02x?}")),
                };
            }
        }
        Ok(out)
    }
}

/// Connects and reads the current version.
///
/// # Errors
/// As [`Target::connect`] and [`current`].
pub fn open(target: &Target, pointer_key: &str, template: &KeyTemplate) -> Result<(Conn, Current)> {
    let mut conn = target.connect()?;
    let cur = current(&mut conn, pointer_key, template)?;
    Ok((conn, cur))
}
