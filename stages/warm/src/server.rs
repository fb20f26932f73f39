//! Server statistics read with INFO and DBSIZE on every master: memory before and
//! after a load, the memory limit for error messages, and the facts that make a
//! load unsound (a restart: `run_id` changed; evictions: `evicted_keys` grew).

use serde::{Deserialize, Serialize};

use crate::connect::{Conn, Target};
use crate::error::Result;

/// INFO and DBSIZE of one master.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    /// The node (password masked).
    pub url: String,
    /// `run_id`: changes when the server restarts.
    pub run_id: String,
    /// `used_memory` in bytes.
    pub used_memory: u64,
    /// `maxmemory` in bytes, 0 without a limit.
    pub maxmemory: u64,
    /// `maxmemory_policy`.
    pub maxmemory_policy: String,
    /// `evicted_keys` since the server started.
    pub evicted_keys: u64,
    /// `DBSIZE` of the selected database.
    pub dbsize: u64,
}

/// Statistics of all masters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStats {
    /// One entry per master.
    pub nodes: Vec<NodeStats>,
}

impl ServerStats {
    /// Reads INFO and DBSIZE from every master of `target`.
    ///
    /// # Errors
    /// A node cannot be reached or refuses INFO.
    pub fn read(target: &Target) -> Result<Self> {
        let mut nodes = Vec::new();
        for mut conn in target.masters()? {
            nodes.push(node_stats(&mut conn)?);
        }
        nodes.sort_by(|a, b| a.url.cmp(&b.url));
        Ok(Self { nodes })
    }

    /// `used_memory` summed over masters.
    #[must_use]
    pub fn used_memory(&self) -> u64 {
        self.nodes.iter().map(|n| n.used_memory).sum()
    }

    /// `DBSIZE` summed over masters.
    #[must_use]
    pub fn dbsize(&self) -> u64 {
        self.nodes.iter().map(|n| n.dbsize).sum()
    }

    /// `evicted_keys` summed over masters.
    #[must_use]
    pub fn evicted_keys(&self) -> u64 {
        self.nodes.iter().map(|n| n.evicted_keys).sum()
    }

    /// The node with the tightest memory limit: `(maxmemory, policy)`, `None` without limits.
    #[must_use]
    pub fn memory_limit(&self) -> Option<(u64, String)> {
        self.nodes
            .iter()
            .filter(|n| n.maxmemory > 0)
            .min_by_key(|n| n.maxmemory)
            .map(|n| (n.maxmemory, n.maxmemory_policy.clone()))
    }

    /// Masters that restarted since `before` (run id changed or node gone).
    #[must_use]
    pub fn restarted_since(&self, before: &Self) -> Vec<String> {
        before
            .nodes
            .iter()
            .filter(|b| {
                !self
                    .nodes
                    .iter()
                    .any(|a| a.url == b.url && a.run_id == b.run_id)
            })
            .map(|b| b.url.clone())
            .collect()
    }
}

fn node_stats(conn: &mut Conn) -> Result<NodeStats> {
    let info: String = conn.query(&redis::cmd("INFO"), "reading INFO")?;
    let dbsize: u64 = conn.query(&redis::cmd("DBSIZE"), "reading DBSIZE")?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let num = |name: &str| field(name).parse::<u64>().unwrap_or(0);
    Ok(NodeStats {
        url: conn.url().to_owned(),
        run_id: field("run_id"),
        used_memory: num("used_memory"),
        maxmemory: num("maxmemory"),
        maxmemory_policy: field("maxmemory_policy"),
        evicted_keys: num("evicted_keys"),
        dbsize,
    })
}
