//! OpenStreetMap PBF input and output for hexmatrix, and the `crop` stage.
//!
//! hexmatrix starts from a Geofabrik region extract (`.osm.pbf`, hundreds of MB
//! for a country) and needs only one city of it. This crate cuts the region to
//! a bounding box with exactly the semantics of
//! `osmium extract --strategy complete_ways --bbox B`.
//!
//! **Inputs**: a PBF file sorted by type then id, and a [`Bbox`].
//!
//! **Outputs**: a PBF file that osmium and osmpbf read, with the bbox in its
//! header, holding every node inside the bbox, every way with at least one
//! node inside it together with all of that way's nodes, and every relation
//! with a member in the output. Ids, tags, coordinates and metadata are kept.
//!
//! Principal types: [`Bbox`] (validated bounding box), the stage entry point
//! [`run`] with its [`CropOptions`] and [`CropSummary`] (and [`crop()`] with
//! [`CropCounters`] for callers without a [`hexmatrix_contract::Context`]),
//! [`PbfWriter`] (sorted PBF output, hand-written protobuf and zlib framing),
//! [`PbfReader`] (ordered parallel decode over osmpbf, errors located by file, blob
//! number and byte offset), [`OrderCheck`] (the one sort-order policy, which the
//! graph stage reads through too), [`IdSet`] (id set whose memory does not depend
//! on id magnitude).
//!
//! How the crop runs: a first pass reads every block with a scanner that decodes
//! only ids, coordinates, way refs and relation members; a second pass decodes in
//! full, with osmpbf, only the blocks holding something kept, and writes a
//! temporary file that is renamed to the output. osmpbf trusts its input, so every
//! block passes a bounds check first (as a [`CheckedBlock`]): both passes read a
//! block the same way, and a hostile block is an error, never a panic, a wrapped
//! number or an unbounded allocation. The input must be sorted by type then id
//! (Geofabrik and osmium outputs are); unsorted input is refused with
//! [`Error::Unsorted`]. A bbox that holds no node is an error
//! ([`Error::EmptyCrop`]), not an empty file. The input header's bbox is reported
//! but never used.
//!
//! ```no_run
//! use hexmatrix_contract::Context;
//! use hexmatrix_osm::{Bbox, CropOptions, run};
//!
//! let opts = CropOptions {
//!     input: "malta-latest.osm.pbf".into(),
//!     bbox: "14.46,35.86,14.53,35.92".parse::<Bbox>()?,
//!     output: "valletta.osm.pbf".into(),
//! };
//! let summary = run(&opts, &Context::silent())?;
//! assert!(summary.nodes > 0);
//! # Ok::<(), hexmatrix_osm::Error>(())
//! ```

mod bbox;
mod blob;
mod check;
mod coords;
mod crop;
mod dense;
mod elements;
mod error;
#[cfg(feature = "fixture")]
pub mod fixture;
mod header;
mod idset;
mod proto;
mod reader;
mod scan;
mod strings;
mod writer;

#[cfg(test)]
#[path = "regression_tests.rs"]
mod regression_tests;

pub use bbox::Bbox;
pub use crop::{CropCounters, CropOptions, CropSummary, crop, run};
pub use elements::{Element, Member, MemberType, Meta, Node, Relation, Tags, Way};
pub use error::{Error, Result};
pub use header::Header;
pub use idset::IdSet;
pub use reader::{CheckedBlock, OrderCheck, PbfReader, read_all};
pub use writer::{PbfWriter, WriterOptions};

/// Format internals for the fuzz harness and the tests that build hostile files by
/// hand (framing, protobuf encoding, the fast scanner). Not an API: it changes with
/// the format code.
#[doc(hidden)]
pub mod raw {
    pub use crate::blob::{BlobFrames, BlobKind, RawBlob, compress, decompress, write_frame};
    pub use crate::header::read_header;
    pub use crate::proto::{
        put_bytes_field, put_packed_delta, put_packed_uint, put_uint_field, put_varint, unzigzag,
        zigzag,
    };
    pub use crate::reader::block_elements;
    pub use crate::scan::{BlockScan, scan_block};
}
