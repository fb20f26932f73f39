//! Restriction relations -> turn rules on directed edges.
//!
//! Supported: `type=restriction` with `restriction=no_*|only_*` (or the
//! profile's `restriction:motorcar` / `restriction:motorcycle`, which win over
//! the plain key, or a conditional value that holds at all times), and either
//! one `via` node, with `from` and `to` ways that end (or, if closed, pass) at
//! it, or one or more `via` ways that chain end to end from a `from` way to a
//! `to` way. Relations whose `except` names the vehicle are dropped at read time.
//!
//! Every applied relation becomes [`RestrictionPath`]s: the sequence of edges a
//! route must not drive (`no_*`) or must drive once it has entered the first one
//! (`only_*`). A via-node rule is a path of two edges, and is also kept as a
//! [`TurnRule`] for `restrictions.parquet`.

use crate::extract::RoadGraph;
use crate::read::{OsmData, RawRestriction};

/// One banned or mandatory turn: from edge `from_edge` into edge `to_edge`
/// (indices into [`RoadGraph::edges`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TurnRule {
    pub relation_id: i64,
    /// The tag value, e.g. `no_left_turn`.
    pub value: String,
    /// `only_*` (all other turns from `from_edge` are banned) or `no_*`.
    pub only: bool,
    pub from_edge: u32,
    pub to_edge: u32,
}

/// A restriction as a sequence of edges (indices into [`RoadGraph::edges`]):
/// `no_*` bans driving all of them in a row; `only_*` means that a route that
/// drove the first must go on along the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestrictionPath {
    pub relation_id: i64,
    /// The tag value, e.g. `no_left_turn`.
    pub value: String,
    /// `only_*` or `no_*`.
    pub only: bool,
    /// From edge, the via edges (none for a via node), to edge.
    pub edges: Vec<u32>,
}

/// What happened to the restriction relations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RestrictionCounts {
    /// Relations applied (at least one turn rule).
    pub applied: u64,
    /// Via-node turn rules written to `restrictions.parquet` (one per from edge
    /// and to edge).
    pub turn_rules: u64,
    /// Of the applied relations, those with via ways.
    pub via_way: u64,
    /// Relations whose `except` tag names this vehicle.
    pub skipped_except: u64,
    /// Relations with only a conditional value (`restriction:conditional`).
    pub skipped_conditional: u64,
    /// Relations on ways or nodes the vehicle cannot use or that are absent,
    /// or whose from/to direction cannot be driven: no effect.
    pub not_routable: u64,
    /// Missing or extra members, unknown value, via not at an end of from/to.
    pub malformed: u64,
}

enum Outcome {
    Applied(Vec<TurnRule>),
    ViaWay(Vec<RestrictionPath>),
    NotRoutable,
    Malformed,
}

/// The resolved restrictions: via-node rules and every rule as a path.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// Via-node rules, sorted by (from edge, to edge, relation).
    pub rules: Vec<TurnRule>,
    /// Every applied rule as a path, sorted by (edges, relation).
    pub paths: Vec<RestrictionPath>,
    /// What happened to the relations.
    pub counts: RestrictionCounts,
}

/// Resolves every restriction relation against the graph.
pub(crate) fn resolve(d: &OsmData, g: &RoadGraph) -> Resolved {
    let mut counts = RestrictionCounts {
        skipped_except: d.counts.restrictions_excepted,
        skipped_conditional: d.counts.restrictions_conditional,
        ..RestrictionCounts::default()
    };
    let mut by_head: Vec<u32> = (0..g.edges.len() as u32).collect();
    by_head.sort_by_key(|&e| (g.edges[e as usize].to, e));
    let mut rules = Vec::new();
    let mut paths = Vec::new();
    for r in &d.restrictions {
        match resolve_one(r, d, g, &by_head) {
            Outcome::Applied(mut r) => {
                counts.applied += 1;
                counts.turn_rules += r.len() as u64;
                paths.extend(r.iter().map(|t| RestrictionPath {
                    relation_id: t.relation_id,
                    value: t.value.clone(),
                    only: t.only,
                    edges: vec![t.from_edge, t.to_edge],
                }));
                rules.append(&mut r);
            }
            Outcome::ViaWay(mut p) => {
                counts.applied += 1;
                counts.via_way += 1;
                paths.append(&mut p);
            }
            Outcome::NotRoutable => counts.not_routable += 1,
            Outcome::Malformed => counts.malformed += 1,
        }
    }
    rules.sort_by(|a, b| {
        (a.from_edge, a.to_edge, a.relation_id).cmp(&(b.from_edge, b.to_edge, b.relation_id))
    });
    paths.sort_by(|a, b| (&a.edges, a.relation_id).cmp(&(&b.edges, b.relation_id)));
    Resolved {
        rules,
        paths,
        counts,
    }
}

