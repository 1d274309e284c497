#!/usr/bin/env bash
# build-npm.sh [ADDON] [WASM_DIR] [OUT_DIR] — stage and `npm pack` the two
# packages, @sqlite-vector/wasm and @sqlite-vector/core.
#
# Package files come from npm/<pkg>/ (manifests, entries, READMEs), the
# shared JS layer and types from bindings/js, the WASM glue and module from
# the WebAssembly build.  The browser ES modules are derived from the
# CommonJS sources by replacing their one `module.exports = {...}` line.
# @sqlite-vector/core also carries the C sources (csrc/) its install
# script compiles, and the addon built here as prebuilds/<platform>-<arch>.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDON=${1:-build/release/node/sqlite_vector.node}
WASM=${2:-build/wasm}
OUT=${3:-build/npm}
rm -rf "$OUT/wasm" "$OUT/core"
mkdir -p "$OUT/wasm" "$OUT/core"

esm() { # esm SRC DEST: CommonJS file with a last `module.exports = { a, b };` -> ES module
  sed -E "s/^module\.exports = \{ (.*) \};$/export { \1 };/; s/^'use strict';$//" "$1" >"$2"
  grep -q '^export {' "$2" || { echo "build-npm: no module.exports line in $1" >&2; exit 1; }
}

W="$OUT/wasm"
cp npm/wasm/package.json npm/wasm/README.md npm/wasm/index.node.mjs "$W/"
cp bindings/js/index.d.ts bindings/js/shard_api.js "$W/"
cp bindings/wasm/index.cjs bindings/wasm/backend.js bindings/wasm/index.mjs bindings/wasm/opfs.mjs "$W/"
cp "$WASM/sqlite_vector.cjs" "$WASM/sqlite_vector.mjs" "$WASM/sqlite_vector.wasm" "$W/"
esm bindings/js/shard_api.js "$W/shard_api.mjs"
esm bindings/wasm/backend.js "$W/backend.mjs"

C="$OUT/core"
cp npm/core/package.json npm/core/README.md npm/core/index.js npm/core/index.mjs npm/core/install.js "$C/"
cp bindings/js/index.d.ts bindings/js/shard_api.js "$C/"
mkdir -p "$C/csrc/bindings/node" "$C/csrc/src"
cp -r include "$C/csrc/"
cp -r src/util src/vec src/store "$C/csrc/src/"
cp -r bindings/node/src "$C/csrc/bindings/node/"
cp scripts/fetch-sqlite.sh "$C/csrc/"
if [ -f "$ADDON" ]; then
  plat=$(node -p 'process.platform + "-" + process.arch')
  mkdir -p "$C/prebuilds/$plat"
  cp "$ADDON" "$C/prebuilds/$plat/sqlite_vector.node"
fi

(cd "$W" && npm pack --silent --pack-destination .. >/dev/null)
(cd "$C" && npm pack --silent --pack-destination .. >/dev/null)
ls -l "$OUT"/*.tgz | awk '{print "build-npm: " $NF " " $5 " bytes"}'
