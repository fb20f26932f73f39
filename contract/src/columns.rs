//! Column names of the Parquet files.

/// Columns of `cells.parquet`, one row per cell of the cover, ascending by cell.
pub mod cells {
    /// H3 cell index, `UInt64`.
    pub const CELL: &str = "cell";
    /// The same index as the lowercase hex string H3 tools print, `Utf8`.
    pub const CELL_HEX: &str = "cell_hex";
    /// Latitude of the cell centre in degrees, `Float64`.
    pub const LAT: &str = "lat";
    /// Longitude of the cell centre in degrees, `Float64`.
    pub const LON: &str = "lon";
    /// Graph node the cell is routed from, `UInt32`, null unless `ok`.
    pub const NODE: &str = "node";
    /// Latitude of the snapped node in degrees, `Float64`, nullable.
    pub const NODE_LAT: &str = "node_lat";
    /// Longitude of the snapped node in degrees, `Float64`, nullable.
    pub const NODE_LON: &str = "node_lon";
    /// Metres from the centre to the snapped node, `Float64`, nullable.
    pub const SNAP_M: &str = "snap_m";
    /// [`crate::CellStatus`] as its string, `Utf8`.
    pub const STATUS: &str = "status";
    /// The cell's hexagon, WKB polygon (lon/lat degrees), `Binary`: the GeoParquet
    /// primary geometry (see [`crate::geo`]).
    pub const GEOMETRY: &str = "geometry";
    /// The snapped node, WKB point (lon/lat degrees), `Binary`, null when the centre did not snap (`no_road`).
    pub const NODE_GEOMETRY: &str = "node_geometry";
}

/// Columns of every `matrix/part-NNNNN.parquet`, one row per ordered pair of `ok`
/// cells, sorted by origin then dest.
pub mod pairs {
    /// Origin cell, `UInt64`.
    pub const ORIGIN: &str = "origin";
    /// Destination cell, `UInt64`.
    pub const DEST: &str = "dest";
    /// Driving distance in metres, `Float32`, null when there is no route.
    pub const DISTANCE_M: &str = "distance_m";
    /// Driving duration in seconds, `Float32`, null when there is no route.
    pub const DURATION_S: &str = "duration_s";
}
