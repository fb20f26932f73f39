#!/usr/bin/env bash
# Matrix benchmark: `hexmatrix matrix` against OSRM's Table (osrm-bindings), pandana
# and Valhalla's matrix (pyvalhalla), on the SAME cell centres: the `ok` cells of our
# cells.parquet (cells whose centre is within the snap radius of a routable road), so
# every tool answers the same N x N question. Cases: Valletta res 9, whole Malta
# (island bbox) res 9 and 10, then the growth from res 8 to 9 to 10 on Valletta.
#
# Fairness: each peer's pairs/s counts only its engine call (graph loaded, no reply
# conversion, nothing written), as in ../shared/peers/README.md. Ours is reported two
# ways: "search+write" (manifest matrix_s: the bucket search AND encoding + writing every
# Parquet part with zstd) and the whole process wall time (graph load, cover, snap,
# search, write). Each peer runs in a fresh process under /usr/bin/time for peak RSS.
# OSRM's Table request is single-threaded; ours uses every core (2 here), so ours is
# also run with RAYON_NUM_THREADS=1 for a per-core comparison. Valhalla is too slow
# for all origins: it gets a sample of origins x all destinations (pairs/s is a rate).
# Profiles differ (our car profile vs OSRM car.lua vs pandana's speed table), so the
# durations differ; exactness is checked against plain Dijkstra in the tests instead.
#
# Usage: bench/matrix.sh            (RUNS=3 PEERS=osrm,pandana,valhalla by default)
# Env: RUNS, PEERS (comma list or "none"), WORK (default /tmp/hexmatrix-bench/matrix),
#      VENV (default /tmp/peers/venv), BIN (default target/release/hexmatrix).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/hexmatrix}
RUNS=${RUNS:-3}
PEERS=${PEERS:-osrm,pandana,valhalla}
WORK=${WORK:-/tmp/hexmatrix-bench/matrix}
VENV=${VENV:-/tmp/peers/venv}
DATA=${DATA:-$ROOT/../shared/datasets}
MALTA_PBF=$DATA/malta-latest.osm.pbf
VALLETTA_BBOX=14.46,35.86,14.53,35.92
MALTA_BBOX=14.18,35.78,14.58,36.09

[ -x "$BIN" ] || { echo "build first: cargo build --release -p hexmatrix" >&2; exit 1; }
[ -f "$MALTA_PBF" ] || { echo "missing $MALTA_PBF" >&2; exit 1; }
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl
: > "$RESULTS"

