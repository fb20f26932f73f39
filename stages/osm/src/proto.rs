//! Protocol Buffers wire format, by hand: the few encodings PBF files use.
//!
//! PBF messages are small and fixed (`fileformat.proto`, `osmformat.proto`), so
//! a generated-code dependency buys little. Encoding appends to a `Vec<u8>`;
//! decoding walks a byte slice and reports malformed input as `None`/`Err`
//! for the caller to wrap with the file and blob it came from.

/// Wire type of a varint field.
pub const VARINT: u8 = 0;
/// Wire type of a length-delimited field (bytes, strings, messages, packed arrays).
pub const LEN: u8 = 2;

/// Appends `v` as a base-128 varint.
#[inline]
pub fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// ZigZag-maps a signed value so small magnitudes get short varints (`sint64`).
#[inline]
#[must_use]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
#[must_use]
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends a field key (field number and wire type).
#[inline]
pub fn put_key(buf: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(buf, (u64::from(field) << 3) | u64::from(wire));
}

/// Appends a varint field holding a plain (`int32`/`int64`/`uint32`/`bool`) value.
/// Negative `int32`/`int64` values take ten bytes, as the format says.
#[inline]
pub fn put_uint_field(buf: &mut Vec<u8>, field: u32, v: u64) {
    put_key(buf, field, VARINT);
    put_varint(buf, v);
}

/// Appends a varint field holding a `sint64`/`sint32` value.
#[inline]
pub fn put_sint_field(buf: &mut Vec<u8>, field: u32, v: i64) {
    put_uint_field(buf, field, zigzag(v));
}

/// Appends a length-delimited field.
#[inline]
pub fn put_bytes_field(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(buf, field, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Appends a packed repeated field of plain varints; nothing when empty.
pub fn put_packed_uint<I: IntoIterator<Item = u64>>(
    buf: &mut Vec<u8>,
    field: u32,
    values: I,
    scratch: &mut Vec<u8>,
) {
    scratch.clear();
    for v in values {
        put_varint(scratch, v);
    }
    if !scratch.is_empty() {
        put_bytes_field(buf, field, scratch);
    }
}

/// Appends a packed repeated `sint64` field of deltas between successive values;
/// nothing when empty.
pub fn put_packed_delta<I: IntoIterator<Item = i64>>(
    buf: &mut Vec<u8>,
    field: u32,
    values: I,
    scratch: &mut Vec<u8>,
) {
    scratch.clear();
    let mut last = 0_i64;
    for v in values {
        put_varint(scratch, zigzag(v.wrapping_sub(last)));
        last = v;
    }
    if !scratch.is_empty() {
        put_bytes_field(buf, field, scratch);
    }
}

/// A field read from a message: its number and its value.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    /// A varint.
    Varint(u32, u64),
    /// A length-delimited payload.
    Bytes(u32, &'a [u8]),
    /// A fixed-width (32- or 64-bit) number widened to u64. No PBF field has
    /// this wire type: readers treat it as an unknown field, as osmpbf does.
    Fixed(u32, u64),
}

/// Iterates over the fields of one message; yields `Err` once on malformed input.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

/// Why a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl<'a> Fields<'a> {
    /// Fields of the message in `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            failed: false,
        }
    }
}

/// Reads a varint at `*pos`, advancing it; `None` if the buffer ends or it is too long.
#[inline]
#[must_use]
pub fn get_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    // Delta-coded ids and coordinates are mostly one byte: keep that path short.
    let byte = *buf.get(*pos)?;
    if byte < 0x80 {
        *pos += 1;
        return Some(u64::from(byte));
    }
    get_varint_long(buf, pos)
}

#[inline(never)]
fn get_varint_long(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut result = 0_u64;
    let mut shift = 0;
    loop {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        result |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(result);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let item = self.read_field();
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

impl<'a> Fields<'a> {
    fn read_field(&mut self) -> Result<Field<'a>, Malformed> {
        let key = get_varint(self.buf, &mut self.pos).ok_or(Malformed("bad field key"))?;
        let field = (key >> 3) as u32;
        match (key & 7) as u8 {
            VARINT => {
                let v = get_varint(self.buf, &mut self.pos).ok_or(Malformed("bad varint"))?;
                Ok(Field::Varint(field, v))
            }
            LEN => {
                let len = get_varint(self.buf, &mut self.pos).ok_or(Malformed("bad length"))?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| self.pos.checked_add(l))
                    .filter(|&e| e <= self.buf.len())
                    .ok_or(Malformed("length runs past the end of the message"))?;
                let bytes = &self.buf[self.pos..end];
                self.pos = end;
                Ok(Field::Bytes(field, bytes))
            }
            1 => self.fixed(8, field),
            5 => self.fixed(4, field),
            _ => Err(Malformed("unknown wire type")),
        }
    }

    fn fixed(&mut self, width: usize, field: u32) -> Result<Field<'a>, Malformed> {
        let bytes = self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.get(..width))
            .ok_or(Malformed("truncated fixed field"))?;
        let end = self.pos + width;
        self.pos = end;
        let mut v = 0_u64;
        for (i, b) in bytes.iter().enumerate() {
            v |= u64::from(*b) << (8 * i);
        }
        Ok(Field::Fixed(field, v))
    }
}

/// Iterates over a packed array of varints.
#[derive(Debug, Clone)]
pub struct Packed<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Packed<'a> {
    /// The varints packed in `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
}

impl Iterator for Packed<'_> {
    type Item = Result<u64, Malformed>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        Some(get_varint(self.buf, &mut self.pos).ok_or(Malformed("bad packed varint")))
    }
}

