#!/usr/bin/env bash
# What a recipe needs, installed before anything is built:
#
#   scripts/need.sh demo        # what `just demo` needs (nothing with HEXMATRIX_REDIS set)
#   scripts/need.sh test        # what `just test` needs
#   scripts/need.sh cc          # single needs: osmium redis-server redis-cli python3 cc
#                               # rustfmt clippy, or a pip requirements file
#
# A command comes from its Debian package: apt-get installs it when we run as
# root; otherwise this stops and prints the command to run. rustfmt and clippy
# come from rustup. A pip requirements file is installed with python3 -m pip
# (and skipped while it does not exist). Prints nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "need: $*" >&2; }

commands=() missing=() packages=() components=() requirements=()
# command_from COMMAND DEBIAN_PACKAGE: the package to install when the command is missing.
command_from() {
  commands+=("$1")
  command -v "$1" >/dev/null && return
  missing+=("$1 ($2)")
  case " ${packages[*]} " in *" $2 "*) ;; *) packages+=("$2") ;; esac
}
needs=()
for arg in "$@"; do
  case $arg in
    # The demo's throwaway Redis (python3 picks its port).
    demo) [ -n "${HEXMATRIX_REDIS:-}" ] || needs+=(redis-server redis-cli python3) ;;
    test) needs+=(osmium redis-server redis-cli rustfmt clippy examples/requirements.txt tests/requirements.txt) ;;
    *) needs+=("$arg") ;;
  esac
done
for need in "${needs[@]}"; do
  case $need in
    osmium) command_from osmium osmium-tool ;;
    redis-server) command_from redis-server redis-server ;;
    redis-cli) command_from redis-cli redis-tools ;;
    python3) command_from python3 python3 ;;
    cc) command_from cc gcc ;;
    rustfmt)
      if ! cargo fmt --version >/dev/null 2>&1; then components+=(rustfmt); fi ;;
    clippy)
      if ! cargo clippy --version >/dev/null 2>&1; then components+=(clippy); fi ;;
    *.txt)
      if [ -f "$need" ]; then requirements+=("$need"); fi ;;
    *) say "unknown need '$need' (scripts/need.sh knows demo, test, osmium, redis-server, redis-cli, python3, cc, rustfmt, clippy, FILE.txt)"; exit 2 ;;
  esac
done
if [ ${#requirements[@]} -gt 0 ] && ! python3 -m pip --version >/dev/null 2>&1; then
  command_from python3 python3
  missing+=("python3 -m pip (python3-pip)")
  packages+=(python3-pip)
fi

if [ ${#packages[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    say "missing, with the Debian package that has it:"
    printf '    %s\n' "${missing[@]}" >&2
    say "install them with this system's package manager, then run the same command again."
    exit 1
  elif [ "$(id -u)" -ne 0 ]; then
    say "missing: ${packages[*]}. Nothing was built. Run:"
    if command -v sudo >/dev/null; then
      echo "    sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
    else
      echo "    su -c 'apt-get update && apt-get install -y ${packages[*]}'" >&2
    fi
    say "then run the same command again."
    exit 1
  fi
  say "installing ${packages[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
  hash -r
  for c in "${commands[@]}"; do
    command -v "$c" >/dev/null || { say "$c is still missing after installing ${packages[*]}"; exit 1; }
  done
fi

if [ ${#components[@]} -gt 0 ]; then
  command -v rustup >/dev/null || { say "missing: ${components[*]} for this Rust toolchain (not installed by rustup)"; exit 1; }
  say "installing ${components[*]}: rustup component add ${components[*]}"
  rustup component add "${components[@]}"
fi

for r in "${requirements[@]}"; do
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --disable-pip-version-check -q -r "$r"
done
