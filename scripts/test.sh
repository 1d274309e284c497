#!/usr/bin/env bash
# test.sh — everything `make test` runs, in stages, with one closing summary.
#
# Stages (each in its own build directory, all linking the one shared,
# pinned SQLite build):
#   release   gcc -O2 -Werror build; every ctest suite (C, CLI, SQL extension)
#   asan      clang -Werror with ASan+UBSan; C and CLI suites (the extension
#             can't be loaded into an uninstrumented sqlite3 shell)
#   tsan      clang with ThreadSanitizer; the threaded and multi-process suites
#   valgrind  the release C suites under memcheck, leaks are errors
#   coverage  gcc --coverage; C and CLI suites, then line coverage of src/
#   mcp       the MCP server through the official SDK client (release and ASan servers)
#             and the npm launcher installed offline from its `npm pack` tarball
#   node      the Node-API addon's node --test suite
#   wasm      WebAssembly build + size check, its suite in Node, npm tarballs
#             installed offline (native, forced/fallback WASM, tsc, Chromium)
# A stage failing does not stop the others, so one run shows every problem;
# the exit status is non-zero if any stage failed.  The last line is the
# plain "N passed, N failed" count of test cases over all stages.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
STAGES=${SV_TEST_STAGES:-"release asan tsan valgrind coverage"}
# Bindings stages (Node addon, WebAssembly + npm packages + Chromium) follow the C ones.
[ -n "${SV_TEST_STAGES:-}" ] || STAGES="$STAGES node wasm"
LOGDIR="$BUILD/test-logs"
mkdir -p "$LOGDIR"

total_pass=0
total_fail=0
summary=()
start_all=$(date +%s)

note() { printf '\n=== %s ===\n' "$*"; }

# configure DIR [cmake args...]: configure and build quietly; log on failure.
configure_build() {
  local dir=$1
  shift
  local log="$LOGDIR/$(basename "$dir")-build.log"
  if ! { cmake -S . -B "$dir" -G Ninja "$@" && cmake --build "$dir" -j "$JOBS"; } >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "build of $dir failed (full log: $log)"
    return 1
  fi
}

