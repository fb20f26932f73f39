#!/usr/bin/env bash
# Benchmark: `hexmatrix warm` against `redis-cli --pipe`, 1,000,000 pairs into one
# local redis-server started here, both tools in the same run, alternating.
#
# Fairness: both send the very same commands. `hexmatrix warm --resp-out` writes
# the SET key value EX ttl commands it would send (same keys, values, TTL rule)
# as a RESP file; `redis-cli --pipe` reads that file (generated beforehand, not
# timed, as in shared/peers/redis_pipe.sh). Both go to the same server, which is
# emptied with FLUSHALL (then 1 s of rest) before each run. The server (one
# thread) is the bottleneck for both on 2 cores.
# What each timing includes: redis-cli: reading the file and the load.
# hexmatrix (wall): process start, reading the Parquet parts (zstd), encoding,
# the load, the cell set, verification (INFO/DBSIZE on the server, 1000 pairs
# read back) and the pointer; "load" is the load phase alone, from its summary.
#
# Input: a synthetic matrix of 1000 real H3 res-9 cells around Valletta
# (1000 x 1000 = 1M ordered pairs, 10 parts), written by the warm crate's
# `synth_matrix` example into $WORK/matrix if absent.
# Memory: bytes per key = used_memory after minus before (empty server) / keys,
# for the json (default) and text value formats, with the default version label
# (12 hex digits of the matrix fingerprint), as a nightly run would write them.
# Env: RUNS (default 5), WORK (default /tmp/bench-warm), PORT (default 6391).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${RUNS:-5}
WORK=${WORK:-/tmp/bench-warm}
PORT=${PORT:-6391}
BIN=target/release/hexmatrix
SYNTH=target/release/examples/synth_matrix
URL=redis://127.0.0.1:$PORT/0
mkdir -p "$WORK"

command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release --quiet -p hexmatrix
[ -x "$SYNTH" ] || cargo build --release --quiet -p hexmatrix-warm --features fixture --example synth_matrix
[ -s "$WORK/matrix/manifest.json" ] || "$SYNTH" "$WORK/matrix" 1000 100 >&2

# The RESP file: exactly the commands `hexmatrix warm` sends (json values, default TTLs).
"$BIN" --progress never warm --matrix "$WORK/matrix" --resp-out "$WORK/load.resp" --version bench >"$WORK/resp.log" 2>&1
echo "RESP file: $(stat -c %s "$WORK/load.resp") bytes for 1,000,000 SET commands; first one:"
head -c 140 "$WORK/load.resp" | tr '\r\n' '..'; echo

if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  echo "port $PORT is in use: set PORT" >&2; exit 1
fi
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --dir "$WORK" --logfile "$WORK/redis.log" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "$(redis-server --version | cut -d' ' -f1-3), pid $SERVER_PID, port $PORT; $(nproc) cores; $RUNS runs each, alternating"

fresh() { redis-cli -p "$PORT" flushall >/dev/null; sleep 1; }
used_memory() { redis-cli -p "$PORT" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
dbsize() { redis-cli -p "$PORT" dbsize; }

: >"$WORK/pipe.wall"; : >"$WORK/ours.wall"; : >"$WORK/ours.load"; : >"$WORK/pipe.rss"; : >"$WORK/ours.rss"
for r in $(seq "$RUNS"); do
  fresh
  /usr/bin/time -f "%e %M" -o "$WORK/pipe.time" redis-cli -p "$PORT" --pipe <"$WORK/load.resp" >"$WORK/pipe.out" 2>&1
  grep -q "errors: 0, replies: 1000000" "$WORK/pipe.out" || { cat "$WORK/pipe.out" >&2; exit 1; }
  [ "$(dbsize)" = 1000000 ] || { echo "redis-cli --pipe: DBSIZE $(dbsize)" >&2; exit 1; }
  read -r w m <"$WORK/pipe.time"; echo "$w" >>"$WORK/pipe.wall"; echo "$m" >>"$WORK/pipe.rss"

  fresh
  /usr/bin/time -f "%e %M" -o "$WORK/ours.time" "$BIN" --progress never warm --matrix "$WORK/matrix" \
    --redis "$URL" --version bench >"$WORK/ours.out" 2>&1 || { cat "$WORK/ours.out" >&2; exit 1; }
  [ "$(dbsize)" = 1000004 ] || { echo "hexmatrix warm: DBSIZE $(dbsize)" >&2; exit 1; }
  load=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/ours.out" | grep -o 'keys written in [0-9.]* s' | awk '{print $4}')
  read -r w m <"$WORK/ours.time"; echo "$w" >>"$WORK/ours.wall"; echo "$m" >>"$WORK/ours.rss"; echo "$load" >>"$WORK/ours.load"
  echo "run $r: redis-cli --pipe $(tail -1 "$WORK/pipe.wall") s; hexmatrix warm $w s (load $load s)"
done

read -r p_min p_med < <(stats <"$WORK/pipe.wall"; echo)
read -r o_min o_med < <(stats <"$WORK/ours.wall"; echo)
read -r l_min l_med < <(stats <"$WORK/ours.load"; echo)
kps() { awk -v s="$1" 'BEGIN{printf "%.0f", 1000000/s}'; }
echo
printf "%-34s %8s %9s %12s %12s %9s\n" tool "min s" "median s" "keys/s min" "keys/s med" "peak MiB"
printf "%-34s %8s %9s %12s %12s %9.1f\n" "redis-cli --pipe" "$p_min" "$p_med" "$(kps "$p_min")" "$(kps "$p_med")" "$(sort -g "$WORK/pipe.rss" | tail -1 | awk '{print $1/1024}')"
printf "%-34s %8s %9s %12s %12s %9.1f\n" "hexmatrix warm (whole command)" "$o_min" "$o_med" "$(kps "$o_min")" "$(kps "$o_med")" "$(sort -g "$WORK/ours.rss" | tail -1 | awk '{print $1/1024}')"
printf "%-34s %8s %9s %12s %12s %9s\n" "hexmatrix warm (load phase)" "$l_min" "$l_med" "$(kps "$l_min")" "$(kps "$l_med")" "-"
awk -v p="$p_med" -v o="$o_med" -v l="$l_med" 'BEGIN{printf "median ratio redis-cli/hexmatrix: whole command %.2f, load phase %.2f (above 1: hexmatrix is faster)\n", p/o, p/l}'

# Memory per key, json (default) and text values.
echo
for fmt in json text; do
  fresh
  before=$(used_memory)
  "$BIN" --progress never warm --matrix "$WORK/matrix" --redis "$URL" \
    --value-format "$fmt" >"$WORK/mem.out" 2>&1 || { cat "$WORK/mem.out" >&2; exit 1; }
  after=$(used_memory)
  version=$(redis-cli -p "$PORT" get route:current)
  key=$(redis-cli -p "$PORT" randomkey)
  while [[ "$key" != route:$version:8* ]]; do key=$(redis-cli -p "$PORT" randomkey); done
  value=$(redis-cli -p "$PORT" get "$key")
  awk -v b="$before" -v a="$after" -v f="$fmt" -v k="$key" -v v="$value" 'BEGIN{
    printf "%-4s values: used_memory %.1f MiB -> %.1f MiB: %.1f bytes a key, %.0f MiB per million pairs; key %d bytes (%s), value %d bytes (%s)\n",
      f, b/1048576, a/1048576, (a-b)/1000000, (a-b)/1048576, length(k), k, length(v), v}'
done

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; trap - EXIT
echo "server stopped"
