//! Restriction relations -> turn rules on directed edges.
//!
//! Supported: `type=restriction` with `restriction=no_*|only_*` (or the
//! profile's `restriction:motorcar` / `restriction:motorcycle`, which win over
//! the plain key), one `via` node, `from` and `to` ways that end (or, if
//! closed, pass) at the via node. Relations whose `except` names the vehicle
//! are dropped at read time. Via-way restrictions are counted and skipped.

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

/// What happened to the restriction relations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RestrictionCounts {
    /// Relations applied (at least one turn rule).
    pub applied: u64,
    /// Turn rules written (one per from edge and to edge).
    pub turn_rules: u64,
    /// Via-way restrictions: not supported, skipped.
    pub skipped_via_way: u64,
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
    ViaWay,
    NotRoutable,
    Malformed,
}

/// Resolves every restriction relation against the graph. Rules come out
/// sorted by (from edge, to edge, relation).
pub(crate) fn resolve(d: &OsmData, g: &RoadGraph) -> (Vec<TurnRule>, RestrictionCounts) {
    let mut counts = RestrictionCounts {
        skipped_except: d.counts.restrictions_excepted,
        skipped_conditional: d.counts.restrictions_conditional,
        ..RestrictionCounts::default()
    };
    let mut by_head: Vec<u32> = (0..g.edges.len() as u32).collect();
    by_head.sort_by_key(|&e| (g.edges[e as usize].to, e));
    let mut rules = Vec::new();
    for r in &d.restrictions {
        match resolve_one(r, d, g, &by_head) {
            Outcome::Applied(mut r) => {
                counts.applied += 1;
                counts.turn_rules += r.len() as u64;
                rules.append(&mut r);
            }
            Outcome::ViaWay => counts.skipped_via_way += 1,
            Outcome::NotRoutable => counts.not_routable += 1,
            Outcome::Malformed => counts.malformed += 1,
        }
    }
    rules.sort_by(|a, b| {
        (a.from_edge, a.to_edge, a.relation_id).cmp(&(b.from_edge, b.to_edge, b.relation_id))
    });
    (rules, counts)
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
        return if r.via_nodes.is_empty() && !r.from.is_empty() && !r.to.is_empty() {
            Outcome::ViaWay
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
        let Ok(w) = d.ways.binary_search_by_key(way_id, |w| w.id) else {
            return Outcome::NotRoutable;
        };
        let refs = &d.refs[d.ways[w].refs.0..d.ways[w].refs.1];
        let closed = refs.len() > 2 && refs.first() == refs.last();
        let at_end = refs.first() == Some(&via_osm) || refs.last() == Some(&via_osm);
        if !(at_end || (closed && refs.contains(&via_osm))) {
            return Outcome::Malformed;
        }
    }
    let Some(via) = g.node_of(via_osm) else {
        return Outcome::NotRoutable;
    };
    let start = by_head.partition_point(|&e| g.edges[e as usize].to < via);
    let end = by_head.partition_point(|&e| g.edges[e as usize].to <= via);
    let incoming: Vec<u32> = by_head[start..end]
        .iter()
        .copied()
        .filter(|&e| r.from.contains(&g.edges[e as usize].way_id))
        .collect();
    let start = g.edges.partition_point(|e| e.from < via);
    let end = g.edges.partition_point(|e| e.from <= via);
    let outgoing: Vec<u32> = (start..end)
        .filter(|&e| r.to.contains(&g.edges[e].way_id))
        .map(|e| e as u32)
        .collect();
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
