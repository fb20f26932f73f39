//! A fast first look at a decoded block: only what the crop decides on.
//!
//! The first pass of a crop touches every block of a region file, and a full
//! decode (every tag, every string, metadata) costs three times the zlib work.
//! This scanner walks the protobuf of a `PrimitiveBlock` and reads only ids,
//! coordinates, way node refs and relation members; osmpbf decodes in full the
//! few blocks that end up in the output.

use crate::elements::MemberType;
use crate::proto::{Field, Fields, Packed, get_varint, unzigzag};

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

struct Coords {
    granularity: i64,
    lat_offset: i64,
    lon_offset: i64,
}

impl Coords {
    /// A stored coordinate in 1e-7 degrees, truncated as osmium and osmpbf do.
    #[inline]
    fn lat(&self, v: i64) -> i64 {
        (self.lat_offset + self.granularity * v) / 100
    }
    #[inline]
    fn lon(&self, v: i64) -> i64 {
        (self.lon_offset + self.granularity * v) / 100
    }
}

type Res<T> = Result<T, String>;

fn malformed(what: &str) -> impl Fn(crate::proto::Malformed) -> String + '_ {
    move |m| format!("malformed {what}: {}", m.0)
}

/// Scans a decompressed `PrimitiveBlock`.
///
/// # Errors
/// A description of the first malformed field.
pub fn scan_block(raw: &[u8], bbox: FixedBox) -> Res<BlockScan> {
    let mut coords = Coords {
        granularity: 100,
        lat_offset: 0,
        lon_offset: 0,
    };
    let mut groups = Vec::new();
    for field in Fields::new(raw) {
        match field.map_err(malformed("block"))? {
            Field::Bytes(2, g) => groups.push(g),
            Field::Varint(17, g) => coords.granularity = g as i64,
            Field::Varint(19, o) => coords.lat_offset = o as i64,
            Field::Varint(20, o) => coords.lon_offset = o as i64,
            _ => {}
        }
    }
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

fn scan_group(group: &[u8], coords: &Coords, bbox: FixedBox, scan: &mut BlockScan) -> Res<()> {
    let mut span = SpanBuilder { span: None };
    for field in Fields::new(group) {
        match field.map_err(malformed("group"))? {
            Field::Bytes(1, node) => scan_node(node, coords, bbox, scan, &mut span)?,
            Field::Bytes(2, dense) => scan_dense(dense, coords, bbox, scan, &mut span)?,
            Field::Bytes(3, way) => scan_way(way, scan, &mut span)?,
            Field::Bytes(4, rel) => scan_relation(rel, scan, &mut span)?,
            _ => {}
        }
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
    coords: &Coords,
    bbox: FixedBox,
    scan: &mut BlockScan,
    span: &mut SpanBuilder,
) -> Res<()> {
    let (mut id, mut lat, mut lon) = (None, 0, 0);
    for field in Fields::new(msg) {
        match field.map_err(malformed("node"))? {
            Field::Varint(1, v) => id = Some(unzigzag(v)),
            Field::Varint(8, v) => lat = unzigzag(v),
            Field::Varint(9, v) => lon = unzigzag(v),
            _ => {}
        }
    }
    let id = id.ok_or("node without id")?;
    let (lon, lat) = (coords.lon(lon), coords.lat(lat));
    span.push(MemberType::Node, id);
    scan.entities += 1;
    visit_node(id, lon, lat, bbox, scan);
    grow_extent(scan, (lon, lat, lon, lat));
    Ok(())
}

fn scan_dense(
    msg: &[u8],
    coords: &Coords,
    bbox: FixedBox,
    scan: &mut BlockScan,
    span: &mut SpanBuilder,
) -> Res<()> {
    let (mut ids, mut lats, mut lons): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
    for field in Fields::new(msg) {
        match field.map_err(malformed("dense nodes"))? {
            Field::Bytes(1, b) => ids = b,
            Field::Bytes(8, b) => lats = b,
            Field::Bytes(9, b) => lons = b,
            _ => {}
        }
    }
    let (mut id, mut lat, mut lon) = (0_i64, 0_i64, 0_i64);
    let (mut min_lon, mut min_lat, mut max_lon, mut max_lat) =
        (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
    let (mut pi, mut py, mut px) = (0, 0, 0);
    let mut count = 0_u64;
    while pi < ids.len() {
        let d = get_varint(ids, &mut pi).ok_or("malformed dense node ids")?;
        let dy =
            get_varint(lats, &mut py).ok_or("dense nodes have fewer or malformed latitudes")?;
        let dx =
            get_varint(lons, &mut px).ok_or("dense nodes have fewer or malformed longitudes")?;
        id = id.wrapping_add(unzigzag(d));
        lat = lat.wrapping_add(unzigzag(dy));
        lon = lon.wrapping_add(unzigzag(dx));
        let (x, y) = (coords.lon(lon), coords.lat(lat));
        span.push(MemberType::Node, id);
        visit_node(id, x, y, bbox, scan);
        min_lon = min_lon.min(x);
        min_lat = min_lat.min(y);
        max_lon = max_lon.max(x);
        max_lat = max_lat.max(y);
        count += 1;
    }
    if py < lats.len() || px < lons.len() {
        return Err("dense nodes have more coordinates than ids".into());
    }
    if count > 0 {
        grow_extent(scan, (min_lon, min_lat, max_lon, max_lat));
    }
    scan.entities += count;
    Ok(())
}

fn deltas(packed: &[u8], out: &mut Vec<i64>, what: &str) -> Res<()> {
    let mut acc = 0_i64;
    let mut pos = 0;
    while pos < packed.len() {
        let v = get_varint(packed, &mut pos).ok_or_else(|| format!("malformed {what}"))?;
        acc = acc.wrapping_add(unzigzag(v));
        out.push(acc);
    }
    Ok(())
}

fn scan_way(msg: &[u8], scan: &mut BlockScan, span: &mut SpanBuilder) -> Res<()> {
    let mut id = None;
    let mut refs: &[u8] = &[];
    for field in Fields::new(msg) {
        match field.map_err(malformed("way"))? {
            Field::Varint(1, v) => id = Some(v as i64),
            Field::Bytes(8, b) => refs = b,
            _ => {}
        }
    }
    let id = id.ok_or("way without id")?;
    span.push(MemberType::Way, id);
    scan.entities += 1;
    deltas(refs, &mut scan.ways.refs, "way refs")?;
    scan.ways.ids.push(id);
    scan.ways.ends.push(scan.ways.refs.len());
    Ok(())
}

fn scan_relation(msg: &[u8], scan: &mut BlockScan, span: &mut SpanBuilder) -> Res<()> {
    let mut id = None;
    let (mut memids, mut types): (&[u8], &[u8]) = (&[], &[]);
    for field in Fields::new(msg) {
        match field.map_err(malformed("relation"))? {
            Field::Varint(1, v) => id = Some(v as i64),
            Field::Bytes(9, b) => memids = b,
            Field::Bytes(10, b) => types = b,
            _ => {}
        }
    }
    let id = id.ok_or("relation without id")?;
    span.push(MemberType::Relation, id);
    scan.entities += 1;
    let mut ids = Vec::new();
    deltas(memids, &mut ids, "relation members")?;
    let kinds = Packed::new(types)
        .map(|t| match t.map_err(malformed("relation member types"))? {
            0 => Ok(MemberType::Node),
            1 => Ok(MemberType::Way),
            2 => Ok(MemberType::Relation),
            other => Err(format!("relation {id} has member type {other}")),
        })
        .collect::<Res<Vec<_>>>()?;
    if kinds.len() != ids.len() {
        return Err(format!(
            "relation {id} has {} member ids but {} types",
            ids.len(),
            kinds.len()
        ));
    }
    scan.relations.push(RelationScan {
        id,
        members: kinds.into_iter().zip(ids).collect(),
    });
    Ok(())
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
