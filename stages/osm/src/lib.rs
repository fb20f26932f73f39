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
//! Principal types: [`Bbox`] (validated bounding box), [`PbfWriter`] (sorted
//! PBF output), [`PbfReader`] (ordered parallel decode with located errors).

pub mod bbox;
pub mod blob;
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

pub use bbox::Bbox;
pub use crop::{CropCounters, CropSummary, crop};
pub use elements::{Element, Member, MemberType, Meta, Node, Relation, Way};
pub use error::{Error, Result};
pub use reader::{PbfReader, read_all};
pub use writer::{PbfWriter, WriterOptions};
