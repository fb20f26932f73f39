//! Pairs worth a human look: a route much longer than the straight line between the
//! cell centres. A detour factor above [`DETOUR_LIMIT`] usually means a missing
//! bridge or ferry, a wrong oneway, or a turn restriction that locks a street.
//! They are ranked by excess distance (route − straight line), so a 1 km hop that
//! takes a 15 km route comes before a 300 m hop that takes 1.6 km around a block.

use crate::grid::OkCells;

/// Pairs with a detour factor above this are suspicious.
pub const DETOUR_LIMIT: f64 = 5.0;

/// One suspicious pair with its cells.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SuspiciousPair {
    /// Origin cell.
    pub origin: u64,
    /// Origin cell as hex.
    pub origin_hex: String,
    /// Origin cell centre `(lat, lon)`.
    pub origin_at: (f64, f64),
    /// Destination cell.
    pub dest: u64,
    /// Destination cell as hex.
    pub dest_hex: String,
    /// Destination cell centre `(lat, lon)`.
    pub dest_at: (f64, f64),
    /// Haversine distance between the centres, metres.
    pub straight_m: f64,
    /// Route distance, metres.
    pub distance_m: f64,
    /// Route duration, seconds.
    pub duration_s: f64,
    /// `distance_m / straight_m`.
    pub detour: f64,
}

/// The suspicious pairs: how many there are, and the `top` with the largest excess.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suspicious {
    /// Routed pairs with a detour factor above [`DETOUR_LIMIT`].
    pub count: u64,
    /// The worst of them, largest excess distance first.
    pub top: Vec<SuspiciousPair>,
}

/// A flagged pair while the parts are read: cell indexes of [`OkCells`] and figures.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    origin: usize,
    dest: usize,
    distance_m: f32,
    duration_s: f32,
    excess: f64,
}

/// Counts the flagged pairs and keeps the `top` worst as the parts go by.
#[derive(Debug)]
pub(crate) struct TopPairs {
    top: usize,
    count: u64,
    kept: Vec<Candidate>,
}

impl TopPairs {
    /// Keeps the `top` worst.
    pub(crate) fn new(top: usize) -> Self {
        Self {
            top,
            count: 0,
            kept: Vec::new(),
        }
    }

    /// A pair whose detour factor is above [`DETOUR_LIMIT`]; `straight_m` between
    /// the cell centres.
    #[inline]
    pub(crate) fn add(
        &mut self,
        origin: usize,
        dest: usize,
        distance_m: f32,
        duration_s: f32,
        straight_m: f64,
    ) {
        self.count += 1;
        self.kept.push(Candidate {
            origin,
            dest,
            distance_m,
            duration_s,
            excess: f64::from(distance_m) - straight_m,
        });
        if self.kept.len() >= 4 * self.top.max(256) {
            self.end_part();
        }
    }

    /// Drops all but the `top` worst kept so far (memory stays at a few of them).
    pub(crate) fn end_part(&mut self) {
        self.kept.sort_unstable_by(|a, b| {
            b.excess
                .total_cmp(&a.excess)
                .then(a.origin.cmp(&b.origin))
                .then(a.dest.cmp(&b.dest))
        });
        self.kept.truncate(self.top);
    }

    /// Adds the pairs `other` flagged (another worker's share of the parts).
    pub(crate) fn merge(&mut self, mut other: Self) {
        self.count += other.count;
        self.kept.append(&mut other.kept);
        self.end_part();
    }

    /// The count and the worst pairs with their cells' names and centres.
    pub(crate) fn finish(mut self, ok: &OkCells) -> Suspicious {
        self.end_part();
        let mut top: Vec<SuspiciousPair> = self
            .kept
            .iter()
            .map(|c| {
                let straight_m = ok.haversine_m(c.origin, c.dest);
                SuspiciousPair {
                    origin: ok.ids[c.origin],
                    origin_hex: ok.hex[c.origin].clone(),
                    origin_at: ok.at[c.origin],
                    dest: ok.ids[c.dest],
                    dest_hex: ok.hex[c.dest].clone(),
                    dest_at: ok.at[c.dest],
                    straight_m,
                    distance_m: f64::from(c.distance_m),
                    duration_s: f64::from(c.duration_s),
                    detour: f64::from(c.distance_m) / straight_m,
                }
            })
            .collect();
        sort_worst_first(&mut top);
        Suspicious {
            count: self.count,
            top,
        }
    }
}

/// Largest excess distance first, then by origin and destination (a total order, so
/// the report does not depend on how the engine or the parts split the rows).
fn sort_worst_first(top: &mut [SuspiciousPair]) {
    top.sort_by(|a, b| {
        (b.distance_m - b.straight_m)
            .total_cmp(&(a.distance_m - a.straight_m))
            .then(a.origin.cmp(&b.origin))
            .then(a.dest.cmp(&b.dest))
    });
}
