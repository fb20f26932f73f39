"""Reads a matrix's cells.parquet as GeoParquet with GeoPandas and prints what it found
as JSON, for tests/e2e/matrix.rs to compare with the file's plain columns.

    python3 tests/e2e/geoparquet_check.py MATRIX_DIR/cells.parquet
"""

import json
import sys

import geopandas
import pyarrow.parquet as pq

path = sys.argv[1]
cells = geopandas.read_parquet(path)
nodes = geopandas.read_parquet(path, columns=["node_geometry", "node_lat", "node_lon", "status"])
nodes = nodes.set_geometry("node_geometry")
geo = json.loads(pq.read_metadata(path).metadata[b"geo"])

centres = geopandas.GeoSeries(
    geopandas.points_from_xy(cells["lon"], cells["lat"]), index=cells.index, crs=cells.crs
)
ok = nodes["status"] == "ok"
snapped = nodes[nodes["node_lat"].notna()]
# Metres: the local UTM zone (its scale error is under 0.1% across a city).
metric = cells.to_crs(cells.estimate_utm_crs())

print(json.dumps({
    "rows": len(cells),
    "geo_version": geo["version"],
    "primary": geo["primary_column"],
    "active_geometry": cells.geometry.name,
    "crs": cells.crs.to_string(),
    "hexagon_types": sorted(set(cells.geom_type)),
    "all_valid": bool(cells.is_valid.all()),
    "vertices": sorted(set(len(g.exterior.coords) for g in cells.geometry)),
    "centre_inside": int(cells.geometry.contains(centres).sum()),
    "mean_area_m2": float(metric.area.mean()),
    "node_crs": nodes.crs.to_string(),
    "ok_rows": int(ok.sum()),
    "snapped_rows": len(snapped),
    "node_points": int(nodes.geometry.notna().sum()),
    "node_types": sorted(set(snapped.geom_type)),
    "node_max_offset_deg": float(max(
        (snapped.geometry.x - snapped["node_lon"]).abs().max(),
        (snapped.geometry.y - snapped["node_lat"]).abs().max(),
    )) if len(snapped) else 0.0,
    "bbox": list(cells.total_bounds),
    "meta_bbox": geo["columns"]["geometry"]["bbox"],
}))
