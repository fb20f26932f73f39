//! The graph stage's entry point [`run`], as a script: read, extract, resolve
//! restrictions, build the turn table and the edge-based graph, find the main
//! component on it, contract, write.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use hexmatrix_contract::graph_dir::{
    CH_FILE, EDGES_FILE, NODES_FILE, RESTRICTION_PATHS_FILE, RESTRICTIONS_FILE, TURNS_FILE,
};
use hexmatrix_contract::{Context, Counter, Unit, hex, sha256_file_digest};

use crate::ch::{self, ChHeader};
use crate::profile::{DrivingSide, Profile};
use crate::restriction::RestrictionCounts;
use crate::tags::{ControlKind, NodeControl};
use crate::{Error, Result, component, expand, extract, parquet, read, restriction, turn_table};

/// The stage's name in progress lines and cancellation errors.
const STAGE: &str = "graph";

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
    /// Nodes in the routable main component: those a legal route leaves for and
    /// arrives from the largest strongly connected component of the edge-based graph.
    pub main_nodes: u64,
    /// Number of strongly connected components of the edge-based graph's edge states.
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
    /// Side of the road traffic keeps to where the graph lies (`PROFILES.md`, "Turns").
    pub driving_side: Option<DrivingSide>,
    /// The region whose table of the profile applied (`Vietnam`), `None` for the
    /// profile's own table (`PROFILES.md`, "Motorcycle in Vietnam").
    pub region: Option<String>,
    /// Allowed turns (rows of turns.parquet).
    pub turns: u64,
    /// Graph nodes tagged `highway=traffic_signals`.
    pub signal_nodes: u64,
    /// Graph nodes tagged `highway=stop`.
    pub stop_nodes: u64,
    /// Graph nodes tagged `highway=give_way`.
    pub give_way_nodes: u64,
    /// Nodes of the edge-based graph: edge states (one per edge, plus copies for
    /// via-way restrictions) and one source node per graph node.
    pub expanded_nodes: u64,
    /// Arcs of the edge-based graph (turns and departures).
    pub expanded_arcs: u64,
    /// CH nodes (the edge-based graph's nodes).
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

/// What to build and where: the validated options of [`run`].
#[derive(Debug, Clone)]
pub struct GraphOptions {
    /// The city `.osm.pbf`, sorted by type then id.
    pub input: PathBuf,
    /// The vehicle profile.
    pub profile: &'static Profile,
    /// The graph directory, replaced only once the new one is complete.
    pub output_dir: PathBuf,
}

/// Builds the graph of `opts.input` for `opts.profile` into `opts.output_dir`:
/// `nodes.parquet`, `edges.parquet`, `restrictions.parquet`, `turns.parquet`,
/// `restriction_paths.parquet` and `graph.ch` (recording
/// [`Context::tool_version`]), written into a temporary directory beside it that
/// replaces it when complete. Shows the bytes read, then the nodes contracted.
///
/// # Errors
/// I/O and decoding errors, [`Error::NoRoutableRoads`] when the profile finds
/// nothing to drive on, [`Error::TooLarge`] past 2^32 nodes or edges,
/// [`Error::Cancelled`]; the previous output is then as it was.
pub fn run(opts: &GraphOptions, ctx: &Context) -> Result<GraphSummary> {
    let input = &opts.input;
    let input_len = std::fs::metadata(input)
        .map_err(|source| Error::Input {
            path: input.clone(),
            source,
        })?
        .len();
    let output = &opts.output_dir;
    if output.file_name().is_none() {
        return Err(Error::io(
            output,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the output must name a directory",
            ),
        ));
    }
    let tmp = ctx.output().temp_for(output);
    if let Some(parent) = tmp.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let result = build_into(opts, input_len, &tmp, ctx);
    if result.is_err() {
        // Leave nothing half-written behind; the error is the one to report.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let summary = result?;
    ctx.output()
        .replace_dir(&tmp, output)
        .map_err(|e| Error::io(output, e))?;
    Ok(summary)
}

