#!/usr/bin/env bash
# The README's first command (`./dev demo`, or `just demo`): the whole pipeline
# on the bundled Valletta dataset, then a cache hit read back the way the gateway
# reads it.
# Uses $HEXMATRIX_REDIS when set; otherwise starts a throwaway redis-server on a
# free loopback port and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/need.sh demo # before any build

bin=${CARGO_TARGET_DIR:-target}/release/hexmatrix
if [ ! -x "$bin" ]; then
  cat <<EOF
demo: first build of the hexmatrix binary (release profile, thin LTO), with Polars
demo: for the report stage, Arrow/Parquet, H3 and Redis: roughly 20-40 minutes on
demo: 2 cores (this machine has $(nproc)); later runs take seconds. Cargo's progress follows.
EOF
fi
cargo build --release -p hexmatrix

dataset=datasets/valletta.toml
out=outputs/valletta/demo-redis
mkdir -p "$out"

redis_pid=""
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true; }
trap cleanup EXIT

redis_url="${HEXMATRIX_REDIS:-}"
if [ -z "$redis_url" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$out" \
    --daemonize no >"$out/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis_url="redis://127.0.0.1:$port/0"
  echo "demo: started a throwaway redis-server at $redis_url (stopped at the end)"
fi

set -x
"$bin" run "$dataset" --redis "$redis_url" --outputs outputs
# Valletta City Gate, Sliema ferries, Birkirkara: every ordered pair, read as the gateway reads it.
"$bin" lookup --redis "$redis_url" --pointer-key route:valletta:current \
  35.8968,14.5119 35.9110,14.5040 35.8955,14.4650
"$bin" lookup --redis "$redis_url" --pointer-key route:valletta:current --sample 1000
set +x
echo "demo: outputs are under outputs/valletta/current/ (city.osm.pbf, graph-car/, matrix/, report/report.md, report/map.svg, manifest.json)"
