//! OSM entities as owned values, and the protobuf encoding of ways and relations.

use crate::proto::{self, put_packed_delta, put_packed_uint, put_uint_field};
use crate::strings::StringTable;

/// Key/value tags in their stored order.
pub type Tags = Vec<(String, String)>;

/// Per-entity metadata (OSM "attic" fields), kept exactly from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Version number (0 when the source stripped it).
    pub version: i32,
    /// Seconds since the Unix epoch.
    pub timestamp: i64,
    /// Changeset id.
    pub changeset: i64,
    /// User id.
    pub uid: i32,
    /// User name.
    pub user: String,
    /// False for deleted entities in history files.
    pub visible: bool,
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            version: 0,
            timestamp: 0,
            changeset: 0,
            uid: 0,
            user: String::new(),
            visible: true,
        }
    }
}

/// A node; coordinates in 1e-7 degrees, as osmium stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Node id.
    pub id: i64,
    /// Latitude in 1e-7 degrees.
    pub lat: i32,
    /// Longitude in 1e-7 degrees.
    pub lon: i32,
    /// Tags.
    pub tags: Tags,
    /// Metadata, if the input had any.
    pub meta: Option<Meta>,
}

/// A way: an ordered list of node references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Way {
    /// Way id.
    pub id: i64,
    /// Node ids in order.
    pub refs: Vec<i64>,
    /// Tags.
    pub tags: Tags,
    /// Metadata, if the input had any.
    pub meta: Option<Meta>,
}

/// The kind of entity a relation member points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberType {
    /// A node member.
    Node,
    /// A way member.
    Way,
    /// A relation member.
    Relation,
}

/// One member of a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// What the member is.
    pub kind: MemberType,
    /// Its id.
    pub id: i64,
    /// Its role (may be empty).
    pub role: String,
}

/// A relation: an ordered list of typed members with roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Relation id.
    pub id: i64,
    /// Members in order.
    pub members: Vec<Member>,
    /// Tags.
    pub tags: Tags,
    /// Metadata, if the input had any.
    pub meta: Option<Meta>,
}

/// Any OSM entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// A node.
    Node(Node),
    /// A way.
    Way(Way),
    /// A relation.
    Relation(Relation),
}

impl Element {
    /// The entity's type, which orders before its id in a sorted file.
    #[must_use]
    pub fn kind(&self) -> MemberType {
        match self {
            Self::Node(_) => MemberType::Node,
            Self::Way(_) => MemberType::Way,
            Self::Relation(_) => MemberType::Relation,
        }
    }

    /// The entity's id.
    #[must_use]
    pub fn id(&self) -> i64 {
        match self {
            Self::Node(n) => n.id,
            Self::Way(w) => w.id,
            Self::Relation(r) => r.id,
        }
    }
}

/// Appends keys (field 2) and vals (field 3) as packed string indices.
fn put_tags<'a>(
    buf: &mut Vec<u8>,
    tags: &'a Tags,
    table: &mut StringTable<'a>,
    scratch: &mut Vec<u8>,
) {
    let ids: Vec<(u32, u32)> = tags
        .iter()
        .map(|(k, v)| (table.id(k), table.id(v)))
        .collect();
    put_packed_uint(buf, 2, ids.iter().map(|p| u64::from(p.0)), scratch);
    put_packed_uint(buf, 3, ids.iter().map(|p| u64::from(p.1)), scratch);
}

/// Appends an `Info` message (field 4) for `meta`; `visible` only in history files.
fn put_info<'a>(buf: &mut Vec<u8>, meta: &'a Meta, table: &mut StringTable<'a>, historical: bool) {
    let mut info = Vec::with_capacity(32);
    put_uint_field(&mut info, 1, i64::from(meta.version) as u64);
    put_uint_field(&mut info, 2, meta.timestamp as u64);
    put_uint_field(&mut info, 3, meta.changeset as u64);
    put_uint_field(&mut info, 4, i64::from(meta.uid) as u64);
    put_uint_field(&mut info, 5, u64::from(table.id(&meta.user)));
    if historical {
        put_uint_field(&mut info, 6, u64::from(meta.visible));
    }
    proto::put_bytes_field(buf, 4, &info);
}

/// Appends the `Way` messages of `ways` as `PrimitiveGroup.ways` (field 3) entries.
pub fn encode_ways<'a>(
    group: &mut Vec<u8>,
    ways: &'a [Way],
    table: &mut StringTable<'a>,
    historical: bool,
) {
    let mut msg = Vec::with_capacity(256);
    let mut scratch = Vec::with_capacity(256);
    for way in ways {
        msg.clear();
        put_uint_field(&mut msg, 1, way.id as u64);
        put_tags(&mut msg, &way.tags, table, &mut scratch);
        if let Some(meta) = &way.meta {
            put_info(&mut msg, meta, table, historical);
        }
        put_packed_delta(&mut msg, 8, way.refs.iter().copied(), &mut scratch);
        proto::put_bytes_field(group, 3, &msg);
    }
}

/// Appends the `Relation` messages of `relations` as `PrimitiveGroup.relations` (field 4) entries.
pub fn encode_relations<'a>(
    group: &mut Vec<u8>,
    relations: &'a [Relation],
    table: &mut StringTable<'a>,
    historical: bool,
) {
    let mut msg = Vec::with_capacity(256);
    let mut scratch = Vec::with_capacity(256);
    for rel in relations {
        msg.clear();
        put_uint_field(&mut msg, 1, rel.id as u64);
        put_tags(&mut msg, &rel.tags, table, &mut scratch);
        if let Some(meta) = &rel.meta {
            put_info(&mut msg, meta, table, historical);
        }
        let roles: Vec<u32> = rel.members.iter().map(|m| table.id(&m.role)).collect();
        put_packed_uint(
            &mut msg,
            8,
            roles.iter().map(|&r| u64::from(r)),
            &mut scratch,
        );
        put_packed_delta(&mut msg, 9, rel.members.iter().map(|m| m.id), &mut scratch);
        let types = rel.members.iter().map(|m| match m.kind {
            MemberType::Node => 0,
            MemberType::Way => 1,
            MemberType::Relation => 2,
        });
        put_packed_uint(&mut msg, 10, types, &mut scratch);
        proto::put_bytes_field(group, 4, &msg);
    }
}
