//! One parallel pass over the PBF: node coordinates, blocking barriers,
//! routable ways (already judged by the profile) and restriction relations.
//! Blobs decode in parallel and are merged back in file order, so the result
//! does not depend on thread timing. Every block passes the osm crate's check
//! (`hexmatrix_osm::CheckedBlock`) before osmpbf decodes it, and the file must be
//! sorted by type then id, under the osm crate's one policy
//! ([`hexmatrix_osm::OrderCheck`]): unsorted input is refused with
//! [`hexmatrix_osm::Error::Unsorted`], as the crop refuses it.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hexmatrix_osm::{CheckedBlock, MemberType, OrderCheck, PbfReader};
use osmpbf::{Element, PrimitiveBlock, RelMemberType};
use rayon::prelude::*;

use crate::Result;
use crate::profile::{OPENED_BARRIERS, Profile};
use crate::tags::{self, NodeControl, WayRule};

/// A routable way: its node ids and how it is driven.
#[derive(Debug, Clone)]
pub(crate) struct RawWay {
    pub id: i64,
    /// Start and end of its node ids in [`OsmData::refs`].
    pub refs: (usize, usize),
    pub rule: WayRule,
    /// A hash of its `name` tag, if it has one: two ways carry the same name
    /// when their hashes are equal (`turn_table` compares carriageways by it).
    pub name: Option<u64>,
}

/// A restriction relation that concerns the profile, not yet checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawRestriction {
    pub id: i64,
    /// The restriction value, e.g. `no_left_turn`.
    pub value: String,
    pub from: Vec<i64>,
    pub via_nodes: Vec<i64>,
    pub via_ways: Vec<i64>,
    pub to: Vec<i64>,
    /// Members with an unexpected role or type.
    pub odd_members: u32,
}

/// Element counts of the whole file.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ReadCounts {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    pub ways_routable: u64,
    pub maxspeed_absurd: u64,
    pub maxspeed_unparsed: u64,
    /// Restriction relations with an `except` tag naming this vehicle.
    pub restrictions_excepted: u64,
    /// Restriction relations with only a conditional value (`restriction:conditional`).
    pub restrictions_conditional: u64,
}

/// Everything the graph needs from the PBF.
#[derive(Debug, Default)]
pub(crate) struct OsmData {
    /// Node ids, ascending; `lat`/`lon` in 1e-7 degrees alongside.
    pub node_ids: Vec<i64>,
    pub node_lat: Vec<i32>,
    pub node_lon: Vec<i32>,
    /// Ids of nodes whose tags block the vehicle, ascending.
    pub blocking: Vec<i64>,
    /// Nodes with a traffic signal, stop or give-way sign and the direction it
    /// applies to (`tags::node_control`), ascending by id.
    pub controls: Vec<(i64, NodeControl)>,
    /// Ids of nodes with a barrier that is opened to pass (gate, lift gate),
    /// ascending.
    pub gates: Vec<i64>,
    pub ways: Vec<RawWay>,
    pub refs: Vec<i64>,
    pub restrictions: Vec<RawRestriction>,
    pub counts: ReadCounts,
}

/// One decoded block: its data and the (type, id) of its first and last entity.
#[derive(Default)]
struct Block {
    data: OsmData,
    first: Option<(MemberType, i64)>,
    last: Option<(MemberType, i64)>,
}

/// Reads `path` for `profile`, adding consumed bytes to `bytes_read`.
///
/// Blobs are framed, decompressed and checked by the osm crate (its limits, and
/// errors naming the file, blob and byte offset), decoded by osmpbf in parallel
/// batches, and merged back in file order.
pub(crate) fn read(path: &Path, profile: &Profile, bytes_read: &AtomicU64) -> Result<OsmData> {
    let progress = Arc::new(AtomicU64::new(0));
    let mut reader = PbfReader::open(path, Arc::clone(&progress))?;
    let mut out = OsmData::default();
    // Within a block the order is checked where it is decoded (in parallel); across
    // blocks, here, from each block's first and last entity.
    let mut order = OrderCheck::new(path);
    loop {
        let batch = reader.next_batch()?;
        bytes_read.fetch_max(progress.load(Ordering::Relaxed), Ordering::Relaxed);
        if batch.is_empty() {
            break;
        }
        let blocks: Vec<Result<Block>> = batch
            .par_iter()
            .map(|blob| {
                let block = checked_block(path, blob.number, blob.offset, blob.decompress(path)?)?;
                decode(&block, profile, &mut OrderCheck::new(path), blob.number)
            })
            .collect();
        for (blob, block) in batch.iter().zip(blocks) {
            let block = block?;
            if let (Some(first), Some(last)) = (block.first, block.last) {
                order.check(blob.number, first.0, first.1)?;
                if last != first {
                    order.check(blob.number, last.0, last.1)?;
                }
            }
            merge(&mut out, block.data);
        }
    }
    out.blocking.sort_unstable();
    out.blocking.dedup();
    out.controls.sort_unstable_by_key(|c| c.0);
    out.controls.dedup_by_key(|c| c.0);
    out.gates.sort_unstable();
    out.gates.dedup();
    out.ways.sort_by_key(|w| w.id);
    out.restrictions.sort_by_key(|r| r.id);
    Ok(out)
}

