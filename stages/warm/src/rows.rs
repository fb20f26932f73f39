//! The `rows` layout: one binary string per origin instead of one key per pair.
//!
//! A key per pair costs Redis about 200 bytes of bookkeeping for 10 to 30 bytes
//! of value; at city scale (≈200 M pairs) that is tens of GiB. In this layout a
//! version holds:
//!
//! - `route:{version}:index`: the `ok` cells as u64 little-endian, ascending,
//!   8 bytes each. Position `i` is column `i` of every row.
//! - `route:{version}:row:{origin_hex}`: `8 × N` bytes. Entry `i` is the duration
//!   to the cell at position `i` in tenths of a second (u32 LE, rounded), then the
//!   distance in whole metres (u32 LE, rounded). Both [`NO_ROUTE`]: no route; both
//!   [`BEYOND_MAX_DURATION`]: slower than the load's duration limit. Origin =
//!   destination is 0, 0.
//!
//! A gateway reads one pair with `GETRANGE row 8i 8i+7`, after a binary search of
//! the index (which it keeps per version).

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::error::Error;
use crate::matrix::PairBatch;

/// Bytes of one entry of a row (duration, then distance).
pub const ENTRY_BYTES: usize = 8;
/// Both halves of an entry with no route.
pub const NO_ROUTE: u32 = u32::MAX;
/// Both halves of an entry slower than the load's `--max-duration`.
pub const BEYOND_MAX_DURATION: u32 = u32::MAX - 1;
/// The largest value stored for a real route (longer ones are clamped to it).
const MAX_VALUE: u32 = u32::MAX - 2;

/// How a version is laid out in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One string key per ordered pair: `route:{version}:{origin}:{dest}`.
    #[default]
    Pairs,
    /// One binary string per origin plus the cell index (this module).
    Rows,
}

impl Layout {
    /// The name used on the command line, in dataset files and in the version manifest.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Pairs => "pairs",
            Self::Rows => "rows",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Layout {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "pairs" => Ok(Self::Pairs),
            "rows" => Ok(Self::Rows),
            _ => Err(Error::InvalidOption {
                name: "cache layout",
                value: s.to_owned(),
                reason: "use pairs or rows".to_owned(),
            }),
        }
    }
}

/// What one entry of a row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A route.
    Route {
        /// Duration in tenths of a second.
        duration_ds: u32,
        /// Distance in whole metres.
        distance_m: u32,
    },
    /// The pair has no route.
    NoRoute,
    /// The pair is slower than the duration limit of the load.
    BeyondMaxDuration,
}

/// The 8 bytes of a pair: `route` is `(distance_m, duration_s)`, `None` without a
/// route; routes slower than `max_duration_s` become [`BEYOND_MAX_DURATION`].
#[must_use]
pub fn encode(route: Option<(f64, f64)>, max_duration_s: Option<f64>) -> [u8; ENTRY_BYTES] {
    let (duration, distance) = match route {
        None => (NO_ROUTE, NO_ROUTE),
        Some((_, dur)) if max_duration_s.is_some_and(|m| dur > m) => {
            (BEYOND_MAX_DURATION, BEYOND_MAX_DURATION)
        }
        Some((dist, dur)) => (clamp(dur * 10.0), clamp(dist)),
    };
    let mut out = [0_u8; ENTRY_BYTES];
    out[..4].copy_from_slice(&duration.to_le_bytes());
    out[4..].copy_from_slice(&distance.to_le_bytes());
    out
}

/// Rounds half away from zero into the range of real values. (`f64::round` is a
/// libm call on baseline x86-64; truncation and one comparison are exact here.)
fn clamp(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= f64::from(MAX_VALUE) {
        MAX_VALUE
    } else {
        // Branch-free: the fraction is random data, a branch on it mispredicts half the time.
        let t = x as u32;
        t + u32::from(x - f64::from(t) >= 0.5)
    }
}

/// Reads an entry back (the gateway side); `None` unless `bytes` is 8 bytes long.
#[must_use]
pub fn decode(bytes: &[u8]) -> Option<Entry> {
    let duration = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
    let distance = u32::from_le_bytes(bytes.get(4..ENTRY_BYTES)?.try_into().ok()?);
    if bytes.len() != ENTRY_BYTES {
        return None;
    }
    Some(match (duration, distance) {
        (NO_ROUTE, NO_ROUTE) => Entry::NoRoute,
        (BEYOND_MAX_DURATION, BEYOND_MAX_DURATION) => Entry::BeyondMaxDuration,
        (duration_ds, distance_m) => Entry::Route {
            duration_ds,
            distance_m,
        },
    })
}

/// The index string of ascending `cells`.
#[must_use]
pub fn index_bytes(cells: &[u64]) -> Vec<u8> {
    cells.iter().flat_map(|c| c.to_le_bytes()).collect()
}

/// Parses an index string; `None` unless it is a whole number of ascending u64.
#[must_use]
pub fn parse_index(bytes: &[u8]) -> Option<Vec<u64>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    let cells: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    cells.windows(2).all(|w| w[0] < w[1]).then_some(cells)
}

