#!/usr/bin/env bash
# Benchmark: the city-scale cache. `hexmatrix warm --layout rows` on whole Malta at
# H3 resolution 10 (≈10,400 ok cells, ≈109 M ordered pairs), side by side in one run
# with its peers:
#   - the very same row commands sent by `redis-cli --pipe` (`hexmatrix warm
#     --layout rows --resp-out` writes them; generating the file is not timed);
#   - the pair layout (a key per pair) on whole Malta at resolution 9 (≈5.3 M
#     pairs): its bytes a pair and keys/s (resolution 10 would need ≈22 GiB);
#   - lookups: pairs/s served to one pipelined client (`hexmatrix lookup --sample`,
#     500 pairs a pipeline, random points in the bbox), rows against pairs.
# Each run starts from an empty server (FLUSHALL, then 1 s of rest). Memory is
# `used_memory` after minus before, per pair of the matrix. The projection to the
# production target (Ho Chi Minh City, ≈14,000 res-9 cells, ≈196 M pairs) uses the
# measured bytes a pair and rates.
# Env: RUNS (default 3), WORK (default /tmp/bench-cache), PORT (default 6392),
# LOOKUPS (pairs looked up per layout, default 200000).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$(cd .. && pwd)/shared}
. bench/lib.sh

RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/bench-cache}
PORT=${PORT:-6392}
LOOKUPS=${LOOKUPS:-200000}
BIN=target/release/hexmatrix
URL=redis://127.0.0.1:$PORT/0
MALTA=$SHARED/datasets/malta-latest.osm.pbf
mkdir -p "$WORK"

command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server redis-tools" >&2; exit 1; }
[ -s "$MALTA" ] || { echo "$MALTA is missing (the shared datasets live beside the checkout)" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release --quiet -p hexmatrix

# Inputs: the whole-Malta graph and its res-9 and res-10 matrices (built once).
[ -s "$WORK/graph/graph.ch" ] || "$BIN" --progress never graph --input "$MALTA" --profile car --output "$WORK/graph" >&2
for res in 9 10; do
  [ -s "$WORK/m$res/manifest.json" ] ||
    "$BIN" --progress never matrix --graph "$WORK/graph" --dataset datasets/malta.toml --resolution "$res" --output "$WORK/m$res" >&2
done
pairs_of() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["pairs"], m["cells"]["ok"])' "$1/manifest.json"; }
read -r P10 C10 < <(pairs_of "$WORK/m10")
read -r P9 C9 < <(pairs_of "$WORK/m9")
echo "whole Malta res 10: $C10 ok cells, $P10 pairs ($(du -sh "$WORK/m10/matrix" | cut -f1) of parts); res 9: $C9 cells, $P9 pairs"

"$BIN" --progress never warm --matrix "$WORK/m10" --layout rows --resp-out "$WORK/rows.resp" --version bench >"$WORK/resp.log" 2>&1
echo "RESP file of the rows layout: $(stat -c %s "$WORK/rows.resp") bytes, $C10 SET commands"

if redis-cli -p "$PORT" ping >/dev/null 2>&1; then echo "port $PORT is in use: set PORT" >&2; exit 1; fi
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --dir "$WORK" --logfile "$WORK/redis.log" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "$(redis-server --version | cut -d' ' -f1-3); $(nproc) cores; $RUNS runs each, alternating; load $(cut -d' ' -f1-3 /proc/loadavg)"

fresh() { redis-cli -p "$PORT" flushall >/dev/null; sleep 1; }
used_memory() { redis-cli -p "$PORT" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
load_s() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -o 'keys written in [0-9.]* s' | awk '{print $4}'; }

for f in rows.wall rows.load rows.rss rows.mem pipe.wall pipe.mem pairs.wall pairs.load pairs.rss pairs.mem; do : >"$WORK/$f"; done
for r in $(seq "$RUNS"); do
  fresh; before=$(used_memory)
  read -r w m < <(timed "$WORK/rows" "$BIN" --progress never warm --matrix "$WORK/m10" --layout rows --redis "$URL" --version bench)
  after=$(used_memory)
  echo "$w" >>"$WORK/rows.wall"; echo "$m" >>"$WORK/rows.rss"; load_s "$WORK/rows.err" >>"$WORK/rows.load"
  echo $((after - before)) >>"$WORK/rows.mem"

  fresh; before=$(used_memory)
  /usr/bin/time -f "%e %M" -o "$WORK/pipe.time" redis-cli -p "$PORT" --pipe <"$WORK/rows.resp" >"$WORK/pipe.out" 2>&1
  grep -q "errors: 0, replies: $C10" "$WORK/pipe.out" || { cat "$WORK/pipe.out" >&2; exit 1; }
  after=$(used_memory)
  read -r w _ <"$WORK/pipe.time"; echo "$w" >>"$WORK/pipe.wall"; echo $((after - before)) >>"$WORK/pipe.mem"

  fresh; before=$(used_memory)
  read -r w m < <(timed "$WORK/pairs" "$BIN" --progress never warm --matrix "$WORK/m9" --redis "$URL" --version bench)
  after=$(used_memory)
  echo "$w" >>"$WORK/pairs.wall"; echo "$m" >>"$WORK/pairs.rss"; load_s "$WORK/pairs.err" >>"$WORK/pairs.load"
  echo $((after - before)) >>"$WORK/pairs.mem"
  echo "run $r: rows (res 10) $(tail -1 "$WORK/rows.wall") s; redis-cli --pipe $(tail -1 "$WORK/pipe.wall") s; pairs (res 9) $(tail -1 "$WORK/pairs.wall") s"
