//! A fast first look at a decoded block: only what the crop decides on.
//!
//! The first pass of a crop touches every block of a region file, and a full
//! decode (every tag, every string, metadata) costs three times the zlib work.
//! This scanner walks the protobuf of a `PrimitiveBlock` and reads only ids,
//! coordinates, way node refs and relation members; osmpbf decodes in full the
//! few blocks that end up in the output.

use crate::check::delta_coded;
use crate::coords::BlockCoords;
use crate::elements::MemberType;
use crate::proto::{Field, Fields, Repeated, unzigzag};

/// Ids seen in one group of a block, for order checks and for finding the block again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The entity type of the group.
    pub kind: MemberType,
    /// First id.
    pub first: i64,
    /// Last id.
    pub last: i64,
    /// Ids that break the increasing order inside the group: (previous, next).
    pub unsorted: Option<(i64, i64)>,
}

/// Ways of a block, flattened: `refs[ends[i-1]..ends[i]]` are the refs of `ids[i]`.
#[derive(Debug, Clone, Default)]
pub struct WayList {
    /// Way ids.
    pub ids: Vec<i64>,
    /// End of each way's refs in `refs`.
    pub ends: Vec<usize>,
    /// All node refs.
    pub refs: Vec<i64>,
}

impl WayList {
    /// The ways as `(id, refs)`.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[i64])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.ids
            .iter()
            .zip(starts.zip(self.ends.iter().copied()))
            .map(|(&id, (s, e))| (id, &self.refs[s..e]))
    }
}

/// One relation's members, without roles.
#[derive(Debug, Clone)]
pub struct RelationScan {
    /// Relation id.
    pub id: i64,
    /// Members as (type, id).
    pub members: Vec<(MemberType, i64)>,
}

/// What the crop needs from one block.
#[derive(Debug, Clone, Default)]
pub struct BlockScan {
    /// One span per non-empty group, in block order.
    pub spans: Vec<Span>,
    /// Number of entities.
    pub entities: u64,
    /// Ids of the nodes inside the bbox, in block order.
    pub inside: Vec<i64>,
    /// Extent of all nodes `(min_lon, min_lat, max_lon, max_lat)` in 1e-7 degrees.
    pub extent: Option<(i64, i64, i64, i64)>,
    /// The ways.
    pub ways: WayList,
    /// The relations.
    pub relations: Vec<RelationScan>,
}

/// The bbox in 1e-7 degrees `(min_lon, min_lat, max_lon, max_lat)`, edges inside.
pub type FixedBox = (i64, i64, i64, i64);

type Res<T> = Result<T, String>;

fn malformed(what: &str) -> impl Fn(crate::proto::Malformed) -> String + '_ {
    move |m| format!("malformed {what}: {}", m.0)
}

/// Scans a decompressed `PrimitiveBlock`.
///
/// The block is read as osmpbf will read it in the second pass (as the crate's
/// block check does): repeated fields packed or not and in any number of
/// occurrences, the last `dense` of a group, granularity as an `int32`, checked
/// coordinate and id arithmetic. So the two passes see the same entities.
///
/// # Errors
/// A description of the first malformed field.
pub fn scan_block(raw: &[u8], bbox: FixedBox) -> Res<BlockScan> {
    let (mut granularity, mut lat_offset, mut lon_offset) = (None, None, None);
    let mut groups = Vec::new();
    for field in Fields::new(raw) {
        match field.map_err(malformed("block"))? {
            Field::Bytes(2, g) => groups.push(g),
            Field::Varint(17, g) => granularity = Some(g),
            Field::Varint(19, o) => lat_offset = Some(o),
            Field::Varint(20, o) => lon_offset = Some(o),
            _ => {}
        }
    }
    let coords = BlockCoords::from_fields(granularity, lat_offset, lon_offset)?;
    let mut scan = BlockScan::default();
    for group in groups {
        scan_group(group, &coords, bbox, &mut scan)?;
    }
    Ok(scan)
}

