//! The `graph.ch` format, little endian throughout:
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `HEXMXCH\n` |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 2 + n | tool version (length, UTF-8) |
//! | 2 + n | profile name (length, UTF-8) |
//! | 32 | SHA-256 of the input PBF |
//! | 5 × 4 | counts: graph nodes, CH nodes, forward edges, backward edges, targets |
//! | … | forward offsets (CH nodes + 1) and edges (target, ms, metres as f32 bits), same for backward |
//! | … | source CH node per graph node, target offsets (graph nodes + 1), targets |
//! | 4 | CRC-32 of every byte before it |
//!
//! Loading is one read, one checksum pass and one decoding pass; every offset
//! and id is range-checked so that even a file with a valid checksum cannot
//! make a query index out of bounds.

use std::path::Path;

use crate::ch::{ChEdge, ChHeader, ContractionHierarchy};
use crate::{Error, Result};

/// First bytes of every graph.ch.
pub const MAGIC: &[u8; 8] = b"HEXMXCH\n";
/// Version of the layout above; bump on any change. 2: the hierarchy is
/// edge-based (CH nodes are edge states and source nodes; same layout as 1).
pub const FORMAT_VERSION: u32 = 2;

pub(crate) fn save(ch: &ContractionHierarchy, path: &Path) -> Result<()> {
    let h = &ch.header;
    let mut b = Vec::with_capacity(
        64 + 4 * (ch.fwd_first.len() * 2 + ch.source.len() * 2) + 12 * ch.edge_count(),
    );
    b.extend_from_slice(MAGIC);
    put_u32(&mut b, FORMAT_VERSION);
    put_str(&mut b, &h.tool_version);
    put_str(&mut b, &h.profile);
    b.extend_from_slice(&h.input_sha256);
    for count in [
        ch.source.len(),
        ch.node_count(),
        ch.fwd.len(),
        ch.bwd.len(),
        ch.targets.len(),
    ] {
        put_u32(&mut b, count as u32);
    }
    for (first, edges) in [(&ch.fwd_first, &ch.fwd), (&ch.bwd_first, &ch.bwd)] {
        for &x in first {
            put_u32(&mut b, x);
        }
        for e in edges {
            put_u32(&mut b, e.target);
            put_u32(&mut b, e.duration_ms);
            put_u32(&mut b, e.distance_m.to_bits());
        }
    }
    for list in [&ch.source, &ch.targets_first, &ch.targets] {
        for &x in list {
            put_u32(&mut b, x);
        }
    }
    let crc = crc32fast::hash(&b);
    put_u32(&mut b, crc);
    std::fs::write(path, &b).map_err(|e| Error::io(path, e))
}