/// Checks and decodes the decompressed blob number `blob` at byte `offset`;
/// errors name the file, blob and offset.
fn checked_block(path: &Path, blob: u64, offset: u64, raw: Vec<u8>) -> Result<PrimitiveBlock> {
    let corrupt = |reason: String| hexmatrix_osm::Error::Corrupt {
        path: path.to_owned(),
        blob,
        offset,
        reason,
    };
    Ok(CheckedBlock::new(raw)
        .and_then(|b| b.decode())
        .map_err(corrupt)?)
}

/// Where the file lies: the median latitude and longitude (degrees) of the nodes
/// of its first block that holds any, `None` if it has no nodes. One block of a
/// sorted file, read before the whole pass, because the profile's regional table
/// (which the way rules read) must be chosen first.
pub(crate) fn locate(path: &Path) -> Result<Option<(f64, f64)>> {
    let mut reader = PbfReader::open(path, Arc::new(AtomicU64::new(0)))?;
    loop {
        let batch = reader.next_batch()?;
        if batch.is_empty() {
            return Ok(None);
        }
        for blob in &batch {
            let block = checked_block(path, blob.number, blob.offset, blob.decompress(path)?)?;
            let (mut lat, mut lon) = (Vec::new(), Vec::new());
            for element in block.elements() {
                match element {
                    Element::DenseNode(n) => {
                        lat.push(n.lat());
                        lon.push(n.lon());
                    }
                    Element::Node(n) => {
                        lat.push(n.lat());
                        lon.push(n.lon());
                    }
                    // Sorted by type: no node follows a way or a relation.
                    Element::Way(_) | Element::Relation(_) => return Ok(None),
                }
            }
            if let (Some(la), Some(lo)) = (median(&mut lat), median(&mut lon)) {
                return Ok(Some((la, lo)));
            }
        }
    }
}

/// The median of `v` (reordered), `None` if empty.
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    let mid = v.len() / 2;
    if v.is_empty() {
        return None;
    }
    v.select_nth_unstable_by(mid, f64::total_cmp);
    Some(v[mid])
}

/// Appends one block's data to `out` (the order was checked before).
fn merge(out: &mut OsmData, block: OsmData) {
    out.node_ids.extend_from_slice(&block.node_ids);
    out.node_lat.extend_from_slice(&block.node_lat);
    out.node_lon.extend_from_slice(&block.node_lon);
    out.blocking.extend_from_slice(&block.blocking);
    out.controls.extend_from_slice(&block.controls);
    out.gates.extend_from_slice(&block.gates);
    let base = out.refs.len();
    out.refs.extend_from_slice(&block.refs);
    out.ways.extend(block.ways.into_iter().map(|mut w| {
        w.refs = (w.refs.0 + base, w.refs.1 + base);
        w
    }));
    out.restrictions.extend(block.restrictions);
    let (a, b) = (&mut out.counts, block.counts);
    a.nodes += b.nodes;
    a.ways += b.ways;
    a.relations += b.relations;
    a.ways_routable += b.ways_routable;
    a.maxspeed_absurd += b.maxspeed_absurd;
    a.maxspeed_unparsed += b.maxspeed_unparsed;
    a.restrictions_excepted += b.restrictions_excepted;
    a.restrictions_conditional += b.restrictions_conditional;
}

/// A name's hash. Blocks are decoded in parallel, so every thread must hash a
/// name alike: `DefaultHasher::new` uses fixed keys. Its output may differ
/// between Rust releases, which is harmless as the hash is never stored.
fn name_hash(name: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

/// Records one node (dense or not: osmpbf gives them different types) and whether
/// its tags block the profile's vehicles.
fn push_node<'a>(
    d: &mut OsmData,
    profile: &Profile,
    tag_buf: &mut Vec<(&'a str, &'a str)>,
    (id, lat, lon): (i64, i32, i32),
    node_tags: impl Iterator<Item = (&'a str, &'a str)>,
) {
    d.counts.nodes += 1;
    d.node_ids.push(id);
    d.node_lat.push(lat);
    d.node_lon.push(lon);
    tag_buf.clear();
    tag_buf.extend(node_tags);
    if !tag_buf.is_empty() && tags::node_blocks(profile, tag_buf) {
        d.blocking.push(id);
    }
    if let Some(control) = tags::node_control(tag_buf) {
        d.controls.push((id, control));
    }
    if tags::tag(tag_buf, "barrier").is_some_and(|b| OPENED_BARRIERS.contains(&b)) {
        d.gates.push(id);
    }
}