/// Tracks the span of the group being scanned.
struct SpanBuilder {
    span: Option<Span>,
}

impl SpanBuilder {
    fn push(&mut self, kind: MemberType, id: i64) {
        match &mut self.span {
            None => {
                self.span = Some(Span {
                    kind,
                    first: id,
                    last: id,
                    unsorted: None,
                });
            }
            Some(s) => {
                if (kind, id) <= (s.kind, s.last) && s.unsorted.is_none() {
                    s.unsorted = Some((s.last, id));
                }
                s.kind = kind;
                s.last = id;
            }
        }
    }
}

/// Scans one group in osmpbf's order: nodes, then the (last) dense nodes, then
/// ways, then relations, whatever the order of the fields on the wire.
fn scan_group(group: &[u8], coords: &BlockCoords, bbox: FixedBox, scan: &mut BlockScan) -> Res<()> {
    let mut nodes = Vec::new();
    let mut dense = None;
    let mut ways = Vec::new();
    let mut relations = Vec::new();
    for field in Fields::new(group) {
        match field.map_err(malformed("group"))? {
            Field::Bytes(1, node) => nodes.push(node),
            // A singular message field: rust-protobuf keeps the last copy.
            Field::Bytes(2, d) => dense = Some(d),
            Field::Bytes(3, way) => ways.push(way),
            Field::Bytes(4, rel) => relations.push(rel),
            _ => {}
        }
    }
    let mut span = SpanBuilder { span: None };
    for node in nodes {
        scan_node(node, coords, bbox, scan, &mut span)?;
    }
    if let Some(d) = dense {
        scan_dense(d, coords, bbox, scan, &mut span)?;
    }
    for way in ways {
        scan_way(way, scan, &mut span)?;
    }
    for rel in relations {
        scan_relation(rel, scan, &mut span)?;
    }
    if let Some(s) = span.span {
        scan.spans.push(s);
    }
    Ok(())
}

#[inline]
fn visit_node(id: i64, lon: i64, lat: i64, bbox: FixedBox, scan: &mut BlockScan) {
    if lon >= bbox.0 && lat >= bbox.1 && lon <= bbox.2 && lat <= bbox.3 {
        scan.inside.push(id);
    }
}

fn grow_extent(scan: &mut BlockScan, e: (i64, i64, i64, i64)) {
    scan.extent = Some(match scan.extent {
        None => e,
        Some(x) => (x.0.min(e.0), x.1.min(e.1), x.2.max(e.2), x.3.max(e.3)),
    });
}

fn scan_node(
    msg: &[u8],
    coords: &BlockCoords,
    bbox: FixedBox,
    scan: &mut BlockScan,
    span: &mut SpanBuilder,
) -> Res<()> {
    let (mut id, mut lat, mut lon) = (None, None, None);
    for field in Fields::new(msg) {
        match field.map_err(malformed("node"))? {
            Field::Varint(1, v) => id = Some(unzigzag(v)),
            Field::Varint(8, v) => lat = Some(unzigzag(v)),
            Field::Varint(9, v) => lon = Some(unzigzag(v)),
            _ => {}
        }
    }
    let id = id.ok_or("node without id")?;
    delta_coded(id).ok_or_else(|| format!("node id {id} is beyond ±2^62"))?;
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(format!("node {id} has no coordinates"));
    };
    let (lat, lon) = coords.point("node", id, lat, lon)?;
    let (lat, lon) = (i64::from(lat), i64::from(lon));
    span.push(MemberType::Node, id);
    scan.entities += 1;
    visit_node(id, lon, lat, bbox, scan);
    grow_extent(scan, (lon, lat, lon, lat));
    Ok(())
}

