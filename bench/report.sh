#!/usr/bin/env bash
# Report benchmark: `hexmatrix report` against DuckDB (the PyPI package) on the same
# matrix directory, both in the same run, alternating, RUNS times each.
#
# The work compared: exact p50/p90/p99/max of duration_s and distance_m over the routed
# pairs between different cells, and the exact median duration of every origin,
# over every part of the matrix. DuckDB does exactly that (quantile_disc, median) and
# nothing else. `hexmatrix report` does that AND more: the medians TO every cell,
# the reach of every cell within 5..60 min (access.parquet), the detour factor of
# every pair (the straight line between the cell centres) with its quantiles and the
# suspicious pairs, map.svg and report.md. The check at the end compares the figures
# both print: they must be equal (DuckDB reads the same Float32 values).
# Both run as fresh processes under /usr/bin/time (wall s, peak RSS); both may use
# every core (DuckDB's default threads, Polars' pool plus our reader thread).
#
# Input: MATRIX (a matrix directory); by default whole Malta at H3 res 10 (about 109 M
# pairs, 813 MB of parts), computed into $WORK once from ../shared/datasets.
# Usage: bench/report.sh     Env: RUNS (default 5), MATRIX, WORK (default
#        /tmp/hexmatrix-bench/report), VENV (default /tmp/peers/venv), BIN.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
. "$ROOT/bench/lib.sh"
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/hexmatrix}
RUNS=${RUNS:-5}
WORK=${WORK:-/tmp/hexmatrix-bench/report}
VENV=${VENV:-/tmp/peers/venv}
MALTA_PBF=$SHARED/datasets/malta-latest.osm.pbf
MALTA_BBOX=14.18,35.78,14.58,36.09
mkdir -p "$WORK"

[ -x "$BIN" ] || { echo "build first: cargo build --release -p hexmatrix" >&2; exit 1; }
if [ -z "${MATRIX:-}" ]; then
    MATRIX=$WORK/malta-r10
    if [ ! -s "$MATRIX/manifest.json" ]; then
        [ -f "$MALTA_PBF" ] || { echo "missing $MALTA_PBF" >&2; exit 1; }
        [ -f "$WORK/graph/graph.ch" ] || "$BIN" --progress never graph --input "$MALTA_PBF" \
            --profile car --output "$WORK/graph" 2>>"$WORK/log.txt"
        # Res 10 covers 72,694 cells of the bbox (10,437 with a road): above the default
        # --max-cells, which counts every covered cell.
        "$BIN" --progress never matrix --graph "$WORK/graph" --bbox "$MALTA_BBOX" \
            --resolution 10 --max-cells 100000 --output "$MATRIX" 2>>"$WORK/log.txt" ||
            { tail -3 "$WORK/log.txt" >&2; exit 1; }
    fi
fi

# DuckDB in the peers' Python 3.12 venv, installed as ../shared/peers/README.md installs
# the Python peers (by name, binary wheels only).
if [ ! -x "$VENV/bin/python" ]; then
    ~/.pyenv/versions/3.12.1/bin/python3.12 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import duckdb" 2>/dev/null ||
    "$VENV/bin/pip" install -q --only-binary=:all: duckdb==2.0.0
PEER=$WORK/duckdb_report.py
cat >"$PEER" <<'PYEOF'
"""The peer: exact quantiles of duration and distance and every origin's median."""
import sys, duckdb
parts = sys.argv[1] + "/matrix/*.parquet"
con = duckdb.connect()
routed = f"(select * from read_parquet('{parts}') where origin <> dest and duration_s is not null and distance_m is not null)"
q = con.execute(f"""select count(*),
    quantile_disc(duration_s, [0.5, 0.9, 0.99]), max(duration_s),
    quantile_disc(distance_m, [0.5, 0.9, 0.99]), max(distance_m) from {routed}""").fetchall()[0]
m = con.execute(f"select count(*), sum(m) from (select origin, median(duration_s) as m from {routed} group by origin)").fetchall()[0]
d, dist = q[1] + [q[2]], q[3] + [q[4]]
print("duration s: p50 %.1f, p90 %.1f, p99 %.1f, max %.1f" % tuple(d))
print("distance m: p50 %.0f, p90 %.0f, p99 %.0f, max %.0f" % tuple(dist))
print(f"routed pairs {q[0]}; origins with a median {m[0]}, sum of medians {m[1]:.1f}")
PYEOF

PARTS_MB=$(du -sm "$MATRIX/matrix" | cut -f1)
PAIRS=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pairs'])" "$MATRIX/manifest.json")
echo "matrix $MATRIX: $PAIRS pairs, $PARTS_MB MB of parts; $(nproc) cores; $RUNS runs each, alternating"
echo "duckdb $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)'), hexmatrix $("$BIN" --version | awk '{print $2}')"

: >"$WORK/duck.wall"; : >"$WORK/duck.rss"; : >"$WORK/ours.wall"; : >"$WORK/ours.rss"
for r in $(seq "$RUNS"); do
    read -r w m < <(timed "$WORK/duck" "$VENV/bin/python" "$PEER" "$MATRIX")
    echo "$w" >>"$WORK/duck.wall"; echo "$m" >>"$WORK/duck.rss"
    read -r w2 m2 < <(timed "$WORK/ours" "$BIN" --progress never report --matrix "$MATRIX" --output "$WORK/out")
    echo "$w2" >>"$WORK/ours.wall"; echo "$m2" >>"$WORK/ours.rss"
    echo "run $r: duckdb $w s ($((m / 1024)) MiB), hexmatrix report $w2 s ($((m2 / 1024)) MiB)"
done

read -r d_min d_med < <(stats <"$WORK/duck.wall"; echo)
read -r o_min o_med < <(stats <"$WORK/ours.wall"; echo)
peak() { sort -g "$1" | tail -1 | awk '{printf "%.0f", $1/1024}'; }
echo
printf "%-52s %8s %9s %9s\n" tool "min s" "median s" "peak MiB"
printf "%-52s %8s %9s %9s\n" "duckdb (quantiles + origin medians)" "$d_min" "$d_med" "$(peak "$WORK/duck.rss")"
printf "%-52s %8s %9s %9s\n" "hexmatrix report (the same + access, detours, map)" "$o_min" "$o_med" "$(peak "$WORK/ours.rss")"
awk -v d="$d_med" -v o="$o_med" 'BEGIN{printf "median ratio duckdb/hexmatrix: %.2f (above 1: hexmatrix is faster)\n", d/o}'

# The same figures from both.
echo
strip() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -o '\(duration s\|distance m\): p50.*' ; }
for f in "duration s" "distance m"; do
    ours=$(strip "$WORK/ours.err" | grep "^$f")
    theirs=$(grep "^$f" "$WORK/duck.out")
    if [ "$ours" = "$theirs" ]; then echo "same $f: $ours"; else
        echo "DIFFERENT $f: hexmatrix '$ours', duckdb '$theirs'" >&2; exit 1; fi
done
grep "^routed" "$WORK/duck.out"
