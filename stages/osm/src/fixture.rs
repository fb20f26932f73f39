//! Test helpers: tiny PBF files built in code, and where the shared real
//! datasets are.

use std::path::{Path, PathBuf};

pub use crate::elements::MemberType;
use crate::elements::{Element, Member, Node, Relation, Tags, Way};
use crate::error::Result;
use crate::writer::{PbfWriter, WriterOptions};

/// Builds a small sorted PBF file from nodes, ways and relations given in any order.
#[derive(Debug, Default, Clone)]
pub struct FixtureBuilder {
    elements: Vec<Element>,
}

fn owned(tags: &[(&str, &str)]) -> Tags {
    tags.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl FixtureBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node at `lat`, `lon` (degrees, stored at 1e-7 precision).
    pub fn node(&mut self, id: i64, lat: f64, lon: f64, tags: &[(&str, &str)]) -> &mut Self {
        self.elements.push(Element::Node(Node {
            id,
            lat: crate::bbox::to_fixed(lat) as i32,
            lon: crate::bbox::to_fixed(lon) as i32,
            tags: owned(tags),
            meta: None,
        }));
        self
    }

    /// Adds a way through `nodes` in order.
    pub fn way(&mut self, id: i64, nodes: &[i64], tags: &[(&str, &str)]) -> &mut Self {
        self.elements.push(Element::Way(Way {
            id,
            refs: nodes.to_vec(),
            tags: owned(tags),
            meta: None,
        }));
        self
    }

    /// Adds a relation with `(type, id, role)` members in order.
    pub fn relation(
        &mut self,
        id: i64,
        members: &[(MemberType, i64, &str)],
        tags: &[(&str, &str)],
    ) -> &mut Self {
        self.elements.push(Element::Relation(Relation {
            id,
            members: members
                .iter()
                .map(|(kind, id, role)| Member {
                    kind: *kind,
                    id: *id,
                    role: (*role).to_owned(),
                })
                .collect(),
            tags: owned(tags),
            meta: None,
        }));
        self
    }

    /// Writes the entities sorted by type then id with the project's writer.
    /// A later entity with the same type and id replaces the earlier one.
    ///
    /// # Errors
    /// [`crate::Error::Write`] naming `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut sorted: Vec<&Element> = self.elements.iter().rev().collect();
        // Stable sort of the reversed list keeps the last definition first.
        sorted.sort_by_key(|e| (e.kind(), e.id()));
        sorted.dedup_by_key(|e| (e.kind(), e.id()));
        let mut writer = PbfWriter::create(path, &WriterOptions::default())?;
        for e in sorted {
            writer.write(e.clone())?;
        }
        writer.finish()?;
        Ok(())
    }
}

/// A `PrimitiveBlock` written field by field, for data the writer refuses to
/// produce (unknown member types, unpacked fields, huge granularity, …).
#[derive(Debug, Clone)]
pub struct RawBlock {
    strings: Vec<Vec<u8>>,
    fields: Vec<u8>,
}

impl Default for RawBlock {
    fn default() -> Self {
        Self::new()
    }
}

impl RawBlock {
    /// An empty block whose string table holds the customary empty string 0.
    #[must_use]
    pub fn new() -> Self {
        Self {
            strings: vec![Vec::new()],
            fields: Vec::new(),
        }
    }

    /// Adds a string to the table; its index.
    pub fn string(&mut self, s: &[u8]) -> u64 {
        self.strings.push(s.to_vec());
        self.strings.len() as u64 - 1
    }

    /// Appends an encoded `PrimitiveGroup` (field 2).
    pub fn group(&mut self, group: &[u8]) -> &mut Self {
        crate::proto::put_bytes_field(&mut self.fields, 2, group);
        self
    }

    /// Appends a varint field of the block itself, e.g. 17 (granularity).
    pub fn varint(&mut self, field: u32, value: u64) -> &mut Self {
        crate::proto::put_uint_field(&mut self.fields, field, value);
        self
    }

