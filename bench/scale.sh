#!/usr/bin/env bash
# Benchmark: the sharded matrix into object storage. Whole Malta at H3 resolution 10
# (≈10,400 ok cells, ≈109 M pairs) computed as 1, 2 and 4 shards (`hexmatrix matrix
# --shard K/N`, the N processes at once, as an Indexed Job's pods would run) into a
# local S3 server (moto, from tests/requirements.txt), then `--merge-shards N`
# against the bucket. The graph is read from the bucket too, so every shard pays for
# its download as a pod does. Per N: wall time of the shards (first start to last
# end) and of the merge, each shard's peak RSS and CPU seconds, bytes uploaded; and a
# check that every N gives the same parts (the merged manifests list the same
# SHA-256s).
#
# Two cores here: past N = 2 the shards share the cores, so wall time stops falling;
# CPU seconds per shard is what a projection to K pods divides (deploy/README.md).
# The binary is built with the feature `object-store` in its own target directory
# (target/object-store) so that the default build is not recompiled.
# Env: RUNS (default 3), WORK (default /tmp/bench-scale), SHARDS (default "1 2 4").
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$(cd .. && pwd)/shared}
. bench/lib.sh

RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/bench-scale}
SHARDS=${SHARDS:-"1 2 4"}
TARGET=${CARGO_TARGET_DIR:-target}/object-store
BIN=$TARGET/release/hexmatrix
MALTA=$SHARED/datasets/malta-latest.osm.pbf
BUCKET=bench
mkdir -p "$WORK"

[ -s "$MALTA" ] || { echo "$MALTA is missing (the shared datasets live beside the checkout)" >&2; exit 1; }
python3 -c 'import moto.server, flask' 2>/dev/null ||
  { echo "moto's S3 server is missing: python3 -m pip install -r tests/requirements.txt" >&2; exit 1; }
CARGO_TARGET_DIR=$TARGET cargo build --release --quiet -p hexmatrix --features object-store

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
S3_UPLOAD_PART_MIN_SIZE=5242880 python3 -m moto.server -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
ENDPOINT=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -s -o /dev/null "$ENDPOINT" && break; sleep 0.2; done
AUTH='AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0'
curl -sf -X PUT -H "Authorization: $AUTH" "$ENDPOINT/$BUCKET" >/dev/null
export AWS_ENDPOINT_URL=$ENDPOINT AWS_ALLOW_HTTP=true AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1

# The graph goes up once with the tool's own upload (a pod would find it there).
"$BIN" --progress never graph --input "$MALTA" --profile car --output "s3://$BUCKET/graph" >"$WORK/graph-up.log" 2>&1
echo "$(nproc) cores; moto $(python3 -c 'import moto; print(moto.__version__)') on loopback; $RUNS runs each; load $(cut -d' ' -f1-3 /proc/loadavg)"

uploaded_mib() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -o 'uploaded [0-9]* files, [0-9.]* MiB' | awk '{s+=$4} END {printf "%.1f", s}'; }
now() { date +%s.%N; }

for n in $SHARDS; do
  for f in wall merge rss cpu up; do : >"$WORK/n$n.$f"; done
  for r in $(seq "$RUNS"); do
    url=s3://$BUCKET/scale/n$n/r$r/matrix
    start=$(now)
    pids=()
    for k in $(seq 0 $((n - 1))); do
      log=$WORK/n$n-r$r-s$k
      HEXMATRIX_CACHE_DIR=$WORK/cache-$k /usr/bin/time -f "%e %M %U %S" -o "$log.time" \
        "$BIN" --progress never matrix --shard "$k/$n" --graph "s3://$BUCKET/graph" \
        --dataset datasets/malta.toml --resolution 10 --max-cells 80000 --output "$url" \
        >"$log.out" 2>"$log.err" &
      pids+=("$!")
    done
    for p in "${pids[@]}"; do wait "$p" || { echo "a shard failed: see $WORK/n$n-r$r-s*.err" >&2; exit 1; }; done
    end=$(now)
    awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f\n", b-a}' >>"$WORK/n$n.wall"
    up=0
    for k in $(seq 0 $((n - 1))); do
      log=$WORK/n$n-r$r-s$k
      read -r _ rss user sys <"$log.time"
      echo "$rss" >>"$WORK/n$n.rss"
      awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f\n", u+s}' >>"$WORK/n$n.cpu"
      up=$(awk -v a="$up" -v b="$(uploaded_mib "$log.err")" 'BEGIN{printf "%.1f", a+b}')
    done
    echo "$up" >>"$WORK/n$n.up"
    read -r w _ < <(HEXMATRIX_CACHE_DIR=$WORK/cache-merge timed "$WORK/n$n-r$r-merge" "$BIN" --progress never matrix \
      --merge-shards "$n" --graph "s3://$BUCKET/graph" --dataset datasets/malta.toml --resolution 10 --output "$url")
    echo "$w" >>"$WORK/n$n.merge"
    curl -sf -H "Authorization: $AUTH" "$ENDPOINT/$BUCKET/scale/n$n/r$r/matrix/manifest.json" >"$WORK/n$n-r$r.manifest.json"
    echo "N=$n run $r: shards $(tail -1 "$WORK/n$n.wall") s, merge $w s, $up MiB uploaded"
    # moto keeps every object in memory: this run's go once measured.
    python3 -c 'import boto3,sys; boto3.resource("s3", endpoint_url=sys.argv[1]).Bucket(sys.argv[2]).objects.filter(Prefix=sys.argv[3]).delete()' \
      "$ENDPOINT" "$BUCKET" "scale/n$n/r$r/"
  done
done

# Every N must give the same matrix: the merged manifests list the same parts.
digest() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["pairs"], " ".join(p["file"]+":"+p["sha256"] for p in m["parts"]))' "$1" | sha256sum | cut -c1-16; }
ref=""
for f in "$WORK"/n*-r*.manifest.json; do
  d=$(digest "$f")
  [ -z "$ref" ] && ref=$d
  [ "$d" = "$ref" ] || { echo "$f lists other parts than the first run: the shards differ" >&2; exit 1; }
done
PAIRS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pairs"])' "$(ls "$WORK"/n*-r1.manifest.json | head -1)")
echo "every run of every N merged into the same $PAIRS pairs (same part SHA-256s)"

kill "$MOTO_PID"; wait "$MOTO_PID" 2>/dev/null || true; trap - EXIT
med() { stats <"$WORK/$1" | awk '{print $2}'; }
mn() { stats <"$WORK/$1" | awk '{print $1}'; }
echo
printf "%-3s %13s %13s %12s %17s %17s %13s\n" "N" "shards min s" "shards med s" "merge med s" "max shard RSS MiB" "CPU s per shard" "uploaded MiB"
for n in $SHARDS; do
  printf "%-3s %13s %13s %12s %17s %17s %13s\n" "$n" "$(mn "n$n.wall")" "$(med "n$n.wall")" "$(med "n$n.merge")" \
    "$(sort -g "$WORK/n$n.rss" | tail -1 | awk '{printf "%.0f", $1/1024}')" "$(med "n$n.cpu")" "$(med "n$n.up")"
done
