#!/usr/bin/env python3
"""Our matrix against OSRM's car profile on the same snapped points (issue 15).

For each case: `hexmatrix graph` + `hexmatrix matrix` (car, res 9 over the case's
bbox), osrm-extract (car.lua from the osrm-bindings wheel) + osrm-contract, then an
OSRM Table (CH) over our `ok` cells' snapped points (cells.parquet node_lat/node_lon),
so both engines route between the same road points. Over ordered pairs whose snapped
points are more than 300 m apart (straight line), it prints: the share of pairs whose
distance is within 10% of OSRM's, the pairs outside it whose durations are within 3%
(near ties: two equally fast routes) and the share counting them as agreeing, the
median duration ratio ours/OSRM, and the pairs one engine routes and the other does
not (with examples).

Run with the peers' venv (../shared/peers/README.md; needs pyarrow and numpy):
    /tmp/peers/venv/bin/python bench/osrm_compare.py [--cases malta,valletta,...]
Env: BIN (default $CARGO_TARGET_DIR/release/hexmatrix), WORK (default /tmp/osrm-compare),
DATA (default ../shared/datasets beside the checkout).
"""
import argparse
import glob
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DATA", ROOT.parent / "shared" / "datasets"))
WORK = Path(os.environ.get("WORK", "/tmp/osrm-compare"))
BIN = os.environ.get("BIN", str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "hexmatrix"))

# name: (pbf, bbox min_lon,min_lat,max_lon,max_lat for the cells)
CASES = {
    "malta": ("malta-latest.osm.pbf", "14.18,35.78,14.58,36.09"),
    "valletta": ("malta-latest.osm.pbf", "14.46,35.86,14.53,35.92"),
    "andorra": ("andorra-latest.osm.pbf", "1.412368,42.4276,1.787481,42.65717"),
    "monaco": ("monaco.osm.pbf", "7.409,43.723,7.44,43.752"),
    "heidelberg": ("heidelberg.osm.pbf", "8.64,49.37,8.73,49.43"),
    # Dense centres (bboxes from ../shared/datasets/README.md; the graph is the whole file).
    "porto": ("porto-center.osm.pbf", "-8.6212,41.1247,-8.5937,41.1561"),
    "munich": ("munich-center.osm.pbf", "11.5657,48.1314,11.5861,48.1434"),
    "london": ("london-center.osm.pbf", "-0.1142,51.5107,-0.0932,51.5233"),
    "helsinki": ("helsinki-center.osm.pbf", "24.9352,60.1642,24.9534,60.1791"),
    "baltimore": ("baltimore.osm.pbf", "-76.6081,39.2586,-76.5288,39.3065"),
    "vaduz": ("liechtenstein-latest.osm.pbf", "9.49,47.115,9.55,47.175"),
}
MIN_STRAIGHT_M = 300.0
# Duration ratio within which two different routes count as a near tie.
NEAR_TIE = 0.03


def run(cmd, log):
    with open(log, "ab") as f:
        subprocess.run(cmd, stdout=f, stderr=f, check=True)


def ours(name, pbf, bbox):
    d = WORK / pbf.replace(".osm.pbf", "")
    graph = d / "graph"
    if not (graph / "graph.ch").exists():
        run([BIN, "--progress", "never", "graph", "--input", str(DATA / pbf), "--profile", "car",
             "--output", str(graph)], WORK / "log.txt")
    out = WORK / name / "matrix"
    run([BIN, "--progress", "never", "matrix", "--graph", str(graph), "--bbox", bbox,
         "--resolution", "9", "--output", str(out)], WORK / "log.txt")
    cells = pq.read_table(out / "cells.parquet", columns=["cell", "status", "node_lat", "node_lon"]).to_pydict()
    ok = [i for i, s in enumerate(cells["status"]) if s == "ok"]
    ids = np.array([cells["cell"][i] for i in ok], dtype=np.uint64)
    lat = np.array([cells["node_lat"][i] for i in ok])
    lon = np.array([cells["node_lon"][i] for i in ok])
    order = np.argsort(ids)
    ids, lat, lon = ids[order], lat[order], lon[order]
    n = len(ids)
    dist = np.full((n, n), np.nan)
    dur = np.full((n, n), np.nan)
    for part in sorted(glob.glob(str(out / "matrix" / "part-*.parquet"))):
        t = pq.read_table(part).to_pydict()
        o = np.searchsorted(ids, np.array(t["origin"], dtype=np.uint64))
        de = np.searchsorted(ids, np.array(t["dest"], dtype=np.uint64))
        dist[o, de] = np.array([np.nan if x is None else x for x in t["distance_m"]])
        dur[o, de] = np.array([np.nan if x is None else x for x in t["duration_s"]])
    return ids, lat, lon, dist, dur