done

# Lookups: the res-9 matrix in both layouts, loaded side by side, the same random pairs.
fresh
"$BIN" --progress never warm --matrix "$WORK/m9" --redis "$URL" --version p9 --pointer-key lookup:pairs >/dev/null 2>&1
"$BIN" --progress never warm --matrix "$WORK/m9" --redis "$URL" --version r9 --layout rows --pointer-key lookup:rows >/dev/null 2>&1
for r in $(seq "$RUNS"); do
  for layout in pairs rows; do
    read -r w _ < <(timed "$WORK/lookup-$layout" "$BIN" --progress never lookup --redis "$URL" --pointer-key "lookup:$layout" --sample "$LOOKUPS" --seed "$r")
    echo "$w" >>"$WORK/lookup-$layout.wall"
  done
done

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; trap - EXIT

med() { stats <"$WORK/$1" | awk '{print $2}'; }
mn() { stats <"$WORK/$1" | awk '{print $1}'; }
mib() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1048576}'; }
bpp() { awk -v b="$1" -v p="$2" 'BEGIN{printf "%.2f", b/p}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN{printf "%.2f", n/s/1e6}'; }
echo
printf "%-44s %7s %8s %9s %11s %10s %9s\n" "what" "min s" "median s" "load s" "M pairs/s" "used MiB" "B/pair"
rm_=$(med rows.mem); pm_=$(med pipe.mem); am_=$(med pairs.mem)
printf "%-44s %7s %8s %9s %11s %10s %9s\n" "hexmatrix warm --layout rows, Malta res 10" "$(mn rows.wall)" "$(med rows.wall)" "$(med rows.load)" "$(rate "$P10" "$(med rows.wall)")" "$(mib "$rm_")" "$(bpp "$rm_" "$P10")"
printf "%-44s %7s %8s %9s %11s %10s %9s\n" "redis-cli --pipe, same row commands" "$(mn pipe.wall)" "$(med pipe.wall)" "-" "$(rate "$P10" "$(med pipe.wall)")" "$(mib "$pm_")" "$(bpp "$pm_" "$P10")"
printf "%-44s %7s %8s %9s %11s %10s %9s\n" "hexmatrix warm (pairs), Malta res 9" "$(mn pairs.wall)" "$(med pairs.wall)" "$(med pairs.load)" "$(rate "$P9" "$(med pairs.wall)")" "$(mib "$am_")" "$(bpp "$am_" "$P9")"
echo "peak RSS of hexmatrix warm: rows $(sort -g "$WORK/rows.rss" | tail -1 | awk '{printf "%.1f", $1/1024}') MiB, pairs $(sort -g "$WORK/pairs.rss" | tail -1 | awk '{printf "%.1f", $1/1024}') MiB"
awk -v p="$(med pipe.wall)" -v o="$(med rows.wall)" 'BEGIN{printf "median ratio redis-cli --pipe / hexmatrix warm (rows): %.2f (above 1: hexmatrix is faster, though it also reads the Parquet parts and verifies)\n", p/o}'
lp=$(med lookup-pairs.wall); lr=$(med lookup-rows.wall)
echo "lookups, $LOOKUPS random pairs of points per run (whole command: snap + pipelined reads of 500): pairs layout median $lp s ($(awk -v n="$LOOKUPS" -v s="$lp" 'BEGIN{printf "%.0f", n/s}') pairs/s), rows layout median $lr s ($(awk -v n="$LOOKUPS" -v s="$lr" 'BEGIN{printf "%.0f", n/s}') pairs/s)"
# Projection to the production target with the measured bytes a pair and rates.
awk -v rb="$(bpp "$rm_" "$P10")" -v pb="$(bpp "$am_" "$P9")" -v rs="$(rate "$P10" "$(med rows.wall)")" -v ps="$(rate "$P9" "$(med pairs.wall)")" 'BEGIN{
  n=196e6; printf "projected to Ho Chi Minh City (196 M pairs): rows %.1f GiB, %.0f s; pairs %.1f GiB, %.0f s (per version; twice the memory while the next one loads)\n",
  n*rb/2^30, n/(rs*1e6), n*pb/2^30, n/(ps*1e6)}'
