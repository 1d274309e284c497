#!/bin/sh
# build-sqlite.sh SRC_DIR OUT_LIB CC — compile the pinned amalgamation once.
#
# Every build flavour (release, clang, sanitizers, coverage) links the same
# libsqlite3.a: compiling the 9 MB amalgamation takes a minute or more on two
# cores, so it is built once per compile-flag set and shared.  flock keeps
# parallel configure/build runs from racing on the same output.
set -eu
SRC=$1
OUT=$2
CC=${3:-cc}
FLAGS="-O2 -fPIC -DSQLITE_THREADSAFE=1 -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1 -DSQLITE_ENABLE_FTS5 \
-DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_DQS=0 -DSQLITE_DEFAULT_MEMSTATUS=0 \
-DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_USE_ALLOCA \
-DSQLITE_ENABLE_DBSTAT_VTAB -DHAVE_USLEEP=1"
STAMP="$OUT.flags"
mkdir -p "$(dirname "$OUT")"
exec 9>"$OUT.lock"
flock 9
want=$(printf '%s %s %s' "$CC" "$FLAGS" "$(sha256sum "$SRC/sqlite3.c" | cut -c1-64)")
if [ -f "$OUT" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
echo "build-sqlite: compiling SQLite amalgamation with $CC (once)"
# shellcheck disable=SC2086
$CC $FLAGS -w -c "$SRC/sqlite3.c" -o "$OUT.o"
rm -f "$OUT"
ar rcs "$OUT" "$OUT.o"
rm -f "$OUT.o"
printf '%s' "$want" >"$STAMP"