fn put_u32(b: &mut Vec<u8>, x: u32) {
    b.extend_from_slice(&x.to_le_bytes());
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    let bytes = &s.as_bytes()[..s.len().min(usize::from(u16::MAX))];
    b.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    b.extend_from_slice(bytes);
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn string(&mut self) -> Option<String> {
        let len = self.take(2).map(|s| u16::from_le_bytes([s[0], s[1]]))?;
        self.take(usize::from(len))
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }

    fn u32s(&mut self, n: usize) -> Option<Vec<u32>> {
        let s = self.take(n.checked_mul(4)?)?;
        Some(
            s.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    fn edges(&mut self, n: usize) -> Option<Vec<ChEdge>> {
        let s = self.take(n.checked_mul(12)?)?;
        Some(
            s.chunks_exact(12)
                .map(|c| ChEdge {
                    target: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    duration_ms: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                    distance_m: f32::from_bits(u32::from_le_bytes([c[8], c[9], c[10], c[11]])),
                })
                .collect(),
        )
    }
}

pub(crate) fn load(path: &Path) -> Result<ContractionHierarchy> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |reason: String| Error::BadChFile {
        path: path.to_path_buf(),
        reason,
    };
    let truncated = || {
        bad(format!(
            "truncated graph.ch ({} bytes): rebuild it with `hexmatrix graph`",
            data.len()
        ))
    };
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
        return Err(bad(format!(
            "not a hexmatrix graph.ch file (expected magic {:?})",
            String::from_utf8_lossy(MAGIC).trim_end()
        )));
    }
    let mut c = Cursor {
        data: &data,
        pos: MAGIC.len(),
    };
    let version = c.u32().ok_or_else(truncated)?;
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "graph.ch format version {version}, this hexmatrix reads version {FORMAT_VERSION}: \
             rebuild it with `hexmatrix graph`"
        )));
    }
    let tool_version = c.string().ok_or_else(truncated)?;
    let profile = c.string().ok_or_else(truncated)?;
    let mut input_sha256 = [0u8; 32];
    input_sha256.copy_from_slice(c.take(32).ok_or_else(truncated)?);
    let counts = c.u32s(5).ok_or_else(truncated)?;
    let [graph_nodes, ch_nodes, fwd_n, bwd_n, targets_n] =
        [0, 1, 2, 3, 4].map(|i| counts[i] as usize);
    let expected = c.pos as u64
        + 4 * (2 * (ch_nodes as u64 + 1) + 2 * graph_nodes as u64 + 1 + targets_n as u64)
        + 12 * (fwd_n as u64 + bwd_n as u64)
        + 4;
    if (data.len() as u64) < expected {
        return Err(bad(format!(
            "truncated graph.ch: {} bytes, its header announces {expected}; rebuild it with `hexmatrix graph`",
            data.len()
        )));
    }
    if data.len() as u64 > expected {
        return Err(bad(format!(
            "corrupt graph.ch: {} bytes, its header announces {expected}",
            data.len()
        )));
    }
    let body_end = data.len() - 4;
    let stored = u32::from_le_bytes([
        data[body_end],
        data[body_end + 1],
        data[body_end + 2],
        data[body_end + 3],
    ]);
    let actual = crc32fast::hash(&data[..body_end]);
    if stored != actual {
        return Err(bad(format!(
            "corrupt graph.ch: checksum {actual:08x} does not match the stored {stored:08x}"
        )));
    }
    let fwd_first = c.u32s(ch_nodes + 1).ok_or_else(truncated)?;
    let fwd = c.edges(fwd_n).ok_or_else(truncated)?;
    let bwd_first = c.u32s(ch_nodes + 1).ok_or_else(truncated)?;
    let bwd = c.edges(bwd_n).ok_or_else(truncated)?;
    let source = c.u32s(graph_nodes).ok_or_else(truncated)?;
    let targets_first = c.u32s(graph_nodes + 1).ok_or_else(truncated)?;
    let targets = c.u32s(targets_n).ok_or_else(truncated)?;
    let ch = ContractionHierarchy {
        header: ChHeader {
            tool_version,
            profile,
            input_sha256,
            graph_nodes: graph_nodes as u32,
        },
        fwd_first,
        fwd,
        bwd_first,
        bwd,
        source,
        targets_first,
        targets,
    };
    check_ranges(&ch).map_err(|what| bad(format!("corrupt graph.ch: {what}")))?;
    Ok(ch)
}

fn offsets_ok(first: &[u32], len: usize) -> bool {
    first.first() == Some(&0)
        && first.last().map(|&l| l as usize) == Some(len)
        && first.windows(2).all(|w| w[0] <= w[1])
}

fn check_ranges(ch: &ContractionHierarchy) -> std::result::Result<(), &'static str> {
    let n = ch.node_count() as u32;
    if !offsets_ok(&ch.fwd_first, ch.fwd.len()) || !offsets_ok(&ch.bwd_first, ch.bwd.len()) {
        return Err("edge offsets out of order");
    }
    if !offsets_ok(&ch.targets_first, ch.targets.len())
        || ch.targets_first.windows(2).any(|w| w[0] == w[1])
    {
        return Err("target offsets out of order");
    }
    let edges_ok = ch.fwd.iter().chain(&ch.bwd).all(|e| e.target < n);
    if !edges_ok || ch.source.iter().chain(&ch.targets).any(|&x| x >= n) {
        return Err("node id out of range");
    }
    Ok(())
}
