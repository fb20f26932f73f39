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
//! Principal types: [`Bbox`] (validated bounding box), [`crop()`] with its
//! [`CropCounters`] and [`CropSummary`], [`PbfWriter`] (sorted PBF output,
//! hand-written protobuf and zlib framing), [`PbfReader`] (ordered parallel
//! decode over osmpbf, errors located by file, blob number and byte offset),
//! [`idset::IdSet`] (id set whose memory does not depend on id magnitude).
//!
//! How the crop runs (see [`crop`](mod@crop)): a first pass reads every block
//! with a scanner that decodes only ids, coordinates, way refs and relation
//! members ([`scan`]); a second pass decodes in full, with osmpbf, only the
//! blocks holding something kept, and writes a temporary file that is renamed
//! to the output. osmpbf trusts its input, so every block passes
//! [`check::check_block`] first (as a [`reader::CheckedBlock`]): both passes
//! read a block the same way, and a hostile block is an error, never a panic,
//! a wrapped number or an unbounded allocation. The input must be sorted by type then id (Geofabrik and
//! osmium outputs are); unsorted input is refused with [`Error::Unsorted`]. A
//! bbox that holds no node is an error ([`Error::EmptyCrop`]), not an empty
//! file. The input header's bbox is reported but never used.
//!
//! ```no_run
//! use std::path::Path;
//! use hexmatrix_osm::{Bbox, CropCounters, crop};
//!
//! let bbox: Bbox = "14.46,35.86,14.53,35.92".parse()?;
//! let counters = CropCounters::default(); // poll these from another thread for progress
//! let summary = crop(
//!     Path::new("malta-latest.osm.pbf"),
//!     &bbox,
//!     Path::new("valletta.osm.pbf"),
//!     &counters,
//! )?;
//! assert!(summary.nodes > 0);
//! # Ok::<(), hexmatrix_osm::Error>(())
//! ```

pub mod bbox;
pub mod blob;
pub mod check;
pub mod coords;
pub mod crop;
pub mod dense;
pub mod elements;
pub mod error;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod header;
pub mod idset;
pub mod proto;
pub mod reader;
pub mod scan;
pub mod strings;
pub mod writer;

#[cfg(test)]
#[path = "regression_tests.rs"]
mod regression_tests;

pub use bbox::Bbox;
pub use crop::{CropCounters, CropSummary, crop};
pub use elements::{Element, Member, MemberType, Meta, Node, Relation, Way};
pub use error::{Error, Result};
pub use reader::{PbfReader, read_all};
pub use writer::{PbfWriter, WriterOptions};
