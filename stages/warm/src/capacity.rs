//! Before a load writes anything: will the new version fit beside the live one,
//! and can the server's memory policy evict the live version?
//!
//! A load that overflows `maxmemory` under an evicting policy does not fail: Redis
//! makes room by evicting keys, the live version's and the pointer's among them,
//! and the gateway loses everything. So the load is refused up front when the
//! estimate exceeds `maxmemory − used_memory` on any master, or when the policy
//! can evict (`allkeys-*`, and `volatile-*` since every key here has a TTL)
//! unless the operator accepts that risk.
//!
//! The estimates come from measurements on Redis 7 with jemalloc (see
//! CONTRACT.md): about 216 bytes a `json` pair key and 196 a `text` one; a row
//! costs its bytes rounded up to jemalloc's size class plus about 128 bytes of key,
//! object and expiry bookkeeping.

use crate::error::{Error, Result};
use crate::rows::{ENTRY_BYTES, Layout};
use crate::server::{NodeStats, ServerStats};
use crate::value::ValueFormat;

/// Measured `used_memory` a pair key adds in the pairs layout, `json` values.
pub const PAIR_KEY_BYTES_JSON: u64 = 216;
/// The same with `text` values.
pub const PAIR_KEY_BYTES_TEXT: u64 = 196;
/// Bookkeeping of one row key beyond its value: key string, object, dict and expiry entries.
pub const ROW_KEY_OVERHEAD: u64 = 128;
/// Headroom for keys that are not spread evenly over the masters of a Cluster.
const CLUSTER_SKEW: f64 = 1.1;

/// The estimated memory of a load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Keys the load writes.
    pub keys: u64,
    /// Bytes of `used_memory` they add, over all masters.
    pub bytes: u64,
    /// The same per matrix pair.
    pub bytes_per_pair: f64,
}

impl Estimate {
    /// The pairs layout: one key per stored pair.
    #[must_use]
    pub fn pairs(stored_pairs: u64, format: ValueFormat) -> Self {
        let per_key = match format {
            ValueFormat::Json => PAIR_KEY_BYTES_JSON,
            ValueFormat::Text => PAIR_KEY_BYTES_TEXT,
        };
        Self {
            keys: stored_pairs,
            bytes: stored_pairs.saturating_mul(per_key),
            bytes_per_pair: per_key as f64,
        }
    }

    /// The rows layout: `origins` rows of `cells` entries each. Saturates rather
    /// than overflows, so an absurd size estimate stays a (huge) number.
    #[must_use]
    pub fn rows(origins: u64, cells: u64) -> Self {
        let entries = cells.saturating_mul(ENTRY_BYTES as u64);
        let value = size_class(entries.saturating_add(16));
        let index = size_class(cells.saturating_mul(8).saturating_add(16));
        let bytes = origins
            .saturating_mul(value.saturating_add(ROW_KEY_OVERHEAD))
            .saturating_add(index);
        Self {
            keys: origins,
            bytes,
            bytes_per_pair: bytes as f64 / origins.saturating_mul(cells).max(1) as f64,
        }
    }

    /// The estimate of `layout` for a matrix of `cells` ok cells where the load
    /// covers `origins` origins (`stored_pairs` pairs stored in the pairs layout).
    #[must_use]
    pub fn of(
        layout: Layout,
        format: ValueFormat,
        origins: u64,
        cells: u64,
        stored_pairs: u64,
    ) -> Self {
        match layout {
            Layout::Pairs => Self::pairs(stored_pairs, format),
            Layout::Rows => Self::rows(origins, cells),
        }
    }
}

/// jemalloc's size class of an allocation of `n` bytes: four classes per doubling,
/// so a request is rounded up to the next multiple of a quarter of its power of two.
#[must_use]
pub fn size_class(n: u64) -> u64 {
    if n <= 16 {
        return 16;
    }
    let spacing = (1_u64 << (n - 1).ilog2()) / 4;
    let spacing = spacing.max(16);
    n.div_ceil(spacing).saturating_mul(spacing)
}

