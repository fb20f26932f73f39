#!/usr/bin/env bash
# Benchmark: `hexmatrix graph` (extraction + contraction hierarchy) against OSRM's
# osrm-extract + osrm-contract (car.lua, CH) on the same PBF, in the same run.
#
# Fairness: both tools read the same file from the page cache, use both cores
# (OSRM: --threads 2; ours: rayon's default), build a car graph with turn
# restrictions and a CH, and write their files to local disk. OSRM additionally
# writes its query-time data files; we write nodes/edges/restrictions Parquet.
# Peak RSS is /usr/bin/time's %M of each process (OSRM: the larger of its two).
#
# Inputs: whole Malta (shared dataset) and a 10-tile synthetic region made from it
# (shared/tools/synth_region.py --tiles 10; tile 0 is Malta, 9 shifted copies).
# Env: RUNS (default 3), WORK (default /tmp/bench-graph), SHARED (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/bench-graph}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/hexmatrix}
VENV=/tmp/peers/venv
mkdir -p "$WORK"

[ -x "$BIN" ] || cargo build --release --quiet -p hexmatrix
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import osrm" 2>/dev/null; then
  echo "creating the peers venv at $VENV (see shared/peers/README.md)" >&2
  ~/.pyenv/versions/3.12.1/bin/python3.12 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --only-binary=:all: osrm-bindings==26.10.0
fi
OSRM_DIR=$("$VENV/bin/python" -c "import osrm, os; print(os.path.dirname(osrm.__file__))")
OSRM_EXTRACT=$OSRM_DIR/bin/osrm-extract
OSRM_CONTRACT=$OSRM_DIR/bin/osrm-contract
CAR_LUA=$OSRM_DIR/share/profiles/car.lua

. bench/lib.sh
MALTA=$SHARED/datasets/malta-latest.osm.pbf
SYNTH=$(synth_region 10)

printf "%-14s %-22s %9s %9s %10s\n" input tool "min s" "median s" "peak MiB"
for input in "$MALTA" "$SYNTH"; do
  name=$(basename "$input" .osm.pbf)
  : >"$WORK/$name.ours" ; : >"$WORK/$name.ours_ch" ; : >"$WORK/$name.osrm" ; : >"$WORK/$name.osrm_ch"
  : >"$WORK/$name.ours_rss" ; : >"$WORK/$name.osrm_rss"
  mkdir -p "$WORK/osrm-$name"
  cp "$input" "$WORK/osrm-$name/$name.osm.pbf"
  for _ in $(seq "$RUNS"); do
    read -r w m < <(timed "$WORK/ours" "$BIN" --progress never graph --input "$input" --profile car --output "$WORK/ours-$name")
    echo "$w" >>"$WORK/$name.ours"; echo "$m" >>"$WORK/$name.ours_rss"
    grep -o 'contract [0-9.]*' "$WORK/ours.err" | awk '{print $2}' >>"$WORK/$name.ours_ch"
    rm -f "$WORK/osrm-$name/$name.osrm"*
    read -r we me < <(timed "$WORK/osrm-x" "$OSRM_EXTRACT" -p "$CAR_LUA" -t 2 "$WORK/osrm-$name/$name.osm.pbf")
    read -r wc mc < <(timed "$WORK/osrm-c" "$OSRM_CONTRACT" -t 2 "$WORK/osrm-$name/$name.osrm")
    echo "$we $wc" | awk '{print $1+$2}' >>"$WORK/$name.osrm"
    echo "$wc" >>"$WORK/$name.osrm_ch"
    echo "$me $mc" | awk '{print ($1>$2)?$1:$2}' >>"$WORK/$name.osrm_rss"
  done
  read -r o_min o_med < <(stats <"$WORK/$name.ours"; echo)
  read -r r_min r_med < <(stats <"$WORK/$name.osrm"; echo)
  read -r oc_min oc_med < <(stats <"$WORK/$name.ours_ch"; echo)
  read -r rc_min rc_med < <(stats <"$WORK/$name.osrm_ch"; echo)
  o_rss=$(sort -g "$WORK/$name.ours_rss" | tail -1)
  r_rss=$(sort -g "$WORK/$name.osrm_rss" | tail -1)
  printf "%-14s %-22s %9s %9s %10.1f\n" "$name" "hexmatrix graph" "$o_min" "$o_med" "$(echo "$o_rss/1024" | bc -l)"
  printf "%-14s %-22s %9s %9s %10.1f\n" "$name" "osrm extract+contract" "$r_min" "$r_med" "$(echo "$r_rss/1024" | bc -l)"
  printf "%-14s %-22s %9s %9s\n" "$name" "  CH only: ours" "$oc_min" "$oc_med"
  printf "%-14s %-22s %9s %9s\n" "$name" "  CH only: osrm-contract" "$rc_min" "$rc_med"
  awk -v a="$r_min" -v b="$o_min" -v c="$rc_min" -v d="$oc_min" -v n="$name" \
    'BEGIN {printf "%-14s ratio OSRM/ours (min wall): total %.1fx, CH %.1fx\n", n, a/b, c/d}'
done