    /// The encoded block: the string table, then the fields in the order given.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut table = Vec::new();
        for s in &self.strings {
            crate::proto::put_bytes_field(&mut table, 1, s);
        }
        let mut out = Vec::with_capacity(table.len() + self.fields.len() + 8);
        crate::proto::put_bytes_field(&mut out, 1, &table);
        out.extend_from_slice(&self.fields);
        out
    }
}

/// A group holding one `DenseNodes` of `(id, lat, lon)` in stored units (1e-7
/// degrees at the default granularity), without tags.
#[must_use]
pub fn dense_group(nodes: &[(i64, i64, i64)]) -> Vec<u8> {
    let mut dense = Vec::new();
    let mut scratch = Vec::new();
    crate::proto::put_packed_delta(&mut dense, 1, nodes.iter().map(|n| n.0), &mut scratch);
    crate::proto::put_packed_delta(&mut dense, 8, nodes.iter().map(|n| n.1), &mut scratch);
    crate::proto::put_packed_delta(&mut dense, 9, nodes.iter().map(|n| n.2), &mut scratch);
    let mut group = Vec::new();
    crate::proto::put_bytes_field(&mut group, 2, &dense);
    group
}

/// Writes a PBF file: our usual header, then each block zlib-compressed in its blob.
///
/// # Errors
/// [`crate::Error::Write`] naming `path`.
pub fn write_raw_blocks(path: &Path, blocks: &[Vec<u8>]) -> Result<()> {
    use crate::blob::{BlobKind, compress, write_frame};
    let level = flate2::Compression::fast();
    let mut out = Vec::new();
    let header = crate::header::encode_header(None, "hexmatrix fixture", false);
    write_frame(&mut out, BlobKind::Header, &compress(&header, level))
        .map_err(|e| crate::Error::io(path, e))?;
    for block in blocks {
        write_frame(&mut out, BlobKind::Data, &compress(block, level))
            .map_err(|e| crate::Error::io(path, e))?;
    }
    std::fs::write(path, out).map_err(|e| crate::Error::write(path, e))
}

/// The directory holding the shared OSM extracts (`../shared/datasets` beside the
/// checkout), overridable with `HEXMATRIX_DATASETS`.
#[must_use]
pub fn datasets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HEXMATRIX_DATASETS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")
}

/// Path of a shared dataset file such as `malta-latest.osm.pbf`.
///
/// Returns `None` (after saying so on stderr) when it is missing on a developer
/// machine; under `CI=true` a missing dataset panics, so CI never skips silently.
#[must_use]
pub fn shared_dataset(file: &str) -> Option<PathBuf> {
    let path = datasets_dir().join(file);
    if path.is_file() {
        return Some(path);
    }
    let msg = format!(
        "shared dataset {} is missing (set HEXMATRIX_DATASETS to the datasets directory)",
        path.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    #[expect(clippy::print_stderr, reason = "tests must say what they skipped")]
    {
        eprintln!("SKIPPED: {msg}");
    }
    None
}

/// Crops `input` to `bbox` with `osmium extract --strategy complete_ways` into
/// `output`: the independent oracle (and the crop other stages' tests start from).
///
/// # Panics
/// When osmium is missing or fails: a test cannot go on without it.
pub fn osmium_extract(input: &Path, bbox: &str, output: &Path) {
    let out = std::process::Command::new("osmium")
        .args([
            "extract",
            "-s",
            "complete_ways",
            "-b",
            bbox,
            "--overwrite",
            "-o",
        ])
        .arg(output)
        .arg(input)
        .output()
        .unwrap_or_else(|e| panic!("osmium is needed (apt-get install osmium-tool): {e}"));
    assert!(
        out.status.success(),
        "osmium extract {} {bbox}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A shared dataset cropped to `bbox` by osmium into `dir`; `None` when the dataset
/// is missing on a developer machine (see [`shared_dataset`]).
#[must_use]
pub fn osmium_crop(dataset: &str, bbox: &str, dir: &Path) -> Option<PathBuf> {
    let src = shared_dataset(dataset)?;
    let out = dir.join(format!("{dataset}-crop.osm.pbf"));
    osmium_extract(&src, bbox, &out);
    Some(out)
}
