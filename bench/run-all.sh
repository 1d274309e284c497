#!/usr/bin/env bash
# run-all.sh BUILD_DIR — every benchmark of the project, in one run, on the same files.
#
# `make bench` calls this as `bash bench/run-all.sh build/release`.  The point
# of running everything from one script is that every number of
# docs/BENCHMARKS.md comes from the same machine state and the same .fvecs
# files, so ratios between them mean something:
#
#   1. datasets   BUILD/bench/gen_dataset writes two Gaussian-mixture,
#                 L2-normalised sets with 200 queries and exact top-10 ground
#                 truth into build/bench-data (skipped when already there):
#                 g100k_d384 (100,000 x 384) and g10k_d1536 (10,000 x 1536);
#   2. bandwidth  BUILD/bench/bandwidth: single-thread sequential read
#                 bandwidth and the scan floor (vector bytes / bandwidth),
#                 measured at the start of every search round;
#   3. kernels    BUILD/bench/bench_kernels (the SIMD kernel micro-benchmark);
#   4. insert     BUILD/bench/bench_insert: batch and autocommit insert rates
#                 and the RSS of a process searching a 10K x 384 shard;
#   5. search     per round: a fresh shard per dataset (`sqlite-vector create`
#                 + `import`), `sync`, `sqlite-vector bench` on it, then
#                 bench/compare/compare.js (Node + better-sqlite3) on the
#                 same files: sqlite-vec 0.1.9 vec0, SQLite AI's
#                 sqlite-vector (full scan and INT8 quantized scan), and our
#                 own SQL extension over the shard just imported;
#   6. summary    bench/compare/summarize.js prints one table (latency
#                 medians over rounds; the floor from the highest bandwidth
#                 any round measured) and writes summary.json.
#
# Results land in build/bench-results/<UTC timestamp>/ (one JSON or text file
# per step, plus summary.json); build/bench-results/latest points at the
# newest run.  The Node dependencies are installed once with `npm ci` from
# the committed package-lock.json (better-sqlite3 compiles from source:
# npm_config_nodedir=/usr, no prebuilt download); if that fails, the
# comparison is skipped with a warning and everything else still runs.
#
# Knobs (environment): SV_BENCH_ROUNDS (search rounds, default 1; the
# summary reports medians over rounds), SV_BENCH_DATA (dataset directory),
# SV_BENCH_SKIP_COMPARE=1, SV_BENCH_SKIP_INSERT=1.  A default run takes about
# five minutes on 2 cores (the first one longer: datasets and npm ci).
set -euo pipefail

