#!/bin/sh
# install-deps.sh — install the Debian 12 packages the build and tests use.
#
# apt-get runs only when a package is missing, so the common case (all
# present) costs a few dpkg queries.  Node.js/npm may come from another
# source (the image ships a Node 20 build); Debian's are installed only when
# no npm is on PATH at all.
set -eu
PKGS="build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format
valgrind gcovr sqlite3 python3 util-linux procps ca-certificates xz-utils"
PKGS="$PKGS libcjson-dev"
PKGS="$PKGS libcurl4-gnutls-dev" # memory: HTTP embedders (src/memory/embed_http.c)
# Bindings (Node addon, WebAssembly, browser tests): emscripten, brotli, chromium.
PKGS="$PKGS emscripten binaryen brotli chromium"
# Sync over QUIC: ngtcp2 0.12.1 + GnuTLS, zstd, certtool (tests), ip netns (tests).
PKGS="$PKGS libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libzstd-dev gnutls-bin iproute2"
# gnuplot draws the ef-sweep plot of bench/ann-bench.sh (docs/BENCHMARKS.md).
PKGS="$PKGS gnuplot-nox"
missing=""
for p in $PKGS; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -x /usr/bin/python3 ] || missing="$missing python3"
if [ -z "$missing" ]; then
  exit 0
fi
echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
