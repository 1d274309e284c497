#!/usr/bin/env bash
# build-wasm.sh [OUT_DIR] — the WebAssembly build (emscripten from Debian).
#
# One set of objects (SQLite 3.52.0 + src/util, src/vec, src/store +
# bindings/wasm/wasm_api.c), compiled -Os -msimd128 without threads or mmap,
# linked twice: CommonJS glue for Node (-sENVIRONMENT=node, NODEFS for file
# shards) and ES-module glue for browsers and workers.  The two links give
# byte-identical .wasm files (checked), so one sqlite_vector.wasm is
# shipped and both glues are pointed at it.  The SQLite object is compiled
# once per flag set and cached like scripts/build-sqlite.sh does for the
# native one; library objects are recompiled only when their source or a
# header is newer.  Ends with the size check: raw < 600 KB, brotli < 250 KB.
# Debian's emscripten 3.1.6 needs two workarounds (docs/BINDINGS.md): acorn
# from NODE_PATH, and a pre-js that hides Node's global fetch.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/wasm}
MAX_RAW=${SV_WASM_MAX_RAW:-600000}
MAX_BR=${SV_WASM_MAX_BR:-250000}
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
SQLITE_DIR=${SV_DEPS_DIR:-build/deps}/sqlite-3.52.0
sh scripts/fetch-sqlite.sh "$SQLITE_DIR"
mkdir -p "$OUT/obj"

CFLAGS="-Os -msimd128 -DNDEBUG"
SQLITE_DEFS="-DSQLITE_CORE -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_DEPRECATED \
-DSQLITE_OMIT_SHARED_CACHE -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_DQS=0 \
-DSQLITE_MAX_EXPR_DEPTH=0 -DSQLITE_OMIT_DECLTYPE -DSQLITE_OMIT_GET_TABLE -DSQLITE_OMIT_TCL_VARIABLE \
-DSQLITE_OMIT_COMPLETE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_TRACE \
-DSQLITE_OMIT_AUTHORIZATION -DSQLITE_TEMP_STORE=3 -DSQLITE_USE_ALLOCA -DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1 -DSQLITE_OMIT_DESERIALIZE -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_OMIT_INCRBLOB \
-DSQLITE_OMIT_DATETIME_FUNCS -DSQLITE_OMIT_AUTOVACUUM -DSQLITE_OMIT_INTROSPECTION_PRAGMAS \
-DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_OMIT_INTEGRITY_CHECK -DSQLITE_OMIT_AUTOMATIC_INDEX \
-DSQLITE_OMIT_XFER_OPT -DSQLITE_UNTESTABLE"
LIB_DEFS="-DSV_NO_THREADS -DSV_NO_MMAP -D_GNU_SOURCE"

# SQLite: cached by compiler version, flags and source hash.
SQ_OBJ="$OUT/obj/sqlite3.o"
want="$(emcc --version | head -n 1) $CFLAGS $SQLITE_DEFS $(sha256sum "$SQLITE_DIR/sqlite3.c" | cut -c1-64)"
if [ ! -f "$SQ_OBJ" ] || [ "$(cat "$SQ_OBJ.flags" 2>/dev/null)" != "$want" ]; then
  echo "build-wasm: compiling SQLite amalgamation with emcc (once)"
  # shellcheck disable=SC2086
  emcc $CFLAGS $SQLITE_DEFS -w -c "$SQLITE_DIR/sqlite3.c" -o "$SQ_OBJ.tmp"
  mv "$SQ_OBJ.tmp" "$SQ_OBJ"
  printf '%s' "$want" >"$SQ_OBJ.flags"
fi

# Library + shim: -Werror like every other build.
newest_hdr=$(ls -t include/*.h src/*/*.h | head -n 1)
objs=("$SQ_OBJ")
for src in src/util/*.c src/vec/*.c src/store/*.c bindings/wasm/wasm_api.c bindings/wasm/nomutex.c; do
  obj="$OUT/obj/$(echo "$src" | tr '/' '_' | sed 's/\.c$/.o/')"
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_hdr" -nt "$obj" ] ||
    [ "$0" -nt "$obj" ]; then
    # shellcheck disable=SC2086
    emcc $CFLAGS $LIB_DEFS -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Isrc \
      -I"$SQLITE_DIR" -c "$src" -o "$obj" &
  fi
  # Two compilers at a time: the machine has two cores.
  [ "$(jobs -rp | wc -l)" -lt 2 ] || wait -n
done
wait

EXPORTS=$(tr -s ' \n' ',' <bindings/wasm/exports.txt | sed 's/,$//')
LDFLAGS="-Os -msimd128 -sMODULARIZE=1 -sEXPORT_NAME=sqliteVectorModule -sALLOW_MEMORY_GROWTH=1 \
-sWASM_BIGINT=1 -sEXPORTED_FUNCTIONS=$EXPORTS \
-sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8,FS"

relink=0
for f in "$OUT/sqlite_vector.wasm" "$OUT/sqlite_vector.cjs" "$OUT/sqlite_vector.mjs"; do
  [ -f "$f" ] || relink=1
done
if [ $relink -eq 0 ]; then
  for f in "${objs[@]}" bindings/wasm/pre-node.js bindings/wasm/exports.txt "$0"; do
    [ "$f" -nt "$OUT/sqlite_vector.wasm" ] && relink=1
  done
fi
if [ $relink -eq 1 ]; then
  echo "build-wasm: linking (node CommonJS + browser ES module)"
  # shellcheck disable=SC2086
  emcc $LDFLAGS -sENVIRONMENT=node -lnodefs.js --extern-pre-js bindings/wasm/pre-node.js \
    "${objs[@]}" -o "$OUT/node.cjs" &
  # shellcheck disable=SC2086
  emcc $LDFLAGS -sENVIRONMENT=web,worker -sEXPORT_ES6=1 "${objs[@]}" -o "$OUT/web.mjs" &
  wait -n && wait -n
  if ! cmp -s "$OUT/node.wasm" "$OUT/web.wasm"; then
    echo "build-wasm: the node and browser links produced different .wasm files" >&2
    exit 1
  fi
  mv "$OUT/node.wasm" "$OUT/sqlite_vector.wasm"
  rm -f "$OUT/web.wasm"
  sed 's/node\.wasm/sqlite_vector.wasm/g' "$OUT/node.cjs" >"$OUT/sqlite_vector.cjs"
  sed 's/web\.wasm/sqlite_vector.wasm/g' "$OUT/web.mjs" >"$OUT/sqlite_vector.mjs"
  rm -f "$OUT/node.cjs" "$OUT/web.mjs"
  brotli -q 11 -f -o "$OUT/sqlite_vector.wasm.br" "$OUT/sqlite_vector.wasm"
  touch "$OUT/sqlite_vector.wasm"
fi

raw=$(stat -c %s "$OUT/sqlite_vector.wasm")
br=$(stat -c %s "$OUT/sqlite_vector.wasm.br")
echo "build-wasm: sqlite_vector.wasm $raw bytes raw (limit $MAX_RAW), $br brotli (limit $MAX_BR)"
[ "$raw" -lt "$MAX_RAW" ] && [ "$br" -lt "$MAX_BR" ] || {
  echo "build-wasm: size check FAILED" >&2
  exit 1
}
