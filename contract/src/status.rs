//! Cell status and the counts by status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether a cell can be routed from and to; written in `cells.parquet` as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// Snapped to a node of the main (routable) component: a row and a column of the matrix.
    Ok,
    /// No road node within the snap radius.
    NoRoad,
    /// Road nodes within the snap radius, none of them in the main component.
    Unroutable,
}

impl CellStatus {
    /// Every status, in the order the manifest counts them.
    pub const ALL: [Self; 3] = [Self::Ok, Self::NoRoad, Self::Unroutable];

    /// The string written in `cells.parquet`: `ok`, `no_road` or `unroutable`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NoRoad => "no_road",
            Self::Unroutable => "unroutable",
        }
    }
}

impl fmt::Display for CellStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string that is not a cell status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cell status {0:?} is none of ok, no_road, unroutable")]
pub struct UnknownStatus(pub String);

impl FromStr for CellStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// Cell counts by status, as the manifest records them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellCounts {
    /// All cells of the cover.
    pub total: u64,
    /// Routable cells.
    pub ok: u64,
    /// Cells with no road within the snap radius.
    #[serde(default)]
    pub no_road: u64,
    /// Cells whose nearby roads are outside the main component.
    #[serde(default)]
    pub unroutable: u64,
}

impl CellCounts {
    /// Counts `n` more cells of `status` (and in the total).
    pub fn add(&mut self, status: CellStatus, n: u64) {
        self.total += n;
        match status {
            CellStatus::Ok => self.ok += n,
            CellStatus::NoRoad => self.no_road += n,
            CellStatus::Unroutable => self.unroutable += n,
        }
    }

    /// The count of `status`.
    #[must_use]
    pub fn of(&self, status: CellStatus) -> u64 {
        match status {
            CellStatus::Ok => self.ok,
            CellStatus::NoRoad => self.no_road,
            CellStatus::Unroutable => self.unroutable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_strings_round_trip() {
        for status in CellStatus::ALL {
            assert_eq!(status.as_str().parse::<CellStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).ok(),
                Some(format!("\"{status}\""))
            );
        }
        assert_eq!(CellStatus::NoRoad.as_str(), "no_road");
        assert!("OK".parse::<CellStatus>().is_err());
    }

    #[test]
    fn counts_add_up() {
        let mut c = CellCounts::default();
        c.add(CellStatus::Ok, 3);
        c.add(CellStatus::Unroutable, 1);
        assert_eq!((c.total, c.of(CellStatus::Ok), c.unroutable), (4, 3, 1));
    }
}
