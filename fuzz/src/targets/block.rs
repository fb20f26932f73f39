//! `block-decode`: decompressed `PrimitiveBlock`s with mutated fields, through
//! the block check, osmpbf and our conversion, and through the crop's scanner.
//! When both accept a block they must see the same entities (the two passes of
//! a crop read it once each), and the check's size estimate must bound what
//! decoding really allocates.

use std::path::Path;

use hexmatrix_osm::CheckedBlock;
use hexmatrix_osm::raw::block_elements;
use hexmatrix_osm::raw::{BlobKind, RawBlob};
use hexmatrix_osm::raw::{BlockScan, scan_block};
use hexmatrix_osm::{Element, MemberType};

use crate::alloc;
use crate::engine::Target;
use crate::havoc::havoc;
use crate::protobuf::{Kind, Message, mutate};
use crate::rng::Rng;
use crate::targets::Setup;

/// Every coordinate an `i32` can hold: every decoded node is inside.
const EVERYWHERE: (i64, i64, i64, i64) = (
    i32::MIN as i64,
    i32::MIN as i64,
    i32::MAX as i64,
    i32::MAX as i64,
);

/// Slack of the size estimate for tiny blocks (allocator and vector rounding).
const ESTIMATE_SLACK: usize = 1 << 20;

/// The block target.
#[derive(Debug)]
pub struct BlockDecode {
    trees: Vec<Message>,
    blocks: Vec<Vec<u8>>,
}

impl BlockDecode {
    /// With the blocks of the PBF seeds of `setup`.
    #[must_use]
    pub fn new(setup: &Setup) -> Self {
        let seeds = setup.pbf();
        Self {
            trees: seeds.trees.clone(),
            blocks: seeds.blocks.clone(),
        }
    }
}

impl Target for BlockDecode {
    fn name(&self) -> &'static str {
        "block-decode"
    }

    fn about(&self) -> &'static str {
        "PrimitiveBlocks with mutated fields -> check_block, osmpbf, conversion; scan_block must agree"
    }

    fn generate(&mut self, rng: &mut Rng) -> Vec<u8> {
        let mut tree = rng.pick(&self.trees).clone();
        let n = 1 + rng.below(6);
        mutate(rng, &mut tree, Kind::Block, &self.trees, n);
        let mut bytes = tree.encode();
        if rng.one_in(10) {
            let other = rng.pick(&self.blocks).clone();
            havoc(rng, &mut bytes, &other);
        }
        bytes
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        let path = Path::new("fuzz.osm.pbf");
        let blob = RawBlob {
            number: 1,
            offset: 0,
            kind: BlobKind::Data,
            frame: Vec::new(),
            data_start: 0,
        };
        let before = alloc::current();
        alloc::reset_peak();
        let block = CheckedBlock::new(input.to_vec())?;
        let elements = block_elements(path, &blob, &block).map_err(|e| e.to_string())?;
        let held = alloc::peak().saturating_sub(before);
        let estimate = usize::try_from(block.check().decoded_bytes).unwrap_or(usize::MAX);
        assert!(
            held <= estimate.saturating_add(ESTIMATE_SLACK),
            "decoding held {held} bytes, the check estimated {estimate}"
        );
        let scan = scan_block(input, EVERYWHERE)?;
        agree(&scan, &elements);
        Ok(())
    }
}

/// The scanner and the full decode see the same entities.
fn agree(scan: &BlockScan, elements: &[Element]) {
    let mut nodes = Vec::new();
    let mut ways = Vec::new();
    let mut relations = Vec::new();
    let mut extent: Option<(i64, i64, i64, i64)> = None;
    for e in elements {
        match e {
            Element::Node(n) => {
                nodes.push(n.id);
                let (x, y) = (i64::from(n.lon), i64::from(n.lat));
                extent = Some(extent.map_or((x, y, x, y), |b| {
                    (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y))
                }));
            }
            Element::Way(w) => ways.push((w.id, w.refs.clone())),
            Element::Relation(r) => relations.push((
                r.id,
                r.members.iter().map(|m| (m.kind, m.id)).collect::<Vec<_>>(),
            )),
        }
    }
    assert_eq!(scan.inside, nodes, "node ids: scanner vs osmpbf");
    assert_eq!(scan.extent, extent, "node extent: scanner vs osmpbf");
    let scanned_ways: Vec<(i64, Vec<i64>)> = scan
        .ways
        .iter()
        .map(|(id, refs)| (id, refs.to_vec()))
        .collect();
    assert_eq!(scanned_ways, ways, "ways: scanner vs osmpbf");
    let scanned_relations: Vec<(i64, Vec<(MemberType, i64)>)> = scan
        .relations
        .iter()
        .map(|r| (r.id, r.members.clone()))
        .collect();
    assert_eq!(scanned_relations, relations, "relations: scanner vs osmpbf");
    assert_eq!(scan.entities, elements.len() as u64, "entity count");
}
