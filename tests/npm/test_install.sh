#!/usr/bin/env bash
# test_install.sh NPM_DIR — install the packed tarballs offline into a fresh
# folder and run the packages' tests there:
#   1. @sqlite-vector/core with its native addon (node --test, shared cases)
#   2. @sqlite-vector/core forced to WebAssembly with SQLITE_VECTOR_WASM=1
#   3. @sqlite-vector/core falling back because its addon cannot load
#   4. @sqlite-vector/wasm on its own
#   5. tsc --noEmit of usage.ts against the installed .d.ts files
#   6. the installed @sqlite-vector/wasm in headless Chromium (test_browser.js)
# Prints one "N passed, N failed" line (node --test counts plus one per
# step that is not a node --test run).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NPM_DIR=$(cd "${1:-build/npm}" && pwd)
pass=0
fail=0
check() { # check NAME COMMAND...: one counted step
  if "${@:2}"; then pass=$((pass + 1)); echo "ok: $1"; else fail=$((fail + 1)); echo "FAILED: $1"; fi
}
node_tests() { # node_tests NAME ENV...: the shared cases in the fresh folder, counts added
  local name=$1 log
  shift
  log=$(mktemp)
  (cd "$APP" && env "$@" node --test "$HERE/test_packages.js") >"$log" 2>&1
  local p f
  p=$(grep -E '^# pass ' "$log" | awk '{print $3}')
  f=$(grep -E '^# fail ' "$log" | awk '{print $3}')
  if [ -z "$p" ]; then p=0; f=1; fi
  pass=$((pass + p))
  fail=$((fail + f))
  echo "$name: $p passed, $f failed"
  [ "$f" -eq 0 ] || grep -E -A20 '^not ok' "$log" | head -n 60
  rm -f "$log"
}

APP=$(mktemp -d "${TMPDIR:-/tmp}/sv-npm-app-XXXXXX")
trap 'rm -rf "$APP"' EXIT
printf '{"name":"sv-app","version":"1.0.0","private":true,"allowScripts":{"@sqlite-vector/core":true}}\n' >"$APP/package.json"
install() {
  (cd "$APP" && npm install --offline --no-audit --no-fund --loglevel=error \
    "$NPM_DIR/sqlite-vector-wasm-0.1.0.tgz" "$NPM_DIR/sqlite-vector-core-0.1.0.tgz" >/dev/null)
}
check "offline install of both tarballs into a fresh folder" install
check "core's install step left a loadable native addon" \
  node -e "require('$APP/node_modules/@sqlite-vector/core/prebuilds/' + process.platform + '-' + process.arch + '/sqlite_vector.node')"

node_tests "core (native)" SV_ENTRY=@sqlite-vector/core SV_EXPECT_BACKEND=native
node_tests "core (SQLITE_VECTOR_WASM=1)" SV_ENTRY=@sqlite-vector/core SV_EXPECT_BACKEND=wasm \
  SQLITE_VECTOR_WASM=1 SV_EXPECT_REASON=SQLITE_VECTOR_WASM
node_tests "wasm package" SV_ENTRY=@sqlite-vector/wasm SV_EXPECT_BACKEND=wasm

cp "$HERE/usage.ts" "$HERE/tsconfig.json" "$APP/"
check "tsc --noEmit usage.ts against the installed .d.ts" "$HERE/node_modules/.bin/tsc" -p "$APP/tsconfig.json"

# The installed WASM package, served from node_modules, in headless Chromium
# (page + worker checks, OPFS persistence across a reload).
node_tests_file() { # node_tests_file NAME FILE ENV...: like node_tests, for another suite
  local name=$1 file=$2 log p f
  shift 2
  log=$(mktemp)
  env "$@" node --test "$file" >"$log" 2>&1
  p=$(grep -E '^# pass ' "$log" | awk '{print $3}')
  f=$(grep -E '^# fail ' "$log" | awk '{print $3}')
  if [ -z "$p" ]; then p=0; f=1; tail -n 30 "$log"; fi
  pass=$((pass + p))
  fail=$((fail + f))
  echo "$name: $p passed, $f failed"
  grep -oE '(fresh|reload): module loaded in [0-9]+ ms' "$log" | sort -u | sed 's/^/chromium /'
  [ "$f" -eq 0 ] || grep -E -A20 '^\s*not ok' "$log" | head -n 60
  rm -f "$log"
}
node_tests_file "wasm package in chromium" "$HERE/../wasm/test_browser.js" \
  SV_WASM_PKG="$APP/node_modules/@sqlite-vector/wasm"

# Last: break the addon (a file that is not a shared object) and check the fallback.
for f in "$APP"/node_modules/@sqlite-vector/core/prebuilds/*/sqlite_vector.node \
  "$APP"/node_modules/@sqlite-vector/core/build/sqlite_vector.node; do
  [ -f "$f" ] && echo "not an ELF file" >"$f"
done
node_tests "core (addon cannot load)" SV_ENTRY=@sqlite-vector/core SV_EXPECT_BACKEND=wasm \
  SV_EXPECT_REASON=sqlite_vector.node

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