/// The (type, id) of an element, for the order check.
fn key(element: &Element<'_>) -> (MemberType, i64) {
    match element {
        Element::DenseNode(n) => (MemberType::Node, n.id()),
        Element::Node(n) => (MemberType::Node, n.id()),
        Element::Way(w) => (MemberType::Way, w.id()),
        Element::Relation(r) => (MemberType::Relation, r.id()),
    }
}

/// Reads what the graph needs from one decoded block (blob number `blob`), checking
/// with `order` that its entities are sorted by type then id.
fn decode(
    block: &PrimitiveBlock,
    profile: &Profile,
    order: &mut OrderCheck,
    blob: u64,
) -> Result<Block> {
    let mut b = Block::default();
    let d = &mut b.data;
    let mut tag_buf: Vec<(&str, &str)> = Vec::new();
    for element in block.elements() {
        let k = key(&element);
        order.check(blob, k.0, k.1)?;
        b.first.get_or_insert(k);
        b.last = Some(k);
        match element {
            Element::DenseNode(n) => push_node(
                d,
                profile,
                &mut tag_buf,
                (n.id(), n.decimicro_lat(), n.decimicro_lon()),
                n.tags(),
            ),
            Element::Node(n) => push_node(
                d,
                profile,
                &mut tag_buf,
                (n.id(), n.decimicro_lat(), n.decimicro_lon()),
                n.tags(),
            ),
            Element::Way(w) => {
                d.counts.ways += 1;
                tag_buf.clear();
                tag_buf.extend(w.tags());
                if let Some(rule) = tags::way_rule(profile, &tag_buf) {
                    d.counts.ways_routable += 1;
                    d.counts.maxspeed_absurd += u64::from(rule.anomalies.absurd);
                    d.counts.maxspeed_unparsed += u64::from(rule.anomalies.unparsed);
                    let start = d.refs.len();
                    d.refs.extend(w.refs());
                    d.ways.push(RawWay {
                        id: w.id(),
                        refs: (start, d.refs.len()),
                        rule,
                        name: tags::tag(&tag_buf, "name").map(name_hash),
                    });
                }
            }
            Element::Relation(r) => {
                d.counts.relations += 1;
                tag_buf.clear();
                tag_buf.extend(r.tags());
                if tags::tag(&tag_buf, "type") != Some("restriction") {
                    continue;
                }
                let value = profile
                    .restriction_keys
                    .iter()
                    .find_map(|k| tags::tag(&tag_buf, k))
                    .or_else(|| tags::tag(&tag_buf, "restriction"))
                    .or_else(|| always_conditional(profile, &tag_buf));
                let Some(value) = value else {
                    let conditional = tag_buf.iter().any(|(k, _)| {
                        k.strip_suffix(":conditional").is_some_and(|base| {
                            base == "restriction" || profile.restriction_keys.contains(&base)
                        })
                    });
                    if conditional {
                        d.counts.restrictions_conditional += 1;
                    }
                    continue;
                };
                let excepted = tags::tag(&tag_buf, "except").is_some_and(|except| {
                    except
                        .split(';')
                        .any(|e| profile.except_values.contains(&e.trim()))
                });
                if excepted {
                    d.counts.restrictions_excepted += 1;
                    continue;
                }
                let mut raw = RawRestriction {
                    id: r.id(),
                    value: value.to_string(),
                    ..RawRestriction::default()
                };
                for m in r.members() {
                    match (m.role().unwrap_or(""), m.member_type) {
                        ("from", RelMemberType::Way) => raw.from.push(m.member_id),
                        ("to", RelMemberType::Way) => raw.to.push(m.member_id),
                        ("via", RelMemberType::Node) => raw.via_nodes.push(m.member_id),
                        ("via", RelMemberType::Way) => raw.via_ways.push(m.member_id),
                        _ => raw.odd_members += 1,
                    }
                }
                d.restrictions.push(raw);
            }
        }
    }
    Ok(b)
}

/// The value of a conditional restriction (`restriction:conditional`, or the
/// profile's vehicle-specific one first) whose condition holds at all times,
/// such as `no_left_turn @ (24/7)`: the matrix has no time of day, so only
/// those apply; any other condition leaves the relation unapplied (counted).
fn always_conditional<'a>(profile: &Profile, tags: &[(&str, &'a str)]) -> Option<&'a str> {
    let keys = profile
        .restriction_keys
        .iter()
        .copied()
        .chain(["restriction"]);
    for key in keys {
        let Some(text) = tags
            .iter()
            .find(|(k, _)| k.strip_suffix(":conditional") == Some(key))
            .map(|(_, v)| *v)
        else {
            continue;
        };
        // `VALUE @ (CONDITION); VALUE @ CONDITION`: the first value that holds always.
        for part in text.split(';') {
            let Some((value, condition)) = part.split_once('@') else {
                continue;
            };
            let condition = condition
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')');
            if tags::always(condition) {
                return Some(value.trim());
            }
        }
    }
    None
}