/// Builds the row of one origin from its pairs, which arrive sorted by destination.
#[derive(Debug)]
pub struct RowBuilder<'a> {
    index: &'a [u64],
    origin: u64,
    row: Vec<u8>,
    next: usize,
}

/// What [`RowBuilder::extend`] stored besides routes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Entries without a route.
    pub no_route: u64,
    /// Entries slower than the duration limit.
    pub beyond_max: u64,
}

/// Why a pair does not fit the row being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowError {
    /// The destination is not an `ok` cell.
    UnknownDest(u64),
    /// The destination came before one already placed (unsorted or repeated).
    OutOfOrder(u64),
    /// A destination was skipped: the row has no pair for it.
    Missing(u64),
    /// The row ended with destinations missing.
    Incomplete {
        /// Destinations placed.
        filled: usize,
        /// Destinations expected.
        expected: usize,
    },
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownDest(d) => {
                write!(f, "destination {d:x} is not an ok cell of cells.parquet")
            }
            Self::OutOfOrder(d) => write!(
                f,
                "destination {d:x} is repeated or out of order (the contract sorts by origin, then dest)"
            ),
            Self::Missing(d) => write!(f, "has no pair for destination {d:x}"),
            Self::Incomplete { filled, expected } => write!(
                f,
                "has {filled} destinations but cells.parquet has {expected} ok cells"
            ),
        }
    }
}

impl<'a> RowBuilder<'a> {
    /// An empty row of `origin` over `index`.
    #[must_use]
    pub fn new(index: &'a [u64], origin: u64) -> Self {
        Self {
            index,
            origin,
            row: Vec::with_capacity(index.len() * ENTRY_BYTES),
            next: 0,
        }
    }

    /// The origin of this row.
    #[must_use]
    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// Places the entry of `dest`.
    ///
    /// # Errors
    /// `dest` is not in the index, or not after the previous destination.
    #[cfg(test)]
    pub fn push(&mut self, dest: u64, entry: [u8; ENTRY_BYTES]) -> Result<(), RowError> {
        // Destinations arrive ascending: the next one is almost always the next column.
        if self.index.get(self.next) == Some(&dest) {
            self.row.extend_from_slice(&entry);
            self.next += 1;
            return Ok(());
        }
        Err(self.error_for(dest))
    }

    /// Why `dest` is not the next column.
    fn error_for(&self, dest: u64) -> RowError {
        match self.index.binary_search(&dest) {
            Err(_) => RowError::UnknownDest(dest),
            Ok(p) if p < self.next => RowError::OutOfOrder(dest),
            Ok(_) => RowError::Missing(self.index[self.next]),
        }
    }

    /// Places the pairs `range` of `pairs`, all of this row's origin, whose
    /// destinations must be the next columns in order. Counts what it stored.
    ///
    /// # Errors
    /// A destination is not the next column.
    pub fn extend(
        &mut self,
        pairs: &PairBatch,
        range: Range<usize>,
        max_duration_s: Option<f64>,
    ) -> Result<RunStats, RowError> {
        let dests = &pairs.dest[range.clone()];
        let len = dests.len();
        let columns = self.index.get(self.next..self.next + len);
        if columns != Some(dests) {
            let k = columns.map_or_else(
                || (self.index.len() - self.next).min(len),
                |c| c.iter().zip(dests).take_while(|(a, b)| a == b).count(),
            );
            self.next += k;
            let err = self.error_for(dests[k.min(len - 1)]);
            self.next -= k;
            return Err(err);
        }
        let mut stats = RunStats::default();
        self.row.reserve(len * ENTRY_BYTES);
        for j in range {
            let route = pairs.route(j);
            match route {
                None => stats.no_route += 1,
                Some((_, d)) if max_duration_s.is_some_and(|m| d > m) => stats.beyond_max += 1,
                Some(_) => {}
            }
            self.row.extend_from_slice(&encode(route, max_duration_s));
        }
        // Origin = destination is 0, 0 whatever the matrix holds for the diagonal.
        if let Ok(p) = dests.binary_search(&self.origin) {
            let at = (self.next + p) * ENTRY_BYTES;
            self.row[at..at + ENTRY_BYTES].fill(0);
        }
        self.next += len;
        Ok(stats)
    }

