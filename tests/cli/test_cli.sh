#!/usr/bin/env bash
# test_cli.sh — end-to-end tests of the sqlite-vector program and gen_dataset.
#
# Usage: bash tests/cli/test_cli.sh BUILD_DIR   (ctest passes the build dir)
#
# Every command is run as a user would run it, and judged only by what a
# user sees: the exit code (0 ok, 1 failure, 2 bad command line), stdout
# (JSON output is parsed with Python's json module) and stderr (errors
# start with "sqlite-vector:").  "Bad input changes nothing" is checked by
# comparing `stats --json` (count and version) before and after a failed
# command.  Exactness is checked against gen_dataset's brute-force ground
# truth: recall must be exactly 1.0 for cosine, l2 and dot, which is fair
# because the dataset is generated with --min-gap (see docs/CLI.md).
# The suite keeps going after a failure and ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../lib/harness.sh"
sv_cli_suite test_cli.sh sv-cli-test "$@"
# pycheck DESC EXPR: EXPR is evaluated with L = parsed JSON lines of out,
# J = L[0], and helpers fvecs/ivecs; must be true.
pycheck() {
  local desc=$1 expr=$2
  if python3 - "$T/out" "$expr" 2>"$T/pyerr" <<'EOF'; then ok; else bad "$desc"; sed 's/^/    py: /' "$T/pyerr" | tail -3; fi
import json, struct, sys
def vecs(path, fmt):
    data = open(path, "rb").read()
    rows, i = [], 0
    while i < len(data):
        d = struct.unpack_from("<i", data, i)[0]
        rows.append(list(struct.unpack_from("<%d%s" % (d, fmt), data, i + 4)))
        i += 4 + 4 * d
    return rows
fvecs = lambda p: vecs(p, "f")
ivecs = lambda p: vecs(p, "i")
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
J = L[0] if L else None
sys.exit(0 if eval("(" + sys.argv[2] + "\n)") else 1)
EOF
}
# err_has TEXT: stderr contains TEXT
err_has() {
  if grep -qF -- "$1" "$T/err"; then ok; else bad "stderr lacks '$1'"; fi
}
# unchanged SHARD COUNT VERSION: stats still report them
unchanged() {
  run "$SV" stats "$1" --json
  pycheck "$1 unchanged (count $2, version $3)" "J['count']==$2 and J['version']==$3"
}

# ---- version, help, dispatch -------------------------------------------------
expect 0 "$SV" version
grep -q "sqlite-vector 0" "$T/out" && ok || bad "version text"
expect 0 "$SV" --version
expect 0 "$SV" version --json
pycheck "version json" "J['version'] and J['format_version']>=1 and J['simd']"
expect 0 "$SV" help
grep -q "Commands:" "$T/out" && ok || bad "help lists commands"
expect 2 "$SV"
expect 2 "$SV" frobnicate
err_has "sqlite-vector: unknown command"
expect 2 "$SV" help frobnicate
for c in create import search get delete stats bench version; do
  expect 0 "$SV" "$c" --help
  grep -q "Usage: sqlite-vector $c" "$T/out" && ok || bad "$c --help text"
  expect 0 "$SV" help "$c"
done

# ---- gen_dataset ---------------------------------------------------------------
expect 0 "$GEN" --n 2000 --dim 16 --queries 50 --clusters 10 --seed 7 --k 10 --min-gap 1e-5 \
  --out "$T/s"
for f in s_base.fvecs s_query.fvecs s_gt.ivecs; do [ -s "$T/$f" ] && ok || bad "$f written"; done
[ "$(stat -c %s s_base.fvecs)" -eq $((2000 * (4 + 16 * 4))) ] && ok || bad "base size"
[ "$(stat -c %s s_gt.ivecs)" -eq $((50 * (4 + 10 * 4))) ] && ok || bad "gt size"
expect 0 "$GEN" --n 2000 --dim 16 --queries 50 --clusters 10 --seed 7 --k 10 --min-gap 1e-5 \
  --threads 1 --out "$T/s1"
cmp -s s_base.fvecs s1_base.fvecs && cmp -s s_query.fvecs s1_query.fvecs &&
  cmp -s s_gt.ivecs s1_gt.ivecs && ok || bad "gen_dataset output independent of --threads"