# The peers' Python 3.12 venv, created as ../shared/peers/README.md says if missing.
if [ "$PEERS" != none ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        ~/.pyenv/versions/3.12.1/bin/python3.12 -m venv "$VENV"
        "$VENV/bin/pip" install -q --only-binary=:all: osrm-bindings==26.10.0 pyvalhalla==3.9.1 h3 pandana==0.8 pyrosm==0.25.0
    fi
    "$VENV/bin/python" -c "import pyarrow" 2>/dev/null || "$VENV/bin/pip" install -q --only-binary=:all: pyarrow
fi
PY=$VENV/bin/python
HELPER=$WORK/peers.py

cat > "$HELPER" <<'PYEOF'
"""Peer children for bench/matrix.sh: each prints one JSON line."""
import json, sys, time

def centres(path):
    return json.load(open(path))  # [[lon, lat], ...]

def export(cells_parquet, out):
    import pyarrow.parquet as pq
    t = pq.read_table(cells_parquet, columns=["status", "lon", "lat"]).to_pydict()
    pts = [[lo, la] for s, lo, la in zip(t["status"], t["lon"], t["lat"]) if s == "ok"]
    json.dump(pts, open(out, "w"))
    print(len(pts))

def osrm_child(base, path, block):
    import osrm
    pts = centres(path)
    n = len(pts)
    t0 = time.perf_counter()
    engine = osrm.OSRM(storage_config=base, algorithm="CH", use_shared_memory=False,
                       max_locations_distance_table=1_000_000)
    load_s = time.perf_counter() - t0
    coords = [tuple(p) for p in pts]
    block = block or n
    table_s, nulls = 0.0, 0
    for b0 in range(0, n, block):
        src = list(range(b0, min(n, b0 + block)))
        extra = {} if block >= n else {"sources": src, "destinations": list(range(n))}
        params = osrm.TableParameters(coordinates=coords, annotations=["duration", "distance"],
                                      generate_hints=False, **extra)
        t = time.perf_counter()
        res = engine.Table(params)
        table_s += time.perf_counter() - t
        for row in res["durations"]:
            nulls += list(row).count(None)
        del res
    print(json.dumps({"n": n, "pairs": n * n, "engine_s": table_s, "load_s": load_s, "nulls": nulls}))

def pandana_child(pbf, path):
    import numpy as np, pandana, pyrosm
    speed = {"motorway": 90, "motorway_link": 45, "trunk": 85, "trunk_link": 40, "primary": 65,
             "primary_link": 30, "secondary": 55, "secondary_link": 25, "tertiary": 40,
             "tertiary_link": 20, "unclassified": 25, "residential": 25, "living_street": 10,
             "service": 15, "road": 25}
    t0 = time.perf_counter()
    osm = pyrosm.OSM(pbf)
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    def kmh(ms, hw):
        try:
            v = float(str(ms).split()[0])
            if v > 0:
                return v
        except (ValueError, IndexError):
            pass
        return speed.get(hw, 25)
    edges["travel_time"] = [l / (kmh(m, h) / 3.6) for l, m, h in
                            zip(edges["length"], edges["maxspeed"], edges["highway"])]
    net = osm.to_graph(nodes, edges, graph_type="pandana",
                       pandana_weights=["length", "travel_time"], progress=False)
    load_s = time.perf_counter() - t0
    pts = centres(path)
    n = len(pts)
    lon = np.array([p[0] for p in pts]); lat = np.array([p[1] for p in pts])
    ids = net.get_node_ids(lon, lat).values
    orig, dest = np.repeat(ids, n), np.tile(ids, n)
    t = time.perf_counter()
    dist = np.asarray(net.shortest_path_lengths(orig, dest, imp_name="length"))
    dur = np.asarray(net.shortest_path_lengths(orig, dest, imp_name="travel_time"))
    engine_s = time.perf_counter() - t
    print(json.dumps({"n": n, "pairs": n * n, "engine_s": engine_s, "load_s": load_s,
                      "nulls": int((dur >= 4294967.0).sum())}))

def valhalla_config(tiles, out):
    import valhalla
    cfg = valhalla.get_config(tile_extract="", tile_dir=tiles, verbose=False)
    cfg["mjolnir"]["concurrency"] = 2
    for k in ("admin", "timezone", "landmarks"):
        cfg["mjolnir"][k] = ""
    cfg["thor"]["source_to_target_algorithm"] = "timedistancematrix"
    lim = cfg["service_limits"]["auto"]
    lim["max_matrix_location_pairs"] = 10**9
    lim["max_matrix_distance"] = 10**7
    cfg["service_limits"]["max_timedep_distance_matrix"] = 0
    json.dump(cfg, open(out, "w"))

def valhalla_child(config, path, sample):
    import valhalla
    pts = centres(path)
    n = len(pts)
    t0 = time.perf_counter()
    actor = valhalla.Actor(config)
    load_s = time.perf_counter() - t0
    locs = [{"lat": p[1], "lon": p[0]} for p in pts]
    src = [locs[int(i * n / sample)] for i in range(sample)] if sample and sample < n else locs
    req = json.dumps({"sources": src, "targets": locs, "costing": "auto", "verbose": False})
    t = time.perf_counter()
    out = actor.matrix(req)
    engine_s = time.perf_counter() - t
    m = json.loads(out)["sources_to_targets"]
    nulls = sum(row.count(None) for row in m["durations"])
    print(json.dumps({"n": n, "pairs": len(src) * n, "engine_s": engine_s, "load_s": load_s, "nulls": nulls}))

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"export": lambda: export(*args),
     "osrm": lambda: osrm_child(args[0], args[1], int(args[2])),
     "pandana": lambda: pandana_child(*args),
     "valhalla-config": lambda: valhalla_config(*args),
     "valhalla": lambda: valhalla_child(args[0], args[1], int(args[2]))}[cmd]()