/// The node ids of routable way `id`, `None` if it is absent or not routable.
fn way_refs(d: &OsmData, id: i64) -> Option<&[i64]> {
    let w = d.ways.binary_search_by_key(&id, |w| w.id).ok()?;
    Some(&d.refs[d.ways[w].refs.0..d.ways[w].refs.1])
}

/// The edge `a -> b` on way `way`, if it can be driven.
fn edge_between(g: &RoadGraph, a: u32, b: u32, way: i64) -> Option<u32> {
    let start = g.edges.partition_point(|e| (e.from, e.to) < (a, b));
    g.edges[start..]
        .iter()
        .take_while(|e| (e.from, e.to) == (a, b))
        .position(|e| e.way_id == way)
        .map(|i| (start + i) as u32)
}

/// Edges into graph node `via` on one of `ways`.
fn edges_into(g: &RoadGraph, by_head: &[u32], via: u32, ways: &[i64]) -> Vec<u32> {
    let start = by_head.partition_point(|&e| g.edges[e as usize].to < via);
    let end = by_head.partition_point(|&e| g.edges[e as usize].to <= via);
    by_head[start..end]
        .iter()
        .copied()
        .filter(|&e| ways.contains(&g.edges[e as usize].way_id))
        .collect()
}

/// Edges out of graph node `via` on one of `ways`.
fn edges_out_of(g: &RoadGraph, via: u32, ways: &[i64]) -> Vec<u32> {
    let start = g.edges.partition_point(|e| e.from < via);
    let end = g.edges.partition_point(|e| e.from <= via);
    (start..end)
        .filter(|&e| ways.contains(&g.edges[e].way_id))
        .map(|e| e as u32)
        .collect()
}

/// Whether `node` is an end of way `refs` (or lies on it, if it is closed).
fn touches(refs: &[i64], node: i64) -> bool {
    let closed = refs.len() > 2 && refs.first() == refs.last();
    refs.first() == Some(&node) || refs.last() == Some(&node) || (closed && refs.contains(&node))
}