expect 0 "$GEN" --n 2000 --dim 16 --queries 50 --clusters 10 --seed 8 --k 10 --out "$T/s2"
cmp -s s_base.fvecs s2_base.fvecs && bad "another seed gives other data" || ok
: >"$T/out"
pycheck "vectors unit length, queries not copies of base rows" "
all(abs(sum(x*x for x in v)-1) < 1e-5 for v in fvecs('s_base.fvecs'))
and not set(map(tuple, fvecs('s_query.fvecs'))) & set(map(tuple, fvecs('s_base.fvecs')))"
pycheck "ground truth = brute-force cosine top-10 (ties to smaller id) for 10 queries" "
all([sorted(range(2000), key=lambda i, q=q: (-sum(a*b for a, b in zip(q, B[i])) / (sum(a*a for a in q)
* sum(b*b for b in B[i])) ** 0.5, i))[:10] for q in fvecs('s_query.fvecs')[:10]]
== ivecs('s_gt.ivecs')[:10] for B in [fvecs('s_base.fvecs')])"
expect 2 "$GEN" --n 0 --dim 16 --out "$T/x"
expect 2 "$GEN" --n 10 --dim 16 --k 11 --out "$T/x"
expect 2 "$GEN" --n 10 --dim abc --out "$T/x"
expect 2 "$GEN" --n 10 --dim 4
expect 0 "$GEN" --help
# a small dim-8 set for wrong-dimension tests
expect 0 "$GEN" --n 20 --dim 8 --queries 2 --clusters 2 --seed 1 --k 3 --out "$T/d8"

# ---- create ----------------------------------------------------------------------
expect 0 "$SV" create a.shard --dim 16 --json
pycheck "create json" "J=={'path':'a.shard','created':True,'dim':16,'metric':'cosine'}"
expect 0 "$SV" create a.shard --dim 16
grep -q "already exists" "$T/out" && ok || bad "re-create says it exists"
expect 0 "$SV" create a.shard --dim 16 --metric cosine --json
pycheck "re-create json" "J['created'] is False"
expect 1 "$SV" create a.shard --dim 17
err_has "already exists with dim 16"
expect 1 "$SV" create a.shard --dim 16 --metric l2
expect 2 "$SV" create b.shard
expect 2 "$SV" create b.shard --dim 0
expect 2 "$SV" create b.shard --dim -3
expect 2 "$SV" create b.shard --dim 16385
expect 2 "$SV" create b.shard --dim 12abc
expect 2 "$SV" create b.shard --dim 4 --metric manhattan
expect 2 "$SV" create b.shard --dim 4 --bogus
expect 2 "$SV" create b.shard extra --dim 4
expect 2 "$SV" create b.shard --dim 4 --dim 5
[ -e b.shard ] && bad "usage errors must not create b.shard" || ok
echo "not a database" >notashard.txt
expect 1 "$SV" create notashard.txt --dim 4
[ "$(cat notashard.txt)" = "not a database" ] && ok || bad "non-shard file untouched"
: >empty.shard
expect 1 "$SV" stats empty.shard
err_has "empty file"
expect 0 "$SV" create empty.shard --dim 4 --json
pycheck "create fills an empty file" "J['created'] is True"
mkdir adir
expect 1 "$SV" create adir --dim 4

# ---- missing shard: only create creates ---------------------------------------------
expect 1 "$SV" stats nope.shard
err_has "no such shard"
expect 1 "$SV" import nope.shard s_base.fvecs
expect 1 "$SV" search nope.shard --vector '[1]'
expect 1 "$SV" get nope.shard 1
expect 1 "$SV" delete nope.shard 1
expect 1 "$SV" bench nope.shard --queries s_query.fvecs --truth s_gt.ivecs
[ -e nope.shard ] && bad "nope.shard must not be created" || ok

# ---- import .fvecs -----------------------------------------------------------------
expect 0 "$SV" import a.shard s_base.fvecs --json
pycheck "import json" "J['rows']==2000 and J['batches']==1 and J['rows_per_sec']>0 and J['format']=='fvecs'"
[ -s "$T/err" ] && bad "no progress bar when stderr is not a terminal" || ok
expect 0 "$SV" stats a.shard --json
pycheck "stats json" "J['count']==2000 and J['dim']==16 and J['metric']=='cosine' and J['deleted']==0
and J['format_version']==1 and J['version']>=2000 and J['file_size']>0 and len(J['shard_id'])==32
and isinstance(J['node_id'], int) and J['simd']"
V=$(python3 -c "import json;print(json.load(open('$T/out'))['version'])")
expect 0 "$SV" stats a.shard
grep -q "count: *2000" "$T/out" && ok || bad "stats text"
# duplicate ids: nothing written
expect 1 "$SV" import a.shard s_base.fvecs
err_has "already exist"
unchanged a.shard 2000 "$V"
expect 0 "$SV" import a.shard s_base.fvecs --upsert --batch 700 --json
pycheck "upsert json" "J['rows']==2000 and J['batches']==3 and J['upsert'] is True"
run "$SV" stats a.shard --json
pycheck "upsert keeps count" "J['count']==2000 and J['version']>$V"
V=$(python3 -c "import json;print(json.load(open('$T/out'))['version'])")
# truncated, wrong dim, NaN, unknown format: nothing written
head -c $((2000 * 68 - 10)) s_base.fvecs >trunc.fvecs
expect 0 "$SV" create t.shard --dim 16
expect 1 "$SV" import t.shard trunc.fvecs
err_has "truncated"
unchanged t.shard 0 0
expect 1 "$SV" import t.shard d8_base.fvecs
err_has "dimension 8"
python3 -c "
import struct
with open('nan.fvecs','wb') as f:
    for i in range(5):
        f.write(struct.pack('<i16f', 16, *([float('nan') if i == 3 else 0.5] * 16)))"
