//! `build_graph`: the stage as a script: read, extract, resolve restrictions,
//! find the main component, split nodes for turns, contract, write.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::ch::{self, ChHeader};
use crate::profile::Profile;
use crate::restriction::RestrictionCounts;
use crate::{Error, Result, component, extract, parquet, read, restriction, turns};

/// File name of the contraction hierarchy.
pub const CH_FILE: &str = "graph.ch";

/// Live counters for a progress display.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Bytes of the PBF decoded so far.
    pub bytes_read: Arc<AtomicU64>,
    /// Current phase: 0 read, 1 graph, 2 contract, 3 write, 4 done.
    pub phase: Arc<AtomicU64>,
    /// Nodes to contract (known when phase 2 starts).
    pub ch_nodes: Arc<AtomicU64>,
    /// Nodes contracted so far.
    pub contracted: Arc<AtomicU64>,
}

/// Phase numbers of [`Counters::phase`].
pub mod phase {
    /// Reading the PBF.
    pub const READ: u64 = 0;
    /// Building edges, restrictions and components.
    pub const GRAPH: u64 = 1;
    /// Contracting.
    pub const CONTRACT: u64 = 2;
    /// Writing files.
    pub const WRITE: u64 = 3;
    /// Finished.
    pub const DONE: u64 = 4;
}

/// What a build did: counts, anomalies and timings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphSummary {
    /// Profile name.
    pub profile: String,
    /// SHA-256 of the input, lowercase hex.
    pub input_sha256: String,
    /// Nodes, ways and relations in the file.
    pub osm_nodes: u64,
    /// Ways in the file.
    pub osm_ways: u64,
    /// Relations in the file.
    pub osm_relations: u64,
    /// Ways the profile can use.
    pub routable_ways: u64,
    /// Graph nodes (rows of nodes.parquet).
    pub nodes: u64,
    /// Directed edges (rows of edges.parquet).
    pub edges: u64,
    /// Nodes in the largest strongly connected component.
    pub main_nodes: u64,
    /// Number of strongly connected components.
    pub components: u64,
    /// Turn restrictions: applied, skipped, malformed.
    pub restrictions: RestrictionCounts,
    /// Way node references to nodes absent from the file.
    pub missing_node_refs: u64,
    /// Routable ways with a missing node (cut there).
    pub ways_with_missing_nodes: u64,
    /// Routable ways whose `maxspeed` is out of range (ignored).
    pub maxspeed_absurd: u64,
    /// Routable ways whose `maxspeed` was not understood (ignored).
    pub maxspeed_unparsed: u64,
    /// Graph nodes with a barrier that blocks the vehicle.
    pub blocked_nodes: u64,
    /// CH nodes (graph nodes plus turn copies).
    pub ch_nodes: u64,
    /// CH edges, shortcuts included.
    pub ch_edges: u64,
    /// Seconds spent reading the PBF.
    pub read_s: f64,
    /// Seconds spent building the graph (edges, restrictions, components).
    pub graph_s: f64,
    /// Seconds spent contracting.
    pub contract_s: f64,
    /// Seconds spent writing files.
    pub write_s: f64,
}

impl GraphSummary {
    /// Share of graph nodes in the main component (0..=1).
    #[must_use]
    pub fn main_share(&self) -> f64 {
        if self.nodes == 0 {
            0.0
        } else {
            self.main_nodes as f64 / self.nodes as f64
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn sha256_file(path: &Path) -> Result<[u8; 32]> {
    use std::io::Read;
    let input_error = |source| Error::Input {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(input_error)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(input_error)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Builds the graph of `input` for `profile` into `output_dir` (created if
/// needed): nodes.parquet, edges.parquet, restrictions.parquet and graph.ch.
/// `tool_version` is recorded in graph.ch.
///
/// # Errors
/// I/O and decoding errors, [`Error::NoRoutableRoads`] when the profile finds
/// nothing to drive on, [`Error::TooLarge`] past 2^32 nodes or edges.
pub fn build_graph(
    input: &Path,
    profile: &Profile,
    output_dir: &Path,
    tool_version: &str,
    counters: &Counters,
) -> Result<GraphSummary> {
    let t = Instant::now();
    counters.phase.store(phase::READ, Ordering::Relaxed);
    let (sha, data) = rayon::join(
        || sha256_file(input),
        || read::read(input, profile, &counters.bytes_read),
    );
    let (sha, data) = (sha?, data?);
    let mut s = GraphSummary {
        profile: profile.name.to_string(),
        input_sha256: hex(&sha),
        osm_nodes: data.counts.nodes,
        osm_ways: data.counts.ways,
        osm_relations: data.counts.relations,
        routable_ways: data.counts.ways_routable,
        maxspeed_absurd: data.counts.maxspeed_absurd,
        maxspeed_unparsed: data.counts.maxspeed_unparsed,
        read_s: t.elapsed().as_secs_f64(),
        ..GraphSummary::default()
    };
    let t = Instant::now();
    counters.phase.store(phase::GRAPH, Ordering::Relaxed);
    let (g, ec) = extract::extract(&data);
    s.missing_node_refs = ec.missing_refs;
    s.ways_with_missing_nodes = ec.ways_with_missing;
    s.blocked_nodes = ec.blocked_nodes;
    if g.edges.is_empty() {
        return Err(Error::NoRoutableRoads {
            path: input.to_path_buf(),
            profile: profile.name.to_string(),
            ways: data.counts.ways,
        });
    }
    for (what, count) in [("node", g.osm_id.len()), ("edge", g.edges.len())] {
        if count as u64 >= u64::from(u32::MAX) / 2 {
            return Err(Error::TooLarge {
                what,
                count: count as u64,
            });
        }
    }
    s.nodes = g.osm_id.len() as u64;
    s.edges = g.edges.len() as u64;
    let (rules, rc) = restriction::resolve(&data, &g);
    drop(data);
    s.restrictions = rc;
    let pairs: Vec<(u32, u32)> = g.edges.iter().map(|e| (e.from, e.to)).collect();
    let comps = component::components(g.osm_id.len(), &pairs);
    drop(pairs);
    s.main_nodes = comps.main.iter().filter(|m| **m).count() as u64;
    s.components = u64::from(comps.count);
    let tg = turns::build(&g, &rules);
    s.graph_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    counters
        .ch_nodes
        .store(tg.node_count() as u64, Ordering::Relaxed);
    counters.phase.store(phase::CONTRACT, Ordering::Relaxed);
    let header = ChHeader {
        tool_version: tool_version.to_string(),
        profile: profile.name.to_string(),
        input_sha256: sha,
        graph_nodes: g.osm_id.len() as u32,
    };
    let hierarchy = ch::contract(&tg, header, &counters.contracted);
    drop(tg);
    s.ch_nodes = hierarchy.node_count() as u64;
    s.ch_edges = hierarchy.edge_count() as u64;
    s.contract_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    counters.phase.store(phase::WRITE, Ordering::Relaxed);
    std::fs::create_dir_all(output_dir).map_err(|e| Error::io(output_dir, e))?;
    hierarchy.save(&output_dir.join(CH_FILE))?;
    drop(hierarchy);
    parquet::write_nodes(&output_dir.join(parquet::NODES_FILE), &g, &comps.main)?;
    parquet::write_edges(&output_dir.join(parquet::EDGES_FILE), &g)?;
    parquet::write_restrictions(&output_dir.join(parquet::RESTRICTIONS_FILE), &g, &rules)?;
    s.write_s = t.elapsed().as_secs_f64();
    counters.phase.store(phase::DONE, Ordering::Relaxed);
    Ok(s)
}