/// A via-way restriction: the via ways chained end to end from a `from` way's end,
/// then every (from edge, via edges, to edge) path.
fn resolve_via_ways(
    r: &RawRestriction,
    only: bool,
    d: &OsmData,
    g: &RoadGraph,
    by_head: &[u32],
) -> Outcome {
    let mut via_refs = Vec::with_capacity(r.via_ways.len());
    for id in &r.via_ways {
        match way_refs(d, *id) {
            Some(refs) if refs.len() >= 2 && refs.first() != refs.last() => {
                via_refs.push((*id, refs));
            }
            Some(_) => return Outcome::Malformed,
            None => return Outcome::NotRoutable,
        }
    }
    if r.from
        .iter()
        .chain(&r.to)
        .any(|id| way_refs(d, *id).is_none())
    {
        return Outcome::NotRoutable;
    }
    // The chain starts where a from way meets one end of some via way.
    let ends = |refs: &[i64]| [refs[0], refs[refs.len() - 1]];
    let start = via_refs.iter().flat_map(|(_, refs)| ends(refs)).find(|&n| {
        r.from
            .iter()
            .filter_map(|id| way_refs(d, *id))
            .any(|refs| touches(refs, n))
    });
    let Some(mut at) = start else {
        return Outcome::Malformed;
    };
    // (way, node ids in driving order) of each via way, chained.
    let mut chain: Vec<(i64, Vec<i64>)> = Vec::new();
    let mut used = vec![false; via_refs.len()];
    let start_node = at;
    while chain.len() < via_refs.len() {
        let next = (0..via_refs.len()).find(|&i| !used[i] && ends(via_refs[i].1).contains(&at));
        let Some(i) = next else {
            return Outcome::Malformed;
        };
        used[i] = true;
        let (id, refs) = via_refs[i];
        let mut nodes = refs.to_vec();
        if nodes[0] != at {
            nodes.reverse();
        }
        at = nodes[nodes.len() - 1];
        chain.push((id, nodes));
    }
    let end_node = at;
    if !r
        .to
        .iter()
        .filter_map(|id| way_refs(d, *id))
        .all(|refs| touches(refs, end_node))
    {
        return Outcome::Malformed;
    }
    let (Some(first), Some(last)) = (g.node_of(start_node), g.node_of(end_node)) else {
        return Outcome::NotRoutable;
    };
    let mut via_edges = Vec::new();
    for (way, nodes) in &chain {
        for pair in nodes.windows(2) {
            let (Some(tail), Some(head)) = (g.node_of(pair[0]), g.node_of(pair[1])) else {
                return Outcome::NotRoutable;
            };
            let Some(edge) = edge_between(g, tail, head, *way) else {
                return Outcome::NotRoutable;
            };
            via_edges.push(edge);
        }
    }
    let incoming = edges_into(g, by_head, first, &r.from);
    let outgoing = edges_out_of(g, last, &r.to);
    if incoming.is_empty() || outgoing.is_empty() || via_edges.is_empty() {
        return Outcome::NotRoutable;
    }
    let mut paths = Vec::with_capacity(incoming.len() * outgoing.len());
    for &from_edge in &incoming {
        for &to_edge in &outgoing {
            let mut edges = Vec::with_capacity(via_edges.len() + 2);
            edges.push(from_edge);
            edges.extend_from_slice(&via_edges);
            edges.push(to_edge);
            paths.push(RestrictionPath {
                relation_id: r.id,
                value: r.value.clone(),
                only,
                edges,
            });
        }
    }
    Outcome::ViaWay(paths)
}

fn resolve_one(r: &RawRestriction, d: &OsmData, g: &RoadGraph, by_head: &[u32]) -> Outcome {
    let only = if r.value.starts_with("only_") {
        true
    } else if r.value.starts_with("no_") {
        false
    } else {
        return Outcome::Malformed;
    };
    if !r.via_ways.is_empty() {
        let well_formed = r.via_nodes.is_empty()
            && !r.from.is_empty()
            && !r.to.is_empty()
            && (!only || r.to.len() == 1);
        return if well_formed {
            resolve_via_ways(r, only, d, g, by_head)
        } else {
            Outcome::Malformed
        };
    }
    if r.via_nodes.len() != 1 || r.from.is_empty() || r.to.is_empty() || (only && r.to.len() != 1) {
        return Outcome::Malformed;
    }
    let via_osm = r.via_nodes[0];
    // Every from/to way must exist, be routable and end at the via node.
    for way_id in r.from.iter().chain(&r.to) {
        let Some(refs) = way_refs(d, *way_id) else {
            return Outcome::NotRoutable;
        };
        if !touches(refs, via_osm) {
            return Outcome::Malformed;
        }
    }
    let Some(via) = g.node_of(via_osm) else {
        return Outcome::NotRoutable;
    };
    let incoming = edges_into(g, by_head, via, &r.from);
    let outgoing = edges_out_of(g, via, &r.to);
    if incoming.is_empty() || outgoing.is_empty() {
        return Outcome::NotRoutable;
    }
    let mut rules = Vec::with_capacity(incoming.len() * outgoing.len());
    for &from_edge in &incoming {
        for &to_edge in &outgoing {
            rules.push(TurnRule {
                relation_id: r.id,
                value: r.value.clone(),
                only,
                from_edge,
                to_edge,
            });
        }
    }
    Outcome::Applied(rules)
}