/// One occurrence of a repeated varint field: a packed run or a single value.
#[derive(Debug, Clone, Copy)]
enum Part<'a> {
    Packed(&'a [u8]),
    One(u64),
}

/// The values of one repeated varint field, gathered across its message the way
/// protobuf readers (rust-protobuf, hence osmpbf) gather them: packed runs and
/// unpacked single values alike, every occurrence, in wire order.
///
/// A field written once, packed (what every writer does), costs no allocation.
#[derive(Debug, Clone, Default)]
pub struct Repeated<'a> {
    first: Option<Part<'a>>,
    rest: Vec<Part<'a>>,
}

impl<'a> Repeated<'a> {
    /// Adds an occurrence of the field: `Bytes` is a packed run, `Varint` one
    /// value. Any other wire type is an unknown field to protobuf readers: `false`.
    pub fn add(&mut self, field: Field<'a>) -> bool {
        let part = match field {
            Field::Bytes(_, b) => Part::Packed(b),
            Field::Varint(_, v) => Part::One(v),
            Field::Fixed(..) => return false,
        };
        if self.first.is_none() {
            self.first = Some(part);
        } else {
            self.rest.push(part);
        }
        true
    }

    /// Whether the field never occurred.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Bytes of packed payload plus unpacked values, a bound on what decoding costs.
    #[must_use]
    pub fn wire_len(&self) -> u64 {
        self.first
            .iter()
            .chain(&self.rest)
            .map(|p| match p {
                Part::Packed(b) => b.len() as u64,
                Part::One(_) => 1,
            })
            .sum()
    }

    /// The values in wire order; a malformed packed run yields one `Err` and ends.
    #[must_use]
    pub fn iter(&self) -> RepeatedIter<'_, 'a> {
        RepeatedIter {
            parts: self.first.iter().chain(self.rest.iter()),
            packed: Packed::new(&[]),
            failed: false,
        }
    }

    /// Number of values, or the first malformed run.
    ///
    /// # Errors
    /// [`Malformed`] when a packed run ends inside a varint.
    pub fn count(&self) -> Result<u64, Malformed> {
        let mut n = 0;
        for v in self {
            v?;
            n += 1;
        }
        Ok(n)
    }
}

impl<'r, 'a> IntoIterator for &'r Repeated<'a> {
    type Item = Result<u64, Malformed>;
    type IntoIter = RepeatedIter<'r, 'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the values of a [`Repeated`].
#[derive(Debug, Clone)]
pub struct RepeatedIter<'r, 'a> {
    parts: std::iter::Chain<std::option::Iter<'r, Part<'a>>, std::slice::Iter<'r, Part<'a>>>,
    packed: Packed<'a>,
    failed: bool,
}

impl Iterator for RepeatedIter<'_, '_> {
    type Item = Result<u64, Malformed>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(v) = self.packed.next() {
                self.failed = v.is_err();
                return Some(v);
            }
            match *self.parts.next()? {
                Part::Packed(b) => self.packed = Packed::new(b),
                Part::One(v) => return Some(Ok(v)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_round_trip(v in any::<u64>(), s in any::<i64>()) {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            put_varint(&mut buf, zigzag(s));
            let mut pos = 0;
            prop_assert_eq!(get_varint(&buf, &mut pos), Some(v));
            prop_assert_eq!(get_varint(&buf, &mut pos).map(unzigzag), Some(s));
            prop_assert_eq!(pos, buf.len());
        }
    }

    #[test]
    fn fields_and_packed_round_trip() {
        let mut msg = Vec::new();
        let mut scratch = Vec::new();
        put_uint_field(&mut msg, 1, 150);
        put_bytes_field(&mut msg, 2, b"abc");
        put_packed_delta(&mut msg, 8, [5, 3, 10], &mut scratch);
        let fields: Vec<Field<'_>> = Fields::new(&msg).collect::<Result<_, _>>().unwrap();
        assert!(matches!(fields[0], Field::Varint(1, 150)));
        assert!(matches!(fields[1], Field::Bytes(2, b"abc")));
        let Field::Bytes(8, packed) = fields[2] else {
            panic!("packed field missing")
        };
        let deltas: Vec<i64> = Packed::new(packed).map(|v| unzigzag(v.unwrap())).collect();
        assert_eq!(deltas, [5, -2, 7]);
        // A length that runs past the end is malformed, not a panic.
        assert!(Fields::new(&[0x12, 0x05, b'a']).next().unwrap().is_err());
        assert_eq!(zigzag(-1), 1);
        assert_eq!(unzigzag(3), -2);
    }

    #[test]
    fn repeated_gathers_packed_and_unpacked_occurrences_in_order() {
        let mut msg = Vec::new();
        let mut scratch = Vec::new();
        put_packed_uint(&mut msg, 10, [1, 2], &mut scratch);
        put_uint_field(&mut msg, 10, 300);
        put_uint_field(&mut msg, 11, 7);
        put_packed_uint(&mut msg, 10, [4], &mut scratch);
        let mut r = Repeated::default();
        for f in Fields::new(&msg) {
            let f = f.unwrap();
            if matches!(f, Field::Varint(10, _) | Field::Bytes(10, _)) {
                assert!(r.add(f));
            }
        }
        let values: Vec<u64> = r.iter().map(Result::unwrap).collect();
        assert_eq!(values, [1, 2, 300, 4]);
        assert_eq!(r.count(), Ok(4));
        let mut bad = Repeated::default();
        bad.add(Field::Bytes(10, &[0x80]));
        bad.add(Field::Varint(10, 1));
        assert_eq!(bad.iter().count(), 1, "a malformed run ends the values");
        assert!(bad.count().is_err());
        assert!(!bad.add(Field::Fixed(10, 1)));
    }
}