expect 1 "$SV" import t.shard nan.fvecs
err_has "record 3"
unchanged t.shard 0 0
cp s_base.fvecs base.bin
expect 2 "$SV" import t.shard base.bin
expect 0 "$SV" import t.shard base.bin --format fvecs --id-offset 1000000 --batch 333 --json
pycheck "id-offset import" "J['rows']==2000 and J['batches']==7"
expect 0 "$SV" get t.shard 1000000 --json
pycheck "offset id present" "J['id']==1000000"
expect 1 "$SV" get t.shard 0
expect 2 "$SV" import t.shard s_base.fvecs --batch 0
expect 2 "$SV" import t.shard s_base.fvecs --id-offset 1.5
expect 2 "$SV" import t.shard s_base.fvecs --format csv
expect 2 "$SV" import t.shard

# ---- search & bench against ground truth ------------------------------------------
expect 0 "$SV" search a.shard --query-file s_query.fvecs --k 10 --json
pycheck "search json: 50 lines, exact top-10, scores descending" "
len(L)==50 and all(l['query']==i and l['ids']==g and len(l['scores'])==10 and l['ms']>=0
and l['scores']==sorted(l['scores'], reverse=True) for i,(l,g) in enumerate(zip(L, ivecs('s_gt.ivecs'))))"
expect 0 "$SV" search a.shard --query-file s_query.fvecs --k 3
grep -q "^query 49: 3 results" "$T/out" && ok || bad "search table"
expect 0 "$SV" bench a.shard --queries s_query.fvecs --truth s_gt.ivecs --k 10 --json --min-recall 1
pycheck "bench json" "J['recall']==1.0 and J['queries']==50 and J['k']==10 and
0 < J['p50_ms'] <= J['p95_ms'] <= J['p99_ms'] and J['qps'] > 0 and J['simd']"
expect 0 "$SV" bench a.shard --queries s_query.fvecs --truth s_gt.ivecs --k 5 --warmup 0
grep -q "recall@5: *1.0000" "$T/out" && ok || bad "bench text recall@5"
expect 1 "$SV" bench a.shard --queries s_query.fvecs --truth s_gt.ivecs --k 11
expect 1 "$SV" bench a.shard --queries d8_query.fvecs --truth s_gt.ivecs
expect 2 "$SV" bench a.shard --queries s_query.fvecs
expect 2 "$SV" bench a.shard --queries s_query.fvecs --truth s_gt.ivecs --min-recall 2
for m in l2 dot; do
  expect 0 "$SV" create "$m.shard" --dim 16 --metric "$m"
  expect 0 "$SV" import "$m.shard" s_base.fvecs
  expect 0 "$SV" bench "$m.shard" --queries s_query.fvecs --truth s_gt.ivecs --json --min-recall 1
  pycheck "$m recall 1.0 (unit vectors rank alike)" "J['recall']==1.0 and J['metric']=='$m'"
done
expect 0 "$SV" search l2.shard --query-file s_query.fvecs --k 5 --json
pycheck "l2 scores ascending" "all(l['scores']==sorted(l['scores']) for l in L)"
# strict numbers and query sources
Q=$(python3 -c "print([0.25]*16)")
expect 0 "$SV" search a.shard --vector "$Q" --k 4 --json
pycheck "--vector search" "len(L)==1 and len(J['ids'])==4"
for k in 0 -1 abc 4294967296 1.5 ""; do expect 2 "$SV" search a.shard --vector "$Q" --k "$k"; done
expect 0 "$SV" search a.shard --vector "$Q" --k 4294967295 --json
pycheck "huge k returns every row" "len(J['ids'])==2000"
expect 1 "$SV" search a.shard --vector '[1,2,3]'
err_has "dimension 16"
expect 2 "$SV" search a.shard --vector '[1,2,'
expect 2 "$SV" search a.shard --vector '[1,"x"]'
expect 2 "$SV" search a.shard
expect 2 "$SV" search a.shard --vector "$Q" --query-file s_query.fvecs
expect 2 "$SV" search a.shard --vector "$Q" --threshold nan
expect 0 "$SV" search a.shard --vector "$Q" --threshold 0.5 --k 2000 --json
pycheck "threshold" "all(s >= 0.5 for s in J['scores'])"
expect 1 "$SV" search a.shard --query-file d8_query.fvecs