    /// The finished row.
    ///
    /// # Errors
    /// Destinations are missing.
    pub fn finish(self) -> Result<Vec<u8>, RowError> {
        if self.next == self.index.len() {
            Ok(self.row)
        } else {
            Err(RowError::Incomplete {
                filled: self.next,
                expected: self.index.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let e = encode(Some((1234.5, 321.44)), None);
        assert_eq!(
            decode(&e),
            Some(Entry::Route {
                duration_ds: 3214,
                distance_m: 1235
            })
        );
        assert_eq!(&e[..4], &3214_u32.to_le_bytes());
        assert_eq!(decode(&encode(None, None)), Some(Entry::NoRoute));
        assert_eq!(encode(None, None), [0xff; 8]);
        assert_eq!(
            decode(&encode(Some((10.0, 900.0)), Some(600.0))),
            Some(Entry::BeyondMaxDuration)
        );
        assert_eq!(encode(Some((0.0, 0.0)), Some(600.0)), [0; 8]);
        assert_eq!(decode(&[1, 2, 3]), None);
        assert_eq!(decode(&[0; 9]), None);
        // A route never collides with the sentinels, however long.
        assert_eq!(
            decode(&encode(Some((1e12, 1e12)), None)),
            Some(Entry::Route {
                duration_ds: MAX_VALUE,
                distance_m: MAX_VALUE
            })
        );
    }

    #[test]
    fn index_round_trips_and_rejects_garbage() {
        let cells = [0x0893_f0a5_cb43_ffff_u64, 0x0893_f0a5_cb47_ffff];
        let bytes = index_bytes(&cells);
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[..8], &cells[0].to_le_bytes());
        assert_eq!(parse_index(&bytes), Some(cells.to_vec()));
        assert_eq!(parse_index(&bytes[..7]), None);
        assert_eq!(parse_index(&index_bytes(&[2, 1])), None);
    }

    #[test]
    fn rows_need_every_destination_in_order() {
        let index = [10_u64, 20, 30];
        let e = encode(Some((1.0, 1.0)), None);
        let mut row = RowBuilder::new(&index, 10);
        for d in index {
            row.push(d, e).unwrap();
        }
        assert_eq!(row.finish().unwrap().len(), 24);

        let mut row = RowBuilder::new(&index, 10);
        row.push(10, e).unwrap();
        assert_eq!(row.push(10, e), Err(RowError::OutOfOrder(10)));
        assert_eq!(row.push(25, e), Err(RowError::UnknownDest(25)));
        assert_eq!(row.push(30, e), Err(RowError::Missing(20)));
        assert!(RowBuilder::new(&index, 10).finish().is_err());
        assert_eq!("rows".parse::<Layout>().unwrap(), Layout::Rows);
        assert!("columns".parse::<Layout>().is_err());
    }

    fn batch(origin: u64, dests: &[u64], routes: &[Option<(f32, f32)>]) -> PairBatch {
        PairBatch {
            origin: vec![origin; dests.len()],
            dest: dests.to_vec(),
            distance_m: routes.iter().map(|r| r.map_or(0.0, |x| x.0)).collect(),
            duration_s: routes.iter().map(|r| r.map_or(0.0, |x| x.1)).collect(),
            routed: routes.iter().map(Option::is_some).collect(),
        }
    }

    #[test]
    fn runs_extend_like_single_pushes() {
        let index = [10_u64, 20, 30, 40];
        let routes = [
            Some((5.0, 9.0)),
            None,
            Some((1.4, 2.45)),
            Some((900.0, 700.0)),
        ];
        let pairs = batch(20, &index, &routes);
        let mut by_run = RowBuilder::new(&index, 20);
        let stats = by_run.extend(&pairs, 0..2, Some(600.0)).unwrap();
        assert_eq!(
            stats,
            RunStats {
                no_route: 1,
                beyond_max: 0
            }
        );
        let stats = by_run.extend(&pairs, 2..4, Some(600.0)).unwrap();
        assert_eq!(
            stats,
            RunStats {
                no_route: 0,
                beyond_max: 1
            }
        );
        let mut by_pair = RowBuilder::new(&index, 20);
        for (i, d) in index.iter().enumerate() {
            let route = routes[i].map(|(a, b)| (f64::from(a), f64::from(b)));
            let entry = if *d == 20 {
                [0; ENTRY_BYTES]
            } else {
                encode(route, Some(600.0))
            };
            by_pair.push(*d, entry).unwrap();
        }
        let row = by_run.finish().unwrap();
        assert_eq!(row, by_pair.finish().unwrap());
        // The diagonal (origin 20, a null in the matrix here) is 0, 0.
        assert_eq!(&row[8..16], &[0; 8]);
        assert_eq!(
            decode(&row[16..24]),
            Some(Entry::Route {
                duration_ds: 25,
                distance_m: 1
            })
        );
        assert_eq!(decode(&row[24..32]), Some(Entry::BeyondMaxDuration));

        let gap = batch(10, &[10, 30], &[Some((1.0, 1.0)); 2]);
        assert_eq!(
            RowBuilder::new(&index, 10).extend(&gap, 0..2, None),
            Err(RowError::Missing(20))
        );
        let unknown = batch(10, &[10, 20, 35], &[Some((1.0, 1.0)); 3]);
        assert_eq!(
            RowBuilder::new(&index, 10).extend(&unknown, 0..3, None),
            Err(RowError::UnknownDest(35))
        );
        let long = batch(10, &[10, 20, 30, 40, 50], &[Some((1.0, 1.0)); 5]);
        assert_eq!(
            RowBuilder::new(&index, 10).extend(&long, 0..5, None),
            Err(RowError::UnknownDest(50))
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        for (x, want) in [
            (0.0, 0),
            (0.49, 0),
            (0.5, 1),
            (1.5, 2),
            (2.4999, 2),
            (-3.0, 0),
            (f64::NAN, 0),
        ] {
            assert_eq!(clamp(x), want, "{x}");
        }
    }
}
