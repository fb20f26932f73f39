//! String-table builder: each distinct string of a block stored once.

use std::collections::HashMap;

use crate::proto;

/// The strings of one `PrimitiveBlock`, indexed in first-use order.
///
/// Index 0 is reserved for the empty string: dense nodes use 0 as the end of
/// a node's tag list, so no real key may sit there.
#[derive(Debug)]
pub struct StringTable<'a> {
    index: HashMap<&'a str, u32>,
    strings: Vec<&'a str>,
    empty_key: Option<u32>,
}

impl Default for StringTable<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> StringTable<'a> {
    /// A table holding only the reserved empty string.
    #[must_use]
    pub fn new() -> Self {
        let mut index = HashMap::with_capacity(1024);
        index.insert("", 0);
        Self {
            index,
            strings: vec![""],
            empty_key: None,
        }
    }

    /// The index of `s`, adding it on first use.
    pub fn id(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s);
        self.index.insert(s, i);
        i
    }

    /// The index of `s`, never 0: dense-node keys use 0 as the end of a node's tags,
    /// so an empty key gets a second, non-reserved copy of the empty string.
    pub fn key_id(&mut self, s: &'a str) -> u32 {
        if !s.is_empty() {
            return self.id(s);
        }
        if let Some(i) = self.empty_key {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push("");
        self.empty_key = Some(i);
        i
    }

    /// Number of strings, the reserved empty one included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Appends the encoded `StringTable` message (repeated bytes `s = 1`).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        for s in &self.strings {
            proto::put_bytes_field(buf, 1, s.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserves_zero_and_deduplicates() {
        let mut t = StringTable::new();
        assert_eq!(t.id(""), 0);
        assert_eq!(t.id("highway"), 1);
        assert_eq!(t.id("primary"), 2);
        assert_eq!(t.id("highway"), 1);
        assert_eq!(t.len(), 3);
        assert_eq!(t.key_id(""), 3, "an empty key gets a non-zero index");
        let mut buf = Vec::new();
        t.encode(&mut buf);
        assert_eq!(&buf[..2], &[0x0a, 0x00], "first entry is the empty string");
    }
}
