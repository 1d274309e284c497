#!/usr/bin/env bash
# run-demo.sh — the `make run` demo: 100K x 384 embeddings, exact search, recall and latency.
#
# Usage: bash scripts/run-demo.sh BUILD_DIR     (make run passes build/release)
#
# 1. Under ./data/ (gitignored) generate a deterministic dataset with
#    gen_dataset — 100,000 base vectors of dimension 384 in 100 clusters,
#    1,000 queries and their exact top-10 — unless it is already there with
#    the same parameters (recorded in data/demo.params after a successful
#    generation, so an interrupted run regenerates).
# 2. Create data/demo.shard afresh and import the base vectors (rows/s).
# 3. Run a few searches and print them next to the ground truth.
# 4. Benchmark all 1,000 queries: recall@10, p50/p95/p99 latency, queries/s.
# 5. Print the shard statistics, including the SIMD backend in use.
#
# Exits non-zero if any step fails or recall@10 < 1.0.  Exact search must be
# exact; the dataset is generated with --min-gap 5e-5 so that no query's
# 10th and 11th true neighbours are closer than twice the worst-case float32
# rounding error of a cosine over 384 dimensions (see docs/CLI.md), which
# makes recall@10 = 1.0 a fair requirement of any correct float32 engine.
set -euo pipefail

BUILD=${1:?usage: run-demo.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SV="$BUILD/sqlite-vector"
GEN="$BUILD/bench/gen_dataset"
DATA="$ROOT/data"
SHARD="$DATA/demo.shard"
GEN_ARGS=(--n 100000 --dim 384 --queries 1000 --clusters 100 --seed 20240601 --k 10
  --min-gap 5e-5 --threads 2 --out "$DATA/demo")

step=""
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "run-demo: FAILED during: $step (exit $rc)" >&2; fi' EXIT
say() {
  step=$1
  printf '\n== %s\n' "$1"
}

for exe in "$SV" "$GEN"; do
  if [ ! -x "$exe" ]; then
    echo "run-demo: $exe is missing; build first (make build)" >&2
    exit 1
  fi
done
mkdir -p "$DATA"
start=$(date +%s)

say "dataset (data/demo_*)"
want="${GEN_ARGS[*]}"
if [ -s "$DATA/demo.params" ] && [ "$(cat "$DATA/demo.params")" = "$want" ] &&
  [ -s "$DATA/demo_base.fvecs" ] && [ -s "$DATA/demo_query.fvecs" ] && [ -s "$DATA/demo_gt.ivecs" ]; then
  echo "present with the same parameters: $want"
else
  rm -f "$DATA/demo.params"
  "$GEN" "${GEN_ARGS[@]}"
  printf '%s\n' "$want" >"$DATA/demo.params"
fi

say "create a fresh shard"
rm -f "$SHARD" "$SHARD-wal" "$SHARD-shm" "$SHARD-journal"
"$SV" create "$SHARD" --dim 384 --metric cosine

say "import 100,000 vectors"
"$SV" import "$SHARD" "$DATA/demo_base.fvecs"

say "a few searches (first 3 queries, k=5) and the ground truth"
echo "(the first search of a process also loads the vectors into memory, so it is slower)"
rec=$((4 + 384 * 4))
head -c $((3 * rec)) "$DATA/demo_query.fvecs" >"$DATA/demo_query3.fvecs"
"$SV" search "$SHARD" --query-file "$DATA/demo_query3.fvecs" --k 5
echo "ground truth (top 5 ids of the same queries):"
for q in 0 1 2; do
  # Each ivecs row is an int32 count then 10 int32 ids; print the first 5.
  ids=$(od -An -v -t d4 -j $((q * 44 + 4)) -N 20 "$DATA/demo_gt.ivecs" | xargs)
  echo "  query $q: $ids"
done
echo "the same first query as JSON:"
head -c "$rec" "$DATA/demo_query.fvecs" >"$DATA/demo_query1.fvecs"
"$SV" search "$SHARD" --query-file "$DATA/demo_query1.fvecs" --k 5 --json

say "benchmark: 1,000 queries, exact top-10"
"$SV" bench "$SHARD" --queries "$DATA/demo_query.fvecs" --truth "$DATA/demo_gt.ivecs" --k 10 \
  --warmup 20 --min-recall 1.0

say "shard statistics"
"$SV" stats "$SHARD"

step="done"
echo
echo "run-demo: OK in $(($(date +%s) - start)) s (recall@10 = 1.0; SIMD backend: $("$SV" version --json | sed 's/.*"simd":"\([^"]*\)".*/\1/'))"