/// The build of [`run`] into `output_dir` (the temporary directory), phase by phase.
fn build_into(
    opts: &GraphOptions,
    input_len: u64,
    output_dir: &Path,
    ctx: &Context,
) -> Result<GraphSummary> {
    let input = opts.input.as_path();
    let t = Instant::now();
    let (profile, region) = match read::locate(input)? {
        Some((lat, lon)) => opts.profile.at(lat, lon),
        None => (opts.profile, None),
    };
    let bytes_read = Arc::new(AtomicU64::new(0));
    let shown = ctx.show(
        STAGE,
        Some(input_len),
        Counter::new(Unit::Bytes, Arc::clone(&bytes_read)),
        Vec::new(),
    );
    let (sha, data) = rayon::join(
        || {
            sha256_file_digest(input).map_err(|e| match e {
                hexmatrix_contract::Error::Io { path, source } => Error::Input { path, source },
                other => Error::io(input, std::io::Error::other(other)),
            })
        },
        || read::read(input, profile, &bytes_read),
    );
    shown.finish();
    let (sha, data) = (sha?, data?);
    ctx.check(STAGE)?;
    let mut s = GraphSummary {
        profile: profile.name.to_string(),
        input_sha256: hex(&sha),
        osm_nodes: data.counts.nodes,
        osm_ways: data.counts.ways,
        osm_relations: data.counts.relations,
        routable_ways: data.counts.ways_routable,
        maxspeed_absurd: data.counts.maxspeed_absurd,
        maxspeed_unparsed: data.counts.maxspeed_unparsed,
        region: region.map(str::to_string),
        read_s: t.elapsed().as_secs_f64(),
        ..GraphSummary::default()
    };
    let t = Instant::now();
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
    let resolved = restriction::resolve(&data, &g);
    let control = controls(&data.controls, &g);
    let gate = flagged(&data.gates, &g);
    drop(data);
    s.restrictions = resolved.counts;
    [s.signal_nodes, s.stop_nodes, s.give_way_nodes] = count_controls(&control);
    let side = driving_side(&g);
    s.driving_side = Some(side);
    let mandated = mandated_u_turns(&g, &resolved.paths);
    let turns = turn_table::turns(&g, &control, &gate, profile, side, &mandated);
    s.turns = turns.len() as u64;
    let tg = expand::expand(&g, &turns, &resolved.paths);
    s.expanded_nodes = tg.node_count as u64;
    s.expanded_arcs = tg.arcs.len() as u64;
    // On the edge-based graph, so that restrictions count (`component.rs`).
    let comps = component::routable(g.osm_id.len(), &tg);
    s.main_nodes = comps.main.iter().filter(|m| **m).count() as u64;
    s.components = u64::from(comps.count);
    s.graph_s = t.elapsed().as_secs_f64();
    ctx.check(STAGE)?;

    let t = Instant::now();
    let header = ChHeader {
        tool_version: ctx.tool_version().to_string(),
        profile: profile.name.to_string(),
        input_sha256: sha,
        graph_nodes: g.osm_id.len() as u32,
    };
    let hierarchy = contract_shown(&tg, header, ctx);
    drop(tg);
    s.ch_nodes = hierarchy.node_count() as u64;
    s.ch_edges = hierarchy.edge_count() as u64;
    s.contract_s = t.elapsed().as_secs_f64();
    ctx.check(STAGE)?;

    let t = Instant::now();
    std::fs::create_dir_all(output_dir).map_err(|e| Error::io(output_dir, e))?;
    hierarchy.save(&output_dir.join(CH_FILE))?;
    drop(hierarchy);
    write_tables(output_dir, &g, &comps.main, &resolved, &turns)?;
    s.write_s = t.elapsed().as_secs_f64();
    Ok(s)
}

/// The driving side at the median latitude and longitude of the graph's nodes: a
/// city is small enough for one side, and the median ignores the far ends of
/// the ways a crop keeps whole (a ferry to another country).
fn driving_side(g: &extract::RoadGraph) -> DrivingSide {
    let median = |v: &[f64]| read::median(&mut v.to_vec()).unwrap_or(0.0);
    DrivingSide::at(median(&g.lat), median(&g.lon))
}

/// The U-turns `(from edge, to edge)` that an `only_*` restriction path drives
/// (`only_u_turn`), sorted: the turn table keeps them where it allows no U-turn.
fn mandated_u_turns(
    g: &extract::RoadGraph,
    paths: &[restriction::RestrictionPath],
) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = paths
        .iter()
        .filter(|p| p.only)
        .flat_map(|p| p.edges.windows(2))
        .filter_map(|w| {
            let (a, b) = (g.edges.get(w[0] as usize)?, g.edges.get(w[1] as usize)?);
            (a.from == b.to && a.to == b.from).then_some((w[0], w[1]))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Per graph node: its traffic signal or sign, if `controls` lists its OSM id.
fn controls(controls: &[(i64, NodeControl)], g: &extract::RoadGraph) -> Vec<Option<NodeControl>> {
    let mut out = vec![None; g.osm_id.len()];
    for (v, c) in controls
        .iter()
        .filter_map(|(id, c)| Some((g.node_of(*id)?, *c)))
    {
        out[v as usize] = Some(c);
    }
    out
}

/// Graph nodes with a traffic signal, a stop sign, a give-way sign.
fn count_controls(control: &[Option<NodeControl>]) -> [u64; 3] {
    [ControlKind::Signal, ControlKind::Stop, ControlKind::GiveWay]
        .map(|kind| control.iter().flatten().filter(|c| c.kind == kind).count() as u64)
}

/// Per graph node: whether its OSM id is in `ids` (gates).
fn flagged(ids: &[i64], g: &extract::RoadGraph) -> Vec<bool> {
    let mut flag = vec![false; g.osm_id.len()];
    for v in ids.iter().filter_map(|id| g.node_of(*id)) {
        flag[v as usize] = true;
    }
    flag
}

/// Writes the Parquet files of the graph directory into `dir`.
fn write_tables(
    dir: &Path,
    g: &extract::RoadGraph,
    main: &[bool],
    resolved: &restriction::Resolved,
    turns: &[turn_table::Turn],
) -> Result<()> {
    parquet::write_nodes(&dir.join(NODES_FILE), g, main)?;
    parquet::write_edges(&dir.join(EDGES_FILE), g)?;
    parquet::write_restrictions(&dir.join(RESTRICTIONS_FILE), g, &resolved.rules)?;
    parquet::write_turns(&dir.join(TURNS_FILE), g, turns)?;
    parquet::write_restriction_paths(&dir.join(RESTRICTION_PATHS_FILE), &resolved.paths)
}

/// Contracts `tg`, showing the nodes contracted.
fn contract_shown(
    tg: &expand::SearchGraph,
    header: ChHeader,
    ctx: &Context,
) -> ch::ContractionHierarchy {
    let contracted = Arc::new(AtomicU64::new(0));
    let shown = ctx.show(
        STAGE,
        Some(tg.node_count as u64),
        Counter::new(Unit::Items("nodes contracted"), Arc::clone(&contracted)),
        Vec::new(),
    );
    let hierarchy = ch::contract(tg, header, &contracted);
    shown.finish();
    hierarchy
}
