#!/usr/bin/env bash
# ann-bench.sh BUILD_DIR — the scale benchmark: quantized scans and HNSW of
# sqlite-vector against hnswlib-node 3.0.0 and usearch 2.26.2, in one run,
# on the same .fvecs files.
#
# Per dataset (generated once by bench/gen_dataset: L2-normalised Gaussian
# mixture, 100 clusters, seed 42, 200 queries, exact cosine top-10):
#   1. ours:   `sqlite-vector create` + `import` into a fresh shard; then
#              `index --quantize int8 --quantize binary` and
#              `index --hnsw --m M --ef-construction E` (build time = wall
#              time of that command, which also loads the vectors, measured
#              with /usr/bin/time for the peak RSS); the file size; the open
#              time (`index SHARD --json` in a new process: vectors, codes
#              and the saved graph loaded); then `bench --mode
#              exact,quantized,binary,hnsw --ef LIST` (k=10, single thread,
#              each query timed around sv_search_ex).
#   2. bandwidth floor: bench/bandwidth (single-thread sequential read); the
#              int8 floor of a dataset = n * dim bytes / best bandwidth.
#   3. others: bench/compare/ann.js builds hnswlib-node and usearch HNSW
#              indexes with the same M and ef_construction, single thread,
#              from the same base file, and sweeps the same ef values.
#   4. summary: bench/compare/ann-summary.js writes summary.md (tables) and
#              ann-sweep.dat, and gnuplot draws ef-sweep.png (recall@10
#              against queries/s, one line per system and dataset).
#
# Environment: SV_ANN_DATASETS (default "g20k_d128:20000:128"; the issue's
# sets are "g10k_d1536:10000:1536 g100k_d384:100000:384 g1m_d96:1000000:96"),
# SV_ANN_EF (default "10,20,40,80,160,320"), SV_ANN_M (16), SV_ANN_EFC (200),
# SV_ANN_SKIP_OTHERS=1, SV_ANN_OTHERS=FILE (reuse the others.json of an earlier run).  Results: build/ann-results/<UTC stamp>/ and
# build/ann-results/latest.
set -euo pipefail
[ $# -eq 1 ] && [ -d "$1" ] || {
  echo "usage: bash bench/ann-bench.sh BUILD_DIR" >&2
  exit 2
}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" && pwd)
CLI=$BUILD/sqlite-vector
DATA=${SV_BENCH_DATA:-$ROOT/build/bench-data}
EFS=${SV_ANN_EF:-10,20,40,80,160,320}
M=${SV_ANN_M:-16}
EFC=${SV_ANN_EFC:-200}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/build/ann-results/$STAMP
WORK=$ROOT/build/ann-work
COMPARE=$ROOT/bench/compare
mkdir -p "$OUT" "$WORK" "$DATA"
ln -sfn "$OUT" "$ROOT/build/ann-results/latest"
log() { printf '[ann-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
read -r -a SETS <<<"${SV_ANN_DATASETS:-g20k_d128:20000:128}"

{
  echo "{\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\","
  echo "\"cores\":$(nproc),\"m\":$M,\"efc\":$EFC,\"ef\":\"$EFS\",\"simd\":\"$("$CLI" version --json | sed 's/.*"simd":"\([^"]*\)".*/\1/')\"}"
} >"$OUT/machine.json"

bytes_args=()
for spec in "${SETS[@]}"; do
  IFS=: read -r name n dim <<<"$spec"
  bytes_args+=(--bytes $((n * dim)))
  if [ ! -f "$DATA/${name}_gt.ivecs" ]; then
    log "generating $name ($n x $dim)"
    "$BUILD/bench/gen_dataset" --n "$n" --dim "$dim" --queries 200 --clusters 100 --seed 42 \
      --k 10 --out "$DATA/$name" >"$OUT/gen_$name.txt"
  fi
done
log "bandwidth"
"$BUILD/bench/bandwidth" --json "${bytes_args[@]}" >"$OUT/bandwidth.json"

for spec in "${SETS[@]}"; do
  IFS=: read -r name n dim <<<"$spec"
  shard=$WORK/$name.shard
  rm -f "$shard" "$shard-wal" "$shard-shm"
  log "$name: import"
  "$CLI" create "$shard" --dim "$dim" --metric cosine >/dev/null
  "$CLI" import "$shard" "$DATA/${name}_base.fvecs" >/dev/null
  sync
  log "$name: quantize"
  /usr/bin/time -f '{"wall_s":%e,"cpu_s":%U,"sys_s":%S,"max_rss_kb":%M}' -o "$OUT/ours_${name}_quant_time.json" \
    "$CLI" index "$shard" --quantize int8 --json >"$OUT/ours_${name}_quant.json"
  "$CLI" index "$shard" --quantize binary --json >/dev/null
  log "$name: hnsw build (M $M, ef_construction $EFC)"
  /usr/bin/time -f '{"wall_s":%e,"cpu_s":%U,"sys_s":%S,"max_rss_kb":%M}' -o "$OUT/ours_${name}_build_time.json" \
    "$CLI" index "$shard" --hnsw --m "$M" --ef-construction "$EFC" --json >"$OUT/ours_${name}_build.json"
  sync
  "$CLI" stats "$shard" --json >"$OUT/ours_${name}_stats.json"
  log "$name: open (load vectors, codes, saved graph)"
  /usr/bin/time -f '{"wall_s":%e,"cpu_s":%U,"sys_s":%S,"max_rss_kb":%M}' -o "$OUT/ours_${name}_open_time.json" \
    "$CLI" index "$shard" --json >"$OUT/ours_${name}_open.json"
  log "$name: search sweep"
  /usr/bin/time -f '{"wall_s":%e,"cpu_s":%U,"sys_s":%S,"max_rss_kb":%M}' -o "$OUT/ours_${name}_bench_time.json" \
    "$CLI" bench "$shard" --queries "$DATA/${name}_query.fvecs" --truth "$DATA/${name}_gt.ivecs" \
    --mode exact,quantized,binary,hnsw --ef "$EFS" --json >"$OUT/ours_${name}_bench.jsonl"
done

if [ -n "${SV_ANN_OTHERS:-}" ]; then
  cp "$SV_ANN_OTHERS" "$OUT/others.json" # reuse hnswlib/usearch results of an earlier run
elif [ "${SV_ANN_SKIP_OTHERS:-0}" != 1 ]; then
  if [ ! -d "$COMPARE/node_modules/hnswlib-node" ] || [ ! -d "$COMPARE/node_modules/usearch" ]; then
    log "npm ci in bench/compare"
    (cd "$COMPARE" && npm_config_nodedir=/usr npm ci --no-audit --no-fund >"$OUT/npm-ci.txt" 2>&1)
  fi
  names=$(for spec in "${SETS[@]}"; do echo "${spec%%:*}"; done | paste -sd,)
  log "hnswlib-node and usearch"
  node "$COMPARE/ann.js" --data "$DATA" --datasets "$names" --m "$M" --efc "$EFC" --ef "$EFS" \
    --out "$OUT/others.json"
fi
node "$COMPARE/ann-summary.js" "$OUT"
if command -v gnuplot >/dev/null; then
  gnuplot "$OUT/ef-sweep.gp" && log "plot: $OUT/ef-sweep.png"
else
  log "gnuplot missing (scripts/install-deps.sh installs gnuplot-nox): no plot"
fi
cat "$OUT/summary.md"