# run_ctest STAGE DIR [ctest args...]: run ctest, add its counts to the totals.
run_ctest() {
  local stage=$1 dir=$2
  shift 2
  local log="$LOGDIR/$stage-ctest.log"
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS" "$@" 2>&1 | tee "$log" | grep -E \
    '^ *[0-9]+/[0-9]+ Test|tests passed|FAIL|Error|error:' | tail -n 80
  local line pass fail
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "$stage: ctest produced no result line"
    total_fail=$((total_fail + 1))
    return 1
  fi
  fail=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
  pass=$(($(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/') - fail))
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  [ "$fail" -eq 0 ]
}

record() { # record STAGE STATUS SECONDS
  summary+=("$(printf '%-10s %-6s %5ss' "$1" "$2" "$3")")
}

stage() { # stage NAME FUNCTION
  local name=$1 fn=$2 t0 rc
  note "$name"
  t0=$(date +%s)
  "$fn"
  rc=$?
  if [ $rc -eq 0 ]; then
    record "$name" ok $(($(date +%s) - t0))
  else
    record "$name" FAILED $(($(date +%s) - t0))
  fi
  return $rc
}

stage_release() {
  configure_build "$BUILD/release" -DCMAKE_BUILD_TYPE=Release || { total_fail=$((total_fail + 1)); return 1; }
  run_ctest release "$BUILD/release"
}

stage_asan() {
  CC=clang configure_build "$BUILD/asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSV_SANITIZE=address,undefined -DSV_BUILD_EXTENSION=OFF ||
    { total_fail=$((total_fail + 1)); return 1; }
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    run_ctest asan "$BUILD/asan" -E '^sql_'
}

stage_tsan() {
  CC=clang configure_build "$BUILD/tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSV_SANITIZE=thread -DSV_BUILD_EXTENSION=OFF || { total_fail=$((total_fail + 1)); return 1; }
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    run_ctest tsan "$BUILD/tsan" -R 'test_(threads|multiproc|store|checkpoint|crash|memory|embed_http)$'
}

stage_valgrind() {
  [ -d "$BUILD/release/tests" ] || { echo "no release build"; total_fail=$((total_fail + 1)); return 1; }
  local t name rc=0 log
  for t in "$BUILD"/release/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log="$LOGDIR/valgrind-$name.log"
    if SV_TEST_VALGRIND=1 SV_TEST_TMP="$ROOT/$BUILD/release/tmp" valgrind --quiet \
      --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
      --error-exitcode=99 --trace-children=no "$t" >"$log" 2>&1; then
      total_pass=$((total_pass + 1))
      echo "valgrind $name: ok"
    else
      total_fail=$((total_fail + 1))
      rc=1
      echo "valgrind $name: FAILED"
      tail -n 40 "$log"
    fi
  done
  return $rc
}

stage_coverage() {
  configure_build "$BUILD/coverage" -DCMAKE_BUILD_TYPE=Debug -DSV_COVERAGE=ON \
    -DSV_BUILD_EXTENSION=OFF || { total_fail=$((total_fail + 1)); return 1; }
  find "$BUILD/coverage" -name '*.gcda' -delete
  run_ctest coverage "$BUILD/coverage" -E '^sql_'
  local rc=$?
  if command -v gcovr >/dev/null 2>&1; then
    # Forked and threaded suites can leave gcov's branch counters at -1,
    # which gcovr 5.2 refuses to parse; those lines carry no line data.
    gcovr -r . --filter 'src/' --object-directory "$BUILD/coverage" --gcov-ignore-parse-errors \
      --print-summary -o "$LOGDIR/coverage.txt" 2>&1 | grep -E '^(lines|functions|branches):'
    find "$BUILD/coverage" -maxdepth 1 -name '*.gcov' -delete
    grep -E '^(src/|TOTAL)' "$LOGDIR/coverage.txt" | tail -n 40
  fi
  return $rc
}

# mcp: sqlite-vector-mcp driven by the official MCP SDK client (tests/mcp/test_mcp.mjs,
# npm packages pinned by tests/mcp/package-lock.json) against the release server and the
# ASan+UBSan one, then the npm launcher package packed with `npm pack`, installed offline
# (which compiles the server from the package's own sources, overlapped with the suites)
# and run through `npx sqlite-vector-mcp`.  Each run's "N passed, N failed" adds to the totals.
mcp_counts() { # mcp_counts LOG: add a suite's closing counts to the totals
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
  if [ -z "$line" ]; then
    total_fail=$((total_fail + 1))
    return 1
  fi
  p=${line%% passed*}
  f=${line#*, }
  f=${f%% failed*}
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  [ "$f" -eq 0 ]
}

stage_mcp() {
  local rc=0 log npmdir="$ROOT/$BUILD/mcp-npm" npm_pid
  [ -x "$BUILD/release/sqlite-vector-mcp" ] ||
    { echo "no $BUILD/release/sqlite-vector-mcp (run the release stage)"; total_fail=$((total_fail + 1)); return 1; }
  local want have=""
  want=$(sha256sum tests/mcp/package-lock.json | cut -c1-64)
  [ -f tests/mcp/node_modules/.sv-lock ] && have=$(cat tests/mcp/node_modules/.sv-lock)
  if [ "$want" != "$have" ]; then
    (cd tests/mcp && npm ci --prefer-offline --no-audit --no-fund >"$ROOT/$LOGDIR/mcp-npm-ci.log" 2>&1) ||
      { tail -n 20 "$LOGDIR/mcp-npm-ci.log"; total_fail=$((total_fail + 1)); return 1; }
    echo "$want" >tests/mcp/node_modules/.sv-lock
  fi
  rm -rf "$npmdir"
  mkdir -p "$npmdir/proj"
  echo '{"name":"mcp-npm-check","version":"1.0.0","private":true}' >"$npmdir/proj/package.json"
  (cd npm/mcp && npm pack --silent --pack-destination "$npmdir" >/dev/null &&
    cd "$npmdir/proj" && npm install --offline --no-audit --no-fund "$npmdir"/sqlite-vector-mcp-*.tgz) \
    >"$LOGDIR/mcp-npm-install.log" 2>&1 &
  npm_pid=$!
  log="$LOGDIR/mcp-release.log"
  node tests/mcp/test_mcp.mjs "$BUILD/release/sqlite-vector-mcp" >"$log" 2>&1
  grep -E 'FAIL|passed,' "$log" | tail -n 40
  mcp_counts "$log" || rc=1
  if [ -x "$BUILD/asan/sqlite-vector-mcp" ]; then
    log="$LOGDIR/mcp-asan.log"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 SV_MCP_SKIP_INSPECTOR=1 \
      node tests/mcp/test_mcp.mjs "$BUILD/asan/sqlite-vector-mcp" >"$log" 2>&1
    sed 's/^/asan: /' "$log" | grep -E 'FAIL|passed,|ERROR|runtime error' | tail -n 40
    mcp_counts "$log" || rc=1
  fi
  if wait "$npm_pid"; then
    log="$LOGDIR/mcp-npx.log"
    SV_MCP_SMOKE_CWD="$npmdir/proj" node tests/mcp/test_mcp.mjs --smoke npx --offline sqlite-vector-mcp >"$log" 2>&1
    sed 's/^/npx: /' "$log" | grep -E 'FAIL|passed,' | tail -n 20
    mcp_counts "$log" || rc=1
  else
    tail -n 30 "$LOGDIR/mcp-npm-install.log"
    echo "npm pack / offline install of npm/mcp failed"
    total_fail=$((total_fail + 1))
    rc=1
  fi
  return $rc
}
[ -n "${SV_TEST_STAGES:-}" ] || STAGES="$STAGES mcp"
# run_node_test NAME LOG COMMAND...: a node --test run; its "# pass/# fail"
# counts join the totals.
run_node_test() {
  local name=$1 log=$2 p f
  shift 2
  "$@" >"$log" 2>&1
  p=$(grep -E '^# pass [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$log" | tail -n 1 | awk '{print $3}')
  if [ -z "$p" ]; then
    tail -n 40 "$log"
    p=0 f=1
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  echo "$name: $p passed, $f failed"
  [ "$f" -eq 0 ] || { grep -E -A25 '^\s*not ok' "$log" | head -n 80; return 1; }
}

# count_step NAME COMMAND...: one pass or fail for a whole command.
count_step() {
  local name=$1 log="$LOGDIR/$1.log"
  shift
  if "$@" >"$log" 2>&1; then
    total_pass=$((total_pass + 1))
    echo "$name: ok"
  else
    total_fail=$((total_fail + 1))
    tail -n 40 "$log"
    echo "$name: FAILED (log: $log)"
    return 1
  fi
}

# node: the Node-API addon (built with the release tree) and its suite.
stage_node() {
  configure_build "$BUILD/release" -DCMAKE_BUILD_TYPE=Release || { total_fail=$((total_fail + 1)); return 1; }
  run_node_test addon "$LOGDIR/node-addon.log" node --expose-gc --test tests/node/test_addon.js
}

# wasm: WebAssembly build with its size check, the suite in Node, the npm
# tarballs installed offline into a fresh folder (native, forced and
# fallback WASM, tsc, and the installed WASM package in headless Chromium
# with OPFS persistence across a reload).
stage_wasm() {
  local rc=0
  count_step wasm-build-and-size bash scripts/build-wasm.sh "$BUILD/wasm" || return 1
  grep 'build-wasm: sqlite_vector.wasm' "$LOGDIR/wasm-build-and-size.log"
  SQLITE_VECTOR_WASM_DIR="$BUILD/wasm" run_node_test wasm-node "$LOGDIR/wasm-node.log" \
    node --test tests/wasm/test_wasm_node.js || rc=1
  count_step js-test-tools sh -c 'cd tests/npm && npm ci --prefer-offline --no-audit --no-fund' || return 1
  [ -f "$BUILD/release/node/sqlite_vector.node" ] ||
    configure_build "$BUILD/release" -DCMAKE_BUILD_TYPE=Release || return 1
  count_step npm-pack bash scripts/build-npm.sh "$BUILD/release/node/sqlite_vector.node" "$BUILD/wasm" \
    "$BUILD/npm" || return 1
  local log="$LOGDIR/npm-install.log" line
  bash tests/npm/test_install.sh "$BUILD/npm" >"$log" 2>&1 || rc=1
  grep -E '^(ok|FAILED|core|wasm|chromium)' "$log"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    total_pass=$((total_pass + ${line%% passed*}))
    total_fail=$((total_fail + $(echo "$line" | sed -E 's/.*, ([0-9]+) failed/\1/')))
  else
    tail -n 40 "$log"
    total_fail=$((total_fail + 1))
  fi
  return $rc
}

failed=0
for s in $STAGES; do
  stage "$s" "stage_$s" || failed=1
done

note "summary ($(($(date +%s) - start_all)) s)"
for l in "${summary[@]}"; do echo "$l"; done
echo "test cases over all stages:"
echo "$total_pass passed, $total_fail failed"
[ $failed -eq 0 ] && [ $total_fail -eq 0 ]