# ---- JSON lines, metadata, filters, get, delete --------------------------------------
expect 0 "$SV" create m.shard --dim 3
cat >m.jsonl <<'EOF'
{"id": 1, "vector": [1, 0, 0], "metadata": {"lang": "en", "year": 2021, "tag": "a"}}
{"id": 2, "vector": [0.9, 0.1, 0], "metadata": {"lang": "fr", "year": 2019}}

{"vector": [0, 1, 0], "metadata": {"lang": "en", "year": 2023, "s": "caf\u00e9 \"q\""}}
{"id": 10, "vector": [0.8, 0.2, 0.1]}
EOF
expect 0 "$SV" import m.shard m.jsonl --json
pycheck "jsonl import" "J['rows']==4 and J['format']=='jsonl'"
expect 0 "$SV" get m.shard 1 --json
pycheck "get json" "J['id']==1 and J['vector']==[1,0,0] and J['metadata']=={'lang':'en','year':2021,'tag':'a'}
and J['version']>0 and J['hlc']>0"
expect 0 "$SV" get m.shard 1
grep -q '^metadata: {"lang"' "$T/out" && ok || bad "get text"
expect 0 "$SV" search m.shard --vector '[0,1,0]' --k 1 --with-metadata --json
pycheck "auto id after explicit ids, metadata escapes" "J['ids'][0] > 10 and J['metadata'][0]['s']=='caf\u00e9 \"q\"'"
expect 0 "$SV" search m.shard --vector '[1,0,0]' --k 10 --filter '{"lang":"en"}' --with-metadata --json
pycheck "filter lang=en" "len(J['ids'])==2 and J['ids'][0]==1 and all(m['lang']=='en' for m in J['metadata'])"
expect 0 "$SV" search m.shard --vector '[1,0,0]' --k 10 --filter '{"year":{"$gte":2020}}' --json
pycheck "filter year>=2020" "sorted(J['ids'])[0]==1 and 2 not in J['ids'] and len(J['ids'])==2"
expect 2 "$SV" search m.shard --vector '[1,0,0]' --filter '{"year":'
expect 2 "$SV" search m.shard --vector '[1,0,0]' --filter '{"year":{"$regex":"x"}}'
expect 0 "$SV" search m.shard --vector '[1,0,0]' --k 2 --with-metadata
grep -q '"lang": *"en"' "$T/out" && ok || bad "table shows metadata"
run "$SV" stats m.shard --json
V=$(python3 -c "import json;print(json.load(open('$T/out'))['version'])")
# bad files import nothing
printf '%s\n' '{"id": 20, "vector": [1, 0, 0]}' '{"id": 21, "vector": [1, 0, 0]}' \
  '{"id": 22, "vector": [1, 0, 0' >bad.jsonl
expect 1 "$SV" import m.shard bad.jsonl
err_has "line 3"
printf '%s\n' '{"id": 20, "vector": [1, 0, 0]}' '{"id": 20, "vector": [0, 1, 0]}' >dup.jsonl
expect 1 "$SV" import m.shard dup.jsonl
err_has "more than once"
printf '%s\n' '{"id": 20, "vector": [1, 0, 0]}' '{"id": 2, "vector": [0, 1, 0]}' >exists.jsonl
expect 1 "$SV" import m.shard exists.jsonl
printf '%s\n' '{"id": 20, "vector": [1, 0]}' >dim.jsonl
expect 1 "$SV" import m.shard dim.jsonl
err_has "dimension 3"
printf '%s\n' '{"id": 20, "vector": [1, 0, 0], "meta": {}}' >key.jsonl
expect 1 "$SV" import m.shard key.jsonl
err_has "unknown key"
printf '%s\n' '{"vector": [0, 0, 0]}' >zero.jsonl
expect 1 "$SV" import m.shard zero.jsonl
unchanged m.shard 4 "$V"
# upsert replaces
expect 0 "$SV" import m.shard exists.jsonl --upsert
expect 0 "$SV" get m.shard 2 --json
pycheck "upserted vector" "J['vector']==[0,1,0]"
# delete
expect 0 "$SV" delete m.shard 2 --json
pycheck "delete json" "J=={'id':2,'deleted':True}"
expect 1 "$SV" get m.shard 2
expect 1 "$SV" delete m.shard 2
expect 0 "$SV" delete m.shard 10
grep -q "deleted 10" "$T/out" && ok || bad "delete text"
expect 0 "$SV" stats m.shard --json
pycheck "stats after deletes" "J['count']==3 and J['deleted']==2"
expect 2 "$SV" get m.shard abc
expect 2 "$SV" get m.shard 99999999999999999999
expect 2 "$SV" delete m.shard
expect 1 "$SV" get m.shard -5

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
