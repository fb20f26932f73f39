//! `IdSet`: a set of OSM ids whose memory follows the ids stored, not their magnitude.
//!
//! Ids are split into chunks of 65,536 consecutive values. A chunk holds a sorted
//! `u16` array while sparse (2 bytes an id) and switches to an 8 KiB bitmap once
//! it has more than 4,096 ids, so a city's nodes cost a few bytes each whether
//! their ids are near 1 or near 12e9 (planet node ids). Negative ids are stored
//! by magnitude, as osmium's `positive_id` does.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const CHUNK_BITS: u32 = 16;
const ARRAY_MAX: usize = 4096;
const WORDS: usize = (1 << CHUNK_BITS) / 64;

/// Multiplicative hashing of chunk numbers: they are small integers, and `SipHash`
/// would dominate the lookups of the way pass.
#[derive(Debug, Default, Clone, Copy)]
struct ChunkHasher(u64);

impl Hasher for ChunkHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[derive(Debug, Clone)]
enum Container {
    Array(Vec<u16>),
    Bitmap(Box<[u64; WORDS]>),
}

impl Container {
    fn contains(&self, low: u16) -> bool {
        match self {
            Self::Array(v) => v.binary_search(&low).is_ok(),
            Self::Bitmap(b) => b[usize::from(low) / 64] & (1 << (low % 64)) != 0,
        }
    }

    fn insert(&mut self, low: u16) -> bool {
        match self {
            Self::Array(v) => {
                // Ids mostly arrive in increasing order: appending is the common case.
                let pos = match v.last() {
                    Some(&last) if last < low => v.len(),
                    _ => match v.binary_search(&low) {
                        Ok(_) => return false,
                        Err(p) => p,
                    },
                };
                v.insert(pos, low);
                if v.len() > ARRAY_MAX {
                    let mut bits = Box::new([0_u64; WORDS]);
                    for &x in v.iter() {
                        bits[usize::from(x) / 64] |= 1 << (x % 64);
                    }
                    *self = Self::Bitmap(bits);
                }
                true
            }
            Self::Bitmap(b) => {
                let word = &mut b[usize::from(low) / 64];
                let bit = 1 << (low % 64);
                let new = *word & bit == 0;
                *word |= bit;
                new
            }
        }
    }

    /// Whether any id with low part in `lo..=hi` is present.
    fn any_in(&self, lo: u16, hi: u16) -> bool {
        match self {
            Self::Array(v) => {
                let i = v.partition_point(|&x| x < lo);
                v.get(i).is_some_and(|&x| x <= hi)
            }
            Self::Bitmap(_) => (lo..=hi).any(|x| self.contains(x)),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Self::Array(v) => v.capacity() * 2,
            Self::Bitmap(_) => WORDS * 8,
        }
    }
}

/// A set of ids, memory bounded by the number of ids (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct IdSet {
    chunks: HashMap<u64, Container, BuildHasherDefault<ChunkHasher>>,
    len: u64,
}

#[inline]
fn split(id: i64) -> (u64, u16) {
    let id = id.unsigned_abs();
    (id >> CHUNK_BITS, (id & 0xffff) as u16)
}

impl IdSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `id`; true if it was not there yet.
    pub fn insert(&mut self, id: i64) -> bool {
        let (chunk, low) = split(id);
        let new = self
            .chunks
            .entry(chunk)
            .or_insert_with(|| Container::Array(Vec::new()))
            .insert(low);
        self.len += u64::from(new);
        new
    }

    /// Whether `id` is in the set.
    #[inline]
    #[must_use]
    pub fn contains(&self, id: i64) -> bool {
        let (chunk, low) = split(id);
        self.chunks.get(&chunk).is_some_and(|c| c.contains(low))
    }

    /// Whether any id in `lo..=hi` is in the set (by magnitude for negative ids:
    /// a range reaching below zero answers true, so callers never skip wrongly).
    #[must_use]
    pub fn any_in_range(&self, lo: i64, hi: i64) -> bool {
        if lo > hi {
            return false;
        }
        if lo < 0 {
            return !self.is_empty();
        }
        let (c0, l0) = split(lo);
        let (c1, l1) = split(hi);
        if c1 - c0 > self.chunks.len() as u64 {
            // A wide range: walk the set's chunks instead of the range's.
            return self.chunks.iter().any(|(&c, cont)| {
                c >= c0
                    && c <= c1
                    && cont.any_in(
                        if c == c0 { l0 } else { 0 },
                        if c == c1 { l1 } else { u16::MAX },
                    )
            });
        }
        (c0..=c1).any(|c| {
            self.chunks.get(&c).is_some_and(|cont| {
                cont.any_in(
                    if c == c0 { l0 } else { 0 },
                    if c == c1 { l1 } else { u16::MAX },
                )
            })
        })
    }

    /// Number of ids.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Approximate heap bytes used.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.chunks.values().map(Container::bytes).sum::<usize>() + self.chunks.capacity() * 48
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(ids in prop::collection::vec(prop_oneof![0..70_000_i64, 0..13_000_000_000_i64], 0..6000),
                                   probes in prop::collection::vec(0..13_000_000_000_i64, 0..50),
                                   lo in 0..200_000_i64, span in 0..100_000_i64) {
            let mut set = IdSet::new();
            let mut model = BTreeSet::new();
            for &id in &ids {
                prop_assert_eq!(set.insert(id), model.insert(id));
            }
            prop_assert_eq!(set.len(), model.len() as u64);
            for &id in ids.iter().chain(&probes) {
                prop_assert_eq!(set.contains(id), model.contains(&id));
            }
            prop_assert_eq!(set.any_in_range(lo, lo + span), model.range(lo..=lo + span).next().is_some());
        }
    }

    #[test]
    fn dense_chunks_become_bitmaps_and_memory_ignores_magnitude() {
        let mut small = IdSet::new();
        let mut huge = IdSet::new();
        for i in 0..100_000 {
            small.insert(i);
            huge.insert(12_000_000_000 + i);
        }
        assert_eq!(small.len(), 100_000);
        assert!(huge.contains(12_000_000_000 + 99_999));
        assert!(!huge.contains(12_000_000_000 + 100_000));
        assert_eq!(small.heap_bytes(), huge.heap_bytes());
        assert!(
            huge.heap_bytes() < 100_000,
            "{} bytes for 100k dense ids",
            huge.heap_bytes()
        );
        assert!(huge.any_in_range(0, 20_000_000_000));
        assert!(!huge.any_in_range(0, 11_999_999_999));
    }
}
