//! PBF inputs: seeds from the shared extracts (small crops made with our own
//! crop, their decompressed blocks), and the two PBF mutators: one that
//! decompresses a block, mutates its fields and recompresses it, and one that
//! damages the framing (lengths, blob headers, compression fields).

use std::path::Path;

use flate2::Compression;
use hexmatrix_osm::fixture::{FixtureBuilder, MemberType as M};
use hexmatrix_osm::raw::put_varint;
use hexmatrix_osm::raw::{BlobFrames, BlobKind, compress, decompress};
use hexmatrix_osm::{Bbox, CropCounters, crop};

use crate::havoc::havoc;
use crate::protobuf::{Kind, Message, Value, mutate};
use crate::rng::Rng;

/// Shared extracts and the box around each one's city centre used for seed crops
/// (the centres of the bboxes the datasets' README suggests).
pub const EXTRACTS: [(&str, f64, f64); 12] = [
    ("malta-latest.osm.pbf", 14.495, 35.89),
    ("heidelberg.osm.pbf", 8.685, 49.40),
    ("monaco.osm.pbf", 7.4245, 43.7375),
    ("andorra-latest.osm.pbf", 1.5325, 42.5075),
    ("liechtenstein-latest.osm.pbf", 9.52, 47.145),
    ("rhein-neckar-highways.osm.pbf", 8.485, 49.485),
    ("porto-center.osm.pbf", -8.6075, 41.1404),
    ("munich-center.osm.pbf", 11.5759, 48.1374),
    ("london-center.osm.pbf", -0.1037, 51.517),
    ("north-bayreuth.osm.pbf", 11.543, 50.0095),
    ("helsinki-center.osm.pbf", 24.9443, 60.1716),
    ("baltimore.osm.pbf", -76.5684, 39.2825),
];

/// Half the side of a seed crop, in degrees (a few hundred metres).
const SEED_HALF_SIDE: f64 = 0.003;

/// Seed inputs for the PBF targets.
#[derive(Debug, Clone, Default)]
pub struct PbfSeeds {
    /// Whole small files: crops of the shared extracts and a hand-made fixture.
    pub files: Vec<Vec<u8>>,
    /// Their decompressed data blocks, and one full-size block per extract.
    pub blocks: Vec<Vec<u8>>,
    /// The blocks parsed, for splicing fields between blocks.
    pub trees: Vec<Message>,
}

/// Builds the seeds in `dir` from the first `extracts` shared extracts (fewer
/// when some are missing on a developer machine; see
/// [`hexmatrix_osm::fixture::shared_dataset`]).
///
/// # Panics
/// When our own crop or writer fails on real data: the harness cannot start.
#[must_use]
pub fn seeds(dir: &Path, extracts: usize) -> PbfSeeds {
    let mut s = PbfSeeds::default();
    let fixture = dir.join("fixture.osm.pbf");
    fixture_file(&fixture);
    s.files
        .push(std::fs::read(&fixture).expect("fixture written"));
    for (name, lon, lat) in EXTRACTS.iter().take(extracts) {
        let Some(input) = hexmatrix_osm::fixture::shared_dataset(name) else {
            continue;
        };
        let bbox = Bbox::new(
            lon - SEED_HALF_SIDE,
            lat - SEED_HALF_SIDE,
            lon + SEED_HALF_SIDE,
            lat + SEED_HALF_SIDE,
        )
        .expect("seed bbox");
        let out = dir.join(format!("seed-{name}"));
        crop(&input, &bbox, &out, &CropCounters::default()).expect("seed crop of a shared extract");
        s.files
            .push(std::fs::read(&out).expect("seed crop written"));
        // One full-size block of the extract: its first data block.
        let bytes = std::fs::read(&input).expect("shared extract");
        if let Some(raw) = data_blocks(&bytes).into_iter().next() {
            s.blocks.push(raw);
        }
    }
    for file in &s.files {
        s.blocks.extend(data_blocks(file));
    }
    s.trees = s
        .blocks
        .iter()
        .filter_map(|b| Message::parse(b, Kind::Block))
        .collect();
    s
}