usage() {
  echo "usage: bash bench/run-all.sh BUILD_DIR   (e.g. build/release)" >&2
  exit 2
}
[ $# -eq 1 ] || usage
[ -d "$1" ] || {
  echo "run-all: build directory '$1' does not exist (run make build)" >&2
  exit 2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" && pwd)
DATA=${SV_BENCH_DATA:-$ROOT/build/bench-data}
ROUNDS=${SV_BENCH_ROUNDS:-1}
RESULTS=$ROOT/build/bench-results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$RESULTS/$STAMP
WORK=$ROOT/build/bench-work
COMPARE=$ROOT/bench/compare
CLI=$BUILD/sqlite-vector
EXT=$BUILD/sqlite_vector.so

case $ROUNDS in '' | *[!0-9]* | 0) echo "run-all: SV_BENCH_ROUNDS must be >= 1" >&2 && exit 2 ;; esac

# name n dim
DATASETS=("g100k_d384 100000 384" "g10k_d1536 10000 1536")
QUERIES=200
K=10

log() { printf '[run-all %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
need() {
  [ -x "$1" ] || {
    echo "run-all: $1 is missing; build first (cmake --build $BUILD)" >&2
    exit 1
  }
}

need "$CLI"
need "$BUILD/bench/gen_dataset"
need "$BUILD/bench/bandwidth"
need "$BUILD/bench/bench_insert"
mkdir -p "$DATA" "$OUT" "$WORK"
ln -sfn "$STAMP" "$RESULTS/latest"
log "results in $OUT"
uptime >"$OUT/load-start.txt"

# ---- 1. datasets ---------------------------------------------------------------
for spec in "${DATASETS[@]}"; do
  read -r name n dim <<<"$spec"
  prefix=$DATA/$name
  if [ -s "${prefix}_base.fvecs" ] && [ -s "${prefix}_query.fvecs" ] && [ -s "${prefix}_gt.ivecs" ]; then
    log "dataset $name present"
    continue
  fi
  log "generating dataset $name ($n x $dim)"
  "$BUILD/bench/gen_dataset" --n "$n" --dim "$dim" --queries "$QUERIES" --clusters 100 \
    --seed 42 --k "$K" --out "$prefix" >"$OUT/gen_$name.txt"
done

# ---- 2. bandwidth (once per round, inside the search loop below) ------------------
bytes_args=()
for spec in "${DATASETS[@]}"; do
  read -r name n dim <<<"$spec"
  bytes_args+=(--bytes $((n * dim * 4)))
done

# ---- 3. kernels ------------------------------------------------------------------
if [ -x "$BUILD/bench/bench_kernels" ]; then
  log "bench_kernels"
  "$BUILD/bench/bench_kernels" >"$OUT/kernels.txt" 2>&1 || log "bench_kernels failed (see kernels.txt)"
else
  log "bench_kernels not built; skipped"
fi

# ---- 4. insert and RSS -----------------------------------------------------------
if [ "${SV_BENCH_SKIP_INSERT:-0}" != 1 ]; then
  log "bench_insert"
  "$BUILD/bench/bench_insert" --dir "$WORK" --json >"$OUT/insert.json"
fi

# ---- Node dependencies (once) ------------------------------------------------------
compare_ok=0
if [ "${SV_BENCH_SKIP_COMPARE:-0}" != 1 ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "node/npm not found: comparison skipped"
  elif [ -f "$COMPARE/node_modules/.package-lock.json" ] &&
    [ "$COMPARE/node_modules/.package-lock.json" -nt "$COMPARE/package-lock.json" ] &&
    [ -f "$COMPARE/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    compare_ok=1
  else
    log "npm ci in bench/compare (better-sqlite3 compiles from source, 1-2 minutes)"
    if (cd "$COMPARE" && npm_config_nodedir=/usr npm_config_build_from_source=true \
      npm ci --no-audit --no-fund >"$OUT/npm-ci.txt" 2>&1); then
      compare_ok=1
    else
      log "npm ci failed (see $OUT/npm-ci.txt): comparison skipped"
    fi
  fi
fi

# ---- 5. search rounds -------------------------------------------------------------
for round in $(seq 1 "$ROUNDS"); do
  log "round $round: bandwidth"
  "$BUILD/bench/bandwidth" --json "${bytes_args[@]}" >"$OUT/bandwidth_r$round.json"
  shard_args=()
  names=()
  for spec in "${DATASETS[@]}"; do
    read -r name n dim <<<"$spec"
    prefix=$DATA/$name
    shard=$WORK/$name.svdb
    names+=("$name")
    rm -f "$shard" "$shard-wal" "$shard-shm"
    log "round $round: $name: create + import"
    "$CLI" create "$shard" --dim "$dim" --metric cosine --json >/dev/null
    "$CLI" import "$shard" "${prefix}_base.fvecs" --json >"$OUT/import_${name}_r$round.json"
  done
  # The imports leave ~230 MB of dirty page cache; without this the kernel's
  # write-back would compete with the first benchmark for memory bandwidth.
  sync
  for spec in "${DATASETS[@]}"; do
    read -r name n dim <<<"$spec"
    prefix=$DATA/$name
    shard=$WORK/$name.svdb
    log "round $round: $name: sqlite-vector bench"
    "$CLI" bench "$shard" --queries "${prefix}_query.fvecs" --truth "${prefix}_gt.ivecs" \
      --k "$K" --json >"$OUT/ours_${name}_r$round.json"
    shard_args+=(--ours-shard "$name=$shard")
  done
  if [ "$compare_ok" = 1 ]; then
    ext_args=()
    if [ -f "$EXT" ]; then
      ext_args=(--ours-ext "$EXT" "${shard_args[@]}")
    fi
    log "round $round: compare.js (sqlite-vec, SQLite AI sqlite-vector$([ -f "$EXT" ] && echo ', our SQL extension'))"
    (IFS=,; node "$COMPARE/compare.js" --data "$DATA" --datasets "${names[*]}" --k "$K" \
      --workdir "$WORK" "${ext_args[@]}" --out "$OUT/compare_r$round.json" \
      >"$OUT/compare_r$round.txt")
  fi
done

# ---- 6. summary ---------------------------------------------------------------------
uptime >"$OUT/load-end.txt"
if command -v node >/dev/null; then
  node "$COMPARE/summarize.js" "$OUT" "$BUILD" | tee "$OUT/summary.txt"
else
  log "node not found: no summary table; raw results are in $OUT"
fi
rm -f "$WORK"/*.svdb "$WORK"/*.svdb-wal "$WORK"/*.svdb-shm
log "done: $OUT"
