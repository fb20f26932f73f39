#!/usr/bin/env bash
# Benchmark: `hexmatrix crop` against `osmium extract --strategy complete_ways`
# on the same ~300 MB synthetic region, for the Valletta bbox and the whole-Malta
# data bbox, alternating the two tools run by run.
#
# Fairness: both read the same file (from the page cache after the first run),
# both use both cores (osmium decodes with its thread pool; ours with rayon), both
# write a zlib-compressed PBF of the same content (checked with `osmium diff -q`
# after the runs), both with metadata. Peak RSS is /usr/bin/time's %M.
#
# Input: shared/tools/synth_region.py --tiles 100 on malta-latest (307.6 MB,
# 25.3 M nodes; tile 0 is Malta unchanged, the other 99 are shifted copies), built
# into /tmp/osm-synth if absent (~50 s).
# Env: RUNS (default 3), WORK (default /tmp/bench-crop), SHARED (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/bench-crop}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
BIN=target/release/hexmatrix
mkdir -p "$WORK"

[ -x "$BIN" ] || cargo build --release --quiet -p hexmatrix
command -v osmium >/dev/null || { echo "osmium is missing: apt-get install -y osmium-tool" >&2; exit 1; }

. bench/lib.sh
MALTA=$SHARED/datasets/malta-latest.osm.pbf
SYNTH=$(synth_region 100)

echo "input: $SYNTH ($(du -m "$SYNTH" | cut -f1) MB), $RUNS runs each, alternating; $(nproc) cores"
printf "%-8s %-34s %8s %9s %10s\n" bbox tool "min s" "median s" "peak MiB"
for spec in "valletta 14.46,35.86,14.53,35.92" "malta 14.1834654,35.8041419,14.8436011,36.7165192"; do
  read -r name bbox <<<"$spec"
  : >"$WORK/$name.ours"; : >"$WORK/$name.osmium"; : >"$WORK/$name.ours_rss"; : >"$WORK/$name.osmium_rss"
  for _ in $(seq "$RUNS"); do
    read -r w m < <(timed "$WORK/ours" "$BIN" --progress never crop --input "$SYNTH" --bbox "$bbox" --output "$WORK/ours-$name.osm.pbf")
    echo "$w" >>"$WORK/$name.ours"; echo "$m" >>"$WORK/$name.ours_rss"
    read -r w m < <(timed "$WORK/osmium" osmium extract -s complete_ways -b "$bbox" --overwrite -o "$WORK/osmium-$name.osm.pbf" "$SYNTH")
    echo "$w" >>"$WORK/$name.osmium"; echo "$m" >>"$WORK/$name.osmium_rss"
  done
  if ! osmium diff -q "$WORK/osmium-$name.osm.pbf" "$WORK/ours-$name.osm.pbf"; then
    echo "$name: outputs differ (osmium diff)" >&2; exit 1
  fi
  read -r o_min o_med < <(stats <"$WORK/$name.ours"; echo)
  read -r r_min r_med < <(stats <"$WORK/$name.osmium"; echo)
  o_rss=$(sort -g "$WORK/$name.ours_rss" | tail -1)
  r_rss=$(sort -g "$WORK/$name.osmium_rss" | tail -1)
  printf "%-8s %-34s %8s %9s %10.0f\n" "$name" "hexmatrix crop" "$o_min" "$o_med" "$(echo "$o_rss/1024" | bc -l)"
  printf "%-8s %-34s %8s %9s %10.0f\n" "$name" "osmium extract -s complete_ways" "$r_min" "$r_med" "$(echo "$r_rss/1024" | bc -l)"
  printf "%-8s %-34s %8.2fx %8.2fx %9.2fx  (osmium / ours; outputs identical)\n" "$name" "ratio" \
    "$(echo "$r_min/$o_min" | bc -l)" "$(echo "$r_med/$o_med" | bc -l)" "$(echo "$r_rss/$o_rss" | bc -l)"
done