/// Refuses a load that would not fit, or that an evicting policy could turn into
/// the loss of the live version.
///
/// # Errors
/// [`Error::EvictionPolicy`] or [`Error::WontFit`], naming the master and the numbers.
pub fn check(
    stats: &ServerStats,
    estimate: &Estimate,
    version: &str,
    allow_eviction: bool,
    detail: &str,
) -> Result<()> {
    let masters = stats.nodes.len().max(1) as f64;
    let skew = if stats.nodes.len() > 1 {
        CLUSTER_SKEW
    } else {
        1.0
    };
    let share = (estimate.bytes as f64 / masters * skew) as u64;
    for node in &stats.nodes {
        if node.maxmemory == 0 {
            // No limit: Redis never evicts, whatever the policy says.
            continue;
        }
        if !allow_eviction && evicting(node) {
            return Err(Error::EvictionPolicy {
                url: node.url.clone(),
                policy: node.maxmemory_policy.clone(),
            });
        }
        let free = node.maxmemory.saturating_sub(node.used_memory);
        if share > free {
            return Err(Error::WontFit {
                url: node.url.clone(),
                version: version.to_owned(),
                need_mib: share as f64 / 1_048_576.0,
                free_mib: free as f64 / 1_048_576.0,
                maxmemory: node.maxmemory,
                used_memory: node.used_memory,
                detail: detail.to_owned(),
            });
        }
    }
    Ok(())
}

fn evicting(node: &NodeStats) -> bool {
    node.maxmemory_policy.starts_with("allkeys-") || node.maxmemory_policy.starts_with("volatile-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(maxmemory: u64, used: u64, policy: &str) -> NodeStats {
        NodeStats {
            url: "redis://h:1".into(),
            maxmemory,
            used_memory: used,
            maxmemory_policy: policy.into(),
            ..NodeStats::default()
        }
    }

    #[test]
    fn size_classes_follow_jemalloc() {
        assert_eq!(size_class(1), 16);
        assert_eq!(size_class(100), 112);
        assert_eq!(size_class(4096), 4096);
        assert_eq!(size_class(4097), 5120);
        // A Malta res-10 row: 10,437 cells × 8 bytes.
        assert_eq!(size_class(83_496 + 16), 98_304);
    }

    #[test]
    fn rows_are_an_order_of_magnitude_smaller_than_pairs() {
        let rows = Estimate::rows(10_437, 10_437);
        assert!((9.0..11.0).contains(&rows.bytes_per_pair), "{rows:?}");
        let pairs = Estimate::pairs(10_437 * 10_437, ValueFormat::Json);
        assert!(pairs.bytes > 20 * rows.bytes);
    }

    #[test]
    fn refuses_what_does_not_fit_or_may_evict() {
        let e = Estimate::pairs(1000, ValueFormat::Json);
        let fits = ServerStats {
            nodes: vec![node(10_000_000, 1_000_000, "noeviction")],
        };
        assert!(check(&fits, &e, "v", false, "").is_ok());
        let full = ServerStats {
            nodes: vec![node(1_100_000, 1_000_000, "noeviction")],
        };
        let err = check(&full, &e, "v", false, "1000 pairs")
            .unwrap_err()
            .to_string();
        assert!(err.contains("0.2 MiB") && err.contains("0.1 MiB"), "{err}");
        let lru = ServerStats {
            nodes: vec![node(10_000_000, 0, "allkeys-lru")],
        };
        assert!(matches!(
            check(&lru, &e, "v", false, ""),
            Err(Error::EvictionPolicy { .. })
        ));
        assert!(check(&lru, &e, "v", true, "").is_ok());
        let unlimited = ServerStats {
            nodes: vec![node(0, 5_000_000, "volatile-lru")],
        };
        assert!(check(&unlimited, &e, "v", false, "").is_ok());
    }

    #[test]
    fn issue_11_absurd_sizes_saturate_instead_of_overflowing() {
        let huge = 100_000_000_u64;
        let rows = Estimate::rows(huge, huge);
        assert!(rows.bytes > 1 << 50, "{rows:?}");
        assert_eq!(Estimate::rows(u64::MAX, u64::MAX).bytes, u64::MAX);
        assert_eq!(Estimate::pairs(u64::MAX, ValueFormat::Json).bytes, u64::MAX);
        assert_eq!(size_class(u64::MAX), u64::MAX);
    }
}