fn scan_dense(
    msg: &[u8],
    coords: &BlockCoords,
    bbox: FixedBox,
    scan: &mut BlockScan,
    span: &mut SpanBuilder,
) -> Res<()> {
    let (mut ids, mut lats, mut lons) = (
        Repeated::default(),
        Repeated::default(),
        Repeated::default(),
    );
    for field in Fields::new(msg) {
        match field.map_err(malformed("dense nodes"))? {
            f @ (Field::Bytes(1, _) | Field::Varint(1, _)) => _ = ids.add(f),
            f @ (Field::Bytes(8, _) | Field::Varint(8, _)) => _ = lats.add(f),
            f @ (Field::Bytes(9, _) | Field::Varint(9, _)) => _ = lons.add(f),
            _ => {}
        }
    }
    let (mut id, mut lat, mut lon) = (0_i64, 0_i64, 0_i64);
    let (mut min_lon, mut min_lat, mut max_lon, mut max_lat) =
        (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
    let (mut lat_values, mut lon_values) = (lats.iter(), lons.iter());
    let mut count = 0_u64;
    for d in &ids {
        let d = d.map_err(malformed("dense node ids"))?;
        let (Some(dy), Some(dx)) = (lat_values.next(), lon_values.next()) else {
            return Err("dense nodes have fewer coordinates than ids".into());
        };
        let dy = dy.map_err(malformed("dense node latitudes"))?;
        let dx = dx.map_err(malformed("dense node longitudes"))?;
        let prev = id;
        let overflow = move || {
            format!("dense node ids (beyond ±2^62) or coordinates overflow after node {prev}")
        };
        id = id
            .checked_add(unzigzag(d))
            .and_then(delta_coded)
            .ok_or_else(overflow)?;
        lat = lat.checked_add(unzigzag(dy)).ok_or_else(overflow)?;
        lon = lon.checked_add(unzigzag(dx)).ok_or_else(overflow)?;
        let (y, x) = coords.point("dense node", id, lat, lon)?;
        let (x, y) = (i64::from(x), i64::from(y));
        span.push(MemberType::Node, id);
        visit_node(id, x, y, bbox, scan);
        min_lon = min_lon.min(x);
        min_lat = min_lat.min(y);
        max_lon = max_lon.max(x);
        max_lat = max_lat.max(y);
        count += 1;
    }
    if lat_values.next().is_some() || lon_values.next().is_some() {
        return Err("dense nodes have more coordinates than ids".into());
    }
    if count > 0 {
        grow_extent(scan, (min_lon, min_lat, max_lon, max_lat));
    }
    scan.entities += count;
    Ok(())
}

/// Adds up the deltas of `values` into `out`, refusing a sum past
/// [`crate::check::MAX_DELTA_CODED`], as the block check does.
fn deltas(values: &Repeated<'_>, out: &mut Vec<i64>, what: &str, owner: i64) -> Res<()> {
    let mut acc = 0_i64;
    for v in values {
        let v = v.map_err(|_| format!("malformed {what} of {owner}"))?;
        acc = acc
            .checked_add(unzigzag(v))
            .and_then(delta_coded)
            .ok_or_else(|| format!("{what} of {owner}: a value is beyond ±2^62"))?;
        out.push(acc);
    }
    Ok(())
}

fn scan_way(msg: &[u8], scan: &mut BlockScan, span: &mut SpanBuilder) -> Res<()> {
    let mut id = None;
    let mut refs = Repeated::default();
    for field in Fields::new(msg) {
        match field.map_err(malformed("way"))? {
            Field::Varint(1, v) => id = Some(v as i64),
            f @ (Field::Bytes(8, _) | Field::Varint(8, _)) => _ = refs.add(f),
            _ => {}
        }
    }
    let id = id.ok_or("way without id")?;
    span.push(MemberType::Way, id);
    scan.entities += 1;
    let start = scan.ways.refs.len();
    if let Err(e) = deltas(&refs, &mut scan.ways.refs, "node refs", id) {
        scan.ways.refs.truncate(start);
        return Err(format!("way {e}"));
    }
    scan.ways.ids.push(id);
    scan.ways.ends.push(scan.ways.refs.len());
    Ok(())
}

fn scan_relation(msg: &[u8], scan: &mut BlockScan, span: &mut SpanBuilder) -> Res<()> {
    let mut id = None;
    let (mut roles, mut memids, mut types) = (
        Repeated::default(),
        Repeated::default(),
        Repeated::default(),
    );
    for field in Fields::new(msg) {
        match field.map_err(malformed("relation"))? {
            Field::Varint(1, v) => id = Some(v as i64),
            f @ (Field::Bytes(8, _) | Field::Varint(8, _)) => _ = roles.add(f),
            f @ (Field::Bytes(9, _) | Field::Varint(9, _)) => _ = memids.add(f),
            f @ (Field::Bytes(10, _) | Field::Varint(10, _)) => _ = types.add(f),
            _ => {}
        }
    }
    let id = id.ok_or("relation without id")?;
    span.push(MemberType::Relation, id);
    scan.entities += 1;
    let mut ids = Vec::new();
    deltas(&memids, &mut ids, "member ids", id).map_err(|e| format!("relation {e}"))?;
    let kinds = types
        .iter()
        .map(|t| member_type(t.map_err(malformed("relation member types"))?, id))
        .collect::<Res<Vec<_>>>()?;
    let roles = roles.count().map_err(malformed("relation member roles"))?;
    if kinds.len() != ids.len() || roles != ids.len() as u64 {
        return Err(format!(
            "relation {id} has {} member ids, {} types and {roles} roles",
            ids.len(),
            kinds.len(),
        ));
    }
    scan.relations.push(RelationScan {
        id,
        members: kinds.into_iter().zip(ids).collect(),
    });
    Ok(())
}

/// A relation member type: 0 node, 1 way, 2 relation; anything else is refused
/// (osmpbf would panic on it).
///
/// # Errors
/// Any other value, naming the relation.
pub fn member_type(t: u64, relation: i64) -> Res<MemberType> {
    match t {
        0 => Ok(MemberType::Node),
        1 => Ok(MemberType::Way),
        2 => Ok(MemberType::Relation),
        other => Err(format!(
            "relation {relation} has member type {}, not 0 (node), 1 (way) or 2 (relation)",
            other as i64
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{FixtureBuilder, MemberType as M};

    #[test]
    fn scan_agrees_with_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.osm.pbf");
        let mut b = FixtureBuilder::new();
        b.node(1, 35.90, 14.50, &[("a", "b")])
            .node(2, 35.95, 14.60, &[])
            .node(3, -10.0, -20.0, &[])
            .way(10, &[1, 2, 3], &[])
            .way(11, &[3], &[])
            .relation(20, &[(M::Way, 10, "x"), (M::Relation, 21, "")], &[])
            .relation(21, &[(M::Node, 3, "")], &[]);
        b.write(&path).unwrap();
        let mut reader = crate::reader::PbfReader::open(&path, std::sync::Arc::default()).unwrap();
        let bbox = crate::Bbox::new(14.45, 35.85, 14.55, 35.93)
            .unwrap()
            .fixed();
        let scans: Vec<BlockScan> = reader
            .next_batch()
            .unwrap()
            .iter()
            .map(|blob| scan_block(&blob.decompress(&path).unwrap(), bbox).unwrap())
            .collect();
        assert_eq!(scans.len(), 3);
        assert_eq!(scans[0].inside, [1]);
        assert_eq!(
            scans[0].extent,
            Some((-200_000_000, -100_000_000, 146_000_000, 359_500_000))
        );
        assert_eq!(scans[0].spans[0].first, 1);
        assert_eq!(scans[0].spans[0].last, 3);
        let ways: Vec<(i64, Vec<i64>)> = scans[1]
            .ways
            .iter()
            .map(|(id, r)| (id, r.to_vec()))
            .collect();
        assert_eq!(ways, [(10, vec![1, 2, 3]), (11, vec![3])]);
        assert_eq!(
            scans[2].relations[0].members,
            [(M::Way, 10), (M::Relation, 21)]
        );
        assert_eq!(scans.iter().map(|s| s.entities).sum::<u64>(), 7);
    }
}