/// A fixture with what real extracts lack: metadata with user names, all three
/// member types, history flags off, tags everywhere.
fn fixture_file(path: &Path) {
    let mut b = FixtureBuilder::new();
    for i in 0..40 {
        let (lat, lon) = (35.9 + f64::from(i) * 1e-4, 14.5 + f64::from(i % 7) * 1e-4);
        b.node(
            i64::from(i) + 1,
            lat,
            lon,
            &[("name", "n"), ("barrier", "gate")],
        );
    }
    b.way(
        100,
        &[1, 2, 3, 4, 5],
        &[("highway", "residential"), ("maxspeed", "30")],
    )
    .way(
        101,
        &[5, 6, 7],
        &[("highway", "primary"), ("oneway", "yes")],
    )
    .way(
        102,
        &[7, 8, 1],
        &[("route", "ferry"), ("duration", "00:20")],
    )
    .relation(
        200,
        &[
            (M::Way, 100, "from"),
            (M::Node, 5, "via"),
            (M::Way, 101, "to"),
        ],
        &[("type", "restriction"), ("restriction", "no_left_turn")],
    )
    .relation(
        201,
        &[(M::Relation, 200, ""), (M::Node, 9, "x")],
        &[("type", "route")],
    );
    b.write(path).expect("fixture");
}

/// The decompressed data blocks of a PBF file (those that frame and inflate).
#[must_use]
pub fn data_blocks(file: &[u8]) -> Vec<Vec<u8>> {
    BlobFrames::new(file, Path::new("seed"))
        .map_while(Result::ok)
        .filter(|b| b.kind == BlobKind::Data)
        .filter_map(|b| decompress(b.data()).ok())
        .collect()
}

/// The frames of a PBF file: `(kind, Blob message)`; `None` when it does not frame.
#[must_use]
pub fn split(file: &[u8]) -> Option<Vec<(BlobKind, Vec<u8>)>> {
    BlobFrames::new(file, Path::new("seed"))
        .map(|b| b.ok().map(|b| (b.kind, b.data().to_vec())))
        .collect()
}

