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

/// Columns of the graph directory's `nodes.parquet`, one row per graph node, in node order.
pub mod nodes {
    /// Graph node index (the row number), `UInt32`.
    pub const NODE: &str = "node";
    /// OSM node id, `Int64`.
    pub const OSM_ID: &str = "osm_id";
    /// Latitude in degrees, `Float64`.
    pub const LAT: &str = "lat";
    /// Longitude in degrees, `Float64`.
    pub const LON: &str = "lon";
    /// [`crate::graph_dir::MAIN_COMPONENT`] or [`crate::graph_dir::OTHER_COMPONENT`], `Utf8`.
    pub const COMPONENT: &str = "component";
}

/// Columns of the graph directory's `edges.parquet`: the directed road graph before
/// contraction, one row per edge.
pub mod edges {
    /// Tail node, `UInt32` (a row of `nodes.parquet`).
    pub const FROM: &str = "from";
    /// Head node, `UInt32`.
    pub const TO: &str = "to";
    /// The OSM way the edge lies on, `Int64`.
    pub const WAY_ID: &str = "way_id";
    /// The way's `highway` class (`ferry` for ferry routes), `Utf8`.
    pub const HIGHWAY: &str = "highway";
    /// Length in metres, `Float64`.
    pub const DISTANCE_M: &str = "distance_m";
    /// Travel time in seconds, `Float64`.
    pub const DURATION_S: &str = "duration_s";
    /// Whether the way admits only traffic to or from it (`access=destination`,
    /// `customers`, `delivery`): no through traffic, `Boolean`.
    pub const LOCAL_ONLY: &str = "local_only";
}

/// Columns of the graph directory's `restrictions.parquet`, one row per applied turn rule.
pub mod restrictions {
    /// The restriction relation, `Int64`.
    pub const RELATION_ID: &str = "relation_id";
    /// Its value, such as `no_left_turn`, `Utf8`.
    pub const RESTRICTION: &str = "restriction";
    /// Whether it is an `only_*` rule, `Boolean`.
    pub const ONLY: &str = "only";
    /// The edge turned from, `UInt32` (a row of `edges.parquet`).
    pub const FROM_EDGE: &str = "from_edge";
    /// The edge turned onto, `UInt32`.
    pub const TO_EDGE: &str = "to_edge";
    /// The way turned from, `Int64`.
    pub const FROM_WAY: &str = "from_way";
    /// The OSM id of the via node, `Int64`.
    pub const VIA_OSM_ID: &str = "via_osm_id";
    /// The way turned onto, `Int64`.
    pub const TO_WAY: &str = "to_way";
    /// Graph node before the turn, `UInt32`.
    pub const FROM_NODE: &str = "from_node";
    /// Graph node of the turn, `UInt32`.
    pub const VIA_NODE: &str = "via_node";
    /// Graph node after the turn, `UInt32`.
    pub const TO_NODE: &str = "to_node";
}

/// Columns of the graph directory's `turns.parquet`, one row per allowed turn (the
/// turn model before restrictions), sorted by from edge then to edge. A pair of
/// edges meeting at a node without a row is not a turn a route may make (a U-turn
/// where the road just continues).
pub mod turns {
    /// The edge driven before the turn, `UInt32` (a row of `edges.parquet`).
    pub const FROM_EDGE: &str = "from_edge";
    /// The edge driven after it, `UInt32`.
    pub const TO_EDGE: &str = "to_edge";
    /// Graph node where it happens, `UInt32`.
    pub const VIA_NODE: &str = "via_node";
    /// Deviation from straight on in degrees, positive to the right, `Float64`.
    pub const ANGLE_DEG: &str = "angle_deg";
    /// `continue`, `straight`, `right`, `left` or `u_turn`, `Utf8`.
    pub const KIND: &str = "kind";
    /// Whether a traffic signal at the node binds this turn's approach, `Boolean`.
    pub const SIGNAL: &str = "signal";
    /// What the turn adds to a route, seconds (signal, sign and gate delays included), `Float64`.
    pub const DURATION_S: &str = "duration_s";
}

/// Columns of the graph directory's `restriction_paths.parquet`: every applied
/// restriction as a sequence of edges, one row per edge of each path, sorted by
/// path then position. `no_*`: a route never drives the whole sequence; `only_*`:
/// a route that drove its first edge goes on along the rest.
pub mod restriction_paths {
    /// The path (0, 1, ...), `UInt32`.
    pub const PATH: &str = "path";
    /// The restriction relation, `Int64`.
    pub const RELATION_ID: &str = "relation_id";
    /// Its value, such as `no_left_turn`, `Utf8`.
    pub const RESTRICTION: &str = "restriction";
    /// Whether it is an `only_*` rule, `Boolean`.
    pub const ONLY: &str = "only";
    /// Index of the edge in the path: 0 is the from edge, the last the to edge, `UInt32`.
    pub const POSITION: &str = "position";
    /// The edge, `UInt32` (a row of `edges.parquet`).
    pub const EDGE: &str = "edge";
}
