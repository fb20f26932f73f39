# Shared by the bench scripts (sourced, not run). Expects SHARED (the shared/
# directory beside the checkout) to be set by the caller.

# stats: numbers on stdin -> "min median" (two decimals).
stats() {
  sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f %.2f", a[1], m}'
}

# timed LOG CMD...: runs CMD under /usr/bin/time, prints "wall_s rss_kib"; stdout and
# stderr go to LOG.out and LOG.err; a failing CMD stops the benchmark.
timed() {
  local log=$1; shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log.out" 2>"$log.err" || {
    echo "failed: $*; see $log.err" >&2; exit 1; }
  cat "$log.time"
}

# synth_region TILES: path of the synthetic region of TILES malta-latest tiles
# under /tmp/osm-synth, built with shared/tools/synth_region.py when absent.
synth_region() {
  local out=/tmp/osm-synth/malta-x$1.osm.pbf
  if [ ! -s "$out" ]; then
    mkdir -p "$(dirname "$out")"
    python3 "$SHARED/tools/synth_region.py" --tiles "$1" -o "$out" \
      "$SHARED/datasets/malta-latest.osm.pbf" >&2
  fi
  echo "$out"
}
