//! GeoParquet 1.1 for `cells.parquet`: the WKB geometries and the `geo` file metadata
//! that make GIS tools (GeoPandas, QGIS, DuckDB spatial, kepler.gl) open the file as a
//! layer without conversion.
//!
//! Two geometry columns: [`crate::columns::cells::GEOMETRY`], the cell's hexagon
//! (the primary column), and [`crate::columns::cells::NODE_GEOMETRY`], the node the
//! centre snapped to (null when it did not snap: `no_road`). Coordinates are longitude,
//! latitude in degrees on WGS 84; GeoParquet's default CRS (OGC:CRS84) says exactly
//! that, so no `crs` member is written. Hexagon edges are straight lines in those
//! coordinates (`planar`), and rings run counterclockwise, as H3 gives them.

use serde_json::json;

use crate::columns::cells;

/// The Parquet key-value metadata key GeoParquet readers look for.
pub const GEO_METADATA_KEY: &str = "geo";

/// The GeoParquet version written.
pub const GEOPARQUET_VERSION: &str = "1.1.0";

/// WKB: little-endian byte order mark.
const LITTLE_ENDIAN: u8 = 1;
/// WKB geometry type of a point.
const WKB_POINT: u32 = 1;
/// WKB geometry type of a polygon.
const WKB_POLYGON: u32 = 3;

/// A bounding box in degrees: `[min lon, min lat, max lon, max lat]`.
pub type LonLatBbox = [f64; 4];

/// WKB of the point `(lon, lat)`.
#[must_use]
pub fn wkb_point(lon: f64, lat: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(21);
    out.push(LITTLE_ENDIAN);
    out.extend_from_slice(&WKB_POINT.to_le_bytes());
    out.extend_from_slice(&lon.to_le_bytes());
    out.extend_from_slice(&lat.to_le_bytes());
    out
}

/// WKB of a one-ring polygon through `vertices` (`(lon, lat)`), closed by repeating the
/// first vertex as WKB requires.
#[must_use]
pub fn wkb_polygon(vertices: &[(f64, f64)]) -> Vec<u8> {
    let closed = vertices.first().map(|&first| [first]);
    let ring: Vec<(f64, f64)> = vertices
        .iter()
        .copied()
        .chain(closed.into_iter().flatten())
        .collect();
    let mut out = Vec::with_capacity(13 + 16 * ring.len());
    out.push(LITTLE_ENDIAN);
    out.extend_from_slice(&WKB_POLYGON.to_le_bytes());
    let rings: u32 = u32::from(!ring.is_empty());
    out.extend_from_slice(&rings.to_le_bytes());
    if !ring.is_empty() {
        // A ring of an H3 cell has 7 to 11 points: the length always fits.
        let points = u32::try_from(ring.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&points.to_le_bytes());
        for (lon, lat) in ring {
            out.extend_from_slice(&lon.to_le_bytes());
            out.extend_from_slice(&lat.to_le_bytes());
        }
    }
    out
}

/// Grows `bbox` (or starts it) to hold `(lon, lat)`.
pub fn extend_bbox(bbox: &mut Option<LonLatBbox>, lon: f64, lat: f64) {
    let b = bbox.get_or_insert([lon, lat, lon, lat]);
    b[0] = b[0].min(lon);
    b[1] = b[1].min(lat);
    b[2] = b[2].max(lon);
    b[3] = b[3].max(lat);
}

/// The `geo` metadata of `cells.parquet` (JSON): both geometry columns, WKB, with the
/// bbox of each (left out when the column holds no geometry).
#[must_use]
pub fn cells_geo_metadata(hexagons: Option<LonLatBbox>, nodes: Option<LonLatBbox>) -> String {
    let column = |types: &[&str], bbox: Option<LonLatBbox>| {
        let mut c = json!({
            "encoding": "WKB",
            "geometry_types": types,
            "edges": "planar",
        });
        if types == ["Polygon"] {
            c["orientation"] = json!("counterclockwise");
        }
        if let Some(b) = bbox {
            c["bbox"] = json!(b);
        }
        c
    };
    json!({
        "version": GEOPARQUET_VERSION,
        "primary_column": cells::GEOMETRY,
        "columns": {
            cells::GEOMETRY: column(&["Polygon"], hexagons),
            cells::NODE_GEOMETRY: column(&["Point"], nodes),
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64_at(b: &[u8], at: usize) -> f64 {
        let mut a = [0; 8];
        a.copy_from_slice(&b[at..at + 8]);
        f64::from_le_bytes(a)
    }

    #[test]
    fn a_point_is_21_bytes_little_endian_lon_then_lat() {
        let b = wkb_point(14.5, 35.9);
        assert_eq!(b.len(), 21);
        assert_eq!(&b[..5], &[1, 1, 0, 0, 0]);
        assert_eq!(f64_at(&b, 5).to_bits(), 14.5_f64.to_bits());
        assert_eq!(f64_at(&b, 13).to_bits(), 35.9_f64.to_bits());
    }

    #[test]
    fn a_polygon_ring_is_closed() {
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        let b = wkb_polygon(&square);
        assert_eq!(&b[..9], &[1, 3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(u32::from_le_bytes([b[9], b[10], b[11], b[12]]), 5);
        assert_eq!(b.len(), 13 + 5 * 16);
        let last = 13 + 4 * 16;
        assert_eq!((f64_at(&b, last), f64_at(&b, last + 8)), (0.0, 0.0));
        assert_eq!((f64_at(&b, 13 + 16), f64_at(&b, 13 + 24)), (1.0, 0.0));
    }

    #[test]
    fn an_empty_polygon_has_no_ring() {
        assert_eq!(wkb_polygon(&[]), vec![1, 3, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn the_metadata_names_both_columns_and_their_boxes() {
        let mut hex = None;
        extend_bbox(&mut hex, 14.5, 35.9);
        extend_bbox(&mut hex, 14.4, 36.0);
        let meta: serde_json::Value =
            serde_json::from_str(&cells_geo_metadata(hex, None)).expect("json");
        assert_eq!(meta["version"], "1.1.0");
        assert_eq!(meta["primary_column"], "geometry");
        let g = &meta["columns"]["geometry"];
        assert_eq!(g["encoding"], "WKB");
        assert_eq!(g["geometry_types"], json!(["Polygon"]));
        assert_eq!(g["bbox"], json!([14.4, 35.9, 14.5, 36.0]));
        let n = &meta["columns"]["node_geometry"];
        assert_eq!(n["geometry_types"], json!(["Point"]));
        assert!(n.get("bbox").is_none());
        assert!(meta.get("crs").is_none() && g.get("crs").is_none());
    }
}