PYEOF

has_peer() { [[ ",$PEERS," == *",$1,"* ]]; }

# Runs "$@" under /usr/bin/time; sets WALL (s) and RSS_KB; stdout goes to $OUT.
timed() {
    OUT=$WORK/out.txt
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$OUT" 2>> "$WORK/log.txt"
    read -r WALL RSS_KB < "$WORK/time.txt"
}

record() { # tool case res n pairs engine_s wall rss_kb note
    printf '{"tool":"%s","case":"%s","res":%s,"n":%s,"pairs":%s,"engine_s":%s,"wall_s":%s,"rss_kb":%s,"note":"%s"}\n' \
        "$@" >> "$RESULTS"
}

# Inputs and graphs: the Valletta crop (osmium, complete ways) and the whole Malta file.
prepare_case() { # name pbf_out crop_bbox|""
    local name=$1 pbf=$2 crop=$3 dir=$WORK/$1
    mkdir -p "$dir"
    if [ -n "$crop" ]; then
        [ -f "$pbf" ] || osmium extract -s complete_ways -b "$crop" --overwrite -o "$pbf" "$MALTA_PBF" 2>> "$WORK/log.txt"
    fi
    [ -f "$dir/graph/graph.ch" ] || "$BIN" --progress never graph --input "$pbf" --profile car --output "$dir/graph" 2>> "$WORK/log.txt"
}
prepare_case valletta "$WORK/valletta/valletta.osm.pbf" "$VALLETTA_BBOX"
prepare_case malta "$MALTA_PBF" ""
pbf_of() { [ "$1" = valletta ] && echo "$WORK/valletta/valletta.osm.pbf" || echo "$MALTA_PBF"; }

# Ours: RUNS runs (all cores) + one single-thread run; exports the ok centres.
# --max-cells: whole Malta at res 10 covers 72,694 cells (the default refuses 50,000).
ours() { # case bbox res
    local name=$1 bbox=$2 res=$3 dir=$WORK/$1 out=$WORK/$1/matrix-r$3
    for i in $(seq "$RUNS"); do
        timed "$BIN" --progress never matrix --graph "$dir/graph" --bbox "$bbox" --resolution "$res" --max-cells 100000 --output "$out"
        read -r n pairs ms threads < <(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['cells']['ok'], m['pairs'], m['matrix_s'], m['threads'])" "$out/manifest.json")
        record hexmatrix "$name" "$res" "$n" "$pairs" "$ms" "$WALL" "$RSS_KB" "${threads} threads"
    done
    timed env RAYON_NUM_THREADS=1 "$BIN" --progress never matrix --graph "$dir/graph" --bbox "$bbox" --resolution "$res" --max-cells 100000 --output "$out"
    read -r n pairs ms < <(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['cells']['ok'], m['pairs'], m['matrix_s'])" "$out/manifest.json")
    record hexmatrix-1thread "$name" "$res" "$n" "$pairs" "$ms" "$WALL" "$RSS_KB" "1 thread"
    if [ "$PEERS" != none ]; then
        "$PY" "$HELPER" export "$out/cells.parquet" "$dir/centres-r$res.json" > /dev/null
    fi
}

osrm_build() { # case
    local dir=$WORK/$1/osrm
    mkdir -p "$dir"
    [ -f "$dir/$1.osrm.hsgr" ] && return
    local bin; bin=$("$PY" -c "import osrm, pathlib; print(pathlib.Path(osrm.__file__).parent)")
    "$bin/bin/osrm-extract" -p "$bin/share/profiles/car.lua" -t 2 -o "$dir/$1.osrm" "$(pbf_of "$1")" >> "$WORK/log.txt" 2>&1
    "$bin/bin/osrm-contract" -t 2 "$dir/$1.osrm" >> "$WORK/log.txt" 2>&1
}

