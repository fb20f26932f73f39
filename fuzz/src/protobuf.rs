//! Protobuf messages as trees, with the PBF schema (which fields hold messages,
//! which hold packed varints), and mutations that keep the wire format valid
//! while changing what it says: values set to type limits, packed arrays
//! unpacked or split, fields repeated, dropped, reordered or given another
//! wire type, strings made huge, groups copied from other blocks. Parsing keeps
//! every field in order, so an unmutated tree encodes back to the same bytes.

use hexmatrix_osm::raw::{put_varint, unzigzag, zigzag};

use crate::havoc::havoc;
use crate::rng::Rng;

/// A field's value on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 5.
    Fixed32(u32),
    /// Wire type 2, opaque bytes (strings, compressed data).
    Bytes(Vec<u8>),
    /// Wire type 2, a packed array of varints.
    Packed(Vec<u64>),
    /// Wire type 2, an embedded message.
    Message(Message),
}

/// A message: its fields in wire order (repeated fields appear once per occurrence).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `(field number, value)` in wire order.
    pub fields: Vec<(u32, Value)>,
}

/// The PBF message types, for the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `PrimitiveBlock`.
    Block,
    /// `StringTable`.
    StringTable,
    /// `PrimitiveGroup`.
    Group,
    /// `Node`.
    Node,
    /// `DenseNodes`.
    Dense,
    /// `DenseInfo`.
    DenseInfo,
    /// `Way`.
    Way,
    /// `Relation`.
    Relation,
    /// `Info`.
    Info,
    /// `HeaderBlock`.
    Header,
    /// `HeaderBBox`.
    HeaderBBox,
    /// `Blob`.
    Blob,
    /// `BlobHeader`.
    BlobHeader,
    /// Anything else: no field is known to hold a message.
    Opaque,
}

/// The message type held by `field` of a `kind` message, if it holds one.
fn child(kind: Kind, field: u32) -> Option<Kind> {
    Some(match (kind, field) {
        (Kind::Block, 1) => Kind::StringTable,
        (Kind::Block, 2) => Kind::Group,
        (Kind::Group, 1) => Kind::Node,
        (Kind::Group, 2) => Kind::Dense,
        (Kind::Group, 3) => Kind::Way,
        (Kind::Group, 4) => Kind::Relation,
        (Kind::Group, 5) => Kind::Opaque,
        (Kind::Node | Kind::Way | Kind::Relation, 4) => Kind::Info,
        (Kind::Dense, 5) => Kind::DenseInfo,
        (Kind::Header, 1) => Kind::HeaderBBox,
        _ => return None,
    })
}

/// Whether `field` of a `kind` message is a packed array of varints.
fn packed(kind: Kind, field: u32) -> bool {
    match kind {
        Kind::Node => matches!(field, 2 | 3),
        Kind::Dense => matches!(field, 1 | 8 | 9 | 10),
        Kind::DenseInfo => (1..=6).contains(&field),
        Kind::Way | Kind::Relation => matches!(field, 2 | 3 | 8 | 9 | 10),
        _ => false,
    }
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0_u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

fn packed_values(buf: &[u8]) -> Option<Vec<u64>> {
    let mut pos = 0;
    let mut out = Vec::with_capacity(buf.len());
    while pos < buf.len() {
        out.push(varint(buf, &mut pos)?);
    }
    Some(out)
}

impl Message {
    /// Parses `buf` as a `kind` message; `None` when it is not well-formed protobuf.
    #[must_use]
    pub fn parse(buf: &[u8], kind: Kind) -> Option<Self> {
        let mut fields = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let key = varint(buf, &mut pos)?;
            let number = u32::try_from(key >> 3).ok()?;
            let value = match key & 7 {
                0 => Value::Varint(varint(buf, &mut pos)?),
                1 => {
                    let b = buf.get(pos..pos.checked_add(8)?)?;
                    pos += 8;
                    Value::Fixed64(u64::from_le_bytes(b.try_into().ok()?))
                }
                5 => {
                    let b = buf.get(pos..pos.checked_add(4)?)?;
                    pos += 4;
                    Value::Fixed32(u32::from_le_bytes(b.try_into().ok()?))
                }
                2 => {
                    let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                    let b = buf.get(pos..pos.checked_add(len)?)?;
                    pos += len;
                    if let Some(k) = child(kind, number) {
                        Value::Message(Self::parse(b, k)?)
                    } else if packed(kind, number) {
                        packed_values(b).map_or_else(|| Value::Bytes(b.to_vec()), Value::Packed)
                    } else {
                        Value::Bytes(b.to_vec())
                    }
                }
                _ => return None,
            };
            fields.push((number, value));
        }
        Some(Self { fields })
    }

    /// The wire bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        for (number, value) in &self.fields {
            let key = u64::from(*number) << 3;
            match value {
                Value::Varint(v) => {
                    put_varint(out, key);
                    put_varint(out, *v);
                }
                Value::Fixed64(v) => {
                    put_varint(out, key | 1);
                    out.extend_from_slice(&v.to_le_bytes());
                }
                Value::Fixed32(v) => {
                    put_varint(out, key | 5);
                    out.extend_from_slice(&v.to_le_bytes());
                }
                Value::Bytes(b) => put_len(out, key, b),
                Value::Packed(vs) => {
                    let mut b = Vec::with_capacity(vs.len() * 2);
                    for v in vs {
                        put_varint(&mut b, *v);
                    }
                    put_len(out, key, &b);
                }
                Value::Message(m) => put_len(out, key, &m.encode()),
            }
        }
    }

    /// The embedded messages of this one, with their kinds.
    fn children(&mut self, kind: Kind) -> Vec<(&mut Self, Kind)> {
        self.fields
            .iter_mut()
            .filter_map(|(n, v)| match v {
                Value::Message(m) => Some((m, child(kind, *n).unwrap_or(Kind::Opaque))),
                _ => None,
            })
            .collect()
    }
}

