//! `HeaderBlock` read and write: bbox, required features, writing program.

use std::path::Path;

use crate::bbox::Bbox;
use crate::blob::RawBlob;
use crate::error::{Error, Result};
use crate::proto::{self, Field, Fields};

/// Features every reader of our files must know.
const REQUIRED: [&str; 2] = ["OsmSchema-V0.6", "DenseNodes"];
/// Required feature of files that carry deleted entities and `visible` flags.
const HISTORICAL: &str = "HistoricalInformation";
/// Optional feature saying entities are sorted by type then id.
const SORTED: &str = "Sort.Type_then_ID";

/// What a file's header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The bbox in the header, `(min_lon, min_lat, max_lon, max_lat)` in degrees.
    /// Informational only: it may be wrong (heidelberg's says 0,0,180,90).
    pub bbox: Option<(f64, f64, f64, f64)>,
    /// Whether the file carries history (`visible` flags).
    pub historical: bool,
    /// Whether the header claims type-then-id order.
    pub sorted: bool,
    /// The program that wrote the file.
    pub writing_program: Option<String>,
}

/// Decodes the header blob of `path`, refusing required features we cannot honour.
///
/// # Errors
/// [`Error::Corrupt`] for a malformed block, [`Error::Unsupported`] for an
/// unknown required feature (for example `LocationsOnWays`).
pub fn read_header(path: &Path, blob: &RawBlob) -> Result<Header> {
    let raw = blob.decompress(path)?;
    let corrupt = |reason: String| Error::Corrupt {
        path: path.to_owned(),
        blob: blob.number,
        offset: blob.offset,
        reason,
    };
    let mut header = Header {
        bbox: None,
        historical: false,
        sorted: false,
        writing_program: None,
    };
    for field in Fields::new(&raw) {
        match field.map_err(|m| corrupt(format!("malformed header block: {}", m.0)))? {
            Field::Bytes(1, bbox) => header.bbox = Some(read_bbox(bbox).map_err(corrupt)?),
            Field::Bytes(4, feature) => {
                let feature = String::from_utf8_lossy(feature);
                if feature == HISTORICAL {
                    header.historical = true;
                } else if !REQUIRED.contains(&feature.as_ref()) {
                    return Err(Error::Unsupported {
                        path: path.to_owned(),
                        feature: feature.into_owned(),
                    });
                }
            }
            Field::Bytes(5, feature) if feature == SORTED.as_bytes() => header.sorted = true,
            Field::Bytes(16, program) => {
                header.writing_program = Some(String::from_utf8_lossy(program).into_owned());
            }
            _ => {}
        }
    }
    Ok(header)
}

fn read_bbox(buf: &[u8]) -> Result<(f64, f64, f64, f64), String> {
    let mut v = [0_i64; 4];
    for field in Fields::new(buf) {
        if let Field::Varint(n @ 1..=4, x) =
            field.map_err(|m| format!("malformed header bbox: {}", m.0))?
        {
            v[n as usize - 1] = proto::unzigzag(x);
        }
    }
    // left, right, top, bottom in nanodegrees
    Ok((
        v[0] as f64 * 1e-9,
        v[3] as f64 * 1e-9,
        v[1] as f64 * 1e-9,
        v[2] as f64 * 1e-9,
    ))
}

/// Encodes a `HeaderBlock` with the bbox (when given), the required features and
/// the sort order.
#[must_use]
pub fn encode_header(bbox: Option<&Bbox>, writing_program: &str, historical: bool) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    if let Some(b) = bbox {
        let (x0, y0, x1, y1) = b.fixed();
        let mut hb = Vec::with_capacity(40);
        // HeaderBBox is in nanodegrees: left, right, top, bottom.
        proto::put_sint_field(&mut hb, 1, x0 * 100);
        proto::put_sint_field(&mut hb, 2, x1 * 100);
        proto::put_sint_field(&mut hb, 3, y1 * 100);
        proto::put_sint_field(&mut hb, 4, y0 * 100);
        proto::put_bytes_field(&mut buf, 1, &hb);
    }
    for feature in REQUIRED {
        proto::put_bytes_field(&mut buf, 4, feature.as_bytes());
    }
    if historical {
        proto::put_bytes_field(&mut buf, 4, HISTORICAL.as_bytes());
    }
    proto::put_bytes_field(&mut buf, 5, SORTED.as_bytes());
    proto::put_bytes_field(&mut buf, 16, writing_program.as_bytes());
    buf
}