peer_runs() { # tool case res note cmd...
    local tool=$1 name=$2 res=$3 note=$4; shift 4
    for i in $(seq "$RUNS"); do
        timed "$@"
        read -r n pairs es < <(python3 -c "import json,sys; r=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(r['n'], r['pairs'], r['engine_s'])" "$OUT")
        record "$tool" "$name" "$res" "$n" "$pairs" "$es" "$WALL" "$RSS_KB" "$note"
    done
}

valhalla_build() { # case
    local dir=$WORK/$1/valhalla
    [ -f "$dir/config.json" ] && return
    mkdir -p "$dir/tiles"
    "$PY" "$HELPER" valhalla-config "$dir/tiles" "$dir/config.json"
    local bin; bin=$("$PY" -c "import valhalla, pathlib; print(pathlib.Path(valhalla.__file__).parent)")
    "$bin/bin/valhalla_build_tiles" -c "$dir/config.json" -j 2 "$(pbf_of "$1")" >> "$WORK/log.txt" 2>&1
}

case_all() { # case bbox res
    local name=$1 bbox=$2 res=$3 c=$WORK/$1/centres-r$3.json
    echo "== $name res $res" >&2
    ours "$name" "$bbox" "$res"
    [ "$PEERS" = none ] && return
    local n; n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$c")
    if has_peer osrm; then
        osrm_build "$name"
        local block=0 note="Table CH, 1 request"
        if [ "$n" -gt 2048 ]; then block=1024; note="Table CH, 1024-origin requests"; fi
        peer_runs osrm "$name" "$res" "$note" "$PY" "$HELPER" osrm "$WORK/$name/osrm/$name.osrm" "$c" "$block"
    fi
    if has_peer pandana && [ "$res" -le 9 ]; then
        peer_runs pandana "$name" "$res" "length + travel_time" "$PY" "$HELPER" pandana "$(pbf_of "$name")" "$c"
    fi
    if has_peer valhalla && [ "$res" -le 9 ]; then
        valhalla_build "$name"
        peer_runs valhalla "$name" "$res" "timedistancematrix, 64 sampled origins" "$PY" "$HELPER" valhalla "$WORK/$name/valhalla/config.json" "$c" 64
    fi
}

case_all valletta "$VALLETTA_BBOX" 9
case_all malta "$MALTA_BBOX" 9
# Whole Malta at res 10 (issue 14's matrix-writing goal is measured on res 9 and 10;
# only OSRM among the peers is fast enough for its 109 M pairs).
case_all malta "$MALTA_BBOX" 10
# Growth with the resolution on one city (res 9 is above).
for res in 8 10; do case_all valletta "$VALLETTA_BBOX" "$res"; done

# Report: min and median per tool/case/res; pairs/s at the min engine time; ratio to OSRM.
python3 - "$RESULTS" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = {}
for r in rows:
    groups.setdefault((r["case"], r["res"], r["tool"]), []).append(r)
osrm = {}
for (case, res, tool), rs in groups.items():
    if tool == "osrm":
        osrm[(case, res)] = rs[0]["pairs"] / min(r["engine_s"] for r in rs)
print(f"{'case':9} {'res':>3} {'tool':18} {'cells':>6} {'pairs':>11} {'engine s min/med':>17} {'M pairs/s':>9} {'wall s min/med':>15} {'peak RSS MiB':>12} {'vs OSRM':>8}  note")
for (case, res, tool), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] != "valletta", kv[0][1], kv[0][2])):
    e = [r["engine_s"] for r in rs]; w = [r["wall_s"] for r in rs]; m = [r["rss_kb"] / 1024 for r in rs]
    pps = rs[0]["pairs"] / min(e)
    ratio = f"{pps / osrm[(case, res)]:.1f}x" if (case, res) in osrm else "-"
    print(f"{case:9} {res:>3} {tool:18} {rs[0]['n']:>6} {rs[0]['pairs']:>11} {min(e):>8.3f}/{statistics.median(e):<8.3f} {pps/1e6:>9.2f} {min(w):>7.2f}/{statistics.median(w):<7.2f} {max(m):>12.0f} {ratio:>8}  {rs[0]['note']}")
PYEOF
echo "raw results: $RESULTS; logs: $WORK/log.txt" >&2
