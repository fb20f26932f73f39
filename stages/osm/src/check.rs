//! The check every data block passes before osmpbf decodes it.
//!
//! osmpbf trusts its input. An unknown relation member type is an `unwrap`; id,
//! coordinate, timestamp and member-id deltas are added unchecked (a panic in
//! debug builds, a silent wrap in release); and the protobuf structs it decodes
//! into, plus the owned strings we copy out of them, can take far more memory
//! than the block: one long string referenced by every tag is copied once per
//! reference. [`check_block`] walks the block exactly as rust-protobuf will read
//! it (repeated fields packed or not, every occurrence, the last copy of a
//! singular message) and refuses, with a reason, anything osmpbf or our
//! conversion would panic on, and any block whose decoded form would pass
//! [`MAX_DECODED_BLOCK_BYTES`]. The walk itself allocates only the string table's
//! index, and stops as soon as the estimate passes the limit.

use crate::coords::{BlockCoords, int32};
use crate::elements::{Element, Member};
use crate::proto::{Field, Fields, Malformed, Repeated, unzigzag};
use crate::scan::member_type;

/// Largest decoded size of one block, as [`check_block`] estimates it: osmpbf's
/// protobuf structs plus the owned entities we convert them to (the estimate is
/// 1.5–2× what they really take). Decoded blocks are big: the largest block of the
/// shared extracts (Monaco, 2.4 MB decompressed, 8000 richly tagged nodes) takes
/// 52 MB and is estimated at about 80 MiB, a sixth of this limit. Past it a block
/// is amplification (a string or an array referenced over and over), not OSM data.
pub const MAX_DECODED_BLOCK_BYTES: u64 = 512 << 20;

/// One protobuf message struct as rust-protobuf decodes it, with the slack of the
/// vector holding it.
const MESSAGE_BYTES: u64 = 256;
/// Per byte of a packed array (rust-protobuf reserves one element of up to 8
/// bytes per byte) and per unpacked value.
const VALUE_BYTES: u64 = 8;
/// One unknown field occurrence (kept in a map per field number), besides its payload.
const UNKNOWN_FIELD_BYTES: u64 = 160;
/// One owned string or byte vector besides its content: header and allocator rounding.
const STRING_BYTES: u64 = 48;
/// One owned entity, with the growth slack of the vector holding it.
const ELEMENT_BYTES: u64 = 2 * std::mem::size_of::<Element>() as u64;
/// One owned relation member besides its role's text.
const MEMBER_BYTES: u64 = std::mem::size_of::<Member>() as u64 + STRING_BYTES;

/// What the check learned about a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockCheck {
    /// Entities osmpbf will yield.
    pub entities: u64,
    /// Estimated bytes of the decoded block: osmpbf's structs and our owned entities.
    pub decoded_bytes: u64,
}

type Res<T> = Result<T, String>;

/// Largest magnitude of an id or changeset the check accepts where a block stores
/// it as a running sum (dense node ids and changesets, way refs, member ids).
/// The crop writes a subset of the values again as differences; a value past
/// ±2^62 could make two neighbours differ by more than an `i64` holds, and the
/// crop would write a file that no reader accepts. OSM ids are below 2^34.
pub const MAX_DELTA_CODED: i64 = 1 << 62;

/// `v` when its magnitude is below [`MAX_DELTA_CODED`].
pub(crate) fn delta_coded(v: i64) -> Option<i64> {
    (v.unsigned_abs() < MAX_DELTA_CODED.unsigned_abs()).then_some(v)
}

fn malformed(what: &'static str) -> impl Fn(Malformed) -> String {
    move |m| format!("malformed {what}: {}", m.0)
}