fn put_len(out: &mut Vec<u8>, key: u64, bytes: &[u8]) {
    put_varint(out, key | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A value for a signed (zigzag) or unsigned varint: near `old`, or interesting.
fn new_varint(rng: &mut Rng, old: u64) -> u64 {
    match rng.below(4) {
        0 => zigzag(unzigzag(old).wrapping_add(rng.below(11) as i64 - 5)),
        1 => zigzag(*rng.pick(&[
            i64::MAX,
            i64::MIN,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            -1,
            1 << 40,
            -(1 << 40),
        ])),
        _ => rng.interesting(),
    }
}

/// Applies `n` structured mutations to `msg`, a `kind` message; `donors` are
/// other messages of the same kind to copy fields from.
pub fn mutate(rng: &mut Rng, msg: &mut Message, kind: Kind, donors: &[Message], n: usize) {
    for _ in 0..n {
        mutate_somewhere(rng, msg, kind, donors, 0);
    }
}

fn mutate_somewhere(rng: &mut Rng, msg: &mut Message, kind: Kind, donors: &[Message], depth: u32) {
    let mut children = msg.children(kind);
    if !children.is_empty() && !rng.one_in(3) && depth < 8 {
        let i = rng.below(children.len());
        let (child, child_kind) = children.swap_remove(i);
        // Donors only fit at the top level, where their kind is `kind`.
        return mutate_somewhere(rng, child, child_kind, &[], depth + 1);
    }
    drop(children);
    mutate_here(rng, msg, kind, donors);
}

fn mutate_here(rng: &mut Rng, msg: &mut Message, kind: Kind, donors: &[Message]) {
    let len = msg.fields.len();
    if len == 0 || rng.one_in(12) {
        insert_field(rng, msg, kind);
        return;
    }
    let i = rng.below(len);
    match rng.below(10) {
        0 => {
            msg.fields.remove(i);
        }
        1 => {
            // A repeated occurrence: a second dense, string table, info, id, …
            let copy = msg.fields[i].clone();
            let at = rng.below(len + 1);
            msg.fields.insert(at, copy);
        }
        2 => {
            let j = rng.below(len);
            msg.fields.swap(i, j);
        }
        3 => change_wire_type(rng, &mut msg.fields[i].1),
        4 if !donors.is_empty() => {
            // A field of another message of this kind (a group of another block).
            let donor = rng.pick(donors);
            if !donor.fields.is_empty() {
                let f = rng.pick(&donor.fields).clone();
                msg.fields.insert(rng.below(len + 1), f);
            }
        }
        5 => {
            if let (_, Value::Packed(vs)) = &msg.fields[i] {
                // Unpacked: one varint field per value, as protobuf also allows.
                let (number, vs) = (msg.fields[i].0, vs.clone());
                let split = rng.below(vs.len() + 1);
                let mut replacement = vec![(number, Value::Packed(vs[..split].to_vec()))];
                if rng.one_in(2) {
                    replacement.extend(vs[split..].iter().map(|&v| (number, Value::Varint(v))));
                } else {
                    replacement.push((number, Value::Packed(vs[split..].to_vec())));
                }
                msg.fields.splice(i..=i, replacement);
            } else {
                mutate_value(rng, &mut msg.fields[i].1);
            }
        }
        _ => mutate_value(rng, &mut msg.fields[i].1),
    }
}

fn insert_field(rng: &mut Rng, msg: &mut Message, kind: Kind) {
    let number = 1 + rng.below(20) as u32;
    let value = if child(kind, number).is_some() {
        Value::Message(Message::default())
    } else if packed(kind, number) {
        Value::Packed((0..rng.below(8)).map(|_| rng.interesting()).collect())
    } else {
        match rng.below(4) {
            0 => Value::Bytes(vec![b'x'; rng.below(8)]),
            1 => Value::Fixed64(rng.next_u64()),
            _ => Value::Varint(rng.interesting()),
        }
    };
    let at = rng.below(msg.fields.len() + 1);
    msg.fields.insert(at, (number, value));
}

fn change_wire_type(rng: &mut Rng, value: &mut Value) {
    *value = match value {
        Value::Varint(v) if rng.one_in(2) => Value::Fixed64(*v),
        Value::Varint(v) => Value::Bytes(v.to_le_bytes().to_vec()),
        Value::Packed(vs) => Value::Varint(vs.first().copied().unwrap_or(0)),
        Value::Message(m) => Value::Bytes(m.encode()),
        Value::Bytes(b) => Value::Varint(b.len() as u64),
        Value::Fixed64(v) => Value::Fixed32(*v as u32),
        Value::Fixed32(v) => Value::Varint(u64::from(*v)),
    };
}

fn mutate_value(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Varint(v) | Value::Fixed64(v) => *v = new_varint(rng, *v),
        Value::Fixed32(v) => *v = rng.interesting() as u32,
        Value::Packed(vs) => mutate_packed(rng, vs),
        Value::Bytes(b) => mutate_bytes(rng, b),
        Value::Message(m) => {
            if m.fields.is_empty() || rng.one_in(4) {
                m.fields.clear();
            } else {
                let i = rng.below(m.fields.len());
                m.fields.remove(i);
            }
        }
    }
}

fn mutate_packed(rng: &mut Rng, vs: &mut Vec<u64>) {
    let len = vs.len();
    match rng.below(7) {
        0 if len > 0 => {
            let i = rng.below(len);
            vs[i] = new_varint(rng, vs[i]);
        }
        1 => {
            let at = rng.below(len + 1);
            vs.insert(at, rng.interesting());
        }
        2 if len > 0 => {
            vs.remove(rng.below(len));
        }
        3 => vs.truncate(rng.below(len + 1)),
        4 => {
            // Many copies of one value: references to one string, zero deltas.
            let v = vs.last().copied().unwrap_or(1);
            let n = 1 << rng.below(18);
            vs.extend(std::iter::repeat_n(v, n));
        }
        5 if len > 0 => {
            let r = rng.range(len);
            vs[r].reverse();
        }
        _ => {
            for v in vs.iter_mut() {
                if rng.one_in(8) {
                    *v = new_varint(rng, *v);
                }
            }
        }
    }
}

fn mutate_bytes(rng: &mut Rng, b: &mut Vec<u8>) {
    match rng.below(5) {
        0 => {
            // A long string: amplified if referenced many times.
            let n = 1 << (8 + rng.below(14));
            *b = vec![b'a'; n];
        }
        1 => b.clear(),
        2 => *b = vec![0xff, 0xfe, b'x'],
        _ => havoc(rng, b, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_encode_round_trip_and_mutants_stay_parseable() {
        let mut raw = Vec::new();
        let mut scratch = Vec::new();
        let mut dense = Vec::new();
        hexmatrix_osm::raw::put_packed_delta(&mut dense, 1, [1, 2, 3], &mut scratch);
        let mut group = Vec::new();
        hexmatrix_osm::raw::put_bytes_field(&mut group, 2, &dense);
        hexmatrix_osm::raw::put_bytes_field(&mut raw, 1, b"\x0a\x00");
        hexmatrix_osm::raw::put_bytes_field(&mut raw, 2, &group);
        hexmatrix_osm::raw::put_uint_field(&mut raw, 17, 100);
        let m = Message::parse(&raw, Kind::Block).unwrap();
        assert_eq!(m.encode(), raw);
        let Value::Message(g) = &m.fields[1].1 else {
            panic!("{m:?}")
        };
        let Value::Message(d) = &g.fields[0].1 else {
            panic!("{g:?}")
        };
        assert_eq!(d.fields[0].1, Value::Packed(vec![2, 2, 2]));
        let mut rng = Rng::new(3);
        let mut differ = 0;
        for _ in 0..500 {
            let mut t = m.clone();
            mutate(&mut rng, &mut t, Kind::Block, std::slice::from_ref(&m), 3);
            let bytes = t.encode();
            differ += usize::from(bytes != raw);
            assert!(Message::parse(&bytes, Kind::Opaque).is_some());
        }
        assert!(differ > 400, "{differ}");
    }
}
