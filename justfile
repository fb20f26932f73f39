# hexmatrix recipes. `just --list` shows them with their descriptions.

set shell := ["bash", "-euo", "pipefail", "-c"]

bin := env_var_or_default("CARGO_TARGET_DIR", "target") + "/release/hexmatrix"

# List the recipes.
default:
    @just --list

# Run the whole pipeline on the bundled Valletta dataset and show the result.
demo:
    scripts/demo.sh

# Format check, clippy (warnings are errors), docs, and every test; with object storage
# (feature `object-store`, tested against moto's S3 server), and clippy and the store's
# own tests without it too.
test:
    scripts/need.sh test
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --features hexmatrix/object-store -- -D warnings
    cargo clippy -p hexmatrix -p hexmatrix-store --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet --features hexmatrix/object-store
    cargo test --workspace --features hexmatrix/object-store
    cargo test -p hexmatrix-store

# Benchmarks against the peer tools: `just bench crop|graph|matrix|warm|cache|report` (no argument:
# all of these), and `just bench scale` (sharded matrix into a local S3 server; builds the
# binary with the feature object-store in target/object-store).
bench stage="all":
    cargo build --release --quiet -p hexmatrix
    if [ "{{stage}}" = all ]; then for s in crop graph matrix warm cache report; do bench/$s.sh; done; else bench/{{stage}}.sh; fi

# Fuzz every parser for SECONDS in all, shared by the targets: `just fuzz 600`. Dev build
# (optimised dependencies, debug assertions and overflow checks everywhere: what `just test`
# already compiled). Distinct crashes are saved under fuzz/crashes/TARGET/ and replayed by `just test`.
fuzz seconds="300" *args="":
    cargo run --quiet -p hexmatrix-fuzz -- --seconds {{seconds}} {{args}}

# Crop a dataset's region to its bbox: `just crop valletta`.
crop dataset="valletta":
    cargo build --release --quiet -p hexmatrix
    {{bin}} crop --dataset datasets/{{dataset}}.toml --output outputs/{{dataset}}/city.osm.pbf

# Build the road graph of a cropped dataset: `just graph valletta`.
graph dataset="valletta" profile="car":
    cargo build --release --quiet -p hexmatrix
    {{bin}} graph --input outputs/{{dataset}}/city.osm.pbf --profile {{profile}} --output outputs/{{dataset}}/graph-{{profile}}

# Compute the travel matrix of a dataset from its graph: `just matrix valletta`.
matrix dataset="valletta" profile="car":
    cargo build --release --quiet -p hexmatrix
    {{bin}} matrix --dataset datasets/{{dataset}}.toml --graph outputs/{{dataset}}/graph-{{profile}} --output outputs/{{dataset}}/matrix

# Load a dataset's matrix into Redis: `just warm valletta redis://127.0.0.1:6379/0`.
warm dataset="valletta" redis="redis://127.0.0.1:6379/0":
    cargo build --release --quiet -p hexmatrix
    {{bin}} warm --matrix outputs/{{dataset}}/matrix --redis {{redis}}

# Summarise a dataset's matrix into report.md, map.svg and map.png: `just report valletta`.
report dataset="valletta":
    cargo build --release --quiet -p hexmatrix
    {{bin}} report --matrix outputs/{{dataset}}/matrix --output outputs/{{dataset}}/report

# Every stage for a dataset, incremental (`just run valletta`, add `--redis URL` via HEXMATRIX_REDIS).
run dataset="valletta":
    cargo build --release --quiet -p hexmatrix
    if [ -n "${HEXMATRIX_REDIS:-}" ]; then {{bin}} run datasets/{{dataset}}.toml; else {{bin}} run datasets/{{dataset}}.toml --no-warm; fi