/// Checks a decompressed `PrimitiveBlock` before osmpbf sees it.
///
/// # Errors
/// The first thing that would make osmpbf or our conversion panic, wrap or
/// disagree with the crop's scanner (see the module doc), or an estimated decoded
/// size over [`MAX_DECODED_BLOCK_BYTES`].
pub fn check_block(raw: &[u8]) -> Res<BlockCheck> {
    let mut c = Check {
        strings: Vec::new(),
        utf8: Vec::new(),
        coords: BlockCoords::default(),
        date_granularity: 1000,
        // The block itself, the frame handed to osmpbf and osmpbf's copy of it.
        bytes: 3 * raw.len() as u64 + MESSAGE_BYTES,
        entities: 0,
    };
    let mut groups = Vec::new();
    let mut table = None;
    let (mut granularity, mut lat_offset, mut lon_offset) = (None, None, None);
    for field in Fields::new(raw) {
        match field.map_err(malformed("block"))? {
            // Every copy of the string table is decoded; the last one is kept.
            Field::Bytes(1, t) => {
                c.table_memory(t)?;
                table = Some(t);
            }
            Field::Bytes(2, g) => {
                c.add(MESSAGE_BYTES)?;
                groups.push(g);
            }
            Field::Varint(17, g) => granularity = Some(g),
            Field::Varint(18, d) => {
                c.date_granularity = match int32(d) {
                    Some(d) if d > 0 => i64::from(d),
                    _ => {
                        return Err(format!(
                            "date granularity {} is not a positive 32-bit integer",
                            d as i64
                        ));
                    }
                };
            }
            Field::Varint(19, o) => lat_offset = Some(o),
            Field::Varint(20, o) => lon_offset = Some(o),
            other => c.unknown(other)?,
        }
    }
    c.coords = BlockCoords::from_fields(granularity, lat_offset, lon_offset)?;
    if let Some(t) = table {
        c.strings = Fields::new(t)
            .filter_map(|f| match f {
                Ok(Field::Bytes(1, s)) => Some(s),
                _ => None,
            })
            .collect();
        c.utf8 = vec![Utf8::Unknown; c.strings.len()];
    }
    for g in groups {
        c.group(g)?;
    }
    Ok(BlockCheck {
        entities: c.entities,
        decoded_bytes: c.bytes,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf8 {
    Unknown,
    Valid,
    Invalid,
}

struct Check<'a> {
    strings: Vec<&'a [u8]>,
    /// Whether each string is UTF-8, found on first use: a long string used over
    /// and over is validated once.
    utf8: Vec<Utf8>,
    coords: BlockCoords,
    date_granularity: i64,
    bytes: u64,
    entities: u64,
}

/// The fields of one `Info` message (non-dense metadata), last value of each.
#[derive(Default)]
struct Info {
    timestamp: Option<u64>,
    changeset: Option<u64>,
    user_sid: Option<u64>,
}

impl<'a> Check<'a> {
    /// Counts `n` estimated bytes, refusing the block past the limit.
    fn add(&mut self, n: u64) -> Res<()> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > MAX_DECODED_BLOCK_BYTES {
            return Err(format!(
                "the block would take more than {} MiB decoded (MAX_DECODED_BLOCK_BYTES): \
                 strings or arrays referenced over and over, not OSM data",
                MAX_DECODED_BLOCK_BYTES >> 20
            ));
        }
        Ok(())
    }

    fn unknown(&mut self, field: Field<'_>) -> Res<()> {
        let payload = match field {
            Field::Bytes(_, b) => b.len() as u64,
            Field::Varint(..) | Field::Fixed(..) => 0,
        };
        self.add(UNKNOWN_FIELD_BYTES + payload)
    }

    fn repeated(&mut self, r: &Repeated<'_>) -> Res<()> {
        self.add(VALUE_BYTES * r.wire_len())
    }

    /// Memory of a message decoded but not used (an earlier copy of a singular
    /// field, a changeset): every byte may be a packed value.
    fn message_memory(&mut self, msg: &[u8]) -> Res<()> {
        self.add(MESSAGE_BYTES + VALUE_BYTES * msg.len() as u64)
    }

    fn table_memory(&mut self, table: &[u8]) -> Res<()> {
        self.add(MESSAGE_BYTES)?;
        for f in Fields::new(table) {
            match f.map_err(malformed("string table"))? {
                Field::Bytes(1, s) => self.add(STRING_BYTES + s.len() as u64)?,
                other => self.unknown(other)?,
            }
        }
        Ok(())
    }

    /// The length of string `index`, which must exist and be UTF-8.
    fn string(&mut self, index: i64, what: &str, id: i64) -> Res<u64> {
        let i = usize::try_from(index)
            .ok()
            .filter(|&i| i < self.strings.len())
            .ok_or_else(|| {
                format!(
                    "{what} {id}: string index {index} is past the table's {} entries",
                    self.strings.len()
                )
            })?;
        if self.utf8[i] == Utf8::Unknown {
            self.utf8[i] = if std::str::from_utf8(self.strings[i]).is_ok() {
                Utf8::Valid
            } else {
                Utf8::Invalid
            };
        }
        if self.utf8[i] == Utf8::Invalid {
            return Err(format!("{what} {id}: string {index} is not UTF-8"));
        }
        Ok(self.strings[i].len() as u64)
    }

    /// One tag as our conversion owns it: two strings.
    fn tag(&mut self, what: &str, id: i64, k: i64, v: i64) -> Res<()> {
        let len = self.string(k, what, id)? + self.string(v, what, id)?;
        self.add(2 * STRING_BYTES + len)
    }

    /// Keys and values of a node, way or relation: as many of each, all strings.
    fn tags(&mut self, what: &str, id: i64, keys: &Repeated<'_>, vals: &Repeated<'_>) -> Res<()> {
        self.repeated(keys)?;
        self.repeated(vals)?;
        let (mut ks, mut vs) = (keys.iter(), vals.iter());
        loop {
            match (ks.next(), vs.next()) {
                (None, None) => return Ok(()),
                (Some(k), Some(v)) => {
                    let k = k.map_err(malformed("tag keys"))?;
                    let v = v.map_err(malformed("tag values"))?;
                    self.tag(what, id, k as i64, v as i64)?;
                }
                _ => {
                    return Err(format!(
                        "{what} {id} has more tag keys than values or the reverse"
                    ));
                }
            }
        }
    }

    fn info(&mut self, what: &str, id: i64, msg: &[u8]) -> Res<()> {
        let mut info = Info::default();
        for f in Fields::new(msg) {
            match f.map_err(malformed("info"))? {
                Field::Varint(2, t) => info.timestamp = Some(t),
                Field::Varint(3, c) => info.changeset = Some(c),
                Field::Varint(5, u) => info.user_sid = Some(u),
                Field::Varint(1 | 4 | 6, _) => {}
                other => self.unknown(other)?,
            }
        }
        if let Some(t) = info.timestamp {
            (t as i64)
                .checked_mul(self.date_granularity)
                .ok_or_else(|| format!("{what} {id}: timestamp {} overflows", t as i64))?;
        }
        // The crop writes nodes as dense nodes, where changesets are differences.
        if let Some(c) = info.changeset {
            delta_coded(c as i64)
                .ok_or_else(|| format!("{what} {id}: changeset {} is beyond ±2^62", c as i64))?;
        }
        if let Some(u) = info.user_sid {
            let len = self.string(u as i64, what, id)?;
            self.add(STRING_BYTES + len)?;
        }
        Ok(())
    }

    fn group(&mut self, group: &'a [u8]) -> Res<()> {
        let mut dense = None;
        for f in Fields::new(group) {
            match f.map_err(malformed("group"))? {
                Field::Bytes(1, n) => self.node(n)?,
                // Every copy is decoded, the last one is kept and iterated.
                Field::Bytes(2, d) => {
                    self.message_memory(d)?;
                    dense = Some(d);
                }
                Field::Bytes(3, w) => self.way(w)?,
                Field::Bytes(4, r) => self.relation(r)?,
                Field::Bytes(5, changeset) => self.message_memory(changeset)?,
                other => self.unknown(other)?,
            }
        }
        if let Some(d) = dense {
            self.dense(d)?;
        }
        Ok(())
    }

    fn node(&mut self, msg: &[u8]) -> Res<()> {
        self.add(MESSAGE_BYTES + ELEMENT_BYTES)?;
        let (mut id, mut lat, mut lon, mut info) = (0, 0, 0, None);
        let (mut keys, mut vals) = (Repeated::default(), Repeated::default());
        for f in Fields::new(msg) {
            match f.map_err(malformed("node"))? {
                Field::Varint(1, v) => id = unzigzag(v),
                Field::Varint(8, v) => lat = unzigzag(v),
                Field::Varint(9, v) => lon = unzigzag(v),
                f @ (Field::Bytes(2, _) | Field::Varint(2, _)) => _ = keys.add(f),
                f @ (Field::Bytes(3, _) | Field::Varint(3, _)) => _ = vals.add(f),
                Field::Bytes(4, i) => {
                    self.message_memory(i)?;
                    info = Some(i);
                }
                other => self.unknown(other)?,
            }
        }
        self.entities += 1;
        delta_coded(id).ok_or_else(|| format!("node id {id} is beyond ±2^62"))?;
        self.coords.point("node", id, lat, lon)?;
        self.tags("node", id, &keys, &vals)?;
        if let Some(i) = info {
            self.info("node", id, i)?;
        }
        Ok(())
    }

    fn way(&mut self, msg: &[u8]) -> Res<()> {
        self.add(MESSAGE_BYTES + ELEMENT_BYTES)?;
        let (mut id, mut info) = (0, None);
        let (mut keys, mut vals, mut refs, mut located) = (
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
        );
        for f in Fields::new(msg) {
            match f.map_err(malformed("way"))? {
                Field::Varint(1, v) => id = v as i64,
                f @ (Field::Bytes(2, _) | Field::Varint(2, _)) => _ = keys.add(f),
                f @ (Field::Bytes(3, _) | Field::Varint(3, _)) => _ = vals.add(f),
                Field::Bytes(4, i) => {
                    self.message_memory(i)?;
                    info = Some(i);
                }
                f @ (Field::Bytes(8, _) | Field::Varint(8, _)) => _ = refs.add(f),
                // Node locations on ways: decoded, never read by us.
                f @ (Field::Bytes(9 | 10, _) | Field::Varint(9 | 10, _)) => _ = located.add(f),
                other => self.unknown(other)?,
            }
        }
        self.entities += 1;
        self.repeated(&located)?;
        self.repeated(&refs)?;
        let mut acc = 0_i64;
        let mut n = 0;
        for d in &refs {
            let d = d.map_err(malformed("way refs"))?;
            acc = acc
                .checked_add(unzigzag(d))
                .and_then(delta_coded)
                .ok_or_else(|| format!("way {id}: a node ref is beyond ±2^62"))?;
            n += 1;
        }
        self.add(8 * n)?;
        self.tags("way", id, &keys, &vals)?;
        if let Some(i) = info {
            self.info("way", id, i)?;
        }
        Ok(())
    }

    fn relation(&mut self, msg: &[u8]) -> Res<()> {
        self.add(MESSAGE_BYTES + ELEMENT_BYTES)?;
        let (mut id, mut info) = (0, None);
        let (mut keys, mut vals, mut roles, mut memids, mut types) = (
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
        );
        for f in Fields::new(msg) {
            match f.map_err(malformed("relation"))? {
                Field::Varint(1, v) => id = v as i64,
                f @ (Field::Bytes(2, _) | Field::Varint(2, _)) => _ = keys.add(f),
                f @ (Field::Bytes(3, _) | Field::Varint(3, _)) => _ = vals.add(f),
                Field::Bytes(4, i) => {
                    self.message_memory(i)?;
                    info = Some(i);
                }
                f @ (Field::Bytes(8, _) | Field::Varint(8, _)) => _ = roles.add(f),
                f @ (Field::Bytes(9, _) | Field::Varint(9, _)) => _ = memids.add(f),
                f @ (Field::Bytes(10, _) | Field::Varint(10, _)) => _ = types.add(f),
                other => self.unknown(other)?,
            }
        }
        self.entities += 1;
        self.repeated(&roles)?;
        self.repeated(&memids)?;
        self.repeated(&types)?;
        let (mut rs, mut ms, mut ts) = (roles.iter(), memids.iter(), types.iter());
        let mut acc = 0_i64;
        loop {
            match (rs.next(), ms.next(), ts.next()) {
                (None, None, None) => break,
                (Some(r), Some(m), Some(t)) => {
                    let r = r.map_err(malformed("relation roles"))?;
                    let m = m.map_err(malformed("relation member ids"))?;
                    let t = t.map_err(malformed("relation member types"))?;
                    member_type(t, id)?;
                    acc = acc
                        .checked_add(unzigzag(m))
                        .and_then(delta_coded)
                        .ok_or_else(|| format!("relation {id}: a member id is beyond ±2^62"))?;
                    let role = int32(r).map_or(-1, i64::from);
                    let len = self.string(role, "relation", id)?;
                    self.add(MEMBER_BYTES + len)?;
                }
                _ => {
                    return Err(format!(
                        "relation {id} has different numbers of member roles, ids and types"
                    ));
                }
            }
        }
        self.tags("relation", id, &keys, &vals)?;
        if let Some(i) = info {
            self.info("relation", id, i)?;
        }
        Ok(())
    }

    fn dense(&mut self, msg: &[u8]) -> Res<()> {
        let (mut ids, mut lats, mut lons, mut kv) = (
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
            Repeated::default(),
        );
        let mut info = None;
        for f in Fields::new(msg) {
            // Memory was counted by `message_memory`.
            match f.map_err(malformed("dense nodes"))? {
                f @ (Field::Bytes(1, _) | Field::Varint(1, _)) => _ = ids.add(f),
                Field::Bytes(5, i) => info = Some(i),
                f @ (Field::Bytes(8, _) | Field::Varint(8, _)) => _ = lats.add(f),
                f @ (Field::Bytes(9, _) | Field::Varint(9, _)) => _ = lons.add(f),
                f @ (Field::Bytes(10, _) | Field::Varint(10, _)) => _ = kv.add(f),
                _ => {}
            }
        }
        let (mut id, mut lat, mut lon) = (0_i64, 0_i64, 0_i64);
        let (mut lat_values, mut lon_values, mut kvs) = (lats.iter(), lons.iter(), kv.iter());
        let mut n = 0_u64;
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
            self.coords.point("dense node", id, lat, lon)?;
            self.add(ELEMENT_BYTES)?;
            // Tags as osmpbf splits `keys_vals`: pairs up to a 0 key (or the end).
            while let Some(k) = kvs.next() {
                let k = dense_index(k)?;
                if k == 0 {
                    break;
                }
                let Some(v) = kvs.next() else { break };
                let v = dense_index(v)?;
                self.tag("dense node", id, k, v)?;
            }
            n += 1;
        }
        if lat_values.next().is_some() || lon_values.next().is_some() {
            return Err("dense nodes have more coordinates than ids".into());
        }
        self.entities += n;
        if let Some(i) = info {
            self.dense_info(i, n)?;
        }
        Ok(())
    }

    /// `DenseInfo`: the running sums osmpbf keeps (timestamp, changeset, uid, user
    /// string) must not overflow, and the users of the `nodes` nodes must exist.
    fn dense_info(&mut self, msg: &[u8], nodes: u64) -> Res<()> {
        let mut arrays: [Repeated<'_>; 5] = Default::default();
        for f in Fields::new(msg) {
            if let f @ (Field::Bytes(n @ 1..=5, _) | Field::Varint(n @ 1..=5, _)) =
                f.map_err(malformed("dense info"))?
            {
                _ = arrays[n as usize - 1].add(f);
            }
        }
        let [versions, timestamps, changesets, uids, users] = &arrays;
        let mut iters = (
            versions.iter(),
            timestamps.iter(),
            changesets.iter(),
            uids.iter(),
            users.iter(),
        );
        let (mut timestamp, mut changeset, mut uid, mut user) = (0_i64, 0_i64, 0_i32, 0_i32);
        let mut i = 0_u64;
        let bad = |what: &str, i: u64| format!("dense info of node {i} in the block: {what}");
        while let (Some(v), Some(t), Some(c), Some(u), Some(s)) = (
            iters.0.next(),
            iters.1.next(),
            iters.2.next(),
            iters.3.next(),
            iters.4.next(),
        ) {
            let m = malformed("dense info");
            int32(v.map_err(&m)?).ok_or_else(|| bad("version overflows", i))?;
            timestamp = timestamp
                .checked_add(unzigzag(t.map_err(&m)?))
                .ok_or_else(|| bad("timestamp overflows", i))?;
            timestamp
                .checked_mul(self.date_granularity)
                .ok_or_else(|| bad("timestamp overflows", i))?;
            changeset = changeset
                .checked_add(unzigzag(c.map_err(&m)?))
                .and_then(delta_coded)
                .ok_or_else(|| bad("changeset overflows or is beyond ±2^62", i))?;
            uid = sint32(u.map_err(&m)?)
                .and_then(|d| uid.checked_add(d))
                .ok_or_else(|| bad("uid overflows", i))?;
            user = sint32(s.map_err(&m)?)
                .and_then(|d| user.checked_add(d))
                .ok_or_else(|| bad("user overflows", i))?;
            if i < nodes {
                let len = self.string(i64::from(user), "dense node user of node", i as i64)?;
                self.add(STRING_BYTES + len)?;
            }
            i += 1;
        }
        Ok(())
    }
}

/// A `keys_vals` entry: an `int32` string index.
fn dense_index(v: Result<u64, Malformed>) -> Res<i64> {
    let v = v.map_err(malformed("dense node tags"))?;
    int32(v)
        .map(i64::from)
        .ok_or_else(|| format!("dense node tag index {} is not a 32-bit integer", v as i64))
}

/// A protobuf `sint32` varint: `None` past 32 bits.
fn sint32(v: u64) -> Option<i32> {
    let v = u32::try_from(v).ok()?;
    Some(((v >> 1) as i32) ^ -((v & 1) as i32))
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
