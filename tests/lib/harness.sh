# harness.sh — the prologue the shell suites share, sourced, never run.
#
# Every suite under tests/cli and tests/sql takes the build dir as its only
# argument, works in a fresh temporary directory that is removed on exit,
# keeps going after a failure and ends with "N passed, N failed" (the line
# ctest and scripts/test.sh read).  The counting and checking helpers were
# written once per suite; they live here so a fix to, say, the sanitizer
# check reaches every suite.  Two flavours, because the two families judge
# different things:
#
#   sv_cli_suite SCRIPT TMPNAME BUILD_DIR — sets BUILD, SV, GEN, T (also the
#     working directory), pass/fail/rc, and defines ok, bad, run, expect.
#   sv_sql_suite SCRIPT TMPNAME BUILD_DIR — sets BUILD, SQLITE, EXT, TMP,
#     PASSED/FAILED, defines pass, fail, q, check_err, and stops the suite
#     as one failure when the extension or the sqlite3 shell is missing.
#
# Globals are the interface on purpose: the suites' own checks (pycheck,
# check) read them.  Each flavour defines only its own helpers (bash makes a
# function defined inside a function global once that function has run).

sv_cli_suite() {
  BUILD=${3:?usage: $1 BUILD_DIR}
  BUILD=$(cd "$BUILD" && pwd)
  SV="$BUILD/sqlite-vector"
  GEN="$BUILD/bench/gen_dataset"
  T=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
  trap 'rm -rf "$T"' EXIT
  cd "$T" || exit 1
  pass=0
  fail=0
  rc=0
  ok() { pass=$((pass + 1)); }
  bad() {
    fail=$((fail + 1))
    echo "FAIL: $*"
    sed 's/^/    stderr: /' "$T/err" 2>/dev/null | head -5
  }
  # run CMD...: stdout -> out, stderr -> err, exit code -> $rc
  # (a sanitizer report is always a failure, whatever the exit code)
  run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if grep -qE 'Sanitizer|runtime error:' "$T/err"; then
      fail=$((fail + 1))
      echo "FAIL: sanitizer report from: $*"
      head -20 "$T/err"
    fi
  }
  # expect WANT CMD...: run and check the exit code
  expect() {
    local want=$1
    shift
    run "$@"
    if [ "$rc" -eq "$want" ]; then ok; else bad "exit $rc, want $want: $*"; fi
  }
}

sv_sql_suite() {
  BUILD=${3:?usage: $1 BUILD_DIR}
  BUILD=$(cd "$BUILD" && pwd)
  SQLITE=/usr/bin/sqlite3
  EXT="$BUILD/sqlite_vector"
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  PASSED=0
  FAILED=0
  if [ ! -f "$EXT.so" ]; then
    echo "FAIL: $EXT.so was not built" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  if [ ! -x "$SQLITE" ]; then
    echo "FAIL: $SQLITE is missing (apt-get install sqlite3)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  pass() { PASSED=$((PASSED + 1)); }
  fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $*" >&2
  }
  # q DB SQL... : run SQL in the shell with the extension loaded.
  q() {
    local db=$1
    shift
    "$SQLITE" -batch -bail -noheader -cmd ".load $EXT" "$db" "$@"
  }
  # check_err NAME PATTERN DB SQL : the statement fails with a message matching
  # PATTERN (grep -E) on stderr.
  check_err() {
    local out rc
    out=$(q "$3" "$4" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 0 ]; then
      fail "$1: expected an error matching /$2/, statement succeeded"
    elif ! grep -Eq -- "$2" <<<"$out"; then
      fail "$1: error [$out] does not match /$2/"
    else
      pass
    fi
  }
}
