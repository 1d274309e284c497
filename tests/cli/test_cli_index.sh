#!/usr/bin/env bash
# test_cli_index.sh — the scale commands end to end: index (--hnsw,
# --quantize, --drop, bad parameters), search --mode/--ef/--explain, bench
# with a mode list and an ef sweep, compact.
#
# Usage: bash tests/cli/test_cli_index.sh BUILD_DIR
#
# Judged like test_cli.sh: exit codes (0/1/2), JSON parsed with Python,
# stderr messages.  Recall is checked against gen_dataset's ground truth:
# the quantized modes with rescoring must be exact (1.0) on this clustered
# set, HNSW >= 0.95.  Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../lib/harness.sh"
sv_cli_suite test_cli_index.sh sv-cli-index "$@"
# pycheck DESC EXPR: L = parsed JSON lines of out, J = L[0].
pycheck() {
  if python3 - "$T/out" "$2" 2>"$T/pyerr" <<'EOF'; then ok; else bad "$1"; tail -3 "$T/pyerr"; fi
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
J = L[0] if L else None
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}
err_has() {
  if grep -qF -- "$1" "$T/err"; then ok; else bad "stderr lacks '$1'"; fi
}

expect 0 "$GEN" --n 3000 --dim 32 --queries 50 --clusters 20 --seed 5 --k 10 --out "$T/d"
expect 0 "$SV" create s.shard --dim 32 --metric cosine
expect 0 "$SV" import s.shard d_base.fvecs

# A mode whose structure is missing names the command that builds it.
expect 1 "$SV" search s.shard --query-file d_query.fvecs --mode hnsw
err_has "sqlite-vector index SHARD --hnsw"
expect 1 "$SV" search s.shard --query-file d_query.fvecs --mode quantized
err_has "--quantize int8"

# Bad parameters are command-line errors and change nothing.
expect 2 "$SV" index s.shard --hnsw --m 1
expect 2 "$SV" index s.shard --hnsw --m 100000
expect 2 "$SV" index s.shard --hnsw --ef-construction 0
expect 2 "$SV" index s.shard --m 8
expect 2 "$SV" index s.shard --quantize int4
expect 2 "$SV" index s.shard --drop everything
expect 2 "$SV" search s.shard --query-file d_query.fvecs --mode fast
expect 2 "$SV" search s.shard --query-file d_query.fvecs --ef 0
expect 2 "$SV" bench s.shard --queries d_query.fvecs --truth d_gt.ivecs --ef 10,x
expect 0 "$SV" index s.shard --json
pycheck "nothing built yet" "J['hnsw'] is False and J['int8'] is False"

# Build: int8 and binary codes, then the graph.
expect 0 "$SV" index s.shard --quantize int8 --json
pycheck "int8 on" "J['int8'] is True and J['hnsw'] is False"
expect 0 "$SV" index s.shard --quantize binary
expect 0 "$SV" index s.shard --hnsw --m 12 --ef-construction 100 --json
pycheck "hnsw on" "J['hnsw'] and J['m']==12 and J['ef_construction']==100 and J['nodes']==3000"
# The graph is saved: the next process loads it instead of rebuilding.
expect 0 "$SV" index s.shard --json
pycheck "graph loaded at open" "J['graph_loaded'] is True and J['nodes']==3000"

# search: same --json output as exact search, plus the plan with --explain.
expect 0 "$SV" search s.shard --query-file d_query.fvecs --mode hnsw --ef 50 --json --explain
pycheck "hnsw search json" "len(L)==50 and all(len(x['ids'])==10 and x['plan']=='hnsw' for x in L)"
expect 0 "$SV" search s.shard --query-file d_query.fvecs --mode quantized --json
pycheck "quantized json shape" "len(L)==50 and 'plan' not in J and len(J['scores'])==10"
expect 0 "$SV" search s.shard --query-file d_query.fvecs --mode hnsw --filter '{"x":1}' --json --explain
pycheck "filter with no match" "all(x['ids']==[] for x in L)"

# bench: every mode and an ef sweep, one JSON object per run.
expect 0 "$SV" bench s.shard --queries d_query.fvecs --truth d_gt.ivecs \
  --mode exact,quantized,binary,hnsw --ef 10,40,100 --json
pycheck "bench runs" "[x['mode'] for x in L]==['exact','quantized','binary','hnsw','hnsw','hnsw']"
pycheck "exact and quantized recall 1.0" "L[0]['recall']==1.0 and L[1]['recall']==1.0"
pycheck "hnsw recall at ef 100" "L[5]['recall']>=0.95 and L[5]['ef']==100 and L[5]['plan']=='hnsw'"
pycheck "binary recall" "L[2]['recall']>=0.9"
expect 0 "$SV" bench s.shard --queries d_query.fvecs --truth d_gt.ivecs --mode hnsw --ef 100
grep -q "mode hnsw (plan hnsw, ef 100)" out && ok || bad "bench text output"

# delete half, compact: the file shrinks and recall stays.
for i in $(seq 0 2 2999); do echo "$i"; done >ids
expect 0 "$SV" stats s.shard --json
before=$(python3 -c "import json;print(json.load(open('out'))['file_size'])")
while read -r i; do "$SV" delete s.shard "$i" >/dev/null || bad "delete $i"; done < <(head -n 150 ids)
expect 0 "$SV" compact s.shard --json
pycheck "compact reports sizes" "J['after']<=J['before']"
expect 0 "$SV" bench s.shard --queries d_query.fvecs --truth d_gt.ivecs --mode hnsw --ef 100 --json
pycheck "hnsw after deletes and compaction" "J['count']==2850"
expect 0 "$SV" index s.shard --drop hnsw --json
pycheck "hnsw dropped" "J['hnsw'] is False and J['int8'] is True"
expect 1 "$SV" search s.shard --query-file d_query.fvecs --mode hnsw
expect 0 "$SV" index s.shard --drop int8 --json
pycheck "int8 dropped" "J['int8'] is False and J['binary'] is True"
expect 2 "$SV" compact
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