def osrm_table(pbf, lat, lon):
    import osrm

    base = Path(osrm.__file__).parent
    d = WORK / pbf.replace(".osm.pbf", "") / "osrm"
    d.mkdir(parents=True, exist_ok=True)
    stem = d / pbf.replace(".osm.pbf", ".osrm")
    if not Path(str(stem) + ".hsgr").exists():
        run([str(base / "bin" / "osrm-extract"), "-p", str(base / "share" / "profiles" / "car.lua"), "-t", "2",
             "-o", str(stem), str(DATA / pbf)], WORK / "log.txt")
        run([str(base / "bin" / "osrm-contract"), "-t", "2", str(stem)], WORK / "log.txt")
    engine = osrm.OSRM(storage_config=str(stem), algorithm="CH", use_shared_memory=False,
                       max_locations_distance_table=1_000_000)
    coords = list(zip(lon.tolist(), lat.tolist()))
    n = len(coords)
    dist = np.full((n, n), np.nan)
    dur = np.full((n, n), np.nan)
    for b0 in range(0, n, 1024):
        src = list(range(b0, min(n, b0 + 1024)))
        params = osrm.TableParameters(coordinates=coords, sources=src, destinations=list(range(n)),
                                      annotations=["duration", "distance"], generate_hints=False)
        res = engine.Table(params)
        for k, (drow, mrow) in enumerate(zip(res["durations"], res["distances"])):
            dur[b0 + k] = [np.nan if x is None else x for x in drow]
            dist[b0 + k] = [np.nan if x is None else x for x in mrow]
    return dist, dur


def straight_m(lat, lon):
    la, lo = np.radians(lat), np.radians(lon)
    dla = la[None, :] - la[:, None]
    dlo = lo[None, :] - lo[:, None]
    a = np.sin(dla / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlo / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def compare(name):
    pbf, bbox = CASES[name]
    ids, lat, lon, dist, dur = ours(name, pbf, bbox)
    odist, odur = osrm_table(pbf, lat, lon)
    far = straight_m(lat, lon) > MIN_STRAIGHT_M
    both = far & ~np.isnan(dur) & ~np.isnan(odur) & (odist > 0)
    only_osrm = far & np.isnan(dur) & ~np.isnan(odur)
    only_ours = far & ~np.isnan(dur) & np.isnan(odur)
    within = np.abs(dist[both] / odist[both] - 1.0) <= 0.10
    ratio = dur[both] / odur[both]
    # Two routes whose durations are within 3% are equally good answers; a pair
    # whose distances differ by more than 10% is then a near tie, not an error.
    near_tie = ~within & (np.abs(ratio - 1.0) <= NEAR_TIE)
    r = {
        "case": name, "cells": int(len(ids)), "pairs_over_300m": int(far.sum()), "compared": int(both.sum()),
        "distance_within_10pct": round(float(within.mean()), 4) if both.any() else None,
        "near_ties": int(near_tie.sum()),
        "within_10pct_or_near_tie": round(float((within | near_tie).mean()), 4) if both.any() else None,
        "median_duration_ratio": round(float(np.median(ratio)), 4) if both.any() else None,
        "p10_duration_ratio": round(float(np.percentile(ratio, 10)), 4) if both.any() else None,
        "p90_duration_ratio": round(float(np.percentile(ratio, 90)), 4) if both.any() else None,
        "osrm_routes_we_do_not": int(only_osrm.sum()), "we_route_osrm_does_not": int(only_ours.sum()),
    }
    for key, mask in (("examples_osrm_only", only_osrm), ("examples_ours_only", only_ours)):
        ex = np.argwhere(mask)[:3]
        r[key] = [[f"{lon[i]:.6f},{lat[i]:.6f}", f"{lon[j]:.6f},{lat[j]:.6f}"] for i, j in ex]
    if both.any():
        worst = np.argwhere(both)[np.argsort(-np.abs(np.log(ratio)))[:2]]
        r["largest_duration_gaps"] = [
            {"from": f"{lon[i]:.6f},{lat[i]:.6f}", "to": f"{lon[j]:.6f},{lat[j]:.6f}",
             "ours_s": round(float(dur[i, j]), 1), "osrm_s": round(float(odur[i, j]), 1),
             "ours_m": round(float(dist[i, j])), "osrm_m": round(float(odist[i, j]))} for i, j in worst]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    for name in args.cases.split(","):
        print(json.dumps(compare(name)), flush=True)


if __name__ == "__main__":
    main()