/// Frames joined back into a file.
#[must_use]
pub fn join(frames: &[(BlobKind, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (kind, blob) in frames {
        hexmatrix_osm::raw::write_frame(&mut out, *kind, blob).expect("writing to memory");
    }
    out
}

/// A `Blob` message for `raw`: zlib (fast) most of the time, sometimes stored raw.
fn blob_for(rng: &mut Rng, raw: &[u8]) -> Vec<u8> {
    if rng.one_in(5) {
        let mut blob = Vec::with_capacity(raw.len() + 8);
        hexmatrix_osm::raw::put_bytes_field(&mut blob, 1, raw);
        blob
    } else {
        compress(raw, Compression::fast())
    }
}

/// Mutates a PBF file through its blocks: decompress one to three of them,
/// mutate their fields ([`mutate`]), recompress; sometimes drop, repeat or swap
/// frames, mutate the header block, or damage the bytes.
#[must_use]
pub fn mutate_file(rng: &mut Rng, seed: &[u8], donors: &[Message]) -> Vec<u8> {
    let Some(mut frames) = split(seed) else {
        let mut out = seed.to_vec();
        havoc(rng, &mut out, &[]);
        return out;
    };
    let data: Vec<usize> = (0..frames.len())
        .filter(|&i| frames[i].0 == BlobKind::Data)
        .collect();
    if !data.is_empty() {
        for _ in 0..=rng.below(2) {
            let j = *rng.pick(&data);
            let Ok(raw) = decompress(&frames[j].1) else {
                continue;
            };
            let Some(mut tree) = Message::parse(&raw, Kind::Block) else {
                continue;
            };
            let n = 1 + rng.below(4);
            mutate(rng, &mut tree, Kind::Block, donors, n);
            let mut bytes = tree.encode();
            if rng.one_in(12) {
                havoc(rng, &mut bytes, &raw);
            }
            frames[j].1 = blob_for(rng, &bytes);
        }
    }
    if rng.one_in(8) && frames.len() > 1 {
        let i = 1 + rng.below(frames.len() - 1);
        match rng.below(4) {
            0 => {
                frames.remove(i);
            }
            1 => {
                let f = frames[i].clone();
                frames.insert(i, f);
            }
            2 => {
                let j = 1 + rng.below(frames.len() - 1);
                frames.swap(i, j);
            }
            _ => mutate_header(rng, &mut frames[0].1),
        }
    }
    let mut out = join(&frames);
    if rng.one_in(16) {
        havoc(rng, &mut out, seed);
    }
    out
}

fn mutate_header(rng: &mut Rng, blob: &mut Vec<u8>) {
    let Ok(raw) = decompress(blob) else { return };
    let Some(mut tree) = Message::parse(&raw, Kind::Header) else {
        return;
    };
    if rng.one_in(2) {
        let feature = *rng.pick(&[
            &b"LocationsOnWays"[..],
            b"HistoricalInformation",
            b"DenseNodes",
            b"\xff",
            b"",
        ]);
        tree.fields.push((4, Value::Bytes(feature.to_vec())));
    } else {
        let n = 1 + rng.below(3);
        mutate(rng, &mut tree, Kind::Header, &[], n);
    }
    *blob = blob_for(rng, &tree.encode());
}

/// Mutates a PBF file through its framing: length prefixes, `BlobHeader` type
/// and data size, `Blob` compression fields and sizes, frame order, bytes.
#[must_use]
pub fn mutate_framing(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let Some(frames) = split(seed) else {
        let mut out = seed.to_vec();
        havoc(rng, &mut out, &[]);
        return out;
    };
    let mut out = Vec::with_capacity(seed.len() + 64);
    let damaged = rng.below(frames.len().max(1));
    for (i, (kind, blob)) in frames.iter().enumerate() {
        let type_name: &[u8] = match kind {
            BlobKind::Header => b"OSMHeader",
            BlobKind::Data | BlobKind::Unknown => b"OSMData",
        };
        if i != damaged {
            hexmatrix_osm::raw::write_frame(&mut out, *kind, blob).expect("writing to memory");
            continue;
        }
        let mut blob = Message::parse(blob, Kind::Blob).unwrap_or_default();
        let mut header = Message {
            fields: vec![(1, Value::Bytes(type_name.to_vec()))],
        };
        let mut datasize = None;
        let mut prefix = None;
        match rng.below(8) {
            0 => datasize = Some(rng.interesting()),
            1 => {
                let name = *rng.pick(&[&b"OSMData"[..], b"OSMHeader", b"", b"OSMdata", b"\xff"]);
                header.fields[0].1 = Value::Bytes(name.to_vec());
            }
            2 => prefix = Some(rng.interesting() as u32),
            3 => header
                .fields
                .push((2, Value::Bytes(vec![0; rng.below(64)]))),
            4 => {
                // raw_size: the size zlib must inflate to.
                for (n, v) in &mut blob.fields {
                    if *n == 2 {
                        *v = Value::Varint(rng.interesting());
                    }
                }
            }
            5 => {
                // Another data field of the oneof, before or after the real one.
                let n = *rng.pick(&[1_u32, 3, 4, 5, 6, 7]);
                let at = rng.below(blob.fields.len() + 1);
                blob.fields
                    .insert(at, (n, Value::Bytes(vec![0x78, 0x9c, 1, 2, 3])));
            }
            6 => {
                // Damage the compressed bytes themselves.
                for (n, v) in &mut blob.fields {
                    if let (3, Value::Bytes(z)) = (*n, v) {
                        havoc(rng, z, &[]);
                    }
                }
            }
            _ => mutate(rng, &mut blob, Kind::Blob, &[], 1),
        }
        let blob = blob.encode();
        header
            .fields
            .push((3, Value::Varint(datasize.unwrap_or(blob.len() as u64))));
        let header = header.encode();
        let len = prefix.unwrap_or(header.len() as u32);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&blob);
    }
    if rng.one_in(4) {
        havoc(rng, &mut out, seed);
    }
    if rng.one_in(8) {
        // A varint-prefixed tail: a frame cut after its length.
        let mut tail = Vec::new();
        put_varint(&mut tail, rng.interesting());
        out.extend_from_slice(&tail[..rng.below(tail.len() + 1)]);
    }
    out
}
